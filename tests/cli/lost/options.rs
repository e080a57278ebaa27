//! Regression tests: option values checked by clap (exit 2), outputs that
//! would overwrite an input (exit 2), and summaries of runs that stop
//! early.

use super::{pipeline, store::readings};
use crate::util::{Workdir, fails_with};

#[test]
fn bad_option_values_are_usage_errors() {
    let wd = Workdir::new("lost-options-exit-2");
    for (args, option) in [
        (&["rollup", "--every", "a"][..], "--every"),
        (&["rollup", "--every", "1d", "--tz", "Mars/Olympus"], "--tz"),
        (&["store", "x.db", "--batch-time", "xyz"], "--batch-time"),
        (
            &["store", "x.db", "--busy-timeout", "soon"],
            "--busy-timeout",
        ),
        (
            &["store", "x", "--parquet", "--roll-age", "0s"],
            "--roll-age",
        ),
        (
            &["store", "x", "--parquet", "--partition-by", "asset"],
            "--partition-by",
        ),
        (&["modbus-serve", "--listen", "nonsense"], "--listen"),
        (&["query", "x.db", "--from", "yesterday"], "--from"),
        (&["plot", "-o", "x.svg", "--to", "tomorrow"], "--to"),
        (&["simulate", "--faults", "spike=2"], "--faults"),
        (&["simulate", "--preset", "nope"], "--preset"),
        (&["simulate", "--interval", "fast"], "--interval"),
        (&["simulate", "--start", "10000-01-01"], "--start"),
        (&["poll", "--timeout", "0s"], "--timeout"),
        (&["rollup", "x.db", "--retain", "raw"], "--retain"),
        (
            &["rollup", "x.db", "--every", "1h", "--now", "later"],
            "--now",
        ),
    ] {
        let mut cmd = wd.cmd("");
        cmd.args(args);
        let out = wd.run(&mut cmd);
        let stderr = fails_with(2, &cmd, &out);
        assert!(
            stderr.contains(option) && stderr.contains("invalid value"),
            "{args:?}: {stderr}"
        );
        assert!(!wd.path("x.db").exists(), "{args:?} created a store");
    }
}

#[test]
fn an_output_that_is_an_input_is_refused_before_writing() {
    let wd = Workdir::new("lost-options-same-file");
    let input = readings("A", "t", 0, 1000, 20);
    let m = wd.write("m.ndjson", &input);
    std::fs::hard_link(&m, wd.path("link.ndjson")).expect("a hard link");
    for args in [
        &["cat", "m.ndjson", "--rejects", "m.ndjson"][..],
        &["cat", "m.ndjson", "--rejects", "./link.ndjson"],
        &["store", "x.db", "m.ndjson", "--rejects", "m.ndjson"],
        &["detect", "m.ndjson", "--rejects", "m.ndjson"],
        &["detect", "m.ndjson", "--state", "m.ndjson"],
        &[
            "rollup",
            "--every",
            "1m",
            "m.ndjson",
            "--rejects",
            "m.ndjson",
        ],
        &["plot", "m.ndjson", "-o", "link.ndjson"],
    ] {
        let mut cmd = wd.cmd("");
        cmd.args(args);
        let out = wd.run(&mut cmd);
        let stderr = fails_with(2, &cmd, &out);
        assert!(stderr.contains("is the input"), "{args:?}: {stderr}");
        assert_eq!(wd.read("m.ndjson"), input, "{args:?} touched the input");
    }
    // Stdin redirected from the file it would write.
    let (codes, _, stderr) = pipeline(&wd, "\"$IIOT\" cat --rejects m.ndjson < m.ndjson");
    assert_eq!(codes, vec![2], "{stderr}");
    // Stdout appended to its own input would read forever.
    let (codes, _, stderr) = pipeline(&wd, "\"$IIOT\" cat m.ndjson >> m.ndjson");
    assert_eq!(codes, vec![2], "{stderr}");
    assert!(stderr.contains("stdout"), "{stderr}");
    assert_eq!(wd.read("m.ndjson"), input);
}

#[test]
fn rollup_summaries_count_what_was_written_before_a_stop() {
    let wd = Workdir::new("lost-options-rollup-wrote");
    let mut input = readings("A", "t", 0, 1000, 300);
    input.push_str("{\"ts\":0,\"asset\":\"A\",\"tag\":\"t\",\"value\":\"x\"}\n");
    wd.write("in.ndjson", &input);
    // --strict stops at the last line, after writing four full minutes.
    let mut cmd = wd.cmd("rollup");
    cmd.args(["--every", "1m", "--strict", "in.ndjson"]);
    let out = wd.run(&mut cmd);
    let stderr = fails_with(1, &cmd, &out);
    let written = String::from_utf8_lossy(&out.stdout).lines().count();
    assert_eq!(written, 4, "{stderr}");
    assert!(stderr.contains("wrote 4,"), "{stderr}");
    // A reader that closes after one record.
    let (codes, stdout, stderr) = pipeline(
        &wd,
        "\"$IIOT\" simulate --preset boiler --duration 2h | \"$IIOT\" rollup --every 1s | head -1",
    );
    assert_eq!(codes, vec![0, 0, 0], "{stderr}");
    assert_eq!(stdout.lines().count(), 1);
    let wrote: u64 = stderr
        .split("wrote ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a summary: {stderr}"));
    assert!(wrote >= 1, "{stderr}");
}
