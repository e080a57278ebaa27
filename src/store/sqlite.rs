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

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use crate::model::Model;
use crate::record::{ParseError, Quality, Reading, ReadingRef, RecordEncoder, write_json_str};
use crate::time::{MAX_MILLIS, MIN_MILLIS, Millis};

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
CREATE TABLE IF NOT EXISTS rollups (
  series_id INTEGER NOT NULL,
  every TEXT NOT NULL,
  ts INTEGER NOT NULL,
  count INTEGER NOT NULL,
  min REAL, max REAL, mean REAL, stddev REAL, first REAL, last REAL, twa REAL,
  first_ts INTEGER,
  good INTEGER NOT NULL,
  bad INTEGER NOT NULL,
  extra TEXT,
  PRIMARY KEY (series_id, every, ts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_pending (
  series_id INTEGER PRIMARY KEY,
  since INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rollup_retained (
  series_id INTEGER PRIMARY KEY,
  before INTEGER NOT NULL
);
";

/// SQL turning an epoch-millisecond column into the record format's UTC
/// text. The second and the milliseconds are taken by floor division, so a
/// time before 1970 prints as `1969-06-01T12:00:00.250Z`, not with a
/// negative fraction.
pub(crate) fn iso_ts_sql(col: &str) -> String {
    let ms = format!("((({col}) % 1000 + 1000) % 1000)");
    format!(
        "strftime('%Y-%m-%dT%H:%M:%S', (({col}) - {ms}) / 1000, 'unixepoch') \
         || CASE WHEN {ms} = 0 THEN 'Z' ELSE printf('.%03dZ', {ms}) END"
    )
}

/// Creates a view, or re-creates it when a store made by an earlier build
/// holds another definition (the views are the store's face for sqlite3
/// and Grafana, so they follow the build).
pub(crate) fn ensure_view(conn: &Connection, name: &str, select: &str) -> Result<()> {
    let have: Option<String> = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?;
    if have.is_some_and(|sql| sql.trim_end().ends_with(select.trim())) {
        return Ok(());
    }
    conn.execute_batch(&format!(
        "DROP VIEW IF EXISTS \"{name}\"; CREATE VIEW \"{name}\" AS {select}"
    ))
    .with_context(|| format!("creating the view {name}"))
}

/// The store's views: name and SELECT.
fn views() -> [(&'static str, String); 3] {
    let quality = "CASE r.quality WHEN 0 THEN 'good' WHEN 1 THEN 'uncertain' ELSE 'bad' END";
    [
        (
            "readings_v",
            format!(
                "SELECT {ts} AS ts, s.asset, s.tag, r.value, s.unit, {quality} AS quality
FROM readings r JOIN series s ON s.id = r.series_id",
                ts = iso_ts_sql("r.ts")
            ),
        ),
        (
            "alarm_events_v",
            format!(
                "SELECT {ts} AS ts, asset, tag, rule, event, kind, severity, value, \"limit\"
FROM alarm_events",
                ts = iso_ts_sql("ts")
            ),
        ),
        (
            "rollups_v",
            format!(
                "SELECT {ts} AS ts, s.asset, s.tag, r.mean AS value, s.unit, r.every, r.count, r.min,
       r.max, r.mean, r.stddev, r.first, r.last, r.twa, r.good, r.bad
FROM rollups r JOIN series s ON s.id = r.series_id",
                ts = iso_ts_sql("r.ts")
            ),
        ),
    ]
}

fn create_views(conn: &Connection) -> Result<()> {
    for (name, select) in views() {
        ensure_view(conn, name, &select)?;
    }
    Ok(())
}

/// Says what went wrong with a SQLite file in words a user acts on: a full
/// disk, a read-only file or folder, a file that is not SQLite.
pub(crate) fn describe_error(e: rusqlite::Error, path: &Path) -> anyhow::Error {
    let name = path.display();
    let what = match e.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => format!("{name}: the disk is full"),
        Some(ErrorCode::ReadOnly) => {
            format!("{name} cannot be written: the file or its folder is read-only")
        }
        Some(ErrorCode::CannotOpen) => format!(
            "cannot open {name} (a missing folder, no permission, or a read-only folder where the WAL files must be made)"
        ),
        Some(ErrorCode::NotADatabase) => format!("{name} is not a SQLite database"),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            format!("{name} is locked by another writer")
        }
        Some(ErrorCode::SystemIoFailure) => format!("{name}: a disk I/O error"),
        _ => format!("writing {name}"),
    };
    anyhow::Error::new(e).context(what)
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// Switches a store to WAL, waiting for another process that opens the
/// same new file at the same moment (two stores in one pipeline): SQLite
/// answers "busy" at once to the one that loses the race for the switch
/// instead of calling the busy handler.
pub(crate) fn switch_to_wal(conn: &Connection, path: &Path) -> Result<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)) {
            Ok(mode) => return Ok(mode),
            Err(e) if is_busy(&e) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(describe_error(e, path)),
        }
    }
}

