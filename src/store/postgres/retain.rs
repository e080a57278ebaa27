//! Retention on a PostgreSQL store: the SQLite store's rules (raw
//! readings never deleted before their rollups cover them, the point
//! recorded in `rollup_retained` before deleting, in bounded
//! transactions); here is the SQL.

use anyhow::Result;
use postgres::{Client, GenericClient};

use super::rollup::{recorded_tz, series_ids};
use super::{PgStore, schema};
use crate::rollup::retain::{Deleted, Grid, Rule, Target, covered, raw_limit};
use crate::store::rows::rule_tables;
use crate::time::Millis;

/// Rows deleted per transaction.
const BATCH: i64 = 10_000;

impl PgStore {
    pub(crate) fn retain(
        &mut self,
        rules: &[Rule],
        now: Millis,
        dry_run: bool,
    ) -> Result<Vec<Deleted>> {
        let tables = rule_tables(self, rules)?;
        let conn = self.client.get_mut();
        let ids = series_ids(conn)?;
        let (has_state, grid) = grid_of(conn)?;
        let mut report = Vec::new();
        for (rule, what) in rules.iter().zip(tables) {
            let cutoff = now.saturating_sub(rule.keep);
            let mut line = Deleted {
                what,
                rows: 0,
                before: cutoff,
                kept: 0,
            };
            for &id in &ids {
                match &rule.target {
                    Target::Raw => {
                        retain_raw(conn, id, has_state, &grid, cutoff, dry_run, &mut line)?
                    }
                    Target::Rollup(w) => {
                        let limit = cutoff.saturating_sub(w.ms) + 1;
                        line.rows += if dry_run {
                            count(conn, &line.what, id, Millis::MIN, limit)?
                        } else {
                            delete_before(conn, &line.what, id, limit, None)?
                        };
                    }
                }
            }
            report.push(line);
        }
        Ok(report)
    }
}

/// Whether the store has rolled up at all, and the bucket boundaries of
/// its rollup widths.
fn grid_of(conn: &mut Client) -> Result<(bool, Grid)> {
    if !schema::table_exists(conn, "rollup_state")? {
        return Ok((false, Grid::default()));
    }
    let labels: Vec<String> = conn
        .query("SELECT DISTINCT every FROM rollup_state", &[])?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let tz = recorded_tz(conn)?.filter(|t| !t.is_empty());
    Ok((true, Grid::new(&labels, tz.as_deref())?))
}

/// Records how far back a series' raw readings go from now on.
const RECORD_RETAINED: &str = "INSERT INTO rollup_retained (series_id, before) VALUES ($1, $2)
     ON CONFLICT (series_id) DO UPDATE SET before = greatest(rollup_retained.before, excluded.before)";

/// How far back a series' raw readings may go now, and from where they
/// are whole; `None`: delete nothing.
fn limit(
    c: &mut impl GenericClient,
    id: i64,
    has_state: bool,
    grid: &Grid,
    cutoff: Millis,
) -> Result<Option<(Millis, Millis)>> {
    let rolled = if has_state {
        let done: Option<i64> = c
            .query_one(
                "SELECT min(done) FROM rollup_state WHERE series_id = $1",
                &[&id],
            )?
            .get(0);
        let pending: Option<i64> = c
            .query_opt(
                "SELECT since FROM rollup_pending WHERE series_id = $1",
                &[&id],
            )?
            .map(|r| r.get(0));
        covered(done, pending)
    } else {
        Millis::MIN
    };
    Ok(raw_limit(rolled, cutoff, grid))
}

fn retain_raw(
    conn: &mut Client,
    id: i64,
    has_state: bool,
    grid: &Grid,
    cutoff: Millis,
    dry_run: bool,
    line: &mut Deleted,
) -> Result<()> {
    let lim = limit(conn, id, has_state, grid, cutoff)?.map_or(Millis::MIN, |(l, _)| l);
    if lim < cutoff {
        line.kept += count(conn, "readings", id, lim, cutoff)?;
    }
    line.rows += if dry_run {
        count(conn, "readings", id, Millis::MIN, lim)?
    } else {
        delete_before(conn, "readings", id, cutoff, Some((has_state, grid)))?
    };
    Ok(())
}

