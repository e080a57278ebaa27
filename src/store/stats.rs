//! Per-series statistics for `inspect`: count, min, max, first and last
//! values, the median interval, gaps, duplicates and out-of-order rows.
//!
//! Rows are fed in stored order. Against the latest time seen so far in
//! its series, a row with the same time is a *duplicate* and a row with an
//! earlier time is *out of order*; a later one adds an interval. The
//! intervals are kept as a histogram (regular sampling has few distinct
//! intervals), from which the median comes; a *gap* is an interval longer
//! than the gap factor times that median. Where the gaps lie needs the
//! median first, so [`GapFinder`] takes a second pass, only over files
//! whose series have gaps at all.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::time::{Millis, TsFormatter};

/// Gaps listed per series; the count is always exact.
pub(crate) const GAPS_LISTED: usize = 100;

/// A time and the value read at it.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Point {
    #[serde(serialize_with = "ser_ts")]
    pub ts: Millis,
    pub value: f64,
}

pub(crate) fn ser_ts<S: serde::Serializer>(ts: &Millis, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&TsFormatter::format(*ts))
}

/// What a pass knows of one series.
#[derive(Debug, Clone)]
pub(crate) struct SeriesAcc {
    pub count: u64,
    pub min: f64,
    pub max: f64,
    pub first: Point,
    pub last: Point,
    latest: Millis,
    pub duplicates: u64,
    pub out_of_order: u64,
    intervals: HashMap<Millis, u64>,
}

impl SeriesAcc {
    fn new(ts: Millis, value: f64) -> SeriesAcc {
        let p = Point { ts, value };
        SeriesAcc {
            count: 1,
            min: value,
            max: value,
            first: p,
            last: p,
            latest: ts,
            duplicates: 0,
            out_of_order: 0,
            intervals: HashMap::new(),
        }
    }

    fn add(&mut self, ts: Millis, value: f64) {
        self.count += 1;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        if ts < self.first.ts {
            self.first = Point { ts, value };
        }
        if ts >= self.last.ts {
            self.last = Point { ts, value };
        }
        match ts.cmp(&self.latest) {
            std::cmp::Ordering::Equal => self.duplicates += 1,
            std::cmp::Ordering::Less => self.out_of_order += 1,
            std::cmp::Ordering::Greater => {
                *self
                    .intervals
                    .entry(ts.saturating_sub(self.latest))
                    .or_default() += 1;
                self.latest = ts;
            }
        }
    }

    /// The median interval between consecutive in-order readings.
    pub(crate) fn median_interval(&self) -> Option<Millis> {
        let n: u64 = self.intervals.values().sum();
        if n == 0 {
            return None;
        }
        let mut sorted: Vec<(&Millis, &u64)> = self.intervals.iter().collect();
        sorted.sort_unstable();
        let mid = (n - 1) / 2;
        let mut seen = 0;
        for (iv, c) in sorted {
            seen += c;
            if seen > mid {
                return Some(*iv);
            }
        }
        None
    }

    /// The gap threshold: intervals longer than this are gaps.
    pub(crate) fn gap_threshold(&self, factor: f64) -> Option<Millis> {
        self.median_interval()
            .map(|m| (m as f64 * factor).ceil() as Millis)
    }

    /// How many intervals exceed `threshold`, and the longest of them.
    pub(crate) fn gaps_over(&self, threshold: Millis) -> (u64, Option<Millis>) {
        let mut n = 0;
        let mut longest = None;
        for (&iv, &c) in &self.intervals {
            if iv > threshold {
                n += c;
                longest = longest.max(Some(iv));
            }
        }
        (n, longest)
    }
}

/// Statistics of every series seen, keyed by (asset, tag) in byte order.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub series: BTreeMap<(String, String), SeriesAcc>,
    pub rows: u64,
    pub min_ts: Option<Millis>,
    pub max_ts: Option<Millis>,
    /// The series of the last row: consecutive rows mostly share one.
    last_key: Option<(String, String)>,
}

impl Stats {
    pub(crate) fn add(&mut self, asset: &str, tag: &str, ts: Millis, value: f64) {
        self.rows += 1;
        self.min_ts = Some(self.min_ts.map_or(ts, |m| m.min(ts)));
        self.max_ts = Some(self.max_ts.map_or(ts, |m| m.max(ts)));
        let same = self
            .last_key
            .as_ref()
            .is_some_and(|(a, t)| a == asset && t == tag);
        if !same {
            self.last_key = Some((asset.to_string(), tag.to_string()));
        }
        let Some(key) = self.last_key.as_ref() else {
            return;
        };
        match self.series.get_mut(key) {
            Some(acc) => acc.add(ts, value),
            None => {
                self.series.insert(key.clone(), SeriesAcc::new(ts, value));
            }
        }
    }
}

