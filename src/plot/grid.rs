//! Time buckets that grow with the stream, so a chart of any length is
//! drawn from a bounded summary.
//!
//! Every series shares one grid of at most `cap` buckets, each `width`
//! milliseconds wide and aligned to multiples of `width` on the epoch. A
//! reading outside the grid doubles the width until the whole span seen so
//! far fits; because widths are powers of two apart, an old bucket falls
//! whole into one new bucket and merging loses nothing a chart needs (the
//! extremes and when they happened). With `cap` at twice the plot's pixel
//! width a bucket is never wider than a pixel column, so a year of
//! 1-second data draws exactly what the full data would.

use crate::time::Millis;

/// What a chart needs of the readings in one time bucket: the extremes and
/// when they happened (to draw them in time order), and for rollup records
/// the band between the smallest `min` and the largest `max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bucket {
    pub count: u32,
    pub min: f64,
    pub max: f64,
    pub min_ts: Millis,
    pub max_ts: Millis,
    /// NaN when no rollup record fell here.
    pub band_lo: f64,
    pub band_hi: f64,
}

impl Default for Bucket {
    fn default() -> Bucket {
        Bucket {
            count: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            min_ts: 0,
            max_ts: 0,
            band_lo: f64::NAN,
            band_hi: f64::NAN,
        }
    }
}

impl Bucket {
    pub fn add(&mut self, ts: Millis, value: f64) {
        self.count = self.count.saturating_add(1);
        if value < self.min {
            self.min = value;
            self.min_ts = ts;
        }
        if value > self.max {
            self.max = value;
            self.max_ts = ts;
        }
    }

    pub fn add_band(&mut self, lo: f64, hi: f64) {
        // f64::min and max skip the NaN of an empty band.
        self.band_lo = self.band_lo.min(lo);
        self.band_hi = self.band_hi.max(hi);
    }

    pub fn merge(&mut self, other: &Bucket) {
        if other.count > 0 {
            self.count = self.count.saturating_add(other.count);
            if other.min < self.min {
                self.min = other.min;
                self.min_ts = other.min_ts;
            }
            if other.max > self.max {
                self.max = other.max;
                self.max_ts = other.max_ts;
            }
        }
        if !other.band_lo.is_nan() {
            self.add_band(other.band_lo, other.band_hi);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0 && self.band_lo.is_nan()
    }
}

/// The shared bucket layout: bucket `i` of every series covers
/// `[(lo + i) × width, (lo + i + 1) × width)`.
#[derive(Debug, Clone)]
pub(crate) struct Grid {
    width: i64,
    lo: i64,
    cap: usize,
    /// The earliest and latest time admitted.
    span: Option<(Millis, Millis)>,
}

/// How to move buckets from an old layout to a new one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Remap {
    old_width: i64,
    old_lo: i64,
    new_width: i64,
    new_lo: i64,
}

impl Grid {
    pub fn new(cap: usize) -> Grid {
        Grid {
            width: 1,
            lo: 0,
            cap: cap.max(2),
            span: None,
        }
    }

