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
use std::fs;
use std::path::PathBuf;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::layout::{
    EVERY_KEY, check_asset_dir, check_lake_dir, date_dir, day_of, escaped_len, file_name,
    push_asset_dir,
};
use super::part::{Job, Part, write_jobs};
use crate::record::{ParseError, Reading};
use crate::rollup::store::BucketRow;
use crate::time::{MAX_MILLIS, MIN_MILLIS};

/// How the `value` column is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// How the lake writes its files: zstd for the values, Snappy for `ts`
/// (delta-encoded), the name columns (dictionary keys in long repeats)
/// uncompressed, row groups of 256 Ki rows, `value` as `enc` says.
pub(crate) fn writer_props(enc: ValueEncoding) -> Result<WriterProperties> {
    let value = ColumnPath::from("value");
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        // Delta-encoded times are a few bits a reading; Snappy packs them
        // as tightly as zstd without the ~100 KB decompression context
        // each reader of a zstd column makes (see below).
        .set_column_compression(ColumnPath::from("ts"), Compression::SNAPPY)
        .set_max_row_group_row_count(Some(256 * 1024))
        // Pages of at most 4,096 rows: the time-order merge decodes a
        // series a chunk at a time, each chunk its pages whole.
        .set_data_page_row_count_limit(4096)
        .set_dictionary_enabled(true)
        .set_column_dictionary_enabled(ColumnPath::from("ts"), false)
        .set_column_encoding(ColumnPath::from("ts"), Encoding::DELTA_BINARY_PACKED)
        // Readers prune by time, asset and tag (and guess the value's
        // scale from its maximum); statistics of the other columns would
        // cost two comparisons a row and serve no reader.
        .set_column_statistics_enabled(ColumnPath::from("unit"), EnabledStatistics::None)
        .set_column_statistics_enabled(ColumnPath::from("quality"), EnabledStatistics::None)
        .set_column_statistics_enabled(ColumnPath::from("text"), EnabledStatistics::None)
        // A name column's pages are dictionary keys in long repeats, a
        // few bytes each: zstd saves nothing there, and each compressed
        // column costs every reader a decompression context (~100 KB).
        .set_column_compression(ColumnPath::from("asset"), Compression::UNCOMPRESSED)
        .set_column_compression(ColumnPath::from("tag"), Compression::UNCOMPRESSED)
        .set_column_compression(ColumnPath::from("unit"), Compression::UNCOMPRESSED)
        .set_column_compression(ColumnPath::from("quality"), Compression::UNCOMPRESSED)
        .set_column_compression(ColumnPath::from("text"), Compression::UNCOMPRESSED)
        .set_created_by(format!("iiot {}", env!("CARGO_PKG_VERSION")));
    let props = match enc {
        ValueEncoding::ByteStreamSplit => props
            .set_column_dictionary_enabled(value.clone(), false)
            .set_column_encoding(value, Encoding::BYTE_STREAM_SPLIT),
        ValueEncoding::Plain => props
            .set_column_dictionary_enabled(value.clone(), false)
            .set_column_encoding(value, Encoding::PLAIN),
        // A reader decodes the dictionary of each value column chunk it
        // reads: 64 KiB (8,192 distinct values) keeps that small for the
        // time-order merge's reader of a chunk of rows. A row group of more
        // distinct values goes on in plain pages, which zstd packs as
        // tightly.
        ValueEncoding::Dictionary => props.set_column_dictionary_page_size_limit(value, 64 * 1024),
    };
    Ok(props.build())
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
    /// The partition of the row added last, out of `parts` while it is
    /// (so a row of the same partition as the one before needs no lookup),
    /// its key, and its day; back in `parts` before anything else looks at
    /// them all.
    current: Option<Part>,
    current_key: String,
    current_day: Option<i64>,
    /// The last day seen and its `date=…` folder name.
    day_cache: Option<(i64, String)>,
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
pub(super) type WriterEnd = (LakeCounts, Result<()>);

impl Lake {
    pub fn open(cfg: LakeConfig) -> Result<Lake> {
        let dir_len = cfg.dir.as_os_str().len();
        if let Err(e) = check_lake_dir(dir_len) {
            anyhow::bail!("{}: {e}", cfg.dir.display());
        }
        fs::create_dir_all(&cfg.dir).with_context(|| format!("creating {}", cfg.dir.display()))?;
        let props = writer_props(cfg.value_encoding)?;
        // One file queued while one is written: memory stays bounded.
        let (jobs, queue) = sync_channel::<Job>(1);
        let worker = std::thread::Builder::new()
            .name("parquet-writer".into())
            .spawn(move || write_jobs(queue, props))?;
        Ok(Lake {
            cfg,
            parts: HashMap::new(),
            current: None,
            buffered: 0,
            key_buf: String::new(),
            current_key: String::new(),
            current_day: None,
            day_cache: None,
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
            check_asset_dir(self.dir_len, &r.asset, escaped_len(&r.asset))?;
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
        if !(MIN_MILLIS..=MAX_MILLIS).contains(&r.ts) || !self.enter_partition(r) {
            // The caller did not ask admit(): refuse, never fail.
            self.counts.refused += 1;
            return Ok(());
        }
        // Taken out by enter_partition, or the partition of the row before.
        let Some(part) = self.current.as_mut() else {
            self.current_day = None;
            anyhow::bail!("the lake lost track of its partition {}", self.current_key);
        };
        part.push(r, &mut self.key_buf);
        self.buffered += 1;
        if part.len() >= self.cfg.roll_rows {
            let key = part.rel.clone();
            self.flush_part(&key)?;
        } else if self.buffered >= 2 * self.cfg.roll_rows {
            self.stash_current();
            let largest = self
                .parts
                .values()
                .max_by_key(|p| p.len())
                .map(|p| p.rel.clone());
            if let Some(key) = largest {
                self.flush_part(&key)?;
            }
        }
        Ok(())
    }

    /// Buffers a rollup record (`every` and `count`, parsed into `b`): it
    /// goes to the partition `every=WIDTH/date=…[/asset=…]`, in files of
    /// [`super::part::rollup_schema`] that keep every statistic. Refused
    /// as [`Lake::add`] refuses a reading.
    pub(crate) fn add_rollup(&mut self, r: &Reading, every: &str, b: BucketRow) -> Result<()> {
        if let Some(e) = &self.failed {
            anyhow::bail!("the lake stopped after an earlier error: {e}");
        }
        if self.admit(r).is_err() {
            self.counts.refused += 1;
            return Ok(());
        }
        self.stash_current();
        let mut key = format!("{EVERY_KEY}={every}/{}", date_dir(day_of(r.ts)));
        if self.cfg.by_asset {
            push_asset_dir(&r.asset, &mut key);
        }
        let part = self.parts.entry(key.clone()).or_insert_with(|| {
            let mut p = Part::new(key.clone());
            p.every = Some(every.to_string());
            p
        });
        part.push_rollup(r, b, &mut self.key_buf);
        self.buffered += 1;
        if part.len() >= self.cfg.roll_rows || self.buffered >= 2 * self.cfg.roll_rows {
            self.flush_part(&key)?;
        }
        Ok(())
    }

    /// Makes `current_key` the partition of `r` (a time in years 1–9999),
    /// made when new; `false` when its folder cannot be made.
    #[inline]
    fn enter_partition(&mut self, r: &Reading) -> bool {
        let day = day_of(r.ts);
        if self.day_cache.as_ref().is_none_or(|(d, _)| *d != day) {
            self.day_cache = Some((day, date_dir(day)));
        }
        // Without asset partitions, rows of the same day go to the same
        // partition as the row before: no key to build or look up twice.
        if !self.cfg.by_asset && self.current_day == Some(day) && self.current.is_some() {
            return true;
        }
        let date = self.day_cache.as_ref().map_or("", |(_, d)| d.as_str());
        self.key_buf.clear();
        self.key_buf.push_str(date);
        if self.cfg.by_asset {
            let escaped = push_asset_dir(&r.asset, &mut self.key_buf);
            if check_asset_dir(self.dir_len, &r.asset, escaped).is_err() {
                self.current_day = None;
                return false;
            }
        }
        if self.current.is_some() && self.current_key == self.key_buf {
            self.current_day = Some(day);
            return true;
        }
        self.stash_current();
        let part = self
            .parts
            .remove(self.key_buf.as_str())
            .unwrap_or_else(|| Part::new(self.key_buf.clone()));
        self.current = Some(part);
        self.current_key.clone_from(&self.key_buf);
        self.current_day = Some(day);
        true
    }

    /// Puts the current partition back among the others.
    fn stash_current(&mut self) {
        if let Some(part) = self.current.take() {
            self.parts.insert(self.current_key.clone(), part);
        }
        self.current_day = None;
    }

    /// When the oldest buffered partition must be written by age.
    pub fn next_due(&self) -> Option<Instant> {
        self.parts
            .values()
            .chain(self.current.iter())
            .map(|p| p.started + self.cfg.roll_age)
            .min()
    }

    /// Writes every partition whose first row is `roll_age` old.
    pub fn flush_aged(&mut self) -> Result<()> {
        if let Some(e) = &self.failed {
            anyhow::bail!("the lake stopped after an earlier error: {e}");
        }
        self.stash_current();
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
        self.stash_current();
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
        self.stash_current();
        let Some(part) = self.parts.remove(key) else {
            return Ok(());
        };
        if part.is_empty() {
            return Ok(());
        }
        let n = part.len();
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
        self.current = None;
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