/// A gap: no reading of the series between `from` and `to`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Gap {
    #[serde(serialize_with = "ser_ts")]
    pub from: Millis,
    #[serde(serialize_with = "ser_ts")]
    pub to: Millis,
    pub ms: Millis,
}

/// A series' state in the second pass: its threshold, the latest time
/// seen, the gaps found.
type GapState = (Millis, Option<Millis>, Vec<Gap>);

/// The second pass: where the gaps of the series that have any lie.
pub(crate) struct GapFinder {
    series: HashMap<(String, String), GapState>,
    last_key: Option<(String, String)>,
}

impl GapFinder {
    /// `None` when no series has a gap, so no second pass is needed.
    pub(crate) fn new(stats: &Stats, factor: f64) -> Option<GapFinder> {
        let mut series = HashMap::new();
        for (key, acc) in &stats.series {
            if let Some(th) = acc.gap_threshold(factor) {
                if acc.gaps_over(th).0 > 0 {
                    series.insert(key.clone(), (th, None, Vec::new()));
                }
            }
        }
        (!series.is_empty()).then_some(GapFinder {
            series,
            last_key: None,
        })
    }

    pub(crate) fn add(&mut self, asset: &str, tag: &str, ts: Millis) {
        let same = self
            .last_key
            .as_ref()
            .is_some_and(|(a, t)| a == asset && t == tag);
        if !same {
            self.last_key = Some((asset.to_string(), tag.to_string()));
        }
        let Some(key) = self.last_key.as_ref() else {
            return;
        };
        let Some((th, latest, gaps)) = self.series.get_mut(key) else {
            return;
        };
        if let Some(l) = *latest {
            if ts > l {
                if ts.saturating_sub(l) > *th && gaps.len() < GAPS_LISTED {
                    gaps.push(Gap {
                        from: l,
                        to: ts,
                        ms: ts.saturating_sub(l),
                    });
                }
                *latest = Some(ts);
            }
        } else {
            *latest = Some(ts);
        }
    }

    pub(crate) fn gaps(&mut self, asset: &str, tag: &str) -> Vec<Gap> {
        self.series
            .get_mut(&(asset.to_string(), tag.to_string()))
            .map(|(_, _, g)| std::mem::take(g))
            .unwrap_or_default()
    }
}

/// A duration for people: `1s`, `1m30s`, `2h`, `3d4h`, `250ms`.
pub(crate) fn human_ms(ms: Millis) -> String {
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let s = ms / 1000;
    let (d, h, m, sec) = (s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
    let mut out = String::new();
    for (n, u) in [(d, "d"), (h, "h"), (m, "m"), (sec, "s")] {
        if n > 0 {
            out.push_str(&format!("{n}{u}"));
        }
    }
    if ms % 1000 != 0 && d == 0 && h == 0 {
        out = format!("{}s", ms as f64 / 1000.0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_duplicates_out_of_order_and_gaps() {
        let mut st = Stats::default();
        for ts in [0, 1000, 2000, 2000, 1500, 3000, 10_000, 11_000] {
            st.add("A", "t", ts, ts as f64);
        }
        let acc = &st.series[&("A".to_string(), "t".to_string())];
        assert_eq!(acc.count, 8);
        assert_eq!(acc.duplicates, 1);
        assert_eq!(acc.out_of_order, 1);
        assert_eq!(acc.median_interval(), Some(1000));
        assert_eq!(
            acc.gaps_over(acc.gap_threshold(5.0).unwrap()),
            (1, Some(7000))
        );
        assert_eq!(acc.first.ts, 0);
        assert_eq!(acc.last.value, 11_000.0);
        let mut g = GapFinder::new(&st, 5.0).unwrap();
        for ts in [0, 1000, 2000, 2000, 1500, 3000, 10_000, 11_000] {
            g.add("A", "t", ts);
        }
        let gaps = g.gaps("A", "t");
        assert_eq!(gaps.len(), 1);
        assert_eq!((gaps[0].from, gaps[0].to), (3000, 10_000));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_ms(250), "250ms");
        assert_eq!(human_ms(90_000), "1m30s");
        assert_eq!(human_ms(1500), "1.5s");
        assert_eq!(human_ms(2 * 86_400_000 + 3_600_000), "2d1h");
    }
}
