//! What `iiot serve` asks of a SQLite store beyond `query`'s reads: the
//! rollup tables there are and their rows as rollup records, and the
//! store's health (last reading per series). Alarm events and states are
//! read as `query --alarms`/`--active` reads them (`sqlite::alarms`). Every value a request brings is a bound parameter; the one
//! identifier put into SQL, a rollup table's name, is taken from the
//! store's own list of tables, never from the request.

use anyhow::{Context, Result};
use rusqlite::params;

use super::Store;
use super::read::Series;
use crate::record::{Quality, ReadingRef, write_json_str, write_number};
use crate::store::Selection;
use crate::store::rows::SeriesRows;
use crate::time::{MAX_MILLIS, MIN_MILLIS, Millis, TsFormatter};

/// A rollup table of the store: its width's label (`1h`) and length.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RollupTable {
    pub label: String,
    pub ms: i64,
}

/// Clamps a selection's range to the times a record can carry.
fn range(sel: &Selection) -> (Millis, Millis) {
    (sel.from.max(MIN_MILLIS), sel.to.min(MAX_MILLIS + 1))
}

impl Store {
    /// The rollup tables `iiot rollup` made (`rollup_1m`, `rollup_1h`, …),
    /// shortest width first.
    pub(crate) fn rollup_tables(&self) -> Result<Vec<RollupTable>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rollup\\_%' ESCAPE '\\'",
        )?;
        let names: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()
            .with_context(|| format!("listing the tables of {}", self.name))?;
        let mut out: Vec<RollupTable> = names
            .iter()
            .filter_map(|n| {
                let label = n.strip_prefix("rollup_")?;
                let w = crate::rollup::buckets::Width::parse(label).ok()?;
                Some(RollupTable {
                    label: w.label,
                    ms: w.ms,
                })
            })
            .collect();
        out.sort_by_key(|t| t.ms);
        Ok(out)
    }

    /// The selected series' buckets of `table` (one of
    /// [`Store::rollup_tables`]) as rollup records, series by series, each
    /// in time order; `emit` returns `false` to stop.
    pub(crate) fn serve_rollups(
        &self,
        table: &RollupTable,
        sel: &Selection,
        emit: &mut dyn FnMut(&ReadingRef<'_>) -> Result<bool>,
    ) -> Result<bool> {
        let sql = format!(
            "SELECT ts, count, min, max, mean, stddev, first, last, twa, first_ts, good, bad \
             FROM \"rollup_{}\" WHERE series_id = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts",
            table.label
        );
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .with_context(|| format!("reading rollup_{} of {}", table.label, self.name))?;
        let (from, to) = range(sel);
        let mut extra = Vec::new();
        let mut ts_fmt = TsFormatter::new();
        for s in self.series(sel)? {
            let mut rows = stmt.query(params![s.id, from, to])?;
            while let Some(r) = rows.next()? {
                let count: i64 = r.get(1)?;
                let stats: [Option<f64>; 7] = [
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ];
                let first_ts: Option<Millis> = r.get(9)?;
                let (good, bad): (i64, i64) = (r.get(10)?, r.get(11)?);
                extra.clear();
                extra.extend_from_slice(b"\"every\":");
                write_json_str(&table.label, &mut extra);
                extra.extend_from_slice(format!(",\"count\":{count}").as_bytes());
                for (k, v) in ["min", "max", "mean", "stddev", "first", "last", "twa"]
                    .iter()
                    .zip(stats)
                {
                    if let Some(v) = v.filter(|v| v.is_finite()) {
                        extra.extend_from_slice(format!(",\"{k}\":").as_bytes());
                        write_number(v, &mut extra);
                    }
                }
                if let Some(t) = first_ts {
                    extra.extend_from_slice(b",\"first_ts\":\"");
                    ts_fmt.write(t, &mut extra);
                    extra.push(b'"');
                }
                extra.extend_from_slice(format!(",\"good\":{good},\"bad\":{bad}").as_bytes());
                let mean = stats[2].filter(|v| v.is_finite());
                let rec = ReadingRef {
                    ts: r.get(0)?,
                    asset: &s.asset,
                    tag: &s.tag,
                    value: mean.unwrap_or(0.0),
                    unit: s.unit.as_deref().unwrap_or(""),
                    quality: if mean.is_some() && count > 0 {
                        Quality::Good
                    } else {
                        Quality::Bad
                    },
                    text: "",
                    fault: "",
                    extra: std::str::from_utf8(&extra).unwrap_or_default(),
                    encoded: None,
                };
                if !emit(&rec)? {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// The last reading time of each selected series (through the
    /// primary key: one seek per series).
    pub(crate) fn last_readings(&self, sel: &Selection) -> Result<Vec<Option<Millis>>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT max(ts) FROM readings WHERE series_id = ?1")?;
        let mut out = Vec::new();
        for s in self.series(sel)? {
            let ts: Option<Millis> = stmt.query_row([s.id], |r| r.get(0))?;
            out.push(ts);
        }
        Ok(out)
    }

    /// The selected series (asset, tag, unit), sorted by asset then tag.
    pub(crate) fn series_list(&self, sel: &Selection) -> Result<Vec<Series>> {
        self.series(sel)
    }

    /// How many alarm events the store holds.
    pub(crate) fn event_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM alarm_events", [], |r| r.get(0))?)
    }
}
