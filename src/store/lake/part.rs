//! A partition's rows while they are buffered, and the writer thread that
//! turns them into one Parquet file (docs/storage.md): rows sorted by
//! asset, tag, time; the fixed columns; zstd; written under a hidden
//! temporary name, fsynced, renamed, and the folder fsynced.

use std::collections::HashMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::Instant;

use anyhow::{Context, Result};
use arrow_array::types::UInt32Type;
use arrow_array::{
    ArrayRef, DictionaryArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray, UInt32Array,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;

use super::layout::tmp_name;
use super::writer::{LakeCounts, WriterEnd};
use crate::record::{Quality, Reading};
use crate::rollup::store::BucketRow;
use crate::time::Millis;

/// The lake's Arrow schema: always these columns, in this order.
pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            false,
        ),
        Field::new("asset", DataType::Utf8, false),
        Field::new("tag", DataType::Utf8, false),
        Field::new("unit", DataType::Utf8, true),
        Field::new("value", DataType::Float64, false),
        Field::new("quality", DataType::Utf8, false),
        Field::new("text", DataType::Utf8, true),
    ]))
}

/// The columns of a rollup lake's files (`every=WIDTH/date=…`) and of
/// an archive of a rollup table: the reading columns a rollup record has
/// (no `text`), then every statistic a `rollup_<width>` table keeps, so a
/// rollup read back merges exactly (docs/storage.md).
pub fn rollup_schema() -> SchemaRef {
    let ts = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    let mut fields = vec![
        Field::new("ts", ts.clone(), false),
        Field::new("asset", DataType::Utf8, false),
        Field::new("tag", DataType::Utf8, false),
        Field::new("unit", DataType::Utf8, true),
        Field::new("value", DataType::Float64, false),
        Field::new("quality", DataType::Utf8, false),
        Field::new("every", DataType::Utf8, false),
        Field::new("count", DataType::Int64, false),
    ];
    for k in crate::rollup::record::STATS {
        fields.push(Field::new(k, DataType::Float64, true));
    }
    fields.push(Field::new("first_ts", ts, true));
    fields.push(Field::new("good", DataType::Int64, false));
    fields.push(Field::new("bad", DataType::Int64, false));
    Arc::new(Schema::new(fields))
}

/// One buffered row of a series; strings are indexes into the
/// partition's tables.
#[derive(Debug, Clone, Copy)]
pub(super) struct Row {
    ts: Millis,
    value: f64,
    quality: Quality,
    /// 0: no text; else index + 1 into `texts`.
    text: u32,
    /// A rollup partition's row: its index into `buckets`.
    bucket: u32,
}

/// The rows of one partition not yet written.
pub(super) struct Part {
    /// Folder relative to the lake: `date=2026-01-01[/asset=WH-01]`.
    pub(super) rel: String,
    /// The rows of each series (by series index), in the order they came:
    /// kept apart as they come, so writing needs no sort by series.
    runs: Vec<Vec<Row>>,
    /// Rows in all runs.
    len: usize,
    /// (asset, tag, unit) per series index, and the index by key.
    pub(super) series: Vec<(String, String, String)>,
    pub(super) series_index: HashMap<String, u32>,
    /// The series of the row added last.
    pub(super) last_series: Option<u32>,
    pub(super) texts: Vec<String>,
    pub(super) text_index: HashMap<String, u32>,
    pub(super) started: Instant,
    /// A rollup partition (`every=WIDTH/…`): the width, and each row's
    /// statistics.
    pub(super) every: Option<String>,
    pub(super) buckets: Vec<BucketRow>,
}

impl Part {
    pub(super) fn new(rel: String) -> Part {
        Part {
            rel,
            runs: Vec::new(),
            len: 0,
            series: Vec::new(),
            series_index: HashMap::new(),
            last_series: None,
            texts: Vec::new(),
            text_index: HashMap::new(),
            started: Instant::now(),
            every: None,
            buckets: Vec::new(),
        }
    }

