//! Reading NDJSON lines into a reused [`Reading`] with serde_json, keeping
//! the fields iiot does not know verbatim and naming the field at fault when
//! a line is bad.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::{Quality, Reading};
use crate::time::{self, Millis};

/// Why a line was rejected: the field at fault (when one is) and what was
/// wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub field: Option<&'static str>,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            Some(field) => write!(f, "field \"{field}\": {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ParseError {}

/// Parses NDJSON lines into a reused [`Reading`]. Remembers the last
/// timestamp text it parsed: the readings of one tick share it.
#[derive(Debug, Default)]
pub struct RecordParser {
    last_ts_text: String,
    last_ts: Millis,
    /// Whether `last_ts_text` is as the encoder writes `last_ts`, once asked.
    last_ts_canonical: Option<bool>,
    ts_text: Vec<u8>,
    ts_format: time::TsFormatter,
    /// Set by each parse: the line was read by the fast path and is
    /// exactly what the NDJSON encoder writes for the record.
    pub canonical: bool,
}

impl RecordParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses one line (without its newline) into `out`.
    pub fn parse(&mut self, line: &[u8], out: &mut Reading) -> Result<(), ParseError> {
        // Valid UTF-8 checked once for the whole line is cheaper than
        // serde_json checking string by string; a line that is not UTF-8 goes
        // the slow way, so its message names the field the bad bytes are in.
        match std::str::from_utf8(line) {
            Ok(text) => self.parse_str(text, out),
            Err(_) => {
                self.canonical = false;
                let mut field: Option<&'static str> = None;
                self.parse_with(serde_json::Deserializer::from_slice(line), out, &mut field)
                    .map_err(|e| ParseError {
                        field,
                        message: describe_json_error(&e),
                    })
            }
        }
    }

    /// [`RecordParser::parse`] of a line already known to be UTF-8 (a
    /// block of lines checked at once).
    pub fn parse_str(&mut self, text: &str, out: &mut Reading) -> Result<(), ParseError> {
        if super::fast::parse(self, text, out) {
            return Ok(());
        }
        let mut field: Option<&'static str> = None;
        self.parse_with(serde_json::Deserializer::from_str(text), out, &mut field)
            .map_err(|e| ParseError {
                field,
                message: describe_json_error(&e),
            })
    }

    /// Whether the time text parsed last is exactly as the encoder writes
    /// its instant; worked out once per distinct text.
    pub(super) fn ts_text_is_canonical(&mut self) -> bool {
        if let Some(known) = self.last_ts_canonical {
            return known;
        }
        self.ts_text.clear();
        self.ts_format.write(self.last_ts, &mut self.ts_text);
        let known = self.ts_text == self.last_ts_text.as_bytes();
        self.last_ts_canonical = Some(known);
        known
    }

    /// [`RecordParser::parse`] without the fast path, for comparing the two.
    #[cfg(test)]
    pub(super) fn parse_slow(&mut self, line: &[u8], out: &mut Reading) -> Result<(), ParseError> {
        let mut field: Option<&'static str> = None;
        self.parse_with(serde_json::Deserializer::from_slice(line), out, &mut field)
            .map_err(|e| ParseError {
                field,
                message: describe_json_error(&e),
            })
    }

    fn parse_with<'de, R: serde_json::de::Read<'de>>(
        &mut self,
        mut de: serde_json::Deserializer<R>,
        out: &mut Reading,
        field: &mut Option<&'static str>,
    ) -> Result<(), serde_json::Error> {
        let seed = ReadingSeed {
            out,
            parser: self,
            field,
        };
        seed.deserialize(&mut de)?;
        de.end()
    }

    pub(super) fn parse_ts_text(&mut self, s: &str) -> Result<Millis, String> {
        if s == self.last_ts_text && !s.is_empty() {
            return Ok(self.last_ts);
        }
        // In range when parsed: an offset can move a time out of it, and the
        // message then names the UTC instant.
        let ms = time::parse_rfc3339(s).map_err(|e| e.to_string())?;
        self.last_ts_text.clear();
        self.last_ts_text.push_str(s);
        self.last_ts = ms;
        self.last_ts_canonical = None;
        Ok(ms)
    }
}

fn check_ts_range(ms: Millis) -> Result<Millis, String> {
    if (time::MIN_MILLIS..=time::MAX_MILLIS).contains(&ms) {
        Ok(ms)
    } else {
        Err(format!(
            "{ms} is outside the years 0001 to 9999 (epoch milliseconds {} to {})",
            time::MIN_MILLIS,
            time::MAX_MILLIS
        ))
    }
}

/// serde_json appends "at line 1 column N"; on a one-line record only the
/// column means anything.
fn describe_json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let base = match text.rfind(" at line ") {
        Some(i) => &text[..i],
        None => &text,
    };
    if e.column() > 0 {
        format!("{base} (column {})", e.column())
    } else {
        base.to_string()
    }
}

