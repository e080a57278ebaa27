//! The five reference systems under examples/ run end to end: each script
//! with `--quick` into a temporary folder, with the built binary as
//! `$IIOT`, and what it produced read back with other readers — rusqlite
//! on the stores, DuckDB on the lakes, the SVG as text.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use serde_json::Value;

use crate::util::{Workdir, describe, num, parse_ndjson, text};

/// Longest an example may take in a debug build before it is stopped.
const LIMIT: Duration = Duration::from_secs(90);

/// Runs `examples/NAME.sh --quick --out out` in a fresh folder; returns
/// the folder, the output folder and the script's stderr.
fn run_example(name: &str) -> (Workdir, PathBuf, String) {
    let wd = Workdir::new(&format!("example-{name}"));
    let out_dir = wd.path("out");
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(format!("{name}.sh"));
    let mut cmd = Command::new("bash");
    cmd.arg(&script)
        .arg("--quick")
        .arg("--out")
        .arg(&out_dir)
        .current_dir(&wd.dir)
        .env("IIOT", env!("CARGO_BIN_EXE_iiot"));
    let out = run_bounded(&mut cmd);
    assert!(
        out.status.success(),
        "examples/{name}.sh --quick failed\n{}",
        describe(&cmd, &out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("{name}: ")),
        "examples/{name}.sh printed no summary\n{}",
        describe(&cmd, &out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (wd, out_dir, stderr)
}

/// Runs `cmd` and stops it (SIGTERM, which its trap turns into stopping
/// what it started; then SIGKILL) if it outlives LIMIT.
fn run_bounded(cmd: &mut Command) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting bash");
    let pid = child.id();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        let start = Instant::now();
        if done_rx.recv_timeout(LIMIT).is_err() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
            if done_rx.recv_timeout(Duration::from_secs(5)).is_err() {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
            return Some(start.elapsed());
        }
        None
    });
    let out = child.wait_with_output().expect("waiting for bash");
    let _ = done_tx.send(());
    if let Some(after) = watchdog.join().expect("watchdog") {
        panic!(
            "{cmd:?} was stopped after {after:?}\n{}",
            describe(cmd, &out)
        );
    }
    out
}

fn open(path: &Path) -> Connection {
    Connection::open(path).unwrap_or_else(|e| panic!("opening {}: {e}", path.display()))
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Readings per series (asset, tag) in a store.
fn per_series(conn: &Connection) -> BTreeMap<(String, String), i64> {
    let mut st = conn
        .prepare(
            "SELECT s.asset, s.tag, count(*) FROM readings r JOIN series s ON s.id = r.series_id
             GROUP BY s.id",
        )
        .expect("preparing");
    st.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))
        .expect("querying")
        .map(|r| r.expect("a row"))
        .collect()
}

/// Raised alarms in the store: (asset, tag, rule, ts).
fn raised(conn: &Connection) -> Vec<(String, String, String, i64)> {
    let mut st = conn
        .prepare("SELECT asset, tag, rule, ts FROM alarm_events WHERE event = 'raised'")
        .expect("preparing");
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("querying")
        .map(|r| r.expect("a row"))
        .collect()
}

/// Stored readings with their `extra` JSON: (asset, tag, ts, extra).
fn with_extra(conn: &Connection, tag_like: &str) -> Vec<(String, String, i64, Value)> {
    let mut st = conn
        .prepare(
            "SELECT s.asset, s.tag, r.ts, r.extra FROM readings r JOIN series s ON s.id = r.series_id
             WHERE s.tag LIKE ?1 ORDER BY s.asset, s.tag, r.ts",
        )
        .expect("preparing");
    st.query_map([tag_like], |r| {
        let extra: Option<String> = r.get(3)?;
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, extra))
    })
    .expect("querying")
    .map(|r| {
        let (a, t, ts, e) = r.expect("a row");
        let v = e
            .map(|e| serde_json::from_str(&e).expect("extra is JSON"))
            .unwrap_or(Value::Null);
        (a, t, ts, v)
    })
    .collect()
}

/// Whether a stored reading was flagged by a rule of `kind`.
fn flagged_by(extra: &Value, kind: &str) -> bool {
    extra["anomalies"]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x["kind"] == kind))
}

