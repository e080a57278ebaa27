//! What a path holds — a SQLite store, one Parquet file, or a folder of
//! Parquet files (a lake) — told by looking at it: a folder is a lake; a
//! file is told by its magic bytes (`PAR1`, `SQLite format 3`), then by
//! its extension.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// What a path holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    Sqlite(PathBuf),
    ParquetFile(PathBuf),
    Lake(PathBuf),
    /// A `postgresql://` URL.
    Postgres(String),
}

impl Source {
    pub(crate) fn detect(path: &Path) -> Result<Source> {
        if let Some(url) = path.to_str().filter(|p| super::postgres::is_url(p)) {
            return Ok(Source::Postgres(url.to_string()));
        }
        let meta =
            std::fs::metadata(path).with_context(|| format!("opening {}", path.display()))?;
        if meta.is_dir() {
            return Ok(Source::Lake(path.to_path_buf()));
        }
        let mut head = [0u8; 16];
        let mut n = 0;
        let mut f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        while n < head.len() {
            match f.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
            }
        }
        if head[..n].starts_with(b"SQLite format 3\0") {
            return Ok(Source::Sqlite(path.to_path_buf()));
        }
        if head[..n].starts_with(b"PAR1") {
            return Ok(Source::ParquetFile(path.to_path_buf()));
        }
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            // A damaged Parquet file is still one: inspect says what is wrong.
            "parquet" | "pq" => Ok(Source::ParquetFile(path.to_path_buf())),
            "db" | "sqlite" | "sqlite3" if n == 0 => {
                bail!("{} is empty: not a store", path.display())
            }
            _ => bail!(
                "{}: neither a SQLite store nor a Parquet file (it starts with neither \
                 `SQLite format 3` nor `PAR1`), and not a folder",
                path.display()
            ),
        }
    }
}
