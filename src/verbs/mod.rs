//! One module per verb: its clap `Args` (whose doc comments are the help)
//! first, its `run` below.

pub mod cat;
pub mod completions;
pub mod inspect;
mod inspect_table;
pub mod model;
pub mod query;
pub mod simulate;
