//! `iiot query`: a store written through rusqlite or the sqlite3 CLI and a
//! lake written by pyarrow read back exactly, in series-then-time order;
//! globs, time range, limit and latest; pruning of partitions and row
//! groups shown by damage the query never touches; Parquet from other
//! writers (long, wide, text and nanosecond times) mapped to readings.

use std::process::Command;

use iiot::time::TsFormatter;
use serde_json::Value;

use crate::peers::{PY_LAKE_TABLE, Row, python, row, rows_json, sqlite_store};
use crate::util::{Workdir, describe, fails_with, num, ok, parse_ndjson, run_ok, text};

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const DAY: i64 = 86_400_000;

/// Asserts that `out` holds exactly `want`, in that order.
fn assert_rows(out: &str, want: &[Row]) {
    let got = parse_ndjson(out);
    assert_eq!(got.len(), want.len(), "row count\n{out}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let ctx = format!("row {i}: got {g}, want {w:?}");
        assert_eq!(text(g, "ts"), TsFormatter::format(w.ts), "{ctx}");
        assert_eq!(text(g, "asset"), w.asset, "{ctx}");
        assert_eq!(text(g, "tag"), w.tag, "{ctx}");
        assert_eq!(num(g, "value").to_bits(), w.value.to_bits(), "{ctx}");
        assert_eq!(text(g, "unit"), w.unit.as_deref().unwrap_or(""), "{ctx}");
        let q = ["", "uncertain", "bad"][w.quality as usize];
        assert_eq!(text(g, "quality"), q, "{ctx}");
        assert_eq!(text(g, "text"), w.text.as_deref().unwrap_or(""), "{ctx}");
    }
}

/// Query order: asset, tag (byte order), then time.
fn sorted(rows: &[Row]) -> Vec<Row> {
    let mut v = rows.to_vec();
    v.sort_by(|a, b| (&a.asset, &a.tag, a.ts).cmp(&(&b.asset, &b.tag, b.ts)));
    v
}

/// Readings of three series over `days` days, `n` a day, with awkward
/// values, units, qualities and a state label, in shuffled order.
fn fixture(days: i64, n: i64) -> Vec<Row> {
    let mut rows = Vec::new();
    for d in 0..days {
        for i in 0..n {
            let ts = T0 + d * DAY + i * 60_000;
            let k = (d * n + i) as f64;
            let mut p = row(ts, "WH-01", "pressure", 1500.0 + k * 0.1 + 0.2);
            p.unit = Some("psi".into());
            p.quality = (i % 7 == 3) as i64;
            rows.push(p);
            let mut t = row(ts + 500, "WH-01", "temp", -0.000123 * k - 1e-7);
            t.unit = Some("°C".into());
            rows.push(t);
            let mut s = row(ts, "WH-02", "state", (i % 3) as f64);
            s.text = Some(["IDLE", "RUNNING", "ERROR"][(i % 3) as usize].into());
            s.quality = if i == 1 { 2 } else { 0 };
            rows.push(s);
        }
    }
    // A fixed shuffle: stored order must not matter.
    let len = rows.len();
    for i in 0..len {
        rows.swap(i, (i * 7919 + 13) % len);
    }
    rows
}

fn query(wd: &Workdir, args: &[&str]) -> String {
    let mut c = wd.cmd("query");
    c.args(args);
    run_ok(wd, &mut c)
}

#[test]
fn query_store_reads_back_what_was_inserted() {
    let wd = Workdir::new("query-store");
    let rows = fixture(2, 30);
    sqlite_store(&wd.path("plant.db"), &rows);
    assert_rows(&query(&wd, &["plant.db"]), &sorted(&rows));
    // CSV carries the same readings.
    let csv = query(&wd, &["plant.db", "--format", "csv"]);
    assert_eq!(csv.lines().count(), rows.len() + 1);
    assert!(csv.starts_with("ts,asset,tag,value,unit,quality,text,fault\n"));
}

