//! Rollups on a SQLite store (docs/storage.md): the cron job.
//!
//! For each series and width, `rollup_state` records `done`: every bucket
//! before it is closed and written. A run reads the raw readings from
//! `min(done, floor(rollup_pending.since))` up to the latest closed bucket,
//! rewrites those buckets, raises `done` and deletes the series'
//! `rollup_pending` row — all in one transaction per series, so a crash
//! (even `kill -9`) leaves each series either before or after its step, and
//! the next run carries on. A bucket is closed once the series' latest
//! reading is past its end plus the lateness; re-running with nothing new
//! writes nothing.

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::buckets::{Aligner, Width};
use super::stats::Stats;
use crate::time::Millis;

use crate::store::sqlite::{SCHEMA_VERSION, switch_to_wal};

/// Opens a store written by `iiot store`, refusing one of a newer schema.
pub(crate) fn open(path: &std::path::Path) -> Result<Connection> {
    let conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    switch_to_wal(&conn, path)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let version: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()
        .with_context(|| format!("{} is not an iiot store (no meta table)", path.display()))?;
    match version.as_deref().map(str::parse::<i64>) {
        Some(Ok(v)) if v <= SCHEMA_VERSION => Ok(conn),
        Some(Ok(v)) => bail!(
            "{} has schema version {v}, newer than this iiot reads ({SCHEMA_VERSION}): upgrade iiot",
            path.display()
        ),
        _ => bail!("{} has no schema_version in meta", path.display()),
    }
}

/// Per series, the time before which retention deleted raw readings.
pub(crate) const RETAINED_TABLE: &str = "CREATE TABLE IF NOT EXISTS rollup_retained (
           series_id INTEGER PRIMARY KEY,
           before    INTEGER NOT NULL
         );";

/// Creates the rollup table, its view and the progress table when missing.
fn create_tables(conn: &Connection, w: &Width) -> Result<()> {
    let t = format!("rollup_{}", w.label);
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
         ) WITHOUT ROWID;
         CREATE VIEW IF NOT EXISTS {t}_v AS
         SELECT strftime('%Y-%m-%dT%H:%M:%S', r.ts / 1000, 'unixepoch')
                  || CASE WHEN r.ts % 1000 = 0 THEN 'Z' ELSE printf('.%03dZ', r.ts % 1000) END AS ts,
                s.asset, s.tag, r.mean AS value, s.unit, '{every}' AS every, r.count, r.min, r.max,
                r.mean, r.stddev, r.first, r.last, r.twa, r.good, r.bad
         FROM {t} r JOIN series s ON s.id = r.series_id;",
        every = w.label,
        RETAINED_TABLE = RETAINED_TABLE
    ))
    .with_context(|| format!("creating {t}"))?;
    Ok(())
}

/// What a run did.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub series: u64,
    /// Buckets written, per width.
    pub written: Vec<u64>,
    /// Series whose already-written buckets were recomputed (late readings).
    pub recomputed: u64,
}

/// Rolls up every series' new closed buckets.
pub(crate) fn run(
    conn: &mut Connection,
    widths: &[Width],
    aligner: &Aligner,
    lateness: Millis,
) -> Result<Report> {
    for w in widths {
        create_tables(conn, w)?;
    }
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM series ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut report = Report {
        written: vec![0; widths.len()],
        ..Report::default()
    };
    for id in ids {
        report.series += 1;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        series_step(&tx, id, widths, aligner, lateness, &mut report)
            .with_context(|| format!("rolling up series {id}"))?;
        tx.commit()?;
    }
    Ok(report)
}

