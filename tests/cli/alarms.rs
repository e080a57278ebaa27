//! Alarm events and states from the store: `detect --events | store` read
//! back by `query --alarms`, `--active` at several times against a hand
//! computation over the events, acknowledgements by `ack` and by `store`
//! (a cleared unacknowledged alarm takes its ack and leaves `--active`; a
//! second ack and an ack of an alarm never raised are refused with the
//! reason), and the `acked` lines on stdout.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

use crate::util::{Workdir, describe, fails_with, ok, parse_ndjson, text};

/// Fermenter readings with spikes through detect --events into a store;
/// returns the events as written.
fn stored_events(wd: &Workdir) -> Vec<Value> {
    let bin = env!("CARGO_BIN_EXE_iiot");
    let mut cmd = Command::new("bash");
    cmd.args(["-o", "pipefail", "-c"])
        .arg(format!(
            "{bin} simulate --preset fermenter --duration 30m --faults spike=0.02 --seed 7 \
             | {bin} detect --preset fermenter --events | tee events.ndjson | {bin} store -q a.db"
        ))
        .current_dir(&wd.dir);
    let out = wd.run(&mut cmd);
    ok(&cmd, &out);
    let events = parse_ndjson(&wd.read("events.ndjson"));
    assert!(events.len() > 100, "few events: {}", events.len());
    events
}

fn query(wd: &Workdir, args: &[&str]) -> Vec<Value> {
    let mut cmd = wd.cmd("query");
    cmd.arg("a.db").args(args).arg("-q");
    let out = wd.run(&mut cmd);
    parse_ndjson(&ok(&cmd, &out))
}

fn key(v: &Value) -> (String, String, String, String) {
    (
        text(v, "ts").to_string(),
        text(v, "asset").to_string(),
        text(v, "tag").to_string(),
        text(v, "rule").to_string(),
    )
}

fn ms(t: &str) -> i64 {
    iiot::time::parse_rfc3339(t).expect("a time")
}

fn ts(v: &Value, field: &str) -> i64 {
    iiot::time::parse_rfc3339(text(v, field)).unwrap_or_else(|e| panic!("{field} of {v}: {e}"))
}

/// Each alarm's state at `at` by hand: the last raise at or before `at`
/// decides, then whether a clear and an ack follow it.
pub(crate) fn by_hand(
    events: &[Value],
    at: i64,
) -> BTreeMap<(String, String, String), (String, i64)> {
    let mut per: BTreeMap<(String, String, String), Vec<&Value>> = BTreeMap::new();
    for e in events.iter().filter(|e| ts(e, "ts") <= at) {
        let k = (
            text(e, "asset").to_string(),
            text(e, "tag").to_string(),
            text(e, "rule").to_string(),
        );
        per.entry(k).or_default().push(e);
    }
    let mut out = BTreeMap::new();
    for (k, mut evs) in per {
        let order = |e: &Value| match text(e, "event") {
            "raised" => 0,
            "cleared" => 1,
            _ => 2,
        };
        evs.sort_by_key(|e| (ts(e, "ts"), order(e)));
        let Some(r) = evs.iter().rposition(|e| text(e, "event") == "raised") else {
            continue;
        };
        let after = &evs[r + 1..];
        let cleared = after.iter().any(|e| text(e, "event") == "cleared");
        let acked = after.iter().any(|e| text(e, "event") == "acked");
        let state = match (cleared, acked) {
            (false, false) => "unacked",
            (false, true) => "acked",
            (true, false) => "rtn_unacked",
            (true, true) => continue,
        };
        out.insert(k, (state.to_string(), ts(evs[r], "ts")));
    }
    out
}

fn active(wd: &Workdir, at: &str) -> BTreeMap<(String, String, String), (String, i64)> {
    query(wd, &["--active", "--at", at])
        .iter()
        .map(|v| {
            (
                (
                    text(v, "asset").to_string(),
                    text(v, "tag").to_string(),
                    text(v, "rule").to_string(),
                ),
                (text(v, "state").to_string(), ts(v, "ts")),
            )
        })
        .collect()
}