/// Episodes of a fault label (consecutive labelled readings of a series)
/// and how many of them have a reading flagged by `kind`.
fn episodes_caught(
    rows: &[(String, String, i64, Value)],
    fault: &str,
    kind: &str,
) -> (usize, usize) {
    let (mut episodes, mut caught) = (0, 0);
    let mut i = 0;
    while i < rows.len() {
        if rows[i].3["fault"] != fault {
            i += 1;
            continue;
        }
        let mut hit = false;
        let mut j = i;
        while j < rows.len()
            && rows[j].3["fault"] == fault
            && rows[j].0 == rows[i].0
            && rows[j].1 == rows[i].1
        {
            hit |= flagged_by(&rows[j].3, kind);
            j += 1;
        }
        episodes += 1;
        caught += usize::from(hit);
        i = j;
    }
    (episodes, caught)
}

/// The SVG's series lines and anomaly markers, as the plot verb draws them.
fn svg_marks(svg: &str) -> (usize, usize) {
    let lines = svg
        .split('<')
        .filter(|e| e.starts_with("polyline") && e.contains("stroke=\"#1F77B4\""))
        .count();
    let markers = svg
        .split('<')
        .filter(|e| e.starts_with("circle") && e.contains("fill=\"#D62728\""))
        .count();
    (lines, markers)
}

/// The numbers of plot's closing line on stderr.
fn plot_summary(stderr: &str) -> BTreeMap<String, u64> {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("iiot plot: read"))
        .unwrap_or_else(|| panic!("no plot summary on stderr:\n{stderr}"));
    // "read N, drew S series in P panels, A anomalies (M markers), E alarm
    // spans, rejected K"
    let words: Vec<&str> = line
        .trim_start_matches("iiot plot: ")
        .split([' ', ',', '(', ')'])
        .filter(|w| !w.is_empty())
        .collect();
    // A count names what follows it ("4 series"), except after "read" and
    // "rejected", which come before theirs.
    let mut out = BTreeMap::new();
    for w in words.windows(2) {
        match (w[0].parse::<u64>(), w[1].parse::<u64>()) {
            (Ok(n), _) if w[1] != "drew" => {
                out.entry(w[1].to_string()).or_insert(n);
            }
            (_, Ok(n)) if w[0] == "read" || w[0] == "rejected" => {
                out.insert(w[0].to_string(), n);
            }
            _ => {}
        }
    }
    out
}

/// The step of each tag's register (its `scale`; 1 for an integer type
/// without one, 0 for floats), from the preset's model.
fn register_steps(preset: &str) -> BTreeMap<(String, String), f64> {
    let out = Command::new(env!("CARGO_BIN_EXE_iiot"))
        .args(["model", "--preset", preset])
        .output()
        .expect("iiot model");
    let mut rd = csv::Reader::from_reader(&out.stdout[..]);
    let head = rd.headers().expect("a header").clone();
    let col = |name: &str| head.iter().position(|h| h == name).expect(name);
    let (asset, tag, ty, scale) = (col("asset"), col("tag"), col("type"), col("scale"));
    rd.records()
        .map(|r| {
            let r = r.expect("a model row");
            let step = match (r[ty].starts_with('f'), r[scale].parse::<f64>()) {
                (true, _) => 0.0,
                (false, Ok(s)) => s,
                (false, Err(_)) => 1.0,
            };
            ((r[asset].to_string(), r[tag].to_string()), step)
        })
        .collect()
}

