//! Retention (`--retain raw=30d,1m=365d`): deleting old rows from a store
//! in bounded transactions, or old `date=` partitions from a Parquet lake.
//!
//! Raw readings are deleted only where every rollup of their series has
//! covered them: before the least `done` of the series in `rollup_state`
//! and before the start of every bucket holding its `rollup_pending.since`.
//! A series that was never rolled up keeps all its raw readings. Per series,
//! `rollup_retained.before` is the first boundary of all widths at or after
//! the deletion: `store` refuses a reading older than it (its bucket's raw
//! readings are gone in part, so it could be neither rolled up nor kept),
//! and rollup never recomputes a bucket there from what is left.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, OptionalExtension, params};

use super::buckets::Width;
use crate::time::{Millis, TsFormatter, parse_positive_millis};

/// Rows deleted per transaction, so a large purge never holds the write
/// lock for long (a live `iiot store` keeps writing between them).
const BATCH: i64 = 10_000;

/// What a rule keeps.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    Raw,
    Rollup(Width),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rule {
    pub target: Target,
    /// How far back from now rows are kept, in milliseconds.
    pub keep: Millis,
}

/// Parses `raw=30d,1m=365d`.
pub(crate) fn parse_rules(s: &str) -> Result<Vec<Rule>> {
    let mut out: Vec<Rule> = Vec::new();
    for part in s.split(',') {
        let Some((k, v)) = part.split_once('=') else {
            bail!("--retain {s}: write TABLE=AGE, as in raw=30d,1m=365d");
        };
        let target = match k.trim() {
            "raw" => Target::Raw,
            other => Target::Rollup(Width::parse(other).with_context(|| format!("--retain {s}"))?),
        };
        let keep = parse_positive_millis(v).with_context(|| format!("--retain {s}"))?;
        if out.iter().any(|r| r.target == target) {
            bail!("--retain {s}: {k} given twice");
        }
        out.push(Rule { target, keep });
    }
    Ok(out)
}

/// One line of the report: what was (or would be) deleted from where.
#[derive(Debug)]
pub(crate) struct Deleted {
    pub what: String,
    pub rows: u64,
    pub before: Millis,
    /// Raw rows older than the limit kept because they are not rolled up.
    pub kept: u64,
}

impl std::fmt::Display for Deleted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} rows from {} before {}",
            self.rows,
            self.what,
            TsFormatter::format(self.before)
        )?;
        if self.kept > 0 {
            write!(f, " ({} older rows kept: not rolled up yet)", self.kept)?;
        }
        Ok(())
    }
}

/// Applies the rules to a store.
///
/// Raw readings: each series is done in transactions of at most [`BATCH`]
/// rows, and each transaction decides anew, inside itself, how far it may
/// delete — the least `done` of the series' rollups, its `rollup_pending`
/// mark and the cutoff, moved back to a start of a bucket of every width —
/// and records that point in `rollup_retained` before deleting. So a late
/// reading a store commits between two transactions holds the deletion back,
/// and one committed after is refused by the store instead of being
/// deleted unseen.
pub(crate) fn store(
    conn: &mut Connection,
    rules: &[Rule],
    now: Millis,
    dry_run: bool,
) -> Result<Vec<Deleted>> {
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM series ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let has_state: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'rollup_state'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n > 0)?;
    if !dry_run {
        conn.execute_batch(super::store::RETAINED_TABLE)?;
    }
    let grid = if has_state {
        Grid::of_store(conn)?
    } else {
        Grid::default()
    };
    let mut report = Vec::new();
    for rule in rules {
        let cutoff = now.saturating_sub(rule.keep);
        let (table, what) = match &rule.target {
            Target::Raw => ("readings".to_string(), "readings".to_string()),
            Target::Rollup(w) => {
                let t = format!("rollup_{}", w.label);
                let exists: i64 = conn.query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                    [&t],
                    |r| r.get(0),
                )?;
                if exists == 0 {
                    bail!("--retain {}: the store has no table {t}", w.label);
                }
                (t.clone(), t)
            }
        };
        let mut line = Deleted {
            what,
            rows: 0,
            before: cutoff,
            kept: 0,
        };
        for &id in &ids {
            match &rule.target {
                Target::Raw => {
                    let limit = raw_limit(conn, id, has_state, cutoff, &grid)?
                        .map_or(Millis::MIN, |(limit, _)| limit);
                    if limit < cutoff {
                        line.kept += count(conn, &table, id, limit, cutoff)?;
                    }
                    line.rows += if dry_run {
                        count(conn, &table, id, Millis::MIN, limit)?
                    } else {
                        delete_raw(conn, id, has_state, cutoff, &grid)?
                    };
                }
                // A bucket goes when all of it is older than the cutoff.
                Target::Rollup(w) => {
                    let limit = cutoff.saturating_sub(w.ms) + 1;
                    line.rows += if dry_run {
                        count(conn, &table, id, Millis::MIN, limit)?
                    } else {
                        delete_before(conn, &table, id, limit)?
                    };
                }
            }
        }
        report.push(line);
    }
    Ok(report)
}

