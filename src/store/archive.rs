//! Archive before delete (`rollup DB --retain … --archive DIR`): the rows
//! retention is about to delete, written as Parquet first (docs/storage.md),
//! from a SQLite or a PostgreSQL store alike: a backend fixes the limits,
//! finds a day's first row and deletes ([`Archiving`]); it reads its rows
//! through [`SeriesRows`]; the days, files and order are here.
//!
//! For each rule: how far each series goes is fixed first (for raw
//! readings recorded in `rollup_retained` in the same transaction, so a
//! reading stored later behind it is refused and no row appears that the
//! archive has not seen); then the rows before it are written day by day,
//! one file per table and UTC day — `DIR/date=D/readings.parquet`,
//! `DIR/every=1h/date=D/rollup_1h.parquet`, the lake's layout, so `query
//! DIR` and `query DIR --rollup 1h` read them — each written under a
//! hidden temporary name, fsynced, renamed over the older file of that day
//! (whose rows it holds too: a day archived over several runs stays one
//! file) and its folders fsynced; only then are the rows deleted. A crash
//! anywhere leaves every row in the table, in a whole archive file, or in
//! both (a run killed after writing and before deleting; the next run
//! archives those rows again into the same file, where a row is kept once
//! by its series and time). Memory holds one day of one table's rows.

use std::collections::HashMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use anyhow::{Context, Result};
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMillisecondArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::record::{Quality, Reading};
use crate::rollup::retain::{Deleted, Rule, Target};
use crate::store::Selection;
use crate::store::lake::columns::{Interner, TextCol, numbers, times};
use crate::store::lake::layout::{EVERY_KEY, date_dir, day_of};
use crate::store::lake::part::{rollup_batch, write_durable};
use crate::store::lake::rollup_read::{self, Stored};
use crate::store::lake::writer::writer_props;
use crate::store::lake::{ValueEncoding, schema as lake_schema};
use crate::store::rows::{SeriesRows, rule_tables};
use crate::store::sqlite::read::{Series, apply_extra};
use crate::store::sqlite::writer::fields::quality_of_code;
use crate::time::Millis;

const DAY_MS: Millis = 86_400_000;

/// What an archiving run wrote.
#[derive(Debug, Default)]
pub(crate) struct Archived {
    /// Rows written that were to be deleted (a row written by an earlier,
    /// interrupted run counts again).
    pub rows: u64,
    pub files: u64,
}

/// What archiving asks of a store beyond reading its rows.
pub(crate) trait Archiving: SeriesRows {
    /// The table `rule` deletes from (it must exist), and how far each of
    /// `ids` goes before `cutoff`. For raw readings the limit is fixed and
    /// recorded in `rollup_retained` in one transaction, so from then on a
    /// store refuses a reading behind it and the rows found now are all
    /// there will be; those kept for not being rolled up yet are counted
    /// in `line.kept`.
    fn fix_limits(
        &mut self,
        rule: &Rule,
        cutoff: Millis,
        ids: &[i64],
        line: &mut Deleted,
    ) -> Result<Vec<(i64, Millis)>>;

    /// The earliest time of a series' rows of `table` in `[from, to)`.
    fn first_ts(&self, table: &str, id: i64, from: Millis, to: Millis) -> Result<Option<Millis>>;

    /// Deletes a series' rows of `table` before `limit`, in bounded
    /// transactions; how many.
    fn delete_before(&mut self, table: &str, id: i64, limit: Millis) -> Result<u64>;
}

/// The columns of a readings archive file: the lake's, then `extra`, the
/// store's other fields of the reading as one JSON object (or null).
pub(crate) fn readings_archive_schema() -> SchemaRef {
    let mut fields: Vec<Field> = lake_schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new("extra", DataType::Utf8, true));
    Arc::new(Schema::new(fields))
}

/// Each series by id, with its names shared by the rows archived.
struct Named {
    series: Series,
    asset: Rc<str>,
    tag: Rc<str>,
    unit: Rc<str>,
}

type Names = HashMap<i64, Named>;

/// A raw reading to archive.
struct RawRow {
    asset: Rc<str>,
    tag: Rc<str>,
    unit: Rc<str>,
    ts: Millis,
    value: f64,
    quality: Quality,
    text: Option<String>,
    extra: Option<String>,
}

