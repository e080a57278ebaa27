//! Rollup tables read back (`query DB --rollup 1h`): the rows of
//! `rollup_1h` as rollup records with every statistic, as `rollup
//! --every` writes them, so they feed every verb a rollup stream feeds.

use anyhow::{Context, Result, bail};
use rusqlite::params;

use super::Store;
use super::schema::has_table;
use crate::record::ReadingRef;
use crate::rollup::record::write_bucket_extra;
use crate::rollup::store::BucketRow;
use crate::store::Selection;
use crate::store::rows::SeriesRows;
use crate::time::{MAX_MILLIS, MIN_MILLIS, TsFormatter};

impl Store {
    /// The selected buckets of the rollup table of width `label`, series
    /// by series (asset, then tag), each in time order, until `limit`.
    pub(crate) fn read_rollups(
        &self,
        label: &str,
        sel: &Selection,
        limit: u64,
        mut emit: impl FnMut(&ReadingRef<'_>) -> Result<()>,
    ) -> Result<()> {
        let table = format!("rollup_{label}");
        if !has_table(&self.conn, &table)? {
            bail!(
                "{} has no table {table}: `iiot rollup {} --every {label}` makes it",
                self.name,
                self.name
            );
        }
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT ts, count, min, max, mean, stddev, first, last, twa, first_ts, good, bad \
                 FROM \"{table}\" WHERE series_id = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts"
            ))
            .with_context(|| format!("reading {table} of {}", self.name))?;
        let (from, to) = (sel.from.max(MIN_MILLIS), sel.to.min(MAX_MILLIS + 1));
        let mut x: Vec<u8> = Vec::with_capacity(256);
        let mut fmt = TsFormatter::new();
        let mut n = 0u64;
        for s in self.series(sel)? {
            let mut rows = stmt.query(params![s.id, from, to])?;
            while let Some(r) = rows.next()? {
                if n >= limit {
                    return Ok(());
                }
                let stats = (2..9)
                    .map(|i| r.get::<_, Option<f64>>(i))
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let b = BucketRow {
                    start: r.get(0)?,
                    count: r.get(1)?,
                    stats: [
                        stats[0], stats[1], stats[2], stats[3], stats[4], stats[5], stats[6],
                    ],
                    first_ts: r.get(9)?,
                    good: r.get(10)?,
                    bad: r.get(11)?,
                };
                let (value, quality) = write_bucket_extra(label, &b, &mut fmt, &mut x);
                emit(&ReadingRef {
                    ts: b.start,
                    asset: &s.asset,
                    tag: &s.tag,
                    value,
                    unit: s.unit.as_deref().unwrap_or(""),
                    quality,
                    text: "",
                    fault: "",
                    extra: std::str::from_utf8(&x).unwrap_or_default(),
                    encoded: None,
                })?;
                n += 1;
            }
        }
        Ok(())
    }
}
