//! The SQLite historian (docs/storage.md): a series dictionary, readings in
//! a `WITHOUT ROWID` table keyed by series and epoch-ms time, alarm events,
//! and the `rollup_pending` marks that tell `rollup` where to start.
//!
//! Writes go in batches, each one transaction: a batch ends when it holds
//! `batch_rows` readings or its first reading is `batch_ms` old, so a fast
//! stream commits in large transactions and a slow one is durable within a
//! second. A crash loses at most the open batch, never part of one.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, OptionalExtension, params};

use crate::model::Model;
use crate::record::{Quality, Reading, write_json_str};
use crate::time::Millis;

/// The schema this build writes; `meta.schema_version`.
pub const SCHEMA_VERSION: i64 = 1;

/// What to do when a reading of the same series and time is stored already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnConflict {
    /// Keep the stored reading; count the new one as a duplicate.
    Ignore,
    /// Overwrite it when it differs (identical ones still count as duplicates).
    Replace,
}

/// Durability of each commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Sync {
    /// WAL with synchronous=NORMAL: survives an application crash or kill -9; a power loss may lose the last commits, never corrupts.
    Normal,
    /// WAL with synchronous=FULL: every commit also survives a power loss.
    Full,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY,
  asset TEXT NOT NULL,
  tag TEXT NOT NULL,
  unit TEXT,
  description TEXT,
  UNIQUE (asset, tag)
);
CREATE TABLE IF NOT EXISTS readings (
  series_id INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  value REAL NOT NULL,
  quality INTEGER NOT NULL DEFAULT 0,
  extra TEXT,
  PRIMARY KEY (series_id, ts)
) WITHOUT ROWID;
CREATE VIEW IF NOT EXISTS readings_v AS
SELECT strftime('%Y-%m-%dT%H:%M:%S', r.ts / 1000, 'unixepoch')
         || CASE WHEN r.ts % 1000 = 0 THEN 'Z' ELSE printf('.%03dZ', r.ts % 1000) END AS ts,
       s.asset, s.tag, r.value, s.unit,
       CASE r.quality WHEN 0 THEN 'good' WHEN 1 THEN 'uncertain' ELSE 'bad' END AS quality
FROM readings r JOIN series s ON s.id = r.series_id;
CREATE TABLE IF NOT EXISTS alarm_events (
  ts INTEGER NOT NULL,
  asset TEXT NOT NULL,
  tag TEXT NOT NULL,
  rule TEXT NOT NULL,
  event TEXT NOT NULL,
  kind TEXT,
  severity TEXT,
  value REAL,
  \"limit\" REAL,
  extra TEXT,
  PRIMARY KEY (asset, tag, rule, ts, event)
) WITHOUT ROWID;
CREATE VIEW IF NOT EXISTS alarm_events_v AS
SELECT strftime('%Y-%m-%dT%H:%M:%S', ts / 1000, 'unixepoch')
         || CASE WHEN ts % 1000 = 0 THEN 'Z' ELSE printf('.%03dZ', ts % 1000) END AS ts,
       asset, tag, rule, event, kind, severity, value, \"limit\"
FROM alarm_events;
CREATE TABLE IF NOT EXISTS rollup_pending (
  series_id INTEGER PRIMARY KEY,
  since INTEGER NOT NULL
);
";

/// Counts of what a store did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub stored: u64,
    pub duplicates: u64,
    pub replaced: u64,
    pub events: u64,
}

/// An open SQLite store.
pub struct SqliteStore {
    conn: Connection,
    on_conflict: OnConflict,
    /// asset → tag → (series id, unit as stored); two levels so a lookup
    /// borrows the reading's strings instead of building a key.
    series: SeriesIds,
    /// Earliest reading time per series in the open batch.
    pending: HashMap<i64, Millis>,
    in_batch: usize,
    in_tx: bool,
    /// Readings of the open batch, inserted at commit.
    rows: Vec<Row>,
    /// The `extra` JSON of the buffered readings, end to end.
    extra_arena: String,
    extra_buf: Vec<u8>,
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
}

/// Switches a store to WAL, waiting for another process that opens the
/// same new file at the same moment (two stores in one pipeline): SQLite
/// answers "busy" at once to the one that loses the race for the switch
/// instead of calling the busy handler.
pub(crate) fn switch_to_wal(conn: &Connection, path: &Path) -> Result<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)) {
            Ok(mode) => return Ok(mode),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("{} is not a SQLite database", path.display()));
            }
        }
    }
}

/// Series ids and units by asset, then tag.
type SeriesIds = HashMap<String, HashMap<String, (i64, String)>>;

/// The store's series dictionary, as `add_reading` looks series up.
fn load_series(conn: &Connection) -> Result<SeriesIds> {
    let mut series = SeriesIds::new();
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
        series.entry(asset).or_default().insert(tag, (id, unit));
    }
    Ok(series)
}

