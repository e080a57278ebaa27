//! detect measured: the rolling z-score (window mean, learnt spread) against a two-pass calculation
//! done here, the score against simulate's labels (the F1 target),
//! and the alarm-health report on a hand-built event stream.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use super::flagged;
use crate::util::{Workdir, describe, ok, parse_ndjson, text};

fn iiot() -> &'static str {
    env!("CARGO_BIN_EXE_iiot")
}

/// Runs a shell pipeline in the work folder with iiot at its full path.
fn sh(wd: &Workdir, line: &str) -> String {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "set -e; {}",
            line.replace("iiot ", &format!("{} ", iiot()))
        ))
        .current_dir(&wd.dir);
    let out = cmd.output().expect("running sh");
    ok(&cmd, &out)
}

#[test]
fn detect_zscore_agrees_with_a_two_pass_calculation() {
    let wd = Workdir::new("detect-z2pass");
    let text_out = sh(
        &wd,
        "iiot simulate --preset fermenter --duration 2h --seed 7 --faults spike=0.002,drift=0.0002 \
         | iiot -q detect --zscore 3 --window 50 --min-samples 10",
    );
    let recs = parse_ndjson(&text_out);
    assert_eq!(recs.len(), 7200 * 28);
    // The documented rule: the mean of the window (two passes here), the
    // spread learnt from the residuals of the readings not flagged — seeded
    // at the first judgement by the window's sample variance × (1 + 1/n),
    // then a running mean of squared residuals up to 20 × 50 of them and an
    // exponential average over 1000 after; the band is the larger of that
    // and 3/4 of the window's own deviation.
    struct W {
        values: Vec<f64>,
        last_flagged: bool,
        var: f64,
        seen: u32,
    }
    let mut windows: HashMap<(String, String), W> = HashMap::new();
    let (mut flags, mut near) = (0, 0);
    for (i, rec) in recs.iter().enumerate() {
        let key = (text(rec, "asset").to_string(), text(rec, "tag").to_string());
        let w = windows.entry(key).or_insert(W {
            values: Vec::new(),
            last_flagged: false,
            var: 0.0,
            seen: 0,
        });
        let v = rec["value"].as_f64().unwrap();
        let mut expect = false;
        let mut margin = f64::INFINITY;
        let mut residual = None;
        if w.values.len() >= 10 {
            // Two passes: the mean, then the squared deviations from it.
            let n = w.values.len() as f64;
            let mean = w.values.iter().sum::<f64>() / n;
            let window_var = w
                .values
                .iter()
                .map(|x| (x - mean) * (x - mean))
                .sum::<f64>()
                / (n - 1.0);
            if w.seen == 0 {
                w.var = window_var * (1.0 + 1.0 / n);
                w.seen = w.values.len() as u32;
            }
            // The larger of the learnt spread and 3/4 of the window's deviation.
            let sd = w.var.sqrt().max(0.75 * window_var.sqrt());
            residual = Some(v - mean);
            if sd > 0.0 {
                expect = (v - mean).abs() > 3.0 * sd;
                margin = ((v - mean).abs() - 3.0 * sd).abs() / sd;
            }
        }
        let got = flagged(rec) == ["zscore"];
        if got != expect {
            assert!(
                margin < 1e-6,
                "reading {} disagrees (detect {got}, two-pass {expect}): {rec}",
                i + 1
            );
            near += 1;
        }
        flags += usize::from(expect);
        if let Some(r) = residual
            && !expect
        {
            w.seen += 1;
            w.var += (r * r - w.var) / f64::from(w.seen.min(1000));
        }
        // The documented window rule: a lone flagged value stays out.
        if !expect || w.last_flagged {
            w.values.push(v);
            if w.values.len() > 50 {
                w.values.remove(0);
            }
        }
        w.last_flagged = expect;
    }
    assert!(
        flags > 400,
        "only {flags} flags: the test would prove little"
    );
    assert!(near <= 2, "{near} readings sit on the limit");
}

#[test]
fn detect_score_default_rules_reach_f1_of_0_9_on_a_fermenter_day() {
    let wd = Workdir::new("detect-f1");
    let stderr_file = wd.path("score.txt");
    sh(
        &wd,
        &format!(
            "iiot simulate --preset fermenter --faults spike=0.002,stuck=0.0005 --label --duration 24h \
             | iiot detect --preset fermenter --score --score-json score.json > /dev/null 2> {}",
            stderr_file.display()
        ),
    );
    let table = wd.read("score.txt");
    let score: serde_json::Value =
        serde_json::from_str(&wd.read("score.json")).expect("score.json is JSON");
    for fault in ["spike", "stuck"] {
        let f = &score["faults"][fault];
        let f1 = f["f1"].as_f64().unwrap_or(0.0);
        assert!(f1 >= 0.9, "{fault}: F1 {f1}\n{table}");
        assert!(f["episodes"].as_u64().unwrap() > 500, "{table}");
    }
    assert!(table.contains("precision"), "{table}");
    assert!(score["rules"]["zscore (zscore)"]["fp"].is_u64());
}

