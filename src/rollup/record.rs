//! Rollup records (docs/records.md): writing a closed bucket as a reading with
//! the statistics as extra fields, and reading one back as a child bucket
//! to merge when the input is already rolled up.

use super::buckets::{Aligner, Width};
use super::stats::Stats;
use super::store::BucketRow;
use super::stream::{Bucket, Item};
use crate::record::{ParseError, Quality, Reading, ReadingRef, write_json_str, write_number};
use crate::time::{MAX_MILLIS, MIN_MILLIS, TsFormatter, parse_rfc3339};

/// Encodes buckets as rollup readings, reusing one buffer.
#[derive(Debug, Default)]
pub(crate) struct RollupEncoder {
    extra: Vec<u8>,
    ts: TsFormatter,
}

impl RollupEncoder {
    /// The reading for `b`: `value` is the mean; an all-bad bucket has
    /// `quality:"bad"`, value 0 and only its counts.
    pub fn encode<'a>(
        &'a mut self,
        asset: &'a str,
        tag: &'a str,
        unit: &'a str,
        every: &str,
        b: &Bucket,
    ) -> ReadingRef<'a> {
        let s = &b.stats;
        let x = &mut self.extra;
        x.clear();
        x.extend_from_slice(b"\"every\":");
        write_json_str(every, x);
        x.extend_from_slice(b",\"count\":");
        x.extend_from_slice(itoa::Buffer::new().format(s.count).as_bytes());
        if s.count > 0 {
            for (k, v) in [
                ("min", s.min),
                ("max", s.max),
                ("mean", s.mean),
                ("stddev", s.stddev()),
                ("first", s.first),
                ("last", s.last),
                ("twa", s.twa(b.end)),
            ] {
                x.extend_from_slice(b",\"");
                x.extend_from_slice(k.as_bytes());
                x.extend_from_slice(b"\":");
                write_number(v, x);
            }
            x.extend_from_slice(b",\"first_ts\":\"");
            self.ts.write(s.first_ts, x);
            x.push(b'"');
        }
        x.extend_from_slice(b",\"good\":");
        x.extend_from_slice(itoa::Buffer::new().format(s.count).as_bytes());
        x.extend_from_slice(b",\"bad\":");
        x.extend_from_slice(itoa::Buffer::new().format(s.bad).as_bytes());
        ReadingRef {
            ts: b.start,
            asset,
            tag,
            value: if s.count > 0 { s.mean } else { 0.0 },
            unit,
            quality: if s.count > 0 {
                Quality::Good
            } else {
                Quality::Bad
            },
            text: "",
            fault: "",
            // Written from ASCII and JSON-escaped strings only.
            extra: std::str::from_utf8(x).unwrap_or_default(),
            encoded: None,
        }
    }
}

fn bad(field: &'static str, message: impl Into<String>) -> ParseError {
    ParseError {
        field: Some(field),
        message: message.into(),
    }
}

fn number(r: &Reading, field: &'static str) -> Result<f64, ParseError> {
    let raw = r
        .extra_field(field)
        .ok_or_else(|| bad(field, "missing in a rollup record"))?;
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(bad(field, format!("{raw} is not a finite number"))),
    }
}

fn count(r: &Reading, field: &'static str) -> Result<u64, ParseError> {
    match r.extra_field(field) {
        None => Ok(0),
        // Counts stay below 2^53, where f64 statistics still count exactly
        // and merged counts cannot overflow.
        Some(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|&n| n < 1 << 53)
            .ok_or_else(|| bad(field, format!("{raw} is not a whole count below 2^53"))),
    }
}

/// The input as an item for the engine: a rollup record (one with an
/// `every` field) becomes a child bucket, anything else a reading.
pub(crate) fn item_of(r: &Reading, aligner: &Aligner) -> Result<Item, ParseError> {
    let Some(every) = r.extra_field("every") else {
        return Ok(Item::Reading {
            ts: r.ts,
            value: r.value,
            good: r.quality == Quality::Good,
        });
    };
    let label = serde_json::from_str::<String>(every)
        .ok()
        .and_then(|l| Width::parse(&l).ok())
        .ok_or_else(|| bad("every", format!("{every} is not a width")))?;
    let (start, end) = aligner.bucket(&label, r.ts);
    if start != r.ts {
        return Err(bad(
            "ts",
            format!("not the start of a {} bucket", label.label),
        ));
    }
    let n = number_count(r)?;
    let bad_n = count(r, "bad")?;
    let stats = if n == 0 {
        Stats::from_record(0, 0.0, 0.0, 0.0, 0.0, (start, 0.0), 0.0, 0.0, end, bad_n)
    } else {
        let first_ts = r
            .extra_field("first_ts")
            .and_then(|raw| serde_json::from_str::<String>(raw).ok())
            .and_then(|s| parse_rfc3339(&s).ok())
            .ok_or_else(|| bad("first_ts", "missing or not a time in a rollup record"))?;
        if first_ts < start || first_ts >= end {
            return Err(bad("first_ts", "outside its bucket"));
        }
        Stats::from_record(
            n,
            number(r, "mean")?,
            number(r, "stddev")?,
            number(r, "min")?,
            number(r, "max")?,
            (first_ts, number(r, "first")?),
            number(r, "last")?,
            number(r, "twa")?,
            end,
            bad_n,
        )
    };
    Ok(Item::Child { start, end, stats })
}

