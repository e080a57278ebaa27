//! `rollup --kpi health` and `rollup --kpi incidents` on the factory
//! preset, checked against an independent reader (a Python script).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use crate::util::{Workdir, num, ok, parse_ndjson, run_ok, text};

/// Runs of ERROR/MAINTENANCE in each machine's state tag, read plainly:
/// one JSON line per run with its scrap by reason.
const PY: &str = r#"
import json, sys
from collections import defaultdict
rows = [json.loads(l) for l in open(sys.argv[1])]
last_ts = {}
states = defaultdict(list)
scrap = defaultdict(list)
for r in rows:
    last_ts[r["asset"]] = r["ts"]
    if r["tag"] == "machine_state":
        states[r["asset"]].append((r["ts"], r["text"]))
    elif r["tag"].startswith("scrap_"):
        scrap[r["asset"]].append((r["ts"], r["tag"][6:], r["value"]))
for asset, seq in states.items():
    runs = []
    cur = None
    prev = None
    for ts, s in seq:
        if s != prev:
            if cur is not None:
                cur["end"] = ts
                runs.append(cur)
                cur = None
            if s in ("ERROR", "MAINTENANCE"):
                cur = {"asset": asset, "state": s, "start": ts}
        prev = s
    if cur is not None:
        cur["end"] = last_ts[asset]
        cur["open"] = True
        runs.append(cur)
    last = {}
    deltas = []
    for ts, reason, v in scrap[asset]:
        d = 0 if reason not in last else (v - last[reason] if v >= last[reason] else v)
        last[reason] = v
        deltas.append((ts, reason, d))
    for run in runs:
        per = {}
        for ts, reason, d in deltas:
            per.setdefault(reason, 0)
            if run["start"] < ts <= run["end"]:
                per[reason] += d
        run["scrap"] = per
        print(json.dumps(run, sort_keys=True))
"#;

fn factory(wd: &Workdir) {
    let mut c = wd.cmd("simulate");
    c.args([
        "--preset",
        "factory",
        "--duration",
        "12h",
        "--interval",
        "10s",
        "-q",
    ]);
    let out = run_ok(wd, &mut c);
    wd.write("factory.ndjson", out);
}

/// (asset, state, start, end, open) → scrap by reason.
type Runs = BTreeMap<(String, String, String, String, bool), BTreeMap<String, f64>>;

fn python_runs(wd: &Workdir) -> Runs {
    wd.write("runs.py", PY);
    let mut c = Command::new("python3");
    c.args(["runs.py", "factory.ndjson"]).current_dir(&wd.dir);
    let out = c
        .output()
        .expect("python3 is needed for this test (apt-get install python3)");
    let stdout = ok(&c, &out);
    parse_ndjson(&stdout)
        .iter()
        .map(|r| {
            let scrap = r["scrap"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_f64().unwrap()))
                .collect();
            (
                (
                    text(r, "asset").into(),
                    text(r, "state").into(),
                    text(r, "start").into(),
                    text(r, "end").into(),
                    r["open"].as_bool().unwrap_or(false),
                ),
                scrap,
            )
        })
        .collect()
}

fn ours(records: &[serde_json::Value]) -> Runs {
    records
        .iter()
        .filter(|r| text(r, "tag") == "incident")
        .map(|r| {
            let scrap = r["scrap"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_f64().unwrap()))
                .collect();
            (
                (
                    text(r, "asset").into(),
                    text(r, "state").into(),
                    text(r, "start").into(),
                    text(r, "end").into(),
                    r["open"].as_bool().unwrap_or(false),
                ),
                scrap,
            )
        })
        .collect()
}

fn rollup(wd: &Workdir, args: &[&str]) -> Vec<serde_json::Value> {
    let mut c = wd.cmd("rollup");
    c.args(args).arg("factory.ndjson").arg("-q");
    parse_ndjson(&run_ok(wd, &mut c))
}

