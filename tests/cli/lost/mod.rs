//! "Nothing lost, in every corner": one regression test per way iiot was
//! found to lose data or say something false, each on the real binary.

mod detect;
mod fuzz;
mod lake;
mod options;
mod retention;
mod stats;
mod store;
mod time;
