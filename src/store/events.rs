//! Alarm events as every store with tables keeps them (SQLite and
//! PostgreSQL alike): an event line taken apart into the `alarm_events`
//! columns, the check of an `acked` line against its alarm's state, a
//! stored event folded into the [`Tracker`], and a stored row put back
//! together as the record it was stored from. The backends only run the
//! SQL; what an event means is decided here once.
//!
//! The state of an alarm at a time depends only on its events from its
//! last raise up to that time ([`crate::alarms::state`]), so a backend
//! reads, per alarm, that tail ([`states`] folds them).

use std::borrow::Cow;

use anyhow::Result;

use crate::alarms::state::same_time_order;
use crate::alarms::{AlarmKey, Filter, Refusal, Tracker};
use crate::record::alarm::{AlarmEvent, EventKind};
use crate::record::{ParseError, Reading, write_json_str, write_number};
use crate::store::sqlite::Origin;
use crate::store::sqlite::writer::fields::extra_json;
use crate::time::Millis;

/// The order of events of one alarm at one time, in SQL (SQLite and
/// PostgreSQL): raise, clear, ack.
pub(crate) const EVENT_ORDER: &str =
    "CASE event WHEN 'raised' THEN 0 WHEN 'cleared' THEN 1 WHEN 'acked' THEN 2 ELSE 3 END";

/// An event as a store holds it, owned.
#[derive(Debug, Clone)]
pub(crate) struct StoredEvent {
    pub ts: Millis,
    pub event: String,
    pub kind: Option<String>,
    pub severity: Option<String>,
    pub value: f64,
    pub limit: Option<f64>,
    /// The `extra` JSON object (unit, by, note and every other field).
    pub extra: Option<String>,
}

impl StoredEvent {
    /// A field of `extra` that is a string.
    fn extra_str(&self, key: &str) -> Option<String> {
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(self.extra.as_deref()?).ok()?;
        match map.get(key)? {
            serde_json::Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// The event as the tracker takes it; `by`, `note` and `unit` are
    /// parsed from `extra` into `fields`.
    pub(crate) fn as_event<'a>(
        &'a self,
        key: &'a AlarmKey,
        fields: &'a mut [Option<String>; 3],
    ) -> AlarmEvent<'a> {
        *fields = [
            self.extra_str("unit"),
            self.extra_str("by"),
            self.extra_str("note"),
        ];
        let [unit, by, note] = &*fields;
        let event = match self.event.as_str() {
            "raised" => EventKind::Raised,
            "cleared" => EventKind::Cleared,
            "acked" => EventKind::Acked {
                by: by.as_deref().unwrap_or("").into(),
                note: note.as_deref().map(Into::into),
            },
            other => EventKind::Other(other.into()),
        };
        AlarmEvent {
            ts: self.ts,
            asset: &key.asset,
            tag: &key.tag,
            unit: unit.as_deref().unwrap_or(""),
            value: self.value,
            event,
            rule: key.rule.as_str().into(),
            kind: self.kind.as_deref().map(Into::into),
            severity: self.severity.as_deref().map(Into::into),
            limit: self.limit,
        }
    }
}

/// Folds stored events of one alarm into `tracker`; events the tracker
/// refuses (an ack another writer stored out of turn) are skipped, as
/// they changed nothing.
pub(crate) fn fold(tracker: &mut Tracker, key: &AlarmKey, events: &[StoredEvent]) {
    let mut fields = [None, None, None];
    for e in events {
        let ev = e.as_event(key, &mut fields);
        let _ = tracker.apply(&ev);
    }
}

/// Each wanted alarm's state at `at`: `keys` are the store's alarms,
/// `tail` reads one alarm's events from its last raise at or before `at`
/// up to `at` (empty when it was not raised by then; those are left out).
pub(crate) fn states(
    keys: Vec<AlarmKey>,
    filter: &Filter,
    mut tail: impl FnMut(&AlarmKey) -> Result<Vec<StoredEvent>>,
) -> Result<Tracker> {
    let mut tracker = Tracker::new();
    for key in keys {
        if !filter.alarm_matches(&key.asset, &key.tag, &key.rule) {
            continue;
        }
        let tail = tail(&key)?;
        if tail.is_empty() || !filter.severity_matches(tail[0].severity.as_deref()) {
            continue;
        }
        fold(&mut tracker, &key, &tail);
    }
    Ok(tracker)
}

