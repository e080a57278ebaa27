//! `iiot simulate`: byte-identical output per seed, the shape of the five
//! presets (series, units, normal ranges), profiles that behave (counters,
//! Markov states, correlations), fault injection at the requested rates
//! with truthful labels, time arguments, pipes, pacing and bad arguments.
//!
//! Expectations come from the contract (DESIGN §2–§4), docs/model.md and
//! the model CSV that `iiot model --preset` prints, never from the output.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::util::{Workdir, fails_with, num, ok, parse_ndjson, run_ok, text};

const PRESETS: [&str; 5] = ["wellhead", "fermenter", "factory", "boiler", "chemical"];

// ---------------------------------------------------------------------------
// The model, read the way a user reads it: the CSV `iiot model` prints.
// ---------------------------------------------------------------------------

/// One model row, with what the tests need of it.
#[derive(Debug, Clone)]
pub struct Row {
    pub asset: String,
    pub tag: String,
    pub unit: String,
    pub kind: String,
    pub noise: f64,
    /// State names in code order (`NAME:DWELL` without the dwell).
    pub states: Vec<String>,
    /// (from, to) state names the transitions allow.
    pub transitions: Vec<(String, String)>,
    /// The normal range: [max(min, lo), min(max, hi)] over the cells set.
    pub lo: Option<f64>,
    pub hi: Option<f64>,
    /// `when`: the gating tag and the states that keep the row live.
    pub when: Option<(String, Vec<String>)>,
}

fn cell_num(s: &str, what: &str) -> Option<f64> {
    if s.is_empty() {
        None
    } else {
        Some(
            s.parse()
                .unwrap_or_else(|_| panic!("{what}: {s:?} is not a number")),
        )
    }
}

fn tighter(a: Option<f64>, b: Option<f64>, pick: fn(f64, f64) -> f64) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(pick(a, b)),
        (a, b) => a.or(b),
    }
}

/// Parses a model CSV with the `csv` crate, resolving the documented
/// defaults the tests rely on (kind from profile, default transitions).
pub fn parse_model(csv_text: &str) -> Vec<Row> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(csv_text.as_bytes());
    let headers = reader.headers().expect("model header").clone();
    let mut rows = Vec::new();
    for rec in reader.records() {
        let rec = rec.expect("model row");
        let get = |name: &str| -> &str {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| rec.get(i))
                .unwrap_or("")
        };
        let profile = get("profile");
        let kind = match (get("kind"), profile) {
            ("", "markov") => "state",
            ("", "counter") => "counter",
            ("", _) => "analog",
            (k, _) => k,
        }
        .to_string();
        let mut states: Vec<String> = get("states")
            .split('|')
            .filter(|s| !s.is_empty())
            .map(|s| s.split(':').next().unwrap_or("").trim().to_string())
            .collect();
        if states.is_empty() && kind == "bool" {
            states = vec!["OFF".into(), "ON".into()];
        }
        let mut transitions: Vec<(String, String)> = get("transitions")
            .split('|')
            .filter(|s| !s.is_empty())
            .map(|t| {
                let pair = t.split(':').next().unwrap_or("");
                let (from, to) = pair.split_once('>').expect("FROM>TO");
                (from.trim().to_string(), to.trim().to_string())
            })
            .collect();
        if transitions.is_empty() && !states.is_empty() {
            // docs/model.md: by default each state moves to the next.
            for (i, s) in states.iter().enumerate() {
                transitions.push((s.clone(), states[(i + 1) % states.len()].clone()));
            }
        }
        let what = format!("{}/{}", get("asset"), get("tag"));
        let lo = tighter(
            cell_num(get("min"), &what),
            cell_num(get("lo"), &what),
            f64::max,
        );
        let hi = tighter(
            cell_num(get("max"), &what),
            cell_num(get("hi"), &what),
            f64::min,
        );
        let when = match get("when") {
            "" => None,
            w => {
                let (tag, states) = w.split_once('=').expect("TAG=STATE");
                Some((
                    tag.trim().to_string(),
                    states.split('|').map(|s| s.trim().to_string()).collect(),
                ))
            }
        };
        rows.push(Row {
            asset: get("asset").to_string(),
            tag: get("tag").to_string(),
            unit: get("unit").to_string(),
            kind,
            noise: cell_num(get("noise"), &what).unwrap_or(0.0),
            states,
            transitions,
            lo,
            hi,
            when,
        });
    }
    rows
}

fn preset_model(wd: &Workdir, preset: &str) -> Vec<Row> {
    parse_model(&run_ok(wd, wd.cmd("model").args(["--preset", preset])))
}

/// The model's rows by (asset, tag).
fn by_series(rows: &[Row]) -> HashMap<(String, String), &Row> {
    rows.iter()
        .map(|r| ((r.asset.clone(), r.tag.clone()), r))
        .collect()
}

// ---------------------------------------------------------------------------
// The output, parsed once into series.
// ---------------------------------------------------------------------------

/// One line of simulate's output. Unknown fields are refused: simulate
/// writes only what DESIGN §2 defines for a reading.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line<'a> {
    #[serde(borrow)]
    ts: Cow<'a, str>,
    #[serde(borrow)]
    asset: Cow<'a, str>,
    #[serde(borrow)]
    tag: Cow<'a, str>,
    value: f64,
    #[serde(borrow, default)]
    unit: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    quality: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    fault: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone)]
struct Point {
    ms: i64,
    value: f64,
    text: Option<String>,
    fault: Option<String>,
}

impl Point {
    fn is(&self, fault: &str) -> bool {
        self.fault.as_deref() == Some(fault)
    }
}

