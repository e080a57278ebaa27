//! `iiot simulate`: realistic, deterministic telemetry from a plant model.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use super::Global;
use super::args::{FormatArg, ModelArgs};
use crate::io::stdout_sink;
use crate::record::RecordWriter;
use crate::sim::{Config, FaultRates, Simulator};
use crate::time;
use crate::time::Millis;

/// Simulate plant telemetry as readings.
///
/// Every series (asset × tag of the model) gets one reading per interval,
/// shaped by its profile: steady with noise, daily sine, mean-reverting
/// walk, batch curves, Markov machine states, monotonic counters; tags
/// that `follows` others move with them (choke opens → flow up, tubing
/// pressure down). Without faults an analog value stays inside its normal
/// range (min/lo to hi/max).
///
/// Output is deterministic: the same model, seed and arguments give the
/// same bytes on every run and machine. Without --realtime it is written as
/// fast as possible; without --duration, --count or --end it never ends
/// (pipe it into `head`, or stop it).
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot simulate --preset fermenter --duration 24h --interval 10s > day.ndjson
  iiot simulate --preset wellhead --count 3 --format csv
  iiot simulate --preset fermenter --faults spike=0.002,stuck=0.0005 --label --duration 1h
  iiot simulate --preset factory --assets 100 --interval 10s --duration 1h > factory.ndjson
  iiot simulate --preset boiler --realtime --interval 500ms | head -3")]
pub struct Args {
    /// The model to simulate: the wellhead preset when neither --preset
    /// nor --model is given.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Scale the model to N assets, named by its first asset's prefix (WH-0001 … WH-1000); asset i repeats the model's asset i mod k.
    #[arg(long, value_name = "N", value_parser = crate::options::at_least_one)]
    pub assets: Option<usize>,
    /// Seed of the random streams.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Time of the first reading: RFC 3339, a date, or epoch ms [default: 2026-01-01T00:00:00Z, or now with --realtime].
    #[arg(long, value_name = "TIME", value_parser = crate::options::time)]
    pub start: Option<Millis>,
    /// Time between two readings of a series.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = crate::options::positive_ms)]
    pub interval: Millis,
    /// Simulate this long (24h, 7d).
    #[arg(long, value_name = "DURATION", group = "end_at", value_parser = crate::options::positive_ms)]
    pub duration: Option<Millis>,
    /// Simulate this many intervals (readings per series).
    #[arg(long, value_name = "N", group = "end_at")]
    pub count: Option<u64>,
    /// Stop before this time.
    #[arg(long, value_name = "TIME", group = "end_at", value_parser = crate::options::time)]
    pub end: Option<Millis>,
    /// Pace readings to the wall clock, one interval at a time; runs until stopped when no end is given.
    #[arg(long)]
    pub realtime: bool,
    /// Inject faults: KIND=RATE,… with kinds spike, drift, stuck, dropout; RATE is the chance per reading that one begins.
    #[arg(long, value_name = "SPEC", value_parser = crate::options::faults)]
    pub faults: Option<FaultRates>,
    /// Write the ground truth of injected faults into each affected reading's `fault` field.
    #[arg(long)]
    pub label: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Ndjson)]
    pub format: FormatArg,
    /// Flush after every interval, for live pipelines (always so with --realtime or on a terminal).
    #[arg(long)]
    pub line_buffered: bool,
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    let model = args.model.resolve("wellhead")?;
    let interval_ms = args.interval;
    let start = match args.start {
        Some(s) => s,
        None if args.realtime => time::now_ms() / interval_ms * interval_ms,
        None => time::parse_time_arg("2026-01-01T00:00:00Z")?,
    };
    let ticks = match (args.duration, args.count, args.end) {
        (Some(d), _, _) => Some(div_ceil(d, interval_ms)),
        (_, Some(n), _) => Some(n),
        (_, _, Some(end)) => {
            if end <= start {
                bail!(
                    "--end {} is not after the start",
                    time::TsFormatter::format(end)
                );
            }
            Some(div_ceil(end - start, interval_ms))
        }
        _ => None,
    };
    if !(time::MIN_MILLIS..=time::MAX_MILLIS).contains(&start) {
        return Err(crate::io::UsageError(format!(
            "--start {}: outside the years 0001 to 9999 a record can carry",
            time::TsFormatter::format(start)
        ))
        .into());
    }
    // A run stops at the end of the record range.
    let room = ((time::MAX_MILLIS - start) / interval_ms) as u64 + 1;
    let ticks = ticks.map(|t| t.min(room));
    let faults = args.faults.unwrap_or_default();
    let cfg = Config {
        seed: args.seed,
        start,
        interval_ms,
        faults,
        label: args.label,
        assets: args.assets,
    };
    let mut sim = Simulator::new(&model, cfg)?;
    if global.verbose > 0 {
        eprintln!(
            "iiot simulate: {} series, one reading each every {:#}, {}",
            sim.series_count(),
            jiff::SignedDuration::from_millis(args.interval),
            match ticks {
                Some(n) => format!("{n} intervals"),
                None => "until stopped".to_string(),
            }
        );
    }
    let (sink, line_buffered) = stdout_sink(args.line_buffered || args.realtime);
    let mut out = RecordWriter::new(sink, args.format.into(), false);
    let origin = Instant::now();
    let mut tick: u64 = 0;
    let mut written: u64 = 0;
    while ticks.is_none_or(|n| tick < n) && tick < room {
        if args.realtime {
            let due = origin + Duration::from_millis(tick.saturating_mul(interval_ms as u64));
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        sim.step(|r| {
            written += 1;
            out.write(r)
        })?;
        if line_buffered {
            out.flush()?;
        } else {
            out.flush_if_full()?;
        }
        tick += 1;
    }
    out.flush()?;
    if !global.quiet && global.verbose > 0 {
        eprintln!("iiot simulate: wrote {written}");
    }
    Ok(())
}

fn div_ceil(a: i64, b: i64) -> u64 {
    ((a + b - 1) / b) as u64
}
