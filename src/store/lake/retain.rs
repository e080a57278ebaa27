//! Retention on a Parquet lake (docs/storage.md): `raw=AGE` drops the
//! `date=YYYY-MM-DD` partitions whose whole day is older than the limit. A
//! lake holds raw readings only, so a rule for a rollup width is refused.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::layout::date_dir_start;
use crate::rollup::retain::{Rule, Target};
use crate::time::Millis;

/// Drops (or with `dry_run` only finds) the day partitions of the lake
/// at `dir` that the rules let go; returns them, in path order.
pub(crate) fn retain(
    dir: &Path,
    rules: &[Rule],
    now: Millis,
    dry_run: bool,
) -> Result<Vec<PathBuf>> {
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
        let Some(start) = p
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(date_dir_start)
        else {
            continue;
        };
        let end = start + 86_400_000;
        if end <= cutoff {
            if !dry_run {
                std::fs::remove_dir_all(&p).with_context(|| format!("removing {}", p.display()))?;
            }
            dropped.push(p);
        }
    }
    Ok(dropped)
}