    /// A grid fixed ahead for the span `[from, to)`, so no remapping is
    /// needed while reading.
    pub fn for_span(cap: usize, from: Millis, to: Millis) -> Grid {
        let mut g = Grid::new(cap);
        g.admit(from);
        g.admit(to.saturating_sub(1).max(from));
        g
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    pub fn width(&self) -> i64 {
        self.width
    }

    pub fn span(&self) -> Option<(Millis, Millis)> {
        self.span
    }

    /// The start of bucket `i`.
    pub fn start(&self, i: usize) -> Millis {
        (self.lo + i as i64).saturating_mul(self.width)
    }

    /// Makes room for `ts`; when the layout changes, says how to move the
    /// buckets already filled.
    pub fn admit(&mut self, ts: Millis) -> Option<Remap> {
        let (min, max) = match self.span {
            None => {
                self.span = Some((ts, ts));
                self.lo = ts.div_euclid(self.width);
                return None;
            }
            Some((a, b)) => (a.min(ts), b.max(ts)),
        };
        self.span = Some((min, max));
        let fits =
            |w: i64, lo: i64| max.div_euclid(w) - lo < self.cap as i64 && min.div_euclid(w) >= lo;
        if fits(self.width, self.lo) {
            return None;
        }
        let mut width = self.width;
        while max.div_euclid(width) - min.div_euclid(width) >= self.cap as i64 {
            width = width.saturating_mul(2);
        }
        // Room is left on the side the data grows towards: a stream in
        // falling time order would otherwise move the grid at every bucket.
        let new_lo = if ts == min {
            max.div_euclid(width) - (self.cap as i64 - 1)
        } else {
            min.div_euclid(width)
        };
        let remap = Remap {
            old_width: self.width,
            old_lo: self.lo,
            new_width: width,
            new_lo,
        };
        self.width = remap.new_width;
        self.lo = remap.new_lo;
        Some(remap)
    }

    /// The bucket of `ts`, which must have been admitted.
    pub fn index(&self, ts: Millis) -> usize {
        let i = ts.div_euclid(self.width) - self.lo;
        i.clamp(0, self.cap as i64 - 1) as usize
    }
}

impl Remap {
    /// Moves `buckets` (laid out the old way, `cap` long) to the new layout.
    pub fn apply(&self, buckets: &mut [Bucket]) {
        let mut moved = vec![Bucket::default(); buckets.len()];
        for (i, b) in buckets.iter().enumerate().filter(|(_, b)| !b.is_empty()) {
            let start = (self.old_lo + i as i64).saturating_mul(self.old_width);
            let j = start.div_euclid(self.new_width) - self.new_lo;
            if let Some(slot) = usize::try_from(j).ok().and_then(|j| moved.get_mut(j)) {
                slot.merge(b);
            }
        }
        buckets.copy_from_slice(&moved);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Buckets filled while the grid grows hold the same extremes and counts
    /// as buckets filled on the final grid from the start.
    fn fill_growing(cap: usize, points: &[(Millis, f64)]) -> (Grid, Vec<Bucket>) {
        let mut grid = Grid::new(cap);
        let mut buckets = vec![Bucket::default(); grid.cap()];
        for &(ts, v) in points {
            if let Some(r) = grid.admit(ts) {
                r.apply(&mut buckets);
            }
            buckets[grid.index(ts)].add(ts, v);
        }
        (grid, buckets)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn prop_growing_grid_equals_final_grid(
            cap in 2usize..64,
            points in proptest::collection::vec((-5_000_000i64..5_000_000, -1e6f64..1e6), 1..300),
        ) {
            let (grid, grown) = fill_growing(cap, &points);
            let mut direct = vec![Bucket::default(); cap];
            for &(ts, v) in &points {
                direct[grid.index(ts)].add(ts, v);
            }
            let (min, max) = grid.span().unwrap();
            // Nothing admitted was clamped into an end bucket.
            prop_assert!(min.div_euclid(grid.width()) >= grid.lo);
            prop_assert!(max.div_euclid(grid.width()) - grid.lo < cap as i64);
            for (a, b) in grown.iter().zip(&direct) {
                prop_assert_eq!(a.count, b.count);
                prop_assert_eq!(a.min, b.min);
                prop_assert_eq!(a.max, b.max);
            }
            prop_assert_eq!(grown.iter().map(|b| b.count as usize).sum::<usize>(), points.len());
        }
    }

    #[test]
    fn a_year_of_seconds_fits_in_the_cap() {
        let mut grid = Grid::new(2000);
        grid.admit(0);
        grid.admit(365 * 86_400_000);
        assert!(grid.width() >= 365 * 86_400_000 / 2000);
        assert!(grid.width() < 2 * 365 * 86_400_000 / 1000);
        assert_eq!(grid.index(0), 0);
        assert!(grid.index(365 * 86_400_000) < 2000);
    }
}
