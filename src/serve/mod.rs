//! `iiot serve`: the historian over HTTP — a read API over SQLite stores
//! and Parquet lakes, an optional ingest endpoint that writes what it
//! accepts to stdout, and a live dashboard, all from one binary.
//!
//! - [`http`]: the listener, one hyper HTTP/1.1 connection per client
//!   with the safety limits (slow clients, request rate, connections), the
//!   routes, CORS and the JSON errors.
//! - [`params`]: the query parameters of the read API, checked.
//! - [`sources`]: the stores and lakes served, read on blocking threads.
//! - [`stream`]: a response body fed from a blocking reader through a
//!   bounded channel, so no answer is ever held whole in memory.
//! - [`api`]: the read endpoints.
//! - [`ingest`]: `POST /ingest` and `/ingest/batch` and the bounded queue
//!   to stdout.
//! - `assets/`: the dashboard page and script, the OpenAPI file.

pub(crate) mod api;
pub(crate) mod http;
pub(crate) mod ingest;
pub(crate) mod params;
pub(crate) mod sources;
pub(crate) mod stream;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::model::Model;

/// Everything the server needs, resolved from the command line.
#[derive(Debug, Clone)]
pub struct Config {
    pub sources: Vec<PathBuf>,
    pub model: Option<Model>,
    /// The asset registry `where`, `related_to` and `relation` select from.
    pub registry: Option<crate::assets::Registry>,
    pub listen: SocketAddr,
    pub addr_file: Option<PathBuf>,
    /// Accept `POST /ingest` and `/ingest/batch`.
    pub ingest: bool,
    /// The bearer token ingest requires, when given.
    pub token: Option<String>,
    /// The one origin CORS admits (`*` for any).
    pub cors: Option<String>,
    /// Largest request body, bytes.
    pub max_body: usize,
    /// Requests a second each client (IP address) may make.
    pub rate: u32,
    /// How long a client may take to send a request or take an answer.
    pub slow: Duration,
    /// Bytes of accepted records waiting for stdout before ingest answers 503.
    pub ingest_buffer: usize,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Stop after this long.
    pub serve_for: Option<Duration>,
    pub quiet: bool,
    pub verbose: bool,
}

pub use http::run;
