//! `iiot simulate`: byte-identical output per seed, the shape of the five
//! presets (series, units, normal ranges), profiles that behave (counters,
//! Markov states, correlations), fault injection at the requested rates
//! with truthful labels, time arguments, pipes, pacing and bad arguments.
//!
//! Expectations come from the contract (DESIGN §2–§4), docs/model.md and
//! the model CSV that `iiot model --preset` prints, never from the output.

mod args;
mod faults;
mod signal;

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::util::{Workdir, fails_with, num, parse_ndjson, run_ok, text};

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

/// `iiot simulate ARGS`, the arguments split at spaces; returns stdout.
fn simulate(wd: &Workdir, args: &str) -> String {
    run_ok(wd, wd.cmd("simulate").args(args.split_whitespace()))
}

fn simulate_run(wd: &Workdir, args: &str) -> Run {
    parse_run(&simulate(wd, args), |_| true)
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
