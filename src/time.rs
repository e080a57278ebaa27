//! Time handling shared by every verb: parsing timestamps and durations the
//! way users write them, and printing timestamps the way the record contract
//! (docs/records.md) fixes them — UTC with `Z`, milliseconds only when non-zero.
//!
//! Text times are split into their pieces by jiff's ISO 8601 / RFC 3339
//! parser; the instant is then computed here from the civil date, time and
//! offset, and printed back with the inverse. jiff's own `Timestamp` stops at
//! 9999-12-30T22:00Z (so that any offset stays in range), while a record may
//! carry any instant of the years 0001 to 9999 UTC. Printing is cached per
//! second because a stream writes many readings with the same timestamp.

use std::fmt;

use anyhow::{Context, Result, bail};
use jiff::fmt::temporal::{DateTimeParser, PiecesOffset};
use jiff::{SignedDuration, Span, SpanRelativeTo, Timestamp};

/// Milliseconds since the UNIX epoch, UTC. The time type of every record.
pub type Millis = i64;

/// The earliest and latest instants a record may carry: the whole of the
/// years 0001 to 9999 UTC.
pub const MIN_MILLIS: Millis = -62_135_596_800_000;
pub const MAX_MILLIS: Millis = 253_402_300_799_999;

const DAY_MS: i64 = 86_400_000;

/// The wall clock now.
pub fn now_ms() -> Millis {
    Timestamp::now().as_millisecond()
}

/// Why a text is not a time a record can carry; the message quotes the text.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeError(String);

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TimeError {}

/// Parses an RFC 3339 timestamp with any offset (`2026-01-01T02:00:00+02:00`,
/// fractional seconds of any length allowed) into epoch milliseconds.
/// Sub-millisecond digits are truncated towards the past. A leap second and
/// an instant outside the years 0001 to 9999 UTC are errors.
pub fn parse_rfc3339(s: &str) -> Result<Millis, TimeError> {
    parse_text(s, true)
}

/// Parses a timestamp given on the command line: RFC 3339, a bare date
/// (`2026-01-01`, midnight UTC), a date and time without offset (taken as
/// UTC), or integer epoch milliseconds (any value: callers clamp to the
/// range they read).
pub fn parse_time_arg(s: &str) -> Result<Millis> {
    let s = s.trim();
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    match parse_text(s, false) {
        Ok(ms) => Ok(ms),
        Err(e) if looks_like_a_time(s) => bail!("{e}"),
        Err(_) => bail!(
            "{s:?} is not a time: use RFC 3339 (2026-01-01T00:00:00Z), a date (2026-01-01) or epoch milliseconds"
        ),
    }
}

/// Whether the text starts the way a date does (`YYYY-`), so that the
/// parser's own reason is more use than the list of accepted forms.
fn looks_like_a_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 4 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

/// A time written as text: RFC 3339 with any offset, a date and time
/// without one (`T` or a space between them, fractions allowed) taken as
/// UTC, or a bare date (midnight UTC).
pub fn parse_time_text(s: &str) -> Option<Millis> {
    parse_text(s.trim(), false).ok()
}

/// The one text-time parser. `need_offset`: a record's `ts` must say which
/// instant it is (a time and an offset); elsewhere a missing time is
/// midnight and a missing offset is UTC.
fn parse_text(s: &str, need_offset: bool) -> Result<Millis, TimeError> {
    match parse_common(s.as_bytes(), need_offset) {
        Some(ms) => Ok(ms),
        None => parse_full(s, need_offset),
    }
}

