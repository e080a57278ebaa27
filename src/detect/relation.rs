//! The relation rule: a tag judged against the tags the model says it
//! moves with (`follows`: temperature follows pressure). A drift of either
//! sensor is hidden in its own series when the process moves by as much
//! (a pressure that walks, a temperature that follows it), but it breaks
//! the relation between them, which holds to the noise.
//!
//! - Fit. The tag's value is fitted to the latest values of its related
//!   tags by least squares over its own history: exponentially weighted
//!   means and covariances over `span` readings (a running mean at first),
//!   frozen while the alarm is on. The residual is the reading less the
//!   fit learnt before it.
//! - Noise. The residual's noise width σ is learnt from its successive
//!   differences (mean |Δ| / 1.128, each at most 5σ), its spread from
//!   mean |residual| × 1.2533 over the warm-up (each at most 4 spreads),
//!   then from the lower quartile of |residual| (0.3186σ for a Gaussian),
//!   moved a little up or down at each reading (drifts under way, up to
//!   three quarters of the readings, do not widen it).
//! - Judging, from span / 6 readings on: a two-sided CUSUM of the residual
//!   in σ (each at most ±4, so a spike barely moves it) less `k`, raised
//!   when either sum passes `h`, capped at 2h while on so it clears soon
//!   after the relation is back. A relation whose residual spread is over
//!   1.5σ does not hold to the noise (a lag, a nonlinearity the least
//!   squares cannot follow): the rule stands down there until it is back
//!   under 1.25σ, as the CUSUM rule does. An alarm on for `span` readings
//!   is a new relation (a sensor recalibrated): the fit starts again.
//! - The limit given is the fitted value.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// Residuals count at most this many noise widths.
const CLIP: f64 = 4.0;
/// A relation whose residual spread is over this many noise widths does
/// not hold to the noise: the rule stands down.
const WANDER: f64 = 1.5;
/// Readings whose residual is beyond this many spreads are not learnt
/// from.
const LEARN_WITHIN: f64 = 3.0;
/// The lower quartile of |x| for a Gaussian x of deviation 1: Φ⁻¹(0.625).
const QUARTILE: f64 = 0.318_639;
/// The residual spread moves by e^(SPREAD_STEP / span) a reading.
const SPREAD_STEP: f64 = 4.0;

/// What a relation rule remembers about its series.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub(crate) struct Relation {
    pub n: u32,
    /// Means of the related tags, then of the tag itself.
    pub mean: Vec<f64>,
    /// Their covariances, row-major ((p + 1) × (p + 1)).
    pub cov: Vec<f64>,
    pub noise: f64,
    pub spread: f64,
    /// The residual before.
    pub prev: f64,
    pub wanders: bool,
    pub hi: f64,
    pub lo: f64,
    pub held: u32,
}

impl Relation {
    /// Whether the memory is one the rule could have left (for --state).
    pub(crate) fn check(&self) -> Result<(), String> {
        let p1 = self.mean.len();
        if self.cov.len() != p1 * p1 {
            return Err(format!("cov needs {} values for {p1} means", p1 * p1));
        }
        let all = self.mean.iter().chain(&self.cov).chain([
            &self.noise,
            &self.spread,
            &self.prev,
            &self.hi,
            &self.lo,
        ]);
        if !all.clone().all(|x| x.is_finite()) {
            return Err("a value is not a finite number".into());
        }
        if self.noise < 0.0 || self.spread < 0.0 || self.hi < 0.0 || self.lo < 0.0 {
            return Err("noise, spread and the sums must not be negative".into());
        }
        Ok(())
    }

    /// The fitted value of the tag from the related tags' values `xs`:
    /// the normal equations solved by Cholesky's factorisation, in place
    /// on the stack for up to [`SMALL`] related tags.
    fn fitted(&self, xs: &[f64]) -> Option<f64> {
        let p = xs.len();
        let p1 = p + 1;
        let c = |a: usize, b: usize| self.cov[a * p1 + b];
        let trace: f64 = (0..p).map(|a| c(a, a)).sum();
        if trace.is_nan() || trace <= 0.0 {
            return None;
        }
        // A ridge of 10⁻⁹ of the trace: related tags that move together
        // still give a fit.
        let ridge = 1e-9 * trace / p as f64;
        let beta = if p <= SMALL {
            let mut l = [0.0; SMALL * SMALL];
            let mut y = [0.0; SMALL];
            cholesky_solve(
                p,
                |a, b| c(a, b) + if a == b { ridge } else { 0.0 },
                |a| c(a, p),
                &mut l,
                &mut y,
            )?;
            y
        } else {
            let sxx = DMatrix::from_fn(p, p, |a, b| c(a, b) + if a == b { ridge } else { 0.0 });
            let sxy = DVector::from_fn(p, |a, _| c(a, p));
            let b = sxx.cholesky()?.solve(&sxy);
            return Some(self.mean[p] + (0..p).map(|a| b[a] * (xs[a] - self.mean[a])).sum::<f64>());
        };
        let dev: f64 = (0..p).map(|a| beta[a] * (xs[a] - self.mean[a])).sum();
        Some(self.mean[p] + dev)
    }

