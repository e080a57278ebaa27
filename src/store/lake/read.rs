//! Parquet read as `query` reads it: one file, or the files of a lake its
//! listing keeps, opened once; then either every selected reading in
//! series order (the ordered merge) or only each series' last one. A file
//! or folder that cannot be read, and a row group that cannot be decoded,
//! is noted and the rest read.

use crate::store::lake::columns::Interner;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::columns::ColumnOptions;
use super::footer;
use super::list;
use super::merge::{self, Owned};
use super::parquet::{ParquetFile, Row, Skipped, single};
use crate::record::ReadingRef;
use crate::store::Selection;

/// What could not be opened; the rest is read.
#[derive(Debug, Clone)]
pub(crate) enum Unreadable {
    /// A folder under the lake that could not be listed, and why.
    Folder(PathBuf, String),
    /// A file that could not be opened: its name and what is wrong.
    File(String),
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreadable::Folder(dir, why) => write!(f, "skipping {}: {why}", dir.display()),
            Unreadable::File(why) => write!(f, "skipping an unreadable file: {why}"),
        }
    }
}

/// A row group skipped because it could not be decoded.
#[derive(Debug, Clone)]
pub(crate) struct BadRowGroup {
    pub file: String,
    pub index: usize,
    pub rows: i64,
    pub why: String,
}

/// Parquet files opened for reading.
pub(crate) struct Files {
    pub(super) files: Vec<ParquetFile>,
    /// For a lake: the files listed and the partitions pruned.
    pub listed: Option<(usize, u64)>,
    pub unreadable: Vec<Unreadable>,
    /// For a lake: the widths of its `every=WIDTH` rollup folders.
    pub rollup_widths: Vec<String>,
}

impl Files {
    /// One Parquet file; an error when it cannot be opened.
    pub(crate) fn open_file(path: &Path, opts: &ColumnOptions, sel: &Selection) -> Result<Files> {
        let mut file = ParquetFile::open(&single(path), opts, sel)?;
        file.skip_unreadable();
        Ok(Files {
            files: vec![file],
            listed: None,
            unreadable: Vec::new(),
            rollup_widths: Vec::new(),
        })
    }

    /// The files under a lake folder the selection may need. A folder or
    /// file that cannot be read is noted in `unreadable`; the root itself
    /// must be readable.
    pub(crate) fn open_lake(root: &Path, opts: &ColumnOptions, sel: &Selection) -> Result<Files> {
        let listing = list::list(root, sel)?;
        let mut unreadable: Vec<Unreadable> = listing
            .unreadable
            .iter()
            .map(|(dir, why)| Unreadable::Folder(dir.clone(), why.clone()))
            .collect();
        let mut files = Vec::with_capacity(listing.files.len());
        for f in &listing.files {
            match ParquetFile::open(f, opts, sel) {
                Ok(mut pf) => {
                    pf.skip_unreadable();
                    files.push(pf);
                }
                Err(e) => {
                    // The file's ends say what is missing in plain words
                    // when that is what is wrong.
                    let why = match footer::check_ends(&f.path) {
                        Err(problem) => format!("{}: {problem}", f.path.display()),
                        Ok(_) => format!("{e:#}"),
                    };
                    unreadable.push(Unreadable::File(why));
                }
            }
        }
        Ok(Files {
            files,
            listed: Some((listing.files.len(), listing.pruned_partitions)),
            unreadable,
            rollup_widths: listing.rollup_widths,
        })
    }

    /// Each file's name and how its columns map to readings.
    pub(crate) fn mappings(&self) -> Vec<String> {
        self.files
            .iter()
            .map(|f| format!("{}: {}", f.name(), f.mapping.describe(f.meta.schema())))
            .collect()
    }

    /// The size of the files, for progress.
    pub(crate) fn bytes(&self) -> u64 {
        self.files
            .iter()
            .map(|f| std::fs::metadata(&f.path).map_or(0, |m| m.len()))
            .sum()
    }

    /// The selected readings in series order (asset, tag, time), until
    /// `limit` were handed to `emit`; `on_unit` is told the compressed
    /// bytes of each row group decoded.
    pub(crate) fn read(
        &self,
        sel: &Selection,
        limit: u64,
        on_unit: &mut dyn FnMut(u64),
        mut emit: impl FnMut(&ReadingRef<'_>) -> Result<()>,
    ) -> Result<Skipped> {
        let mut skipped = Skipped::default();
        if limit > 0 {
            let mut n = 0u64;
            merge::merged(&self.files, sel, &mut skipped, on_unit, &mut |r| {
                emit(&reading_ref(r))?;
                n += 1;
                Ok(n < limit)
            })?;
        }
        Ok(skipped)
    }

    /// The last selected reading of each series (the latest time; of equal
    /// times the one read last), in series order, at most `limit`.
    pub(crate) fn latest(
        &self,
        sel: &Selection,
        limit: u64,
        on_unit: &mut dyn FnMut(u64),
        mut emit: impl FnMut(&ReadingRef<'_>) -> Result<()>,
    ) -> Result<Skipped> {
        let mut skipped = Skipped::default();
        let mut last: HashMap<(String, String), Owned> = HashMap::new();
        let mut names = Interner::default();
        for f in &self.files {
            if !f.may_match(sel) {
                continue;
            }
            for rg in 0..f.num_row_groups() {
                if !f.row_group_may_match(rg, sel) {
                    continue;
                }
                f.read_row_group(rg, sel, &mut skipped, &mut |r| {
                    let key = (r.asset.to_string(), r.tag.to_string());
                    let newer = last.get(&key).is_none_or(|o| r.ts >= o.ts);
                    if newer {
                        last.insert(key, Owned::interned(r, &mut names));
                    }
                    Ok(())
                })?;
                on_unit(f.meta.metadata().row_group(rg).compressed_size().max(0) as u64);
            }
        }
        let mut rows: Vec<Owned> = last.into_values().collect();
        rows.sort_by(|a, b| (&*a.asset, &*a.tag).cmp(&(&*b.asset, &*b.tag)));
        for o in rows
            .iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
        {
            emit(&reading_ref(&o.row()))?;
        }
        Ok(skipped)
    }

    /// The row groups skipped as undecodable while reading, file by file.
    pub(crate) fn bad_row_groups(&self) -> Vec<BadRowGroup> {
        let mut out = Vec::new();
        for f in &self.files {
            for (rg, why) in f.unreadable() {
                out.push(BadRowGroup {
                    file: f.name(),
                    index: rg,
                    rows: f.meta.metadata().row_group(rg).num_rows(),
                    why,
                });
            }
        }
        out
    }
}

/// A file's row as a reading to write.
#[inline]
pub(super) fn reading_ref<'a>(r: &Row<'a>) -> ReadingRef<'a> {
    ReadingRef {
        ts: r.ts,
        asset: r.asset,
        tag: r.tag,
        value: r.value,
        unit: r.unit,
        quality: r.quality,
        text: r.text,
        fault: "",
        extra: "",
        encoded: None,
    }
}
