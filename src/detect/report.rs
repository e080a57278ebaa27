//! `--alarm-report`: the health of an alarm stream in the terms of ISA-18.2
//! and EEMUA 191, so deadbands and delays can be tuned from evidence.
//!
//! The whole stream counts as one operator position. Alarm rate is raises
//! per 10 minutes (EEMUA 191: about 1 is acceptable, 2 manageable, more is
//! over-demanding); a flood is a 10-minute period (aligned to the epoch)
//! with more than 10 raises; an alarm (series + rule) chatters when it is
//! raised 3 or more times within 60 seconds; it is stale when it stays
//! active 24 hours or more (or is still active, raised 24 hours or more
//! before the end of the stream). Bad actors are the alarms raised most.
//!
//! Acknowledgements (`acked` events in the input) are folded with the
//! raises and clears by [`crate::alarms::Tracker`], the one ISA-18.2 state
//! machine: time to acknowledge is an ack's time minus the raise it
//! acknowledged (mean and longest, and how many raises were never
//! acknowledged); a standing alarm is one still unacknowledged (`unacked`
//! or `rtn_unacked`) 24 hours or more after its raise at the end of the
//! stream. An ack the tracker refuses (never raised, already
//! acknowledged) is counted as refused.
//!
//! Predicted alarms (`forecast --until --events`, `"event":"predicted"`)
//! are no measured alarms: they change no rate, flood, chatter or state
//! figure above and are counted in a section of their own at the end.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::alarms::{State, Tracker};
use crate::record::alarm::{AlarmEvent, EventKind};
use crate::time::{Millis, TsFormatter};

const TEN_MIN: Millis = 600_000;
const FLOOD: u64 = 10;
const CHATTER_WINDOW: Millis = 60_000;
const STALE: Millis = 24 * 3_600_000;

#[derive(Default)]
struct Alarm {
    raises: u64,
    /// The two raises before the latest, for chatter.
    recent: [Option<Millis>; 2],
    chatter: u64,
    active_since: Option<Millis>,
    longest_ms: Millis,
}

#[derive(Default)]
pub(crate) struct AlarmReport {
    alarms: HashMap<(String, String, String), Alarm>,
    per_ten: BTreeMap<i64, u64>,
    first: Option<Millis>,
    last: Millis,
    raises: u64,
    clears: u64,
    /// ISA-18.2 states, for acknowledgements and standing alarms.
    states: Tracker,
    acks: u64,
    refused_acks: u64,
    ack_total_ms: i128,
    /// The longest time to acknowledge, and the alarm.
    ack_longest: Option<(Millis, (String, String, String))>,
    /// Predicted crossings (`forecast --until --events`): how many, and
    /// per alarm the count and the latest event's time. Counted apart,
    /// never as raises.
    predicted: u64,
    predicted_alarms: BTreeMap<(String, String, String), (u64, Millis)>,
}

impl AlarmReport {
    /// Counts one alarm event: a raise, a clear or an ack (an event of a
    /// kind it does not know changes nothing).
    pub(crate) fn observe(&mut self, ev: &AlarmEvent<'_>) {
        let ts = ev.ts;
        let raised = match &ev.event {
            EventKind::Raised => true,
            EventKind::Cleared => false,
            EventKind::Acked { .. } => {
                self.first = Some(self.first.map_or(ts, |f| f.min(ts)));
                self.last = self.last.max(ts);
                match self.states.apply(ev) {
                    Ok(_) => {
                        let a = self.states.get(ev.asset, ev.tag, &ev.rule);
                        if let Some(took) = a.and_then(|a| a.time_to_ack()) {
                            self.acks += 1;
                            self.ack_total_ms += i128::from(took);
                            if self.ack_longest.as_ref().is_none_or(|(l, _)| took > *l) {
                                let key = (
                                    ev.asset.to_string(),
                                    ev.tag.to_string(),
                                    ev.rule.to_string(),
                                );
                                self.ack_longest = Some((took, key));
                            }
                        }
                    }
                    Err(_) => self.refused_acks += 1,
                }
                return;
            }
            // A predicted crossing is no measured alarm: counted in a
            // section of its own, never as a raise.
            EventKind::Predicted => {
                self.predicted += 1;
                let key = (
                    ev.asset.to_string(),
                    ev.tag.to_string(),
                    ev.rule.to_string(),
                );
                let e = self.predicted_alarms.entry(key).or_insert((0, ts));
                e.0 += 1;
                e.1 = e.1.max(ts);
                return;
            }
            EventKind::Other(_) => return,
        };
        let _ = self.states.apply(ev);
        let (asset, tag, rule) = (ev.asset, ev.tag, &*ev.rule);
        self.first = Some(self.first.map_or(ts, |f| f.min(ts)));
        self.last = self.last.max(ts);
        let key = (asset.to_string(), tag.to_string(), rule.to_string());
        let a = self.alarms.entry(key).or_default();
        if raised {
            self.raises += 1;
            a.raises += 1;
            *self.per_ten.entry(ts.div_euclid(TEN_MIN)).or_default() += 1;
            if a.recent[0].is_some_and(|t| ts - t <= CHATTER_WINDOW) {
                a.chatter += 1;
            }
            a.recent = [a.recent[1], Some(ts)];
            a.active_since.get_or_insert(ts);
        } else {
            self.clears += 1;
            if let Some(since) = a.active_since.take() {
                a.longest_ms = a.longest_ms.max(ts - since);
            }
        }
    }