    /// Adds a reading to the weighted means and covariances.
    fn learn(&mut self, xs: &[f64], v: f64, w: f64) {
        let p1 = xs.len() + 1;
        let u = |a: usize| xs.get(a).copied().unwrap_or(v);
        for a in 0..p1 {
            let da = u(a) - self.mean[a];
            for b in 0..p1 {
                let db = u(b) - self.mean[b];
                let c = &mut self.cov[a * p1 + b];
                *c = (1.0 - w) * (*c + w * da * db);
            }
        }
        for (a, m) in self.mean.iter_mut().enumerate() {
            *m += w * (u(a) - *m);
        }
    }
}

/// Related tags whose fit is solved on the stack.
const SMALL: usize = 8;

/// Solves S β = r for a symmetric positive definite `p` × `p` S (given by
/// `s(a, b)`), r by `r(a)`, into `y`; `l` holds the factor. None when S is
/// not positive definite.
fn cholesky_solve(
    p: usize,
    s: impl Fn(usize, usize) -> f64,
    r: impl Fn(usize) -> f64,
    l: &mut [f64; SMALL * SMALL],
    y: &mut [f64; SMALL],
) -> Option<()> {
    for a in 0..p {
        for b in 0..=a {
            let mut sum = s(a, b);
            for k in 0..b {
                sum -= l[a * SMALL + k] * l[b * SMALL + k];
            }
            if a == b {
                if sum.is_nan() || sum <= 0.0 {
                    return None;
                }
                l[a * SMALL + a] = sum.sqrt();
            } else {
                l[a * SMALL + b] = sum / l[b * SMALL + b];
            }
        }
    }
    // L z = r, then Lᵀ β = z.
    for a in 0..p {
        let mut sum = r(a);
        for k in 0..a {
            sum -= l[a * SMALL + k] * y[k];
        }
        y[a] = sum / l[a * SMALL + a];
    }
    for a in (0..p).rev() {
        let mut sum = y[a];
        for k in a + 1..p {
            sum -= l[k * SMALL + a] * y[k];
        }
        y[a] = sum / l[a * SMALL + a];
    }
    Some(())
}