/// Each wanted alarm's standing prediction at `at` (`query --active`):
/// its last `predicted` event at or before `at`, unless a raise of the
/// same alarm came after it (later in time; a raise at the same time
/// sorts before it) by `at`, as the record it was stored from, in
/// (asset, tag, rule) byte order. `keys` are the alarms that have a
/// prediction at all; `last_predicted` reads an alarm's last `predicted`
/// event at or before a time, `raised_between` whether the alarm has a
/// raise of a wanted severity in `(after, at]`. Both are index seeks, so
/// the work grows with the number of predicted alarms, not of events.
pub(crate) fn standing_predictions(
    keys: Vec<AlarmKey>,
    filter: &Filter,
    at: Millis,
    mut last_predicted: impl FnMut(&AlarmKey, Millis) -> Result<Option<StoredEvent>>,
    mut raised_between: impl FnMut(&AlarmKey, Millis, Millis) -> Result<bool>,
) -> Result<Vec<Reading>> {
    let mut out: Vec<(AlarmKey, Reading)> = Vec::new();
    let mut buf = Vec::with_capacity(64);
    for key in keys {
        if !filter.alarm_matches(&key.asset, &key.tag, &key.rule) {
            continue;
        }
        // The last prediction of a wanted severity that reads back as an
        // alarm event; one seek each, almost always the first.
        let mut upto = at;
        let found = loop {
            let Some(e) = last_predicted(&key, upto)? else {
                break None;
            };
            let mut r = Reading::default();
            EventColumns {
                ts: e.ts,
                asset: &key.asset,
                tag: &key.tag,
                rule: &key.rule,
                event: &e.event,
                kind: e.kind.as_deref(),
                severity: e.severity.as_deref(),
                value: Some(e.value),
                limit: e.limit,
                extra: e.extra.as_deref(),
            }
            .to_record(&mut r, &mut buf);
            if filter.severity_matches(e.severity.as_deref())
                && AlarmEvent::from_reading(&r).is_ok()
            {
                break Some(r);
            }
            match e.ts.checked_sub(1) {
                Some(before) => upto = before,
                None => break None,
            }
        };
        let Some(r) = found else {
            continue;
        };
        if !raised_between(&key, r.ts, at)? {
            out.push((key, r));
        }
    }
    out.sort_by(|(a, _), (b, _)| (&a.asset, &a.tag, &a.rule).cmp(&(&b.asset, &b.tag, &b.rule)));
    Ok(out.into_iter().map(|(_, r)| r).collect())
}

/// An alarm event line waiting for its batch, in the `alarm_events`
/// columns.
pub(crate) struct EventRow {
    pub ts: Millis,
    pub asset: String,
    pub tag: String,
    pub rule: String,
    pub event: String,
    pub kind: Option<String>,
    pub severity: Option<String>,
    pub value: f64,
    pub limit: Option<f64>,
    pub extra: Option<String>,
    pub origin: Origin,
    pub raw: String,
}

impl EventRow {
    /// Takes an event line apart. An `acked` line is checked first against
    /// its alarm's state, which `tracker` gives (the stored events and the
    /// open batch's): an ack of an alarm never raised, or of an occurrence
    /// acknowledged already, is refused with the reason; the same ack
    /// again (a replay) passes, to count as a duplicate.
    pub(crate) fn parse(
        r: &Reading,
        raw: &[u8],
        origin: Origin,
        extra_buf: &mut Vec<u8>,
        tracker: impl FnOnce(&AlarmKey, Millis) -> Result<Tracker>,
    ) -> Result<EventRow, ParseError> {
        let ev = AlarmEvent::from_reading(r)?;
        if let EventKind::Acked { by, .. } = &ev.event {
            let key = AlarmKey::of(&ev);
            let tracker = tracker(&key, ev.ts).map_err(|e| ParseError {
                field: None,
                message: format!("the acknowledgement could not be checked: {e:#}"),
            })?;
            match tracker.check(&ev) {
                Ok(()) => {}
                Err(Refusal::AlreadyAcked { by: was, at, .. }) if at == ev.ts && was == *by => {}
                Err(refusal) => {
                    return Err(ParseError {
                        field: Some("event"),
                        message: format!("{refusal} ({key})"),
                    });
                }
            }
        }
        // The unit has no column: it goes first in `extra`.
        let extra = extra_json(r, &AlarmEvent::FIELDS, extra_buf);
        let extra = if r.unit.is_empty() {
            extra.map(str::to_string)
        } else {
            let mut unit = Vec::with_capacity(r.unit.len() + 10);
            unit.extend_from_slice(b"{\"unit\":");
            write_json_str(&r.unit, &mut unit);
            let mut text = String::from_utf8_lossy(&unit).into_owned();
            match extra {
                Some(rest) => {
                    text.push(',');
                    text.push_str(&rest[1..]);
                }
                None => text.push('}'),
            }
            Some(text)
        };
        Ok(EventRow {
            ts: ev.ts,
            asset: ev.asset.to_string(),
            tag: ev.tag.to_string(),
            rule: ev.rule.into_owned(),
            event: ev.event.name().to_string(),
            kind: ev.kind.map(Cow::into_owned),
            severity: ev.severity.map(Cow::into_owned),
            value: ev.value,
            limit: ev.limit,
            extra,
            origin,
            raw: String::from_utf8_lossy(raw).into_owned(),
        })
    }
}