#[test]
fn stored_events_come_back_as_they_were_written() {
    let wd = Workdir::new("alarms-roundtrip");
    let mut events = stored_events(&wd);
    let back = query(&wd, &["--alarms"]);
    // Back by time, then alarm: the same records, field for field.
    events.sort_by_key(key);
    assert_eq!(back.len(), events.len());
    let mut sorted = back.clone();
    sorted.sort_by_key(key);
    assert_eq!(sorted, back, "query --alarms is not in time order");
    assert_eq!(back, events);
    // And byte for byte, line by line.
    let mut cmd = wd.cmd("query");
    cmd.args(["a.db", "--alarms", "-q"]);
    let out = wd.run(&mut cmd);
    let written = wd.read("events.ndjson");
    let mut lines: Vec<&str> = written.lines().collect();
    let text_back = ok(&cmd, &out);
    let mut back_lines: Vec<&str> = text_back.lines().collect();
    lines.sort();
    back_lines.sort();
    assert_eq!(back_lines, lines);
    // Filters.
    let some = query(
        &wd,
        &[
            "--alarms",
            "--asset",
            "FERM-1",
            "--tag",
            "bio*",
            "--from",
            "2026-01-01T00:10:00Z",
            "--to",
            "2026-01-01T00:20:00Z",
        ],
    );
    let want: Vec<&Value> = events
        .iter()
        .filter(|e| {
            text(e, "asset") == "FERM-1"
                && text(e, "tag").starts_with("bio")
                && ts(e, "ts") >= ms("2026-01-01T00:10:00Z")
                && ts(e, "ts") < ms("2026-01-01T00:20:00Z")
        })
        .collect();
    assert!(!want.is_empty());
    assert_eq!(some.iter().collect::<Vec<_>>(), want);
    assert!(query(&wd, &["--alarms", "--severity", "critical"]).is_empty());
    assert_eq!(
        query(&wd, &["--alarms", "--rule", "z*", "--severity", "medium"]).len(),
        events.len()
    );
}

#[test]
fn active_alarms_equal_a_hand_computation_and_acks_move_them() {
    let wd = Workdir::new("alarms-active");
    let mut events = stored_events(&wd);
    for at in [
        "2026-01-01T00:00:30Z",
        "2026-01-01T00:05:00Z",
        "2026-01-01T00:12:34Z",
        "2026-01-01T00:29:59Z",
    ] {
        let want = by_hand(&events, ms(at));
        assert!(!want.is_empty(), "nothing active at {at}");
        assert_eq!(active(&wd, at), want, "at {at}");
    }
    // Pick an alarm still active at the end and one that cleared unacknowledged.
    let end = "2026-01-01T00:40:00Z";
    let at_end = active(&wd, end);
    let (rtn, _) = at_end
        .iter()
        .find(|(_, (s, _))| s == "rtn_unacked")
        .expect("an alarm returned to normal unacknowledged");
    let rtn = rtn.clone();
    let ack = |k: &(String, String, String), by: &str, at: &str| {
        let mut cmd = wd.cmd("ack");
        cmd.args([
            "a.db", "--asset", &k.0, "--tag", &k.1, "--rule", &k.2, "--by", by,
        ])
        .args(["--note", "seen on the panel", "--at", at]);
        let out = wd.run(&mut cmd);
        (cmd, out)
    };
    let (cmd, out) = ack(&rtn, "ann", "2026-01-01T00:31:00Z");
    let line = ok(&cmd, &out);
    let acked = parse_ndjson(&line);
    assert_eq!(acked.len(), 1, "{}", describe(&cmd, &out));
    assert_eq!(
        (
            text(&acked[0], "event"),
            text(&acked[0], "by"),
            text(&acked[0], "note")
        ),
        ("acked", "ann", "seen on the panel")
    );
    assert_eq!(text(&acked[0], "severity"), "medium");
    // It leaves --active; the others stay as they were.
    let now = active(&wd, end);
    assert!(!now.contains_key(&rtn));
    assert_eq!(now.len(), at_end.len() - 1);
    events.push(acked[0].clone());
    assert_eq!(now, by_hand(&events, ms(end)));
    // A second ack is refused with the reason; nothing is written or stored.
    let (cmd, out) = ack(&rtn, "bob", "2026-01-01T00:32:00Z");
    let err = fails_with(1, &cmd, &out);
    assert!(out.stdout.is_empty());
    assert!(
        err.contains("already acknowledged by ann at 2026-01-01T00:31:00Z"),
        "{err}"
    );
    // An ack of an alarm never raised is refused.
    let (cmd, out) = ack(
        &("FERM-9".into(), "biomass".into(), "zscore".into()),
        "bob",
        end,
    );
    let err = fails_with(1, &cmd, &out);
    assert!(err.contains("never raised"), "{err}");

    // An active alarm acknowledged through store, from any source: its
    // state becomes acked, with who and when.
    let (raised_at, _) = events
        .iter()
        .filter(|e| text(e, "event") == "raised")
        .map(|e| (ts(e, "ts"), e))
        .next()
        .unwrap();
    let first = events
        .iter()
        .find(|e| text(e, "event") == "raised" && ts(e, "ts") == raised_at)
        .unwrap()
        .clone();
    let ack_line = format!(
        r#"{{"ts":{},"asset":"{}","tag":"{}","value":0,"event":"acked","rule":"{}","by":"cy"}}"#,
        raised_at + 1,
        text(&first, "asset"),
        text(&first, "tag"),
        text(&first, "rule")
    );
    let bad_line =
        r#"{"ts":0,"asset":"FERM-9","tag":"x","value":0,"event":"acked","rule":"r","by":"cy"}"#;
    let input = format!("{ack_line}\n{bad_line}\n{ack_line}\n");
    let mut cmd = wd.cmd("store");
    cmd.args(["a.db", "--rejects", "rejects.ndjson"]);
    let out = wd.run_with_stdin(&mut cmd, input);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.contains("stored 0 (and 1 events), duplicates 1, rejected 1"),
        "{}",
        describe(&cmd, &out)
    );
    let rejects = wd.read("rejects.ndjson");
    assert!(rejects.contains("never raised"), "{rejects}");
    assert!(rejects.contains("FERM-9"), "{rejects}");
    let at = iiot::time::TsFormatter::format(raised_at + 1);
    let states = query(&wd, &["--active", "--at", &at]);
    let s = states
        .iter()
        .find(|v| {
            text(v, "asset") == text(&first, "asset")
                && text(v, "tag") == text(&first, "tag")
                && text(v, "rule") == text(&first, "rule")
        })
        .expect("the acknowledged alarm is still active");
    assert_eq!((text(s, "state"), text(s, "by")), ("acked", "cy"));
    assert_eq!(text(s, "acked"), at);
    assert_eq!(ts(s, "ts"), raised_at);
}

