//! The historian on a lake and its archive: rollup lakes keep every
//! statistic (`query LAKE --rollup`, equal to a store's rollup tables,
//! cascades exact); `query LAKE --order time` equal to the input sorted by
//! (time, asset, tag); `rollup DB --retain … --archive DIR` writing what it
//! deletes as Parquet that `query` and DuckDB read, and never losing a row
//! to `kill -9`.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::order::{bash, ms, sorted_by_time};
use crate::util::{Workdir, describe, fails_with, ok, parse_ndjson, text};

fn duckdb(wd: &Workdir, sql: &str) -> String {
    crate::peers::python(
        wd,
        &format!(
            "import duckdb\nfor row in duckdb.sql({sql:?}).fetchall():\n    print('|'.join(str(v) for v in row))\n"
        ),
    )
}

fn by_series(mut rows: Vec<Value>) -> Vec<Value> {
    rows.sort_by_cached_key(|v| {
        (
            text(v, "asset").to_string(),
            text(v, "tag").to_string(),
            ms(v),
        )
    });
    rows
}

/// Two rollup records equal: strings and counts exactly, statistics to
/// rounding (a cascade sums in another order than a direct rollup).
fn close(a: &Value, b: &Value) -> bool {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return false;
    };
    a.len() == b.len()
        && a.iter().all(|(k, x)| match (x, b.get(k)) {
            (Value::Number(x), Some(Value::Number(y))) if x.is_f64() || y.is_f64() => {
                let (x, y) = (
                    x.as_f64().unwrap_or(f64::NAN),
                    y.as_f64().unwrap_or(f64::NAN),
                );
                (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
            }
            (x, Some(y)) => x == y,
            _ => false,
        })
}

#[test]
fn rollup_lake_keeps_every_statistic_and_reads_back_as_the_store_does() {
    let wd = Workdir::new("lake-rollup");
    bash(
        &wd,
        "$B simulate --preset boiler --duration 2h --interval 10s --seed 5 --faults dropout=0.01,stuck=0.002 > r.ndjson; \
         $B store -q r.db r.ndjson; $B rollup -q r.db --every 1m,1h --final; \
         $B rollup -q --every 1m,1h r.ndjson | $B store -q --parquet lake",
    );
    let stored_1h = bash(&wd, "$B query -q r.db --rollup 1h");
    for width in ["1m", "1h"] {
        let stored = bash(&wd, &format!("$B query -q r.db --rollup {width}"));
        let lake = bash(&wd, &format!("$B query -q lake --rollup {width}"));
        assert!(!stored.is_empty());
        assert_eq!(lake, stored, "{width}: the lake's rollups are the store's");
    }
    // Filters as on the store.
    let f = "--rollup 1m --asset 'SITE-1/BLR-1' --tag 'steam*' --from 2026-01-01T00:30:00Z --to 2026-01-01T01:10:00Z";
    let one = bash(&wd, &format!("$B query -q lake {f}"));
    assert_eq!(one, bash(&wd, &format!("$B query -q r.db {f}")));
    assert!(parse_ndjson(&one).len() > 20, "{one}");
    // A cascade from the 1m lake is the streaming cascade exactly, and the
    // direct 1h rollup to rounding.
    let cascade = by_series(parse_ndjson(&bash(
        &wd,
        "$B query -q lake --rollup 1m | $B rollup -q --every 1h",
    )));
    let streamed = by_series(parse_ndjson(&bash(
        &wd,
        "$B rollup -q --every 1m r.ndjson | $B rollup -q --every 1h",
    )));
    assert_eq!(cascade, streamed);
    let direct = parse_ndjson(&bash(&wd, "$B query -q lake --rollup 1h"));
    assert_eq!(cascade.len(), direct.len());
    assert!(!direct.is_empty(), "no 1h rollups read back from the lake");
    for (c, d) in cascade.iter().zip(&direct) {
        assert!(close(c, d), "cascade {c}\n direct {d}");
    }
    // DuckDB reads the statistics' columns.
    let sums: (u64, u64, u64) = direct.iter().fold((0, 0, 0), |s, v| {
        (
            s.0 + v["count"].as_u64().unwrap_or(0),
            s.1 + v["bad"].as_u64().unwrap_or(0),
            s.2 + u64::from(v.get("stddev").is_some()),
        )
    });
    let got = duckdb(
        &wd,
        "SELECT sum(count), sum(bad), count(stddev), count(first_ts), min(every), max(every), \
         sum(CASE WHEN min <= twa AND twa <= max THEN 1 ELSE 0 END) \
         FROM read_parquet('lake/every=1h/**/*.parquet')",
    );
    assert_eq!(
        got.trim(),
        format!(
            "{}|{}|{}|{}|1h|1h|{}",
            sums.0, sums.1, sums.2, sums.2, sums.2
        )
    );
    // The readings of the lake are not its rollups: none, and a hint.
    let mut cmd = wd.cmd("query");
    cmd.arg("lake");
    let out = wd.run(&mut cmd);
    assert_eq!(ok(&cmd, &out), "");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("read them with --rollup 1m"),
        "{}",
        describe(&cmd, &out)
    );
    // A width the lake does not hold.
    let mut cmd = wd.cmd("query");
    cmd.args(["lake", "--rollup", "1d"]);
    let out = wd.run(&mut cmd);
    let err = fails_with(1, &cmd, &out);
    assert!(err.contains("every=1d"), "{}", describe(&cmd, &out));
    // Retention on a rollup lake: a width's day goes once all its buckets
    // ended before the limit; the other width and the readings stay.
    bash(
        &wd,
        "$B rollup -q lake --retain 1m=1d --now 2026-01-03T00:00:59Z",
    );
    assert!(wd.path("lake/every=1m/date=2026-01-01").exists());
    bash(
        &wd,
        "$B rollup -q lake --retain 1m=1d --now 2026-01-03T00:01:00Z",
    );
    assert!(!wd.path("lake/every=1m/date=2026-01-01").exists());
    assert_eq!(bash(&wd, "$B query -q lake --rollup 1h"), stored_1h);
}