/// The state of one alarm at `at`: `stored`, its stored events from its
/// last raise up to `at`, and the open batch's events of it, folded.
pub(crate) fn tracker_with_batch(
    key: &AlarmKey,
    at: Millis,
    mut stored: Vec<StoredEvent>,
    batch: &[EventRow],
) -> Tracker {
    for e in batch {
        if e.ts <= at && e.asset == key.asset && e.tag == key.tag && e.rule == key.rule {
            stored.push(StoredEvent {
                ts: e.ts,
                event: e.event.clone(),
                kind: e.kind.clone(),
                severity: e.severity.clone(),
                value: e.value,
                limit: e.limit,
                extra: e.extra.clone(),
            });
        }
    }
    stored.sort_by_key(|e| (e.ts, same_time_order(&e.event)));
    let mut tracker = Tracker::new();
    fold(&mut tracker, key, &stored);
    tracker
}

/// A row of `alarm_events` as a backend read it.
pub(crate) struct EventColumns<'a> {
    pub ts: Millis,
    pub asset: &'a str,
    pub tag: &'a str,
    pub rule: &'a str,
    pub event: &'a str,
    pub kind: Option<&'a str>,
    pub severity: Option<&'a str>,
    pub value: Option<f64>,
    pub limit: Option<f64>,
    pub extra: Option<&'a str>,
}

impl EventColumns<'_> {
    /// Hands the row to `emit` as its record if `filter` wants it;
    /// `false` once `emit` stopped.
    pub(crate) fn hand_on(
        &self,
        filter: &Filter,
        reading: &mut Reading,
        buf: &mut Vec<u8>,
        emit: &mut impl FnMut(&Reading) -> Result<bool>,
    ) -> Result<bool> {
        if !filter.alarm_matches(self.asset, self.tag, self.rule)
            || !filter.severity_matches(self.severity)
        {
            return Ok(true);
        }
        self.to_record(reading, buf);
        emit(reading)
    }

    /// Puts the row back together as the record it was stored from.
    pub(crate) fn to_record(&self, reading: &mut Reading, buf: &mut Vec<u8>) {
        reading.clear();
        reading.ts = self.ts;
        reading.asset.push_str(self.asset);
        reading.tag.push_str(self.tag);
        reading.value = self.value.unwrap_or(0.0);
        let mut push = |key: &str, text: Option<&str>| {
            if let Some(t) = text {
                buf.clear();
                write_json_str(t, buf);
                reading.push_extra(key, std::str::from_utf8(buf).unwrap_or("\"\""));
            }
        };
        push("event", Some(self.event));
        push("rule", Some(self.rule));
        push("kind", self.kind);
        push("severity", self.severity);
        if let Some(l) = self.limit.filter(|l| l.is_finite()) {
            buf.clear();
            write_number(l, buf);
            reading.push_extra("limit", std::str::from_utf8(buf).unwrap_or("0"));
        }
        if let Some(extra) = self.extra {
            spread_extra(extra, self.event, reading);
        }
    }
}

/// Puts an event's `extra` object back on its record: `unit`, `text` and
/// `fault` to their fields, an ack's `by` and `note` first of the extra
/// fields (as an ack is written), the rest in key order.
fn spread_extra(extra: &str, event: &str, r: &mut Reading) {
    let Ok(mut map) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(extra)
    else {
        let mut buf = Vec::new();
        write_json_str(extra, &mut buf);
        r.push_extra("extra", &String::from_utf8_lossy(&buf));
        return;
    };
    if event == "acked" {
        for key in AlarmEvent::ACK_FIELDS {
            if let Some(v) = map.remove(key) {
                r.push_extra(key, &v.to_string());
            }
        }
    }
    for (k, v) in map {
        match (k.as_str(), &v) {
            ("unit", serde_json::Value::String(s)) => r.unit.push_str(s),
            ("text", serde_json::Value::String(s)) => r.text.push_str(s),
            ("fault", serde_json::Value::String(s)) => r.fault.push_str(s),
            _ => r.push_extra(&k, &v.to_string()),
        }
    }
}
