//! Rolling-origin evaluation: fit on the history up to an origin, forecast
//! the horizon, compare with what came; move the origin on and repeat.
//! MASE scales the error by the in-sample one-step seasonal naive error
//! (Hyndman & Koehler), so below 1 is better than repeating the last season.

use super::model::{self, Settings};
use super::until::{Condition, first_crossing};

/// Errors and coverage of one series (or, added up, of all).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scores {
    pub windows: u64,
    pub points: u64,
    pub abs: f64,
    pub sq: f64,
    /// Absolute error of the seasonal naive forecast on the same points.
    pub abs_snaive: f64,
    /// Sum over windows of the in-sample seasonal naive MAE (the scale).
    pub scale: f64,
    /// Per level, points inside the interval.
    pub covered: Vec<u64>,
    /// Crossings of `--until` that happened within the horizon of an origin.
    pub crossings: u64,
    /// Of those, how many fell inside the predicted interval.
    pub within: u64,
    /// The model of the last window.
    pub model: String,
}

impl Scores {
    pub fn mae(&self) -> f64 {
        self.abs / self.points.max(1) as f64
    }
    pub fn rmse(&self) -> f64 {
        (self.sq / self.points.max(1) as f64).sqrt()
    }
    /// MAE over the mean in-sample seasonal naive MAE; `None` when that is 0.
    pub fn mase(&self) -> Option<f64> {
        let scale = self.scale / self.windows.max(1) as f64;
        (scale > 0.0).then(|| self.mae() / scale)
    }
    /// MASE of the seasonal naive forecast itself, on the same scale.
    pub fn mase_snaive(&self) -> Option<f64> {
        let scale = self.scale / self.windows.max(1) as f64;
        (scale > 0.0).then(|| self.abs_snaive / self.points.max(1) as f64 / scale)
    }
    pub fn coverage(&self, i: usize) -> f64 {
        self.covered.get(i).copied().unwrap_or(0) as f64 / self.points.max(1) as f64
    }
}

/// How the origins are laid.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Number of origins, the last `horizon` steps before the end.
    pub windows: usize,
    /// Steps between origins.
    pub step: usize,
    /// Buckets the model fits on at most.
    pub history: usize,
}

/// Evaluates one series.
pub fn evaluate(
    y: &[f64],
    s: &Settings,
    plan: Plan,
    until: Option<&Condition>,
    every: i64,
) -> Scores {
    let h = s.horizon;
    let n = y.len();
    let mut sc = Scores {
        covered: vec![0; s.levels.len()],
        ..Scores::default()
    };
    if n < h + 4 {
        return sc;
    }
    // The season of the baseline and of the scale: from the whole input
    // once, so every window is judged against the same naive model.
    let periods = model::periods_of(&y[..n - h], &s.seasons);
    let m = periods.first().copied().unwrap_or(1);
    let last_origin = n - h;
    for w in (0..plan.windows).rev() {
        let Some(origin) = last_origin.checked_sub(w * plan.step) else {
            continue;
        };
        if origin < (2 * m).max(4) {
            continue;
        }
        let train = &y[origin.saturating_sub(plan.history)..origin];
        let actual = &y[origin..origin + h];
        let f = model::forecast(train, s);
        let (naive, _) = model::seasonal_naive(train, m, h);
        for (i, &a) in actual.iter().enumerate() {
            let e = a - f.point[i];
            sc.abs += e.abs();
            sc.sq += e * e;
            sc.abs_snaive += (a - naive[i]).abs();
            for (l, (lo, hi)) in f.bands.iter().enumerate() {
                if lo[i] <= a && a <= hi[i] {
                    sc.covered[l] += 1;
                }
            }
        }
        let mm = m.min(train.len() - 1).max(1);
        let scale: f64 = (mm..train.len())
            .map(|t| (train[t] - train[t - mm]).abs())
            .sum::<f64>()
            / (train.len() - mm) as f64;
        sc.scale += scale;
        sc.windows += 1;
        sc.points += h as u64;
        if let (Some(c), Some(&last)) = (until, train.last())
            && !c.holds(last)
            && let Some(at) = first_crossing(c, last, actual, every)
        {
            sc.crossings += 1;
            let (lo, hi) = f
                .bands
                .first()
                .map(|(l, h)| (l, h))
                .unwrap_or((&f.point, &f.point));
            // Falling towards a lower limit: the lower bound crosses first.
            let (early, late) = if c.above { (hi, lo) } else { (lo, hi) };
            let e = first_crossing(c, last, early, every);
            let l = first_crossing(c, last, late, every);
            if e.is_some_and(|e| e <= at) && l.is_none_or(|l| at <= l) {
                sc.within += 1;
            }
        }
        sc.model = f.model;
    }
    sc
}

impl std::ops::AddAssign<&Scores> for Scores {
    fn add_assign(&mut self, o: &Scores) {
        self.windows += o.windows;
        self.points += o.points;
        self.abs += o.abs;
        self.sq += o.sq;
        self.abs_snaive += o.abs_snaive;
        self.scale += o.scale;
        self.crossings += o.crossings;
        self.within += o.within;
        if self.covered.len() < o.covered.len() {
            self.covered.resize(o.covered.len(), 0);
        }
        for (a, b) in self.covered.iter_mut().zip(&o.covered) {
            *a += b;
        }
    }
}