#[test]
fn wellhead_polls_modbus_into_the_store_and_alarms_on_stuck_sensors() {
    let (_wd, out, _) = run_example("wellhead");
    let conn = open(&out.join("wells.db"));
    // Every tag on the register map, once per poll.
    let series = per_series(&conn);
    assert_eq!(series.len(), 216, "series polled: {series:?}");
    assert!(
        series.values().all(|n| *n == 16),
        "each series polled 16 times: {series:?}"
    );
    // What was polled is what was served: every polled value is one the
    // simulator wrote for that series, to the register's precision.
    let served = parse_ndjson(&std::fs::read_to_string(out.join("served.ndjson")).expect("served"));
    let mut values: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    let mut stuck: BTreeSet<(String, String)> = BTreeSet::new();
    for r in &served {
        let key = (text(r, "asset").to_string(), text(r, "tag").to_string());
        if text(r, "fault") == "stuck" {
            stuck.insert(key.clone());
        }
        values.entry(key).or_default().push(num(r, "value"));
    }
    let mut st = conn
        .prepare("SELECT asset, tag, value FROM readings_v")
        .expect("preparing");
    let polled: Vec<(String, String, f64)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("querying")
        .map(|r| r.expect("a row"))
        .collect();
    let steps = register_steps("wellhead");
    for (asset, tag, v) in &polled {
        let key = (asset.clone(), tag.clone());
        let near = values[&key]
            .iter()
            .map(|s| (s - v).abs())
            .fold(f64::INFINITY, f64::min);
        // Half a register step, and f32's precision.
        let tolerance = steps[&key] / 2.0 + 1e-6 * v.abs() + 1e-9;
        assert!(
            near <= tolerance,
            "{asset} {tag} polled {v}, {near} from anything served (tolerance {tolerance})"
        );
    }
    // Stuck sensors raise alarms, and only sensors made to stick do.
    let alarms = raised(&conn);
    let stuck_alarms: Vec<_> = alarms.iter().filter(|a| a.2 == "stuck").collect();
    assert!(
        !stuck_alarms.is_empty(),
        "no stuck alarm from the injected stuck faults: {alarms:?}"
    );
    for a in &stuck_alarms {
        assert!(
            stuck.contains(&(a.0.clone(), a.1.clone())),
            "stuck alarm on {} {}, which was never made to stick",
            a.0,
            a.1
        );
    }
    let events = std::fs::read_to_string(out.join("alarms.ndjson")).expect("alarms.ndjson");
    assert_eq!(
        events.matches("\"event\":\"raised\"").count(),
        alarms.len(),
        "alarms.ndjson and alarm_events disagree"
    );
}

#[test]
fn fermenter_raises_the_reference_alarms_and_plots_every_anomaly() {
    let (_wd, out, stderr) = run_example("fermenter");
    let conn = open(&out.join("fermenter.db"));
    let series = per_series(&conn);
    assert_eq!(series.len(), 28);
    assert!(series.values().all(|n| *n == 600), "{series:?}");
    // Temperature above 45 °C: only FERM-4, whose cooling fails. With no
    // on-delay (the reference rule flags from the first reading above), the
    // noisy crossing may raise it more than once before it stays above.
    let alarms = raised(&conn);
    let hh: Vec<_> = alarms.iter().filter(|a| a.2 == "hi_hi").collect();
    assert!(!hh.is_empty() && hh.len() <= 5, "hi_hi alarms: {hh:?}");
    assert!(
        hh.iter()
            .all(|a| (a.0.as_str(), a.1.as_str()) == ("FERM-4", "fermenter_temp")),
        "{hh:?}"
    );
    let hh_value: f64 = conn
        .query_row(
            "SELECT min(value) FROM alarm_events WHERE rule = 'hi_hi' AND event = 'raised'",
            [],
            |r| r.get(0),
        )
        .expect("the hi_hi event");
    assert!(hh_value > 45.0, "raised at {hh_value}");
    let first_above: i64 = conn
        .query_row(
            "SELECT min(r.ts) FROM readings r JOIN series s ON s.id = r.series_id
             WHERE s.asset = 'FERM-4' AND s.tag = 'fermenter_temp' AND r.value > 45",
            [],
            |r| r.get(0),
        )
        .expect("a reading above 45");
    assert_eq!(
        hh[0].3, first_above,
        "raised at the first reading above 45 °C"
    );
    // Rolling ±3σ catches the injected spikes; the stuck rule the stuck
    // sensors long enough to be judged.
    let rows = with_extra(&conn, "%");
    let (spikes, caught) = episodes_caught(&rows, "spike", "zscore");
    assert!(spikes >= 10, "only {spikes} spikes injected");
    assert!(
        caught * 10 >= spikes * 9,
        "±3σ caught {caught} of {spikes} spikes"
    );
    let (stucks, caught) = episodes_caught(&rows, "stuck", "stuck");
    assert!(
        stucks >= 1 && caught >= 1,
        "stuck: caught {caught} of {stucks}"
    );
    assert!(alarms.iter().any(|a| a.2 == "zscore"));
    // The chart: one line per temperature, one marker per flagged reading.
    let flagged = with_extra(&conn, "fermenter_temp")
        .iter()
        .filter(|r| r.3["anomalies"].is_array())
        .count();
    assert!(flagged > 0);
    let svg = std::fs::read_to_string(out.join("fermenter.svg")).expect("fermenter.svg");
    let (lines, markers) = svg_marks(&svg);
    assert_eq!(lines, 4, "series lines in fermenter.svg");
    assert_eq!(markers, flagged, "anomaly markers in fermenter.svg");
    let sum = plot_summary(&stderr);
    assert_eq!(sum.get("series"), Some(&4), "{sum:?}");
    assert_eq!(sum.get("anomalies"), Some(&(flagged as u64)), "{sum:?}");
    assert_eq!(sum.get("markers"), Some(&(markers as u64)), "{sum:?}");
    assert_eq!(sum.get("rejected"), Some(&0), "{sum:?}");
    // The alarm spans: every raised alarm of a temperature, ended by its
    // clearing or by the end of the data.
    let spans = count(
        &conn,
        "SELECT count(*) FROM alarm_events WHERE tag = 'fermenter_temp' AND event = 'raised'",
    );
    assert_eq!(
        sum.get("alarm"),
        Some(&(spans as u64)),
        "alarm spans: {sum:?}"
    );
}

