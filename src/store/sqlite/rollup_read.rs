//! Rollup tables read back (`query DB --rollup 1h`): the rows of
//! `rollup_1h` as rollup records with every statistic, as `rollup
//! --every` writes them, so they feed every verb a rollup stream feeds.

use anyhow::{Context, Result, bail};
use rusqlite::params;

use super::Store;
use super::schema::has_table;
use crate::record::{Quality, ReadingRef, write_json_str, write_number};
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
                let count: i64 = r.get(1)?;
                let mean: Option<f64> = r.get(4)?;
                x.clear();
                x.extend_from_slice(b"\"every\":");
                write_json_str(label, &mut x);
                x.extend_from_slice(format!(",\"count\":{count}").as_bytes());
                let stats = (2..9)
                    .map(|i| r.get::<_, Option<f64>>(i))
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let first_ts: Option<i64> = r.get(9)?;
                let whole = count > 0 && stats.iter().all(Option::is_some);
                if whole {
                    for (k, v) in ["min", "max", "mean", "stddev", "first", "last", "twa"]
                        .iter()
                        .zip(&stats)
                    {
                        x.extend_from_slice(b",\"");
                        x.extend_from_slice(k.as_bytes());
                        x.extend_from_slice(b"\":");
                        write_number(v.unwrap_or_default(), &mut x);
                    }
                    if let Some(t) = first_ts {
                        x.extend_from_slice(b",\"first_ts\":\"");
                        fmt.write(t, &mut x);
                        x.push(b'"');
                    }
                }
                let (good, bad): (i64, i64) = (r.get(10)?, r.get(11)?);
                x.extend_from_slice(format!(",\"good\":{good},\"bad\":{bad}").as_bytes());
                emit(&ReadingRef {
                    ts: r.get(0)?,
                    asset: &s.asset,
                    tag: &s.tag,
                    value: if whole { mean.unwrap_or_default() } else { 0.0 },
                    unit: s.unit.as_deref().unwrap_or(""),
                    quality: if whole { Quality::Good } else { Quality::Bad },
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
