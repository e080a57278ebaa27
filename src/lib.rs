//! iiot: composable Unix filters for industrial IoT telemetry.
//!
//! One binary whose verbs exchange NDJSON readings over pipes, so a plant
//! monitoring pipeline — simulated assets, alarm rules, a historian,
//! rollups — is one shell line. The contract between the verbs is in
//! docs/: the records in docs/records.md, the plant model in docs/model.md,
//! the storage layouts in docs/storage.md.
//!
//! - [`record`]: the NDJSON codec every verb shares.
//! - [`alarms`]: ISA-18.2 alarm states folded from alarm events.
//! - [`model`]: the plant model CSV and its presets.
//! - [`sim`]: the simulation engine.
//! - `detect`: the anomaly-detection engine behind `iiot detect`.
//! - [`modbus`]: the register codec, map, server and poller (tokio lives here).
//! - [`rollup`]: mergeable time buckets, streamed and on a store.
//! - `plot`: the bounded chart summary and its SVG drawing (`iiot plot`).
//! - [`store`]: storage by backend — a SQLite file, a Parquet lake — each
//!   written, read, rolled up and retained by its own module.
//! - [`serve`]: the HTTP server behind `iiot serve` (axum on tokio).
//! - `patterns`: the asset and tag globs that choose series.
//! - [`time`]: timestamps and durations.
//! - [`io`]: inputs, the record reader (parsing on every core), rejects,
//!   stdout.
//! - [`notify`]: routing, grouping and delivery of alarm notifications.
//! - [`cli`], [`options`] and [`verbs`]: the command line.

#![forbid(unsafe_code)]

pub mod alarms;
pub mod assets;
pub mod cli;
pub mod derive;
pub(crate) mod detect;
pub mod forecast;
pub mod io;
pub mod modbus;
pub mod model;
pub mod mqtt;
pub mod notify;
pub mod options;
pub(crate) mod patterns;
pub(crate) mod plot;
pub mod record;
pub mod rollup;
pub mod serve;
pub mod sim;
pub mod store;
pub mod time;
pub mod verbs;
