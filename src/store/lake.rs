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
//!
//! A reading whose partition folder cannot be made (an asset name too long
//! for a folder name once escaped) is refused when it arrives, by
//! [`Lake::admit`], never found out when its partition is written with
//! other rows. A write error (a full disk) stops the lake: the temporary
//! file is removed, the error is returned once, with how many readings were
//! not written, and nothing panics.

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
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use crate::record::{ParseError, Quality, Reading};
use crate::sim::random::mix;
use crate::time::{MAX_MILLIS, MIN_MILLIS, Millis, TsFormatter};

/// The longest file or folder name, in bytes (Linux, the BSDs and macOS).
const NAME_MAX: usize = 255;

/// The longest path a system call takes, in bytes, without its final NUL.
#[cfg(target_os = "linux")]
const PATH_MAX: usize = 4095;
#[cfg(not(target_os = "linux"))]
const PATH_MAX: usize = 1023;

/// `date=2026-01-01`.
const DATE_DIR_LEN: usize = 15;

/// `/.part-20260101T000000Z-0123456789abcdef.parquet.tmp`: the longest name
/// the lake gives a file, with its separator.
const FILE_NAME_LEN: usize = 52;

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
    /// Readings written (in files renamed into place).
    pub rows: u64,
    pub files: u64,
    pub bytes: u64,
    /// Readings [`Lake::add`] refused because [`Lake::admit`] would have
    /// (their partition folder cannot be made); a caller that asks `admit`
    /// first never sees this count grow.
    pub refused: u64,
    /// Readings accepted but not written because a write failed.
    pub lost: u64,
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
    worker: Option<(SyncSender<Job>, JoinHandle<WriterEnd>)>,
    /// Rows handed to the writer thread.
    sent_rows: u64,
    /// Bytes of the lake folder's path as given (path length checks).
    dir_len: usize,
    /// Set once a write error was returned: the error, for later calls.
    failed: Option<String>,
    pub counts: LakeCounts,
}

/// What the writer thread did: its counts, and the error that stopped it.
type WriterEnd = (LakeCounts, Result<()>);

