//! `iiot rollup`: readings into time buckets whose statistics merge
//! exactly — a stream filter, and the incremental job on a store.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::Global;
use super::args::{InputArgs, OutputArgs, RejectArgs};
use crate::io::{Rejects, stdout_sink};
use crate::record::{ParseError, Quality, Reading, ReadingRef, RecordWriter};
use crate::rollup::buckets::{Aligner, Width};
use crate::rollup::kpi::{self, KpiBucket, KpiEngine};
use crate::rollup::record::{RollupEncoder, item_of};
use crate::rollup::retain;
use crate::rollup::store::{Close, RollupRun};
use crate::rollup::stream::{Bucket, Engine, Refusal, SeriesInfo};
use crate::store::{Source, Store};
use crate::time::Millis;

mod kpis;

/// Summarise readings into time buckets (count, min, max, mean, stddev,
/// first, last, time-weighted mean).
///
/// Reads readings (NDJSON) from the files named or stdin and writes one
/// rollup record per series per bucket: a reading whose `ts` is the bucket
/// start, `value` the mean, and the fields `every`, `count`, `min`, `max`,
/// `mean`, `stddev`, `first`, `last`, `twa`, `first_ts` (time of the first
/// reading), `good` and `bad`. Buckets align to the UTC epoch; with --tz,
/// day-long (and longer) buckets start at local midnight, so daylight-saving
/// days hold 23 or 25 hours; widths of whole weeks start on Monday.
///
/// Statistics: readings whose quality is not `good` are left out and
/// counted in `bad` (`good` counts the rest; good/(good+bad) is the share
/// of good data). `stddev` is the sample standard deviation (n−1, SQL's
/// stddev_samp), 0 for one reading; where the deviation of finite values
/// exceeds the largest finite number (1.7e308 and -1.7e308), stddev is that
/// number, 1.7976931348623157e308, and every other statistic is exact to
/// rounding (twa always lies between min and max). `twa`, the time-weighted mean: each
/// good value holds until the next good reading or the bucket end,
/// whichever comes first; the time before the bucket's first good reading
/// is not covered (nothing is carried in from the bucket before), so `twa`
/// averages over [first_ts, bucket end). A bucket of only bad readings has
/// `quality:"bad"`, value 0 and only its counts.
///
/// Cascading: input records that carry `every` are rollups; they are merged
/// exactly (count-weighted mean, pooled variance, min of mins, first of the
/// earliest, time weighting across the gaps), so `rollup --every 1m |
/// rollup --every 1h` gives what `rollup --every 1h` gives, to rounding.
///
/// Closing: a bucket is written when its series' latest reading passes the
/// bucket end plus --lateness, and every open bucket at the end of input.
/// A reading whose bucket was already written is late: it is rejected (for
/// every width, so the widths agree) and counted, never folded in silently.
/// Readings out of time order inside an open bucket count in every
/// statistic; in `twa` only when earliest in their bucket.
///
/// --kpi oee (factory preset): one record per machine (asset) per bucket,
/// tag `oee`, value the OEE, with `availability` (RUNNING time over planned
/// time; planned = all time in a known state except MAINTENANCE),
/// `performance` (parts_produced over ideal_rate × RUNNING time), `quality_rate`
/// (good over produced; parts_produced is the total count, good = produced −
/// the scrap_* counters), `oee`, `scrap` and `scrap_rate` per reason,
/// `errors` (ERROR periods begun) and `error_s` (time in ERROR), `state_s`.
/// A state holds until the next state reading; a counter that goes down was
/// reset. Each machine's readings must come in time order. A bucket whose
/// OEE cannot be computed (no planned time, or no ideal rate or
/// production) has quality `uncertain` and only the ratios that can be.
/// On a store, `rollup plant.db --kpi oee --every 1h` reads the stored
/// readings back in time order itself (as `query --order time` does) and
/// writes the KPI records to stdout; the store is not changed.
///
/// --kpi health (factory preset): per machine and bucket, tag `health`,
/// value the score from 0 to 1: health = (w_oee × oee + w_scrap × (1 −
/// scrap_rate) + w_errors × (1 − error_rate)) / (w_oee + w_scrap +
/// w_errors), with oee as --kpi oee computes it, scrap_rate = all scrap
/// over parts produced, error_rate = time in ERROR over planned time, and
/// the weights --weight-oee 0.5, --weight-scrap 0.25, --weight-errors 0.25
/// by default. The record carries each term's share of the score
/// (`health_oee`, `health_scrap`, `health_errors`, which add up to
/// `health`), the inputs `oee`, `scrap_rate`, `error_rate`, and the weights
/// (`weight_oee`, …), so a fall can be traced to its cause. A bucket whose
/// inputs cannot all be computed has quality `uncertain`, no score.
///
/// --kpi incidents (factory preset): one record per downtime incident,
/// written when it ends: a run of a machine's `machine_state` in one down
/// state (--down, default ERROR,MAINTENANCE), from its first reading in that
/// state to the first reading in another. Tag `incident`, `ts` and `start`
/// its start, `end`, `text` and `state` the state, value and `duration_s`
/// its length in seconds, `scrap` the scrap counted during it per reason.
/// --open also writes the incidents still running at the end of input
/// (ending at their machine's last reading, with `open:true`). Per machine
/// and bucket (as --kpi oee's buckets close) a record with tag
/// `reliability`: `incidents` (ended in the bucket), `downtime_s` (their
/// summed durations), `up_s` (time in a known state that is not down),
/// `mttr_s` = downtime_s / incidents and `mtbf_s` = up_s / incidents
/// (both absent without incidents), value the MTTR (0 without).
///
/// On a store (the cron job): `iiot rollup plant.db --every 1m,1h,1d`
/// writes the tables rollup_1m, rollup_1h, rollup_1d (views rollup_1m_v, …)
/// of the store (a SQLite file or a postgresql:// URL), only closed
/// buckets, and records how far it got (table rollup_state), one
/// transaction per series: the next run does only
/// what is new, a re-run changes nothing, a reading stored late for a
/// written bucket makes it recompute (via rollup_pending), and a killed run
/// is completed by the next. A bucket is closed when its series' latest
/// reading is past its end (plus --lateness); `--now TIME` (or `now`) also
/// closes those that end by TIME, for series that stopped reporting, and
/// `--final` every bucket with a reading, for a historical load that is
/// complete. The first run's --tz is kept in the store; another is
/// refused. `--retain raw=30d,1m=365d` then deletes older rows in bounded
/// transactions, never raw readings not yet rolled up (nor the rest of a
/// bucket a late reading must be rolled up into); a reading stored later
/// behind that point is refused by `store` with its reason. On a Parquet
/// lake folder it drops whole date= partitions older than the limit
/// (`raw=AGE`), and whole every=WIDTH/date= partitions of a rollup lake
/// (`1h=AGE`). `--dry-run` says what it would delete. `--archive DIR`
/// (a SQLite or PostgreSQL store) first writes the rows it is about to delete as
/// Parquet, one file per table and UTC day in the lake's layout
/// (DIR/date=D/readings.parquet, DIR/every=1h/date=D/rollup_1h.parquet:
/// `query DIR`, `query DIR --rollup 1h` and DuckDB read them), each
/// fsynced and renamed into place, and deletes only after. A run killed
/// after archiving and before deleting leaves those rows in both the
/// table and the archive — never in neither. See docs/storage.md.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot rollup --every 1m export.ndjson
  iiot rollup --every 10s fixture.ndjson | iiot rollup --every 1m
  iiot simulate --preset factory --duration 8h --interval 30s | iiot rollup --kpi oee --every 1h
  iiot simulate --preset factory --duration 8h --interval 30s | iiot rollup --kpi health --every 1h --weight-oee 0.6
  iiot simulate --preset factory --duration 8h --interval 30s | iiot rollup --kpi incidents --every 1h --open
  iiot rollup --every 1h,1d --tz Europe/Berlin export.ndjson
  iiot rollup plant.db --retain raw=30d --archive archive/")]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    /// Bucket widths, comma-separated: 10s, 1m, 15m, 1h, 1d, 7d (required,
    /// except on a store or lake given only --retain).
    #[arg(long, value_name = "WIDTHS", value_parser = crate::options::widths)]
    pub every: Option<String>,
    /// How long past a bucket's end (by its series' latest reading) to wait
    /// for stragglers before writing it.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = crate::options::nonneg_ms)]
    pub lateness: Millis,
    /// Time zone whose local midnight starts day buckets (Europe/Berlin).
    #[arg(long, value_name = "ZONE", value_parser = crate::options::zone)]
    pub tz: Option<String>,
    /// Instead of statistics per series, a KPI per machine per bucket:
    /// `oee` for the factory preset's tags (see below).
    #[arg(long, value_enum, value_name = "KPI")]
    pub kpi: Option<Kpi>,
    /// On a store or lake: delete rows older than AGE per table, as in
    /// raw=30d,1m=365d (raw readings never before they are rolled up).
    #[arg(long, value_name = "TABLE=AGE,…", value_parser = crate::options::retain_rules)]
    pub retain: Option<String>,
    /// --kpi health: weight of the OEE term.
    #[arg(long, value_name = "W", default_value_t = 0.5, value_parser = weight)]
    pub weight_oee: f64,
    /// --kpi health: weight of the scrap term (1 − scrap rate).
    #[arg(long, value_name = "W", default_value_t = 0.25, value_parser = weight)]
    pub weight_scrap: f64,
    /// --kpi health: weight of the error term (1 − share of planned time in ERROR).
    #[arg(long, value_name = "W", default_value_t = 0.25, value_parser = weight)]
    pub weight_errors: f64,
    /// --kpi incidents: the machine states that make an incident.
    #[arg(
        long,
        value_name = "STATES",
        default_value = "ERROR,MAINTENANCE",
        value_delimiter = ','
    )]
    pub down: Vec<String>,
    /// --kpi incidents: also write the incidents still running at the end of input.
    #[arg(long)]
    pub open: bool,
    /// With --retain on a store: first write the rows to delete as Parquet
    /// under DIR (one file per table and UTC day, DIR/date=D/readings.parquet,
    /// DIR/every=1h/date=D/rollup_1h.parquet), durably, and delete only
    /// then. A run killed between the two leaves rows both in the table and
    /// in the archive; the next run archives them again into the same file,
    /// where each is kept once.
    #[arg(long, value_name = "DIR", requires = "retain")]
    pub archive: Option<PathBuf>,
    /// With --retain: say what would be deleted, delete nothing.
    #[arg(long, requires = "retain")]
    pub dry_run: bool,
    /// On a store: the time now. Buckets that end (plus --lateness) by it
    /// are closed even where a series' latest reading is older (a series
    /// that stopped reporting), and --retain counts ages back from it
    /// (default: buckets close by each series' latest reading; ages count
    /// from the wall clock). `now` is the wall clock.
    #[arg(long, value_name = "TIME", value_parser = crate::options::time_or_now)]
    pub now: Option<Millis>,
    /// On a store: the data is complete (a historical load): close every
    /// bucket that holds a reading, the last ones included.
    #[arg(long, conflicts_with = "now")]
    pub r#final: bool,
    #[command(flatten)]
    pub reject: RejectArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub select: super::args::SelectArgs,
}