/// One series: recompute from where it must, write closed buckets, record
/// progress, clear its pending row.
fn series_step(
    tx: &Connection,
    id: i64,
    widths: &[Width],
    aligner: &Aligner,
    lateness: Millis,
    report: &mut Report,
) -> Result<()> {
    let span: (Option<i64>, Option<i64>) = tx.query_row(
        "SELECT min(ts), max(ts) FROM readings WHERE series_id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let (Some(first), Some(clock)) = span else {
        tx.execute("DELETE FROM rollup_pending WHERE series_id = ?1", [id])?;
        return Ok(());
    };
    let pending: Option<i64> = tx
        .query_row(
            "SELECT since FROM rollup_pending WHERE series_id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    let retained: Option<i64> = tx
        .query_row(
            "SELECT before FROM rollup_retained WHERE series_id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    // Per width: [from, to) is what this run (re)writes.
    let mut plan = Vec::with_capacity(widths.len());
    let mut recomputed = false;
    for w in widths {
        let done: Option<i64> = tx
            .query_row(
                "SELECT done FROM rollup_state WHERE every = ?1 AND series_id = ?2",
                params![w.label, id],
                |r| r.get(0),
            )
            .optional()?;
        // Buckets whose raw readings retention has deleted (in part) cannot
        // be computed again: a late reading there is left out rather than
        // let it replace the whole bucket, and a width added later starts
        // after them.
        let horizon = retained.map_or(Millis::MIN, |h| {
            let (s, e) = aligner.bucket(w, h);
            if s == h { s } else { e }
        });
        let mut from = match done {
            Some(d) => d,
            None => aligner.bucket(w, first).0.max(horizon),
        };
        if let Some(since) = pending {
            let floor = aligner.bucket(w, since).0.max(horizon);
            if floor < from {
                from = floor;
                recomputed = true;
            }
        }
        let to = aligner.bucket(w, clock.saturating_sub(lateness)).0;
        plan.push((from, to.max(done.unwrap_or(to)).max(from)));
    }
    if recomputed {
        report.recomputed += 1;
    }
    let lo = plan.iter().map(|p| p.0).min().unwrap_or(first);
    let hi = plan.iter().map(|p| p.1).max().unwrap_or(lo);
    let mut open: Vec<Option<(Millis, Millis, Stats)>> = vec![None; widths.len()];
    let mut written = vec![0u64; widths.len()];
    for (i, w) in widths.iter().enumerate() {
        let (from, to) = plan[i];
        if to > from {
            tx.execute(
                &format!(
                    "DELETE FROM rollup_{} WHERE series_id = ?1 AND ts >= ?2 AND ts < ?3",
                    w.label
                ),
                params![id, from, to],
            )?;
        }
    }
    {
        let mut inserts = widths
            .iter()
            .map(|w| {
                tx.prepare(&format!(
                    "INSERT OR REPLACE INTO rollup_{} (series_id, ts, count, min, max, mean, stddev, first, last, twa, first_ts, good, bad)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                    w.label
                ))
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut read = tx.prepare(
            "SELECT ts, value, quality FROM readings WHERE series_id = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts",
        )?;
        let mut rows = read.query(params![id, lo, hi])?;
        while let Some(row) = rows.next()? {
            let ts: i64 = row.get(0)?;
            let value: f64 = row.get(1)?;
            let quality: i64 = row.get(2)?;
            for (i, w) in widths.iter().enumerate() {
                let (from, to) = plan[i];
                if ts < from || ts >= to {
                    continue;
                }
                if let Some((_, end, _)) = open[i] {
                    if ts >= end {
                        let b = open[i].take().expect("open bucket");
                        write_bucket(&mut inserts[i], id, b)?;
                        written[i] += 1;
                    }
                }
                let b = open[i].get_or_insert_with(|| {
                    let (s, e) = aligner.bucket(w, ts);
                    (s, e, Stats::default())
                });
                if quality == 0 {
                    b.2.add(ts, value);
                } else {
                    b.2.add_bad();
                }
            }
        }
        for (i, ins) in inserts.iter_mut().enumerate() {
            if let Some(b) = open[i].take() {
                write_bucket(ins, id, b)?;
                written[i] += 1;
            }
        }
    }
    for (i, w) in widths.iter().enumerate() {
        tx.execute(
            "INSERT INTO rollup_state (every, series_id, done) VALUES (?1, ?2, ?3)
             ON CONFLICT (every, series_id) DO UPDATE SET done = excluded.done",
            params![w.label, id, plan[i].1],
        )?;
        report.written[i] += written[i];
    }
    tx.execute("DELETE FROM rollup_pending WHERE series_id = ?1", [id])?;
    Ok(())
}

fn write_bucket(
    ins: &mut rusqlite::Statement<'_>,
    id: i64,
    b: (Millis, Millis, Stats),
) -> Result<()> {
    let (start, end, mut s) = b;
    s.close(end);
    let n = s.count as i64;
    let some = |v: f64| (n > 0).then_some(v);
    ins.execute(params![
        id,
        start,
        n,
        some(s.min),
        some(s.max),
        some(s.mean),
        some(s.stddev()),
        some(s.first),
        some(s.last),
        some(s.twa(end)),
        (n > 0).then_some(s.first_ts),
        n,
        s.bad as i64
    ])?;
    Ok(())
}
