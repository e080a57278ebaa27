//! `iiot rollup`: readings into time buckets whose statistics merge
//! exactly — a stream filter, and the incremental job on a store.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::cli::Global;
use crate::io::{Input, Line, LineReader, Rejects, stdout_sink};
use crate::record::{Format, ParseError, Reading, RecordParser, RecordWriter};
use crate::rollup::buckets::{Aligner, Width};
use crate::rollup::record::{RollupEncoder, item_of};
use crate::rollup::stream::Engine;
use crate::time::parse_duration;

/// Summarise readings into time buckets (count, min, max, mean, stddev,
/// first, last, time-weighted mean).
///
/// Reads readings (NDJSON) from the files named or stdin and writes one
/// rollup record per series per bucket: a reading whose `ts` is the bucket
/// start, `value` the mean, and the fields `every`, `count`, `min`, `max`,
/// `mean`, `stddev`, `first`, `last`, `twa`, `first_ts` (time of the first
/// reading), `good` and `bad`. Buckets align to the UTC epoch; with --tz,
/// day-long (and longer) buckets start at local midnight, so daylight-saving
/// days hold 23 or 25 hours; widths of whole weeks start on Monday.
///
/// Statistics: readings whose quality is not `good` are left out and
/// counted in `bad` (`good` counts the rest; good/(good+bad) is the share
/// of good data). `stddev` is the sample standard deviation (n−1, SQL's
/// stddev_samp), 0 for one reading. `twa`, the time-weighted mean: each
/// good value holds until the next good reading or the bucket end,
/// whichever comes first; the time before the bucket's first good reading
/// is not covered (nothing is carried in from the bucket before), so `twa`
/// averages over [first_ts, bucket end). A bucket of only bad readings has
/// `quality:"bad"`, value 0 and only its counts.
///
/// Cascading: input records that carry `every` are rollups; they are merged
/// exactly (count-weighted mean, pooled variance, min of mins, first of the
/// earliest, time weighting across the gaps), so `rollup --every 1m |
/// rollup --every 1h` gives what `rollup --every 1h` gives, to rounding.
///
/// Closing: a bucket is written when its series' latest reading passes the
/// bucket end plus --lateness, and every open bucket at the end of input.
/// A reading whose bucket was already written is late: it is rejected (for
/// every width, so the widths agree) and counted, never folded in silently.
/// Readings out of time order inside an open bucket count in every
/// statistic; in `twa` only when earliest in their bucket.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot rollup --every 1m export.ndjson
  iiot simulate --preset boiler --duration 2h | iiot rollup --every 1m,1h > rollups.ndjson
  iiot rollup --every 10s fixture.ndjson | iiot rollup --every 1m
  iiot simulate --preset boiler --duration 2d --interval 10m | iiot rollup --every 1d --tz Europe/Berlin")]
pub struct Args {
    /// Input files; `-` or none for stdin.
    pub inputs: Vec<PathBuf>,
    /// Bucket widths, comma-separated: 10s, 1m, 15m, 1h, 1d, 7d.
    #[arg(long, value_name = "WIDTHS", required = true)]
    pub every: String,
    /// How long past a bucket's end (by its series' latest reading) to wait
    /// for stragglers before writing it.
    #[arg(long, value_name = "DURATION", default_value = "0s")]
    pub lateness: String,
    /// Time zone whose local midnight starts day buckets (Europe/Berlin).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Write rejected lines (bad input, late readings) here as NDJSON instead of to stderr.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Stop with exit 1 at the first rejected line.
    #[arg(long)]
    pub strict: bool,
    /// Output format (CSV carries only the reading columns: ts and the mean).
    #[arg(long, value_enum, default_value_t = Format::Ndjson)]
    pub format: Format,
    /// Flush after every record, for live pipelines.
    #[arg(long)]
    pub line_buffered: bool,
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    let widths = Width::parse_list(&args.every)?;
    let lateness = parse_duration(&args.lateness)
        .with_context(|| format!("--lateness {}", args.lateness))?
        .as_millis();
    if lateness < 0 {
        bail!("--lateness {}: must not be negative", args.lateness);
    }
    let lateness = i64::try_from(lateness).context("--lateness is too long")?;
    let aligner = Aligner::new(args.tz.as_deref())?;
    let mut engine = Engine::new(widths, aligner, lateness);

