//! The SQLite historian (docs/storage.md): a series dictionary, readings in
//! a `WITHOUT ROWID` table keyed by series and epoch-ms time, alarm events,
//! rollup records, and the `rollup_pending` marks that tell `rollup` where
//! to start.
//!
//! Writes go in batches: a batch ends when it holds `batch_rows` records or
//! its first record is `batch_ms` old, so a fast stream commits in large
//! transactions and a slow one is durable within a second. Every write of a
//! batch — new series, units, readings, events, rollup records, rollup
//! marks — happens in one `BEGIN IMMEDIATE` transaction at commit: the
//! write lock is held only while a batch is written, and a batch is stored
//! whole or not at all. A crash loses at most the open batch, never part of
//! one. When a batch cannot be stored (the lock stays taken past
//! `--busy-timeout`, the disk is full), its records come back as
//! [`Unstored`], so the verb writes them to its rejects: nothing that was
//! read is dropped unseen.

mod batch;
pub(crate) mod fields;
mod forecast;

use std::path::Path;
use std::time::Duration;

use anyhow::{Result, bail};
use rusqlite::{Connection, params};

use self::batch::Written;
use self::fields::{extra_json, quality_code};
use super::alarms::alarm_tail;
use super::open::{Access, begin_immediate, connect, describe_error};
use crate::alarms::{AlarmKey, Tracker};
use crate::model::Model;
use crate::record::{ParseError, Reading, ReadingRef, RecordEncoder};
use crate::store::batch::{RollupRow, SeriesBook, drain_unstored, refused_reason};
use crate::store::events::{EventRow, tracker_with_batch};
use crate::time::Millis;

/// What to do when a reading of the same series and time is stored already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// Keep the stored reading; count the new one as a duplicate.
    Ignore,
    /// Overwrite it when it differs (identical ones still count as duplicates).
    Replace,
}

/// Durability of each commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sync {
    /// WAL with synchronous=NORMAL: survives an application crash or kill -9; a power loss may lose the last commits, never corrupts.
    Normal,
    /// WAL with synchronous=FULL: every commit also survives a power loss.
    Full,
}

/// How a store is opened.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub sync: Sync,
    pub on_conflict: OnConflict,
    /// How long a commit waits for another process's write lock.
    pub busy_timeout: Duration,
    /// No message on stderr while waiting.
    pub quiet: bool,
}

/// Counts of what a store did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub stored: u64,
    pub duplicates: u64,
    pub replaced: u64,
    pub events: u64,
    pub rollups: u64,
    /// Forecast records, in `forecasts`.
    pub forecasts: u64,
}

/// Where a record came from: the verb's input number and line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub source: u32,
    pub line: u64,
}

/// A record the store did not store, with why and the record as NDJSON,
/// for the rejects.
#[derive(Debug, Clone)]
pub struct Unstored {
    pub origin: Origin,
    pub reason: String,
    pub record: String,
}

/// An open SQLite store.
pub struct SqliteStore {
    conn: Connection,
    name: String,
    opts: Options,
    /// The series dictionary, with the open batch's new series.
    series: SeriesBook,
    /// Readings of the open batch, inserted at commit.
    rows: Vec<Row>,
    /// The `extra` JSON of the buffered readings, end to end.
    extra_arena: String,
    extra_buf: Vec<u8>,
    events: Vec<EventRow>,
    rollups: Vec<RollupRow>,
    forecasts: Vec<forecast::ForecastRow>,
    /// Records a commit refused (behind a retention point), for the rejects.
    refused: Vec<Unstored>,
    /// After a failed commit the store takes nothing more.
    failed: bool,
    pub counts: Counts,
}

/// A reading waiting for its batch to commit.
#[derive(Debug, Clone, Copy)]
struct Row {
    id: i64,
    ts: Millis,
    value: f64,
    quality: u8,
    /// Range of its extra JSON in `extra_arena`.
    extra: Option<(u32, u32)>,
    origin: Origin,
}

/// The store's series dictionary, as `add` looks series up.
fn load_series(conn: &Connection) -> Result<SeriesBook> {
    let mut series = SeriesBook::default();
    let mut stmt = conn.prepare("SELECT id, asset, tag, coalesce(unit, '') FROM series")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    for row in rows {
        let (id, asset, tag, unit) = row?;
        series.insert(id, asset, tag, unit);
    }
    Ok(series)
}

