//! `iiot cat`: every class of bad line is rejected with its line number and
//! the field at fault while the good lines around it pass unchanged; good
//! lines come out in canonical form (DESIGN §2); files, CSV, --rejects,
//! --strict and a closed stdout behave as a filter should.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use crate::util::{Workdir, describe, fails_with, ok, parse_ndjson};

/// A reading already in canonical form, distinct for each `i` (< 60).
fn good(i: usize) -> String {
    format!(
        r#"{{"ts":"2026-01-01T00:00:{i:02}Z","asset":"WH-01","tag":"tubing_pressure","value":{}.25,"unit":"psi"}}"#,
        1500 + i
    )
}

/// A reading that is fine but for `tail`, spliced in after `"value":`.
fn reading_with_value(tail: &str) -> Vec<u8> {
    format!(r#"{{"ts":"2026-01-01T00:00:00Z","asset":"WH-01","tag":"t","value":{tail}}}"#)
        .into_bytes()
}

/// A reading that is fine but for its `ts`, given as JSON text.
fn reading_with_ts(ts: &str) -> Vec<u8> {
    format!(r#"{{"ts":{ts},"asset":"WH-01","tag":"t","value":1}}"#).into_bytes()
}

/// A line of exactly `len` bytes that is a valid reading but for its length.
fn padded_reading(len: usize) -> Vec<u8> {
    let head = br#"{"ts":"2026-01-01T00:00:00Z","asset":"WH-01","tag":"t","value":1,"pad":""#;
    let tail = br#""}"#;
    let mut line = head.to_vec();
    line.resize(len - tail.len(), b'x');
    line.extend_from_slice(tail);
    assert_eq!(line.len(), len);
    line
}

/// How `Rejects::reject` shows a raw line on stderr: lossy UTF-8, at most
/// 160 characters, Debug-quoted.
fn shown(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    if s.chars().count() <= 160 {
        format!("{s:?}")
    } else {
        let mut t: String = s.chars().take(160).collect();
        t.push('…');
        format!("{t:?}")
    }
}

/// One class of bad line: the line, the field the message must name (none
/// for a line that is not a reading at all) and a fragment of the reason.
struct Bad {
    class: &'static str,
    line: Vec<u8>,
    field: Option<&'static str>,
    reason: String,
    /// What the message shows as the raw line (a too-long line keeps none).
    raw: Vec<u8>,
}

macro_rules! bad {
    ($class:expr, $line:expr, $field:expr, $reason:expr) => {{
        let line: Vec<u8> = $line.into();
        Bad {
            class: $class,
            raw: line.clone(),
            line,
            field: $field,
            reason: $reason.to_string(),
        }
    }};
}

const MB3: usize = 3_000_000;

fn bad_cases() -> Vec<Bad> {
    let mut too_long = bad!(
        "3 MB line",
        padded_reading(MB3),
        None,
        format!("line is {MB3} bytes, over the limit of 1048576 bytes")
    );
    too_long.raw.clear();
    vec![
        bad!("not JSON", "this is not json", None, "expected ident"),
        bad!(
            "truncated JSON",
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"#,
            Some("asset"),
            "EOF while parsing a value"
        ),
        bad!(
            "array",
            "[1,2,3]",
            None,
            "invalid type: sequence, expected a JSON object"
        ),
        bad!(
            "number",
            "42",
            None,
            "invalid type: integer `42`, expected a JSON object"
        ),
        bad!(
            "missing ts",
            r#"{"asset":"WH-01","tag":"t","value":1}"#,
            Some("ts"),
            "is missing"
        ),
        bad!(
            "missing asset",
            r#"{"ts":"2026-01-01T00:00:00Z","tag":"t","value":1}"#,
            Some("asset"),
            "is missing"
        ),
        bad!(
            "missing tag",
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"WH-01","value":1}"#,
            Some("tag"),
            "is missing"
        ),
        bad!(
            "missing value",
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"WH-01","tag":"t","unit":"psi"}"#,
            Some("value"),
            "is missing"
        ),
        bad!(
            "value as string",
            reading_with_value(r#""1.5""#),
            Some("value"),
            "invalid type: string \"1.5\""
        ),
        bad!(
            "asset as number",
            r#"{"ts":"2026-01-01T00:00:00Z","asset":7,"tag":"t","value":1}"#,
            Some("asset"),
            "invalid type: integer `7`"
        ),
        bad!(
            "empty asset",
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"","tag":"t","value":1}"#,
            Some("asset"),
            "must not be empty"
        ),
        bad!(
            "ts as bool",
            reading_with_ts("true"),
            Some("ts"),
            "invalid type: boolean `true`"
        ),
        bad!(
            "value null",
            reading_with_value("null"),
            Some("value"),
            "invalid type: null"
        ),
        bad!(
            "value NaN",
            reading_with_value("NaN"),
            Some("value"),
            "expected value"
        ),
        bad!(
            "value Infinity",
            reading_with_value("Infinity"),
            Some("value"),
            "expected value"
        ),
        bad!(
            "value -Infinity",
            reading_with_value("-Infinity"),
            Some("value"),
            "invalid number"
        ),
        bad!(
            "value 1e400",
            reading_with_value("1e400"),
            Some("value"),
            "number out of range"
        ),
        bad!(
            "30 February",
            reading_with_ts(r#""2026-02-30T00:00:00Z""#),
            Some("ts"),
            "\"2026-02-30T00:00:00Z\" is not an RFC 3339 timestamp"
        ),
        bad!(
            "hour 25",
            reading_with_ts(r#""2026-01-01T25:00:00Z""#),
            Some("ts"),
            "\"2026-01-01T25:00:00Z\" is not an RFC 3339 timestamp"
        ),
        bad!(
            "no offset",
            reading_with_ts(r#""2026-01-01T00:00:00""#),
            Some("ts"),
            "is not an RFC 3339 timestamp"
        ),
        bad!(
            "year 0000",
            reading_with_ts(r#""0000-06-01T00:00:00Z""#),
            Some("ts"),
            "outside the years 0001 to 9999"
        ),
        bad!(
            "float epoch",
            reading_with_ts("1767225600000.5"),
            Some("ts"),
            "is not an integer; epoch timestamps are whole milliseconds"
        ),
        bad!(
            "epoch out of range",
            reading_with_ts("-99999999999999999"),
            Some("ts"),
            "outside the years 0001 to 9999"
        ),
        bad!(
            "duplicate value",
            reading_with_value("1,\"value\":2"),
            Some("value"),
            "appears twice"
        ),
        bad!(
            "duplicate ts",
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"WH-01","ts":"2026-01-01T00:00:01Z","tag":"t","value":1}"#,
            Some("ts"),
            "appears twice"
        ),
        bad!(
            "quality unknown",
            reading_with_value(r#"1,"quality":"excellent""#),
            Some("quality"),
            "invalid value: string \"excellent\", expected \"good\", \"uncertain\" or \"bad\""
        ),
        bad!(
            "invalid UTF-8 in asset",
            &b"{\"ts\":\"2026-01-01T00:00:00Z\",\"asset\":\"WH-\xff01\",\"tag\":\"t\",\"value\":1}"
                [..],
            Some("asset"),
            "invalid unicode code point"
        ),
        bad!(
            "invalid UTF-8 in tag",
            &b"{\"ts\":\"2026-01-01T00:00:00Z\",\"asset\":\"WH-01\",\"tag\":\"t\xc3\",\"value\":1}"
                [..],
            Some("tag"),
            "invalid unicode code point"
        ),
        too_long,
        bad!(
            "trailing garbage",
            format!("{} x", good(0)),
            None,
            "trailing characters"
        ),
        bad!(
            "two objects on a line",
            format!("{}{}", good(0), good(1)),
            None,
            "trailing characters"
        ),
    ]
}

/// The input `good(0), bad₀, good(1), bad₁, …, good(n)`, the expected
/// stdout, and the line number of each bad case.
fn interleave(cases: &[Bad]) -> (Vec<u8>, String, Vec<u64>) {
    let mut input = Vec::new();
    let mut expected = String::new();
    let mut numbers = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        input.extend_from_slice(good(i).as_bytes());
        input.push(b'\n');
        expected.push_str(&good(i));
        expected.push('\n');
        input.extend_from_slice(&case.line);
        input.push(b'\n');
        numbers.push(2 * i as u64 + 2);
    }
    input.extend_from_slice(good(cases.len()).as_bytes());
    input.push(b'\n');
    expected.push_str(&good(cases.len()));
    expected.push('\n');
    (input, expected, numbers)
}

/// The one stderr line that starts with `prefix`.
fn message_for<'a>(stderr: &'a str, prefix: &str) -> &'a str {
    let hits: Vec<&str> = stderr.lines().filter(|l| l.starts_with(prefix)).collect();
    assert_eq!(
        hits.len(),
        1,
        "expected one message starting {prefix:?}\n--- stderr ---\n{stderr}"
    );
    hits[0]
}

#[test]
fn cat_rejects_each_bad_class_with_line_and_field_and_keeps_good_lines() {
    let wd = Workdir::new("cat_bad_classes");
    let cases = bad_cases();
    let (input, expected, numbers) = interleave(&cases);
    let mut cmd = wd.cmd("cat");
    let out = wd.run_with_stdin(&mut cmd, input);
    let stdout = ok(&cmd, &out);
    let stderr = String::from_utf8_lossy(&out.stderr);

    assert_eq!(
        stdout.lines().count(),
        cases.len() + 1,
        "{}",
        describe(&cmd, &out)
    );
    assert!(
        stdout == expected,
        "good lines changed\n{}",
        describe(&cmd, &out)
    );

    for (case, n) in cases.iter().zip(&numbers) {
        let msg = message_for(&stderr, &format!("iiot cat: stdin:{n}: "));
        let rest = &msg[format!("iiot cat: stdin:{n}: ").len()..];
        match case.field {
            Some(f) => assert!(
                rest.starts_with(&format!("field \"{f}\": ")),
                "{}: line {n} should name field {f:?}: {msg}",
                case.class
            ),
            None => assert!(
                !rest.starts_with("field "),
                "{}: line {n} is no reading, yet a field is named: {msg}",
                case.class
            ),
        }
        assert!(
            rest.contains(&case.reason),
            "{}: line {n}: reason should contain {:?}: {msg}",
            case.class,
            case.reason
        );
        assert!(
            msg.ends_with(&format!(": {}", shown(&case.raw))),
            "{}: line {n}: raw line not shown: {msg}",
            case.class
        );
    }

    let k = cases.len();
    let m = k + 1;
    let summary = format!("iiot cat: read {}, wrote {m}, rejected {k}", m + k);
    assert_eq!(
        stderr.lines().last(),
        Some(summary.as_str()),
        "{}",
        describe(&cmd, &out)
    );
    assert_eq!(
        stderr.lines().count(),
        k + 1,
        "one message per bad line and the summary\n{stderr}"
    );
}

#[test]
fn cat_line_over_one_mib_rejected_and_next_line_keeps_its_number() {
    let wd = Workdir::new("cat_long_line");
    let mut input = padded_reading(MB3);
    input.push(b'\n');
    input.extend_from_slice(good(1).as_bytes());
    input.extend_from_slice(b"\nnot json\n");
    let mut cmd = wd.cmd("cat");
    let out = wd.run_with_stdin(&mut cmd, input);
    let stdout = ok(&cmd, &out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stdout, format!("{}\n", good(1)));
    assert_eq!(
        stderr,
        format!(
            "iiot cat: stdin:1: line is {MB3} bytes, over the limit of 1048576 bytes: \"\"\n\
             iiot cat: stdin:3: expected ident (column 2): \"not json\"\n\
             iiot cat: read 3, wrote 1, rejected 2\n"
        )
    );
}

#[test]
fn cat_line_of_exactly_one_mib_accepted_one_byte_more_rejected() {
    let wd = Workdir::new("cat_mib_boundary");
    let fits = padded_reading(1 << 20);
    let over = padded_reading((1 << 20) + 1);
    let mut input = fits.clone();
    input.push(b'\n');
    input.extend_from_slice(&over);
    input.push(b'\n');
    let mut cmd = wd.cmd("cat");
    let out = wd.run_with_stdin(&mut cmd, input);
    ok(&cmd, &out);
    let mut expected = fits;
    expected.push(b'\n');
    assert!(out.stdout == expected, "{}", describe(&cmd, &out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("iiot cat: stdin:2: line is 1048577 bytes, over the limit"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("read 2, wrote 1, rejected 1\n"),
        "{stderr}"
    );
}

/// The limit is on the line, not its terminator: `\r\n` is accepted as a
/// line end, so the `\r` must not count towards the 1 MiB.
#[test]
fn cat_err_crlf_line_of_exactly_one_mib_accepted_like_lf() {
    let wd = Workdir::new("cat_mib_crlf");
    let fits = padded_reading(1 << 20);
    let mut input = fits.clone();
    input.extend_from_slice(b"\r\n");
    let mut cmd = wd.cmd("cat");
    let out = wd.run_with_stdin(&mut cmd, input);
    ok(&cmd, &out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr, "iiot cat: read 1, wrote 1, rejected 0\n");
    let mut expected = fits;
    expected.push(b'\n');
    assert!(
        out.stdout == expected,
        "{} bytes on stdout",
        out.stdout.len()
    );
}

#[test]
fn cat_rejects_file_holds_each_bad_line_and_stderr_only_the_summary() {
    let wd = Workdir::new("cat_rejects_file");
    let cases: Vec<Bad> = bad_cases()
        .into_iter()
        .filter(|c| {
            [
                "not JSON",
                "array",
                "value null",
                "missing tag",
                "invalid UTF-8 in asset",
                "3 MB line",
                "trailing garbage",
            ]
            .contains(&c.class)
        })
        .collect();
    assert_eq!(cases.len(), 7);
    let (input, expected, numbers) = interleave(&cases);
    let mut cmd = wd.cmd("cat");
    cmd.args(["--rejects", "bad.ndjson"]);
    let out = wd.run_with_stdin(&mut cmd, input);
    let stdout = ok(&cmd, &out);
    assert!(stdout == expected, "{}", describe(&cmd, &out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "iiot cat: read 15, wrote 8, rejected 7\n"
    );

    let rejects = parse_ndjson(&wd.read("bad.ndjson"));
    assert_eq!(rejects.len(), cases.len());
    for ((entry, case), n) in rejects.iter().zip(&cases).zip(&numbers) {
        let keys: Vec<&str> = entry
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, ["line", "raw", "reason", "source"], "{entry}");
        assert_eq!(entry["source"], "stdin", "{entry}");
        assert_eq!(entry["line"].as_u64(), Some(*n), "{}: {entry}", case.class);
        let reason = entry["reason"].as_str().unwrap();
        if let Some(f) = case.field {
            assert!(
                reason.starts_with(&format!("field \"{f}\": ")),
                "{}: {entry}",
                case.class
            );
        }
        assert!(reason.contains(&case.reason), "{}: {entry}", case.class);
        assert_eq!(
            entry["raw"].as_str(),
            Some(&*String::from_utf8_lossy(&case.raw)),
            "{}",
            case.class
        );
    }
}

#[test]
fn cat_quiet_with_rejects_file_prints_nothing_on_stderr() {
    let wd = Workdir::new("cat_quiet");
    let mut cmd = wd.cmd("cat");
    cmd.args(["-q", "--rejects", "bad.ndjson"]);
    let out = wd.run_with_stdin(&mut cmd, format!("{}\nnot json\n", good(0)));
    let stdout = ok(&cmd, &out);
    assert_eq!(stdout, format!("{}\n", good(0)));
    assert!(out.stderr.is_empty(), "{}", describe(&cmd, &out));
    let rejects = parse_ndjson(&wd.read("bad.ndjson"));
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["line"], 2);
    assert_eq!(rejects[0]["raw"], "not json");
}

#[test]
fn cat_strict_exits_1_at_first_bad_line_after_writing_the_good_ones() {
    let wd = Workdir::new("cat_strict");
    let input = format!(
        "{}\n{}\n\n{}\n{}\nnot json either\n",
        good(0),
        good(1),
        String::from_utf8(reading_with_value("null")).unwrap(),
        good(2)
    );
    let mut cmd = wd.cmd("cat");
    cmd.arg("--strict");
    let out = wd.run_with_stdin(&mut cmd, input);
    let stderr = fails_with(1, &cmd, &out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n{}\n", good(0), good(1)),
        "only the good lines before the bad one"
    );
    // The run is accounted for even when --strict stops it.
    assert!(
        stderr.starts_with("iiot cat: read 3, wrote 2, rejected 1\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("iiot cat: stdin:4: field \"value\": invalid type: null"),
        "{stderr}"
    );
    assert!(stderr.contains("(stopped by --strict)"), "{stderr}");
    assert_eq!(
        stderr.lines().count(),
        2,
        "the summary and one message, nothing after it: {stderr}"
    );
}

#[test]
fn cat_canonicalises_time_quality_numbers_and_field_order() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"ts":"2026-01-01T02:00:00+02:00","asset":"WH-01","tag":"t","value":1}"#,
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"WH-01","tag":"t","value":1}"#,
        ),
        (
            r#"{"ts":"2025-12-31T18:30:00-05:30","asset":"WH-01","tag":"t","value":1}"#,
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"WH-01","tag":"t","value":1}"#,
        ),
        (
            r#"{"ts":"2026-01-01T00:00:00.5Z","asset":"WH-01","tag":"t","value":1}"#,
            r#"{"ts":"2026-01-01T00:00:00.500Z","asset":"WH-01","tag":"t","value":1}"#,
        ),
        (
            r#"{"ts":"2026-01-01T00:00:00.1234Z","asset":"WH-01","tag":"t","value":1}"#,
            r#"{"ts":"2026-01-01T00:00:00.123Z","asset":"WH-01","tag":"t","value":1}"#,
        ),
        (
            r#"{"ts":"2026-01-01T00:00:00.000Z","asset":"WH-01","tag":"t","value":1}"#,
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"WH-01","tag":"t","value":1}"#,
        ),
        (
            r#"{"ts":"2026-01-01t00:00:00.010z","asset":"WH-01","tag":"t","value":1}"#,
            r#"{"ts":"2026-01-01T00:00:00.010Z","asset":"WH-01","tag":"t","value":1}"#,
        ),
        (
            r#"{"ts":1767225600000,"asset":"WH-01","tag":"t","value":1}"#,
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"WH-01","tag":"t","value":1}"#,
        ),
        (
            r#"{"ts":1767225601250,"asset":"WH-01","tag":"t","value":1}"#,
            r#"{"ts":"2026-01-01T00:00:01.250Z","asset":"WH-01","tag":"t","value":1}"#,
        ),
        (
            r#"{"ts":-1,"asset":"WH-01","tag":"t","value":1}"#,
            r#"{"ts":"1969-12-31T23:59:59.999Z","asset":"WH-01","tag":"t","value":1}"#,
        ),
        (
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"WH-01","tag":"t","value":1523.420,"quality":"Good"}"#,
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"WH-01","tag":"t","value":1523.42}"#,
        ),
        (
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"WH-01","tag":"t","value":1e3,"quality":"BAD"}"#,
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"WH-01","tag":"t","value":1000,"quality":"bad"}"#,
        ),
        (
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"WH-01","tag":"t","value":-0.50,"quality":"UnCertain"}"#,
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"WH-01","tag":"t","value":-0.5,"quality":"uncertain"}"#,
        ),
        (
            r#"{"fault":"spike","text":"RUNNING","quality":"uncertain","unit":"psi","value":2,"tag":"t","asset":"WH-01","ts":"2026-01-01T00:00:00Z"}"#,
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"WH-01","tag":"t","value":2,"unit":"psi","quality":"uncertain","text":"RUNNING","fault":"spike"}"#,
        ),
        // Empty optional strings count as absent.
        (
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"WH-01","tag":"t","value":2,"unit":"","text":"","fault":""}"#,
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"WH-01","tag":"t","value":2}"#,
        ),
        // Unknown fields: verbatim (45.0 stays 45.0), in input order, after the known ones.
        (
            r#"{"anomalies":[{"rule":"temp_hh","kind":"threshold","severity":"high","limit":45.0}],"ts":"2026-01-01T00:00:00Z","asset":"FERM-1","every":"1m","tag":"fermenter_temp","value":46.1,"meta":{"site":{"id":7,"tags":["a","b"]},"ok":true,"none":null}}"#,
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"FERM-1","tag":"fermenter_temp","value":46.1,"anomalies":[{"rule":"temp_hh","kind":"threshold","severity":"high","limit":45.0}],"every":"1m","meta":{"site":{"id":7,"tags":["a","b"]},"ok":true,"none":null}}"#,
        ),
        (
            r#"{ "ts" : "2026-01-01T00:00:00Z" , "asset" : "WH-01" , "tag" : "t" , "value" : 1 , "x" : [1, 2.50, "\u00e9"] }"#,
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"WH-01","tag":"t","value":1,"x":[1, 2.50, "\u00e9"]}"#,
        ),
        // Escapes in known strings are decoded and written back minimally.
        (
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"LINE-A\/M-03","tag":"\u0074emp","value":1,"unit":"\u00b0C"}"#,
            r#"{"ts":"2026-01-01T00:00:00Z","asset":"LINE-A/M-03","tag":"temp","value":1,"unit":"°C"}"#,
        ),
        // An alarm event passes: its own fields after the known ones.
        (
            r#"{"ts":"2026-01-01T00:10:00Z","asset":"FERM-1","tag":"fermenter_temp","event":"raised","rule":"temp_hh","kind":"threshold","severity":"high","value":46.1,"limit":45.0}"#,
            r#"{"ts":"2026-01-01T00:10:00Z","asset":"FERM-1","tag":"fermenter_temp","value":46.1,"event":"raised","rule":"temp_hh","kind":"threshold","severity":"high","limit":45.0}"#,
        ),
    ];
    let wd = Workdir::new("cat_canonical");
    let input: String = cases.iter().map(|(i, _)| format!("{i}\n")).collect();
    let mut cmd = wd.cmd("cat");
    let out = wd.run_with_stdin(&mut cmd, input);
    let stdout = ok(&cmd, &out);
    let got: Vec<&str> = stdout.lines().collect();
    assert_eq!(got.len(), cases.len(), "{}", describe(&cmd, &out));
    for ((input, want), got) in cases.iter().zip(&got) {
        assert_eq!(got, want, "input: {input}");
    }
    let n = cases.len();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("iiot cat: read {n}, wrote {n}, rejected 0\n")
    );
    // Canonical output is a fixed point.
    let mut again = wd.cmd("cat");
    let out2 = wd.run_with_stdin(&mut again, stdout.clone());
    assert_eq!(ok(&again, &out2), stdout);
    let event = &parse_ndjson(&stdout)[n - 1];
    assert_eq!(event["event"], "raised");
    assert_eq!(event["rule"], "temp_hh");
}

