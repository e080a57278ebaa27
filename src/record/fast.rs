//! The fast path of the record parser, for the shape nearly every line of
//! a stream has: one flat object of the known fields (`ts`, `asset`, `tag`,
//! `value`, `unit`, `quality`, `text`, `fault`), no white space, strings
//! without escapes. It reads such a line in one pass, about four times
//! faster than going through serde's visitor; anything else — another
//! field, an escape, white space, a number or time it does not take, any
//! error at all — is left to serde_json ([`super::parse`]), which gives the
//! same record or the one error message. So the fast path decides nothing:
//! a line it accepts is one serde_json reads the same way (a property test
//! below holds it to that).

use super::{Quality, Reading, RecordParser};

/// Parses `line` into `out` if it has the common shape; false leaves it to
/// the full parser (`out` may then hold part of the line). On success
/// `parser.canonical` says whether the line is, byte for byte, what the
/// NDJSON encoder writes for `out` (so a verb passing it on may copy it).
pub(super) fn parse(parser: &mut RecordParser, text: &str, out: &mut Reading) -> bool {
    parser.canonical = false;
    let line = text.as_bytes();
    // No escapes and no control characters anywhere: one pass over the
    // line instead of one per string.
    let odd = line
        .iter()
        .fold(0u8, |c, &b| c | u8::from(b < 0x20) | u8::from(b == b'\\'));
    if odd != 0 {
        return false;
    }
    let mut p = Cursor { text, line, at: 0 };
    if !p.eat(b'{') {
        return false;
    }
    out.clear();
    let mut seen = 0u8;
    // Canonical so far: fields in the encoder's order, each as it writes it.
    let mut canonical = true;
    loop {
        let Some(key) = p.string() else { return false };
        if !p.eat(b':') {
            return false;
        }
        let bit = match key {
            "ts" => 0,
            "asset" => 1,
            "tag" => 2,
            "value" => 3,
            "unit" => 4,
            "quality" => 5,
            "text" => 6,
            "fault" => 7,
            _ => return false,
        };
        if seen & (1 << bit) != 0 {
            return false;
        }
        // A later field of the encoder's order than every one before it.
        canonical &= seen >> bit == 0;
        seen |= 1 << bit;
        let ok = match bit {
            0 => {
                let quoted = p.line.get(p.at) == Some(&b'"');
                let ok = p.ts(parser, out);
                canonical &= quoted && ok && parser.ts_text_is_canonical();
                ok
            }
            1 => p.text_into(&mut out.asset, false),
            2 => p.text_into(&mut out.tag, false),
            3 => match p.number() {
                Some((v, as_written)) => {
                    out.value = v;
                    canonical &= as_written;
                    true
                }
                None => false,
            },
            4 => {
                let ok = p.text_into(&mut out.unit, true);
                canonical &= !out.unit.is_empty();
                ok
            }
            5 => match p.string() {
                Some(q) => match Quality::parse(q) {
                    Some(q2) => {
                        out.quality = q2;
                        canonical &= q2 != Quality::Good && q == q2.as_str();
                        true
                    }
                    None => false,
                },
                None => false,
            },
            6 => {
                let ok = p.text_into(&mut out.text, true);
                canonical &= !out.text.is_empty();
                ok
            }
            _ => {
                let ok = p.text_into(&mut out.fault, true);
                canonical &= !out.fault.is_empty();
                ok
            }
        };
        if !ok {
            return false;
        }
        if p.eat(b',') {
            continue;
        }
        if p.eat(b'}') {
            break;
        }
        return false;
    }
    // ts, asset, tag and value are required; nothing may follow.
    let ok = seen & 0b1111 == 0b1111 && p.at == line.len();
    parser.canonical = ok && canonical;
    ok
}