/// Takes the write lock, waiting up to --busy-timeout for another writer
/// (a retention run, a second store) and saying so once when the wait is
/// longer than a moment (the connection's busy timeout, a second at most).
fn begin_immediate(conn: &Connection, path: &Path, opts: &Options) -> Result<()> {
    let started = Instant::now();
    let mut said = false;
    loop {
        match conn.execute_batch("BEGIN IMMEDIATE") {
            Ok(()) => return Ok(()),
            Err(e) if is_busy(&e) => {
                let waited = started.elapsed();
                if waited >= opts.busy_timeout {
                    return Err(anyhow::Error::new(e).context(format!(
                        "{} stayed locked by another writer for {:.1} s (--busy-timeout {} s)",
                        path.display(),
                        waited.as_secs_f64(),
                        opts.busy_timeout.as_secs_f64()
                    )));
                }
                if !said && !opts.quiet {
                    eprintln!(
                        "iiot store: {} is locked by another writer; waiting up to {} s (--busy-timeout)",
                        path.display(),
                        opts.busy_timeout.as_secs_f64()
                    );
                }
                said = true;
            }
            Err(e) => return Err(describe_error(e, path)),
        }
    }
}

/// Whether the store has every table and view of this build, as this
/// build writes them.
fn schema_current(conn: &Connection) -> rusqlite::Result<bool> {
    let mut names = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?;
    let have: Vec<String> = names
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let tables = [
        "meta",
        "series",
        "readings",
        "alarm_events",
        "rollups",
        "rollup_pending",
        "rollup_retained",
    ];
    if !tables.iter().all(|t| have.iter().any(|h| h == t)) {
        return Ok(false);
    }
    let version: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if version.is_none() {
        return Ok(false);
    }
    for (name, select) in views() {
        let sql: Option<String> = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        if !sql.is_some_and(|sql| sql.trim_end().ends_with(select.trim())) {
            return Ok(false);
        }
    }
    Ok(true)
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
    /// asset → tag → (series id, unit as stored); two levels so a lookup
    /// borrows the reading's strings instead of building a key. A series
    /// first seen in the open batch has the id `-(i + 1)`, `i` its place in
    /// `new_series`, until the batch commits.
    series: SeriesIds,
    new_series: Vec<NewSeries>,
    /// Units that changed for stored series, written at commit.
    unit_changes: HashMap<i64, String>,
    /// Readings of the open batch, inserted at commit.
    rows: Vec<Row>,
    /// The `extra` JSON of the buffered readings, end to end.
    extra_arena: String,
    extra_buf: Vec<u8>,
    events: Vec<EventRow>,
    rollups: Vec<RollupRow>,
    /// Records a commit refused (behind a retention point), for the rejects.
    refused: Vec<Unstored>,
    /// After a failed commit the store takes nothing more.
    failed: bool,
    pub counts: Counts,
}