#[test]
fn cat_reads_files_in_order_naming_each_in_messages() {
    let wd = Workdir::new("cat_files");
    wd.write("a.ndjson", format!("{}\nbad a\n{}\n", good(0), good(1)));
    wd.write("b.ndjson", format!("\n{}\n\nbad b\n", good(3)));
    let mut cmd = wd.cmd("cat");
    cmd.args(["a.ndjson", "-", "b.ndjson"]);
    let out = wd.run_with_stdin(&mut cmd, format!("bad stdin\n{}\n", good(2)));
    let stdout = ok(&cmd, &out);
    assert_eq!(
        stdout,
        format!("{}\n{}\n{}\n{}\n", good(0), good(1), good(2), good(3))
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 4, "{stderr}");
    assert!(
        lines[0].starts_with("iiot cat: a.ndjson:2: expected value"),
        "{stderr}"
    );
    assert!(lines[0].ends_with(": \"bad a\""), "{stderr}");
    assert!(lines[1].starts_with("iiot cat: stdin:1: "), "{stderr}");
    assert!(lines[2].starts_with("iiot cat: b.ndjson:4: "), "{stderr}");
    assert_eq!(lines[3], "iiot cat: read 7, wrote 4, rejected 3");
}

#[test]
fn cat_missing_file_exits_1_naming_it() {
    let wd = Workdir::new("cat_missing");
    wd.write("a.ndjson", format!("{}\n", good(0)));
    for args in [&["missing.ndjson"][..], &["a.ndjson", "missing.ndjson"][..]] {
        let mut cmd = wd.cmd("cat");
        cmd.args(args);
        let out = wd.run(&mut cmd);
        let stderr = fails_with(1, &cmd, &out);
        assert!(
            stderr.contains("\niiot cat: opening missing.ndjson: "),
            "{}",
            describe(&cmd, &out)
        );
        assert!(stderr.contains("No such file"), "{stderr}");
        // The good lines of a file before the missing one are still written.
        let expected = if args.len() == 2 {
            format!("{}\n", good(0))
        } else {
            String::new()
        };
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    }
}

