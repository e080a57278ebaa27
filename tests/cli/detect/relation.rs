//! The relation rule (issue 20, drift on a tag that follows another): a
//! model whose temperature follows its pressure, the pressure a walk that
//! moves by as much as a drift; a drift of the temperature sensor breaks
//! the relation and is raised by the relation rule of the temperature
//! (the pressure's readings carry its flag), a walk that keeps it is not,
//! and a model without `follows` has no such rule.
//!
//! Debug-build time: about a second (3 h at 1 s, 2 tags).

use std::fmt::Write as _;

use serde_json::Value;

use super::hygiene::sh;
use crate::util::Workdir;

const HEADER: &str = "asset,tag,unit,description,kind,states,transitions,nominal,min,max,noise,profile,period,amplitude,follows,when,formula,unit_id,table,address,type,order,scale,offset,lo_lo,lo,hi,hi_hi,deadband,delay";

/// The two tags of the boiler preset, temperature following pressure.
fn model(follows: bool) -> String {
    let f = if follows { "pressure:0.8" } else { "" };
    format!(
        "{HEADER}\n\
         B-1,temperature,degC,Steam temperature,,,,185,0,300,0.4,,,,{f},,,1,holding,0,u16,ABCD,0.1,,,,,,,\n\
         B-1,pressure,bar,Drum pressure,,,,10,0,20,0.05,walk,,0.2,,,,1,holding,1,f32,ABCD,,,,,,,,\n"
    )
}

const START_MS: i64 = 1_767_225_600_000;
const ROWS: usize = 3 * 3600;
/// The drift: the temperature sensor reads high by 2 °C more every 10 min
/// over rows 7200..9000 (about 4 noise widths of the relation at its end).
const DRIFT: std::ops::Range<usize> = 7200..9000;

/// Pressure a mean-reverting walk (0.2 bar, an hour), temperature 8 °C per
/// bar of it, each with its sensor's noise.
fn readings(drift: bool) -> String {
    let mut g = super::Uniform(17);
    let mut u = || g.next();
    let mut p = 0.0;
    let mut out = String::new();
    for i in 0..ROWS {
        // Uniform shocks of deviation 0.2 √(2/3600), decay over an hour.
        p = p * (1.0 - 1.0 / 3600.0) + 0.2 * (2.0f64 / 3600.0).sqrt() * 12f64.sqrt() * u();
        let off = if drift && DRIFT.contains(&i) {
            (i - DRIFT.start) as f64 * 2.0 / 600.0
        } else {
            0.0
        };
        let t = 185.0 + 8.0 * p + 0.4 * 12f64.sqrt() * u() + off;
        let pv = 10.0 + p + 0.05 * 12f64.sqrt() * u();
        let ts = START_MS + i as i64 * 1000;
        writeln!(
            out,
            "{{\"ts\":{ts},\"asset\":\"B-1\",\"tag\":\"temperature\",\"value\":{t:.2}}}"
        )
        .unwrap();
        writeln!(
            out,
            "{{\"ts\":{ts},\"asset\":\"B-1\",\"tag\":\"pressure\",\"value\":{pv:.3}}}"
        )
        .unwrap();
    }
    out
}

fn relation_raises(wd: &Workdir, model: &str, input: &str) -> Vec<(usize, String)> {
    sh(
        wd,
        &format!("iiot -q detect --model {model} --no-defaults --events {input}"),
    )
    .lines()
    .map(|l| serde_json::from_str::<Value>(l).expect("an event"))
    .filter(|e| e["rule"] == "relation" && e["event"] == "raised")
    .map(|e| {
        let t = jiff::Timestamp::from_str(e["ts"].as_str().unwrap())
            .unwrap()
            .as_millisecond();
        (
            ((t - START_MS) / 1000) as usize,
            e["tag"].as_str().unwrap().to_string(),
        )
    })
    .collect()
}

use std::str::FromStr;

#[test]
fn a_drift_that_breaks_a_relation_is_raised_and_the_walk_is_not() {
    let wd = Workdir::new("detect-relation");
    wd.write("model.csv", model(true));
    wd.write("plain.csv", model(false));
    wd.write("healthy.ndjson", readings(false));
    wd.write("drift.ndjson", readings(true));
    let healthy = relation_raises(&wd, "model.csv", "healthy.ndjson");
    assert!(healthy.is_empty(), "raised on a healthy run: {healthy:?}");
    let raised = relation_raises(&wd, "model.csv", "drift.ndjson");
    let temp = raised
        .iter()
        .find(|(_, t)| t == "temperature")
        .expect("the temperature's relation raised");
    // Found within 10 minutes of its start, nothing before it.
    assert!(
        (DRIFT.start..DRIFT.start + 600).contains(&temp.0),
        "raised at row {} for a drift from {}",
        temp.0,
        DRIFT.start
    );
    assert!(raised.iter().all(|(r, _)| *r >= DRIFT.start), "{raised:?}");
    // The alarm is the follower's; the pressure's readings carry its flag
    // while it is on.
    assert!(raised.iter().all(|(_, t)| t == "temperature"), "{raised:?}");
    let flagged: Vec<Value> = sh(
        &wd,
        "iiot -q detect --model model.csv --no-defaults --only drift.ndjson",
    )
    .lines()
    .map(|l| serde_json::from_str(l).expect("a reading"))
    .collect();
    let carried = flagged
        .iter()
        .filter(|r| r["tag"] == "pressure" && r["anomalies"][0]["rule"] == "relation")
        .count();
    assert!(
        carried > 100,
        "{carried} pressure readings carry the relation"
    );
    // The fit is kept in --state and read back: judged at once after a
    // restart (the drift raised within 10 minutes of the second part's
    // start, with no warm-up).
    let text = readings(true);
    let lines: Vec<&str> = text.lines().collect();
    wd.write("part1.ndjson", lines[..2 * DRIFT.start].join("\n") + "\n");
    wd.write("part2.ndjson", lines[2 * DRIFT.start..].join("\n") + "\n");
    sh(
        &wd,
        "iiot -q detect --model model.csv --no-defaults --events --state s.json part1.ndjson",
    );
    let state = wd.read("s.json");
    assert!(state.contains("\"kind\":\"relation\""), "{state}");
    let again: Vec<Value> = sh(
        &wd,
        "iiot -q detect --model model.csv --no-defaults --events --state s.json part2.ndjson",
    )
    .lines()
    .map(|l| serde_json::from_str(l).expect("an event"))
    .collect();
    assert!(
        again
            .iter()
            .any(|e| e["rule"] == "relation" && e["event"] == "raised"),
        "{again:?}"
    );
    // Without `follows` there is no relation to judge.
    assert!(relation_raises(&wd, "plain.csv", "drift.ndjson").is_empty());
}
