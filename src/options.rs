//! Value parsers for the command line: clap calls them while it parses,
//! so a bad duration, time, zone, width list, preset, fault list or
//! address is a usage error (exit 2) with clap's message naming the
//! option, before a verb opens or writes anything.
//!
//! Durations come out as milliseconds of record time (`*_ms`) or as a
//! `Duration` for a clock; times as epoch milliseconds. Zones, widths and
//! retention rules are checked and handed on as written, for the verb to
//! build its own types from.

use std::net::SocketAddr;
use std::time::Duration;

use crate::time::{self, Millis};

fn message(e: anyhow::Error) -> String {
    format!("{e:#}")
}

/// A duration longer than zero (`500ms`, `30s`, `1h30m`), in milliseconds.
pub fn positive_ms(s: &str) -> Result<i64, String> {
    time::parse_positive_millis(s).map_err(message)
}

/// A duration of zero or more (`0`, `30s`), in milliseconds.
pub fn nonneg_ms(s: &str) -> Result<i64, String> {
    time::parse_nonneg_millis(s).map_err(message)
}

/// A time: RFC 3339, a date, a date and time taken as UTC, or epoch
/// milliseconds (any i64: a verb holds a selection to the record range).
pub fn time(s: &str) -> Result<Millis, String> {
    time::parse_time_arg(s).map_err(message)
}

/// A time as [`time`], or `now` for the wall clock.
pub fn time_or_now(s: &str) -> Result<Millis, String> {
    if s.trim() == "now" {
        return Ok(time::now_ms());
    }
    time(s)
}

/// A duration longer than zero, for a clock (a commit, a timeout).
pub fn positive_duration(s: &str) -> Result<Duration, String> {
    positive_ms(s).map(|ms| Duration::from_millis(ms as u64))
}

/// A duration of zero or more, for a clock.
pub fn nonneg_duration(s: &str) -> Result<Duration, String> {
    nonneg_ms(s).map(|ms| Duration::from_millis(ms as u64))
}

/// A whole number of at least 1 (a count of assets, clients, rows).
pub fn at_least_one(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        Ok(_) => Err("must be at least 1".to_string()),
        Err(_) => Err(format!("{s:?} is not a whole number")),
    }
}

/// [`at_least_one`] as a u64.
pub fn at_least_one_u64(s: &str) -> Result<u64, String> {
    at_least_one(s).map(|n| n as u64)
}

/// A time zone of the system's or the bundled database (`Europe/Berlin`).
pub fn zone(s: &str) -> Result<String, String> {
    jiff::tz::TimeZone::get(s.trim())
        .map(|_| s.trim().to_string())
        .map_err(|_| {
            format!("{s:?} is not a known time zone (write Region/City, as Europe/Berlin)")
        })
}

/// Rollup widths, comma-separated (`1m,1h,1d`).
pub fn widths(s: &str) -> Result<String, String> {
    crate::rollup::buckets::Width::parse_list(s)
        .map(|_| s.to_string())
        .map_err(without_option)
}

/// The message of an error whose outermost context repeats the option
/// and value clap names already (`--every 1m,x: …`).
fn without_option(e: anyhow::Error) -> String {
    let parts: Vec<String> = e.chain().skip(1).map(ToString::to_string).collect();
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

/// Retention rules (`raw=30d,1m=365d`).
pub fn retain_rules(s: &str) -> Result<String, String> {
    crate::rollup::retain::parse_rules(s)
        .map(|_| s.to_string())
        .map_err(|e| {
            if e.chain().count() > 1 {
                without_option(e)
            } else {
                message(e)
            }
        })
}

/// The name of a built-in plant model.
pub fn preset(s: &str) -> Result<String, String> {
    crate::model::preset(s)
        .map(|p| p.name.to_string())
        .map_err(message)
}

/// Fault rates for the simulator (`spike=0.001,stuck=0.0005`).
pub fn faults(s: &str) -> Result<crate::sim::FaultRates, String> {
    crate::sim::FaultRates::parse(s).map_err(message)
}

/// An address to listen on: `ADDR:PORT` (`127.0.0.1:5020`, `[::1]:0`).
pub fn listen(s: &str) -> Result<SocketAddr, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("{s:?} is not ADDR:PORT (127.0.0.1:5020; port 0 picks a free one)"))
}

/// How a lake is partitioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partitioning {
    /// `date=YYYY-MM-DD/`
    Date,
    /// `date=YYYY-MM-DD/asset=…/`
    DateAsset,
}

/// `date` or `date,asset`.
pub fn partition_by(s: &str) -> Result<Partitioning, String> {
    match s.replace(' ', "").as_str() {
        "date" => Ok(Partitioning::Date),
        "date,asset" => Ok(Partitioning::DateAsset),
        _ => Err(format!("{s:?}: use date or date,asset")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_the_verbs_would_refuse() {
        assert_eq!(positive_ms("1s"), Ok(1000));
        assert!(positive_ms("xyz").is_err());
        assert!(positive_ms("0s").is_err());
        assert_eq!(nonneg_ms("0"), Ok(0));
        assert!(time("yesterday").is_err());
        assert!(zone("Mars/Olympus").is_err());
        assert_eq!(zone("Europe/Berlin").as_deref(), Ok("Europe/Berlin"));
        assert!(widths("a").is_err());
        assert!(faults("spike=2").is_err());
        assert!(preset("nope").is_err());
        assert!(listen("nonsense").is_err());
        assert_eq!(partition_by("date, asset"), Ok(Partitioning::DateAsset));
        assert!(retain_rules("raw").is_err());
    }
}
