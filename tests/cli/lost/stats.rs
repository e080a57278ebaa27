//! Regression tests: stats. Finite readings whose statistics overflow f64
//! on the way (values near ±f64::MAX, a deviation beyond it, value × time
//! above it) once gave rollup records with infinities written as numbers
//! `iiot cat` refuses, and NULL means in a store's rollup table. Every
//! record a verb writes must read back.

use std::process::Command;

use serde_json::Value;

use crate::util::{Workdir, describe, num, ok, parse_ndjson, text};

fn reading(ts: &str, asset: &str, tag: &str, value: &str) -> String {
    format!(
        "{{\"ts\":\"2026-01-01T{ts}Z\",\"asset\":\"{asset}\",\"tag\":\"{tag}\",\"value\":{value}}}\n"
    )
}

/// Runs `iiot VERB ARGS` on `input`, asserting exit 0 and `rejected 0`;
/// returns stdout.
fn clean_run(wd: &Workdir, verb: &str, args: &[&str], input: &str) -> String {
    let mut cmd = wd.cmd(verb);
    cmd.args(args);
    let out = wd.run_with_stdin(&mut cmd, input.as_bytes());
    let stdout = ok(&cmd, &out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rejected 0"),
        "expected nothing rejected\n{}",
        describe(&cmd, &out)
    );
    stdout
}

/// The record of `asset` among `records`.
fn of<'a>(records: &'a [Value], asset: &str) -> &'a Value {
    records
        .iter()
        .find(|r| text(r, "asset") == asset)
        .unwrap_or_else(|| panic!("no record of {asset} in {records:?}"))
}

/// Every statistic finite, and mean and twa within [min, max].
fn sane(r: &Value) {
    for f in [
        "value", "min", "max", "mean", "stddev", "first", "last", "twa",
    ] {
        assert!(num(r, f).is_finite(), "{f} in {r}");
    }
    let (lo, hi) = (num(r, "min"), num(r, "max"));
    for f in ["mean", "twa"] {
        assert!(
            lo <= num(r, f) && num(r, f) <= hi,
            "{f} outside [min, max] in {r}"
        );
    }
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs()
}

#[test]
fn rollup_of_extreme_values_reads_back_through_cat_and_rollup() {
    let wd = Workdir::new("lost-stats-extremes");
    let max = "1.7976931348623157e308";
    let neg_max = "-1.7976931348623157e308";
    let input = [
        // Opposite extremes: the mean is 0, the deviation beyond f64.
        reading("00:00:00", "opposite", "t", "1.7e308"),
        reading("00:00:30", "opposite", "t", "-1.7e308"),
        // MAX twice, then −MAX.
        reading("00:00:00", "max", "t", max),
        reading("00:00:20", "max", "t", max),
        reading("00:00:40", "max", "t", neg_max),
        // One huge value among tiny ones: its square overflows.
        reading("00:00:00", "mixed", "t", "1e-300"),
        reading("00:00:20", "mixed", "t", "1e300"),
        reading("00:00:40", "mixed", "t", "5"),
    ]
    .concat();
    let minute = clean_run(&wd, "rollup", &["--every", "1m"], &input);
    let records = parse_ndjson(&minute);
    assert_eq!(records.len(), 3, "{minute}");
    records.iter().for_each(sane);

    let r = of(&records, "opposite");
    assert_eq!(num(r, "mean"), 0.0, "{r}");
    // 1.7e308 for 30 s, −1.7e308 for 30 s.
    assert_eq!(num(r, "twa"), 0.0, "{r}");
    // √2 · 1.7e308 saturates to the largest finite number.
    assert_eq!(num(r, "stddev"), f64::MAX, "{r}");

    let r = of(&records, "max");
    assert!(near(num(r, "mean"), f64::MAX / 3.0), "{r}");
    // MAX over [0 s, 40 s), −MAX over [40 s, 60 s).
    assert!(near(num(r, "twa"), f64::MAX / 3.0), "{r}");
    assert_eq!(num(r, "stddev"), f64::MAX, "{r}");

    let r = of(&records, "mixed");
    assert!(near(num(r, "mean"), 1e300 / 3.0), "{r}");
    // Deviations 2/3 and −1/3 (twice) of 1e300 over n − 1 = 2.
    assert!(near(num(r, "stddev"), 1e300 / 3f64.sqrt()), "{r}");
    // 1e300 over [20 s, 40 s) of [0 s, 60 s); the rest is negligible.
    assert!(near(num(r, "twa"), 1e300 / 3.0), "{r}");

    // Every record reads back: as records, and as rollups to roll up.
    let back = clean_run(&wd, "cat", &[], &minute);
    assert_eq!(parse_ndjson(&back).len(), 3, "{back}");
    let hour = clean_run(&wd, "rollup", &["--every", "1h"], &minute);
    let hours = parse_ndjson(&hour);
    assert_eq!(hours.len(), 3, "{hour}");
    hours.iter().for_each(sane);
    let r = of(&hours, "opposite");
    assert_eq!(num(r, "mean"), 0.0, "{r}");
    // 1.7e308 for 30 s, then −1.7e308 to the end of the hour.
    assert!(
        near(num(r, "twa"), 1.7e308 * (30.0 - 3570.0) / 3600.0),
        "{r}"
    );
    assert_eq!(num(r, "stddev"), f64::MAX, "{r}");
    let r = of(&hours, "mixed");
    assert!(near(num(r, "mean"), 1e300 / 3.0), "{r}");
    assert!(near(num(r, "stddev"), 1e300 / 3f64.sqrt()), "{r}");
    clean_run(&wd, "cat", &[], &hour);
}