#[test]
fn a_lake_holds_no_alarm_events_and_says_so() {
    let wd = Workdir::new("alarms-lake");
    let mut cmd = Command::new("bash");
    let bin = env!("CARGO_BIN_EXE_iiot");
    cmd.args(["-o", "pipefail", "-c"])
        .arg(format!(
            "{bin} simulate --preset boiler --count 20 | {bin} store -q --parquet lake"
        ))
        .current_dir(&wd.dir);
    let out = wd.run(&mut cmd);
    ok(&cmd, &out);
    let mut cmd = wd.cmd("query");
    cmd.args(["lake", "--alarms", "--active"]);
    let out = wd.run(&mut cmd);
    let err = fails_with(1, &cmd, &out);
    assert!(err.contains("holds no alarm events"), "{err}");
    let mut cmd = wd.cmd("query");
    cmd.args(["lake", "--rule", "x"]);
    let out = wd.run(&mut cmd);
    fails_with(1, &cmd, &out);
}

#[test]
fn the_alarm_report_gives_time_to_acknowledge_and_standing_alarms() {
    let wd = Workdir::new("alarms-report");
    let ev = |secs: i64, asset: &str, event: &str| {
        let by = if event == "acked" {
            r#","by":"ann""#
        } else {
            ""
        };
        format!(
            "{{\"ts\":{},\"asset\":\"{asset}\",\"tag\":\"t\",\"value\":1,\"event\":\"{event}\",\"rule\":\"hi\"{by}}}\n",
            1_767_225_600_000 + secs * 1000
        )
    };
    let input = [
        ev(0, "A", "raised"),
        ev(0, "B", "raised"),
        ev(30, "B", "cleared"), // never acknowledged: standing at the end
        ev(60, "A", "acked"),   // 60 s
        ev(120, "A", "cleared"),
        ev(200, "A", "acked"), // refused: already acknowledged
        ev(300, "E", "acked"), // refused: never raised
        ev(3600, "C", "raised"),
        ev(4200, "C", "acked"),    // 10 min
        ev(86_400, "D", "raised"), // 1 h unacknowledged at the end: not standing
        ev(90_000, "LAST", "raised"),
    ]
    .concat();
    let mut cmd = wd.cmd("detect");
    cmd.arg("--alarm-report");
    let out = wd.run_with_stdin(&mut cmd, input);
    let report = ok(&cmd, &out);
    for want in [
        "raised 5, cleared 2, distinct alarms 5",
        "acknowledgements: 2, refused 2 (never raised or already acknowledged)",
        "time to acknowledge: mean 5.5 min, longest 10.0 min (C t hi)",
        "raises never acknowledged: 3 of 5",
        "standing alarms (unacknowledged 24 h or more at the end): 1",
        "B t hi: returned to normal, unacknowledged since 2026-01-01T00:00:00Z",
    ] {
        assert!(report.contains(want), "missing {want:?} in\n{report}");
    }
}
