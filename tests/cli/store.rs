//! `iiot store`: real SQLite files read back by the sqlite3 CLI, real
//! Parquet lakes read back by DuckDB, replays, bad input, crashes.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{Workdir, describe, fails_with, ok, parse_ndjson};

/// Runs a peer tool, failing with what to install when it is missing.
fn peer(program: &str, install: &str) -> Command {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "{program} is missing: install it ({install}), or run scripts/test"
    );
    Command::new(program)
}

fn sqlite3(wd: &Workdir, db: &str, sql: &str) -> String {
    let mut cmd = peer("sqlite3", "apt-get install sqlite3");
    cmd.current_dir(&wd.dir).arg(db).arg(sql);
    let out = cmd.output().expect("running sqlite3");
    ok(&cmd, &out)
}

/// Runs a DuckDB query from Python and returns its rows as text, one per
/// line, fields separated by `|`.
fn duckdb(wd: &Workdir, sql: &str) -> String {
    crate::peers::python(
        wd,
        &format!(
            "import duckdb\nfor row in duckdb.sql({sql:?}).fetchall():\n    print('|'.join(str(v) for v in row))\n"
        ),
    )
}

fn simulate(wd: &Workdir, args: &str) -> Vec<u8> {
    let mut cmd = wd.cmd("simulate");
    cmd.args(args.split_whitespace());
    let out = wd.run(&mut cmd);
    ok(&cmd, &out).into_bytes()
}

/// (asset, tag) → (count, sum of values).
type PerSeries = BTreeMap<(String, String), (u64, f64)>;

/// Per-series count and sum of an NDJSON stream, and its time span.
fn summarize(ndjson: &[u8]) -> (PerSeries, String, String) {
    let text = std::str::from_utf8(ndjson).expect("UTF-8");
    let mut series = BTreeMap::new();
    let (mut first, mut last) = (String::new(), String::new());
    for r in parse_ndjson(text) {
        let key = (
            r["asset"].as_str().unwrap().to_string(),
            r["tag"].as_str().unwrap().to_string(),
        );
        let e = series.entry(key).or_insert((0u64, 0.0f64));
        e.0 += 1;
        e.1 += r["value"].as_f64().unwrap();
        let ts = r["ts"].as_str().unwrap().to_string();
        if first.is_empty() || ts < first {
            first.clone_from(&ts);
        }
        if ts > last {
            last = ts;
        }
    }
    (series, first, last)
}

fn store(wd: &Workdir, args: &[&str], input: &[u8]) -> (String, String) {
    let mut cmd = wd.cmd("store");
    cmd.args(args);
    let out = wd.run_with_stdin(&mut cmd, input.to_vec());
    let stdout = ok(&cmd, &out);
    (stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn store_sqlite_holds_what_came_in_as_sqlite3_reads_it() {
    let wd = Workdir::new("store_sqlite");
    let input = simulate(
        &wd,
        "--preset wellhead --count 50 --faults spike=0.01 --label",
    );
    let (_, stderr) = store(&wd, &["plant.db"], &input);
    assert!(
        stderr.contains("read 10800, stored 10800, duplicates 0, rejected 0"),
        "{stderr}"
    );
    let (series, first, last) = summarize(&input);
    let rows = sqlite3(
        &wd,
        "plant.db",
        "SELECT asset, tag, count(*), sum(value), min(ts), max(ts) FROM readings_v GROUP BY asset, tag ORDER BY asset, tag",
    );
    let mut seen = 0;
    for line in rows.lines() {
        let f: Vec<&str> = line.split('|').collect();
        let (n, sum) = series[&(f[0].to_string(), f[1].to_string())];
        assert_eq!(f[2].parse::<u64>().unwrap(), n, "{line}");
        assert!(
            (f[3].parse::<f64>().unwrap() - sum).abs() < 1e-6 * sum.abs().max(1.0),
            "{line}"
        );
        assert_eq!((f[4], f[5]), (first.as_str(), last.as_str()), "{line}");
        seen += 1;
    }
    assert_eq!(seen, 216);
    // Every reading exactly, in time order per series, with its labels.
    let back = sqlite3(
        &wd,
        "plant.db",
        "SELECT json_object('ts', v.ts, 'asset', v.asset, 'tag', v.tag, 'value', v.value, 'fault', json_extract(r.extra, '$.fault'))
         FROM readings_v v JOIN series s ON s.asset = v.asset AND s.tag = v.tag
         JOIN readings r ON r.series_id = s.id AND strftime('%Y-%m-%dT%H:%M:%SZ', r.ts / 1000, 'unixepoch') = v.ts
         ORDER BY v.asset, v.tag, v.ts",
    );
    let mut expected: Vec<serde_json::Value> = parse_ndjson(std::str::from_utf8(&input).unwrap());
    expected.sort_by(|a, b| {
        (a["asset"].as_str(), a["tag"].as_str(), a["ts"].as_str()).cmp(&(
            b["asset"].as_str(),
            b["tag"].as_str(),
            b["ts"].as_str(),
        ))
    });
    let got = parse_ndjson(&back);
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g["ts"], e["ts"]);
        assert_eq!(g["value"].as_f64(), e["value"].as_f64(), "{g} vs {e}");
        assert_eq!(g["fault"].as_str(), e["fault"].as_str(), "{g} vs {e}");
    }
    let integrity = sqlite3(&wd, "plant.db", "PRAGMA integrity_check");
    assert_eq!(integrity.trim(), "ok");
}

