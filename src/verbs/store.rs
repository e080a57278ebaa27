//! `iiot store`: readings and alarm events into a SQLite historian or a
//! Parquet lake.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Result;

use super::Global;
use super::args::{InputArgs, ModelArgs, OnConflictArg, RejectArgs, SyncArg, ValueEncodingArg};
use crate::io::{Next, ReadOptions, Records, Rejects, Wait, stdout_sink};
use crate::model;
use crate::options::Partitioning;
use crate::record::{Format, RecordWriter};
use crate::store::lake::{Lake, LakeConfig};
use crate::store::postgres::{PgOptions, PgWriter};
use crate::store::sqlite::{self, SqliteStore};
use crate::store::{Counts, Origin, Unstored, Writer};

/// Store readings and alarm events in a SQLite historian or a Parquet lake.
///
/// SQLite (the default, `iiot store plant.db`): a series dictionary, a
/// `WITHOUT ROWID` readings table keyed by series and epoch-ms time, the
/// view `readings_v(ts, asset, tag, value, unit, quality)` for sqlite3 and
/// Grafana, alarm event lines in `alarm_events` (docs/storage.md). Writes
/// are batched: a transaction ends at --batch-rows readings or when its
/// first reading is --batch-time old, even while the input is quiet, so a
/// live stream is durable within a second. A replay adds nothing: a
/// reading of a series and time already stored is a duplicate
/// (--on-conflict replace overwrites it when it differs).
///
/// Rollup records (`every` and `count`, as `iiot rollup --every` writes
/// them) go to the table `rollups` (view `rollups_v`), keyed by series,
/// width and bucket start, apart from the readings and from the tables
/// `iiot rollup plant.db --every …` keeps itself; KPI records such as
/// `rollup --kpi oee`'s (no `count`) are readings of their own tag.
///
/// Nothing read is lost: a commit that waits for another writer's lock
/// says so once and waits up to --busy-timeout; if it gives up, or the disk
/// is full, every record of the batch goes to the rejects with the reason,
/// the summary says how many, and store exits 1. A reading older than where
/// `rollup --retain` has deleted its series' raw readings (after rolling
/// them up) is rejected: it could be neither kept nor rolled up. With
/// --tee, a closed stdout (`| head`) ends the copy with one message and
/// storing goes on to the end of the input.
///
/// Parquet (`--parquet lake/`): Hive partitions `date=YYYY-MM-DD`, columns
/// ts, asset, tag, unit, value, quality, text; files rolled by rows and by
/// age, written under a hidden temporary name and renamed when complete.
/// The lake holds readings: an alarm event line is rejected (and counted),
/// and so is a reading whose partition folder cannot be made (with
/// `date,asset`, an asset name too long for a folder name); every other
/// partition is written. A write that fails (a full disk) is said with its
/// cause, leaves no temporary file, and ends the run with exit 1 after the
/// summary of what reached the lake's files.
///
/// PostgreSQL (`postgresql://…` or `postgres://…`): the SQLite layout
/// (readings keyed by series and epoch-ms time, views with timestamptz
/// times), batches by binary COPY into a staging table and one INSERT …
/// ON CONFLICT, so a replay adds nothing; --on-conflict, --batch-rows and
/// --batch-time as for SQLite. A lost connection is said once and retried
/// with backoff for --reconnect-for, the batch in hand kept. No TLS: a
/// database on this host or a trusted network.
///
/// At the end: `read N, stored M, duplicates D, rejected K` on stderr.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot simulate --preset wellhead --duration 10m | iiot store plant.db
  sqlite3 plant.db 'SELECT asset, count(*) FROM readings_v GROUP BY asset LIMIT 3'
  iiot simulate --preset boiler --duration 1h | iiot store --parquet lake/
  iiot simulate --preset fermenter --count 60 | iiot store --tee ferm.db | iiot cat -q --format csv | head -3
  iiot simulate --preset wellhead --duration 10m | iiot store postgresql://iiot@127.0.0.1/plant   # needs a running server")]
