//! `--kpi oee`: overall equipment effectiveness per machine per bucket, from
//! the factory preset's tags.
//!
//! Per asset it reads `machine_state` (text `IDLE`, `RUNNING`, `ERROR`,
//! `MAINTENANCE`, or their codes 0–3 when no text comes), the counters
//! `parts_produced` and `scrap_<reason>`, and `ideal_rate` (parts per
//! second). A state holds from its reading until the next state reading,
//! across bucket boundaries. Planned time is all time in a known state
//! except MAINTENANCE; availability = RUNNING / planned; performance =
//! produced / (ideal_rate × RUNNING time); quality_rate = good / produced, where
//! `parts_produced` is the total count and good = produced − all scrap; OEE =
//! availability × performance × quality. A counter that goes down was reset:
//! its new value is what was counted since. A bucket closes when a reading
//! of its machine passes its end (state time runs to the end); the last
//! buckets at the end of input count time up to the machine's last reading.

use std::collections::HashMap;

use super::buckets::{Aligner, Width};
use crate::record::{Reading, write_json_str, write_number};
use crate::time::Millis;

const STATES: [&str; 4] = ["IDLE", "RUNNING", "ERROR", "MAINTENANCE"];
pub(crate) const RUNNING: usize = 1;
pub(crate) const ERROR: usize = 2;
pub(crate) const MAINTENANCE: usize = 3;
/// A state the model does not name: planned, not running.
const OTHER: usize = 4;

/// `x` saturated to f64's finite range. Finite readings can still add or
/// multiply past it (a rate of 1e306 parts/s for an hour, a counter jumping
/// from −1e308 to 1e308); a KPI record must hold numbers `iiot cat` reads
/// back, and the nearest one is f64::MAX. Every sum and quotient here is
/// saturated as it is made, so none meets an infinity and none is NaN.
#[inline]
fn sat(x: f64) -> f64 {
    x.clamp(-f64::MAX, f64::MAX)
}

/// One machine's bucket.
#[derive(Debug, Clone)]
pub(crate) struct KpiBucket {
    pub start: Millis,
    pub end: Millis,
    accrued_to: Millis,
    /// Milliseconds in each state (the four, then any other).
    pub state_ms: [i64; 5],
    /// Parts the machine would have made at its ideal rate while running.
    pub ideal: f64,
    pub produced: f64,
    /// Per scrap reason, in the machine's order of `reasons`.
    pub scrap: Vec<f64>,
    /// ERROR periods that began in the bucket.
    pub errors: u64,
}

struct Counter {
    last: Option<f64>,
}

struct Machine {
    asset: String,
    clock: Millis,
    state: Option<usize>,
    rate: f64,
    produced: Counter,
    reasons: Vec<String>,
    scrap: Vec<Counter>,
    open: Vec<Option<KpiBucket>>,
}

/// The KPI engine; `emit` gets each closed bucket with its machine's name
/// and scrap reasons.
pub(crate) struct KpiEngine {
    widths: Vec<Width>,
    aligner: Aligner,
    index: HashMap<String, usize>,
    machines: Vec<Machine>,
}

/// Written for each closed bucket.
pub(crate) type Emit<'a> =
    dyn FnMut(&str, &[String], &Width, &KpiBucket) -> std::io::Result<()> + 'a;

impl KpiEngine {
    pub fn new(widths: Vec<Width>, aligner: Aligner) -> KpiEngine {
        KpiEngine {
            widths,
            aligner,
            index: HashMap::new(),
            machines: Vec::new(),
        }
    }

    /// Adds one reading. `Ok(false)` when it is older than its machine's
    /// latest reading (the caller rejects it). Tags that are not OEE inputs
    /// and readings of bad quality move the clock only.
    pub fn push(&mut self, r: &Reading, emit: &mut Emit<'_>) -> std::io::Result<bool> {
        let idx = match self.index.get(r.asset.as_str()) {
            Some(&i) => i,
            None => {
                let i = self.machines.len();
                self.index.insert(r.asset.clone(), i);
                self.machines.push(Machine {
                    asset: r.asset.clone(),
                    clock: Millis::MIN,
                    state: None,
                    rate: 0.0,
                    produced: Counter { last: None },
                    reasons: Vec::new(),
                    scrap: Vec::new(),
                    open: vec![None; self.widths.len()],
                });
                i
            }
        };
        let m = &mut self.machines[idx];
        let t = r.ts;
        if t < m.clock {
            return Ok(false);
        }
        m.clock = t;
        for (w, slot) in self.widths.iter().zip(m.open.iter_mut()) {
            if let Some(b) = slot {
                if t >= b.end {
                    let end = b.end;
                    accrue(b, m.state, m.rate, end);
                    emit(&m.asset, &m.reasons, w, b)?;
                    *slot = None;
                }
            }
            let b = slot.get_or_insert_with(|| {
                let (start, end) = self.aligner.bucket(w, t);
                KpiBucket {
                    start,
                    end,
                    accrued_to: start,
                    state_ms: [0; 5],
                    ideal: 0.0,
                    produced: 0.0,
                    scrap: Vec::new(),
                    errors: 0,
                }
            });
            accrue(b, m.state, m.rate, t);
        }
        if r.quality != crate::record::Quality::Good {
            return Ok(true);
        }
        let tag = r.tag.as_str();
        if tag == "machine_state" {
            let s = if r.text.is_empty() {
                let code = r.value;
                if code.fract() == 0.0 && (0.0..4.0).contains(&code) {
                    code as usize
                } else {
                    OTHER
                }
            } else {
                STATES
                    .iter()
                    .position(|n| n.eq_ignore_ascii_case(&r.text))
                    .unwrap_or(OTHER)
            };
            if s == ERROR && m.state != Some(ERROR) {
                for b in m.open.iter_mut().flatten() {
                    b.errors += 1;
                }
            }
            m.state = Some(s);
        } else if tag == "ideal_rate" {
            m.rate = r.value;
        } else if tag == "parts_produced" {
            let d = m.produced.step(r.value);
            for b in m.open.iter_mut().flatten() {
                b.produced = sat(b.produced + d);
            }
        } else if let Some(reason) = tag.strip_prefix("scrap_") {
            let i = match m.reasons.iter().position(|x| x == reason) {
                Some(i) => i,
                None => {
                    m.reasons.push(reason.to_string());
                    m.scrap.push(Counter { last: None });
                    m.reasons.len() - 1
                }
            };
            let d = m.scrap[i].step(r.value);
            for b in m.open.iter_mut().flatten() {
                if b.scrap.len() <= i {
                    b.scrap.resize(i + 1, 0.0);
                }
                b.scrap[i] = sat(b.scrap[i] + d);
            }
        }
        Ok(true)
    }