#[test]
fn cat_format_csv_writes_header_and_quotes_as_csv_reads_back() {
    let wd = Workdir::new("cat_csv");
    let input = concat!(
        r#"{"ts":"2026-01-01T00:00:00Z","asset":"PLANT 1, LINE A","tag":"temp \"core\"","value":71.5,"unit":"°C","quality":"BAD","text":"RUN,FAST","fault":"spike","anomalies":[1]}"#,
        "\n",
        r#"{"ts":1767225600250,"asset":"WH-01","tag":"tubing_pressure","value":-1523.42}"#,
        "\n",
        r#"{"ts":"2026-01-01T00:00:01Z","asset":"WH-01","tag":"state","value":2,"text":"RUNNING","event":"raised"}"#,
        "\n",
    );
    let mut cmd = wd.cmd("cat");
    cmd.args(["--format", "csv"]);
    let out = wd.run_with_stdin(&mut cmd, input);
    let stdout = ok(&cmd, &out);
    assert!(
        stdout.starts_with("ts,asset,tag,value,unit,quality,text,fault\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#","PLANT 1, LINE A","temp ""core""","#),
        "{stdout}"
    );

    let mut rdr = csv::Reader::from_reader(stdout.as_bytes());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "ts", "asset", "tag", "value", "unit", "quality", "text", "fault"
        ]
    );
    let rows: Vec<Vec<String>> = rdr
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let want: [[&str; 8]; 3] = [
        [
            "2026-01-01T00:00:00Z",
            "PLANT 1, LINE A",
            "temp \"core\"",
            "71.5",
            "°C",
            "bad",
            "RUN,FAST",
            "spike",
        ],
        [
            "2026-01-01T00:00:00.250Z",
            "WH-01",
            "tubing_pressure",
            "-1523.42",
            "",
            "",
            "",
            "",
        ],
        [
            "2026-01-01T00:00:01Z",
            "WH-01",
            "state",
            "2",
            "",
            "",
            "RUNNING",
            "",
        ],
    ];
    assert_eq!(rows, want.map(|r| r.map(String::from).to_vec()).to_vec());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "iiot cat: read 3, wrote 3, rejected 0\n"
    );
}

