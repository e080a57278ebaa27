//! `iiot query`: readings back out of a store, a Parquet file or a lake,
//! filtered by series globs and time, as a reading stream.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Result, bail};

use crate::cli::Global;
use crate::io::stdout_sink;
use crate::read::columns::{ColumnOptions, TsUnit};
use crate::read::merge::{self, Owned};
use crate::read::parquet::{ParquetFile, Row, Skipped, single};
use crate::read::sqlite::Store;
use crate::read::{Patterns, Selection, Source, footer, lake};
use crate::record::{Format, ReadingRef, RecordWriter};
use crate::time::parse_time_arg;

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
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot query plant.db --asset 'SITE-1/*' --tag 'temp*' --format csv
  iiot query plant.db --latest --tag fuel_level
  iiot query lake --from 2026-01-01T00:00:02Z --to 2026-01-01T00:00:04Z --limit 10
  iiot query lake/date=2026-01-01 --asset '*/BLR-2' | iiot cat -q > blr2.ndjson")]
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
    #[arg(long, value_name = "TIME", value_parser = crate::options::time_text)]
    pub from: Option<String>,
    /// Readings before this time (exclusive).
    #[arg(long, value_name = "TIME", value_parser = crate::options::time_text)]
    pub to: Option<String>,
    /// At most N readings in all.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Only the last reading of each series (in the range), as a current-value tile shows.
    #[arg(long)]
    pub latest: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Ndjson)]
    pub format: Format,
    #[command(flatten)]
    pub columns: ColumnArgs,
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
    pub ts_unit: Option<TsUnit>,
}

impl ColumnArgs {
    pub(crate) fn options(&self) -> ColumnOptions {
        ColumnOptions {
            ts: self.ts_col.clone(),
            asset: self.asset_col.clone(),
            tag: self.tag_col.clone(),
            value: self.value_col.clone(),
            ts_unit: self.ts_unit,
        }
    }
}

