//! Glob patterns choosing series by asset or tag name (`--asset 'WH-0*'`,
//! `--tag 'temp*,flow'`): what `query`, `plot` and the stores' selections
//! match names against, and the literal prefixes that let a Parquet row
//! group be skipped by its min/max statistics.

use anyhow::{Context, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};

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
