//! Mutated records through every verb that reads them: valid lines of
//! every kind (readings of each preset, flagged readings, alarm events,
//! rollup and KPI records) are cut, spliced, retyped and sprinkled with
//! hostile bytes by a seeded generator, mixed with the unchanged lines, and
//! fed to each verb. For every run: no panic, the verb's own accounts add
//! up (read = written + rejected, or stored + duplicates + rejected), and
//! every record it writes is read back by `iiot cat` without a reject.
//! Bounded: a few thousand lines a round, three rounds.

use crate::util::{Workdir, describe};

/// A small deterministic generator (xorshift64*), so a failing round is
/// replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Pieces that break parsers: numbers at the edges of f64 and i64, times
/// at the edges of the record range, escapes, non-UTF-8 and control bytes.
const HOSTILE: &[&[u8]] = &[
    b"NaN",
    b"-Infinity",
    b"1e999",
    b"-1.7976931348623157e308",
    b"1.7976931348623157e308",
    b"5e-324",
    b"-0",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"253402300799999",
    b"-62135596800000",
    b"\"9999-12-31T23:59:59.999Z\"",
    b"\"0001-01-01T00:00:00Z\"",
    b"\"2016-12-31T23:59:60Z\"",
    b"\"2026-01-01T00:00:00.1234567891234+14:00\"",
    b"\"1969-12-31T23:59:59.999Z\"",
    b"null",
    b"true",
    b"[]",
    b"{}",
    b"\"\"",
    b"\"\\u0000\"",
    b"\"\\ud800\"",
    b"\"\xff\xfe\"",
    b"\xef\xbb\xbf",
    b"\r",
    b"\\",
    b"\"",
    b",",
    b":",
    b"{\"nested\":{\"a\":[1,2,{\"b\":null}]}}",
    b"\"every\":\"1m\"",
    b"\"count\":3",
    b"\"event\":\"raised\"",
    b"\"quality\":\"BAD\"",
    b"\"unit\":\"\xc2\xb0C\"",
];

/// One mutation of a valid line.
fn mutate(rng: &mut Rng, line: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut out = line.to_vec();
    for _ in 0..1 + rng.below(3) {
        let len = out.len().max(1);
        let at = rng.below(len);
        match rng.below(8) {
            // Delete a span.
            0 => {
                let end = (at + 1 + rng.below(12)).min(out.len());
                if at < end {
                    out.drain(at..end);
                }
            }
            // Insert a hostile piece.
            1 | 2 => {
                let piece = rng.pick(HOSTILE);
                let at = at.min(out.len());
                out.splice(at..at, piece.iter().copied());
            }
            // Replace a value after a colon with a hostile piece.
            3 => {
                if let Some(colon) = out.iter().skip(at).position(|&b| b == b':') {
                    let start = at + colon + 1;
                    let end = out[start..]
                        .iter()
                        .position(|&b| b == b',' || b == b'}')
                        .map_or(out.len(), |e| start + e);
                    let piece = rng.pick(HOSTILE);
                    out.splice(start..end, piece.iter().copied());
                }
            }
            // Splice the tail of another line.
            4 => {
                let other = rng.pick(corpus);
                let from = rng.below(other.len().max(1)).min(other.len());
                out.truncate(at.min(out.len()));
                out.extend_from_slice(&other[from..]);
            }
            // Truncate.
            5 => out.truncate(at),
            // Flip a byte.
            6 => {
                if !out.is_empty() {
                    let i = at.min(out.len() - 1);
                    out[i] ^= 1 << rng.below(8);
                }
            }
            // Change a digit.
            _ => {
                if let Some(i) = out.iter().skip(at).position(u8::is_ascii_digit) {
                    out[at + i] = b'0' + rng.below(10) as u8;
                }
            }
        }
    }
    // A line ends at its newline: one inside would make two lines.
    out.retain(|&b| b != b'\n');
    out
}

fn iiot(wd: &Workdir, args: &[&str]) -> (String, String, std::process::Output) {
    let mut cmd = wd.cmd("");
    cmd.args(args);
    let out = wd.run(&mut cmd);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.code() != Some(101) && !stderr.contains("panicked"),
        "a panic\n{}",
        describe(&cmd, &out)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
        out,
    )
}

