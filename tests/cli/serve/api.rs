//! The read API: every endpoint, filters, time bounds, limits, errors,
//! and the safety limits, against the real server.

use std::process::Stdio;

use serde_json::Value;

use super::{Server, fixture};
use crate::util::{Workdir, text};

fn times(recs: &[Value]) -> Vec<&str> {
    recs.iter().map(|r| text(r, "ts")).collect()
}

fn start(wd: &Workdir, extra: &[&str]) -> Server {
    let db = fixture(wd);
    let mut args = vec![db.to_str().unwrap()];
    args.extend_from_slice(extra);
    Server::start(wd, &args, Stdio::null())
}

#[test]
fn serve_readings_from_inclusive_to_exclusive() {
    let wd = Workdir::new("serve_bounds");
    let s = start(&wd, &[]);
    let a = s
        .get("/readings?asset=FERM-1&tag=fermenter_temp&from=2026-01-01T00:00:03Z&to=2026-01-01T00:00:06Z")
        .expect(200);
    assert_eq!(a.header("content-type"), Some("application/x-ndjson"));
    let recs = a.records();
    assert_eq!(
        times(&recs),
        [
            "2026-01-01T00:00:03Z",
            "2026-01-01T00:00:04Z",
            "2026-01-01T00:00:05Z"
        ]
    );
    assert_eq!(recs[0]["value"], 37.3);
    assert_eq!(recs[0]["unit"], "degC");
    // Epoch milliseconds name the same instants.
    let b = s
        .get("/readings?asset=FERM-1&tag=fermenter_temp&from=1767225603000&to=1767225606000")
        .expect(200);
    assert_eq!(b.records(), recs);
}

#[test]
fn serve_readings_globs_repeats_limit_and_anomalies() {
    let wd = Workdir::new("serve_filters");
    let s = start(&wd, &[]);
    let to = "&from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:02Z";
    let recs = s
        .get(&format!("/readings?asset=FERM-*&tag=fermenter_temp{to}"))
        .expect(200)
        .records();
    let series: Vec<String> = recs
        .iter()
        .map(|r| format!("{}/{}", text(r, "asset"), text(r, "tag")))
        .collect();
    assert_eq!(
        series,
        [
            "FERM-1/fermenter_temp",
            "FERM-1/fermenter_temp",
            "FERM-2/fermenter_temp",
            "FERM-2/fermenter_temp"
        ]
    );
    let recs = s
        .get(&format!(
            "/readings?asset=FERM-1&tag=fermenter_ph&tag=fermenter_temp{to}"
        ))
        .expect(200)
        .records();
    assert_eq!(recs.len(), 4);
    assert_eq!(text(&recs[0], "tag"), "fermenter_ph");
    let recs = s.get("/readings?limit=5").expect(200).records();
    assert_eq!(recs.len(), 5);
    assert_eq!(s.get("/readings?limit=0").expect(200).body, b"");
    // The whole store streams: 3 series of 1200 readings.
    assert_eq!(s.get("/readings").expect(200).records().len(), 3600);
    // The anomaly flags come back with their reading.
    let spike = s
        .get("/readings?asset=FERM-1&tag=fermenter_temp&from=2026-01-01T00:01:40Z&limit=1")
        .expect(200)
        .records();
    assert_eq!(spike[0]["value"], 46.5);
    assert_eq!(spike[0]["anomalies"][0]["rule"], "temp_hh");
}

#[test]
fn serve_readings_json_by_accept_equals_ndjson() {
    let wd = Workdir::new("serve_accept");
    let s = start(&wd, &[]);
    let q = "/readings?asset=FERM-2&limit=300";
    let nd = s.get(q).expect(200).records();
    let js = s.get_with(q, &[("Accept", "application/json")]).expect(200);
    assert_eq!(js.header("content-type"), Some("application/json"));
    assert_eq!(js.json(), Value::Array(nd));
    let empty = s
        .get_with("/readings?asset=NONE", &[("Accept", "application/json")])
        .expect(200);
    assert_eq!(empty.json(), serde_json::json!([]));
}