#[test]
fn cat_skips_blank_lines_uncounted_and_accepts_crlf() {
    let wd = Workdir::new("cat_blank_crlf");
    let input = format!(
        "\n   \r\n{}\r\n\t\n\r\nnot json\r\n{}\r\n\n",
        good(0),
        good(1)
    );
    let mut cmd = wd.cmd("cat");
    let out = wd.run_with_stdin(&mut cmd, input);
    let stdout = ok(&cmd, &out);
    assert_eq!(stdout, format!("{}\n{}\n", good(0), good(1)));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "iiot cat: stdin:6: expected ident (column 2): \"not json\"\n\
         iiot cat: read 3, wrote 2, rejected 1\n"
    );
}

#[test]
fn cat_of_simulate_output_is_byte_identical() {
    let wd = Workdir::new("cat_simulate");
    let mut sim = wd.cmd("simulate");
    sim.args(["--preset", "wellhead", "--count", "50"]);
    let out = wd.run(&mut sim);
    let produced = ok(&sim, &out);
    let n = produced.lines().count();
    assert!(n >= 50, "{}", describe(&sim, &out));

    let mut cmd = wd.cmd("cat");
    let out = wd.run_with_stdin(&mut cmd, produced.clone());
    let stdout = ok(&cmd, &out);
    assert!(
        stdout == produced,
        "cat changed simulate's output\n{}",
        describe(&cmd, &out)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("iiot cat: read {n}, wrote {n}, rejected 0\n")
    );
}

