//! Reading a SQLite store (docs/storage.md): the series dictionary, and
//! one series' rows through the primary key, `WHERE series_id = ? AND ts
//! >= ? AND ts < ?`, already in time order — or, for `--latest`, only its
//! last row. The walk over the selected series is [`crate::store::rows`].

use anyhow::{Context, Result};
use rusqlite::params;

use super::Store;
use crate::record::Reading;
use crate::rollup::store::BucketRow;
use crate::store::Selection;
use crate::store::layout::{PAGE_SQL, series_rows_sql};
use crate::store::order::{PAGE, Page, PageQuery};
use crate::store::rows::{BucketSink, RowSink, SeriesRows, select_series};
use crate::time::Millis;

/// A series of the store.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub id: i64,
    pub asset: String,
    pub tag: String,
    pub unit: Option<String>,
}

impl SeriesRows for Store {
    fn name(&self) -> &str {
        &self.name
    }

    fn has_rollup_table(&self, table: &str) -> Result<bool> {
        Ok(super::schema::has_table(&self.conn, table)?)
    }

    fn rollup_rows(
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
            let mut stats = [None; 7];
            for (k, v) in stats.iter_mut().enumerate() {
                *v = r.get(2 + k)?;
            }
            let b = BucketRow {
                start: r.get(0)?,
                count: r.get(1)?,
                stats,
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

    fn series(&self, sel: &Selection) -> Result<Vec<Series>> {
        let context = || format!("reading the series of {}", self.name);
        let mut stmt = self
            .conn
            .prepare("SELECT id, asset, tag, unit FROM series")
            .with_context(context)?;
        let rows = stmt.query_map([], |r| {
            Ok(Series {
                id: r.get(0)?,
                asset: r.get(1)?,
                tag: r.get(2)?,
                unit: r.get(3)?,
            })
        })?;
        let all = rows
            .collect::<rusqlite::Result<Vec<Series>>>()
            .with_context(context)?;
        Ok(select_series(all.into_iter(), sel))
    }

    fn rows(
        &self,
        s: &Series,
        from: Millis,
        to: Millis,
        latest: bool,
        row: &mut RowSink<'_>,
    ) -> Result<bool> {
        let sql = series_rows_sql(latest);
        let context = || format!("reading {}", self.name);
        let mut stmt = self.conn.prepare_cached(sql).with_context(context)?;
        let mut rows = stmt.query(params![s.id, from, to])?;
        while let Some(r) = rows.next().with_context(context)? {
            if !row(
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get_ref(3)?.as_str_or_null()?,
            )? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn page(&self, q: &PageQuery<'_>, page: &mut Page) -> Result<()> {
        let context = || format!("reading {}", self.name);
        let mut stmt = self.conn.prepare_cached(PAGE_SQL).with_context(context)?;
        let mut rows = stmt.query(params![q.series.id, q.after, q.from, q.to, PAGE as i64])?;
        while let Some(r) = rows.next().with_context(context)? {
            page.push(
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get_ref(3)?.as_str_or_null()?,
            );
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