/// The KPIs `--kpi` computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kpi {
    /// Overall equipment effectiveness (availability × performance × quality).
    Oee,
    /// A health score from OEE, scrap rate and error rate, with its parts.
    Health,
    /// Downtime incidents, and reliability (MTBF, MTTR) per bucket.
    Incidents,
}

/// A weight of the health score: a finite number of zero or more.
fn weight(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("{s:?} is not a weight (a number of zero or more)")),
    }
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    if !(args.input.inputs.len() == 1
        && (args.input.inputs[0].is_dir() || is_sqlite(&args.input.inputs[0])))
    {
        crate::io::refuse_overwriting_inputs(
            &args.input.inputs,
            &[("--rejects", args.reject.file())],
            true,
        )?;
    }
    let keep = args.select.resolve(None)?;
    if let [path] = args.input.inputs.as_slice() {
        if keep.is_some() && (path.is_dir() || is_sqlite(path)) {
            bail!("--where and --related-to select from a stream of readings, not a store or lake");
        }
        if path.is_dir() {
            return run_lake(&args, path, global);
        }
        if is_sqlite(path) {
            return run_store(&args, path, global);
        }
    }
    if args.retain.is_some() {
        bail!("--retain works on a store (plant.db) or a Parquet lake folder, not on a stream");
    }
    if args.now.is_some() || args.r#final {
        bail!(
            "--now and --final work on a store (plant.db); a stream's buckets close at the end of its input"
        );
    }
    let Some(every) = args.every.as_deref() else {
        bail!("--every is required: the bucket widths, as in --every 1m,1h");
    };
    let widths = Width::parse_list(every)?;
    let lateness = args.lateness;
    let aligner = Aligner::new(args.tz.as_deref())?;

    let mut rejects = args.reject.open("rollup")?;
    let (sink, line_buffered) = stdout_sink(args.output.line_buffered);
    let mut out = RecordWriter::new(sink, args.output.format(), line_buffered);
    let mut tally = Tally {
        keep,
        ..Tally::default()
    };
    let result = match args.kpi {
        None => {
            let mut engine = Engine::new(widths, aligner, lateness);
            stream_all(
                &args.input.inputs,
                &mut engine,
                &mut out,
                &mut rejects,
                &mut tally,
            )
        }
        Some(Kpi::Oee) => {
            let mut engine = KpiEngine::new(widths, aligner);
            kpis::stream_kpi(
                &args.input.inputs,
                &mut engine,
                "oee",
                |reasons, w, b, extra| crate::rollup::kpi::encode(b, reasons, &w.label, extra),
                &mut out,
                &mut rejects,
                &mut tally,
            )
        }
        Some(Kpi::Health) => {
            let mut engine = KpiEngine::new(widths, aligner);
            let weights = crate::rollup::health::Weights {
                oee: args.weight_oee,
                scrap: args.weight_scrap,
                errors: args.weight_errors,
            };
            if weights.oee + weights.scrap + weights.errors <= 0.0 {
                bail!("the health weights add up to zero");
            }
            kpis::stream_kpi(
                &args.input.inputs,
                &mut engine,
                "health",
                |_, w, b, extra| crate::rollup::health::encode(b, &weights, &w.label, extra),
                &mut out,
                &mut rejects,
                &mut tally,
            )
        }
        Some(Kpi::Incidents) => kpis::stream_incidents(
            &args.input.inputs,
            widths,
            aligner,
            args.down.clone(),
            args.open,
            &mut out,
            &mut rejects,
            &mut tally,
        ),
    };
    let flushed = out.flush();
    rejects.finish()?;
    if !global.quiet {
        eprintln!(
            "iiot rollup: read {}, wrote {}, rejected {} ({} late)",
            tally.read,
            tally.wrote,
            rejects.count(),
            tally.late
        );
    }
    result.and(flushed.map_err(Into::into))
}

