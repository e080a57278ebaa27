//! Alarm hygiene and detection rates of the built-in set on the simulated
//! presets (issue 20): a healthy plant raises fewer than one alarm per
//! series per day with no floods and no chattering, the fermenter's spikes
//! and stuck runs are found with F1 ≥ 0.95, and the boiler's drifts are
//! found at the rate measured.
//!
//! Debug-build time: the runs are shorter than the day the figures are
//! quoted for, at the default 1 s interval (the z-score's and the CUSUM's
//! false alarms are a chance per reading, so the interval must stay the
//! one the rate is quoted at); the alarms counted after a 10-minute
//! warm-up (45 on the factory) are scaled by 86,400 / readings per series to a day. The shift
//! rule judges from 2 × 1800 readings on: it is exercised by the runs of
//! 2 h and more (all but the wellhead's 45 minutes).

use std::process::Command;

use crate::util::{Workdir, ok};

fn iiot() -> &'static str {
    env!("CARGO_BIN_EXE_iiot")
}

/// Runs a bash pipeline (pipefail: every stage's exit status counts) in
/// the work folder with iiot at its full path; returns stdout.
pub(super) fn sh(wd: &Workdir, line: &str) -> String {
    let mut cmd = Command::new("bash");
    cmd.arg("-o")
        .arg("pipefail")
        .arg("-c")
        .arg(line.replace("iiot ", &format!("{} ", iiot())))
        .current_dir(&wd.dir);
    let out = cmd.output().expect("running bash");
    ok(&cmd, &out)
}

/// A healthy run of a preset (`minutes` long, at 1 s) through the built-in
/// set and the preset's limits: alarms per series per day counted after
/// the warm-up and scaled to a day, and the alarm report on them.
fn healthy(preset: &str, seed: u32, minutes: u32, warm_up: u32) -> (f64, String) {
    let wd = Workdir::new(&format!("detect-hygiene-{preset}-{seed}"));
    let series = sh(
        &wd,
        &format!("iiot simulate --preset {preset} --count 1 | wc -l"),
    );
    let series: f64 = series.trim().parse().expect("a count of series");
    sh(
        &wd,
        &format!(
            "iiot simulate --preset {preset} --seed {seed} --duration {minutes}m \
             | iiot -q detect --preset {preset} --events > events.ndjson"
        ),
    );
    // The first minutes are the rules' warm-up (the z-score's spread is
    // seeded from its first 10 readings and learnt over the first 1000; on
    // the factory the spindles' over their first machine cycles): a day has
    // one, a short run scaled to a day would count it many times.
    let events = wd.read("events.ndjson");
    let raised = events
        .lines()
        .filter(|l| l.contains("\"raised\""))
        .filter(|l| {
            // 2026-01-01T00:00:00Z + warm_up minutes: compared as text.
            let after = format!(
                "\"ts\":\"2026-01-01T{:02}:{:02}:00Z\"",
                warm_up / 60,
                warm_up % 60
            );
            l.split("\"ts\":\"")
                .nth(1)
                .is_some_and(|t| format!("\"ts\":\"{t}") >= after)
        })
        .count() as f64;
    let report = sh(&wd, "iiot -q detect --alarm-report < events.ndjson");
    let readings = f64::from(minutes - warm_up) * 60.0;
    (raised / series * 86_400.0 / readings, report)
}

/// Each preset runs for 300,000 to 800,000 readings a seed (the minutes below),
/// so that one alarm is well under the 1-a-day budget.
fn assert_healthy(preset: &str, minutes: u32, warm_up: u32) {
    for seed in [1, 2] {
        let (per_day, report) = healthy(preset, seed, minutes, warm_up);
        assert!(
            per_day < 1.0,
            "{preset} seed {seed}: {per_day:.2} alarms per series per day on a healthy plant\n{report}"
        );
        // No alarm at all is no flood and no chattering; otherwise the
        // report says there are none.
        if !report.contains("no alarm events") {
            assert!(
                report.contains("floods (more than 10 alarms in 10 minutes): 0,"),
                "{preset} seed {seed}: a flood\n{report}"
            );
            assert!(
                report.contains("chattering alarms (3 or more raises within 60 s): 0"),
                "{preset} seed {seed}: chattering\n{report}"
            );
        }
    }
}