#[test]
fn incidents_are_the_error_and_maintenance_runs_of_the_state_tag() {
    let wd = Workdir::new("kpi-incidents");
    factory(&wd);
    let want = python_runs(&wd);
    assert!(want.len() >= 20, "only {} runs in 12 h", want.len());
    let closed: Runs = want
        .iter()
        .filter(|(k, _)| !k.4)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let records = rollup(&wd, &["--kpi", "incidents", "--every", "1h"]);
    let got = ours(&records);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        closed.keys().collect::<Vec<_>>()
    );
    assert_eq!(got, closed, "scrap during incidents");
    // Each incident's duration is its end less its start.
    for r in records.iter().filter(|r| text(r, "tag") == "incident") {
        assert_eq!(num(r, "duration_s"), num(r, "value"));
    }
    // --open adds those still running at the end.
    let records = rollup(&wd, &["--kpi", "incidents", "--every", "1h", "--open"]);
    assert_eq!(ours(&records), want);
}

#[test]
fn mttr_is_the_mean_incident_duration() {
    let wd = Workdir::new("kpi-mttr");
    factory(&wd);
    let records = rollup(&wd, &["--kpi", "incidents", "--every", "1h"]);
    // Incidents by machine and the hour they ended in.
    let mut ended: BTreeMap<(String, i64), Vec<f64>> = BTreeMap::new();
    for r in records.iter().filter(|r| text(r, "tag") == "incident") {
        let end = text(r, "end");
        let hour = ms(end) / 3_600_000;
        ended
            .entry((text(r, "asset").into(), hour))
            .or_default()
            .push(num(r, "duration_s"));
    }
    let mut buckets = 0;
    let mut seen = BTreeSet::new();
    for r in records.iter().filter(|r| text(r, "tag") == "reliability") {
        let key = (text(r, "asset").to_string(), ms(text(r, "ts")) / 3_600_000);
        seen.insert(key.clone());
        let durations = ended.get(&key).cloned().unwrap_or_default();
        assert_eq!(num(r, "incidents") as usize, durations.len(), "{r}");
        let total: f64 = durations.iter().sum();
        assert!((num(r, "downtime_s") - total).abs() < 1e-9, "{r}");
        if !durations.is_empty() {
            buckets += 1;
            let mean = total / durations.len() as f64;
            assert!((num(r, "mttr_s") - mean).abs() < 1e-9, "{r}");
            assert!((num(r, "mtbf_s") - num(r, "up_s") / durations.len() as f64).abs() < 1e-9);
        }
        assert!(num(r, "up_s") <= 3600.0 + 1e-9, "{r}");
    }
    assert!(buckets >= 10, "only {buckets} buckets with incidents");
    assert!(
        ended.keys().all(|k| seen.contains(k)),
        "an incident in no bucket"
    );
}

fn ms(ts: &str) -> i64 {
    // 2026-01-01T05:41:20Z → ms since the epoch, for hours of one month.
    let day: i64 = ts[8..10].parse().unwrap();
    let h: i64 = ts[11..13].parse().unwrap();
    let m: i64 = ts[14..16].parse().unwrap();
    let s: i64 = ts[17..19].parse().unwrap();
    1_767_225_600_000 + (((day - 1) * 24 + h) * 60 + m) * 60_000 + s * 1000
}

