//! The models: a seasonal ETS for one short season ([`super::ets`]), MSTL
//! (one or several seasonal periods) with non-seasonal AutoETS on the
//! deseasonalised series, AutoETS alone, seasonal naive, and the fallbacks
//! for short or constant series. The fitting but for the seasonal ETS is
//! Grafana's augurs; this module chooses the model, turns its one interval level into
//! a standard deviation per step, and widens it to every level asked for.

use augurs_core::{Fit, Predict};
use augurs_ets::AutoETS;
use augurs_ets::trend::AutoETSTrendModel;
use augurs_mstl::MSTLModel;
use augurs_seasons::{Detector, PeriodogramDetector};

use super::ets;

/// Which model a forecast uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// With one season of at most 24 steps and three seasons of history a
    /// seasonal ETS; with longer or several seasons MSTL + AutoETS;
    /// AutoETS without a season; naive when even that cannot be fitted.
    Auto,
    /// As `Auto` but MSTL + AutoETS for short seasons too.
    Mstl,
    /// The value one season before (the baseline).
    SeasonalNaive,
}

/// Where seasonal periods come from, in steps of the series' interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seasons {
    /// Found in the history by a periodogram.
    Detect,
    /// Given (`--season 24h,7d`), already divided by the interval.
    Given(Vec<usize>),
}

/// What a forecast needs besides the history.
#[derive(Debug, Clone)]
pub struct Settings {
    pub horizon: usize,
    /// Interval levels in percent (80, 95).
    pub levels: Vec<f64>,
    pub seasons: Seasons,
    pub method: Method,
}

/// A forecast of `horizon` steps after the history's last.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    pub point: Vec<f64>,
    /// Per level (same order as [`Settings::levels`]): lower and upper bounds.
    pub bands: Vec<(Vec<f64>, Vec<f64>)>,
    /// The model that made it: `mstl(24)+ets`, `ets`, `snaive(24)`, `naive`, `constant`.
    pub model: String,
    /// Why a simpler model than asked for was used, if one was.
    pub fallback: Option<String>,
    /// The seasonal periods used (steps).
    pub periods: Vec<usize>,
}

/// Standard normal quantile for a two-sided interval of `level` percent.
pub fn z_of(level: f64) -> f64 {
    distrs::Normal::ppf(0.5 + level / 200.0, 0.0, 1.0)
}

/// The smallest history an ETS fit is tried on.
const MIN_ETS: usize = 8;

/// Seasonal periods of `y`: the given ones, or those a periodogram finds
/// (at most two, each seen at least twice in the history).
pub fn periods_of(y: &[f64], seasons: &Seasons) -> Vec<usize> {
    match seasons {
        Seasons::Given(p) => p.clone(),
        Seasons::Detect => {
            if y.len() < 16 {
                return Vec::new();
            }
            // A straight line taken out first, so a trend does not pass
            // for a long season.
            let n = y.len() as f64;
            let tm = (n - 1.0) / 2.0;
            let ym = y.iter().sum::<f64>() / n;
            let (mut sxy, mut sxx) = (0.0, 0.0);
            for (t, v) in y.iter().enumerate() {
                sxy += (t as f64 - tm) * (v - ym);
                sxx += (t as f64 - tm) * (t as f64 - tm);
            }
            let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
            let d: Vec<f64> = y
                .iter()
                .enumerate()
                .map(|(t, v)| v - ym - b * (t as f64 - tm))
                .collect();
            let det = PeriodogramDetector::builder().min_period(4).build();
            // Peaks come weakest first. A peak is kept when the series
            // repeats at that lag (autocorrelation at least 0.3); at most two, each
            // seen at least three times in the history.
            let var: f64 = d.iter().map(|v| v * v).sum();
            let acf = |lag: usize| -> f64 {
                if var <= 0.0 || lag >= d.len() {
                    return 0.0;
                }
                (lag..d.len()).map(|t| d[t] * d[t - lag]).sum::<f64>() / var
            };
            let mut p: Vec<usize> = Vec::new();
            for c in det.detect(&d).into_iter().rev().map(|p| p as usize) {
                // The periodogram's bins are coarse: the lag is refined
                // within 15 % of its period.
                let w = (c * 3 / 20).max(1);
                let best = (c.saturating_sub(w)..=c + w)
                    .filter(|&l| l >= 2 && 3 * l <= y.len())
                    .map(|l| (l, acf(l)))
                    .max_by(|a, b| a.1.total_cmp(&b.1));
                if let Some((l, r)) = best
                    && r >= 0.3
                    && !p.contains(&l)
                {
                    p.push(l);
                }
                if p.len() == 2 {
                    break;
                }
            }
            p.sort_unstable();
            p.dedup();
            p
        }
    }
}