impl SqliteStore {
    pub fn open(path: &Path, opts: Options) -> Result<SqliteStore> {
        let conn = connect(path, Access::Write(&opts))?;
        let series = load_series(&conn)?;
        Ok(SqliteStore {
            conn,
            name: path.display().to_string(),
            opts,
            series,
            rows: Vec::new(),
            extra_arena: String::new(),
            extra_buf: Vec::with_capacity(256),
            events: Vec::new(),
            forecasts: Vec::new(),
            rollups: Vec::new(),
            refused: Vec::new(),
            failed: false,
            counts: Counts::default(),
        })
    }

    /// Records the units and descriptions of a model's series.
    pub fn describe(&mut self, model: &Model) -> Result<()> {
        self.begin()?;
        let written = (|| -> rusqlite::Result<()> {
            let mut stmt = self.conn.prepare(
                "INSERT INTO series (asset, tag, unit, description) VALUES (?1, ?2, nullif(?3, ''), nullif(?4, ''))
                 ON CONFLICT (asset, tag) DO UPDATE SET unit = excluded.unit, description = excluded.description",
            )?;
            for row in &model.rows {
                stmt.execute(params![row.asset, row.tag, row.unit, row.description])?;
            }
            drop(stmt);
            self.conn.execute_batch("COMMIT")
        })();
        if let Err(e) = written {
            let _ = self.conn.execute_batch("ROLLBACK");
            return Err(describe_error(e, Path::new(&self.name)));
        }
        self.series = load_series(&self.conn)?;
        Ok(())
    }

    fn begin(&mut self) -> Result<()> {
        begin_immediate(&self.conn, Path::new(&self.name), &self.opts)
    }

    /// Whether a commit failed (the batch is still buffered).
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Records in the open batch.
    pub fn batch_len(&self) -> usize {
        self.rows.len() + self.events.len() + self.rollups.len() + self.forecasts.len()
    }

    /// Adds a record to the open batch: an alarm event (a record with
    /// `event`), a rollup record (one with `every` and `count`), or a
    /// reading. `raw` is the line as read, kept for the rejects of the rare
    /// kinds. A record the store cannot take is refused with the field at
    /// fault.
    pub fn add(&mut self, r: &Reading, raw: &[u8], origin: Origin) -> Result<(), ParseError> {
        if self.failed {
            return Err(ParseError {
                field: None,
                message: format!("not stored: {} failed earlier", self.name),
            });
        }
        if r.is_event() {
            self.add_event(r, raw, origin)
        } else if forecast::is_forecast(r) {
            self.add_forecast(r, raw, origin)
        } else if r.extra_field("every").is_some() && r.extra_field("count").is_some() {
            self.add_rollup(r, raw, origin)
        } else {
            self.add_reading(r, origin);
            Ok(())
        }
    }

    /// Buffers a reading. Readings are inserted when the batch commits,
    /// sorted by series and time: each series' rows then go into the B-tree
    /// together instead of one per series in turn.
    fn add_reading(&mut self, r: &Reading, origin: Origin) {
        let id = self.series.id(&r.asset, &r.tag, &r.unit);
        let start = self.extra_arena.len();
        let extra = match extra_json(r, &[], &mut self.extra_buf) {
            Some(text) => {
                self.extra_arena.push_str(text);
                Some((start as u32, self.extra_arena.len() as u32))
            }
            None => None,
        };
        self.rows.push(Row {
            id,
            ts: r.ts,
            value: r.value,
            quality: quality_code(r.quality),
            extra,
            origin,
        });
    }

    fn add_event(&mut self, r: &Reading, raw: &[u8], origin: Origin) -> Result<(), ParseError> {
        let mut buf = std::mem::take(&mut self.extra_buf);
        let row = EventRow::parse(r, raw, origin, &mut buf, |key, at| {
            self.alarm_tracker(key, at)
        });
        self.extra_buf = buf;
        self.events.push(row?);
        Ok(())
    }

    fn add_rollup(&mut self, r: &Reading, raw: &[u8], origin: Origin) -> Result<(), ParseError> {
        let row = RollupRow::parse(r, raw, origin, &mut self.extra_buf, &mut self.series)?;
        self.rollups.push(row);
        Ok(())
    }

