//! The NDJSON record codec shared by every verb (DESIGN §2).
//!
//! A [`Reading`] is reused from line to line: [`RecordParser::parse`] clears
//! it and refills its strings in place, and [`RecordWriter`] serialises into
//! one reused buffer, so a stream of readings allocates nothing once the
//! buffers have grown to the longest line. Fields the codec does not know are
//! kept verbatim in [`Reading::extra`] and written back out after the known
//! ones, so a verb passes through what it does not understand (`anomalies`,
//! the rollup statistics, an alarm event's `event` and `rule`, …).

use std::borrow::Cow;
use std::fmt;
use std::io::Write;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::time::{self, Millis, TsFormatter};

/// Data quality of a reading, as OPC UA and historians grade it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
    pub fn extra_field(&self, key: &str) -> Option<&str> {
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

    /// An alarm event line (DESIGN §2) carries an `event` field.
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

/// A series' asset, tag and unit encoded once as JSON, so a generator need
/// not escape them for every reading. Build the parts with
/// [`encode_asset_part`] and [`encode_tag_part`].
#[derive(Debug, Clone, Copy)]
pub struct EncodedSeries<'a> {
    /// `"asset":"WH-01","tag":`
    pub asset: &'a [u8],
    /// `"tubing_pressure","value":`
    pub tag: &'a [u8],
    /// `,"unit":"psi"`, or empty when there is no unit.
    pub unit: &'a [u8],
}

/// The asset part of an [`EncodedSeries`].
pub fn encode_asset_part(asset: &str) -> Vec<u8> {
    let mut out = b"\"asset\":".to_vec();
    write_json_str(asset, &mut out);
    out.extend_from_slice(b",\"tag\":");
    out
}

/// The tag and unit parts of an [`EncodedSeries`].
pub fn encode_tag_part(tag: &str, unit: &str) -> (Vec<u8>, Vec<u8>) {
    let mut t = Vec::with_capacity(tag.len() + 12);
    write_json_str(tag, &mut t);
    t.extend_from_slice(b",\"value\":");
    let mut u = Vec::new();
    if !unit.is_empty() {
        u.extend_from_slice(b",\"unit\":");
        write_json_str(unit, &mut u);
    }
    (t, u)
}

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
}

impl RecordParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses one line (without its newline) into `out`.
    pub fn parse(&mut self, line: &[u8], out: &mut Reading) -> Result<(), ParseError> {
        let mut field: Option<&'static str> = None;
        let mut de = serde_json::Deserializer::from_slice(line);
        let seed = ReadingSeed {
            out,
            parser: self,
            field: &mut field,
        };
        let result = seed.deserialize(&mut de).and_then(|()| de.end());
        result.map_err(|e| ParseError {
            field,
            message: describe_json_error(&e),
        })
    }

    fn parse_ts_text(&mut self, s: &str) -> Result<Millis, String> {
        if s == self.last_ts_text && !s.is_empty() {
            return Ok(self.last_ts);
        }
        let ms = time::parse_rfc3339(s)
            .map_err(|e| format!("{s:?} is not an RFC 3339 timestamp: {e}"))?;
        check_ts_range(ms)?;
        self.last_ts_text.clear();
        self.last_ts_text.push_str(s);
        self.last_ts = ms;
        Ok(ms)
    }
}