#[test]
fn factory_stores_oee_per_machine_per_bucket() {
    let (_wd, out, _) = run_example("factory");
    let conn = open(&out.join("factory.db"));
    let series = per_series(&conn);
    // 80 raw series of 2 h at 5 s, and one OEE series per machine with a
    // record per 15 minutes.
    let raw: Vec<_> = series.iter().filter(|(k, _)| k.1 != "oee").collect();
    assert_eq!(raw.len(), 80);
    assert!(raw.iter().all(|(_, n)| **n == 1440), "{raw:?}");
    let oee: Vec<_> = series.iter().filter(|(k, _)| k.1 == "oee").collect();
    assert_eq!(oee.len(), 8, "{oee:?}");
    assert!(oee.iter().all(|(_, n)| **n == 8), "{oee:?}");

    let records = parse_ndjson(&std::fs::read_to_string(out.join("oee.ndjson")).expect("oee"));
    assert_eq!(records.len(), 64);
    let (mut errors, mut scrap, mut full) = (0.0, 0.0, 0);
    for r in &records {
        assert_eq!(text(r, "every"), "15m");
        let states: f64 = r["state_s"]
            .as_object()
            .expect("state_s")
            .values()
            .map(|v| v.as_f64().expect("seconds"))
            .sum();
        // 900 s, but the run's last bucket ends at its last reading (5 s
        // before the bucket's end).
        assert!((895.0..=900.0).contains(&states), "a bucket is 900 s: {r}");
        errors += num(r, "errors");
        scrap += r["scrap"]
            .as_object()
            .expect("scrap")
            .values()
            .map(|v| v.as_f64().expect("a count"))
            .sum::<f64>();
        // A ratio is left out when its denominator is 0 (no planned or
        // running time, nothing produced).
        let ratios: Vec<Option<f64>> = ["availability", "performance", "quality_rate"]
            .iter()
            .map(|k| r[*k].as_f64())
            .collect();
        for x in ratios.iter().flatten() {
            assert!((0.0..=1.0 + 1e-9).contains(x), "ratio out of range: {r}");
        }
        if let [Some(a), Some(p), Some(q)] = ratios[..] {
            assert!(
                (a * p * q - num(r, "value")).abs() < 1e-9,
                "OEE ≠ A×P×Q: {r}"
            );
            assert!(
                (q - num(r, "good") / num(r, "produced")).abs() < 1e-9,
                "{r}"
            );
            full += 1;
        }
    }
    assert!(full >= 32, "only {full} buckets with all three ratios");
    assert!(
        errors > 0.0,
        "no ERROR period in two hours of eight machines"
    );
    assert!(scrap > 0.0, "no scrap counted");
    // The stored OEE records keep their fields.
    let stored = with_extra(&conn, "oee");
    assert_eq!(stored.len(), 64);
    assert!(
        stored
            .iter()
            .all(|r| r.3["kpi"] == "oee" && r.3["state_s"].is_object())
    );
    // The chart: one OEE line per machine.
    let svg = std::fs::read_to_string(out.join("factory.svg")).expect("factory.svg");
    assert_eq!(svg_marks(&svg).0, 8, "series lines in factory.svg");
}

