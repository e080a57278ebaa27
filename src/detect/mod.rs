//! The detection engine behind `iiot detect`: per series (asset + tag) it
//! keeps the state of each rule that watches it — a rolling window, the
//! last value, an alarm's on-delay — and turns each reading into flags
//! (anomalies on the reading) and alarm events (raised/cleared, one per
//! transition). Memory grows with series × window, never with readings.
//!
//! Gaps are found by the stream clock (the latest time seen on any series):
//! a heap holds one deadline per watched series, so a sensor that goes quiet
//! for good is reported while the others keep talking.

pub(crate) mod report;
pub(crate) mod rules;
pub(crate) mod score;
pub(crate) mod state;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::record::alarm::{AlarmEvent, Anomaly, EventKind};
use crate::record::{Quality, Reading};
use crate::time::Millis;
use rules::{Check, RuleSet};

/// A rule's judgement of one reading.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Flag {
    pub rule: u32,
    pub limit: f64,
}

/// An alarm transition.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub ts: Millis,
    pub series: u32,
    pub raised: bool,
    pub rule: u32,
    pub value: f64,
    pub limit: f64,
}

/// The rolling window of a z-score rule.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Window {
    pub values: VecDeque<f64>,
    /// Sums of (value − shift) and of its square, kept as values come and
    /// go; recomputed from the values every `cap` pushes so rounding never
    /// accumulates.
    #[serde(skip)]
    sum: f64,
    #[serde(skip)]
    sumsq: f64,
    #[serde(skip)]
    shift: f64,
    #[serde(skip)]
    pushes: usize,
    pub last_flagged: bool,
}

impl Window {
    fn recompute(&mut self) {
        let n = self.values.len().max(1) as f64;
        self.shift = self.values.iter().sum::<f64>() / n;
        self.sum = self.values.iter().map(|v| v - self.shift).sum();
        self.sumsq = self.values.iter().map(|v| (v - self.shift).powi(2)).sum();
        self.pushes = 0;
    }

    fn push(&mut self, v: f64, cap: usize) {
        if self.values.is_empty() {
            (self.shift, self.sum, self.sumsq) = (v, 0.0, 0.0);
        }
        // `>=`: a window restored from a state file or reloaded rules may
        // hold more than a smaller new cap; it shrinks to the cap here.
        while self.values.len() >= cap.max(1)
            && let Some(old) = self.values.pop_front()
        {
            let d = old - self.shift;
            self.sum -= d;
            self.sumsq -= d * d;
        }
        self.values.push_back(v);
        let d = v - self.shift;
        self.sum += d;
        self.sumsq += d * d;
        self.pushes += 1;
        if self.pushes >= cap {
            self.recompute();
        }
    }

    /// Mean and sample standard deviation.
    fn stats(&self) -> (f64, f64) {
        let n = self.values.len() as f64;
        let mean_d = self.sum / n;
        let var = ((self.sumsq - self.sum * mean_d) / (n - 1.0)).max(0.0);
        (self.shift + mean_d, var.sqrt())
    }
}

/// What a rule remembers about one series.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub(crate) enum Memory {
    Threshold { pending_since: Option<Millis> },
    Range,
    Zscore(Window),
    Roc { prev: Option<(Millis, f64)> },
    Stuck { value: f64, run: u32 },
    Gap { interval_ms: f64, deadline: Millis },
}

impl Memory {
    fn new(check: &Check) -> Memory {
        match check {
            Check::Threshold { .. } => Memory::Threshold {
                pending_since: None,
            },
            Check::Range { .. } => Memory::Range,
            Check::ZScore { .. } => Memory::Zscore(Window::default()),
            Check::Roc { .. } => Memory::Roc { prev: None },
            Check::Stuck { .. } => Memory::Stuck { value: 0.0, run: 0 },
            Check::Gap { .. } => Memory::Gap {
                interval_ms: 0.0,
                deadline: i64::MAX,
            },
        }
    }

    fn same_kind(&self, check: &Check) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(&Memory::new(check))
    }
}