#[derive(Debug)]
struct Series {
    asset: String,
    tag: String,
    unit: Option<String>,
    points: Vec<Point>,
}

/// A simulation run, readings grouped by series in order of appearance.
struct Run {
    series: Vec<Series>,
    index: HashMap<String, HashMap<String, usize>>,
    /// Distinct timestamps, in order.
    ticks: Vec<i64>,
    readings: usize,
}

impl Run {
    fn get(&self, asset: &str, tag: &str) -> &Series {
        let i = self
            .index
            .get(asset)
            .and_then(|m| m.get(tag))
            .unwrap_or_else(|| panic!("no series {asset}/{tag} in the output"));
        &self.series[*i]
    }

    fn assets(&self) -> Vec<&str> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for s in &self.series {
            if seen.insert(s.asset.as_str()) {
                out.push(s.asset.as_str());
            }
        }
        out
    }
}

fn parse_ts(ts: &str) -> i64 {
    assert!(ts.ends_with('Z'), "ts {ts:?} is not UTC with Z");
    ts.parse::<jiff::Timestamp>()
        .unwrap_or_else(|e| panic!("ts {ts:?} is not RFC 3339: {e}"))
        .as_millisecond()
}

/// Parses simulate's NDJSON; `keep` picks raw lines before parsing, so a
/// test that needs a few tags of a long run parses only those.
fn parse_run(stdout: &str, keep: impl Fn(&str) -> bool) -> Run {
    let mut run = Run {
        series: Vec::new(),
        index: HashMap::new(),
        ticks: Vec::new(),
        readings: 0,
    };
    let mut last_ts = String::new();
    let mut last_ms = i64::MIN;
    for (n, line) in stdout.lines().enumerate() {
        if !keep(line) {
            continue;
        }
        let r: Line<'_> = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("output line {} is not a reading ({e}): {line}", n + 1));
        assert!(r.value.is_finite(), "line {}: {line}", n + 1);
        assert!(
            r.quality.as_deref().is_none_or(|q| q == "good"),
            "simulate wrote quality other than good: {line}"
        );
        if r.ts != last_ts {
            let ms = parse_ts(&r.ts);
            assert!(ms > last_ms, "timestamps go back at line {}: {line}", n + 1);
            last_ts.clear();
            last_ts.push_str(&r.ts);
            last_ms = ms;
            run.ticks.push(ms);
        }
        let known = run.index.get(&*r.asset).and_then(|m| m.get(&*r.tag));
        let i = match known {
            Some(&i) => i,
            None => {
                run.index
                    .entry(r.asset.to_string())
                    .or_default()
                    .insert(r.tag.to_string(), run.series.len());
                run.series.push(Series {
                    asset: r.asset.to_string(),
                    tag: r.tag.to_string(),
                    unit: r.unit.as_deref().map(str::to_string),
                    points: Vec::new(),
                });
                run.series.len() - 1
            }
        };
        let s = &mut run.series[i];
        assert_eq!(
            s.unit.as_deref(),
            r.unit.as_deref(),
            "the unit of {}/{} changed at line {}",
            s.asset,
            s.tag,
            n + 1
        );
        s.points.push(Point {
            ms: last_ms,
            value: r.value,
            text: r.text.map(Cow::into_owned),
            fault: r.fault.map(Cow::into_owned),
        });
        run.readings += 1;
    }
    run
}

fn simulate(wd: &Workdir, args: &[&str]) -> String {
    run_ok(wd, wd.cmd("simulate").args(args))
}

fn simulate_run(wd: &Workdir, args: &[&str]) -> Run {
    parse_run(&simulate(wd, args), |_| true)
}

/// Interval of the tests that state it in seconds.
fn ms(s: f64) -> i64 {
    (s * 1000.0) as i64
}

fn in_range(v: f64, row: &Row) -> bool {
    row.lo.is_none_or(|lo| v >= lo) && row.hi.is_none_or(|hi| v <= hi)
}

fn pearson(xs: &[f64], ys: &[f64]) -> f64 {
    assert_eq!(xs.len(), ys.len());
    let n = xs.len() as f64;
    let mx = xs.iter().sum::<f64>() / n;
    let my = ys.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    sxy / (sxx * syy).sqrt()
}

// ---------------------------------------------------------------------------
// Determinism
// ---------------------------------------------------------------------------

const FAULTS_ALL: &str = "spike=0.01,stuck=0.005,drift=0.001,dropout=0.002";

#[test]
fn simulate_same_seed_gives_same_bytes_other_seed_differs() {
    let wd = Workdir::new("sim-determinism");
    let args = |seed: &'static str| {
        [
            "--preset", "wellhead", "--count", "200", "--seed", seed, "--faults", FAULTS_ALL,
            "--label",
        ]
    };
    let a = simulate(&wd, &args("7"));
    let b = simulate(&wd, &args("7"));
    let c = simulate(&wd, &args("8"));
    assert!(!a.is_empty());
    assert!(a == b, "two runs with --seed 7 differ");
    assert!(a != c, "--seed 7 and --seed 8 give the same output");
    // The run is not trivial: faults were injected and labelled.
    let run = parse_run(&a, |_| true);
    for kind in ["spike", "stuck", "drift", "dropout"] {
        assert!(
            run.series
                .iter()
                .any(|s| s.points.iter().any(|p| p.is(kind))),
            "no {kind} label in 200 ticks of wellhead with {FAULTS_ALL}"
        );
    }
}

