//! The SQLite store's schema (docs/storage.md): the tables and views
//! `iiot store` makes, the rollup tables `iiot rollup` adds, and the check
//! that a store already has all of them as this build writes them.

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension};

use crate::store::layout::views;

/// The schema this build writes; `meta.schema_version`.
pub const SCHEMA_VERSION: i64 = 1;

/// The tables `iiot store` makes; [`is_current`] checks each is there.
pub(crate) const TABLES: [&str; 7] = [
    "meta",
    "series",
    "readings",
    "alarm_events",
    "rollups",
    "rollup_pending",
    "rollup_retained",
];

pub(crate) const SCHEMA: &str = "
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
CREATE INDEX IF NOT EXISTS alarm_events_predicted ON alarm_events (asset, tag, rule, ts)
  WHERE event = 'predicted';
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

/// Per series, the time before which retention deleted raw readings. Also
/// made by retention itself: a store written by another tool may lack it.
pub(crate) const RETAINED_TABLE: &str = "CREATE TABLE IF NOT EXISTS rollup_retained (
           series_id INTEGER PRIMARY KEY,
           before    INTEGER NOT NULL
         );";

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

/// The indexes `iiot store` makes besides the primary keys; a store made
/// before one was added gets it the next time `iiot store` opens it (no
/// new schema version: an older build reads and writes the store as
/// before, and keeps the partial index up to date itself).
pub(crate) const INDEXES: [&str; 1] = ["alarm_events_predicted"];

/// The SQL a view has now, if it exists.
fn view_sql(conn: &Connection, name: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?1",
        [name],
        |r| r.get(0),
    )
    .optional()
}

/// Whether a view's stored SQL is `select` (SQLite keeps the whole
/// `CREATE VIEW … AS select`).
fn same_view(have: Option<String>, select: &str) -> bool {
    have.is_some_and(|sql| sql.trim_end().ends_with(select.trim()))
}

/// Creates a view, or re-creates it when a store made by an earlier build
/// holds another definition (the views are the store's face for sqlite3
/// and Grafana, so they follow the build).
pub(crate) fn ensure_view(conn: &Connection, name: &str, select: &str) -> Result<()> {
    if same_view(view_sql(conn, name)?, select) {
        return Ok(());
    }
    conn.execute_batch(&format!(
        "DROP VIEW IF EXISTS \"{name}\"; CREATE VIEW \"{name}\" AS {select}"
    ))
    .with_context(|| format!("creating the view {name}"))
}

/// Makes every table and view of this build that is missing, and records
/// the schema version, inside the caller's transaction.
pub(crate) fn create(conn: &Connection) -> Result<()> {
    conn.execute_batch(SCHEMA)?;
    conn.execute(
        "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?1)",
        [SCHEMA_VERSION.to_string()],
    )?;
    for (name, select) in views(iso_ts_sql) {
        ensure_view(conn, name, &select)?;
    }
    Ok(())
}

/// Whether the store has every table and view of this build, as this
/// build writes them.
pub(crate) fn is_current(conn: &Connection) -> rusqlite::Result<bool> {
    let mut names = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?;
    let have: Vec<String> = names
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if !TABLES.iter().all(|t| have.iter().any(|h| h == t)) {
        return Ok(false);
    }
    if stored_version(conn)?.is_none() {
        return Ok(false);
    }
    let mut indexes = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'index'")?;
    let have: Vec<String> = indexes
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if !INDEXES.iter().all(|i| have.iter().any(|h| h == i)) {
        return Ok(false);
    }
    for (name, select) in views(iso_ts_sql) {
        if !same_view(view_sql(conn, name)?, &select) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `meta.schema_version` as written; `Err` when there is no `meta` table.
pub(crate) fn stored_version(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT value FROM meta WHERE key = 'schema_version'",
        [],
        |r| r.get(0),
    )
    .optional()
}

/// Whether a table exists.
pub(crate) fn has_table(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

/// Creates the tables of one rollup width (`rollup_1m` and its view
/// `rollup_1m_v`) and the progress table, when missing.
pub(crate) fn create_rollup_tables(conn: &Connection, label: &str) -> Result<()> {
    let t = format!("rollup_{label}");
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS rollup_state (
           every     TEXT    NOT NULL,
           series_id INTEGER NOT NULL,
           done      INTEGER NOT NULL,
           PRIMARY KEY (every, series_id)
         ) WITHOUT ROWID;
         {RETAINED_TABLE}
         CREATE TABLE IF NOT EXISTS {t} (
           series_id INTEGER NOT NULL,
           ts        INTEGER NOT NULL,
           count     INTEGER NOT NULL,
           min REAL, max REAL, mean REAL, stddev REAL, first REAL, last REAL, twa REAL,
           first_ts  INTEGER,
           good      INTEGER NOT NULL,
           bad       INTEGER NOT NULL,
           PRIMARY KEY (series_id, ts)
         ) WITHOUT ROWID;"
    ))
    .with_context(|| format!("creating {t}"))?;
    ensure_view(
        conn,
        &format!("{t}_v"),
        &format!(
            "SELECT {ts} AS ts, s.asset, s.tag, r.mean AS value, s.unit, '{label}' AS every, r.count,
       r.min, r.max, r.mean, r.stddev, r.first, r.last, r.twa, r.good, r.bad
FROM {t} r JOIN series s ON s.id = r.series_id",
            ts = iso_ts_sql("r.ts"),
        ),
    )
}