/// Forecasts `settings.horizon` steps after `y`. Never fails: a model that
/// cannot be fitted falls back to a simpler one and says why.
pub fn forecast(y: &[f64], s: &Settings) -> Forecast {
    let h = s.horizon;
    let n = y.len();
    if n == 0 {
        return finish(
            vec![0.0; h],
            vec![0.0; h],
            "naive",
            Some("no history".into()),
            vec![],
            s,
        );
    }
    let (lo, hi) = y
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if hi - lo <= 1e-12 * hi.abs().max(lo.abs()).max(1.0) {
        return finish(vec![y[n - 1]; h], vec![0.0; h], "constant", None, vec![], s);
    }
    let all = periods_of(y, &s.seasons);
    let fits: Vec<usize> = all
        .iter()
        .copied()
        .filter(|&p| p >= 2 && n >= 2 * p)
        .collect();
    let mut fallback = None;
    if fits.len() < all.len() {
        let short: Vec<String> = all
            .iter()
            .filter(|p| !fits.contains(p))
            .map(|p| format!("{p} (needs {} points)", 2 * p))
            .collect();
        fallback = Some(format!(
            "{n} points: too little history for season {}; ",
            short.join(", ")
        ));
    }
    if s.method == Method::SeasonalNaive {
        let m = fits.first().copied().unwrap_or(1);
        let (p, sd) = seasonal_naive(y, m, h);
        let name = if m > 1 {
            format!("snaive({m})")
        } else {
            "naive".into()
        };
        return finish(p, sd, &name, fallback.map(|f| f + "naive"), vec![m], s);
    }
    // One season short enough for a seasonal ETS (as statsforecast's
    // AutoETS): that; longer or several seasons: MSTL + ETS.
    if s.method == Method::Auto
        && fits.len() == 1
        && fits[0] <= ets::MAX_SEASON
        && let Some(f) = seasonal_ets(y, fits[0], h, s)
    {
        return f;
    }
    if !fits.is_empty() {
        let model = MSTLModel::new(
            fits.clone(),
            AutoETSTrendModel::from(AutoETS::non_seasonal()),
        );
        if let Ok(fitted) = model.fit(y)
            && let Ok(f) = fitted.predict(h, Some(0.95))
            && let Some((p, sd)) = point_sd(f, 0.95)
        {
            let name = format!(
                "mstl({})+ets",
                fits.iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            );
            return finish(
                p,
                sd,
                &name,
                fallback.map(|f| f + "MSTL on the others"),
                fits,
                s,
            );
        }
        fallback = Some(fallback.unwrap_or_default() + "MSTL failed; ");
    }
    if n >= MIN_ETS {
        if let Ok(fitted) = AutoETS::non_seasonal().fit(y)
            && let Ok(f) = fitted.predict(h, Some(0.95))
            && let Some((p, sd)) = point_sd(f, 0.95)
        {
            return finish(
                p,
                sd,
                "ets",
                fallback.map(|f| f + "ETS without season"),
                vec![],
                s,
            );
        }
        fallback = Some(fallback.unwrap_or_default() + "ETS failed; ");
    } else {
        fallback = Some(format!(
            "{}{n} points: too few for ETS (needs {MIN_ETS}); ",
            fallback.unwrap_or_default()
        ));
    }
    let (p, sd) = seasonal_naive(y, 1, h);
    finish(
        p,
        sd,
        "naive",
        Some(fallback.unwrap_or_default() + "naive"),
        vec![],
        s,
    )
}

/// With a single season of `m` (at most [`ets::MAX_SEASON`]) and at
/// least three seasons of history: the seasonal ETS; `None` when it cannot
/// be fitted (MSTL + ETS is then tried).
fn seasonal_ets(y: &[f64], m: usize, h: usize, s: &Settings) -> Option<Forecast> {
    let e = ets::fit(y, m)?;
    let (p, sd) = e.forecast(h);
    p.iter()
        .chain(&sd)
        .all(|v| v.is_finite())
        .then(|| finish(p, sd, &e.name(), None, vec![m], s))
}

/// Point and per-step standard deviation from a forecast with intervals at
/// `level` (0–1); `None` when the model gave non-finite numbers.
fn point_sd(f: augurs_core::Forecast, level: f64) -> Option<(Vec<f64>, Vec<f64>)> {
    let iv = f.intervals?;
    let z = z_of(level * 100.0);
    let sd: Vec<f64> = f
        .point
        .iter()
        .zip(&iv.upper)
        .map(|(p, u)| ((u - p) / z).max(0.0))
        .collect();
    (f.point.iter().chain(&sd).all(|v| v.is_finite())).then_some((f.point, sd))
}

/// Seasonal naive forecast with period `m` (1: naive) and its standard
/// deviation: the in-sample residuals' scaled by the square root of the
/// seasons ahead.
pub fn seasonal_naive(y: &[f64], m: usize, h: usize) -> (Vec<f64>, Vec<f64>) {
    let n = y.len();
    let m = m.max(1).min(n.max(1));
    let point: Vec<f64> = (0..h).map(|i| y[n - m + i % m]).collect();
    let res: Vec<f64> = (m..n).map(|t| y[t] - y[t - m]).collect();
    let sigma = if res.len() > 1 {
        (res.iter().map(|r| r * r).sum::<f64>() / res.len() as f64).sqrt()
    } else {
        0.0
    };
    let sd = (0..h)
        .map(|i| sigma * ((i / m + 1) as f64).sqrt())
        .collect();
    (point, sd)
}

