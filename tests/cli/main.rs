//! The integration tests: the built binary, run in real pipelines.

mod util;

mod cat;
mod codec;
mod detect;
mod docs;
mod modbus;
mod model;
mod rollup;
mod rollup_store;
mod simulate;
mod store;