/// A relation rule on one good reading `v` of its series, `xs` the latest
/// values of the related tags (NaN for one not seen yet). Returns whether
/// the alarm is on and the fitted value.
pub(crate) fn relation(
    c: &mut Relation,
    (k, h, span): (f64, f64, usize),
    v: f64,
    xs: &[f64],
) -> (bool, f64) {
    let on_before = c.hi > h || c.lo > h;
    if xs.is_empty() || xs.iter().any(|x| !x.is_finite()) {
        return (on_before, f64::NAN);
    }
    let p1 = xs.len() + 1;
    if c.mean.len() != p1 || c.n == 0 {
        *c = Relation {
            mean: xs.iter().copied().chain([v]).collect(),
            cov: vec![0.0; p1 * p1],
            n: 1,
            ..Relation::default()
        };
        return (false, f64::NAN);
    }
    c.n = c.n.saturating_add(1);
    let span_f = span.max(2) as f64;
    let w = (1.0 / f64::from(c.n)).max(1.0 / span_f);
    let Some(fit) = c.fitted(xs) else {
        c.learn(xs, v, w);
        return (false, f64::NAN);
    };
    let r = v - fit;
    let learn = f64::from(c.n - 1).min(2.0 * span_f);
    if c.n > 2 {
        let d = (r - c.prev).abs() / 1.128;
        let d = if c.noise > 0.0 {
            d.min(5.0 * c.noise)
        } else {
            d
        };
        c.noise += (d - c.noise) / learn;
    }
    c.prev = r;
    let warm = f64::from(c.n) < (span_f / 6.0).max(30.0);
    let a = r.abs() / QUARTILE;
    if warm || c.spread <= 0.0 {
        // The mean over the warm-up (|r| × 1.2533 for a Gaussian), capped.
        let a = r.abs() * 1.2533;
        let a = if c.spread > 0.0 {
            a.min(CLIP * c.spread)
        } else {
            a
        };
        c.spread += (a - c.spread) / learn;
    } else {
        // Then from the lower quartile of |r| (a Gaussian's is 0.3186 of
        // its deviation), moved by a small factor at each reading, up by 1
        // part when above and down by 3 when below, so it settles where a
        // quarter of the readings are below: drifts under way (up to
        // three quarters of the readings) do not widen it.
        let step = SPREAD_STEP / span_f;
        c.spread *= if a > c.spread {
            (0.25 * step).exp()
        } else {
            (-0.75 * step).exp()
        };
    }
    // Learnt from the readings the relation holds for: none while the
    // alarm is on, none beyond 3 spreads (a drift under way, a spike;
    // every reading over the warm-up).
    if !on_before && (warm || r.abs() <= LEARN_WITHIN * c.spread.max(c.noise)) {
        c.learn(xs, v, w);
    }
    if warm || c.noise <= 0.0 {
        return (false, fit);
    }
    let ratio = c.spread / c.noise;
    c.wanders = ratio > WANDER || (c.wanders && ratio > WANDER * 5.0 / 6.0);
    if c.wanders {
        (c.hi, c.lo, c.held) = (0.0, 0.0, 0);
        return (false, fit);
    }
    let z = (r / c.noise).clamp(-CLIP, CLIP);
    c.hi = (c.hi + z - k).max(0.0);
    c.lo = (c.lo - z - k).max(0.0);
    let on = c.hi > h || c.lo > h;
    if on {
        c.hi = c.hi.min(2.0 * h);
        c.lo = c.lo.min(2.0 * h);
        c.held = c.held.saturating_add(1);
        if f64::from(c.held) > span_f {
            // A new relation: learnt again from here.
            *c = Relation::default();
            return (false, f64::NAN);
        }
    } else {
        c.held = 0;
    }
    (on, fit)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// y = 12 x + noise, x a slow walk; from `drift_at` y drifts away.
    fn run(drift_at: usize, n: usize) -> Vec<bool> {
        let mut g = crate::detect::TestUniform(5);
        let mut u = || g.next();
        let mut c = Relation::default();
        let mut x = 0.0;
        (0..n)
            .map(|i| {
                x += 0.05 * u();
                let drift = if i >= drift_at {
                    (i - drift_at) as f64 * 0.01
                } else {
                    0.0
                };
                let y = 12.0 * x + 0.5 * u() + drift;
                relation(&mut c, (1.5, 20.0, 3600), y, &[x + 0.05 * u()]).0
            })
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// The stack solve agrees with nalgebra's Cholesky on S = AᵀA + I.
        #[test]
        fn the_stack_solve_agrees_with_nalgebra(
            p in 1usize..=SMALL,
            a in proptest::collection::vec(-3.0f64..3.0, SMALL * SMALL),
            r in proptest::collection::vec(-5.0f64..5.0, SMALL),
        ) {
            let am = DMatrix::from_fn(p, p, |i, j| a[i * SMALL + j]);
            let sm = am.transpose() * &am + DMatrix::identity(p, p);
            let want = sm.clone().cholesky().unwrap().solve(&DVector::from_fn(p, |i, _| r[i]));
            let (mut l, mut y) = ([0.0; SMALL * SMALL], [0.0; SMALL]);
            cholesky_solve(p, |i, j| sm[(i, j)], |i| r[i], &mut l, &mut y).unwrap();
            for i in 0..p {
                proptest::prop_assert!((y[i] - want[i]).abs() <= 1e-9 * want[i].abs().max(1.0));
            }
        }
    }

    #[test]
    fn a_drift_off_the_relation_is_raised_and_the_walk_is_not() {
        let healthy = run(usize::MAX, 20_000);
        assert!(healthy.iter().all(|on| !on), "raised on a healthy walk");
        let drifted = run(10_000, 12_000);
        let first = drifted.iter().position(|on| *on).expect("the drift raised");
        // The drift is 1 noise width (0.29) after 29 readings.
        assert!((10_000..10_200).contains(&first), "raised at {first}");
    }
}
