//! `--kpi incidents`: downtime incidents and reliability per machine.
//!
//! An incident is a run of a machine's `machine_state` readings in one down
//! state (ERROR and MAINTENANCE unless told otherwise): it starts at the
//! first reading in that state and ends at the first reading in another
//! state. One record per incident, written when it ends (once the scrap
//! counted up to its end has come in: at the machine's next later
//! reading), with the scrap counted during it per `scrap_<reason>`
//! counter. With `open`, the incidents still running at the end of input
//! are written too, ending at their machine's last reading.
//!
//! Per machine and bucket, a reliability record: `incidents` (ended in the
//! bucket), `downtime_s` (their summed durations), `up_s` (time in the
//! bucket in a known state that is not down), `mttr_s` = downtime_s /
//! incidents, `mtbf_s` = up_s / incidents. Buckets close as OEE's do: when
//! a reading of the machine passes the bucket's end, and at the end of input.

use std::collections::HashMap;

use super::buckets::{Aligner, Width};
use crate::record::{Reading, write_json_str, write_number};
use crate::time::Millis;

/// A finished (or, at the end with `open`, running) incident.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub state: String,
    pub start: Millis,
    pub end: Millis,
    /// Scrap per reason during the incident, in the machine's reason order.
    pub scrap: Vec<f64>,
    pub open: bool,
}

/// One machine's reliability bucket.
#[derive(Debug, Clone)]
pub struct ReliabilityBucket {
    pub start: Millis,
    pub end: Millis,
    accrued_to: Millis,
    pub incidents: u64,
    pub downtime_ms: i64,
    pub up_ms: i64,
}

struct Machine {
    asset: String,
    clock: Millis,
    /// The current state's name and whether it is down.
    state: Option<(String, bool)>,
    reasons: Vec<String>,
    scrap_last: Vec<Option<f64>>,
    running: Option<Incident>,
    /// Ended, waiting for the scrap counted at its end time.
    ending: Option<Incident>,
    open: Vec<Option<ReliabilityBucket>>,
}

/// What the engine writes.
pub trait Sink {
    fn incident(&mut self, asset: &str, reasons: &[String], i: &Incident) -> std::io::Result<()>;
    fn bucket(&mut self, asset: &str, w: &Width, b: &ReliabilityBucket) -> std::io::Result<()>;
}

pub struct IncidentEngine {
    widths: Vec<Width>,
    aligner: Aligner,
    down: Vec<String>,
    index: HashMap<String, usize>,
    machines: Vec<Machine>,
}

impl IncidentEngine {
    /// `down`: the state names that make an incident.
    pub fn new(widths: Vec<Width>, aligner: Aligner, down: Vec<String>) -> IncidentEngine {
        IncidentEngine {
            widths,
            aligner,
            down,
            index: HashMap::new(),
            machines: Vec::new(),
        }
    }