#[test]
fn store_replay_adds_nothing() {
    let wd = Workdir::new("store_replay");
    let input = simulate(&wd, "--preset fermenter --count 100");
    store(&wd, &["plant.db"], &input);
    let (_, stderr) = store(&wd, &["plant.db"], &input);
    assert!(
        stderr.contains("read 2800, stored 0, duplicates 2800, rejected 0"),
        "{stderr}"
    );
    assert_eq!(
        sqlite3(&wd, "plant.db", "SELECT count(*) FROM readings").trim(),
        "2800"
    );
}

#[test]
fn store_on_conflict_replace_overwrites_what_differs() {
    let wd = Workdir::new("store_replace");
    let a = br#"{"ts":"2026-01-01T00:00:00Z","asset":"A","tag":"t","value":1}
{"ts":"2026-01-01T00:00:01Z","asset":"A","tag":"t","value":2}
"#;
    let b = br#"{"ts":"2026-01-01T00:00:00Z","asset":"A","tag":"t","value":1}
{"ts":"2026-01-01T00:00:01Z","asset":"A","tag":"t","value":5}
{"ts":"2026-01-01T00:00:02Z","asset":"A","tag":"t","value":6}
"#;
    store(&wd, &["p.db"], a);
    let (_, stderr) = store(&wd, &["p.db", "--on-conflict", "replace"], b);
    assert!(
        stderr.contains("read 3, stored 1, duplicates 1, replaced 1, rejected 0"),
        "{stderr}"
    );
    assert_eq!(
        sqlite3(
            &wd,
            "p.db",
            "SELECT group_concat(value, ',') FROM readings_v"
        )
        .trim(),
        "1.0,5.0,6.0"
    );
}