#[test]
fn detect_score_counts_a_missed_episode_and_a_false_alarm() {
    let wd = Workdir::new("detect-score-small");
    // A stuck episode of 4 readings repeating the value before it (so
    // caught at its 2nd reading, the 3rd identical value), a spike no rule
    // sees, and a run of 5s the labels call normal.
    let mut input = String::new();
    let vals: [(f64, &str); 12] = [
        (2.0, ""),
        (2.0, "stuck"),
        (2.0, "stuck"),
        (2.0, "stuck"),
        (2.0, "stuck"),
        (3.0, ""),
        (9.0, "spike"),
        (4.0, ""),
        (5.0, ""),
        (5.0, ""),
        (5.0, ""),
        (6.0, ""),
    ];
    for (t, (v, f)) in vals.iter().enumerate() {
        let fault = if f.is_empty() {
            String::new()
        } else {
            format!(",\"fault\":\"{f}\"")
        };
        input.push_str(&format!(
            "{{\"ts\":{},\"asset\":\"A\",\"tag\":\"t\",\"value\":{v}{fault}}}\n",
            t * 1000
        ));
    }
    let mut cmd = wd.cmd("detect");
    cmd.args(["--stuck", "3", "--score-json", "s.json"]);
    let out = wd.run_with_stdin(&mut cmd, input);
    ok(&cmd, &out);
    let s: serde_json::Value = serde_json::from_str(&wd.read("s.json")).unwrap();
    let stuck = &s["faults"]["stuck"];
    assert_eq!(stuck["episodes"], 1);
    assert_eq!(stuck["tp"], 1);
    assert_eq!(stuck["fp"], 1, "5, 5, 5 is one false alarm");
    assert_eq!(stuck["precision"], 0.5);
    assert_eq!(
        stuck["delay_mean_s"], 1.0,
        "first labelled at 1 s, flagged at 2 s"
    );
    let spike = &s["faults"]["spike"];
    assert_eq!(
        (spike["tp"].as_u64(), spike["fn"].as_u64()),
        (Some(0), Some(1))
    );
    assert!(
        Path::new(&wd.path("s.json")).exists(),
        "{}",
        describe(&cmd, &out)
    );
}

#[test]
fn detect_alarm_report_finds_floods_chatter_stale_and_bad_actors() {
    let wd = Workdir::new("detect-report");
    let ev = |secs: i64, asset: &str, rule: &str, event: &str| {
        format!(
            "{{\"ts\":{},\"asset\":\"{asset}\",\"tag\":\"t\",\"value\":1,\"event\":\"{event}\",\"rule\":\"{rule}\",\"kind\":\"threshold\"}}\n",
            1_767_225_600_000 + secs * 1000
        )
    };
    let mut input = String::new();
    // Stale: raised at the start, never cleared.
    input.push_str(&ev(0, "OLD", "hi", "raised"));
    // A flood: 12 alarms in the first 10 minutes after 01:00.
    for i in 0..12 {
        input.push_str(&ev(3600 + i * 20, &format!("F{i}"), "hi", "raised"));
        input.push_str(&ev(3600 + i * 20 + 5, &format!("F{i}"), "hi", "cleared"));
    }
    // Chatter: 4 raises within 60 s at 05:00.
    for i in 0..4 {
        input.push_str(&ev(18000 + i * 15, "CH", "hi", "raised"));
        input.push_str(&ev(18000 + i * 15 + 5, "CH", "hi", "cleared"));
    }
    // The stream ends 25 hours in.
    input.push_str(&ev(90000, "LAST", "lo", "raised"));
    let mut cmd = wd.cmd("detect");
    cmd.arg("--alarm-report");
    let out = wd.run_with_stdin(&mut cmd, input);
    let report = ok(&cmd, &out);
    for want in [
        "raised 18, cleared 16, distinct alarms 15",
        "floods (more than 10 alarms in 10 minutes): 1,",
        "2026-01-01T01:00:00Z to 2026-01-01T01:10:00Z: 12 alarms",
        "chattering alarms (3 or more raises within 60 s): 1",
        "CH t hi: 4 raises, 2 within 60 s of the two before",
        "stale alarms (active 24 h or more): 1",
        "OLD t hi: active since 2026-01-01T00:00:00Z",
    ] {
        assert!(report.contains(want), "missing {want:?} in\n{report}");
    }
    let top = report.split("top bad actors:\n").nth(1).unwrap();
    assert!(top.lines().next().unwrap().contains("CH t hi"), "{report}");
}