    /// Adds one reading; `Ok(false)` when it is older than its machine's
    /// latest (the caller rejects it).
    pub fn push(&mut self, r: &Reading, sink: &mut dyn Sink) -> std::io::Result<bool> {
        let idx = match self.index.get(r.asset.as_str()) {
            Some(&i) => i,
            None => {
                let i = self.machines.len();
                self.index.insert(r.asset.clone(), i);
                self.machines.push(Machine {
                    asset: r.asset.clone(),
                    clock: Millis::MIN,
                    state: None,
                    reasons: Vec::new(),
                    scrap_last: Vec::new(),
                    running: None,
                    ending: None,
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
        if t > m.clock
            && let Some(i) = m.ending.take()
        {
            sink.incident(&m.asset, &m.reasons, &i)?;
        }
        m.clock = t;
        let down_now = m.state.as_ref().map(|s| s.1);
        for (w, slot) in self.widths.iter().zip(m.open.iter_mut()) {
            if let Some(b) = slot
                && t >= b.end
            {
                let end = b.end;
                accrue(b, down_now, end);
                sink.bucket(&m.asset, w, b)?;
                *slot = None;
            }
            let b = slot.get_or_insert_with(|| {
                let (start, end) = self.aligner.bucket(w, t);
                ReliabilityBucket {
                    start,
                    end,
                    accrued_to: start,
                    incidents: 0,
                    downtime_ms: 0,
                    up_ms: 0,
                }
            });
            accrue(b, down_now, t);
        }
        if r.quality != crate::record::Quality::Good {
            return Ok(true);
        }
        if r.tag == "machine_state" {
            // A code without its text: the factory preset's state names.
            let name = match (r.text.is_empty(), r.value) {
                (false, _) => r.text.clone(),
                (true, v) if v.fract() == 0.0 && (0.0..4.0).contains(&v) => {
                    ["IDLE", "RUNNING", "ERROR", "MAINTENANCE"][v as usize].to_string()
                }
                (true, v) => format!("{v}"),
            };
            let same = m.state.as_ref().is_some_and(|s| s.0 == name);
            if !same {
                if let Some(mut i) = m.running.take() {
                    i.end = t;
                    let d = t - i.start;
                    for b in m.open.iter_mut().flatten() {
                        b.incidents += 1;
                        b.downtime_ms += d;
                    }
                    m.ending = Some(i);
                }
                let down = self.down.iter().any(|d| d.eq_ignore_ascii_case(&name));
                if down {
                    m.running = Some(Incident {
                        state: name.clone(),
                        start: t,
                        end: t,
                        scrap: vec![0.0; m.reasons.len()],
                        open: false,
                    });
                }
                m.state = Some((name, down));
            }
        } else if let Some(reason) = r.tag.strip_prefix("scrap_") {
            let i = match m.reasons.iter().position(|x| x == reason) {
                Some(i) => i,
                None => {
                    m.reasons.push(reason.to_string());
                    m.scrap_last.push(None);
                    m.reasons.len() - 1
                }
            };
            let d = match m.scrap_last[i] {
                None => 0.0,
                Some(last) if r.value >= last => r.value - last,
                Some(_) => r.value,
            };
            m.scrap_last[i] = Some(r.value);
            // Counted up to t: inside the incident that runs or just ended
            // at t.
            let target = match (&mut m.ending, &mut m.running) {
                (Some(e), _) if e.end == t => Some(e),
                (_, Some(run)) if run.start < t => Some(run),
                _ => None,
            };
            if let Some(inc) = target {
                if inc.scrap.len() <= i {
                    inc.scrap.resize(i + 1, 0.0);
                }
                inc.scrap[i] += d;
            }
        }
        Ok(true)
    }

    /// The end of input: incidents waiting for their scrap, the running
    /// ones with `open`, and the open buckets up to each machine's last
    /// reading.
    pub fn finish(&mut self, open: bool, sink: &mut dyn Sink) -> std::io::Result<()> {
        for m in &mut self.machines {
            if let Some(i) = m.ending.take() {
                sink.incident(&m.asset, &m.reasons, &i)?;
            }
            if open && let Some(mut i) = m.running.take() {
                i.end = m.clock;
                i.open = true;
                sink.incident(&m.asset, &m.reasons, &i)?;
            }
            let down_now = m.state.as_ref().map(|s| s.1);
            for (w, slot) in self.widths.iter().zip(m.open.iter_mut()) {
                if let Some(mut b) = slot.take() {
                    let until = m.clock.min(b.end);
                    accrue(&mut b, down_now, until);
                    sink.bucket(&m.asset, w, &b)?;
                }
            }
        }
        Ok(())
    }
}

fn accrue(b: &mut ReliabilityBucket, down: Option<bool>, until: Millis) {
    let from = b.accrued_to.max(b.start);
    if until > from {
        if down == Some(false) {
            b.up_ms += until - from;
        }
        b.accrued_to = until;
    }
}

fn field(x: &mut Vec<u8>, k: &str, v: f64) {
    x.extend_from_slice(b",\"");
    x.extend_from_slice(k.as_bytes());
    x.extend_from_slice(b"\":");
    write_number(v, x);
}

fn time_field(x: &mut Vec<u8>, k: &str, ms: Millis) {
    x.extend_from_slice(b",\"");
    x.extend_from_slice(k.as_bytes());
    x.extend_from_slice(b"\":");
    write_json_str(&crate::time::TsFormatter::format(ms), x);
}

/// The extra fields of an incident record (its value is the duration in
/// seconds).
pub fn encode_incident(i: &Incident, reasons: &[String], x: &mut Vec<u8>) -> f64 {
    let duration = (i.end - i.start) as f64 / 1000.0;
    x.clear();
    x.extend_from_slice(b"\"kpi\":\"incidents\",\"state\":");
    write_json_str(&i.state, x);
    time_field(x, "start", i.start);
    time_field(x, "end", i.end);
    field(x, "duration_s", duration);
    x.extend_from_slice(b",\"scrap\":{");
    for (k, reason) in reasons.iter().enumerate() {
        if k > 0 {
            x.push(b',');
        }
        write_json_str(reason, x);
        x.push(b':');
        write_number(i.scrap.get(k).copied().unwrap_or(0.0), x);
    }
    x.push(b'}');
    if i.open {
        x.extend_from_slice(b",\"open\":true");
    }
    duration
}

/// The extra fields of a reliability record; its value is the MTTR in
/// seconds (0 without incidents).
pub fn encode_bucket(b: &ReliabilityBucket, every: &str, x: &mut Vec<u8>) -> f64 {
    x.clear();
    x.extend_from_slice(b"\"every\":");
    write_json_str(every, x);
    x.extend_from_slice(b",\"kpi\":\"reliability\"");
    let downtime = b.downtime_ms as f64 / 1000.0;
    let up = b.up_ms as f64 / 1000.0;
    field(x, "incidents", b.incidents as f64);
    field(x, "downtime_s", downtime);
    field(x, "up_s", up);
    if b.incidents > 0 {
        let n = b.incidents as f64;
        field(x, "mttr_s", downtime / n);
        field(x, "mtbf_s", up / n);
        downtime / n
    } else {
        0.0
    }
}
