//! Regression tests: retention racing a store, late readings behind the
//! retention point, and the store rollup's last buckets.

use std::process::Stdio;
use std::time::Duration;

use super::store::readings;
use super::{run_ok, sqlite3, stdin_ok};
use crate::util::{Workdir, ok, parse_ndjson};

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const SEC: i64 = 1_000;
const HOUR: i64 = 3_600_000;

fn count(db: &std::path::Path, sql: &str) -> i64 {
    sqlite3(db, sql).trim().parse().expect("a count")
}

/// Readings a series holds: 12 hours at five a second.
const PER_SERIES: i64 = 12 * 3600 * 5;

/// A store of two series over 12 hours at five readings a second, rolled
/// up by the minute.
fn rolled_up_store(wd: &Workdir, name: &str) {
    let mut input = readings("A", "t", T0, SEC / 5, PER_SERIES);
    input.push_str(&readings("B", "t", T0, SEC / 5, PER_SERIES));
    let mut cmd = wd.cmd("store");
    cmd.args([name, "-q"]);
    stdin_ok(wd, &mut cmd, input);
    let mut cmd = wd.cmd("rollup");
    cmd.args([name, "--every", "1m", "-q"]);
    run_ok(wd, &mut cmd);
}

/// Two late readings at 10:30:00.013 (a bucket retention to 11:00 takes).
const LATE: &str = "{\"ts\":\"2026-01-01T10:30:00.013Z\",\"asset\":\"A\",\"tag\":\"t\",\"value\":1000}\n\
                    {\"ts\":\"2026-01-01T10:30:00.013Z\",\"asset\":\"B\",\"tag\":\"t\",\"value\":1000}\n";

/// Where each late reading ended up: still stored, inside the 10:30
/// rollup bucket (301 readings instead of 300), or refused with a reason.
fn account(wd: &Workdir, db: &std::path::Path) -> (i64, i64, i64) {
    let late_ms = T0 + 10 * HOUR + 30 * 60 * SEC + 13;
    let stored = count(
        db,
        &format!("SELECT count(*) FROM readings WHERE ts = {late_ms}"),
    );
    let bucket = T0 + 10 * HOUR + 30 * 60 * SEC;
    let rolled = count(
        db,
        &format!("SELECT count(*) FROM rollup_1m WHERE ts = {bucket} AND count = 301"),
    );
    let refused = parse_ndjson(&wd.read("rejects.ndjson"))
        .iter()
        .filter(|r| {
            r["reason"]
                .as_str()
                .is_some_and(|s| s.contains("retention"))
        })
        .count() as i64;
    (stored, rolled, refused)
}

