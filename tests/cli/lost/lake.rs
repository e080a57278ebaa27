//! Regression tests: lake.
//!
//! The Parquet lake (`iiot store --parquet`) and its readers: a record
//! whose partition folder cannot be made is rejected alone instead of
//! taking other assets' rows down with it; a full disk is an error with
//! its cause, never a panic or a leftover temporary file; one damaged file
//! does not hide the rest of a lake from `query` and `inspect`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::*;

/// (asset, tag) → (count, sum of values) of an NDJSON reading stream.
fn per_series(ndjson: &str) -> BTreeMap<(String, String), (u64, f64)> {
    let mut m = BTreeMap::new();
    for r in parse_ndjson(ndjson) {
        let e = m
            .entry((text(&r, "asset").to_string(), text(&r, "tag").to_string()))
            .or_insert((0u64, 0.0f64));
        e.0 += 1;
        e.1 += num(&r, "value");
    }
    m
}

fn simulate(wd: &Workdir, args: &[&str]) -> String {
    let mut cmd = wd.cmd("simulate");
    cmd.arg("-q").args(args);
    run_ok(wd, &mut cmd)
}

/// Every file under `dir` whose name ends with `suffix`, sorted.
fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(suffix) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Counts the rows of a lake with DuckDB, a reader other than iiot.
fn duckdb_count(wd: &Workdir, lake: &str) -> u64 {
    let out = crate::peers::python(
        wd,
        &format!(
            "import duckdb\nprint(duckdb.sql(\"SELECT count(*) FROM read_parquet('{lake}/**/*.parquet', hive_partitioning=false)\").fetchall()[0][0])\n"
        ),
    );
    out.trim().parse().expect("DuckDB printed a count")
}

/// One line with a 300-byte asset among 12,960 good readings of 12 assets,
/// partitioned by date and asset: the line is rejected through the normal
/// reject path (source, line, field, reason), counted in the summary, and
/// every good reading is written — before the fix, `File name too long`
/// aborted the lake, exit 1, no summary, thousands of good rows lost.
#[test]
fn an_asset_name_too_long_for_a_folder_is_rejected_alone() {
    let wd = Workdir::new("lost-lake-long-asset");
    let good = simulate(&wd, &["--preset", "wellhead", "--count", "60"]);
    let n_good = good.lines().count();
    assert!(n_good > 12_000, "{n_good} readings simulated");
    let long = "A".repeat(300);
    let bad_line = 5_001;
    let mut input = String::new();
    for (i, line) in good.lines().enumerate() {
        if i + 1 == bad_line {
            writeln!(
                input,
                r#"{{"ts":"2026-01-01T00:00:30Z","asset":"{long}","tag":"flow","value":1.5}}"#
            )
            .unwrap();
        }
        input.push_str(line);
        input.push('\n');
    }
    wd.write("in.ndjson", &input);
    // Small files: the too-long partition would have been written beside
    // many others, mid-run and at the end.
    let mut cmd = wd.cmd("store");
    cmd.args([
        "--parquet",
        "lake",
        "--partition-by",
        "date,asset",
        "--roll-rows",
        "700",
        "in.ndjson",
    ]);
    let out = wd.run(&mut cmd);
    ok(&cmd, &out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("in.ndjson:{bad_line}: field \"asset\": too long")),
        "the reject names the source, line and field\n{}",
        describe(&cmd, &out)
    );
    assert!(
        stderr.contains("255"),
        "the reason gives the limit\n{}",
        describe(&cmd, &out)
    );
    assert!(
        stderr.contains(&format!(
            "read {}, stored {n_good}, duplicates 0, rejected 1",
            n_good + 1
        )),
        "the summary counts the reject\n{}",
        describe(&cmd, &out)
    );
    assert!(
        !stderr.contains("File name too long"),
        "{}",
        describe(&cmd, &out)
    );
    assert!(files_ending(&wd.path("lake"), ".tmp").is_empty());

    let mut q = wd.cmd("query");
    q.args(["-q", "lake"]);
    let back = run_ok(&wd, &mut q);
    assert_eq!(
        back.lines().count(),
        n_good,
        "every good reading is read back"
    );
    assert_eq!(per_series(&back), per_series(&good));
    assert_eq!(
        duckdb_count(&wd, "lake"),
        n_good as u64,
        "DuckDB counts them too"
    );
}

