//! Time handling shared by every verb: parsing timestamps and durations the
//! way users write them, and printing timestamps the way the record contract
//! (DESIGN §2) fixes them — UTC with `Z`, milliseconds only when non-zero.
//!
//! Parsing goes through `jiff`; printing is cached per second because a
//! stream writes many readings with the same timestamp.

use anyhow::{Context, Result, bail};
use jiff::{SignedDuration, Span, SpanRelativeTo, Timestamp, civil};

/// Milliseconds since the UNIX epoch, UTC. The time type of every record.
pub type Millis = i64;

/// The wall clock now.
pub fn now_ms() -> Millis {
    Timestamp::now().as_millisecond()
}

/// Parses an RFC 3339 timestamp with any offset (`2026-01-01T02:00:00+02:00`,
/// fractional seconds allowed) into epoch milliseconds. Sub-millisecond
/// digits are truncated towards the past.
pub fn parse_rfc3339(s: &str) -> Result<Millis, jiff::Error> {
    let ts: Timestamp = s.parse()?;
    Ok(ts.as_millisecond())
}

/// Parses a timestamp given on the command line: RFC 3339, a bare date
/// (`2026-01-01`, midnight UTC), a date and time without offset (taken as
/// UTC), or integer epoch milliseconds.
pub fn parse_time_arg(s: &str) -> Result<Millis> {
    let s = s.trim();
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    match parse_time_text(s) {
        Some(ms) => Ok(ms),
        None => bail!(
            "{s:?} is not a time: use RFC 3339 (2026-01-01T00:00:00Z), a date (2026-01-01) or epoch milliseconds"
        ),
    }
}

/// A time written as text: RFC 3339 with any offset, a date and time
/// without one (`T` or a space between them, fractions allowed) taken as
/// UTC, or a bare date (midnight UTC).
pub fn parse_time_text(s: &str) -> Option<Millis> {
    let s = s.trim();
    if let Ok(ms) = parse_rfc3339(s) {
        return Some(ms);
    }
    let utc = jiff::tz::TimeZone::UTC;
    if let Ok(dt) = s.parse::<civil::DateTime>() {
        return dt
            .to_zoned(utc)
            .ok()
            .map(|z| z.timestamp().as_millisecond());
    }
    if let Ok(d) = s.parse::<civil::Date>() {
        return d.to_zoned(utc).ok().map(|z| z.timestamp().as_millisecond());
    }
    None
}

/// Parses a duration written the friendly way: `500ms`, `30s`, `10m`, `1h`,
/// `1d`, `1w`, `1h30m`. Days count 24 hours; months and years are refused
/// because their length depends on the calendar.
pub fn parse_duration(s: &str) -> Result<SignedDuration> {
    let span: Span = s
        .trim()
        .parse()
        .with_context(|| format!("{s:?} is not a duration (write 500ms, 30s, 10m, 1h, 1d)"))?;
    let d = span
        .to_duration(SpanRelativeTo::days_are_24_hours())
        .with_context(|| format!("{s:?}: months and years have no fixed length; use days"))?;
    Ok(d)
}

/// A duration that must be longer than zero, in milliseconds.
pub fn parse_positive_millis(s: &str) -> Result<i64> {
    let d = parse_duration(s)?;
    let ms = d.as_millis();
    if ms <= 0 {
        bail!("{s:?}: must be longer than zero (at least 1ms)");
    }
    i64::try_from(ms).with_context(|| format!("{s:?} is too long"))
}

/// Parses a duration of zero or more (`0`, `30s`, `5m`) into milliseconds.
pub fn parse_nonneg_millis(s: &str) -> Result<i64> {
    if s.trim() == "0" {
        return Ok(0);
    }
    let ms = parse_duration(s)?.as_millis();
    if ms < 0 {
        bail!("{s:?} is negative");
    }
    i64::try_from(ms).with_context(|| format!("{s:?} is too long"))
}

/// Writes timestamps in the record format, remembering the last second it
/// formatted so a tick shared by many readings costs one copy.
#[derive(Debug, Default)]
pub struct TsFormatter {
    second: Option<i64>,
    /// `YYYY-MM-DDTHH:MM:SS` of `second`.
    text: String,
}

impl TsFormatter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `ms` as `2026-01-01T00:00:01Z` or `2026-01-01T00:00:01.250Z`.
    pub fn write(&mut self, ms: Millis, out: &mut Vec<u8>) {
        let second = ms.div_euclid(1000);
        let milli = ms.rem_euclid(1000);
        if self.second != Some(second) {
            self.text.clear();
            match Timestamp::from_second(second) {
                Ok(ts) => {
                    use std::fmt::Write;
                    let dt = ts.to_zoned(jiff::tz::TimeZone::UTC).datetime();
                    // Infallible: writing into a String.
                    let _ = write!(self.text, "{}", dt.strftime("%Y-%m-%dT%H:%M:%S"));
                }
                // Outside jiff's range (years -9999..9999): records are checked
                // on input, so only a caller's arithmetic gets here.
                Err(_) => self.text.push_str("0000-00-00T00:00:00"),
            }
            self.second = Some(second);
        }
        out.extend_from_slice(self.text.as_bytes());
        if milli != 0 {
            out.push(b'.');
            out.push(b'0' + (milli / 100) as u8);
            out.push(b'0' + (milli / 10 % 10) as u8);
            out.push(b'0' + (milli % 10) as u8);
        }
        out.push(b'Z');
    }

    /// The timestamp as an owned string, for messages and tests.
    pub fn format(ms: Millis) -> String {
        let mut out = Vec::with_capacity(24);
        TsFormatter::new().write(ms, &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The earliest and latest instants a record may carry: from the year 0001
/// to the end of jiff's range late on 9999-12-30, so every accepted
/// timestamp can be printed back.
pub const MIN_MILLIS: Millis = -62_135_596_800_000;
pub const MAX_MILLIS: Millis = 253_402_207_200_999;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_and_without_millis() {
        assert_eq!(TsFormatter::format(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            TsFormatter::format(1_767_225_601_100),
            "2026-01-01T00:00:01.100Z"
        );
        assert_eq!(TsFormatter::format(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(TsFormatter::format(MAX_MILLIS), "9999-12-30T22:00:00.999Z");
        assert_eq!(TsFormatter::format(MIN_MILLIS), "0001-01-01T00:00:00Z");
    }

    #[test]
    fn parses_offsets_and_args() {
        assert_eq!(
            parse_rfc3339("2026-01-01T02:00:00+02:00").unwrap(),
            1_767_225_600_000
        );
        assert_eq!(parse_time_arg("2026-01-01").unwrap(), 1_767_225_600_000);
        assert_eq!(
            parse_time_arg("2026-01-01T00:00:00").unwrap(),
            1_767_225_600_000
        );
        assert_eq!(parse_time_arg("1767225600000").unwrap(), 1_767_225_600_000);
        assert!(parse_time_arg("yesterday").is_err());
    }

    #[test]
    fn parses_durations() {
        assert_eq!(parse_positive_millis("1d").unwrap(), 86_400_000);
        assert_eq!(parse_positive_millis("1h30m").unwrap(), 5_400_000);
        assert_eq!(parse_positive_millis("250ms").unwrap(), 250);
        assert!(parse_positive_millis("0s").is_err());
        assert!(parse_duration("1mo").is_err());
    }
}
