//! `iiot rollup plant.db`: the cron job on a real SQLite store built here
//! with the schema of docs/storage.md (as `iiot store` writes it): rollup
//! tables equal to the streaming rollup, a second run that changes nothing,
//! a late reading that recomputes its bucket, a `kill -9` mid-run followed
//! by a run that completes, retention that keeps raw readings not yet
//! rolled up, and retention on a Parquet lake folder.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};

use crate::util::{Workdir, describe, fails_with, ok, parse_ndjson};

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const MIN: i64 = 60_000;
const HOUR: i64 = 3_600_000;

/// Creates a store with the layout of docs/storage.md.
fn create_store(path: &Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.execute_batch(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
         INSERT INTO meta VALUES ('schema_version', '1');
         CREATE TABLE series (id INTEGER PRIMARY KEY, asset TEXT NOT NULL, tag TEXT NOT NULL,
                              unit TEXT, description TEXT, UNIQUE (asset, tag));
         CREATE TABLE readings (series_id INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL,
                                quality INTEGER NOT NULL DEFAULT 0, extra TEXT,
                                PRIMARY KEY (series_id, ts)) WITHOUT ROWID;
         CREATE VIEW readings_v AS
         SELECT strftime('%Y-%m-%dT%H:%M:%S', r.ts / 1000, 'unixepoch')
                  || CASE WHEN r.ts % 1000 = 0 THEN 'Z' ELSE printf('.%03dZ', r.ts % 1000) END AS ts,
                s.asset, s.tag, r.value, s.unit,
                CASE r.quality WHEN 0 THEN 'good' WHEN 1 THEN 'uncertain' ELSE 'bad' END AS quality
         FROM readings r JOIN series s ON s.id = r.series_id;
         CREATE TABLE rollup_pending (series_id INTEGER PRIMARY KEY, since INTEGER NOT NULL);",
    )
    .unwrap();
    conn
}

/// Inserts readings as `iiot store` does: one transaction, series
/// dictionary, a replay ignored, `rollup_pending.since` lowered.
fn insert(conn: &mut Connection, rows: &[(&str, i64, f64, i64)]) {
    let tx = conn.transaction().unwrap();
    for &(asset, ts, value, quality) in rows {
        tx.execute(
            "INSERT OR IGNORE INTO series (asset, tag, unit) VALUES (?1, 't', 'bar')",
            [asset],
        )
        .unwrap();
        let id: i64 = tx
            .query_row(
                "SELECT id FROM series WHERE asset = ?1 AND tag = 't'",
                [asset],
                |r| r.get(0),
            )
            .unwrap();
        tx.execute(
            "INSERT OR IGNORE INTO readings (series_id, ts, value, quality) VALUES (?1, ?2, ?3, ?4)",
            params![id, ts, value, quality],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO rollup_pending (series_id, since) VALUES (?1, ?2)
             ON CONFLICT (series_id) DO UPDATE SET since = min(since, excluded.since)",
            params![id, ts],
        )
        .unwrap();
    }
    tx.commit().unwrap();
}

