//! `iiot rollup`: rollups of rollups equal rollups of raw readings (a
//! property test), the statistics agree with DuckDB's GROUP BY, the
//! time-weighted mean on hand-built streams, day buckets at local midnight
//! across daylight-saving changes, late readings rejected and counted.

use std::collections::BTreeMap;
use std::process::Command;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::Value;

use crate::util::{Workdir, describe, num, ok, parse_ndjson, text};

/// Runs `iiot rollup ARGS` on `input`; returns stdout and stderr.
fn rollup(wd: &Workdir, args: &[&str], input: &str) -> (String, String) {
    let mut cmd = wd.cmd("rollup");
    cmd.args(args);
    let out = wd.run_with_stdin(&mut cmd, input.as_bytes());
    let stdout = ok(&cmd, &out);
    (stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn reading(ts: &str, asset: &str, tag: &str, value: f64) -> String {
    format!(r#"{{"ts":"{ts}","asset":"{asset}","tag":"{tag}","value":{value}}}"#)
}

/// A reading at epoch milliseconds.
fn reading_ms(ts: i64, value: f64) -> String {
    format!(r#"{{"ts":{ts},"asset":"A","tag":"t","value":{value}}}"#)
}

/// Records by (asset, tag, every, ts).
fn keyed(text_out: &str) -> BTreeMap<(String, String, String, String), Value> {
    parse_ndjson(text_out)
        .into_iter()
        .map(|v| {
            let k = (
                text(&v, "asset").to_string(),
                text(&v, "tag").to_string(),
                text(&v, "every").to_string(),
                text(&v, "ts").to_string(),
            );
            (k, v)
        })
        .collect()
}

const FLOATS: [&str; 9] = [
    "value", "min", "max", "mean", "stddev", "first", "last", "twa", "count",
];

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// The same records, every statistic equal to rounding.
fn same_records(a: &str, b: &str) -> Result<(), String> {
    let (a, b) = (keyed(a), keyed(b));
    let ka: Vec<_> = a.keys().collect();
    let kb: Vec<_> = b.keys().collect();
    if ka != kb {
        return Err(format!("different buckets:\n{ka:?}\n{kb:?}"));
    }
    for (k, x) in &a {
        let y = &b[k];
        for f in FLOATS {
            match (x[f].as_f64(), y[f].as_f64()) {
                (None, None) => {}
                (Some(p), Some(q)) if close(p, q) => {}
                _ => return Err(format!("{k:?} field {f}: {x} vs {y}")),
            }
        }
        for f in ["first_ts", "good", "bad", "quality", "unit"] {
            if x[f] != y[f] {
                return Err(format!("{k:?} field {f}: {x} vs {y}"));
            }
        }
    }
    Ok(())
}

/// Several series with irregular steps, gaps of hours, and some readings
/// of bad quality, interleaved by time.
fn streams() -> impl Strategy<Value = String> {
    let step = prop_oneof![
        8 => 1u64..20_000,
        3 => 20_000u64..200_000,
        1 => 200_000u64..10_000_000,
    ];
    let series = prop::collection::vec(
        (step, -50_000i64..50_000, prop::bool::weighted(0.1)),
        1..150,
    );
    prop::collection::vec(series, 1..4).prop_map(|all| {
        let base: u64 = 1_767_225_600_000 + 7_777;
        let mut lines: Vec<(u64, String)> = Vec::new();
        for (i, s) in all.iter().enumerate() {
            let mut t = base + i as u64 * 1_234;
            for (step, v, bad) in s {
                t += step;
                let q = if *bad { r#","quality":"bad""# } else { "" };
                lines.push((
                    t,
                    format!(
                        r#"{{"ts":{t},"asset":"A-{i}","tag":"t","value":{}{q}}}"#,
                        *v as f64 / 100.0
                    ),
                ));
            }
        }
        lines.sort_by_key(|(t, _)| *t);
        lines.into_iter().map(|(_, l)| l + "\n").collect()
    })
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 40,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn prop_rollup_of_rollups_equals_rollup(input in streams()) {
        let wd = Workdir::new("rollup-prop");
        let (direct, _) = rollup(&wd, &["--every", "1h"], &input);
        let (minutes, _) = rollup(&wd, &["--every", "1m"], &input);
        let (cascade, _) = rollup(&wd, &["--every", "1h"], &minutes);
        same_records(&direct, &cascade).map_err(TestCaseError::fail)?;
        // 1m → 15m → 1h too, and several widths in one run.
        let (quarters, _) = rollup(&wd, &["--every", "15m"], &minutes);
        let (cascade2, _) = rollup(&wd, &["--every", "1h"], &quarters);
        same_records(&direct, &cascade2).map_err(TestCaseError::fail)?;
        let (both, _) = rollup(&wd, &["--every", "1m,1h"], &input);
        let hours: String = both.lines().filter(|l| l.contains(r#""every":"1h""#)).map(|l| format!("{l}\n")).collect();
        same_records(&direct, &hours).map_err(TestCaseError::fail)?;
    }
}

#[test]
fn rollup_twa_on_hand_built_stream() {
    let wd = Workdir::new("rollup-twa");
    let input = [
        reading("2026-01-01T00:00:10Z", "A", "t", 10.0),
        reading("2026-01-01T00:00:40Z", "A", "t", 40.0),
        // Bad: left out, the 40 holds on across it.
        r#"{"ts":"2026-01-01T00:00:50Z","asset":"A","tag":"t","value":1000,"quality":"bad"}"#
            .to_string(),
        // Next bucket: 20 holds from 1:30 to 2:00 only (not carried back).
        reading("2026-01-01T00:01:30Z", "A", "t", 20.0),
    ]
    .join("\n");
    let (out, _) = rollup(&wd, &["--every", "1m"], &input);
    let recs = parse_ndjson(&out);
    assert_eq!(recs.len(), 2, "{out}");
    let a = &recs[0];
    assert_eq!(text(a, "ts"), "2026-01-01T00:00:00Z");
    // 10 for 30 s, 40 for 20 s (to the bucket end), over [0:10, 1:00).
    assert!(
        close(num(a, "twa"), (10.0 * 30.0 + 40.0 * 20.0) / 50.0),
        "{a}"
    );
    assert_eq!(
        (num(a, "count"), num(a, "good"), num(a, "bad")),
        (2.0, 2.0, 1.0)
    );
    assert_eq!((num(a, "mean"), num(a, "value")), (25.0, 25.0));
    assert!(
        close(num(a, "stddev"), (2.0 * 15.0f64 * 15.0).sqrt()),
        "{a}"
    );
    assert_eq!(text(a, "first_ts"), "2026-01-01T00:00:10Z");
    let b = &recs[1];
    assert_eq!(num(b, "twa"), 20.0);
    // And the hour: the 40 holds from 0:40 to 1:30.
    let (hour, _) = rollup(&wd, &["--every", "1h"], &input);
    let h = &parse_ndjson(&hour)[0];
    let want = (10.0 * 30.0 + 40.0 * 50.0 + 20.0 * (3600.0 - 90.0)) / (3600.0 - 10.0);
    assert!(close(num(h, "twa"), want), "{h} want {want}");
}

#[test]
fn rollup_all_bad_bucket_keeps_its_counts() {
    let wd = Workdir::new("rollup-bad");
    let input = r#"{"ts":"2026-01-01T00:00:10Z","asset":"A","tag":"t","value":5,"quality":"bad"}"#;
    let (out, _) = rollup(&wd, &["--every", "1m"], input);
    let r = &parse_ndjson(&out)[0];
    assert_eq!(text(r, "quality"), "bad");
    assert_eq!(
        (num(r, "count"), num(r, "good"), num(r, "bad")),
        (0.0, 0.0, 1.0)
    );
    assert!(r.get("mean").is_none(), "{r}");
    // Cascades as counts.
    let (hour, _) = rollup(&wd, &["--every", "1h"], &out);
    let h = &parse_ndjson(&hour)[0];
    assert_eq!((num(h, "count"), num(h, "bad")), (0.0, 1.0));
}

#[test]
fn rollup_late_reading_is_rejected_and_counted() {
    let wd = Workdir::new("rollup-late");
    let input = [
        reading("2026-01-01T00:00:10Z", "A", "t", 1.0),
        reading("2026-01-01T00:01:05Z", "A", "t", 2.0),
        // Its 00:00 bucket was written when 00:01:05 arrived.
        reading("2026-01-01T00:00:50Z", "A", "t", 99.0),
        // Another series' clock is its own: not late.
        reading("2026-01-01T00:00:30Z", "B", "t", 3.0),
    ]
    .join("\n");
    let mut cmd = wd.cmd("rollup");
    cmd.args(["--every", "1m"]);
    let out = wd.run_with_stdin(&mut cmd, input.as_bytes());
    let stdout = ok(&cmd, &out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("stdin:3: late"), "{}", describe(&cmd, &out));
    assert!(
        stderr.contains("read 4, wrote 3, rejected 1 (1 late)"),
        "{stderr}"
    );
    let recs = keyed(&stdout);
    let a0 = &recs[&(
        "A".into(),
        "t".into(),
        "1m".into(),
        "2026-01-01T00:00:00Z".into(),
    )];
    assert_eq!(
        (num(a0, "count"), num(a0, "max")),
        (1.0, 1.0),
        "the late 99 was folded in: {a0}"
    );

    // With --lateness 1m the bucket waits and takes it.
    let (out, err) = rollup(&wd, &["--every", "1m", "--lateness", "1m"], &input);
    assert!(err.contains("rejected 0"), "{err}");
    let recs = keyed(&out);
    let a0 = &recs[&(
        "A".into(),
        "t".into(),
        "1m".into(),
        "2026-01-01T00:00:00Z".into(),
    )];
    assert_eq!(
        (num(a0, "count"), num(a0, "max"), num(a0, "last")),
        (2.0, 99.0, 99.0)
    );

    // --strict stops at it.
    let mut cmd = wd.cmd("rollup");
    cmd.args(["--every", "1m", "--strict"]);
    let out = wd.run_with_stdin(&mut cmd, input.as_bytes());
    let err = crate::util::fails_with(1, &cmd, &out);
    assert!(err.contains("stdin:3"), "{err}");
}

#[test]
fn rollup_refuses_a_child_that_straddles_buckets() {
    let wd = Workdir::new("rollup-misfit");
    let input = [
        reading("2026-01-01T00:00:10Z", "A", "t", 1.0),
        reading("2026-01-01T00:59:10Z", "A", "t", 2.0),
    ]
    .join("\n");
    let (sevens, _) = rollup(&wd, &["--every", "7m"], &input);
    let mut cmd = wd.cmd("rollup");
    cmd.args(["--every", "1h"]);
    let out = wd.run_with_stdin(&mut cmd, sevens.as_bytes());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.contains("does not fit inside one 1h bucket"),
        "{}",
        describe(&cmd, &out)
    );
    // A record that says it is a rollup but lacks a statistic names it.
    let broken = r#"{"ts":"2026-01-01T00:00:00Z","asset":"A","tag":"t","value":1,"every":"1m","count":2,"first_ts":"2026-01-01T00:00:00Z"}"#;
    let mut cmd = wd.cmd("rollup");
    cmd.args(["--every", "1h"]);
    let out = wd.run_with_stdin(&mut cmd, broken.as_bytes());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("stdin:1") && stderr.contains("mean"),
        "{}",
        describe(&cmd, &out)
    );
}

#[test]
fn rollup_tz_days_start_at_local_midnight_across_daylight_saving() {
    let wd = Workdir::new("rollup-dst");
    // Hourly readings from 2026-03-27 to 2026-03-31 and around 2026-10-25,
    // Berlin changes clocks on 03-29 (23 h) and 10-25 (25 h).
    let mut input = String::new();
    let spring = 1_774_569_600_000i64; // 2026-03-27T00:00Z
    for h in 0..120 {
        input += &reading_ms(spring + h * 3_600_000, h as f64);
        input.push('\n');
    }
    let autumn = 1_792_713_600_000i64; // 2026-10-23T00:00Z
    for h in 0..96 {
        input += &reading_ms(autumn + h * 3_600_000, 1.0);
        input.push('\n');
    }
    let (out, _) = rollup(&wd, &["--every", "1d", "--tz", "Europe/Berlin"], &input);
    let recs = keyed(&out);
    let day = |ts: &str| &recs[&("A".into(), "t".into(), "1d".into(), ts.into())];
    // Local midnight in winter is 23:00Z, in summer 22:00Z.
    assert_eq!(num(day("2026-03-27T23:00:00Z"), "count"), 24.0, "{out}");
    assert_eq!(num(day("2026-03-28T23:00:00Z"), "count"), 23.0, "{out}");
    assert_eq!(num(day("2026-03-29T22:00:00Z"), "count"), 24.0, "{out}");
    assert_eq!(num(day("2026-10-24T22:00:00Z"), "count"), 25.0, "{out}");
    assert_eq!(num(day("2026-10-25T23:00:00Z"), "count"), 24.0, "{out}");
    // The 23-hour day's time weighting covers 23 hours from its first
    // reading: values 23..45 each for an hour.
    let spring = day("2026-03-28T23:00:00Z");
    assert_eq!(text(spring, "first_ts"), "2026-03-28T23:00:00Z");
    assert!(
        close(num(spring, "twa"), (47..70).sum::<i32>() as f64 / 23.0),
        "{spring}"
    );
    // Without --tz the days are UTC days.
    let (utc, _) = rollup(&wd, &["--every", "1d"], &input);
    assert!(
        keyed(&utc).keys().all(|k| k.3.ends_with("T00:00:00Z")),
        "{utc}"
    );
    // Hours cascade into local days exactly.
    let (hours, _) = rollup(&wd, &["--every", "1h"], &input);
    let (days, _) = rollup(&wd, &["--every", "1d", "--tz", "Europe/Berlin"], &hours);
    same_records(&out, &days).unwrap();
}

/// Streaming 1-minute rollups of a simulated stream against DuckDB's
/// GROUP BY over the same readings.
#[test]
fn rollup_matches_duckdb_group_by() {
    let wd = Workdir::new("rollup-duckdb");
    let mut sim = wd.cmd("simulate");
    sim.args([
        "--preset",
        "boiler",
        "--duration",
        "30m",
        "--interval",
        "7s",
        "--seed",
        "3",
        "--faults",
        "dropout=0.02,spike=0.01",
    ]);
    let out = wd.run(&mut sim);
    let raw = ok(&sim, &out);
    // Every 13th reading of bad quality: left out on both sides.
    let raw: String = raw
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i % 13 == 0 {
                format!("{},\"quality\":\"bad\"}}\n", &l[..l.len() - 1])
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    wd.write("raw.ndjson", &raw);
    let (out, _) = rollup(&wd, &["--every", "1m"], &raw);
    wd.write("rollup.ndjson", &out);
    let script = r#"
import duckdb, json, sys
con = duckdb.connect()
rows = con.execute("""
  SELECT asset, tag, strftime(time_bucket(INTERVAL 1 minute, ts::TIMESTAMP), '%Y-%m-%dT%H:%M:%SZ') AS b,
         count(*), min(value), max(value), avg(value), stddev_samp(value)
  FROM read_json('raw.ndjson', format='newline_delimited',
                 columns={'ts':'VARCHAR','asset':'VARCHAR','tag':'VARCHAR','value':'DOUBLE','quality':'VARCHAR'})
  WHERE coalesce(quality, 'good') = 'good'
  GROUP BY ALL ORDER BY ALL""").fetchall()
for r in rows:
    print(json.dumps(list(r)))
"#;
    wd.write("q.py", script);
    let mut py = Command::new("python3");
    py.arg("q.py").current_dir(&wd.dir);
    let res = py
        .output()
        .expect("python3 is needed, with DuckDB: apt-get install python3; pip install duckdb");
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        !err.contains("No module named 'duckdb'"),
        "DuckDB is missing: install it with `pip install duckdb` (or scripts/test)"
    );
    let rows = ok(&py, &res);
    let ours = keyed(&out);
    let mut n = 0;
    for line in rows.lines() {
        let r: Vec<Value> = serde_json::from_str(line).unwrap();
        let k = (
            r[0].as_str().unwrap().to_string(),
            r[1].as_str().unwrap().to_string(),
            "1m".to_string(),
            r[2].as_str().unwrap().to_string(),
        );
        let o = ours
            .get(&k)
            .unwrap_or_else(|| panic!("no rollup for {k:?}"));
        assert_eq!(num(o, "count"), r[3].as_f64().unwrap(), "{k:?}");
        for (i, f) in [(4, "min"), (5, "max"), (6, "mean")] {
            assert!(
                close(num(o, f), r[i].as_f64().unwrap()),
                "{k:?} {f}: {o} vs {line}"
            );
        }
        let sd = r[7].as_f64().unwrap_or(0.0);
        assert!(
            (num(o, "stddev") - sd).abs() <= 1e-9 * sd.max(1.0),
            "{k:?} stddev: {o} vs {line}"
        );
        n += 1;
    }
    let good_buckets = ours.values().filter(|v| num(v, "count") > 0.0).count();
    assert_eq!(n, good_buckets, "DuckDB and iiot see different buckets");
    assert!(n > 500, "too few buckets compared: {n}");
}

/// OEE on a hand-built hour of one machine.
#[test]
fn rollup_kpi_oee_on_hand_built_machine() {
    let wd = Workdir::new("rollup-oee");
    let m = |ts: &str, tag: &str, value: f64, text_: &str| {
        let t = if text_.is_empty() {
            String::new()
        } else {
            format!(r#","text":"{text_}""#)
        };
        format!(r#"{{"ts":"2026-01-01T{ts}Z","asset":"M","tag":"{tag}","value":{value}{t}}}"#)
    };
    let input = [
        m("00:00:00", "machine_state", 0.0, "IDLE"),
        m("00:00:00", "parts_produced", 100.0, ""),
        m("00:00:00", "scrap_quality", 5.0, ""),
        m("00:00:00", "ideal_rate", 1.0, ""),
        m("00:00:00", "spindle_temp", 50.0, ""),
        m("00:10:00", "machine_state", 1.0, "RUNNING"),
        m("00:40:00", "machine_state", 2.0, "ERROR"),
        m("00:40:00", "parts_produced", 1540.0, ""),
        m("00:45:00", "machine_state", 1.0, "RUNNING"),
        // The counter was reset: 60 counted since.
        m("00:50:00", "parts_produced", 60.0, ""),
        m("00:50:00", "machine_state", 3.0, ""),
        m("00:59:00", "scrap_quality", 35.0, ""),
        m("01:00:00", "machine_state", 0.0, "IDLE"),
    ]
    .join("\n");
    let (out, err) = rollup(&wd, &["--kpi", "oee", "--every", "1h"], &input);
    assert!(err.contains("read 13, wrote 2, rejected 0"), "{err}");
    let recs = parse_ndjson(&out);
    let h = &recs[0];
    assert_eq!(
        (text(h, "tag"), text(h, "ts")),
        ("oee", "2026-01-01T00:00:00Z")
    );
    // Planned: 60 min less 10 of maintenance; running 30 + 5 min.
    assert_eq!((num(h, "planned_s"), num(h, "running_s")), (3000.0, 2100.0));
    assert!(close(num(h, "availability"), 0.7), "{h}");
    assert!(close(num(h, "performance"), 1500.0 / 2100.0), "{h}");
    assert!(close(num(h, "quality_rate"), 1470.0 / 1500.0), "{h}");
    let oee = 0.7 * (1500.0 / 2100.0) * (1470.0 / 1500.0);
    assert!(
        close(num(h, "oee"), oee) && close(num(h, "value"), oee),
        "{h}"
    );
    assert_eq!(h["scrap"]["quality"], 30.0);
    assert!(
        close(h["scrap_rate"]["quality"].as_f64().unwrap(), 0.02),
        "{h}"
    );
    assert_eq!((num(h, "errors"), num(h, "error_s")), (1.0, 300.0));
    // The next hour has no planned time yet: no ratios, quality uncertain.
    let next = &recs[1];
    assert_eq!(text(next, "quality"), "uncertain", "{next}");
    assert!(next.get("oee").is_none(), "{next}");

    // A machine's readings out of time order are rejected.
    let swapped = [
        m("00:10:00", "machine_state", 1.0, "RUNNING"),
        m("00:05:00", "machine_state", 0.0, "IDLE"),
    ]
    .join("\n");
    let (_, err) = rollup(&wd, &["--kpi", "oee", "--every", "1h"], &swapped);
    assert!(
        err.contains("stdin:2") && err.contains("rejected 1"),
        "{err}"
    );
}

#[test]
fn rollup_kpi_oee_on_the_factory_preset_stays_in_range() {
    let wd = Workdir::new("rollup-oee-sim");
    let mut sim = wd.cmd("simulate");
    sim.args([
        "--preset",
        "factory",
        "--duration",
        "6h",
        "--interval",
        "10s",
        "--seed",
        "9",
    ]);
    let out = wd.run(&mut sim);
    let raw = ok(&sim, &out);
    let (out, _) = rollup(&wd, &["--kpi", "oee", "--every", "1h"], &raw);
    let recs = parse_ndjson(&out);
    assert_eq!(recs.len(), 8 * 6, "8 machines × 6 hours");
    for r in &recs {
        for f in ["availability", "quality_rate", "oee"] {
            if let Some(v) = r[f].as_f64() {
                assert!((0.0..=1.0).contains(&v), "{f} out of range: {r}");
            }
        }
        let states: f64 = r["state_s"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert!(states <= 3600.0 + 1e-9, "{r}");
    }
    assert!(
        recs.iter().any(|r| num(r, "errors") > 0.0),
        "no ERROR period in 6 h of 8 machines"
    );
}

#[test]
fn rollup_closed_pipe_ends_quietly() {
    let wd = Workdir::new("rollup-pipe");
    // head's status is the pipeline's: each iiot stage's is printed after
    // the line head lets through.
    let mut cmd = std::process::Command::new("bash");
    cmd.current_dir(&wd.dir).arg("-c").arg(format!(
        "'{bin}' simulate --preset boiler --duration 2h | '{bin}' -q rollup --every 1s | head -1; \
         echo \"status ${{PIPESTATUS[0]}} ${{PIPESTATUS[1]}}\"",
        bin = env!("CARGO_BIN_EXE_iiot")
    ));
    let out = cmd.output().unwrap();
    let stdout = ok(&cmd, &out);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(
        lines[1], "status 0 0",
        "simulate and rollup both end with 0"
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

/// Readings out of order by a few seconds, with --lateness to cover it:
/// nothing is rejected and every statistic but the time weighting equals
/// the sorted stream's.
#[test]
fn rollup_lateness_absorbs_disorder() {
    let wd = Workdir::new("rollup-disorder");
    let mut sim = wd.cmd("simulate");
    sim.args(["--preset", "boiler", "--duration", "10m", "--seed", "5"]);
    let out = wd.run(&mut sim);
    let sorted = ok(&sim, &out);
    let lines: Vec<&str> = sorted.lines().collect();
    // Each block of 7 ticks (64 series each) reversed: some straddle minutes.
    let disordered: String = lines
        .chunks(64 * 7)
        .flat_map(|c| c.iter().rev())
        .map(|l| format!("{l}\n"))
        .collect();
    let (a, _) = rollup(&wd, &["--every", "1m,10m"], &sorted);
    let (b, err) = rollup(
        &wd,
        &["--every", "1m,10m", "--lateness", "10s"],
        &disordered,
    );
    assert!(err.contains("rejected 0"), "{err}");
    let (a, b) = (keyed(&a), keyed(&b));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, x) in &a {
        let y = &b[k];
        for f in [
            "count", "min", "max", "mean", "stddev", "first", "last", "good", "bad",
        ] {
            assert!(close(num(x, f), num(y, f)), "{k:?} {f}: {x} vs {y}");
        }
        assert_eq!(x["first_ts"], y["first_ts"]);
    }
    // Without the lateness the stragglers are rejected, not folded in.
    let (_, err) = rollup(&wd, &["--every", "1m"], &disordered);
    assert!(!err.contains("rejected 0 "), "{err}");
}