/// Where the first `"` of `bytes` is: eight bytes at a time (a word with
/// a zero byte where the quote is), then the tail byte by byte.
#[inline]
fn find_quote(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const QUOTES: u64 = ONES * b'"' as u64;
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let x = u64::from_le_bytes(word) ^ QUOTES;
        // The lowest byte flagged is the first zero byte exactly (a borrow
        // can only flag bytes above a true zero).
        let zero = x.wrapping_sub(ONES) & !x & HIGH;
        if zero != 0 {
            return Some(base + (zero.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    let tail = chunks.remainder();
    tail.iter().position(|&b| b == b'"').map(|i| base + i)
}

/// Powers of ten a double holds exactly.
const EXACT_POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// A plain decimal `[-]digits[.digits]` of at most 15 significant digits,
/// as one division: both the digits as an integer (under 2^53) and the
/// power of ten are exact, so the quotient is correctly rounded — the
/// number a full parse gives (Clinger's fast path). With it, whether the
/// encoder writes the number back the same way: under 10^9, at most six
/// decimals, no trailing zero in them, and not a negative zero.
fn plain_decimal(text: &[u8]) -> Option<(f64, bool)> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let mut mantissa: u64 = 0;
    let mut count = 0usize;
    let mut decimals: Option<usize> = None;
    let mut last = b'0';
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                count += 1;
                if let Some(d) = decimals.as_mut() {
                    *d += 1;
                }
                last = b;
            }
            b'.' if decimals.is_none() => decimals = Some(0),
            _ => return None,
        }
        if count > 15 {
            return None;
        }
    }
    let decimals_n = decimals.unwrap_or(0);
    let magnitude = mantissa as f64 / EXACT_POW10[decimals_n];
    let value = if negative { -magnitude } else { magnitude };
    let as_written = magnitude < 1e9
        && decimals_n <= 6
        && !(decimals.is_some() && last == b'0')
        && !(negative && mantissa == 0);
    Some((value, as_written))
}

