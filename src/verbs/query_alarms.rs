//! `iiot query --alarms` and `--active`: alarm events and alarm states out
//! of a store (the options are query's; see its help).

use anyhow::{Result, bail};

use super::Global;
use super::query::Args;
use crate::alarms::{Filter, StateEncoder};
use crate::io::stdout_sink;
use crate::patterns::Patterns;
use crate::record::{Reading, RecordWriter};
use crate::store::{Source, Store};

pub(crate) fn run(args: &Args, global: &Global) -> Result<()> {
    let a = &args.alarms;
    if args.latest {
        bail!("--latest is for readings; --active gives each alarm's state");
    }
    if a.active && (args.from.is_some() || args.to.is_some()) {
        bail!("--active tells the states at one time: give --at, not --from/--to");
    }
    let filter = Filter {
        assets: Patterns::new("asset", &args.asset)?,
        tags: Patterns::new("tag", &args.tag)?,
        rules: Patterns::new("rule", &a.rule)?,
        severities: a.severity.clone(),
        from: args.from.unwrap_or(i64::MIN),
        to: args.to.unwrap_or(i64::MAX),
    };
    if filter.from >= filter.to {
        bail!("--from must be before --to");
    }
    let store = match Source::detect(&args.source)? {
        Source::Sqlite(_) | Source::Postgres(_) => Store::open_read(&args.source)?,
        _ => bail!(
            "{} holds no alarm events: a Parquet lake keeps readings only; alarm events live in a SQLite or PostgreSQL store",
            args.source.display()
        ),
    };
    let (sink, line_buffered) = stdout_sink(false);
    let mut out = RecordWriter::new(sink, args.format.into(), line_buffered);
    let limit = args.limit.unwrap_or(u64::MAX);
    let mut wrote = 0u64;
    let result = (|| -> Result<()> {
        if a.active {
            let at = a.at.unwrap_or_else(crate::time::now_ms);
            let tracker = store.alarm_states(&filter, at)?;
            let mut enc = StateEncoder::default();
            for (key, alarm) in tracker.attention() {
                if wrote >= limit {
                    break;
                }
                out.write(&enc.encode(key, alarm))?;
                wrote += 1;
            }
            // Then the predicted alarms whose crossing is still ahead.
            for p in &predicted_at(&store, &filter, at)? {
                if wrote >= limit {
                    break;
                }
                out.write(&p.as_ref())?;
                wrote += 1;
            }
        } else if limit > 0 {
            store.alarm_events(&filter, |r| {
                out.write(&r.as_ref())?;
                wrote += 1;
                Ok(wrote < limit)
            })?;
        }
        out.flush()?;
        Ok(())
    })();
    let closed = result.as_ref().is_err_and(crate::io::is_broken_pipe);
    if !global.quiet && !closed {
        eprintln!("iiot query: wrote {wrote}");
    }
    if closed {
        return Ok(());
    }
    result
}

/// The predicted alarms at `at`, by asset, tag, rule: per alarm the last
/// `predicted` event at or before `at` whose crossing (its `at` field) is
/// not yet past, as an alarm state record with `"state":"predicted"` and
/// `"predicted":true` (its `ts` when the forecast was made; `at`,
/// `earliest`, `latest` and `message` as the event had them). A measured
/// raise of the same alarm after the prediction ends it. The store finds
/// each alarm's last prediction and any later raise by index seeks
/// ([`Store::predictions_at`]).
fn predicted_at(store: &Store, filter: &Filter, at: crate::time::Millis) -> Result<Vec<Reading>> {
    let mut out = Vec::new();
    for r in store.predictions_at(filter, at)? {
        let crossing = r
            .extra_field("at")
            .and_then(|v| serde_json::from_str::<String>(v).ok())
            .and_then(|t| crate::time::parse_time_text(&t));
        if crossing.is_some_and(|c| c < at) {
            continue;
        }
        let mut p = r.clone();
        p.clear_extra();
        p.push_extra("state", "\"predicted\"");
        p.push_extra("predicted", "true");
        for (k, v) in r.extra_fields() {
            if k != "event" {
                p.push_extra(k, v);
            }
        }
        out.push(p);
    }
    Ok(out)
}