struct NewSeries {
    asset: String,
    tag: String,
    unit: String,
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

/// An alarm event line waiting for its batch.
struct EventRow {
    ts: Millis,
    asset: String,
    tag: String,
    rule: String,
    event: String,
    kind: Option<String>,
    severity: Option<String>,
    value: f64,
    limit: Option<f64>,
    extra: Option<String>,
    origin: Origin,
    raw: String,
}

/// A rollup record (one with `every` and `count`) waiting for its batch.
struct RollupRow {
    id: i64,
    every: String,
    ts: Millis,
    count: i64,
    /// min, max, mean, stddev, first, last, twa; none when count is 0.
    stats: [Option<f64>; 7],
    first_ts: Option<Millis>,
    good: i64,
    bad: i64,
    extra: Option<String>,
    origin: Origin,
    raw: String,
}

const ROLLUP_STATS: [&str; 7] = ["min", "max", "mean", "stddev", "first", "last", "twa"];
const ROLLUP_FIELDS: [&str; 11] = [
    "every", "count", "min", "max", "mean", "stddev", "first", "last", "twa", "first_ts", "good",
];

/// Series ids and units by asset, then tag.
type SeriesIds = HashMap<String, HashMap<String, (i64, String)>>;

/// The store's series dictionary, as `add` looks series up.
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
    pub fn open(path: &Path, opts: Options) -> Result<SqliteStore> {
        let conn = Connection::open(path).map_err(|e| describe_error(e, path))?;
        // Opening waits the whole --busy-timeout for the schema; commits wait
        // in slices so the wait can be said (see `begin`).
        conn.busy_timeout(opts.busy_timeout)?;
        let mode = switch_to_wal(&conn, path)?;
        if !mode.eq_ignore_ascii_case("wal") {
            bail!(
                "{}: could not switch to WAL (journal mode is {mode})",
                path.display()
            );
        }
        let sync_pragma = match opts.sync {
            Sync::Normal => "NORMAL",
            Sync::Full => "FULL",
        };
        conn.execute_batch(&format!(
            "PRAGMA synchronous={sync_pragma}; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768;"
        ))
        .map_err(|e| describe_error(e, path))?;
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
            })
            .map_err(|e| describe_error(e, path))?;
        if let Some(v) = version {
            let v: i64 = v.parse().unwrap_or(i64::MAX);
            if v > SCHEMA_VERSION {
                bail!(
                    "{} has schema version {v}, newer than this iiot's {SCHEMA_VERSION}: upgrade iiot",
                    path.display()
                );
            }
        }
        conn.busy_timeout(opts.busy_timeout.min(Duration::from_secs(1)))?;
        // A store made by this build needs no write to open, so opening
        // never waits for another writer's lock.
        if !schema_current(&conn).map_err(|e| describe_error(e, path))? {
            begin_immediate(&conn, path, &opts)?;
            let setup = || -> Result<()> {
                conn.execute_batch(SCHEMA)?;
                conn.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?1)",
                    params![SCHEMA_VERSION.to_string()],
                )?;
                create_views(&conn)?;
                conn.execute_batch("COMMIT")?;
                Ok(())
            };
            if let Err(e) = setup() {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(match e.downcast::<rusqlite::Error>() {
                    Ok(e) => describe_error(e, path),
                    Err(e) => e.context(format!("preparing {}", path.display())),
                });
            }
        }
        let series = load_series(&conn)?;
        Ok(SqliteStore {
            conn,
            name: path.display().to_string(),
            opts,
            series,
            new_series: Vec::new(),
            unit_changes: HashMap::new(),
            rows: Vec::new(),
            extra_arena: String::new(),
            extra_buf: Vec::with_capacity(256),
            events: Vec::new(),
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
        self.rows.len() + self.events.len() + self.rollups.len()
    }

    /// The series id for a record, `-(i + 1)` while the series is new.
    fn series_id(&mut self, asset: &str, tag: &str, unit: &str) -> i64 {
        if let Some((id, stored_unit)) = self.series.get_mut(asset).and_then(|t| t.get_mut(tag)) {
            if stored_unit != unit && !unit.is_empty() {
                stored_unit.clear();
                stored_unit.push_str(unit);
                if *id < 0 {
                    let i = (-*id - 1) as usize;
                    self.new_series[i].unit = unit.to_string();
                } else {
                    self.unit_changes.insert(*id, unit.to_string());
                }
            }
            return *id;
        }
        self.new_series.push(NewSeries {
            asset: asset.to_string(),
            tag: tag.to_string(),
            unit: unit.to_string(),
        });
        let id = -(self.new_series.len() as i64);
        self.series
            .entry(asset.to_string())
            .or_default()
            .insert(tag.to_string(), (id, unit.to_string()));
        id
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
        let id = self.series_id(&r.asset, &r.tag, &r.unit);
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
        let text = |key: &'static str| -> Result<Option<String>, ParseError> {
            match r.extra_field(key) {
                None => Ok(None),
                Some(v) => serde_json::from_str::<String>(v)
                    .map(Some)
                    .map_err(|_| ParseError {
                        field: Some(key),
                        message: format!("{v} is not a string"),
                    }),
            }
        };
        let limit = match r.extra_field("limit") {
            None | Some("null") => None,
            Some(v) => Some(finite(v, "limit")?),
        };
        let event = text("event")?.unwrap_or_default();
        let rule = text("rule")?.unwrap_or_default();
        let (kind, severity) = (text("kind")?, text("severity")?);
        let keep = ["event", "rule", "kind", "severity", "limit"];
        let extra = extra_json(r, &keep, &mut self.extra_buf).map(str::to_string);
        self.events.push(EventRow {
            ts: r.ts,
            asset: r.asset.clone(),
            tag: r.tag.clone(),
            rule,
            event,
            kind,
            severity,
            value: r.value,
            limit,
            extra,
            origin,
            raw: String::from_utf8_lossy(raw).into_owned(),
        });
        Ok(())
    }

    fn add_rollup(&mut self, r: &Reading, raw: &[u8], origin: Origin) -> Result<(), ParseError> {
        let every = r
            .extra_field("every")
            .and_then(|v| serde_json::from_str::<String>(v).ok())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ParseError {
                field: Some("every"),
                message: "a rollup record's width must be a string such as \"1m\"".into(),
            })?;
        let count = whole(r.extra_field("count"), "count")?.unwrap_or(0);
        let good = whole(r.extra_field("good"), "good")?.unwrap_or(count);
        let bad = whole(r.extra_field("bad"), "bad")?.unwrap_or(0);
        let mut stats = [None; 7];
        let mut first_ts = None;
        if count > 0 {
            for (slot, key) in stats.iter_mut().zip(ROLLUP_STATS) {
                let v = r.extra_field(key).ok_or_else(|| ParseError {
                    field: Some(key),
                    message: "missing in a rollup record".into(),
                })?;
                *slot = Some(finite(v, key)?);
            }
            let ts = r
                .extra_field("first_ts")
                .and_then(|v| serde_json::from_str::<String>(v).ok())
                .and_then(|s| crate::time::parse_rfc3339(&s).ok())
                .filter(|ms| (MIN_MILLIS..=MAX_MILLIS).contains(ms))
                .ok_or_else(|| ParseError {
                    field: Some("first_ts"),
                    message: "missing or not a time in a rollup record".into(),
                })?;
            first_ts = Some(ts);
        }
        let mut keep: Vec<&str> = ROLLUP_FIELDS.to_vec();
        keep.push("bad");
        let extra = extra_json(r, &keep, &mut self.extra_buf).map(str::to_string);
        let id = self.series_id(&r.asset, &r.tag, &r.unit);
        self.rollups.push(RollupRow {
            id,
            every,
            ts: r.ts,
            count,
            stats,
            first_ts,
            good,
            bad,
            extra,
            origin,
            raw: String::from_utf8_lossy(raw).into_owned(),
        });
        Ok(())
    }

    /// Commits the open batch, with its rollup marks. Readings behind a
    /// series' retention point are refused (see [`SqliteStore::take_refused`]).
    /// On an error nothing of the batch is stored and it stays buffered for
    /// [`SqliteStore::take_unstored`].
    pub fn commit(&mut self) -> Result<()> {
        if self.batch_len() == 0 && self.new_series.is_empty() && self.unit_changes.is_empty() {
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

    /// Writes the batch inside the open transaction; returns what to apply
    /// to the in-memory state once it commits.
    fn write_batch(&mut self) -> Result<Written> {
        let path = Path::new(&self.name).to_path_buf();
        let sql = |e: rusqlite::Error| describe_error(e, &path);
        let mut done = Written::default();
        // New series first: their ids are known only now.
        {
            let mut insert = self
                .conn
                .prepare_cached(
                    "INSERT INTO series (asset, tag, unit) VALUES (?1, ?2, nullif(?3, ''))
                     ON CONFLICT (asset, tag) DO UPDATE SET unit = coalesce(nullif(excluded.unit, ''), unit)
                     RETURNING id",
                )
                .map_err(sql)?;
            for s in &self.new_series {
                let id: i64 = insert
                    .query_row(params![s.asset, s.tag, s.unit], |r| r.get(0))
                    .map_err(sql)?;
                done.ids.push(id);
            }
            let mut update = self
                .conn
                .prepare_cached("UPDATE series SET unit = ?1 WHERE id = ?2")
                .map_err(sql)?;
            for (id, unit) in &self.unit_changes {
                update.execute(params![unit, id]).map_err(sql)?;
            }
        }
        let ids = done.ids.clone();
        let real = |id: i64| if id < 0 { ids[(-id - 1) as usize] } else { id };
        // Stable: with --on-conflict replace the last of two equal keys wins.
        self.rows.sort_by_key(|r| (r.id, r.ts));
        let mut pending: HashMap<i64, Millis> = HashMap::new();
        {
            let mut before_stmt = self
                .conn
                .prepare_cached("SELECT before FROM rollup_retained WHERE series_id = ?1")
                .map_err(sql)?;
            let mut exists = self
                .conn
                .prepare_cached("SELECT 1 FROM readings WHERE series_id = ?1 AND ts = ?2")
                .map_err(sql)?;
            let mut ignore = self
                .conn
                .prepare_cached("INSERT OR IGNORE INTO readings VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(sql)?;
            // Rewrites the row only when something differs, so an identical
            // replay still counts as a duplicate.
            let mut replace = self
                .conn
                .prepare_cached(
                    "INSERT INTO readings VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (series_id, ts) DO UPDATE
                     SET value = excluded.value, quality = excluded.quality, extra = excluded.extra
                     WHERE value IS NOT excluded.value OR quality IS NOT excluded.quality
                        OR extra IS NOT excluded.extra",
                )
                .map_err(sql)?;
            let mut current: Option<(i64, Option<Millis>)> = None;
            for (i, row) in self.rows.iter().enumerate() {
                let id = real(row.id);
                // Where retention has deleted this series' raw readings
                // after rolling them up: read inside this transaction, so a
                // retention run cannot move it between check and insert.
                let before = match current {
                    Some((cid, b)) if cid == id => b,
                    _ => {
                        let b: Option<Millis> = if row.id < 0 {
                            None
                        } else {
                            before_stmt
                                .query_row([id], |r| r.get(0))
                                .optional()
                                .map_err(sql)?
                        };
                        current = Some((id, b));
                        b
                    }
                };
                if let Some(b) = before
                    && row.ts < b
                {
                    done.refused.push((i, b));
                    continue;
                }
                let extra = row
                    .extra
                    .map(|(a, b)| &self.extra_arena[a as usize..b as usize]);
                let p = params![id, row.ts, row.value, row.quality, extra];
                let (new, replaced) = match self.opts.on_conflict {
                    OnConflict::Ignore => (ignore.execute(p).map_err(sql)? > 0, false),
                    OnConflict::Replace => {
                        let existed = exists.exists(params![id, row.ts]).map_err(sql)?;
                        let n = replace.execute(p).map_err(sql)?;
                        (n > 0 && !existed, n > 0 && existed)
                    }
                };
                if new {
                    done.counts.stored += 1;
                } else if replaced {
                    done.counts.replaced += 1;
                } else {
                    done.counts.duplicates += 1;
                }
                if new || replaced {
                    pending
                        .entry(id)
                        .and_modify(|t| *t = (*t).min(row.ts))
                        .or_insert(row.ts);
                }
            }
        }
        {
            let mut insert = self
                .conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO alarm_events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(sql)?;
            for e in &self.events {
                let n = insert
                    .execute(params![
                        e.ts, e.asset, e.tag, e.rule, e.event, e.kind, e.severity, e.value,
                        e.limit, e.extra
                    ])
                    .map_err(sql)?;
                if n > 0 {
                    done.counts.events += 1;
                } else {
                    done.counts.duplicates += 1;
                }
            }
        }
        if !self.rollups.is_empty() {
            let conflict = match self.opts.on_conflict {
                OnConflict::Ignore => "DO NOTHING",
                OnConflict::Replace => {
                    "DO UPDATE SET count = excluded.count, min = excluded.min, max = excluded.max,
                       mean = excluded.mean, stddev = excluded.stddev, first = excluded.first,
                       last = excluded.last, twa = excluded.twa, first_ts = excluded.first_ts,
                       good = excluded.good, bad = excluded.bad, extra = excluded.extra"
                }
            };
            let mut insert = self
                .conn
                .prepare_cached(&format!(
                    "INSERT INTO rollups VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                     ON CONFLICT (series_id, every, ts) {conflict}"
                ))
                .map_err(sql)?;
            for r in &self.rollups {
                let [min, max, mean, stddev, first, last, twa] = r.stats;
                let n = insert
                    .execute(params![
                        real(r.id),
                        r.every,
                        r.ts,
                        r.count,
                        min,
                        max,
                        mean,
                        stddev,
                        first,
                        last,
                        twa,
                        r.first_ts,
                        r.good,
                        r.bad,
                        r.extra
                    ])
                    .map_err(sql)?;
                if n > 0 {
                    done.counts.rollups += 1;
                } else {
                    done.counts.duplicates += 1;
                }
            }
        }
        let mut mark = self
            .conn
            .prepare_cached(
                "INSERT INTO rollup_pending VALUES (?1, ?2)
                 ON CONFLICT (series_id) DO UPDATE SET since = min(since, excluded.since)",
            )
            .map_err(sql)?;
        for (id, since) in pending {
            mark.execute(params![id, since]).map_err(sql)?;
        }
        Ok(done)
    }

    /// After a commit: the new series' ids, the counts, the refused rows,
    /// and empty buffers.
    fn finish_batch(&mut self, done: Written) {
        for (s, id) in self.new_series.iter().zip(&done.ids) {
            if let Some(entry) = self
                .series
                .get_mut(&s.asset)
                .and_then(|t| t.get_mut(&s.tag))
            {
                entry.0 = *id;
            }
        }
        for (i, before) in done.refused {
            let row = self.rows[i];
            let record = self.encode_row(&row);
            self.refused.push(Unstored {
                origin: row.origin,
                reason: format!(
                    "field \"ts\": before {}, where retention has deleted this series' raw readings after rolling them up; its rollups cannot take it (it would be neither kept nor rolled up)",
                    crate::time::TsFormatter::format(before)
                ),
                record,
            });
        }
        let c = &mut self.counts;
        c.stored += done.counts.stored;
        c.duplicates += done.counts.duplicates;
        c.replaced += done.counts.replaced;
        c.events += done.counts.events;
        c.rollups += done.counts.rollups;
        self.new_series.clear();
        self.unit_changes.clear();
        self.rows.clear();
        self.extra_arena.clear();
        self.events.clear();
        self.rollups.clear();
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
        for e in self.events.drain(..) {
            out.push(Unstored {
                origin: e.origin,
                reason: reason.to_string(),
                record: e.raw,
            });
        }
        for r in self.rollups.drain(..) {
            out.push(Unstored {
                origin: r.origin,
                reason: reason.to_string(),
                record: r.raw,
            });
        }
        out.sort_by_key(|u| (u.origin.source, u.origin.line));
        self.extra_arena.clear();
        out
    }

    /// A buffered reading as an NDJSON record, for a reject.
    fn encode_row(&self, row: &Row) -> String {
        let (asset, tag, unit) = self.names(row.id).unwrap_or(("?", "?", ""));
        let extra = row
            .extra
            .map(|(a, b)| &self.extra_arena[a as usize..b as usize])
            .and_then(|json| json.strip_prefix('{').and_then(|j| j.strip_suffix('}')))
            .unwrap_or("");
        let quality = match row.quality {
            0 => Quality::Good,
            1 => Quality::Uncertain,
            _ => Quality::Bad,
        };
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

    /// Asset, tag and unit of a series id (stored or new).
    fn names(&self, id: i64) -> Option<(&str, &str, &str)> {
        if id < 0 {
            let s = self.new_series.get((-id - 1) as usize)?;
            return Some((&s.asset, &s.tag, &s.unit));
        }
        self.series.iter().find_map(|(asset, tags)| {
            tags.iter()
                .find(|(_, (i, _))| *i == id)
                .map(|(tag, (_, unit))| (asset.as_str(), tag.as_str(), unit.as_str()))
        })
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

/// What a committed batch changes in memory.
#[derive(Default)]
struct Written {
    /// Ids of `new_series`, in order.
    ids: Vec<i64>,
    counts: Counts,
    /// Rows refused, by index, with the retention point they fell behind.
    refused: Vec<(usize, Millis)>,
}

fn quality_code(q: Quality) -> u8 {
    match q {
        Quality::Good => 0,
        Quality::Uncertain => 1,
        Quality::Bad => 2,
    }
}

fn finite(raw: &str, field: &'static str) -> Result<f64, ParseError> {
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(ParseError {
            field: Some(field),
            message: format!("{raw} is not a finite number"),
        }),
    }
}

/// A whole count below 2^53 (where f64 statistics still count exactly).
fn whole(raw: Option<&str>, field: &'static str) -> Result<Option<i64>, ParseError> {
    match raw {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (0..1 << 53).contains(n))
            .map(Some)
            .ok_or_else(|| ParseError {
                field: Some(field),
                message: format!("{v} is not a whole count below 2^53"),
            }),
    }
}

/// The fields no column holds (text, fault and the extra fields but those
/// named in `skip`), as one JSON object, or `None` when there are none.
fn extra_json<'b>(r: &Reading, skip: &[&str], buf: &'b mut Vec<u8>) -> Option<&'b str> {
    let any_extra = if skip.is_empty() {
        !r.extra().is_empty()
    } else {
        r.extra_fields().any(|(k, _)| !skip.contains(&k))
    };
    if r.text.is_empty() && r.fault.is_empty() && !any_extra {
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
    if skip.is_empty() {
        if !r.extra().is_empty() {
            if !first {
                buf.push(b',');
            }
            buf.extend_from_slice(r.extra().as_bytes());
        }
    } else {
        for (k, v) in r.extra_fields().filter(|(k, _)| !skip.contains(k)) {
            if !first {
                buf.push(b',');
            }
            first = false;
            buf.push(b'"');
            buf.extend_from_slice(k.as_bytes());
            buf.extend_from_slice(b"\":");
            buf.extend_from_slice(v.as_bytes());
        }
    }
    buf.push(b'}');
    std::str::from_utf8(buf).ok()
}