/// Applies the rules as retention does, archiving the rows of each table
/// under `dir` before they are deleted.
pub(crate) fn retain_archived(
    store: &mut impl Archiving,
    rules: &[Rule],
    now: Millis,
    dir: &Path,
) -> Result<(Vec<Deleted>, Archived)> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let names: Names = store
        .series(&Selection::all())?
        .into_iter()
        .map(|s| {
            let named = Named {
                asset: Rc::from(s.asset.as_str()),
                tag: Rc::from(s.tag.as_str()),
                unit: Rc::from(s.unit.as_deref().unwrap_or("")),
                series: s,
            };
            (named.series.id, named)
        })
        .collect();
    let mut ids: Vec<i64> = names.keys().copied().collect();
    ids.sort_unstable();
    let mut report = Vec::new();
    let mut archived = Archived::default();
    for (rule, what) in rules.iter().zip(rule_tables(store, rules)?) {
        let cutoff = now.saturating_sub(rule.keep);
        let mut line = Deleted {
            what,
            rows: 0,
            before: cutoff,
            kept: 0,
        };
        let limits = store.fix_limits(rule, cutoff, &ids, &mut line)?;
        let label = match &rule.target {
            Target::Raw => None,
            Target::Rollup(w) => Some(w.label.as_str()),
        };
        let a = archive_table(store, &line.what, label, &limits, &names, dir)
            .with_context(|| format!("archiving {} to {}", line.what, dir.display()))?;
        archived.rows += a.rows;
        archived.files += a.files;
        // Only now, with every file of the table durable.
        for &(id, limit) in &limits {
            line.rows += store.delete_before(&line.what, id, limit)?;
        }
        report.push(line);
    }
    Ok((report, archived))
}

/// The earliest time at or after `from` and before each series' limit.
fn next_time(
    store: &impl Archiving,
    table: &str,
    limits: &[(i64, Millis)],
    from: Millis,
) -> Result<Option<Millis>> {
    let mut next: Option<Millis> = None;
    for &(id, limit) in limits {
        if limit <= from {
            continue;
        }
        if let Some(t) = store.first_ts(table, id, from, limit)? {
            next = Some(next.map_or(t, |n: Millis| n.min(t)));
        }
    }
    Ok(next)
}

/// Writes the rows of `table` before each series' limit, a file per day.
fn archive_table(
    store: &impl Archiving,
    table: &str,
    label: Option<&str>,
    limits: &[(i64, Millis)],
    names: &Names,
    root: &Path,
) -> Result<Archived> {
    let base = match label {
        None => root.to_path_buf(),
        Some(l) => root.join(format!("{EVERY_KEY}={l}")),
    };
    let file = format!("{table}.parquet");
    let props = writer_props(ValueEncoding::Dictionary)?;
    let mut done = Archived::default();
    let mut next = next_time(store, table, limits, Millis::MIN)?;
    while let Some(t) = next {
        let day = day_of(t);
        let (d0, d1) = (day * DAY_MS, (day + 1) * DAY_MS);
        let dir = base.join(date_dir(day));
        let path = dir.join(&file);
        let (batch, rows) = match label {
            None => {
                let mut rows = raw_rows(store, limits, names, d0, d1)?;
                let n = rows.len() as u64;
                if path.exists() {
                    rows.extend(read_raw_archive(&path)?);
                }
                rows.sort_by(|a, b| (&a.asset, &a.tag, a.ts).cmp(&(&b.asset, &b.tag, b.ts)));
                rows.dedup_by(|a, b| (&a.asset, &a.tag, a.ts) == (&b.asset, &b.tag, b.ts));
                (raw_batch(&rows)?, n)
            }
            Some(l) => {
                let mut rows = bucket_rows(store, table, limits, names, d0, d1)?;
                let n = rows.len() as u64;
                if path.exists() {
                    let mut names = Interner::default();
                    rollup_read::read_file(&path, &Selection::all(), &mut names, &mut rows)
                        .with_context(|| format!("reading {}", path.display()))?;
                }
                rows.sort_by(|a, b| {
                    (&a.asset, &a.tag, a.b.start).cmp(&(&b.asset, &b.tag, b.b.start))
                });
                rows.dedup_by(|a, b| {
                    (&a.asset, &a.tag, a.b.start) == (&b.asset, &b.tag, b.b.start)
                });
                let it = rows.iter().map(|s| (&*s.asset, &*s.tag, &*s.unit, &s.b));
                (rollup_batch(l, it)?, n)
            }
        };
        write_durable(&dir, &file, &batch, &props)?;
        // The new folders' entries too: up to the archive's root.
        let mut up: Option<PathBuf> = dir.parent().map(Path::to_path_buf);
        while let Some(p) = up {
            File::open(&p)
                .and_then(|d| d.sync_all())
                .with_context(|| format!("syncing the folder {}", p.display()))?;
            if p == root {
                break;
            }
            up = p.parent().map(Path::to_path_buf);
        }
        done.rows += rows;
        done.files += 1;
        next = next_time(store, table, limits, d1)?;
    }
    Ok(done)
}