    /// Writes the open buckets, time counted up to each machine's last
    /// reading.
    pub fn finish(&mut self, emit: &mut Emit<'_>) -> std::io::Result<()> {
        for m in &mut self.machines {
            for (w, slot) in self.widths.iter().zip(m.open.iter_mut()) {
                if let Some(mut b) = slot.take() {
                    let until = m.clock.min(b.end);
                    accrue(&mut b, m.state, m.rate, until);
                    emit(&m.asset, &m.reasons, w, &b)?;
                }
            }
        }
        Ok(())
    }
}

impl Counter {
    /// What the counter counted since its last reading; a decrease is a
    /// reset (or a wrap), after which it counted its new value.
    fn step(&mut self, v: f64) -> f64 {
        let d = match self.last {
            None => 0.0,
            Some(last) if v >= last => sat(v - last),
            Some(_) => v,
        };
        self.last = Some(v);
        d
    }
}

fn accrue(b: &mut KpiBucket, state: Option<usize>, rate: f64, until: Millis) {
    let from = b.accrued_to.max(b.start);
    if until > from {
        if let Some(s) = state {
            b.state_ms[s] += until - from;
            if s == RUNNING {
                let ms = (until - from) as f64;
                // Seconds first only when rate × ms overflows, so ordinary
                // rates keep the rounding they always had.
                let parts = match rate * ms {
                    x if x.is_finite() => x / 1000.0,
                    _ => rate * (ms / 1000.0),
                };
                b.ideal = sat(b.ideal + parts);
            }
        }
        b.accrued_to = until;
    }
}

/// The extra fields of a KPI record, and its value (OEE; `None` when there
/// was no planned time).
pub(crate) fn encode(
    b: &KpiBucket,
    reasons: &[String],
    every: &str,
    x: &mut Vec<u8>,
) -> Option<f64> {
    let planned = b.state_ms.iter().sum::<i64>() - b.state_ms[MAINTENANCE];
    let running = b.state_ms[RUNNING];
    let scrap = sat(b.scrap.iter().sum());
    let good = sat(b.produced - scrap).max(0.0);
    let availability = (planned > 0).then(|| running as f64 / planned as f64);
    let performance = (b.ideal > 0.0).then(|| sat(b.produced / b.ideal));
    let quality = (b.produced > 0.0).then(|| sat(good / b.produced));
    let oee = match (availability, performance, quality) {
        (Some(a), Some(p), Some(q)) => Some(sat(a * p * q)),
        (Some(a), p, _) if a == 0.0 || p == Some(0.0) => Some(0.0),
        _ => None,
    };
    x.clear();
    x.extend_from_slice(b"\"every\":");
    write_json_str(every, x);
    x.extend_from_slice(b",\"kpi\":\"oee\"");
    let field = |x: &mut Vec<u8>, k: &str, v: Option<f64>| {
        if let Some(v) = v {
            x.extend_from_slice(b",\"");
            x.extend_from_slice(k.as_bytes());
            x.extend_from_slice(b"\":");
            write_number(v, x);
        }
    };
    field(x, "availability", availability);
    field(x, "performance", performance);
    // Not `quality`: records keep that name for good/uncertain/bad.
    field(x, "quality_rate", quality);
    field(x, "oee", oee);
    field(x, "planned_s", Some(planned as f64 / 1000.0));
    field(x, "running_s", Some(running as f64 / 1000.0));
    field(x, "produced", Some(b.produced));
    field(x, "good", Some(good));
    field(x, "ideal", Some(b.ideal));
    for (name, per_part) in [("scrap", false), ("scrap_rate", true)] {
        x.extend_from_slice(b",\"");
        x.extend_from_slice(name.as_bytes());
        x.extend_from_slice(b"\":{");
        for (i, reason) in reasons.iter().enumerate() {
            if i > 0 {
                x.push(b',');
            }
            write_json_str(reason, x);
            x.push(b':');
            let n = b.scrap.get(i).copied().unwrap_or(0.0);
            let v = if per_part {
                if b.produced > 0.0 {
                    sat(n / b.produced)
                } else {
                    0.0
                }
            } else {
                n
            };
            write_number(v, x);
        }
        x.push(b'}');
    }
    field(x, "errors", Some(b.errors as f64));
    field(x, "error_s", Some(b.state_ms[ERROR] as f64 / 1000.0));
    x.extend_from_slice(b",\"state_s\":{");
    for (i, name) in STATES.iter().chain(["OTHER"].iter()).enumerate() {
        if i > 0 {
            x.push(b',');
        }
        write_json_str(name, x);
        x.push(b':');
        write_number(b.state_ms[i] as f64 / 1000.0, x);
    }
    x.push(b'}');
    oee
}
