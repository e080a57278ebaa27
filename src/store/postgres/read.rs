//! Reading a PostgreSQL store: the series dictionary matched against the
//! globs in memory, then each selected series read through the primary
//! key, streamed (`query_raw`) so memory stays bounded; `inspect`'s
//! report and its pass over every reading.

use anyhow::{Context, Result};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

use super::PgStore;
use crate::record::{Quality, Reading, ReadingRef};
use crate::store::Selection;
use crate::store::sqlite::inspect::StoreInfo;
use crate::store::sqlite::read::{Series, apply_extra};
use crate::time::{MAX_MILLIS, MIN_MILLIS, Millis};

impl PgStore {
    /// The selected series, sorted by asset then tag (byte order).
    pub(crate) fn series(&self, sel: &Selection) -> Result<Vec<Series>> {
        let rows = self
            .client
            .borrow_mut()
            .query("SELECT id, asset, tag, unit FROM series", &[])
            .with_context(|| format!("reading the series of {}", self.name))?;
        let mut out: Vec<Series> = rows
            .iter()
            .map(|r| Series {
                id: r.get(0),
                asset: r.get(1),
                tag: r.get(2),
                unit: r.get(3),
            })
            .filter(|s| sel.series_matches(&s.asset, &s.tag))
            .collect();
        out.sort_by(|a, b| {
            (a.asset.as_bytes(), a.tag.as_bytes()).cmp(&(b.asset.as_bytes(), b.tag.as_bytes()))
        });
        Ok(out)
    }

    pub(crate) fn read(
        &self,
        sel: &Selection,
        limit: u64,
        emit: impl FnMut(&ReadingRef<'_>) -> Result<()>,
    ) -> Result<()> {
        self.read_selected(sel, false, limit, emit)
    }

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
        let sql = if latest {
            "SELECT ts, value, quality, extra FROM readings \
             WHERE series_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts DESC LIMIT 1"
        } else {
            "SELECT ts, value, quality, extra FROM readings \
             WHERE series_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts"
        };
        let (from, to) = (sel.from.max(MIN_MILLIS), sel.to.min(MAX_MILLIS + 1));
        let mut reading = Reading::default();
        let mut n = 0u64;
        let series = self.series(sel)?;
        let mut client = self.client.borrow_mut();
        let stmt = client
            .prepare(sql)
            .with_context(|| format!("reading {}", self.name))?;
        for s in series {
            if n >= limit {
                break;
            }
            let params: [&(dyn ToSql + Sync); 3] = [&s.id, &from, &to];
            let mut rows = client
                .query_raw(&stmt, params)
                .with_context(|| format!("reading {}", self.name))?;
            while let Some(r) = rows
                .next()
                .with_context(|| format!("reading {}", self.name))?
            {
                reading.clear();
                reading.ts = r.get::<_, i64>(0);
                reading.asset.push_str(&s.asset);
                reading.tag.push_str(&s.tag);
                reading.value = r.get::<_, f64>(1);
                reading.unit.push_str(s.unit.as_deref().unwrap_or(""));
                reading.quality = match r.get::<_, i16>(2) {
                    0 => Quality::Good,
                    1 => Quality::Uncertain,
                    _ => Quality::Bad,
                };
                if let Some(extra) = r.get::<_, Option<&str>>(3) {
                    apply_extra(extra, &mut reading);
                }
                emit(&reading.as_ref())?;
                n += 1;
                if n >= limit {
                    break;
                }
            }
        }
        Ok(())
    }

    /// The store's make-up, for inspect (`pages` in PostgreSQL blocks of
    /// the readings table and its index).
    pub(crate) fn info(&self) -> Result<StoreInfo> {
        let mut c = self.client.borrow_mut();
        let mut one = |sql: &str| -> Result<i64> {
            Ok(c.query_one(sql, &[])
                .with_context(|| format!("{}: {sql}", self.name))?
                .get(0))
        };
        let page_size = one("SELECT current_setting('block_size')::bigint")?;
        let pages = one(
            "SELECT pg_total_relation_size('readings') / current_setting('block_size')::bigint",
        )?;
        let series = one("SELECT count(*) FROM series")?;
        let readings = one("SELECT count(*) FROM readings")?;
        let alarm_events = one("SELECT count(*) FROM alarm_events").ok();
        let schema_version = c
            .query_opt("SELECT value FROM meta WHERE key = 'schema_version'", &[])
            .ok()
            .flatten()
            .map(|r| r.get(0));
        Ok(StoreInfo {
            schema_version,
            page_size,
            pages,
            series,
            readings,
            alarm_events,
        })
    }

    /// Every reading's asset, tag, time and value, series by series, each
    /// in time order, streamed.
    pub(crate) fn each_reading(&self, f: &mut dyn FnMut(&str, &str, Millis, f64)) -> Result<()> {
        let series = self.series(&Selection::all())?;
        let mut by_id: Vec<&Series> = series.iter().collect();
        by_id.sort_by_key(|s| s.id);
        let mut c = self.client.borrow_mut();
        let stmt = c.prepare("SELECT ts, value FROM readings WHERE series_id = $1 ORDER BY ts")?;
        for s in by_id {
            let mut rows = c
                .query_raw(&stmt, [&s.id])
                .with_context(|| format!("reading {}", self.name))?;
            while let Some(r) = rows.next()? {
                f(&s.asset, &s.tag, r.get(0), r.get(1));
            }
        }
        Ok(())
    }
}