    /// Rows buffered.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a rollup record's row: its series, and its statistics.
    pub(super) fn push_rollup(&mut self, r: &Reading, b: BucketRow, key_buf: &mut String) {
        self.push(r, key_buf);
        let run = self.last_series.and_then(|s| self.runs.get_mut(s as usize));
        if let Some(row) = run.and_then(|run| run.last_mut()) {
            row.text = 0;
            row.bucket = self.buckets.len() as u32;
        }
        self.buckets.push(b);
    }
    /// Adds a reading's row, its series and text interned; `key_buf` is
    /// scratch space for the series key.
    #[inline]
    pub(super) fn push(&mut self, r: &Reading, key_buf: &mut String) {
        // Streams repeat their series in the same order tick after tick:
        // try the series after the last one before hashing a key.
        let guess = self.last_series.map_or(0, |i| i + 1) as usize;
        let series = match self.series.get(guess) {
            Some((a, t, u)) if *a == r.asset && *t == r.tag && *u == r.unit => guess as u32,
            _ => {
                key_buf.clear();
                key_buf.push_str(&r.asset);
                key_buf.push('\0');
                key_buf.push_str(&r.tag);
                key_buf.push('\0');
                key_buf.push_str(&r.unit);
                match self.series_index.get(key_buf.as_str()) {
                    Some(&i) => i,
                    None => {
                        let i = self.series.len() as u32;
                        self.series
                            .push((r.asset.clone(), r.tag.clone(), r.unit.clone()));
                        self.runs.push(Vec::new());
                        self.series_index.insert(key_buf.clone(), i);
                        i
                    }
                }
            }
        };
        self.last_series = Some(series);
        let text = if r.text.is_empty() {
            0
        } else {
            match self.text_index.get(r.text.as_str()) {
                Some(&i) => i + 1,
                None => {
                    let i = self.texts.len() as u32;
                    self.texts.push(r.text.clone());
                    self.text_index.insert(r.text.clone(), i);
                    i + 1
                }
            }
        };
        let row = Row {
            ts: r.ts,
            value: r.value,
            quality: r.quality,
            text,
            bucket: 0,
        };
        if let Some(run) = self.runs.get_mut(series as usize) {
            run.push(row);
            self.len += 1;
        }
    }
}

/// One file for the writer thread to write.
pub(super) struct Job {
    pub(super) dir: PathBuf,
    pub(super) name: String,
    pub(super) part: Part,
}

/// The writer thread: writes each job's file and counts what it wrote; the
/// first error ends it (the jobs still queued are dropped). It never
/// unwinds: a panic while writing a file is an error too.
pub(super) fn write_jobs(jobs: Receiver<Job>, props: WriterProperties) -> WriterEnd {
    let mut counts = LakeCounts::default();
    for job in jobs {
        let rows = job.part.len() as u64;
        let tmp = job.dir.join(tmp_name(&job.name));
        let written = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            write_part(job.part, &job.dir, &job.name, &props)
        }));
        let bytes = match written {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(e)) => return (counts, Err(e)),
            Err(_) => {
                let _ = fs::remove_file(&tmp);
                return (
                    counts,
                    Err(anyhow::anyhow!(
                        "the Parquet writer panicked writing {}",
                        tmp.display()
                    )),
                );
            }
        };
        counts.rows += rows;
        counts.files += 1;
        counts.bytes += bytes;
    }
    (counts, Ok(()))
}

/// Sorts a partition's rows by asset, tag, time and writes them as one
/// file: temporary name, fsync, rename, fsync of the folder. On an error
/// the temporary file is removed.
fn write_part(mut part: Part, dir: &Path, name: &str, props: &WriterProperties) -> Result<u64> {
    // Series by their strings; each series' rows by time, sorted only when
    // they are not already (a stream's are), so this is linear.
    let mut order: Vec<u32> = (0..part.series.len() as u32).collect();
    order.sort_by(|&a, &b| {
        let (sa, sb) = (&part.series[a as usize], &part.series[b as usize]);
        (&sa.0, &sa.1, &sa.2).cmp(&(&sb.0, &sb.1, &sb.2))
    });
    for run in &mut part.runs {
        if !run.is_sorted_by_key(|row| row.ts) {
            run.sort_by_key(|row| row.ts);
        }
    }
    let batch = match part.every.is_some() {
        true => to_rollup_batch(&part, &order)?,
        false => to_batch(&part, &order)?,
    };
    drop(part);
    write_durable(dir, name, &batch, props)
}