#[test]
fn lake_time_order_equals_the_input_sorted_by_time_asset_tag() {
    let wd = Workdir::new("lake-order");
    // Over midnight, so two date= partitions; asset partitions too, and
    // small files, so a day is many files.
    bash(
        &wd,
        "$B simulate --preset factory --start 2026-01-01T23:54:00Z --duration 12m --interval 7s --seed 2 > in.ndjson; \
         $B simulate --preset boiler --start 2026-01-01T23:54:00Z --duration 12m --interval 4.5s --seed 4 >> in.ndjson; \
         $B store -q --parquet --partition-by date,asset --roll-rows 700 lake in.ndjson",
    );
    let input = parse_ndjson(&wd.read("in.ndjson"));
    let out = parse_ndjson(&bash(&wd, "$B query -q lake --order time"));
    assert_eq!(out.len(), input.len());
    assert_eq!(out, sorted_by_time(input.clone()));
    // Selected and limited: the same merge of what is selected.
    let (from, to) = ("2026-01-01T23:58:00Z", "2026-01-02T00:03:00Z");
    let some = parse_ndjson(&bash(
        &wd,
        &format!("$B query -q lake --order time --asset 'LINE-A/*,BLR-1' --from {from} --to {to}"),
    ));
    let (f, t) = (
        iiot::time::parse_rfc3339(from).unwrap(),
        iiot::time::parse_rfc3339(to).unwrap(),
    );
    let want: Vec<Value> = sorted_by_time(input)
        .into_iter()
        .filter(|v| {
            (text(v, "asset").starts_with("LINE-A/") || text(v, "asset") == "BLR-1")
                && ms(v) >= f
                && ms(v) < t
        })
        .collect();
    assert!(want.len() > 100);
    assert_eq!(some, want);
    // Merged by runs (the budget shrunk so these small days are not
    // sorted in memory): the same output.
    assert_eq!(
        parse_ndjson(&bash(
            &wd,
            "IIOT_QUERY_HOLD=64 $B query -q lake --order time"
        )),
        out
    );
    assert_eq!(
        parse_ndjson(&bash(
            &wd,
            &format!(
                "IIOT_QUERY_HOLD=64 $B query -q lake --order time --asset 'LINE-A/*,BLR-1' --from {from} --to {to}"
            ),
        )),
        some
    );
    let first = parse_ndjson(&bash(&wd, "$B query -q lake --order time --limit 5"));
    assert_eq!(first, out[..5].to_vec());
    // OEE from the lake equals OEE on the live stream.
    bash(
        &wd,
        "grep LINE in.ndjson | $B rollup -q --kpi oee --every 5m > live.ndjson; \
         $B query -q lake --order time --asset 'LINE-*' | $B rollup -q --kpi oee --every 5m > lake.ndjson",
    );
    assert_eq!(
        parse_ndjson(&wd.read("lake.ndjson")),
        parse_ndjson(&wd.read("live.ndjson"))
    );
}

