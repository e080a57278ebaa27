//! The rollup tables of a PostgreSQL store: the SQLite store's, with the
//! same marks, one transaction per series. What a run rewrites and how
//! readings fold into buckets is `rollup::store`'s; here is the SQL. A
//! series' readings are read through a portal, 10 000 rows at a time,
//! so memory stays bounded while buckets are written in between.

use anyhow::{Context, Result};
use postgres::{GenericClient, Transaction};

use super::{PgStore, schema};
use crate::rollup::buckets::Width;
use crate::rollup::store::{BucketRow, Fold, Marks, Plan, Report, RollupRun, check_tz};

impl PgStore {
    pub(crate) fn rollup(&mut self, run: &RollupRun<'_>) -> Result<Report> {
        let client = self.client.get_mut();
        {
            let mut tx = client.transaction()?;
            let recorded = recorded_tz(&mut tx)?;
            if check_tz(recorded.as_deref(), run.tz)? {
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('rollup_tz', $1)",
                    &[&run.tz.unwrap_or("")],
                )?;
            }
            // Two runs at once would race to make the tables.
            tx.execute("SELECT pg_advisory_xact_lock(1768515444)", &[])?;
            for w in run.widths {
                schema::create_rollup_tables(&mut tx, &w.label)?;
            }
            tx.commit()?;
        }
        let ids = series_ids(client)?;
        let mut report = Report {
            written: vec![0; run.widths.len()],
            ..Report::default()
        };
        for id in ids {
            report.series += 1;
            let mut tx = client.transaction()?;
            // One run at a time per series, as SQLite's write lock does.
            tx.execute("SELECT id FROM series WHERE id = $1 FOR UPDATE", &[&id])?;
            series_step(&mut tx, id, run, &mut report)
                .with_context(|| format!("rolling up series {id} in {}", self.name))?;
            tx.commit()?;
        }
        Ok(report)
    }
}

/// `meta.rollup_tz` as recorded (`""` for UTC).
pub(super) fn recorded_tz(c: &mut impl GenericClient) -> Result<Option<String>> {
    Ok(
        c.query_opt("SELECT value FROM meta WHERE key = 'rollup_tz'", &[])?
            .map(|r| r.get(0)),
    )
}

pub(super) fn series_ids(c: &mut impl GenericClient) -> Result<Vec<i64>> {
    Ok(c.query("SELECT id FROM series ORDER BY id", &[])?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

fn marks(tx: &mut Transaction<'_>, id: i64, widths: &[Width]) -> Result<Option<Marks>> {
    let span = tx.query_one(
        "SELECT min(ts), max(ts) FROM readings WHERE series_id = $1",
        &[&id],
    )?;
    let (Some(first), Some(latest)) =
        (span.get::<_, Option<i64>>(0), span.get::<_, Option<i64>>(1))
    else {
        return Ok(None);
    };
    let pending = tx
        .query_opt(
            "SELECT since FROM rollup_pending WHERE series_id = $1",
            &[&id],
        )?
        .map(|r| r.get(0));
    let retained = tx
        .query_opt(
            "SELECT before FROM rollup_retained WHERE series_id = $1",
            &[&id],
        )?
        .map(|r| r.get(0));
    let mut done = Vec::with_capacity(widths.len());
    for w in widths {
        done.push(
            tx.query_opt(
                "SELECT done FROM rollup_state WHERE every = $1 AND series_id = $2",
                &[&w.label, &id],
            )?
            .map(|r| r.get(0)),
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

fn series_step(
    tx: &mut Transaction<'_>,
    id: i64,
    run: &RollupRun<'_>,
    report: &mut Report,
) -> Result<()> {
    let Some(marks) = marks(tx, id, run.widths)? else {
        tx.execute("DELETE FROM rollup_pending WHERE series_id = $1", &[&id])?;
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
                    "DELETE FROM rollup_{} WHERE series_id = $1 AND ts >= $2 AND ts < $3",
                    w.label
                ),
                &[&id, &from, &to],
            )?;
        }
    }
    let written = write_buckets(tx, id, run, &plan, &marks)?;
    for (i, w) in run.widths.iter().enumerate() {
        tx.execute(
            "INSERT INTO rollup_state (every, series_id, done) VALUES ($1, $2, $3)
             ON CONFLICT (every, series_id) DO UPDATE SET done = excluded.done",
            &[&w.label, &id, &plan.ranges[i].1],
        )?;
        report.written[i] += written[i];
    }
    tx.execute("DELETE FROM rollup_pending WHERE series_id = $1", &[&id])?;
    Ok(())
}

fn write_buckets(
    tx: &mut Transaction<'_>,
    id: i64,
    run: &RollupRun<'_>,
    plan: &Plan,
    marks: &Marks,
) -> Result<Vec<u64>> {
    let mut inserts = Vec::with_capacity(run.widths.len());
    for w in run.widths {
        inserts.push(tx.prepare(&format!(
            "INSERT INTO rollup_{} (series_id, ts, count, min, max, mean, stddev, first, last, twa, first_ts, good, bad)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (series_id, ts) DO UPDATE SET count = excluded.count, min = excluded.min,
               max = excluded.max, mean = excluded.mean, stddev = excluded.stddev,
               first = excluded.first, last = excluded.last, twa = excluded.twa,
               first_ts = excluded.first_ts, good = excluded.good, bad = excluded.bad",
            w.label
        ))?);
    }
    // Buckets closed while a chunk is folded, written before the next.
    let mut closed: Vec<(usize, BucketRow)> = Vec::new();
    let mut fold = Fold::new(run.widths, run.aligner, plan);
    let (lo, hi) = plan.span(marks.first);
    let read = tx.prepare(
        "SELECT ts, value, quality FROM readings WHERE series_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts",
    )?;
    let portal = tx.bind(&read, &[&id, &lo, &hi])?;
    loop {
        let rows = tx.query_portal(&portal, 10_000)?;
        for row in &rows {
            let quality: i16 = row.get(2);
            fold.push(row.get(0), row.get(1), quality == 0, &mut |i, b| {
                closed.push((i, *b));
                Ok(())
            })?;
        }
        flush(tx, &inserts, id, &mut closed)?;
        if rows.len() < 10_000 {
            break;
        }
    }
    fold.finish(&mut |i, b| {
        closed.push((i, *b));
        Ok(())
    })?;
    flush(tx, &inserts, id, &mut closed)?;
    Ok(fold.written)
}

fn flush(
    tx: &mut Transaction<'_>,
    inserts: &[postgres::Statement],
    id: i64,
    closed: &mut Vec<(usize, BucketRow)>,
) -> Result<()> {
    for (i, b) in closed.drain(..) {
        let [min, max, mean, stddev, first, last, twa] = b.stats;
        tx.execute(
            &inserts[i],
            &[
                &id,
                &b.start,
                &b.count,
                &min,
                &max,
                &mean,
                &stddev,
                &first,
                &last,
                &twa,
                &b.first_ts,
                &b.good,
                &b.bad,
            ],
        )?;
    }
    Ok(())
}