fn is_sqlite(path: &Path) -> bool {
    matches!(
        Source::detect(path),
        Ok(Source::Sqlite(_) | Source::Postgres(_))
    )
}

/// `--now`, else the wall clock.
fn retain_now(args: &Args) -> Result<Millis> {
    Ok(args.now.unwrap_or_else(crate::time::now_ms))
}

/// The cron job: roll up a store's new closed buckets, then retention.
fn run_store(args: &Args, path: &Path, global: &Global) -> Result<()> {
    if args.kpi.is_some() {
        if args.retain.is_some() {
            bail!("--kpi on a store writes KPI records: give --retain in a run of its own");
        }
        return store_kpi(args, path, global);
    }
    if args.every.is_none() && args.retain.is_none() {
        bail!("on a store give --every (widths to roll up) and/or --retain");
    }
    let mut store = Store::open_upkeep(path)?;
    let name = path.display();
    if let Some(every) = args.every.as_deref() {
        let widths = Width::parse_list(every)?;
        let aligner = Aligner::new(args.tz.as_deref())?;
        let close = match args.now {
            _ if args.r#final => Close::Final,
            Some(now) => Close::At(now),
            None => Close::Latest,
        };
        let report = store.rollup(&RollupRun {
            widths: &widths,
            aligner: &aligner,
            tz: args.tz.as_deref(),
            lateness: args.lateness,
            close,
        })?;
        if !global.quiet {
            let per: Vec<String> = widths
                .iter()
                .zip(&report.written)
                .map(|(w, n)| format!("{} {n}", w.label))
                .collect();
            eprintln!(
                "iiot rollup: {name}: {} series, wrote buckets {}, recomputed {} series for late readings",
                report.series,
                per.join(", "),
                report.recomputed
            );
        }
    }
    if let Some(spec) = args.retain.as_deref() {
        let rules = retain::parse_rules(spec)?;
        let now = retain_now(args)?;
        let verb = if args.dry_run {
            "would delete"
        } else {
            "deleted"
        };
        let deleted = match args.archive.as_deref() {
            Some(dir) if !args.dry_run => {
                let (deleted, archived) = store.retain_archived(&rules, now, dir)?;
                if !global.quiet {
                    eprintln!(
                        "iiot rollup: {name}: archived {} rows in {} files to {}",
                        archived.rows,
                        archived.files,
                        dir.display()
                    );
                }
                deleted
            }
            _ => store.retain(&rules, now, args.dry_run)?,
        };
        for d in deleted {
            if !global.quiet || args.dry_run {
                eprintln!("iiot rollup: {name}: {verb} {d}");
            }
        }
    }
    Ok(())
}