pub struct Args {
    /// The SQLite file to write (created if missing), with --parquet the
    /// lake folder, or a PostgreSQL database: `postgresql://user@host:port/db`
    /// (PGHOST, PGPORT, PGUSER, PGDATABASE fill what it leaves out; the
    /// password only from PGPASSWORD: a URL with one is refused).
    pub target: PathBuf,
    #[command(flatten)]
    pub input: InputArgs,
    /// Write a Parquet lake into the TARGET folder instead of SQLite.
    #[arg(long)]
    pub parquet: bool,
    /// Partition the lake by `date` or by `date,asset`.
    #[arg(long, value_name = "KEYS", default_value = "date", value_parser = crate::options::partition_by)]
    pub partition_by: Partitioning,
    /// Lake: write a partition's file once it holds this many rows.
    #[arg(long, value_name = "N", default_value_t = 1_000_000, value_parser = crate::options::at_least_one)]
    pub roll_rows: usize,
    /// Lake: write a partition's file once its first row is this old.
    #[arg(long, value_name = "DURATION", default_value = "1m", value_parser = crate::options::positive_duration)]
    pub roll_age: Duration,
    /// Lake: encoding of the value column (dictionary measured smallest on simulated plant data: 2.26 MB vs plain 2.46 MB vs byte-stream-split 4.46 MB for 2 h of wellhead).
    #[arg(long, value_enum, default_value_t = ValueEncodingArg::Dictionary)]
    pub value_encoding: ValueEncodingArg,
    /// SQLite: durability of each commit.
    #[arg(long, value_enum, default_value_t = SyncArg::Normal)]
    pub sync: SyncArg,
    /// SQLite: a reading of a series and time already stored is kept (ignore) or overwritten (replace).
    #[arg(long, value_enum, default_value_t = OnConflictArg::Ignore)]
    pub on_conflict: OnConflictArg,
    /// SQLite: commit after this many readings.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub batch_rows: usize,
    /// SQLite: commit once the first uncommitted reading is this old.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = crate::options::positive_duration)]
    pub batch_time: Duration,
    /// The model: units and descriptions of its series are recorded, and a
    /// reading without a unit takes the model's.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Pass every record on to stdout, so store can stand mid-pipeline.
    #[arg(long)]
    pub tee: bool,
    #[command(flatten)]
    pub reject: RejectArgs,
    /// SQLite: how long a commit waits for another process's write lock
    /// (a retention run, a second store) before its batch goes to the
    /// rejects and store stops.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = crate::options::nonneg_duration)]
    pub busy_timeout: Duration,
    /// PostgreSQL: how long to keep reconnecting, with the batch in hand,
    /// after the connection is lost, before the batch goes to the rejects.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = crate::options::nonneg_duration)]
    pub reconnect_for: Duration,
}

/// asset → tag → unit, from the model.
type Units = HashMap<String, HashMap<String, String>>;

#[derive(Default)]
struct Tally {
    read: u64,
    /// Records read but not stored after a failure, written to the rejects.
    unstored: u64,
    /// The names of the inputs, by their number in an [`Origin`].
    sources: Vec<String>,
}

type Tee = Option<RecordWriter<std::io::StdoutLock<'static>>>;

pub fn run(args: Args, global: &Global) -> Result<()> {
    crate::io::refuse_overwriting_inputs(
        &args.input.inputs,
        &[
            ("--rejects", args.reject.file()),
            ("the store", Some(args.target.as_path())),
        ],
        args.tee,
    )?;
    let batch_time = args.batch_time;
    let busy_timeout = args.busy_timeout;
    let model = args.model.given()?;
    let mut target = open_target(&args, model.as_ref(), busy_timeout, global)?;
    let mut units: Units = HashMap::new();
    for row in model
        .iter()
        .flat_map(|m| m.rows.iter())
        .filter(|r| !r.unit.is_empty())
    {
        units
            .entry(row.asset.clone())
            .or_default()
            .insert(row.tag.clone(), row.unit.clone());
    }
    let mut rejects = args.reject.open("store")?;
    let mut tee = args.tee.then(|| {
        let (sink, line_buffered) = stdout_sink(false);
        RecordWriter::new(sink, Format::Ndjson, line_buffered)
    });
    let mut tally = Tally::default();
    let result = store_all(
        &args,
        &mut target,
        &units,
        &mut rejects,
        &mut tee,
        &mut tally,
        batch_time,
        global,
    );
    let (closed, result) = close_target(target, result, &mut rejects, &mut tally);
    let forecasts = closed.as_ref().map_or(0, |c| c.forecasts);
    let closed = closed.map(|c| (c.stored, c.duplicates, c.replaced, c.events, c.rollups));
    let flushed = match &mut tee {
        Some(t) => tee_closed(t.flush(), &mut None, global),
        None => Ok(()),
    };
    rejects.finish()?;
    let (stored, duplicates, replaced, events, rollups) = closed?;
    if !global.quiet {
        let replaced = if args.on_conflict == OnConflictArg::Replace {
            format!(", replaced {replaced}")
        } else {
            String::new()
        };
        let mut also = Vec::new();
        if events > 0 {
            also.push(format!("{events} events"));
        }
        if rollups > 0 {
            also.push(format!("{rollups} rollup records"));
        }
        if forecasts > 0 {
            also.push(format!("{forecasts} forecast records"));
        }
        let also = if also.is_empty() {
            String::new()
        } else {
            format!(" (and {})", also.join(", "))
        };
        let unstored = if tally.unstored > 0 {
            format!(
                " ({} of them not stored after the failure below)",
                tally.unstored
            )
        } else {
            String::new()
        };
        eprintln!(
            "iiot store: read {}, stored {stored}{also}, duplicates {duplicates}{replaced}, rejected {}{unstored}",
            tally.read,
            rejects.count()
        );
    }
    result.and(flushed)
}

