//! The multivariate rule: each asset judged as a whole. From a clean
//! training period it learns how the asset's tags move together — a PCA of
//! their correlation matrix — and then flags the rows (the latest value of
//! every tag at a timestamp, as `derive` aligns tags for formulas) whose
//! combination is abnormal, by Hotelling's T² in the kept components and
//! the residual Q (squared prediction error) outside them, naming the tags
//! that contribute most.
//!
//! - Rows. A row closes when every tag of the asset has a reading at its
//!   timestamp, or when a later timestamp arrives (a tag that did not report
//!   keeps its latest value). Readings that are not good quality leave the
//!   row as it was.
//! - Training. The first `train` of each asset (from its first reading)
//!   are its clean period; the model is fitted when the first row past it
//!   closes (and, if too few rows came, once enough have: 3 per tag, at
//!   least 30). Tags constant over the training period are left out, as are
//!   tags seen in fewer than 9 of 10 training rows.
//! - Wandering tags. A tag whose residual on the other tags (its
//!   least-squares fit on them) has a von Neumann ratio under 1 over the
//!   training rows wanders on its own (a slow temperature, a walk): its
//!   level will leave the training range with nothing wrong, so the model
//!   takes its change over `lag` rows instead. Tags that follow the others
//!   or hold still keep their level.
//! - Model. Each tag is standardised by its training mean and standard
//!   deviation; the eigenvectors of the correlation matrix (nalgebra's
//!   symmetric eigen-decomposition) explaining `variance` of it (at least
//!   one component, at most one fewer than the tags) are kept.
//!   T² = Σ tₐ²/λₐ over the kept components, Q = |z − P Pᵀ z|².
//! - Limits. Each statistic is smoothed by the median of the last `smooth`
//!   rows (SKAB's T²+Q entry smooths by 5), and its control limit is the
//!   larger of the empirical `p` quantile of the smoothed statistic over
//!   the training rows and the limit the theory gives for independent
//!   Gaussian rows (Hotelling's F-distribution limit for T²,
//!   Jackson–Mudholkar for Q) at the single-row level whose median of
//!   `smooth` rows passes at `p`. The empirical quantile keeps the rate of
//!   false alarms the training period showed on autocorrelated,
//!   non-Gaussian plant data; the theory keeps a bounded process (a cycle,
//!   whose training quantile sits on its hard edge) from crossing it by
//!   the noise at every later peak.
//! - Verdict. A row past either limit raises the asset's alarm; it clears
//!   when both are back under the `clear_p` quantile of their training
//!   values (a deadband). The contributors are the tags with the largest
//!   contributions to the statistic farther past its limit (to Q: the
//!   squared residual of each tag; to T²: zⱼ Σₐ tₐ pⱼₐ / λₐ), at most
//!   three, each at least a tenth of the total.

use std::collections::{HashMap, VecDeque};

use nalgebra::{DMatrix, SymmetricEigen};
use serde::{Deserialize, Serialize};

use crate::time::Millis;

/// The multivariate rule's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Settings {
    pub train_ms: i64,
    pub variance: f64,
    pub p: f64,
    pub smooth: usize,
    /// Which statistics raise: T², Q or both.
    pub use_t2: bool,
    pub use_q: bool,
    /// Rows over which a persistent tag's change is judged (0: every tag
    /// by its level).
    pub lag: usize,
    /// Quantile of the training rows' statistics under which a raised
    /// alarm clears.
    pub clear_p: f64,
}

pub(crate) const DEFAULT_TRAIN_MS: i64 = 6 * 3600 * 1000;
pub(crate) const DEFAULT_VARIANCE: f64 = 0.9;
pub(crate) const DEFAULT_P: f64 = 0.999;
pub(crate) const DEFAULT_SMOOTH: usize = 5;
pub(crate) const DEFAULT_LAG: usize = 10;
pub(crate) const DEFAULT_CLEAR_P: f64 = 0.9;

/// A tag wanders when the residual of its fit on the other tags has a von
/// Neumann ratio under this over the training rows: 2 for independent
/// rows, 2 (1 − ρ₁) for an AR(1) with lag-1 autocorrelation ρ₁, so 1 is
/// ρ₁ = 0.5, each residual more the one before it than new noise.
const WANDER_RATIO: f64 = 1.0;

/// Contributors named at most.
const NAMED: usize = 3;
/// A contributor's least share of the statistic.
const SHARE: f64 = 0.1;

/// A fitted asset model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Fit {
    pub tags: Vec<String>,
    pub mean: Vec<f64>,
    pub sd: Vec<f64>,
    /// Every eigenvalue of the correlation matrix, largest first.
    pub eigen: Vec<f64>,
    /// The kept components' loadings, tag by tag (m × k, row-major).
    pub loadings: Vec<f64>,
    pub k: usize,
    pub t2_limit: f64,
    pub q_limit: f64,
    pub rows: usize,
    /// The tags judged by their change over `lag` rows rather than their
    /// level (one flag per tag; empty: every tag by its level).
    #[serde(default)]
    pub change: Vec<bool>,
    #[serde(default)]
    pub lag: usize,
    /// The limits a raised alarm clears under (absent: the raise limits).
    #[serde(default)]
    pub t2_clear: Option<f64>,
    #[serde(default)]
    pub q_clear: Option<f64>,
}

