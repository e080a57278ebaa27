//! `iiot detect`: each kind of rule on hand-built streams, the alarm
//! lifecycle, the state file, SIGHUP, the reports, and the z-score against
//! an independent calculation.

mod adaptive;
mod hygiene;
mod lifecycle;
mod measured;
mod multivariate;
mod relation;

use serde_json::Value;

use crate::util::{Workdir, fails_with, ok, parse_ndjson, text};

/// A deterministic uniform stream in [-0.5, 0.5) (a 64-bit LCG),
/// independent of the simulator's generator: the CLI tests' twin of the
/// unit tests' `detect::TestUniform`, which they cannot reach.
pub(crate) struct Uniform(pub u64);

impl Uniform {
    pub(crate) fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    }
}

/// A reading at `secs` seconds after 2026-01-01T00:00:00Z.
pub(crate) fn r(secs: i64, asset: &str, tag: &str, value: f64) -> String {
    format!(
        "{{\"ts\":{},\"asset\":\"{asset}\",\"tag\":\"{tag}\",\"value\":{value}}}\n",
        1_767_225_600_000 + secs * 1000
    )
}

/// One series' readings from (seconds, value) pairs.
pub(crate) fn series(asset: &str, tag: &str, points: &[(i64, f64)]) -> String {
    points.iter().map(|(s, v)| r(*s, asset, tag, *v)).collect()
}

/// Runs detect with `args` on `stdin`; returns the records written.
pub(crate) fn detect(wd: &Workdir, args: &[&str], stdin: &str) -> Vec<Value> {
    let mut cmd = wd.cmd("detect");
    cmd.args(args);
    let out = wd.run_with_stdin(&mut cmd, stdin);
    parse_ndjson(&ok(&cmd, &out))
}

