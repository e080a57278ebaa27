//! The Parquet lake backend (docs/storage.md): a folder of Hive-style
//! partitions by UTC date (and optionally asset), files with fixed
//! columns and rows sorted by asset, tag, time — and any Parquet file or
//! folder of them another system wrote, read by mapping its columns.
//!
//! - [`layout`]: the `date=YYYY-MM-DD[/asset=…]` folders and file names,
//!   defined once for writing, listing and retention.
//! - [`writer`]: [`Lake`], the writer behind `iiot store --parquet`, and
//!   [`part`], a partition's buffered rows and the thread writing them.
//! - [`list`]: the files of a lake a selection may need, partitions pruned
//!   by their folder names.
//! - [`parquet`], [`columns`], [`footer`], [`merge`] and [`read`]: one
//!   file's footer, column mapping and row groups; the ordered merge over
//!   many; what `query` and `inspect` read.
//! - [`rollup_read`]: rollup records kept under `every=WIDTH/`, read
//!   back with every statistic; [`order`]: readings merged by time.
//! - [`retain`]: dropping old day partitions.

pub(crate) mod columns;
pub(crate) mod footer;
pub(crate) mod layout;
pub(crate) mod list;
pub(crate) mod merge;
pub(crate) mod order;
pub(crate) mod parquet;
pub(crate) mod part;
pub(crate) mod read;
pub(crate) mod retain;
pub(crate) mod rollup_read;
pub mod writer;

pub use self::part::schema;
pub use self::writer::{Lake, LakeConfig, LakeCounts, ValueEncoding};
