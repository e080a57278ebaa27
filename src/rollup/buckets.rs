//! Bucket widths and alignment.
//!
//! Buckets align to the UTC epoch: a `1h` bucket starts on the hour UTC,
//! a `15m` bucket at :00, :15, :30 and :45. With a time zone (`--tz`),
//! widths of whole days start at the zone's local midnight instead, so a
//! day bucket across a daylight-saving change holds 23 or 25 hours; widths
//! of a multiple of 7 days start on a Monday. Shorter widths stay on the
//! UTC epoch (the same as local for zones with whole-hour offsets).

use anyhow::{Context, Result, bail};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::time::{MIN_MILLIS, Millis, civil_from_days, days_from_civil, parse_positive_millis};

const DAY: i64 = 86_400_000;

/// One bucket width, with the label it was written with (`1m`), which names
/// its rollup table and fills the records' `every` field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Width {
    pub label: String,
    pub ms: i64,
}

impl Width {
    pub fn parse(s: &str) -> Result<Width> {
        let label = s.trim();
        if label.is_empty() || !label.bytes().all(|b| b.is_ascii_alphanumeric()) {
            bail!("{s:?} is not a width: write 1m, 15m, 1h, 1d");
        }
        let ms = parse_positive_millis(label)?;
        Ok(Width {
            label: label.to_string(),
            ms,
        })
    }

    /// A comma-separated list (`1m,1h,1d`), each width once.
    pub fn parse_list(s: &str) -> Result<Vec<Width>> {
        let mut out: Vec<Width> = Vec::new();
        for part in s.split(',') {
            let w = Width::parse(part).with_context(|| format!("--every {s}"))?;
            if out.iter().any(|o| o.ms == w.ms) {
                bail!("--every {s}: width {} given twice", w.label);
            }
            out.push(w);
        }
        Ok(out)
    }
}

/// Computes the bucket a time falls in.
#[derive(Debug, Clone, Default)]
pub(crate) struct Aligner {
    tz: Option<TimeZone>,
}

impl Aligner {
    pub fn new(tz: Option<&str>) -> Result<Aligner> {
        let tz = match tz {
            None => None,
            Some(name) => Some(
                TimeZone::get(name)
                    .with_context(|| format!("--tz {name}: not a known time zone"))?,
            ),
        };
        Ok(Aligner { tz })
    }

    /// `[start, end)` of the bucket of width `w` holding `ts`. A bucket
    /// that would start before the year 0001 starts there, so its record
    /// can be read back.
    pub fn bucket(&self, w: &Width, ts: Millis) -> (Millis, Millis) {
        let (start, end) = match &self.tz {
            Some(tz) if w.ms % DAY == 0 => {
                local_days(tz, w.ms / DAY, ts).unwrap_or_else(|_| utc_bucket(w.ms, ts))
            }
            _ => utc_bucket(w.ms, ts),
        };
        (start.max(MIN_MILLIS), end)
    }
}

fn utc_bucket(ms: i64, ts: Millis) -> (Millis, Millis) {
    let start = ts.div_euclid(ms) * ms;
    (start, start.saturating_add(ms))
}

/// Buckets of `n` local days: from local midnight to local midnight.
/// Past the end of jiff's range (late on 9999-12-30 UTC) the zone's last
/// offset holds.
fn local_days(tz: &TimeZone, n: i64, ts: Millis) -> Result<(Millis, Millis)> {
    let last_offset = || i64::from(tz.to_offset(Timestamp::MAX).seconds()) * 1000;
    let day = match Timestamp::from_millisecond(ts) {
        Ok(t) => {
            let date = tz.to_datetime(t).date();
            days_from_civil(
                i64::from(date.year()),
                i64::from(date.month()),
                i64::from(date.day()),
            )
        }
        Err(_) => (ts + last_offset()).div_euclid(DAY),
    };
    // 1970-01-05 was a Monday: weeks start there.
    let anchor = if n % 7 == 0 { 4 } else { 0 };
    let first = day - (day - anchor).rem_euclid(n);
    let midnight = |d: i64| -> Result<Millis> {
        let (y, m, dd) = civil_from_days(d);
        let local = Date::new(i16::try_from(y)?, m as i8, dd as i8)?;
        match local.to_zoned(tz.clone()) {
            Ok(z) => Ok(z.timestamp().as_millisecond()),
            Err(_) => Ok(d * DAY - last_offset()),
        }
    };
    Ok((midnight(first)?, midnight(first + n)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_alignment() {
        let w = Width::parse("15m").unwrap();
        let a = Aligner::default();
        assert_eq!(a.bucket(&w, 1_000_000), (900_000, 1_800_000));
        assert_eq!(a.bucket(&w, -1), (-900_000, 0));
    }

    #[test]
    fn berlin_days_across_daylight_saving() {
        let a = Aligner::new(Some("Europe/Berlin")).unwrap();
        let d = Width::parse("1d").unwrap();
        // 2026-03-29 is 23 hours long in Berlin, 2026-10-25 is 25.
        let spring = crate::time::parse_time_arg("2026-03-29T12:00:00Z").unwrap();
        let (s, e) = a.bucket(&d, spring);
        assert_eq!(crate::time::TsFormatter::format(s), "2026-03-28T23:00:00Z");
        assert_eq!(e - s, 23 * 3_600_000);
        let autumn = crate::time::parse_time_arg("2026-10-25T12:00:00Z").unwrap();
        let (s, e) = a.bucket(&d, autumn);
        assert_eq!(crate::time::TsFormatter::format(s), "2026-10-24T22:00:00Z");
        assert_eq!(e - s, 25 * 3_600_000);
        let w = Width::parse("7d").unwrap();
        let (s, _) = a.bucket(&w, spring);
        assert_eq!(crate::time::TsFormatter::format(s), "2026-03-22T23:00:00Z");
    }

    #[test]
    fn refuses_bad_lists() {
        assert!(Width::parse_list("1m,60s").is_err());
        assert!(Width::parse_list("1m,").is_err());
        assert!(Width::parse_list("1mo").is_err());
        assert_eq!(Width::parse_list("1m,1h").unwrap().len(), 2);
    }
}
