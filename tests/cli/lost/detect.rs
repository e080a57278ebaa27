//! Regression tests: detect. A tampered `--state` file is refused, naming
//! the file and the field, instead of raising false alarms from garbage;
//! a rules CSV or shorthand that contradicts itself is refused with every
//! problem's line and column, instead of flagging everything or nothing.

use serde_json::{Value, json};

use crate::detect::{r, series};
use crate::util::{Workdir, fails_with, ok, parse_ndjson, text};

/// Three series at 1 Hz for `secs` seconds from `from`, quiet values.
fn readings(from: i64, secs: i64) -> String {
    let mut s = String::new();
    for t in from..from + secs {
        for (tag, base) in [("temp", 20.0), ("flow", 5.0), ("level", 60.0)] {
            s.push_str(&r(t, "T1", tag, base + (t % 3) as f64 * 0.1));
        }
    }
    s
}

/// Runs `detect --events --state s.json` on `input`.
fn run_state(wd: &Workdir, input: &str) -> (std::process::Command, std::process::Output) {
    let mut cmd = wd.cmd("detect");
    cmd.args(["--events", "--state", "s.json"]);
    let out = wd.run_with_stdin(&mut cmd, input);
    (cmd, out)
}

/// The JSON pointer of the first rule memory of `kind` in a saved state.
fn memory_of(state: &Value, kind: &str) -> String {
    for (i, s) in state["series"]
        .as_array()
        .expect("series")
        .iter()
        .enumerate()
    {
        for (j, rule) in s["rules"].as_array().expect("rules").iter().enumerate() {
            if rule["memory"]["kind"] == kind {
                return format!("/series/{i}/rules/{j}/memory");
            }
        }
    }
    panic!("no {kind} memory in {state}");
}

#[test]
fn detect_state_tampered_field_refused_naming_file_and_field() {
    let wd = Workdir::new("lost-detect-state-tamper");
    let (cmd, out) = run_state(&wd, &readings(0, 30));
    ok(&cmd, &out);
    let good = wd.read("s.json");
    let state: Value = serde_json::from_str(&good).expect("the state is JSON");
    let gap = memory_of(&state, "gap");
    let gi = gap.split('/').nth(2).expect("series index").to_string();
    // "/series/0/rules/1/memory" as the message writes it.
    let gap_path = gap
        .trim_start_matches('/')
        .replace("/rules/", "].rules[")
        .replace("/memory", "].memory")
        .replace("series/", "series[");
    // (pointer, tampered value, the field the message must name)
    let cases: Vec<(String, Value, String)> = vec![
        (
            format!("{gap}/interval_ms"),
            json!(-1000.0),
            format!("{gap_path}.interval_ms: -1000 is negative"),
        ),
        // serde_json writes a NaN as null.
        (
            format!("{gap}/interval_ms"),
            json!(f64::NAN),
            "memory.interval_ms".into(),
        ),
        (
            format!("{gap}/interval_ms"),
            json!(1e300),
            "memory.interval_ms".into(),
        ),
        (
            format!("/series/{gi}/last_ts"),
            json!(253_402_207_201_000_i64),
            format!("series[{gi}].last_ts"),
        ),
        (
            "/clock".into(),
            json!(-62_135_596_800_001_i64),
            "clock".into(),
        ),
        (
            format!("{gap}/deadline"),
            json!(0),
            "memory.deadline".into(),
        ),
        (
            format!("{}/values/0", memory_of(&state, "zscore")),
            json!("NaN"),
            "memory.values".into(),
        ),
    ];
    for (pointer, value, field) in cases {
        let mut bad = state.clone();
        *bad.pointer_mut(&pointer).expect("the tampered field") = value.clone();
        wd.write("s.json", bad.to_string());
        let (cmd, out) = run_state(&wd, &readings(30, 20));
        let err = fails_with(1, &cmd, &out);
        assert!(
            err.contains("s.json:") && err.contains(&field) && err.contains("not loaded"),
            "{pointer} = {value}: the message names the file and {field}:\n{err}"
        );
        assert!(
            out.stdout.is_empty(),
            "{pointer} = {value}: nothing runs on a bad state"
        );
    }
    // The negative interval named exactly, and every series' problem listed.
    let mut bad = state.clone();
    for s in bad["series"].as_array_mut().unwrap() {
        for rule in s["rules"].as_array_mut().unwrap() {
            if rule["memory"]["kind"] == "gap" {
                rule["memory"]["interval_ms"] = json!(-1000.0);
            }
        }
    }
    wd.write("s.json", bad.to_string());
    let (cmd, out) = run_state(&wd, &readings(30, 20));
    let err = fails_with(1, &cmd, &out);
    assert!(err.contains("s.json: 3 problems"), "{err}");
    assert!(
        err.contains(&format!(
            "s.json: {gap_path}.interval_ms: -1000 is negative"
        )),
        "{err}"
    );
    // The untampered state still loads: the quiet series carry on quietly.
    wd.write("s.json", &good);
    let (cmd, out) = run_state(&wd, &readings(30, 20));
    assert_eq!(parse_ndjson(&ok(&cmd, &out)), Vec::<Value>::new());
    // So does the state of a run that read nothing (its clock never
    // started).
    std::fs::remove_file(wd.path("s.json")).unwrap();
    for _ in 0..2 {
        let (cmd, out) = run_state(&wd, "");
        ok(&cmd, &out);
    }
}

/// Runs `detect --rules rules.csv` on no input; returns stderr, asserting
/// exit 1.
fn bad_rules(wd: &Workdir, csv: &str) -> String {
    wd.write("rules.csv", csv);
    let mut cmd = wd.cmd("detect");
    cmd.args(["--rules", "rules.csv"]);
    let out = wd.run_with_stdin(&mut cmd, readings(0, 3));
    let err = fails_with(1, &cmd, &out);
    assert!(out.stdout.is_empty(), "nothing runs on bad rules");
    err
}