impl Lake {
    pub fn open(cfg: LakeConfig) -> Result<Lake> {
        let dir_len = cfg.dir.as_os_str().len();
        if dir_len + 1 + DATE_DIR_LEN + FILE_NAME_LEN > PATH_MAX {
            anyhow::bail!(
                "{}: the lake folder's path is too long ({dir_len} bytes) for the paths of its \
                 files to fit the system's limit of {} bytes",
                cfg.dir.display(),
                PATH_MAX + 1
            );
        }
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
            sent_rows: 0,
            dir_len,
            failed: None,
            counts: LakeCounts::default(),
        })
    }

    /// Whether the lake can take `r`: `Err` says why not, naming the field,
    /// for the caller to reject the record as it rejects a bad line. Asked
    /// when the record arrives, so a record the lake cannot write never
    /// shares a file, and its failure, with others.
    ///
    /// Refused: a time outside years 1–9999 (its `date=` folder cannot be
    /// named), and with asset partitions an asset whose folder name,
    /// `asset=` and the name escaped as Hive escapes it, is longer than a
    /// file system allows (255 bytes), or makes a path longer than the
    /// system takes.
    pub fn admit(&self, r: &Reading) -> Result<(), ParseError> {
        if !(MIN_MILLIS..=MAX_MILLIS).contains(&r.ts) {
            return Err(ParseError {
                field: Some("ts"),
                message: "outside years 1-9999: the lake cannot name its date= folder".into(),
            });
        }
        if self.cfg.by_asset {
            self.check_asset_dir(&r.asset, escaped_len(&r.asset))?;
        }
        Ok(())
    }

    /// Checks that `asset=` and `escaped` bytes make a folder name the file
    /// system takes, in a path the system takes.
    fn check_asset_dir(&self, asset: &str, escaped: usize) -> Result<(), ParseError> {
        let name = "asset=".len() + escaped;
        if name > NAME_MAX {
            let escapes = if escaped > asset.len() {
                format!(" ({} bytes escaped)", escaped)
            } else {
                String::new()
            };
            return Err(ParseError {
                field: Some("asset"),
                message: format!(
                    "too long for a lake partition: its folder name asset=… would be {name} bytes \
                     (the name is {} bytes{escapes}), over the {NAME_MAX} a file system allows",
                    asset.len()
                ),
            });
        }
        let path = self.dir_len + 1 + DATE_DIR_LEN + 1 + name + FILE_NAME_LEN;
        if path > PATH_MAX {
            return Err(ParseError {
                field: Some("asset"),
                message: format!(
                    "too long for a lake partition: a file's path in its folder would be {path} \
                     bytes, over the {} the system takes",
                    PATH_MAX + 1
                ),
            });
        }
        Ok(())
    }

    /// Rows buffered and not yet written.
    pub fn buffered(&self) -> usize {
        self.buffered
    }

    /// Buffers a reading, writing files as the roll limits say.
    ///
    /// A reading [`Lake::admit`] refuses is not added and is counted in
    /// `counts.refused` (ask `admit` first to reject it by name). An error
    /// is a write error, which stops the lake: it is returned once, and
    /// every later call returns an error naming it.
    pub fn add(&mut self, r: &Reading) -> Result<()> {
        if let Some(e) = &self.failed {
            anyhow::bail!("the lake stopped after an earlier error: {e}");
        }
        if !(MIN_MILLIS..=MAX_MILLIS).contains(&r.ts) {
            self.counts.refused += 1;
            return Ok(());
        }
        let day = r.ts.div_euclid(86_400_000);
        if self.day_cache.as_ref().is_none_or(|(d, _)| *d != day) {
            let mut out = Vec::with_capacity(24);
            self.ts_fmt.write(day * 86_400_000, &mut out);
            let date = String::from_utf8_lossy(out.get(..10).unwrap_or(&out)).into_owned();
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
                let start = self.key_buf.len();
                escape_partition_value(&r.asset, &mut self.key_buf);
                let escaped = self.key_buf.len() - start;
                if self.check_asset_dir(&r.asset, escaped).is_err() {
                    // The caller did not ask admit(): refuse, never fail.
                    self.counts.refused += 1;
                    self.current_day = None;
                    return Ok(());
                }
            }
            if !self.parts.contains_key(self.key_buf.as_str()) {
                self.parts
                    .insert(self.key_buf.clone(), Part::new(self.key_buf.clone()));
            }
            self.current_key.clone_from(&self.key_buf);
            self.current_day = Some(day);
        }
        // Inserted above, or the partition of the row before (writing a
        // partition clears `current_day`).
        let Some(part) = self.parts.get_mut(self.current_key.as_str()) else {
            self.current_day = None;
            anyhow::bail!("the lake lost track of its partition {}", self.current_key);
        };
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
        if let Some(e) = &self.failed {
            anyhow::bail!("the lake stopped after an earlier error: {e}");
        }
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

    /// Writes everything buffered and waits for the writer.
    ///
    /// After a write error that [`Lake::add`] or [`Lake::flush_aged`]
    /// already returned, there is nothing left to write (the rows then
    /// buffered were counted in `lost`): close returns the counts of what
    /// was written, so a caller can still report them.
    pub fn close(self) -> Result<LakeCounts> {
        let (counts, result) = self.finish();
        result.map(|()| counts)
    }

    /// Like [`Lake::close`], and the counts of what was written (`rows`,
    /// `files`) and not (`lost`) even when the last files fail.
    pub fn finish(mut self) -> (LakeCounts, Result<()>) {
        let result = self.write_rest();
        (self.counts, result)
    }

    fn write_rest(&mut self) -> Result<()> {
        if self.failed.is_some() {
            return Ok(());
        }
        let keys: Vec<String> = self.parts.keys().cloned().collect();
        for key in keys {
            self.flush_part(&key)?;
        }
        let Some((jobs, worker)) = self.worker.take() else {
            return Ok(());
        };
        drop(jobs);
        let (written, result) = join_writer(worker);
        self.add_written(written);
        result.map_err(|e| self.stop(e, 0))
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
        let n = part.rows.len();
        self.buffered -= n;
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
        if sent {
            self.sent_rows += n as u64;
            return Ok(());
        }
        // The writer stopped on an error: that error is the one to tell.
        let (written, result) = match self.worker.take() {
            Some((jobs, worker)) => {
                drop(jobs);
                join_writer(worker)
            }
            None => (
                LakeCounts::default(),
                Err(anyhow::anyhow!("the Parquet writer is not running")),
            ),
        };
        self.add_written(written);
        let e = match result {
            Err(e) => e,
            Ok(()) => anyhow::anyhow!("the Parquet writer stopped without an error"),
        };
        Err(self.stop(e, n as u64))
    }

    fn add_written(&mut self, w: LakeCounts) {
        self.counts.rows += w.rows;
        self.counts.files += w.files;
        self.counts.bytes += w.bytes;
    }

    /// Stops the lake after the write error `e`: the rows not written (sent
    /// and not written, `unsent` more, and everything buffered) are dropped
    /// and counted, and `e` is returned saying how many.
    fn stop(&mut self, e: anyhow::Error, unsent: u64) -> anyhow::Error {
        let lost = self.sent_rows.saturating_sub(self.counts.rows) + unsent + self.buffered as u64;
        self.sent_rows = self.counts.rows;
        self.counts.lost += lost;
        self.parts.clear();
        self.buffered = 0;
        self.current_day = None;
        let e = e.context(format!(
            "the Parquet lake stopped: {lost} readings not written ({} written in {} files)",
            self.counts.rows, self.counts.files
        ));
        self.failed = Some(format!("{e:#}"));
        e
    }
}

