//! The integration tests: the built binary, run in real pipelines.

mod peers;
mod util;

mod alarms;
mod assets;
mod cat;
mod codec;
mod derive;
mod detect;
mod docs;
mod examples;
mod forecast;
mod forecast_alarms;
mod inspect;
mod lake_history;
mod lost;
mod modbus;
mod model;
mod mqtt;
mod notify;
mod order;
mod plot;
mod postgres;
mod query;
mod query_rollup;
mod rollup;
mod rollup_kpis;
mod rollup_store;
mod serve;
mod simulate;
mod store;
mod threads;
