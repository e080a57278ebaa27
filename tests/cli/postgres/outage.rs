//! The server goes away under a live store fed at a steady pace (as
//! `poll` feeds it: a tick of readings every 40 ms) and comes back:
//! nothing read is lost, and each outage is said once.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::cluster::Cluster;
use super::{bash_ok, sorted_lines};
use crate::util::Workdir;

#[test]
fn restarting_the_server_under_a_live_store_loses_nothing_and_says_each_outage_once() {
    let pg = Cluster::own();
    let url = pg.database("outage");
    let wd = Workdir::new("pg-outage");
    bash_ok(
        &wd,
        "iiot simulate --preset fermenter --interval 50ms --count 450 --seed 2 > in.ndjson",
    );
    let input = wd.read("in.ndjson");
    let lines: Vec<String> = input.lines().map(str::to_string).collect();
    let n = lines.len();
    let mut store = Command::new(env!("CARGO_BIN_EXE_iiot"))
        .args(["store", &url, "--batch-time", "100ms"])
        .current_dir(&wd.dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting store");
    let mut stdin = store.stdin.take().unwrap();
    // 28 readings (one tick of the fermenters) every 40 ms: about 18 s.
    let feeder = std::thread::spawn(move || {
        for tick in lines.chunks(28) {
            for l in tick {
                writeln!(stdin, "{l}").unwrap();
            }
            stdin.flush().unwrap();
            std::thread::sleep(Duration::from_millis(40));
        }
    });
    let db = super::cluster::db_of(&url).to_string();
    let stored = || -> i64 {
        pg.psql(&db, "SELECT count(*) FROM readings")
            .parse()
            .unwrap_or(0)
    };
    // Two outages: a fast shutdown, then a crash (immediate shutdown);
    // the second once store has written again after the first.
    std::thread::sleep(Duration::from_millis(1500));
    for signal in ["INT", "QUIT"] {
        assert!(!feeder.is_finished(), "the feed ended before the outage");
        let before = stored();
        pg.stop_with(signal);
        std::thread::sleep(Duration::from_millis(1500));
        pg.start();
        let t = std::time::Instant::now();
        while stored() <= before {
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "store wrote nothing after the restart"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    feeder.join().expect("the feeder");
    let out = store.wait_with_output().expect("waiting for store");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!("read {n}, ")) && err.contains("rejected 0"),
        "{err}"
    );
    assert_eq!(
        err.matches("connection lost").count(),
        2,
        "one message per outage:\n{err}"
    );
    let (got, _) = bash_ok(&wd, &format!("iiot query {url}"));
    let (got, want) = (sorted_lines(&got), sorted_lines(&input));
    assert!(
        got == want,
        "query gave {} lines for {} read\n{err}",
        got.len(),
        want.len()
    );
}
