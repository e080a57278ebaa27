//! The record fields the store keeps in columns, checked as it takes
//! them, and the rest gathered as one JSON object for the `extra` column
//! (docs/storage.md).

use crate::record::{ParseError, Quality, Reading, write_json_str};

pub(crate) fn quality_code(q: Quality) -> u8 {
    match q {
        Quality::Good => 0,
        Quality::Uncertain => 1,
        Quality::Bad => 2,
    }
}

/// The grade of a stored quality code (`quality_code`'s inverse; any code
/// other than 0 and 1 reads as bad).
pub(crate) fn quality_of_code(code: i64) -> Quality {
    match code {
        0 => Quality::Good,
        1 => Quality::Uncertain,
        _ => Quality::Bad,
    }
}

pub(crate) fn finite(raw: &str, field: &'static str) -> Result<f64, ParseError> {
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(ParseError {
            field: Some(field),
            message: format!("{raw} is not a finite number"),
        }),
    }
}

/// A whole count below 2^53 (where f64 statistics still count exactly).
pub(crate) fn whole(raw: Option<&str>, field: &'static str) -> Result<Option<i64>, ParseError> {
    match raw {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (0..1 << 53).contains(n))
            .map(Some)
            .ok_or_else(|| ParseError {
                field: Some(field),
                message: format!("{v} is not a whole count below 2^53"),
            }),
    }
}

/// The fields no column holds (text, fault and the extra fields but those
/// named in `skip`), as one JSON object, or `None` when there are none.
pub(crate) fn extra_json<'b>(r: &Reading, skip: &[&str], buf: &'b mut Vec<u8>) -> Option<&'b str> {
    let any_extra = if skip.is_empty() {
        !r.extra().is_empty()
    } else {
        r.extra_fields().any(|(k, _)| !skip.contains(&k))
    };
    if r.text.is_empty() && r.fault.is_empty() && !any_extra {
        return None;
    }
    buf.clear();
    buf.push(b'{');
    let mut first = true;
    for (key, value) in [("text", &r.text), ("fault", &r.fault)] {
        if !value.is_empty() {
            if !first {
                buf.push(b',');
            }
            first = false;
            buf.push(b'"');
            buf.extend_from_slice(key.as_bytes());
            buf.extend_from_slice(b"\":");
            write_json_str(value, buf);
        }
    }
    if skip.is_empty() {
        if !r.extra().is_empty() {
            if !first {
                buf.push(b',');
            }
            buf.extend_from_slice(r.extra().as_bytes());
        }
    } else {
        for (k, v) in r.extra_fields().filter(|(k, _)| !skip.contains(k)) {
            if !first {
                buf.push(b',');
            }
            first = false;
            buf.push(b'"');
            buf.extend_from_slice(k.as_bytes());
            buf.extend_from_slice(b"\":");
            buf.extend_from_slice(v.as_bytes());
        }
    }
    buf.push(b'}');
    std::str::from_utf8(buf).ok()
}
