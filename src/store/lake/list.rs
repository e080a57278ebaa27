//! Listing a lake's Parquet files, pruning Hive partitions by their folder
//! names before any file is opened: `date=YYYY-MM-DD` against the time
//! range, `asset=…` against the asset globs.
//!
//! Files named `*.parquet` are read; names starting with `.` or `_` (the
//! writers' temporary `.part-….parquet.tmp`, Spark's `_SUCCESS`) and
//! folders starting with them are skipped.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::layout::{self, ASSET_KEY, DATE_KEY};
use crate::store::Selection;

/// A file of a lake and the partition values its path carries.
#[derive(Debug, Clone)]
pub(crate) struct LakeFile {
    pub path: PathBuf,
    /// `key=value` folder names between the lake root and the file, values
    /// percent-decoded.
    pub partitions: Vec<(String, String)>,
}

impl LakeFile {
    pub(crate) fn partition(&self, key: &str) -> Option<&str> {
        self.partitions
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// What listing a lake found: the files to read, how many were pruned,
/// and the folders that could not be listed.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    pub files: Vec<LakeFile>,
    pub pruned_partitions: u64,
    /// Folders under the root that could not be listed (their files are
    /// not in `files`), each with why.
    pub unreadable: Vec<(PathBuf, String)>,
    /// The widths of the `every=WIDTH` rollup folders met (not listed:
    /// they hold rollup records, which `query --rollup` reads).
    pub rollup_widths: Vec<String>,
}

/// The Parquet files under `root` that the selection may need, in path
/// order. A folder below the root that cannot be listed is noted in
/// `unreadable` and the rest listed; the root itself must be readable.
pub(crate) fn list(root: &Path, sel: &Selection) -> Result<Listing> {
    let mut listing = Listing::default();
    walk(root, &mut Vec::new(), sel, &mut listing)?;
    listing.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(listing)
}

fn walk(
    dir: &Path,
    parts: &mut Vec<(String, String)>,
    sel: &Selection,
    listing: &mut Listing,
) -> Result<()> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))?;
    let mut names: Vec<(PathBuf, bool)> = Vec::new();
    for e in entries {
        let e = e.with_context(|| format!("listing {}", dir.display()))?;
        let name = e.file_name();
        let name = name.to_string_lossy();
        if layout::is_hidden(&name) {
            continue;
        }
        let is_dir = e
            .file_type()
            .with_context(|| format!("listing {}", dir.display()))?
            .is_dir()
            || e.path().is_dir();
        names.push((e.path(), is_dir));
    }
    names.sort();
    for (path, is_dir) in names {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if is_dir {
            let part = layout::partition(&name);
            if let Some((k, v)) = &part
                && k == layout::EVERY_KEY
            {
                listing.rollup_widths.push(v.clone());
                continue;
            }
            if let Some((k, v)) = &part {
                if !partition_may_match(k, v, sel) {
                    listing.pruned_partitions += 1;
                    continue;
                }
            }
            let pushed = part.is_some();
            if let Some(p) = part {
                parts.push(p);
            }
            if let Err(e) = walk(&path, parts, sel, listing) {
                listing
                    .unreadable
                    .push((path.clone(), format!("cannot list it: {}", e.root_cause())));
            }
            if pushed {
                parts.pop();
            }
        } else if layout::is_data_file(&name) {
            listing.files.push(LakeFile {
                path,
                partitions: parts.clone(),
            });
        }
    }
    Ok(())
}

/// Whether a partition folder may hold selected readings. Besides the
/// lake's own `date=` and `asset=`, the day keys other writers use (`day`,
/// `dt`) and `tag=` prune too.
fn partition_may_match(key: &str, value: &str, sel: &Selection) -> bool {
    let key = key.to_ascii_lowercase();
    match key.as_str() {
        k if k == DATE_KEY || k == "day" || k == "dt" => match layout::day_start(value) {
            // The UTC day [d, d + 1 day); a value that is not a date prunes
            // nothing.
            Some(start) if value.len() == 10 => {
                sel.time_overlaps(start, start.saturating_add(86_400_000 - 1))
            }
            _ => true,
        },
        k if k == ASSET_KEY => sel.assets.matches(value),
        "tag" => sel.tags.matches(value),
        _ => true,
    }
}