/// The SQLite store or the lake the records go to, opened.
fn open_target(
    args: &Args,
    model: Option<&model::Model>,
    busy_timeout: Duration,
    global: &Global,
) -> Result<Writer> {
    if let Some(url) = args
        .target
        .to_str()
        .filter(|t| crate::store::postgres::is_url(t))
    {
        if args.parquet {
            anyhow::bail!("--parquet writes a folder, not a PostgreSQL database");
        }
        let mut store = PgWriter::open(
            url,
            PgOptions {
                on_conflict: args.on_conflict.into(),
                reconnect_for: args.reconnect_for,
                quiet: global.quiet,
            },
        )?;
        if let Some(m) = model {
            store.describe(m)?;
        }
        return Ok(Writer::Postgres(store));
    }
    Ok(if args.parquet {
        Writer::Lake(Lake::open(LakeConfig {
            dir: args.target.clone(),
            by_asset: args.partition_by == Partitioning::DateAsset,
            roll_rows: args.roll_rows,
            roll_age: args.roll_age,
            value_encoding: args.value_encoding.into(),
        })?)
    } else {
        let mut store = SqliteStore::open(
            &args.target,
            sqlite::Options {
                sync: args.sync.into(),
                on_conflict: args.on_conflict.into(),
                busy_timeout,
                quiet: global.quiet,
            },
        )?;
        if let Some(m) = model {
            store.describe(m)?;
        }
        Writer::Sqlite(store)
    })
}

/// Commits what is left and closes the target: what was stored, and the
/// run's result with the closing's errors. What came before a failure is
/// committed and accounted for; what could not be committed goes to the
/// rejects.
fn close_target(
    mut target: Writer,
    mut result: Result<()>,
    rejects: &mut Rejects,
    tally: &mut Tally,
) -> (Result<Counts>, Result<()>) {
    // Under --strict, or after an input error, what came before is still
    // committed.
    if !target.failed() {
        let committed = commit(&mut target, rejects, tally);
        if let (Ok(()), Err(e)) = (&result, committed) {
            result = Err(e);
        }
    }
    if target.failed()
        && let Err(e) = &result
        && let Some(lost) = reject_unstored(&mut target, e, rejects, tally)
    {
        result = Err(lost);
    }
    // What reached a lake's files is told even when a write failed; the
    // first error is the one returned, a later one is said.
    let (closed, finished) = target.close();
    let result = match (result, finished) {
        (Ok(()), finished) => finished,
        (Err(e), Ok(())) => Err(e),
        (Err(e), Err(later)) => {
            eprintln!("iiot store: {later:#}");
            Err(e)
        }
    };
    (closed, result)
}

/// Commits the open batch and rejects what the commit refused.
fn commit(target: &mut Writer, rejects: &mut Rejects, tally: &mut Tally) -> Result<()> {
    target.commit()?;
    reject_refused(target, rejects, tally)
}

/// Rejects what the last commits refused.
fn reject_refused(target: &mut Writer, rejects: &mut Rejects, tally: &mut Tally) -> Result<()> {
    for u in target.take_refused() {
        let source = tally.sources.get(u.origin.source as usize);
        rejects.reject(
            source.map_or("?", String::as_str),
            u.origin.line,
            &u.reason,
            u.record.as_bytes(),
        )?;
    }
    Ok(())
}

