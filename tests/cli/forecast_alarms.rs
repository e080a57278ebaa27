//! Predicted alarms (`forecast --until --events`) told apart from measured
//! ones: in `detect --alarm-report`, in `query --alarms --active` and in
//! `notify`'s notifications.

use serde_json::Value;

use crate::util::{Workdir, ok, parse_ndjson, text};

/// Three days of a fuel level falling 0.4 % an hour from 60 %, hourly.
fn falling_fuel() -> String {
    (0..72)
        .map(|i| {
            let v = 60.0 - 0.4 * i as f64 + 0.3 * ((i * 7919) % 11) as f64 / 11.0;
            format!(
                "{{\"ts\":\"2026-01-{:02}T{:02}:00:00Z\",\"asset\":\"SITE-1/BLR-1\",\"tag\":\"fuel_level\",\"value\":{v:.3},\"unit\":\"%\"}}\n",
                1 + i / 24,
                i % 24
            )
        })
        .collect()
}

/// A measured raise of rule `lo` on the fuel level at 2026-01-03T22:00Z
/// and the predicted crossing of `value < 25` a real forecast makes at the
/// end of the fuel level (2026-01-04T00:00Z, about 16 h ahead).
fn events(wd: &Workdir) -> (String, Value) {
    let mut cmd = wd.cmd("forecast");
    cmd.args([
        "-q",
        "--season",
        "none",
        "--horizon",
        "48",
        "--until",
        "value < 25",
        "--events",
    ]);
    let out = wd.run_with_stdin(&mut cmd, falling_fuel());
    let predicted = ok(&cmd, &out);
    let p = parse_ndjson(&predicted);
    assert_eq!(p.len(), 1, "{predicted}");
    assert_eq!(text(&p[0], "event"), "predicted");
    let at = text(&p[0], "at");
    assert!(
        ("2026-01-04T12".."2026-01-04T20").contains(&at),
        "crossing at {at}"
    );
    let measured = "{\"ts\":\"2026-01-03T22:00:00Z\",\"asset\":\"SITE-1/BLR-1\",\"tag\":\"fuel_level\",\"value\":32.1,\"unit\":\"%\",\"event\":\"raised\",\"rule\":\"lo\",\"kind\":\"threshold\",\"severity\":\"medium\",\"limit\":33}\n";
    (measured.to_string() + &predicted, p[0].clone())
}

#[test]
fn the_alarm_report_counts_predicted_alarms_apart() {
    let wd = Workdir::new("forecast-alarm-report");
    let (events, _) = events(&wd);
    let mut cmd = wd.cmd("detect");
    cmd.args(["-q", "--alarm-report"]);
    let out = wd.run_with_stdin(&mut cmd, events.clone());
    let report = ok(&cmd, &out);
    // The prediction is no raise: one raise, one distinct measured alarm.
    assert!(
        report.contains("raised 1, cleared 0, distinct alarms 1"),
        "{report}"
    );
    assert!(
        report.contains(
            "predicted alarms (forecast crossings, not counted above): 1 events, 1 alarms"
        ),
        "{report}"
    );
    assert!(
        report.contains(
            "  SITE-1/BLR-1 fuel_level value < 25: predicted 1 times, latest 2026-01-04T00:00:00Z"
        ),
        "{report}"
    );
    // Predictions alone: no measured alarm, the section still there.
    let only: String = events.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let out = wd.run_with_stdin(&mut cmd, only);
    let report = ok(&cmd, &out);
    assert!(
        report.starts_with("alarm report: no measured alarm events\n"),
        "{report}"
    );
    assert!(report.contains(": 1 events, 1 alarms"), "{report}");
}

#[test]
fn active_alarms_mark_the_predicted_one_until_its_crossing() {
    let wd = Workdir::new("forecast-alarm-active");
    let (events, p) = events(&wd);
    let mut store = wd.cmd("store");
    store.args(["-q", "plant.db"]);
    let out = wd.run_with_stdin(&mut store, events);
    ok(&store, &out);
    let active = |at: &str| -> Vec<Value> {
        let mut q = wd.cmd("query");
        q.args(["-q", "plant.db", "--active", "--at", at]);
        let out = wd.run(&mut q);
        parse_ndjson(&ok(&q, &out))
    };
    let now = active("2026-01-04T01:00:00Z");
    assert_eq!(now.len(), 2, "{now:?}");
    assert_eq!(text(&now[0], "state"), "unacked");
    assert_eq!(text(&now[0], "rule"), "lo");
    assert!(now[0].get("predicted").is_none(), "{}", now[0]);
    assert_eq!(text(&now[1], "state"), "predicted");
    assert_eq!(now[1]["predicted"], true);
    assert_eq!(text(&now[1], "rule"), "value < 25");
    assert_eq!(text(&now[1], "at"), text(&p, "at"));
    assert!(
        text(&now[1], "message").contains("below 25 in"),
        "{}",
        now[1]
    );
    // Before the forecast was made, and once its crossing is past, only
    // the measured alarm.
    for at in ["2026-01-03T23:00:00Z", "2026-01-05T00:00:00Z"] {
        let later = active(at);
        assert_eq!(later.len(), 1, "at {at}: {later:?}");
        assert_eq!(text(&later[0], "state"), "unacked");
    }
}

#[test]
fn notifications_say_predicted() {
    let wd = Workdir::new("forecast-alarm-notify");
    let (events, _) = events(&wd);
    let bodies = |input: String| -> Vec<Value> {
        let mut cmd = wd.cmd("notify");
        cmd.args(["-q", "--webhook", "http://127.0.0.1:9/h", "--dry-run"]);
        let out = wd.run_with_stdin(&mut cmd, input);
        parse_ndjson(&ok(&cmd, &out))
            .iter()
            .map(|r| serde_json::from_str(text(r, "body")).unwrap())
            .collect()
    };
    // The prediction alone: one notification, told as predicted, not firing.
    let only: String = events.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let n = bodies(only);
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!(text(&n[0], "status"), "predicted");
    assert_eq!(text(&n[0]["alarms"][0], "state"), "predicted");
    // With the measured alarm: the raise is told as raised and the
    // prediction as predicted, each once; the prediction is not repeated.
    let n = bodies(events);
    let states: Vec<(String, String)> = n
        .iter()
        .flat_map(|b| b["alarms"].as_array().unwrap().clone())
        .map(|a| (text(&a, "rule").to_string(), text(&a, "state").to_string()))
        .collect();
    assert!(
        states.contains(&("lo".into(), "raised".into())),
        "{states:?}"
    );
    assert_eq!(
        states.iter().filter(|(_, s)| s == "predicted").count(),
        1,
        "{states:?}"
    );
    assert!(
        states
            .iter()
            .all(|(r, s)| (r == "value < 25") == (s == "predicted")),
        "{states:?}"
    );
}
