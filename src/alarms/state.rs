//! The ISA-18.2 alarm state of each alarm (asset, tag, rule), folded from
//! its events.
//!
//! States:
//!
//! | state | the condition | acknowledged |
//! |---|---|---|
//! | [`State::Normal`] | ended | yes (or never raised) |
//! | [`State::Unacked`] | active | no |
//! | [`State::Acked`] | active | yes |
//! | [`State::RtnUnacked`] | ended (returned to normal) | no |
//!
//! Every state but `Normal` needs attention. Transitions:
//!
//! - `raised` starts an occurrence: whatever the state was, the alarm is
//!   `Unacked` from the event's time, its raise time, value, kind,
//!   severity and limit those of the event, any earlier acknowledgement
//!   forgotten. (A raise while already active is not something `detect`
//!   writes; taken as a new occurrence, the state at a time depends only
//!   on the events since the last raise, which is what lets a store answer
//!   "active at T" from its index instead of every event.)
//! - `cleared`: `Unacked` → `RtnUnacked`, `Acked` → `Normal`; a clear of
//!   an alarm already ended changes nothing.
//! - `acked`: `Unacked` → `Acked`, `RtnUnacked` → `Normal` (an alarm that
//!   cleared unacknowledged still takes its ack); refused — with a
//!   [`Refusal`] saying why — for an alarm never raised, one whose
//!   occurrence is already acknowledged, and an ack older than the raise
//!   it would acknowledge.
//! - an event kind this version does not know is refused
//!   ([`Refusal::Unknown`]): a tracker cannot tell what it does.
//!
//! The tracker takes each alarm's events in time order (a stream as
//! `detect --events` writes it, or a store's events read by time). It
//! keeps one entry per alarm it has seen, so its memory grows with the
//! number of alarms, not of events.

use std::collections::BTreeMap;
use std::fmt;

use crate::record::alarm::{AlarmEvent, EventKind};
use crate::time::{Millis, TsFormatter};

/// An alarm's ISA-18.2 state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// Not active and nothing to acknowledge (or never raised).
    Normal,
    /// Active, unacknowledged.
    Unacked,
    /// Active, acknowledged.
    Acked,
    /// Returned to normal without being acknowledged.
    RtnUnacked,
}

impl State {
    /// The name written in records: `normal`, `unacked`, `acked`,
    /// `rtn_unacked`.
    pub fn name(self) -> &'static str {
        match self {
            State::Normal => "normal",
            State::Unacked => "unacked",
            State::Acked => "acked",
            State::RtnUnacked => "rtn_unacked",
        }
    }

    /// The state of a name as [`State::name`] writes it.
    pub fn from_name(name: &str) -> Option<State> {
        Some(match name {
            "normal" => State::Normal,
            "unacked" => State::Unacked,
            "acked" => State::Acked,
            "rtn_unacked" => State::RtnUnacked,
            _ => return None,
        })
    }

    /// Whether an alarm in this state needs an operator's attention (is
    /// "active" as `query --alarms --active` lists it): every state but
    /// `Normal`.
    pub fn needs_attention(self) -> bool {
        self != State::Normal
    }

    /// Whether the condition is active (`Unacked` or `Acked`).
    pub fn is_active(self) -> bool {
        matches!(self, State::Unacked | State::Acked)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An alarm: a series and a rule. Ordered by asset, tag, rule (byte order).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AlarmKey {
    pub asset: String,
    pub tag: String,
    pub rule: String,
}

impl AlarmKey {
    pub fn new(asset: &str, tag: &str, rule: &str) -> AlarmKey {
        AlarmKey {
            asset: asset.to_string(),
            tag: tag.to_string(),
            rule: rule.to_string(),
        }
    }

    /// The key of the alarm an event is about.
    pub fn of(ev: &AlarmEvent<'_>) -> AlarmKey {
        AlarmKey::new(ev.asset, ev.tag, &ev.rule)
    }
}

impl fmt::Display for AlarmKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.asset, self.tag, self.rule)
    }
}

/// Who acknowledged an occurrence, when, and with what note.
#[derive(Debug, Clone, PartialEq)]
pub struct Ack {
    pub at: Millis,
    pub by: String,
    pub note: Option<String>,
}

/// What the tracker knows of one alarm: its state and its current (last)
/// occurrence.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    pub state: State,
    /// When the last occurrence was raised; `None` if never.
    pub raised: Option<Millis>,
    /// The reading that raised it, its unit, and the rule's kind, severity
    /// and limit, as the raise said.
    pub value: f64,
    pub unit: String,
    pub kind: Option<String>,
    pub severity: Option<String>,
    pub limit: Option<f64>,
    /// When the last occurrence's condition ended, if it did.
    pub cleared: Option<Millis>,
    /// The acknowledgement of the last occurrence, if any.
    pub ack: Option<Ack>,
}

