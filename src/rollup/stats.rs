//! The mergeable accumulator behind every rollup record (docs/records.md).
//!
//! A bucket's statistics are kept in a form that two buckets can be merged
//! exactly: count, mean and the sum of squared deviations (Welford's update
//! for one value, Chan's pooled formula for two buckets), min, max, the
//! first and last good value with their times, the time-weighted integral
//! and the duration it covers, and the good/bad counts. Merging the
//! 1-minute buckets of an hour gives the hour's bucket, to rounding.
//!
//! Time weighting: inside a bucket each good value holds until the next
//! good reading or the bucket's end, whichever comes first; the time from
//! the bucket's start to its first good reading is not covered (nothing is
//! carried in from the bucket before). So the time-weighted mean averages
//! over `[first_ts, end)`, and two adjacent child buckets merge by letting
//! the earlier one's last value hold across the gap to the later one's first
//! reading — exactly what the raw readings give.
//!
//! Huge values: every output is finite for finite input, so that each
//! rollup record reads back (`iiot cat`, `iiot rollup` of its own output)
//! and a store's rollup row holds no NULL mean. The plain formulas overflow
//! long before f64 does: Welford's `v − mean` for ±1.7e308, the sum of
//! squared deviations `m2` as soon as values pass ~1e154, and the integral
//! (value × milliseconds) above ~1e300. So a bucket runs in one of two
//! modes:
//!
//! - Plain (every number it has seen is at most [`HUGE`] = 2^440 in
//!   magnitude): the formulas above, unchanged, one well-predicted
//!   comparison per value more. The bound keeps them finite whatever the
//!   count (even 2^64 merged) and span (even 2^64 ms): |v − mean| ≤ 2^441,
//!   so `m2` ≤ 2^64·2^882 and Chan's d²·na·nb ≤ 2^882·2^128 < 2^1024; the
//!   integral ≤ 2^440·2^64.
//! - Scaled (once any value, or any field of a merged rollup record, is
//!   above [`HUGE`]; it stays so): `m2` is kept in units of 2^1200 and the
//!   integral in units of 2^600 value-milliseconds, and every deviation is
//!   computed on values multiplied by 2^−600 (exact: a power of two).
//!   Scaled values are below 2^424, deviations below 2^425, so `m2` ≤
//!   2^64·2^850 and the integral ≤ 2^488 — no overflow — while the smallest
//!   deviation that still counts next to a value above 2^440 (its ulp,
//!   2^388, squared and scaled: 2^−424) stays far from f64's subnormals, so
//!   the scaled units lose nothing rounding keeps. The mean is updated in
//!   scaled units and multiplied back (it lies between min and max, so it
//!   is finite; it is clamped to [min, max] against the last rounding).
//!
//! Outputs: mean, time-weighted mean, min, max, first and last always lie
//! within [min, max] of finite input (the time-weighted mean is clamped
//! there, also against rounding on ordinary data). The sample standard
//! deviation can exceed f64's range although every value is finite
//! (1.7e308 and −1.7e308 give 2.4e308): it saturates to f64::MAX, the
//! nearest representable number. A rollup of such rollups then sees the
//! saturated spread, so its deviation is a lower bound, still finite.

use crate::time::Millis;

/// 2^e as an f64, for the normal range of exponents.
const fn pow2(e: i32) -> f64 {
    f64::from_bits(((1023 + e) as u64) << 52)
}

/// Above this magnitude a bucket switches to scaled units (see the module
/// doc for why 2^440 keeps the plain formulas finite).
const HUGE: f64 = pow2(440);
/// [`Stats::limit`] of a scaled bucket: below every magnitude.
const SCALED: f64 = -1.0;
/// Values are multiplied by this in scaled units.
const DOWN: f64 = pow2(-600);
/// And by this on the way back.
const UP: f64 = pow2(600);