    /// The report as text.
    pub(crate) fn render(&self) -> String {
        let mut o = String::new();
        let fmt = TsFormatter::format;
        let (Some(first), last) = (self.first, self.last) else {
            if self.predicted > 0 {
                o.push_str("alarm report: no measured alarm events\n");
                self.render_predicted(&mut o);
                return o;
            }
            return "alarm report: no alarm events\n".to_string();
        };
        let periods = ((last.div_euclid(TEN_MIN) - first.div_euclid(TEN_MIN)) + 1) as f64;
        let rate = self.raises as f64 / periods;
        let verdict = match rate {
            r if r <= 1.0 => "acceptable (EEMUA 191: about 1 per 10 minutes)",
            r if r <= 2.0 => "manageable (EEMUA 191: up to 2 per 10 minutes)",
            _ => "over-demanding (EEMUA 191: more than 2 per 10 minutes)",
        };
        let _ = writeln!(o, "alarm report: {} to {}", fmt(first), fmt(last));
        let _ = writeln!(
            o,
            "  raised {}, cleared {}, distinct alarms {}",
            self.raises,
            self.clears,
            self.alarms.len()
        );
        let peak = self.per_ten.iter().max_by_key(|(_, n)| **n);
        let _ = writeln!(
            o,
            "alarm rate: {rate:.2} per 10 minutes on average, {verdict}; peak {} in the 10 minutes from {}",
            peak.map_or(0, |(_, n)| *n),
            peak.map_or_else(String::new, |(b, _)| fmt(b * TEN_MIN))
        );
        let busy = self.per_ten.values().filter(|n| **n > 1).count();
        let _ = writeln!(
            o,
            "  10-minute periods with more than 1 alarm: {busy} of {periods} ({:.1}%)",
            100.0 * busy as f64 / periods
        );
        // Floods: runs of consecutive flooded periods.
        let mut floods: Vec<(i64, i64, u64)> = Vec::new();
        for (&b, &n) in &self.per_ten {
            if n <= FLOOD {
                continue;
            }
            match floods.last_mut() {
                Some(f) if f.1 + 1 == b => {
                    f.1 = b;
                    f.2 += n;
                }
                _ => floods.push((b, b, n)),
            }
        }
        let flooded: i64 = floods.iter().map(|f| f.1 - f.0 + 1).sum();
        let _ = writeln!(
            o,
            "floods (more than {FLOOD} alarms in 10 minutes): {}, {:.1}% of the time in flood",
            floods.len(),
            100.0 * flooded as f64 / periods
        );
        for f in floods.iter().take(10) {
            let _ = writeln!(
                o,
                "  {} to {}: {} alarms",
                fmt(f.0 * TEN_MIN),
                fmt((f.1 + 1) * TEN_MIN),
                f.2
            );
        }
        let mut sorted: Vec<_> = self.alarms.iter().collect();
        sorted.sort_by(|a, b| b.1.raises.cmp(&a.1.raises).then(a.0.cmp(b.0)));
        let mut chattering: Vec<_> = sorted.iter().filter(|(_, a)| a.chatter > 0).collect();
        chattering.sort_by(|a, b| b.1.chatter.cmp(&a.1.chatter).then(a.0.cmp(b.0)));
        let _ = writeln!(
            o,
            "chattering alarms (3 or more raises within 60 s): {}",
            chattering.len()
        );
        for ((asset, tag, rule), a) in chattering.iter().take(10) {
            let _ = writeln!(
                o,
                "  {asset} {tag} {rule}: {} raises, {} within 60 s of the two before",
                a.raises, a.chatter
            );
        }
        let stale: Vec<_> = sorted
            .iter()
            .filter(|(_, a)| {
                a.longest_ms >= STALE || a.active_since.is_some_and(|s| last - s >= STALE)
            })
            .collect();
        let _ = writeln!(o, "stale alarms (active 24 h or more): {}", stale.len());
        for ((asset, tag, rule), a) in stale.iter().take(10) {
            let _ = match a.active_since {
                Some(s) if last - s >= STALE => {
                    writeln!(o, "  {asset} {tag} {rule}: active since {}", fmt(s))
                }
                _ => writeln!(
                    o,
                    "  {asset} {tag} {rule}: once active {:.1} h",
                    a.longest_ms as f64 / 3.6e6
                ),
            };
        }
        let _ = writeln!(
            o,
            "acknowledgements: {}, refused {} (never raised or already acknowledged)",
            self.acks, self.refused_acks
        );
        if let Some((longest, (asset, tag, rule))) = &self.ack_longest {
            let mean = (self.ack_total_ms / i128::from(self.acks.max(1))) as f64;
            let _ = writeln!(
                o,
                "  time to acknowledge: mean {}, longest {} ({asset} {tag} {rule})",
                span(mean),
                span(*longest as f64)
            );
        }
        let _ = writeln!(
            o,
            "  raises never acknowledged: {} of {}",
            self.raises.saturating_sub(self.acks),
            self.raises
        );
        let standing: Vec<_> = self
            .states
            .attention()
            .filter(|(_, a)| a.unacked_for(last).is_some_and(|d| d >= STALE))
            .collect();
        let _ = writeln!(
            o,
            "standing alarms (unacknowledged 24 h or more at the end): {}",
            standing.len()
        );
        for (k, a) in standing.iter().take(10) {
            let state = if a.state == State::RtnUnacked {
                "returned to normal, "
            } else {
                ""
            };
            let _ = writeln!(
                o,
                "  {} {} {}: {state}unacknowledged since {}",
                k.asset,
                k.tag,
                k.rule,
                a.raised.map(fmt).unwrap_or_default()
            );
        }
        let _ = writeln!(o, "top bad actors:");
        for ((asset, tag, rule), a) in sorted.iter().take(10) {
            let _ = writeln!(
                o,
                "  {:>6} {:>5.1}%  {asset} {tag} {rule}",
                a.raises,
                100.0 * a.raises as f64 / self.raises.max(1) as f64
            );
        }
        self.render_predicted(&mut o);
        o
    }

    /// The predicted crossings, apart from the measured alarms above.
    fn render_predicted(&self, o: &mut String) {
        let fmt = TsFormatter::format;
        let _ = writeln!(
            o,
            "predicted alarms (forecast crossings, not counted above): {} events, {} alarms",
            self.predicted,
            self.predicted_alarms.len()
        );
        let mut sorted: Vec<_> = self.predicted_alarms.iter().collect();
        sorted.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(a.0.cmp(b.0)));
        for ((asset, tag, rule), (n, latest)) in sorted.iter().take(10) {
            let _ = writeln!(
                o,
                "  {asset} {tag} {rule}: predicted {n} times, latest {}",
                fmt(*latest)
            );
        }
    }
}

/// A duration for the report: seconds below two minutes, then minutes
/// below two hours, then hours.
fn span(ms: f64) -> String {
    let s = ms / 1000.0;
    if s < 120.0 {
        format!("{s:.1} s")
    } else if s < 7200.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}
