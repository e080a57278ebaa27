//! `iiot forecast`: forecasts of the boiler preset's hourly rollups judged
//! by backtest, time to a limit, the store's own table, and bad input.

use std::sync::OnceLock;

use serde_json::Value;

use crate::util::{Workdir, fails_with, num, ok, parse_ndjson, run_ok, text};

/// 30 days of the boiler preset (15-minute readings) rolled up to hours,
/// made once: each stage run on its own and checked.
fn boiler_hourly() -> &'static str {
    static DATA: OnceLock<String> = OnceLock::new();
    DATA.get_or_init(|| {
        let wd = Workdir::new("forecast-boiler");
        let sim = run_ok(
            &wd,
            wd.cmd("simulate").args([
                "--preset",
                "boiler",
                "--duration",
                "30d",
                "--interval",
                "15m",
                "--seed",
                "7",
                "-q",
            ]),
        );
        let mut roll = wd.cmd("rollup");
        roll.args(["--every", "1h", "-q"]);
        let out = wd.run_with_stdin(&mut roll, sim);
        ok(&roll, &out)
    })
}

fn total(lines: &[Value]) -> &Value {
    lines
        .iter()
        .find(|l| l["total"] == true)
        .expect("a total line")
}

#[test]
fn boiler_backtest_beats_seasonal_naive_with_calibrated_intervals() {
    let wd = Workdir::new("forecast-backtest");
    let mut cmd = wd.cmd("forecast");
    cmd.args([
        "--backtest",
        "--season",
        "24h",
        "--horizon",
        "24h",
        "--windows",
        "5",
    ]);
    let out = wd.run_with_stdin(&mut cmd, boiler_hourly());
    let lines = parse_ndjson(&ok(&cmd, &out));
    let t = total(&lines);
    // Eight boilers of nine tags (fuel_flow and the efficiency computed from it).
    assert_eq!(num(t, "series"), 72.0, "{t}");
    assert!(num(t, "mase") < 1.0, "mean MASE not below 1: {t}");
    let c80 = num(t, "coverage_80");
    assert!(
        (0.75..=0.85).contains(&c80),
        "80% intervals cover {c80}: {t}"
    );
    assert!(num(t, "coverage_95") > c80, "{t}");
    // Per series lines name the model and their own scores.
    let per: Vec<&Value> = lines.iter().filter(|l| l["total"] != true).collect();
    assert_eq!(per.len(), 72);
    assert!(
        per.iter().all(
            |l| text(l, "model").starts_with("ets(A,") && text(l, "model").ends_with(",A)[24]")
        ),
        "{per:?}"
    );
}

#[test]
fn boiler_time_to_low_fuel_falls_inside_its_interval_for_most_refills() {
    let wd = Workdir::new("forecast-fuel");
    let fuel: String = boiler_hourly()
        .lines()
        .filter(|l| l.contains("\"fuel_level\""))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut cmd = wd.cmd("forecast");
    cmd.args([
        "--backtest",
        "--season",
        "24h",
        "--horizon",
        "48",
        "--until",
        "value < 25",
        "--windows",
        "60",
        "--step",
        "5",
    ]);
    let out = wd.run_with_stdin(&mut cmd, fuel.clone());
    let t = parse_ndjson(&ok(&cmd, &out));
    let t = total(&t);
    let (n, within) = (num(t, "crossings"), num(t, "within"));
    assert!(n >= 40.0, "too few crossings seen: {t}");
    assert!(
        within / n > 0.6,
        "{within} of {n} crossings inside the 80% interval: {t}"
    );

    // The forecast itself: one record per series, with the crossing and
    // its bounds in order, and the sentence a person reads.
    let mut cmd = wd.cmd("forecast");
    cmd.args([
        "--season",
        "24h",
        "--horizon",
        "3d",
        "--until",
        "value < 25",
    ]);
    let out = wd.run_with_stdin(&mut cmd, fuel.clone());
    let recs = parse_ndjson(&ok(&cmd, &out));
    assert_eq!(recs.len(), 8);
    for r in &recs {
        assert_eq!(r["forecast"], true);
        assert_eq!(text(r, "until"), "value < 25");
        if let (Some(a), Some(e)) = (r["at"].as_str(), r["earliest"].as_str()) {
            assert!(e <= a, "{r}");
            if let Some(l) = r["latest"].as_str() {
                assert!(a <= l, "{r}");
            }
            assert!(text(r, "message").contains("below 25 in"), "{r}");
        }
    }
    // As predictive alarm events, which the store keeps with the alarms.
    let mut cmd = wd.cmd("forecast");
    cmd.args([
        "--season",
        "24h",
        "--horizon",
        "3d",
        "--until",
        "value < 25",
        "--events",
    ]);
    let out = wd.run_with_stdin(&mut cmd, fuel);
    let events = ok(&cmd, &out);
    let evs = parse_ndjson(&events);
    assert!(!evs.is_empty());
    assert!(
        evs.iter()
            .all(|e| text(e, "event") == "predicted" && text(e, "kind") == "forecast")
    );
    let mut store = wd.cmd("store");
    store.arg("plant.db");
    let out = wd.run_with_stdin(&mut store, events);
    ok(&store, &out);
    let conn = rusqlite::Connection::open(wd.path("plant.db")).unwrap();
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM alarm_events WHERE event = 'predicted'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n as usize, evs.len());
}

const HOURLY: &str = "2026-01-01T00:00:00Z";