enum Key<'de> {
    Ts,
    Asset,
    Tag,
    Value,
    Unit,
    Quality,
    Text,
    Fault,
    Other(Cow<'de, str>),
}

impl<'de> Key<'de> {
    fn from_str(s: &str) -> Option<Key<'de>> {
        Some(match s {
            "ts" => Key::Ts,
            "asset" => Key::Asset,
            "tag" => Key::Tag,
            "value" => Key::Value,
            "unit" => Key::Unit,
            "quality" => Key::Quality,
            "text" => Key::Text,
            "fault" => Key::Fault,
            _ => return None,
        })
    }
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key<'de>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Key<'de>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key::from_str(v).unwrap_or(Key::Other(Cow::Borrowed(v))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key::from_str(v).unwrap_or_else(|| Key::Other(Cow::Owned(v.to_string()))))
    }
}

struct ReadingSeed<'a> {
    out: &'a mut Reading,
    parser: &'a mut RecordParser,
    field: &'a mut Option<&'static str>,
}

impl<'de> DeserializeSeed<'de> for ReadingSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

const REQUIRED: [&str; 4] = ["ts", "asset", "tag", "value"];

impl<'de> Visitor<'de> for ReadingSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object with ts, asset, tag and value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.out;
        out.clear();
        // Bit i set: field i of the known ones has been seen.
        let mut seen = 0u8;
        loop {
            // A fault in a key, or between fields, belongs to no field.
            *self.field = None;
            let Some(key) = map.next_key_seed(KeySeed)? else {
                break;
            };
            let (bit, name) = match &key {
                Key::Ts => (0, "ts"),
                Key::Asset => (1, "asset"),
                Key::Tag => (2, "tag"),
                Key::Value => (3, "value"),
                Key::Unit => (4, "unit"),
                Key::Quality => (5, "quality"),
                Key::Text => (6, "text"),
                Key::Fault => (7, "fault"),
                Key::Other(_) => (8, ""),
            };
            if bit < 8 {
                *self.field = Some(name);
                if seen & (1 << bit) != 0 {
                    return Err(de::Error::custom("appears twice"));
                }
                seen |= 1 << bit;
            } else {
                *self.field = None;
            }
            match key {
                Key::Ts => out.ts = map.next_value_seed(TsSeed(&mut *self.parser))?,
                Key::Asset => map.next_value_seed(StrInto(&mut out.asset, false))?,
                Key::Tag => map.next_value_seed(StrInto(&mut out.tag, false))?,
                Key::Unit => map.next_value_seed(StrInto(&mut out.unit, true))?,
                Key::Text => map.next_value_seed(StrInto(&mut out.text, true))?,
                Key::Fault => map.next_value_seed(StrInto(&mut out.fault, true))?,
                Key::Value => out.value = map.next_value_seed(ValueSeed)?,
                Key::Quality => out.quality = map.next_value_seed(QualitySeed)?,
                Key::Other(name) => {
                    let raw: &'de RawValue = map.next_value()?;
                    out.push_extra(&name, raw.get());
                }
            }
        }
        for (bit, name) in REQUIRED.iter().enumerate() {
            if seen & (1 << bit) == 0 {
                *self.field = Some(name);
                return Err(de::Error::custom("is missing"));
            }
        }
        *self.field = None;
        Ok(())
    }
}

/// Deserialises a string into a reused buffer. `asset` and `tag` must not be
/// empty; optional strings may be (and then count as absent).
struct StrInto<'a>(&'a mut String, bool);

impl<'de> DeserializeSeed<'de> for StrInto<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for StrInto<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        if v.is_empty() && !self.1 {
            return Err(E::custom("must not be empty"));
        }
        self.0.clear();
        self.0.push_str(v);
        Ok(())
    }
}

struct TsSeed<'a>(&'a mut RecordParser);

impl<'de> DeserializeSeed<'de> for TsSeed<'_> {
    type Value = Millis;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Millis, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TsSeed<'_> {
    type Value = Millis;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 string or integer epoch milliseconds")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Millis, E> {
        self.0.parse_ts_text(v).map_err(E::custom)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Millis, E> {
        check_ts_range(v).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Millis, E> {
        let ms = i64::try_from(v)
            .map_err(|_| E::custom(format!("{v} is outside the years 0001 to 9999")))?;
        check_ts_range(ms).map_err(E::custom)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Millis, E> {
        Err(E::custom(format!(
            "{v:?} is not an integer; epoch timestamps are whole milliseconds"
        )))
    }
}

struct ValueSeed;

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = f64;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<f64, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a finite number")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(E::custom("is not finite"))
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
}

struct QualitySeed;

impl<'de> DeserializeSeed<'de> for QualitySeed {
    type Value = Quality;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Quality, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for QualitySeed {
    type Value = Quality;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"good\", \"uncertain\" or \"bad\"")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Quality, E> {
        Quality::parse(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}