/// Irregular readings of `assets` series from `from` for `n` steps.
fn readings(assets: &[&'static str], from: i64, n: i64) -> Vec<(&'static str, i64, f64, i64)> {
    let mut out = Vec::new();
    for (k, a) in assets.iter().enumerate() {
        let mut t = from + k as i64 * 311;
        for i in 0..n {
            t += 3_000 + (i * 7919 + k as i64 * 104_729) % 9_000;
            let v = ((i * 37 + k as i64 * 11) % 101) as f64 / 4.0 - 5.0;
            let q = if i % 17 == 5 { 2 } else { 0 };
            out.push((*a, t, v, q));
        }
    }
    out
}

/// Every row of a table, as text, in key order.
fn dump(conn: &Connection, table: &str) -> Vec<String> {
    let mut st = conn
        .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
        .unwrap();
    let n = st.column_count();
    st.query_map([], |r| {
        let mut cells = Vec::new();
        for i in 0..n {
            let v: rusqlite::types::Value = r.get(i)?;
            cells.push(format!("{v:?}"));
        }
        Ok(cells.join("|"))
    })
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn rollup_store(wd: &Workdir, args: &[&str]) -> String {
    let mut cmd = wd.cmd("rollup");
    cmd.arg("plant.db").args(args);
    let out = wd.run(&mut cmd);
    ok(&cmd, &out);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The store's readings as NDJSON, for the streaming rollup.
fn as_ndjson(conn: &Connection) -> String {
    let mut st = conn
        .prepare("SELECT ts, asset, tag, value, quality FROM readings_v ORDER BY ts")
        .unwrap();
    st.query_map([], |r| {
        Ok(format!(
            r#"{{"ts":"{}","asset":"{}","tag":"{}","value":{},"unit":"bar","quality":"{}"}}"#,
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, f64>(3)?,
            r.get::<_, String>(4)?
        ))
    })
    .unwrap()
    .map(|l| l.unwrap() + "\n")
    .collect()
}

#[test]
fn rollup_store_matches_stream_and_second_run_changes_nothing() {
    let wd = Workdir::new("rollup-store");
    let mut conn = create_store(&wd.path("plant.db"));
    insert(&mut conn, &readings(&["P-1", "P-2"], T0, 2_000));
    let err = rollup_store(&wd, &["--every", "1m,1h"]);
    assert!(err.contains("2 series"), "{err}");

    // The closed buckets equal the streaming rollup's.
    let mut cmd = wd.cmd("rollup");
    cmd.args(["--every", "1m"]);
    let out = wd.run_with_stdin(&mut cmd, as_ndjson(&conn));
    let stream = parse_ndjson(&ok(&cmd, &out));
    let mut st = conn
        .prepare("SELECT ts, asset, count, min, max, mean, stddev, first, last, twa, good, bad FROM rollup_1m_v ORDER BY asset, ts")
        .unwrap();
    let rows: Vec<(String, String, Vec<Option<f64>>)> = st
        .query_map([], |r| {
            let mut v = Vec::new();
            for i in 2..12 {
                v.push(r.get::<_, Option<f64>>(i)?);
            }
            Ok((r.get(0)?, r.get(1)?, v))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(rows.len() > 100, "{}", rows.len());
    for (ts, asset, v) in &rows {
        let s = stream
            .iter()
            .find(|s| s["ts"] == ts.as_str() && s["asset"] == asset.as_str())
            .unwrap_or_else(|| panic!("no streamed bucket {asset} {ts}"));
        let fields = [
            "count", "min", "max", "mean", "stddev", "first", "last", "twa", "good", "bad",
        ];
        for (f, got) in fields.iter().zip(v) {
            match (got, s[*f].as_f64()) {
                (None, None) => {}
                (Some(a), Some(b)) => assert!(
                    (a - b).abs() <= 1e-9 * a.abs().max(1.0),
                    "{asset} {ts} {f}: {a} vs {s}"
                ),
                other => panic!("{asset} {ts} {f}: {other:?}"),
            }
        }
    }
    // Only closed buckets: the streaming rollup has each series' last
    // minute too, the store not yet.
    assert_eq!(rows.len() + 2, stream.len());
    drop(st);
    assert_eq!(count(&conn, "SELECT count(*) FROM rollup_pending"), 0);

    let before: Vec<_> = ["rollup_1m", "rollup_1h", "rollup_state"]
        .iter()
        .map(|t| dump(&conn, t))
        .collect();
    let err = rollup_store(&wd, &["--every", "1m,1h"]);
    assert!(err.contains("wrote buckets 1m 0, 1h 0"), "{err}");
    let after: Vec<_> = ["rollup_1m", "rollup_1h", "rollup_state"]
        .iter()
        .map(|t| dump(&conn, t))
        .collect();
    assert!(before == after, "the second run changed the rollups");

    // New readings: only the new closed buckets, and the one that was open.
    let last: i64 = count(&conn, "SELECT max(ts) FROM readings");
    insert(&mut conn, &readings(&["P-1", "P-2"], last, 200));
    let n1m = count(&conn, "SELECT count(*) FROM rollup_1m");
    let err = rollup_store(&wd, &["--every", "1m,1h"]);
    let added = count(&conn, "SELECT count(*) FROM rollup_1m") - n1m;
    assert!(
        added > 10 && err.contains(&format!("1m {added},")),
        "{added} {err}"
    );
    assert!(err.contains("recomputed 0 series"), "{err}");
}

#[test]
fn rollup_store_late_reading_recomputes_its_bucket() {
    let wd = Workdir::new("rollup-store-late");
    let mut conn = create_store(&wd.path("plant.db"));
    insert(&mut conn, &readings(&["P-1", "P-2"], T0, 1_000));
    rollup_store(&wd, &["--every", "1m,1h"]);
    let bucket = T0 + 10 * MIN;
    let q = format!("SELECT count FROM rollup_1m WHERE series_id = 1 AND ts = {bucket}");
    let n = count(&conn, &q);
    let max_q = format!("SELECT max FROM rollup_1m WHERE series_id = 1 AND ts = {bucket}");
    let other: Vec<String> = dump(&conn, "rollup_1m")
        .into_iter()
        .filter(|r| !r.starts_with("Integer(1)|"))
        .collect();
    // A late reading of series 1 in minute 10, a value above all others.
    insert(&mut conn, &[("P-1", bucket + 1, 1000.0, 0)]);
    let err = rollup_store(&wd, &["--every", "1m,1h"]);
    assert!(err.contains("recomputed 1 series"), "{err}");
    assert_eq!(count(&conn, &q), n + 1);
    let max: f64 = conn.query_row(&max_q, [], |r| r.get(0)).unwrap();
    assert_eq!(max, 1000.0);
    let hour: f64 = conn
        .query_row(
            &format!("SELECT max FROM rollup_1h WHERE series_id = 1 AND ts = {T0}"),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(hour, 1000.0);
    let other_after: Vec<String> = dump(&conn, "rollup_1m")
        .into_iter()
        .filter(|r| !r.starts_with("Integer(1)|"))
        .collect();
    assert_eq!(other, other_after, "series 2 changed");
}

#[test]
fn rollup_store_kill_9_mid_run_then_a_run_completes() {
    let wd = Workdir::new("rollup-store-kill");
    let assets: Vec<&'static str> = (0..200)
        .map(|i| &*Box::leak(format!("K-{i:03}").into_boxed_str()))
        .collect();
    {
        let mut conn = create_store(&wd.path("plant.db"));
        insert(&mut conn, &readings(&assets, T0, 1_000));
    }
    std::fs::copy(wd.path("plant.db"), wd.path("fresh.db")).unwrap();
    let mut child = wd
        .cmd("rollup")
        .args(["plant.db", "--every", "1m,1h,1d"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some series are done and others are not.
    let conn = Connection::open(wd.path("plant.db")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut done = 0;
    while Instant::now() < deadline {
        done = conn
            .query_row(
                "SELECT count(DISTINCT series_id) FROM rollup_state",
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap_or(0);
        if done >= 5 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = {
        let _ = std::process::Command::new("kill")
            .args(["-9", &child.id().to_string()])
            .status();
        child.wait().unwrap()
    };
    assert!(
        done >= 5 && !status.success(),
        "killed too late: {done} series done, {status}"
    );
    let pending = count(&conn, "SELECT count(*) FROM rollup_pending");
    assert!(
        pending > 0 && pending < 200,
        "not mid-run: {pending} pending"
    );
    rollup_store(&wd, &["--every", "1m,1h,1d"]);
    // Same as one uninterrupted run on a copy.
    let mut cmd = wd.cmd("rollup");
    cmd.args(["fresh.db", "--every", "1m,1h,1d"]);
    let out = wd.run(&mut cmd);
    ok(&cmd, &out);
    let fresh = Connection::open(wd.path("fresh.db")).unwrap();
    for t in [
        "rollup_1m",
        "rollup_1h",
        "rollup_1d",
        "rollup_state",
        "rollup_pending",
    ] {
        assert!(
            dump(&conn, t) == dump(&fresh, t),
            "{t} differs after the crash"
        );
    }
    assert_eq!(count(&conn, "SELECT count(*) FROM rollup_pending"), 0);
}

#[test]
fn rollup_store_retention_keeps_raw_not_rolled_up() {
    let wd = Workdir::new("rollup-store-retain");
    let mut conn = create_store(&wd.path("plant.db"));
    insert(&mut conn, &readings(&["P-1", "P-2"], T0, 2_000));
    rollup_store(&wd, &["--every", "1m,1h"]);
    // P-3 was never rolled up; P-2 gets a late reading now pending.
    insert(&mut conn, &readings(&["P-3"], T0, 2_000));
    insert(&mut conn, &[("P-2", T0 + 30 * MIN + 1, 1.0, 0)]);
    let raw_before = count(&conn, "SELECT count(*) FROM readings");
    let p2_first = count(&conn, "SELECT min(ts) FROM readings WHERE series_id = 2");
    let now = (T0 + 2 * HOUR + 30 * MIN).to_string();
    let retain = ["--retain", "raw=1h,1m=2h", "--now", now.as_str()];

    let mut cmd = wd.cmd("rollup");
    cmd.arg("plant.db").args(retain).arg("--dry-run");
    let out = wd.run(&mut cmd);
    ok(&cmd, &out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("would delete") && err.contains("not rolled up yet"),
        "{}",
        describe(&cmd, &out)
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM readings"),
        raw_before,
        "--dry-run deleted"
    );

    let err = rollup_store(&wd, &retain);
    assert!(err.contains("deleted"), "{err}");
    let cutoff = T0 + 90 * MIN;
    // P-1: everything before the cutoff went; P-1 is rolled up past it.
    assert_eq!(
        count(
            &conn,
            &format!("SELECT count(*) FROM readings WHERE series_id = 1 AND ts < {cutoff}")
        ),
        0
    );
    // P-2: kept from the start of the hour of its pending reading on (all
    // of its readings here), so that rollup can recompute that hour with it.
    assert_eq!(
        count(&conn, "SELECT min(ts) FROM readings WHERE series_id = 2"),
        p2_first
    );
    assert!(
        count(
            &conn,
            &format!(
                "SELECT count(*) FROM readings WHERE series_id = 2 AND ts < {T0} + {}",
                30 * MIN
            )
        ) > 0
    );
    // P-3: never rolled up, all kept.
    assert_eq!(
        count(&conn, "SELECT count(*) FROM readings WHERE series_id = 3"),
        2_000
    );
    // rollup_1m: buckets wholly before now − 2h gone.
    assert_eq!(
        count(
            &conn,
            &format!(
                "SELECT count(*) FROM rollup_1m WHERE ts < {T0} + {}",
                30 * MIN - MIN + 1
            )
        ),
        0
    );
    assert!(count(&conn, "SELECT count(*) FROM rollup_1m") > 0);
    // And the late reading still rolls up afterwards.
    let err = rollup_store(&wd, &["--every", "1m,1h"]);
    assert!(err.contains("recomputed 1 series"), "{err}");
    // A reading stored late for an hour whose raw readings are gone does
    // not make that hour recompute from what is left.
    let hour0 = |c: &Connection| {
        dump(c, "rollup_1h")
            .into_iter()
            .find(|r| r.starts_with(&format!("Integer(1)|Integer({T0})|")))
    };
    let before = hour0(&conn);
    assert!(before.is_some());
    insert(&mut conn, &[("P-1", T0 + 5 * MIN + 7, 999.0, 0)]);
    rollup_store(&wd, &["--every", "1m,1h"]);
    assert_eq!(hour0(&conn), before, "hour 0 was recomputed from a remnant");
    // A width added later starts after the retained raw readings: no day
    // bucket for P-1 built from what retention left of its day.
    rollup_store(&wd, &["--every", "1m,1h,1d"]);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM rollup_1d WHERE series_id = 1"),
        0
    );
    // Not even once the day has closed.
    insert(
        &mut conn,
        &[
            ("P-1", T0 + 25 * HOUR, 1.0, 0),
            ("P-3", T0 + 25 * HOUR, 1.0, 0),
        ],
    );
    rollup_store(&wd, &["--every", "1m,1h,1d"]);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM rollup_1d WHERE series_id = 1"),
        0
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM rollup_1d WHERE series_id = 3"),
        1
    );
}

#[test]
fn rollup_store_refuses_what_it_cannot_do() {
    let wd = Workdir::new("rollup-store-refuse");
    let conn = create_store(&wd.path("plant.db"));
    conn.execute(
        "UPDATE meta SET value = '2' WHERE key = 'schema_version'",
        [],
    )
    .unwrap();
    let mut cmd = wd.cmd("rollup");
    cmd.args(["plant.db", "--every", "1m"]);
    let out = wd.run(&mut cmd);
    assert!(fails_with(1, &cmd, &out).contains("schema version 2"));
    let mut cmd = wd.cmd("rollup");
    cmd.args(["--retain", "raw=1d"]);
    let out = wd.run_with_stdin(&mut cmd, "");
    assert!(fails_with(1, &cmd, &out).contains("not on a stream"));
}

#[test]
fn rollup_lake_retention_drops_old_date_partitions() {
    let wd = Workdir::new("rollup-lake");
    for d in [
        "2026-01-01",
        "2026-01-15",
        "2026-01-16",
        "2026-01-17",
        "2026-02-01",
    ] {
        let dir = wd.path(&format!("lake/date={d}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("part-x.parquet"), b"PAR1").unwrap();
    }
    std::fs::create_dir_all(wd.path("lake/other")).unwrap();
    // Kept: 30 days back from now is 2026-01-17T00:00Z; 01-16 ends there.
    let args = [
        "lake",
        "--retain",
        "raw=30d",
        "--now",
        "2026-02-16T00:00:00Z",
    ];
    let mut cmd = wd.cmd("rollup");
    cmd.args(args).arg("--dry-run");
    let out = wd.run(&mut cmd);
    ok(&cmd, &out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("would drop 3 partitions") && err.contains("date=2026-01-16"),
        "{err}"
    );
    assert!(wd.path("lake/date=2026-01-01").exists());
    let mut cmd = wd.cmd("rollup");
    cmd.args(args);
    let out = wd.run(&mut cmd);
    ok(&cmd, &out);
    let mut left: Vec<String> = std::fs::read_dir(wd.path("lake"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["date=2026-01-17", "date=2026-02-01", "other"]);
}

mod props {
    use proptest::prelude::*;

    use super::*;

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 16,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    /// Readings of up to three series, and how to cut them into batches
    /// stored one after another in any order (so some arrive late).
    fn batches() -> impl Strategy<Value = Vec<Vec<(&'static str, i64, f64, i64)>>> {
        let series = prop::collection::vec(
            (1i64..240_000, -1000i64..1000, prop::bool::weighted(0.1)),
            1..120,
        );
        (prop::collection::vec(series, 1..4), 1usize..5, any::<u64>()).prop_map(|(all, k, seed)| {
            let names = ["S-0", "S-1", "S-2"];
            let mut rows = Vec::new();
            for (i, s) in all.iter().enumerate() {
                let mut t = T0 + i as i64 * 977;
                for (step, v, bad) in s {
                    t += step;
                    rows.push((names[i], t, *v as f64 / 8.0, i64::from(*bad) * 2));
                }
            }
            // A deterministic shuffle into k batches.
            let mut out = vec![Vec::new(); k];
            let mut x = seed | 1;
            for r in rows {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                out[(x % k as u64) as usize].push(r);
            }
            out
        })
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn prop_store_rollup_incremental_equals_one_shot(batches in batches()) {
            let wd = Workdir::new("rollup-store-prop");
            let mut inc = create_store(&wd.path("plant.db"));
            for b in &batches {
                insert(&mut inc, b);
                rollup_store(&wd, &["--every", "1m,15m,1h"]);
            }
            // Once more with nothing new: nothing changes.
            let tables = ["rollup_1m", "rollup_15m", "rollup_1h"];
            let before: Vec<_> = tables.iter().map(|t| dump(&inc, t)).collect();
            rollup_store(&wd, &["--every", "1m,15m,1h"]);
            let again: Vec<_> = tables.iter().map(|t| dump(&inc, t)).collect();
            prop_assert!(before == again, "a re-run changed the rollups");

            let mut one = create_store(&wd.path("one.db"));
            let mut all: Vec<_> = batches.concat();
            all.sort_by_key(|r| (r.0, r.1));
            insert(&mut one, &all);
            let mut cmd = wd.cmd("rollup");
            cmd.args(["one.db", "--every", "1m,15m,1h"]);
            let out = wd.run(&mut cmd);
            ok(&cmd, &out);
            // Series ids may differ with the order of first arrival: compare
            // by asset.
            let by_asset = |c: &Connection, t: &str| -> Vec<String> {
                let mut st = c
                    .prepare(&format!(
                        "SELECT s.asset, r.ts, r.count, r.min, r.max, r.first, r.last, r.first_ts, r.good, r.bad,
                                printf('%.9e', r.mean), printf('%.9e', r.stddev), printf('%.9e', r.twa)
                         FROM {t} r JOIN series s ON s.id = r.series_id ORDER BY 1, 2"
                    ))
                    .unwrap();
                let n = st.column_count();
                st.query_map([], |r| {
                    let mut cells = Vec::new();
                    for i in 0..n {
                        let v: rusqlite::types::Value = r.get(i)?;
                        cells.push(format!("{v:?}"));
                    }
                    Ok(cells.join("|"))
                })
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
            };
            for t in tables {
                let a = by_asset(&inc, t);
                let b = by_asset(&one, t);
                prop_assert!(a == b, "{} differs:\n{:#?}\n{:#?}", t, a, b);
            }
        }
    }
}