/// The statistics of one bucket of one series.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Stats {
    /// Good readings in the statistics.
    pub count: u64,
    pub mean: f64,
    /// Sum of squared deviations from the mean; in units of 2^1200 in a
    /// scaled bucket.
    m2: f64,
    pub min: f64,
    pub max: f64,
    pub first_ts: Millis,
    pub first: f64,
    pub last_ts: Millis,
    pub last: f64,
    /// ∫ value dt over `[first_ts, last_ts)`, in value × milliseconds (units
    /// of 2^600 of those in a scaled bucket); on [`Stats::close`] the last
    /// value's hold runs on to the bucket end and `last_ts` becomes that
    /// end.
    integral: f64,
    /// Readings whose quality is not `good`: counted, not in the statistics.
    pub bad: u64,
    /// Values above this magnitude take the scaled path: [`HUGE`] while
    /// the bucket is plain, −1 (so every value) once `m2` and `integral`
    /// are in scaled units — which lasts while the bucket has readings.
    /// One comparison per value tells both.
    limit: f64,
}

/// `x` within `[lo, hi]`; `lo` for NaN. Unlike `f64::clamp` it cannot
/// panic, whatever a rollup record claims its min and max are.
#[inline]
fn within(x: f64, lo: f64, hi: f64) -> f64 {
    x.max(lo).min(hi)
}

impl Stats {
    /// Adds one good reading. Readings should come in time order; an older
    /// one than the bucket's latest is counted in every statistic, and in
    /// the time weighting only when it is the bucket's earliest (its value
    /// then holds until the former first reading).
    #[inline]
    pub fn add(&mut self, ts: Millis, v: f64) {
        if self.count == 0 {
            *self = Stats {
                count: 1,
                mean: v,
                m2: 0.0,
                min: v,
                max: v,
                first_ts: ts,
                first: v,
                last_ts: ts,
                last: v,
                integral: 0.0,
                bad: self.bad,
                limit: if v.abs() > HUGE { SCALED } else { HUGE },
            };
            return;
        }
        if v.abs() > self.limit {
            self.add_scaled(ts, v);
            return;
        }
        self.count += 1;
        let d = v - self.mean;
        self.mean += d / self.count as f64;
        self.m2 += d * (v - self.mean);
        self.extremes(v);
        self.hold(ts, v, 1.0);
    }

    /// [`Stats::add`] in scaled units.
    #[cold]
    #[inline(never)]
    fn add_scaled(&mut self, ts: Millis, v: f64) {
        self.enter_scaled();
        self.count += 1;
        let vs = v * DOWN;
        let d = vs - self.mean * DOWN;
        let mean = self.mean * DOWN + d / self.count as f64;
        self.m2 += d * (vs - mean);
        self.extremes(v);
        self.mean = within(mean * UP, self.min, self.max);
        self.hold(ts, v, DOWN);
    }

    #[inline(always)]
    fn extremes(&mut self, v: f64) {
        if v < self.min {
            self.min = v;
        }
        if v > self.max {
            self.max = v;
        }
    }

    /// The time weighting of a reading added at `ts`, values multiplied by
    /// `unit` (1 or [`DOWN`]).
    #[inline(always)]
    fn hold(&mut self, ts: Millis, v: f64, unit: f64) {
        if ts >= self.last_ts {
            self.integral += self.last * unit * (ts - self.last_ts) as f64;
            self.last_ts = ts;
            self.last = v;
        } else if ts < self.first_ts {
            self.integral += v * unit * (self.first_ts - ts) as f64;
            self.first_ts = ts;
            self.first = v;
        }
    }

    /// Moves `m2` and `integral` to scaled units.
    fn enter_scaled(&mut self) {
        if !self.scaled() {
            // One factor at a time: DOWN² = 2^−1200 is below f64's range.
            self.m2 = self.m2 * DOWN * DOWN;
            self.integral *= DOWN;
            self.limit = SCALED;
        }
    }