/// Runs the sqlite3 command line tool on `db`.
fn sqlite3(wd: &Workdir, db: &str, sql: &str) -> String {
    let mut cmd = Command::new("sqlite3");
    cmd.current_dir(&wd.dir).arg(db).arg(sql);
    let out = cmd
        .output()
        .expect("running sqlite3 (install it: apt-get install sqlite3)");
    ok(&cmd, &out)
}

#[test]
fn store_rollup_of_extreme_values_writes_finite_mean_and_twa() {
    let wd = Workdir::new("lost-stats-store");
    let input = [
        reading("00:00:00", "a", "t", "1.7e308"),
        reading("00:00:30", "a", "t", "-1.7e308"),
        // Past the first minute's end, so the store's rollup closes it.
        reading("00:01:30", "a", "t", "1"),
    ]
    .concat();
    clean_run(&wd, "store", &["s.db"], &input);
    let mut cmd = wd.cmd("rollup");
    cmd.args(["s.db", "--every", "1m"]);
    let out = wd.run(&mut cmd);
    ok(&cmd, &out);
    // NaN is stored as NULL; ±Inf compares above f64::MAX.
    let row = sqlite3(
        &wd,
        "s.db",
        "SELECT count, typeof(mean), typeof(twa), typeof(stddev), \
                abs(mean) <= 1.7976931348623157e308, abs(twa) <= 1.7976931348623157e308, \
                abs(stddev) <= 1.7976931348623157e308, mean, twa \
         FROM rollup_1m ORDER BY ts LIMIT 1",
    );
    assert_eq!(
        row.trim(),
        "2|real|real|real|1|1|1|0.0|0.0",
        "count, types, finite mean, twa and stddev, mean, twa"
    );
}

#[test]
fn rollup_kpi_of_extreme_rates_and_counters_reads_back_through_cat() {
    let wd = Workdir::new("lost-stats-kpi");
    let running = |ts: &str, asset: &str| {
        format!(
            "{{\"ts\":\"2026-01-01T{ts}Z\",\"asset\":\"{asset}\",\"tag\":\"machine_state\",\"value\":1,\"text\":\"RUNNING\"}}\n"
        )
    };
    let input = [
        // A huge rate over a minute: rate × milliseconds is beyond f64,
        // the ideal count (6e307 parts) is not.
        running("00:00:00", "fast"),
        reading("00:00:00", "fast", "ideal_rate", "1e306"),
        reading("00:00:00", "fast", "parts_produced", "0"),
        reading("00:00:30", "fast", "parts_produced", "1e307"),
        running("00:01:00", "fast"),
        // A counter jumping from −1.7e308 to 1.7e308, scrap alike.
        running("00:00:00", "jump"),
        reading("00:00:00", "jump", "ideal_rate", "1"),
        reading("00:00:00", "jump", "parts_produced", "-1.7e308"),
        reading("00:00:10", "jump", "parts_produced", "1.7e308"),
        reading("00:00:10", "jump", "scrap_x", "-1.7e308"),
        reading("00:00:20", "jump", "scrap_x", "1.7e308"),
        running("00:01:00", "jump"),
    ]
    .concat();
    let out = clean_run(&wd, "rollup", &["--kpi", "oee", "--every", "1m"], &input);
    let records: Vec<Value> = parse_ndjson(&out)
        .into_iter()
        .filter(|r| text(r, "ts") == "2026-01-01T00:00:00Z")
        .collect();
    assert_eq!(records.len(), 2, "{out}");
    for r in &records {
        for f in ["value", "performance", "produced", "good", "ideal"] {
            assert!(num(r, f).is_finite(), "{f} in {r}");
        }
    }
    let fast = of(&records, "fast");
    assert!(near(num(fast, "ideal"), 6e307), "{fast}");
    assert!(near(num(fast, "performance"), 1.0 / 6.0), "{fast}");
    // The jump's true size (3.4e308) saturates.
    assert_eq!(num(of(&records, "jump"), "produced"), f64::MAX);
    let back = clean_run(&wd, "cat", &[], &out);
    assert_eq!(
        parse_ndjson(&back).len(),
        parse_ndjson(&out).len(),
        "{back}"
    );
}
