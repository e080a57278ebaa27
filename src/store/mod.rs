//! Storage by backend (docs/storage.md): [`sqlite`], a SQLite file, and
//! [`lake`], a folder of Parquet files — each one module holding all it
//! does: open, write, read, rollup tables, retention, and what inspect
//! asks of it.
//!
//! The verbs reach the backends through three enums, one per way a verb
//! uses storage:
//!
//! - [`Writer`] (`iiot store`): add a record, commit a batch when it is
//!   full or due, close.
//! - [`Reader`] (`iiot query`): read a [`Selection`], or only each
//!   series' latest reading.
//! - [`Store`] (`iiot rollup` and `iiot inspect` on a store): the rollup
//!   tables, retention, and the store's make-up.
//!
//! Enums rather than traits: the write and read paths are hot loops, and a
//! `match` per batch or per call is static dispatch with no generic
//! parameters spreading into the verbs (a record itself is handed on by
//! a closure the backend calls, as before). The backends do not share
//! every operation — a lake holds no alarm events, rollup tables or
//! `rollup_retained` — and an enum says what each does in one place. A
//! third backend (a PostgreSQL store) is a variant of each enum whose
//! arms call its own module, and a kind of [`Source`]. The verbs tell the
//! backends apart only where their options or their output differ:
//! `store` builds its target from backend-specific options, `inspect`
//! reports a store's tables or Parquet files and their footers, and
//! `rollup` on a lake folder does retention alone.
//!
//! Also here: [`Source`], what a path holds; [`Selection`], what a read
//! asks for; [`stats`], inspect's per-series statistics over any backend.

pub(crate) mod archive;
pub(crate) mod batch;
pub(crate) mod events;
pub mod lake;
pub(crate) mod layout;
pub(crate) mod order;
pub mod postgres;
pub(crate) mod rows;
pub(crate) mod select;
pub(crate) mod source;
pub mod sqlite;
pub(crate) mod stats;

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;

use self::lake::Lake;
use self::lake::columns::ColumnOptions;
use self::lake::parquet::Skipped;
use self::lake::read::{BadRowGroup, Files, Unreadable};
use self::postgres::{PgStore, PgWriter};
pub(crate) use self::select::Selection;
pub(crate) use self::source::Source;
use self::sqlite::SqliteStore;
use self::sqlite::inspect::StoreInfo;
pub use self::sqlite::{Counts, Origin, Unstored};
use crate::alarms::{AlarmKey, Filter, Tracker};
use crate::record::{ParseError, Reading, ReadingRef};
use crate::rollup::retain::{Deleted, Rule};
use crate::rollup::store::{Report, RollupRun};
use crate::store::rows::SeriesRows;
use crate::time::Millis;

/// A store opened to write (`iiot store`); one per run, so the size of
/// its variants does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Writer {
    Sqlite(SqliteStore),
    Lake(Lake),
    Postgres(PgWriter),
}

impl Writer {
    /// Adds a record: `Ok(Err(_))` when the store refuses it (the field at
    /// fault, for the rejects), `Err` when writing failed.
    #[inline]
    pub fn add(
        &mut self,
        r: &Reading,
        raw: &[u8],
        origin: Origin,
    ) -> Result<Result<(), ParseError>> {
        match self {
            Writer::Sqlite(store) => Ok(store.add(r, raw, origin)),
            Writer::Postgres(store) => Ok(store.add(r, raw, origin)),
            Writer::Lake(lake) => {
                if r.is_event() {
                    // The lake's columns hold readings: an event is
                    // rejected (and counted), not dropped unseen.
                    return Ok(Err(ParseError {
                        field: Some("event"),
                        message:
                            "an alarm event: a lake holds readings; store events in a SQLite file"
                                .into(),
                    }));
                }
                if r.extra_field("forecast") == Some("true") {
                    // A forecast is no measurement: in the lake's columns
                    // it could not be told from the reading it foretells.
                    return Ok(Err(ParseError {
                        field: Some("forecast"),
                        message: "a forecast record: a lake holds measured readings; store forecasts in a SQLite file (table forecasts)".into(),
                    }));
                }
                if let Err(e) = lake.admit(r) {
                    return Ok(Err(e));
                }
                if crate::rollup::record::is_rollup(r) {
                    // Every statistic in the rollup files of its width.
                    let (every, b) = match crate::rollup::record::bucket_row_of(r) {
                        Ok(x) => x,
                        Err(e) => return Ok(Err(e)),
                    };
                    lake.add_rollup(r, &every, b)?;
                    return Ok(Ok(()));
                }
                lake.add(r)?;
                Ok(Ok(()))
            }
        }
    }