#[test]
fn simulate_csv_same_seed_gives_same_bytes_and_matches_ndjson() {
    let wd = Workdir::new("sim-determinism-csv");
    let args = |seed: &'static str, format: &'static str| {
        [
            "--preset", "wellhead", "--count", "200", "--seed", seed, "--faults", FAULTS_ALL,
            "--label", "--format", format,
        ]
    };
    let a = simulate(&wd, &args("7", "csv"));
    let b = simulate(&wd, &args("7", "csv"));
    let c = simulate(&wd, &args("8", "csv"));
    assert!(a == b, "two CSV runs with --seed 7 differ");
    assert!(a != c, "CSV with --seed 7 and --seed 8 is the same");

    // The CSV holds the same readings as the NDJSON of the same run.
    let json = parse_ndjson(&simulate(&wd, &args("7", "ndjson")));
    let mut reader = csv::Reader::from_reader(a.as_bytes());
    let headers = reader.headers().expect("CSV header").clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {headers:?}"))
    };
    let (ts, asset, tag, value, unit, fault) = (
        col("ts"),
        col("asset"),
        col("tag"),
        col("value"),
        col("unit"),
        col("fault"),
    );
    let records: Vec<csv::StringRecord> =
        reader.records().map(|r| r.expect("a CSV record")).collect();
    assert_eq!(
        records.len(),
        json.len(),
        "CSV and NDJSON row counts differ"
    );
    for (i, (r, j)) in records.iter().zip(&json).enumerate() {
        let what = format!("row {}: {r:?} vs {j}", i + 1);
        assert_eq!(&r[ts], text(j, "ts"), "{what}");
        assert_eq!(&r[asset], text(j, "asset"), "{what}");
        assert_eq!(&r[tag], text(j, "tag"), "{what}");
        assert_eq!(
            r[value].parse::<f64>().ok(),
            Some(num(j, "value")),
            "{what}"
        );
        assert_eq!(&r[unit], text(j, "unit"), "{what}");
        assert_eq!(&r[fault], text(j, "fault"), "{what}");
    }
}

// ---------------------------------------------------------------------------
// Shape of the presets
// ---------------------------------------------------------------------------

#[test]
fn simulate_wellhead_has_216_series_with_the_model_units() {
    let wd = Workdir::new("sim-wellhead-series");
    let model = preset_model(&wd, "wellhead");
    let rows = by_series(&model);
    let run = simulate_run(&wd, &["--preset", "wellhead", "--count", "3"]);
    assert_eq!(run.series.len(), 12 * 18, "distinct (asset, tag) series");
    assert_eq!(run.readings, 3 * 216);
    let expected: Vec<String> = (1..=12).map(|i| format!("WH-{i:02}")).collect();
    assert_eq!(run.assets(), expected);
    for s in &run.series {
        assert_eq!(s.points.len(), 3, "{}/{}", s.asset, s.tag);
        let row = rows
            .get(&(s.asset.clone(), s.tag.clone()))
            .unwrap_or_else(|| panic!("{}/{} is not in the model", s.asset, s.tag));
        let want = (!row.unit.is_empty()).then_some(row.unit.as_str());
        assert_eq!(s.unit.as_deref(), want, "unit of {}/{}", s.asset, s.tag);
    }
    assert_eq!(model.len(), 216, "the model has a row per series");
}

/// Simulates a preset for 6 h at 10 s without faults and checks every
/// reading against its model row: analog values in the normal range,
/// state codes and names that match, bools 0 or 1, units as modelled.
fn check_preset_in_normal_range(preset: &str) {
    let wd = Workdir::new(&format!("sim-range-{preset}"));
    let model = preset_model(&wd, preset);
    let rows = by_series(&model);
    let run = simulate_run(
        &wd,
        &["--preset", preset, "--duration", "6h", "--interval", "10s"],
    );
    assert_eq!(run.ticks.len(), 6 * 360, "ticks in 6h at 10s");
    assert_eq!(run.series.len(), model.len(), "one series per model row");
    for s in &run.series {
        let row = rows[&(s.asset.clone(), s.tag.clone())];
        let want = (!row.unit.is_empty()).then_some(row.unit.as_str());
        assert_eq!(s.unit.as_deref(), want, "unit of {}/{}", s.asset, s.tag);
        assert_eq!(s.points.len(), run.ticks.len(), "{}/{}", s.asset, s.tag);
        for p in &s.points {
            assert!(p.fault.is_none(), "a fault label without --faults: {p:?}");
            match row.kind.as_str() {
                "analog" => assert!(
                    in_range(p.value, row),
                    "{preset}: {}/{} = {} at {} is outside its normal range {:?}..{:?}",
                    s.asset,
                    s.tag,
                    p.value,
                    p.ms,
                    row.lo,
                    row.hi
                ),
                "state" => {
                    let code = p.value as usize;
                    assert!(
                        p.value == code as f64 && code < row.states.len(),
                        "{}/{}: state code {}",
                        s.asset,
                        s.tag,
                        p.value
                    );
                    assert_eq!(p.text.as_deref(), Some(row.states[code].as_str()));
                }
                "bool" => assert!(
                    p.value == 0.0 || p.value == 1.0,
                    "{}/{}: bool {}",
                    s.asset,
                    s.tag,
                    p.value
                ),
                "counter" => assert!(p.value >= 0.0),
                other => panic!("unexpected kind {other}"),
            }
        }
    }
}

macro_rules! normal_range_cases {
    ($($name:ident: $preset:literal,)*) => {$(
        #[test]
        fn $name() {
            check_preset_in_normal_range($preset);
        }
    )*};
}

