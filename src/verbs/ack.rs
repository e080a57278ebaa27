//! `iiot ack`: acknowledge an alarm in a store, and write the `acked`
//! event on stdout so it can be piped on.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};

use super::Global;
use crate::alarms::AlarmKey;
use crate::io::stdout_sink;
use crate::record::alarm::{AlarmEncoder, AlarmEvent, EventKind};
use crate::record::{Format, Reading, RecordEncoder, RecordParser, RecordWriter};
use crate::store::postgres::{PgOptions, PgWriter, is_url};
use crate::store::sqlite::{self, OnConflict, SqliteStore, Sync};
use crate::store::{Origin, Writer};
use crate::time::{Millis, TsFormatter};

/// Acknowledge an alarm (ISA-18.2) in a SQLite or PostgreSQL store.
///
/// The alarm is a series and a rule (--asset, --tag, --rule, as the
/// events name them). The `acked` event — with --by, --note, and the
/// kind and severity of the raise it acknowledges — is stored in
/// `alarm_events` (committed with synchronous=FULL in a SQLite file; a
/// `postgresql://` URL as `store` takes it) and then written to
/// stdout, so `iiot ack … | iiot notify …` tells others. An active
/// unacknowledged alarm becomes `acked`; one that returned to normal
/// unacknowledged (`rtn_unacked`) becomes normal and leaves `query
/// --alarms --active`. An alarm never raised (by --at), or one whose
/// occurrence is already acknowledged, is refused with the reason and
/// exit 1; nothing is stored or written then.
///
/// `store` checks `acked` lines from any source the same way.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot simulate --preset fermenter --duration 10m --faults spike=0.05 --seed 1 \\
    | iiot detect --preset fermenter --events | iiot store alarms.db
  iiot query alarms.db --active --at 2026-01-01T00:10:00Z --asset FERM-1 --severity medium
  iiot ack alarms.db --asset FERM-1 --tag biomass --rule zscore --by ann \\
    --at 2026-01-01T00:10:00Z --note 'sampled again' | iiot cat --format csv")]
pub struct Args {
    /// The store holding the alarm's events: a SQLite file or a `postgresql://` URL.
    pub store: PathBuf,
    /// The alarm's asset.
    #[arg(long)]
    pub asset: String,
    /// The alarm's tag.
    #[arg(long)]
    pub tag: String,
    /// The alarm's rule.
    #[arg(long)]
    pub rule: String,
    /// Who acknowledges.
    #[arg(long, value_name = "NAME")]
    pub by: String,
    /// A note kept with the acknowledgement.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// The acknowledgement's time (default: now).
    #[arg(long, value_name = "TIME", value_parser = crate::options::time)]
    pub at: Option<Millis>,
    /// How long to wait for another process's write lock (PostgreSQL: to reconnect).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = crate::options::nonneg_duration)]
    pub busy_timeout: Duration,
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    let url = args.store.to_str().filter(|p| is_url(p));
    if url.is_none() && !args.store.is_file() {
        bail!("{}: no such store", args.store.display());
    }
    if args.by.trim().is_empty() {
        bail!("--by must name who acknowledges");
    }
    let at = args.at.unwrap_or_else(crate::time::now_ms);
    if !(crate::time::MIN_MILLIS..=crate::time::MAX_MILLIS).contains(&at) {
        bail!("--at is outside the years 0001 to 9999");
    }
    let mut store = match url {
        Some(url) => Writer::Postgres(PgWriter::open(
            url,
            PgOptions {
                on_conflict: OnConflict::Ignore,
                reconnect_for: args.busy_timeout,
                quiet: global.quiet,
            },
        )?),
        None => Writer::Sqlite(SqliteStore::open(
            &args.store,
            sqlite::Options {
                sync: Sync::Full,
                on_conflict: OnConflict::Ignore,
                busy_timeout: args.busy_timeout,
                quiet: global.quiet,
            },
        )?),
    };
    let key = AlarmKey::new(&args.asset, &args.tag, &args.rule);
    let tracker = store.alarm_tracker(&key, at)?;
    let alarm = tracker.get(&key.asset, &key.tag, &key.rule);
    let was = alarm.map_or(crate::alarms::State::Normal, |a| a.state);
    let ev = AlarmEvent {
        ts: at,
        asset: &key.asset,
        tag: &key.tag,
        unit: alarm.map_or("", |a| a.unit.as_str()),
        value: 0.0,
        event: EventKind::Acked {
            by: args.by.as_str().into(),
            note: args.note.as_deref().map(Into::into),
        },
        rule: key.rule.as_str().into(),
        kind: alarm.and_then(|a| a.kind.as_deref()).map(Into::into),
        severity: alarm.and_then(|a| a.severity.as_deref()).map(Into::into),
        limit: None,
    };
    let mut line = Vec::with_capacity(256);
    RecordEncoder::new(Format::Ndjson).encode(&AlarmEncoder::default().encode(&ev), &mut line);
    let mut reading = Reading::default();
    if let Err(e) = RecordParser::new().parse(line.trim_ascii_end(), &mut reading) {
        bail!("the acknowledgement could not be written as a record: {e}");
    }
    let origin = Origin { source: 0, line: 1 };
    if let Err(e) = store.add(&reading, line.trim_ascii_end(), origin)? {
        bail!("{}", e.message);
    }
    let counts = store.close().0?;
    if counts.events == 0 {
        bail!(
            "{key}: an acknowledgement at {} by {} is stored already",
            TsFormatter::format(at),
            args.by
        );
    }
    let (sink, line_buffered) = stdout_sink(false);
    let mut out = RecordWriter::new(sink, Format::Ndjson, line_buffered);
    out.write(&reading.as_ref())?;
    out.flush()?;
    if !global.quiet {
        let now = if was == crate::alarms::State::Unacked {
            "acked"
        } else {
            "normal"
        };
        eprintln!(
            "iiot ack: {key} acknowledged by {} ({was} -> {now})",
            args.by
        );
    }
    Ok(())
}
