//! Alarm events out of a PostgreSQL store, as from a SQLite one
//! ([`crate::store::sqlite::alarms`]; what an event means is in
//! [`crate::store::events`]): the events by time, streamed (`query
//! --alarms`), and each alarm's state at a time (`--active`, `ack`, the
//! check of an `acked` line by `store`), read through the primary key
//! (asset, tag, rule, ts, event). PostgreSQL has no skip scan, so the
//! distinct alarms come from a recursive query that steps from one key to
//! the next through the index, as SQLite's loop does. Text is ordered
//! with `COLLATE "C"` (byte order) where the order is output, so a
//! database made with another locale gives the same lines as SQLite.

use anyhow::{Context, Result};
use postgres::GenericClient;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

use super::PgStore;
use crate::alarms::{AlarmKey, Filter, Tracker};
use crate::record::Reading;
use crate::store::events::{EVENT_ORDER, EventColumns, StoredEvent, standing_predictions, states};
use crate::time::Millis;

/// The events of one alarm from its last raise at or before `at` up to
/// `at`, in the order they apply; empty when it was not raised by then.
/// Predictions are left out, as on SQLite.
pub(crate) fn alarm_tail(
    c: &mut impl GenericClient,
    key: &AlarmKey,
    at: Millis,
) -> Result<Vec<StoredEvent>, postgres::Error> {
    let raised = c.query_opt(
        "SELECT ts FROM alarm_events WHERE asset = $1 AND tag = $2 AND rule = $3 \
         AND ts <= $4 AND event = 'raised' ORDER BY ts DESC LIMIT 1",
        &[&key.asset, &key.tag, &key.rule, &at],
    )?;
    let Some(raised) = raised.map(|r| r.get::<_, i64>(0)) else {
        return Ok(Vec::new());
    };
    let rows = c.query(
        &format!(
            "SELECT ts, event, kind, severity, value, \"limit\", extra FROM alarm_events \
             WHERE asset = $1 AND tag = $2 AND rule = $3 AND ts >= $4 AND ts <= $5 \
             AND event <> 'predicted' ORDER BY ts, {EVENT_ORDER}, event COLLATE \"C\""
        ),
        &[&key.asset, &key.tag, &key.rule, &raised, &at],
    )?;
    Ok(rows.iter().map(stored_event).collect())
}

/// An event of the columns `ts, event, kind, severity, value, "limit", extra`.
fn stored_event(r: &postgres::Row) -> StoredEvent {
    StoredEvent {
        ts: r.get(0),
        event: r.get(1),
        kind: r.get(2),
        severity: r.get(3),
        value: r.get::<_, Option<f64>>(4).unwrap_or(0.0),
        limit: r.get(5),
        extra: r.get(6),
    }
}

/// Every alarm key of the store, stepping through the index.
fn alarm_keys(c: &mut impl GenericClient) -> Result<Vec<AlarmKey>, postgres::Error> {
    keys_where(c, "TRUE")
}

/// The alarms that have a `predicted` event, stepping through the partial
/// index `alarm_events_predicted` as [`alarm_keys`] does through the
/// primary key.
fn predicted_keys(c: &mut impl GenericClient) -> Result<Vec<AlarmKey>, postgres::Error> {
    keys_where(c, "e.event = 'predicted'")
}

/// The distinct alarm keys of the events where `condition` (SQL over the
/// alias `e`) holds: one index step per key.
fn keys_where(
    c: &mut impl GenericClient,
    condition: &str,
) -> Result<Vec<AlarmKey>, postgres::Error> {
    let rows = c.query(
        &format!(
            "WITH RECURSIVE k AS (
               (SELECT e.asset, e.tag, e.rule FROM alarm_events e WHERE {condition}
                ORDER BY e.asset, e.tag, e.rule LIMIT 1)
               UNION ALL
               SELECT n.asset, n.tag, n.rule FROM k, LATERAL (
                 SELECT e.asset, e.tag, e.rule FROM alarm_events e
                 WHERE {condition} AND (e.asset, e.tag, e.rule) > (k.asset, k.tag, k.rule)
                 ORDER BY e.asset, e.tag, e.rule LIMIT 1) n
             ) SELECT asset, tag, rule FROM k"
        ),
        &[],
    )?;
    Ok(rows
        .iter()
        .map(|r| AlarmKey {
            asset: r.get(0),
            tag: r.get(1),
            rule: r.get(2),
        })
        .collect())
}

