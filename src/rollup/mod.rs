//! Rollups: readings summarised into time buckets whose statistics merge
//! exactly (so rollups of rollups equal rollups of raw data), as a stream
//! filter and as the incremental job on a SQLite store.

pub(crate) mod buckets;
pub(crate) mod health;
pub(crate) mod incidents;
pub(crate) mod kpi;
pub(crate) mod record;
pub(crate) mod retain;
pub(crate) mod stats;
pub(crate) mod store;
pub(crate) mod stream;