/// The limit is the escaped folder name's 255 bytes: `asset=` and 249
/// bytes fit; 250 bytes, or 84 characters that are escaped as `%2F` (252
/// bytes), do not; and the rest of the input is stored either way. With
/// --rejects the reasons go to the file, and --strict stops there.
#[test]
fn the_asset_folder_limit_is_the_escaped_names_255_bytes() {
    let wd = Workdir::new("lost-lake-asset-limit");
    let fits = "B".repeat(249);
    let too_long = "C".repeat(250);
    let escaped = "/".repeat(84);
    let mut input = String::new();
    for (i, asset) in ["WH-01", &fits, &too_long, &escaped, "WH-02"]
        .iter()
        .enumerate()
    {
        writeln!(
            input,
            r#"{{"ts":"2026-01-01T00:00:0{i}Z","asset":"{asset}","tag":"t","value":{i}}}"#
        )
        .unwrap();
    }
    wd.write("in.ndjson", &input);
    let mut cmd = wd.cmd("store");
    cmd.args([
        "--parquet",
        "lake",
        "--partition-by",
        "date,asset",
        "--rejects",
        "rejects.ndjson",
        "in.ndjson",
    ]);
    let out = wd.run(&mut cmd);
    ok(&cmd, &out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("read 5, stored 3, duplicates 0, rejected 2"),
        "{}",
        describe(&cmd, &out)
    );
    let rejects = parse_ndjson(&wd.read("rejects.ndjson"));
    let lines: Vec<u64> = rejects
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4], "{rejects:?}");
    for r in &rejects {
        assert!(
            text(r, "reason").starts_with("field \"asset\": too long"),
            "{r}"
        );
    }
    let mut q = wd.cmd("query");
    q.args(["-q", "lake"]);
    let back = parse_ndjson(&run_ok(&wd, &mut q));
    let mut assets: Vec<&str> = back.iter().map(|r| text(r, "asset")).collect();
    assets.sort();
    assert_eq!(assets, [fits.as_str(), "WH-01", "WH-02"]);

    // --strict: the first such line stops the run, exit 1.
    let mut cmd = wd.cmd("store");
    cmd.args([
        "--parquet",
        "strict",
        "--partition-by",
        "date,asset",
        "--strict",
        "in.ndjson",
    ]);
    let out = wd.run(&mut cmd);
    let stderr = fails_with(1, &cmd, &out);
    assert!(
        stderr.contains("in.ndjson:3: field \"asset\": too long"),
        "{}",
        describe(&cmd, &out)
    );
}

/// Readings that do not compress: random values and random 32-digit hex
/// texts, about 27 bytes a row in Parquet.
fn incompressible(rows: usize) -> String {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut s = String::with_capacity(rows * 130);
    for i in 0..rows {
        let value = (next() >> 11) as f64 / (1u64 << 53) as f64;
        let (a, b) = (next(), next());
        writeln!(
            s,
            r#"{{"ts":{},"asset":"A{}","tag":"t{}","value":{value},"text":"{a:016x}{b:016x}"}}"#,
            1_767_225_600_000u64 + i as u64 * 10,
            i % 7,
            i % 5
        )
        .unwrap();
    }
    s
}

/// Unmounts the test's file system when the test ends, also on failure.
struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        // Quiet when the script already unmounted it.
        let _ = Command::new("umount")
            .arg(&self.0)
            .stderr(std::process::Stdio::null())
            .status();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// What happened on the full disk.
struct FullDisk {
    store_rc: i32,
    store_err: String,
    /// Temporary files left in the lake.
    tmps: String,
    /// The lake read back before unmounting.
    query_rc: i32,
    query_out: String,
    query_err: String,
}

