//! `iiot query`: readings back out of a store, a Parquet file or a lake,
//! filtered by series globs and time, as a reading stream.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Result, bail};

use super::Global;
use super::args::{FormatArg, TsUnitArg};
use crate::io::stdout_sink;
use crate::patterns::Patterns;
use crate::record::RecordWriter;
use crate::store::lake::columns::ColumnOptions;
use crate::store::lake::parquet::Skipped;
use crate::store::{Reader, Selection};
use crate::time::Millis;

/// Read readings from a store, a Parquet file or a lake.
///
/// SOURCE is a SQLite store written by `iiot store`, one Parquet file, or
/// a folder of Parquet files (a lake, Hive-partitioned by `date=…` and
/// optionally `asset=…`). Output is a reading stream: series sorted by
/// asset, then tag (byte order), each in time order; readings of one
/// series with the same time keep their stored order.
///
/// Filters are pushed down: on a store, series are chosen from the series
/// table and read through the primary key; on Parquet, partition folders
/// outside the range are never opened, row groups whose statistics (time,
/// asset, tag) rule them out are never read, and only the needed columns
/// are decoded. Memory is bounded by a few row groups, not by the files.
///
/// Parquet written by other systems is read too: the time, asset, tag and
/// value columns are found by common names (ts/timestamp/time/datetime/
/// event_time; asset/device/device_id/id/machine/sensor_id; tag/metric/
/// signal/name/parameter; value/val/reading/measurement) or named with
/// --ts-col and friends. Times may be TIMESTAMP of any unit, DATE, an
/// integer or float epoch — its unit guessed from its magnitude (below
/// 1e11 seconds, 1e14 milliseconds, 1e17 microseconds, else nanoseconds)
/// unless --ts-unit says — or text (RFC 3339, or `YYYY-MM-DD HH:MM:SS[.fff]`
/// taken as UTC). A table without a tag column and with several numeric
/// columns is wide: each numeric column becomes a tag of that name. With no
/// asset column the asset is the `asset=` folder or the file's name. Rows
/// with no usable time (null, not finite, outside years 1–9999), values
/// that are null, NaN or infinite, and values of rows with no asset or tag
/// are skipped, counted and reported on stderr. A damaged file or row
/// group of a lake does not hide the rest: every readable one is read, each
/// unreadable one is named on stderr with why, and the exit status is 1.
///
/// --order time writes every selected series merged by time, then asset,
/// then tag — what stream verbs such as `rollup --kpi`, `detect` and
/// `plot` expect of a live stream. On a SQLite or PostgreSQL store by a k-way merge of
/// per-series cursors, each reading pages of 2048 rows through the primary
/// key, so memory does not grow with the number of readings; on a lake a
/// `date=` partition at a time, in date order, each day by a merge of its
/// runs of rows already in time order (a series of a row group, in the
/// lake's own files), each decoded a chunk of rows at a time, the chunks
/// sharing a fixed 262,144 rows, so memory grows neither with the readings
/// nor with the days; a day of under 65,536 rows, or of files in no order,
/// is sorted in memory.
///
/// --rollup WIDTH reads rollup records with every statistic (docs/records.md):
/// on a store from its table rollup_WIDTH (`iiot rollup DB --every WIDTH`),
/// on a lake from its folder every=WIDTH/ (rollup records piped into
/// `iiot store --parquet`, or an archive written by `rollup --archive`).
/// A lake's readings are read without its every=… folders.
///
/// Alarms (a SQLite or PostgreSQL store; a lake keeps no events):
/// --alarms writes the stored alarm events (raised, cleared, acked) by time, as stored;
/// --active writes one alarm state record per alarm that needs attention
/// at --at (default now) in ISA-18.2 terms — `unacked` (active,
/// unacknowledged), `acked` (active, acknowledged) or `rtn_unacked`
/// (returned to normal, never acknowledged) — with when it was raised, by
/// which rule, and who acknowledged it when (docs/records.md); after them
/// the predicted alarms (`forecast --until --events`) whose crossing is
/// not yet past at --at, with `"state":"predicted"` and `"predicted":true`. Both take
/// --asset, --tag, --rule (globs) and --severity; --alarms takes --from
/// and --to.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot query plant.db --asset 'SITE-1/*' --tag 'temp*' --format csv
  iiot query plant.db --latest --tag fuel_level
  iiot query lake --from 2026-01-01T00:00:02Z --to 2026-01-01T00:00:04Z --limit 10
  iiot query lake/date=2026-01-01 --asset '*/BLR-2' | iiot cat -q > blr2.ndjson
  iiot query lake --order time | iiot detect --preset boiler
  iiot rollup --every 1m export.ndjson | iiot store -q --parquet lake1m
  iiot query lake1m --rollup 1m | iiot rollup --every 1h")]
