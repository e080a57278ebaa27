//! The Parquet lake (docs/storage.md): Hive-style partitions by UTC date
//! (and optionally asset), fixed columns, rows sorted by asset, tag, time
//! within a file.
//!
//! Rows are buffered per partition and written as one file when a partition
//! holds `roll_rows` rows, when its first row is `roll_age` old, when all
//! buffers together hold twice `roll_rows` (the largest goes), and at the
//! end. A file is written under a hidden temporary name that `*.parquet`
//! does not match, fsynced, renamed, and its folder fsynced: a reader never
//! meets a file without its footer.

use std::collections::HashMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMillisecondArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use crate::record::{Quality, Reading};
use crate::sim::random::mix;
use crate::time::{Millis, TsFormatter};

/// How the `value` column is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ValueEncoding {
    /// Dictionary, falling back to plain when a chunk has too many distinct values: sensor values rounded to their resolution repeat a lot within a series.
    Dictionary,
    /// PLAIN: the floats as they are (zstd then finds the runs of a sorted series).
    Plain,
    /// BYTE_STREAM_SPLIT: the bytes of each float grouped by position.
    ByteStreamSplit,
}

/// Where and how the lake is written.
#[derive(Debug, Clone)]
pub struct LakeConfig {
    pub dir: PathBuf,
    pub by_asset: bool,
    pub roll_rows: usize,
    pub roll_age: Duration,
    pub value_encoding: ValueEncoding,
}

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

/// One buffered row; strings are indexes into the partition's tables.
#[derive(Debug, Clone, Copy)]
struct Row {
    ts: Millis,
    series: u32,
    value: f64,
    quality: Quality,
    /// 0: no text; else index + 1 into `texts`.
    text: u32,
}

/// The rows of one partition not yet written.
struct Part {
    /// Folder relative to the lake: `date=2026-01-01[/asset=WH-01]`.
    rel: String,
    rows: Vec<Row>,
    /// (asset, tag, unit) per series index, and the index by key.
    series: Vec<(String, String, String)>,
    series_index: HashMap<String, u32>,
    /// The series of the row added last.
    last_series: Option<u32>,
    texts: Vec<String>,
    text_index: HashMap<String, u32>,
    started: Instant,
}

impl Part {
    fn new(rel: String) -> Part {
        Part {
            rel,
            rows: Vec::new(),
            series: Vec::new(),
            series_index: HashMap::new(),
            last_series: None,
            texts: Vec::new(),
            text_index: HashMap::new(),
            started: Instant::now(),
        }
    }
}

/// Counts of what the lake writer did.
#[derive(Debug, Default, Clone, Copy)]
pub struct LakeCounts {
    pub rows: u64,
    pub files: u64,
    pub bytes: u64,
}

/// A lake being written.
pub struct Lake {
    cfg: LakeConfig,
    parts: HashMap<String, Part>,
    buffered: usize,
    key_buf: String,
    /// The partition of the row added last (and its day); cleared when a
    /// partition is written.
    current_key: String,
    current_day: Option<i64>,
    /// The last day seen and its `date=…` folder name.
    day_cache: Option<(i64, String)>,
    ts_fmt: TsFormatter,
    seq: u64,
    /// Jobs for the writer thread, and the thread.
    worker: Option<(SyncSender<Job>, JoinHandle<Result<LakeCounts>>)>,
    pub counts: LakeCounts,
}

impl Lake {
    pub fn open(cfg: LakeConfig) -> Result<Lake> {
        fs::create_dir_all(&cfg.dir).with_context(|| format!("creating {}", cfg.dir.display()))?;
        let value = ColumnPath::from("value");
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
            .set_max_row_group_row_count(Some(256 * 1024))
            .set_dictionary_enabled(true)
            .set_column_dictionary_enabled(ColumnPath::from("ts"), false)
            .set_column_encoding(ColumnPath::from("ts"), Encoding::DELTA_BINARY_PACKED)
            .set_created_by(format!("iiot {}", env!("CARGO_PKG_VERSION")));
        props = match cfg.value_encoding {
            ValueEncoding::ByteStreamSplit => props
                .set_column_dictionary_enabled(value.clone(), false)
                .set_column_encoding(value, Encoding::BYTE_STREAM_SPLIT),
            ValueEncoding::Plain => props
                .set_column_dictionary_enabled(value.clone(), false)
                .set_column_encoding(value, Encoding::PLAIN),
            ValueEncoding::Dictionary => props,
        };
        let props = props.build();
        // One file queued while one is written: memory stays bounded.
        let (jobs, queue) = sync_channel::<Job>(1);
        let worker = std::thread::Builder::new()
            .name("parquet-writer".into())
            .spawn(move || write_jobs(queue, props))?;
        Ok(Lake {
            cfg,
            parts: HashMap::new(),
            buffered: 0,
            key_buf: String::new(),
            current_key: String::new(),
            current_day: None,
            day_cache: None,
            ts_fmt: TsFormatter::new(),
            seq: 0,
            worker: Some((jobs, worker)),
            counts: LakeCounts::default(),
        })
    }