#[test]
fn serve_series_with_and_without_model() {
    let wd = Workdir::new("serve_series");
    let db = fixture(&wd);
    let s = Server::start(
        &wd,
        &[db.to_str().unwrap(), "--preset", "fermenter"],
        Stdio::null(),
    );
    let v = s.get("/series?asset=FERM-1").expect(200).json();
    let series = v["series"].as_array().unwrap();
    assert_eq!(series.len(), 2);
    let t = &series[1];
    assert_eq!(t["tag"], "fermenter_temp");
    assert_eq!(t["unit"], "degC");
    assert_eq!(t["description"], "Broth temperature");
    assert_eq!(t["limits"]["hi"], 40.0);
    assert_eq!(t["limits"]["hi_hi"], 45.0);
    assert_eq!(t["limits"]["lo_lo"], 30.0);
    assert_eq!(t["range"]["max"], 100.0);
    assert_eq!(t["sources"][0], db.to_str().unwrap());
    let v = s.get("/series?tag=*ph").expect(200).json();
    assert_eq!(v["series"].as_array().unwrap().len(), 1);
    drop(s);
    let s = Server::start(&wd, &[db.to_str().unwrap()], Stdio::null());
    let v = s.get("/series").expect(200).json();
    assert_eq!(v["series"].as_array().unwrap().len(), 3);
    assert!(v["series"][0].get("limits").is_none());
}

#[test]
fn serve_latest_gives_each_series_last_reading() {
    let wd = Workdir::new("serve_latest");
    let s = start(&wd, &[]);
    let recs = s.get("/latest").expect(200).records();
    assert_eq!(recs.len(), 3);
    assert!(recs.iter().all(|r| text(r, "ts") == "2026-01-01T00:19:59Z"));
    let recs = s
        .get("/latest?to=2026-01-01T00:00:10Z&asset=FERM-2")
        .expect(200)
        .records();
    assert_eq!(times(&recs), ["2026-01-01T00:00:09Z"]);
    assert_eq!(s.get("/latest?limit=2").expect(200).records().len(), 2);
}

#[test]
fn serve_rollups_by_width_and_by_points() {
    let wd = Workdir::new("serve_rollups");
    let s = start(&wd, &[]);
    let q = "asset=FERM-1&tag=fermenter_temp&from=2026-01-01T00:00:00Z&to=2026-01-01T00:03:00Z";
    let recs = s
        .get(&format!("/rollups?every=1m&{q}"))
        .expect(200)
        .records();
    assert_eq!(recs.len(), 3);
    assert!(recs.iter().all(|r| r["every"] == "1m" && r["count"] == 60));
    assert_eq!(
        s.get(&format!("/readings?every=1m&{q}"))
            .expect(200)
            .records(),
        recs
    );
    let whole = "asset=FERM-1&tag=fermenter_temp&from=2026-01-01T00:00:00Z&to=2026-01-01T00:20:00Z";
    // 20 minutes: 2 spans of 10m, 20 of 1m, 1200 readings; rollup keeps
    // only closed buckets (the last of each width stays open).
    let minutes = s
        .get(&format!("/rollups?every=1m&{whole}"))
        .expect(200)
        .records()
        .len();
    assert!((19..=20).contains(&minutes), "{minutes}");
    let every = |points: u32| -> (usize, String) {
        let recs = s
            .get(&format!("/readings?points={points}&{whole}"))
            .expect(200)
            .records();
        (recs.len(), text(&recs[0], "every").to_string())
    };
    assert_eq!(every(2).1, "10m");
    assert_eq!(every(3), (minutes, "1m".into()));
    assert_eq!(every(20), (minutes, "1m".into()));
    assert_eq!(every(21), (1200, String::new()));
    // A width the store has no table of: nothing.
    assert_eq!(
        s.get(&format!("/rollups?every=1h&{q}")).expect(200).body,
        b""
    );
}