#[test]
fn cat_closed_stdout_ends_quietly_with_exit_0() {
    let wd = Workdir::new("cat_broken_pipe");
    let mut input = Vec::new();
    for i in 0..40_000 {
        input.extend_from_slice(good(i % 60).as_bytes());
        input.push(b'\n');
    }
    let mut child = wd
        .cmd("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting iiot cat");
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(&input).is_ok());
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert_eq!(first, format!("{}\n", good(0)));
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let fed_all = feeder.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !fed_all,
        "cat should have stopped before reading all of its input"
    );
}

// Messages must say what is wrong and blame the right field; the two tests
// below show where they do not.

#[test]
fn cat_err_bad_key_after_a_good_field_does_not_blame_that_field() {
    let wd = Workdir::new("cat_key_blame");
    let mut input = reading_with_value("1,\"\u{0}\":2");
    // The key's one byte: 0xff, which is not UTF-8.
    let at = input.iter().position(|&b| b == 0).unwrap();
    input[at] = 0xff;
    input.extend_from_slice(b"\n");
    input.extend_from_slice(&reading_with_value(r#"1,"unit":"psi",7:1"#));
    input.extend_from_slice(b"\n");
    let mut cmd = wd.cmd("cat");
    let out = wd.run_with_stdin(&mut cmd, input);
    ok(&cmd, &out);
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first = message_for(&stderr, "iiot cat: stdin:1: ");
    assert!(first.contains("invalid unicode code point"), "{first}");
    assert!(
        !first.contains("field \"value\""),
        "value is fine; the bad byte is in the next key: {first}"
    );
    let second = message_for(&stderr, "iiot cat: stdin:2: ");
    assert!(second.contains("key must be a string"), "{second}");
    assert!(
        !second.contains("field \"unit\""),
        "unit is fine; the next key is not a string: {second}"
    );
}

#[test]
fn cat_err_float_epoch_reason_does_not_call_a_whole_number_not_an_integer() {
    let wd = Workdir::new("cat_float_epoch");
    let mut cmd = wd.cmd("cat");
    let out = wd.run_with_stdin(&mut cmd, reading_with_ts("1767225600000.0"));
    ok(&cmd, &out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let msg = message_for(&stderr, "iiot cat: stdin:1: field \"ts\": ");
    assert!(
        !msg.contains("1767225600000 is not an integer"),
        "the reason should show the float as written (1767225600000.0): {msg}"
    );
}