    /// Rows buffered and not yet written.
    pub fn buffered(&self) -> usize {
        self.buffered
    }

    /// Buffers a reading, writing files as the roll limits say.
    pub fn add(&mut self, r: &Reading) -> Result<()> {
        let day = r.ts.div_euclid(86_400_000);
        if self.day_cache.as_ref().is_none_or(|(d, _)| *d != day) {
            let mut out = Vec::with_capacity(24);
            self.ts_fmt.write(day * 86_400_000, &mut out);
            let date = String::from_utf8_lossy(&out[..10]).into_owned();
            self.day_cache = Some((day, format!("date={date}")));
        }
        // Without asset partitions, rows of the same day go to the same
        // partition as the row before: no key to build or look up twice.
        let same_part = !self.cfg.by_asset && self.current_day == Some(day);
        if !same_part {
            let date = self.day_cache.as_ref().map_or("", |(_, d)| d.as_str());
            self.key_buf.clear();
            self.key_buf.push_str(date);
            if self.cfg.by_asset {
                self.key_buf.push_str("/asset=");
                escape_partition_value(&r.asset, &mut self.key_buf);
            }
            if !self.parts.contains_key(self.key_buf.as_str()) {
                self.parts
                    .insert(self.key_buf.clone(), Part::new(self.key_buf.clone()));
            }
            self.current_key.clone_from(&self.key_buf);
            self.current_day = Some(day);
        }
        let part = self
            .parts
            .get_mut(self.current_key.as_str())
            .expect("the current partition is buffered");
        // Streams repeat their series in the same order tick after tick:
        // try the series after the last one before hashing a key.
        let guess = part.last_series.map_or(0, |i| i + 1) as usize;
        let series = match part.series.get(guess) {
            Some((a, t, u)) if *a == r.asset && *t == r.tag && *u == r.unit => guess as u32,
            _ => {
                self.key_buf.clear();
                self.key_buf.push_str(&r.asset);
                self.key_buf.push('\0');
                self.key_buf.push_str(&r.tag);
                self.key_buf.push('\0');
                self.key_buf.push_str(&r.unit);
                match part.series_index.get(self.key_buf.as_str()) {
                    Some(&i) => i,
                    None => {
                        let i = part.series.len() as u32;
                        part.series
                            .push((r.asset.clone(), r.tag.clone(), r.unit.clone()));
                        part.series_index.insert(self.key_buf.clone(), i);
                        i
                    }
                }
            }
        };
        part.last_series = Some(series);
        let text = if r.text.is_empty() {
            0
        } else {
            match part.text_index.get(r.text.as_str()) {
                Some(&i) => i + 1,
                None => {
                    let i = part.texts.len() as u32;
                    part.texts.push(r.text.clone());
                    part.text_index.insert(r.text.clone(), i);
                    i + 1
                }
            }
        };
        part.rows.push(Row {
            ts: r.ts,
            series,
            value: r.value,
            quality: r.quality,
            text,
        });
        self.buffered += 1;
        if part.rows.len() >= self.cfg.roll_rows {
            let key = part.rel.clone();
            self.flush_part(&key)?;
        } else if self.buffered >= 2 * self.cfg.roll_rows {
            let largest = self
                .parts
                .values()
                .max_by_key(|p| p.rows.len())
                .map(|p| p.rel.clone());
            if let Some(key) = largest {
                self.flush_part(&key)?;
            }
        }
        Ok(())
    }

    /// When the oldest buffered partition must be written by age.
    pub fn next_due(&self) -> Option<Instant> {
        self.parts
            .values()
            .map(|p| p.started + self.cfg.roll_age)
            .min()
    }

    /// Writes every partition whose first row is `roll_age` old.
    pub fn flush_aged(&mut self) -> Result<()> {
        let now = Instant::now();
        let due: Vec<String> = self
            .parts
            .values()
            .filter(|p| p.started + self.cfg.roll_age <= now)
            .map(|p| p.rel.clone())
            .collect();
        for key in due {
            self.flush_part(&key)?;
        }
        Ok(())
    }

    /// Writes everything buffered.
    pub fn close(mut self) -> Result<LakeCounts> {
        let keys: Vec<String> = self.parts.keys().cloned().collect();
        for key in keys {
            self.flush_part(&key)?;
        }
        let (jobs, worker) = self.worker.take().expect("the writer runs until close");
        drop(jobs);
        let counts = worker
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the Parquet writer thread failed")))?;
        self.counts = counts;
        Ok(counts)
    }

