//! Rules that adapt to the series they watch (issue 20): the fermenter's
//! HH from the first reading, a gap rule that learns irregular sampling, a
//! stuck rule that learns a quantised series' repeats, and the CUSUM
//! change rule against independent counts.

use super::{detect, events, flagged, r, series};
use crate::util::Workdir;

/// A deterministic standard normal deviate stream (xorshift + Box–Muller),
/// independent of the simulator's generator.
struct Gauss(u64);

impl Gauss {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

#[test]
fn detect_fermenter_hh_flags_every_reading_above_45_from_the_first() {
    let wd = Workdir::new("detect-ferm-hh");
    // 20 normal readings, 50 at 46 °C, then back to normal.
    let mut pts: Vec<(i64, f64)> = (0..20).map(|t| (t, 37.5)).collect();
    pts.extend((20..70).map(|t| (t, 46.0)));
    pts.extend((70..80).map(|t| (t, 37.5)));
    let input = series("FERM-1", "fermenter_temp", &pts);
    let recs = detect(&wd, &["--preset", "fermenter", "--no-defaults"], &input);
    let hh: Vec<bool> = recs
        .iter()
        .map(|x| flagged(x).iter().any(|f| f == "hi_hi"))
        .collect();
    let expected: Vec<bool> = pts.iter().map(|(_, v)| *v > 45.0).collect();
    assert_eq!(hh, expected, "HH on exactly the readings above 45 °C");
    assert_eq!(hh.iter().filter(|x| **x).count(), 50);
    // A single reading above is flagged too.
    let one = series(
        "FERM-2",
        "fermenter_temp",
        &[(0, 37.0), (1, 45.5), (2, 37.0)],
    );
    let recs = detect(&wd, &["--preset", "fermenter", "--no-defaults"], &one);
    assert!(flagged(&recs[1]).contains(&"hi_hi".to_string()));
}

#[test]
fn detect_gap_learns_report_by_exception_sampling() {
    let wd = Workdir::new("detect-gap-rbe");
    // A historian records by exception: intervals of 1 s to 40 s, drawn
    // independently; the usual (mean) interval is far below the longest.
    let mut g = Gauss(0x9e37_79b9_7f4a_7c15);
    let mut t = 0i64;
    let mut pts = Vec::new();
    let mut longest = 0;
    for _ in 0..400 {
        let dt = if g.uniform() < 0.8 {
            1
        } else {
            1 + (g.uniform() * 39.0) as i64
        };
        longest = longest.max(dt);
        t += dt;
        pts.push((t, 5.0 + g.normal()));
    }
    // Then a real outage: silent for 20 × the longest interval seen.
    t += 20 * longest;
    pts.push((t, 5.0));
    let input = series("H", "flow", &pts);
    let recs = detect(&wd, &["--no-defaults", "--gap", "3x"], &input);
    let gaps: Vec<usize> = recs
        .iter()
        .enumerate()
        .filter(|(_, x)| flagged(x).iter().any(|f| f == "gap"))
        .map(|(i, _)| i)
        .collect();
    // The intervals the series shows in its first 64 are learnt; only an
    // interval above 3 × the longest of those may be flagged, and the
    // outage must be.
    assert!(gaps.contains(&400), "the outage is flagged: {gaps:?}");
    let first64 = pts[..65].windows(2).map(|w| w[1].0 - w[0].0).max().unwrap();
    for &i in &gaps {
        if i == 400 || i < 65 {
            continue;
        }
        let dt = pts[i].0 - pts[i - 1].0;
        assert!(
            dt > 3 * first64,
            "reading {i}: {dt} s flagged, usual longest {first64} s"
        );
    }
    assert!(
        gaps.len() <= 4,
        "few gap flags on irregular sampling: {gaps:?}"
    );
}

#[test]
fn detect_stuck_learns_a_quantised_series_repeats() {
    let wd = Workdir::new("detect-stuck-quantised");
    // A sensor with resolution 1 and noise 0.3: about 9 readings in 10
    // repeat the one before, and runs of 20 or more are common.
    let mut g = Gauss(42);
    let mut pts = Vec::new();
    for t in 0..3000 {
        pts.push((t, (20.0 + 0.3 * g.normal()).round()));
    }
    let longest_natural = {
        let (mut best, mut run) = (1, 1);
        for w in pts.windows(2) {
            run = if w[1].1 == w[0].1 { run + 1 } else { 1 };
            best = best.max(run);
        }
        best
    };
    assert!(
        longest_natural >= 10,
        "the test series repeats: {longest_natural}"
    );
    // Then stuck for 2000 readings at 21.
    pts.extend((3000..5000).map(|t| (t, 21.0)));
    let input = series("Q", "temp", &pts);
    let recs = detect(&wd, &["--no-defaults", "--stuck", "10"], &input);
    let stuck: Vec<bool> = recs
        .iter()
        .map(|x| flagged(x).iter().any(|f| f == "stuck"))
        .collect();
    let early = stuck[200..3000].iter().filter(|x| **x).count();
    assert_eq!(
        early, 0,
        "no natural run flagged once the repeats are learnt"
    );
    assert!(
        stuck[4900..5000].iter().all(|x| *x),
        "the long flat run is raised"
    );
    // A fixed count of 10 flags the natural runs (what the rule learnt not to).
    let naive = pts[200..3000]
        .windows(10)
        .filter(|w| w.iter().all(|p| p.1 == w[0].1))
        .count();
    assert!(naive > 0);
}

#[test]
fn detect_cusum_finds_a_small_shift_white_noise_does_not_raise() {
    let wd = Workdir::new("detect-cusum");
    for seed in [7u64, 1234] {
        let mut g = Gauss(seed);
        // 20,000 readings of white noise: the documented rate at k 0.5,
        // h 12 is one false alarm per ~520,000 readings.
        let clean: Vec<(i64, f64)> = (0..20_000).map(|t| (t, 10.0 + g.normal())).collect();
        let input = series("W", "x", &clean);
        let evs = detect(&wd, &["--no-defaults", "--cusum", "12", "--events"], &input);
        let raised = events(&evs).iter().filter(|e| e.0 == "raised").count();
        assert_eq!(raised, 0, "seed {seed}: {evs:?}");
        // A shift of 1.5σ after 2000 readings: a 1σ-per-reading CUSUM at
        // k 0.5 needs about h / (1.5 − 0.5) = 12 readings.
        let mut shifted: Vec<(i64, f64)> = (0..2000).map(|t| (t, 10.0 + g.normal())).collect();
        shifted.extend((2000..2400).map(|t| (t, 11.5 + g.normal())));
        let input = series("W", "x", &shifted);
        let recs = detect(&wd, &["--no-defaults", "--cusum", "12"], &input);
        let first = recs
            .iter()
            .position(|x| flagged(x).iter().any(|f| f == "cusum"))
            .expect("the shift is raised");
        assert!(
            (2000..2060).contains(&first),
            "seed {seed}: raised at {first}"
        );
    }
}

#[test]
fn detect_cusum_state_survives_a_restart() {
    let wd = Workdir::new("detect-cusum-state");
    let mut g = Gauss(99);
    let a: String = (0..500)
        .map(|t| r(t, "S", "x", 3.0 + 0.1 * g.normal()))
        .collect();
    let state = wd.path("s.json");
    let st = state.to_str().unwrap();
    detect(&wd, &["--no-defaults", "--cusum", "12", "--state", st], &a);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    let mem = &saved["series"][0]["rules"][0]["memory"];
    assert_eq!(mem["kind"], "cusum");
    assert_eq!(mem["n"], 500);
    // Restored, the next shift is raised without a new warm-up.
    let b: String = (500..560).map(|t| r(t, "S", "x", 3.3)).collect();
    let recs = detect(&wd, &["--no-defaults", "--cusum", "12", "--state", st], &b);
    assert!(recs.iter().any(|x| flagged(x).iter().any(|f| f == "cusum")));
}