impl Alarm {
    fn never_raised() -> Alarm {
        Alarm {
            state: State::Normal,
            raised: None,
            value: 0.0,
            unit: String::new(),
            kind: None,
            severity: None,
            limit: None,
            cleared: None,
            ack: None,
        }
    }

    /// How long the occurrence waited for its acknowledgement (its ack's
    /// time minus its raise), if acknowledged.
    pub fn time_to_ack(&self) -> Option<Millis> {
        Some(self.ack.as_ref()?.at - self.raised?)
    }

    /// How long the occurrence has stood unacknowledged at `now`, if it
    /// is unacknowledged (`Unacked` or `RtnUnacked`).
    pub fn unacked_for(&self, now: Millis) -> Option<Millis> {
        match self.state {
            State::Unacked | State::RtnUnacked => Some(now - self.raised?),
            _ => None,
        }
    }
}

/// Why an event was refused: it does not fit the alarm's state.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// An ack of an alarm that was never raised.
    NeverRaised,
    /// An ack of an occurrence already acknowledged.
    AlreadyAcked {
        by: String,
        at: Millis,
        /// Whether the occurrence has also ended (the alarm is normal).
        cleared: bool,
    },
    /// An ack older than the raise of the occurrence it would acknowledge.
    BeforeRaise { raised: Millis },
    /// An event kind this version does not know.
    Unknown(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ts = TsFormatter::format;
        match self {
            Refusal::NeverRaised => f.write_str("an acknowledgement of an alarm never raised"),
            Refusal::AlreadyAcked { by, at, cleared } => write!(
                f,
                "an acknowledgement of an alarm already acknowledged by {by} at {}{}",
                ts(*at),
                if *cleared {
                    " (it has returned to normal since)"
                } else {
                    ""
                }
            ),
            Refusal::BeforeRaise { raised } => write!(
                f,
                "an acknowledgement older than the alarm's raise at {}",
                ts(*raised)
            ),
            Refusal::Unknown(name) => write!(
                f,
                "an event \"{name}\": not raised, cleared or acked, so its effect on the alarm is unknown"
            ),
        }
    }
}

impl std::error::Error for Refusal {}

/// Folds alarm events into each alarm's ISA-18.2 state.
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    alarms: BTreeMap<AlarmKey, Alarm>,
}

impl Tracker {
    pub fn new() -> Tracker {
        Tracker::default()
    }

    /// Applies one event to its alarm: the state it moved from and to, or
    /// why the event was refused (the tracker is then unchanged).
    pub fn apply(&mut self, ev: &AlarmEvent<'_>) -> Result<(State, State), Refusal> {
        let key = AlarmKey::of(ev);
        match self.alarms.get_mut(&key) {
            Some(alarm) => {
                let from = alarm.state;
                check(alarm, ev)?;
                step(alarm, ev);
                Ok((from, alarm.state))
            }
            None => {
                let mut alarm = Alarm::never_raised();
                check(&alarm, ev)?;
                step(&mut alarm, ev);
                let to = alarm.state;
                self.alarms.insert(key, alarm);
                Ok((State::Normal, to))
            }
        }
    }

    /// Whether [`Tracker::apply`] would take `ev`, without applying it.
    pub fn check(&self, ev: &AlarmEvent<'_>) -> Result<(), Refusal> {
        match self.get(ev.asset, ev.tag, &ev.rule) {
            Some(a) => check(a, ev),
            None => check(&Alarm::never_raised(), ev),
        }
    }

    /// The alarm of a series and rule, if the tracker has seen it.
    pub fn get(&self, asset: &str, tag: &str, rule: &str) -> Option<&Alarm> {
        self.alarms.get(&AlarmKey::new(asset, tag, rule))
    }

    /// The alarms that need attention (state `unacked`, `acked` or
    /// `rtn_unacked`), by asset, tag, rule.
    pub fn attention(&self) -> impl Iterator<Item = (&AlarmKey, &Alarm)> {
        self.alarms
            .iter()
            .filter(|(_, a)| a.state.needs_attention())
    }

    /// Every alarm seen, normal ones too, by asset, tag, rule.
    pub fn alarms(&self) -> impl Iterator<Item = (&AlarmKey, &Alarm)> {
        self.alarms.iter()
    }

    /// Takes the alarm of `key` out (for a caller folding one alarm at a
    /// time).
    pub fn remove(&mut self, key: &AlarmKey) -> Option<Alarm> {
        self.alarms.remove(key)
    }

