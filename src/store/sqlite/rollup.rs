//! The rollup tables of a SQLite store (docs/storage.md): `rollup_<width>`
//! with its view, `rollup_state`, and `meta.rollup_tz`. What a run
//! rewrites and how readings fold into buckets is `rollup::store`'s; here
//! are the reads and writes, one transaction per series.

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{Store, schema};
use crate::rollup::buckets::Width;
use crate::rollup::store::{BucketRow, Fold, Marks, Plan, Report, RollupRun, check_tz};

impl Store {
    /// Rolls up every series' new closed buckets.
    pub(crate) fn rollup(&mut self, run: &RollupRun<'_>) -> Result<Report> {
        {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let recorded = recorded_tz(&tx)?;
            if check_tz(recorded.as_deref(), run.tz)? {
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('rollup_tz', ?1)",
                    [run.tz.unwrap_or("")],
                )?;
            }
            for w in run.widths {
                schema::create_rollup_tables(&tx, &w.label)?;
            }
            tx.commit()?;
        }
        let ids = series_ids(&self.conn)?;
        let mut report = Report {
            written: vec![0; run.widths.len()],
            ..Report::default()
        };
        for id in ids {
            report.series += 1;
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            series_step(&tx, id, run, &mut report)
                .with_context(|| format!("rolling up series {id}"))?;
            tx.commit()?;
        }
        Ok(report)
    }
}

/// The time zone of the store's day buckets (`meta.rollup_tz`), if a run
/// gave one.
pub(super) fn stored_tz(conn: &Connection) -> Result<Option<String>> {
    Ok(recorded_tz(conn)?.filter(|t| !t.is_empty()))
}

/// `meta.rollup_tz` as recorded (`""` for UTC).
fn recorded_tz(conn: &Connection) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = 'rollup_tz'", [], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Every series id, in order.
pub(crate) fn series_ids(conn: &Connection) -> Result<Vec<i64>> {
    Ok(conn
        .prepare("SELECT id FROM series ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// What the store knows of a series: `None` when it has no reading.
fn marks(tx: &Connection, id: i64, widths: &[Width]) -> Result<Option<Marks>> {
    let span: (Option<i64>, Option<i64>) = tx.query_row(
        "SELECT min(ts), max(ts) FROM readings WHERE series_id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let (Some(first), Some(latest)) = span else {
        return Ok(None);
    };
    let one = |sql: &str| -> Result<Option<i64>> {
        Ok(tx.query_row(sql, [id], |r| r.get(0)).optional()?)
    };
    let pending = one("SELECT since FROM rollup_pending WHERE series_id = ?1")?;
    let retained = one("SELECT before FROM rollup_retained WHERE series_id = ?1")?;
    let mut done = Vec::with_capacity(widths.len());
    for w in widths {
        done.push(
            tx.query_row(
                "SELECT done FROM rollup_state WHERE every = ?1 AND series_id = ?2",
                params![w.label, id],
                |r| r.get(0),
            )
            .optional()?,
        );
    }
    Ok(Some(Marks {
        first,
        latest,
        pending,
        retained,
        done,
    }))
}

/// One series: recompute from where it must, write closed buckets, record
/// progress, clear its pending row.
fn series_step(tx: &Connection, id: i64, run: &RollupRun<'_>, report: &mut Report) -> Result<()> {
    let Some(marks) = marks(tx, id, run.widths)? else {
        tx.execute("DELETE FROM rollup_pending WHERE series_id = ?1", [id])?;
        return Ok(());
    };
    let plan = Plan::new(run.widths, run.aligner, run.lateness, run.close, &marks);
    if plan.recomputed {
        report.recomputed += 1;
    }
    for (w, &(from, to)) in run.widths.iter().zip(&plan.ranges) {
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
    let written = write_buckets(tx, id, run, &plan, &marks)?;
    for (i, w) in run.widths.iter().enumerate() {
        tx.execute(
            "INSERT INTO rollup_state (every, series_id, done) VALUES (?1, ?2, ?3)
             ON CONFLICT (every, series_id) DO UPDATE SET done = excluded.done",
            params![w.label, id, plan.ranges[i].1],
        )?;
        report.written[i] += written[i];
    }
    tx.execute("DELETE FROM rollup_pending WHERE series_id = ?1", [id])?;
    Ok(())
}

/// Reads the series' readings the plan spans and writes the buckets they
/// fill; returns how many per width.
fn write_buckets(
    tx: &Connection,
    id: i64,
    run: &RollupRun<'_>,
    plan: &Plan,
    marks: &Marks,
) -> Result<Vec<u64>> {
    let mut inserts = run
        .widths
        .iter()
        .map(|w| {
            tx.prepare(&format!(
                "INSERT OR REPLACE INTO rollup_{} (series_id, ts, count, min, max, mean, stddev, first, last, twa, first_ts, good, bad)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                w.label
            ))
        })
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut write = |i: usize, b: &BucketRow| -> Result<()> {
        let [min, max, mean, stddev, first, last, twa] = b.stats;
        inserts[i].execute(params![
            id, b.start, b.count, min, max, mean, stddev, first, last, twa, b.first_ts, b.good,
            b.bad
        ])?;
        Ok(())
    };
    let mut fold = Fold::new(run.widths, run.aligner, plan);
    let (lo, hi) = plan.span(marks.first);
    let mut read = tx.prepare(
        "SELECT ts, value, quality FROM readings WHERE series_id = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts",
    )?;
    let mut rows = read.query(params![id, lo, hi])?;
    while let Some(row) = rows.next()? {
        let quality: i64 = row.get(2)?;
        fold.push(row.get(0)?, row.get(1)?, quality == 0, &mut write)?;
    }
    fold.finish(&mut write)?;
    Ok(fold.written)
}