/// After a failed commit: every record of the batch to the rejects, with
/// the failure as the reason. Returns an error only if the rejects could
/// not be written either, saying how many records are lost.
fn reject_unstored(
    store: &mut Writer,
    err: &anyhow::Error,
    rejects: &mut Rejects,
    tally: &mut Tally,
) -> Option<anyhow::Error> {
    let reason = format!("not stored: {err:#}");
    let unstored: Vec<Unstored> = store.take_unstored(&reason);
    let total = unstored.len() as u64;
    for (i, u) in unstored.iter().enumerate() {
        let source = tally.sources.get(u.origin.source as usize);
        if let Err(e) = rejects.lost(
            source.map_or("?", String::as_str),
            u.origin.line,
            &u.reason,
            u.record.as_bytes(),
        ) {
            let lost = total - i as u64;
            return Some(anyhow::anyhow!(
                "{err:#}; and {lost} records read but not stored could not be written to the rejects either: {e:#}"
            ));
        }
        tally.unstored += 1;
    }
    if total > 0 {
        eprintln!(
            "iiot store: {total} records read but not stored are in the rejects ({})",
            rejects.describe()
        );
    }
    None
}

/// A write to the --tee copy failed: a closed stdout ends the copy with one
/// message and storing goes on; another error stops the run.
fn tee_closed(written: std::io::Result<()>, tee: &mut Tee, global: &Global) -> Result<()> {
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            if !global.quiet {
                eprintln!(
                    "iiot store: stdout closed: --tee passes no more records on; storing goes on"
                );
            }
            *tee = None;
            Ok(())
        }
        Err(e) => Err(anyhow::Error::new(e).context("writing the --tee copy to stdout")),
    }
}

#[allow(clippy::too_many_arguments)]
fn store_all(
    args: &Args,
    target: &mut Writer,
    units: &Units,
    rejects: &mut Rejects,
    tee: &mut Tee,
    tally: &mut Tally,
    batch_time: Duration,
    global: &Global,
) -> Result<()> {
    let mut records = Records::open(
        &args.input.inputs,
        ReadOptions {
            encode: args.tee.then_some(Format::Ndjson),
            progress: true,
        },
        global.quiet,
    );
    tally.sources = records.names().to_vec();
    let result = store_records(
        args,
        &mut records,
        target,
        units,
        rejects,
        tee,
        tally,
        batch_time,
        global,
    );
    tally.read = records.read();
    result
}

#[allow(clippy::too_many_arguments)]
fn store_records(
    args: &Args,
    records: &mut Records,
    target: &mut Writer,
    units: &Units,
    rejects: &mut Rejects,
    tee: &mut Tee,
    tally: &mut Tally,
    batch_time: Duration,
    global: &Global,
) -> Result<()> {
    let mut batch_started: Option<Instant> = None;
    let mut since_clock = 0u32;
    loop {
        // While the input is quiet, the clock still commits.
        let wait = match target.next_due(batch_started, batch_time) {
            Some(due) => Wait::Until(due),
            None => Wait::Forever,
        };
        let rec = match records.next(rejects, wait)? {
            Next::Record(rec) => rec,
            Next::End => return Ok(()),
            Next::Quiet => {
                commit_due(target, &mut batch_started, rejects, tally)?;
                if let Some(t) = tee {
                    let flushed = t.flush();
                    tee_closed(flushed, tee, global)?;
                }
                continue;
            }
        };
        let (name, line_no, raw) = (rec.source, rec.line, rec.raw);
        let reading = rec.reading;
        let mut unit_filled = false;
        if reading.unit.is_empty()
            && !units.is_empty()
            && let Some(u) = units.get(&reading.asset).and_then(|t| t.get(&reading.tag))
        {
            reading.unit.clone_from(u);
            unit_filled = true;
        }
        let origin = Origin {
            source: rec.input,
            line: line_no,
        };
        if let Err(e) = target.add(reading, raw, origin)? {
            rejects.reject(name, line_no, &e, raw)?;
            continue;
        }
        batch_started.get_or_insert_with(Instant::now);
        if let Some(t) = tee {
            let written = if unit_filled {
                t.write(&reading.as_ref())
            } else {
                t.write_encoded(rec.encoded)
            };
            tee_closed(written, tee, global)?;
        }
        since_clock += 1;
        if target.batch_full(args.batch_rows) {
            commit(target, rejects, tally)?;
            batch_started = None;
        } else if since_clock >= 256 {
            // The clock is read every 256 records: a fast stream needs no
            // finer, a slow one is caught by the wait above.
            since_clock = 0;
            if batch_started.is_some_and(|t| t.elapsed() >= batch_time) {
                commit_due(target, &mut batch_started, rejects, tally)?;
            }
        }
    }
}

/// Writes what is due, and rejects what a commit refused.
fn commit_due(
    target: &mut Writer,
    batch_started: &mut Option<Instant>,
    rejects: &mut Rejects,
    tally: &mut Tally,
) -> Result<()> {
    if target.commit_due()? {
        *batch_started = None;
    }
    reject_refused(target, rejects, tally)
}