fn count(
    c: &mut impl GenericClient,
    table: &str,
    id: i64,
    from: Millis,
    to: Millis,
) -> Result<u64> {
    let n: i64 = c
        .query_one(
            &format!("SELECT count(*) FROM {table} WHERE series_id = $1 AND ts >= $2 AND ts < $3"),
            &[&id, &from, &to],
        )?
        .get(0);
    Ok(n as u64)
}

/// Deletes a series' rows before `limit`, at most [`BATCH`] per
/// transaction. For raw readings (`raw` given, `limit` the cutoff), each
/// transaction decides anew how far it may go under a lock on the series
/// and records it in `rollup_retained` first.
fn delete_before(
    c: &mut Client,
    table: &str,
    id: i64,
    limit: Millis,
    raw: Option<(bool, &Grid)>,
) -> Result<u64> {
    let mut total = 0u64;
    loop {
        let mut tx = c.transaction()?;
        let upto_limit = match raw {
            None => limit,
            Some((has_state, grid)) => {
                tx.execute("SELECT id FROM series WHERE id = $1 FOR UPDATE", &[&id])?;
                let Some((l, before)) = self::limit(&mut tx, id, has_state, grid, limit)? else {
                    return Ok(total);
                };
                tx.execute(RECORD_RETAINED, &[&id, &before])?;
                l
            }
        };
        let boundary: Option<i64> = tx
            .query_opt(
                &format!(
                    "SELECT ts FROM {table} WHERE series_id = $1 AND ts < $2 ORDER BY ts LIMIT 1 OFFSET $3"
                ),
                &[&id, &upto_limit, &BATCH],
            )?
            .map(|r| r.get(0));
        let upto = boundary.unwrap_or(upto_limit);
        let n = tx.execute(
            &format!("DELETE FROM {table} WHERE series_id = $1 AND ts < $2"),
            &[&id, &upto],
        )?;
        tx.commit()?;
        total += n;
        if boundary.is_none() {
            return Ok(total);
        }
    }
}

impl crate::store::archive::Archiving for PgStore {
    fn fix_limits(
        &mut self,
        rule: &Rule,
        cutoff: Millis,
        ids: &[i64],
        line: &mut Deleted,
    ) -> Result<Vec<(i64, Millis)>> {
        let conn = self.client.get_mut();
        if let Target::Rollup(w) = &rule.target {
            let limit = cutoff.saturating_sub(w.ms) + 1;
            return Ok(ids.iter().map(|&id| (id, limit)).collect());
        }
        let (has_state, grid) = grid_of(conn)?;
        let mut limits = Vec::new();
        for &id in ids {
            let mut tx = conn.transaction()?;
            tx.execute("SELECT id FROM series WHERE id = $1 FOR UPDATE", &[&id])?;
            let fixed = limit(&mut tx, id, has_state, &grid, cutoff)?;
            let lim = fixed.map_or(Millis::MIN, |(l, _)| l);
            if lim < cutoff {
                line.kept += count(&mut tx, "readings", id, lim, cutoff)?;
            }
            if let Some((l, before)) = fixed {
                tx.execute(RECORD_RETAINED, &[&id, &before])?;
                limits.push((id, l));
            }
            tx.commit()?;
        }
        Ok(limits)
    }

    fn first_ts(&self, table: &str, id: i64, from: Millis, to: Millis) -> Result<Option<Millis>> {
        let row = self.client.borrow_mut().query_one(
            &format!(
                "SELECT min(ts) FROM \"{table}\" WHERE series_id = $1 AND ts >= $2 AND ts < $3"
            ),
            &[&id, &from, &to],
        )?;
        Ok(row.get(0))
    }

    fn delete_before(&mut self, table: &str, id: i64, limit: Millis) -> Result<u64> {
        delete_before(self.client.get_mut(), table, id, limit, None)
    }
}