/// One rule on one series.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub rule: u32,
    pub memory: Memory,
    pub active: bool,
    /// For gap slots: whether the heap holds an entry for it.
    in_heap: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub asset: String,
    pub tag: String,
    pub unit: String,
    pub slots: Vec<Slot>,
    pub last_ts: Option<Millis>,
    pub last_value: f64,
}

/// The engine: rules, series and the stream clock.
pub(crate) struct Engine {
    pub rules: RuleSet,
    pub series: Vec<Series>,
    index: HashMap<String, u32>,
    key: String,
    pub clock: Millis,
    heap: BinaryHeap<Reverse<(Millis, u32, u32)>>,
    pub flags: Vec<Flag>,
    pub events: Vec<Event>,
}

impl Engine {
    pub(crate) fn new(rules: RuleSet) -> Engine {
        Engine {
            rules,
            series: Vec::new(),
            index: HashMap::new(),
            key: String::new(),
            clock: i64::MIN,
            heap: BinaryHeap::new(),
            flags: Vec::new(),
            events: Vec::new(),
        }
    }

    /// The series of `asset`/`tag`, created with its rules on first sight.
    pub(crate) fn series_id(&mut self, asset: &str, tag: &str) -> u32 {
        self.key.clear();
        self.key.push_str(asset);
        self.key.push('\0');
        self.key.push_str(tag);
        if let Some(&id) = self.index.get(self.key.as_str()) {
            return id;
        }
        let id = self.series.len() as u32;
        let slots = self.fresh_slots(asset, tag);
        self.series.push(Series {
            asset: asset.to_string(),
            tag: tag.to_string(),
            unit: String::new(),
            slots,
            last_ts: None,
            last_value: f64::NAN,
        });
        self.index.insert(self.key.clone(), id);
        id
    }

    /// A series' slots, stuck before zscore: a stuck value is kept out of
    /// the rolling window.
    fn fresh_slots(&self, asset: &str, tag: &str) -> Vec<Slot> {
        let mut ids = self.rules.resolve(asset, tag);
        let order = |c: &Check| match c {
            Check::Range { .. } | Check::Gap { .. } => 0,
            Check::Stuck { .. } => 1,
            Check::ZScore { .. } => 3,
            _ => 2,
        };
        ids.sort_by_key(|&r| order(&self.rules.rules[r as usize].check));
        ids.into_iter()
            .map(|rule| Slot {
                rule,
                memory: Memory::new(&self.rules.rules[rule as usize].check),
                active: false,
                in_heap: false,
            })
            .collect()
    }

    /// Swaps in new rules, keeping each series' windows and active alarms
    /// for rules whose name and kind are unchanged; an active alarm whose
    /// rule is gone is cleared.
    pub(crate) fn reload(&mut self, rules: RuleSet) {
        let old = std::mem::replace(&mut self.rules, rules);
        self.heap.clear();
        for sid in 0..self.series.len() {
            let s = &self.series[sid];
            let mut slots = self.fresh_slots(&s.asset, &s.tag);
            let old_slots = std::mem::take(&mut self.series[sid].slots);
            for o in old_slots {
                let name = &old.rules[o.rule as usize].name;
                let found = slots
                    .iter_mut()
                    .find(|n| &self.rules.rules[n.rule as usize].name == name);
                match found {
                    Some(n) if o.memory.same_kind(&self.rules.rules[n.rule as usize].check) => {
                        n.memory = o.memory;
                        n.active = o.active;
                    }
                    _ if o.active => {
                        // The event names the rule as it was.
                        let mut gone = old.rules[o.rule as usize].clone();
                        gone.retired = true;
                        self.rules.rules.push(gone);
                        let s = &self.series[sid];
                        self.events.push(Event {
                            ts: self.clock,
                            series: sid as u32,
                            raised: false,
                            rule: (self.rules.rules.len() - 1) as u32,
                            value: s.last_value,
                            limit: f64::NAN,
                        });
                    }
                    _ => {}
                }
            }
            self.series[sid].slots = slots;
            self.rearm(sid as u32);
        }
    }

    /// Puts a series' gap deadlines (back) on the heap.
    pub(crate) fn rearm(&mut self, sid: u32) {
        for (i, slot) in self.series[sid as usize].slots.iter_mut().enumerate() {
            if let Memory::Gap { deadline, .. } = slot.memory
                && deadline != i64::MAX
                && !slot.active
            {
                self.heap.push(Reverse((deadline, sid, i as u32)));
                slot.in_heap = true;
            }
        }
    }