/// Peak resident memory of `query --order time` over a lake of `days`
/// days of `per_day` readings each (written by pyarrow), in KiB, and the
/// readings it wrote.
fn lake_peak_kib(wd: &Workdir, name: &str, days: u32, per_day: u32) -> (u64, String) {
    crate::peers::python(
        wd,
        &format!(
            "import pyarrow as pa, pyarrow.parquet as pq, os\n\
             for d in range({days}):\n\
             \x20   n = {per_day}\n\
             \x20   base = 1767225600000 + d * 86400000\n\
             \x20   ts = [base + (i % (n // 50)) * 1000 for i in range(n)]\n\
             \x20   asset = ['M-%02d' % (i // (n // 50)) for i in range(n)]\n\
             \x20   t = pa.table({{'ts': pa.array(ts, pa.timestamp('ms', 'UTC')), 'asset': asset, \
             'tag': ['x'] * n, 'unit': [None] * n, 'value': [float(i) for i in range(n)], \
             'quality': ['good'] * n, 'text': [None] * n}})\n\
             \x20   p = '{name}/date=2026-01-%02d' % (d + 1)\n\
             \x20   os.makedirs(p, exist_ok=True)\n\
             \x20   pq.write_table(t, p + '/part-0.parquet', row_group_size=65536)\n"
        ),
    );
    let lines = bash(
        wd,
        &format!("/usr/bin/time -o {name}.mem -f '%M' $B query -q {name} --order time | wc -l"),
    );
    let out = wd.read(&format!("{name}.mem"));
    let kib = out
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("not a size: {out}"));
    (kib, lines.trim().to_string())
}