impl SqliteStore {
    pub fn open(path: &Path, sync: Sync, on_conflict: OnConflict) -> Result<SqliteStore> {
        let conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let mode = switch_to_wal(&conn, path)?;
        if !mode.eq_ignore_ascii_case("wal") {
            bail!(
                "{}: could not switch to WAL (journal mode is {mode})",
                path.display()
            );
        }
        let sync_pragma = match sync {
            Sync::Normal => "NORMAL",
            Sync::Full => "FULL",
        };
        conn.execute_batch(&format!(
            "PRAGMA synchronous={sync_pragma}; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768;"
        ))?;
        let version: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .or_else(|e| match e {
                // A new file has no meta table yet.
                rusqlite::Error::SqliteFailure(_, Some(ref m)) if m.contains("no such table") => {
                    Ok(None)
                }
                e => Err(e),
            })?;
        if let Some(v) = version {
            let v: i64 = v.parse().unwrap_or(i64::MAX);
            if v > SCHEMA_VERSION {
                bail!(
                    "{} has schema version {v}, newer than this iiot's {SCHEMA_VERSION}: upgrade iiot",
                    path.display()
                );
            }
        }
        conn.execute_batch(SCHEMA)?;
        conn.execute(
            "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?1)",
            params![SCHEMA_VERSION.to_string()],
        )?;
        let series = load_series(&conn)?;
        Ok(SqliteStore {
            conn,
            on_conflict,
            series,
            pending: HashMap::new(),
            in_batch: 0,
            in_tx: false,
            rows: Vec::new(),
            extra_arena: String::new(),
            extra_buf: Vec::with_capacity(256),
            counts: Counts::default(),
        })
    }