impl Drop for Lake {
    /// A lake dropped without `close` (an error elsewhere) still lets the
    /// file being written finish or be removed, never left half-written.
    fn drop(&mut self) {
        if let Some((jobs, worker)) = self.worker.take() {
            drop(jobs);
            let _ = worker.join();
        }
    }
}

/// Waits for the writer thread: what it wrote and how it ended.
fn join_writer(worker: JoinHandle<WriterEnd>) -> WriterEnd {
    worker.join().unwrap_or_else(|_| {
        (
            LakeCounts::default(),
            Err(anyhow::anyhow!("the Parquet writer thread panicked")),
        )
    })
}

/// One file for the writer thread to write.
struct Job {
    dir: PathBuf,
    name: String,
    part: Part,
}

/// The writer thread: writes each job's file and counts what it wrote; the
/// first error ends it (the jobs still queued are dropped). It never
/// unwinds: a panic while writing a file is an error too.
fn write_jobs(jobs: Receiver<Job>, props: WriterProperties) -> WriterEnd {
    let mut counts = LakeCounts::default();
    for job in jobs {
        let rows = job.part.rows.len() as u64;
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

/// The hidden name a file is written under: `*.parquet` does not match it.
fn tmp_name(name: &str) -> String {
    format!(".{name}.tmp")
}

/// Sorts a partition's rows by asset, tag, time and writes them as one
/// file: temporary name, fsync, rename, fsync of the folder. On an error
/// the temporary file is removed.
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
    drop(part);
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = dir.join(tmp_name(name));
    let path = dir.join(name);
    let written = write_file(&tmp, &batch, props.clone())
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
    let mut writer =
        ArrowWriter::try_new(file.try_clone()?, schema(), Some(props)).map_err(io_first)?;
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
        if needs_escape(c) {
            let mut b = [0u8; 4];
            for byte in c.encode_utf8(&mut b).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        } else {
            out.push(c);
        }
    }
}

fn needs_escape(c: char) -> bool {
    c == '/' || c == '=' || c == '%' || c == '\\' || c.is_control() || c == ':'
}

/// The length in bytes of `v` escaped by [`escape_partition_value`].
fn escaped_len(v: &str) -> usize {
    v.chars()
        .map(|c| {
            if needs_escape(c) {
                3 * c.len_utf8()
            } else {
                c.len_utf8()
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_len_is_the_escaped_names_length() {
        for v in ["WH-01", "a/b=c%d", "x\u{0}y", "é:ü", "LINE-A/M-03\\"] {
            let mut out = String::new();
            escape_partition_value(v, &mut out);
            assert_eq!(escaped_len(v), out.len(), "{v:?} → {out:?}");
        }
    }
}