/// `n` hourly readings of one series from a function of the hour.
fn hourly(asset: &str, n: usize, f: impl Fn(usize) -> f64) -> String {
    let start = iiot::time::parse_rfc3339(HOURLY).unwrap();
    (0..n)
        .map(|i| {
            format!(
                "{{\"ts\":{},\"asset\":\"{asset}\",\"tag\":\"x\",\"value\":{}}}\n",
                start + i as i64 * 3_600_000,
                f(i)
            )
        })
        .collect()
}

#[test]
fn forecast_records_go_to_their_own_table_never_to_readings() {
    let wd = Workdir::new("forecast-store");
    let input = hourly("A", 96, |i| {
        10.0 + (i as f64 * std::f64::consts::TAU / 24.0).sin()
    });
    let mut cmd = wd.cmd("forecast");
    cmd.args(["--horizon", "12", "--level", "50,99"]);
    let out = wd.run_with_stdin(&mut cmd, input.clone());
    let fc = ok(&cmd, &out);
    let recs = parse_ndjson(&fc);
    assert_eq!(recs.len(), 12);
    let r = &recs[0];
    assert_eq!(r["forecast"], true);
    assert_eq!(text(r, "ts"), "2026-01-05T00:00:00Z");
    assert_eq!(text(r, "made"), "2026-01-05T00:00:00Z");
    assert!(num(r, "lo_99") < num(r, "lo_50") && num(r, "lo_50") <= num(r, "value"));
    assert!(num(r, "hi_99") > num(r, "hi_50"));
    // The readings and then the forecast for times a real reading will
    // later arrive at: both kept, apart.
    let later = hourly("A", 100, |_| 3.0);
    let mut store = wd.cmd("store");
    store.arg("plant.db");
    let out = wd.run_with_stdin(&mut store, format!("{input}{fc}"));
    ok(&store, &out);
    let out = wd.run_with_stdin(&mut store, later);
    ok(&store, &out);
    let conn = rusqlite::Connection::open(wd.path("plant.db")).unwrap();
    let one = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(one("SELECT count(*) FROM readings"), 100);
    assert_eq!(one("SELECT count(*) FROM forecasts"), 12);
    let made: i64 = one("SELECT DISTINCT made FROM forecasts");
    assert_eq!(
        made,
        iiot::time::parse_rfc3339("2026-01-05T00:00:00Z").unwrap()
    );
    // Stored again: replaced, not doubled.
    let out = wd.run_with_stdin(&mut store, fc.clone());
    ok(&store, &out);
    assert_eq!(one("SELECT count(*) FROM forecasts"), 12);
    // A lake refuses them with the reason.
    let mut lake = wd.cmd("store");
    lake.args(["--parquet", "lake"]);
    let out = wd.run_with_stdin(&mut lake, fc);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.contains("a forecast record: a lake holds measured readings"),
        "{err}"
    );
    assert!(err.contains("rejected 12"), "{err}");
}

#[test]
fn short_constant_gappy_and_bad_input_is_handled_and_counted() {
    let wd = Workdir::new("forecast-bad");
    // Short: 10 points cannot hold season 24; said once per series, even
    // with a refit at each bucket.
    let short = hourly("S", 10, |i| i as f64);
    let constant = hourly("C", 60, |_| 4.0);
    let mut gappy = hourly("G", 60, |i| 2.0 * i as f64);
    gappy = gappy
        .lines()
        .enumerate()
        .filter(|(i, _)| !(20..25).contains(i))
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let bad = "{\"ts\":\"2026-01-01T00:00:00Z\",\"asset\":\"G\",\"tag\":\"x\",\"value\":NaN}\n\
               {\"ts\":\"2026-01-01T00:00:00Z\",\"asset\":\"G\",\"tag\":\"x\",\"value\":1,\"quality\":\"bad\"}\n";
    let mut cmd = wd.cmd("forecast");
    cmd.args(["--season", "24h", "--horizon", "4", "--refit"]);
    let out = wd.run_with_stdin(&mut cmd, format!("{short}{constant}{bad}{gappy}"));
    let recs = parse_ndjson(&ok(&cmd, &out));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.matches("iiot forecast: S/x: ").count(), 1, "{err}");
    assert!(err.contains("too little history for season 24"), "{err}");
    assert!(err.contains("rejected 1"), "{err}");
    assert!(err.contains("left out 1 not-good"), "{err}");
    assert!(err.contains("filled 5 missing buckets"), "{err}");
    let last = |a: &str| -> Vec<&Value> {
        let rs: Vec<&Value> = recs.iter().filter(|r| text(r, "asset") == a).collect();
        let made = text(rs.last().unwrap(), "made").to_string();
        rs.into_iter().filter(|r| text(r, "made") == made).collect()
    };
    let c = last("C");
    assert!(
        c.iter()
            .all(|r| num(r, "value") == 4.0 && text(r, "model") == "constant")
    );
    // The gap filled by a straight line: the trend carries on.
    let g = last("G");
    assert_eq!(g.len(), 4);
    assert!((num(g[0], "value") - 120.0).abs() < 2.0, "{:?}", g[0]);
    // Streaming: a forecast at each new bucket, each made one hour later.
    let s: Vec<&Value> = recs.iter().filter(|r| text(r, "asset") == "S").collect();
    assert!(s.len() >= 4 * 2, "{s:?}");
}

#[test]
fn usage_errors_name_the_option() {
    let wd = Workdir::new("forecast-usage");
    for (args, says) in [
        (&["--until", "level < 3"][..], "--until"),
        (&["--until", "hi_hi"][..], "--model FILE or --preset NAME"),
        (&["--level", "120"][..], "--level"),
        (&["--horizon", "0"][..], "--horizon"),
    ] {
        let mut cmd = wd.cmd("forecast");
        cmd.args(args);
        let out = wd.run_with_stdin(&mut cmd, "");
        let err = fails_with(1, &cmd, &out);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