/// The raw readings of day `[d0, d1)` before each series' limit.
fn raw_rows(
    store: &impl Archiving,
    limits: &[(i64, Millis)],
    names: &Names,
    d0: Millis,
    d1: Millis,
) -> Result<Vec<RawRow>> {
    let mut out = Vec::new();
    let mut reading = Reading::default();
    for &(id, limit) in limits {
        let Some(n) = names.get(&id).filter(|_| limit > d0) else {
            continue;
        };
        store.rows(
            &n.series,
            d0,
            d1.min(limit),
            false,
            &mut |ts, value, q, extra| {
                let text = extra.and_then(|x| {
                    reading.clear();
                    apply_extra(x, &mut reading);
                    (!reading.text.is_empty()).then(|| reading.text.clone())
                });
                out.push(RawRow {
                    asset: n.asset.clone(),
                    tag: n.tag.clone(),
                    unit: n.unit.clone(),
                    ts,
                    value,
                    quality: quality_of_code(q),
                    text,
                    extra: extra.map(str::to_string),
                });
                Ok(true)
            },
        )?;
    }
    Ok(out)
}

/// The buckets of day `[d0, d1)` of a rollup table before each series'
/// limit.
fn bucket_rows(
    store: &impl Archiving,
    table: &str,
    limits: &[(i64, Millis)],
    names: &Names,
    d0: Millis,
    d1: Millis,
) -> Result<Vec<Stored>> {
    let mut out = Vec::new();
    for &(id, limit) in limits {
        let Some(n) = names.get(&id).filter(|_| limit > d0) else {
            continue;
        };
        store.rollup_rows(table, &n.series, d0, d1.min(limit), &mut |b| {
            out.push(Stored {
                asset: n.asset.clone(),
                tag: n.tag.clone(),
                unit: n.unit.clone(),
                b: *b,
            });
            Ok(true)
        })?;
    }
    Ok(out)
}

fn raw_batch(rows: &[RawRow]) -> Result<RecordBatch> {
    let columns: Vec<ArrayRef> = vec![
        Arc::new(
            TimestampMillisecondArray::from(rows.iter().map(|r| r.ts).collect::<Vec<_>>())
                .with_timezone("UTC"),
        ),
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| &*r.asset),
        )),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &*r.tag))),
        Arc::new(StringArray::from(
            rows.iter()
                .map(|r| (!r.unit.is_empty()).then_some(&*r.unit))
                .collect::<Vec<_>>(),
        )),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.value))),
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r.quality.as_str()),
        )),
        Arc::new(StringArray::from(
            rows.iter().map(|r| r.text.as_deref()).collect::<Vec<_>>(),
        )),
        Arc::new(StringArray::from(
            rows.iter().map(|r| r.extra.as_deref()).collect::<Vec<_>>(),
        )),
    ];
    Ok(RecordBatch::try_new(readings_archive_schema(), columns)?)
}

/// The rows of a readings archive file written before.
fn read_raw_archive(path: &Path) -> Result<Vec<RawRow>> {
    let mut out = Vec::new();
    let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(f)
        .with_context(|| format!("reading {}", path.display()))?
        .build()?;
    let mut names = Interner::default();
    let mut rc = |s: &str| names.get(s);
    for batch in reader {
        let batch = batch.with_context(|| format!("reading {}", path.display()))?;
        let col = |name: &str| {
            batch
                .column_by_name(name)
                .with_context(|| format!("{}: no column {name:?}", path.display()))
        };
        let mut ts = Vec::new();
        times(col("ts")?, &mut None, &mut ts);
        let mut values = Vec::new();
        numbers(col("value")?.as_ref(), &mut values);
        let (aa, ta, ua, qa, xa, ea) = (
            col("asset")?,
            col("tag")?,
            col("unit")?,
            col("quality")?,
            col("text")?,
            col("extra")?,
        );
        let (mut asset, mut tag, mut unit, mut quality, mut text, mut extra) = (
            TextCol::new(aa),
            TextCol::new(ta),
            TextCol::new(ua),
            TextCol::new(qa),
            TextCol::new(xa),
            TextCol::new(ea),
        );
        for i in 0..batch.num_rows() {
            let (Some(t), Some(v)) = (ts[i], values[i]) else {
                anyhow::bail!("{}: row {i} has no time or value", path.display());
            };
            out.push(RawRow {
                asset: rc(asset.get(i).unwrap_or("")),
                tag: rc(tag.get(i).unwrap_or("")),
                unit: rc(unit.get(i).unwrap_or("")),
                ts: t,
                value: v,
                quality: quality.get(i).and_then(Quality::parse).unwrap_or_default(),
                text: text.get(i).map(str::to_string),
                extra: extra.get(i).map(str::to_string),
            });
        }
    }
    Ok(out)
}
