//! Injected faults: their rates, their shapes and their labels.

use super::*;

/// Analog series of a run, with their model rows.
fn analog_series<'r>(run: &'r Run, model: &[Row]) -> Vec<(&'r Series, Row)> {
    let rows = by_series(model);
    run.series
        .iter()
        .filter_map(|s| {
            let row = rows[&(s.asset.clone(), s.tag.clone())];
            (row.kind == "analog").then(|| (s, row.clone()))
        })
        .collect()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

#[test]
fn simulate_spikes_come_at_the_rate_and_stand_out() {
    let rate = 0.01;
    let wd = Workdir::new("sim-spike");
    let model = preset_model(&wd, "fermenter");
    let run = simulate_run(
        &wd,
        "--preset fermenter --count 3600 --faults spike=0.01 --label",
    );
    let analog = analog_series(&run, &model);
    let readings: usize = analog.iter().map(|(s, _)| s.points.len()).sum();
    let spikes: usize = analog
        .iter()
        .map(|(s, _)| s.points.iter().filter(|p| p.is("spike")).count())
        .sum();
    // A spike is one reading and leaves nothing under way, so every analog
    // reading is a spike with probability `rate`.
    let share = spikes as f64 / readings as f64;
    assert!(
        (share - rate).abs() <= 0.3 * rate,
        "spike share {share} ({spikes} of {readings}) is not within 30% of {rate}"
    );

    // Spikes are 6-10 noise widths; the clean signal moves by noise only.
    let mut spike_dev = Vec::new();
    let (mut clean_big, mut clean_n) = (0, 0);
    for (s, row) in &analog {
        assert!(row.noise > 0.0, "fermenter tags have noise");
        for w in s.points.windows(3) {
            if w[0].fault.is_some() || w[2].fault.is_some() {
                continue;
            }
            let dev = (w[1].value - (w[0].value + w[2].value) / 2.0).abs() / row.noise;
            if w[1].is("spike") {
                spike_dev.push(dev);
            } else {
                clean_n += 1;
                if dev > 3.0 {
                    clean_big += 1;
                }
            }
        }
    }
    assert!(spike_dev.len() > 100, "{} spikes measured", spike_dev.len());
    let big = spike_dev.iter().filter(|d| **d > 3.0).count();
    assert!(
        big as f64 >= 0.95 * spike_dev.len() as f64,
        "only {big} of {} spikes stand 3 noise widths off their neighbours",
        spike_dev.len()
    );
    let m = median(spike_dev);
    assert!(m > 5.0, "median spike deviation {m} noise widths");
    assert!(
        (clean_big as f64) < 0.05 * clean_n as f64,
        "{clean_big} of {clean_n} clean readings stand 3 noise widths off"
    );
}

#[test]
fn simulate_stuck_episodes_start_at_the_rate_and_repeat_the_last_value() {
    let rate: f64 = 0.002;
    let wd = Workdir::new("sim-stuck");
    let model = preset_model(&wd, "fermenter");
    let run = simulate_run(
        &wd,
        "--preset fermenter --count 7200 --faults stuck=0.002 --label",
    );
    let analog = analog_series(&run, &model);
    let readings: usize = analog.iter().map(|(s, _)| s.points.len()).sum();
    let mut starts = 0;
    let mut stuck = 0;
    for (s, _) in &analog {
        for k in 0..s.points.len() {
            let p = &s.points[k];
            if !p.is("stuck") {
                continue;
            }
            stuck += 1;
            assert!(k > 0, "{}/{}: stuck on its first reading", s.asset, s.tag);
            let prev = &s.points[k - 1];
            assert_eq!(
                p.value.to_bits(),
                prev.value.to_bits(),
                "{}/{} at {}: stuck reading {} does not repeat {}",
                s.asset,
                s.tag,
                p.ms,
                p.value,
                prev.value
            );
            if !prev.is("stuck") {
                starts += 1;
            }
        }
    }
    // faults.rs: an episode lasts L readings, L uniform in 30..=300 (mean
    // 165), and none can begin while one is under way. A series alternates
    // free stretches (each reading starts one with probability r; 1/r
    // readings on average, the starting one included) with episodes, so a
    // cycle is 1/r - 1 + E[L] readings and holds one start. A start right
    // after an episode ends (chance r) joins it in the labels and is not
    // seen as a start.
    let mean_len = (30.0 + 300.0) / 2.0;
    let per_reading = (1.0 - rate) / (1.0 / rate - 1.0 + mean_len);
    let expected = per_reading * readings as f64;
    assert!(
        (starts as f64 - expected).abs() <= 0.35 * expected,
        "{starts} stuck episodes in {readings} readings, expected {expected:.0} (±35%)"
    );
    // And the share of time stuck is E[L] per cycle.
    let share = stuck as f64 / readings as f64;
    let expected_share = mean_len / (1.0 / rate - 1.0 + mean_len);
    assert!(
        (share - expected_share).abs() <= 0.35 * expected_share,
        "stuck share {share}, expected {expected_share}"
    );
}

#[test]
fn simulate_dropout_leaves_a_gap_and_labels_the_reading_after_it() {
    let rate: f64 = 0.002;
    // --count 3600 at the default interval of 1s.
    let interval = 1000;
    let wd = Workdir::new("sim-dropout");
    let model = preset_model(&wd, "fermenter");
    let ticks = 3600;
    let run = simulate_run(
        &wd,
        "--preset fermenter --count 3600 --faults dropout=0.002 --label",
    );
    let start = parse_ts("2026-01-01T00:00:00Z"); // the default --start
    let analog = analog_series(&run, &model);
    let mut gaps = 0;
    for (s, _) in &analog {
        let mut prev_ms = start - interval;
        for p in &s.points {
            let missing = (p.ms - prev_ms) / interval - 1;
            assert_eq!((p.ms - prev_ms) % interval, 0);
            if missing > 0 {
                assert!(
                    p.is("dropout"),
                    "{}/{}: {missing} readings missing before {} but it is not labelled dropout: {p:?}",
                    s.asset,
                    s.tag,
                    p.ms
                );
                assert!(
                    (10..=120).contains(&missing),
                    "{}/{}: a dropout of {missing} readings before {}",
                    s.asset,
                    s.tag,
                    p.ms
                );
                gaps += 1;
            } else {
                assert!(
                    !p.is("dropout"),
                    "{}/{} at {}: labelled dropout without a gap",
                    s.asset,
                    s.tag,
                    p.ms
                );
            }
            prev_ms = p.ms;
        }
    }
    // One gap per cycle of 1/r free readings plus L missing (mean 65) and
    // the labelled one after, the start being the first missing.
    let slots = (analog.len() * ticks) as f64;
    let expected = slots / (1.0 / rate + 65.0);
    assert!(
        (gaps as f64 - expected).abs() <= 0.35 * expected,
        "{gaps} dropouts, expected {expected:.0} (±35%)"
    );
}

// ---------------------------------------------------------------------------
// Scaling
// ---------------------------------------------------------------------------