/// `--kpi` on a store: its readings read back in time order (a k-way
/// merge of per-series cursors, as `query --order time` reads them)
/// through the same engine as a stream, records on stdout.
fn store_kpi(args: &Args, path: &Path, global: &Global) -> Result<()> {
    if args.kpi != Some(Kpi::Oee) {
        bail!(
            "on a store --kpi reads oee; for health and incidents pipe the store in time order: iiot query {} --order time | iiot rollup --kpi …",
            path.display()
        );
    }
    let Some(every) = args.every.as_deref() else {
        bail!("--every is required: the bucket widths, as in --every 1h");
    };
    let widths = Width::parse_list(every)?;
    let aligner = Aligner::new(args.tz.as_deref())?;
    let mut engine = KpiEngine::new(widths, aligner);
    let store = Store::open_read(path)?;
    let (sink, line_buffered) = stdout_sink(args.output.line_buffered);
    let mut out = RecordWriter::new(sink, args.output.format(), line_buffered);
    let mut extra = Vec::new();
    let (mut read, mut wrote, mut late) = (0u64, 0u64, 0u64);
    let mut emit = |asset: &str, reasons: &[String], w: &Width, b: &KpiBucket| {
        wrote += 1;
        let oee = kpi::encode(b, reasons, &w.label, &mut extra);
        out.write(&ReadingRef {
            ts: b.start,
            asset,
            tag: "oee",
            value: oee.unwrap_or(0.0),
            unit: "",
            quality: if oee.is_some() {
                Quality::Good
            } else {
                Quality::Uncertain
            },
            text: "",
            fault: "",
            extra: std::str::from_utf8(&extra).unwrap_or_default(),
            encoded: None,
        })
    };
    let result = store
        .read_in_time_order(&crate::store::Selection::all(), u64::MAX, |r| {
            read += 1;
            if !engine.push(r, &mut emit)? {
                late += 1;
            }
            Ok(true)
        })
        .and_then(|()| Ok(engine.finish(&mut emit)?));
    let flushed = out.flush();
    if !global.quiet {
        eprintln!(
            "iiot rollup: {}: read {read}, wrote {wrote}",
            path.display()
        );
    }
    if late > 0 {
        bail!(
            "{late} readings came out of time order from {}",
            path.display()
        );
    }
    result.and(flushed.map_err(Into::into))
}

