//! The integration tests: the built binary, run in real pipelines.

mod peers;
mod util;

mod cat;
mod codec;
mod docs;
mod inspect;
mod model;
mod query;
mod simulate;