#[test]
fn query_store_globs_range_limit_latest() {
    let wd = Workdir::new("query-store-filters");
    let rows = fixture(2, 30);
    sqlite_store(&wd.path("plant.db"), &rows);
    let want: Vec<Row> = sorted(&rows)
        .into_iter()
        .filter(|r| r.asset.starts_with("WH-0") && r.tag.starts_with("temp"))
        .filter(|r| r.ts >= T0 + DAY && r.ts < T0 + DAY + 10 * 60_000)
        .collect();
    assert_eq!(want.len(), 10);
    let out = query(
        &wd,
        &[
            "plant.db",
            "--asset",
            "WH-0?",
            "--tag",
            "te*",
            "--from",
            "2026-01-02",
            "--to",
            "2026-01-02T00:10:00Z",
        ],
    );
    assert_rows(&out, &want);
    // --to is exclusive: a reading exactly at --to is left out.
    let edge = query(
        &wd,
        &[
            "plant.db",
            "--tag",
            "pressure",
            "--from",
            "2026-01-01T00:01:00Z",
            "--to",
            "2026-01-01T00:02:00Z",
        ],
    );
    assert_eq!(parse_ndjson(&edge).len(), 1);
    let limited = query(&wd, &["plant.db", "--limit", "7"]);
    assert_rows(&limited, &sorted(&rows)[..7]);
    // --latest: the last reading of each series, sorted by series.
    let latest = query(&wd, &["plant.db", "--latest"]);
    let mut want_latest: Vec<Row> = Vec::new();
    for r in sorted(&rows) {
        match want_latest.last_mut() {
            Some(l) if l.asset == r.asset && l.tag == r.tag => *l = r,
            _ => want_latest.push(r),
        }
    }
    assert_rows(&latest, &want_latest);
    let latest_before = query(
        &wd,
        &[
            "plant.db",
            "--latest",
            "--asset",
            "WH-02",
            "--to",
            "2026-01-02",
        ],
    );
    let v = parse_ndjson(&latest_before);
    assert_eq!(v.len(), 1);
    assert_eq!(text(&v[0], "ts"), "2026-01-01T00:29:00Z");
}

#[test]
fn query_store_made_by_sqlite3_cli() {
    let wd = Workdir::new("query-sqlite3");
    let mut sql = String::from(crate::peers::STORE_DDL);
    sql.push_str(
        "INSERT INTO series VALUES (1,'BLR-1','steam_temp','degC',NULL),(2,'BLR-1','fuel_level','%',NULL);
         INSERT INTO readings VALUES (1,1767225600000,181.25,0,NULL),(1,1767225601500,181.5,1,NULL),
           (2,1767225600000,73.5,0,'{\"fault\":\"spike\",\"anomalies\":[{\"rule\":\"r\"}]}');",
    );
    let mut c = Command::new("sqlite3");
    c.arg(wd.path("plant.db")).arg(&sql);
    let out = c.output().unwrap_or_else(|e| {
        panic!("sqlite3 is needed ({e}): apt-get install sqlite3 (or scripts/test)")
    });
    assert!(out.status.success(), "{}", describe(&c, &out));
    let got = parse_ndjson(&query(&wd, &["plant.db"]));
    assert_eq!(got.len(), 3);
    assert_eq!(text(&got[0], "tag"), "fuel_level");
    assert_eq!(text(&got[0], "fault"), "spike");
    assert_eq!(got[0]["anomalies"][0]["rule"], "r");
    assert_eq!(text(&got[2], "ts"), "2026-01-01T00:00:01.500Z");
    assert_eq!(text(&got[2], "quality"), "uncertain");
    // sqlite3 reads the same count and sum through readings_v.
    let mut c = Command::new("sqlite3");
    c.arg(wd.path("plant.db"))
        .arg("SELECT count(*), sum(value) FROM readings_v");
    let peer_out = c.output().expect("sqlite3");
    let peer = ok(&c, &peer_out);
    let sum: f64 = got.iter().map(|v| num(v, "value")).sum();
    assert_eq!(peer.trim(), format!("3|{sum}"));
}