    /// Judges one reading: fills `flags` (for this reading) and appends to
    /// `events`. A value outside the physical range makes the reading bad;
    /// a reading that is not good quality is judged by nothing but the gap
    /// rules (the series is alive) and leaves every window as it was.
    pub(crate) fn process(&mut self, r: &mut Reading) -> u32 {
        self.flags.clear();
        let sid = self.series_id(&r.asset, &r.tag);
        let rules = &self.rules.rules;
        let s = &mut self.series[sid as usize];
        if s.unit != r.unit {
            s.unit.clone_from(&r.unit);
        }
        let (ts, v) = (r.ts, r.value);
        let prev_ts = s.last_ts;
        // Range first: it decides whether the value is worth judging.
        let mut good = r.quality == Quality::Good;
        for (i, slot) in s.slots.iter_mut().enumerate() {
            let rule = &rules[slot.rule as usize];
            let hit = match rule.check {
                Check::Range { min, max } if good => {
                    if min.is_some_and(|m| v < m) {
                        min
                    } else if max.is_some_and(|m| v > m) {
                        max
                    } else {
                        None
                    }
                }
                Check::Gap { factor } => gap_arrival(
                    slot,
                    factor,
                    ts,
                    prev_ts,
                    sid,
                    i,
                    &mut self.heap,
                    &mut self.events,
                    &mut self.flags,
                    s.last_value,
                    v,
                ),
                _ => continue,
            };
            if let Check::Range { .. } = rule.check {
                if let Some(limit) = hit {
                    good = false;
                    r.quality = Quality::Bad;
                    self.flags.push(Flag {
                        rule: slot.rule,
                        limit,
                    });
                }
                transition(
                    slot,
                    hit.is_some(),
                    ts,
                    sid,
                    v,
                    hit.unwrap_or(f64::NAN),
                    &mut self.events,
                );
            }
        }
        if good {
            let mut stuck = false;
            for slot in s.slots.iter_mut() {
                let rule = &rules[slot.rule as usize];
                let (flag, limit) = match (&rule.check, &mut slot.memory) {
                    (
                        &Check::Threshold {
                            limit,
                            above,
                            deadband,
                            delay_ms,
                        },
                        Memory::Threshold { pending_since },
                    ) => {
                        let beyond = if above { v > limit } else { v < limit };
                        let back = if above {
                            v < limit - deadband
                        } else {
                            v > limit + deadband
                        };
                        let mut on = slot.active;
                        if on {
                            if back {
                                on = false;
                                *pending_since = None;
                            }
                        } else if beyond {
                            let since = *pending_since.get_or_insert(ts);
                            on = ts.saturating_sub(since) >= delay_ms;
                        } else {
                            *pending_since = None;
                        }
                        (on, limit)
                    }
                    (
                        &Check::ZScore {
                            k,
                            window,
                            min_samples,
                        },
                        Memory::Zscore(w),
                    ) => {
                        let mut flag = false;
                        let mut limit = f64::NAN;
                        if stuck {
                            // Not judged, and kept out of the window.
                            w.last_flagged = false;
                            transition(slot, false, ts, sid, v, limit, &mut self.events);
                            continue;
                        }
                        if w.values.len() >= min_samples.max(2) {
                            let (mean, sd) = w.stats();
                            if sd > 0.0 && (v - mean).abs() > k * sd {
                                flag = true;
                                limit = if v > mean {
                                    mean + k * sd
                                } else {
                                    mean - k * sd
                                };
                            }
                        }
                        // A lone outlier stays out of the window; a second
                        // flagged reading in a row goes in, so the band
                        // follows a real change of level.
                        if !flag || w.last_flagged {
                            w.push(v, window);
                        }
                        w.last_flagged = flag;
                        (flag, limit)
                    }
                    (&Check::Roc { per_sec }, Memory::Roc { prev }) => {
                        let mut flag = false;
                        if let Some((pt, pv)) = *prev
                            && ts > pt
                        {
                            let rate = (v - pv).abs() / (ts.saturating_sub(pt) as f64 / 1000.0);
                            flag = rate > per_sec;
                        }
                        *prev = Some((ts, v));
                        (flag, per_sec)
                    }
                    (&Check::Stuck { count }, Memory::Stuck { value, run }) => {
                        if *run > 0 && v.to_bits() == value.to_bits() {
                            *run = run.saturating_add(1);
                        } else {
                            *value = v;
                            *run = 1;
                        }
                        stuck |= *run >= count;
                        (*run >= count, f64::from(count))
                    }
                    _ => continue,
                };
                if flag {
                    self.flags.push(Flag {
                        rule: slot.rule,
                        limit,
                    });
                }
                transition(slot, flag, ts, sid, v, limit, &mut self.events);
            }
        }
        s.last_ts = Some(prev_ts.map_or(ts, |p| p.max(ts)));
        s.last_value = v;
        self.advance_clock(ts);
        sid
    }

