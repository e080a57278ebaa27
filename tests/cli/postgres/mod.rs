//! `iiot store postgresql://…`, and query, inspect and the store rollup on
//! it, against a real PostgreSQL 15 started by the tests (see
//! [`cluster`]).

mod alarms;
mod archive;
mod cluster;
mod outage;

use std::process::{Command, Stdio};

use cluster::{Cluster, db_of};

use crate::util::{Workdir, describe, ok, parse_ndjson};

/// `bash -o pipefail -c script` in `wd`, with `iiot` on the PATH.
pub fn bash(wd: &Workdir, script: &str) -> (Command, std::process::Output) {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_iiot"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.args(["-o", "pipefail", "-c", script])
        .current_dir(&wd.dir)
        .env("PATH", path)
        .stdin(Stdio::null());
    let out = cmd.output().expect("running bash");
    (cmd, out)
}

/// Runs a script that must succeed; its stdout and stderr.
pub fn bash_ok(wd: &Workdir, script: &str) -> (String, String) {
    let (cmd, out) = bash(wd, script);
    let stdout = ok(&cmd, &out);
    (stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

pub fn sorted_lines(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s.lines().map(str::to_string).collect();
    v.sort();
    v
}

/// (count, sum of value) of a file of readings.
fn count_sum(text: &str) -> (i64, f64) {
    let rows = parse_ndjson(text);
    (
        rows.len() as i64,
        rows.iter().map(|r| r["value"].as_f64().unwrap()).sum(),
    )
}

#[test]
fn round_trip_query_gives_the_input_exactly_and_a_replay_adds_nothing() {
    let pg = Cluster::shared();
    let url = pg.database("round_trip");
    let db = db_of(&url);
    let wd = Workdir::new("pg-round-trip");
    let (_, err) = bash_ok(
        &wd,
        &format!(
            "iiot simulate --preset wellhead --duration 3m --seed 7 --faults spike=0.01 --label > in.ndjson && iiot store {url} --batch-rows 5000 < in.ndjson"
        ),
    );
    let input = wd.read("in.ndjson");
    let (n, sum) = count_sum(&input);
    assert!(
        err.contains(&format!("read {n}, stored {n}, duplicates 0")),
        "{err}"
    );
    let (out, _) = bash_ok(&wd, &format!("iiot query {url}"));
    assert_eq!(
        sorted_lines(&out),
        sorted_lines(&input),
        "query gives back the input"
    );
    // psql agrees on count and sum.
    let got = pg.psql(db, "SELECT count(*), sum(value) FROM readings");
    let (c, s) = got.split_once('|').unwrap();
    assert_eq!(c.parse::<i64>().unwrap(), n);
    let s: f64 = s.parse().unwrap();
    assert!(
        (s - sum).abs() <= 1e-9 * sum.abs().max(1.0),
        "psql sum {s} vs {sum}"
    );
    assert_eq!(
        pg.psql(db, "SELECT count(*) FROM readings_v"),
        n.to_string()
    );
    assert_eq!(
        pg.psql(db, "SELECT to_char(min(ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') FROM readings_v"),
        "2026-01-01T00:00:00"
    );
    // A replay adds nothing.
    let (_, err) = bash_ok(&wd, &format!("iiot store {url} < in.ndjson"));
    assert!(err.contains(&format!("stored 0, duplicates {n}")), "{err}");
    assert_eq!(pg.psql(db, "SELECT count(*) FROM readings"), n.to_string());
    // query's filters and --latest work as on SQLite.
    let (one, _) = bash_ok(
        &wd,
        &format!(
            "iiot query {url} --asset WH-02 --tag casing_pressure --from 2026-01-01T00:01:00Z --to 2026-01-01T00:02:00Z"
        ),
    );
    assert_eq!(one.lines().count(), 60, "{one}");
    // inspect reports the store.
    let (report, _) = bash_ok(&wd, &format!("iiot inspect {url} --json"));
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["kind"], "postgresql");
    assert_eq!(report["readings"].as_i64(), Some(n));
    assert_eq!(report["store"]["schema_version"], "1");
}

#[test]
fn on_conflict_replace_overwrites_what_differs() {
    let pg = Cluster::shared();
    let url = pg.database("replace");
    let db = db_of(&url);
    let wd = Workdir::new("pg-replace");
    wd.write(
        "a.ndjson",
        "{\"ts\":\"2026-01-01T00:00:00Z\",\"asset\":\"A\",\"tag\":\"t\",\"value\":1}\n\
         {\"ts\":\"2026-01-01T00:00:01Z\",\"asset\":\"A\",\"tag\":\"t\",\"value\":2}\n",
    );
    wd.write(
        "b.ndjson",
        "{\"ts\":\"2026-01-01T00:00:00Z\",\"asset\":\"A\",\"tag\":\"t\",\"value\":1}\n\
         {\"ts\":\"2026-01-01T00:00:01Z\",\"asset\":\"A\",\"tag\":\"t\",\"value\":5,\"quality\":\"uncertain\"}\n\
         {\"ts\":\"2026-01-01T00:00:02Z\",\"asset\":\"A\",\"tag\":\"t\",\"value\":7}\n\
         {\"ts\":\"2026-01-01T00:00:02Z\",\"asset\":\"A\",\"tag\":\"t\",\"value\":8}\n",
    );
    bash_ok(&wd, &format!("iiot store {url} < a.ndjson"));
    let (_, err) = bash_ok(&wd, &format!("iiot store {url} < b.ndjson"));
    assert!(
        err.contains("stored 1, duplicates 3"),
        "ignore keeps the first: {err}"
    );
    assert_eq!(
        pg.psql(
            db,
            "SELECT string_agg(value::text, ',' ORDER BY ts) FROM readings"
        ),
        "1,2,7"
    );
    let (_, err) = bash_ok(
        &wd,
        &format!("iiot store {url} --on-conflict replace < b.ndjson"),
    );
    assert!(err.contains("stored 0, duplicates 2, replaced 2"), "{err}");
    assert_eq!(
        pg.psql(
            db,
            "SELECT string_agg(value::text || quality, ',' ORDER BY ts) FROM readings_v"
        ),
        "1good,5uncertain,8good"
    );
}

#[test]
fn events_rollup_records_and_model_units_are_stored() {
    let pg = Cluster::shared();
    let url = pg.database("events");
    let db = db_of(&url);
    let wd = Workdir::new("pg-events");
    let (_, err) = bash_ok(
        &wd,
        &format!(
            "iiot simulate --preset fermenter --duration 30m --seed 3 --faults spike=0.02 \
             | iiot detect --preset fermenter --events | iiot store {url} --preset fermenter"
        ),
    );
    let events: i64 = pg
        .psql(db, "SELECT count(*) FROM alarm_events")
        .parse()
        .unwrap();
    assert!(
        events > 0 && err.contains(&format!("{events} events")),
        "{err}"
    );
    assert_eq!(
        pg.psql(
            db,
            "SELECT count(*) FROM alarm_events_v WHERE event IN ('raised', 'cleared')"
        ),
        events.to_string()
    );
    assert_eq!(
        pg.psql(
            db,
            "SELECT unit FROM series WHERE asset = 'FERM-1' AND tag = 'fermenter_temp'"
        ),
        "degC"
    );
    let (_, err) = bash_ok(
        &wd,
        &format!(
            "iiot simulate --preset fermenter --duration 10m | iiot rollup --every 1m | iiot store {url}"
        ),
    );
    let rollups: i64 = pg.psql(db, "SELECT count(*) FROM rollups").parse().unwrap();
    assert!(
        rollups > 0 && err.contains(&format!("{rollups} rollup records")),
        "{err}"
    );
    assert_eq!(
        pg.psql(db, "SELECT count(*) FROM rollups_v WHERE every = '1m'"),
        rollups.to_string()
    );
    // A replay of the events adds nothing.
    let (_, err) = bash_ok(
        &wd,
        &format!(
            "iiot simulate --preset fermenter --duration 30m --seed 3 --faults spike=0.02 \
             | iiot detect --preset fermenter --events | iiot store {url}"
        ),
    );
    assert!(err.contains("stored 0"), "{err}");
    assert_eq!(
        pg.psql(db, "SELECT count(*) FROM alarm_events"),
        events.to_string()
    );
}

/// Every rollup row of a SQLite store, by asset, tag, width and start.
fn sqlite_rollups(path: &std::path::Path, width: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare(&format!(
            "SELECT s.asset, s.tag, r.ts, r.count, r.min, r.max, r.mean, r.stddev, r.first, r.last, r.twa, r.first_ts, r.good, r.bad
             FROM rollup_{width} r JOIN series s ON s.id = r.series_id ORDER BY 1, 2, 3"
        ))
        .unwrap();
    stmt.query_map([], |r| {
        let f = |i: usize| r.get::<_, Option<f64>>(i).map(|v| format!("{v:?}"));
        Ok(format!(
            "{} {} {} {} {} {} {} {} {} {} {} {:?} {} {}",
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
            f(4)?,
            f(5)?,
            f(6)?,
            f(7)?,
            f(8)?,
            f(9)?,
            f(10)?,
            r.get::<_, Option<i64>>(11)?,
            r.get::<_, i64>(12)?,
            r.get::<_, i64>(13)?
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn pg_rollups(url: &str, width: &str) -> Vec<String> {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.query(
        &format!(
            "SELECT s.asset, s.tag, r.ts, r.count, r.min, r.max, r.mean, r.stddev, r.first, r.last, r.twa, r.first_ts, r.good, r.bad
             FROM rollup_{width} r JOIN series s ON s.id = r.series_id ORDER BY s.asset COLLATE \"C\", s.tag COLLATE \"C\", r.ts"
        ),
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| {
        let f = |i: usize| format!("{:?}", r.get::<_, Option<f64>>(i));
        format!(
            "{} {} {} {} {} {} {} {} {} {} {} {:?} {} {}",
            r.get::<_, String>(0),
            r.get::<_, String>(1),
            r.get::<_, i64>(2),
            r.get::<_, i64>(3),
            f(4),
            f(5),
            f(6),
            f(7),
            f(8),
            f(9),
            f(10),
            r.get::<_, Option<i64>>(11),
            r.get::<_, i64>(12),
            r.get::<_, i64>(13)
        )
    })
    .collect()
}

#[test]
fn the_store_rollup_on_postgresql_equals_the_same_rollup_on_sqlite() {
    let pg = Cluster::shared();
    let url = pg.database("rollup");
    let db = db_of(&url);
    let wd = Workdir::new("pg-rollup");
    // Two deliveries, the second with late readings, bad quality and gaps.
    bash_ok(
        &wd,
        "iiot simulate --preset boiler --duration 2h --interval 10s --seed 5 --faults dropout=0.05 > all.ndjson \
         && head -n 3000 all.ndjson > first.ndjson && tail -n +3001 all.ndjson | shuf --random-source=all.ndjson > rest.ndjson",
    );
    for file in ["first.ndjson", "rest.ndjson"] {
        bash_ok(
            &wd,
            &format!(
                "iiot store plant.db < {file} && iiot store {url} < {file} \
                 && iiot rollup plant.db --every 1m,1h && iiot rollup {url} --every 1m,1h"
            ),
        );
    }
    bash_ok(
        &wd,
        &format!(
            "iiot rollup plant.db --every 1m,1h,1d --final && iiot rollup {url} --every 1m,1h,1d --final"
        ),
    );
    for w in ["1m", "1h", "1d"] {
        let lite = sqlite_rollups(&wd.path("plant.db"), w);
        assert!(!lite.is_empty(), "{w}");
        assert_eq!(pg_rollups(&url, w), lite, "rollup_{w}");
    }
    // Running again writes nothing; retention deletes the same on both.
    let (_, err) = bash_ok(&wd, &format!("iiot rollup {url} --every 1m,1h,1d"));
    assert!(err.contains("wrote buckets 1m 0, 1h 0, 1d 0"), "{err}");
    let (_, lite) = bash_ok(
        &wd,
        "iiot rollup plant.db --retain raw=30m,1m=1h --now 2026-01-03T00:00:00Z",
    );
    let (_, theirs) = bash_ok(
        &wd,
        &format!("iiot rollup {url} --retain raw=30m,1m=1h --now 2026-01-03T00:00:00Z"),
    );
    let strip = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| {
                l.split_once(": deleted")
                    .map(|x| x.1.to_string())
                    .unwrap_or_default()
            })
            .collect()
    };
    assert_eq!(strip(&theirs), strip(&lite), "{lite}\n{theirs}");
    let conn = rusqlite::Connection::open(wd.path("plant.db")).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM readings", [], |r| r.get(0))
        .unwrap();
    assert_eq!(pg.psql(db, "SELECT count(*) FROM readings"), n.to_string());
}

#[test]
fn a_reading_behind_the_retention_point_is_refused_as_on_sqlite() {
    let pg = Cluster::shared();
    let url = pg.database("retained");
    let db = db_of(&url);
    let wd = Workdir::new("pg-retained");
    bash_ok(
        &wd,
        &format!(
            "iiot simulate --preset fermenter --duration 2h --interval 10s > in.ndjson && iiot store {url} < in.ndjson \
             && iiot rollup {url} --every 1m,1h --final && iiot rollup {url} --retain raw=30m --now 2026-01-01T02:00:00Z"
        ),
    );
    let before: i64 = pg
        .psql(db, "SELECT min(before) FROM rollup_retained")
        .parse()
        .unwrap();
    assert!(before > 1_767_225_600_000, "{before}");
    bash_ok(
        &wd,
        "head -n 1 in.ndjson | sed 's/\"ts\":\"[^\"]*\"/\"ts\":\"2026-01-01T00:00:05Z\"/' > late.ndjson",
    );
    let (cmd, out) = bash(&wd, &format!("iiot store {url} < late.ndjson"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && err.contains("retention") && err.contains("rejected 1"),
        "{}",
        describe(&cmd, &out)
    );
    assert_eq!(
        pg.psql(db, "SELECT count(*) FROM readings WHERE ts = 1767225605000"),
        "0"
    );
}

#[test]
fn kill_9_mid_stream_leaves_whole_batches_and_a_replay_completes_it() {
    let pg = Cluster::shared();
    let url = pg.database("kill");
    let db = db_of(&url);
    let wd = Workdir::new("pg-kill");
    bash_ok(
        &wd,
        "iiot simulate --preset wellhead --duration 10m --seed 9 > in.ndjson",
    );
    let total = wd.read("in.ndjson").lines().count();
    // Fed slowly: a batch of 2000 about every 50 ms, once the store has
    // made its tables.
    let mut store = Command::new("bash")
        .args([
            "-c",
            &format!(
                "exec {} store {url} --batch-rows 2000 --batch-time 1h -q",
                env!("CARGO_BIN_EXE_iiot")
            ),
        ])
        .current_dir(&wd.dir)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = store.stdin.take().unwrap();
    let t = std::time::Instant::now();
    while pg.psql(db, "SELECT to_regclass('readings') IS NOT NULL") != "t" {
        assert!(t.elapsed().as_secs() < 30, "store made no tables");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let input = wd.read("in.ndjson");
    let lines: Vec<&str> = input.lines().collect();
    use std::io::Write;
    let mut sent = 0;
    for chunk in lines.chunks(500) {
        for l in chunk {
            writeln!(stdin, "{l}").unwrap();
        }
        sent += chunk.len();
        let stored: usize = pg
            .psql(db, "SELECT count(*) FROM readings")
            .parse()
            .unwrap();
        if stored >= 6000 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    store.kill().unwrap();
    let _ = store.wait();
    drop(stdin);
    let stored: usize = pg
        .psql(db, "SELECT count(*) FROM readings")
        .parse()
        .unwrap();
    assert!(
        stored >= 6000 && stored < sent.max(6001),
        "stored {stored} of {sent} sent"
    );
    assert_eq!(stored % 2000, 0, "only whole batches of 2000: {stored}");
    let (_, err) = bash_ok(&wd, &format!("iiot store {url} < in.ndjson"));
    assert!(
        err.contains(&format!("stored {}, duplicates {stored}", total - stored)),
        "{err}"
    );
    assert_eq!(
        pg.psql(db, "SELECT count(*) FROM readings"),
        total.to_string()
    );
}

#[test]
fn a_password_in_the_url_is_refused_and_never_shown() {
    let wd = Workdir::new("pg-password");
    let (cmd, out) = bash(
        &wd,
        "iiot store postgresql://ops:s3cr3t@127.0.0.1:1/plant < /dev/null",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&cmd, &out));
    assert!(
        err.contains("PGPASSWORD") && !err.contains("s3cr3t"),
        "{err}"
    );
    // Nobody listening: the message names the database, not a password.
    let (cmd, out) = bash(
        &wd,
        "PGPASSWORD=s3cr3t iiot query postgresql://ops@127.0.0.1:1/plant",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&cmd, &out));
    assert!(
        err.contains("postgresql://ops@127.0.0.1:1/plant") && !err.contains("s3cr3t"),
        "{err}"
    );
}

#[test]
fn a_newer_schema_is_refused_and_pg_environment_variables_are_read() {
    let pg = Cluster::shared();
    let url = pg.database("version");
    let db = db_of(&url);
    let wd = Workdir::new("pg-version");
    // PGHOST, PGPORT, PGUSER, PGDATABASE fill a bare URL.
    bash_ok(
        &wd,
        &format!(
            "iiot simulate --preset fermenter --count 2 | PGHOST=127.0.0.1 PGPORT={} PGUSER=postgres PGDATABASE={db} iiot store postgres://",
            pg.port
        ),
    );
    assert_eq!(
        pg.psql(db, "SELECT value FROM meta WHERE key = 'schema_version'"),
        "1"
    );
    pg.psql(
        db,
        "UPDATE meta SET value = '99' WHERE key = 'schema_version'",
    );
    let (cmd, out) = bash(
        &wd,
        &format!("iiot simulate --preset fermenter --count 2 | iiot store {url}"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("schema version 99"),
        "{}",
        describe(&cmd, &out)
    );
    let (cmd, out) = bash(&wd, &format!("iiot rollup {url} --every 1m"));
    assert!(!out.status.success(), "{}", describe(&cmd, &out));
}

/// The README's TimescaleDB statements, from its PostgreSQL section.
fn readme_timescale_sql() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("SELECT create_hypertable('readings', by_range")
        .expect("the README documents create_hypertable");
    let block_start = readme[..start].rfind("```sql").expect("in a sql block") + 6;
    let end = block_start + readme[block_start..].find("```").unwrap();
    readme[block_start..end].to_string()
}

#[test]
fn the_layout_allows_the_readmes_timescaledb_hypertable() {
    let pg = Cluster::shared();
    let url = pg.database("timescale");
    let db = db_of(&url);
    let wd = Workdir::new("pg-timescale");
    bash_ok(
        &wd,
        &format!("iiot simulate --preset fermenter --count 5 | iiot store {url}"),
    );
    let sql = readme_timescale_sql();
    // The hypertable is partitioned on readings.ts by days of epoch ms.
    assert!(
        sql.contains("create_hypertable('readings', by_range('ts', 86400000)"),
        "{sql}"
    );
    // TimescaleDB requires every unique index (the primary key) to
    // include the partitioning column.
    let unique_without_ts = pg.psql(
        db,
        "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
         WHERE c.relname = 'readings' AND i.indisunique
           AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                           AND a.attname = 'ts' AND a.attnum = ANY(i.indkey))",
    );
    assert_eq!(unique_without_ts, "0");
    assert_eq!(
        pg.psql(db, "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'readings'::regclass AND contype = 'p'"),
        "PRIMARY KEY (series_id, ts)"
    );
    // No foreign key or trigger that a hypertable refuses.
    assert_eq!(pg.psql(db, "SELECT count(*) FROM pg_constraint WHERE conrelid = 'readings'::regclass AND contype = 'f'"), "0");
    // The statements that are plain PostgreSQL run here as written; the
    // segment-by and order-by columns exist.
    let plain: Vec<&str> = sql
        .split(";\n")
        .map(str::trim)
        .filter(|s| s.starts_with("CREATE OR REPLACE FUNCTION"))
        .collect();
    assert_eq!(plain.len(), 1, "{sql}");
    pg.psql(db, plain[0]);
    let now: i64 = pg.psql(db, "SELECT iiot_now_ms()").parse().unwrap();
    assert!(now > 1_700_000_000_000, "{now}");
    assert!(
        sql.contains("compress_segmentby = 'series_id'") && sql.contains("compress_orderby = 'ts'")
    );
    assert_eq!(
        pg.psql(db, "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'readings'::regclass AND attnum > 0"),
        "series_id,ts,value,quality,extra"
    );
}