    /// Hands a partition's rows to the writer thread, which sorts, encodes
    /// and writes them while this thread reads on.
    fn flush_part(&mut self, key: &str) -> Result<()> {
        self.current_day = None;
        let Some(part) = self.parts.remove(key) else {
            return Ok(());
        };
        if part.rows.is_empty() {
            return Ok(());
        }
        self.buffered -= part.rows.len();
        self.seq += 1;
        let job = Job {
            dir: self.cfg.dir.join(&part.rel),
            name: file_name(self.seq),
            part,
        };
        let sent = match &self.worker {
            Some((jobs, _)) => jobs.send(job).is_ok(),
            None => false,
        };
        if !sent {
            // The writer stopped on an error: that error is the one to tell.
            if let Some((_, worker)) = self.worker.take() {
                worker
                    .join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("the Parquet writer thread failed")))?;
            }
            anyhow::bail!("the Parquet writer stopped");
        }
        Ok(())
    }
}

/// One file for the writer thread to write.
struct Job {
    dir: PathBuf,
    name: String,
    part: Part,
}

/// The writer thread: writes each job's file and counts what it wrote; the
/// first error ends it (and is returned at join).
fn write_jobs(jobs: Receiver<Job>, props: WriterProperties) -> Result<LakeCounts> {
    let mut counts = LakeCounts::default();
    for job in jobs {
        counts.rows += job.part.rows.len() as u64;
        let bytes = write_part(job.part, &job.dir, &job.name, &props)?;
        counts.files += 1;
        counts.bytes += bytes;
    }
    Ok(counts)
}

/// Sorts a partition's rows by asset, tag, time and writes them as one
/// file: temporary name, fsync, rename, fsync of the folder.
fn write_part(mut part: Part, dir: &Path, name: &str, props: &WriterProperties) -> Result<u64> {
    // Series rank by their strings first, then rows by rank and time.
    let mut order: Vec<u32> = (0..part.series.len() as u32).collect();
    order.sort_by(|&a, &b| {
        let (sa, sb) = (&part.series[a as usize], &part.series[b as usize]);
        (&sa.0, &sa.1, &sa.2).cmp(&(&sb.0, &sb.1, &sb.2))
    });
    let mut rank = vec![0u32; order.len()];
    for (r, &s) in order.iter().enumerate() {
        rank[s as usize] = r as u32;
    }
    part.rows
        .sort_unstable_by_key(|row| (rank[row.series as usize], row.ts));
    let batch = to_batch(&part)?;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = dir.join(format!(".{name}.tmp"));
    let path = dir.join(name);
    write_file(&tmp, &batch, props.clone())
        .with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, &path).with_context(|| format!("renaming {} to {name}", tmp.display()))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing the folder {}", dir.display()))?;
    Ok(fs::metadata(&path).map(|m| m.len()).unwrap_or(0))
}

fn to_batch(part: &Part) -> Result<RecordBatch> {
    let n = part.rows.len();
    let mut ts = Vec::with_capacity(n);
    let mut value = Vec::with_capacity(n);
    let (mut asset, mut tag, mut unit, mut quality, mut text) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for row in &part.rows {
        let (a, t, u) = &part.series[row.series as usize];
        ts.push(row.ts);
        value.push(row.value);
        asset.push(a.as_str());
        tag.push(t.as_str());
        unit.push((!u.is_empty()).then_some(u.as_str()));
        quality.push(row.quality.as_str());
        text.push((row.text > 0).then(|| part.texts[row.text as usize - 1].as_str()));
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(TimestampMillisecondArray::from(ts).with_timezone("UTC")),
        Arc::new(StringArray::from(asset)),
        Arc::new(StringArray::from(tag)),
        Arc::new(StringArray::from(unit)),
        Arc::new(Float64Array::from(value)),
        Arc::new(StringArray::from(quality)),
        Arc::new(StringArray::from(text)),
    ];
    Ok(RecordBatch::try_new(schema(), columns)?)
}

fn write_file(path: &Path, batch: &RecordBatch, props: WriterProperties) -> Result<()> {
    let file = File::create(path)?;
    // The writer buffers on its own and flushes when it closes (footer
    // included); the handle kept here then syncs the file to disk.
    let mut writer = ArrowWriter::try_new(file.try_clone()?, schema(), Some(props))?;
    writer.write(batch)?;
    writer.close()?;
    file.sync_all()?;
    Ok(())
}

/// `part-20260101T000000Z-0123456789abcdef.parquet`: when the file was
/// started and 64 bits from the clock, the process and a counter, so two
/// writers never pick the same name.
fn file_name(seq: u64) -> String {
    let now = jiff::Timestamp::now();
    let stamp = now.strftime("%Y%m%dT%H%M%SZ");
    let nanos = now.as_nanosecond() as u64;
    let random = mix(nanos, u64::from(std::process::id()), seq, 7);
    format!("part-{stamp}-{random:016x}.parquet")
}

/// Hive partition values escape `/`, `=`, `%` and control characters as
/// `%XX`, as Spark and Hive do.
fn escape_partition_value(v: &str, out: &mut String) {
    for c in v.chars() {
        if c == '/' || c == '=' || c == '%' || c == '\\' || c.is_control() || c == ':' {
            let mut b = [0u8; 4];
            for byte in c.encode_utf8(&mut b).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        } else {
            out.push(c);
        }
    }
}
