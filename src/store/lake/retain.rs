//! Retention on a Parquet lake (docs/storage.md): `raw=AGE` drops the
//! `date=YYYY-MM-DD` partitions whose whole day is older than the limit;
//! `1h=AGE` drops those of the rollup folder `every=1h/` whose every
//! bucket ends before it (a bucket goes when all of it is older, as in a
//! store's rollup tables).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::layout::{EVERY_KEY, date_dir_start};
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
    let mut dropped = Vec::new();
    for r in rules {
        let cutoff = now.saturating_sub(r.keep);
        match &r.target {
            Target::Raw => drop_days(dir, cutoff, dry_run, &mut dropped)?,
            Target::Rollup(w) => {
                let sub = dir.join(format!("{EVERY_KEY}={}", w.label));
                // A day's last bucket starts before its end and lasts w.
                if sub.is_dir() {
                    drop_days(&sub, cutoff.saturating_sub(w.ms), dry_run, &mut dropped)?;
                }
            }
        }
    }
    Ok(dropped)
}

/// The `date=` folders of `dir` whose day ends by `cutoff`.
fn drop_days(dir: &Path, cutoff: Millis, dry_run: bool, dropped: &mut Vec<PathBuf>) -> Result<()> {
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
    Ok(())
}
