//! Writing a batch inside its transaction (docs/storage.md): the new
//! series first (their ids are known only then), then the readings, alarm
//! events and rollup records, then the `rollup_pending` marks. Nothing here
//! commits; [`SqliteStore::commit`] does, or rolls back.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use rusqlite::{OptionalExtension, params};

use super::{Counts, OnConflict, SqliteStore};
use crate::store::batch::rollup_conflict;
use crate::store::sqlite::open::describe_error;
use crate::time::Millis;

/// What a committed batch changes in memory.
#[derive(Default)]
pub(super) struct Written {
    /// Ids of `new_series`, in order.
    pub ids: Vec<i64>,
    pub counts: Counts,
    /// Rows refused, by index, with the retention point they fell behind.
    pub refused: Vec<(usize, Millis)>,
}

impl Written {
    /// The stored id of a batch's series id (negative while new).
    fn real(&self, id: i64) -> i64 {
        if id < 0 {
            self.ids[(-id - 1) as usize]
        } else {
            id
        }
    }
}

impl SqliteStore {
    /// Writes the batch inside the open transaction; returns what to apply
    /// to the in-memory state once it commits.
    pub(super) fn write_batch(&mut self) -> Result<Written> {
        let mut done = Written::default();
        self.write_series(&mut done)?;
        // Stable: with --on-conflict replace the last of two equal keys wins.
        self.rows.sort_by_key(|r| (r.id, r.ts));
        let pending = self.write_readings(&mut done)?;
        self.write_events(&mut done)?;
        self.write_forecasts(&mut done)?;
        if !self.rollups.is_empty() {
            self.write_rollups(&mut done)?;
        }
        self.write_marks(pending)?;
        Ok(done)
    }

    fn sql_error(&self, e: rusqlite::Error) -> anyhow::Error {
        describe_error(e, Path::new(&self.name))
    }

    /// The new series, whose ids are known only now, and changed units.
    fn write_series(&self, done: &mut Written) -> Result<()> {
        let sql = |e| self.sql_error(e);
        let mut insert = self
            .conn
            .prepare_cached(
                "INSERT INTO series (asset, tag, unit) VALUES (?1, ?2, nullif(?3, ''))
                 ON CONFLICT (asset, tag) DO UPDATE SET unit = coalesce(nullif(excluded.unit, ''), unit)
                 RETURNING id",
            )
            .map_err(sql)?;
        for s in &self.series.new {
            let id: i64 = insert
                .query_row(params![s.asset, s.tag, s.unit], |r| r.get(0))
                .map_err(sql)?;
            done.ids.push(id);
        }
        let mut update = self
            .conn
            .prepare_cached("UPDATE series SET unit = ?1 WHERE id = ?2")
            .map_err(sql)?;
        for (id, unit) in &self.series.unit_changes {
            update.execute(params![unit, id]).map_err(sql)?;
        }
        Ok(())
    }

    /// The readings, sorted by series and time; returns the earliest
    /// reading stored or replaced per series, for the rollup marks.
    fn write_readings(&self, done: &mut Written) -> Result<HashMap<i64, Millis>> {
        let sql = |e| self.sql_error(e);
        let mut pending: HashMap<i64, Millis> = HashMap::new();
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
            let id = done.real(row.id);
            // Where retention has deleted this series' raw readings after
            // rolling them up: read inside this transaction, so a retention
            // run cannot move it between check and insert.
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
        Ok(pending)
    }

    fn write_events(&self, done: &mut Written) -> Result<()> {
        let sql = |e| self.sql_error(e);
        let mut insert = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO alarm_events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .map_err(sql)?;
        for e in &self.events {
            let n = insert
                .execute(params![
                    e.ts, e.asset, e.tag, e.rule, e.event, e.kind, e.severity, e.value, e.limit,
                    e.extra
                ])
                .map_err(sql)?;
            if n > 0 {
                done.counts.events += 1;
            } else {
                done.counts.duplicates += 1;
            }
        }
        Ok(())
    }

    fn write_rollups(&self, done: &mut Written) -> Result<()> {
        let sql = |e| self.sql_error(e);
        let conflict = rollup_conflict(self.opts.on_conflict);
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
                    done.real(r.id),
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
        Ok(())
    }

    /// Lowers each series' `rollup_pending.since` to its earliest new reading.
    fn write_marks(&self, pending: HashMap<i64, Millis>) -> Result<()> {
        let sql = |e| self.sql_error(e);
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
        Ok(())
    }
}