pub struct Args {
    /// A SQLite store, a Parquet file, or a folder of Parquet files.
    pub source: PathBuf,
    /// Asset glob (`WH-0*`, `{A,B}`); repeat or separate with commas for several.
    #[arg(long, value_name = "GLOB")]
    pub asset: Vec<String>,
    /// Tag glob; repeat or separate with commas for several.
    #[arg(long, value_name = "GLOB")]
    pub tag: Vec<String>,
    /// Readings at or after this time (RFC 3339, a date, or epoch ms).
    #[arg(long, value_name = "TIME", value_parser = crate::options::time)]
    pub from: Option<Millis>,
    /// Readings before this time (exclusive).
    #[arg(long, value_name = "TIME", value_parser = crate::options::time)]
    pub to: Option<Millis>,
    /// At most N readings in all.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Only the last reading of each series (in the range), as a current-value tile shows.
    #[arg(long)]
    pub latest: bool,
    /// Read the rollups of this width instead of the readings: a store's table `rollup_1h` (made by `iiot rollup DB --every 1h`) or a lake's folder `every=1h/`, as rollup records with every statistic.
    #[arg(long, value_name = "WIDTH", conflicts_with_all = ["latest", "order"])]
    pub rollup: Option<String>,
    /// Output order: `series` (each series in turn, in time order) or `time` (all series merged by time, then asset, then tag; on a SQLite or PostgreSQL store in memory bounded by a page per series, on a lake by a day's readings).
    #[arg(long, value_enum, default_value_t = Order::Series)]
    pub order: Order,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Ndjson)]
    pub format: FormatArg,
    #[command(flatten)]
    pub columns: ColumnArgs,
    #[command(flatten)]
    pub alarms: AlarmArgs,
    #[command(flatten)]
    pub select: super::args::SelectArgs,
}

/// Alarm events and alarm states out of a store.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Alarms")]
pub struct AlarmArgs {
    /// Write the stored alarm events (raised, cleared, acked) instead of readings, by time.
    #[arg(long)]
    pub alarms: bool,
    /// Write one record per alarm that needs attention (state unacked, acked or rtn_unacked) at --at, then the predicted alarms whose crossing is still ahead (state predicted, "predicted":true).
    #[arg(long)]
    pub active: bool,
    /// With --active: the time to tell the states at (default: now).
    #[arg(long, value_name = "TIME", value_parser = crate::options::time, requires = "active")]
    pub at: Option<Millis>,
    /// Alarms of these rules only (globs); repeat or separate with commas.
    #[arg(long, value_name = "GLOB")]
    pub rule: Vec<String>,
    /// Alarms of these severities only (low, medium, high, critical); repeat or separate with commas.
    #[arg(long, value_name = "SEVERITY", value_delimiter = ',')]
    pub severity: Vec<String>,
}

/// The order `query` writes readings in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Order {
    /// Series by series (asset, then tag), each in time order.
    Series,
    /// Every series merged by time, then asset, then tag.
    Time,
}

/// How to find readings in Parquet that other systems wrote.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Foreign Parquet")]
pub struct ColumnArgs {
    /// The time column (default: ts, timestamp, time, datetime or event_time).
    #[arg(long, value_name = "COLUMN")]
    pub ts_col: Option<String>,
    /// The asset column (default: asset, device, device_id, id, machine or sensor_id).
    #[arg(long, value_name = "COLUMN")]
    pub asset_col: Option<String>,
    /// The tag column (default: tag, metric, signal, name or parameter).
    #[arg(long, value_name = "COLUMN")]
    pub tag_col: Option<String>,
    /// The value column (default: value, val, reading or measurement).
    #[arg(long, value_name = "COLUMN")]
    pub value_col: Option<String>,
    /// The unit of an integer or float time column (default: guessed from its magnitude).
    #[arg(long, value_enum, value_name = "UNIT")]
    pub ts_unit: Option<TsUnitArg>,
}

impl ColumnArgs {
    pub(crate) fn options(&self) -> ColumnOptions {
        ColumnOptions {
            ts: self.ts_col.clone(),
            asset: self.asset_col.clone(),
            tag: self.tag_col.clone(),
            value: self.value_col.clone(),
            ts_unit: self.ts_unit.map(Into::into),
        }
    }
}

