//! The integration tests: the built binary, run in real pipelines.

mod peers;
mod util;

mod assets;
mod cat;
mod codec;
mod detect;
mod docs;
mod examples;
mod inspect;
mod lost;
mod modbus;
mod model;
mod plot;
mod query;
mod rollup;
mod rollup_store;
mod simulate;
mod store;
mod threads;
