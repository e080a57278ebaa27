//! The NDJSON record codec shared by every verb (docs/records.md).
//!
//! A [`Reading`] is reused from line to line: [`RecordParser::parse`] clears
//! it and refills its strings in place, and [`RecordWriter`] serialises into
//! one reused buffer, so a stream of readings allocates nothing once the
//! buffers have grown to the longest line. Fields the codec does not know are
//! kept verbatim in [`Reading::extra`] and written back out after the known
//! ones, so a verb passes through what it does not understand (`anomalies`,
//! the rollup statistics, an alarm event's `event` and `rule`, …).
//!
//! [`parse`] reads lines into a [`Reading`]; [`encode`] writes readings as
//! NDJSON or CSV; [`alarm`] types the alarm events and anomaly flags that
//! `detect` writes.

pub mod alarm;
mod encode;
mod fast;
mod parse;

pub use encode::{
    CSV_HEADER, EncodedSeries, Format, RecordEncoder, RecordWriter, encode_asset_part,
    encode_tag_part, round_half_even, write_json_str, write_number,
};
pub use parse::{ParseError, RecordParser};

use crate::time::Millis;

/// Data quality of a reading, as OPC UA and historians grade it; ordered
/// from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Quality {
    #[default]
    Good,
    Uncertain,
    Bad,
}

impl Quality {
    pub fn as_str(self) -> &'static str {
        match self {
            Quality::Good => "good",
            Quality::Uncertain => "uncertain",
            Quality::Bad => "bad",
        }
    }

    /// Accepts the three grades in any letter case (`Good`, `BAD`).
    pub fn parse(s: &str) -> Option<Quality> {
        [Quality::Good, Quality::Uncertain, Quality::Bad]
            .into_iter()
            .find(|q| q.as_str().eq_ignore_ascii_case(s))
    }
}

/// One reading, owned and reusable. Empty `unit`, `text` and `fault` mean the
/// field is absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    pub ts: Millis,
    pub asset: String,
    pub tag: String,
    pub value: f64,
    pub unit: String,
    pub quality: Quality,
    pub text: String,
    pub fault: String,
    /// Other fields as JSON text, `"key":value` pairs joined by commas, in
    /// input order; see [`Reading::push_extra`].
    extra: String,
    /// Where each extra field's key (inside its quotes) and value lie in
    /// `extra`.
    extra_index: Vec<ExtraSpan>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct ExtraSpan {
    key: (u32, u32),
    value: (u32, u32),
}

impl Reading {
    pub fn clear(&mut self) {
        self.ts = 0;
        self.asset.clear();
        self.tag.clear();
        self.value = 0.0;
        self.unit.clear();
        self.quality = Quality::Good;
        self.text.clear();
        self.fault.clear();
        self.extra.clear();
        self.extra_index.clear();
    }

    pub fn as_ref(&self) -> ReadingRef<'_> {
        ReadingRef {
            ts: self.ts,
            asset: &self.asset,
            tag: &self.tag,
            value: self.value,
            unit: &self.unit,
            quality: self.quality,
            text: &self.text,
            fault: &self.fault,
            extra: &self.extra,
            encoded: None,
        }
    }

    /// Appends a field to the extra fields; `raw_json` must be one JSON
    /// value.
    pub fn push_extra(&mut self, key: &str, raw_json: &str) {
        if !self.extra.is_empty() {
            self.extra.push(',');
        }
        let key_start = self.extra.len() + 1;
        let mut buf = Vec::with_capacity(key.len() + 2);
        write_json_str(key, &mut buf);
        self.extra
            .push_str(std::str::from_utf8(&buf).unwrap_or_default());
        let key_end = self.extra.len() - 1;
        self.extra.push(':');
        let value_start = self.extra.len();
        self.extra.push_str(raw_json);
        let span = |a: usize, b: usize| (a as u32, b as u32);
        self.extra_index.push(ExtraSpan {
            key: span(key_start, key_end),
            value: span(value_start, self.extra.len()),
        });
    }

    /// The extra fields as JSON text: `"key":value` pairs joined by commas.
    pub fn extra(&self) -> &str {
        &self.extra
    }

    /// Drops every extra field.
    pub fn clear_extra(&mut self) {
        self.extra.clear();
        self.extra_index.clear();
    }

    /// The raw JSON text of an extra field, if present. Keys are compared
    /// as they are written in JSON, so a plain name finds a plain key.
    #[inline]
    pub fn extra_field(&self, key: &str) -> Option<&str> {
        if self.extra_index.is_empty() {
            return None;
        }
        self.extra_index.iter().find_map(|s| {
            let k = &self.extra[s.key.0 as usize..s.key.1 as usize];
            (k == key).then(|| &self.extra[s.value.0 as usize..s.value.1 as usize])
        })
    }

    /// The extra fields as (key, raw JSON value) pairs, in order.
    pub fn extra_fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.extra_index.iter().map(|s| {
            (
                &self.extra[s.key.0 as usize..s.key.1 as usize],
                &self.extra[s.value.0 as usize..s.value.1 as usize],
            )
        })
    }

    /// An alarm event line (docs/records.md) carries an `event` field.
    pub fn is_event(&self) -> bool {
        self.extra_field("event").is_some()
    }
}