/// Retention on a Parquet lake folder.
fn run_lake(args: &Args, path: &Path, global: &Global) -> Result<()> {
    let Some(spec) = args.retain.as_deref() else {
        bail!(
            "{} is a folder: on a Parquet lake rollup does --retain only",
            path.display()
        );
    };
    if args.every.is_some() || args.kpi.is_some() {
        bail!("on a Parquet lake rollup does --retain only (no --every, --kpi)");
    }
    if args.archive.is_some() {
        bail!(
            "--archive archives a store's rows before deleting them; a lake's partitions are Parquet already (copy them before --retain)"
        );
    }
    let rules = retain::parse_rules(spec)?;
    let dropped =
        crate::store::lake::retain::retain(path, &rules, retain_now(args)?, args.dry_run)?;
    let verb = if args.dry_run {
        "would drop"
    } else {
        "dropped"
    };
    for p in &dropped {
        if !global.quiet || args.dry_run {
            eprintln!("iiot rollup: {verb} {}", p.display());
        }
    }
    if !global.quiet {
        eprintln!(
            "iiot rollup: {}: {verb} {} partitions",
            path.display(),
            dropped.len()
        );
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    read: u64,
    wrote: u64,
    late: u64,
    /// --where: only readings of these assets are rolled up.
    keep: Option<crate::assets::select::Selected>,
}

/// Reads every input line, parsing readings and rejecting what breaks the
/// contract; `each` gets the good readings with their source, line number
/// and raw bytes.
fn for_each_reading(
    inputs: &[PathBuf],
    rejects: &mut Rejects,
    tally: &mut Tally,
    mut each: impl FnMut(&str, u64, &[u8], &Reading, &mut Rejects) -> Result<()>,
) -> Result<()> {
    crate::io::for_each_record(
        inputs,
        rejects,
        &mut tally.read,
        |name, line_no, bytes, reading, rejects| {
            if reading.is_event() {
                // Alarm events are not readings: nothing to summarise.
                let e = ParseError {
                    field: Some("event"),
                    message: "an alarm event, not a reading".into(),
                };
                return rejects.reject(name, line_no, &e, bytes);
            }
            if tally
                .keep
                .as_ref()
                .is_some_and(|k| !k.contains(&reading.asset))
            {
                return Ok(());
            }
            each(name, line_no, bytes, reading, rejects)
        },
    )
}

fn stream_all<W: std::io::Write>(
    inputs: &[PathBuf],
    engine: &mut Engine,
    out: &mut RecordWriter<W>,
    rejects: &mut Rejects,
    tally: &mut Tally,
) -> Result<()> {
    let mut enc = RollupEncoder::default();
    let mut wrote = 0u64;
    let mut late = 0u64;
    let mut emit = |s: &SeriesInfo, w: &Width, b: &Bucket| {
        wrote += 1;
        out.write(&enc.encode(&s.asset, &s.tag, &s.unit, &w.label, b))
    };
    let result = for_each_reading(
        inputs,
        rejects,
        tally,
        |name, line_no, bytes, reading, rejects| {
            let item = match item_of(reading, engine.aligner()) {
                Ok(i) => i,
                Err(e) => return rejects.reject(name, line_no, &e, bytes),
            };
            let pushed =
                engine.push(&reading.asset, &reading.tag, &reading.unit, item, &mut emit)?;
            if let Err(refusal) = pushed {
                if matches!(refusal, Refusal::Late { .. }) {
                    late += 1;
                }
                rejects.reject(name, line_no, &refusal, bytes)?;
            }
            Ok(())
        },
    )
    .and_then(|()| Ok(engine.finish(&mut emit)?));
    // Counted also when the run stops early (--strict, a closed pipe): the
    // summary tells what was written before.
    tally.wrote = wrote;
    tally.late = late;
    result
}
