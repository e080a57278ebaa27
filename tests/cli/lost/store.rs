//! Regression tests: the SQLite store — a closed --tee, rollup records,
//! a database locked past --busy-timeout, a full disk, a read-only mount,
//! times before 1970.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Tmpfs, pipeline, sqlite3, stdin_ok};
use crate::util::{Workdir, fails_with, ok, parse_ndjson};

/// `n` readings of one series from epoch ms `start`, `step` apart.
pub fn readings(asset: &str, tag: &str, start: i64, step: i64, n: i64) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!(
            "{{\"ts\":{},\"asset\":\"{asset}\",\"tag\":\"{tag}\",\"value\":{}}}\n",
            start + i * step,
            (i % 97) as f64 + 0.5
        ));
    }
    s
}

fn count(db: &std::path::Path, sql: &str) -> i64 {
    sqlite3(db, sql).trim().parse().expect("a count")
}

#[test]
fn store_tee_closed_downstream_goes_on_storing() {
    let wd = Workdir::new("lost-store-tee-closed");
    let (codes, stdout, stderr) = pipeline(
        &wd,
        "\"$IIOT\" simulate --preset wellhead --count 100 --seed 3 | \"$IIOT\" store --tee x.db | head -1",
    );
    assert_eq!(codes, vec![0, 0, 0], "every stage succeeds\n{stderr}");
    assert_eq!(stdout.lines().count(), 1);
    assert!(
        stderr.contains("stdout closed") && stderr.contains("storing goes on"),
        "one message says the copy ended: {stderr}"
    );
    assert_eq!(
        stderr.matches("stdout closed").count(),
        1,
        "said once: {stderr}"
    );
    // 12 wells x 18 tags x 100 ticks, every one stored.
    assert_eq!(
        count(&wd.path("x.db"), "SELECT count(*) FROM readings"),
        21_600
    );
    assert!(stderr.contains("stored 21600"), "{stderr}");
}