#[test]
fn detect_rules_contradictions_refused_with_line_and_column() {
    let wd = Workdir::new("lost-detect-rules-contradict");
    let cases = [
        (
            "name,kind,min,max\nr,range,10,5\n",
            "rules.csv: line 2, column max: max 5 is not above min 10",
        ),
        (
            "name,kind,min,max\nr,range,5,5\n",
            "rules.csv: line 2, column max: max 5 is not above min 5",
        ),
        (
            "name,kind,k,window,min_samples\nz,zscore,3,20,30\n",
            "rules.csv: line 2, column min_samples: min_samples 30 is more than window 20",
        ),
        (
            "name,kind,k,window\nz,zscore,3,-5\n",
            "rules.csv: line 2, column window: \"-5\" is not a whole number from 2",
        ),
        (
            "name,kind,k\nz,zscore,0\n",
            "rules.csv: line 2, column k: 0 is not above 0",
        ),
        (
            "name,kind,limit,deadband\nt,threshold,50,-1\n",
            "rules.csv: line 2, column deadband: -1 is negative",
        ),
        (
            "name,kind,limit,window\nt,threshold,50,20\n",
            "rules.csv: line 2, column window: a threshold rule does not use window",
        ),
        (
            "name,kind,k,max\nz,zscore,3,100\n",
            "rules.csv: line 2, column max: a zscore rule does not use max",
        ),
        (
            "name,kind,rate\nr,roc,0/s\n",
            "rules.csv: line 2, column rate:",
        ),
        (
            "name,kind,factor\ng,gap,1\n",
            "rules.csv: line 2, column factor:",
        ),
        (
            "name,kind,count\ns,stuck,1\n",
            "rules.csv: line 2, column count:",
        ),
        (
            "name,kind,k,k\nz,zscore,3,4\n",
            "rules.csv: line 1, column k: column appears twice",
        ),
        (
            "name,kind\nz,\n",
            "rules.csv: line 2, column kind: a rule needs a kind",
        ),
    ];
    for (csv, want) in cases {
        let err = bad_rules(&wd, csv);
        assert!(err.contains(want), "{csv}: wants {want:?}:\n{err}");
    }
}

#[test]
fn detect_rules_every_problem_listed_not_just_the_first() {
    let wd = Workdir::new("lost-detect-rules-all");
    let err = bad_rules(
        &wd,
        "name,kind,min,max,k,window,min_samples,limit\n\
         r,range,10,5,,,,\n\
         z,zscore,,,3,20,30,\n\
         z2,zscore,,,0,5,,7\n\
         t,threshold,,,,,,\n",
    );
    assert!(err.contains("rules.csv: 5 problems"), "{err}");
    for want in [
        "line 2, column max:",
        "line 3, column min_samples:",
        "line 4, column k:",
        "line 4, column limit:",
        "line 5, column limit: a threshold rule needs it",
    ] {
        assert!(err.contains(want), "wants {want:?}:\n{err}");
    }
}

/// A z-score rule whose window is smaller than the default min_samples
/// judges once its window is full, instead of never.
#[test]
fn detect_rules_small_zscore_window_judges() {
    let wd = Workdir::new("lost-detect-rules-small-window");
    wd.write("rules.csv", "name,tag,kind,k,window\nz,t,zscore,3,5\n");
    let pts: Vec<(i64, f64)> = (0..8)
        .map(|t| (t, 10.0 + (t % 2) as f64))
        .chain([(8, 30.0)])
        .collect();
    let mut cmd = wd.cmd("detect");
    cmd.args(["--rules", "rules.csv", "--only"]);
    let out = wd.run_with_stdin(&mut cmd, series("A", "t", &pts));
    let recs = parse_ndjson(&ok(&cmd, &out));
    assert_eq!(recs.len(), 1, "the jump to 30 is flagged");
    assert_eq!(recs[0]["value"], 30.0);
    assert_eq!(text(&recs[0]["anomalies"][0], "rule"), "z");
}

#[test]
fn detect_shorthand_contradictions_refused() {
    let wd = Workdir::new("lost-detect-shorthands");
    let cases: [(&[&str], &str); 3] = [
        (
            &["--zscore", "3", "--window", "5", "--min-samples", "6"],
            "--min-samples 6 is more than --window 5",
        ),
        (
            &["--roc", "5/s", "--window", "20"],
            "--window and --min-samples shape the z-score rule",
        ),
        (
            &["--zscore", "3", "--min-samples", "1"],
            "--min-samples must be at least 2",
        ),
    ];
    for (args, want) in cases {
        let mut cmd = wd.cmd("detect");
        cmd.args(args);
        let out = wd.run_with_stdin(&mut cmd, readings(0, 3));
        let err = fails_with(1, &cmd, &out);
        assert!(err.contains(want), "{args:?}: wants {want:?}:\n{err}");
    }
    // --window alone shapes the built-in z-score rule, and judges from
    // its fifth reading with min_samples left out.
    let pts: Vec<(i64, f64)> = (0..8)
        .map(|t| (t, 10.0 + (t % 2) as f64))
        .chain([(8, 30.0)])
        .collect();
    let mut cmd = wd.cmd("detect");
    cmd.args(["--window", "5", "--only"]);
    let out = wd.run_with_stdin(&mut cmd, series("A", "t", &pts));
    let recs = parse_ndjson(&ok(&cmd, &out));
    assert_eq!(recs.len(), 1, "the jump to 30 is flagged");
}
