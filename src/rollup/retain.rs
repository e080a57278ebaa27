//! Retention (`--retain raw=30d,1m=365d`): the rules, and what decides
//! how far a store may delete, apart from the deleting itself (a store's
//! in `store::sqlite::retain`, a lake's in `store::lake::retain`).
//!
//! Raw readings are deleted only where every rollup of their series has
//! covered them: before the least `done` of the series in `rollup_state`
//! and before the start of every bucket holding its `rollup_pending.since`.
//! A series that was never rolled up keeps all its raw readings. Per series,
//! `rollup_retained.before` is the first boundary of all widths at or after
//! the deletion: `store` refuses a reading older than it (its bucket's raw
//! readings are gone in part, so it could be neither rolled up nor kept),
//! and rollup never recomputes a bucket there from what is left.

use anyhow::{Context, Result, bail};

use super::buckets::{Aligner, Width};
use crate::time::{Millis, TsFormatter, parse_positive_millis};

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

/// The rollup widths of a store and the alignment they were made with, to
/// find the bucket boundaries all widths share.
#[derive(Default)]
pub(crate) struct Grid {
    widths: Vec<Width>,
    aligner: Aligner,
}

impl Grid {
    /// The grid of the widths a store has rolled up (`labels` as written,
    /// `1m`), aligned in its time zone.
    pub(crate) fn new(labels: &[String], tz: Option<&str>) -> Result<Grid> {
        let widths = labels
            .iter()
            .map(|l| Width::parse(l))
            .collect::<Result<Vec<_>>>()
            .context("rollup_state names a width this iiot does not read")?;
        Ok(Grid {
            widths,
            aligner: Aligner::new(tz)?,
        })
    }

    /// The nearest time at or before (`up` false) or at or after `t` that
    /// starts a bucket of every width; `None` when none is found close by.
    pub(crate) fn align(&self, t: Millis, up: bool) -> Option<Millis> {
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
/// bucket that a rollup has yet to (re)compute — `covered`, the least
/// `done` of the series' widths and its pending mark (see [`covered`]),
/// moved back to a start of a bucket of every width — and `before`, the
/// first boundary of all widths at or after `limit`, is where a late
/// reading may again be rolled up. `None`: delete nothing.
pub(crate) fn raw_limit(covered: Millis, cutoff: Millis, grid: &Grid) -> Option<(Millis, Millis)> {
    let covered = grid.align(covered, false)?;
    let limit = cutoff.min(covered);
    if limit == Millis::MIN {
        return None;
    }
    grid.align(limit, true).map(|before| (limit, before))
}

/// Raw readings of a series before this time are covered by every rollup:
/// the least `done` of its widths (none: never rolled up, nothing is), or
/// its pending mark if earlier.
pub(crate) fn covered(done: Option<Millis>, pending: Option<Millis>) -> Millis {
    match (done, pending) {
        (None, _) => Millis::MIN,
        (Some(d), Some(p)) => d.min(p),
        (Some(d), None) => d,
    }
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