normal_range_cases! {
    simulate_wellhead_stays_in_normal_range: "wellhead",
    simulate_fermenter_stays_in_normal_range: "fermenter",
    simulate_factory_stays_in_normal_range: "factory",
    simulate_boiler_stays_in_normal_range: "boiler",
    simulate_chemical_stays_in_normal_range: "chemical",
}

#[test]
fn simulate_fermenter_meets_the_specified_ranges() {
    // DESIGN §3, independent of the preset's CSV.
    let spec = [
        ("fermenter_temp", 35.0, 40.0),
        ("fermenter_ph", 6.5, 7.5),
        ("agitator_rpm", 300.0, 600.0),
    ];
    let wd = Workdir::new("sim-fermenter-spec");
    let run = simulate_run(
        &wd,
        &[
            "--preset",
            "fermenter",
            "--duration",
            "24h",
            "--interval",
            "30s",
        ],
    );
    for (tag, lo, hi) in spec {
        let series: Vec<&Series> = run.series.iter().filter(|s| s.tag == tag).collect();
        assert!(!series.is_empty(), "no {tag} series");
        for s in series {
            assert_eq!(s.points.len(), 24 * 120);
            for p in &s.points {
                assert!(
                    (lo..=hi).contains(&p.value),
                    "{}/{tag} = {} at {} is outside {lo}..{hi}",
                    s.asset,
                    p.value,
                    p.ms
                );
            }
        }
    }
}

/// With spikes and stuck sensors, every reading without a label is still
/// a clean one inside the normal range, and only analog tags get faults.
fn check_unlabelled_in_normal_range(preset: &str) {
    let wd = Workdir::new(&format!("sim-fault-range-{preset}"));
    let model = preset_model(&wd, preset);
    let rows = by_series(&model);
    let run = simulate_run(
        &wd,
        &[
            "--preset",
            preset,
            "--duration",
            "4h",
            "--interval",
            "10s",
            "--faults",
            "spike=0.002,stuck=0.0005",
            "--label",
        ],
    );
    let mut labelled = 0;
    for s in &run.series {
        let row = rows[&(s.asset.clone(), s.tag.clone())];
        for p in &s.points {
            match &p.fault {
                None if row.kind == "analog" => assert!(
                    in_range(p.value, row),
                    "{preset}: unlabelled {}/{} = {} at {} is outside {:?}..{:?}",
                    s.asset,
                    s.tag,
                    p.value,
                    p.ms,
                    row.lo,
                    row.hi
                ),
                None => {}
                Some(f) => {
                    assert!(
                        f == "spike" || f == "stuck",
                        "label {f:?} not asked for: {p:?}"
                    );
                    assert_eq!(
                        row.kind, "analog",
                        "{}/{} is a {} tag but carries a fault",
                        s.asset, s.tag, row.kind
                    );
                    labelled += 1;
                }
            }
        }
    }
    assert!(labelled > 0, "{preset}: no fault was labelled");
}

macro_rules! fault_range_cases {
    ($($name:ident: $preset:literal,)*) => {$(
        #[test]
        fn $name() {
            check_unlabelled_in_normal_range($preset);
        }
    )*};
}

fault_range_cases! {
    simulate_wellhead_unlabelled_readings_stay_in_range_with_faults: "wellhead",
    simulate_fermenter_unlabelled_readings_stay_in_range_with_faults: "fermenter",
    simulate_factory_unlabelled_readings_stay_in_range_with_faults: "factory",
    simulate_boiler_unlabelled_readings_stay_in_range_with_faults: "boiler",
    simulate_chemical_unlabelled_readings_stay_in_range_with_faults: "chemical",
}

#[test]
fn simulate_faults_leave_the_clean_signal_alone() {
    // src/sim: faults draw from their own stream, so a reading a fault did
    // not touch is the reading of the run without faults.
    let wd = Workdir::new("sim-clean-signal");
    let base = ["--preset", "fermenter", "--count", "2000", "--seed", "3"];
    let clean = simulate_run(&wd, &base);
    let mut args = base.to_vec();
    args.extend(["--faults", FAULTS_ALL, "--label"]);
    let faulty = simulate_run(&wd, &args);
    let mut compared = 0;
    let mut touched = 0;
    for s in &faulty.series {
        let c = clean.get(&s.asset, &s.tag);
        let by_ms: HashMap<i64, f64> = c.points.iter().map(|p| (p.ms, p.value)).collect();
        for p in &s.points {
            if p.fault.is_none() {
                assert_eq!(
                    Some(p.value),
                    by_ms.get(&p.ms).copied(),
                    "{}/{} at {}: unlabelled reading differs from the fault-free run",
                    s.asset,
                    s.tag,
                    p.ms
                );
                compared += 1;
            } else {
                touched += 1;
            }
        }
    }
    assert!(
        compared > 0 && touched > 0,
        "{compared} compared, {touched} faulty"
    );
}

// ---------------------------------------------------------------------------
// Counters and machine states
// ---------------------------------------------------------------------------

