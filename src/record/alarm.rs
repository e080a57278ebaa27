//! The records of the alarm lifecycle, typed: alarm event lines
//! (`"event":"raised"` / `"cleared"`, what `detect --events` writes and
//! `store` keeps in `alarm_events`) and the anomaly flags on a reading (the
//! `anomalies` array plain `detect` adds), each with an encoder that writes
//! them as detect always has and a decoder from a parsed [`Reading`].
//! docs/records.md describes both on the wire.
//!
//! Both are readings with extra fields, so they pass through every verb
//! that does not know them. The encoders hand a [`ReadingRef`] to the
//! record writer and keep their text in one reused buffer, so writing them
//! allocates nothing per record; the decoders borrow from the reading and
//! copy a string only when it holds JSON escapes.
//!
//! The lifecycle grows here. An acknowledgement (`acked`, with `by` and
//! an optional `note`) is [`EventKind::Acked`], carrying its fields; what
//! an event does to an alarm's ISA-18.2 state is `crate::alarms`'. A
//! predictive alarm is raised and cleared like a measured one but is its
//! own kind, so every reader that matches on [`EventKind`] has to decide
//! what it does with one; delivery records (a notification's outcome) are
//! not alarm events and get a module of their own beside this one. Each
//! new kind adds its line to docs/records.md.

use std::borrow::Cow;

use serde::Deserialize;

use super::{ParseError, Quality, Reading, ReadingRef, write_json_str, write_number};
use crate::time::Millis;

/// What an event line says happened to an alarm (series + rule): its
/// `event` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind<'a> {
    /// The rule's condition began: the alarm is active.
    Raised,
    /// The condition ended: the alarm returned to normal.
    Cleared,
    /// An operator acknowledged the alarm (ISA-18.2): `by` whom, with an
    /// optional `note`. On the wire `by` and `note` follow the other event
    /// fields.
    Acked {
        by: Cow<'a, str>,
        note: Option<Cow<'a, str>>,
    },
    /// A forecast says the condition will begin (`forecast --until
    /// --events`): a predictive alarm, never a measured one.
    Predicted,
    /// A name this version does not know, as written. A store keeps such
    /// an event (a newer producer may have written it); a reader that must
    /// know what an event does to an alarm refuses it.
    Other(Cow<'a, str>),
}

impl EventKind<'_> {
    /// The `event` field's text.
    pub fn name(&self) -> &str {
        match self {
            EventKind::Raised => "raised",
            EventKind::Cleared => "cleared",
            EventKind::Acked { .. } => "acked",
            EventKind::Predicted => "predicted",
            EventKind::Other(name) => name,
        }
    }

    fn from_name<'b>(
        name: Cow<'b, str>,
        by: Option<Cow<'b, str>>,
        note: Option<Cow<'b, str>>,
    ) -> Result<EventKind<'b>, ParseError> {
        Ok(match &*name {
            "raised" => EventKind::Raised,
            "cleared" => EventKind::Cleared,
            "acked" => match by {
                Some(by) if !by.trim().is_empty() => EventKind::Acked { by, note },
                Some(_) => return Err(bad("by", "empty: an acknowledgement names who made it")),
                None => {
                    return Err(bad("by", "missing: an acknowledgement names who made it"));
                }
            },
            "predicted" => EventKind::Predicted,
            _ => EventKind::Other(name),
        })
    }
}

/// An alarm event line: an alarm (series + rule) changing state.
///
/// On the wire it is a reading — `ts`, `asset`, `tag`, `value` (the reading
/// that made the change), `unit` — with the event's fields after it, in
/// the order of [`AlarmEvent::FIELDS`].
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmEvent<'a> {
    pub ts: Millis,
    pub asset: &'a str,
    pub tag: &'a str,
    /// Empty when the line has none.
    pub unit: &'a str,
    /// The reading that made the change; an event no reading made (a gap
    /// raised by the stream's clock before the series had a value) is
    /// written with 0, since a record's value is always a number.
    pub value: f64,
    pub event: EventKind<'a>,
    /// The rule's name; empty when the line has none.
    pub rule: Cow<'a, str>,
    /// The rule's kind: threshold, range, zscore, roc, stuck, gap, cusum.
    pub kind: Option<Cow<'a, str>>,
    /// The rule's severity: low, medium, high, critical.
    pub severity: Option<Cow<'a, str>>,
    /// The limit the value crossed (for a gap, the silence allowed in
    /// seconds); `None` when the rule has none to give (a z-score alarm
    /// cleared while its series was stuck).
    pub limit: Option<f64>,
}

