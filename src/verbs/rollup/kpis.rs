//! `rollup --kpi health` and `rollup --kpi incidents` on a stream.

use std::path::PathBuf;

use anyhow::Result;

use super::{Tally, for_each_reading};
use crate::io::Rejects;
use crate::record::{ParseError, Quality, ReadingRef, RecordWriter};
use crate::rollup::buckets::{Aligner, Width};
use crate::rollup::incidents::{self, Incident, IncidentEngine, ReliabilityBucket, Sink};
use crate::rollup::kpi::{KpiBucket, KpiEngine};

fn out_of_order() -> ParseError {
    ParseError {
        field: Some("ts"),
        message: "older than its machine's latest reading (--kpi needs each machine's readings in time order)".into(),
    }
}

/// `rollup --kpi oee|health` on a stream: one record of `tag` per machine
/// and bucket, its value and fields from `encode` (the score, or `None`
/// for a bucket with nothing to rate: value 0, quality uncertain).
pub(super) fn stream_kpi<W: std::io::Write>(
    inputs: &[PathBuf],
    engine: &mut KpiEngine,
    tag: &str,
    mut encode: impl FnMut(&[String], &Width, &KpiBucket, &mut Vec<u8>) -> Option<f64>,
    out: &mut RecordWriter<W>,
    rejects: &mut Rejects,
    tally: &mut Tally,
) -> Result<()> {
    let mut extra = Vec::new();
    let mut wrote = 0u64;
    let mut late = 0u64;
    let mut emit = |asset: &str, reasons: &[String], w: &Width, b: &KpiBucket| {
        wrote += 1;
        let score = encode(reasons, w, b, &mut extra);
        out.write(&ReadingRef {
            ts: b.start,
            asset,
            tag,
            value: score.unwrap_or(0.0),
            unit: "",
            quality: if score.is_some() {
                Quality::Good
            } else {
                Quality::Uncertain
            },
            text: "",
            fault: "",
            extra: std::str::from_utf8(&extra).unwrap_or_default(),
            encoded: None,
        })
    };
    let result = for_each_reading(
        inputs,
        rejects,
        tally,
        |name, line_no, bytes, reading, rejects| {
            if !engine.push(reading, &mut emit)? {
                late += 1;
                rejects.reject(name, line_no, &out_of_order(), bytes)?;
            }
            Ok(())
        },
    )
    .and_then(|()| Ok(engine.finish(&mut emit)?));
    tally.wrote = wrote;
    tally.late = late;
    result
}

struct Writer<'a, W: std::io::Write> {
    out: &'a mut RecordWriter<W>,
    extra: Vec<u8>,
    wrote: u64,
}

impl<W: std::io::Write> Sink for Writer<'_, W> {
    fn incident(&mut self, asset: &str, reasons: &[String], i: &Incident) -> std::io::Result<()> {
        self.wrote += 1;
        let duration = incidents::encode_incident(i, reasons, &mut self.extra);
        self.out.write(&ReadingRef {
            ts: i.start,
            asset,
            tag: "incident",
            value: duration,
            unit: "s",
            quality: Quality::Good,
            text: &i.state,
            fault: "",
            extra: std::str::from_utf8(&self.extra).unwrap_or_default(),
            encoded: None,
        })
    }

    fn bucket(&mut self, asset: &str, w: &Width, b: &ReliabilityBucket) -> std::io::Result<()> {
        self.wrote += 1;
        let mttr = incidents::encode_bucket(b, &w.label, &mut self.extra);
        self.out.write(&ReadingRef {
            ts: b.start,
            asset,
            tag: "reliability",
            value: mttr,
            unit: "s",
            quality: Quality::Good,
            text: "",
            fault: "",
            extra: std::str::from_utf8(&self.extra).unwrap_or_default(),
            encoded: None,
        })
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn stream_incidents<W: std::io::Write>(
    inputs: &[PathBuf],
    widths: Vec<Width>,
    aligner: Aligner,
    down: Vec<String>,
    open: bool,
    out: &mut RecordWriter<W>,
    rejects: &mut Rejects,
    tally: &mut Tally,
) -> Result<()> {
    let mut engine = IncidentEngine::new(widths, aligner, down);
    let mut sink = Writer {
        out,
        extra: Vec::new(),
        wrote: 0,
    };
    let mut late = 0u64;
    let result = for_each_reading(
        inputs,
        rejects,
        tally,
        |name, line_no, bytes, reading, rejects| {
            if !engine.push(reading, &mut sink)? {
                late += 1;
                rejects.reject(name, line_no, &out_of_order(), bytes)?;
            }
            Ok(())
        },
    )
    .and_then(|()| Ok(engine.finish(open, &mut sink)?));
    tally.wrote = sink.wrote;
    tally.late = late;
    result
}
