//! Opening a SQLite store: the one way every user of a store — the batch
//! writer, query and inspect, rollup and retention — turns a path into a
//! connection (docs/storage.md: WAL, `meta.schema_version`, a newer store
//! refused), and the words a user reads when that, or taking the write
//! lock, fails.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::schema::{self, SCHEMA_VERSION};
use super::writer::{Options, Sync};

/// What a connection is for, which decides how it is opened.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Access<'a> {
    /// `iiot store`: created when missing, WAL, `synchronous` as `--sync`,
    /// the schema made or brought up to date under the write lock. A new
    /// file has no version yet; any other must have one this build reads.
    Write(&'a Options),
    /// `iiot rollup` on a store: WAL, `synchronous=NORMAL`, waiting up to
    /// 30 s for the lock; the store must carry a version this build reads.
    Upkeep,
    /// `query` and `inspect`: read-only, never a write (not even the WAL
    /// switch); the store must have `series` and `readings`. Its version is
    /// not checked: a reader reads what it finds, and inspect reports it.
    Read,
}

/// Opens the store at `path` for `access`.
pub(crate) fn connect(path: &Path, access: Access<'_>) -> Result<Connection> {
    match access {
        Access::Write(opts) => open_write(path, opts),
        Access::Upkeep => open_upkeep(path),
        Access::Read => open_read(path),
    }
}

fn open_write(path: &Path, opts: &Options) -> Result<Connection> {
    let conn = Connection::open(path).map_err(|e| describe_error(e, path))?;
    // Opening waits the whole --busy-timeout for the schema; commits wait
    // in slices so the wait can be said (see `begin_immediate`).
    conn.busy_timeout(opts.busy_timeout)?;
    let mode = switch_to_wal(&conn, path)?;
    if !mode.eq_ignore_ascii_case("wal") {
        bail!(
            "{}: could not switch to WAL (journal mode is {mode})",
            path.display()
        );
    }
    let sync_pragma = match opts.sync {
        Sync::Normal => "NORMAL",
        Sync::Full => "FULL",
    };
    conn.execute_batch(&format!(
        "PRAGMA synchronous={sync_pragma}; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768;"
    ))
    .map_err(|e| describe_error(e, path))?;
    let version = match schema::stored_version(&conn) {
        Ok(v) => v,
        // A new file has no meta table yet.
        Err(rusqlite::Error::SqliteFailure(_, Some(ref m))) if m.contains("no such table") => None,
        Err(e) => return Err(describe_error(e, path)),
    };
    if let Some(v) = version {
        // A version that is not a number is no version this build wrote.
        check_version(path, v.parse().unwrap_or(i64::MAX))?;
    }
    conn.busy_timeout(opts.busy_timeout.min(Duration::from_secs(1)))?;
    // A store made by this build needs no write to open, so opening
    // never waits for another writer's lock.
    if !schema::is_current(&conn).map_err(|e| describe_error(e, path))? {
        begin_immediate(&conn, path, opts)?;
        let setup = schema::create(&conn).and_then(|()| Ok(conn.execute_batch("COMMIT")?));
        if let Err(e) = setup {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(match e.downcast::<rusqlite::Error>() {
                Ok(e) => describe_error(e, path),
                Err(e) => e.context(format!("preparing {}", path.display())),
            });
        }
    }
    Ok(conn)
}

fn open_upkeep(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(|e| describe_error(e, path))?;
    conn.busy_timeout(Duration::from_secs(30))?;
    switch_to_wal(&conn, path)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(|e| describe_error(e, path))?;
    let version = schema::stored_version(&conn)
        .with_context(|| format!("{} is not an iiot store (no meta table)", path.display()))?;
    match version.as_deref().map(str::parse::<i64>) {
        Some(Ok(v)) => check_version(path, v)?,
        _ => bail!("{} has no schema_version in meta", path.display()),
    }
    Ok(conn)
}

fn open_read(path: &Path) -> Result<Connection> {
    let name = path.display();
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening {name}"))?;
    // Plans that never depend on bound values: a statement run once per
    // alarm or series with new values is not prepared again each time
    // (binding a value SQLite might plan by marks it to be).
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .with_context(|| format!("opening {name}"))?;
    for table in ["series", "readings"] {
        if !schema::has_table(&conn, table).with_context(|| format!("reading {name}"))? {
            bail!(
                "{name} is a SQLite database but not an iiot store: it has no `series` and `readings` tables"
            );
        }
    }
    Ok(conn)
}

/// Refuses a store of a schema newer than this build's.
fn check_version(path: &Path, version: i64) -> Result<()> {
    if version > SCHEMA_VERSION {
        bail!(
            "{} has schema version {version}, newer than this iiot's {SCHEMA_VERSION}: upgrade iiot",
            path.display()
        );
    }
    Ok(())
}

/// Says what went wrong with a SQLite file in words a user acts on: a full
/// disk, a read-only file or folder, a file that is not SQLite.
pub(crate) fn describe_error(e: rusqlite::Error, path: &Path) -> anyhow::Error {
    let name = path.display();
    let what = match e.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => format!("{name}: the disk is full"),
        Some(ErrorCode::ReadOnly) => {
            format!("{name} cannot be written: the file or its folder is read-only")
        }
        Some(ErrorCode::CannotOpen) => format!(
            "cannot open {name} (a missing folder, no permission, or a read-only folder where the WAL files must be made)"
        ),
        Some(ErrorCode::NotADatabase) => format!("{name} is not a SQLite database"),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            format!("{name} is locked by another writer")
        }
        Some(ErrorCode::SystemIoFailure) => format!("{name}: a disk I/O error"),
        _ => format!("writing {name}"),
    };
    anyhow::Error::new(e).context(what)
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// Switches a store to WAL, waiting for another process that opens the
/// same new file at the same moment (two stores in one pipeline): SQLite
/// answers "busy" at once to the one that loses the race for the switch
/// instead of calling the busy handler.
fn switch_to_wal(conn: &Connection, path: &Path) -> Result<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)) {
            Ok(mode) => return Ok(mode),
            Err(e) if is_busy(&e) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(describe_error(e, path)),
        }
    }
}

/// Takes the write lock, waiting up to --busy-timeout for another writer
/// (a retention run, a second store) and saying so once when the wait is
/// longer than a moment (the connection's busy timeout, a second at most).
pub(crate) fn begin_immediate(conn: &Connection, path: &Path, opts: &Options) -> Result<()> {
    let started = Instant::now();
    let mut said = false;
    loop {
        match conn.execute_batch("BEGIN IMMEDIATE") {
            Ok(()) => return Ok(()),
            Err(e) if is_busy(&e) => {
                let waited = started.elapsed();
                if waited >= opts.busy_timeout {
                    return Err(anyhow::Error::new(e).context(format!(
                        "{} stayed locked by another writer for {:.1} s (--busy-timeout {} s)",
                        path.display(),
                        waited.as_secs_f64(),
                        opts.busy_timeout.as_secs_f64()
                    )));
                }
                if !said && !opts.quiet {
                    eprintln!(
                        "iiot store: {} is locked by another writer; waiting up to {} s (--busy-timeout)",
                        path.display(),
                        opts.busy_timeout.as_secs_f64()
                    );
                }
                said = true;
            }
            Err(e) => return Err(describe_error(e, path)),
        }
    }
}