/// Writes a lake of `rows` with pyarrow: a file per day (two for the
/// first day), rows sorted by asset, tag, ts within a file, row groups of
/// `group` rows.
fn pyarrow_lake(wd: &Workdir, rows: &[Row], group: usize) {
    rows_json(wd, "rows.json", rows);
    python(
        wd,
        &format!(
            "{PY_LAKE_TABLE}
import datetime
by_day = {{}}
for r in rows:
    d = datetime.datetime.fromtimestamp(r['ts'] / 1000, datetime.timezone.utc).strftime('%Y-%m-%d')
    by_day.setdefault(d, []).append(r)
for d, rs in by_day.items():
    os.makedirs(f'lake/date={{d}}', exist_ok=True)
    rs.sort(key=lambda r: (r['asset'], r['tag'], r['ts']))
    parts = [rs[0::2], rs[1::2]] if d == '2026-01-01' else [rs]
    for i, p in enumerate(parts):
        pq.write_table(lake_table(p), f'lake/date={{d}}/part-{{i}}.parquet', row_group_size={group})
    # What a writer leaves while it works: never read.
    open(f'lake/date={{d}}/.part-9.parquet.tmp', 'wb').write(b'PAR1 half written')
"
        ),
    );
}

#[test]
fn query_lake_written_by_pyarrow_reads_back_in_order() {
    let wd = Workdir::new("query-lake");
    let rows = fixture(3, 40);
    // Row groups of 17: most hold the end of one series and the start of
    // the next.
    pyarrow_lake(&wd, &rows, 17);
    let out = query(&wd, &["lake"]);
    assert_rows(&out, &sorted(&rows));
    // The same with no memory budget: every row group spanning series is
    // put back and decoded again when due.
    let mut c = wd.cmd("query");
    c.arg("lake").env("IIOT_QUERY_HOLD", "0");
    assert_eq!(run_ok(&wd, &mut c), out);
    // Per-series count and sum, as a peer would check them.
    let got = parse_ndjson(&out);
    let sum = |v: &[Value], a: &str, t: &str| -> (usize, f64) {
        let s: Vec<f64> = v
            .iter()
            .filter(|r| text(r, "asset") == a && text(r, "tag") == t)
            .map(|r| num(r, "value"))
            .collect();
        (s.len(), s.iter().sum())
    };
    let want_sum = |a: &str, t: &str| -> (usize, f64) {
        let mut s: Vec<&Row> = rows.iter().filter(|r| r.asset == a && r.tag == t).collect();
        s.sort_by_key(|r| r.ts);
        (s.len(), s.iter().map(|r| r.value).sum())
    };
    for (a, t) in [("WH-01", "pressure"), ("WH-01", "temp"), ("WH-02", "state")] {
        assert_eq!(sum(&got, a, t), want_sum(a, t), "{a}/{t}");
    }
    // One file alone, and a filtered range across a day boundary.
    let one = query(
        &wd,
        &["lake/date=2026-01-02/part-0.parquet", "--tag", "state"],
    );
    let want: Vec<Row> = sorted(&rows)
        .into_iter()
        .filter(|r| r.tag == "state" && r.ts >= T0 + DAY && r.ts < T0 + 2 * DAY)
        .collect();
    assert_rows(&one, &want);
    let range = query(
        &wd,
        &[
            "lake",
            "--asset",
            "WH-01",
            "--from",
            "2026-01-01T00:30:00Z",
            "--to",
            "2026-01-02T00:05:00Z",
        ],
    );
    let want: Vec<Row> = sorted(&rows)
        .into_iter()
        .filter(|r| r.asset == "WH-01" && r.ts >= T0 + 30 * 60_000 && r.ts < T0 + DAY + 5 * 60_000)
        .collect();
    assert_rows(&range, &want);
    let latest = parse_ndjson(&query(&wd, &["lake", "--latest"]));
    assert_eq!(latest.len(), 3);
    assert_eq!(text(&latest[2], "ts"), "2026-01-03T00:39:00Z");
    assert_eq!(
        parse_ndjson(&query(&wd, &["lake", "--limit", "5"])).len(),
        5
    );
}

