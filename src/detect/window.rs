//! The rolling window of a z-score rule: the last `window` values of a
//! series with their mean and sample standard deviation, kept up to date as
//! values come and go so judging a reading costs the same at any window
//! size; and the rule's spread, learnt over a much longer span from the
//! residuals of readings from the window's mean (see [`Window::learn`]).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Window {
    pub values: VecDeque<f64>,
    /// Sums of (value − shift) and of its square, kept as values come and
    /// go; recomputed from the values every `cap` pushes so rounding never
    /// accumulates.
    #[serde(skip)]
    sum: f64,
    #[serde(skip)]
    sumsq: f64,
    #[serde(skip)]
    shift: f64,
    #[serde(skip)]
    pushes: usize,
    pub last_flagged: bool,
    /// The learnt residual variance: the mean square of (reading − the
    /// window's mean before it) over the readings not flagged, an
    /// exponential average over the spread span.
    #[serde(default)]
    pub var: f64,
    /// Residuals learnt from (0: not started; the window's own variance
    /// seeds it when the rule first judges).
    #[serde(default)]
    pub seen: u32,
}

impl Window {
    /// A window as a state file keeps it: its values and whether the last
    /// was flagged; the sums wait for [`Window::recompute`].
    pub(crate) fn saved(values: VecDeque<f64>, last_flagged: bool) -> Window {
        Window {
            values,
            last_flagged,
            ..Window::default()
        }
    }

    /// The sums from the values themselves (after a restore).
    pub(crate) fn recompute(&mut self) {
        let n = self.values.len().max(1) as f64;
        self.shift = self.values.iter().sum::<f64>() / n;
        self.sum = self.values.iter().map(|v| v - self.shift).sum();
        self.sumsq = self.values.iter().map(|v| (v - self.shift).powi(2)).sum();
        self.pushes = 0;
    }

    #[inline]
    pub(crate) fn push(&mut self, v: f64, cap: usize) {
        if self.values.is_empty() {
            (self.shift, self.sum, self.sumsq) = (v, 0.0, 0.0);
        }
        // `>=`: a window restored from a state file or reloaded rules may
        // hold more than a smaller new cap; it shrinks to the cap here.
        while self.values.len() >= cap.max(1)
            && let Some(old) = self.values.pop_front()
        {
            let d = old - self.shift;
            self.sum -= d;
            self.sumsq -= d * d;
        }
        self.values.push_back(v);
        let d = v - self.shift;
        self.sum += d;
        self.sumsq += d * d;
        self.pushes += 1;
        if self.pushes >= cap {
            self.recompute();
        }
    }

    /// Starts the learnt spread from the window's own sample variance (the
    /// first judgement, or a state saved without one), counted as that
    /// many residuals.
    pub(crate) fn seed_spread(&mut self) {
        let n = self.values.len();
        if n >= 2 {
            let (_, sd) = self.stats();
            // A new reading's residual from the mean of n has variance
            // σ²(1 + 1/n).
            self.var = sd * sd * (1.0 + 1.0 / n as f64);
            self.seen = n as u32;
        }
    }

    /// Learns one residual (a reading not flagged) into the spread: a
    /// running mean until `span` residuals are in, then an exponential
    /// average over `span`.
    #[inline]
    pub(crate) fn learn(&mut self, residual: f64, span: usize) {
        self.seen = self.seen.saturating_add(1);
        let w = 1.0 / f64::from(self.seen).min(span.max(1) as f64);
        self.var += (residual * residual - self.var) * w;
    }

    /// Mean and sample standard deviation.
    #[inline]
    pub(crate) fn stats(&self) -> (f64, f64) {
        let n = self.values.len() as f64;
        let mean_d = self.sum / n;
        let var = ((self.sumsq - self.sum * mean_d) / (n - 1.0)).max(0.0);
        (self.shift + mean_d, var.sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn two_pass(v: &[f64]) -> (f64, f64) {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var.sqrt())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, .. ProptestConfig::default() })]

        /// The sliding sums give the two-pass mean and deviation of what
        /// the window holds, however long the stream.
        #[test]
        fn prop_window_stats_match_two_pass(
            base in -1e4f64..1e4,
            steps in proptest::collection::vec(-50.0f64..50.0, 2..400),
            cap in 2usize..60,
        ) {
            let mut w = Window::default();
            for s in &steps {
                w.push(base + s, cap);
                if w.values.len() >= 2 {
                    let v: Vec<f64> = w.values.iter().copied().collect();
                    let (m1, s1) = w.stats();
                    let (m2, s2) = two_pass(&v);
                    prop_assert!((m1 - m2).abs() <= 1e-9 * (1.0 + m2.abs()));
                    prop_assert!((s1 - s2).abs() <= 1e-7 * (1.0 + s2));
                }
            }
        }
    }
}
