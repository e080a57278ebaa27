//! Forecast records (`"forecast":true`, what `iiot forecast` writes) in
//! the table `forecasts`, keyed by series, the time the forecast was made
//! and the time it is for: never in `readings`, so a forecast cannot
//! shadow the reading that comes later for the same time. The table is
//! made by the first batch that holds a forecast.

use anyhow::Result;
use rusqlite::params;

use super::batch::Written;
use super::fields::extra_json;
use super::{Origin, SqliteStore};
use crate::record::{ParseError, Reading};
use crate::store::sqlite::open::describe_error;
use crate::time::{Millis, parse_time_text};

pub(crate) const TABLE: &str = "CREATE TABLE IF NOT EXISTS forecasts (
  asset TEXT NOT NULL,
  tag TEXT NOT NULL,
  made INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  what TEXT NOT NULL,
  value REAL NOT NULL,
  unit TEXT,
  extra TEXT,
  PRIMARY KEY (asset, tag, made, ts, what)
) WITHOUT ROWID;";

/// A forecast record waiting for its batch.
pub(super) struct ForecastRow {
    asset: String,
    tag: String,
    made: Millis,
    ts: Millis,
    /// `point`, or the --until condition of a time-to-limit record.
    what: String,
    value: f64,
    unit: String,
    extra: Option<String>,
    pub(super) origin: Origin,
    pub(super) raw: String,
}

/// Whether a record is a forecast (`"forecast":true`).
pub(super) fn is_forecast(r: &Reading) -> bool {
    r.extra_field("forecast") == Some("true")
}

impl SqliteStore {
    pub(super) fn add_forecast(
        &mut self,
        r: &Reading,
        raw: &[u8],
        origin: Origin,
    ) -> Result<(), ParseError> {
        let bad = |field, message: &str| ParseError {
            field: Some(field),
            message: message.to_string(),
        };
        let made = r
            .extra_field("made")
            .and_then(|v| serde_json::from_str::<String>(v).ok())
            .and_then(|t| parse_time_text(&t))
            .ok_or_else(|| bad("made", "missing or not a time in a forecast record"))?;
        let what = match r.extra_field("until") {
            None => "point".to_string(),
            Some(v) => serde_json::from_str::<String>(v)
                .map_err(|_| bad("until", "a forecast's condition must be a string"))?,
        };
        let extra = extra_json(r, &["forecast", "made"], &mut self.extra_buf).map(str::to_string);
        self.forecasts.push(ForecastRow {
            asset: r.asset.clone(),
            tag: r.tag.clone(),
            made,
            ts: r.ts,
            what,
            value: r.value,
            unit: r.unit.clone(),
            extra,
            origin,
            raw: String::from_utf8_lossy(raw).into_owned(),
        });
        Ok(())
    }

    /// Inserts the batch's forecasts; a forecast made again for the same
    /// series, time made and time replaces the one stored.
    pub(super) fn write_forecasts(&self, done: &mut Written) -> Result<()> {
        if self.forecasts.is_empty() {
            return Ok(());
        }
        let sql = |e| describe_error(e, std::path::Path::new(&self.name));
        self.conn.execute_batch(TABLE).map_err(sql)?;
        let mut insert = self
            .conn
            .prepare_cached(
                "INSERT OR REPLACE INTO forecasts VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(sql)?;
        for f in &self.forecasts {
            let unit = (!f.unit.is_empty()).then_some(&f.unit);
            insert
                .execute(params![
                    f.asset, f.tag, f.made, f.ts, f.what, f.value, unit, f.extra
                ])
                .map_err(sql)?;
            done.counts.forecasts += 1;
        }
        Ok(())
    }
}