/// An asset's multivariate alarm that is on, as `--state` keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Alarm {
    pub tag: String,
    pub contributors: Vec<String>,
    pub limit: f64,
}

/// One row's statistics and each tag's contribution to T² and to Q.
#[derive(Debug, Clone)]
pub(crate) struct Stats {
    pub t2: f64,
    pub q: f64,
    pub t2_contrib: Vec<f64>,
    pub q_contrib: Vec<f64>,
}

impl Fit {
    /// Fits the model to training rows (each a value per tag of `tags`,
    /// NaN where the tag had none yet), in the order they came.
    pub(crate) fn learn(tags: &[String], rows: &[Vec<f64>], s: &Settings) -> Result<Fit, String> {
        // Tags present in at least 9 of 10 rows, then the rows complete in them.
        let mut cols: Vec<usize> = (0..tags.len())
            .filter(|&j| {
                let have = rows
                    .iter()
                    .filter(|r| r.get(j).is_some_and(|v| v.is_finite()))
                    .count();
                have * 10 >= rows.len() * 9
            })
            .collect();
        let ok: Vec<bool> = rows
            .iter()
            .map(|r| {
                cols.iter()
                    .all(|&j| r.get(j).is_some_and(|v| v.is_finite()))
            })
            .collect();
        let complete: Vec<&Vec<f64>> = rows
            .iter()
            .zip(&ok)
            .filter(|(_, o)| **o)
            .map(|(r, _)| r)
            .collect();
        let n = complete.len();
        if n < 2 {
            return Err("no complete rows".into());
        }
        let level = |j: usize| mean_sd(complete.iter().map(|r| r[j]));
        // Constant over the training period: nothing to learn from.
        cols.retain(|&j| {
            let (mean, sd) = level(j);
            sd > 1e-9 * mean.abs().max(1e-12)
        });
        // Wandering tags are judged by their change over `lag` rows.
        let change = if s.lag == 0 || cols.len() < 2 {
            vec![false; cols.len()]
        } else {
            wandering(rows, &ok, &cols)
        };
        let lag = if change.iter().any(|c| *c) { s.lag } else { 0 };
        let features: Vec<Vec<f64>> = (lag..rows.len())
            .filter(|&i| ok[i] && ok[i - lag])
            .map(|i| {
                cols.iter()
                    .zip(&change)
                    .map(|(&j, &c)| {
                        if c {
                            rows[i][j] - rows[i - lag][j]
                        } else {
                            rows[i][j]
                        }
                    })
                    .collect()
            })
            .collect();
        let n = features.len();
        let m = cols.len();
        if m < 2 {
            return Err(format!(
                "{m} tag(s) vary over the training period; 2 are needed"
            ));
        }
        if n < (3 * m).max(30) {
            return Err(format!("{n} training rows for {m} tags"));
        }
        let (mean, sd): (Vec<f64>, Vec<f64>) = (0..m)
            .map(|j| {
                let (mean, sd) = mean_sd(features.iter().map(|r| r[j]));
                // A change that is always the same (a steady ramp): its
                // level's spread stands in, so it is never divided by 0.
                (mean, if sd > 0.0 { sd } else { level(cols[j]).1 })
            })
            .unzip();
        let z = DMatrix::from_fn(n, m, |i, j| (features[i][j] - mean[j]) / sd[j]);
        let corr = (z.transpose() * &z) / (n - 1) as f64;
        let eig = SymmetricEigen::new(corr);
        let mut order: Vec<usize> = (0..m).collect();
        order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
        let total: f64 = eig.eigenvalues.iter().map(|v| v.max(0.0)).sum();
        let floor = 1e-12 * total.max(1e-300);
        let eigen: Vec<f64> = order
            .iter()
            .map(|&i| eig.eigenvalues[i].max(floor))
            .collect();
        let mut k = 0;
        let mut cum = 0.0;
        while k < m - 1 {
            cum += eigen[k];
            k += 1;
            if cum >= s.variance * total {
                break;
            }
        }
        let mut loadings = vec![0.0; m * k];
        for j in 0..m {
            for (a, &col) in order.iter().take(k).enumerate() {
                loadings[j * k + a] = eig.eigenvectors[(j, col)];
            }
        }
        let mut fit = Fit {
            tags: cols.iter().map(|&j| tags[j].clone()).collect(),
            mean,
            sd,
            eigen,
            loadings,
            k,
            t2_limit: f64::INFINITY,
            q_limit: f64::INFINITY,
            rows: n,
            change: if lag > 0 { change } else { Vec::new() },
            lag,
            t2_clear: None,
            q_clear: None,
        };
        // The limits: the p quantile of the smoothed training statistics.
        let mut smoother = Smoother::default();
        let (mut t2s, mut qs) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for (i, x) in features.iter().enumerate() {
            let st = fit.stats(x);
            let (t2, q) = smoother.push(st.t2, st.q, s.smooth);
            if i + 1 >= s.smooth.min(n) {
                t2s.push(t2);
                qs.push(q);
            }
        }
        // Never under the limits the theory gives for independent Gaussian
        // rows (F for T², Jackson–Mudholkar for Q): a bounded process (a
        // cycle) has a hard edge that a quantile of its training rows
        // sits on, and later cycles cross by the noise. The theory's level
        // is the one a single row passes so rarely that the median of
        // `smooth` rows passes at p.
        let single = median_level(s.p, s.smooth);
        fit.t2_limit = quantile(&mut t2s, s.p).max(t2_theory(k, n, single));
        fit.q_limit = quantile(&mut qs, s.p)
            .max(q_theory(&fit.eigen[k..], single))
            .max(1e-12 * m as f64);
        fit.t2_clear = Some(quantile(&mut t2s, s.clear_p).min(fit.t2_limit));
        fit.q_clear = Some(quantile(&mut qs, s.clear_p).min(fit.q_limit));
        Ok(fit)
    }