/// The rollup widths of a store and the alignment they were made with, to
/// find the bucket boundaries all widths share.
#[derive(Default)]
struct Grid {
    widths: Vec<Width>,
    aligner: super::buckets::Aligner,
}

impl Grid {
    fn of_store(conn: &Connection) -> Result<Grid> {
        let labels: Vec<String> = conn
            .prepare("SELECT DISTINCT every FROM rollup_state")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let widths = labels
            .iter()
            .map(|l| Width::parse(l))
            .collect::<Result<Vec<_>>>()
            .context("rollup_state names a width this iiot does not read")?;
        let tz = super::store::stored_tz(conn)?;
        Ok(Grid {
            widths,
            aligner: super::buckets::Aligner::new(tz.as_deref())?,
        })
    }

    /// The nearest time at or before (`up` false) or at or after `t` that
    /// starts a bucket of every width; `None` when none is found close by.
    fn align(&self, t: Millis, up: bool) -> Option<Millis> {
        if t == Millis::MIN || self.widths.is_empty() {
            return Some(t);
        }
        let mut x = t;
        // Each pass moves x to a bucket boundary of each width in turn; it
        // stops where every width agrees (1m and 1h agree at once; 7m and
        // 1h within a few passes).
        for _ in 0..10_000 {
            let mut moved = false;
            for w in &self.widths {
                let (start, end) = self.aligner.bucket(w, x);
                if start != x {
                    x = if up { end } else { start };
                    moved = true;
                }
            }
            if !moved {
                return Some(x);
            }
        }
        None
    }
}

/// How far back a series' raw readings may be deleted now, and from where
/// on they are whole: `limit` is before the cutoff and before every
/// bucket that a rollup has yet to (re)compute — the least `done` of the
/// series' widths, the start of every bucket holding its pending mark —
/// and `before`, the first boundary of all widths at or after `limit`, is
/// where a late reading may again be rolled up. `None`: delete nothing.
fn raw_limit(
    conn: &Connection,
    id: i64,
    has_state: bool,
    cutoff: Millis,
    grid: &Grid,
) -> Result<Option<(Millis, Millis)>> {
    let covered = rolled_up_to(conn, id, has_state)?;
    let Some(covered) = grid.align(covered, false) else {
        return Ok(None);
    };
    let limit = cutoff.min(covered);
    if limit == Millis::MIN {
        return Ok(None);
    }
    Ok(grid.align(limit, true).map(|before| (limit, before)))
}

/// Raw readings of a series before this time are covered by every rollup.
fn rolled_up_to(conn: &Connection, id: i64, has_state: bool) -> Result<Millis> {
    if !has_state {
        return Ok(Millis::MIN);
    }
    let done: Option<i64> = conn.query_row(
        "SELECT min(done) FROM rollup_state WHERE series_id = ?1",
        [id],
        |r| r.get(0),
    )?;
    let pending: Option<i64> = conn
        .query_row(
            "SELECT since FROM rollup_pending WHERE series_id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(match (done, pending) {
        (None, _) => Millis::MIN,
        (Some(d), Some(p)) => d.min(p),
        (Some(d), None) => d,
    })
}

