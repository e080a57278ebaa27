//! Rollup records out of a lake (`query LAKE --rollup 1h`): the files
//! under `every=1h/` — written by `store --parquet` from rollup records,
//! or by `rollup DB --retain 1h=… --archive` — read back as rollup
//! records with every statistic, as `query DB --rollup 1h` writes them
//! from a store's `rollup_1h` table: series by series (asset, then tag),
//! each in time order.
//!
//! A rollup lake holds one row per series and bucket (a 1h lake is 3600
//! times smaller than the readings of a 1 s series), so the selected rows
//! are gathered and sorted in memory; files outside the time range and
//! the asset globs are pruned by their `date=` and `asset=` folders first.

use crate::store::lake::columns::Interner;
use std::fs::File;
use std::path::Path;
use std::rc::Rc;

use anyhow::{Context, Result, bail};
use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::columns::{TextCol, numbers, times};
use super::layout::EVERY_KEY;
use super::list;
use crate::record::ReadingRef;
use crate::rollup::record::{BucketRecords, STATS};
use crate::rollup::store::BucketRow;
use crate::store::Selection;

/// One stored bucket and its series.
pub(crate) struct Stored {
    pub asset: Rc<str>,
    pub tag: Rc<str>,
    pub unit: Rc<str>,
    pub b: BucketRow,
}

/// The folder of a width's rollup files in a lake.
pub(crate) fn rollup_dir(root: &Path, label: &str) -> std::path::PathBuf {
    root.join(format!("{EVERY_KEY}={label}"))
}

/// Writes the selected buckets of width `label` kept in the lake at
/// `root`, series by series, each in time order, until `limit`.
pub(crate) fn read_rollups(
    root: &Path,
    label: &str,
    sel: &Selection,
    limit: u64,
    mut emit: impl FnMut(&ReadingRef<'_>) -> Result<()>,
) -> Result<()> {
    let dir = rollup_dir(root, label);
    if !dir.is_dir() {
        bail!(
            "{} holds no rollups of width {label} (no folder {EVERY_KEY}={label}): \
             `iiot rollup --every {label} … | iiot store --parquet {}` makes them",
            root.display(),
            root.display()
        );
    }
    let listing = list::list(&dir, sel)?;
    if let Some((d, why)) = listing.unreadable.first() {
        bail!("{}: {why}", d.display());
    }
    let mut names = Interner::default();
    let mut rows: Vec<Stored> = Vec::new();
    for f in &listing.files {
        read_file(&f.path, sel, &mut names, &mut rows)
            .with_context(|| format!("reading the rollup file {}", f.path.display()))?;
    }
    // Stable: rows of the same bucket keep the order of the files.
    rows.sort_by(|a, b| (&a.asset, &a.tag, a.b.start).cmp(&(&b.asset, &b.tag, b.b.start)));
    let mut records = BucketRecords::new();
    for s in rows
        .iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
    {
        records.emit(label, (&s.asset, &s.tag, &s.unit), &s.b, &mut emit)?;
    }
    Ok(())
}

/// The selected rows of one rollup file (columns as
/// [`super::part::rollup_schema`] names them).
pub(crate) fn read_file(
    path: &Path,
    sel: &Selection,
    names: &mut Interner,
    out: &mut Vec<Stored>,
) -> Result<()> {
    let f = File::open(path)?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(f)?
        .with_batch_size(8192)
        .build()?;
    for batch in reader {
        read_batch(&batch?, sel, names, out)?;
    }
    Ok(())
}

fn read_batch(
    batch: &RecordBatch,
    sel: &Selection,
    names: &mut Interner,
    out: &mut Vec<Stored>,
) -> Result<()> {
    let col = |name: &str| {
        batch
            .column_by_name(name)
            .with_context(|| format!("no column {name:?}: not a rollup file"))
    };
    let mut ts = Vec::new();
    times(col("ts")?, &mut None, &mut ts);
    let mut first_ts = Vec::new();
    times(col("first_ts")?, &mut None, &mut first_ts);
    let (asset_a, tag_a, unit_a) = (col("asset")?, col("tag")?, col("unit")?);
    let (mut asset, mut tag, mut unit) = (
        TextCol::new(asset_a),
        TextCol::new(tag_a),
        TextCol::new(unit_a),
    );
    let num = |name: &str| -> Result<Vec<Option<f64>>> {
        let mut v = Vec::new();
        numbers(col(name)?.as_ref(), &mut v);
        Ok(v)
    };
    let (count, good, bad) = (num("count")?, num("good")?, num("bad")?);
    let stats = STATS.iter().map(|k| num(k)).collect::<Result<Vec<_>>>()?;
    let mut intern = |s: &str| names.get(s);
    for i in 0..batch.num_rows() {
        let Some(t) = ts[i] else {
            bail!("row {i} has no time");
        };
        if !sel.time_matches(t) {
            continue;
        }
        let (Some(a), Some(g)) = (asset.get(i).map(str::to_string), tag.get(i)) else {
            bail!("row {i} has no asset or tag");
        };
        if !sel.series_matches(&a, g) {
            continue;
        }
        let g = intern(g);
        let u = intern(unit.get(i).unwrap_or(""));
        let n = |v: &[Option<f64>]| v[i].unwrap_or(0.0) as i64;
        let mut b = BucketRow {
            start: t,
            count: n(&count),
            stats: [None; 7],
            first_ts: first_ts[i],
            good: n(&good),
            bad: n(&bad),
        };
        for (k, s) in stats.iter().enumerate() {
            b.stats[k] = s[i].filter(|v| v.is_finite());
        }
        out.push(Stored {
            asset: intern(&a),
            tag: g,
            unit: u,
            b,
        });
    }
    Ok(())
}