#[test]
fn boiler_alarms_rollups_and_latest_values() {
    let (_wd, out, stderr) = run_example("boiler");
    let conn = open(&out.join("boilers.db"));
    let series = per_series(&conn);
    // Eight boilers of nine tags (fuel_flow and the efficiency computed from it).
    assert_eq!(series.len(), 72);
    assert!(
        series.values().all(|n| *n == 1080),
        "3 h at 10 s: {series:?}"
    );
    // Injected spikes flagged by the built-in z-score rule.
    let rows = with_extra(&conn, "%");
    let (spikes, caught) = episodes_caught(&rows, "spike", "zscore");
    assert!(spikes >= 50, "only {spikes} spikes injected");
    assert!(
        caught * 10 >= spikes * 8,
        "z-score caught {caught} of {spikes} spikes"
    );
    let alarms = raised(&conn);
    assert!(alarms.iter().any(|a| a.2 == "zscore"), "{alarms:?}");
    // Stuck alarms are on sensors made to stick.
    let stuck: BTreeSet<(&str, &str)> = rows
        .iter()
        .filter(|r| r.3["fault"] == "stuck")
        .map(|r| (r.0.as_str(), r.1.as_str()))
        .collect();
    let stuck_alarms: Vec<_> = alarms.iter().filter(|a| a.2 == "stuck").collect();
    assert!(!stuck_alarms.is_empty(), "no stuck alarm: {alarms:?}");
    for a in &stuck_alarms {
        assert!(
            stuck.contains(&(a.0.as_str(), a.1.as_str())),
            "stuck alarm on {} {}, never made to stick",
            a.0,
            a.1
        );
    }
    // Rollup tables: closed buckets only. The run goes from 22:00 to
    // 00:59:50, so the 00:59 minute, the 00:00 hour and 2 January are
    // still open.
    for (table, per) in [("rollup_1m", 179), ("rollup_1h", 2), ("rollup_1d", 1)] {
        let rows = count(&conn, &format!("SELECT count(*) FROM {table}"));
        assert_eq!(rows, 72 * per, "{table}");
        let short = count(
            &conn,
            &format!(
                "SELECT count(*) FROM (SELECT series_id FROM {table} GROUP BY series_id HAVING count(*) <> {per})"
            ),
        );
        assert_eq!(short, 0, "{table}: a series with a different bucket count");
    }
    // A day bucket is the day's readings, as SQLite's own GROUP BY says.
    let off = count(
        &conn,
        "SELECT count(*) FROM rollup_1d d JOIN (
           SELECT series_id, count(*) AS n, avg(value) AS m FROM readings
           WHERE ts < 1767312000000 AND quality = 0 GROUP BY series_id) r USING (series_id)
         WHERE d.count <> r.n OR abs(d.mean - r.m) > 1e-9 * max(1, abs(r.m))",
    );
    assert_eq!(off, 0, "day buckets that disagree with GROUP BY");
    // The tiles: one reading per series, each the series' last.
    let latest = parse_ndjson(&std::fs::read_to_string(out.join("latest.ndjson")).expect("latest"));
    assert_eq!(latest.len(), 72);
    let keys: BTreeSet<_> = latest
        .iter()
        .map(|r| (text(r, "asset").to_string(), text(r, "tag").to_string()))
        .collect();
    assert_eq!(keys.len(), 72, "one reading per series");
    assert!(
        latest
            .iter()
            .all(|r| text(r, "ts") == "2026-01-02T00:59:50Z"),
        "latest readings: {latest:?}"
    );
    // The chart: steam flow of eight boilers, every 10 minutes (the quick run).
    let svg = std::fs::read_to_string(out.join("boiler.svg")).expect("boiler.svg");
    let (lines, _) = svg_marks(&svg);
    assert_eq!(lines, 8, "series lines in boiler.svg");
    let sum = plot_summary(&stderr);
    assert_eq!(sum.get("series"), Some(&8), "{sum:?}");
    // 3 h of 10-minute buckets, each a band around its mean.
    assert_eq!(sum.get("read"), Some(&(8 * 18)), "{sum:?}");
}