fn count(conn: &Connection, table: &str, id: i64, from: Millis, to: Millis) -> Result<u64> {
    let n: i64 = conn.query_row(
        &format!("SELECT count(*) FROM {table} WHERE series_id = ?1 AND ts >= ?2 AND ts < ?3"),
        params![id, from, to],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

/// Deletes a series' raw readings that every rollup has covered, at most
/// [`BATCH`] per transaction, deciding the limit inside each one.
fn delete_raw(
    conn: &mut Connection,
    id: i64,
    has_state: bool,
    cutoff: Millis,
    grid: &Grid,
) -> Result<u64> {
    let mut total = 0u64;
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let Some((limit, before)) = raw_limit(&tx, id, has_state, cutoff, grid)? else {
            return Ok(total);
        };
        // Recorded first, in the same transaction: from now on a store
        // refuses a reading of this series before `before`, and rollup never
        // recomputes a bucket whose raw readings are going.
        tx.execute(
            "INSERT INTO rollup_retained (series_id, before) VALUES (?1, ?2)
             ON CONFLICT (series_id) DO UPDATE SET before = max(before, excluded.before)",
            params![id, before],
        )?;
        let (n, more) = delete_some(&tx, "readings", id, limit)?;
        tx.commit()?;
        total += n;
        if !more {
            return Ok(total);
        }
    }
}

/// Deletes a series' rows before `limit`, at most [`BATCH`] per
/// transaction.
fn delete_before(conn: &mut Connection, table: &str, id: i64, limit: Millis) -> Result<u64> {
    let mut total = 0u64;
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let (n, more) = delete_some(&tx, table, id, limit)?;
        tx.commit()?;
        total += n;
        if !more {
            return Ok(total);
        }
    }
}

/// Deletes up to [`BATCH`] of a series' rows before `limit`; whether more
/// are left.
fn delete_some(tx: &Connection, table: &str, id: i64, limit: Millis) -> Result<(u64, bool)> {
    let boundary: Option<i64> = tx
        .query_row(
            &format!(
                "SELECT ts FROM {table} WHERE series_id = ?1 AND ts < ?2 ORDER BY ts LIMIT 1 OFFSET ?3"
            ),
            params![id, limit, BATCH],
            |r| r.get(0),
        )
        .optional()?;
    let upto = boundary.unwrap_or(limit);
    let n = tx.execute(
        &format!("DELETE FROM {table} WHERE series_id = ?1 AND ts < ?2"),
        params![id, upto],
    )?;
    Ok((n as u64, boundary.is_some()))
}

/// Drops the `date=YYYY-MM-DD` partitions of a lake whose whole day is
/// older than the `raw` rule's limit; returns them.
pub(crate) fn lake(dir: &Path, rules: &[Rule], now: Millis, dry_run: bool) -> Result<Vec<PathBuf>> {
    let mut keep = None;
    for r in rules {
        match &r.target {
            Target::Raw => keep = Some(r.keep),
            Target::Rollup(w) => bail!(
                "--retain {}=…: a Parquet lake holds raw readings only; use raw=AGE",
                w.label
            ),
        }
    }
    let Some(keep) = keep else {
        return Ok(Vec::new());
    };
    let cutoff = now.saturating_sub(keep);
    let mut dropped = Vec::new();
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    paths.sort();
    for p in paths {
        let Some(date) = p
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("date="))
            .and_then(|d| d.parse::<jiff::civil::Date>().ok())
        else {
            continue;
        };
        let day = crate::time::days_from_civil(
            i64::from(date.year()),
            i64::from(date.month()),
            i64::from(date.day()),
        );
        let end = (day + 1) * 86_400_000;
        if end <= cutoff {
            if !dry_run {
                std::fs::remove_dir_all(&p).with_context(|| format!("removing {}", p.display()))?;
            }
            dropped.push(p);
        }
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rules() {
        let r = parse_rules("raw=30d,1m=365d").unwrap();
        assert_eq!(
            r[0],
            Rule {
                target: Target::Raw,
                keep: 30 * 86_400_000
            }
        );
        assert!(matches!(&r[1].target, Target::Rollup(w) if w.label == "1m"));
        assert!(parse_rules("raw=30d,raw=1d").is_err());
        assert!(parse_rules("raw").is_err());
        assert!(parse_rules("raw=0s").is_err());
    }
}
