//! Rollups on a SQLite store (docs/storage.md): the cron job.
//!
//! For each series and width, `rollup_state` records `done`: every bucket
//! before it is closed and written. A run reads the raw readings from
//! `min(done, floor(rollup_pending.since))` up to the latest closed bucket,
//! rewrites those buckets, raises `done` and deletes the series'
//! `rollup_pending` row — all in one transaction per series, so a crash
//! (even `kill -9`) leaves each series either before or after its step, and
//! the next run carries on. A bucket is closed once the series' latest
//! reading is past its end plus the lateness, or `--now` is (or, with
//! `--final`, once it holds a reading); re-running with nothing new writes
//! nothing. The time zone day buckets were made in is kept in `meta`
//! (`rollup_tz`), so every later run, and retention, aligns as the first
//! did.

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::buckets::{Aligner, Width};
use super::stats::Stats;
use crate::time::Millis;

use crate::store::sqlite::{
    SCHEMA_VERSION, describe_error, ensure_view, iso_ts_sql, switch_to_wal,
};

/// Opens a store written by `iiot store`, refusing one of a newer schema.
pub(crate) fn open(path: &std::path::Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(|e| describe_error(e, path))?;
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

/// The time zone of the store's day buckets (`meta.rollup_tz`), if a run
/// gave one.
pub(crate) fn stored_tz(conn: &Connection) -> Result<Option<String>> {
    let tz: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'rollup_tz'", [], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(tz.filter(|t| !t.is_empty()))
}

/// Keeps one alignment per store: the first run with widths records its
/// `--tz` (none for UTC), a later run with another is refused, since its
/// day buckets would overlap the stored ones.
fn check_tz(conn: &Connection, tz: Option<&str>) -> Result<()> {
    let recorded: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'rollup_tz'", [], |r| {
            r.get(0)
        })
        .optional()?;
    match recorded {
        None => {
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('rollup_tz', ?1)",
                [tz.unwrap_or("")],
            )?;
            Ok(())
        }
        Some(r) if r == tz.unwrap_or("") => Ok(()),
        Some(r) => {
            let name = |t: &str| {
                if t.is_empty() {
                    "UTC (no --tz)".to_string()
                } else {
                    format!("--tz {t}")
                }
            };
            bail!(
                "this store's rollups were made with {}; this run asks for {}: give the same, or roll up into another store",
                name(&r),
                name(tz.unwrap_or(""))
            )
        }
    }
}

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
         ) WITHOUT ROWID;",
        RETAINED_TABLE = RETAINED_TABLE
    ))
    .with_context(|| format!("creating {t}"))?;
    ensure_view(
        conn,
        &format!("{t}_v"),
        &format!(
            "SELECT {ts} AS ts, s.asset, s.tag, r.mean AS value, s.unit, '{every}' AS every, r.count,
       r.min, r.max, r.mean, r.stddev, r.first, r.last, r.twa, r.good, r.bad
FROM {t} r JOIN series s ON s.id = r.series_id",
            ts = iso_ts_sql("r.ts"),
            every = w.label
        ),
    )
}

/// Which buckets a run closes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Close {
    /// Those the series' latest reading is past (plus the lateness).
    Latest,
    /// Also those that end (plus the lateness) by this time: `--now`.
    At(Millis),
    /// Every bucket with a reading: the data is complete (`--final`).
    Final,
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
    tz: Option<&str>,
    lateness: Millis,
    close: Close,
) -> Result<Report> {
    {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        check_tz(&tx, tz)?;
        for w in widths {
            create_tables(&tx, w)?;
        }
        tx.commit()?;
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
        series_step(&tx, id, widths, aligner, lateness, close, &mut report)
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
    close: Close,
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
        let to = match close {
            Close::Latest => aligner.bucket(w, clock.saturating_sub(lateness)).0,
            Close::At(now) => aligner.bucket(w, clock.max(now).saturating_sub(lateness)).0,
            Close::Final => aligner.bucket(w, clock).1,
        };
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
                // A store another tool wrote may hold a non-finite value: it
                // is counted with the bad readings, never summed.
                if quality == 0 && value.is_finite() {
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