    /// Whether `m2` and `integral` are in scaled units.
    #[inline]
    fn scaled(&self) -> bool {
        self.limit < 0.0
    }

    /// The factor from a value to the units of `integral` (and, squared,
    /// of `m2`).
    #[inline]
    fn unit(&self) -> f64 {
        if self.scaled() { DOWN } else { 1.0 }
    }

    /// Counts one reading whose quality is not good.
    #[inline]
    pub fn add_bad(&mut self) {
        self.bad += 1;
    }

    /// Lets the last value hold to the bucket end.
    pub fn close(&mut self, end: Millis) {
        if self.count > 0 && end > self.last_ts {
            self.integral += self.last * self.unit() * (end - self.last_ts) as f64;
            self.last_ts = end;
        }
    }

    /// Merges a closed child bucket (one whose `last_ts` is its end) into
    /// this one. Then [`Stats::close`] with the parent's end covers the time
    /// after the last child.
    pub fn merge(&mut self, o: &Stats) {
        self.bad = self.bad.saturating_add(o.bad);
        if o.count == 0 {
            return;
        }
        if self.count == 0 {
            let bad = self.bad;
            *self = *o;
            self.bad = bad;
            return;
        }
        if self.scaled() | o.scaled() {
            self.merge_scaled(o);
            return;
        }
        // Counts from rollup records are below 2^53 each, but many records
        // of one bucket could add past u64.
        let count = self.count.saturating_add(o.count);
        let n = count as f64;
        let d = o.mean - self.mean;
        self.m2 += o.m2 + d * d * (self.count as f64) * (o.count as f64) / n;
        self.mean += d * o.count as f64 / n;
        self.count = count;
        self.join(o, 1.0);
        // Rounding alone, with counts near 2^53 on one side.
        self.mean = within(self.mean, self.min, self.max);
    }

    /// [`Stats::merge`] in scaled units.
    #[cold]
    #[inline(never)]
    fn merge_scaled(&mut self, o: &Stats) {
        let mut o = *o;
        o.enter_scaled();
        self.enter_scaled();
        let count = self.count.saturating_add(o.count);
        let n = count as f64;
        let (ma, mb) = (self.mean * DOWN, o.mean * DOWN);
        let d = mb - ma;
        self.m2 += o.m2 + d * d * (self.count as f64) * (o.count as f64) / n;
        let mean = ma + d * o.count as f64 / n;
        self.count = count;
        self.join(&o, DOWN);
        self.mean = within(mean * UP, self.min, self.max);
    }

    /// Min, max and the time weighting of a merge; `unit` as in
    /// [`Stats::hold`], both integrals already in the same units.
    #[inline(always)]
    fn join(&mut self, o: &Stats, unit: f64) {
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
        if o.first_ts >= self.last_ts {
            // The earlier bucket's last value holds until the later one's
            // first reading.
            self.integral += self.last * unit * (o.first_ts - self.last_ts) as f64 + o.integral;
            self.last_ts = o.last_ts;
            self.last = o.last;
        } else if o.last_ts <= self.first_ts {
            // An older child arriving after a newer one.
            self.integral += o.integral + o.last * unit * (self.first_ts - o.last_ts) as f64;
            self.first_ts = o.first_ts;
            self.first = o.first;
        } else {
            // Overlapping children (the same bucket twice): the counts add,
            // the time weighting keeps the earlier one's.
            self.first_ts = self.first_ts.min(o.first_ts);
        }
    }

    /// Sample standard deviation (n − 1 in the denominator, SQL's
    /// `stddev`/`stddev_samp`); 0 for a single reading. Saturates to
    /// f64::MAX when the deviation of finite values exceeds f64's range.
    pub fn stddev(&self) -> f64 {
        if self.count < 2 {
            return 0.0;
        }
        let s = (self.m2.max(0.0) / (self.count - 1) as f64).sqrt();
        if self.scaled() {
            (s * UP).min(f64::MAX)
        } else {
            s
        }
    }