/// Runs `iiot store --parquet MNT/lake ARGS input.ndjson` on a 2 MiB tmpfs
/// mounted at `MNT`, then lists the temporary files left and reads the
/// lake back, all before unmounting: as root with a plain mount (CI runs
/// as root), else in a mount namespace of its own (`unshare -rm`). Fails,
/// naming what is needed, when neither can mount.
fn store_on_full_disk(wd: &Workdir, args: &str) -> FullDisk {
    let mnt = wd.path("full");
    fs::create_dir_all(&mnt).unwrap();
    let script = format!(
        r#"mount -t tmpfs -o size=2m tmpfs "$MNT" || exit 97
"$IIOT" store --parquet "$MNT/lake" {args} input.ndjson 2> store.err
echo $? > store.rc
find "$MNT" -name '*.tmp' > tmps.txt
"$IIOT" query -q "$MNT/lake" > back.ndjson 2> query.err
echo $? > query.rc
umount "$MNT"
"#
    );
    let run = |wrap: &[&str]| -> (Command, Output) {
        let mut cmd = Command::new(wrap[0]);
        cmd.args(&wrap[1..])
            .arg("sh")
            .arg("-c")
            .arg(&script)
            .current_dir(&wd.dir)
            .env("MNT", &mnt)
            .env("IIOT", env!("CARGO_BIN_EXE_iiot"));
        let out = cmd.output().unwrap_or_else(|e| {
            panic!(
                "running {wrap:?} failed ({e}): this test needs `env` and util-linux's `unshare`"
            )
        });
        (cmd, out)
    };
    let mut tried = Vec::new();
    let mut done = None;
    if is_root() {
        let _unmount = Unmount(mnt.clone());
        let (cmd, out) = run(&["env"]);
        if out.status.code() == Some(97) {
            tried.push(describe(&cmd, &out));
        } else {
            done = Some((cmd, out));
        }
    }
    if done.is_none() {
        let (cmd, out) = run(&["unshare", "-rm"]);
        if out.status.code() == Some(0) {
            done = Some((cmd, out));
        } else {
            tried.push(describe(&cmd, &out));
        }
    }
    let Some((cmd, out)) = done else {
        panic!(
            "this test needs a 2 MiB tmpfs: run it as root (mount -t tmpfs), or where \
             unprivileged user namespaces allow `unshare -rm` to mount one\n{}",
            tried.join("\n")
        );
    };
    assert!(
        out.status.success(),
        "the script failed\n{}",
        describe(&cmd, &out)
    );
    let rc = |name: &str| -> i32 {
        wd.read(name)
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}: no exit code\n{}", describe(&cmd, &out)))
    };
    FullDisk {
        store_rc: rc("store.rc"),
        store_err: wd.read("store.err"),
        tmps: wd.read("tmps.txt"),
        query_rc: rc("query.rc"),
        query_out: wd.read("back.ndjson"),
        query_err: wd.read("query.err"),
    }
}

/// Checks what a lake on a full disk must do, `how` saying when the disk
/// filled: exit 1, the OS's ENOSPC error with the file, the summary, no
/// panic, no temporary file left, and a lake that reads back whole with
/// as many readings as the summary says were stored.
fn assert_full_disk_handled(f: &FullDisk, how: &str) {
    let ctx = format!(
        "{how}\n--- store stderr ---\n{}\n--- leftover .tmp files ---\n{}\n--- query stderr ---\n{}",
        f.store_err, f.tmps, f.query_err
    );
    assert_eq!(f.store_rc, 1, "exit 1\n{ctx}");
    assert!(!f.store_err.contains("panicked"), "no panic\n{ctx}");
    let enospc = f
        .store_err
        .lines()
        .find(|l| l.contains("No space left on device"))
        .unwrap_or_else(|| panic!("the real error is told\n{ctx}"));
    assert!(
        enospc.contains("/lake/date=2026-01-01/") && enospc.contains(".parquet"),
        "the error names the file\n{ctx}"
    );
    assert!(f.tmps.trim().is_empty(), "no temporary file is left\n{ctx}");
    let summary = f
        .store_err
        .lines()
        .find(|l| l.starts_with("iiot store: read "))
        .unwrap_or_else(|| panic!("the summary is printed\n{ctx}"));
    // What the summary says was stored is what the lake holds.
    let stored: u64 = summary
        .split("stored ")
        .nth(1)
        .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no stored count in {summary:?}"));
    assert_eq!(f.query_rc, 0, "the files written are whole\n{ctx}");
    assert_eq!(
        f.query_out.lines().count() as u64,
        stored,
        "the summary's stored count is what the lake holds\n{ctx}"
    );
}

/// A lake on a full disk: before the fix, a panic ("the writer runs until
/// close", exit 101) that never told the out-of-space error and left a
/// `.part-*.tmp` behind. The disk fills while files are rolled (the error
/// is met by a later add) and at the final write of close.
#[test]
fn a_full_disk_is_an_error_with_its_cause_and_leaves_no_temporary_file() {
    let wd = Workdir::new("lost-lake-full-disk");
    // About 3.2 MB of Parquet for a 2 MiB disk.
    wd.write("input.ndjson", incompressible(120_000));
    let rolled = store_on_full_disk(&wd, "--roll-rows 10000");
    assert_full_disk_handled(&rolled, "files rolled every 10,000 rows");
    let at_close = store_on_full_disk(&wd, "");
    assert_full_disk_handled(&at_close, "one file, written at close");
}