/// Any ISO 8601 / RFC 3339 shape jiff reads: jiff splits the text into a
/// civil date, time and offset, and the instant is computed here.
fn parse_full(s: &str, need_offset: bool) -> Result<Millis, TimeError> {
    static PARSER: DateTimeParser = DateTimeParser::new();
    let b = s.as_bytes();
    let seconds = seconds_at(b);
    // jiff reads at most 9 fraction digits; the rest cannot change the
    // millisecond, so they are dropped before it reads them.
    let shortened;
    let text = match seconds.and_then(|i| long_fraction(b, i + 2)) {
        Some((keep_to, skip_to)) => {
            shortened = format!("{}{}", &s[..keep_to], &s[skip_to..]);
            shortened.as_str()
        }
        None => s,
    };
    let not_a_time = |e: &dyn fmt::Display| {
        let what = if need_offset {
            "an RFC 3339 timestamp"
        } else {
            "a time"
        };
        TimeError(format!("{s:?} is not {what}: {e}"))
    };
    let pieces = PARSER.parse_pieces(text).map_err(|e| not_a_time(&e))?;
    // jiff reads a leap second as :59, which would make it a duplicate of
    // the real 23:59:59 reading.
    if seconds.is_some_and(|i| &b[i..i + 2] == b"60") {
        return Err(TimeError(format!(
            "{s:?} is a leap second: iiot keeps UTC time without leap seconds (as POSIX, SQLite and Parquet do)"
        )));
    }
    let time = match pieces.time() {
        Some(t) => t,
        None if need_offset => {
            return Err(not_a_time(&"it has no time of day"));
        }
        None => jiff::civil::Time::midnight(),
    };
    let offset_s = match pieces.offset() {
        Some(PiecesOffset::Zulu) => 0,
        Some(PiecesOffset::Numeric(n)) => i64::from(n.offset().seconds()),
        Some(_) => {
            return Err(not_a_time(&"its offset is not one iiot knows"));
        }
        None if need_offset || pieces.time_zone_annotation().is_some() => {
            return Err(not_a_time(
                &"it has no offset (write Z for UTC, or one such as +02:00)",
            ));
        }
        None => 0,
    };
    let date = pieces.date();
    let days = days_from_civil(
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    );
    let ms = days * DAY_MS
        + i64::from(time.hour()) * 3_600_000
        + i64::from(time.minute()) * 60_000
        + i64::from(time.second()) * 1000
        + i64::from(time.subsec_nanosecond()) / 1_000_000
        - offset_s * 1000;
    if !(MIN_MILLIS..=MAX_MILLIS).contains(&ms) {
        let utc = TsFormatter::format(ms);
        return Err(TimeError(if offset_s == 0 {
            format!("{s:?} is outside the years 0001 to 9999")
        } else {
            format!("{s:?} is {utc} in UTC, outside the years 0001 to 9999")
        }));
    }
    Ok(ms)
}

