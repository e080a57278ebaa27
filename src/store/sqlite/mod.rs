//! The SQLite backend (docs/storage.md): one file holding a series
//! dictionary, readings keyed by series and time, alarm events, rollup
//! records, the rollup tables and the marks that tie rollup, retention and
//! the writer together.
//!
//! - [`open`]: the one way a path becomes a connection (schema, version
//!   check, WAL, error messages), for each kind of use.
//! - [`schema`]: the tables and views.
//! - [`writer`]: [`SqliteStore`], the batch writer behind `iiot store`.
//! - [`Store`]: a store opened to read (`query`, `inspect`: `read`,
//!   `inspect`) or for upkeep (`rollup`: `rollup`, `retain`).

pub(crate) mod alarms;
pub(crate) mod inspect;
pub(crate) mod open;
pub(crate) mod read;
pub(crate) mod retain;
pub(crate) mod rollup;
pub(crate) mod schema;
pub(crate) mod serve;
pub mod writer;

use std::path::Path;

use anyhow::Result;
use rusqlite::Connection;

use self::open::{Access, connect};
pub use self::schema::SCHEMA_VERSION;
pub use self::writer::{Counts, OnConflict, Options, Origin, SqliteStore, Sync, Unstored};

/// A store opened to read or for upkeep; its operations are in
/// [`read`], [`inspect`], [`rollup`] and [`retain`].
pub(crate) struct Store {
    conn: Connection,
    /// The path as given, for messages.
    name: String,
}

impl Store {
    /// Opens a store read-only, for `query` and `inspect`.
    pub(crate) fn open_read(path: &Path) -> Result<Store> {
        Store::open(path, Access::Read)
    }

    /// Opens a store for `rollup` and retention.
    pub(crate) fn open_upkeep(path: &Path) -> Result<Store> {
        Store::open(path, Access::Upkeep)
    }

    fn open(path: &Path, access: Access<'_>) -> Result<Store> {
        Ok(Store {
            conn: connect(path, access)?,
            name: path.display().to_string(),
        })
    }
}
