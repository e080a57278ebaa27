//! `iiot inspect`: a forensic report on a store, a Parquet file or a lake —
//! layout, series, gaps, duplicates, out-of-order rows, damaged files.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use serde::Serialize;

use super::Global;
use super::query::{ColumnArgs, progress};
use crate::store::lake::footer::{self, Layout};
use crate::store::lake::list::{self, LakeFile};
use crate::store::lake::parquet::{ParquetFile, Skipped, single};
use crate::store::sqlite::inspect::StoreInfo;
use crate::store::stats::{Gap, GapFinder, Point, Stats};
use crate::store::{Selection, Source, Store};
use crate::time::{Millis, TsFormatter};

/// Report what a store, a Parquet file or a lake holds, and what is wrong
/// with it.
///
/// For Parquet: each file's schema, row groups with their rows, sizes,
/// compression and encodings, and how its columns map to readings (see
/// `iiot query --help` for files other systems wrote). For a store: its
/// schema version, pages and row counts. For both: the rows, the time
/// span, and per series its count, min, max, first and last values (by
/// time), the median interval between readings, gaps (intervals longer
/// than --gap-factor times the median; up to 100 listed per series),
/// duplicates (a row with the same time as the latest before it in its
/// series) and out-of-order rows (earlier than that), in stored order.
///
/// A damaged Parquet file — empty, truncated, without its footer, a footer
/// length past the end, an unreadable row group — is reported with what is
/// missing, the other files are still reported, and the exit code is 1.
///
/// Output is a table when stdout is a terminal and JSON otherwise (or
/// always with --json).
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot inspect plant.db
  iiot inspect lake --gap-factor 3 --json > report.json
  iiot inspect lake/date=2026-01-01/part-fixture.parquet")]
pub struct Args {
    /// A SQLite store, a Parquet file, or a folder of Parquet files.
    pub source: PathBuf,
    /// Write JSON even on a terminal.
    #[arg(long)]
    pub json: bool,
    /// A gap is an interval longer than this many median intervals.
    #[arg(long, value_name = "X", default_value_t = 5.0)]
    pub gap_factor: f64,
    #[command(flatten)]
    pub columns: ColumnArgs,
    #[command(flatten)]
    pub select: super::args::SelectArgs,
}

#[derive(Debug, Serialize)]
struct Report {
    source: String,
    kind: &'static str,
    bytes: u64,
    /// Readings found (a wide table's row holds several).
    readings: u64,
    #[serde(serialize_with = "opt_ts")]
    from: Option<Millis>,
    #[serde(serialize_with = "opt_ts")]
    to: Option<Millis>,
    gap_factor: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    store: Option<StoreInfo>,
    files: Vec<FileReport>,
    damaged: Vec<Damaged>,
    series: Vec<SeriesReport>,
    skipped_rows: u64,
    /// Values null, NaN or infinite, or of rows with no asset or tag.
    skipped_values: u64,
}

fn opt_ts<S: serde::Serializer>(ts: &Option<Millis>, s: S) -> Result<S::Ok, S::Error> {
    match ts {
        Some(t) => s.serialize_str(&TsFormatter::format(*t)),
        None => s.serialize_none(),
    }
}

#[derive(Debug, Serialize)]
struct FileReport {
    path: String,
    bytes: u64,
    /// How the columns map to readings, or why they do not.
    mapping: String,
    #[serde(flatten)]
    layout: Layout,
}

#[derive(Debug, Serialize)]
struct Damaged {
    path: String,
    problem: String,
}