struct Cursor<'a> {
    text: &'a str,
    line: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn eat(&mut self, b: u8) -> bool {
        if self.line.get(self.at) == Some(&b) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// A string (the line has no escapes or control characters): what lies
    /// between the quotes (ASCII, so the slice is on character boundaries).
    fn string(&mut self) -> Option<&'a str> {
        if !self.eat(b'"') {
            return None;
        }
        // Short strings: a word at a time beats memchr's setup.
        let end = find_quote(&self.line[self.at..])?;
        let s = self.text.get(self.at..self.at + end)?;
        self.at += end + 1;
        Some(s)
    }

    fn text_into(&mut self, into: &mut String, may_be_empty: bool) -> bool {
        match self.string() {
            Some(s) if may_be_empty || !s.is_empty() => {
                into.clear();
                into.push_str(s);
                true
            }
            _ => false,
        }
    }

    /// The bytes of a number in JSON's grammar, and whether it is an
    /// integer (no fraction, no exponent).
    fn number_text(&mut self) -> Option<(&'a str, bool)> {
        let start = self.at;
        let digits = |c: &mut Cursor<'_>| {
            let from = c.at;
            while c.line.get(c.at).is_some_and(u8::is_ascii_digit) {
                c.at += 1;
            }
            c.at - from
        };
        self.eat(b'-');
        match self.line.get(self.at) {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return None,
        }
        let mut integer = true;
        if self.eat(b'.') {
            integer = false;
            if digits(self) == 0 {
                return None;
            }
        }
        if self
            .line
            .get(self.at)
            .is_some_and(|&b| b == b'e' || b == b'E')
        {
            integer = false;
            self.at += 1;
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if digits(self) == 0 {
                return None;
            }
        }
        Some((self.text.get(start..self.at)?, integer))
    }

    /// A finite number as serde_json reads one: an integer that fits i64
    /// or u64 converted from it, anything else parsed as a float; and
    /// whether the encoder writes it back as it is written here.
    fn number(&mut self) -> Option<(f64, bool)> {
        let (text, integer) = self.number_text()?;
        if let Some(plain) = plain_decimal(text.as_bytes()) {
            return Some(plain);
        }
        self.number_value(text, integer).map(|v| (v, false))
    }

    fn number_value(&self, text: &str, integer: bool) -> Option<f64> {
        if integer {
            if text.starts_with('-') {
                // serde_json reads -0 as the float -0.0, other negative
                // integers that fit as i64.
                match text.parse::<i64>() {
                    Ok(0) => return Some(-0.0),
                    Ok(v) => return Some(v as f64),
                    Err(_) => {}
                }
            } else if let Ok(v) = text.parse::<u64>() {
                return Some(v as f64);
            }
        }
        text.parse::<f64>().ok().filter(|v| v.is_finite())
    }

    fn ts(&mut self, parser: &mut RecordParser, out: &mut Reading) -> bool {
        if self.line.get(self.at) == Some(&b'"') {
            let Some(s) = self.string() else {
                return false;
            };
            return match parser.parse_ts_text(s) {
                Ok(ms) => {
                    out.ts = ms;
                    true
                }
                Err(_) => false,
            };
        }
        match self.number_text() {
            // serde_json reads -0 as a float, which is no time.
            Some((text, true)) if text != "-0" => match text.parse::<i64>() {
                Ok(ms) if (crate::time::MIN_MILLIS..=crate::time::MAX_MILLIS).contains(&ms) => {
                    out.ts = ms;
                    true
                }
                _ => false,
            },
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::record::{Format, RecordEncoder};

    /// The full parser alone, as every line was read before the fast path.
    fn slow(line: &str) -> Result<Reading, String> {
        let mut parser = RecordParser::new();
        let mut r = Reading::default();
        parser
            .parse_slow(line.as_bytes(), &mut r)
            .map(|()| r)
            .map_err(|e| e.to_string())
    }

    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<i64>().prop_map(|v| v.to_string()),
            any::<u64>().prop_map(|v| v.to_string()),
            any::<f64>().prop_map(|v| format!("{v:?}")),
            any::<f64>().prop_map(|v| format!("{v:e}")),
            Just("-0".to_string()),
            Just("0.0".to_string()),
            Just("-0.0".to_string()),
            Just("1E400".to_string()),
            Just("01".to_string()),
            Just("1.".to_string()),
            Just(".5".to_string()),
            Just("1e5".to_string()),
            Just("123456789012345678901234567890".to_string()),
            Just("-9223372036854775809".to_string()),
            Just("18446744073709551616".to_string()),
            "[-+]?[0-9]{1,4}(\\.[0-9]{0,3})?([eE][-+]?[0-9]{1,3})?",
            "-?[0-9]{1,12}(\\.[0-9]{1,8})?",
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Za-z0-9_/ -]{0,12}".prop_map(|s| format!("\"{s}\"")),
            Just("\"\"".to_string()),
            Just("\"a\\\"b\"".to_string()),
            Just("\"tab\tin\"".to_string()),
            Just("\"\u{e9}t\u{e9}\"".to_string()),
            Just("\"GOOD\"".to_string()),
            Just("\"bad\"".to_string()),
            Just("null".to_string()),
            Just("12".to_string()),
        ]
    }

    fn ts() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("\"2026-01-01T00:00:01Z\"".to_string()),
            Just("\"2026-01-01T00:00:01.5+02:00\"".to_string()),
            Just("\"2016-12-31T23:59:60Z\"".to_string()),
            Just("\"yesterday\"".to_string()),
            Just("-0".to_string()),
            Just("1.5".to_string()),
            Just("253402300800000".to_string()),
            any::<i64>().prop_map(|v| v.to_string()),
            (0i64..2_000_000_000_000).prop_map(|v| v.to_string()),
        ]
    }

    fn field() -> impl Strategy<Value = String> {
        prop_oneof![
            ts().prop_map(|v| format!("\"ts\":{v}")),
            text().prop_map(|v| format!("\"asset\":{v}")),
            text().prop_map(|v| format!("\"tag\":{v}")),
            number().prop_map(|v| format!("\"value\":{v}")),
            text().prop_map(|v| format!("\"unit\":{v}")),
            text().prop_map(|v| format!("\"quality\":{v}")),
            text().prop_map(|v| format!("\"text\":{v}")),
            text().prop_map(|v| format!("\"fault\":{v}")),
            Just("\"every\":\"1m\"".to_string()),
        ]
    }

    fn line() -> impl Strategy<Value = String> {
        (
            ts(),
            text(),
            text(),
            number(),
            prop::collection::vec(field(), 0..4),
            any::<bool>(),
        )
            .prop_map(|(ts, asset, tag, value, more, spaced)| {
                let mut fields = vec![
                    format!("\"ts\":{ts}"),
                    format!("\"asset\":{asset}"),
                    format!("\"tag\":{tag}"),
                    format!("\"value\":{value}"),
                ];
                fields.extend(more);
                let sep = if spaced { ", " } else { "," };
                format!("{{{}}}", fields.join(sep))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn prop_fast_path_reads_what_serde_json_reads(line in line()) {
            let mut parser = RecordParser::new();
            let mut fast = Reading::default();
            if parse(&mut parser, &line, &mut fast) {
                let slow = slow(&line);
                prop_assert_eq!(slow.as_ref().ok(), Some(&fast), "{}: {:?}", line, slow);
                prop_assert_eq!(fast.value.to_bits(), slow.map(|r| r.value.to_bits()).unwrap_or(0));
            }
        }
    }

    /// Lines in the encoder's field order, some written as it writes them
    /// and some not quite.
    fn ordered_line() -> impl Strategy<Value = String> {
        let ts = prop_oneof![
            Just("\"2026-01-01T00:00:01Z\"".to_string()),
            Just("\"2026-01-01T00:00:01.250Z\"".to_string()),
            Just("\"2026-01-01T00:00:01.25Z\"".to_string()),
            Just("\"2026-01-01T00:00:01.000Z\"".to_string()),
            Just("\"2026-01-01T00:00:01+00:00\"".to_string()),
            Just("\"2026-01-01t00:00:01z\"".to_string()),
            Just("1767225601000".to_string()),
        ];
        let optional = |s: BoxedStrategy<String>| prop_oneof![Just(None), s.prop_map(Some)];
        (
            ts,
            "[A-Za-z0-9_-]{1,8}",
            number(),
            optional("[a-z%]{0,3}".boxed()),
            optional(prop_oneof!["good", "bad", "uncertain", "BAD"].boxed()),
            optional("[a-z ]{0,5}".boxed()),
            optional("[a-z]{0,5}".boxed()),
        )
            .prop_map(|(ts, name, value, unit, quality, text, fault)| {
                let mut line = format!(
                    "{{\"ts\":{ts},\"asset\":\"{name}\",\"tag\":\"{name}\",\"value\":{value}"
                );
                for (key, v) in [
                    ("unit", unit),
                    ("quality", quality),
                    ("text", text),
                    ("fault", fault),
                ] {
                    if let Some(v) = v {
                        line.push_str(&format!(",\"{key}\":\"{v}\""));
                    }
                }
                line.push('}');
                line
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// What a reader copies instead of encoding must be what the
        /// encoder would have written.
        #[test]
        fn prop_a_line_called_canonical_is_what_the_encoder_writes(
            line in prop_oneof![ordered_line(), line()]
        ) {
            let mut parser = RecordParser::new();
            let mut r = Reading::default();
            if parse(&mut parser, &line, &mut r) && parser.canonical {
                let mut out = Vec::new();
                RecordEncoder::body_only(Format::Ndjson).encode(&r.as_ref(), &mut out);
                prop_assert_eq!(String::from_utf8_lossy(&out), format!("{line}\n"));
            }
        }

        /// And the encoder's own lines of plant readings are recognised, so
        /// they are copied.
        #[test]
        fn prop_the_encoders_lines_are_canonical(
            ts in 0i64..4_000_000_000_000,
            n in -999_999_999i64..999_999_999,
            k in 0u32..7,
            unit in "[a-z]{0,3}",
            quality in prop_oneof![Just(Quality::Good), Just(Quality::Bad), Just(Quality::Uncertain)],
        ) {
            let value = n as f64 / 10f64.powi(k as i32);
            let r = Reading { ts, asset: "WH-01".into(), tag: "p".into(), value, unit, quality, ..Reading::default() };
            let mut out = Vec::new();
            RecordEncoder::body_only(Format::Ndjson).encode(&r.as_ref(), &mut out);
            let line = String::from_utf8_lossy(&out);
            let mut parser = RecordParser::new();
            let mut back = Reading::default();
            prop_assert!(parse(&mut parser, line.trim_end(), &mut back), "{}", line);
            prop_assert!(parser.canonical, "{}", line);
            prop_assert_eq!(back, r);
        }
    }

    #[test]
    fn takes_the_common_shape_and_leaves_the_rest() {
        let mut parser = RecordParser::new();
        let mut r = Reading::default();
        assert!(parse(
            &mut parser,
            r#"{"ts":"2026-01-01T00:00:01Z","asset":"WH-01","tag":"p","value":1523.42,"unit":"psi"}"#,
            &mut r
        ));
        assert_eq!(
            (r.asset.as_str(), r.value, r.unit.as_str()),
            ("WH-01", 1523.42, "psi")
        );
        for other in [
            r#"{"ts":0,"asset":"A","tag":"t","value":1,"anomalies":[]}"#,
            r#"{"ts":0, "asset":"A","tag":"t","value":1}"#,
            r#"{"ts":0,"asset":"A\u0041","tag":"t","value":1}"#,
            r#"{"ts":0,"asset":"A","tag":"t","value":NaN}"#,
            r#"{"ts":0,"asset":"A","tag":"t"}"#,
            r#"{"ts":0,"asset":"A","tag":"t","value":1,"value":2}"#,
            r#"{"ts":0,"asset":"A","tag":"t","value":1} "#,
        ] {
            assert!(!parse(&mut parser, other, &mut r), "{other}");
        }
    }
}