#[test]
fn store_bad_lines_are_counted_and_nothing_is_lost() {
    let wd = Workdir::new("store_bad");
    let good = simulate(&wd, "--preset boiler --count 3");
    let mut input = Vec::new();
    let good_lines: Vec<&[u8]> = good
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    for (i, line) in good_lines.iter().enumerate() {
        input.extend_from_slice(line);
        input.push(b'\n');
        if i % 50 == 7 {
            input.extend_from_slice(b"{\"ts\":\"2026-01-01T00:00:00Z\",\"asset\":\"A\",\"tag\":\"t\",\"value\":null}\nnot json\n");
        }
    }
    // A replayed line is a duplicate.
    input.extend_from_slice(good_lines[0]);
    input.push(b'\n');
    let bad = 2 * good_lines
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 50 == 7)
        .count();
    let (_, stderr) = store(&wd, &["p.db", "--rejects", "rejects.ndjson"], &input);
    let read = good_lines.len() + bad + 1;
    assert!(
        stderr.contains(&format!(
            "read {read}, stored {}, duplicates 1, rejected {bad}",
            good_lines.len()
        )),
        "{stderr}"
    );
    let rejects = parse_ndjson(&wd.read("rejects.ndjson"));
    assert_eq!(rejects.len(), bad);
    assert!(
        rejects[0]["reason"]
            .as_str()
            .unwrap()
            .contains("field \"value\""),
        "{}",
        rejects[0]
    );
    assert_eq!(rejects[0]["line"].as_u64(), Some(9));
    assert_eq!(
        sqlite3(&wd, "p.db", "SELECT count(*) FROM readings").trim(),
        good_lines.len().to_string()
    );
}

#[test]
fn store_strict_stores_what_came_before_the_bad_line_only() {
    let wd = Workdir::new("store_strict");
    let input = b"{\"ts\":0,\"asset\":\"A\",\"tag\":\"t\",\"value\":1}\n{\"ts\":1,\"asset\":\"A\",\"tag\":\"t\",\"value\":NaN}\n{\"ts\":2,\"asset\":\"A\",\"tag\":\"t\",\"value\":3}\n";
    let mut cmd = wd.cmd("store");
    cmd.args(["--strict", "p.db"]);
    let out = wd.run_with_stdin(&mut cmd, input.to_vec());
    let stderr = fails_with(1, &cmd, &out);
    assert!(stderr.contains("stdin:2"), "{stderr}");
    assert_eq!(
        sqlite3(&wd, "p.db", "SELECT group_concat(value) FROM readings").trim(),
        "1.0"
    );
}

#[test]
fn store_events_go_to_alarm_events_and_model_units_to_series() {
    let wd = Workdir::new("store_events");
    let input = br#"{"ts":"2026-01-01T00:00:05Z","asset":"FERM-1","tag":"fermenter_temp","event":"raised","rule":"temp_hh","kind":"threshold","severity":"high","value":46.1,"limit":45.0}
{"ts":"2026-01-01T00:01:05Z","asset":"FERM-1","tag":"fermenter_temp","event":"cleared","rule":"temp_hh","kind":"threshold","severity":"high","value":44.0,"limit":45.0}
{"ts":"2026-01-01T00:00:05Z","asset":"FERM-1","tag":"fermenter_temp","value":46.1}
"#;
    let (_, stderr) = store(&wd, &["p.db", "--preset", "fermenter"], input);
    assert!(stderr.contains("stored 1 (and 2 events)"), "{stderr}");
    assert_eq!(
        sqlite3(&wd, "p.db", "SELECT ts, event, rule, kind, severity, value, \"limit\" FROM alarm_events_v ORDER BY ts").trim(),
        "2026-01-01T00:00:05Z|raised|temp_hh|threshold|high|46.1|45.0\n2026-01-01T00:01:05Z|cleared|temp_hh|threshold|high|44.0|45.0"
    );
    // The reading had no unit: the model's is recorded, with descriptions for every series.
    assert_eq!(
        sqlite3(&wd, "p.db", "SELECT unit FROM readings_v").trim(),
        "degC"
    );
    assert_eq!(
        sqlite3(
            &wd,
            "p.db",
            "SELECT count(*) FROM series WHERE description IS NOT NULL"
        )
        .trim(),
        "28"
    );
}

#[test]
fn store_tee_passes_every_record_on() {
    let wd = Workdir::new("store_tee");
    let input = simulate(&wd, "--preset fermenter --count 5");
    let (stdout, _) = store(&wd, &["p.db", "--tee"], &input);
    assert_eq!(stdout.as_bytes(), &input[..]);
}

/// Spawns `iiot store` with a stdin pipe the test writes into.
fn spawn_store(wd: &Workdir, args: &[&str]) -> std::process::Child {
    let mut cmd = wd.cmd("store");
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd.spawn().expect("starting iiot store")
}

fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn store_slow_stream_is_durable_within_a_second() {
    let wd = Workdir::new("store_slow");
    let mut child = spawn_store(&wd, &["p.db"]);
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"{\"ts\":0,\"asset\":\"A\",\"tag\":\"t\",\"value\":1}\n")
        .expect("writing");
    stdin.flush().expect("flushing");
    let written = Instant::now();
    // The input stays open and quiet: the clock alone must commit it.
    wait_for(
        "the first reading to be committed",
        Duration::from_secs(5),
        || {
            wd.path("p.db").exists()
                && Command::new("sqlite3")
                    .arg(wd.path("p.db"))
                    .arg("SELECT count(*) FROM readings")
                    .output()
                    .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "1")
                    .unwrap_or(false)
        },
    );
    let took = written.elapsed();
    drop(stdin);
    let out = child.wait_with_output().expect("waiting for store");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        took < Duration::from_millis(2500),
        "committed only after {took:?}"
    );
}

#[test]
fn store_killed_mid_stream_keeps_whole_batches_and_a_rerun_completes_it() {
    let wd = Workdir::new("store_crash");
    let input = simulate(&wd, "--preset wellhead --count 2000");
    let total = input.iter().filter(|b| **b == b'\n').count();
    let mut child = spawn_store(
        &wd,
        &["p.db", "--batch-rows", "10000", "--batch-time", "1h"],
    );
    let mut stdin = child.stdin.take().expect("stdin");
    let feed = input.clone();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&feed);
    });
    // Kill it once a few batches have landed, before it can finish.
    wait_for("a first batch", Duration::from_secs(60), || {
        Command::new("sqlite3")
            .arg(wd.path("p.db"))
            .arg("SELECT count(*) FROM readings")
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .parse::<u64>()
                    .unwrap_or(0)
                    >= 20_000
            })
            .unwrap_or(false)
    });
    child.kill().expect("kill -9");
    let _ = child.wait();
    let _ = feeder.join();
    assert_eq!(sqlite3(&wd, "p.db", "PRAGMA integrity_check").trim(), "ok");
    let kept: usize = sqlite3(&wd, "p.db", "SELECT count(*) FROM readings")
        .trim()
        .parse()
        .unwrap();
    assert!(kept > 0 && kept < total, "kept {kept} of {total}");
    assert_eq!(kept % 10_000, 0, "a partial batch survived: {kept} rows");
    let (_, stderr) = store(&wd, &["p.db"], &input);
    assert!(
        stderr.contains(&format!(
            "stored {}, duplicates {kept}, rejected 0",
            total - kept
        )),
        "{stderr}"
    );
    assert_eq!(
        sqlite3(&wd, "p.db", "SELECT count(*) FROM readings").trim(),
        total.to_string()
    );
}

#[test]
fn store_parquet_lake_reads_as_one_dataset_in_duckdb() {
    let wd = Workdir::new("store_lake");
    // 60 hours from noon: three date partitions, several files.
    let input = simulate(
        &wd,
        "--preset boiler --interval 1m --duration 60h --start 2026-03-01T12:00:00Z",
    );
    let (_, stderr) = store(&wd, &["--parquet", "lake", "--roll-rows", "20000"], &input);
    assert!(stderr.contains("rejected 0"), "{stderr}");
    let (series, first, last) = summarize(&input);
    let total: u64 = series.values().map(|(n, _)| n).sum();
    let all = "read_parquet('lake/**/*.parquet', hive_partitioning = true)";
    let head = duckdb(
        &wd,
        &format!(
            "SELECT count(*), count(DISTINCT date), strftime(min(ts) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ'), strftime(max(ts) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') FROM {all}"
        ),
    );
    assert_eq!(head.trim(), format!("{total}|3|{first}|{last}"));
    let per_series = duckdb(
        &wd,
        &format!("SELECT asset, tag, count(*), sum(value) FROM {all} GROUP BY ALL ORDER BY ALL"),
    );
    let mut seen = 0;
    for line in per_series.lines() {
        let f: Vec<&str> = line.split('|').collect();
        let (n, sum) = series[&(f[0].to_string(), f[1].to_string())];
        assert_eq!(f[2].parse::<u64>().unwrap(), n, "{line}");
        assert!(
            (f[3].parse::<f64>().unwrap() - sum).abs() < 1e-6 * sum.abs().max(1.0),
            "{line}"
        );
        seen += 1;
    }
    assert_eq!(seen, series.len());
    // Fixed column order and types.
    let columns = duckdb(
        &wd,
        &format!("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {all})"),
    );
    assert_eq!(
        columns.trim(),
        "ts|TIMESTAMP WITH TIME ZONE\nasset|VARCHAR\ntag|VARCHAR\nunit|VARCHAR\nvalue|DOUBLE\nquality|VARCHAR\ntext|VARCHAR\ndate|DATE"
    );
}