/// The number after `key ` on the summary line of `verb`.
fn summary(stderr: &str, verb: &str, key: &str) -> u64 {
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with(&format!("iiot {verb}: read ")))
        .unwrap_or_else(|| panic!("no summary of {verb}: {stderr}"));
    line.split(&format!("{key} "))
        .nth(1)
        .and_then(|s| {
            s.split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// `iiot cat` on a verb's output must take every record.
fn cat_takes_all(wd: &Workdir, name: &str, text: &str, what: &str) {
    wd.write(name, text);
    let (_, stderr, out) = iiot(wd, &["cat", name, "--rejects", "cat-rejects.ndjson"]);
    assert!(out.status.success(), "{what}: cat failed: {stderr}");
    assert_eq!(
        summary(&stderr, "cat", "rejected"),
        0,
        "{what} wrote records cat rejects: {}",
        wd.read("cat-rejects.ndjson")
    );
}

fn corpus(wd: &Workdir) -> Vec<Vec<u8>> {
    let mut text = String::new();
    for preset in ["wellhead", "fermenter", "factory", "boiler", "chemical"] {
        let (out, ..) = iiot(
            wd,
            &[
                "simulate",
                "--preset",
                preset,
                "--count",
                "4",
                "--faults",
                "spike=0.2,stuck=0.1",
                "--label",
            ],
        );
        text.push_str(&out);
    }
    wd.write("base.ndjson", &text);
    for args in [
        &["detect", "--preset", "fermenter", "base.ndjson"][..],
        &["detect", "--preset", "fermenter", "--events", "base.ndjson"],
        &["rollup", "--every", "1s", "base.ndjson"],
    ] {
        let (out, ..) = iiot(wd, args);
        text.push_str(&out);
    }
    let (factory, ..) = iiot(
        wd,
        &[
            "simulate",
            "--preset",
            "factory",
            "--duration",
            "20m",
            "--interval",
            "10s",
        ],
    );
    wd.write("factory.ndjson", &factory);
    let (oee, ..) = iiot(
        wd,
        &["rollup", "--kpi", "oee", "--every", "5m", "factory.ndjson"],
    );
    text.push_str(&oee);
    text.lines().map(|l| l.as_bytes().to_vec()).collect()
}

#[test]
fn prop_mutated_records_through_every_verb_lose_nothing() {
    let wd = Workdir::new("lost-fuzz");
    let corpus = corpus(&wd);
    assert!(corpus.len() > 500, "a corpus of every kind of record");
    for seed in [0x5eed_u64, 0xdead_beef, 0x1234_5678_9abc] {
        let mut rng = Rng(seed);
        let mut input = Vec::new();
        for _ in 0..3000 {
            let line = rng.pick(&corpus);
            if rng.below(3) == 0 {
                input.extend_from_slice(line);
            } else {
                input.extend_from_slice(&mutate(&mut rng, line, &corpus));
            }
            input.push(if rng.below(50) == 0 { b'\r' } else { b'\n' });
            if rng.below(200) == 0 {
                input.extend_from_slice(b"\n");
            }
        }
        wd.write("in.ndjson", &input);
        let ctx = format!(
            "seed {seed:#x} (input in {})",
            wd.path("in.ndjson").display()
        );
        let rejects = ["--rejects", "rejects.ndjson"];

        // cat: one record out per record in, or a reject.
        let (out, stderr, status) = iiot(&wd, &[&["cat", "in.ndjson"][..], &rejects].concat());
        assert!(status.status.success(), "{ctx}: {stderr}");
        let read = summary(&stderr, "cat", "read");
        assert!(read > 0, "{ctx}: {stderr}");
        assert_eq!(
            read,
            summary(&stderr, "cat", "wrote") + summary(&stderr, "cat", "rejected"),
            "{ctx}: {stderr}"
        );
        assert_eq!(out.lines().count() as u64, summary(&stderr, "cat", "wrote"));
        cat_takes_all(&wd, "cat-out.ndjson", &out, "cat");

        // detect, flagging and as alarm events.
        let (out, stderr, status) = iiot(
            &wd,
            &[
                &["detect", "--preset", "fermenter", "in.ndjson"][..],
                &rejects,
            ]
            .concat(),
        );
        assert!(status.status.success(), "{ctx}: {stderr}");
        assert_eq!(
            summary(&stderr, "detect", "read"),
            summary(&stderr, "detect", "wrote") + summary(&stderr, "detect", "rejected"),
            "{ctx}: {stderr}"
        );
        cat_takes_all(&wd, "detect-out.ndjson", &out, "detect");
        let (out, stderr, status) = iiot(
            &wd,
            &[&["detect", "--events", "in.ndjson"][..], &rejects].concat(),
        );
        assert!(status.status.success(), "{ctx}: {stderr}");
        cat_takes_all(&wd, "events-out.ndjson", &out, "detect --events");

        // rollup, and its records rolled up again.
        let (out, stderr, status) = iiot(
            &wd,
            &[&["rollup", "--every", "1m", "in.ndjson"][..], &rejects].concat(),
        );
        assert!(status.status.success(), "{ctx}: {stderr}");
        assert!(summary(&stderr, "rollup", "rejected") <= summary(&stderr, "rollup", "read"));
        cat_takes_all(&wd, "rollup-out.ndjson", &out, "rollup");
        let (_, stderr, status) = iiot(
            &wd,
            &[
                &["rollup", "--every", "1h", "rollup-out.ndjson"][..],
                &rejects,
            ]
            .concat(),
        );
        assert!(status.status.success(), "{ctx}: {stderr}");
        assert_eq!(
            summary(&stderr, "rollup", "rejected"),
            0,
            "{ctx}: rollup refuses its own records: {}",
            wd.read("rejects.ndjson")
        );
        let (out, stderr, status) = iiot(
            &wd,
            &[
                &["rollup", "--kpi", "oee", "--every", "5m", "in.ndjson"][..],
                &rejects,
            ]
            .concat(),
        );
        assert!(status.status.success(), "{ctx}: {stderr}");
        cat_takes_all(&wd, "kpi-out.ndjson", &out, "rollup --kpi oee");

        // store: SQLite, then read back.
        let _ = std::fs::remove_file(wd.path("f.db"));
        let (_, stderr, status) = iiot(
            &wd,
            &[&["store", "f.db", "in.ndjson"][..], &rejects].concat(),
        );
        assert!(status.status.success(), "{ctx}: {stderr}");
        let accounted = summary(&stderr, "store", "stored")
            + summary(&stderr, "store", "and")
            + summary(&stderr, "store", "duplicates")
            + summary(&stderr, "store", "rejected")
            + stderr
                .split(", ")
                .find_map(|p| p.strip_suffix(" rollup records)"))
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
        assert_eq!(
            summary(&stderr, "store", "read"),
            accounted,
            "{ctx}: {stderr}"
        );
        let (out, stderr, status) = iiot(&wd, &["query", "f.db"]);
        assert!(status.status.success(), "{ctx}: {stderr}");
        cat_takes_all(&wd, "query-out.ndjson", &out, "query of the store");

        // store: a lake, then read back.
        let _ = std::fs::remove_dir_all(wd.path("lake"));
        let (_, stderr, status) = iiot(
            &wd,
            &[&["store", "--parquet", "lake", "in.ndjson"][..], &rejects].concat(),
        );
        assert!(status.status.success(), "{ctx}: {stderr}");
        assert_eq!(
            summary(&stderr, "store", "read"),
            summary(&stderr, "store", "stored") + summary(&stderr, "store", "rejected"),
            "{ctx}: {stderr}"
        );
        let (out, stderr, status) = iiot(&wd, &["query", "lake"]);
        assert!(status.status.success(), "{ctx}: {stderr}");
        cat_takes_all(&wd, "lake-out.ndjson", &out, "query of the lake");

        // plot: no panic.
        let (_, stderr, _) = iiot(
            &wd,
            &[&["plot", "in.ndjson", "-o", "x.svg"][..], &rejects].concat(),
        );
        assert!(!stderr.contains("panicked"), "{ctx}: {stderr}");
    }
}