#[test]
fn serve_alarm_events_and_active_alarms() {
    let wd = Workdir::new("serve_alarms");
    let db = fixture(&wd);
    let s = Server::start(&wd, &[db.to_str().unwrap()], Stdio::null());
    let all = s.get("/alarms").expect(200).records();
    assert_eq!(all.len(), 8);
    assert_eq!(all[0]["event"], "raised");
    assert_eq!(all[0]["rule"], "temp_hh");
    assert_eq!(all[0]["limit"], 45.0);
    assert_eq!(all[1]["event"], "cleared");
    assert_eq!(all[2]["event"], "acked");
    assert_eq!(all[2]["by"], "ann");
    let later = s
        .get("/alarms?from=2026-01-01T00:01:41Z")
        .expect(200)
        .records();
    assert_eq!(later.len(), 7, "from is inclusive");
    let before = s
        .get("/alarms?to=2026-01-01T00:01:41Z")
        .expect(200)
        .records();
    assert_eq!(before.len(), 1, "to is exclusive");
    assert_eq!(s.get("/alarms?asset=FERM-2").expect(200).records().len(), 2);
    assert_eq!(s.get("/alarms?rule=ph_*").expect(200).records().len(), 3);
    assert_eq!(s.get("/alarms?limit=1").expect(200).records().len(), 1);
    // Active as `query --alarms --active` tells it, record for record.
    let active = s.get("/alarms/active").expect(200).records();
    let query = crate::util::run_ok(
        &wd,
        wd.cmd("query")
            .arg(&db)
            .args(["--alarms", "--active", "-q"]),
    );
    assert_eq!(active, crate::util::parse_ndjson(&query));
    let states: Vec<String> = active
        .iter()
        .map(|a| {
            format!(
                "{}/{}/{} {}",
                text(a, "asset"),
                text(a, "tag"),
                text(a, "rule"),
                text(a, "state")
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            "FERM-1/fermenter_ph/ph_l unacked",
            "FERM-1/fermenter_ph/ph_ll rtn_unacked",
            "FERM-2/fermenter_temp/temp_h acked"
        ]
    );
    assert_eq!(active[2]["ts"], "2026-01-01T00:08:20Z");
    assert_eq!(active[2]["by"], "ann");
    // At an earlier time, the states then.
    let then = s
        .get("/alarms/active?at=2026-01-01T00:01:40Z")
        .expect(200)
        .records();
    assert_eq!(then.len(), 1);
    assert_eq!(then[0]["state"], "unacked");
    let one = s.get("/alarms/active?asset=FERM-2").expect(200).records();
    assert_eq!(one.len(), 1);
    let js = s
        .get_with("/alarms/active", &[("Accept", "application/json")])
        .expect(200);
    assert_eq!(js.json(), Value::Array(active));
}

#[test]
fn serve_health_names_sources_sizes_and_lag() {
    let wd = Workdir::new("serve_health");
    let db = fixture(&wd);
    let s = Server::start(&wd, &[db.to_str().unwrap()], Stdio::null());
    let v = s.get("/health").expect(200).json();
    assert_eq!(v["status"], "ok");
    let src = &v["sources"][0];
    assert_eq!(src["path"], db.to_str().unwrap());
    assert_eq!(src["kind"], "sqlite");
    assert_eq!(src["series"], 3);
    assert_eq!(src["events"], 8);
    assert!(src["bytes"].as_u64().unwrap() >= std::fs::metadata(&db).unwrap().len());
    assert_eq!(src["last_reading"], "2026-01-01T00:19:59Z");
    assert!(src["lag_seconds"].as_f64().unwrap() > 0.0);
}

#[test]
fn serve_errors_name_what_was_wrong() {
    let wd = Workdir::new("serve_errors");
    let s = start(&wd, &[]);
    for (path, status, error, param) in [
        ("/readings?from=yesterday", 400, "bad_parameter", "from"),
        ("/readings?to=2026-13-01", 400, "bad_parameter", "to"),
        ("/readings?limit=-1", 400, "bad_parameter", "limit"),
        ("/readings?limit=1&limit=2", 400, "bad_parameter", "limit"),
        (
            "/readings?from=2026-01-02&to=2026-01-01",
            400,
            "bad_parameter",
            "to",
        ),
        ("/readings?every=fortnight", 400, "bad_parameter", "every"),
        (
            "/readings?points=0&from=2026-01-01",
            400,
            "bad_parameter",
            "points",
        ),
        ("/readings?points=10", 400, "bad_parameter", "points"),
        ("/readings?asset=[", 400, "bad_parameter", "asset"),
        ("/readings?sql=drop", 400, "bad_parameter", "sql"),
        ("/rollups?asset=FERM-1", 400, "bad_parameter", "every"),
        ("/series?from=2026-01-01", 400, "bad_parameter", "from"),
        ("/health?x=1", 400, "bad_parameter", "x"),
        (
            "/alarms/active?from=2026-01-01",
            400,
            "bad_parameter",
            "from",
        ),
        ("/alarms/active?at=noon", 400, "bad_parameter", "at"),
        ("/alarms?rule=[", 400, "bad_parameter", "rule"),
        ("/nowhere", 404, "not_found", ""),
    ] {
        let a = s.get(path);
        assert_eq!(a.status, status, "{path}: {}", a.text());
        assert_eq!(a.header("content-type"), Some("application/json"), "{path}");
        let v = a.json();
        assert_eq!(v["status"], status, "{path}");
        assert_eq!(v["error"], error, "{path}");
        assert_eq!(text(&v, "parameter"), param, "{path}: {v}");
        assert!(!text(&v, "message").is_empty(), "{path}");
    }
    let a = s.post("/readings", &[], b"").expect(405);
    assert_eq!(a.json()["error"], "method_not_allowed");
    // Read-only by default.
    let a = s.post("/ingest", &[], b"{}").expect(404);
    assert_eq!(a.json()["error"], "ingest_off");
    // A quote in a glob is a name to match, never SQL.
    assert_eq!(
        s.get("/readings?asset=%27%20OR%201=1--").expect(200).body,
        b""
    );
}

#[test]
fn serve_openapi_and_dashboard_are_served() {
    let wd = Workdir::new("serve_static");
    let s = start(&wd, &[]);
    let v = s.get("/openapi.json").expect(200).json();
    assert!(text(&v, "openapi").starts_with("3."));
    let paths: Vec<&String> = v["paths"].as_object().unwrap().keys().collect();
    for p in [
        "/series",
        "/readings",
        "/latest",
        "/rollups",
        "/alarms",
        "/alarms/active",
        "/health",
        "/ingest",
        "/ingest/batch",
    ] {
        assert!(
            paths.iter().any(|k| *k == p),
            "{p} not in openapi.json: {paths:?}"
        );
    }
    let page = s.get("/").expect(200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().contains("/app.js"));
    let js = s.get("/app.js").expect(200);
    assert!(js.text().contains("/alarms/active"));
}

#[test]
fn serve_limits_rate_body_and_cors() {
    let wd = Workdir::new("serve_limits");
    let db = fixture(&wd);
    let s = Server::start(
        &wd,
        &[
            db.to_str().unwrap(),
            "--rate",
            "5",
            "--ingest",
            "--max-body",
            "1KiB",
        ],
        Stdio::null(),
    );
    let statuses: Vec<u16> = (0..12).map(|_| s.get("/health").status).collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let big = vec![b' '; 4096];
    let a = s.post("/ingest/batch", &[], &big);
    assert_eq!(a.status, 413, "{}", a.text());
    assert_eq!(a.json()["error"], "too_large");
    // No CORS headers unless asked.
    let a = s.get_with("/health", &[("Origin", "http://example.test")]);
    assert!(a.header("access-control-allow-origin").is_none());
    drop(s);
    let s = Server::start(
        &wd,
        &[db.to_str().unwrap(), "--cors", "http://example.test"],
        Stdio::null(),
    );
    let a = s
        .get_with("/health", &[("Origin", "http://example.test")])
        .expect(200);
    assert_eq!(
        a.header("access-control-allow-origin"),
        Some("http://example.test")
    );
    let a = s
        .get_with("/health", &[("Origin", "http://other.test")])
        .expect(200);
    assert!(a.header("access-control-allow-origin").is_none());
}

#[test]
fn serve_reads_a_lake_too() {
    let wd = Workdir::new("serve_lake");
    let db = fixture(&wd);
    let lake = wd.path("lake");
    let out = crate::util::run_ok(&wd, wd.cmd("query").arg(&db).arg("-q"));
    wd.write("all.ndjson", out);
    crate::util::run_ok(
        &wd,
        wd.cmd("store")
            .arg("--parquet")
            .arg(&lake)
            .arg(wd.path("all.ndjson"))
            .arg("-q"),
    );
    let s = Server::start(&wd, &[lake.to_str().unwrap()], Stdio::null());
    let recs = s
        .get("/readings?asset=FERM-1&tag=fermenter_temp&from=2026-01-01T00:00:03Z&to=2026-01-01T00:00:06Z")
        .expect(200)
        .records();
    assert_eq!(times(&recs).len(), 3);
    assert_eq!(s.get("/latest").expect(200).records().len(), 3);
    let v = s.get("/health").expect(200).json();
    assert_eq!(v["sources"][0]["kind"], "parquet");
    assert_eq!(v["sources"][0]["series"], 3);
}

/// The (asset, tag) pairs of a series list or of records.
fn series_of(recs: &[Value]) -> std::collections::BTreeSet<(String, String)> {
    recs.iter()
        .map(|r| (text(r, "asset").to_string(), text(r, "tag").to_string()))
        .collect()
}

#[test]
fn serve_selects_by_the_asset_registry_as_query_does() {
    let wd = Workdir::new("serve_registry");
    let db = fixture(&wd);
    wd.write(
        "plant.csv",
        "asset,uuid,name,type,location,parent,description,specifications\n\
         FERM-1,,Fermenter one,reactor,site-1/hall-a,,Seed fermenter,volume_l=500\n\
         FERM-2,,Fermenter two,vessel,site-1/hall-b,,Production fermenter,volume_l=5000\n",
    );
    wd.write(
        "plant.relations.csv",
        "from,relation,to\nFERM-1,feeds,FERM-2\n",
    );
    let s = Server::start(
        &wd,
        &[db.to_str().unwrap(), "--assets", "plant.csv"],
        Stdio::null(),
    );
    for sel in [
        "where=type=reactor",
        "where=location=site-1/hall-b",
        "where=type=reactor&where=type=vessel",
        "where=volume_l=5000",
        "related_to=FERM-1&relation=feeds",
        "where=type=pump",
    ] {
        // What `query --where/--related-to` selects from the same registry.
        let mut q = wd.cmd("query");
        q.args([db.to_str().unwrap(), "-q", "--assets", "plant.csv"]);
        for pair in sel.split('&') {
            let (k, v) = pair.split_once('=').unwrap();
            q.arg(format!("--{}", k.replace('_', "-"))).arg(v);
        }
        let out = q.output().expect("iiot query");
        assert!(out.status.success(), "query {sel}: {out:?}");
        let want = series_of(&crate::util::parse_ndjson(&String::from_utf8_lossy(
            &out.stdout,
        )));
        let listed = s.get(&format!("/series?{sel}")).expect(200).json();
        let listed = series_of(listed["series"].as_array().unwrap());
        assert_eq!(listed, want, "/series?{sel}");
        let read = series_of(&s.get(&format!("/readings?{sel}")).expect(200).records());
        assert_eq!(read, want, "/readings?{sel}");
        let latest = s.get(&format!("/latest?{sel}")).expect(200).records();
        assert_eq!(series_of(&latest), want, "/latest?{sel}");
        assert_eq!(latest.len(), want.len(), "/latest?{sel}");
    }
    // The selection and the asset globs both hold; alarms select too.
    let v = s
        .get("/series?where=type=reactor&asset=FERM-2")
        .expect(200)
        .json();
    assert_eq!(v["series"], serde_json::json!([]));
    let alarms = s.get("/alarms?where=type=vessel").expect(200).records();
    assert!(!alarms.is_empty());
    assert!(
        alarms.iter().all(|a| text(a, "asset") == "FERM-2"),
        "{alarms:?}"
    );
    // A bad clause, and relation without related_to, name their parameter.
    for (path, param) in [
        ("/series?where=type", "where"),
        ("/readings?relation=feeds", "relation"),
        ("/latest?related_to=NOPE", "related_to"),
    ] {
        let a = s.get(path);
        assert_eq!(a.status, 400, "{path}: {}", a.text());
        assert_eq!(text(&a.json(), "parameter"), param, "{path}");
    }
    drop(s);
    // Without a registry, selecting by one is a 400 saying what to give.
    let s = start(&wd, &[]);
    let a = s.get("/series?where=type=reactor");
    assert_eq!(a.status, 400);
    assert!(
        text(&a.json(), "message").contains("--assets"),
        "{}",
        a.text()
    );
}
