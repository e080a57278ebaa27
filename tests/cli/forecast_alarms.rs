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

/// Six alarms over an hour from a fixed generator: raises and clears in
/// turn, and predictions with severities high and medium, some whose
/// crossing is past at the times asked, some at the same millisecond as a
/// raise of their alarm (the raise sorts first, so it does not end that
/// prediction); one alarm is only ever predicted, one never.
pub(crate) fn mixed_events() -> String {
    let keys = [
        ("P-1", "t1", "hi"),
        ("P-1", "t1", "lo"),
        ("P-1", "t2", "hi"),
        ("P-2", "t1", "hi"),
        ("P-3", "t1", "hi"),
        ("P-3", "t2", "lo"),
    ];
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        seed >> 33
    };
    let base = iiot::time::parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
    let time = |ms: i64| iiot::time::TsFormatter::format(ms);
    let mut out = String::new();
    for (k, (asset, tag, rule)) in keys.iter().enumerate() {
        let mut active = false;
        for m in 0..60i64 {
            let ts = base + m * 60_000 + k as i64 * 1_000;
            let sev = if next() % 3 == 0 { "high" } else { "medium" };
            let r = next() % 10;
            let line = |event: &str, extra: &str| {
                format!(
                    "{{\"ts\":\"{}\",\"asset\":\"{asset}\",\"tag\":\"{tag}\",\"value\":{}.5,\"unit\":\"bar\",\"event\":\"{event}\",\"rule\":\"{rule}\",\"kind\":\"{}\",\"severity\":\"{sev}\"{extra}}}\n",
                    time(ts),
                    m,
                    if event == "predicted" {
                        "forecast"
                    } else {
                        "threshold"
                    },
                )
            };
            let crossing = ts + (next() % 30) as i64 * 60_000;
            let predicted = line(
                "predicted",
                &format!(
                    ",\"at\":\"{}\",\"earliest\":\"{}\",\"message\":\"{asset} {tag} {rule} in {} min\"",
                    time(crossing),
                    time(crossing - 120_000),
                    (crossing - ts) / 60_000
                ),
            );
            let measured = k != 4;
            let predicts = k != 5;
            match r {
                0..=2 if predicts => out.push_str(&predicted),
                3..=5 if measured => {
                    out.push_str(&line(
                        if active { "cleared" } else { "raised" },
                        ",\"limit\":3",
                    ));
                    active = !active;
                }
                6 if measured && predicts && !active => {
                    out.push_str(&line("raised", ",\"limit\":3"));
                    out.push_str(&predicted);
                    active = true;
                }
                _ => {}
            }
        }
    }
    out
}

/// Per alarm at `at` by hand (with only the events of `severity`, when
/// given): its last prediction at or before `at`, unless a raise came
/// later by `at` (a raise at the same time comes first), and only while
/// its crossing is not past; as `--active` writes it, by asset, tag, rule.
fn predictions_by_hand(events: &[Value], at: i64, severity: Option<&str>) -> Vec<Value> {
    let ms = |v: &Value, f: &str| iiot::time::parse_rfc3339(text(v, f)).unwrap();
    let mut per: std::collections::BTreeMap<(String, String, String), Vec<&Value>> =
        Default::default();
    for e in events {
        if ms(e, "ts") <= at && severity.is_none_or(|s| text(e, "severity") == s) {
            let k = (text(e, "asset"), text(e, "tag"), text(e, "rule"));
            per.entry((k.0.into(), k.1.into(), k.2.into()))
                .or_default()
                .push(e);
        }
    }
    let mut out = Vec::new();
    for (_, mut evs) in per {
        let order = |e: &Value| match text(e, "event") {
            "raised" => 0,
            "cleared" => 1,
            "acked" => 2,
            _ => 3,
        };
        evs.sort_by_key(|e| (ms(e, "ts"), order(e)));
        let mut last = None;
        for e in evs {
            match text(e, "event") {
                "predicted" => last = Some(e),
                "raised" => last = None,
                _ => {}
            }
        }
        let Some(p) = last.filter(|p| ms(p, "at") >= at) else {
            continue;
        };
        let mut want = p.clone();
        let obj = want.as_object_mut().unwrap();
        obj.remove("event");
        obj.insert("state".into(), "predicted".into());
        obj.insert("predicted".into(), true.into());
        out.push(want);
    }
    out
}