#[test]
fn health_parts_recombine_to_the_score() {
    let wd = Workdir::new("kpi-health");
    factory(&wd);
    let records = rollup(
        &wd,
        &[
            "--kpi",
            "health",
            "--every",
            "1h",
            "--weight-oee",
            "0.6",
            "--weight-scrap",
            "0.3",
            "--weight-errors",
            "0.1",
        ],
    );
    let oee = rollup(&wd, &["--kpi", "oee", "--every", "1h"]);
    let oee: BTreeMap<(String, String), f64> = oee
        .iter()
        .filter(|r| r.get("oee").is_some())
        .map(|r| {
            (
                (text(r, "asset").into(), text(r, "ts").into()),
                num(r, "oee"),
            )
        })
        .collect();
    let mut scored = 0;
    let mut below = 0;
    for r in &records {
        assert_eq!(text(r, "tag"), "health");
        if r.get("health").is_none() {
            continue;
        }
        scored += 1;
        let parts = num(r, "health_oee") + num(r, "health_scrap") + num(r, "health_errors");
        assert!((parts - num(r, "health")).abs() < 1e-12, "{r}");
        assert_eq!(num(r, "value"), num(r, "health"));
        assert!(
            (num(r, "health_oee") - 0.6 * num(r, "oee")).abs() < 1e-12,
            "{r}"
        );
        assert!((num(r, "health_scrap") - 0.3 * (1.0 - num(r, "scrap_rate"))).abs() < 1e-12);
        assert!((num(r, "health_errors") - 0.1 * (1.0 - num(r, "error_rate"))).abs() < 1e-12);
        assert_eq!(num(r, "weight_oee"), 0.6);
        // The OEE part is --kpi oee's.
        let key = (text(r, "asset").to_string(), text(r, "ts").to_string());
        assert!((oee[&key] - num(r, "oee")).abs() < 1e-12, "{r}");
        assert!((0.0..=1.0).contains(&num(r, "health")));
        if num(r, "error_rate") > 0.0 {
            below += 1;
        }
    }
    assert!(scored >= 8 * 11, "{scored} scored buckets");
    assert!(below > 0, "no bucket with errors");
}

#[test]
fn plot_draws_a_kpi_field() {
    let wd = Workdir::new("kpi-plot");
    factory(&wd);
    let script = format!(
        "'{bin}' rollup --kpi health --every 1h -q factory.ndjson | '{bin}' plot --field health_oee -o health.svg && \
         '{bin}' rollup --kpi oee --every 1h -q factory.ndjson | '{bin}' plot --field scrap_rate --asset LINE-A/M-01 -o scrap.svg",
        bin = env!("CARGO_BIN_EXE_iiot")
    );
    let mut c = Command::new("bash");
    c.args(["-o", "pipefail", "-c", &script])
        .current_dir(&wd.dir);
    let out = wd.run(&mut c);
    ok(&c, &out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("drew 8 series"), "{stderr}");
    assert!(stderr.contains("drew 4 series"), "{stderr}");
    let health = wd.read("health.svg");
    assert_eq!(
        health.matches("health.health_oee").count(),
        8,
        "panel titles"
    );
    let scrap = wd.read("scrap.svg");
    for reason in ["quality", "machine_error", "material", "operator"] {
        assert!(
            scrap.contains(&format!("oee.scrap_rate.{reason}")),
            "{reason}"
        );
    }
    // A field no record has: nothing to plot, said so.
    let mut c = wd.cmd("plot");
    c.args(["--field", "nothing", "-o", "x.svg", "factory.ndjson"]);
    let out = wd.run(&mut c);
    let err = crate::util::fails_with(1, &c, &out);
    assert!(err.contains("without the --field"), "{err}");
}

#[test]
fn health_and_incidents_from_the_store_equal_the_live_stream() {
    let wd = Workdir::new("kpi-stored");
    factory(&wd);
    let script = format!(
        "B='{bin}'; $B store -q f.db < factory.ndjson && \
         for k in health incidents; do \
           $B rollup -q --kpi $k --every 15m,1h --open factory.ndjson > live-$k.ndjson && \
           $B query -q f.db --order time | $B rollup -q --kpi $k --every 15m,1h --open > stored-$k.ndjson; \
         done",
        bin = env!("CARGO_BIN_EXE_iiot")
    );
    let mut c = Command::new("bash");
    c.args(["-o", "pipefail", "-c", &script])
        .current_dir(&wd.dir);
    let out = wd.run(&mut c);
    ok(&c, &out);
    for k in ["health", "incidents"] {
        let sorted = |name: &str| {
            let text = wd.read(name);
            // Compared as JSON: the scrap reasons come in the order each
            // input first shows them (alphabetical from the store).
            let mut lines: Vec<String> =
                parse_ndjson(&text).iter().map(|v| v.to_string()).collect();
            lines.sort();
            lines
        };
        let live = sorted(&format!("live-{k}.ndjson"));
        let stored = sorted(&format!("stored-{k}.ndjson"));
        assert!(live.len() >= 8 * 12 * 5, "{k}: {} records", live.len());
        assert!(
            live == stored,
            "{k}: the store's records differ from the live stream's"
        );
    }
}