impl<'a> AlarmEvent<'a> {
    /// The extra fields an alarm event consumes, in the order they are
    /// written. A store keeps every other field (`text`, `fault` and the
    /// rest) as they came.
    pub const FIELDS: [&'static str; 5] = ["event", "rule", "kind", "severity", "limit"];

    /// The fields an acknowledgement adds after [`AlarmEvent::FIELDS`].
    pub const ACK_FIELDS: [&'static str; 2] = ["by", "note"];

    /// Decodes an event line. `event`, `rule`, `kind` and `severity` must
    /// be strings when present, `limit` a finite number or null; a line
    /// without `event` is not an alarm event. An `acked` event needs a
    /// non-empty string `by`; its `note`, when present, is a string or null.
    pub fn from_reading(r: &'a Reading) -> Result<AlarmEvent<'a>, ParseError> {
        // One pass over the extra fields; the first of a repeated key
        // counts, as with `Reading::extra_field`.
        let mut raw: [Option<&str>; 7] = [None; 7];
        for (key, value) in r.extra_fields() {
            let i = match key {
                "event" => 0,
                "rule" => 1,
                "kind" => 2,
                "severity" => 3,
                "limit" => 4,
                "by" => 5,
                "note" => 6,
                _ => continue,
            };
            raw[i].get_or_insert(value);
        }
        let [event, rule, kind, severity, limit, by, note] = raw;
        let limit = match limit {
            None | Some("null") => None,
            Some(raw) => Some(finite(raw, "limit")?),
        };
        let text = |raw: Option<&'a str>, field| raw.map(|v| string(v, field)).transpose();
        let event = match event {
            Some(raw) => {
                let name = string(raw, "event")?;
                if name == "acked" {
                    let note = note.filter(|n| *n != "null");
                    EventKind::from_name(name, text(by, "by")?, text(note, "note")?)?
                } else {
                    EventKind::from_name(name, None, None)?
                }
            }
            None => return Err(bad("event", "missing: the line is not an alarm event")),
        };
        Ok(AlarmEvent {
            ts: r.ts,
            asset: &r.asset,
            tag: &r.tag,
            unit: &r.unit,
            value: r.value,
            event,
            rule: text(rule, "rule")?.unwrap_or_default(),
            kind: text(kind, "kind")?,
            severity: text(severity, "severity")?,
            limit,
        })
    }
}

/// Writes alarm events as records, reusing one buffer for their fields.
#[derive(Debug, Default)]
pub struct AlarmEncoder {
    extra: Vec<u8>,
}

impl AlarmEncoder {
    /// The record for `ev`, for a [`super::RecordWriter`].
    pub fn encode<'a>(&'a mut self, ev: &AlarmEvent<'a>) -> ReadingRef<'a> {
        let x = &mut self.extra;
        x.clear();
        x.extend_from_slice(b"\"event\":");
        write_json_str(ev.event.name(), x);
        x.extend_from_slice(b",\"rule\":");
        write_json_str(&ev.rule, x);
        write_text_field(x, "kind", ev.kind.as_deref());
        write_text_field(x, "severity", ev.severity.as_deref());
        write_limit(x, ev.limit);
        if let EventKind::Acked { by, note } = &ev.event {
            x.extend_from_slice(b",\"by\":");
            write_json_str(by, x);
            write_text_field(x, "note", note.as_deref());
        }
        ReadingRef {
            ts: ev.ts,
            asset: ev.asset,
            tag: ev.tag,
            value: if ev.value.is_finite() { ev.value } else { 0.0 },
            unit: ev.unit,
            quality: Quality::Good,
            text: "",
            fault: "",
            extra: as_text(x),
            encoded: None,
        }
    }
}

/// One anomaly flag: a rule that judged a reading anomalous.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Anomaly<'a> {
    #[serde(borrow)]
    pub rule: Cow<'a, str>,
    /// The rule's kind: threshold, range, zscore, roc, stuck, gap, cusum.
    #[serde(borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    /// The rule's severity: low, medium, high, critical.
    #[serde(borrow, default)]
    pub severity: Option<Cow<'a, str>>,
    /// The limit the value crossed (a z-score's band edge, a rate, a
    /// stuck count, a gap's allowed silence in seconds); `None` when the
    /// rule gives none.
    #[serde(default)]
    pub limit: Option<f64>,
    /// More fields of the flag, as JSON (`"contributors":[…]`), written
    /// after the others; not read back.
    #[serde(skip)]
    pub detail: Option<Cow<'a, str>>,
}

/// A reading's `anomalies` array as written, checked to be an array.
/// Whether the reading is flagged needs no more than [`Anomalies::is_empty`];
/// [`Anomalies::decode`] reads the flags themselves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anomalies<'a> {
    raw: &'a str,
}

impl<'a> Anomalies<'a> {
    /// The reading's flags; `None` when it has no `anomalies` field.
    pub fn from_reading(r: &'a Reading) -> Result<Option<Anomalies<'a>>, ParseError> {
        let Some(raw) = r.extra_field("anomalies") else {
            return Ok(None);
        };
        let raw = raw.trim_ascii();
        if !raw.starts_with('[') {
            return Err(bad("anomalies", "expected an array of anomalies"));
        }
        Ok(Some(Anomalies { raw }))
    }

    /// No flag in the array: the reading is not flagged.
    pub fn is_empty(&self) -> bool {
        self.raw[1..].trim_ascii_start() == "]"
    }

    /// Each flag, typed.
    pub fn decode(&self) -> Result<Vec<Anomaly<'a>>, ParseError> {
        serde_json::from_str(self.raw).map_err(|e| bad("anomalies", e.to_string()))
    }
}

/// Writes readings with their anomaly flags, reusing one buffer.
#[derive(Debug, Default)]
pub struct AnomalyEncoder {
    extra: Vec<u8>,
}

impl AnomalyEncoder {
    /// The record for `r` flagged by `flags`: an `anomalies` array after
    /// its other fields. Flags the reading already carries (a second detect
    /// downstream) come first in the array, which then moves to the end of
    /// the fields; an `anomalies` field that is not an array is replaced.
    pub fn annotate<'a, 'f>(
        &'a mut self,
        r: &'a Reading,
        flags: impl IntoIterator<Item = Anomaly<'f>>,
    ) -> ReadingRef<'a> {
        let x = &mut self.extra;
        x.clear();
        let existing = r.extra_field("anomalies").map(str::trim);
        match existing {
            None => x.extend_from_slice(r.extra().as_bytes()),
            Some(_) => {
                for (key, value) in r.extra_fields().filter(|(k, _)| *k != "anomalies") {
                    if !x.is_empty() {
                        x.push(b',');
                    }
                    // The key as it is kept: already escaped.
                    x.push(b'"');
                    x.extend_from_slice(key.as_bytes());
                    x.extend_from_slice(b"\":");
                    x.extend_from_slice(value.as_bytes());
                }
            }
        }
        if !x.is_empty() {
            x.push(b',');
        }
        x.extend_from_slice(b"\"anomalies\":[");
        if let Some(e) = existing
            && e.len() > 2
            && e.starts_with('[')
            && e.ends_with(']')
        {
            x.extend_from_slice(&e.as_bytes()[1..e.len() - 1]);
            x.push(b',');
        }
        for (i, f) in flags.into_iter().enumerate() {
            if i > 0 {
                x.push(b',');
            }
            x.extend_from_slice(b"{\"rule\":");
            write_json_str(&f.rule, x);
            write_text_field(x, "kind", f.kind.as_deref());
            write_text_field(x, "severity", f.severity.as_deref());
            write_limit(x, f.limit);
            if let Some(d) = f.detail.as_deref().filter(|d| !d.is_empty()) {
                x.push(b',');
                x.extend_from_slice(d.as_bytes());
            }
            x.push(b'}');
        }
        x.push(b']');
        ReadingRef {
            extra: as_text(x),
            ..r.as_ref()
        }
    }
}