#[test]
fn active_predictions_of_many_alarms_equal_a_hand_computation() {
    let wd = Workdir::new("forecast-alarm-many");
    let written = mixed_events();
    let events = parse_ndjson(&written);
    let mut store = wd.cmd("store");
    store.args(["-q", "plant.db"]);
    let out = wd.run_with_stdin(&mut store, written);
    ok(&store, &out);
    let active = |args: &[&str]| -> Vec<Value> {
        let mut q = wd.cmd("query");
        q.args(["-q", "plant.db", "--active"]).args(args);
        let out = wd.run(&mut q);
        parse_ndjson(&ok(&q, &out))
    };
    // A prediction at the same millisecond as its alarm's raise.
    let (same_ms, next_ms) = {
        let both: Vec<&Value> = events
            .windows(2)
            .filter(|w| {
                text(&w[0], "event") == "raised"
                    && text(&w[1], "event") == "predicted"
                    && text(&w[0], "ts") == text(&w[1], "ts")
            })
            .map(|w| &w[1])
            .collect();
        assert!(!both.is_empty(), "no prediction at the time of a raise");
        let t = text(both[0], "ts").to_string();
        let next = iiot::time::TsFormatter::format(iiot::time::parse_rfc3339(&t).unwrap() + 1);
        (t, next)
    };
    let mut predicted_seen = 0;
    for at in [
        "2026-01-01T00:04:00Z",
        "2026-01-01T00:17:30Z",
        "2026-01-01T00:33:00Z",
        "2026-01-01T00:59:59Z",
        "2026-01-01T01:20:00Z",
        &same_ms,
        &next_ms,
    ] {
        let t = iiot::time::parse_rfc3339(at).unwrap();
        let got = active(&["--at", at]);
        // The measured states first, as the hand computation of the
        // measured alarm states has them; then the predictions.
        let split = got
            .iter()
            .position(|v| text(v, "state") == "predicted")
            .unwrap_or(got.len());
        let measured: std::collections::BTreeMap<_, _> = got[..split]
            .iter()
            .map(|v| {
                let k = (text(v, "asset"), text(v, "tag"), text(v, "rule"));
                let ts = iiot::time::parse_rfc3339(text(v, "ts")).unwrap();
                (
                    (k.0.to_string(), k.1.to_string(), k.2.to_string()),
                    (text(v, "state").to_string(), ts),
                )
            })
            .collect();
        assert_eq!(measured, crate::alarms::by_hand(&events, t), "at {at}");
        let want = predictions_by_hand(&events, t, None);
        assert_eq!(&got[split..], &want[..], "at {at}");
        predicted_seen += want.len();
        // With a severity: the raises of other severities are passed over
        // as the predictions of other severities are.
        for sev in ["high", "medium"] {
            let got: Vec<Value> = active(&["--at", at, "--severity", sev])
                .into_iter()
                .filter(|v| text(v, "state") == "predicted")
                .collect();
            assert_eq!(
                got,
                predictions_by_hand(&events, t, Some(sev)),
                "at {at}, {sev}"
            );
        }
        // And of some alarms.
        let got: Vec<Value> = active(&["--at", at, "--asset", "P-1", "--rule", "hi"])
            .into_iter()
            .filter(|v| text(v, "state") == "predicted")
            .collect();
        let want: Vec<Value> = want
            .into_iter()
            .filter(|v| text(v, "asset") == "P-1" && text(v, "rule") == "hi")
            .collect();
        assert_eq!(got, want, "at {at}, P-1 hi");
    }
    assert!(
        predicted_seen >= 10,
        "few predictions stand: {predicted_seen}"
    );
}

#[test]
fn a_store_made_before_the_prediction_index_answers_alike_and_gets_it_from_store() {
    let wd = Workdir::new("forecast-alarm-index");
    let mut store = wd.cmd("store");
    store.args(["-q", "plant.db"]);
    let out = wd.run_with_stdin(&mut store, mixed_events());
    ok(&store, &out);
    let active = || {
        let mut q = wd.cmd("query");
        q.args(["-q", "plant.db", "--active", "--at", "2026-01-01T00:33:00Z"]);
        let out = wd.run(&mut q);
        ok(&q, &out)
    };
    let has_index = || -> i64 {
        let conn = rusqlite::Connection::open(wd.path("plant.db")).unwrap();
        conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'alarm_events_predicted'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    let with_index = active();
    assert!(
        with_index.contains("\"state\":\"predicted\""),
        "{with_index}"
    );
    assert_eq!(has_index(), 1);
    // As a store of an earlier build: no index. The answer is the same
    // (read through the primary key), and the next `store` adds it.
    rusqlite::Connection::open(wd.path("plant.db"))
        .unwrap()
        .execute_batch("DROP INDEX alarm_events_predicted")
        .unwrap();
    assert_eq!(has_index(), 0);
    assert_eq!(active(), with_index);
    let mut store = wd.cmd("store");
    store.args(["-q", "plant.db"]);
    let out = wd.run_with_stdin(&mut store, "");
    ok(&store, &out);
    assert_eq!(has_index(), 1);
    assert_eq!(active(), with_index);
    // Rows another tool wrote with a time that is text (after every
    // number in SQLite's order): the alarms are still listed one by one,
    // and those rows, at no time, change nothing.
    rusqlite::Connection::open(wd.path("plant.db"))
        .unwrap()
        .execute_batch(
            "INSERT INTO alarm_events (ts, asset, tag, rule, event) VALUES \
             ('soon', 'P-1', 't1', 'hi', 'raised'), ('soon', 'P-1', 't1', 'hi', 'predicted'), \
             ('soon', 'P-3', 't1', 'hi', 'predicted')",
        )
        .unwrap();
    assert_eq!(active(), with_index);
}