/// A reading whose strings are borrowed: what verbs that generate records
/// (simulate, poll) hand to the writer without copying.
#[derive(Debug, Clone, Copy)]
pub struct ReadingRef<'a> {
    pub ts: Millis,
    pub asset: &'a str,
    pub tag: &'a str,
    pub value: f64,
    pub unit: &'a str,
    pub quality: Quality,
    pub text: &'a str,
    pub fault: &'a str,
    pub extra: &'a str,
    /// The series' strings already encoded, for writers that emit the
    /// same series again and again.
    pub encoded: Option<EncodedSeries<'a>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Reading, ParseError> {
        let mut r = Reading::default();
        RecordParser::new()
            .parse(line.as_bytes(), &mut r)
            .map(|()| r)
    }

    fn encode(r: &Reading) -> String {
        let mut out = Vec::new();
        RecordEncoder::new(Format::Ndjson).encode(&r.as_ref(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn parses_and_prints_the_contract_example() {
        let line = r#"{"ts":"2026-01-01T00:00:01Z","asset":"WH-01","tag":"tubing_pressure","value":1523.42,"unit":"psi"}"#;
        let r = parse(line).unwrap();
        assert_eq!(r.ts, 1_767_225_601_000);
        assert_eq!(encode(&r), format!("{line}\n"));
    }

    #[test]
    fn keeps_unknown_fields_in_order() {
        let r = parse(
            r#"{"anomalies":[{"rule":"x"}],"ts":0,"asset":"A","tag":"t","value":1,"every":"1m"}"#,
        )
        .unwrap();
        assert_eq!(r.extra(), r#""anomalies":[{"rule":"x"}],"every":"1m""#);
        assert_eq!(r.extra_field("every"), Some("\"1m\""));
        assert_eq!(r.extra_field("anomalies"), Some(r#"[{"rule":"x"}]"#));
        assert_eq!(r.extra_field("rule"), None);
    }

    #[test]
    fn numbers_read_back_exactly() {
        for v in [
            0.0,
            -0.5,
            1523.42,
            0.001,
            -0.000123,
            1e-7,
            12345678.9,
            1e20,
            0.1 + 0.2,
            2.5e-300,
            -37.0,
        ] {
            let mut out = Vec::new();
            write_number(v, &mut out);
            let text = std::str::from_utf8(&out).unwrap();
            assert_eq!(text.parse::<f64>().unwrap(), v, "{text}");
        }
        let mut out = Vec::new();
        write_number(-0.05, &mut out);
        assert_eq!(out, b"-0.05");
    }

    #[test]
    fn names_the_field_at_fault() {
        let e = parse(r#"{"ts":"2026-01-01T00:00:00Z","asset":"A","tag":"t","value":null}"#)
            .unwrap_err();
        assert_eq!(e.field, Some("value"));
        let e =
            parse(r#"{"ts":"2026-02-30T00:00:00Z","asset":"A","tag":"t","value":1}"#).unwrap_err();
        assert_eq!(e.field, Some("ts"));
        let e = parse(r#"{"ts":"2026-01-01T00:00:00Z","tag":"t","value":1}"#).unwrap_err();
        assert_eq!(e.field, Some("asset"));
        assert!(e.to_string().contains("missing"), "{e}");
    }
}