#[test]
fn simulate_factory_counters_never_decrease_and_count_only_while_live() {
    let wd = Workdir::new("sim-factory-counters");
    let model = preset_model(&wd, "factory");
    let counters: Vec<&Row> = model.iter().filter(|r| r.kind == "counter").collect();
    assert!(!counters.is_empty(), "the factory has counters");
    let run = simulate_run(
        &wd,
        &[
            "--preset",
            "factory",
            "--duration",
            "4h",
            "--interval",
            "5s",
        ],
    );
    let mut gated_steps = 0;
    let mut held = 0;
    for row in &counters {
        let s = run.get(&row.asset, &row.tag);
        let (gate_tag, live) = row.when.clone().expect("factory counters are gated");
        let gate = run.get(&row.asset, &gate_tag);
        assert_eq!(gate.points.len(), s.points.len());
        for k in 1..s.points.len() {
            let (prev, cur) = (&s.points[k - 1], &s.points[k]);
            assert!(
                cur.value >= prev.value,
                "{}/{} decreased from {} to {} at {}",
                row.asset,
                row.tag,
                prev.value,
                cur.value,
                cur.ms
            );
            // The counter advances on a tick when its gate is live at that
            // same tick (src/sim: states are stepped before the tags they
            // gate). So a change means the state of this tick is live.
            let state = gate.points[k].text.as_deref().unwrap_or("");
            let is_live = live.iter().any(|l| l == state);
            if cur.value != prev.value {
                assert!(
                    is_live,
                    "{}/{} moved {} -> {} at {} while {gate_tag} was {state}",
                    row.asset, row.tag, prev.value, cur.value, cur.ms
                );
                gated_steps += 1;
            } else if !is_live {
                held += 1;
            }
            // The brief's weaker form: not live at both ends, no change.
            let prev_state = gate.points[k - 1].text.as_deref().unwrap_or("");
            if !live.iter().any(|l| l == prev_state) && !is_live {
                assert_eq!(cur.value, prev.value);
            }
        }
    }
    assert!(
        gated_steps > 0 && held > 0,
        "counters never moved ({gated_steps}) or never held ({held}) in 4h"
    );
    let parts = run.get("LINE-A/M-01", "parts_produced");
    let last = parts.points.last().expect("readings").value;
    assert!(last > 0.0, "LINE-A/M-01 produced nothing in 4h");
}

#[test]
fn simulate_factory_counts_are_whole_numbers() {
    // A counter of parts (unit `count`, a u32/u16/u64 register at scale 1)
    // counts whole parts: 48.99 parts cannot be produced, nor held in the
    // integer register the model maps it to.
    let wd = Workdir::new("sim-factory-whole-counts");
    let model = preset_model(&wd, "factory");
    let run = simulate_run(&wd, &["--preset", "factory", "--count", "600"]);
    for row in model.iter().filter(|r| r.kind == "counter") {
        let s = run.get(&row.asset, &row.tag);
        for p in &s.points {
            assert!(
                p.value.fract() == 0.0,
                "{}/{} ({}) = {} at {} is not a whole count",
                row.asset,
                row.tag,
                row.unit,
                p.value,
                p.ms
            );
        }
    }
}

#[test]
fn simulate_factory_states_are_coded_and_named() {
    let names = ["IDLE", "RUNNING", "ERROR", "MAINTENANCE"];
    let wd = Workdir::new("sim-factory-states");
    let model = preset_model(&wd, "factory");
    let stdout = simulate(
        &wd,
        &[
            "--preset",
            "factory",
            "--duration",
            "24h",
            "--interval",
            "30s",
        ],
    );
    let run = parse_run(&stdout, |l| l.contains("\"tag\":\"machine_state\""));
    let machines: Vec<&Row> = model.iter().filter(|r| r.tag == "machine_state").collect();
    assert_eq!(run.series.len(), machines.len());
    let mut recovered = 0;
    let mut visits = 0;
    for row in machines {
        assert_eq!(row.states, names, "the model's states");
        let s = run.get(&row.asset, "machine_state");
        assert_eq!(s.points.len(), 24 * 120);
        let mut in_error = false;
        for (k, p) in s.points.iter().enumerate() {
            let code = p.value as usize;
            assert!(
                p.value == code as f64 && code < 4,
                "{}: machine_state {} is not a code 0..3",
                row.asset,
                p.value
            );
            assert_eq!(
                p.text.as_deref(),
                Some(names[code]),
                "{}: code {code} at {}",
                row.asset,
                p.ms
            );
            if k > 0 {
                let from = names[s.points[k - 1].value as usize];
                let to = names[code];
                if from != to {
                    assert!(
                        row.transitions.iter().any(|(f, t)| f == from && t == to),
                        "{}: {from} -> {to} at {} is not a modelled transition",
                        row.asset,
                        p.ms
                    );
                }
            }
            match names[code] {
                "ERROR" if !in_error => {
                    in_error = true;
                    visits += 1;
                }
                "RUNNING" if in_error => {
                    in_error = false;
                    recovered += 1;
                }
                _ => {}
            }
        }
    }
    assert!(visits > 0, "no machine visited ERROR in 24h");
    assert!(recovered > 0, "no machine ran again after an ERROR in 24h");
}

// ---------------------------------------------------------------------------
// Correlations
// ---------------------------------------------------------------------------

#[test]
fn simulate_wellhead_flow_rises_and_pressure_falls_with_the_choke() {
    let wd = Workdir::new("sim-wellhead-correlation");
    let stdout = simulate(
        &wd,
        &[
            "--preset",
            "wellhead",
            "--duration",
            "12h",
            "--interval",
            "10s",
        ],
    );
    let tags = ["choke_position", "oil_rate", "tubing_pressure"];
    let needles: Vec<String> = tags.iter().map(|t| format!("\"tag\":\"{t}\"")).collect();
    let run = parse_run(&stdout, |l| needles.iter().any(|n| l.contains(n.as_str())));
    let wells = run.assets();
    assert_eq!(wells.len(), 12);
    for well in wells {
        let values =
            |tag: &str| -> Vec<f64> { run.get(well, tag).points.iter().map(|p| p.value).collect() };
        let choke = values("choke_position");
        assert_eq!(choke.len(), 12 * 360);
        let r_oil = pearson(&choke, &values("oil_rate"));
        let r_tubing = pearson(&choke, &values("tubing_pressure"));
        assert!(
            r_oil > 0.3,
            "{well}: oil_rate vs choke_position r = {r_oil}"
        );
        assert!(
            r_tubing < -0.3,
            "{well}: tubing_pressure vs choke_position r = {r_tubing}"
        );
    }
}

