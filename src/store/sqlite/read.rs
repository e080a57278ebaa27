//! Reading a SQLite store (docs/storage.md): the series dictionary is
//! matched against the globs in memory, then each selected series is read
//! through the primary key, `WHERE series_id = ? AND ts >= ? AND ts < ?`,
//! already in time order — or, for `--latest`, only its last row.

use anyhow::{Context, Result};
use rusqlite::params;

use super::Store;
use crate::record::{Quality, Reading, ReadingRef};
use crate::store::Selection;
use crate::time::{MAX_MILLIS, MIN_MILLIS, Millis};

/// A series of the store.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub id: i64,
    pub asset: String,
    pub tag: String,
    pub unit: Option<String>,
}

impl Store {
    /// The selected series, sorted by asset then tag.
    pub(crate) fn series(&self, sel: &Selection) -> Result<Vec<Series>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, asset, tag, unit FROM series")
            .with_context(|| format!("reading the series of {}", self.name))?;
        let rows = stmt.query_map([], |r| {
            Ok(Series {
                id: r.get(0)?,
                asset: r.get(1)?,
                tag: r.get(2)?,
                unit: r.get(3)?,
            })
        })?;
        let mut out = Vec::new();
        for s in rows {
            let s = s.with_context(|| format!("reading the series of {}", self.name))?;
            if sel.series_matches(&s.asset, &s.tag) {
                out.push(s);
            }
        }
        // Byte order, as the Parquet side sorts.
        out.sort_by(|a, b| {
            (a.asset.as_bytes(), a.tag.as_bytes()).cmp(&(b.asset.as_bytes(), b.tag.as_bytes()))
        });
        Ok(out)
    }

    /// Reads one series' readings in `[from, to)` in time order (or only
    /// the last one), filling `reading` for each; `emit` returns `false` to
    /// stop.
    fn read_series(
        &self,
        s: &Series,
        sel: &Selection,
        latest: bool,
        reading: &mut Reading,
        emit: &mut dyn FnMut(&Reading) -> Result<bool>,
    ) -> Result<bool> {
        let sql = if latest {
            "SELECT ts, value, quality, extra FROM readings \
             WHERE series_id = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts DESC LIMIT 1"
        } else {
            "SELECT ts, value, quality, extra FROM readings \
             WHERE series_id = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts"
        };
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .with_context(|| format!("reading {}", self.name))?;
        // Only times a record can carry (years 1–9999): a row another
        // writer put outside them is not read.
        let (from, to) = (sel.from.max(MIN_MILLIS), sel.to.min(MAX_MILLIS + 1));
        let mut rows = stmt.query(params![s.id, from, to])?;
        while let Some(r) = rows
            .next()
            .with_context(|| format!("reading {}", self.name))?
        {
            reading.clear();
            reading.ts = r.get::<_, Millis>(0)?;
            reading.asset.push_str(&s.asset);
            reading.tag.push_str(&s.tag);
            reading.value = r.get::<_, f64>(1)?;
            reading.unit.push_str(s.unit.as_deref().unwrap_or(""));
            reading.quality = match r.get::<_, i64>(2)? {
                0 => Quality::Good,
                1 => Quality::Uncertain,
                _ => Quality::Bad,
            };
            if let Some(extra) = r.get::<_, Option<String>>(3)? {
                apply_extra(&extra, reading);
            }
            if !emit(reading)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The selected readings, series by series (asset, then tag), each in
    /// time order; `emit` is handed each until `limit` were.
    pub(crate) fn read(
        &self,
        sel: &Selection,
        limit: u64,
        emit: impl FnMut(&ReadingRef<'_>) -> Result<()>,
    ) -> Result<()> {
        self.read_selected(sel, false, limit, emit)
    }

    /// The last selected reading of each series, in series order.
    pub(crate) fn latest(
        &self,
        sel: &Selection,
        limit: u64,
        emit: impl FnMut(&ReadingRef<'_>) -> Result<()>,
    ) -> Result<()> {
        self.read_selected(sel, true, limit, emit)
    }

    fn read_selected(
        &self,
        sel: &Selection,
        latest: bool,
        limit: u64,
        mut emit: impl FnMut(&ReadingRef<'_>) -> Result<()>,
    ) -> Result<()> {
        let mut reading = Reading::default();
        let mut n = 0u64;
        for s in self.series(sel)? {
            if n >= limit {
                break;
            }
            let go_on = self.read_series(&s, sel, latest, &mut reading, &mut |r| {
                emit(&r.as_ref())?;
                n += 1;
                Ok(n < limit)
            })?;
            if !go_on {
                break;
            }
        }
        Ok(())
    }
}

/// Spreads the `extra` JSON object back into the reading: `text` and
/// `fault` to their fields, everything else kept as extra fields (in key
/// order: the store keeps no other).
/// Text that is not a JSON object is kept whole as `extra`.
pub(crate) fn apply_extra(extra: &str, r: &mut Reading) {
    let map: serde_json::Map<String, serde_json::Value> =
        match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(extra) {
            Ok(m) => m,
            Err(_) => {
                let mut buf = Vec::new();
                crate::record::write_json_str(extra, &mut buf);
                r.push_extra("extra", &String::from_utf8_lossy(&buf));
                return;
            }
        };
    for (k, v) in map {
        match (k.as_str(), &v) {
            ("text", serde_json::Value::String(s)) => r.text.push_str(s),
            ("fault", serde_json::Value::String(s)) => r.fault.push_str(s),
            _ => r.push_extra(&k, &v.to_string()),
        }
    }
}