impl Args {
    pub(crate) fn selection(&self) -> Result<Selection> {
        let (from, to) = (self.from, self.to);
        let sel = Selection {
            assets: Patterns::new("asset", &self.select.asset_globs(None, &self.asset)?)?,
            tags: Patterns::new("tag", &self.tag)?,
            from: from.unwrap_or(i64::MIN),
            to: to.unwrap_or(i64::MAX),
        };
        if sel.from >= sel.to {
            bail!("--from must be before --to");
        }
        Ok(sel)
    }
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    if args.alarms.alarms || args.alarms.active {
        return super::query_alarms::run(&args, global);
    }
    if !args.alarms.rule.is_empty() || !args.alarms.severity.is_empty() {
        bail!("--rule and --severity choose alarms: give them with --alarms or --active");
    }
    let sel = args.selection()?;
    let reader = Reader::open(&args.source, &args.columns.options(), &sel)?;
    // Files and folders that could not be read (or read in full): each is
    // named on stderr as it is found, the rest is read, and the run ends
    // with exit 1.
    let mut unreadable = 0usize;
    if let Some((files, pruned)) = reader.listed()
        && global.verbose > 0
    {
        eprintln!("iiot query: {files} files, {pruned} partitions pruned");
    }
    for u in reader.unreadable() {
        eprintln!("iiot query: {u}");
        unreadable += 1;
    }
    let (sink, line_buffered) = stdout_sink(false);
    let mut out = RecordWriter::new(sink, args.format.into(), line_buffered);
    let mut wrote = 0u64;
    let result = read(&reader, &sel, &args, global, &mut out, &mut wrote);
    if wrote == 0 && args.rollup.is_none() && !global.quiet {
        for w in reader.rollup_widths() {
            eprintln!(
                "iiot query: {} also holds rollup records of width {w}: read them with --rollup {w}",
                args.source.display()
            );
        }
    }
    unreadable += tell_bad_row_groups(&reader);
    let result = result.and(out.flush().map_err(Into::into));
    // A closed pipe (`| head`) ends quietly.
    let closed = result.as_ref().is_err_and(crate::io::is_broken_pipe);
    if !global.quiet && !closed {
        eprintln!("iiot query: wrote {wrote}");
    }
    result?;
    if unreadable > 0 {
        let (n, verb) = if unreadable == 1 {
            ("", "was")
        } else {
            ("s", "were")
        };
        bail!(
            "{unreadable} file{n} or folder{n} of {} {verb} not read in full (named above): \
             the output lacks what could not be read",
            args.source.display()
        );
    }
    Ok(())
}

/// Names on stderr each row group a read skipped as unreadable; returns
/// how many files had one.
fn tell_bad_row_groups(reader: &Reader) -> usize {
    let bad = reader.bad_row_groups();
    for b in &bad {
        eprintln!(
            "iiot query: skipped row group {} of {} ({} rows), unreadable: {}",
            b.index, b.file, b.rows, b.why
        );
    }
    let mut files: Vec<&str> = bad.iter().map(|b| b.file.as_str()).collect();
    files.dedup();
    files.len()
}

/// Writes the selected readings (or the latest of each series), with a
/// progress bar and, at the end, what could not be read as readings.
fn read<W: std::io::Write>(
    reader: &Reader,
    sel: &Selection,
    args: &Args,
    global: &Global,
    out: &mut RecordWriter<W>,
    wrote: &mut u64,
) -> Result<()> {
    if global.verbose > 0 {
        for m in reader.mappings() {
            eprintln!("iiot query: {m}");
        }
    }
    let limit = args.limit.unwrap_or(u64::MAX);
    let bar = progress(reader.bytes(), global);
    let mut on_unit = |bytes: u64| bar.inc(bytes);
    let emit = |r: &crate::record::ReadingRef<'_>| -> Result<()> {
        out.write(r)?;
        *wrote += 1;
        Ok(())
    };
    if let Some(width) = args.rollup.as_deref() {
        let label = match crate::rollup::buckets::Width::parse_list(width)?.as_slice() {
            [w] => w.label.clone(),
            _ => bail!("--rollup takes one width, as in --rollup 1h"),
        };
        use crate::store::rows::read_rollups;
        match reader {
            crate::store::Reader::Sqlite(store) => read_rollups(store, &label, sel, limit, emit)?,
            crate::store::Reader::Postgres(store) => read_rollups(store, &label, sel, limit, emit)?,
            crate::store::Reader::Parquet(_) if args.source.is_dir() => {
                crate::store::lake::rollup_read::read_rollups(
                    &args.source,
                    &label,
                    sel,
                    limit,
                    emit,
                )?
            }
            _ => bail!(
                "--rollup reads a store's rollup tables or a lake's every={label} folder, not one Parquet file"
            ),
        }
        bar.finish_and_clear();
        return Ok(());
    }
    let skipped = if args.latest {
        reader.latest(sel, limit, &mut on_unit, emit)?
    } else if args.order == Order::Time {
        reader.read_in_time_order(sel, limit, &mut on_unit, emit)?
    } else {
        reader.read(sel, limit, &mut on_unit, emit)?
    };
    bar.finish_and_clear();
    if !global.quiet {
        tell_skipped(&skipped);
    }
    Ok(())
}

/// Says how many rows and values could not be readings.
fn tell_skipped(skipped: &Skipped) {
    for (n, what) in [
        (skipped.no_time, "rows without a usable time"),
        (skipped.no_value, "values that were null, NaN or infinite"),
        (skipped.no_name, "values of rows without an asset or a tag"),
    ] {
        if n > 0 {
            eprintln!("iiot query: skipped {n} {what}");
        }
    }
}

/// A bar of bytes read, on stderr when it is a terminal, not under -q,
/// and only for work worth watching (over 64 MiB).
pub(crate) fn progress(total: u64, global: &Global) -> indicatif::ProgressBar {
    if global.quiet || total < 64 << 20 || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:30} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}