fn finish(
    point: Vec<f64>,
    sd: Vec<f64>,
    model: &str,
    fallback: Option<String>,
    periods: Vec<usize>,
    s: &Settings,
) -> Forecast {
    let bands = s
        .levels
        .iter()
        .map(|&l| {
            let z = z_of(l);
            let lo = point.iter().zip(&sd).map(|(p, d)| p - z * d).collect();
            let hi = point.iter().zip(&sd).map(|(p, d)| p + z * d).collect();
            (lo, hi)
        })
        .collect();
    Forecast {
        point,
        bands,
        model: model.to_string(),
        fallback,
        periods,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(seasons: Seasons) -> Settings {
        Settings {
            horizon: 24,
            levels: vec![80.0, 95.0],
            seasons,
            method: Method::Auto,
        }
    }

    #[test]
    fn constant_is_constant() {
        let f = forecast(&[5.0; 50], &settings(Seasons::Detect));
        assert_eq!(f.model, "constant");
        assert!(f.point.iter().all(|&v| v == 5.0));
    }

    #[test]
    fn short_history_falls_back_and_says_so() {
        let y: Vec<f64> = (0..30).map(|i| (i as f64).sin()).collect();
        let f = forecast(&y, &settings(Seasons::Given(vec![24])));
        assert_eq!(f.model, "ets");
        assert!(f.fallback.unwrap().contains("season 24"));
        let f = forecast(&y[..3], &settings(Seasons::Given(vec![24])));
        assert_eq!(f.model, "naive");
    }

    #[test]
    fn z_matches_the_table() {
        assert!((z_of(95.0) - 1.959964).abs() < 1e-4);
        assert!((z_of(80.0) - 1.281552).abs() < 1e-4);
    }

    use proptest::prelude::*;

    /// Small deterministic noise in [-a, a]: SplitMix64 seeded by the seed
    /// and the step, so it has no period a season could be fitted to (`i ^
    /// seed` alone repeats with the low bits of `i`).
    fn noise(i: usize, seed: u64, a: f64) -> f64 {
        use rand_core::{RngCore, SeedableRng};
        let mut g = rand_xoshiro::SplitMix64::seed_from_u64(
            seed.wrapping_add((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        );
        let x = g.next_u64() >> 11;
        (x as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * a
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]

        /// A pure sine with a little noise is forecast within the noise.
        #[test]
        fn sine_is_forecast_within_noise(
            amp in 1.0f64..50.0,
            level in -100.0f64..100.0,
            phase in 0.0f64..6.3,
            seed in any::<u64>(),
        ) {
            let period = 24usize;
            let eps = amp * 0.02;
            let f = |i: usize| level + amp * ((i as f64) * std::f64::consts::TAU / period as f64 + phase).sin();
            let y: Vec<f64> = (0..240).map(|i| f(i) + noise(i, seed, eps)).collect();
            for (seasons, method, name) in [
                (Seasons::Given(vec![24]), Method::Auto, "ets(A,"),
                (Seasons::Detect, Method::Auto, "ets(A,"),
                (Seasons::Given(vec![24]), Method::Mstl, "mstl(24"),
            ] {
                let fc = forecast(&y, &Settings { horizon: 48, levels: vec![80.0], seasons, method });
                prop_assert!(fc.model.starts_with(name), "{}", fc.model);
                for (h, p) in fc.point.iter().enumerate() {
                    prop_assert!((p - f(240 + h)).abs() < 4.0 * eps, "step {h}: {p} vs {}", f(240 + h));
                }
            }
        }

        /// A straight line with a little noise is carried on.
        #[test]
        fn linear_trend_is_extrapolated(
            a in -1000.0f64..1000.0,
            b in prop_oneof![-5.0f64..-0.1, 0.1f64..5.0],
            seed in any::<u64>(),
        ) {
            let eps = b.abs() * 0.1;
            let y: Vec<f64> = (0..200).map(|i| a + b * i as f64 + noise(i, seed, eps)).collect();
            let fc = forecast(&y, &Settings { horizon: 24, levels: vec![80.0], seasons: Seasons::Detect, method: Method::Auto });
            for (h, p) in fc.point.iter().enumerate() {
                let truth = a + b * (200 + h) as f64;
                // Within the noise plus a slope error of 3 % over the horizon.
                let tol = 3.0 * eps + 0.03 * b.abs() * (h + 1) as f64;
                prop_assert!((p - truth).abs() < tol, "{}: step {h}: {p} vs {truth}", fc.model);
            }
        }
    }
}