#[test]
fn detect_healthy_wellhead_raises_under_one_alarm_per_series_per_day() {
    assert_healthy("wellhead", 45, 10);
}

#[test]
fn detect_healthy_fermenter_raises_under_one_alarm_per_series_per_day() {
    assert_healthy("fermenter", 240, 10);
}

#[test]
fn detect_healthy_factory_raises_under_one_alarm_per_series_per_day() {
    assert_healthy("factory", 150, 45);
}

#[test]
fn detect_healthy_boiler_raises_under_one_alarm_per_series_per_day() {
    assert_healthy("boiler", 120, 10);
}

#[test]
fn detect_healthy_chemical_raises_under_one_alarm_per_series_per_day() {
    assert_healthy("chemical", 180, 10);
}

/// The score's figures for one fault kind: (episodes, F1, recall, median
/// delay in seconds).
fn score(wd: &Workdir, fault: &str) -> (u64, f64, f64, f64) {
    let s: serde_json::Value =
        serde_json::from_str(&wd.read("score.json")).expect("score.json is JSON");
    let f = &s["faults"][fault];
    (
        f["episodes"].as_u64().unwrap_or(0),
        f["f1"].as_f64().unwrap_or(0.0),
        f["recall"].as_f64().unwrap_or(0.0),
        f["delay_median_s"].as_f64().unwrap_or(f64::INFINITY),
    )
}

#[test]
fn detect_fermenter_spike_and_stuck_f1_at_least_0_95() {
    let wd = Workdir::new("detect-hygiene-ferm-f1");
    // 4 h of the fermenter at 1 s (the rates are per reading, as for the
    // day the target is quoted for).
    sh(
        &wd,
        "iiot simulate --preset fermenter --duration 4h --faults spike=0.002,stuck=0.0005 --label \
         | iiot -q detect --preset fermenter --score-json score.json > /dev/null",
    );
    for fault in ["spike", "stuck"] {
        let (episodes, f1, _, _) = score(&wd, fault);
        assert!(episodes > 100, "{fault}: only {episodes} episodes");
        assert!(f1 >= 0.95, "{fault}: F1 {f1:.3}");
    }
}

#[test]
fn detect_boiler_drift_recall_and_delay_hold_at_the_measured_level() {
    let wd = Workdir::new("detect-hygiene-boiler-drift");
    // 2 h of the boiler at its default 1 s (drifts last 300–3000 readings
    // whatever the interval, so the interval is not scaled). Measured on
    // this run: recall 0.194, median delay 412 s (the shift and relation
    // rules judge from their second hour on; 0.153 and 319 s before the
    // relation rule); on the 24 h run quoted in the README 0.38 and 249 s. The target (recall 0.9) is not reached: half of
    // the boiler's tags are walks that wander by as much as the drift
    // (see the README), and a rule that raised those drifts would raise
    // the healthy wander too.
    sh(
        &wd,
        "iiot simulate --preset boiler --duration 2h --faults drift=0.0002 --label \
         | iiot -q detect --preset boiler --score-json score.json > /dev/null",
    );
    let (episodes, _, recall, median) = score(&wd, "drift");
    assert!(episodes > 50, "only {episodes} drift episodes");
    assert!(recall >= 0.17, "drift recall {recall:.3}");
    assert!(median < 1800.0, "drift median delay {median:.0} s");
}

/// A deterministic standard normal stream (xorshift + Box–Muller).
fn gauss(seed: u64, n: usize) -> Vec<f64> {
    let mut s = seed;
    let mut u = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let (a, b) = (u(), u());
            (-2.0 * a.ln()).sqrt() * (2.0 * std::f64::consts::PI * b).cos()
        })
        .collect()
}