    /// Whether the open batch holds `rows` records and must commit now (a
    /// lake writes its files as its own roll limits say).
    #[inline]
    pub fn batch_full(&self, rows: usize) -> bool {
        match self {
            Writer::Sqlite(store) => store.batch_len() >= rows,
            Writer::Postgres(store) => store.batch_len() >= rows,
            Writer::Lake(_) => false,
        }
    }

    /// When the open batch (started at `batch_started`, due `batch_time`
    /// later) or the oldest partition of a lake must be written.
    pub fn next_due(
        &self,
        batch_started: Option<Instant>,
        batch_time: Duration,
    ) -> Option<Instant> {
        match self {
            Writer::Sqlite(_) | Writer::Postgres(_) => batch_started.map(|t| t + batch_time),
            Writer::Lake(lake) => lake.next_due(),
        }
    }

    /// Commits the open batch (a lake has none: its files are written as
    /// they are due).
    pub fn commit(&mut self) -> Result<()> {
        match self {
            Writer::Sqlite(store) => store.commit(),
            Writer::Postgres(store) => store.commit(),
            Writer::Lake(_) => Ok(()),
        }
    }

    /// Writes what is due; returns whether nothing is left buffered.
    pub fn commit_due(&mut self) -> Result<bool> {
        match self {
            Writer::Sqlite(store) => store.commit().map(|()| true),
            Writer::Postgres(store) => store.commit().map(|()| true),
            Writer::Lake(lake) => {
                lake.flush_aged()?;
                Ok(lake.buffered() == 0)
            }
        }
    }

    /// Whether a commit failed, leaving its batch unstored.
    pub fn failed(&self) -> bool {
        match self {
            Writer::Sqlite(store) => store.failed(),
            Writer::Postgres(store) => store.failed(),
            Writer::Lake(_) => false,
        }
    }

    /// The records the last commits refused (behind a retention point).
    pub fn take_refused(&mut self) -> Vec<Unstored> {
        match self {
            Writer::Sqlite(store) => store.take_refused(),
            Writer::Postgres(store) => store.take_refused(),
            Writer::Lake(_) => Vec::new(),
        }
    }

    /// After a failed commit, every record of its batch with `reason`.
    pub fn take_unstored(&mut self, reason: &str) -> Vec<Unstored> {
        match self {
            Writer::Sqlite(store) => store.take_unstored(reason),
            Writer::Postgres(store) => store.take_unstored(reason),
            Writer::Lake(_) => Vec::new(),
        }
    }

    /// The state of one alarm at `at`, from the store and the open batch
    /// (`iiot ack`); a lake keeps no alarm events.
    pub fn alarm_tracker(&mut self, key: &AlarmKey, at: Millis) -> Result<Tracker> {
        match self {
            Writer::Sqlite(store) => store.alarm_tracker(key, at),
            Writer::Postgres(store) => store.alarm_tracker(key, at),
            Writer::Lake(_) => anyhow::bail!("a lake holds no alarm events"),
        }
    }

    /// Writes what is left and closes: what was stored (`Err` if closing
    /// failed), and for a lake the error of its last files, which comes
    /// with the counts of what reached its files before.
    pub fn close(self) -> (Result<Counts>, Result<()>) {
        match self {
            Writer::Sqlite(store) => (store.close(), Ok(())),
            Writer::Postgres(store) => (store.close(), Ok(())),
            Writer::Lake(lake) => {
                let (counts, finished) = lake.finish();
                let stored = Counts {
                    stored: counts.rows,
                    ..Counts::default()
                };
                (Ok(stored), finished)
            }
        }
    }
}

/// A store, Parquet file or lake opened to read (`iiot query`).
pub(crate) enum Reader {
    Sqlite(sqlite::Store),
    Parquet(Files),
    Postgres(PgStore),
}

impl Reader {
    /// Opens what `path` holds; `columns` maps Parquet other systems
    /// wrote, `sel` narrows what a lake lists and a wide table maps.
    pub(crate) fn open(path: &Path, columns: &ColumnOptions, sel: &Selection) -> Result<Reader> {
        Ok(match Source::detect(path)? {
            Source::Sqlite(path) => Reader::Sqlite(sqlite::Store::open_read(&path)?),
            Source::ParquetFile(path) => Reader::Parquet(Files::open_file(&path, columns, sel)?),
            Source::Lake(root) => Reader::Parquet(Files::open_lake(&root, columns, sel)?),
            Source::Postgres(url) => Reader::Postgres(PgStore::open_read(&url)?),
        })
    }