/// A day of foreign files in every order, with rows that are not readings
/// and a damaged row group, read by runs and sorted in memory: the same
/// readings in the same order, the same rows counted and the same row
/// group skipped.
#[test]
fn lake_time_order_by_runs_reads_what_sorting_in_memory_reads() {
    let wd = Workdir::new("lake-order-runs");
    crate::peers::python(
        &wd,
        "import pyarrow as pa, pyarrow.parquet as pq, os, random\n\
         random.seed(5)\n\
         base = 1767225600000\n\
         d = 'mix/date=2026-01-01'\n\
         os.makedirs(d, exist_ok=True)\n\
         def write(name, rows, rg):\n\
         \x20   cols = list(zip(*rows))\n\
         \x20   t = pa.table({'ts': pa.array(cols[0], pa.timestamp('ms', 'UTC')), 'asset': pa.array(cols[1], pa.string()),\n\
         \x20       'tag': pa.array(cols[2], pa.string()), 'value': pa.array(cols[3], pa.float64()),\n\
         \x20       'unit': pa.array(['bar'] * len(rows), pa.string())})\n\
         \x20   pq.write_table(t, d + '/' + name, row_group_size=rg, compression='zstd', use_dictionary=False)\n\
         def row(i, s):\n\
         \x20   ts = None if (s == 2 and i == 77) else base + i * 7000\n\
         \x20   v = None if i % 37 == 5 else (float('nan') if i % 53 == 7 else float(i * 10 + s))\n\
         \x20   a = '' if (s == 5 and i == 10) else 'A%d' % (s // 3)\n\
         \x20   return (ts, a, 't%d' % (s % 3), v)\n\
         # By series, row groups spanning series.\n\
         write('a.parquet', [row(i, s) for s in range(12) for i in range(200)], 500)\n\
         # By time, the series interleaved.\n\
         write('b.parquet', [row(i, s) for i in range(150) for s in range(12, 16)], 256)\n\
         # In no order.\n\
         r = [row(i, s) for s in range(16, 19) for i in range(100)]\n\
         random.shuffle(r)\n\
         write('c.parquet', r, 1000)\n\
         # By series, its second row group damaged.\n\
         write('e.parquet', [row(i, s) for s in range(19, 21) for i in range(200)], 200)\n\
         m = pq.ParquetFile(d + '/e.parquet').metadata.row_group(1).column(3)\n\
         with open(d + '/e.parquet', 'r+b') as f:\n\
         \x20   f.seek(m.data_page_offset)\n\
         \x20   f.write(b'\\xff' * 8)\n",
    );
    let run = |hold: &str| {
        let mut cmd = wd.cmd("query");
        cmd.args(["mix", "--order", "time"]);
        if !hold.is_empty() {
            cmd.env("IIOT_QUERY_HOLD", hold);
        }
        let out = wd.run(&mut cmd);
        // Not read in full: the exit status says so.
        assert_eq!(out.status.code(), Some(1), "{}", describe(&cmd, &out));
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (sorted_out, sorted_err) = run("");
    let (runs_out, runs_err) = run("64");
    assert_eq!(runs_out, sorted_out);
    assert_eq!(runs_err, sorted_err);
    let rows = parse_ndjson(&runs_out);
    assert_eq!(rows.clone(), sorted_by_time(rows.clone()));
    // Of 3,700 rows, the damaged row group's 200 (series A6/t2) are
    // skipped whole; one row has no time and one no asset; of the rest,
    // i % 37 == 5 or i % 53 == 7 is null or NaN: 10 of a series of 200
    // rows (12 in a, one left in e), 7 of 150 (4 in b), 5 of 100 (3 in c).
    let of = |a: &str, t: &str| {
        rows.iter()
            .filter(|r| text(r, "asset") == a && text(r, "tag") == t)
            .count()
    };
    assert_eq!(of("A6", "t2"), 0, "{runs_err}");
    assert!(of("A6", "t1") > 150);
    let no_value = 13 * 10 + 4 * 7 + 3 * 5;
    assert_eq!(rows.len(), 3700 - 200 - 1 - 1 - no_value, "{runs_err}");
    assert!(
        runs_err.contains(&format!("skipped {no_value} values")),
        "{runs_err}"
    );
    assert!(runs_err.contains("skipped row group 1 of "), "{runs_err}");
    assert!(
        runs_err.contains("1 rows without a usable time"),
        "{runs_err}"
    );
}

/// Peak resident memory of `query --order time` over one day of the
/// wellhead preset stored by `store --parquet {store}` at `interval`, in
/// KiB, and the readings it wrote. The merge's budget is shrunk so that
/// even the smaller day is merged by runs, not sorted in memory.
fn day_peak_kib(wd: &Workdir, name: &str, interval: &str, store: &str) -> (u64, usize) {
    bash(
        wd,
        &format!(
            "$B simulate --preset wellhead --duration 1d --interval {interval} --seed 3 > {name}.ndjson; \
             $B store -q --parquet {name} {store} {name}.ndjson"
        ),
    );
    let out = bash(
        wd,
        &format!(
            "IIOT_QUERY_HOLD=4096 /usr/bin/time -o {name}.mem -f '%M' $B query -q {name} --order time > {name}.out"
        ),
    );
    assert_eq!(out, "");
    let mem = wd.read(&format!("{name}.mem"));
    let kib = mem
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("not a size: {mem}"));
    let lines = wd.read(&format!("{name}.out")).lines().count();
    (kib, lines)
}

