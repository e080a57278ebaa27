//! Rollup tables read back (`query DB --rollup 1h`): the rows of
//! `rollup_1h` as rollup records with every statistic, as `rollup
//! --every` writes them, so they feed every verb a rollup stream feeds.
//! The walk is [`crate::store::rows::read_rollups`]; here is SQLite's SQL.

use anyhow::{Context, Result};
use rusqlite::params;

use super::Store;
use super::schema::has_table;
use crate::rollup::store::BucketRow;
use crate::store::rows::BucketSink;
use crate::store::sqlite::read::Series;
use crate::time::Millis;

impl Store {
    pub(crate) fn has_rollup_table(&self, table: &str) -> Result<bool> {
        Ok(has_table(&self.conn, table)?)
    }

    /// One series' buckets of `table` in `[from, to)`, in time order.
    pub(crate) fn rollup_rows(
        &self,
        table: &str,
        s: &Series,
        from: Millis,
        to: Millis,
        row: &mut BucketSink<'_>,
    ) -> Result<bool> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT ts, count, min, max, mean, stddev, first, last, twa, first_ts, good, bad \
                 FROM \"{table}\" WHERE series_id = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts"
            ))
            .with_context(|| format!("reading {table} of {}", self.name))?;
        let mut rows = stmt.query(params![s.id, from, to])?;
        while let Some(r) = rows.next()? {
            let stat = |i| r.get::<_, Option<f64>>(i);
            let b = BucketRow {
                start: r.get(0)?,
                count: r.get(1)?,
                stats: [
                    stat(2)?,
                    stat(3)?,
                    stat(4)?,
                    stat(5)?,
                    stat(6)?,
                    stat(7)?,
                    stat(8)?,
                ],
                first_ts: r.get(9)?,
                good: r.get(10)?,
                bad: r.get(11)?,
            };
            if !row(&b)? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