    /// For a lake: the files listed and the partitions pruned.
    pub(crate) fn listed(&self) -> Option<(usize, u64)> {
        match self {
            Reader::Sqlite(_) | Reader::Postgres(_) => None,
            Reader::Parquet(files) => files.listed,
        }
    }

    /// What could not be opened (the rest is read).
    pub(crate) fn unreadable(&self) -> &[Unreadable] {
        match self {
            Reader::Sqlite(_) | Reader::Postgres(_) => &[],
            Reader::Parquet(files) => &files.unreadable,
        }
    }

    /// How each Parquet file's columns map to readings.
    pub(crate) fn mappings(&self) -> Vec<String> {
        match self {
            Reader::Sqlite(_) | Reader::Postgres(_) => Vec::new(),
            Reader::Parquet(files) => files.mappings(),
        }
    }

    /// The bytes a read goes through, for progress (0 when unknown).
    pub(crate) fn bytes(&self) -> u64 {
        match self {
            Reader::Sqlite(_) | Reader::Postgres(_) => 0,
            Reader::Parquet(files) => files.bytes(),
        }
    }

    /// The selected readings, series by series (asset, then tag in byte
    /// order), each in time order, until `limit` were handed to `emit`.
    /// `on_unit` is told the bytes of each part read; the rows that could
    /// not be readings are counted in what is returned.
    pub(crate) fn read(
        &self,
        sel: &Selection,
        limit: u64,
        on_unit: &mut dyn FnMut(u64),
        emit: impl FnMut(&ReadingRef<'_>) -> Result<()>,
    ) -> Result<Skipped> {
        match self {
            Reader::Sqlite(store) => store.read(sel, limit, emit).map(|()| Skipped::default()),
            Reader::Postgres(store) => store.read(sel, limit, emit).map(|()| Skipped::default()),
            Reader::Parquet(files) => files.read(sel, limit, on_unit, emit),
        }
    }

    /// The selected readings of every series merged by time, then asset,
    /// then tag: on a store with tables (SQLite or PostgreSQL) in memory
    /// bounded by a page per series, on a lake by a day's readings.
    pub(crate) fn read_in_time_order(
        &self,
        sel: &Selection,
        limit: u64,
        on_unit: &mut dyn FnMut(u64),
        mut emit: impl FnMut(&ReadingRef<'_>) -> Result<()>,
    ) -> Result<Skipped> {
        if let Reader::Parquet(files) = self {
            return files.read_in_time_order(sel, limit, on_unit, emit);
        }
        let mut each = |r: &Reading| {
            emit(&r.as_ref())?;
            Ok(true)
        };
        match self {
            Reader::Sqlite(store) => store.read_in_time_order(sel, limit, &mut each)?,
            Reader::Postgres(store) => store.read_in_time_order(sel, limit, &mut each)?,
            Reader::Parquet(_) => unreachable!("read above"),
        }
        Ok(Skipped::default())
    }

    /// For a lake: the widths of its `every=WIDTH` rollup folders.
    pub(crate) fn rollup_widths(&self) -> &[String] {
        match self {
            Reader::Parquet(files) => &files.rollup_widths,
            _ => &[],
        }
    }

    /// Like [`Reader::read`], only the latest reading of each series.
    pub(crate) fn latest(
        &self,
        sel: &Selection,
        limit: u64,
        on_unit: &mut dyn FnMut(u64),
        emit: impl FnMut(&ReadingRef<'_>) -> Result<()>,
    ) -> Result<Skipped> {
        match self {
            Reader::Sqlite(store) => store.latest(sel, limit, emit).map(|()| Skipped::default()),
            Reader::Postgres(store) => store.latest(sel, limit, emit).map(|()| Skipped::default()),
            Reader::Parquet(files) => files.latest(sel, limit, on_unit, emit),
        }
    }

    /// The row groups a read skipped as undecodable.
    pub(crate) fn bad_row_groups(&self) -> Vec<BadRowGroup> {
        match self {
            Reader::Sqlite(_) | Reader::Postgres(_) => Vec::new(),
            Reader::Parquet(files) => files.bad_row_groups(),
        }
    }
}

/// A store with tables (`iiot rollup plant.db`, `iiot inspect plant.db`,
/// `iiot query plant.db --alarms`): a SQLite file or a PostgreSQL
/// database.
pub(crate) enum Store {
    Sqlite(sqlite::Store),
    Postgres(PgStore),
}

impl Store {
    /// Opens a store for rollup and retention.
    pub(crate) fn open_upkeep(path: &Path) -> Result<Store> {
        if let Some(url) = path.to_str().filter(|p| postgres::is_url(p)) {
            return Ok(Store::Postgres(PgStore::open_upkeep(url)?));
        }
        Ok(Store::Sqlite(sqlite::Store::open_upkeep(path)?))
    }

    /// Opens a store read-only.
    pub(crate) fn open_read(path: &Path) -> Result<Store> {
        if let Some(url) = path.to_str().filter(|p| postgres::is_url(p)) {
            return Ok(Store::Postgres(PgStore::open_read(url)?));
        }
        Ok(Store::Sqlite(sqlite::Store::open_read(path)?))
    }

    /// Rolls up every series' new closed buckets into the rollup tables.
    pub(crate) fn rollup(&mut self, run: &RollupRun<'_>) -> Result<Report> {
        match self {
            Store::Sqlite(store) => store.rollup(run),
            Store::Postgres(store) => store.rollup(run),
        }
    }

    /// Deletes (or with `dry_run` counts) what the retention rules let go.
    pub(crate) fn retain(
        &mut self,
        rules: &[Rule],
        now: Millis,
        dry_run: bool,
    ) -> Result<Vec<Deleted>> {
        match self {
            Store::Sqlite(store) => store.retain(rules, now, dry_run),
            Store::Postgres(store) => store.retain(rules, now, dry_run),
        }
    }

    /// Like [`Store::retain`], writing the rows to delete as Parquet under
    /// `dir` first (`--archive`).
    pub(crate) fn retain_archived(
        &mut self,
        rules: &[Rule],
        now: Millis,
        dir: &Path,
    ) -> Result<(Vec<Deleted>, archive::Archived)> {
        match self {
            Store::Sqlite(store) => archive::retain_archived(store, rules, now, dir),
            Store::Postgres(store) => archive::retain_archived(store, rules, now, dir),
        }
    }

    /// The store's make-up, for inspect.
    pub(crate) fn info(&self) -> Result<StoreInfo> {
        match self {
            Store::Sqlite(store) => store.info(),
            Store::Postgres(store) => store.info(),
        }
    }

    /// Every reading's asset, tag, time and value, series by series, each
    /// in time order.
    pub(crate) fn each_reading(&self, f: &mut dyn FnMut(&str, &str, Millis, f64)) -> Result<()> {
        match self {
            Store::Sqlite(store) => store.each_reading(f),
            Store::Postgres(store) => store.each_reading(f),
        }
    }

    /// Each wanted alarm's state at `at` (`query --active`).
    pub(crate) fn alarm_states(&self, filter: &Filter, at: Millis) -> Result<Tracker> {
        match self {
            Store::Sqlite(store) => store.alarm_states(filter, at),
            Store::Postgres(store) => store.alarm_states(filter, at),
        }
    }

    /// Each wanted alarm's last `predicted` event at or before `at` that
    /// no raise of it followed by `at` (`query --active`), as the records
    /// they were stored from, by asset, tag, rule.
    pub(crate) fn predictions_at(&self, filter: &Filter, at: Millis) -> Result<Vec<Reading>> {
        match self {
            Store::Sqlite(store) => store.predictions_at(filter, at),
            Store::Postgres(store) => store.predictions_at(filter, at),
        }
    }

    /// The wanted alarm events by time, as the records they were stored
    /// from (`query --alarms`); `emit` returns `false` to stop.
    pub(crate) fn alarm_events(
        &self,
        filter: &Filter,
        emit: impl FnMut(&Reading) -> Result<bool>,
    ) -> Result<()> {
        match self {
            Store::Sqlite(store) => store.alarm_events(filter, emit),
            Store::Postgres(store) => store.alarm_events(filter, emit),
        }
    }

    /// The selected readings of every series merged by time, then asset,
    /// then tag (`rollup DB --kpi`); `emit` returns `false` to stop.
    pub(crate) fn read_in_time_order(
        &self,
        sel: &Selection,
        limit: u64,
        emit: impl FnMut(&Reading) -> Result<bool>,
    ) -> Result<()> {
        match self {
            Store::Sqlite(store) => store.read_in_time_order(sel, limit, emit),
            Store::Postgres(store) => store.read_in_time_order(sel, limit, emit),
        }
    }
}