    /// The time-weighted mean over `[first_ts, end)`; the plain mean when
    /// that span is empty. Within [min, max], rounding notwithstanding.
    pub fn twa(&self, end: Millis) -> f64 {
        let span = end - self.first_ts;
        if span <= 0 {
            return self.mean;
        }
        let t = self.integral / span as f64;
        let t = if self.scaled() { t * UP } else { t };
        within(t, self.min, self.max)
    }

    /// Rebuilds closed statistics from a rollup record's fields.
    #[allow(clippy::too_many_arguments)]
    pub fn from_record(
        count: u64,
        mean: f64,
        stddev: f64,
        min: f64,
        max: f64,
        first: (Millis, f64),
        last: f64,
        twa: f64,
        end: Millis,
        bad: u64,
    ) -> Stats {
        if count == 0 {
            return Stats {
                bad,
                ..Stats::default()
            };
        }
        let scaled = [mean, stddev, min, max, first.1, last, twa]
            .iter()
            .any(|x| x.abs() > HUGE);
        let unit = if scaled { DOWN } else { 1.0 };
        let sd = stddev * unit;
        Stats {
            count,
            mean,
            m2: sd * sd * (count.saturating_sub(1)) as f64,
            min,
            max,
            first_ts: first.0,
            first: first.1,
            last_ts: end,
            last,
            integral: twa * unit * (end - first.0) as f64,
            bad,
            limit: if scaled { SCALED } else { HUGE },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn twa_holds_each_value_until_the_next() {
        let mut s = Stats::default();
        s.add(0, 10.0);
        s.add(30_000, 20.0);
        s.add(45_000, 40.0);
        s.close(60_000);
        // 10 for 30 s, 20 for 15 s, 40 for 15 s over 60 s.
        assert_eq!(
            s.twa(60_000),
            (10.0 * 30.0 + 20.0 * 15.0 + 40.0 * 15.0) / 60.0
        );
        assert_eq!(s.count, 3);
        assert!((s.stddev() - 15.275252316519467).abs() < 1e-12);
    }

    #[test]
    fn merging_halves_equals_the_whole() {
        let pts = [(5_000, 1.0), (20_000, 3.0), (70_000, 2.0), (100_000, 8.0)];
        let mut whole = Stats::default();
        for (t, v) in pts {
            whole.add(t, v);
        }
        whole.close(120_000);
        let (mut a, mut b) = (Stats::default(), Stats::default());
        for (t, v) in &pts[..2] {
            a.add(*t, *v);
        }
        for (t, v) in &pts[2..] {
            b.add(*t, *v);
        }
        a.close(60_000);
        b.close(120_000);
        let mut m = Stats::default();
        m.merge(&b);
        m.merge(&a);
        m.close(120_000);
        let mut m2 = Stats::default();
        m2.merge(&a);
        m2.merge(&b);
        assert!((m2.twa(120_000) - whole.twa(120_000)).abs() < 1e-12);
        assert_eq!(m.count, 4);
        assert!((m.mean - whole.mean).abs() < 1e-12);
        assert!((m.stddev() - whole.stddev()).abs() < 1e-12);
        assert!((m.twa(120_000) - whole.twa(120_000)).abs() < 1e-12);
        assert_eq!((m.first, m.last, m.min, m.max), (1.0, 8.0, 1.0, 8.0));
    }

    #[test]
    fn opposite_extremes_give_a_finite_mean_and_twa_and_a_saturated_stddev() {
        let mut s = Stats::default();
        s.add(0, 1.7e308);
        s.add(30_000, -1.7e308);
        s.close(60_000);
        assert_eq!(s.mean, 0.0);
        assert_eq!(s.twa(60_000), 0.0);
        // √2 · 1.7e308 is beyond f64: the nearest representable number.
        assert_eq!(s.stddev(), f64::MAX);
        assert_eq!((s.min, s.max), (-1.7e308, 1.7e308));
    }

    #[test]
    fn one_huge_value_among_small_ones_keeps_its_deviation() {
        let mut s = Stats::default();
        s.add(0, 1e-300);
        s.add(20_000, 1e300);
        s.add(40_000, 5.0);
        s.close(60_000);
        let rel = |a: f64, b: f64| ((a - b) / b).abs();
        assert!(rel(s.mean, 1e300 / 3.0) < 1e-15, "{}", s.mean);
        // Two-pass: deviations 2/3 and −1/3 (twice) of 1e300, over n − 1.
        assert!(
            rel(s.stddev(), 1e300 / 3f64.sqrt()) < 1e-15,
            "{}",
            s.stddev()
        );
        assert!(rel(s.twa(60_000), 1e300 / 3.0) < 1e-15, "{}", s.twa(60_000));
    }

    #[test]
    fn twa_of_a_constant_stays_at_the_constant_despite_rounding() {
        let mut s = Stats::default();
        for t in 0..3 {
            s.add(t, 0.1);
        }
        s.close(3);
        // 0.1 + 0.1 + 0.1 over 3 is 0.10000000000000002 unclamped.
        assert_eq!(s.twa(3), 0.1);
    }

    #[test]
    fn a_record_with_a_saturated_stddev_rebuilds_and_merges_finite() {
        // The record the opposite extremes above give, read back.
        let r = Stats::from_record(
            2,
            0.0,
            f64::MAX,
            -1.7e308,
            1.7e308,
            (0, 1.7e308),
            -1.7e308,
            0.0,
            60_000,
            0,
        );
        let mut next = Stats::default();
        next.add(60_000, 1.0);
        next.close(120_000);
        let mut m = Stats::default();
        m.merge(&r);
        m.merge(&next);
        m.close(3_600_000);
        assert_eq!(m.count, 3);
        assert_eq!(m.mean, 1.0 / 3.0);
        // m2 = MAX² + 2/3, over n − 1 = 2.
        let sd = m.stddev();
        assert!((sd / (f64::MAX / 2f64.sqrt()) - 1.0).abs() < 1e-15, "{sd}");
        // 0 over the first minute, then 1 to the end of the hour.
        assert!((m.twa(3_600_000) - 3_540_000.0 / 3_600_000.0).abs() < 1e-15);
    }

    /// Finite values, mostly ordinary, often huge (both signs, around the
    /// scaling threshold and up to f64::MAX), sometimes anything finite.
    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            4 => -1e3f64..1e3,
            2 => prop::sample::select(vec![
                f64::MAX, -f64::MAX, 1.7e308, -1.7e308, 1e300, -1e300, HUGE, -HUGE,
                HUGE * 2.0, 1e-300, 0.0, -1.0,
            ]),
            2 => (any::<bool>(), 1.0f64..2.0, 120i32..1024).prop_map(|(neg, m, e)| {
                let v = (m * pow2(e - 1)) * 2.0;
                if neg { -v.min(f64::MAX) } else { v.min(f64::MAX) }
            }),
            1 => prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO,
        ]
    }