/// Writes `batch` as the file `dir/name`: under the hidden temporary
/// name first, fsynced, renamed, and the folder fsynced, so a reader never
/// meets a file without its footer and a rename over an older file
/// replaces it whole or not at all. On an error the temporary file is
/// removed. Returns the file's size.
pub(crate) fn write_durable(
    dir: &Path,
    name: &str,
    batch: &RecordBatch,
    props: &WriterProperties,
) -> Result<u64> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = dir.join(tmp_name(name));
    let path = dir.join(name);
    let written = write_file(&tmp, batch, props.clone())
        .with_context(|| format!("writing {}", tmp.display()))
        .and_then(|()| {
            fs::rename(&tmp, &path).with_context(|| format!("renaming {} to {name}", tmp.display()))
        });
    if let Err(e) = written {
        return Err(match fs::remove_file(&tmp) {
            Err(r) if r.kind() != std::io::ErrorKind::NotFound => {
                e.context(format!("(and removing {} failed: {r})", tmp.display()))
            }
            _ => e,
        });
    }
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing the folder {}", dir.display()))?;
    Ok(fs::metadata(&path).map(|m| m.len()).unwrap_or(0))
}

/// The file's rows, series by series in `order`: the string columns as
/// dictionaries of the series' strings (a key per row, no string copied
/// per row; the Parquet writer dictionary-encodes them as it would plain
/// strings, and the file's columns are the same), the rest as values.
fn to_batch(part: &Part, order: &[u32]) -> Result<RecordBatch> {
    let n = part.len();
    let mut ts = Vec::with_capacity(n);
    let mut value = Vec::with_capacity(n);
    let (mut series, mut unit, mut quality, mut text) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (key, &s) in order.iter().enumerate() {
        let key = key as u32;
        let has_unit = !part.series[s as usize].2.is_empty();
        for row in &part.runs[s as usize] {
            ts.push(row.ts);
            value.push(row.value);
            series.push(key);
            unit.push(has_unit.then_some(key));
            quality.push(match row.quality {
                Quality::Good => 0u32,
                Quality::Uncertain => 1,
                Quality::Bad => 2,
            });
            text.push((row.text > 0).then(|| part.texts[row.text as usize - 1].as_str()));
        }
    }
    let names = |pick: fn(&(String, String, String)) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(
            order.iter().map(|&s| pick(&part.series[s as usize])),
        ))
    };
    let series = UInt32Array::from(series);
    let dictionary = |values: ArrayRef, keys: UInt32Array| -> Result<ArrayRef> {
        Ok(Arc::new(DictionaryArray::<UInt32Type>::try_new(
            keys, values,
        )?))
    };
    let qualities: ArrayRef = Arc::new(StringArray::from_iter_values(
        [Quality::Good, Quality::Uncertain, Quality::Bad].map(Quality::as_str),
    ));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(TimestampMillisecondArray::from(ts).with_timezone("UTC")),
        dictionary(names(|s| &s.0), series.clone())?,
        dictionary(names(|s| &s.1), series)?,
        dictionary(names(|s| &s.2), UInt32Array::from(unit))?,
        Arc::new(Float64Array::from(value)),
        dictionary(qualities, UInt32Array::from(quality))?,
        Arc::new(StringArray::from(text)),
    ];
    Ok(RecordBatch::try_new(dictionary_schema(), columns)?)
}

