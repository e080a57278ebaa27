//! Reading a PostgreSQL store: the series dictionary and one series' rows
//! through the primary key, streamed (`query_raw`) so memory stays
//! bounded (the walk over the selected series is [`crate::store::rows`]);
//! `inspect`'s report and its pass over every reading.

use anyhow::{Context, Result};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

use super::PgStore;
use crate::rollup::store::BucketRow;
use crate::store::Selection;
use crate::store::layout::{PAGE_SQL, series_rows_sql};
use crate::store::order::{PAGE, Page, PageQuery};
use crate::store::rows::{BucketSink, RowSink, SeriesRows, select_series};
use crate::store::sqlite::inspect::StoreInfo;
use crate::store::sqlite::read::Series;
use crate::time::Millis;

impl SeriesRows for PgStore {
    fn name(&self) -> &str {
        &self.name
    }

    fn has_rollup_table(&self, table: &str) -> Result<bool> {
        let mut c = self.client.borrow_mut();
        let row = c
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
            .with_context(|| format!("looking for {table} in {}", self.name))?;
        Ok(row.get(0))
    }

    /// Streamed (`query_raw`), so memory stays bounded.
    fn rollup_rows(
        &self,
        table: &str,
        s: &Series,
        from: Millis,
        to: Millis,
        row: &mut BucketSink<'_>,
    ) -> Result<bool> {
        let context = || format!("reading {table} of {}", self.name);
        let sql = format!(
            "SELECT ts, count, min, max, mean, stddev, first, last, twa, first_ts, good, bad \
             FROM \"{table}\" WHERE series_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts"
        );
        let mut client = self.client.borrow_mut();
        let params: [&(dyn ToSql + Sync); 3] = [&s.id, &from, &to];
        let mut rows = client
            .query_raw(sql.as_str(), params)
            .with_context(context)?;
        while let Some(r) = rows.next().with_context(context)? {
            let b = BucketRow {
                start: r.get(0),
                count: r.get(1),
                stats: std::array::from_fn(|i| r.get(2 + i)),
                first_ts: r.get(9),
                good: r.get(10),
                bad: r.get(11),
            };
            if !row(&b)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn series(&self, sel: &Selection) -> Result<Vec<Series>> {
        let rows = self
            .client
            .borrow_mut()
            .query("SELECT id, asset, tag, unit FROM series", &[])
            .with_context(|| format!("reading the series of {}", self.name))?;
        let all = rows.iter().map(|r| Series {
            id: r.get(0),
            asset: r.get(1),
            tag: r.get(2),
            unit: r.get(3),
        });
        Ok(select_series(all, sel))
    }

    /// Streamed (`query_raw`), so memory stays bounded.
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
        let mut client = self.client.borrow_mut();
        let stmt = self.statement(&mut client, sql).with_context(context)?;
        let params: [&(dyn ToSql + Sync); 3] = [&s.id, &from, &to];
        let mut rows = client.query_raw(&stmt, params).with_context(context)?;
        while let Some(r) = rows.next().with_context(context)? {
            let quality = i64::from(r.get::<_, i16>(2));
            if !row(r.get(0), r.get(1), quality, r.get(3))? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn page(&self, q: &PageQuery<'_>, page: &mut Page) -> Result<()> {
        let context = || format!("reading {}", self.name);
        let mut c = self.client.borrow_mut();
        let stmt = self.statement(&mut c, PAGE_SQL).with_context(context)?;
        let params: [&(dyn ToSql + Sync); 5] =
            [&q.series.id, &q.after, &q.from, &q.to, &(PAGE as i64)];
        for r in c.query(&stmt, &params).with_context(context)? {
            let quality = i64::from(r.get::<_, i16>(2));
            page.push(r.get(0), r.get(1), quality, r.get(3));
        }
        Ok(())
    }
}

impl PgStore {
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