#[test]
fn retention_racing_a_store_loses_no_late_reading() {
    let wd = Workdir::new("lost-retain-race");
    rolled_up_store(&wd, "template.db");
    wd.write("late.ndjson", LATE);
    let db = wd.path("r.db");
    let mut outcomes = Vec::new();
    for run in 0..10u64 {
        std::fs::copy(wd.path("template.db"), &db).expect("copying the store");
        let _ = std::fs::remove_file(wd.path("r.db-wal"));
        let _ = std::fs::remove_file(wd.path("r.db-shm"));
        let mut retain = wd.cmd("rollup");
        retain
            .args([
                "r.db",
                "--retain",
                "raw=1h",
                "--now",
                "2026-01-01T12:00:00Z",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let retain = retain.spawn().expect("starting retention");
        // Spread the store over the retention run's transactions: before
        // them, between two, after them.
        std::thread::sleep(Duration::from_millis(run * 12));
        let mut store = wd.cmd("store");
        store.args(["r.db", "late.ndjson", "--rejects", "rejects.ndjson"]);
        let out = wd.run(&mut store);
        ok(&store, &out);
        let retained = retain.wait_with_output().expect("waiting for retention");
        assert!(
            retained.status.success(),
            "retention failed: {}",
            String::from_utf8_lossy(&retained.stderr)
        );
        let mut rollup = wd.cmd("rollup");
        rollup.args(["r.db", "--every", "1m", "--final", "-q"]);
        run_ok(&wd, &mut rollup);
        let (stored, rolled, refused) = account(&wd, &db);
        let stderr = String::from_utf8_lossy(&out.stderr);
        // Each of the two is kept raw and in its rollup, or was refused
        // with its reason — never stored and then gone.
        assert_eq!(stored, rolled, "run {run}: {stderr}");
        assert_eq!(stored + refused, 2, "run {run}: {stderr}");
        assert!(stderr.contains(&format!("stored {stored}")), "{stderr}");
        // And every raw reading ever stored is inside a rollup.
        assert_eq!(
            count(&db, "SELECT sum(count) FROM rollup_1m"),
            2 * PER_SERIES + stored,
            "run {run}"
        );
        outcomes.push(stored);
    }
    // Retention deleted around the stores.
    assert!(count(&db, "SELECT count(*) FROM readings") < PER_SERIES);
    eprintln!("late readings kept per run: {outcomes:?}");
}

#[test]
fn store_refuses_a_reading_behind_the_retention_point() {
    let wd = Workdir::new("lost-retain-late");
    rolled_up_store(&wd, "r.db");
    let db = wd.path("r.db");
    let mut cmd = wd.cmd("rollup");
    cmd.args([
        "r.db",
        "--retain",
        "raw=1h",
        "--now",
        "2026-01-01T12:00:00Z",
    ]);
    run_ok(&wd, &mut cmd);
    wd.write("late.ndjson", LATE);
    let mut cmd = wd.cmd("store");
    cmd.args(["r.db", "late.ndjson", "--rejects", "rejects.ndjson"]);
    let out = wd.run(&mut cmd);
    ok(&cmd, &out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("stored 0") && stderr.contains("rejected 2"),
        "{stderr}"
    );
    let rejects = parse_ndjson(&wd.read("rejects.ndjson"));
    assert_eq!(rejects.len(), 2);
    assert_eq!(rejects[0]["line"], 1);
    assert_eq!(rejects[0]["source"], "late.ndjson");
    let reason = rejects[0]["reason"].as_str().unwrap_or("");
    assert!(
        reason.contains("ts") && reason.contains("retention") && reason.contains("11:00:00Z"),
        "{reason}"
    );
    // The raw record is in the reject as read.
    assert!(
        rejects[0]["raw"]
            .as_str()
            .is_some_and(|r| r.contains("10:30:00.013"))
    );
    // A reading after the retention point is stored and rolled up.
    wd.write(
        "later.ndjson",
        "{\"ts\":\"2026-01-01T11:00:30.5Z\",\"asset\":\"A\",\"tag\":\"t\",\"value\":1000}\n",
    );
    let mut cmd = wd.cmd("store");
    cmd.args(["r.db", "later.ndjson"]);
    let out = wd.run(&mut cmd);
    assert!(String::from_utf8_lossy(&out.stderr).contains("stored 1"));
    let mut cmd = wd.cmd("rollup");
    cmd.args(["r.db", "--every", "1m"]);
    run_ok(&wd, &mut cmd);
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT count FROM rollup_1m WHERE series_id = 1 AND ts = {}",
                T0 + 11 * HOUR
            )
        ),
        301
    );
}

#[test]
fn rollup_store_final_and_now_close_the_last_buckets() {
    let wd = Workdir::new("lost-rollup-final");
    // Three full days of two series, every 10 minutes.
    let mut input = readings("A", "t", T0, 600 * SEC, 3 * 144);
    input.push_str(&readings("B", "t", T0, 600 * SEC, 3 * 144));
    for name in ["plain.db", "final.db", "now.db"] {
        let mut cmd = wd.cmd("store");
        cmd.args([name, "-q"]);
        stdin_ok(&wd, &mut cmd, input.clone());
    }
    let run = |args: &[&str]| {
        let mut cmd = wd.cmd("rollup");
        cmd.args(args);
        run_ok(&wd, &mut cmd);
    };
    run(&["plain.db", "--every", "1h,1d"]);
    run(&["final.db", "--every", "1h,1d", "--final"]);
    run(&[
        "now.db",
        "--every",
        "1h,1d",
        "--now",
        "2026-01-04T00:00:00Z",
    ]);
    let days = |db: &str| count(&wd.path(db), "SELECT count(*) FROM rollup_1d");
    let hours = |db: &str| count(&wd.path(db), "SELECT count(*) FROM rollup_1h");
    // By each series' latest reading alone the last day and hour stay open.
    assert_eq!((days("plain.db"), hours("plain.db")), (4, 142));
    assert_eq!((days("final.db"), hours("final.db")), (6, 144));
    assert_eq!((days("now.db"), hours("now.db")), (6, 144));
    // The last day holds its 144 readings.
    assert_eq!(
        count(
            &wd.path("final.db"),
            &format!(
                "SELECT count FROM rollup_1d WHERE series_id = 1 AND ts = {}",
                T0 + 48 * HOUR
            )
        ),
        144
    );
    // Nothing new: a re-run writes nothing more.
    run(&["final.db", "--every", "1h,1d", "--final"]);
    assert_eq!(days("final.db"), 6);
}
