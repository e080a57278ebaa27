//! Alarm events out of a SQLite store: the events themselves (`query
//! --alarms`), and each alarm's ISA-18.2 state at a time (`query --alarms
//! --active`, the check of an `acked` line by `store`, `ack`).
//!
//! The state of an alarm at a time depends only on its events from its
//! last raise up to that time ([`crate::alarms::state`]), so a state is
//! read through the primary key (asset, tag, rule, ts, event): the
//! distinct alarms by skipping from one key to the next, then per alarm
//! its last raise at or before the time and what followed it. The work
//! grows with the number of alarms, not of events.

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, params};

use super::Store;
use crate::alarms::{AlarmKey, Filter, Tracker};
use crate::record::alarm::{AlarmEvent, EventKind};
use crate::record::{Reading, write_json_str, write_number};
use crate::time::Millis;

/// The order of events of one alarm at one time: raise, clear, ack.
const EVENT_ORDER: &str =
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

/// The events of one alarm from its last raise at or before `at` up to
/// `at`, in the order they apply; empty when it was not raised by then.
pub(crate) fn alarm_tail(
    conn: &Connection,
    key: &AlarmKey,
    at: Millis,
) -> rusqlite::Result<Vec<StoredEvent>> {
    let raised: Option<Millis> = conn
        .prepare_cached(
            "SELECT ts FROM alarm_events WHERE asset = ?1 AND tag = ?2 AND rule = ?3 \
             AND ts <= ?4 AND event = 'raised' ORDER BY ts DESC LIMIT 1",
        )?
        .query_row(params![key.asset, key.tag, key.rule, at], |r| r.get(0))
        .optional()?;
    let Some(raised) = raised else {
        return Ok(Vec::new());
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT ts, event, kind, severity, value, \"limit\", extra FROM alarm_events \
         WHERE asset = ?1 AND tag = ?2 AND rule = ?3 AND ts >= ?4 AND ts <= ?5 \
         ORDER BY ts, {EVENT_ORDER}, event"
    ))?;
    let rows = stmt.query_map(params![key.asset, key.tag, key.rule, raised, at], |r| {
        Ok(StoredEvent {
            ts: r.get(0)?,
            event: r.get(1)?,
            kind: r.get(2)?,
            severity: r.get(3)?,
            value: r.get::<_, Option<f64>>(4)?.unwrap_or(0.0),
            limit: r.get(5)?,
            extra: r.get(6)?,
        })
    })?;
    // Sorted by time and raise first, the tail starts with its raise.
    rows.collect()
}

/// Every alarm key of the store in key order, skipping through the index.
fn alarm_keys(conn: &Connection) -> rusqlite::Result<Vec<AlarmKey>> {
    let mut keys = Vec::new();
    let mut first = conn.prepare_cached(
        "SELECT asset, tag, rule FROM alarm_events ORDER BY asset, tag, rule LIMIT 1",
    )?;
    let mut next = conn.prepare_cached(
        "SELECT asset, tag, rule FROM alarm_events WHERE (asset, tag, rule) > (?1, ?2, ?3) \
         ORDER BY asset, tag, rule LIMIT 1",
    )?;
    let key = |r: &rusqlite::Row<'_>| {
        Ok(AlarmKey {
            asset: r.get(0)?,
            tag: r.get(1)?,
            rule: r.get(2)?,
        })
    };
    let mut cur = first.query_row([], key).optional()?;
    while let Some(k) = cur {
        cur = next
            .query_row(params![k.asset, k.tag, k.rule], key)
            .optional()?;
        keys.push(k);
    }
    Ok(keys)
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

impl Store {
    /// Each wanted alarm's state at `at`, from its events at or before
    /// `at`; alarms not raised by then are left out.
    pub(crate) fn alarm_states(&self, filter: &Filter, at: Millis) -> Result<Tracker> {
        let context = || format!("reading the alarm events of {}", self.name);
        let mut tracker = Tracker::new();
        for key in alarm_keys(&self.conn).with_context(context)? {
            if !filter.alarm_matches(&key.asset, &key.tag, &key.rule) {
                continue;
            }
            let tail = alarm_tail(&self.conn, &key, at).with_context(context)?;
            if tail.is_empty() || !filter.severity_matches(tail[0].severity.as_deref()) {
                continue;
            }
            fold(&mut tracker, &key, &tail);
        }
        Ok(tracker)
    }

    /// The wanted events in `[filter.from, filter.to)`, by time (then
    /// asset, tag, rule, and raise before clear before ack), each handed
    /// to `emit` as the record it was stored from; `emit` returns `false`
    /// to stop.
    pub(crate) fn alarm_events(
        &self,
        filter: &Filter,
        mut emit: impl FnMut(&Reading) -> Result<bool>,
    ) -> Result<()> {
        let context = || format!("reading the alarm events of {}", self.name);
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT ts, asset, tag, rule, event, kind, severity, value, \"limit\", extra \
                 FROM alarm_events WHERE ts >= ?1 AND ts < ?2 \
                 ORDER BY ts, asset, tag, rule, {EVENT_ORDER}, event"
            ))
            .with_context(context)?;
        let mut rows = stmt
            .query(params![filter.from, filter.to])
            .with_context(context)?;
        let mut reading = Reading::default();
        let mut buf = Vec::with_capacity(64);
        while let Some(r) = rows.next().with_context(context)? {
            let asset = r.get_ref(1)?.as_str()?;
            let tag = r.get_ref(2)?.as_str()?;
            let rule = r.get_ref(3)?.as_str()?;
            if !filter.alarm_matches(asset, tag, rule) {
                continue;
            }
            let severity: Option<String> = r.get(6)?;
            if !filter.severity_matches(severity.as_deref()) {
                continue;
            }
            reading.clear();
            reading.ts = r.get(0)?;
            reading.asset.push_str(asset);
            reading.tag.push_str(tag);
            reading.value = r.get::<_, Option<f64>>(7)?.unwrap_or(0.0);
            let event: String = r.get(4)?;
            let kind: Option<String> = r.get(5)?;
            let limit: Option<f64> = r.get(8)?;
            let extra: Option<String> = r.get(9)?;
            let mut push = |key: &str, text: Option<&str>| {
                if let Some(t) = text {
                    buf.clear();
                    write_json_str(t, &mut buf);
                    reading.push_extra(key, std::str::from_utf8(&buf).unwrap_or("\"\""));
                }
            };
            push("event", Some(&event));
            push("rule", Some(rule));
            push("kind", kind.as_deref());
            push("severity", severity.as_deref());
            if let Some(l) = limit.filter(|l| l.is_finite()) {
                buf.clear();
                write_number(l, &mut buf);
                reading.push_extra("limit", std::str::from_utf8(&buf).unwrap_or("0"));
            }
            if let Some(extra) = extra {
                spread_extra(&extra, &event, &mut reading);
            }
            if !emit(&reading)? {
                break;
            }
        }
        Ok(())
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