#[test]
fn store_rollup_records_go_to_their_own_table_not_duplicates() {
    let wd = Workdir::new("lost-store-rollups");
    let (codes, _, stderr) = pipeline(
        &wd,
        "\"$IIOT\" simulate --preset fermenter --duration 6h --interval 1m --seed 2 \
         | \"$IIOT\" store --tee s.db | \"$IIOT\" rollup --every 1h | \"$IIOT\" store s.db",
    );
    assert_eq!(codes, vec![0, 0, 0, 0], "{stderr}");
    let db = wd.path("s.db");
    let raw = count(&db, "SELECT count(*) FROM readings");
    let series = count(&db, "SELECT count(*) FROM series");
    assert_eq!(raw, 360 * series, "{stderr}");
    // Six hours, one record per series per hour, in `rollups`.
    assert_eq!(count(&db, "SELECT count(*) FROM rollups"), 6 * series);
    assert!(
        stderr.contains(&format!("{} rollup records", 6 * series)),
        "{stderr}"
    );
    assert!(!stderr.contains("duplicates 72"), "{stderr}");
    let row = sqlite3(
        &db,
        "SELECT every, count, ts FROM rollups_v ORDER BY ts, asset, tag LIMIT 1",
    );
    assert!(row.starts_with("1h|60|"), "{row}");
    // A replay adds nothing and says so.
    let (codes, _, stderr) = pipeline(
        &wd,
        "\"$IIOT\" query s.db | \"$IIOT\" rollup --every 1h | \"$IIOT\" store s.db",
    );
    assert_eq!(codes, vec![0, 0, 0], "{stderr}");
    assert!(
        stderr.contains(&format!("duplicates {}", 6 * series)),
        "{stderr}"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM rollups"), 6 * series);
}

/// Holds a SQLite write lock from another process until dropped.
struct Locker {
    child: std::process::Child,
}

impl Locker {
    fn hold(db: &std::path::Path, seconds: f64) -> Locker {
        let code = format!(
            "import sqlite3, sys, time\n\
             c = sqlite3.connect({db:?}, isolation_level=None)\n\
             c.execute('BEGIN IMMEDIATE')\n\
             print('locked', flush=True)\n\
             time.sleep({seconds})\n\
             c.execute('COMMIT')\n",
            db = db.display().to_string()
        );
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(code)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 is needed: install python3");
        let mut line = String::new();
        use std::io::BufRead;
        let stdout = child.stdout.take().expect("stdout");
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("reading the locker");
        assert_eq!(line.trim(), "locked");
        Locker { child }
    }
}

impl Drop for Locker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn store_locked_past_busy_timeout_rejects_every_unstored_reading() {
    let wd = Workdir::new("lost-store-busy");
    let db = wd.path("x.db");
    // The store exists; another process then holds its write lock.
    let mut cmd = wd.cmd("store");
    cmd.arg("x.db");
    stdin_ok(&wd, &mut cmd, readings("A", "t", 0, 1000, 10));
    let locker = Locker::hold(&db, 30.0);
    let mut cmd = wd.cmd("store");
    cmd.args(["x.db", "--busy-timeout", "1500ms", "--rejects", "r.ndjson"]);
    let out = wd.run_with_stdin(&mut cmd, readings("B", "t", 0, 1000, 50));
    drop(locker);
    let stderr = fails_with(1, &cmd, &out);
    assert_eq!(
        stderr.matches("waiting up to").count(),
        1,
        "one message while waiting: {stderr}"
    );
    assert!(stderr.contains("stayed locked"), "{stderr}");
    assert!(
        stderr.contains("50 records read but not stored"),
        "{stderr}"
    );
    let rejects = parse_ndjson(&wd.read("r.ndjson"));
    assert_eq!(rejects.len(), 50);
    assert!(
        rejects[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("not stored") && r.contains("locked")),
        "{}",
        rejects[0]
    );
    assert_eq!(rejects[0]["line"], 1);
    assert_eq!(rejects[49]["line"], 50);
    // The raw record is there to be stored again.
    let again: String = rejects
        .iter()
        .map(|r| format!("{}\n", r["raw"].as_str().expect("raw")))
        .collect();
    let mut cmd = wd.cmd("store");
    cmd.arg("x.db");
    let stderr = String::from_utf8_lossy(&wd.run_with_stdin(&mut cmd, again).stderr).into_owned();
    assert!(stderr.contains("stored 50"), "{stderr}");
    assert_eq!(count(&db, "SELECT count(*) FROM readings"), 60);
}

#[test]
fn store_waits_for_a_short_lock_and_stores_everything() {
    let wd = Workdir::new("lost-store-busy-short");
    let db = wd.path("x.db");
    let mut cmd = wd.cmd("store");
    cmd.arg("x.db");
    stdin_ok(&wd, &mut cmd, readings("A", "t", 0, 1000, 10));
    let locker = Locker::hold(&db, 2.5);
    let started = Instant::now();
    let mut cmd = wd.cmd("store");
    cmd.args(["x.db", "--busy-timeout", "20s"]);
    let out = wd.run_with_stdin(&mut cmd, readings("B", "t", 0, 1000, 50));
    drop(locker);
    let stdout = ok(&cmd, &out);
    assert!(stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(started.elapsed() >= Duration::from_secs(1), "it waited");
    assert_eq!(stderr.matches("waiting up to").count(), 1, "{stderr}");
    assert!(stderr.contains("stored 50"), "{stderr}");
    assert_eq!(count(&db, "SELECT count(*) FROM readings"), 60);
}

#[test]
fn store_on_a_full_disk_says_so_and_rejects_the_batch() {
    let wd = Workdir::new("lost-store-full");
    let disk = Tmpfs::mount(&wd, "disk", "1m", "");
    // Far more than 1 MiB of readings; rejects go outside the full disk.
    let input = readings("A", "t", 0, 1000, 60_000);
    let mut cmd = wd.cmd("store");
    cmd.arg(disk.path("x.db"))
        .args(["--rejects", "r.ndjson", "--batch-rows", "20000"]);
    let out = wd.run_with_stdin(&mut cmd, input);
    let stderr = fails_with(1, &cmd, &out);
    assert!(stderr.contains("disk is full"), "{stderr}");
    assert!(!stderr.contains("no transaction is active"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let rejected = parse_ndjson(&wd.read("r.ndjson")).len() as i64;
    assert!(rejected > 0, "the batch that did not fit is in the rejects");
    assert!(
        stderr.contains(&format!("{rejected} records read but not stored")),
        "{stderr}"
    );
    // Whatever was committed before is intact and accounted for.
    let stored = count(&disk.path("x.db"), "SELECT count(*) FROM readings");
    assert!(
        stderr.contains(&format!("stored {stored}")),
        "stored {stored}: {stderr}"
    );
    // Every line read is stored or rejected (the rest was never read).
    let read: i64 = stderr
        .split("iiot store: read ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .and_then(|n| n.parse().ok())
        .expect("a summary");
    assert_eq!(read, stored + rejected, "{stderr}");
}

#[test]
fn store_on_a_read_only_mount_says_read_only() {
    let wd = Workdir::new("lost-store-ro");
    let disk = Tmpfs::mount(&wd, "disk", "4m", "");
    let mut cmd = wd.cmd("store");
    cmd.arg(disk.path("x.db"));
    stdin_ok(&wd, &mut cmd, readings("A", "t", 0, 1000, 10));
    disk.make_read_only();
    let mut cmd = wd.cmd("store");
    cmd.arg(disk.path("x.db"));
    let out = wd.run_with_stdin(&mut cmd, readings("A", "t", 100_000, 1000, 10));
    let stderr = fails_with(1, &cmd, &out);
    assert!(!stderr.contains("not a SQLite database"), "{stderr}");
    assert!(stderr.contains("read-only"), "{stderr}");
}

#[test]
fn store_view_prints_times_before_1970() {
    let wd = Workdir::new("lost-store-1969");
    let input = "{\"ts\":\"1969-06-01T12:00:01.250Z\",\"asset\":\"A\",\"tag\":\"t\",\"value\":1}\n\
                 {\"ts\":\"1969-12-31T23:59:59.999Z\",\"asset\":\"A\",\"tag\":\"t\",\"value\":2}\n\
                 {\"ts\":\"1969-06-01T12:00:01Z\",\"asset\":\"A\",\"tag\":\"t\",\"value\":3,\"event\":\"raised\",\"rule\":\"r\"}\n";
    let mut cmd = wd.cmd("store");
    cmd.arg("x.db");
    stdin_ok(&wd, &mut cmd, input);
    let db = wd.path("x.db");
    assert_eq!(
        sqlite3(&db, "SELECT ts FROM readings_v ORDER BY ts"),
        "1969-06-01T12:00:01.250Z\n1969-12-31T23:59:59.999Z\n"
    );
    assert_eq!(
        sqlite3(&db, "SELECT ts FROM alarm_events_v"),
        "1969-06-01T12:00:01Z\n"
    );
}

#[test]
fn store_mends_the_view_of_an_older_store() {
    let wd = Workdir::new("lost-store-old-view");
    let db = wd.path("x.db");
    crate::peers::sqlite_store(&db, &[crate::peers::row(-1, "A", "t", 1.0)]);
    assert_eq!(
        sqlite3(&db, "SELECT ts FROM readings_v"),
        "1970-01-01T00:00:00.-01Z\n",
        "the older view, as written by the fixture"
    );
    let mut cmd = wd.cmd("store");
    cmd.arg("x.db");
    stdin_ok(&wd, &mut cmd, "");
    assert_eq!(
        sqlite3(&db, "SELECT ts FROM readings_v"),
        "1969-12-31T23:59:59.999Z\n"
    );
}