    /// The state of one alarm at `at`: its stored events from its last
    /// raise up to `at` and the open batch's events of it, folded.
    pub fn alarm_tracker(&self, key: &AlarmKey, at: Millis) -> Result<Tracker> {
        let stored = alarm_tail(&self.conn, key, at)?;
        Ok(tracker_with_batch(key, at, stored, &self.events))
    }

    /// Commits the open batch, with its rollup marks. Readings behind a
    /// series' retention point are refused (see [`SqliteStore::take_refused`]).
    /// On an error nothing of the batch is stored and it stays buffered for
    /// [`SqliteStore::take_unstored`].
    pub fn commit(&mut self) -> Result<()> {
        if self.batch_len() == 0 && self.series.is_clean() {
            return Ok(());
        }
        if self.failed {
            bail!("{}: an earlier commit failed", self.name);
        }
        let result = self.begin().and_then(|()| {
            let written = self.write_batch();
            match written {
                Ok(done) => match self.conn.execute_batch("COMMIT") {
                    Ok(()) => Ok(done),
                    Err(e) => Err(describe_error(e, Path::new(&self.name))),
                },
                Err(e) => Err(e),
            }
        });
        match result {
            Ok(done) => {
                self.finish_batch(done);
                Ok(())
            }
            Err(e) => {
                // SQLite may have rolled back already (a full disk does).
                let _ = self.conn.execute_batch("ROLLBACK");
                self.failed = true;
                Err(e)
            }
        }
    }

    /// After a commit: the new series' ids, the counts, the refused rows,
    /// and empty buffers.
    fn finish_batch(&mut self, done: Written) {
        self.series.committed(&done.ids);
        for (i, before) in done.refused {
            let row = self.rows[i];
            let record = self.encode_row(&row);
            self.refused.push(Unstored {
                origin: row.origin,
                reason: refused_reason(before),
                record,
            });
        }
        self.counts.add(&done.counts);
        self.rows.clear();
        self.extra_arena.clear();
        self.events.clear();
        self.rollups.clear();
        self.forecasts.clear();
    }

    /// The records the last commits refused, for the rejects.
    pub fn take_refused(&mut self) -> Vec<Unstored> {
        std::mem::take(&mut self.refused)
    }

    /// Every record of the open batch, as NDJSON with `reason`, emptying
    /// the batch: what a failed commit could not store.
    pub fn take_unstored(&mut self, reason: &str) -> Vec<Unstored> {
        let mut out = Vec::with_capacity(self.batch_len());
        let rows = std::mem::take(&mut self.rows);
        for row in &rows {
            out.push(Unstored {
                origin: row.origin,
                reason: reason.to_string(),
                record: self.encode_row(row),
            });
        }
        for f in self.forecasts.drain(..) {
            out.push(Unstored {
                origin: f.origin,
                reason: reason.to_string(),
                record: f.raw,
            });
        }
        drain_unstored(reason, &mut self.events, &mut self.rollups, &mut out);
        self.extra_arena.clear();
        out
    }

    /// A buffered reading as an NDJSON record, for a reject.
    fn encode_row(&self, row: &Row) -> String {
        let (asset, tag, unit) = self.series.names(row.id).unwrap_or(("?", "?", ""));
        let extra = row
            .extra
            .map(|(a, b)| &self.extra_arena[a as usize..b as usize])
            .and_then(|json| json.strip_prefix('{').and_then(|j| j.strip_suffix('}')))
            .unwrap_or("");
        let quality = fields::quality_of_code(i64::from(row.quality));
        let mut out = Vec::with_capacity(160);
        RecordEncoder::new(crate::record::Format::Ndjson).encode(
            &ReadingRef {
                ts: row.ts,
                asset,
                tag,
                value: row.value,
                unit,
                quality,
                text: "",
                fault: "",
                extra,
                encoded: None,
            },
            &mut out,
        );
        while out.last() == Some(&b'\n') {
            out.pop();
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Commits and closes, folding the WAL back into the database file.
    pub fn close(mut self) -> Result<Counts> {
        if !self.failed {
            self.commit()?;
        }
        // Best effort: a reader holding the WAL open keeps it.
        let _ = self.conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)");
        Ok(self.counts)
    }
}