#[derive(Debug, Serialize)]
struct SeriesReport {
    asset: String,
    tag: String,
    count: u64,
    min: f64,
    max: f64,
    first: Point,
    last: Point,
    median_interval_ms: Option<Millis>,
    gaps: u64,
    longest_gap_ms: Option<Millis>,
    gap_list: Vec<Gap>,
    duplicates: u64,
    out_of_order: u64,
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    if !(args.gap_factor.is_finite() && args.gap_factor > 0.0) {
        bail!("--gap-factor must be a number above 0");
    }
    let source = Source::detect(&args.source)?;
    let keep = args.select.resolve(None)?;
    let mut report = Report {
        source: args.source.display().to_string(),
        kind: "",
        bytes: 0,
        readings: 0,
        from: None,
        to: None,
        gap_factor: args.gap_factor,
        store: None,
        files: Vec::new(),
        damaged: Vec::new(),
        series: Vec::new(),
        skipped_rows: 0,
        skipped_values: 0,
    };
    let mut stats = Stats::default();
    let mut gaps = None;
    match &source {
        Source::Sqlite(path) => {
            report.kind = "sqlite";
            report.bytes = std::fs::metadata(path).map_or(0, |m| m.len());
            inspect_store(path, &mut report, &mut stats, &mut gaps, args.gap_factor)?;
        }
        Source::Postgres(url) => {
            report.kind = "postgresql";
            inspect_store(
                Path::new(url),
                &mut report,
                &mut stats,
                &mut gaps,
                args.gap_factor,
            )?;
        }
        Source::ParquetFile(path) => {
            report.kind = "parquet";
            inspect_files(
                &[single(path)],
                &args,
                global,
                &mut report,
                &mut stats,
                &mut gaps,
            )?;
        }
        Source::Lake(root) => {
            report.kind = "lake";
            let listing = list::list(root, &Selection::all())?;
            for (dir, why) in &listing.unreadable {
                report.damaged.push(Damaged {
                    path: dir.display().to_string(),
                    problem: why.clone(),
                });
            }
            inspect_files(
                &listing.files,
                &args,
                global,
                &mut report,
                &mut stats,
                &mut gaps,
            )?;
        }
    }
    report.readings = stats.rows;
    report.from = stats.min_ts;
    report.to = stats.max_ts;
    if keep.is_some() {
        (report.readings, report.from, report.to) = (0, None, None);
    }
    for ((asset, tag), acc) in &stats.series {
        // --where: the series of the assets selected, and the totals theirs.
        if let Some(k) = &keep {
            if !k.contains(asset) {
                continue;
            }
            report.readings += acc.count;
            let (first, last) = (acc.first.ts, acc.last.ts);
            report.from = Some(report.from.map_or(first, |f| f.min(first)));
            report.to = Some(report.to.map_or(last, |t| t.max(last)));
        }
        let th = acc.gap_threshold(args.gap_factor);
        let (n, longest) = th.map_or((0, None), |t| acc.gaps_over(t));
        report.series.push(SeriesReport {
            asset: asset.clone(),
            tag: tag.clone(),
            count: acc.count,
            min: acc.min,
            max: acc.max,
            first: acc.first,
            last: acc.last,
            median_interval_ms: acc.median_interval(),
            gaps: n,
            longest_gap_ms: longest,
            gap_list: gaps
                .as_mut()
                .map(|g: &mut GapFinder| g.gaps(asset, tag))
                .unwrap_or_default(),
            duplicates: acc.duplicates,
            out_of_order: acc.out_of_order,
        });
    }
    let mut text = Vec::new();
    if args.json || !std::io::stdout().is_terminal() {
        serde_json::to_writer_pretty(&mut text, &report)?;
        text.push(b'\n');
    } else {
        text = super::inspect_table::render(&report_view(&report)).into_bytes();
    }
    let mut out = std::io::stdout().lock();
    out.write_all(&text)?;
    out.flush()?;
    if !report.damaged.is_empty() {
        bail!(
            "{} damaged file{}: {}",
            report.damaged.len(),
            if report.damaged.len() == 1 { "" } else { "s" },
            report
                .damaged
                .iter()
                .map(|d| format!("{}: {}", d.path, d.problem))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    Ok(())
}

/// The report as the table renderer sees it (a JSON value, so the table
/// and the JSON never disagree).
fn report_view(r: &Report) -> serde_json::Value {
    serde_json::to_value(r).unwrap_or_default()
}

fn inspect_store(
    path: &Path,
    report: &mut Report,
    stats: &mut Stats,
    gaps: &mut Option<GapFinder>,
    factor: f64,
) -> Result<()> {
    let store = Store::open_read(path)?;
    report.store = Some(store.info()?);
    store.each_reading(&mut |a, t, ts, v| stats.add(a, t, ts, v))?;
    *gaps = GapFinder::new(stats, factor);
    if let Some(g) = gaps.as_mut() {
        store.each_reading(&mut |a, t, ts, _| g.add(a, t, ts))?;
    }
    Ok(())
}

fn inspect_files(
    files: &[LakeFile],
    args: &Args,
    global: &Global,
    report: &mut Report,
    stats: &mut Stats,
    gaps: &mut Option<GapFinder>,
) -> Result<()> {
    let opts = args.columns.options();
    let all = Selection::all();
    let mut opened = Vec::new();
    for f in files {
        let name = f.path.display().to_string();
        let size = match footer::check_ends(&f.path) {
            Ok(size) => size,
            Err(problem) => {
                report.bytes += std::fs::metadata(&f.path).map_or(0, |m| m.len());
                report.damaged.push(Damaged {
                    path: name,
                    problem,
                });
                continue;
            }
        };
        report.bytes += size;
        let meta = match std::fs::File::open(&f.path)
            .map_err(anyhow::Error::from)
            .and_then(|file| Ok(ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())?))
        {
            Ok(m) => m,
            Err(e) => {
                report.damaged.push(Damaged {
                    path: name,
                    problem: format!("footer unreadable: {e:#}"),
                });
                continue;
            }
        };
        let layout = footer::layout(&meta);
        match ParquetFile::open(f, &opts, &all) {
            Ok(pf) => {
                report.files.push(FileReport {
                    path: name,
                    bytes: size,
                    mapping: pf.mapping.describe(pf.meta.schema()),
                    layout,
                });
                opened.push(pf);
            }
            Err(e) => report.files.push(FileReport {
                path: name,
                bytes: size,
                mapping: format!("not readings: {:#}", e.root_cause()),
                layout,
            }),
        }
    }
    let total: u64 = report.files.iter().map(|f| f.bytes).sum();
    let bar = progress(total, global);
    let mut skipped = Skipped::default();
    // Row groups that could not be decoded, by (file, row group): each is
    // reported, and the others of its file are still read (a row group is
    // decoded whole before its rows count, so a damaged one adds none).
    let mut broken: std::collections::HashSet<(usize, usize)> = Default::default();
    for (i, pf) in opened.iter().enumerate() {
        for rg in 0..pf.num_row_groups() {
            let r = pf.read_row_group(rg, &all, &mut skipped, &mut |row| {
                stats.add(row.asset, row.tag, row.ts, row.value);
                Ok(())
            });
            if let Err(e) = r {
                report.damaged.push(Damaged {
                    path: pf.name(),
                    problem: format!("row group {rg} unreadable: {:#}", e.root_cause()),
                });
                broken.insert((i, rg));
            }
            bar.inc(pf.meta.metadata().row_group(rg).compressed_size().max(0) as u64);
        }
    }
    report.skipped_rows = skipped.no_time;
    report.skipped_values = skipped.no_value + skipped.no_name;
    *gaps = GapFinder::new(stats, args.gap_factor);
    if let Some(g) = gaps.as_mut() {
        for (i, pf) in opened.iter().enumerate() {
            for rg in 0..pf.num_row_groups() {
                if broken.contains(&(i, rg)) {
                    continue;
                }
                // Read fine in the first pass.
                let _ = pf.read_row_group(rg, &all, &mut Skipped::default(), &mut |row| {
                    g.add(row.asset, row.tag, row.ts);
                    Ok(())
                });
            }
        }
    }
    bar.finish_and_clear();
    Ok(())
}