/// `,"key":"text"` when there is a text.
fn write_text_field(x: &mut Vec<u8>, key: &str, text: Option<&str>) {
    if let Some(t) = text {
        x.extend_from_slice(b",\"");
        x.extend_from_slice(key.as_bytes());
        x.extend_from_slice(b"\":");
        write_json_str(t, x);
    }
}

/// `,"limit":n` when there is a finite limit.
fn write_limit(x: &mut Vec<u8>, limit: Option<f64>) {
    if let Some(l) = limit.filter(|l| l.is_finite()) {
        x.extend_from_slice(b",\"limit\":");
        write_number(l, x);
    }
}

/// The fields written: JSON from strings and numbers, so UTF-8.
fn as_text(x: &[u8]) -> &str {
    std::str::from_utf8(x).unwrap_or_default()
}

fn bad(field: &'static str, message: impl Into<String>) -> ParseError {
    ParseError {
        field: Some(field),
        message: message.into(),
    }
}

fn finite(raw: &str, field: &'static str) -> Result<f64, ParseError> {
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(bad(field, format!("{raw} is not a finite number"))),
    }
}

/// A JSON string's text, borrowed when it holds nothing to unescape. An
/// extra field's value is one JSON value (`Reading::push_extra`), so a
/// quoted one without a backslash is its own text.
fn string<'a>(raw: &'a str, field: &'static str) -> Result<Cow<'a, str>, ParseError> {
    if let Some(inner) = raw.strip_prefix('"').and_then(|s| s.strip_suffix('"'))
        && !inner.contains('\\')
    {
        return Ok(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(raw)
        .map(Cow::Owned)
        .map_err(|_| bad(field, format!("{raw} is not a string")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Format, RecordEncoder, RecordParser};

    fn parse(line: &str) -> Reading {
        let mut r = Reading::default();
        RecordParser::new().parse(line.as_bytes(), &mut r).unwrap();
        r
    }

    fn line(r: &ReadingRef<'_>) -> String {
        let mut out = Vec::new();
        RecordEncoder::new(Format::Ndjson).encode(r, &mut out);
        String::from_utf8(out).unwrap()
    }

    const RAISED: &str = r#"{"ts":"2026-01-01T00:00:05Z","asset":"FERM-1","tag":"fermenter_temp","value":46.1,"unit":"degC","event":"raised","rule":"temp_hh","kind":"threshold","severity":"high","limit":45}"#;

    #[test]
    fn an_event_line_decodes_and_encodes_back_byte_for_byte() {
        let r = parse(RAISED);
        let ev = AlarmEvent::from_reading(&r).unwrap();
        assert_eq!(ev.event, EventKind::Raised);
        assert_eq!(ev.rule, "temp_hh");
        assert!(matches!(ev.rule, Cow::Borrowed(_)));
        assert_eq!(ev.kind.as_deref(), Some("threshold"));
        assert_eq!(ev.severity.as_deref(), Some("high"));
        assert_eq!(ev.limit, Some(45.0));
        assert_eq!((ev.value, ev.unit), (46.1, "degC"));
        let mut enc = AlarmEncoder::default();
        assert_eq!(line(&enc.encode(&ev)), format!("{RAISED}\n"));
    }

    #[test]
    fn an_event_without_a_limit_or_a_value_writes_none_and_zero() {
        let ev = AlarmEvent {
            ts: 0,
            asset: "A",
            tag: "t",
            unit: "",
            value: f64::NAN,
            event: EventKind::Cleared,
            rule: "zscore".into(),
            kind: Some("zscore".into()),
            severity: Some("medium".into()),
            limit: Some(f64::NAN),
        };
        assert_eq!(
            line(&AlarmEncoder::default().encode(&ev)),
            "{\"ts\":\"1970-01-01T00:00:00Z\",\"asset\":\"A\",\"tag\":\"t\",\"value\":0,\
             \"event\":\"cleared\",\"rule\":\"zscore\",\"kind\":\"zscore\",\"severity\":\"medium\"}\n"
        );
    }

    #[test]
    fn an_unknown_event_kind_is_kept_and_bad_fields_are_named() {
        let r = parse(r#"{"ts":0,"asset":"A","tag":"t","value":1,"event":"sh\u0065lved"}"#);
        let ev = AlarmEvent::from_reading(&r).unwrap();
        assert_eq!(ev.event, EventKind::Other("shelved".into()));
        assert_eq!((ev.rule.as_ref(), ev.kind, ev.limit), ("", None, None));
        for (line, field, message) in [
            (r#""event":5"#, "event", "5 is not a string"),
            (
                r#""event":"raised","rule":[1]"#,
                "rule",
                "[1] is not a string",
            ),
            (
                r#""event":"raised","limit":"45""#,
                "limit",
                "\"45\" is not a finite number",
            ),
            (
                r#""rule":"x""#,
                "event",
                "missing: the line is not an alarm event",
            ),
        ] {
            let r = parse(&format!(
                r#"{{"ts":0,"asset":"A","tag":"t","value":1,{line}}}"#
            ));
            let e = AlarmEvent::from_reading(&r).unwrap_err();
            assert_eq!(
                (e.field, e.message.as_str()),
                (Some(field), message),
                "{line}"
            );
        }
        let r = parse(r#"{"ts":0,"asset":"A","tag":"t","value":1,"event":"cleared","limit":null}"#);
        assert_eq!(AlarmEvent::from_reading(&r).unwrap().limit, None);
    }

    #[test]
    fn an_ack_carries_by_and_note_and_needs_by() {
        let line_in = r#"{"ts":"2026-01-01T00:01:00Z","asset":"FERM-1","tag":"fermenter_temp","value":0,"event":"acked","rule":"temp_hh","severity":"high","by":"ann","note":"valve \"B\" checked"}"#;
        let r = parse(line_in);
        let ev = AlarmEvent::from_reading(&r).unwrap();
        assert_eq!(
            ev.event,
            EventKind::Acked {
                by: "ann".into(),
                note: Some("valve \"B\" checked".into())
            }
        );
        assert_eq!(ev.event.name(), "acked");
        let mut enc = AlarmEncoder::default();
        assert_eq!(line(&enc.encode(&ev)), format!("{line_in}\n"));
        let r = parse(
            r#"{"ts":0,"asset":"A","tag":"t","value":0,"event":"acked","rule":"r","by":"bo","note":null}"#,
        );
        let ev = AlarmEvent::from_reading(&r).unwrap();
        assert_eq!(
            ev.event,
            EventKind::Acked {
                by: "bo".into(),
                note: None
            }
        );
        for (extra, message) in [
            ("", "missing: an acknowledgement names who made it"),
            (
                r#","by":" ""#,
                "empty: an acknowledgement names who made it",
            ),
            (r#","by":7"#, "7 is not a string"),
        ] {
            let r = parse(&format!(
                r#"{{"ts":0,"asset":"A","tag":"t","value":0,"event":"acked","rule":"r"{extra}}}"#
            ));
            let e = AlarmEvent::from_reading(&r).unwrap_err();
            assert_eq!(
                (e.field, e.message.as_str()),
                (Some("by"), message),
                "{extra}"
            );
        }
        // `by` on another kind of event is not the event's: it stays an extra field.
        let r =
            parse(r#"{"ts":0,"asset":"A","tag":"t","value":0,"event":"raised","rule":"r","by":5}"#);
        assert_eq!(
            AlarmEvent::from_reading(&r).unwrap().event,
            EventKind::Raised
        );
    }

    #[test]
    fn flags_are_added_after_the_other_fields() {
        let r = parse(r#"{"ts":0,"asset":"A","tag":"t","value":9,"note":"n"}"#);
        let flag = Anomaly {
            rule: "hi".into(),
            kind: Some("threshold".into()),
            severity: Some("medium".into()),
            limit: Some(4.5),
            detail: None,
        };
        let mut enc = AnomalyEncoder::default();
        let out = line(&enc.annotate(&r, [flag.clone()]));
        assert_eq!(
            out,
            "{\"ts\":\"1970-01-01T00:00:00Z\",\"asset\":\"A\",\"tag\":\"t\",\"value\":9,\"note\":\"n\",\
             \"anomalies\":[{\"rule\":\"hi\",\"kind\":\"threshold\",\"severity\":\"medium\",\"limit\":4.5}]}\n"
        );
        let back = parse(&out);
        let flags = Anomalies::from_reading(&back).unwrap().unwrap();
        assert!(!flags.is_empty());
        assert_eq!(flags.decode().unwrap(), vec![flag]);
    }

    #[test]
    fn flags_merge_with_those_a_reading_carries_and_keys_stay_as_written() {
        let r = parse(
            r#"{"ts":0,"asset":"A","tag":"t","value":9,"anomalies":[{"rule":"old"}],"a\nb":1}"#,
        );
        let flag = Anomaly {
            rule: "new".into(),
            kind: None,
            severity: None,
            limit: None,
            detail: None,
        };
        let mut enc = AnomalyEncoder::default();
        let rec = enc.annotate(&r, [flag]);
        assert_eq!(
            rec.extra,
            r#""a\nb":1,"anomalies":[{"rule":"old"},{"rule":"new"}]"#
        );
    }

    #[test]
    fn an_empty_or_missing_array_is_no_flag_and_a_non_array_is_refused() {
        let with = |a: &str| parse(&format!(r#"{{"ts":0,"asset":"A","tag":"t","value":1{a}}}"#));
        assert_eq!(Anomalies::from_reading(&with("")).unwrap(), None);
        let r = with(r#","anomalies":[ ]"#);
        assert!(Anomalies::from_reading(&r).unwrap().unwrap().is_empty());
        let r = with(r#","anomalies":{"rule":"x"}"#);
        let e = Anomalies::from_reading(&r).unwrap_err();
        assert_eq!(e.field, Some("anomalies"));
    }
}
