//! The PostgreSQL backend (docs/storage.md): the SQLite store's layout in
//! a PostgreSQL database — a series dictionary, readings keyed by series
//! and epoch-ms time, alarm events, rollup records, the rollup tables and
//! the marks that tie rollup, retention and the writer together — for a
//! plant whose history outgrows one file or already lives in PostgreSQL
//! (or TimescaleDB: the readings' primary key includes the time column,
//! so the table can be made a hypertable; see the README).
//!
//! - [`connect`]: a `postgresql://` or `postgres://` URL plus the `PG*`
//!   environment variables become a connection; the password is taken
//!   from `PGPASSWORD` only, never from the URL (which is on the command
//!   line), and no message names it.
//! - [`schema`]: the tables and views, made under an advisory lock.
//! - [`writer`]: [`PgWriter`], the batch writer behind `iiot store`:
//!   binary `COPY` into a temporary staging table, then one
//!   `INSERT … ON CONFLICT` into `readings`, reconnecting with backoff.
//! - [`PgStore`]: a database opened to read (`query`, `inspect`) or for
//!   upkeep (`rollup`: rollup tables and retention).
//!
//! Connections are plain TCP or Unix sockets without TLS: the store is
//! meant for a database on the same host or a trusted network (an
//! `sslmode=require` URL is refused by the connection).

pub(crate) mod alarms;
pub(crate) mod connect;
pub(crate) mod read;
pub(crate) mod retain;
pub(crate) mod rollup;
pub(crate) mod schema;
pub mod writer;

use std::cell::RefCell;
use std::collections::HashMap;

use anyhow::Result;
use postgres::{Client, Statement};

pub use self::connect::{Target, is_url};
pub use self::writer::{PgOptions, PgWriter};

/// A database opened to read or for upkeep.
pub(crate) struct PgStore {
    /// A `RefCell`: reads take `&self` as the other backends' do.
    client: RefCell<Client>,
    /// The URL without a password, for messages.
    name: String,
    /// Statements prepared on `client`, by their SQL.
    /// (Boxed: the enums holding a store stay small.)
    statements: Box<RefCell<HashMap<&'static str, Statement>>>,
}

impl PgStore {
    /// Opens the database to read: it must hold `series` and `readings`.
    pub(crate) fn open_read(url: &str) -> Result<PgStore> {
        let target = Target::parse(url)?;
        let mut client = target.connect()?;
        schema::check_readable(&mut client, &target.name)?;
        Ok(PgStore {
            client: RefCell::new(client),
            name: target.name,
            statements: Box::default(),
        })
    }

    /// Opens the database for rollup and retention: it must carry a
    /// schema version this build reads.
    pub(crate) fn open_upkeep(url: &str) -> Result<PgStore> {
        let target = Target::parse(url)?;
        let mut client = target.connect()?;
        schema::check_version(&mut client, &target.name, false)?;
        Ok(PgStore {
            client: RefCell::new(client),
            name: target.name,
            statements: Box::default(),
        })
    }
}

impl PgStore {
    /// `sql` prepared on `client` once, then taken from the cache.
    pub(crate) fn statement(&self, client: &mut Client, sql: &'static str) -> Result<Statement> {
        if let Some(stmt) = self.statements.borrow().get(sql) {
            return Ok(stmt.clone());
        }
        let stmt = client.prepare(sql)?;
        self.statements.borrow_mut().insert(sql, stmt.clone());
        Ok(stmt)
    }
}
