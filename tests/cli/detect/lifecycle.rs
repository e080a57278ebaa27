//! Operations: rules reloaded on SIGHUP and `--state` across a restart,
//! both keeping windows and active alarms.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::{detect, events, r, series};
use crate::util::{Workdir, parse_ndjson, text};

const RULES: &str = "name,tag,kind,limit,k,window,min_samples\n\
                     hot,h,threshold,50,,,\n\
                     z,z,zscore,,3,20,5\n";

/// H hot from the start; Z quietly alternating 10, 11 for 20 s.
fn warm_up() -> String {
    let mut s = series("A", "h", &[(0, 60.0), (1, 60.0)]);
    for t in 0..20 {
        s.push_str(&r(t, "A", "z", 10.0 + (t % 2) as f64));
    }
    s
}

/// After the pause: H still hot, a jump on Z only a kept window can judge,
/// then H back at `back`.
fn after(back: f64) -> String {
    let mut s = r(21, "A", "h", 60.0);
    s.push_str(&r(21, "A", "z", 30.0));
    s.push_str(&r(22, "A", "h", back));
    s
}

#[test]
fn detect_state_restart_neither_forgets_nor_reraises() {
    let wd = Workdir::new("detect-state");
    wd.write("rules.csv", RULES);
    let args = ["--rules", "rules.csv", "--events", "--state", "s.json"];
    let first = detect(&wd, &args, &warm_up());
    assert_eq!(events(&first), [("raised".into(), "hot".into(), 60.0)]);
    assert!(wd.path("s.json").exists());
    let second = detect(&wd, &args, &after(40.0));
    assert_eq!(
        events(&second),
        [
            ("raised".into(), "z".into(), 30.0),
            ("cleared".into(), "hot".into(), 40.0)
        ],
        "no second raise of hot, and the z window was kept"
    );
    // Without the state file the same input raises hot again and cannot
    // judge z (its window is empty).
    let fresh = detect(&wd, &["--rules", "rules.csv", "--events"], &after(40.0));
    assert_eq!(
        events(&fresh),
        [
            ("raised".into(), "hot".into(), 60.0),
            ("cleared".into(), "hot".into(), 40.0)
        ]
    );
}

#[test]
fn detect_state_err_corrupt_file_is_named() {
    let wd = Workdir::new("detect-state-bad");
    wd.write("s.json", "{not json");
    let mut cmd = wd.cmd("detect");
    cmd.args(["--state", "s.json"]);
    let out = wd.run_with_stdin(&mut cmd, "");
    let err = crate::util::fails_with(1, &cmd, &out);
    assert!(err.contains("s.json is not a detect state file"), "{err}");
}

#[test]
fn detect_sighup_reloads_rules_keeping_windows_and_active_alarms() {
    let wd = Workdir::new("detect-hup");
    wd.write("rules.csv", RULES);
    let mut child = Command::new(env!("CARGO_BIN_EXE_iiot"))
        .current_dir(&wd.dir)
        .args([
            "detect",
            "--rules",
            "rules.csv",
            "--events",
            "--line-buffered",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting iiot detect");
    let pid = child.id();
    // Stops the child if the test stalls, so it never hangs; told when the
    // child has been waited for, so it never signals a reused PID.
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if finished.recv_timeout(Duration::from_secs(30)).is_err() {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    });
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdin.write_all(warm_up().as_bytes()).unwrap();
    stdin.flush().unwrap();
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(
        first.contains("\"raised\"") && first.contains("\"hot\""),
        "{first}"
    );

    // hot's limit moves to 55 (same name and kind: its active alarm stays);
    // a new rule joins.
    wd.write(
        "rules.csv",
        "name,tag,kind,limit,direction,k,window,min_samples\n\
         hot,h,threshold,55,,,,\n\
         z,z,zscore,,,3,20,5\n\
         cold,h,threshold,0,below,,,\n",
    );
    let status = Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    std::thread::sleep(Duration::from_millis(300));
    stdin.write_all(after(53.0).as_bytes()).unwrap();
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    let _ = done.send(());
    let _ = watchdog.join();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("SIGHUP: rules reloaded (3 rules)"),
        "{stderr}"
    );
    let recs = parse_ndjson(&rest);
    assert_eq!(
        events(&recs),
        [
            ("raised".into(), "z".into(), 30.0),
            ("cleared".into(), "hot".into(), 53.0)
        ],
        "hot not raised again; z judged from its kept window; 53 < 55 clears"
    );
    assert_eq!(text(&recs[1], "ts"), "2026-01-01T00:00:22Z");
}

#[test]
fn detect_sigterm_saves_the_state_before_ending() {
    let wd = Workdir::new("detect-term");
    wd.write("rules.csv", RULES);
    let mut child = Command::new(env!("CARGO_BIN_EXE_iiot"))
        .current_dir(&wd.dir)
        .args([
            "detect",
            "--rules",
            "rules.csv",
            "--events",
            "--line-buffered",
        ])
        .args(["--state", "s.json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting iiot detect");
    let pid = child.id().to_string();
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let watched = pid.clone();
    let watchdog = std::thread::spawn(move || {
        if finished.recv_timeout(Duration::from_secs(30)).is_err() {
            let _ = Command::new("kill").args(["-9", &watched]).status();
        }
    });
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdin.write_all(warm_up().as_bytes()).unwrap();
    stdin.flush().unwrap();
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.contains("\"hot\""), "{first}");
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    std::thread::sleep(Duration::from_millis(300));
    // The line being waited for is read, then the run ends with stdin
    // still open.
    let _ = stdin.write_all(r(20, "A", "z", 10.0).as_bytes());
    let _ = stdin.flush();
    let out = child.wait_with_output().unwrap();
    let _ = done.send(());
    let _ = watchdog.join();
    drop(stdin);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("stopped by a signal"), "{stderr}");
    let state: serde_json::Value = serde_json::from_str(&wd.read("s.json")).unwrap();
    let series = state["series"].as_array().unwrap();
    // Whether the line written after the signal is read depends on whether
    // detect was already waiting in read when the signal came (it then
    // reads that line and ends) or not yet (it ends at once): both are
    // right, and the state is saved either way.
    assert!(matches!(series.len(), 1 | 2), "{state}");
    let h = series.iter().find(|s| s["tag"] == "h").unwrap();
    assert_eq!(h["rules"][0]["active"], true, "{h}");
}
