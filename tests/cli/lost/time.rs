//! Regression tests: time.
//! "Nothing lost, in every corner": one regression test per way iiot was
//! found to lose data or say something false, each on the real binary.
//!
//! Here: times a record may carry (any fraction, all of the years 0001 to
//! 9999 UTC) read and printed back exactly; times it may not (a leap second,
//! an offset that leaves the range) rejected with their reason, never bent
//! into another reading's time; a byte order mark that opens a file.

use std::process::Command;

use serde_json::Value;

use crate::util::{Workdir, describe, ok, parse_ndjson, text};

/// A reading whose `ts` is the JSON text `ts` and whose value is `value`.
fn reading(ts: &str, value: usize) -> String {
    format!(r#"{{"ts":{ts},"asset":"WH-01","tag":"t","value":{value}}}"#)
}

/// `iiot cat` over `lines` written to a file, rejects to a file: the records
/// written and the rejects, after checking the closing summary.
fn cat(wd: &Workdir, lines: &[String]) -> (Vec<Value>, Vec<Value>) {
    wd.write("in.ndjson", lines.join("\n") + "\n");
    let mut cmd = wd.cmd("cat");
    cmd.args(["in.ndjson", "--rejects", "rejects.ndjson"]);
    let out = wd.run(&mut cmd);
    let records = parse_ndjson(&ok(&cmd, &out));
    let rejects = parse_ndjson(&wd.read("rejects.ndjson"));
    let summary = format!(
        "read {}, wrote {}, rejected {}",
        lines.len(),
        records.len(),
        rejects.len()
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&summary),
        "{summary}\n{}",
        describe(&cmd, &out)
    );
    (records, rejects)
}

fn times(records: &[Value]) -> Vec<&str> {
    records.iter().map(|r| text(r, "ts")).collect()
}

/// Each reject's line number and reason.
fn reasons(rejects: &[Value]) -> Vec<(u64, &str)> {
    rejects
        .iter()
        .map(|r| (r["line"].as_u64().unwrap_or(0), text(r, "reason")))
        .collect()
}

