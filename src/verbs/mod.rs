//! One module per verb: its clap `Args` (whose doc comments are the help)
//! first, its `run` below.

pub mod ack;
pub mod args;
pub mod assets;
pub mod cat;
pub mod completions;
pub mod derive;
pub mod detect;
pub mod forecast;
pub mod inspect;
mod inspect_table;
pub mod modbus_serve;
pub mod model;
pub mod mqtt_pub;
pub mod mqtt_sub;
pub mod notify;
pub mod plot;
pub mod poll;
pub mod query;
mod query_alarms;
pub mod rollup;
pub mod serve;
pub mod simulate;
pub mod store;

/// What every verb knows of the global flags.
#[derive(Debug, Clone, Default)]
pub struct Global {
    pub quiet: bool,
    pub verbose: u8,
}
