//! Retention on a SQLite store (docs/storage.md): old rows deleted in
//! bounded transactions, raw readings never before their rollups cover
//! them. The rules and the arithmetic of how far a series may go are
//! `rollup::retain`'s; here is the SQL.

use anyhow::Result;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::rollup::{series_ids, stored_tz};
use super::{Store, schema};
use crate::rollup::retain::{Deleted, Grid, Rule, Target, covered, raw_limit};
use crate::store::rows::rule_tables;
use crate::time::Millis;

/// Rows deleted per transaction, so a large purge never holds the write
/// lock for long (a live `iiot store` keeps writing between them).
const BATCH: i64 = 10_000;

impl Store {
    /// Applies the rules to the store; with `dry_run` counts what would go.
    ///
    /// Raw readings: each series is done in transactions of at most
    /// [`BATCH`] rows, and each transaction decides anew, inside itself,
    /// how far it may delete — the least `done` of the series' rollups, its
    /// `rollup_pending` mark and the cutoff, moved back to a start of a
    /// bucket of every width — and records that point in `rollup_retained`
    /// before deleting. So a late reading a store commits between two
    /// transactions holds the deletion back, and one committed after is
    /// refused by the store instead of being deleted unseen.
    pub(crate) fn retain(
        &mut self,
        rules: &[Rule],
        now: Millis,
        dry_run: bool,
    ) -> Result<Vec<Deleted>> {
        let tables = rule_tables(self, rules)?;
        let conn = &mut self.conn;
        let ids = series_ids(conn)?;
        let has_state = schema::has_table(conn, "rollup_state")?;
        if !dry_run {
            conn.execute_batch(schema::RETAINED_TABLE)?;
        }
        let grid = grid_of(conn, has_state)?;
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
                let series = Series {
                    id,
                    has_state,
                    grid: &grid,
                };
                match &rule.target {
                    Target::Raw => series.retain_raw(conn, cutoff, dry_run, &mut line)?,
                    // A bucket goes when all of it is older than the cutoff.
                    Target::Rollup(w) => {
                        let limit = cutoff.saturating_sub(w.ms) + 1;
                        line.rows += if dry_run {
                            count(conn, &line.what, id, Millis::MIN, limit)?
                        } else {
                            delete_before(conn, &line.what, id, limit)?
                        };
                    }
                }
            }
            report.push(line);
        }
        Ok(report)
    }
}

/// The bucket boundaries of the store's rollup widths.
fn grid_of(conn: &Connection, has_state: bool) -> Result<Grid> {
    if !has_state {
        return Ok(Grid::default());
    }
    let labels: Vec<String> = conn
        .prepare("SELECT DISTINCT every FROM rollup_state")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Grid::new(&labels, stored_tz(conn)?.as_deref())
}

/// One series as raw retention sees it.
struct Series<'a> {
    id: i64,
    /// Whether the store has rolled up at all (`rollup_state` exists).
    has_state: bool,
    grid: &'a Grid,
}