#[test]
fn store_parquet_partition_by_date_and_asset() {
    let wd = Workdir::new("store_lake_asset");
    let input = simulate(&wd, "--preset factory --count 10");
    store(
        &wd,
        &["--parquet", "lake", "--partition-by", "date,asset"],
        &input,
    );
    let dirs = duckdb(
        &wd,
        "SELECT DISTINCT regexp_extract(filename, 'asset=([^/]+)', 1) FROM read_parquet('lake/*/*/*.parquet', filename = true) ORDER BY 1",
    );
    // LINE-A/M-01: the slash is escaped in the folder name.
    assert!(dirs.lines().any(|l| l == "LINE-A%2FM-01"), "{dirs}");
    assert_eq!(dirs.lines().count(), 8, "{dirs}");
    let assets = duckdb(
        &wd,
        "SELECT count(DISTINCT asset), count(*) FROM read_parquet('lake/**/*.parquet')",
    );
    assert_eq!(assets.trim(), "8|800");
}

#[test]
fn store_parquet_killed_mid_stream_leaves_only_readable_files() {
    let wd = Workdir::new("store_lake_crash");
    let input = simulate(&wd, "--preset wellhead --count 3000");
    let mut child = spawn_store(&wd, &["--parquet", "lake", "--roll-rows", "50000"]);
    let mut stdin = child.stdin.take().expect("stdin");
    let feed = input.clone();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&feed);
    });
    let lake = wd.path("lake/date=2026-01-01");
    wait_for("a first file", Duration::from_secs(60), || {
        std::fs::read_dir(&lake)
            .map(|d| {
                d.filter_map(Result::ok)
                    .any(|e| e.file_name().to_string_lossy().ends_with(".parquet"))
            })
            .unwrap_or(false)
    });
    child.kill().expect("kill -9");
    let _ = child.wait();
    let _ = feeder.join();
    let visible = duckdb(
        &wd,
        "SELECT count(*) FROM read_parquet('lake/**/*.parquet')",
    );
    let n: u64 = visible.trim().parse().unwrap();
    assert!(n > 0 && n % 50_000 == 0, "{n} rows visible");
}

#[test]
fn store_err_not_a_database() {
    let wd = Workdir::new("store_not_db");
    wd.write(
        "notes.txt",
        "just some text that is not SQLite\n".repeat(200),
    );
    let mut cmd = wd.cmd("store");
    cmd.arg("notes.txt");
    let out = wd.run_with_stdin(
        &mut cmd,
        b"{\"ts\":0,\"asset\":\"A\",\"tag\":\"t\",\"value\":1}\n".to_vec(),
    );
    let stderr = fails_with(1, &cmd, &out);
    assert!(stderr.contains("notes.txt"), "{}", describe(&cmd, &out));
}

