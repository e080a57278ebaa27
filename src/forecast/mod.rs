//! Forecasting a series' next values (`iiot forecast`): per series a
//! bounded history of buckets ([`series`]), a model fitted on it
//! ([`model`]), when it will cross a limit ([`until`]) and rolling-origin
//! evaluation ([`backtest`]). docs/records.md describes the records.

pub mod backtest;
pub mod ets;
pub mod model;
pub mod series;
pub mod until;

pub use model::{Forecast, Method, Seasons, Settings, forecast};
