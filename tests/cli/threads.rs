//! Parsing on every core gives what one thread gives: the same records in
//! the same order, the same rejects with the same line numbers, the same
//! summary — on an input of many blocks with bad lines scattered through
//! them, for cat, store and detect.

use std::process::Output;

use crate::util::{Workdir, describe};

/// A wellhead stream of about 90 000 lines (some 9 MB, so well over a
/// hundred blocks) with a bad line of a different kind every 997 lines.
fn input(wd: &Workdir) -> std::path::PathBuf {
    let mut cmd = wd.cmd("simulate");
    cmd.args([
        "--preset",
        "wellhead",
        "--count",
        "420",
        "--seed",
        "7",
        "--faults",
        "spike=0.01",
    ]);
    let out = wd.run(&mut cmd);
    assert!(out.status.success(), "{}", describe(&cmd, &out));
    let bad = [
        "not json at all",
        "{\"ts\":\"2026-01-01T00:00:00Z\",\"asset\":\"X\",\"tag\":\"t\",\"value\":NaN}",
        "{\"ts\":\"yesterday\",\"asset\":\"X\",\"tag\":\"t\",\"value\":1}",
        "",
        "   ",
        "{\"ts\":1,\"asset\":\"X\",\"tag\":\"t\"}",
        "{\"ts\":1,\"asset\":\"X\",\"tag\":\"t\",\"value\":1,\"event\":\"raised\",\"rule\":\"r\"}",
    ];
    let mut text = String::new();
    for (i, line) in String::from_utf8_lossy(&out.stdout).lines().enumerate() {
        if i % 997 == 13 {
            text.push_str(bad[(i / 997) % bad.len()]);
            text.push('\n');
        }
        text.push_str(line);
        text.push_str(if i % 5 == 0 { "\r\n" } else { "\n" });
    }
    wd.write("in.ndjson", text)
}

/// Runs `args` with `IIOT_THREADS` set; stdout, the rejects file and
/// stderr.
fn run(wd: &Workdir, threads: &str, args: &[&str]) -> (Output, String) {
    let _ = std::fs::remove_file(wd.path("rejects.ndjson"));
    let mut cmd = wd.cmd("");
    cmd.env("IIOT_THREADS", threads)
        .args(args)
        .args(["--rejects", "rejects.ndjson"]);
    let out = wd.run(&mut cmd);
    assert!(out.status.success(), "{}", describe(&cmd, &out));
    (out, wd.read("rejects.ndjson"))
}

fn same_with_one_thread_and_many(wd: &Workdir, args: &[&str]) -> (Output, String) {
    let (one, one_rejects) = run(wd, "1", args);
    for threads in ["2", "5"] {
        let (many, many_rejects) = run(wd, threads, args);
        assert!(
            one.stdout == many.stdout,
            "{args:?}: stdout differs with {threads} threads"
        );
        assert_eq!(one_rejects, many_rejects, "{args:?}: rejects differ");
        assert_eq!(
            String::from_utf8_lossy(&one.stderr),
            String::from_utf8_lossy(&many.stderr),
            "{args:?}: the summary differs"
        );
    }
    (one, one_rejects)
}

#[test]
fn threads_cat_store_detect_match_one_thread_exactly() {
    let wd = Workdir::new("threads-same");
    input(&wd);
    let (out, rejects) = same_with_one_thread_and_many(&wd, &["cat", "in.ndjson"]);
    assert!(out.stdout.len() > 8_000_000);
    // The rejects name their lines: five bad kinds in, blank ones skipped.
    let lines: Vec<&str> = rejects.lines().collect();
    assert!(lines.len() > 50, "{rejects}");
    assert!(lines[0].contains("\"line\":14"), "{}", lines[0]);
    same_with_one_thread_and_many(&wd, &["detect", "--preset", "wellhead", "in.ndjson"]);
    same_with_one_thread_and_many(
        &wd,
        &["detect", "--preset", "wellhead", "--events", "in.ndjson"],
    );
    // The store: the same rejects and summary, and the same rows.
    let mut dumps = Vec::new();
    for threads in ["1", "3"] {
        let _ = std::fs::remove_file(wd.path("s.db"));
        let (out, rejects) = run(&wd, threads, &["store", "s.db", "in.ndjson"]);
        let mut cmd = wd.cmd("query");
        cmd.arg("s.db");
        let q = wd.run(&mut cmd);
        assert!(q.status.success(), "{}", describe(&cmd, &q));
        dumps.push((
            String::from_utf8_lossy(&out.stderr).into_owned(),
            rejects,
            q.stdout,
        ));
    }
    assert_eq!(dumps[0].0, dumps[1].0);
    assert_eq!(dumps[0].1, dumps[1].1);
    assert!(dumps[0].2 == dumps[1].2, "the stores differ");
}
