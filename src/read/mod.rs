//! Reading stored readings back: what `query` and `inspect` share.
//!
//! A source is a SQLite store, one Parquet file, or a folder of Parquet
//! files (a lake, Hive-partitioned or not). [`Source::detect`] decides which
//! by looking at the path: a folder is a lake; a file is told by its magic
//! bytes (`PAR1`, `SQLite format 3`), then by its extension. The layouts are
//! those of docs/storage.md; Parquet that other systems wrote is mapped by
//! [`columns`].

pub(crate) mod columns;
pub(crate) mod footer;
pub(crate) mod lake;
pub(crate) mod merge;
pub(crate) mod parquet;
pub(crate) mod sqlite;
pub(crate) mod stats;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::time::Millis;

/// What a path holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    Sqlite(PathBuf),
    ParquetFile(PathBuf),
    Lake(PathBuf),
}

impl Source {
    pub(crate) fn detect(path: &Path) -> Result<Source> {
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

/// Glob patterns for asset or tag names; none means everything.
#[derive(Debug, Clone, Default)]
pub(crate) struct Patterns {
    set: Option<GlobSet>,
    /// The literal prefixes of the patterns (text before the first
    /// metacharacter), for pruning by min/max statistics.
    prefixes: Vec<String>,
}

impl Patterns {
    pub(crate) fn new(what: &str, globs: &[String]) -> Result<Patterns> {
        if globs.is_empty() {
            return Ok(Patterns::default());
        }
        let mut b = GlobSetBuilder::new();
        let mut prefixes = Vec::new();
        for g in globs {
            for part in split_top_commas(g).into_iter().filter(|p| !p.is_empty()) {
                let glob = Glob::new(part)
                    .with_context(|| format!("--{what} {part:?} is not a valid glob"))?;
                b.add(glob);
                let end = part.find(['*', '?', '[', '{', '\\']).unwrap_or(part.len());
                prefixes.push(part[..end].to_string());
            }
        }
        let set = b
            .build()
            .with_context(|| format!("building --{what} globs"))?;
        Ok(Patterns {
            set: Some(set),
            prefixes,
        })
    }

    pub(crate) fn is_all(&self) -> bool {
        self.set.is_none()
    }

    pub(crate) fn matches(&self, name: &str) -> bool {
        self.set.as_ref().is_none_or(|s| s.is_match(name))
    }

    /// Whether some name between `min` and `max` (inclusive, byte order)
    /// could match; `false` only when no pattern's literal prefix fits.
    pub(crate) fn may_match_range(&self, min: &[u8], max: &[u8]) -> bool {
        if self.set.is_none() {
            return true;
        }
        self.prefixes.iter().any(|p| {
            let p = p.as_bytes();
            // Names starting with p lie in [p, p + 0xFF…]; the range must
            // reach into that interval.
            let max_reaches = max >= p;
            let min_reaches = min <= p || min.starts_with(p);
            max_reaches && min_reaches
        })
    }
}

/// Splits `a*,b{x,y}` at the commas outside braces: `a*`, `b{x,y}`.
fn split_top_commas(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// What to read: series globs and a half-open time range.
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    pub assets: Patterns,
    pub tags: Patterns,
    /// Inclusive.
    pub from: Millis,
    /// Exclusive.
    pub to: Millis,
}

impl Selection {
    pub(crate) fn all() -> Selection {
        Selection {
            assets: Patterns::default(),
            tags: Patterns::default(),
            from: i64::MIN,
            to: i64::MAX,
        }
    }

    pub(crate) fn series_matches(&self, asset: &str, tag: &str) -> bool {
        self.assets.matches(asset) && self.tags.matches(tag)
    }

    pub(crate) fn time_matches(&self, ts: Millis) -> bool {
        ts >= self.from && ts < self.to
    }

    /// Whether readings between `min` and `max` (inclusive) may be wanted.
    pub(crate) fn time_overlaps(&self, min: Millis, max: Millis) -> bool {
        max >= self.from && min < self.to
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn commas_split_patterns_outside_braces() {
        assert_eq!(split_top_commas("a*,b{x,y},c"), ["a*", "b{x,y}", "c"]);
        let p = Patterns::new("asset", &["WH-{01,02},FERM-*".to_string()]).unwrap();
        assert!(p.matches("WH-02") && p.matches("FERM-9") && !p.matches("WH-03"));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        /// Pruning is sound: a row group whose names lie between min and
        /// max is never pruned when one of those names matches.
        #[test]
        fn prop_range_pruning_never_drops_a_match(
            a in "[ab/-]{0,4}", b in "[ab/-]{0,4}", name in "[ab/-]{0,4}",
            prefix in "[ab/-]{0,3}", tail in prop::sample::select(vec!["*", "?", "", "[ab]*", "{a,b}"]),
        ) {
            let mut three = [a, b, name];
            three.sort();
            let [min, name, max] = three;
            let p = Patterns::new("asset", &[format!("{prefix}{tail}")]).unwrap();
            if p.matches(&name) {
                prop_assert!(p.may_match_range(min.as_bytes(), max.as_bytes()));
            }
        }
    }

    #[test]
    fn prefix_pruning_keeps_what_may_match() {
        let p = Patterns::new("asset", &["WH-0*".to_string()]).unwrap();
        assert!(p.may_match_range(b"WH-01", b"WH-12"));
        assert!(p.may_match_range(b"A", b"Z"));
        assert!(!p.may_match_range(b"WH-10", b"WH-12"));
        assert!(!p.may_match_range(b"A", b"B"));
        let lit = Patterns::new("asset", &["B".to_string()]).unwrap();
        assert!(lit.may_match_range(b"A", b"C"));
        assert!(!lit.may_match_range(b"C", b"D"));
        assert!(!lit.may_match_range(b"A", b"AZ"));
        assert!(Patterns::default().may_match_range(b"x", b"y"));
    }
}