fn check_ts_range(ms: Millis) -> Result<Millis, String> {
    if (time::MIN_MILLIS..=time::MAX_MILLIS).contains(&ms) {
        Ok(ms)
    } else {
        Err(format!("{ms} is outside the years 0001 to 9999"))
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

/// Bytes that a JSON string must escape.
static ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Appends `s` as a JSON string. Plain text (the usual asset and tag names)
/// is copied straight; anything needing escapes goes through serde_json.
#[inline]
pub fn write_json_str(s: &str, out: &mut Vec<u8>) {
    if !s.bytes().any(|b| ESCAPE[b as usize]) {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

const POW10: [f64; 7] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6];

/// Appends a finite number the shortest way that reads back exactly.
///
/// Sensor values are mostly a whole number of hundredths or thousandths;
/// those are written as fixed-point decimals straight from the integer
/// `n = v·10^k` (for the smallest such `k` up to 6), which parses back to
/// `v` because both `n / 10^k` and the parse of its decimal are correctly
/// rounded from the same number. Everything else goes through ryu.
#[inline]
pub fn write_number(v: f64, out: &mut Vec<u8>) {
    if v.abs() < 1e9 {
        for (k, p) in POW10.iter().enumerate() {
            let n = round_half_even(v * p);
            if n / p == v {
                write_fixed(n as i64, k, out);
                return;
            }
        }
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        let mut b = itoa::Buffer::new();
        out.extend_from_slice(b.format(v as i64).as_bytes());
        return;
    }
    let mut b = ryu::Buffer::new();
    out.extend_from_slice(b.format_finite(v).as_bytes());
}

/// Rounds to the nearest integer, ties to even, for |x| < 2^51: adding and
/// taking away 1.5·2^52 leaves no fraction bits, so IEEE arithmetic does
/// the rounding. Exact and the same on every machine, and much cheaper than
/// the `round` library call a baseline x86-64 build makes.
#[inline]
pub fn round_half_even(x: f64) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    if x.abs() < 2_251_799_813_685_248.0 {
        (x + MAGIC) - MAGIC
    } else {
        x
    }
}

/// Writes `n / 10^k` with exactly `k` decimals (`k` ≤ 6).
#[inline]
fn write_fixed(n: i64, k: usize, out: &mut Vec<u8>) {
    let mut b = itoa::Buffer::new();
    if k == 0 {
        out.extend_from_slice(b.format(n).as_bytes());
        return;
    }
    if n < 0 {
        out.push(b'-');
    }
    let digits = b.format(n.unsigned_abs()).as_bytes();
    if digits.len() > k {
        let (int, frac) = digits.split_at(digits.len() - k);
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    } else {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', k - digits.len()));
        out.extend_from_slice(digits);
    }
}

/// Output format of the verbs that write records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per line (the contract of DESIGN §2).
    #[default]
    Ndjson,
    /// A header and the fixed columns ts,asset,tag,value,unit,quality,text,fault; other fields are left out.
    Csv,
}

/// The CSV header; other fields are not carried by CSV.
pub const CSV_HEADER: &[u8] = b"ts,asset,tag,value,unit,quality,text,fault\n";

/// Serialises readings into a reused buffer in NDJSON or CSV.
#[derive(Debug)]
pub struct RecordEncoder {
    format: Format,
    ts: TsFormatter,
    header_done: bool,
}

impl RecordEncoder {
    pub fn new(format: Format) -> Self {
        RecordEncoder {
            format,
            ts: TsFormatter::new(),
            header_done: false,
        }
    }

    /// Appends one record, with its newline, to `out`.
    pub fn encode(&mut self, r: &ReadingRef<'_>, out: &mut Vec<u8>) {
        match self.format {
            Format::Ndjson => self.encode_json(r, out),
            Format::Csv => self.encode_csv(r, out),
        }
    }

    fn encode_json(&mut self, r: &ReadingRef<'_>, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"ts\":\"");
        self.ts.write(r.ts, out);
        out.extend_from_slice(b"\",");
        if let Some(enc) = r.encoded {
            out.extend_from_slice(enc.asset);
            out.extend_from_slice(enc.tag);
            write_number(r.value, out);
            out.extend_from_slice(enc.unit);
        } else {
            out.extend_from_slice(b"\"asset\":");
            write_json_str(r.asset, out);
            out.extend_from_slice(b",\"tag\":");
            write_json_str(r.tag, out);
            out.extend_from_slice(b",\"value\":");
            write_number(r.value, out);
            if !r.unit.is_empty() {
                out.extend_from_slice(b",\"unit\":");
                write_json_str(r.unit, out);
            }
        }
        if r.quality != Quality::Good {
            out.extend_from_slice(b",\"quality\":\"");
            out.extend_from_slice(r.quality.as_str().as_bytes());
            out.push(b'"');
        }
        if !r.text.is_empty() {
            out.extend_from_slice(b",\"text\":");
            write_json_str(r.text, out);
        }
        if !r.fault.is_empty() {
            out.extend_from_slice(b",\"fault\":");
            write_json_str(r.fault, out);
        }
        if !r.extra.is_empty() {
            out.push(b',');
            out.extend_from_slice(r.extra.as_bytes());
        }
        out.extend_from_slice(b"}\n");
    }

    fn encode_csv(&mut self, r: &ReadingRef<'_>, out: &mut Vec<u8>) {
        if !self.header_done {
            out.extend_from_slice(CSV_HEADER);
            self.header_done = true;
        }
        self.ts.write(r.ts, out);
        out.push(b',');
        write_csv_field(r.asset, out);
        out.push(b',');
        write_csv_field(r.tag, out);
        out.push(b',');
        write_number(r.value, out);
        out.push(b',');
        write_csv_field(r.unit, out);
        out.push(b',');
        if r.quality != Quality::Good {
            out.extend_from_slice(r.quality.as_str().as_bytes());
        }
        out.push(b',');
        write_csv_field(r.text, out);
        out.push(b',');
        write_csv_field(r.fault, out);
        out.push(b'\n');
    }
}

/// Appends one CSV field, quoted by the csv crate's own rules.
fn write_csv_field(s: &str, out: &mut Vec<u8>) {
    if !s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(s.len() + 4));
    // Writing into a Vec cannot fail; the record ends with a newline we drop.
    if w.write_field(s).is_ok() && w.write_record(None::<&[u8]>).is_ok() {
        if let Ok(mut bytes) = w.into_inner() {
            while bytes.last() == Some(&b'\n') || bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
            out.extend_from_slice(&bytes);
        }
    }
}

/// Writes readings to a byte sink through one reused buffer.
pub struct RecordWriter<W: Write> {
    sink: W,
    encoder: RecordEncoder,
    buf: Vec<u8>,
    line_buffered: bool,
}

/// Flush to the sink once this much is buffered.
const FLUSH_AT: usize = 64 * 1024;

impl<W: Write> RecordWriter<W> {
    pub fn new(sink: W, format: Format, line_buffered: bool) -> Self {
        RecordWriter {
            sink,
            encoder: RecordEncoder::new(format),
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            line_buffered,
        }
    }

    pub fn write(&mut self, r: &ReadingRef<'_>) -> std::io::Result<()> {
        self.encoder.encode(r, &mut self.buf);
        if self.line_buffered {
            self.flush()
        } else {
            self.flush_if_full()
        }
    }

    /// Writes a line as it is (an event or other record passed through).
    pub fn write_raw_line(&mut self, line: &[u8]) -> std::io::Result<()> {
        self.buf.extend_from_slice(line);
        self.buf.push(b'\n');
        if self.line_buffered {
            self.flush()
        } else {
            self.flush_if_full()
        }
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            self.sink.write_all(&self.buf)?;
            self.buf.clear();
        }
        self.sink.flush()
    }

    /// Flushes what is buffered without flushing the sink itself.
    pub fn flush_if_full(&mut self) -> std::io::Result<()> {
        if self.buf.len() >= FLUSH_AT {
            self.sink.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
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