#[test]
fn cat_fraction_longer_than_nine_digits_truncated_to_the_millisecond() {
    let wd = Workdir::new("lost-time-fraction");
    let (records, rejects) = cat(
        &wd,
        &[
            reading(r#""2026-01-01T00:00:00.1234567891Z""#, 1),
            reading(r#""2026-01-01T02:00:00.99999999999999999999+02:00""#, 2),
            reading(r#""1969-12-31T23:59:59.9999999999Z""#, 3),
            reading(r#""2026-01-01T00:00:00.000000000001Z""#, 4),
        ],
    );
    assert_eq!(reasons(&rejects), vec![]);
    assert_eq!(
        times(&records),
        [
            "2026-01-01T00:00:00.123Z",
            "2026-01-01T00:00:00.999Z",
            "1969-12-31T23:59:59.999Z",
            "2026-01-01T00:00:00Z",
        ]
    );
}

#[test]
fn cat_reads_the_last_day_of_year_9999_and_prints_it_back() {
    let wd = Workdir::new("lost-time-9999");
    let (records, rejects) = cat(
        &wd,
        &[
            reading(r#""9999-12-30T22:00:01Z""#, 1),
            reading(r#""9999-12-31T23:59:59.999Z""#, 2),
            reading("253402300799999", 3),
            reading(r#""9999-12-31T20:59:59.999-03:00""#, 4),
            reading(r#""0001-01-01T01:00:00+01:00""#, 5),
            reading("-62135596800000", 6),
        ],
    );
    assert_eq!(reasons(&rejects), vec![]);
    let expected = [
        "9999-12-30T22:00:01Z",
        "9999-12-31T23:59:59.999Z",
        "9999-12-31T23:59:59.999Z",
        "9999-12-31T23:59:59.999Z",
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
    ];
    assert_eq!(times(&records), expected);

    // What cat wrote, cat reads back unchanged.
    let mut cmd = wd.cmd("cat");
    cmd.arg("in.ndjson");
    let out = wd.run(&mut cmd);
    let first = ok(&cmd, &out);
    let mut again = wd.cmd("cat");
    let out = wd.run_with_stdin(&mut again, first.clone());
    assert_eq!(ok(&again, &out), first);
}

#[test]
fn cat_offset_time_outside_years_1_to_9999_utc_rejected_naming_its_utc_instant() {
    let wd = Workdir::new("lost-time-offset-range");
    let (records, rejects) = cat(
        &wd,
        &[
            reading(r#""9999-12-31T23:00:00-01:00""#, 1),
            reading(r#""0001-01-01T00:59:59.999+01:00""#, 2),
            reading("253402300800000", 3),
            reading("-62135596800001", 4),
            reading(r#""9999-12-31T23:59:59.999Z""#, 5),
        ],
    );
    assert_eq!(times(&records), ["9999-12-31T23:59:59.999Z"]);
    let got = reasons(&rejects);
    assert_eq!(got.len(), 4, "{got:?}");
    let expect = [
        (
            1,
            "\"9999-12-31T23:00:00-01:00\" is +010000-01-01T00:00:00Z in UTC, outside the years 0001 to 9999",
        ),
        (
            2,
            "\"0001-01-01T00:59:59.999+01:00\" is 0000-12-31T23:59:59.999Z in UTC, outside the years 0001 to 9999",
        ),
        (3, "253402300800000 is outside the years 0001 to 9999"),
        (4, "-62135596800001 is outside the years 0001 to 9999"),
    ];
    for ((line, reason), (want_line, want)) in got.iter().zip(expect) {
        assert_eq!(*line, want_line);
        assert!(reason.starts_with("field \"ts\": "), "{reason}");
        assert!(reason.contains(want), "{reason}\nwanted: {want}");
    }
}

#[test]
fn cat_leap_second_rejected_not_read_as_the_second_before() {
    let wd = Workdir::new("lost-time-leap");
    let lines = [
        reading(r#""2016-12-31T23:59:59Z""#, 1),
        reading(r#""2016-12-31T23:59:60Z""#, 2),
        reading(r#""2017-01-01T00:59:60.5+01:00""#, 3),
    ];
    let (records, rejects) = cat(&wd, &lines);
    assert_eq!(times(&records), ["2016-12-31T23:59:59Z"]);
    let got = reasons(&rejects);
    assert_eq!(got.len(), 2, "{got:?}");
    for ((line, reason), want_line) in got.iter().zip([2, 3]) {
        assert_eq!(*line, want_line);
        assert!(reason.starts_with("field \"ts\": "), "{reason}");
        assert!(
            reason.contains("is a leap second: iiot keeps UTC time without leap seconds"),
            "{reason}"
        );
    }

    // In a store it was a "duplicate" of the real 23:59:59 and vanished.
    let mut cmd = wd.cmd("store");
    cmd.args(["plant.db", "in.ndjson"]);
    let out = wd.run(&mut cmd);
    ok(&cmd, &out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("read 3, stored 1, duplicates 0, rejected 2"),
        "{}",
        describe(&cmd, &out)
    );
}

#[test]
fn cat_skips_a_byte_order_mark_at_the_start_of_each_input_only() {
    const BOM: &str = "\u{feff}";
    let wd = Workdir::new("lost-time-bom");
    let at = |s: u32| reading(&format!("\"2026-01-01T00:00:{s:02}Z\""), s as usize);
    wd.write("a.ndjson", format!("{BOM}{}\n{}\n", at(0), at(1)));
    wd.write("b.ndjson", format!("{BOM}{}\r\n", at(2)));
    wd.write("c.ndjson", format!("{}\n{BOM}{}\n", at(3), at(4)));
    let mut cmd = wd.cmd("cat");
    cmd.args([
        "a.ndjson",
        "b.ndjson",
        "c.ndjson",
        "--rejects",
        "rejects.ndjson",
    ]);
    let out = wd.run(&mut cmd);
    let records = parse_ndjson(&ok(&cmd, &out));
    assert_eq!(
        times(&records),
        [
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:01Z",
            "2026-01-01T00:00:02Z",
            "2026-01-01T00:00:03Z",
        ]
    );
    // A mark inside a file is data, and bad data: rejected, not dropped.
    let rejects = parse_ndjson(&wd.read("rejects.ndjson"));
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert_eq!(text(&rejects[0], "source"), "c.ndjson");
    assert_eq!(rejects[0]["line"], 2);
    assert!(text(&rejects[0], "raw").starts_with(BOM));

    // Stdin is one input too.
    let mut cmd = wd.cmd("cat");
    let out = wd.run_with_stdin(&mut cmd, format!("{BOM}{}\n", at(5)));
    let records = parse_ndjson(&ok(&cmd, &out));
    assert_eq!(times(&records), ["2026-01-01T00:00:05Z"]);
}

/// Runs a shell pipeline with every stage's exit status checked; its stdout.
fn pipeline(wd: &Workdir, script: &str) -> String {
    let mut cmd = Command::new("bash");
    cmd.args(["-o", "pipefail", "-c", script])
        .current_dir(&wd.dir)
        .env("IIOT", env!("CARGO_BIN_EXE_iiot"));
    let out = wd.run(&mut cmd);
    ok(&cmd, &out)
}

#[test]
fn rollup_detect_and_plot_keep_the_first_and_last_days_of_the_range() {
    let wd = Workdir::new("lost-time-range-verbs");
    let mut lines = Vec::new();
    for s in [0, 10, 59] {
        lines.push(reading(&format!("\"0001-01-01T00:00:{s:02}Z\""), s));
    }
    for s in [0, 10, 59] {
        lines.push(reading(&format!("\"9999-12-31T23:59:{s:02}.999Z\""), s));
    }
    wd.write("ends.ndjson", lines.join("\n") + "\n");

    // Day buckets at both ends, and what rollup writes reads back.
    let out = pipeline(
        &wd,
        r#"$IIOT cat -q ends.ndjson | $IIOT rollup -q --every 1d | $IIOT cat -q --strict"#,
    );
    let buckets = parse_ndjson(&out);
    assert_eq!(
        times(&buckets),
        ["0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z"]
    );
    assert_eq!(text(&buckets[1], "first_ts"), "9999-12-31T23:59:00.999Z");
    assert_eq!(buckets[1]["count"], 3);

    // detect passes every reading through with its time.
    let out = pipeline(
        &wd,
        r#"$IIOT detect -q --zscore 3 ends.ndjson | $IIOT cat -q --strict"#,
    );
    let all = parse_ndjson(&out);
    assert_eq!(all.len(), 6);
    assert_eq!(text(&all[5], "ts"), "9999-12-31T23:59:59.999Z");

    // plot: one chart for both ends; its heading names the whole span.
    let svg = pipeline(&wd, r#"$IIOT plot -q ends.ndjson -o - "#);
    assert!(
        svg.contains("0001-01-01T00:00:00Z – 9999-12-31T23:59:59.999Z"),
        "{svg}"
    );
    assert!(!svg.contains("0000-00-00"), "{svg}");
}