/// Overwrites the middle third of a Parquet file's data with 0xFF, its
/// footer kept: the file opens, its row group does not decode.
fn damage_middle(path: &Path) {
    let mut b = fs::read(path).unwrap();
    let n = b.len();
    let footer = u32::from_le_bytes(b[n - 8..n - 4].try_into().unwrap()) as usize;
    let data_end = n - 8 - footer;
    let (from, to) = (data_end / 3, 2 * data_end / 3);
    b[from..to].fill(0xFF);
    fs::write(path, b).unwrap();
}

/// One damaged file in a lake: before the fix `iiot query LAKE` stopped at
/// it with exit 1 and little or no output. Now every readable file's
/// readings come out, each damaged file is named with why, and the exit
/// is 1; `inspect` reports both damaged files and all the rest.
#[test]
fn a_damaged_file_does_not_hide_the_rest_of_the_lake() {
    let wd = Workdir::new("lost-lake-damaged");
    let input = simulate(
        &wd,
        &[
            "--preset",
            "wellhead",
            "--start",
            "2026-01-01T00:00:00Z",
            "--duration",
            "4d",
            "--interval",
            "30m",
        ],
    );
    wd.write("in.ndjson", &input);
    let mut cmd = wd.cmd("store");
    cmd.args(["-q", "--parquet", "lake", "in.ndjson"]);
    run_ok(&wd, &mut cmd);
    let files = files_ending(&wd.path("lake"), ".parquet");
    assert_eq!(files.len(), 4, "one file a day: {files:?}");
    // Day 2 damaged in the middle, day 3 cut short (no footer).
    damage_middle(&files[1]);
    let day3 = fs::read(&files[2]).unwrap();
    fs::write(&files[2], &day3[..day3.len() / 2]).unwrap();
    let rel = |p: &Path| p.strip_prefix(&wd.dir).unwrap().display().to_string();
    let (bad_mid, bad_cut) = (rel(&files[1]), rel(&files[2]));

    let kept_days = |text: &str| -> String {
        text.lines()
            .filter(|l| l.contains("\"2026-01-01T") || l.contains("\"2026-01-04T"))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let expected = kept_days(&input);
    assert!(!expected.is_empty());

    let mut q = wd.cmd("query");
    q.arg("lake");
    let out = wd.run(&mut q);
    let stderr = fails_with(1, &q, &out);
    let got = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        per_series(&got),
        per_series(&expected),
        "the readable days all come out, and nothing of the damaged ones\n{}",
        describe(&q, &out)
    );
    assert_eq!(got.lines().count(), expected.lines().count());
    for bad in [&bad_mid, &bad_cut] {
        assert!(
            stderr.lines().any(|l| l.contains(bad.as_str())),
            "stderr names {bad}\n{}",
            describe(&q, &out)
        );
    }
    assert!(stderr.contains("no footer"), "{}", describe(&q, &out));
    assert!(stderr.contains("row group 0"), "{}", describe(&q, &out));

    // --latest reads the same files.
    let mut q = wd.cmd("query");
    q.args(["lake", "--latest"]);
    let out = wd.run(&mut q);
    fails_with(1, &q, &out);
    let latest = parse_ndjson(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(latest.len(), per_series(&expected).len());
    assert!(
        latest
            .iter()
            .all(|r| text(r, "ts").starts_with("2026-01-04T23:30")),
        "{}",
        describe(&q, &out)
    );

    // inspect: both damaged files named, every other file reported.
    let mut i = wd.cmd("inspect");
    i.args(["lake", "--json"]);
    let out = wd.run(&mut i);
    fails_with(1, &i, &out);
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("inspect prints its report");
    let damaged: Vec<&str> = report["damaged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| text(d, "path"))
        .collect();
    assert!(damaged.contains(&bad_mid.as_str()), "{report:#}");
    assert!(damaged.contains(&bad_cut.as_str()), "{report:#}");
    assert_eq!(
        report["readings"].as_u64(),
        Some(expected.lines().count() as u64),
        "{report:#}"
    );
    let reported: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| text(f, "path"))
        .collect();
    for f in [&files[0], &files[3]] {
        assert!(reported.contains(&rel(f).as_str()), "{report:#}");
    }
}