#[test]
fn chemical_lake_and_rollup_lakes_read_by_duckdb() {
    let (wd, out, _) = run_example("chemical");
    // DuckDB on the lakes: the raw lake complete, the rollup lakes with
    // one row per series per bucket, and the day means equal to DuckDB's
    // own mean of the raw readings.
    let code = format!(
        r#"
import duckdb
def lake(name):
    return f"read_parquet('{out}/{{name}}/**/*.parquet', hive_partitioning=true)"
print(duckdb.sql(f"SELECT count(*), count(DISTINCT (asset, tag)), count(DISTINCT date) FROM {{lake('lake')}}").fetchall()[0])
for w in ['rollup_1m', 'rollup_1h', 'rollup_1d']:
    print(duckdb.sql(f"SELECT count(*) FROM {{lake(w)}}").fetchall()[0][0])
print(duckdb.sql(f'''
  SELECT count(*), max(abs(d.value - r.m)) FROM {{lake('rollup_1d')}} d JOIN (
    SELECT asset, tag, epoch_ms(ts) // 86400000 AS day, avg(value) AS m FROM {{lake('lake')}}
    GROUP BY ALL) r
  ON d.asset = r.asset AND d.tag = r.tag AND epoch_ms(d.ts) // 86400000 = r.day''').fetchall()[0])
"#,
        out = out.display()
    );
    let got = crate::peers::python(&wd, &code);
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines[0], "(34560, 48, 2)", "raw lake: {got}");
    // 6 h at 30 s, from 21:00 to 03:00: 360 minutes, 6 hours, 2 days.
    assert_eq!(&lines[1..4], &["17280", "288", "96"], "rollup lakes: {got}");
    let joined: Vec<&str> = lines[4]
        .trim_matches(|c| c == '(' || c == ')')
        .split(", ")
        .collect();
    assert_eq!(joined[0], "96", "day rows matched: {got}");
    let diff: f64 = joined[1].parse().expect("a difference");
    assert!(diff < 1e-9, "day means differ from DuckDB's by {diff}");

    // inspect and query of the lake.
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("inspect.json")).expect("inspect"))
            .expect("inspect.json is JSON");
    assert_eq!(report["readings"], 34560, "{report}");
    // The chart: the three reactors' temperatures from the lake.
    let svg = std::fs::read_to_string(out.join("chemical.svg")).expect("chemical.svg");
    assert_eq!(svg_marks(&svg).0, 3, "series lines in chemical.svg");
    let r101 = parse_ndjson(&std::fs::read_to_string(out.join("r101.ndjson")).expect("r101"));
    assert_eq!(r101.len(), 120);
    assert!(r101.iter().all(|r| text(r, "asset") == "R-101"
        && text(r, "tag") == "temperature"
        && text(r, "ts").starts_with("2026-01-02T00:")));
}

#[test]
fn examples_refuse_unknown_arguments_and_explain_themselves() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for name in ["wellhead", "fermenter", "factory", "boiler", "chemical"] {
        let script = dir.join(format!("{name}.sh"));
        let help = Command::new("bash")
            .arg(&script)
            .arg("--help")
            .output()
            .expect("bash");
        let text = String::from_utf8_lossy(&help.stdout);
        assert!(
            help.status.success() && text.contains("--quick"),
            "{name} --help: {text}"
        );
        let bad = Command::new("bash")
            .arg(&script)
            .arg("--bogus")
            .output()
            .expect("bash");
        assert_eq!(bad.status.code(), Some(2), "{name} --bogus");
    }
}

#[test]
fn chemical_says_what_to_install_without_duckdb() {
    // A python3 without the duckdb module, first on PATH.
    let wd = Workdir::new("example-no-duckdb");
    let bin = wd.path("bin");
    std::fs::create_dir_all(&bin).expect("bin folder");
    let fake = wd.write(
        "bin/python3",
        "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'duckdb'\" >&2\nexit 1\n",
    );
    let mut perms = std::fs::metadata(&fake).expect("fake python").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&fake, perms).expect("chmod");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/chemical.sh");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.arg(&script)
        .args(["--quick", "--out"])
        .arg(wd.path("out"))
        .env("PATH", path)
        .env("IIOT", env!("CARGO_BIN_EXE_iiot"));
    let out = run_bounded(&mut cmd);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&cmd, &out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("pip install duckdb"), "{stderr}");
    assert!(
        !wd.path("out/lake").exists(),
        "the lake was written before DuckDB was found missing"
    );
}