    /// The number of alarms seen.
    pub fn len(&self) -> usize {
        self.alarms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.alarms.is_empty()
    }
}

/// Whether `ev` fits `alarm`'s state.
fn check(alarm: &Alarm, ev: &AlarmEvent<'_>) -> Result<(), Refusal> {
    match &ev.event {
        // A predicted crossing changes no measured alarm's state.
        EventKind::Raised | EventKind::Cleared | EventKind::Predicted => Ok(()),
        EventKind::Other(name) => Err(Refusal::Unknown(name.to_string())),
        EventKind::Acked { .. } => {
            let Some(raised) = alarm.raised else {
                return Err(Refusal::NeverRaised);
            };
            if ev.ts < raised {
                return Err(Refusal::BeforeRaise { raised });
            }
            match (&alarm.ack, alarm.state) {
                (_, State::Unacked | State::RtnUnacked) => Ok(()),
                (Some(ack), state) => Err(Refusal::AlreadyAcked {
                    by: ack.by.clone(),
                    at: ack.at,
                    cleared: state == State::Normal,
                }),
                // Normal with a raise and no ack cannot happen: a raised
                // alarm leaves unacked states only through an ack.
                (None, _) => Err(Refusal::NeverRaised),
            }
        }
    }
}

/// Moves `alarm` by `ev`, which [`check`] took.
fn step(alarm: &mut Alarm, ev: &AlarmEvent<'_>) {
    match &ev.event {
        EventKind::Raised => {
            alarm.state = State::Unacked;
            alarm.raised = Some(ev.ts);
            alarm.value = ev.value;
            alarm.unit.clear();
            alarm.unit.push_str(ev.unit);
            alarm.kind = ev.kind.as_deref().map(str::to_string);
            alarm.severity = ev.severity.as_deref().map(str::to_string);
            alarm.limit = ev.limit;
            alarm.cleared = None;
            alarm.ack = None;
        }
        EventKind::Cleared => match alarm.state {
            State::Unacked => {
                alarm.state = State::RtnUnacked;
                alarm.cleared = Some(ev.ts);
            }
            State::Acked => {
                alarm.state = State::Normal;
                alarm.cleared = Some(ev.ts);
            }
            State::RtnUnacked | State::Normal => {}
        },
        EventKind::Acked { by, note } => {
            alarm.state = match alarm.state {
                State::Unacked => State::Acked,
                _ => State::Normal,
            };
            alarm.ack = Some(Ack {
                at: ev.ts,
                by: by.to_string(),
                note: note.as_deref().map(str::to_string),
            });
        }
        EventKind::Predicted | EventKind::Other(_) => {}
    }
}