    /// Readings in time order inside [0, 120 s).
    fn readings() -> impl Strategy<Value = Vec<(Millis, f64)>> {
        prop::collection::vec((0i64..120_000, value()), 1..40).prop_map(|mut v| {
            v.sort_by_key(|p| p.0);
            v
        })
    }

    fn stats_of(pts: &[(Millis, f64)], end: Millis) -> Stats {
        let mut s = Stats::default();
        for &(t, v) in pts {
            s.add(t, v);
        }
        s.close(end);
        s
    }

    /// What a rollup record of `s` carries, read back.
    fn through_record(s: &Stats, end: Millis) -> Stats {
        Stats::from_record(
            s.count,
            s.mean,
            s.stddev(),
            s.min,
            s.max,
            (s.first_ts, s.first),
            s.last,
            s.twa(end),
            end,
            s.bad,
        )
    }

    /// Mean and sample deviation by two passes over scaled values.
    fn two_pass(pts: &[(Millis, f64)]) -> (f64, f64) {
        let n = pts.len() as f64;
        let mean: f64 = pts.iter().map(|p| p.1 / n).sum();
        let k = if pts.iter().any(|p| p.1.abs() > 1e100) {
            DOWN
        } else {
            1.0
        };
        let m = mean * k;
        let ss: f64 = pts.iter().map(|p| (p.1 * k - m).powi(2)).sum();
        let sd = if pts.len() < 2 {
            0.0
        } else {
            (ss / (n - 1.0)).sqrt() / k
        };
        (mean, sd.min(f64::MAX))
    }