#[test]
fn lake_time_order_memory_does_not_grow_with_the_readings_of_a_day() {
    let wd = Workdir::new("lake-order-day-memory");
    // 216 series over one day: 30 k readings in one file, then ten times
    // as many in ten files of a tenth of the day each, so the merge reads
    // one file's series after another's.
    let (small, n_small) = day_peak_kib(&wd, "small", "622s", "");
    let (large, n_large) = day_peak_kib(&wd, "large", "62.2s", "--roll-rows 30024");
    assert!(
        n_large > 9 * n_small,
        "{n_large} readings against {n_small}"
    );
    assert!(
        (large as f64) < small as f64 * 1.2,
        "peak {large} KiB for {n_large} readings in a day against {small} KiB for {n_small}"
    );
    // What was merged is every reading, in time order.
    let input = parse_ndjson(&wd.read("large.ndjson"));
    let out = parse_ndjson(&wd.read("large.out"));
    assert_eq!(out.len(), input.len());
    assert!(
        out == sorted_by_time(input),
        "the merge is not the input sorted by time"
    );
}

#[test]
fn lake_time_order_memory_holds_a_day_not_the_lake() {
    let wd = Workdir::new("lake-order-memory");
    let (small, _) = lake_peak_kib(&wd, "small", 1, 50_000);
    let (large, count) = lake_peak_kib(&wd, "large", 5, 50_000);
    assert!(
        (large as f64) < small as f64 * 1.2,
        "peak {large} KiB for 5 days against {small} KiB for one"
    );
    assert_eq!(count, "250000");
}

/// Every reading of a store or an archive, by (asset, tag, ts): value and
/// quality.
fn keyed(wd: &Workdir, script: &str) -> BTreeMap<(String, String, i64), String> {
    parse_ndjson(&bash(wd, script))
        .iter()
        .map(|v| {
            (
                (
                    text(v, "asset").to_string(),
                    text(v, "tag").to_string(),
                    ms(v),
                ),
                format!(
                    "{}|{}",
                    v["value"],
                    v.get("quality").map_or("good".into(), |q| q.to_string())
                ) + &v
                    .get("count")
                    .map_or(String::new(), |c| format!("|{c}|{}", v["stddev"])),
            )
        })
        .collect()
}

#[test]
fn archive_holds_what_retention_deleted() {
    let wd = Workdir::new("archive");
    bash(
        &wd,
        "$B simulate --preset boiler --duration 90m --interval 10s --seed 6 --faults dropout=0.01 > r.ndjson; \
         $B store -q r.db r.ndjson; $B rollup -q r.db --every 1m,1h --final; cp r.db before.db",
    );
    let raw = keyed(&wd, "$B query -q before.db");
    let m1 = keyed(&wd, "$B query -q before.db --rollup 1m");
    let mut cmd = wd.cmd("rollup");
    cmd.args([
        "r.db",
        "--retain",
        "raw=40m,1m=30m",
        "--archive",
        "arc",
        "--now",
        "2026-01-01T01:30:00Z",
    ]);
    let out = wd.run(&mut cmd);
    ok(&cmd, &out);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let deleted = |table: &str| -> u64 {
        let line = err
            .lines()
            .find(|l| l.contains(&format!("rows from {table} ")))
            .unwrap_or_else(|| panic!("no line for {table}: {err}"));
        line.split("deleted ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{line}"))
    };
    let (d_raw, d_1m) = (deleted("readings"), deleted("rollup_1m"));
    assert!(d_raw > 5_000 && d_1m > 100, "{err}");
    // DuckDB counts what was deleted.
    assert_eq!(
        duckdb(
            &wd,
            "SELECT count(*) FROM read_parquet('arc/date=*/*.parquet')"
        )
        .trim(),
        d_raw.to_string()
    );
    assert_eq!(
        duckdb(
            &wd,
            "SELECT count(*), count(DISTINCT every) FROM read_parquet('arc/every=1m/*/*.parquet')"
        )
        .trim(),
        format!("{d_1m}|1")
    );
    // query reads the archive; with what is left it is the store before.
    let mut left = keyed(&wd, "$B query -q r.db");
    let archived = keyed(&wd, "$B query -q arc");
    assert_eq!(archived.len() as u64, d_raw);
    left.extend(archived);
    assert_eq!(left, raw);
    let mut left = keyed(&wd, "$B query -q r.db --rollup 1m");
    left.extend(keyed(&wd, "$B query -q arc --rollup 1m"));
    assert_eq!(left, m1);
}