fn number_count(r: &Reading) -> Result<u64, ParseError> {
    if r.extra_field("count").is_none() {
        return Err(bad("count", "missing in a rollup record"));
    }
    count(r, "count")
}

/// Whether a record is a rollup record (`every` and `count`), as a store
/// or a lake keeps apart from readings; a KPI record has no `count`.
pub(crate) fn is_rollup(r: &Reading) -> bool {
    r.extra_field("every").is_some() && r.extra_field("count").is_some()
}

/// A rollup record's width and its bucket as a rollup table keeps it:
/// every statistic as written (not recomputed), the statistics `None`
/// when it holds no good reading.
pub(crate) fn bucket_row_of(r: &Reading) -> Result<(String, BucketRow), ParseError> {
    let every = r
        .extra_field("every")
        .and_then(|v| serde_json::from_str::<String>(v).ok())
        .filter(|s| !s.is_empty() && Width::parse(s).is_ok())
        .ok_or_else(|| {
            bad(
                "every",
                "a rollup record's width must be a string such as \"1m\"",
            )
        })?;
    let n = number_count(r)?;
    let good = match r.extra_field("good") {
        Some(_) => count(r, "good")?,
        None => n,
    };
    let mut row = BucketRow {
        start: r.ts,
        count: n as i64,
        stats: [None; 7],
        first_ts: None,
        good: good as i64,
        bad: count(r, "bad")? as i64,
    };
    if n > 0 {
        for (slot, key) in row.stats.iter_mut().zip(STATS) {
            *slot = Some(number(r, key)?);
        }
        let first_ts = r
            .extra_field("first_ts")
            .and_then(|raw| serde_json::from_str::<String>(raw).ok())
            .and_then(|s| parse_rfc3339(&s).ok())
            .filter(|t| (MIN_MILLIS..=MAX_MILLIS).contains(t))
            .ok_or_else(|| bad("first_ts", "missing or not a time in a rollup record"))?;
        row.first_ts = Some(first_ts);
    }
    Ok((every, row))
}

/// The statistics of a rollup row, in the order of [`BucketRow::stats`].
pub(crate) const STATS: [&str; 7] = ["min", "max", "mean", "stddev", "first", "last", "twa"];

/// Stored buckets handed on as the rollup records `rollup --every` writes
/// (`query --rollup`), with one buffer reused from record to record.
pub(crate) struct BucketRecords {
    fmt: TsFormatter,
    x: Vec<u8>,
}

impl BucketRecords {
    pub(crate) fn new() -> BucketRecords {
        BucketRecords {
            fmt: TsFormatter::new(),
            x: Vec::with_capacity(256),
        }
    }

    /// Hands `emit` bucket `b` of width `label` of the series (asset,
    /// tag, unit).
    pub(crate) fn emit(
        &mut self,
        label: &str,
        (asset, tag, unit): (&str, &str, &str),
        b: &BucketRow,
        emit: &mut impl FnMut(&ReadingRef<'_>) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let (value, quality) = write_bucket_extra(label, b, &mut self.fmt, &mut self.x);
        emit(&ReadingRef {
            ts: b.start,
            asset,
            tag,
            value,
            unit,
            quality,
            text: "",
            fault: "",
            extra: std::str::from_utf8(&self.x).unwrap_or_default(),
            encoded: None,
        })
    }
}

/// Writes the extra fields of a stored bucket as `rollup --every` writes
/// them (`every`, `count`, the statistics and `first_ts` when it holds a
/// good reading, `good`, `bad`) into `x`; returns the record's value and
/// quality (the mean and good; 0 and bad without a good reading).
fn write_bucket_extra(
    label: &str,
    b: &BucketRow,
    fmt: &mut TsFormatter,
    x: &mut Vec<u8>,
) -> (f64, Quality) {
    x.clear();
    x.extend_from_slice(b"\"every\":");
    write_json_str(label, x);
    x.extend_from_slice(b",\"count\":");
    x.extend_from_slice(itoa::Buffer::new().format(b.count).as_bytes());
    let whole = b.count > 0 && b.stats.iter().all(Option::is_some);
    if whole {
        for (k, v) in STATS.iter().zip(&b.stats) {
            x.extend_from_slice(b",\"");
            x.extend_from_slice(k.as_bytes());
            x.extend_from_slice(b"\":");
            write_number(v.unwrap_or_default(), x);
        }
        if let Some(t) = b.first_ts {
            x.extend_from_slice(b",\"first_ts\":\"");
            fmt.write(t, x);
            x.push(b'"');
        }
    }
    x.extend_from_slice(b",\"good\":");
    x.extend_from_slice(itoa::Buffer::new().format(b.good).as_bytes());
    x.extend_from_slice(b",\"bad\":");
    x.extend_from_slice(itoa::Buffer::new().format(b.bad).as_bytes());
    if whole {
        (b.stats[2].unwrap_or_default(), Quality::Good)
    } else {
        (0.0, Quality::Bad)
    }
}
