//! Alarm events out of a SQLite store: the events themselves (`query
//! --alarms`), and each alarm's ISA-18.2 state at a time (`query --alarms
//! --active`, the check of an `acked` line by `store`, `ack`). What an
//! event means is in [`crate::store::events`]; here is the SQL.
//!
//! A state is read through the primary key (asset, tag, rule, ts, event):
//! the distinct alarms by skipping from one key to the next, then per
//! alarm its last raise at or before the time and what followed it. The
//! work grows with the number of alarms, not of events.

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, params};

use super::Store;
use crate::alarms::{AlarmKey, Filter, Tracker};
use crate::record::Reading;
pub(crate) use crate::store::events::StoredEvent;
use crate::store::events::{EVENT_ORDER, EventColumns, standing_predictions, states};
use crate::time::Millis;

/// The events of one alarm from its last raise at or before `at` up to
/// `at`, in the order they apply; empty when it was not raised by then.
/// Predictions are left out: they change no measured alarm's state, and
/// a forecast repeated often would make the tail long.
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
         AND event <> 'predicted' ORDER BY ts, {EVENT_ORDER}, event"
    ))?;
    let rows = stmt.query_map(
        params![key.asset, key.tag, key.rule, raised, at],
        stored_event,
    )?;
    // Sorted by time and raise first, the tail starts with its raise.
    rows.collect()
}

/// Every alarm key of the store in key order, skipping through the index.
fn alarm_keys(conn: &Connection) -> rusqlite::Result<Vec<AlarmKey>> {
    skip_keys(conn, "")
}

/// The alarms that have a `predicted` event, in key order, skipping
/// through the partial index `alarm_events_predicted` (a store made before
/// it reads the same through the primary key, slower).
fn predicted_keys(conn: &Connection) -> rusqlite::Result<Vec<AlarmKey>> {
    skip_keys(conn, "event = 'predicted' AND")
}

/// The distinct (asset, tag, rule) of the rows `filter` (SQL ending in
/// `AND`, or empty) keeps, in key order, one index seek each: the next
/// key is the first row after (asset, tag, rule, the greatest time), so
/// the seek lands past every event of the key before — where a
/// comparison of (asset, tag, rule) alone steps over them one by one.
/// Should a time not be an integer (a row written by another tool), that
/// step is taken by the slower comparison.
fn skip_keys(conn: &Connection, filter: &str) -> rusqlite::Result<Vec<AlarmKey>> {
    let mut keys = Vec::new();
    let mut first = conn.prepare_cached(&format!(
        "SELECT asset, tag, rule FROM alarm_events WHERE {filter} true \
         ORDER BY asset, tag, rule, ts LIMIT 1"
    ))?;
    let mut past = conn.prepare_cached(&format!(
        "SELECT asset, tag, rule FROM alarm_events \
         WHERE {filter} (asset, tag, rule, ts) > (?1, ?2, ?3, ?4) \
         ORDER BY asset, tag, rule, ts LIMIT 1"
    ))?;
    let mut after = conn.prepare_cached(&format!(
        "SELECT asset, tag, rule FROM alarm_events WHERE {filter} (asset, tag, rule) > (?1, ?2, ?3) \
         ORDER BY asset, tag, rule LIMIT 1"
    ))?;
    let key = |r: &rusqlite::Row<'_>| {
        Ok(AlarmKey {
            asset: r.get(0)?,
            tag: r.get(1)?,
            rule: r.get(2)?,
        })
    };
    let mut cur = first.query_row([], key).optional()?;
    while let Some(k) = cur {
        cur = past
            .query_row(params![k.asset, k.tag, k.rule, i64::MAX], key)
            .optional()?;
        if cur.as_ref() == Some(&k) {
            cur = after
                .query_row(params![k.asset, k.tag, k.rule], key)
                .optional()?;
        }
        keys.push(k);
    }
    Ok(keys)
}

/// An event of the columns `ts, event, kind, severity, value, "limit", extra`.
fn stored_event(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEvent> {
    Ok(StoredEvent {
        ts: r.get(0)?,
        event: r.get(1)?,
        kind: r.get(2)?,
        severity: r.get(3)?,
        value: r.get::<_, Option<f64>>(4)?.unwrap_or(0.0),
        limit: r.get(5)?,
        extra: r.get(6)?,
    })
}

/// One alarm's last `predicted` event at or before `at`.
fn last_predicted(
    conn: &Connection,
    key: &AlarmKey,
    at: Millis,
) -> rusqlite::Result<Option<StoredEvent>> {
    conn.prepare_cached(
        "SELECT ts, event, kind, severity, value, \"limit\", extra FROM alarm_events \
         WHERE asset = ?1 AND tag = ?2 AND rule = ?3 AND event = 'predicted' AND ts <= ?4 \
         ORDER BY ts DESC LIMIT 1",
    )?
    .query_row(params![key.asset, key.tag, key.rule, at], stored_event)
    .optional()
}

/// Whether one alarm was raised, with a severity `filter` wants, in
/// `(after, at]`: a walk forward through the primary key from `after`,
/// which ends at the first such raise.
fn raised_between(
    conn: &Connection,
    filter: &Filter,
    key: &AlarmKey,
    after: Millis,
    at: Millis,
) -> rusqlite::Result<bool> {
    let mut stmt = conn.prepare_cached(
        "SELECT severity FROM alarm_events WHERE asset = ?1 AND tag = ?2 AND rule = ?3 \
         AND ts > ?4 AND ts <= ?5 AND event = 'raised' ORDER BY ts",
    )?;
    let mut rows = stmt.query(params![key.asset, key.tag, key.rule, after, at])?;
    while let Some(r) = rows.next()? {
        if filter.severity_matches(r.get_ref(0)?.as_str_or_null()?) {
            return Ok(true);
        }
    }
    Ok(false)
}

impl Store {
    /// Each wanted alarm's state at `at`, from its events at or before
    /// `at`; alarms not raised by then are left out.
    pub(crate) fn alarm_states(&self, filter: &Filter, at: Millis) -> Result<Tracker> {
        let context = || format!("reading the alarm events of {}", self.name);
        let keys = alarm_keys(&self.conn).with_context(context)?;
        states(keys, filter, |key| {
            alarm_tail(&self.conn, key, at).with_context(context)
        })
    }

    /// Each wanted alarm's standing prediction at `at` (see
    /// [`standing_predictions`]), as the records they were stored from.
    pub(crate) fn predictions_at(&self, filter: &Filter, at: Millis) -> Result<Vec<Reading>> {
        let context = || format!("reading the alarm events of {}", self.name);
        let keys = predicted_keys(&self.conn).with_context(context)?;
        standing_predictions(
            keys,
            filter,
            at,
            |key, upto| last_predicted(&self.conn, key, upto).with_context(context),
            |key, after, at| {
                raised_between(&self.conn, filter, key, after, at).with_context(context)
            },
        )
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
            let row = EventColumns {
                ts: r.get(0)?,
                asset: r.get_ref(1)?.as_str()?,
                tag: r.get_ref(2)?.as_str()?,
                rule: r.get_ref(3)?.as_str()?,
                event: r.get_ref(4)?.as_str()?,
                kind: r.get_ref(5)?.as_str_or_null()?,
                severity: r.get_ref(6)?.as_str_or_null()?,
                value: r.get(7)?,
                limit: r.get(8)?,
                extra: r.get_ref(9)?.as_str_or_null()?,
            };
            if !row.hand_on(filter, &mut reading, &mut buf, &mut emit)? {
                break;
            }
        }
        Ok(())
    }
}