#[test]
fn store_then_rollup_on_the_store_agrees_with_sqlite3_group_by() {
    let wd = Workdir::new("store_rollup");
    let input = simulate(&wd, "--preset boiler --duration 30m");
    store(&wd, &["plant.db"], &input);
    let mut cmd = wd.cmd("rollup");
    cmd.args(["plant.db", "--every", "1m"]);
    let out = wd.run(&mut cmd);
    ok(&cmd, &out);
    // Every closed minute of every series, as SQLite computes it from the raw rows.
    let ours = sqlite3(
        &wd,
        "plant.db",
        "SELECT s.asset, s.tag, r.ts, r.count, r.min, r.max, r.mean
         FROM rollup_1m r JOIN series s ON s.id = r.series_id ORDER BY 1, 2, 3",
    );
    let theirs = sqlite3(
        &wd,
        "plant.db",
        "SELECT s.asset, s.tag, r.ts / 60000 * 60000 AS b, count(*), min(value), max(value), avg(value)
         FROM readings r JOIN series s ON s.id = r.series_id GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    );
    let theirs: BTreeMap<(String, String, String), Vec<f64>> = theirs
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            let nums = f[3..].iter().map(|v| v.parse::<f64>().unwrap()).collect();
            ((f[0].to_string(), f[1].to_string(), f[2].to_string()), nums)
        })
        .collect();
    let ours: Vec<&str> = ours.lines().collect();
    // The last minute of each series may still be open: rollup writes closed buckets only.
    assert!(ours.len() >= 64 * 29, "{} rollup rows", ours.len());
    for row in &ours {
        let f: Vec<&str> = row.split('|').collect();
        let want = &theirs[&(f[0].to_string(), f[1].to_string(), f[2].to_string())];
        for (got, want) in f[3..].iter().map(|v| v.parse::<f64>().unwrap()).zip(want) {
            assert!(
                (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                "rollup row {row} vs SQLite's {want:?}"
            );
        }
    }
}

/// The input sorted as query writes it: by asset, tag, then time.
fn sorted_as_query(input: &[u8]) -> String {
    let mut lines: Vec<(String, String, String, &str)> = std::str::from_utf8(input)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
            (s("asset"), s("tag"), s("ts"), l)
        })
        .collect();
    lines.sort();
    lines.iter().map(|l| format!("{}\n", l.3)).collect()
}

#[test]
fn store_then_query_gives_back_the_input_from_sqlite_and_from_the_lake() {
    let wd = Workdir::new("store_query");
    let input = simulate(
        &wd,
        "--preset factory --count 120 --start 2026-05-31T23:59:00Z",
    );
    store(&wd, &["plant.db"], &input);
    store(&wd, &["--parquet", "lake", "--roll-rows", "3000"], &input);
    let expected = sorted_as_query(&input);
    for source in ["plant.db", "lake"] {
        let mut cmd = wd.cmd("query");
        cmd.arg(source);
        let out = wd.run(&mut cmd);
        let got = ok(&cmd, &out);
        // States keep their labels, counters their whole counts, values every bit.
        assert!(
            got == expected,
            "query {source} differs from the stored input\n{}",
            describe(&cmd, &out)
        );
    }
}

#[test]
fn store_parquet_rejects_alarm_events_and_counts_them() {
    let wd = Workdir::new("store_lake_events");
    let input = br#"{"ts":"2026-01-01T00:00:05Z","asset":"FERM-1","tag":"fermenter_temp","value":46.1}
{"ts":"2026-01-01T00:00:05Z","asset":"FERM-1","tag":"fermenter_temp","event":"raised","rule":"temp_hh","value":46.1,"limit":45.0}
"#;
    let (_, stderr) = store(
        &wd,
        &["--parquet", "lake", "--rejects", "rejects.ndjson"],
        input,
    );
    assert!(
        stderr.contains("read 2, stored 1, duplicates 0, rejected 1"),
        "{stderr}"
    );
    let rejects = parse_ndjson(&wd.read("rejects.ndjson"));
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["line"].as_u64(), Some(2));
    assert!(
        rejects[0]["reason"]
            .as_str()
            .unwrap()
            .contains("field \"event\""),
        "{}",
        rejects[0]
    );
    assert!(
        rejects[0]["raw"]
            .as_str()
            .unwrap()
            .contains("\"rule\":\"temp_hh\""),
        "{}",
        rejects[0]
    );
}