/// One alarm's last `predicted` event at or before `at`.
fn last_predicted(
    c: &mut impl GenericClient,
    key: &AlarmKey,
    at: Millis,
) -> Result<Option<StoredEvent>, postgres::Error> {
    let row = c.query_opt(
        "SELECT ts, event, kind, severity, value, \"limit\", extra FROM alarm_events \
         WHERE asset = $1 AND tag = $2 AND rule = $3 AND event = 'predicted' AND ts <= $4 \
         ORDER BY ts DESC LIMIT 1",
        &[&key.asset, &key.tag, &key.rule, &at],
    )?;
    Ok(row.as_ref().map(stored_event))
}

/// Whether one alarm was raised, with a severity `filter` wants, in
/// `(after, at]`: through the primary key from `after`, ending at the
/// first such raise.
fn raised_between(
    c: &mut impl GenericClient,
    filter: &Filter,
    key: &AlarmKey,
    after: Millis,
    at: Millis,
) -> Result<bool, postgres::Error> {
    if filter.severities.is_empty() {
        return Ok(c
            .query_opt(
                "SELECT 1 FROM alarm_events WHERE asset = $1 AND tag = $2 AND rule = $3 \
                 AND ts > $4 AND ts <= $5 AND event = 'raised' LIMIT 1",
                &[&key.asset, &key.tag, &key.rule, &after, &at],
            )?
            .is_some());
    }
    let rows = c.query(
        "SELECT DISTINCT severity FROM alarm_events WHERE asset = $1 AND tag = $2 \
         AND rule = $3 AND ts > $4 AND ts <= $5 AND event = 'raised'",
        &[&key.asset, &key.tag, &key.rule, &after, &at],
    )?;
    Ok(rows
        .iter()
        .any(|r| filter.severity_matches(r.get::<_, Option<&str>>(0))))
}

impl PgStore {
    /// Each wanted alarm's state at `at`, from its events at or before
    /// `at`; alarms not raised by then are left out.
    pub(crate) fn alarm_states(&self, filter: &Filter, at: Millis) -> Result<Tracker> {
        let context = || format!("reading the alarm events of {}", self.name);
        let mut c = self.client.borrow_mut();
        let keys = alarm_keys(&mut *c).with_context(context)?;
        states(keys, filter, |key| {
            alarm_tail(&mut *c, key, at).with_context(context)
        })
    }

    /// Each wanted alarm's standing prediction at `at` (see
    /// [`standing_predictions`]), as the records they were stored from.
    pub(crate) fn predictions_at(&self, filter: &Filter, at: Millis) -> Result<Vec<Reading>> {
        let context = || format!("reading the alarm events of {}", self.name);
        let keys = predicted_keys(&mut *self.client.borrow_mut()).with_context(context)?;
        standing_predictions(
            keys,
            filter,
            at,
            |key, upto| {
                last_predicted(&mut *self.client.borrow_mut(), key, upto).with_context(context)
            },
            |key, after, at| {
                raised_between(&mut *self.client.borrow_mut(), filter, key, after, at)
                    .with_context(context)
            },
        )
    }

    /// The wanted events in `[filter.from, filter.to)`, by time (then
    /// asset, tag, rule in byte order, and raise before clear before
    /// ack), streamed; `emit` returns `false` to stop.
    pub(crate) fn alarm_events(
        &self,
        filter: &Filter,
        mut emit: impl FnMut(&Reading) -> Result<bool>,
    ) -> Result<()> {
        let context = || format!("reading the alarm events of {}", self.name);
        let mut c = self.client.borrow_mut();
        let stmt = c
            .prepare(&format!(
                "SELECT ts, asset, tag, rule, event, kind, severity, value, \"limit\", extra \
                 FROM alarm_events WHERE ts >= $1 AND ts < $2 \
                 ORDER BY ts, asset COLLATE \"C\", tag COLLATE \"C\", rule COLLATE \"C\", \
                 {EVENT_ORDER}, event COLLATE \"C\""
            ))
            .with_context(context)?;
        let params: [&(dyn ToSql + Sync); 2] = [&filter.from, &filter.to];
        let mut rows = c.query_raw(&stmt, params).with_context(context)?;
        let mut reading = Reading::default();
        let mut buf = Vec::with_capacity(64);
        while let Some(r) = rows.next().with_context(context)? {
            let row = EventColumns {
                ts: r.get(0),
                asset: r.get(1),
                tag: r.get(2),
                rule: r.get(3),
                event: r.get(4),
                kind: r.get(5),
                severity: r.get(6),
                value: r.get(7),
                limit: r.get(8),
                extra: r.get(9),
            };
            if !row.hand_on(filter, &mut reading, &mut buf, &mut emit)? {
                break;
            }
        }
        Ok(())
    }
}