impl Args {
    pub(crate) fn selection(&self) -> Result<Selection> {
        let from = self.from.as_deref().map(parse_time_arg).transpose()?;
        let to = self.to.as_deref().map(parse_time_arg).transpose()?;
        let sel = Selection {
            assets: Patterns::new("asset", &self.asset)?,
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
    let sel = args.selection()?;
    let source = Source::detect(&args.source)?;
    let (sink, line_buffered) = stdout_sink(false);
    let mut out = RecordWriter::new(sink, args.format, line_buffered);
    let mut wrote = 0u64;
    let limit = args.limit.unwrap_or(u64::MAX);
    // Files and folders that could not be read (or read in full): each is
    // named on stderr as it is found, the rest is read, and the run ends
    // with exit 1.
    let mut unreadable = 0usize;
    let result = match &source {
        Source::Sqlite(path) => query_store(path, &sel, args.latest, limit, &mut out, &mut wrote),
        Source::ParquetFile(path) => {
            let mut file = ParquetFile::open(&single(path), &args.columns.options(), &sel)?;
            file.skip_unreadable();
            let files = vec![file];
            let r = query_parquet(&files, &sel, &args, global, &mut out, &mut wrote);
            unreadable += tell_unreadable_row_groups(&files);
            r
        }
        Source::Lake(root) => {
            let listing = lake::list(root, &sel)?;
            if global.verbose > 0 {
                eprintln!(
                    "iiot query: {} files, {} partitions pruned",
                    listing.files.len(),
                    listing.pruned_partitions
                );
            }
            for (dir, why) in &listing.unreadable {
                eprintln!("iiot query: skipping {}: {why}", dir.display());
                unreadable += 1;
            }
            let opts = args.columns.options();
            let mut files = Vec::with_capacity(listing.files.len());
            for f in &listing.files {
                match ParquetFile::open(f, &opts, &sel) {
                    Ok(mut pf) => {
                        pf.skip_unreadable();
                        files.push(pf);
                    }
                    Err(e) => {
                        // The file's ends say what is missing in plain words
                        // when that is what is wrong.
                        let why = match footer::check_ends(&f.path) {
                            Err(problem) => format!("{}: {problem}", f.path.display()),
                            Ok(_) => format!("{e:#}"),
                        };
                        eprintln!("iiot query: skipping an unreadable file: {why}");
                        unreadable += 1;
                    }
                }
            }
            let r = query_parquet(&files, &sel, &args, global, &mut out, &mut wrote);
            unreadable += tell_unreadable_row_groups(&files);
            r
        }
    };
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

/// Names on stderr each row group a file skipped as unreadable; returns
/// how many files had one.
fn tell_unreadable_row_groups(files: &[ParquetFile]) -> usize {
    let mut n = 0;
    for f in files {
        let bad = f.unreadable();
        for (rg, why) in &bad {
            eprintln!(
                "iiot query: skipped row group {rg} of {} ({} rows), unreadable: {why}",
                f.name(),
                f.meta.metadata().row_group(*rg).num_rows()
            );
        }
        n += usize::from(!bad.is_empty());
    }
    n
}

fn query_store<W: std::io::Write>(
    path: &std::path::Path,
    sel: &Selection,
    latest: bool,
    limit: u64,
    out: &mut RecordWriter<W>,
    wrote: &mut u64,
) -> Result<()> {
    let store = Store::open(path)?;
    let mut reading = crate::record::Reading::default();
    for s in store.series(sel)? {
        if *wrote >= limit {
            break;
        }
        let go_on = store.read_series(&s, sel, latest, &mut reading, &mut |r| {
            out.write(&r.as_ref())?;
            *wrote += 1;
            Ok(*wrote < limit)
        })?;
        if !go_on {
            break;
        }
    }
    Ok(())
}

fn write_row<W: std::io::Write>(out: &mut RecordWriter<W>, r: &Row<'_>) -> std::io::Result<()> {
    out.write(&ReadingRef {
        ts: r.ts,
        asset: r.asset,
        tag: r.tag,
        value: r.value,
        unit: r.unit,
        quality: r.quality,
        text: r.text,
        fault: "",
        extra: "",
        encoded: None,
    })
}

fn query_parquet<W: std::io::Write>(
    files: &[ParquetFile],
    sel: &Selection,
    args: &Args,
    global: &Global,
    out: &mut RecordWriter<W>,
    wrote: &mut u64,
) -> Result<()> {
    if global.verbose > 0 {
        for f in files {
            eprintln!(
                "iiot query: {}: {}",
                f.name(),
                f.mapping.describe(f.meta.schema())
            );
        }
    }
    let limit = args.limit.unwrap_or(u64::MAX);
    let mut skipped = Skipped::default();
    let total: u64 = files
        .iter()
        .map(|f| std::fs::metadata(&f.path).map_or(0, |m| m.len()))
        .sum();
    let bar = progress(total, global);
    let mut on_unit = |bytes: u64| bar.inc(bytes);
    if args.latest {
        let mut last: HashMap<(String, String), Owned> = HashMap::new();
        let mut strings: HashMap<String, std::rc::Rc<str>> = HashMap::new();
        let mut rc = |s: &str| {
            strings
                .entry(s.to_string())
                .or_insert_with(|| std::rc::Rc::from(s))
                .clone()
        };
        for f in files {
            if !f.may_match(sel) {
                continue;
            }
            for rg in 0..f.num_row_groups() {
                if !f.row_group_may_match(rg, sel) {
                    continue;
                }
                f.read_row_group(rg, sel, &mut skipped, &mut |r| {
                    let key = (r.asset.to_string(), r.tag.to_string());
                    let newer = last.get(&key).is_none_or(|o| r.ts >= o.ts);
                    if newer {
                        let o = Owned {
                            ts: r.ts,
                            asset: rc(r.asset),
                            tag: rc(r.tag),
                            value: r.value,
                            unit: rc(r.unit),
                            quality: r.quality,
                            text: rc(r.text),
                        };
                        last.insert(key, o);
                    }
                    Ok(())
                })?;
                on_unit(f.meta.metadata().row_group(rg).compressed_size().max(0) as u64);
            }
        }
        let mut rows: Vec<Owned> = last.into_values().collect();
        rows.sort_by(|a, b| (&*a.asset, &*a.tag).cmp(&(&*b.asset, &*b.tag)));
        for o in rows
            .iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
        {
            write_row(out, &o.row())?;
            *wrote += 1;
        }
    } else if limit > 0 {
        merge::merged(files, sel, &mut skipped, &mut on_unit, &mut |r| {
            write_row(out, r)?;
            *wrote += 1;
            Ok(*wrote < limit)
        })?;
    }
    bar.finish_and_clear();
    if !global.quiet {
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
    Ok(())
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
