//! One series as a forecast sees it: readings averaged into buckets of the
//! series' interval (its rollup width, `--every`, or the median spacing of
//! its first readings), gaps filled by straight lines between the buckets
//! either side, and at most `history` buckets kept.

use std::collections::VecDeque;

use crate::time::Millis;

/// Readings looked at to find a series' own interval.
const PROBE: usize = 9;

/// What was done to a series' input, for the closing counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Readings whose quality is not good, left out.
    pub bad: u64,
    /// Readings older than the bucket being filled, left out.
    pub late: u64,
    /// Buckets with no reading, filled by interpolation.
    pub gaps: u64,
}

/// A series' buckets.
#[derive(Debug, Clone)]
pub struct Series {
    pub asset: String,
    pub tag: String,
    pub unit: String,
    /// The bucket width; `None` while the first readings decide it.
    pub every: Option<Millis>,
    probe: Vec<(Millis, f64)>,
    /// The bucket being filled: start, sum, count.
    open: Option<(Millis, f64, u32)>,
    /// Closed buckets: start of the first, then the means in order.
    first: Millis,
    values: VecDeque<f64>,
    history: usize,
    /// Bucket widths given as a duration history (`--history 30d`).
    history_ms: Option<Millis>,
    pub counts: Counts,
    /// Buckets closed since the last fit.
    pub fresh: usize,
    /// Whether the fallback note was said already.
    pub told: bool,
    /// Whether a predictive alarm is active (for `--events`).
    pub predicted: bool,
}

/// How long the history is: buckets or a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum History {
    Buckets(usize),
    Span(Millis),
}

impl Series {
    pub fn new(
        asset: &str,
        tag: &str,
        unit: &str,
        every: Option<Millis>,
        history: History,
    ) -> Series {
        let (history, history_ms) = match history {
            History::Buckets(n) => (n.max(2), None),
            History::Span(ms) => (usize::MAX, Some(ms)),
        };
        let mut s = Series {
            asset: asset.to_string(),
            tag: tag.to_string(),
            unit: unit.to_string(),
            every: None,
            probe: Vec::new(),
            open: None,
            first: 0,
            values: VecDeque::new(),
            history,
            history_ms,
            counts: Counts::default(),
            fresh: 0,
            told: false,
            predicted: false,
        };
        if let Some(e) = every {
            s.set_every(e);
        }
        s
    }

    fn set_every(&mut self, every: Millis) {
        let every = every.max(1);
        self.every = Some(every);
        if let Some(ms) = self.history_ms {
            self.history = usize::try_from(ms / every).unwrap_or(usize::MAX).max(2);
        }
    }

    /// Adds one good reading; returns the number of buckets it closed.
    pub fn push(&mut self, ts: Millis, value: f64) -> usize {
        let Some(every) = self.every else {
            self.probe.push((ts, value));
            if self.probe.len() < PROBE {
                return 0;
            }
            return self.decide();
        };
        self.add(every, ts, value)
    }

    /// Decides the interval from the readings seen so far and replays them.
    fn decide(&mut self) -> usize {
        let mut ts: Vec<Millis> = self.probe.iter().map(|p| p.0).collect();
        ts.sort_unstable();
        let mut d: Vec<Millis> = ts
            .windows(2)
            .map(|w| w[1] - w[0])
            .filter(|&d| d > 0)
            .collect();
        d.sort_unstable();
        let every = d.get(d.len() / 2).copied().unwrap_or(1000);
        self.set_every(every);
        let probe = std::mem::take(&mut self.probe);
        probe.into_iter().map(|(t, v)| self.add(every, t, v)).sum()
    }

    fn add(&mut self, every: Millis, ts: Millis, value: f64) -> usize {
        let start = ts.div_euclid(every) * every;
        match &mut self.open {
            Some((s, sum, n)) if *s == start => {
                *sum += value;
                *n += 1;
                0
            }
            Some((s, _, _)) if start < *s => {
                self.counts.late += 1;
                0
            }
            _ => {
                let closed = self.close();
                self.open = Some((start, value, 1));
                closed
            }
        }
    }

    /// Closes the open bucket (at the end of input, or when the next
    /// begins); returns 1 when there was one.
    pub fn close(&mut self) -> usize {
        if self.every.is_none() && !self.probe.is_empty() {
            let n = self.decide();
            return n + self.close();
        }
        let (Some(every), Some((start, sum, n))) = (self.every, self.open.take()) else {
            return 0;
        };
        let mean = sum / f64::from(n);
        if let Some(&last) = self.values.back() {
            let next = self.first + every * self.values.len() as Millis;
            let missing = ((start - next) / every).max(0) as usize;
            if missing >= self.history {
                self.values.clear();
                self.first = start;
            } else {
                for k in 1..=missing {
                    let f = k as f64 / (missing + 1) as f64;
                    self.values.push_back(last + (mean - last) * f);
                }
            }
            self.counts.gaps += missing as u64;
        } else {
            self.first = start;
        }
        self.values.push_back(mean);
        while self.values.len() > self.history {
            self.values.pop_front();
            self.first += every;
        }
        self.fresh += 1;
        1
    }

    /// The closed buckets' means, oldest first.
    pub fn values(&mut self) -> &[f64] {
        self.values.make_contiguous()
    }

    /// Start of the last closed bucket.
    pub fn last_ts(&self) -> Option<Millis> {
        let every = self.every?;
        (!self.values.is_empty()).then(|| self.first + every * (self.values.len() as Millis - 1))
    }

    /// Whether a good reading was seen that is not yet in a closed bucket.
    pub fn is_open(&self) -> bool {
        self.open.is_some() || !self.probe.is_empty()
    }

    pub fn note_bad(&mut self) {
        self.counts.bad += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_interval_and_fills_gaps() {
        let mut s = Series::new("A", "t", "", None, History::Buckets(100));
        for i in 0..12 {
            if i == 5 || i == 6 {
                continue;
            }
            s.push(i * 60_000, i as f64);
        }
        s.close();
        assert_eq!(s.every, Some(60_000));
        assert_eq!(
            s.values(),
            &[0., 1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 11.]
        );
        assert_eq!(s.counts.gaps, 2);
        assert_eq!(s.last_ts(), Some(11 * 60_000));
    }

    #[test]
    fn keeps_the_history_bounded() {
        let mut s = Series::new("A", "t", "", Some(1000), History::Buckets(5));
        for i in 0..100 {
            s.push(i * 1000, i as f64);
        }
        s.close();
        assert_eq!(s.values(), &[95., 96., 97., 98., 99.]);
        assert_eq!(s.last_ts(), Some(99_000));
    }

    #[test]
    fn averages_readings_in_a_bucket_and_drops_late_ones() {
        let mut s = Series::new("A", "t", "", Some(10_000), History::Buckets(10));
        for (t, v) in [
            (0, 1.0),
            (5_000, 3.0),
            (10_000, 5.0),
            (2_000, 9.0),
            (20_000, 7.0),
        ] {
            s.push(t, v);
        }
        s.close();
        assert_eq!(s.values(), &[2.0, 5.0, 7.0]);
        assert_eq!(s.counts.late, 1);
    }
}