    /// The flags of the reading just processed, as its `anomalies`.
    pub(crate) fn anomalies(&self) -> impl Iterator<Item = Anomaly<'_>> + '_ {
        self.flags.iter().map(|f| {
            let rule = &self.rules.rules[f.rule as usize];
            Anomaly {
                rule: rule.name.as_str().into(),
                kind: Some(rule.check.kind().into()),
                severity: Some(rule.severity.as_str().into()),
                limit: f.limit.is_finite().then_some(f.limit),
            }
        })
    }

    /// An alarm transition as the event record written for it.
    pub(crate) fn alarm_event(&self, e: &Event) -> AlarmEvent<'_> {
        let s = &self.series[e.series as usize];
        let rule = &self.rules.rules[e.rule as usize];
        AlarmEvent {
            ts: e.ts,
            asset: &s.asset,
            tag: &s.tag,
            unit: &s.unit,
            value: e.value,
            event: if e.raised {
                EventKind::Raised
            } else {
                EventKind::Cleared
            },
            rule: rule.name.as_str().into(),
            kind: Some(rule.check.kind().into()),
            severity: Some(rule.severity.as_str().into()),
            limit: e.limit.is_finite().then_some(e.limit),
        }
    }

    /// Moves the stream clock and raises a gap alarm on every series whose
    /// deadline it has passed.
    pub(crate) fn advance_clock(&mut self, ts: Millis) {
        if ts <= self.clock {
            return;
        }
        self.clock = ts;
        while let Some(&Reverse((deadline, sid, i))) = self.heap.peek() {
            if deadline >= self.clock {
                break;
            }
            self.heap.pop();
            let s = &mut self.series[sid as usize];
            let Some(slot) = s.slots.get_mut(i as usize) else {
                continue;
            };
            let Memory::Gap {
                deadline: current,
                interval_ms,
            } = slot.memory
            else {
                continue;
            };
            if current > deadline {
                self.heap.push(Reverse((current, sid, i)));
                continue;
            }
            slot.in_heap = false;
            if !slot.active {
                slot.active = true;
                let factor = match self.rules.rules[slot.rule as usize].check {
                    Check::Gap { factor } => factor,
                    _ => 1.0,
                };
                self.events.push(Event {
                    ts: deadline,
                    series: sid,
                    raised: true,
                    rule: slot.rule,
                    value: s.last_value,
                    limit: factor * interval_ms / 1000.0,
                });
            }
        }
    }
}

/// Raises or clears a slot's alarm on a change of its condition.
fn transition(
    slot: &mut Slot,
    on: bool,
    ts: Millis,
    sid: u32,
    v: f64,
    limit: f64,
    events: &mut Vec<Event>,
) {
    if on != slot.active {
        slot.active = on;
        events.push(Event {
            ts,
            series: sid,
            raised: on,
            rule: slot.rule,
            value: v,
            limit,
        });
    }
}

