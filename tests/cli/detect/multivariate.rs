//! The multivariate rule (issue 20, "assets judged as a whole"): on a
//! simulated pump whose three tags follow one load, a fault that breaks
//! the correlation while every tag stays inside its own band is flagged by
//! the multivariate rule, with the faulted tag named, and by none of the
//! univariate built-in rules; a healthy run raises few; the learnt models
//! survive in --state.
//!
//! Debug-build time: about a second each (3,600 rows × 3 tags).

use std::fmt::Write as _;
use std::str::FromStr;

use serde_json::Value;

use super::hygiene::sh;
use crate::util::Workdir;

const START_MS: i64 = 1_767_225_600_000;
const ROWS: usize = 3600;
/// The fault: rows 2400..3000, where b mirrors the load instead of following it.
const FAULT: std::ops::Range<usize> = 2400..3000;

/// The pump's readings: a = 50 + load, b = 20 + load / 2, c = 80 − load,
/// the load a 10-minute sine, each tag with its own noise; with `fault`,
/// b = 20 − load / 2 over [`FAULT`] (inside b's own band all along, and
/// continuous where the fault begins and ends: the load is 0 there).
fn pump(fault: bool, seed: u64) -> String {
    let mut g = super::Uniform(seed);
    let mut noise = || g.next() + g.next() + g.next();
    let mut out = String::new();
    for i in 0..ROWS {
        let load = 10.0 * (std::f64::consts::TAU * i as f64 / 600.0).sin();
        let faulted = fault && FAULT.contains(&i);
        let b = if faulted {
            20.0 - load / 2.0
        } else {
            20.0 + load / 2.0
        };
        let ts = START_MS + i as i64 * 1000;
        for (tag, v) in [
            ("a", 50.0 + load + 0.3 * noise()),
            ("b", b + 0.15 * noise()),
            ("c", 80.0 - load + 0.3 * noise()),
        ] {
            let label = if faulted && tag == "b" {
                ",\"fault\":\"correlation\""
            } else {
                ""
            };
            writeln!(
                out,
                "{{\"ts\":{ts},\"asset\":\"PUMP-1\",\"tag\":\"{tag}\",\"value\":{v:.4}{label}}}"
            )
            .unwrap();
        }
    }
    out
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn row(r: &Value) -> usize {
    ((r["ts"].as_str().map_or(0, |t| {
        jiff::Timestamp::from_str(t)
            .map(|t| t.as_millisecond())
            .unwrap_or(0)
    }) - START_MS)
        / 1000) as usize
}

fn rules_of(r: &Value) -> Vec<(String, Value)> {
    r["anomalies"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| (f["rule"].as_str().unwrap_or("").to_string(), f.clone()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_broken_correlation_is_flagged_by_the_multivariate_rule_only_naming_the_tag() {
    let wd = Workdir::new("detect-multivariate-fault");
    wd.write("pump.ndjson", pump(true, 7));
    let out = sh(
        &wd,
        "iiot -q detect --multivariate --train 20m --only pump.ndjson",
    );
    let flagged = lines(&out);
    let mut mv_fault_b = 0;
    let mut mv_healthy = 0;
    for r in &flagged {
        let i = row(r);
        let in_fault = FAULT.contains(&i);
        for (rule, f) in rules_of(r) {
            if rule == "multivariate" {
                let names: Vec<&str> = f["contributors"]
                    .as_array()
                    .expect("contributors")
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                assert!(names.contains(&r["tag"].as_str().unwrap()), "{r}");
                if in_fault && r["tag"] == "b" {
                    mv_fault_b += 1;
                } else if !in_fault {
                    mv_healthy += 1;
                }
            } else {
                // No univariate rule flags the faulted readings.
                assert!(!(in_fault && r["tag"] == "b"), "{rule} flagged {r}");
            }
        }
    }
    // b is mirrored: the two agree where the load is near 0.
    assert!(
        mv_fault_b >= FAULT.len() / 2,
        "{mv_fault_b} of {} faulted readings of b flagged",
        FAULT.len()
    );
    assert!(mv_healthy <= 20, "{mv_healthy} healthy readings flagged");

    // The events: raised during the fault, named by b, with its contributors.
    let events = lines(&sh(
        &wd,
        "iiot -q detect --no-defaults --multivariate --train 20m --events pump.ndjson",
    ));
    let raised: Vec<&Value> = events.iter().filter(|e| e["event"] == "raised").collect();
    assert!(!raised.is_empty());
    for e in &raised {
        assert_eq!(e["rule"], "multivariate");
        assert_eq!(e["kind"], "multivariate");
        assert!(FAULT.contains(&row(e)), "raised outside the fault: {e}");
        assert_eq!(e["tag"], "b", "{e}");
        assert!(
            e["q"].as_f64().unwrap() > e["q_limit"].as_f64().unwrap(),
            "{e}"
        );
    }
    assert!(raised.len() <= 4, "{} raises for one fault", raised.len());
}

#[test]
fn a_healthy_pump_raises_few_and_the_model_is_kept_in_the_state() {
    let wd = Workdir::new("detect-multivariate-healthy");
    wd.write("healthy.ndjson", pump(false, 11));
    let events = lines(&sh(
        &wd,
        "iiot -q detect --no-defaults --multivariate --train 20m --events --state s.json healthy.ndjson",
    ));
    let raised = events.iter().filter(|e| e["event"] == "raised").count();
    assert!(raised <= 2, "{raised} raises on a healthy hour");
    let state: Value = serde_json::from_str(&wd.read("s.json")).unwrap();
    let fit = &state["multivariate"][0];
    assert_eq!(fit["asset"], "PUMP-1");
    assert_eq!(fit["k"], 1, "one load drives the three tags: {fit}");
    // Restored, the model judges from the first row: no training again.
    wd.write("fault.ndjson", pump(true, 12));
    let events = lines(&sh(
        &wd,
        "iiot -q detect --no-defaults --multivariate --train 20m --events --state s.json fault.ndjson",
    ));
    let first = events
        .iter()
        .find(|e| e["event"] == "raised")
        .expect("the fault raised");
    assert!(FAULT.contains(&row(first)), "{first}");
    // Stopped mid-fault (at a peak of the load, where b is farthest from
    // where it belongs) and restarted: the alarm still on is not raised
    // again; its first event is the clear.
    let text = pump(true, 13);
    let lines_all: Vec<&str> = text.lines().collect();
    let cut = 2550 * 3;
    wd.write("part1.ndjson", lines_all[..cut].join("\n") + "\n");
    wd.write("part2.ndjson", lines_all[cut..].join("\n") + "\n");
    let first = lines(&sh(
        &wd,
        "iiot -q detect --no-defaults --multivariate --train 20m --events --state s2.json part1.ndjson",
    ));
    assert_eq!(first.last().expect("events")["event"], "raised");
    let second = lines(&sh(
        &wd,
        "iiot -q detect --no-defaults --multivariate --train 20m --events --state s2.json part2.ndjson",
    ));
    let e = second.first().expect("the alarm cleared");
    assert_eq!(e["event"], "cleared", "{e}");
    assert!(row(e) > 2550, "{e}");
    // A state whose model is broken is refused, the problem named.
    let mut bad = state.clone();
    bad["multivariate"][0]["k"] = Value::from(9);
    wd.write("bad.json", bad.to_string());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_iiot"))
        .args([
            "detect",
            "--multivariate",
            "--state",
            "bad.json",
            "healthy.ndjson",
        ])
        .current_dir(&wd.dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("multivariate[0]"), "{err}");
}

/// The healthy pump with a fourth tag, w, that walks on its own (a slow
/// temperature: each second a step of ±0.05 at most): its level leaves the
/// range of any training period, its change over 10 s does not.
fn pump_with_walk(seed: u64) -> String {
    let mut g = super::Uniform(seed);
    let mut walk = 40.0;
    let base = pump(false, seed);
    let mut lines = base.lines();
    let mut out = String::new();
    for i in 0..ROWS {
        for line in lines.by_ref().take(3) {
            out.push_str(line);
            out.push('\n');
        }
        walk += 0.1 * g.next();
        let ts = START_MS + i as i64 * 1000;
        writeln!(
            out,
            "{{\"ts\":{ts},\"asset\":\"PUMP-1\",\"tag\":\"w\",\"value\":{walk:.4}}}"
        )
        .unwrap();
    }
    out
}

#[test]
fn a_tag_wandering_on_its_own_is_judged_by_its_change_not_its_level() {
    let wd = Workdir::new("detect-multivariate-walk");
    wd.write("walk.ndjson", pump_with_walk(21));
    let run = |extra: &str| {
        let events = lines(&sh(
            &wd,
            &format!(
                "iiot -q detect --no-defaults --multivariate --train 20m {extra} --events --state s{}.json walk.ndjson",
                extra.len()
            ),
        ));
        let raised = events.iter().filter(|e| e["event"] == "raised").count();
        let state: Value =
            serde_json::from_str(&wd.read(&format!("s{}.json", extra.len()))).unwrap();
        (raised, state["multivariate"][0].clone())
    };
    let (raised, fit) = run("");
    assert_eq!(
        fit["change"],
        serde_json::json!([false, false, false, true]),
        "{fit}"
    );
    assert_eq!(fit["lag"], 10);
    assert!(raised <= 2, "{raised} raises on a healthy hour");
    // Judged by its level, the walk raises the alarm again and again
    // (8 raises, 1725 readings flagged, against 1 raise and 9 readings).
    let (raised_level, fit) = run("--mv-lag 0");
    assert_eq!(fit["lag"], 0);
    let flagged = |extra: &str| {
        sh(
            &wd,
            &format!(
                "iiot -q detect --no-defaults --multivariate --train 20m {extra} --only walk.ndjson"
            ),
        )
        .lines()
        .count()
    };
    let (by_change, by_level) = (flagged(""), flagged("--mv-lag 0"));
    assert!(
        raised_level >= 4 && by_level > 10 * by_change.max(10),
        "by level {raised_level} raises and {by_level} readings flagged, by change {raised} and {by_change}"
    );
}
