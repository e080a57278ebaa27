//! What `iiot inspect` asks of a SQLite store: its schema version, pages
//! and row counts, and every reading in primary-key order (series by
//! series, each in time order) for the per-series statistics.

use anyhow::{Context, Result};
use serde::Serialize;

use super::{Store, schema};
use crate::time::Millis;

/// A store's make-up, as inspect reports it.
#[derive(Debug, Serialize)]
pub(crate) struct StoreInfo {
    pub schema_version: Option<String>,
    pub page_size: i64,
    pub pages: i64,
    pub series: i64,
    pub readings: i64,
    /// `None` when the store has no `alarm_events` table.
    pub alarm_events: Option<i64>,
}

impl Store {
    pub(crate) fn info(&self) -> Result<StoreInfo> {
        let one = |sql: &str| -> Result<i64> {
            self.conn
                .query_row(sql, [], |r| r.get(0))
                .with_context(|| format!("{}: {sql}", self.name))
        };
        Ok(StoreInfo {
            schema_version: schema::stored_version(&self.conn).ok().flatten(),
            page_size: one("PRAGMA page_size")?,
            pages: one("PRAGMA page_count")?,
            series: one("SELECT count(*) FROM series")?,
            readings: one("SELECT count(*) FROM readings")?,
            alarm_events: one("SELECT count(*) FROM alarm_events").ok(),
        })
    }

    /// Hands `f` the asset, tag, time and value of every reading, in
    /// primary-key order: series by series, each in time order.
    pub(crate) fn each_reading(&self, f: &mut dyn FnMut(&str, &str, Millis, f64)) -> Result<()> {
        let sql = "SELECT s.asset, s.tag, r.ts, r.value FROM readings r \
                   JOIN series s ON s.id = r.series_id ORDER BY r.series_id, r.ts";
        let mut pass = || -> Result<()> {
            let mut stmt = self.conn.prepare(sql)?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let asset: String = r.get(0)?;
                let tag: String = r.get(1)?;
                f(&asset, &tag, r.get(2)?, r.get(3)?);
            }
            Ok(())
        };
        pass().with_context(|| format!("reading {}", self.name))
    }
}
