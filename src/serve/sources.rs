//! The stores and lakes `serve` reads. A SQLite store keeps a small pool
//! of read-only connections (WAL: each statement sees the latest commit,
//! so a store being written is served live); a Parquet file or lake is
//! opened per request with the request's selection, so its listing prunes
//! what the request rules out.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Result;

use crate::store::lake::columns::ColumnOptions;
use crate::store::sqlite::Store as SqliteStore;
use crate::store::{Reader, Selection, Source as Detected};

/// Most idle connections kept per store.
const POOL: usize = 32;

/// What a source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Sqlite,
    Parquet,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Sqlite => "sqlite",
            Kind::Parquet => "parquet",
        }
    }
}

/// One source served.
pub(crate) struct Source {
    pub path: PathBuf,
    /// The path as given, for answers and messages.
    pub name: String,
    pub kind: Kind,
    pool: Mutex<Vec<SqliteStore>>,
}

impl Source {
    /// Looks at `path` (it must exist) and, for a store, opens a first
    /// connection so a bad store is refused at start.
    pub(crate) fn open(path: &Path) -> Result<Source> {
        let (kind, first) = match Detected::detect(path)? {
            Detected::Sqlite(p) => (Kind::Sqlite, Some(SqliteStore::open_read(&p)?)),
            Detected::ParquetFile(_) | Detected::Lake(_) => (Kind::Parquet, None),
            Detected::Postgres(_) => anyhow::bail!(
                "serve reads SQLite stores and Parquet; a PostgreSQL store is not served yet"
            ),
        };
        Ok(Source {
            path: path.to_path_buf(),
            name: path.display().to_string(),
            kind,
            pool: Mutex::new(first.into_iter().collect()),
        })
    }

    /// Runs `f` on a connection of this store (none for a lake), returning
    /// the connection to the pool after.
    pub(crate) fn with_store<T>(&self, f: impl FnOnce(&SqliteStore) -> Result<T>) -> Result<T> {
        let taken = self.pool.lock().ok().and_then(|mut p| p.pop());
        let store = match taken {
            Some(s) => s,
            None => SqliteStore::open_read(&self.path)?,
        };
        let out = f(&store);
        if let Ok(mut p) = self.pool.lock()
            && p.len() < POOL
        {
            p.push(store);
        }
        out
    }

    /// A reader for a lake or Parquet file, listing only what `sel` may want.
    pub(crate) fn parquet(&self, sel: &Selection) -> Result<Reader> {
        Reader::open(&self.path, &ColumnOptions::default(), sel)
    }

    /// Bytes on disk: the file (with its WAL) or every file of the folder.
    pub(crate) fn bytes(&self) -> u64 {
        match self.kind {
            Kind::Sqlite => {
                let wal = PathBuf::from(format!("{}-wal", self.path.display()));
                [self.path.as_path(), wal.as_path()]
                    .iter()
                    .filter_map(|p| std::fs::metadata(p).ok())
                    .map(|m| m.len())
                    .sum()
            }
            Kind::Parquet => dir_bytes(&self.path),
        }
    }
}

fn dir_bytes(p: &Path) -> u64 {
    let Ok(meta) = std::fs::metadata(p) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(p)
        .map(|rd| rd.flatten().map(|e| dir_bytes(&e.path())).sum())
        .unwrap_or(0)
}