/// A reading arrives on a series with a gap rule: flags it when it ends a
/// silence longer than the rule allows (raising and clearing the alarm if
/// the clock had not already raised it), learns the usual interval from the
/// others, and sets the next deadline. Returns the flag's limit (seconds).
#[allow(clippy::too_many_arguments)]
fn gap_arrival(
    slot: &mut Slot,
    factor: f64,
    ts: Millis,
    prev_ts: Option<Millis>,
    sid: u32,
    i: usize,
    heap: &mut BinaryHeap<Reverse<(Millis, u32, u32)>>,
    events: &mut Vec<Event>,
    flags: &mut Vec<Flag>,
    last_value: f64,
    v: f64,
) -> Option<f64> {
    let Memory::Gap {
        interval_ms,
        deadline,
    } = &mut slot.memory
    else {
        return None;
    };
    let mut hit = None;
    if let Some(p) = prev_ts {
        let dt = ts.saturating_sub(p) as f64;
        if dt > 0.0 {
            let allowed = factor * *interval_ms;
            if *interval_ms > 0.0 && dt > allowed {
                let limit = allowed / 1000.0;
                hit = Some(limit);
                flags.push(Flag {
                    rule: slot.rule,
                    limit,
                });
                if !slot.active {
                    events.push(Event {
                        ts: p.saturating_add(allowed as i64),
                        series: sid,
                        raised: true,
                        rule: slot.rule,
                        value: last_value,
                        limit,
                    });
                }
                events.push(Event {
                    ts,
                    series: sid,
                    raised: false,
                    rule: slot.rule,
                    value: v,
                    limit,
                });
                slot.active = false;
            } else {
                *interval_ms = if *interval_ms == 0.0 {
                    dt
                } else {
                    0.9 * *interval_ms + 0.1 * dt
                };
            }
        }
    }
    if *interval_ms > 0.0 {
        // `as` saturates a huge factor; the add must too.
        *deadline = ts
            .max(prev_ts.unwrap_or(ts))
            .saturating_add((factor * *interval_ms) as i64);
        if !slot.in_heap {
            heap.push(Reverse((*deadline, sid, i as u32)));
            slot.in_heap = true;
        }
    }
    hit
}

#[cfg(test)]
mod tests {
    use super::rules::{RuleSet, Shorthands};
    use super::*;
    use proptest::prelude::*;

    fn two_pass(v: &[f64]) -> (f64, f64) {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var.sqrt())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, .. ProptestConfig::default() })]

        /// The sliding sums give the two-pass mean and deviation of what
        /// the window holds, however long the stream.
        #[test]
        fn prop_window_stats_match_two_pass(
            base in -1e4f64..1e4,
            steps in proptest::collection::vec(-50.0f64..50.0, 2..400),
            cap in 2usize..60,
        ) {
            let mut w = Window::default();
            for s in &steps {
                w.push(base + s, cap);
                if w.values.len() >= 2 {
                    let v: Vec<f64> = w.values.iter().copied().collect();
                    let (m1, s1) = w.stats();
                    let (m2, s2) = two_pass(&v);
                    prop_assert!((m1 - m2).abs() <= 1e-9 * (1.0 + m2.abs()));
                    prop_assert!((s1 - s2).abs() <= 1e-7 * (1.0 + s2));
                }
            }
        }

        /// Per series and rule, events alternate raised, cleared, raised…
        /// and a reading is flagged exactly while its alarm is active.
        #[test]
        fn prop_events_alternate_and_match_flags(
            values in proptest::collection::vec(0u8..6, 1..200),
        ) {
            let flags = Shorthands { stuck: Some(3), zscore: Some(1.5), window: Some(5), min_samples: Some(3), roc: Some("2/s".into()), ..Shorthands::default() };
            let mut e = Engine::new(RuleSet::build(None, None, &flags).unwrap());
            let mut r = Reading::default();
            let mut active = vec![false; e.rules.rules.len()];
            for (i, v) in values.iter().enumerate() {
                r.clear();
                r.asset.push('A');
                r.tag.push('t');
                r.ts = i as i64 * 1000;
                r.value = f64::from(*v);
                e.process(&mut r);
                for ev in e.events.drain(..) {
                    prop_assert_eq!(ev.raised, !active[ev.rule as usize]);
                    active[ev.rule as usize] = ev.raised;
                }
                for (rule, on) in active.iter().enumerate() {
                    let flagged = e.flags.iter().any(|f| f.rule as usize == rule);
                    prop_assert_eq!(flagged, *on);
                }
            }
        }
    }
}