#[test]
fn archive_never_loses_a_row_to_kill_9() {
    let wd = Workdir::new("archive-kill");
    bash(
        &wd,
        "$B simulate --preset boiler --duration 20m --interval 5s --seed 7 > r.ndjson; \
         $B store -q r.db r.ndjson; $B rollup -q r.db --every 1m --final; cp r.db before.db",
    );
    let raw = keyed(&wd, "$B query -q before.db");
    let m1 = keyed(&wd, "$B query -q before.db --rollup 1m");
    let args = [
        "rollup",
        "r.db",
        "--retain",
        "raw=5m,1m=5m",
        "--archive",
        "arc",
        "--now",
        "2026-01-01T00:20:00Z",
        "-q",
    ];
    let check = |round: &str| {
        for (table, dir, want) in [("", "arc", &raw), (" --rollup 1m", "arc/every=1m", &m1)] {
            let mut have = keyed(&wd, &format!("$B query -q r.db{table}"));
            if wd.path(dir).exists() {
                // Every archive file whole: query exits 0.
                have.extend(keyed(&wd, &format!("$B query -q arc{table}")));
            }
            assert!(
                have == *want,
                "{round}{table}: {} rows against {} before",
                have.len(),
                want.len()
            );
        }
    };
    // How long a whole run takes here, to kill the others along the way:
    // before the first file, while writing, between archiving and
    // deleting, while deleting.
    bash(&wd, "cp before.db whole.db");
    let whole: Vec<&str> = args
        .iter()
        .map(|a| match *a {
            "r.db" => "whole.db",
            "arc" => "whole-arc",
            a => a,
        })
        .collect();
    let started = std::time::Instant::now();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_iiot"));
    cmd.args(&whole).current_dir(&wd.dir);
    let out = wd.run(&mut cmd);
    ok(&cmd, &out);
    let span = started.elapsed().as_millis() as u64;
    for (i, percent) in [20u64, 50, 75, 90].iter().enumerate() {
        let delay = span * percent / 100;
        bash(
            &wd,
            "cp before.db r.db; rm -f r.db-wal r.db-shm; rm -rf arc",
        );
        let mut child = Command::new(env!("CARGO_BIN_EXE_iiot"))
            .args(args)
            .current_dir(&wd.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting rollup");
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        check(&format!("killed after {delay} of {span} ms (round {i})"));
        // The next run completes what the killed one began: the old rows
        // then in the archive only, each once.
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_iiot"));
        cmd.args(args).current_dir(&wd.dir);
        let out = wd.run(&mut cmd);
        ok(&cmd, &out);
        // Each row once in the archive (query writes every row of it; the
        // keyed map holds each key once), and with what is left the store
        // before.
        let lines = bash(&wd, "$B query -q arc | wc -l");
        let archived = keyed(&wd, "$B query -q arc");
        assert_eq!(
            lines.trim(),
            archived.len().to_string(),
            "a row archived twice (round {i})"
        );
        if i == 0 {
            check(&format!("completed after round {i}"));
        }
        let old = bash(&wd, "$B query -q r.db --to 2026-01-01T00:15:00Z | wc -l");
        assert_eq!(old.trim(), "0", "old rows left in the store (round {i})");
    }
}
