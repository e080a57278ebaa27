//! The mergeable accumulator behind every rollup record (DESIGN §2).
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

use crate::time::Millis;

/// The statistics of one bucket of one series.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Stats {
    /// Good readings in the statistics.
    pub count: u64,
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
    pub min: f64,
    pub max: f64,
    pub first_ts: Millis,
    pub first: f64,
    pub last_ts: Millis,
    pub last: f64,
    /// ∫ value dt over `[first_ts, last_ts)`, in value × milliseconds; on
    /// [`Stats::close`] the last value's hold runs on to the bucket end and
    /// `last_ts` becomes that end.
    pub integral: f64,
    /// Readings whose quality is not `good`: counted, not in the statistics.
    pub bad: u64,
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
            };
            return;
        }
        self.count += 1;
        let d = v - self.mean;
        self.mean += d / self.count as f64;
        self.m2 += d * (v - self.mean);
        if v < self.min {
            self.min = v;
        }
        if v > self.max {
            self.max = v;
        }
        if ts >= self.last_ts {
            self.integral += self.last * (ts - self.last_ts) as f64;
            self.last_ts = ts;
            self.last = v;
        } else if ts < self.first_ts {
            self.integral += v * (self.first_ts - ts) as f64;
            self.first_ts = ts;
            self.first = v;
        }
    }

    /// Counts one reading whose quality is not good.
    #[inline]
    pub fn add_bad(&mut self) {
        self.bad += 1;
    }

    /// Lets the last value hold to the bucket end.
    pub fn close(&mut self, end: Millis) {
        if self.count > 0 && end > self.last_ts {
            self.integral += self.last * (end - self.last_ts) as f64;
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
        let n = (self.count + o.count) as f64;
        let d = o.mean - self.mean;
        self.m2 += o.m2 + d * d * (self.count as f64) * (o.count as f64) / n;
        self.mean += d * o.count as f64 / n;
        self.count += o.count;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
        if o.first_ts >= self.last_ts {
            // The earlier bucket's last value holds until the later one's
            // first reading.
            self.integral += self.last * (o.first_ts - self.last_ts) as f64 + o.integral;
            self.last_ts = o.last_ts;
            self.last = o.last;
        } else if o.last_ts <= self.first_ts {
            // An older child arriving after a newer one.
            self.integral += o.integral + o.last * (self.first_ts - o.last_ts) as f64;
            self.first_ts = o.first_ts;
            self.first = o.first;
        } else {
            // Overlapping children (the same bucket twice): the counts add,
            // the time weighting keeps the earlier one's.
            self.first_ts = self.first_ts.min(o.first_ts);
        }
    }

    /// Sample standard deviation (n − 1 in the denominator, SQL's
    /// `stddev`/`stddev_samp`); 0 for a single reading.
    pub fn stddev(&self) -> f64 {
        if self.count < 2 {
            0.0
        } else {
            (self.m2.max(0.0) / (self.count - 1) as f64).sqrt()
        }
    }

    /// The time-weighted mean over `[first_ts, end)`; the plain mean when
    /// that span is empty.
    pub fn twa(&self, end: Millis) -> f64 {
        let span = end - self.first_ts;
        if span <= 0 {
            self.mean
        } else {
            self.integral / span as f64
        }
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
        Stats {
            count,
            mean,
            m2: stddev * stddev * (count.saturating_sub(1)) as f64,
            min,
            max,
            first_ts: first.0,
            first: first.1,
            last_ts: end,
            last,
            integral: twa * (end - first.0) as f64,
            bad,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