/// (event, rule, value) of each event.
pub(crate) fn events(recs: &[Value]) -> Vec<(String, String, f64)> {
    recs.iter()
        .map(|e| {
            (
                text(e, "event").to_string(),
                text(e, "rule").to_string(),
                e["value"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// Rule names of a reading's anomalies.
pub(crate) fn flagged(rec: &Value) -> Vec<String> {
    rec["anomalies"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x["rule"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

const MODEL: &str = "asset,tag,unit,min,max,hi,hi_hi,deadband,delay\n\
                     R1,temp,degC,0,100,40,45,1,2s\n";

#[test]
fn detect_threshold_hh_raises_after_delay_and_clears_after_deadband() {
    let wd = Workdir::new("detect-hh");
    wd.write("m.csv", MODEL);
    let pts = [
        (0, 44.0),
        (1, 46.0), // beyond, on-delay starts
        (2, 46.0), // 1 s: not yet
        (3, 44.5), // back under: the delay starts over
        (4, 46.0),
        (5, 46.0),
        (6, 46.0), // held 2 s: raised
        (7, 44.5), // inside the deadband: still active
        (8, 45.5),
        (9, 44.1),  // 44.1 > 45 - 1: still active
        (10, 43.9), // cleared
        (11, 43.0),
    ];
    let input = series("R1", "temp", &pts);
    let recs = detect(&wd, &["--model", "m.csv", "--no-defaults"], &input);
    assert_eq!(recs.len(), pts.len(), "every reading passes");
    let hh: Vec<bool> = recs
        .iter()
        .map(|x| flagged(x).contains(&"hi_hi".to_string()))
        .collect();
    assert_eq!(
        hh,
        [
            false, false, false, false, false, false, true, true, true, true, false, false
        ]
    );
    let a = recs[6]["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["rule"] == "hi_hi")
        .unwrap();
    assert_eq!(a["kind"], "threshold");
    assert_eq!(a["severity"], "high");
    assert_eq!(a["limit"], 45.0);
    let evs = detect(
        &wd,
        &["--model", "m.csv", "--no-defaults", "--events"],
        &input,
    );
    let hh: Vec<_> = events(&evs)
        .into_iter()
        .filter(|e| e.1 == "hi_hi")
        .collect();
    assert_eq!(
        hh,
        [
            ("raised".into(), "hi_hi".into(), 46.0),
            ("cleared".into(), "hi_hi".into(), 43.9)
        ]
    );
    let raised = evs.iter().find(|e| e["rule"] == "hi_hi").unwrap();
    assert_eq!(text(raised, "ts"), "2026-01-01T00:00:06Z");
    assert_eq!(raised["limit"], 45.0);
    assert_eq!(raised["kind"], "threshold");
}

#[test]
fn detect_threshold_hovering_at_the_limit_does_not_chatter() {
    let wd = Workdir::new("detect-chatter");
    wd.write("m.csv", "asset,tag,hi_hi,deadband,delay\nR1,temp,45,1,0s\n");
    let pts: Vec<(i64, f64)> = (0..40)
        .map(|i| (i, if i % 2 == 0 { 45.2 } else { 44.6 }))
        .collect();
    let evs = detect(
        &wd,
        &["--model", "m.csv", "--no-defaults", "--events"],
        &series("R1", "temp", &pts),
    );
    assert_eq!(events(&evs), [("raised".into(), "hi_hi".into(), 45.2)]);
}

#[test]
fn detect_stuck_run_is_flagged_from_the_nth_identical_value() {
    let wd = Workdir::new("detect-stuck");
    let vals = [1.0, 2.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 4.0, 4.0];
    let pts: Vec<(i64, f64)> = vals
        .iter()
        .enumerate()
        .map(|(i, v)| (i as i64, *v))
        .collect();
    let input = series("A", "t", &pts);
    let recs = detect(&wd, &["--stuck", "4"], &input);
    let f: Vec<bool> = recs.iter().map(|x| !flagged(x).is_empty()).collect();
    assert_eq!(
        f,
        [
            false, false, false, false, false, true, true, true, false, false
        ]
    );
    assert_eq!(recs[5]["anomalies"][0]["limit"], 4.0);
    let evs = detect(&wd, &["--stuck", "4", "--events"], &input);
    assert_eq!(
        events(&evs),
        [
            ("raised".into(), "stuck".into(), 3.0),
            ("cleared".into(), "stuck".into(), 4.0)
        ]
    );
    let only = detect(&wd, &["--stuck", "4", "--only"], &input);
    assert_eq!(only.len(), 3);
}

#[test]
fn detect_gap_raised_by_the_stream_clock_for_a_silent_series() {
    let wd = Workdir::new("detect-gap");
    // A and B report every second; B goes quiet after t=4 and never comes
    // back while A goes on to t=20.
    let mut input = String::new();
    for t in 0..=20 {
        input.push_str(&r(t, "A", "x", 1.0 + (t % 3) as f64));
        if t <= 4 {
            input.push_str(&r(t, "B", "y", 5.0 + (t % 2) as f64));
        }
    }
    let evs = detect(&wd, &["--gap", "3x", "--events"], &input);
    assert_eq!(events(&evs), [("raised".into(), "gap".into(), 5.0)]);
    assert_eq!(text(&evs[0], "asset"), "B");
    assert_eq!(text(&evs[0], "ts"), "2026-01-01T00:00:07Z", "4 s + 3 × 1 s");
    assert_eq!(evs[0]["limit"], 3.0);
    assert_eq!(evs[0]["kind"], "gap");

    // B comes back at t=21: that reading is flagged and the alarm clears.
    input.push_str(&r(21, "B", "y", 6.0));
    let recs = detect(&wd, &["--gap", "3x"], &input);
    let back = recs.last().unwrap();
    assert_eq!(flagged(back), ["gap"]);
    let evs = detect(&wd, &["--gap", "3x", "--events"], &input);
    assert_eq!(
        events(&evs),
        [
            ("raised".into(), "gap".into(), 5.0),
            ("cleared".into(), "gap".into(), 6.0)
        ]
    );
}

#[test]
fn detect_out_of_range_is_bad_quality_and_judged_by_nothing_else() {
    let wd = Workdir::new("detect-range");
    wd.write("m.csv", MODEL);
    let input = series(
        "R1",
        "temp",
        &[(0, 30.0), (1, 120.0), (2, 120.0), (3, 120.0), (4, 30.0)],
    );
    let recs = detect(&wd, &["--model", "m.csv", "--no-defaults"], &input);
    assert_eq!(text(&recs[1], "quality"), "bad");
    assert_eq!(flagged(&recs[1]), ["range"]);
    assert_eq!(recs[1]["anomalies"][0]["limit"], 100.0);
    assert_eq!(
        recs[3]["anomalies"].as_array().unwrap().len(),
        1,
        "no hi_hi on a bad value"
    );
    assert_eq!(text(&recs[4], "quality"), "");
    assert!(flagged(&recs[4]).is_empty());
    let evs = detect(
        &wd,
        &["--model", "m.csv", "--no-defaults", "--events"],
        &input,
    );
    assert_eq!(
        events(&evs),
        [
            ("raised".into(), "range".into(), 120.0),
            ("cleared".into(), "range".into(), 30.0)
        ]
    );
}

#[test]
fn detect_rate_of_change_per_second() {
    let wd = Workdir::new("detect-roc");
    // 10 → 11 in 1 s (1/s), 11 → 21 in 2 s (5/s: not above), 21 → 40 in
    // 1 s (19/s), then 40 → 40.5 in 30 s.
    let input = series(
        "A",
        "t",
        &[(0, 10.0), (1, 11.0), (3, 21.0), (4, 40.0), (34, 40.5)],
    );
    let recs = detect(&wd, &["--roc", "5/s"], &input);
    let f: Vec<bool> = recs.iter().map(|x| !flagged(x).is_empty()).collect();
    assert_eq!(f, [false, false, false, true, false]);
    let recs = detect(&wd, &["--roc", "1200/min"], &input);
    assert!(
        recs.iter().all(|x| flagged(x).is_empty()),
        "20/s is above all"
    );
}

#[test]
fn detect_passes_events_through_and_merges_existing_anomalies() {
    let wd = Workdir::new("detect-pass");
    let ev = r#"{"ts":"2026-01-01T00:00:00Z","asset":"A","tag":"t","value":1,"event":"raised","rule":"x"}"#;
    let prior = r#"{"ts":"2026-01-01T00:00:09Z","asset":"A","tag":"t","value":3,"anomalies":[{"rule":"old"}],"note":"n"}"#;
    let mut input = format!("{ev}\n");
    input.push_str(&series("A", "t", &[(1, 3.0), (2, 3.0), (3, 3.0)]));
    input.push_str(prior);
    input.push('\n');
    let recs = detect(&wd, &["--stuck", "3", "--only"], &input);
    assert_eq!(recs.len(), 3, "the event, and two flagged readings");
    assert_eq!(text(&recs[0], "event"), "raised");
    assert_eq!(flagged(&recs[2]), ["old", "stuck"]);
    assert_eq!(text(&recs[2], "note"), "n");
}

#[test]
fn detect_err_bad_rule_row_names_line_and_column() {
    let wd = Workdir::new("detect-badrule");
    wd.write(
        "rules.csv",
        "name,asset,tag,kind,k,window\nz,*,*,zscore,3,50\nz2,FERM-*,*,zscore,three,50\n",
    );
    let mut cmd = wd.cmd("detect");
    cmd.args(["--rules", "rules.csv"]);
    let out = wd.run_with_stdin(&mut cmd, "");
    let err = fails_with(1, &cmd, &out);
    assert!(
        err.contains("rules.csv: line 3, column k: \"three\" is not a number"),
        "{err}"
    );
    wd.write("rules.csv", "kind,asset\nwobble,*\n");
    let out = wd.run_with_stdin(&mut cmd, "");
    let err = fails_with(1, &cmd, &out);
    assert!(err.contains("line 2, column kind"), "{err}");
    wd.write("rules.csv", "kind,colour\nstuck,red\n");
    let out = wd.run_with_stdin(&mut cmd, "");
    let err = fails_with(1, &cmd, &out);
    assert!(err.contains("line 1: unknown column \"colour\""), "{err}");
}

#[test]
fn detect_rules_file_globs_pick_series() {
    let wd = Workdir::new("detect-globs");
    wd.write(
        "rules.csv",
        "name,asset,tag,kind,limit,direction,severity\n\
         low_level,TANK-*,level,threshold,10,below,high\n",
    );
    let mut input = series("TANK-1", "level", &[(0, 12.0), (1, 8.0)]);
    input.push_str(&series("PUMP-1", "level", &[(0, 12.0), (1, 8.0)]));
    input.push_str(&series("TANK-2", "temp", &[(0, 12.0), (1, 8.0)]));
    let recs = detect(&wd, &["--rules", "rules.csv", "--only"], &input);
    assert_eq!(recs.len(), 1);
    assert_eq!(text(&recs[0], "asset"), "TANK-1");
    assert_eq!(recs[0]["anomalies"][0]["severity"], "high");
}

#[test]
fn detect_err_bad_lines_are_counted_with_line_numbers() {
    let wd = Workdir::new("detect-bad");
    let mut input = series("A", "t", &[(0, 1.0)]);
    input.push_str("{\"ts\":1,\"asset\":\"A\",\"tag\":\"t\",\"value\":null}\n");
    input.push_str(&series("A", "t", &[(2, 2.0)]));
    let mut cmd = wd.cmd("detect");
    let out = wd.run_with_stdin(&mut cmd, input.clone());
    let recs = parse_ndjson(&ok(&cmd, &out));
    assert_eq!(recs.len(), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stdin:2:") && err.contains("value"), "{err}");
    assert!(err.contains("read 3, wrote 2, rejected 1"), "{err}");
    let mut cmd = wd.cmd("detect");
    cmd.arg("--strict");
    let out = wd.run_with_stdin(&mut cmd, input);
    let err = fails_with(1, &cmd, &out);
    assert!(err.contains("stdin:2:"), "{err}");
}

#[test]
fn detect_closed_pipe_ends_quietly() {
    let wd = Workdir::new("detect-pipe");
    // head's status is the pipeline's: each iiot stage's is printed after
    // the line head lets through.
    let mut cmd = std::process::Command::new("bash");
    cmd.current_dir(&wd.dir).arg("-c").arg(format!(
        "'{0}' simulate --preset fermenter --count 20000 | '{0}' -q detect --preset fermenter | head -1; \
         echo \"status ${{PIPESTATUS[0]}} ${{PIPESTATUS[1]}}\"",
        env!("CARGO_BIN_EXE_iiot")
    ));
    let out = cmd.output().unwrap();
    let stdout = ok(&cmd, &out);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(
        lines[1], "status 0 0",
        "simulate and detect both end with 0"
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn detect_rules_csv_shown_in_the_readme_loads() {
    let wd = Workdir::new("detect-readme-rules");
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let start = readme
        .find("name,asset,tag,kind,severity")
        .expect("the README shows a rules CSV");
    let block: String = readme[start..]
        .lines()
        .take_while(|l| !l.trim().starts_with("```"))
        .map(|l| format!("{}\n", l.trim()))
        .collect();
    wd.write("rules.csv", &block);
    let input = series(
        "FERM-1",
        "fermenter_temp",
        &[(0, 46.0), (30, 46.0), (31, 40.0)],
    );
    let evs = detect(&wd, &["--rules", "rules.csv", "--events"], &input);
    assert_eq!(
        events(&evs),
        [
            ("raised".into(), "temp_hh".into(), 46.0),
            ("cleared".into(), "temp_hh".into(), 40.0)
        ]
    );
}

#[test]
fn detect_readings_not_of_good_quality_are_judged_by_gap_alone() {
    let wd = Workdir::new("detect-quality");
    let mut input = String::new();
    for t in 0..6 {
        input.push_str(&format!(
            "{{\"ts\":{},\"asset\":\"A\",\"tag\":\"t\",\"value\":7,\"quality\":\"uncertain\"}}\n",
            t * 1000
        ));
    }
    input
        .push_str("{\"ts\":20000,\"asset\":\"A\",\"tag\":\"t\",\"value\":7,\"quality\":\"bad\"}\n");
    let recs = detect(&wd, &["--stuck", "3", "--gap", "3x"], &input);
    let f: Vec<Vec<String>> = recs.iter().map(flagged).collect();
    assert!(f[..6].iter().all(Vec::is_empty), "{f:?}");
    assert_eq!(f[6], ["gap"]);
}