/// The shape nearly every time comes in, read without jiff (it is on the
/// path of every record): `YYYY-MM-DD`, `T` (or `t` or a space),
/// `HH:MM:SS`, an optional fraction, then `Z`, `z`, `±HH:MM` or (when no
/// offset is needed) nothing. `None` for anything else, valid or not: the
/// full parser reads it and gives the reason.
fn parse_common(b: &[u8], need_offset: bool) -> Option<Millis> {
    fn num(b: &[u8]) -> Option<i64> {
        b.iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    }
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (num(&b[0..4])?, num(&b[5..7])?, num(&b[8..10])?);
    let (hour, minute, second) = (num(&b[11..13])?, num(&b[14..16])?, num(&b[17..19])?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let mut rest = &b[19..];
    let mut milli = 0;
    if let Some((b'.' | b',', tail)) = rest.split_first() {
        let digits = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        // Digits past the millisecond are dropped: truncation to the past.
        let mut scale = 100;
        for &c in &tail[..digits.min(3)] {
            milli += i64::from(c - b'0') * scale;
            scale /= 10;
        }
        rest = &tail[digits..];
    }
    let offset_s = match rest {
        [b'Z' | b'z'] => 0,
        [] if !need_offset => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (num(&[*h1, *h2])?, num(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let s = h * 3600 + m * 60;
            if *sign == b'-' { -s } else { s }
        }
        _ => return None,
    };
    let ms = days_from_civil(year, month, day) * DAY_MS
        + hour * 3_600_000
        + minute * 60_000
        + second * 1000
        + milli
        - offset_s * 1000;
    (MIN_MILLIS..=MAX_MILLIS).contains(&ms).then_some(ms)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Where the two digits of the seconds are, when the text has a time of day
/// with seconds after its `T`, `t` or space (`HH:MM:SS` or `HHMMSS`). A date
/// holds none of those three bytes, so the first one starts the time.
fn seconds_at(b: &[u8]) -> Option<usize> {
    let t = b.iter().position(|&c| matches!(c, b'T' | b't' | b' '))? + 1;
    let two_digits = |i: usize| {
        b.get(i..i + 2)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let extended = b.get(t + 2) == Some(&b':');
    let (minute, second) = if extended {
        if b.get(t + 5) != Some(&b':') {
            return None;
        }
        (t + 3, t + 6)
    } else {
        (t + 2, t + 4)
    };
    (two_digits(t) && two_digits(minute) && two_digits(second)).then_some(second)
}

/// For a fraction of more than 9 digits starting at `at` (`.` or `,`): the
/// end of its first 9 digits and the end of all of them.
fn long_fraction(b: &[u8], at: usize) -> Option<(usize, usize)> {
    if !matches!(b.get(at), Some(b'.' | b',')) {
        return None;
    }
    let digits = b[at + 1..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    (digits > 9).then_some((at + 1 + 9, at + 1 + digits))
}

/// Days since 1970-01-01 of a date of the proleptic Gregorian calendar
/// (Howard Hinnant's `days_from_civil`: exact for every date, no tables).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month 1–12, day 1–31) of a count of days since
/// 1970-01-01: the inverse of [`days_from_civil`].
pub fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // In range by construction: month 1..=12, day 1..=31.
    (year, month as u8, day as u8)
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
    text: Vec<u8>,
}

impl TsFormatter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `ms` as `2026-01-01T00:00:01Z` or `2026-01-01T00:00:01.250Z`.
    /// Every instant of the years 0001 to 9999 prints as the contract says;
    /// one outside them (only a caller's arithmetic makes one) prints with
    /// ISO 8601's expanded year (`+010000-01-01T00:00:00Z`), still true.
    pub fn write(&mut self, ms: Millis, out: &mut Vec<u8>) {
        let second = ms.div_euclid(1000);
        let milli = ms.rem_euclid(1000);
        if self.second != Some(second) {
            self.text.clear();
            write_civil_second(second, &mut self.text);
            self.second = Some(second);
        }
        out.extend_from_slice(&self.text);
        if milli != 0 {
            out.push(b'.');
            push_digits(out, milli as u64, 3);
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

/// `YYYY-MM-DDTHH:MM:SS` of a second since the epoch.
fn write_civil_second(second: i64, out: &mut Vec<u8>) {
    let days = second.div_euclid(86_400);
    let in_day = second.rem_euclid(86_400) as u64;
    let (year, month, day) = civil_from_days(days);
    if (0..=9999).contains(&year) {
        push_digits(out, year as u64, 4);
    } else {
        out.push(if year < 0 { b'-' } else { b'+' });
        push_digits(out, year.unsigned_abs(), 6);
    }
    out.push(b'-');
    push_digits(out, u64::from(month), 2);
    out.push(b'-');
    push_digits(out, u64::from(day), 2);
    out.push(b'T');
    push_digits(out, in_day / 3600, 2);
    out.push(b':');
    push_digits(out, in_day / 60 % 60, 2);
    out.push(b':');
    push_digits(out, in_day % 60, 2);
}

/// Appends `n` in decimal, zero-padded to at least `width` digits.
fn push_digits(out: &mut Vec<u8>, n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = i.min(buf.len() - width.min(buf.len()));
    out.extend_from_slice(&buf[start..]);
}

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
        assert_eq!(TsFormatter::format(MAX_MILLIS), "9999-12-31T23:59:59.999Z");
        assert_eq!(TsFormatter::format(MIN_MILLIS), "0001-01-01T00:00:00Z");
        // Past the range only arithmetic goes; it still prints the truth.
        assert_eq!(
            TsFormatter::format(MAX_MILLIS + 1),
            "+010000-01-01T00:00:00Z"
        );
        assert_eq!(
            TsFormatter::format(MIN_MILLIS - 1),
            "0000-12-31T23:59:59.999Z"
        );
        assert_eq!(
            TsFormatter::format(i64::MIN),
            "-292275055-05-16T16:47:04.192Z"
        );
        assert_eq!(
            TsFormatter::format(i64::MAX),
            "+292278994-08-17T07:12:55.807Z"
        );
    }

    #[test]
    fn civil_days_round_trip_over_the_whole_range() {
        let first = days_from_civil(1, 1, 1);
        let last = days_from_civil(9999, 12, 31);
        assert_eq!(first * DAY_MS, MIN_MILLIS);
        assert_eq!((last + 1) * DAY_MS - 1, MAX_MILLIS);
        let mut expect = (1, 1, 1);
        for days in first..=last {
            let got = civil_from_days(days);
            assert_eq!(got, expect, "day {days}");
            assert_eq!(days_from_civil(got.0, got.1.into(), got.2.into()), days);
            expect = next_day(expect);
        }
    }

    /// The day after, counted the slow obvious way.
    fn next_day((y, m, d): (i64, u8, u8)) -> (i64, u8, u8) {
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
        let len = match m {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        match (d < len, m < 12) {
            (true, _) => (y, m, d + 1),
            (false, true) => (y, m + 1, 1),
            (false, false) => (y + 1, 1, 1),
        }
    }

    #[test]
    fn agrees_with_jiff_where_jiff_reaches() {
        let lo = Timestamp::MIN.as_millisecond().max(MIN_MILLIS);
        let hi = Timestamp::MAX.as_millisecond();
        let step = (hi - lo) / 10_007;
        let mut ms = lo;
        while ms <= hi {
            let ts = Timestamp::from_millisecond(ms).unwrap();
            let jiff_text = ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
            assert_eq!(parse_rfc3339(&jiff_text), Ok(ms), "{jiff_text}");
            let ours = TsFormatter::format(ms);
            assert_eq!(parse_rfc3339(&ours), Ok(ms), "{ours}");
            assert_eq!(
                ours.trim_end_matches('Z').trim_end_matches(".000"),
                jiff_text.trim_end_matches('Z').trim_end_matches(".000")
            );
            ms += step;
        }
    }

    #[test]
    fn the_whole_of_year_9999_and_of_year_1() {
        assert_eq!(parse_rfc3339("9999-12-31T23:59:59.999Z"), Ok(MAX_MILLIS));
        assert_eq!(
            parse_rfc3339("9999-12-31T23:59:59.999-00:00"),
            Ok(MAX_MILLIS)
        );
        assert_eq!(
            parse_rfc3339("9999-12-31T20:59:59.999-03:00"),
            Ok(MAX_MILLIS)
        );
        assert_eq!(parse_rfc3339("0001-01-01T00:00:00Z"), Ok(MIN_MILLIS));
        assert_eq!(parse_rfc3339("0001-01-01T01:00:00+01:00"), Ok(MIN_MILLIS));
        let late = parse_rfc3339("9999-12-31T23:00:00-01:00").unwrap_err();
        assert!(
            late.to_string()
                .contains("is +010000-01-01T00:00:00Z in UTC, outside the years 0001 to 9999"),
            "{late}"
        );
        let early = parse_rfc3339("0001-01-01T00:59:59+01:00").unwrap_err();
        assert!(
            early.to_string().contains("0000-12-31T23:59:59Z in UTC"),
            "{early}"
        );
        assert!(parse_rfc3339("0000-12-31T23:59:59Z").is_err());
        assert_eq!(parse_time_text("9999-12-31"), Some(MAX_MILLIS + 1 - DAY_MS));
        assert_eq!(
            parse_time_arg("9999-12-31T23:59:59.999").unwrap(),
            MAX_MILLIS
        );
    }

    #[test]
    fn fractions_of_any_length_truncate_towards_the_past() {
        let s = 1_767_225_600_000;
        assert_eq!(
            parse_rfc3339("2026-01-01T00:00:00.1234567891Z"),
            Ok(s + 123)
        );
        assert_eq!(
            parse_rfc3339("2026-01-01T00:00:00,99999999999999999999+00:00"),
            Ok(s + 999)
        );
        assert_eq!(
            parse_rfc3339("2026-01-01 00:00:00.9999999999z"),
            Ok(s + 999)
        );
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59.99999999999Z"), Ok(-1));
        assert_eq!(
            parse_time_text("2026-01-01 00:00:00.1234567891"),
            Some(s + 123)
        );
        assert!(parse_rfc3339("2026-01-01T00:00:00.Z").is_err());
    }

    #[test]
    fn leap_seconds_are_refused_not_folded_onto_59() {
        for s in [
            "2016-12-31T23:59:60Z",
            "2016-12-31T23:59:60.500Z",
            "2017-01-01T00:59:60+01:00",
            "2016-12-31 23:59:60Z",
            "20161231T235960Z",
        ] {
            let e = parse_rfc3339(s).unwrap_err().to_string();
            assert!(e.contains("leap second"), "{s}: {e}");
        }
        assert!(parse_time_text("2016-12-31 23:59:60").is_none());
        let e = parse_time_arg("2016-12-31T23:59:60Z").unwrap_err();
        assert!(e.to_string().contains("leap second"), "{e}");
        // Sixty minutes or hours are no leap second, just wrong.
        let e = parse_rfc3339("2016-12-31T23:60:00Z")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("leap second"), "{e}");
    }

    #[test]
    fn the_quick_reading_agrees_with_the_full_one() {
        let mut checked = 0;
        for date in [
            "2026-01-31",
            "2024-02-29",
            "2023-02-29",
            "0001-01-01",
            "9999-12-31",
            "0000-12-31",
            "2026-04-31",
            "2026-13-01",
            "2026-00-10",
        ] {
            for sep in ["T", "t", " ", "_"] {
                for time in [
                    "00:00:00", "23:59:59", "12:34:56", "24:00:00", "12:60:00", "23:59:60",
                    "1:00:00",
                ] {
                    for frac in ["", ".5", ",25", ".1234567891", ".", ".x"] {
                        for off in [
                            "Z", "z", "", "+02:00", "-00:00", "-23:59", "+24:00", "+0200", "+02",
                            "Z[UTC]", "ZZ",
                        ] {
                            let s = format!("{date}{sep}{time}{frac}{off}");
                            for need in [true, false] {
                                let full = parse_full(&s, need).ok();
                                if let Some(ms) = parse_common(s.as_bytes(), need) {
                                    assert_eq!(Some(ms), full, "{s}");
                                    checked += 1;
                                } else if full.is_some() {
                                    // Left to the full reading: the shapes
                                    // the quick one does not know.
                                    assert!(
                                        ["+24:00", "+0200", "+02", "Z[UTC]"].contains(&off),
                                        "{s}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 1000, "{checked}");
    }

    #[test]
    fn a_record_time_needs_a_time_and_an_offset() {
        assert!(parse_rfc3339("2026-01-01").is_err());
        assert!(parse_rfc3339("2026-01-01T00:00:00").is_err());
        assert!(parse_rfc3339("2026-01-01T00:00:00[Europe/Berlin]").is_err());
        assert_eq!(
            parse_rfc3339("2026-01-01T01:00:00+01:00[Europe/Berlin]"),
            Ok(1_767_225_600_000)
        );
        assert_eq!(
            parse_rfc3339("2026-01-01T01:00+0100"),
            Ok(1_767_225_600_000)
        );
        assert_eq!(parse_time_text("2026-01-01T00:00:00[Europe/Berlin]"), None);
        assert!(parse_rfc3339("").is_err());
        assert!(parse_rfc3339("T").is_err());
        assert!(parse_rfc3339("2026-01-01T").is_err());
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