    /// The row the model judges from the raw values of its tags (in the
    /// fit's order) and those `lag` rows before, when any tag is judged
    /// by its change; false when a change needs a past row not there.
    pub(crate) fn features(&self, raw: &[f64], past: Option<&[f64]>, out: &mut Vec<f64>) -> bool {
        out.clear();
        if self.lag == 0 || self.change.is_empty() {
            out.extend_from_slice(raw);
            return true;
        }
        let Some(past) = past else { return false };
        out.extend(
            raw.iter()
                .zip(past)
                .zip(&self.change)
                .map(|((x, p), &c)| if c { x - p } else { *x }),
        );
        true
    }

    /// T², Q and the contributions of the row `x` (the fit's tags in order).
    pub(crate) fn stats(&self, x: &[f64]) -> Stats {
        let (m, k) = (self.tags.len(), self.k);
        let z: Vec<f64> = (0..m).map(|j| (x[j] - self.mean[j]) / self.sd[j]).collect();
        let mut t = vec![0.0; k];
        for (j, zj) in z.iter().enumerate() {
            for (a, ta) in t.iter_mut().enumerate() {
                *ta += zj * self.loadings[j * k + a];
            }
        }
        let t2: f64 = t.iter().zip(&self.eigen).map(|(ta, l)| ta * ta / l).sum();
        let mut t2_contrib = vec![0.0; m];
        let mut q_contrib = vec![0.0; m];
        for j in 0..m {
            let row = &self.loadings[j * k..(j + 1) * k];
            let back: f64 = row.iter().zip(&t).map(|(p, ta)| p * ta).sum();
            let e = z[j] - back;
            q_contrib[j] = e * e;
            t2_contrib[j] = z[j]
                * row
                    .iter()
                    .zip(&t)
                    .zip(&self.eigen)
                    .map(|((p, ta), l)| p * ta / l)
                    .sum::<f64>();
        }
        Stats {
            t2,
            q: q_contrib.iter().sum(),
            t2_contrib,
            q_contrib,
        }
    }
}

/// Hotelling's T² limit for a new row of `k` components from `n` training
/// rows: k (n − 1)(n + 1) / (n (n − k)) · F(p; k, n − k).
fn t2_theory(k: usize, n: usize, p: f64) -> f64 {
    let (kf, nf) = (k as f64, n as f64);
    if n <= k + 1 {
        return 0.0;
    }
    kf * (nf - 1.0) * (nf + 1.0) / (nf * (nf - kf)) * f_quantile(p, kf, nf - kf)
}

/// The Jackson–Mudholkar limit of Q from the left-out eigenvalues.
fn q_theory(rest: &[f64], p: f64) -> f64 {
    let th = |i: i32| rest.iter().map(|l| l.powi(i)).sum::<f64>();
    let (t1, t2, t3) = (th(1), th(2), th(3));
    if t1 <= 0.0 || t2 <= 0.0 {
        return 0.0;
    }
    let h0 = 1.0 - 2.0 * t1 * t3 / (3.0 * t2 * t2);
    let c = distrs::Normal::ppf(p, 0.0, 1.0);
    let base = 1.0 + c * h0 * (2.0 * t2).sqrt() / t1 + t2 * h0 * (h0 - 1.0) / (t1 * t1);
    if h0.abs() < 1e-9 || base <= 0.0 {
        return 0.0;
    }
    t1 * base.powf(1.0 / h0)
}