// ---------------------------------------------------------------------------
// Faults and their labels
// ---------------------------------------------------------------------------

/// Analog series of a run, with their model rows.
fn analog_series<'r>(run: &'r Run, model: &[Row]) -> Vec<(&'r Series, Row)> {
    let rows = by_series(model);
    run.series
        .iter()
        .filter_map(|s| {
            let row = rows[&(s.asset.clone(), s.tag.clone())];
            (row.kind == "analog").then(|| (s, row.clone()))
        })
        .collect()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

#[test]
fn simulate_spikes_come_at_the_rate_and_stand_out() {
    let rate = 0.01;
    let wd = Workdir::new("sim-spike");
    let model = preset_model(&wd, "fermenter");
    let run = simulate_run(
        &wd,
        &[
            "--preset",
            "fermenter",
            "--count",
            "3600",
            "--faults",
            "spike=0.01",
            "--label",
        ],
    );
    let analog = analog_series(&run, &model);
    let readings: usize = analog.iter().map(|(s, _)| s.points.len()).sum();
    let spikes: usize = analog
        .iter()
        .map(|(s, _)| s.points.iter().filter(|p| p.is("spike")).count())
        .sum();
    // A spike is one reading and leaves nothing under way, so every analog
    // reading is a spike with probability `rate`.
    let share = spikes as f64 / readings as f64;
    assert!(
        (share - rate).abs() <= 0.3 * rate,
        "spike share {share} ({spikes} of {readings}) is not within 30% of {rate}"
    );

    // Spikes are 6-10 noise widths; the clean signal moves by noise only.
    let mut spike_dev = Vec::new();
    let (mut clean_big, mut clean_n) = (0, 0);
    for (s, row) in &analog {
        assert!(row.noise > 0.0, "fermenter tags have noise");
        for w in s.points.windows(3) {
            if w[0].fault.is_some() || w[2].fault.is_some() {
                continue;
            }
            let dev = (w[1].value - (w[0].value + w[2].value) / 2.0).abs() / row.noise;
            if w[1].is("spike") {
                spike_dev.push(dev);
            } else {
                clean_n += 1;
                if dev > 3.0 {
                    clean_big += 1;
                }
            }
        }
    }
    assert!(spike_dev.len() > 100, "{} spikes measured", spike_dev.len());
    let big = spike_dev.iter().filter(|d| **d > 3.0).count();
    assert!(
        big as f64 >= 0.95 * spike_dev.len() as f64,
        "only {big} of {} spikes stand 3 noise widths off their neighbours",
        spike_dev.len()
    );
    let m = median(spike_dev);
    assert!(m > 5.0, "median spike deviation {m} noise widths");
    assert!(
        (clean_big as f64) < 0.05 * clean_n as f64,
        "{clean_big} of {clean_n} clean readings stand 3 noise widths off"
    );
}

#[test]
fn simulate_stuck_episodes_start_at_the_rate_and_repeat_the_last_value() {
    let rate: f64 = 0.002;
    let wd = Workdir::new("sim-stuck");
    let model = preset_model(&wd, "fermenter");
    let run = simulate_run(
        &wd,
        &[
            "--preset",
            "fermenter",
            "--count",
            "7200",
            "--faults",
            "stuck=0.002",
            "--label",
        ],
    );
    let analog = analog_series(&run, &model);
    let readings: usize = analog.iter().map(|(s, _)| s.points.len()).sum();
    let mut starts = 0;
    let mut stuck = 0;
    for (s, _) in &analog {
        for k in 0..s.points.len() {
            let p = &s.points[k];
            if !p.is("stuck") {
                continue;
            }
            stuck += 1;
            assert!(k > 0, "{}/{}: stuck on its first reading", s.asset, s.tag);
            let prev = &s.points[k - 1];
            assert_eq!(
                p.value.to_bits(),
                prev.value.to_bits(),
                "{}/{} at {}: stuck reading {} does not repeat {}",
                s.asset,
                s.tag,
                p.ms,
                p.value,
                prev.value
            );
            if !prev.is("stuck") {
                starts += 1;
            }
        }
    }
    // faults.rs: an episode lasts L readings, L uniform in 30..=300 (mean
    // 165), and none can begin while one is under way. A series alternates
    // free stretches (each reading starts one with probability r; 1/r
    // readings on average, the starting one included) with episodes, so a
    // cycle is 1/r - 1 + E[L] readings and holds one start. A start right
    // after an episode ends (chance r) joins it in the labels and is not
    // seen as a start.
    let mean_len = (30.0 + 300.0) / 2.0;
    let per_reading = (1.0 - rate) / (1.0 / rate - 1.0 + mean_len);
    let expected = per_reading * readings as f64;
    assert!(
        (starts as f64 - expected).abs() <= 0.35 * expected,
        "{starts} stuck episodes in {readings} readings, expected {expected:.0} (±35%)"
    );
    // And the share of time stuck is E[L] per cycle.
    let share = stuck as f64 / readings as f64;
    let expected_share = mean_len / (1.0 / rate - 1.0 + mean_len);
    assert!(
        (share - expected_share).abs() <= 0.35 * expected_share,
        "stuck share {share}, expected {expected_share}"
    );
}

#[test]
fn simulate_dropout_leaves_a_gap_and_labels_the_reading_after_it() {
    let rate: f64 = 0.002;
    let interval = ms(1.0);
    let wd = Workdir::new("sim-dropout");
    let model = preset_model(&wd, "fermenter");
    let ticks = 3600;
    let run = simulate_run(
        &wd,
        &[
            "--preset",
            "fermenter",
            "--count",
            "3600",
            "--faults",
            "dropout=0.002",
            "--label",
        ],
    );
    let start = run.ticks[0];
    let analog = analog_series(&run, &model);
    let mut gaps = 0;
    for (s, _) in &analog {
        let mut prev_ms = start - interval;
        for p in &s.points {
            let missing = (p.ms - prev_ms) / interval - 1;
            assert_eq!((p.ms - prev_ms) % interval, 0);
            if missing > 0 {
                assert!(
                    p.is("dropout"),
                    "{}/{}: {missing} readings missing before {} but it is not labelled dropout: {p:?}",
                    s.asset,
                    s.tag,
                    p.ms
                );
                assert!(
                    (10..=120).contains(&missing),
                    "{}/{}: a dropout of {missing} readings before {}",
                    s.asset,
                    s.tag,
                    p.ms
                );
                gaps += 1;
            } else {
                assert!(
                    !p.is("dropout"),
                    "{}/{} at {}: labelled dropout without a gap",
                    s.asset,
                    s.tag,
                    p.ms
                );
            }
            prev_ms = p.ms;
        }
    }
    // One gap per cycle of 1/r free readings plus L missing (mean 65) and
    // the labelled one after, the start being the first missing.
    let slots = (analog.len() * ticks) as f64;
    let expected = slots / (1.0 / rate + 65.0);
    assert!(
        (gaps as f64 - expected).abs() <= 0.35 * expected,
        "{gaps} dropouts, expected {expected:.0} (±35%)"
    );
}

// ---------------------------------------------------------------------------
// Scaling
// ---------------------------------------------------------------------------

#[test]
fn simulate_assets_1000_names_wellheads_with_four_digits() {
    let wd = Workdir::new("sim-assets-1000");
    let run = simulate_run(
        &wd,
        &["--preset", "wellhead", "--assets", "1000", "--count", "1"],
    );
    let expected: Vec<String> = (1..=1000).map(|i| format!("WH-{i:04}")).collect();
    assert_eq!(run.assets(), expected);
    assert_eq!(run.series.len(), 1000 * 18);
    assert_eq!(run.readings, 1000 * 18);
    let tags_of = |asset: &str| -> Vec<&str> {
        run.series
            .iter()
            .filter(|s| s.asset == asset)
            .map(|s| s.tag.as_str())
            .collect()
    };
    let first = tags_of("WH-0001");
    assert_eq!(first.len(), 18);
    for asset in ["WH-0013", "WH-0500", "WH-1000"] {
        assert_eq!(tags_of(asset), first, "tags of {asset}");
    }
}

#[test]
fn simulate_assets_12_is_the_default_wellhead() {
    let wd = Workdir::new("sim-assets-12");
    let base = ["--preset", "wellhead", "--count", "50", "--seed", "5"];
    let default = simulate(&wd, &base);
    let mut args = base.to_vec();
    args.extend(["--assets", "12"]);
    assert!(
        simulate(&wd, &args) == default,
        "--assets 12 changes the output"
    );

    // Adding assets after the first twelve leaves theirs unchanged.
    let mut args = base.to_vec();
    args.extend(["--assets", "24"]);
    let more = simulate(&wd, &args);
    let first_twelve: Vec<&str> = more
        .lines()
        .filter(|l| {
            let r: serde_json::Value = serde_json::from_str(l).expect("JSON");
            let n: usize = text(&r, "asset")["WH-".len()..].parse().expect("WH-NN");
            n <= 12
        })
        .collect();
    assert_eq!(first_twelve, default.lines().collect::<Vec<_>>());
}

// ---------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------

fn distinct_ts(stdout: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in parse_ndjson(stdout) {
        let ts = text(&r, "ts");
        if out.last().map(String::as_str) != Some(ts) {
            out.push(ts.to_string());
        }
    }
    out
}

#[test]
fn simulate_start_with_offset_and_millisecond_interval() {
    let wd = Workdir::new("sim-start");
    let out = simulate(
        &wd,
        &[
            "--preset",
            "fermenter",
            "--start",
            "2026-03-01T00:00:00+01:00",
            "--interval",
            "250ms",
            "--count",
            "3",
        ],
    );
    assert_eq!(
        distinct_ts(&out),
        [
            "2026-02-28T23:00:00Z",
            "2026-02-28T23:00:00.250Z",
            "2026-02-28T23:00:00.500Z"
        ]
    );
    assert_eq!(out.lines().count(), 3 * 28);
}

#[test]
fn simulate_duration_and_end_give_the_ticks_before_the_end() {
    let wd = Workdir::new("sim-duration");
    let at = |s: u32| format!("2026-01-01T00:{:02}:{:02}Z", s / 60, s % 60);
    let six: Vec<String> = (0..6).map(|i| at(i * 10)).collect();
    let seven: Vec<String> = (0..7).map(|i| at(i * 10)).collect();
    let cases: [(&[&str], &Vec<String>); 4] = [
        (&["--duration", "1m"], &six),
        (&["--end", "2026-01-01T00:01:00Z"], &six),
        // Ticks before the end: 00:01:00 is before 00:01:05.
        (&["--duration", "65s"], &seven),
        (&["--end", "2026-01-01T00:01:05Z"], &seven),
    ];
    for (extra, want) in cases {
        let mut args = vec!["--preset", "fermenter", "--interval", "10s"];
        args.extend_from_slice(extra);
        let out = simulate(&wd, &args);
        assert_eq!(&distinct_ts(&out), want, "simulate {args:?}");
        assert_eq!(out.lines().count(), want.len() * 28, "simulate {args:?}");
    }
}

#[test]
fn simulate_duration_with_count_is_a_usage_error() {
    let wd = Workdir::new("sim-duration-count");
    for extra in [
        ["--duration", "1m", "--count", "3"],
        ["--end", "2026-01-02", "--count", "3"],
    ] {
        let mut cmd = wd.cmd("simulate");
        cmd.args(extra);
        let out = wd.run(&mut cmd);
        let stderr = fails_with(2, &cmd, &out);
        assert!(out.stdout.is_empty(), "data written on a usage error");
        assert!(stderr.contains("cannot be used with"), "{stderr}");
    }
}

#[test]
fn simulate_end_not_after_start_fails() {
    let wd = Workdir::new("sim-end-before");
    let mut cmd = wd.cmd("simulate");
    cmd.args(["--start", "2026-01-02", "--end", "2026-01-01"]);
    let out = wd.run(&mut cmd);
    let stderr = fails_with(1, &cmd, &out);
    assert!(stderr.contains("--end"), "{stderr}");
    assert!(out.stdout.is_empty());
}

// ---------------------------------------------------------------------------
// Pipes and pacing
// ---------------------------------------------------------------------------

#[test]
fn simulate_into_a_closed_pipe_ends_quietly() {
    let wd = Workdir::new("sim-head");
    // `iiot simulate | head -1`: no end given, so only the closed pipe
    // stops it.
    let mut cmd = wd.cmd("simulate");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting iiot");
    let mut first = String::new();
    {
        let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
        reader.read_line(&mut first).expect("reading a line");
    } // the pipe closes here, like head exiting
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("iiot simulate kept running after its reader went away");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("reading stderr");
    let r: serde_json::Value = serde_json::from_str(&first).expect("a JSON line");
    assert_eq!(text(&r, "asset"), "WH-01");
    assert_eq!(status.code(), Some(0), "exit status; stderr: {stderr}");
    assert_eq!(stderr, "", "stderr after a closed pipe");
}

#[test]
fn simulate_realtime_paces_to_the_wall_clock() {
    let wd = Workdir::new("sim-realtime");
    let began = Instant::now();
    let out = simulate(
        &wd,
        &[
            "--preset",
            "fermenter",
            "--realtime",
            "--count",
            "3",
            "--interval",
            "200ms",
        ],
    );
    let took = began.elapsed();
    // Ticks at 0, 200 and 400 ms after the start.
    assert!(took >= Duration::from_millis(390), "took {took:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let ts = distinct_ts(&out);
    assert_eq!(ts.len(), 3, "{ts:?}");
    let ms: Vec<i64> = ts.iter().map(|t| parse_ts(t)).collect();
    assert_eq!(ms[1] - ms[0], 200);
    assert_eq!(ms[2] - ms[1], 200);
}

// ---------------------------------------------------------------------------
// Bad arguments
// ---------------------------------------------------------------------------

fn simulate_fails(wd: &Workdir, args: &[&str]) -> String {
    let mut cmd = wd.cmd("simulate");
    cmd.args(args);
    let out = wd.run(&mut cmd);
    let stderr = fails_with(1, &cmd, &out);
    assert!(out.stdout.is_empty(), "data written before failing");
    stderr
}

#[test]
fn simulate_err_unknown_preset_lists_the_presets() {
    let wd = Workdir::new("sim-err-preset");
    let stderr = simulate_fails(&wd, &["--preset", "wellheads", "--count", "1"]);
    assert!(stderr.starts_with("iiot simulate:"), "{stderr}");
    assert!(stderr.contains("wellheads"), "{stderr}");
    for p in PRESETS {
        assert!(stderr.contains(p), "{p} not listed: {stderr}");
    }
}

#[test]
fn simulate_err_unknown_fault_names_the_kinds() {
    let wd = Workdir::new("sim-err-fault");
    let stderr = simulate_fails(&wd, &["--faults", "spikes=0.1", "--count", "1"]);
    assert!(stderr.contains("spikes"), "{stderr}");
    for kind in ["spike", "drift", "stuck", "dropout"] {
        assert!(stderr.contains(kind), "{kind} not named: {stderr}");
    }
}

#[test]
fn simulate_err_bad_fault_rates() {
    let wd = Workdir::new("sim-err-rate");
    for spec in ["spike=2", "spike=-0.1", "spike", "spike=0.6,stuck=0.6"] {
        let stderr = simulate_fails(&wd, &["--faults", spec, "--count", "1"]);
        assert!(stderr.contains("--faults"), "{spec}: {stderr}");
    }
}

#[test]
fn simulate_err_zero_interval() {
    let wd = Workdir::new("sim-err-interval");
    let stderr = simulate_fails(&wd, &["--interval", "0s", "--count", "1"]);
    assert!(stderr.contains("--interval"), "{stderr}");
}

#[test]
fn simulate_err_zero_assets() {
    let wd = Workdir::new("sim-err-assets");
    let stderr = simulate_fails(&wd, &["--assets", "0", "--count", "1"]);
    assert!(stderr.contains("--assets"), "{stderr}");
}