/// [`schema`] with the string columns but `text` as dictionaries, the
/// batches [`to_batch`] makes: the same Parquet columns.
fn dictionary_schema() -> SchemaRef {
    let dict = DataType::Dictionary(Box::new(DataType::UInt32), Box::new(DataType::Utf8));
    let fields: Vec<Field> = schema()
        .fields()
        .iter()
        .map(|f| match f.name().as_str() {
            "asset" | "tag" | "unit" | "quality" => {
                Field::new(f.name(), dict.clone(), f.is_nullable())
            }
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// A rollup partition's rows as a batch of [`rollup_schema`].
fn to_rollup_batch(part: &Part, order: &[u32]) -> Result<RecordBatch> {
    let every = part.every.as_deref().unwrap_or_default();
    let rows = order.iter().flat_map(|&s| {
        let (a, t, u) = &part.series[s as usize];
        part.runs[s as usize].iter().map(move |row| {
            (
                a.as_str(),
                t.as_str(),
                u.as_str(),
                &part.buckets[row.bucket as usize],
            )
        })
    });
    rollup_batch(every, rows)
}

/// Rollup rows (asset, tag, unit, bucket) of width `every` as a batch of
/// [`rollup_schema`], in the order given.
pub(crate) fn rollup_batch<'a>(
    every: &str,
    rows: impl Iterator<Item = (&'a str, &'a str, &'a str, &'a BucketRow)>,
) -> Result<RecordBatch> {
    let (mut ts, mut asset, mut tag, mut unit, mut value, mut quality) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut count, mut first_ts, mut good, mut bad) = (vec![], vec![], vec![], vec![]);
    let mut stats: Vec<Vec<Option<f64>>> = vec![Vec::new(); 7];
    for (a, t, u, b) in rows {
        let whole = b.count > 0 && b.stats.iter().all(Option::is_some);
        ts.push(b.start);
        asset.push(a);
        tag.push(t);
        unit.push((!u.is_empty()).then_some(u));
        value.push(if whole {
            b.stats[2].unwrap_or_default()
        } else {
            0.0
        });
        quality.push(if whole { "good" } else { "bad" });
        count.push(b.count);
        for (k, v) in b.stats.iter().enumerate() {
            stats[k].push(*v);
        }
        first_ts.push(b.first_ts);
        good.push(b.good);
        bad.push(b.bad);
    }
    let n = ts.len();
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(TimestampMillisecondArray::from(ts).with_timezone("UTC")),
        Arc::new(StringArray::from(asset)),
        Arc::new(StringArray::from(tag)),
        Arc::new(StringArray::from(unit)),
        Arc::new(Float64Array::from(value)),
        Arc::new(StringArray::from(quality)),
        Arc::new(StringArray::from(vec![every; n])),
        Arc::new(Int64Array::from(count)),
    ];
    for s in stats {
        columns.push(Arc::new(Float64Array::from(s)));
    }
    columns.push(Arc::new(
        TimestampMillisecondArray::from(first_ts).with_timezone("UTC"),
    ));
    columns.push(Arc::new(Int64Array::from(good)));
    columns.push(Arc::new(Int64Array::from(bad)));
    Ok(RecordBatch::try_new(rollup_schema(), columns)?)
}

fn write_file(path: &Path, batch: &RecordBatch, props: WriterProperties) -> Result<()> {
    let file = File::create(path)?;
    // The writer buffers on its own and flushes when it closes (footer
    // included); the handle kept here then syncs the file to disk.
    // No Arrow schema in the footer: the lake's columns are Parquet's own
    // types, read the same by every reader, whatever Arrow types (plain or
    // dictionary strings) a batch was written from.
    let options = ArrowWriterOptions::new()
        .with_properties(props)
        .with_skip_arrow_metadata(true);
    let mut writer = ArrowWriter::try_new_with_options(file.try_clone()?, batch.schema(), options)
        .map_err(io_first)?;
    writer.write(batch).map_err(io_first)?;
    writer.close().map_err(io_first)?;
    file.sync_all()?;
    Ok(())
}

/// The I/O error inside a Parquet error, when there is one: "No space left
/// on device (os error 28)" rather than "External: …" twice over.
fn io_first(e: ParquetError) -> anyhow::Error {
    match e {
        ParquetError::External(inner) => match inner.downcast::<std::io::Error>() {
            Ok(io) => anyhow::Error::from(*io),
            Err(other) => ParquetError::External(other).into(),
        },
        e => e.into(),
    }
}