    let mut rejects = Rejects::new("rollup", args.rejects.as_deref(), args.strict)?;
    let (sink, line_buffered) = stdout_sink(args.line_buffered);
    let mut out = RecordWriter::new(sink, args.format, line_buffered);
    let mut tally = Tally::default();
    let result = stream_all(
        &args.inputs,
        &mut engine,
        &mut out,
        &mut rejects,
        &mut tally,
    );
    let flushed = out.flush();
    rejects.finish()?;
    if !global.quiet {
        eprintln!(
            "iiot rollup: read {}, wrote {}, rejected {} ({} late)",
            tally.read,
            tally.wrote,
            rejects.count(),
            tally.late
        );
    }
    result.and(flushed.map_err(Into::into))
}

#[derive(Default)]
struct Tally {
    read: u64,
    wrote: u64,
    late: u64,
}

fn stream_all<W: std::io::Write>(
    inputs: &[PathBuf],
    engine: &mut Engine,
    out: &mut RecordWriter<W>,
    rejects: &mut Rejects,
    tally: &mut Tally,
) -> Result<()> {
    let mut parser = RecordParser::new();
    let mut reading = Reading::default();
    let mut enc = RollupEncoder::default();
    let mut wrote = 0u64;
    let mut emit =
        |s: &crate::rollup::stream::SeriesInfo, w: &Width, b: &crate::rollup::stream::Bucket| {
            wrote += 1;
            out.write(&enc.encode(&s.asset, &s.tag, &s.unit, &w.label, b))
        };
    for path in Input::paths_or_stdin(inputs) {
        let input = Input::open(&path)?;
        let name = input.name;
        let mut lines = LineReader::new(input.reader);
        loop {
            let line_no = lines.line_no() + 1;
            let line = lines
                .next_line()
                .with_context(|| format!("reading {name}"))?;
            let bytes = match line {
                None => break,
                Some(Line::Text(bytes)) if bytes.iter().all(u8::is_ascii_whitespace) => continue,
                Some(Line::Text(bytes)) => bytes,
                Some(Line::TooLong(len)) => {
                    tally.read += 1;
                    let e = ParseError {
                        field: None,
                        message: format!(
                            "line is {len} bytes, over the limit of {} bytes",
                            crate::io::MAX_LINE
                        ),
                    };
                    rejects.reject(&name, line_no, &e, &[])?;
                    continue;
                }
            };
            tally.read += 1;
            if let Err(e) = parser.parse(bytes, &mut reading) {
                rejects.reject(&name, line_no, &e, bytes)?;
                continue;
            }
            if reading.is_event() {
                // Alarm events are not readings: nothing to summarise.
                let e = ParseError {
                    field: Some("event"),
                    message: "an alarm event, not a reading".into(),
                };
                rejects.reject(&name, line_no, &e, bytes)?;
                continue;
            }
            let item = match item_of(&reading, engine.aligner()) {
                Ok(i) => i,
                Err(e) => {
                    rejects.reject(&name, line_no, &e, bytes)?;
                    continue;
                }
            };
            let pushed =
                engine.push(&reading.asset, &reading.tag, &reading.unit, item, &mut emit)?;
            if let Err(refusal) = pushed {
                if matches!(refusal, crate::rollup::stream::Refusal::Late { .. }) {
                    tally.late += 1;
                }
                rejects.reject(&name, line_no, &refusal, bytes)?;
            }
        }
    }
    engine.finish(&mut emit)?;
    tally.wrote = wrote;
    Ok(())
}