impl Series<'_> {
    /// Deletes (or with `dry_run` counts) the raw readings the rollups
    /// cover before the cutoff, and counts those kept for not being
    /// rolled up yet.
    fn retain_raw(
        &self,
        conn: &mut Connection,
        cutoff: Millis,
        dry_run: bool,
        line: &mut Deleted,
    ) -> Result<()> {
        let limit = self
            .limit(conn, cutoff)?
            .map_or(Millis::MIN, |(limit, _)| limit);
        if limit < cutoff {
            line.kept += count(conn, "readings", self.id, limit, cutoff)?;
        }
        line.rows += if dry_run {
            count(conn, "readings", self.id, Millis::MIN, limit)?
        } else {
            self.delete(conn, cutoff)?
        };
        Ok(())
    }

    /// Fixes, in one transaction, how far back the raw readings will be
    /// deleted — recorded in `rollup_retained` first, so from then on a
    /// store refuses a reading there and the rows found now are all there
    /// will be — and counts those kept for not being rolled up yet.
    /// `None`: delete nothing.
    fn fix_limit(
        &self,
        conn: &mut Connection,
        cutoff: Millis,
        line: &mut Deleted,
    ) -> Result<Option<Millis>> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let fixed = self.limit(&tx, cutoff)?;
        let limit = fixed.map_or(Millis::MIN, |(limit, _)| limit);
        if limit < cutoff {
            line.kept += count(&tx, "readings", self.id, limit, cutoff)?;
        }
        if let Some((_, before)) = fixed {
            tx.execute(
                "INSERT INTO rollup_retained (series_id, before) VALUES (?1, ?2)
                 ON CONFLICT (series_id) DO UPDATE SET before = max(before, excluded.before)",
                params![self.id, before],
            )?;
        }
        tx.commit()?;
        Ok(fixed.map(|(limit, _)| limit))
    }

    /// How far back the raw readings may be deleted now, and from where
    /// on they are whole (see [`raw_limit`]); `None`: delete nothing.
    fn limit(&self, conn: &Connection, cutoff: Millis) -> Result<Option<(Millis, Millis)>> {
        Ok(raw_limit(self.rolled_up_to(conn)?, cutoff, self.grid))
    }

    /// Raw readings before this time are covered by every rollup.
    fn rolled_up_to(&self, conn: &Connection) -> Result<Millis> {
        if !self.has_state {
            return Ok(Millis::MIN);
        }
        let done: Option<i64> = conn.query_row(
            "SELECT min(done) FROM rollup_state WHERE series_id = ?1",
            [self.id],
            |r| r.get(0),
        )?;
        let pending: Option<i64> = conn
            .query_row(
                "SELECT since FROM rollup_pending WHERE series_id = ?1",
                [self.id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(covered(done, pending))
    }

    /// Deletes the raw readings every rollup has covered, at most
    /// [`BATCH`] per transaction, deciding the limit inside each one.
    fn delete(&self, conn: &mut Connection, cutoff: Millis) -> Result<u64> {
        let mut total = 0u64;
        loop {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some((limit, before)) = self.limit(&tx, cutoff)? else {
                return Ok(total);
            };
            // Recorded first, in the same transaction: from now on a store
            // refuses a reading of this series before `before`, and rollup
            // never recomputes a bucket whose raw readings are going.
            tx.execute(
                "INSERT INTO rollup_retained (series_id, before) VALUES (?1, ?2)
                 ON CONFLICT (series_id) DO UPDATE SET before = max(before, excluded.before)",
                params![self.id, before],
            )?;
            let (n, more) = delete_some(&tx, "readings", self.id, limit)?;
            tx.commit()?;
            total += n;
            if !more {
                return Ok(total);
            }
        }
    }
}

pub(super) fn count(
    conn: &Connection,
    table: &str,
    id: i64,
    from: Millis,
    to: Millis,
) -> Result<u64> {
    let n: i64 = conn.query_row(
        &format!("SELECT count(*) FROM {table} WHERE series_id = ?1 AND ts >= ?2 AND ts < ?3"),
        params![id, from, to],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

/// Deletes a series' rows before `limit`, at most [`BATCH`] per
/// transaction.
fn delete_before(conn: &mut Connection, table: &str, id: i64, limit: Millis) -> Result<u64> {
    let mut total = 0u64;
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (n, more) = delete_some(&tx, table, id, limit)?;
        tx.commit()?;
        total += n;
        if !more {
            return Ok(total);
        }
    }
}

/// Deletes up to [`BATCH`] of a series' rows before `limit`; whether more
/// are left.
fn delete_some(tx: &Connection, table: &str, id: i64, limit: Millis) -> Result<(u64, bool)> {
    let boundary: Option<i64> = tx
        .query_row(
            &format!(
                "SELECT ts FROM {table} WHERE series_id = ?1 AND ts < ?2 ORDER BY ts LIMIT 1 OFFSET ?3"
            ),
            params![id, limit, BATCH],
            |r| r.get(0),
        )
        .optional()?;
    let upto = boundary.unwrap_or(limit);
    let n = tx.execute(
        &format!("DELETE FROM {table} WHERE series_id = ?1 AND ts < ?2"),
        params![id, upto],
    )?;
    Ok((n as u64, boundary.is_some()))
}

impl crate::store::archive::Archiving for Store {
    fn fix_limits(
        &mut self,
        rule: &Rule,
        cutoff: Millis,
        ids: &[i64],
        line: &mut Deleted,
    ) -> Result<Vec<(i64, Millis)>> {
        let conn = &mut self.conn;
        let has_state = schema::has_table(conn, "rollup_state")?;
        conn.execute_batch(schema::RETAINED_TABLE)?;
        let grid = grid_of(conn, has_state)?;
        let mut limits = Vec::new();
        for &id in ids {
            match &rule.target {
                Target::Raw => {
                    let s = Series {
                        id,
                        has_state,
                        grid: &grid,
                    };
                    if let Some(limit) = s.fix_limit(conn, cutoff, line)? {
                        limits.push((id, limit));
                    }
                }
                Target::Rollup(w) => limits.push((id, cutoff.saturating_sub(w.ms) + 1)),
            }
        }
        Ok(limits)
    }

    fn first_ts(&self, table: &str, id: i64, from: Millis, to: Millis) -> Result<Option<Millis>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT min(ts) FROM \"{table}\" WHERE series_id = ?1 AND ts >= ?2 AND ts < ?3"
        ))?;
        Ok(stmt
            .query_row(params![id, from, to], |r| r.get(0))
            .optional()?
            .flatten())
    }

    fn delete_before(&mut self, table: &str, id: i64, limit: Millis) -> Result<u64> {
        delete_before(&mut self.conn, table, id, limit)
    }
}