#[test]
fn detect_shift_raises_a_ramp_on_white_noise_and_nothing_before_it() {
    let wd = Workdir::new("detect-shift-ramp");
    wd.write("rules.csv", "kind,h,window\nshift,6,1800\n");
    for seed in [11u64, 12] {
        // 20,000 readings of white noise, then a drift to 6σ over 1650.
        let noise = gauss(seed, 23_000);
        let mut input = String::new();
        for (t, e) in noise.iter().enumerate() {
            let off = if t < 20_000 {
                0.0
            } else {
                (t - 20_000).min(1650) as f64 * 6.0 / 1650.0
            };
            input.push_str(&super::r(t as i64, "W", "x", 10.0 + e + off));
        }
        let recs = super::detect(&wd, &["--rules", "rules.csv"], &input);
        let flagged: Vec<usize> = recs
            .iter()
            .enumerate()
            .filter(|(_, x)| super::flagged(x).iter().any(|f| f == "shift"))
            .map(|(i, _)| i)
            .collect();
        let first = *flagged.first().expect("the drift is raised");
        assert!(
            (20_000..20_600).contains(&first),
            "seed {seed}: first flag at {first}"
        );
    }
}

/// A daily cycle 60σ high with a drift of 6σ over 1500 readings from
/// reading 20,000: at the drift's start the cycle rises at its steepest,
/// 0.0044σ a reading, as steeply as the drift itself (0.004σ a reading).
fn cycle_with_drift(seed: u64) -> Vec<String> {
    gauss(seed, 22_000)
        .iter()
        .enumerate()
        .map(|(t, e)| {
            let phase = (t as f64 - 20_000.0) / 86_400.0;
            let cycle = 60.0 * (std::f64::consts::TAU * phase).sin();
            let off = if t < 20_000 {
                0.0
            } else {
                (t - 20_000).min(1500) as f64 * 6.0 / 1500.0
            };
            super::r(t as i64, "C", "x", 50.0 + cycle + e + off)
        })
        .collect()
}

/// Indices of the records the shift rule flagged.
fn shift_flags(recs: &[serde_json::Value]) -> Vec<usize> {
    recs.iter()
        .enumerate()
        .filter(|(_, x)| super::flagged(x).iter().any(|f| f == "shift"))
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn detect_shift_raises_a_drift_on_a_cycling_series_and_not_the_cycle() {
    let wd = Workdir::new("detect-shift-cycle");
    // A fast-minus-slow average alone could not tell the drift from the
    // cycle. The built-in set (its shift rule: Brown's slow model over
    // 1800, h 5) is quiet over the 20,000 readings of the cycle before and
    // raises the drift before it ends (measured: 230 to 290 readings in).
    // Each seed takes well under a second.
    for seed in [21u64, 22] {
        let recs = super::detect(&wd, &[], &cycle_with_drift(seed).concat());
        let flagged = shift_flags(&recs);
        let first = *flagged.first().expect("the drift is raised");
        assert!(
            (20_000..21_000).contains(&first),
            "seed {seed}: first shift flag at {first}"
        );
    }
}

#[test]
fn detect_shift_state_keeps_the_slow_model_and_its_snapshots() {
    let wd = Workdir::new("detect-shift-state");
    let lines = cycle_with_drift(23);
    let whole = shift_flags(&super::detect(&wd, &[], &lines.concat()));
    assert!(!whole.is_empty(), "the drift is raised");
    // Stopped at 19,000 and restarted from the state file: the slow
    // model's slope, its snapshots and its spread come back, and the drift
    // is flagged at the same readings as in one run.
    let state = wd.path("s.json");
    let st = state.to_str().unwrap();
    super::detect(&wd, &["--state", st], &lines[..19_000].concat());
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    let rules = saved["series"][0]["rules"].as_array().unwrap();
    let mem = rules
        .iter()
        .map(|r| &r["memory"])
        .find(|m| m["kind"] == "shift")
        .expect("the shift rule's memory is saved");
    assert_eq!(mem["taken"], 2, "{mem}");
    assert_ne!(mem["slow"], mem["slow2"], "{mem}");
    let rest = shift_flags(&super::detect(
        &wd,
        &["--state", st],
        &lines[19_000..].concat(),
    ));
    let rest: Vec<usize> = rest.iter().map(|i| i + 19_000).collect();
    assert_eq!(rest, whole);
}