/// The order events of one alarm at the same time are applied in: a raise
/// before a clear before an ack (what a store sorts by after `ts`).
pub fn same_time_order(event: &str) -> u8 {
    match event {
        "raised" => 0,
        "cleared" => 1,
        "acked" => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ev(ts: Millis, rule: &str, kind: &str) -> AlarmEvent<'static> {
        let event = match kind {
            "raised" => EventKind::Raised,
            "cleared" => EventKind::Cleared,
            "acked" => EventKind::Acked {
                by: "ann".into(),
                note: None,
            },
            other => EventKind::Other(other.to_string().into()),
        };
        AlarmEvent {
            ts,
            asset: "A",
            tag: "t",
            unit: "degC",
            value: 1.0,
            event,
            rule: rule.to_string().into(),
            kind: Some("threshold".into()),
            severity: Some("high".into()),
            limit: Some(45.0),
        }
    }

    fn state(t: &Tracker, rule: &str) -> State {
        t.get("A", "t", rule).map_or(State::Normal, |a| a.state)
    }

    #[test]
    fn the_isa_18_2_cycle_acked_before_clear() {
        let mut t = Tracker::new();
        assert_eq!(
            t.apply(&ev(10, "hi", "raised")),
            Ok((State::Normal, State::Unacked))
        );
        assert_eq!(
            t.apply(&ev(20, "hi", "acked")),
            Ok((State::Unacked, State::Acked))
        );
        let a = t.get("A", "t", "hi").unwrap();
        assert_eq!((a.raised, a.time_to_ack()), (Some(10), Some(10)));
        assert_eq!(a.ack.as_ref().unwrap().by, "ann");
        assert_eq!(t.attention().count(), 1);
        assert_eq!(
            t.apply(&ev(30, "hi", "cleared")),
            Ok((State::Acked, State::Normal))
        );
        assert_eq!(t.attention().count(), 0);
    }

    #[test]
    fn a_cleared_unacknowledged_alarm_still_takes_its_ack() {
        let mut t = Tracker::new();
        t.apply(&ev(10, "hi", "raised")).unwrap();
        t.apply(&ev(20, "hi", "cleared")).unwrap();
        assert_eq!(state(&t, "hi"), State::RtnUnacked);
        assert_eq!(t.get("A", "t", "hi").unwrap().unacked_for(100), Some(90));
        assert_eq!(
            t.apply(&ev(30, "hi", "acked")),
            Ok((State::RtnUnacked, State::Normal))
        );
        assert_eq!(t.attention().count(), 0);
    }

    #[test]
    fn bad_acks_are_refused_with_the_reason_and_change_nothing() {
        let mut t = Tracker::new();
        assert_eq!(t.apply(&ev(5, "hi", "acked")), Err(Refusal::NeverRaised));
        assert!(t.is_empty());
        t.apply(&ev(10, "hi", "raised")).unwrap();
        assert_eq!(
            t.apply(&ev(9, "hi", "acked")),
            Err(Refusal::BeforeRaise { raised: 10 })
        );
        t.apply(&ev(20, "hi", "acked")).unwrap();
        let second = t.apply(&ev(25, "hi", "acked")).unwrap_err();
        assert_eq!(
            second,
            Refusal::AlreadyAcked {
                by: "ann".into(),
                at: 20,
                cleared: false
            }
        );
        assert!(
            second
                .to_string()
                .contains("already acknowledged by ann at 1970-01-01T00:00:00.020Z")
        );
        t.apply(&ev(30, "hi", "cleared")).unwrap();
        assert!(matches!(
            t.apply(&ev(40, "hi", "acked")),
            Err(Refusal::AlreadyAcked { cleared: true, .. })
        ));
        assert_eq!(
            t.apply(&ev(40, "hi", "shelved")),
            Err(Refusal::Unknown("shelved".into()))
        );
        assert_eq!(t.check(&ev(50, "lo", "acked")), Err(Refusal::NeverRaised));
    }

    #[test]
    fn a_raise_starts_a_new_occurrence() {
        let mut t = Tracker::new();
        t.apply(&ev(10, "hi", "raised")).unwrap();
        t.apply(&ev(20, "hi", "cleared")).unwrap();
        t.apply(&ev(30, "hi", "raised")).unwrap();
        let a = t.get("A", "t", "hi").unwrap();
        assert_eq!(
            (a.state, a.raised, a.cleared),
            (State::Unacked, Some(30), None)
        );
        // A clear of an ended alarm changes nothing.
        t.apply(&ev(40, "hi", "cleared")).unwrap();
        assert_eq!(
            t.apply(&ev(41, "hi", "cleared")),
            Ok((State::RtnUnacked, State::RtnUnacked))
        );
        assert_eq!(
            t.apply(&ev(50, "lo", "cleared")),
            Ok((State::Normal, State::Normal))
        );
    }

    /// The state by brute force: the last raise decides, then whether a
    /// clear and an ack follow it.
    fn by_hand(events: &[(Millis, u8)], at: Millis) -> State {
        let upto: Vec<_> = events.iter().filter(|e| e.0 <= at).collect();
        let Some(r) = upto.iter().rposition(|e| e.1 == 0) else {
            return State::Normal;
        };
        let after = &upto[r + 1..];
        let cleared = after.iter().any(|e| e.1 == 1);
        let acked = after.iter().any(|e| e.1 == 2);
        match (cleared, acked) {
            (false, false) => State::Unacked,
            (false, true) => State::Acked,
            (true, false) => State::RtnUnacked,
            (true, true) => State::Normal,
        }
    }

    proptest! {
        /// Folding any sequence gives, at every point, the state the last
        /// raise and what followed it say; refused acks are exactly the
        /// ones with no raise or an acknowledged occurrence before them.
        #[test]
        fn the_fold_is_decided_by_the_events_since_the_last_raise(
            kinds in proptest::collection::vec(0u8..3, 0..40)
        ) {
            let mut t = Tracker::new();
            let mut kept: Vec<(Millis, u8)> = Vec::new();
            for (i, k) in kinds.iter().enumerate() {
                let ts = i as Millis;
                let name = ["raised", "cleared", "acked"][*k as usize];
                let before = by_hand(&kept, ts);
                match t.apply(&ev(ts, "r", name)) {
                    Ok(_) => kept.push((ts, *k)),
                    Err(_) => {
                        prop_assert_eq!(*k, 2);
                        prop_assert!(matches!(before, State::Normal | State::Acked));
                    }
                }
                prop_assert_eq!(state(&t, "r"), by_hand(&kept, ts));
            }
        }
    }
}