/// The p quantile of the F distribution with (d1, d2) degrees of freedom,
/// by bisection on its CDF (the regularised incomplete beta function).
fn f_quantile(p: f64, d1: f64, d2: f64) -> f64 {
    let cdf = |x: f64| inc_beta(d1 / 2.0, d2 / 2.0, d1 * x / (d1 * x + d2));
    let (mut lo, mut hi) = (0.0, 1.0);
    while cdf(hi) < p && hi < 1e12 {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-12 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// The regularised incomplete beta function I_x(a, b) (Lentz's continued
/// fraction, as in Numerical Recipes' betai).
fn inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front =
        libm::lgamma(a + b) - libm::lgamma(a) - libm::lgamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

/// The smallest magnitude a continued fraction's terms are let fall to.
const TINY: f64 = 1e-300;

/// One term `aa` of a continued fraction by Lentz's method: updates `c`
/// and `d` and returns the factor the fraction's value is multiplied by.
fn lentz_step(aa: f64, c: &mut f64, d: &mut f64) -> f64 {
    *d = 1.0 + aa * *d;
    if d.abs() < TINY {
        *d = TINY;
    }
    *c = 1.0 + aa / *c;
    if c.abs() < TINY {
        *c = TINY;
    }
    *d = 1.0 / *d;
    *d * *c
}

fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..500 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        h *= lentz_step(aa, &mut c, &mut d);
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        let del = lentz_step(aa, &mut c, &mut d);
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// The `p` quantile (nearest rank) of `v`; infinite when `v` is empty.
fn quantile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::INFINITY;
    }
    v.sort_by(f64::total_cmp);
    let i = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

/// Which of the tags `cols` wander on their own over the training rows:
/// the residual of each tag's least-squares fit on the others (standardised
/// levels; from the precision matrix Ω = R⁻¹ of their correlation R, the
/// residual of tag j is (Ω z)ⱼ / Ωⱼⱼ) has a von Neumann ratio (the mean
/// square of its successive differences over its variance) under
/// [`WANDER_RATIO`]. A tag that holds still, or that follows the others (a
/// shared load, a cycle), does not wander; one whose level drifts away on
/// its own (a slow temperature, a random walk) does.
fn wandering(rows: &[Vec<f64>], ok: &[bool], cols: &[usize]) -> Vec<bool> {
    let m = cols.len();
    let complete: Vec<usize> = (0..rows.len()).filter(|&i| ok[i]).collect();
    let n = complete.len();
    let stats: Vec<(f64, f64)> = cols
        .iter()
        .map(|&j| mean_sd(complete.iter().map(|&i| rows[i][j])))
        .collect();
    let z = |i: usize, a: usize| (rows[i][cols[a]] - stats[a].0) / stats[a].1;
    let zm = DMatrix::from_fn(n, m, |r, a| z(complete[r], a));
    let corr = (zm.transpose() * &zm) / (n.max(2) - 1) as f64;
    let eig = SymmetricEigen::new(corr);
    let top = eig.eigenvalues.iter().fold(0.0f64, |x, y| x.max(*y));
    // The pseudo-inverse: directions with no variance (a tag the sum of
    // others) left out.
    let inv = DMatrix::from_diagonal(
        &eig.eigenvalues
            .map(|l| if l > 1e-10 * top { 1.0 / l } else { 0.0 }),
    );
    let omega = &eig.eigenvectors * inv * eig.eigenvectors.transpose();
    let resid = |i: usize, a: usize| {
        let w = omega[(a, a)];
        if w <= 0.0 {
            return 0.0;
        }
        (0..m).map(|b| omega[(a, b)] * z(i, b)).sum::<f64>() / w
    };
    (0..m)
        .map(|a| {
            let e: Vec<(usize, f64)> = complete.iter().map(|&i| (i, resid(i, a))).collect();
            let (_, sd) = mean_sd(e.iter().map(|x| x.1));
            let (mut sum, mut pairs) = (0.0, 0usize);
            for w in e.windows(2) {
                if w[1].0 == w[0].0 + 1 {
                    sum += (w[1].1 - w[0].1).powi(2);
                    pairs += 1;
                }
            }
            sd > 1e-9 && pairs > 0 && sum / (pairs as f64) < WANDER_RATIO * sd * sd
        })
        .collect()
}

/// The mean and sample standard deviation of `v`.
fn mean_sd(v: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let (n, sum) = v.clone().fold((0usize, 0.0), |(n, s), x| (n + 1, s + x));
    if n < 2 {
        return (sum, 0.0);
    }
    let mean = sum / n as f64;
    let var = v.map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (mean, var.sqrt())
}

/// The level F a single row's statistic stays under such that the median
/// of `s` independent rows stays under it with probability `p`: the
/// median is under it when at least s/2 + 1 of the rows are (a binomial
/// tail, solved by bisection).
fn median_level(p: f64, s: usize) -> f64 {
    let s = s.max(1);
    let r = s / 2 + 1;
    if s == 1 {
        return p;
    }
    let ln_choose = |k: usize| {
        libm::lgamma(s as f64 + 1.0)
            - libm::lgamma(k as f64 + 1.0)
            - libm::lgamma((s - k) as f64 + 1.0)
    };
    let tail = |f: f64| -> f64 {
        (r..=s)
            .map(|k| (ln_choose(k) + k as f64 * f.ln() + (s - k) as f64 * (1.0 - f).ln()).exp())
            .sum()
    };
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if tail(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The running median of the last rows' T² and Q.
#[derive(Debug, Clone, Default)]
struct Smoother {
    t2: VecDeque<f64>,
    q: VecDeque<f64>,
    buf: Vec<f64>,
}

impl Smoother {
    fn push(&mut self, t2: f64, q: f64, n: usize) -> (f64, f64) {
        let n = n.max(1);
        for (d, v) in [(&mut self.t2, t2), (&mut self.q, q)] {
            d.push_back(v);
            while d.len() > n {
                d.pop_front();
            }
        }
        (
            median(&self.t2, &mut self.buf),
            median(&self.q, &mut self.buf),
        )
    }
}

fn median(d: &VecDeque<f64>, buf: &mut Vec<f64>) -> f64 {
    buf.clear();
    buf.extend(d.iter().copied());
    buf.sort_by(f64::total_cmp);
    let n = buf.len();
    if n % 2 == 1 {
        buf[n / 2]
    } else {
        (buf[n / 2 - 1] + buf[n / 2]) / 2.0
    }
}

/// A verdict on a closed row that changed the asset's alarm.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub ts: Millis,
    pub raised: bool,
    /// The tag the alarm is named by (its top contributor at the raise).
    pub tag: String,
    pub value: f64,
    pub limit: f64,
    /// `"contributors":[…],"t2":…,"q":…` and the limits, as JSON fields.
    pub detail: String,
}

#[derive(Debug, Clone, Default)]
struct Asset {
    tags: Vec<String>,
    latest: Vec<f64>,
    seen: Vec<Millis>,
    row_ts: Millis,
    pending: bool,
    start: Option<Millis>,
    training: Vec<Vec<f64>>,
    fit: Option<Fit>,
    /// For each fit tag, its index in `tags`.
    fit_cols: Vec<usize>,
    smoother: Smoother,
    /// The raw values (in the fit's order) of the last `lag` rows, for
    /// the tags judged by their change.
    past: VecDeque<Vec<f64>>,
    /// Whether the asset's alarm is on (raised, not yet cleared), and the
    /// contributors of its latest abnormal row.
    active: bool,
    contributors: Vec<String>,
    /// The name of the active alarm, and the contributors at its raise.
    raised_tag: String,
    raised_with: Vec<String>,
    /// The limit of the statistic farther past it (of the last abnormal row).
    limit: f64,
    /// Why the fit failed the last time it was tried.
    unfit: Option<String>,
}

impl Asset {
    fn tag_index(&mut self, tag: &str) -> usize {
        if let Some(i) = self.tags.iter().position(|t| t == tag) {
            return i;
        }
        self.tags.push(tag.to_string());
        self.latest.push(f64::NAN);
        self.seen.push(Millis::MIN);
        if let Some(f) = &self.fit {
            self.fit_cols = fit_cols(f, &self.tags);
        }
        self.tags.len() - 1
    }

    /// Whether every tag the row needs has a reading at the row's time.
    fn complete(&self) -> bool {
        match &self.fit {
            Some(_) => self.fit_cols.iter().all(|&c| self.seen[c] == self.row_ts),
            None => self.seen.iter().all(|&t| t == self.row_ts),
        }
    }
}

fn fit_cols(f: &Fit, tags: &[String]) -> Vec<usize> {
    f.tags
        .iter()
        .map(|t| tags.iter().position(|x| x == t).unwrap_or(usize::MAX))
        .collect()
}

/// The multivariate rule over every asset.
#[derive(Debug, Clone)]
pub(crate) struct Multi {
    pub settings: Settings,
    /// The rule's index in the rule set.
    pub rule: u32,
    assets: Vec<(String, Asset)>,
    index: HashMap<String, usize>,
    last: usize,
    stats_buf: Vec<f64>,
    feat_buf: Vec<f64>,
}

impl Multi {
    pub(crate) fn new(settings: Settings, rule: u32) -> Multi {
        Multi {
            settings,
            rule,
            assets: Vec::new(),
            index: HashMap::new(),
            last: 0,
            stats_buf: Vec::new(),
            feat_buf: Vec::new(),
        }
    }

    fn asset(&mut self, name: &str) -> usize {
        if self.assets.get(self.last).is_some_and(|(n, _)| n == name) {
            return self.last;
        }
        let i = match self.index.get(name) {
            Some(&i) => i,
            None => {
                self.assets.push((name.to_string(), Asset::default()));
                self.index.insert(name.to_string(), self.assets.len() - 1);
                self.assets.len() - 1
            }
        };
        self.last = i;
        i
    }

    /// Takes one good reading; returns the alarm changes of the rows it
    /// closed (at most two: the row before it, and its own if complete).
    pub(crate) fn observe(&mut self, asset: &str, tag: &str, ts: Millis, v: f64) -> Vec<Change> {
        let settings = self.settings;
        let ai = self.asset(asset);
        let a = &mut self.assets[ai].1;
        let mut changes = Vec::new();
        let j = a.tag_index(tag);
        if a.pending && ts > a.row_ts {
            close(
                a,
                &settings,
                (&mut self.stats_buf, &mut self.feat_buf),
                &mut changes,
            );
            a.pending = false;
        }
        a.start.get_or_insert(ts);
        a.latest[j] = v;
        a.seen[j] = a.seen[j].max(ts);
        if ts >= a.row_ts || !a.pending {
            a.row_ts = a.row_ts.max(ts);
            a.pending = true;
        }
        if a.pending && a.complete() {
            close(
                a,
                &settings,
                (&mut self.stats_buf, &mut self.feat_buf),
                &mut changes,
            );
            a.pending = false;
        }
        changes
    }

    /// Whether a reading of `asset`/`tag` carries the asset's verdict: the
    /// asset's latest row is abnormal and the tag is among its contributors.
    /// Returns the limit of the statistic passed.
    pub(crate) fn flagged(&self, asset: &str, tag: &str) -> Option<f64> {
        let a = &self.assets.get(*self.index.get(asset)?)?.1;
        (a.active && a.contributors.iter().any(|t| t == tag)).then_some(a.limit)
    }

    /// The JSON fields a flag of the asset carries: its contributors.
    pub(crate) fn flag_detail(&self, asset: &str) -> Option<String> {
        let a = &self.assets.get(*self.index.get(asset)?)?.1;
        Some(format!(
            "\"contributors\":{}",
            serde_json::to_string(&a.contributors).ok()?
        ))
    }

    /// Assets still training or whose model could not be fitted, with why.
    pub(crate) fn unfitted(&self) -> Vec<(String, String)> {
        self.assets
            .iter()
            .filter(|(_, a)| a.fit.is_none())
            .map(|(n, a)| {
                let why = a.unfit.clone().unwrap_or_else(|| {
                    format!("{} rows in its training period so far", a.training.len())
                });
                (n.clone(), why)
            })
            .collect()
    }

    /// The fitted models, by asset (for `--state`).
    pub(crate) fn fits(&self) -> Vec<(String, Fit, Option<Alarm>)> {
        self.assets
            .iter()
            .filter_map(|(n, a)| {
                let alarm = a.active.then(|| Alarm {
                    tag: a.raised_tag.clone(),
                    contributors: a.raised_with.clone(),
                    limit: a.limit,
                });
                a.fit.clone().map(|f| (n.clone(), f, alarm))
            })
            .collect()
    }

    /// Restores a fitted model (from `--state`), and its alarm if it was
    /// on: the asset skips training, and an alarm still on is not raised
    /// again.
    pub(crate) fn restore(&mut self, asset: &str, fit: Fit, alarm: Option<Alarm>) {
        let ai = self.asset(asset);
        let a = &mut self.assets[ai].1;
        for t in &fit.tags {
            a.tag_index(t);
        }
        a.fit_cols = fit_cols(&fit, &a.tags);
        a.fit = Some(fit);
        a.start = Some(Millis::MIN);
        if let Some(al) = alarm {
            a.active = true;
            a.raised_tag = al.tag;
            a.contributors = al.contributors.clone();
            a.raised_with = al.contributors;
            a.limit = al.limit;
        }
    }
}

/// Closes the asset's pending row: a training row, or a row judged.
fn close(
    a: &mut Asset,
    s: &Settings,
    (buf, feat): (&mut Vec<f64>, &mut Vec<f64>),
    changes: &mut Vec<Change>,
) {
    let ts = a.row_ts;
    if a.fit.is_none() {
        if a.latest.iter().all(|v| v.is_nan()) {
            return;
        }
        let start = a.start.unwrap_or(ts);
        if ts.saturating_sub(start) < s.train_ms {
            a.training.push(a.latest.clone());
            return;
        }
        match Fit::learn(&a.tags, &a.training, s) {
            Ok(f) => {
                a.fit_cols = fit_cols(&f, &a.tags);
                // The last training rows are the past of the first judged.
                a.past = a.training[a.training.len().saturating_sub(f.lag)..]
                    .iter()
                    .map(|r| a.fit_cols.iter().map(|&c| r[c]).collect())
                    .collect();
                a.fit = Some(f);
                a.training = Vec::new();
                a.unfit = None;
            }
            Err(e) => {
                // Not enough yet: this row trains too.
                a.unfit = Some(e);
                a.training.push(a.latest.clone());
                return;
            }
        }
    }
    let Some(f) = &a.fit else { return };
    buf.clear();
    buf.extend(a.fit_cols.iter().map(|&c| a.latest[c]));
    if buf.iter().any(|v| !v.is_finite()) {
        return;
    }
    let past =
        (f.lag > 0 && a.past.len() >= f.lag).then(|| a.past[a.past.len() - f.lag].as_slice());
    let judged = f.features(buf, past, feat);
    if f.lag > 0 {
        a.past.push_back(buf.clone());
        while a.past.len() > f.lag {
            a.past.pop_front();
        }
    }
    if !judged || feat.iter().any(|v| !v.is_finite()) {
        return;
    }
    let st = f.stats(feat);
    let (t2, q) = a.smoother.push(st.t2, st.q, s.smooth);
    let rt2 = if s.use_t2 { t2 / f.t2_limit } else { 0.0 };
    let rq = if s.use_q { q / f.q_limit } else { 0.0 };
    // Raised past a limit; once on, cleared only when both statistics are
    // back under their clear limits (a deadband against chattering).
    let abnormal = if a.active {
        (s.use_t2 && t2 > f.t2_clear.unwrap_or(f.t2_limit))
            || (s.use_q && q > f.q_clear.unwrap_or(f.q_limit))
    } else {
        rt2 > 1.0 || rq > 1.0
    };
    if abnormal {
        // The statistic farther past its limit names the tags.
        let (contrib, limit) = if rq >= rt2 {
            (&st.q_contrib, f.q_limit)
        } else {
            (&st.t2_contrib, f.t2_limit)
        };
        let total: f64 = contrib.iter().filter(|c| **c > 0.0).sum();
        let mut idx: Vec<usize> = (0..contrib.len()).collect();
        idx.sort_by(|&x, &y| contrib[y].total_cmp(&contrib[x]));
        a.contributors = idx
            .iter()
            .take(NAMED)
            .enumerate()
            .filter(|&(i, &j)| i == 0 || contrib[j] >= SHARE * total)
            .map(|(_, &j)| f.tags[j].clone())
            .collect();
        a.limit = limit;
    }
    if abnormal != a.active {
        a.active = abnormal;
        if abnormal {
            a.raised_tag = a.contributors.first().cloned().unwrap_or_default();
        }
        if abnormal {
            a.raised_with = a.contributors.clone();
        }
        let name_col = f.tags.iter().position(|t| *t == a.raised_tag).unwrap_or(0);
        // A clear names the tags its raise named.
        let contributors = serde_json::to_string(&a.raised_with).unwrap_or_default();
        changes.push(Change {
            ts,
            raised: abnormal,
            tag: a.raised_tag.clone(),
            value: buf[name_col],
            limit: a.limit,
            detail: format!(
                "\"contributors\":{contributors},\"t2\":{},\"t2_limit\":{},\"q\":{},\"q_limit\":{}",
                json_num(t2),
                json_num(f.t2_limit),
                json_num(q),
                json_num(f.q_limit)
            ),
        });
        if !abnormal {
            a.contributors.clear();
        }
    }
}

fn json_num(x: f64) -> String {
    if x.is_finite() {
        let r = (x * 1e4).round() / 1e4;
        format!("{r}")
    } else {
        "null".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            train_ms: 1000 * 1000,
            variance: 0.9,
            p: 0.999,
            smooth: 1,
            use_t2: true,
            use_q: true,
            lag: 0,
            clear_p: 0.999,
        }
    }

    /// Three tags driven by one load, plus noise.
    fn rows(n: usize, seed: u64) -> Vec<Vec<f64>> {
        let mut g = crate::detect::TestUniform(seed);
        let mut rnd = || g.next();
        (0..n)
            .map(|i| {
                let load = (i as f64 / 50.0).sin() * 10.0;
                vec![load + rnd(), 2.0 * load + rnd(), -load + 5.0 + rnd()]
            })
            .collect()
    }

    #[test]
    fn broken_correlation_passes_q_and_names_the_tag() {
        let tags: Vec<String> = ["a", "b", "c"].iter().map(|t| t.to_string()).collect();
        let fit = Fit::learn(&tags, &rows(2000, 7), &settings()).unwrap();
        assert_eq!(fit.k, 1, "one load explains the tags: {:?}", fit.eigen);
        // Each tag within its own range, but b no longer follows a.
        let st = fit.stats(&[5.0, -10.0, 0.0]);
        assert!(
            st.q > 10.0 * fit.q_limit,
            "Q {} limit {}",
            st.q,
            fit.q_limit
        );
        let top = (0..3)
            .max_by(|&x, &y| st.q_contrib[x].total_cmp(&st.q_contrib[y]))
            .unwrap();
        assert_eq!(fit.tags[top], "b");
        // A row that keeps the correlation is normal.
        let st = fit.stats(&[5.0, 10.0, 0.0]);
        assert!(st.q < fit.q_limit && st.t2 < fit.t2_limit, "{st:?}");
        // The contributions add up to the statistics.
        let st = fit.stats(&[3.0, -1.0, 4.0]);
        assert!((st.t2_contrib.iter().sum::<f64>() - st.t2).abs() < 1e-9 * st.t2.max(1.0));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]
        /// A change of units (a positive scale and an offset on any tag)
        /// changes neither statistic nor any contribution: the tags are
        /// standardised by their training mean and deviation. And the
        /// contributions add up to the statistics.
        #[test]
        fn units_do_not_matter(
            seed in 0u64..1000,
            scale in 0.001f64..1000.0,
            offset in -1e4f64..1e4,
            col in 0usize..3,
            row in proptest::collection::vec(-20.0f64..20.0, 3),
        ) {
            let tags: Vec<String> = ["a", "b", "c"].iter().map(|t| t.to_string()).collect();
            let data = rows(300, seed);
            let moved: Vec<Vec<f64>> = data
                .iter()
                .map(|r| {
                    let mut r = r.clone();
                    r[col] = r[col] * scale + offset;
                    r
                })
                .collect();
            let (f1, f2) = (
                Fit::learn(&tags, &data, &settings()).unwrap(),
                Fit::learn(&tags, &moved, &settings()).unwrap(),
            );
            proptest::prop_assert_eq!(f1.k, f2.k);
            let mut row2 = row.clone();
            row2[col] = row2[col] * scale + offset;
            let (s1, s2) = (f1.stats(&row), f2.stats(&row2));
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0);
            proptest::prop_assert!(close(s1.t2, s2.t2), "{} {}", s1.t2, s2.t2);
            proptest::prop_assert!(close(s1.q, s2.q), "{} {}", s1.q, s2.q);
            for j in 0..3 {
                proptest::prop_assert!(close(s1.q_contrib[j], s2.q_contrib[j]));
                proptest::prop_assert!(close(s1.t2_contrib[j], s2.t2_contrib[j]));
            }
            proptest::prop_assert!(close(s1.t2_contrib.iter().sum(), s1.t2));
            proptest::prop_assert!(close(s1.q_contrib.iter().sum(), s1.q));
            proptest::prop_assert!(close(f1.t2_limit, f2.t2_limit) && close(f1.q_limit, f2.q_limit));
        }
    }

    #[test]
    fn a_tag_wandering_on_its_own_is_judged_by_its_change() {
        // a, b, c follow one load; w walks on its own.
        let mut r = rows(1500, 5);
        let mut g = crate::detect::TestUniform(99);
        let mut walk = 0.0;
        for row in &mut r {
            walk += g.next();
            row.push(walk);
        }
        let tags: Vec<String> = ["a", "b", "c", "w"].iter().map(|t| t.to_string()).collect();
        let lagged = Settings {
            lag: 10,
            ..settings()
        };
        let fit = Fit::learn(&tags, &r, &lagged).unwrap();
        assert_eq!(fit.change, [false, false, false, true]);
        assert_eq!((fit.lag, fit.rows), (10, 1490));
        // w's change over 10 rows: standardised by the walk's steps.
        let step_sd = (10.0f64 / 12.0).sqrt();
        assert!((fit.sd[3] / step_sd - 1.0).abs() < 0.15, "{}", fit.sd[3]);
        let mut x = Vec::new();
        let (now, past) = ([1.0, 2.0, 3.0, 7.0], [0.0, 0.0, 0.0, 5.0]);
        assert!(fit.features(&now, Some(&past), &mut x));
        assert_eq!(x, [1.0, 2.0, 3.0, 2.0]);
        assert!(
            !fit.features(&now, None, &mut x),
            "a change needs its past row"
        );
        // Without a lag every tag is judged by its level.
        let fit = Fit::learn(&tags, &r, &settings()).unwrap();
        assert!(fit.change.is_empty() && fit.lag == 0);
        // Tags that only follow the load are never judged by their change.
        let fit = Fit::learn(&tags[..3], &rows(1500, 5), &lagged).unwrap();
        assert!(fit.change.is_empty() && fit.lag == 0, "{:?}", fit.change);
    }

    #[test]
    fn the_median_level_agrees_with_scipy() {
        // scipy.optimize.brentq on scipy.stats.binom.sf(r - 1, s, F) − p.
        for (s, want) in [
            (1, 0.999),
            (4, 0.986977052629186),
            (5, 0.9524481018245414),
            (9, 0.8974765521937459),
        ] {
            let got = median_level(0.999, s);
            assert!((got - want).abs() < 1e-9, "{s}: {got} not {want}");
        }
    }

    #[test]
    fn a_raised_alarm_clears_under_its_clear_limit_once() {
        let mut m = Multi::new(
            Settings {
                train_ms: 320_000,
                smooth: 5,
                clear_p: 0.9,
                ..settings()
            },
            0,
        );
        let mut changes = Vec::new();
        for (i, r) in rows(700, 11).iter().enumerate() {
            let mut r = r.clone();
            if (450..520).contains(&i) {
                r[1] = -r[1];
            }
            for (t, v) in ["a", "b", "c"].iter().zip(&r) {
                changes.extend(m.observe("X", t, i as i64 * 1000, *v));
            }
        }
        let (_, fit, _) = &m.fits()[0];
        assert!(fit.q_clear.unwrap() < fit.q_limit && fit.t2_clear.unwrap() < fit.t2_limit);
        let raised: Vec<i64> = changes.iter().filter(|c| c.raised).map(|c| c.ts).collect();
        let cleared: Vec<i64> = changes.iter().filter(|c| !c.raised).map(|c| c.ts).collect();
        assert_eq!(raised.len(), 1, "{raised:?} {cleared:?}");
        assert!((450_000..470_000).contains(&raised[0]), "{raised:?}");
        assert_eq!(cleared.len(), 1, "{cleared:?}");
        assert!(cleared[0] >= 520_000, "{cleared:?}");
    }

    #[test]
    fn the_f_quantile_agrees_with_scipy() {
        // scipy.stats.f.ppf
        for (p, d1, d2, want) in [
            (0.999, 1.0, 1199.0, 10.881156554449376),
            (0.999, 3.0, 397.0, 5.527616934286825),
            (0.99, 5.0, 40.0, 3.513839833137369),
        ] {
            let got = f_quantile(p, d1, d2);
            assert!(
                (got - want).abs() < 1e-6 * want,
                "F({p}; {d1}, {d2}) {got} not {want}"
            );
        }
    }

    #[test]
    fn constant_tags_are_left_out_and_too_few_rows_refused() {
        let tags: Vec<String> = ["a", "b", "c", "k"].iter().map(|t| t.to_string()).collect();
        let mut r = rows(500, 3);
        for row in &mut r {
            row.push(42.0);
        }
        let fit = Fit::learn(&tags, &r, &settings()).unwrap();
        assert_eq!(fit.tags, ["a", "b", "c"]);
        assert!(Fit::learn(&tags, &r[..5], &settings()).is_err());
    }

    #[test]
    fn rows_close_on_a_complete_timestamp() {
        let mut m = Multi::new(
            Settings {
                // A whole cycle of the load (2π × 50 rows).
                train_ms: 320_000,
                ..settings()
            },
            0,
        );
        let data = rows(600, 11);
        let mut raised = Vec::new();
        for (i, r) in data.iter().enumerate() {
            let ts = i as i64 * 1000;
            let mut r = r.clone();
            if i >= 450 {
                r[1] = -r[1];
            }
            for (t, v) in ["a", "b", "c"].iter().zip(&r) {
                raised.extend(m.observe("X", t, ts, *v));
            }
        }
        assert!(m.unfitted().is_empty());
        let first = raised.iter().find(|c| c.raised).expect("raised");
        assert!(first.ts >= 450_000, "raised at {}", first.ts);
        assert!(first.detail.contains("\"b\""), "{}", first.detail);
    }
}