#[test]
fn query_lake_prunes_partitions_and_row_groups() {
    let wd = Workdir::new("query-prune");
    let rows = fixture(3, 40);
    // Row groups of 20: each holds one series.
    pyarrow_lake(&wd, &rows, 20);
    // A file that is not Parquet at all, in the third day's partition.
    wd.write("lake/date=2026-01-03/part-broken.parquet", "not parquet");
    let out = query(&wd, &["lake", "--to", "2026-01-03"]);
    let want: Vec<Row> = sorted(&rows)
        .into_iter()
        .filter(|r| r.ts < T0 + 2 * DAY)
        .collect();
    assert_rows(&out, &want);
    // Reading that partition fails, naming the file.
    let mut c = wd.cmd("query");
    c.arg("lake");
    let err = {
        let out = wd.run(&mut c);
        fails_with(1, &c, &out)
    };
    assert!(err.contains("part-broken.parquet"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    std::fs::remove_file(wd.path("lake/date=2026-01-03/part-broken.parquet")).unwrap();

    // Overwrite the data pages of every row group but the first of a day
    // with garbage: a query the statistics keep inside the first row group
    // (WH-01 pressure's first 20 rows) still reads, others fail.
    python(
        &wd,
        "
import pyarrow.parquet as pq
path = 'lake/date=2026-01-02/part-0.parquet'
md = pq.ParquetFile(path).metadata
data = bytearray(open(path, 'rb').read())
for g in range(1, md.num_row_groups):
    for c in range(md.num_columns):
        col = md.row_group(g).column(c)
        start = col.dictionary_page_offset or col.data_page_offset
        for i in range(start, start + col.total_compressed_size):
            data[i] = 0xAB
open(path, 'wb').write(bytes(data))
",
    );
    let first = query(
        &wd,
        &[
            "lake",
            "--tag",
            "pressure",
            "--from",
            "2026-01-02",
            "--to",
            "2026-01-02T00:10:00Z",
        ],
    );
    let want: Vec<Row> = sorted(&rows)
        .into_iter()
        .filter(|r| r.tag == "pressure" && r.ts >= T0 + DAY && r.ts < T0 + DAY + 10 * 60_000)
        .collect();
    assert_rows(&first, &want);
    let mut c = wd.cmd("query");
    c.args([
        "lake",
        "--asset",
        "WH-02",
        "--from",
        "2026-01-02",
        "--to",
        "2026-01-03",
    ]);
    let err = {
        let out = wd.run(&mut c);
        fails_with(1, &c, &out)
    };
    assert!(err.contains("part-0.parquet"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn query_foreign_long_table_with_nanosecond_ints() {
    let wd = Workdir::new("query-long");
    python(
        &wd,
        "
import pyarrow as pa, pyarrow.parquet as pq
base = 1767225600 * 10**9
pq.write_table(pa.table({
    'id': ['pump-2', 'pump-1', 'pump-1', 'pump-2'],
    'timestamp': pa.array([base + 1, base + 2_500_000_000, base, base + 10**9], pa.int64()),
    'value': [4.0, 2.5, 1.25, 8.5],
}), 'long.parquet')
",
    );
    let got = parse_ndjson(&query(&wd, &["long.parquet"]));
    let flat: Vec<(String, String, String, f64)> = got
        .iter()
        .map(|v| {
            (
                text(v, "ts").into(),
                text(v, "asset").into(),
                text(v, "tag").into(),
                num(v, "value"),
            )
        })
        .collect();
    let w = |ts: &str, a: &str, v: f64| (ts.to_string(), a.to_string(), "value".to_string(), v);
    assert_eq!(
        flat,
        vec![
            w("2026-01-01T00:00:00Z", "pump-1", 1.25),
            w("2026-01-01T00:00:02.500Z", "pump-1", 2.5),
            w("2026-01-01T00:00:00Z", "pump-2", 4.0),
            w("2026-01-01T00:00:01Z", "pump-2", 8.5),
        ]
    );
}

#[test]
fn query_foreign_wide_table_with_text_times_is_unpivoted() {
    let wd = Workdir::new("query-wide");
    python(
        &wd,
        "
import pyarrow as pa, pyarrow.parquet as pq
pq.write_table(pa.table({
    'time': ['2026-01-01 00:00:01.250', '2026-01-01T02:00:00+02:00', '2026-01-01 00:00:02'],
    'machine': ['M-1', 'M-1', 'M-2'],
    'spindle_temp': pa.array([41.5, None, 39.0], pa.float32()),
    'rpm': pa.array([1200, 1180, 900], pa.int32()),
    'running': [True, False, True],
}), 'wide.parquet')
",
    );
    let got = parse_ndjson(&query(&wd, &["wide.parquet"]));
    let flat: Vec<String> = got
        .iter()
        .map(|v| {
            format!(
                "{} {} {} {}",
                text(v, "ts"),
                text(v, "asset"),
                text(v, "tag"),
                num(v, "value")
            )
        })
        .collect();
    assert_eq!(
        flat,
        vec![
            "2026-01-01T00:00:00Z M-1 rpm 1180",
            "2026-01-01T00:00:01.250Z M-1 rpm 1200",
            "2026-01-01T00:00:00Z M-1 running 0",
            "2026-01-01T00:00:01.250Z M-1 running 1",
            "2026-01-01T00:00:01.250Z M-1 spindle_temp 41.5",
            "2026-01-01T00:00:02Z M-2 rpm 900",
            "2026-01-01T00:00:02Z M-2 running 1",
            "2026-01-01T00:00:02Z M-2 spindle_temp 39",
        ]
    );
    // --tag selects columns of a wide table.
    let only = parse_ndjson(&query(&wd, &["wide.parquet", "--tag", "rpm"]));
    assert_eq!(only.len(), 3);
}

#[test]
fn query_foreign_columns_named_by_flags() {
    let wd = Workdir::new("query-flags");
    python(
        &wd,
        "
import pyarrow as pa, pyarrow.parquet as pq
pq.write_table(pa.table({
    'dev': ['a', 'a', 'b'],
    'sig': ['flow', 'flow', 'flow'],
    't_s': pa.array([1767225600, 1767225660, 1767225600], pa.int64()),
    'v': [1.5, 2.5, 3.5],
    'other': [9.0, 9.0, 9.0],
    'ts_us': pa.array([1767225600000000, 1767225660000000, 1767225600000000], pa.timestamp('us')),
}), 'odd.parquet')
",
    );
    let got = parse_ndjson(&query(
        &wd,
        &[
            "odd.parquet",
            "--ts-col",
            "t_s",
            "--asset-col",
            "dev",
            "--tag-col",
            "sig",
            "--value-col",
            "v",
        ],
    ));
    let flat: Vec<String> = got
        .iter()
        .map(|v| {
            format!(
                "{} {} {} {}",
                text(v, "ts"),
                text(v, "asset"),
                text(v, "tag"),
                num(v, "value")
            )
        })
        .collect();
    assert_eq!(
        flat,
        vec![
            "2026-01-01T00:00:00Z a flow 1.5",
            "2026-01-01T00:01:00Z a flow 2.5",
            "2026-01-01T00:00:00Z b flow 3.5",
        ]
    );
    // --ts-unit overrides the guess: read as milliseconds, 1970 it is.
    let ms = parse_ndjson(&query(
        &wd,
        &[
            "odd.parquet",
            "--ts-col",
            "t_s",
            "--ts-unit",
            "ms",
            "--value-col",
            "v",
            "--limit",
            "1",
        ],
    ));
    assert_eq!(text(&ms[0], "ts"), "1970-01-21T10:53:45.600Z");
    // A column that is not there is named in the error.
    let mut c = wd.cmd("query");
    c.args(["odd.parquet", "--ts-col", "t_s", "--value-col", "nope"]);
    let err = {
        let out = wd.run(&mut c);
        fails_with(1, &c, &out)
    };
    assert!(
        err.contains("\"nope\"") && err.contains("no such column"),
        "{err}"
    );
    // Two numeric candidates and a tag column: ask which.
    let mut c = wd.cmd("query");
    c.args(["odd.parquet", "--ts-col", "ts_us", "--tag-col", "sig"]);
    let err = {
        let out = wd.run(&mut c);
        fails_with(1, &c, &out)
    };
    assert!(err.contains("--value-col"), "{err}");
}

#[test]
fn query_err_source_and_range() {
    let wd = Workdir::new("query-errors");
    wd.write("notes.txt", "hello");
    for (args, want) in [
        (
            vec!["notes.txt"],
            "neither a SQLite store nor a Parquet file",
        ),
        (vec!["missing.db"], "missing.db"),
    ] {
        let mut c = wd.cmd("query");
        c.args(&args);
        let err = {
            let out = wd.run(&mut c);
            fails_with(1, &c, &out)
        };
        assert!(err.contains(want), "{err}");
    }
    sqlite_store(&wd.path("plant.db"), &[row(T0, "A", "t", 1.0)]);
    let mut c = wd.cmd("query");
    c.args(["plant.db", "--from", "2026-01-02", "--to", "2026-01-01"]);
    let err = {
        let out = wd.run(&mut c);
        fails_with(1, &c, &out)
    };
    assert!(err.contains("--from must be before --to"), "{err}");
    let mut c = wd.cmd("query");
    c.args(["plant.db", "--asset", "[z"]);
    let err = {
        let out = wd.run(&mut c);
        fails_with(1, &c, &out)
    };
    assert!(err.contains("--asset"), "{err}");
}

#[test]
fn query_into_a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let wd = Workdir::new("query-pipe");
    let rows: Vec<Row> = (0..60_000)
        .map(|i| row(T0 + i * 1000, "A", "t", i as f64))
        .collect();
    sqlite_store(&wd.path("plant.db"), &rows);
    let mut child = wd
        .cmd("query")
        .arg("plant.db")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting iiot query");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert_eq!(
        first,
        "{\"ts\":\"2026-01-01T00:00:00Z\",\"asset\":\"A\",\"tag\":\"t\",\"value\":0}\n"
    );
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert_eq!(stderr, "", "stderr after a closed pipe");
}

#[test]
fn query_lake_partitioned_by_duckdb_takes_asset_from_folders() {
    let wd = Workdir::new("query-duckdb");
    let rows = fixture(2, 20);
    rows_json(&wd, "rows.json", &rows);
    // DuckDB leaves the partition columns out of the files: the asset is
    // only in the folder name.
    python(
        &wd,
        "
import duckdb
con = duckdb.connect()
con.execute('''COPY (SELECT epoch_ms(ts) AS ts, asset, tag, unit, value,
    CASE quality WHEN 0 THEN 'good' WHEN 1 THEN 'uncertain' ELSE 'bad' END AS quality, text,
    strftime(epoch_ms(ts), '%Y-%m-%d') AS date
  FROM read_json('rows.json') ORDER BY asset, tag, ts)
  TO 'lake' (FORMAT parquet, PARTITION_BY (date, asset))''')
",
    );
    // Damage every file of WH-02: an --asset WH-01 query never opens them.
    for day in ["2026-01-01", "2026-01-02"] {
        let dir = wd.path(&format!("lake/date={day}/asset=WH-02"));
        for f in std::fs::read_dir(&dir).expect("DuckDB wrote asset=WH-02") {
            std::fs::write(f.unwrap().path(), "damaged").unwrap();
        }
    }
    let out = query(&wd, &["lake", "--asset", "WH-01"]);
    let want: Vec<Row> = sorted(&rows)
        .into_iter()
        .filter(|r| r.asset == "WH-01")
        .collect();
    assert_rows(&out, &want);
    let mut c = wd.cmd("query");
    c.args(["lake", "--asset", "WH-0*"]);
    let err = {
        let out = wd.run(&mut c);
        fails_with(1, &c, &out)
    };
    assert!(err.contains("asset=WH-02"), "{err}");
}

#[test]
fn query_foreign_rows_without_time_value_or_name_are_counted() {
    // Float epoch seconds with a NaN and a time past the year 9999, a null
    // and a NaN value, a row with no asset: each skipped and counted, the
    // two good rows read.
    let wd = Workdir::new("query-skipped");
    python(
        &wd,
        "
import pyarrow as pa, pyarrow.parquet as pq
t = 1767225600.0
pq.write_table(pa.table({
    'asset': ['p1', 'p1', 'p1', 'p1', 'p1', None, 'p2'],
    'time': pa.array([t, float('nan'), 1e12, t + 1, t + 2, t + 3, t + 4], pa.float64()),
    'value': pa.array([1.0, 2.0, 3.0, None, float('nan'), 6.0, 7.0], pa.float64()),
}), 'odd.parquet')
",
    );
    let mut cmd = wd.cmd("query");
    cmd.args(["odd.parquet", "--ts-unit", "s"]);
    let out = wd.run(&mut cmd);
    let got = parse_ndjson(&ok(&cmd, &out));
    let values: Vec<f64> = got.iter().map(|v| num(v, "value")).collect();
    assert_eq!(values, vec![1.0, 7.0]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in [
        "skipped 2 rows without a usable time",
        "skipped 2 values that were null, NaN or infinite",
        "skipped 1 values of rows without an asset or a tag",
    ] {
        assert!(stderr.contains(line), "{line}\n{stderr}");
    }
}