    /// Records the units and descriptions of a model's series.
    pub fn describe(&mut self, model: &Model) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO series (asset, tag, unit, description) VALUES (?1, ?2, nullif(?3, ''), nullif(?4, ''))
                 ON CONFLICT (asset, tag) DO UPDATE SET unit = excluded.unit, description = excluded.description",
            )?;
            for row in &model.rows {
                stmt.execute(params![row.asset, row.tag, row.unit, row.description])?;
            }
        }
        tx.commit()?;
        self.series = load_series(&self.conn)?;
        Ok(())
    }

    /// Events are written as they come, inside the batch's transaction.
    fn begin_if_needed(&mut self) -> Result<()> {
        if !self.in_tx {
            self.conn.execute_batch("BEGIN")?;
            self.in_tx = true;
        }
        Ok(())
    }

    /// Readings in the open batch.
    pub fn batch_len(&self) -> usize {
        self.in_batch
    }

    fn series_id(&mut self, asset: &str, tag: &str, unit: &str) -> Result<i64> {
        if let Some((id, stored_unit)) = self.series.get_mut(asset).and_then(|t| t.get_mut(tag)) {
            if stored_unit == unit || unit.is_empty() {
                return Ok(*id);
            }
            self.conn
                .prepare_cached("UPDATE series SET unit = ?1 WHERE id = ?2")?
                .execute(params![unit, *id])?;
            stored_unit.clear();
            stored_unit.push_str(unit);
            return Ok(*id);
        }
        let id: i64 = self
            .conn
            .prepare_cached(
                "INSERT INTO series (asset, tag, unit) VALUES (?1, ?2, nullif(?3, ''))
                 ON CONFLICT (asset, tag) DO UPDATE SET unit = coalesce(nullif(excluded.unit, ''), unit)
                 RETURNING id",
            )?
            .query_row(params![asset, tag, unit], |r| r.get(0))?;
        self.series
            .entry(asset.to_string())
            .or_default()
            .insert(tag.to_string(), (id, unit.to_string()));
        Ok(id)
    }

    /// Adds a reading to the open batch. Readings are inserted when the
    /// batch commits, sorted by series and time: each series' rows then go
    /// into the B-tree together instead of one per series in turn.
    pub fn add_reading(&mut self, r: &Reading) -> Result<()> {
        let id = self.series_id(&r.asset, &r.tag, &r.unit)?;
        let start = self.extra_arena.len();
        let extra = match extra_json(r, &mut self.extra_buf) {
            Some(text) => {
                self.extra_arena.push_str(text);
                Some((start as u32, self.extra_arena.len() as u32))
            }
            None => None,
        };
        let quality = match r.quality {
            Quality::Good => 0,
            Quality::Uncertain => 1,
            Quality::Bad => 2,
        };
        self.rows.push(Row {
            id,
            ts: r.ts,
            value: r.value,
            quality,
            extra,
        });
        self.in_batch += 1;
        Ok(())
    }

    /// Inserts the buffered readings, counting what was new.
    fn insert_rows(&mut self) -> Result<()> {
        // Stable: with --on-conflict replace the last of two equal keys wins.
        self.rows.sort_by_key(|r| (r.id, r.ts));
        let rows = std::mem::take(&mut self.rows);
        for row in &rows {
            let extra = row
                .extra
                .map(|(a, b)| &self.extra_arena[a as usize..b as usize]);
            let params = params![row.id, row.ts, row.value, row.quality, extra];
            // (new row, replaced an existing one)
            let (new, replaced) = match self.on_conflict {
                OnConflict::Ignore => {
                    let n = self
                        .conn
                        .prepare_cached(
                            "INSERT OR IGNORE INTO readings VALUES (?1, ?2, ?3, ?4, ?5)",
                        )?
                        .execute(params)?;
                    (n > 0, false)
                }
                OnConflict::Replace => {
                    let existed = self
                        .conn
                        .prepare_cached("SELECT 1 FROM readings WHERE series_id = ?1 AND ts = ?2")?
                        .exists(params![row.id, row.ts])?;
                    // Rewrites the row only when something differs, so an
                    // identical replay still counts as a duplicate.
                    let n = self
                        .conn
                        .prepare_cached(
                            "INSERT INTO readings VALUES (?1, ?2, ?3, ?4, ?5)
                             ON CONFLICT (series_id, ts) DO UPDATE
                             SET value = excluded.value, quality = excluded.quality, extra = excluded.extra
                             WHERE value IS NOT excluded.value OR quality IS NOT excluded.quality
                                OR extra IS NOT excluded.extra",
                        )?
                        .execute(params)?;
                    (n > 0 && !existed, n > 0 && existed)
                }
            };
            if new {
                self.counts.stored += 1;
            } else if replaced {
                self.counts.replaced += 1;
            } else {
                self.counts.duplicates += 1;
            }
            if new || replaced {
                self.pending
                    .entry(row.id)
                    .and_modify(|t| *t = (*t).min(row.ts))
                    .or_insert(row.ts);
            }
        }
        self.rows = rows;
        self.rows.clear();
        self.extra_arena.clear();
        Ok(())
    }

    /// Adds an alarm event line to the open batch.
    pub fn add_event(&mut self, r: &Reading) -> Result<()> {
        self.begin_if_needed()?;
        self.in_batch += 1;
        let text = |key: &str| -> Option<String> {
            r.extra_field(key)
                .and_then(|raw| serde_json::from_str::<String>(raw).ok())
        };
        let limit = r
            .extra_field("limit")
            .and_then(|raw| raw.parse::<f64>().ok());
        let event = text("event").unwrap_or_default();
        let rule = text("rule").unwrap_or_default();
        // What the columns do not hold stays in `extra`.
        let mut rest = Reading::default();
        for (k, v) in r.extra_fields() {
            if !matches!(k, "event" | "rule" | "kind" | "severity" | "limit") {
                rest.push_extra(k, v);
            }
        }
        rest.text.clone_from(&r.text);
        rest.fault.clone_from(&r.fault);
        let extra = extra_json(&rest, &mut self.extra_buf);
        let n = self
            .conn
            .prepare_cached("INSERT OR IGNORE INTO alarm_events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")?
            .execute(params![
                r.ts,
                r.asset,
                r.tag,
                rule,
                event,
                text("kind"),
                text("severity"),
                r.value,
                limit,
                extra
            ])?;
        if n > 0 {
            self.counts.events += 1;
        } else {
            self.counts.duplicates += 1;
        }
        Ok(())
    }

    /// Commits the open batch, with its rollup marks.
    pub fn commit(&mut self) -> Result<()> {
        if self.in_batch == 0 {
            return Ok(());
        }
        self.begin_if_needed()?;
        self.insert_rows()?;
        {
            let mut stmt = self.conn.prepare_cached(
                "INSERT INTO rollup_pending VALUES (?1, ?2)
                 ON CONFLICT (series_id) DO UPDATE SET since = min(since, excluded.since)",
            )?;
            for (id, since) in self.pending.drain() {
                stmt.execute(params![id, since])?;
            }
        }
        self.conn.execute_batch("COMMIT")?;
        self.in_tx = false;
        self.in_batch = 0;
        Ok(())
    }

    /// Commits and closes, folding the WAL back into the database file.
    pub fn close(mut self) -> Result<Counts> {
        self.commit()?;
        // Best effort: a reader holding the WAL open keeps it.
        let _ = self.conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)");
        Ok(self.counts)
    }
}

/// The fields the readings table has no column for, as one JSON object,
/// or `None` when there are none.
fn extra_json<'b>(r: &Reading, buf: &'b mut Vec<u8>) -> Option<&'b str> {
    if r.text.is_empty() && r.fault.is_empty() && r.extra().is_empty() {
        return None;
    }
    buf.clear();
    buf.push(b'{');
    let mut first = true;
    for (key, value) in [("text", &r.text), ("fault", &r.fault)] {
        if !value.is_empty() {
            if !first {
                buf.push(b',');
            }
            first = false;
            buf.push(b'"');
            buf.extend_from_slice(key.as_bytes());
            buf.extend_from_slice(b"\":");
            write_json_str(value, buf);
        }
    }
    if !r.extra().is_empty() {
        if !first {
            buf.push(b',');
        }
        buf.extend_from_slice(r.extra().as_bytes());
    }
    buf.push(b'}');
    std::str::from_utf8(buf).ok()
}
