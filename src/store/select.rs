//! What a read asks for: series chosen by asset and tag globs, and a
//! half-open time range — the same for every backend.

use crate::patterns::Patterns;
use crate::time::Millis;

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