    fn check_bounds(s: &Stats, end: Millis) -> Result<(), TestCaseError> {
        let (mean, sd, twa) = (s.mean, s.stddev(), s.twa(end));
        for x in [mean, sd, twa, s.min, s.max, s.first, s.last] {
            prop_assert!(x.is_finite(), "{x} in {s:?}");
        }
        prop_assert!(s.min <= mean && mean <= s.max, "mean {mean} in {s:?}");
        prop_assert!(s.min <= twa && twa <= s.max, "twa {twa} in {s:?}");
        prop_assert!(sd >= 0.0);
        Ok(())
    }

    fn close_to(a: f64, b: f64, scale: f64) -> bool {
        (a - b).abs() <= 1e-9 * scale + 1e-300
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, .. ProptestConfig::default() })]

        /// Every output is finite and inside [min, max]; mean and deviation
        /// match two passes; the halves merged, directly and through their
        /// rollup records, give the whole.
        #[test]
        fn prop_outputs_finite_bounded_and_halves_merge_to_the_whole(pts in readings()) {
            let whole = stats_of(&pts, 120_000);
            check_bounds(&whole, 120_000)?;
            let scale = whole.min.abs().max(whole.max.abs());
            let (mean, sd) = two_pass(&pts);
            prop_assert!(close_to(whole.mean, mean, scale), "mean {} vs {mean}", whole.mean);
            prop_assert!(close_to(whole.stddev(), sd, scale), "stddev {} vs {sd}", whole.stddev());

            let cut = pts.partition_point(|p| p.0 < 60_000);
            let a = stats_of(&pts[..cut], 60_000);
            let b = stats_of(&pts[cut..], 120_000);
            check_bounds(&a, 60_000)?;
            check_bounds(&b, 120_000)?;
            let saturated = a.stddev() == f64::MAX || b.stddev() == f64::MAX;
            let halves = [(a, b), (through_record(&a, 60_000), through_record(&b, 120_000))];
            for (i, (a, b)) in halves.iter().enumerate() {
                for m in [[a, b], [b, a]] {
                    let mut s = Stats::default();
                    s.merge(m[0]);
                    s.merge(m[1]);
                    s.close(120_000);
                    check_bounds(&s, 120_000)?;
                    prop_assert_eq!(s.count, whole.count);
                    prop_assert_eq!((s.min, s.max), (whole.min, whole.max));
                    prop_assert_eq!((s.first, s.last), (whole.first, whole.last));
                    prop_assert!(close_to(s.mean, whole.mean, scale), "mean {} vs {}", s.mean, whole.mean);
                    prop_assert!(close_to(s.twa(120_000), whole.twa(120_000), scale),
                        "twa {} vs {}", s.twa(120_000), whole.twa(120_000));
                    // A saturated deviation in a record has lost its excess.
                    if i == 0 || !saturated {
                        prop_assert!(close_to(s.stddev(), whole.stddev(), scale),
                            "stddev {} vs {}", s.stddev(), whole.stddev());
                    }
                }
            }
        }
    }
}
