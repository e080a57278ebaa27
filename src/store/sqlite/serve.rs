//! What `iiot serve` asks of a SQLite store beyond `query`'s reads: the
//! rollup tables there are and their rows as rollup records, the alarm
//! events as event records, and the store's health (last reading per
//! series). Every value a request brings is a bound parameter; the one
//! identifier put into SQL, a rollup table's name, is taken from the
//! store's own list of tables, never from the request.

use anyhow::{Context, Result};
use rusqlite::params;

use super::Store;
use super::read::Series;
use crate::record::{Quality, ReadingRef, write_json_str, write_number};
use crate::store::Selection;
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
    pub(crate) fn read_rollups(
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

    /// The alarm events of the selected series in the range, in time
    /// order, as event records; `emit` returns `false` to stop.
    pub(crate) fn read_events(
        &self,
        sel: &Selection,
        emit: &mut dyn FnMut(&ReadingRef<'_>) -> Result<bool>,
    ) -> Result<bool> {
        let units: std::collections::HashMap<(String, String), String> = self
            .series(&Selection::all())?
            .into_iter()
            .filter_map(|s| Some(((s.asset, s.tag), s.unit?)))
            .collect();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT ts, asset, tag, rule, event, kind, severity, value, \"limit\", extra \
                 FROM alarm_events WHERE ts >= ?1 AND ts < ?2 ORDER BY ts, asset, tag, rule",
            )
            .with_context(|| format!("reading the alarm events of {}", self.name))?;
        let (from, to) = range(sel);
        let mut rows = stmt.query(params![from, to])?;
        let mut extra = Vec::new();
        while let Some(r) = rows.next()? {
            let asset: String = r.get(1)?;
            let tag: String = r.get(2)?;
            if !sel.series_matches(&asset, &tag) {
                continue;
            }
            let rule: String = r.get(3)?;
            let event: String = r.get(4)?;
            let kind: Option<String> = r.get(5)?;
            let severity: Option<String> = r.get(6)?;
            let value: Option<f64> = r.get(7)?;
            let limit: Option<f64> = r.get(8)?;
            let more: Option<String> = r.get(9)?;
            extra.clear();
            extra.extend_from_slice(b"\"event\":");
            write_json_str(&event, &mut extra);
            extra.extend_from_slice(b",\"rule\":");
            write_json_str(&rule, &mut extra);
            for (k, v) in [("kind", &kind), ("severity", &severity)] {
                if let Some(v) = v {
                    extra.extend_from_slice(format!(",\"{k}\":").as_bytes());
                    write_json_str(v, &mut extra);
                }
            }
            if let Some(l) = limit.filter(|l| l.is_finite()) {
                extra.extend_from_slice(b",\"limit\":");
                write_number(l, &mut extra);
            }
            // Other fields the event came with (`by`, `note`, …), as kept.
            if let Some(more) = more
                && let Ok(map) =
                    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&more)
            {
                for (k, v) in map {
                    extra.push(b',');
                    write_json_str(&k, &mut extra);
                    extra.push(b':');
                    extra.extend_from_slice(v.to_string().as_bytes());
                }
            }
            let unit = units
                .get(&(asset.clone(), tag.clone()))
                .map_or("", String::as_str);
            let rec = ReadingRef {
                ts: r.get(0)?,
                asset: &asset,
                tag: &tag,
                value: value.filter(|v| v.is_finite()).unwrap_or(0.0),
                unit,
                quality: Quality::Good,
                text: "",
                fault: "",
                extra: std::str::from_utf8(&extra).unwrap_or_default(),
                encoded: None,
            };
            if !emit(&rec)? {
                return Ok(false);
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

/// An alarm event as stored, for working out which alarms are active.
#[derive(Debug, Clone)]
pub(crate) struct EventRow {
    pub ts: Millis,
    pub asset: String,
    pub tag: String,
    pub rule: String,
    pub event: String,
    pub kind: Option<String>,
    pub severity: Option<String>,
    pub value: Option<f64>,
    pub limit: Option<f64>,
}

impl Store {
    /// Every alarm event of the selected series, in time order (events of
    /// one time in the order raised, acked, cleared).
    pub(crate) fn each_event(&self, sel: &Selection, f: &mut dyn FnMut(EventRow)) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT ts, asset, tag, rule, event, kind, severity, value, \"limit\" FROM alarm_events \
             ORDER BY ts, CASE event WHEN 'raised' THEN 0 WHEN 'acked' THEN 1 ELSE 2 END",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (asset, tag): (String, String) = (r.get(1)?, r.get(2)?);
            if !sel.series_matches(&asset, &tag) {
                continue;
            }
            f(EventRow {
                ts: r.get(0)?,
                asset,
                tag,
                rule: r.get(3)?,
                event: r.get(4)?,
                kind: r.get(5)?,
                severity: r.get(6)?,
                value: r.get(7)?,
                limit: r.get(8)?,
            });
        }
        Ok(())
    }
}
