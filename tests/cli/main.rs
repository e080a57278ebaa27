//! The integration tests: the built binary, run in real pipelines.

mod util;

mod cat;
mod codec;
mod detect;
mod docs;
mod modbus;
mod model;
mod simulate;
mod store;
