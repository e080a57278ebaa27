//! `iiot poll`: read Modbus TCP devices on a schedule and write readings,
//! per the model's map or, in ad-hoc mode, per the command line.

use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::Global;
use super::args::{FormatArg, ModelArgs};
use crate::io::stdout_sink;
use crate::modbus::client::{PollConfig, Poller, Reload, Timestamp};
use crate::modbus::codec::Layout;
use crate::modbus::hangup::Hangup;
use crate::modbus::map::{self, Point};
use crate::modbus::plan::PlanConfig;
use crate::modbus::shown;
use crate::model::{Kind, RegType, Table, WordOrder};
use crate::record::{Format, RecordWriter};

/// Poll Modbus TCP devices and write readings.
///
/// With a model (--preset or --model): every tag with an address is read
/// from its target (the `host` column, else --target) and unit id, every
/// --interval. Each unit's tags are read with as few requests as possible:
/// tags of one table whose addresses are adjacent, or apart by at most
/// --max-gap unused registers, share a request of at most 125 registers
/// (2000 coils or discrete inputs). Values are decoded per type, order,
/// scale and offset; `state` tags get their state's name in `text`, string
/// registers (type strN) their characters in `text` and the number of
/// characters in `value`.
///
/// Timestamps: each reading carries the time its request was sent
/// (--ts request, the default: the requests of a poll sent together share
/// a time; those held back by --max-inflight, or dealt to other
/// --connections, carry the time they went out); --ts response takes the
/// time the answer arrived instead.
///
/// Targets are polled concurrently, each on its own connection and its own
/// schedule, which does not drift (a late poll is skipped, not bunched).
/// --connections N opens N connections to each target and deals its
/// requests out over them, each connection on its own schedule (and
/// counted as polling on its own in the closing summary).
/// On one connection every request of a poll goes out at once and answers
/// are matched by transaction id, so a unit id that stops answering behind
/// a gateway never delays or blanks the others (up to --max-inflight
/// requests await answers at once). A request unanswered
/// within --timeout is a counted error and writes nothing; a target that
/// cannot be reached is retried with exponential backoff up to
/// --backoff-max, with one message per outage on stderr. An exception
/// response is a counted error naming unit, table and addresses. A
/// request read through unused registers (--max-gap) that the device
/// refuses with exception 2 (it does not have a register in between) is
/// split into its runs of adjacent tags from then on, with one message.
///
/// On SIGHUP the model is read again: new tags are polled, removed ones no
/// longer, without a restart; a model with errors keeps the old one in
/// force and says why (--count still counts each connection's polls).
///
/// Ad-hoc mode (TARGET with --holding, --input, --coils or --discrete):
/// no model, like mbpoll but writing NDJSON; A:N reads N values of --type
/// from address A (0-based), tagged `holding:A` and so on, asset
/// TARGET/UNIT unless --asset says otherwise.
///
/// At the end (after --count polls): polls, requests, readings and errors
/// on stderr; exit 1 if nothing at all was read.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot simulate --count 1 | iiot modbus-serve --listen 127.0.0.1:0 --addr-file a --for 3s \\
    2>/dev/null & sleep 1; iiot poll --target $(cat a) --count 2 --interval 500ms | head -3
  iiot simulate --count 1 | iiot modbus-serve --listen 127.0.0.1:0 --addr-file a --for 3s \\
    2>/dev/null & sleep 1; iiot poll $(cat a) --unit 3 --holding 0:2 --type f32 --count 1
  iiot poll --preset wellhead --interval 30s | iiot cat > plant.ndjson   # needs a running server")]
pub struct Args {
    /// Ad-hoc mode: the HOST:PORT to read (with --holding, --input, --coils or --discrete).
    #[arg(value_name = "TARGET")]
    pub adhoc: Option<String>,
    /// The model to poll: the wellhead preset when neither --preset nor
    /// --model is given (read again on SIGHUP).
    #[command(flatten)]
    pub model: ModelArgs,
    /// Target for model rows without a `host`.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:5020")]
    pub target: String,
    /// Time between polls of a target; 0 polls again as soon as the last poll is answered.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = crate::options::nonneg_duration)]
    pub interval: Duration,
    /// Poll this many times, then exit.
    #[arg(long, value_name = "N", value_parser = crate::options::at_least_one_u64)]
    pub count: Option<u64>,
    /// How long to wait for an answer (and for a connection).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = crate::options::positive_duration)]
    pub timeout: Duration,
    /// Which time a reading carries: when its request was sent, or when the answer came.
    #[arg(long, value_enum, default_value_t = TsFrom::Request)]
    pub ts: TsFrom,
    /// Unused registers (or bits) a request may read through to join two runs of tags.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_gap: u16,
    /// Most requests awaiting an answer on one connection. Above 1, a unit that stops answering does not hold up the others; 1 suits devices that take one request at a time (pymodbus, many small PLCs).
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = crate::options::at_least_one)]
    pub max_inflight: usize,
    /// Connections to open to each target; its requests are dealt out over them (each connection polls its share on its own schedule; an outage is still reported once). For servers that answer one request at a time per connection (pymodbus, many gateways), N connections answer up to N requests at once.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = crate::options::at_least_one)]
    pub connections: usize,
    /// Longest wait between two attempts to reach a target that is down.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = crate::options::positive_duration)]
    pub backoff_max: Duration,
    /// Ad-hoc: unit id.
    #[arg(long, value_name = "ID", default_value_t = 1)]
    pub unit: u8,
    /// Ad-hoc: read N values from holding register A.
    #[arg(long, value_name = "A:N")]
    pub holding: Option<String>,
    /// Ad-hoc: read N values from input register A.
    #[arg(long, value_name = "A:N")]
    pub input: Option<String>,
    /// Ad-hoc: read N coils from A.
    #[arg(long, value_name = "A:N")]
    pub coils: Option<String>,
    /// Ad-hoc: read N discrete inputs from A.
    #[arg(long, value_name = "A:N")]
    pub discrete: Option<String>,
    /// Ad-hoc: register type (u16, i16, u32, i32, u64, i64, f32, f64, bool, strN).
    #[arg(long = "type", value_name = "TYPE", default_value = "u16")]
    pub reg_type: String,
    /// Ad-hoc: word and byte order (ABCD, CDAB, BADC, DCBA).
    #[arg(long, value_name = "ORDER", default_value = "ABCD")]
    pub order: String,
    /// Ad-hoc: engineering value = raw × scale + offset.
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    pub scale: f64,
    /// Ad-hoc: see --scale.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub offset: f64,
    /// Ad-hoc: asset of the readings [default: TARGET/UNIT].
    #[arg(long, value_name = "NAME")]
    pub asset: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Ndjson)]
    pub format: FormatArg,
}

/// The time a reading carries (`--ts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TsFrom {
    /// When the request was sent.
    Request,
    /// When the answer arrived.
    Response,
}

impl From<TsFrom> for Timestamp {
    fn from(t: TsFrom) -> Timestamp {
        match t {
            TsFrom::Request => Timestamp::Request,
            TsFrom::Response => Timestamp::Response,
        }
    }
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    let (points, default_target) = points(&args)?;
    let cfg = PollConfig {
        interval: args.interval,
        timeout: args.timeout,
        count: args.count,
        ts: args.ts.into(),
        // A zero cap would retry a lost target in a busy loop.
        backoff_max: args.backoff_max,
        max_inflight: args.max_inflight,
        quiet: global.quiet,
    };
    if cfg.timeout.is_zero() {
        bail!("--timeout must be longer than 0");
    }
    let plan = PlanConfig {
        default_target,
        max_gap: args.max_gap,
        connections: args.connections,
        verbose: global.verbose > 0,
    };
    let mut poller = Poller::new(points, plan, cfg);
    // Before the first poll: a SIGHUP once readings flow must never be the
    // default one that ends the process.
    let hangup = Hangup::register()?;
    let reload: Option<Reload> = if is_adhoc(&args) {
        None
    } else {
        let model = args.model.clone();
        Some(Box::new(move || {
            let model = model.resolve("wellhead")?;
            Ok(map::points(&model))
        }))
    };
    poller.reload_on(hangup, reload);
    let (sink, line_buffered) = stdout_sink(false);
    let mut out = RecordWriter::new(sink, Format::from(args.format), line_buffered);
    let result = poller.run(&mut out);
    let flushed = out.flush();
    if let Err(e) = &result
        && crate::io::is_broken_pipe(e)
    {
        // The reader went away (`| head`): a quiet, successful end.
        return Ok(());
    }
    let (stats, wrote) = (poller.stats(), poller.wrote());
    let errors = stats.errors();
    if !global.quiet {
        eprintln!(
            "iiot poll: polls {}, requests {}, answered {}, wrote {wrote}, errors {errors} (timeouts {}, exceptions {}, bad answers {}, polls while unreachable {})",
            stats.polls.load(Ordering::Relaxed),
            stats.requests.load(Ordering::Relaxed),
            stats.answers.load(Ordering::Relaxed),
            stats.timeouts.load(Ordering::Relaxed),
            stats.exceptions.load(Ordering::Relaxed),
            stats.bad_answers.load(Ordering::Relaxed),
            stats.missed.load(Ordering::Relaxed),
        );
    }
    result?;
    flushed?;
    if wrote == 0 && errors > 0 {
        bail!("nothing was read: {errors} errors");
    }
    Ok(())
}

/// The points to poll, from the command line in ad-hoc mode or from the
/// model, and the target of those without a `host`.
fn points(args: &Args) -> Result<(Vec<Point>, String)> {
    let (points, default_target) = match (&args.adhoc, is_adhoc(args)) {
        (Some(t), true) => (adhoc_points(args, t)?, t.clone()),
        (Some(t), false) => bail!(
            "{}: ad-hoc mode needs what to read: --holding, --input, --coils or --discrete A:N",
            shown(t)
        ),
        (None, true) => {
            bail!("--holding, --input, --coils and --discrete need a TARGET (HOST:PORT)")
        }
        (None, false) => {
            let model = args.model.resolve("wellhead")?;
            (map::points(&model), args.target.clone())
        }
    };
    if points.is_empty() {
        bail!("the model has no row with an address: nothing to poll");
    }
    Ok((points, default_target))
}

/// Whether the command line says what to read (ad-hoc mode).
fn is_adhoc(args: &Args) -> bool {
    args.holding.is_some()
        || args.input.is_some()
        || args.coils.is_some()
        || args.discrete.is_some()
}

/// Parses `A:N` into an address and a count of values.
fn span(s: &str, flag: &str) -> Result<(u16, u16)> {
    let (a, n) = s
        .split_once(':')
        .with_context(|| format!("--{flag} \"{}\" is not A:N", shown(s)))?;
    let a: u16 = a
        .trim()
        .parse()
        .with_context(|| format!("--{flag} \"{}\": the address is not 0 to 65535", shown(s)))?;
    let n: u16 = n.trim().parse().ok().filter(|n| *n > 0).with_context(|| {
        format!(
            "--{flag} \"{}\": the count is not a number above 0",
            shown(s)
        )
    })?;
    Ok((a, n))
}

/// The points ad-hoc mode reads.
fn adhoc_points(args: &Args, target: &str) -> Result<Vec<Point>> {
    let reg_type = RegType::from_name(&args.reg_type).with_context(|| {
        format!(
            "--type \"{}\" is not a register type",
            shown(&args.reg_type)
        )
    })?;
    let order = WordOrder::from_name(&args.order).with_context(|| {
        format!(
            "--order \"{}\" is not ABCD, CDAB, BADC or DCBA",
            shown(&args.order)
        )
    })?;
    if args.scale == 0.0 || !args.scale.is_finite() || !args.offset.is_finite() {
        bail!("--scale must be a number other than 0, --offset a number");
    }
    let asset = args
        .asset
        .clone()
        .unwrap_or_else(|| format!("{target}/{}", args.unit));
    let mut out = Vec::new();
    for (table, spec, flag) in [
        (Table::Holding, &args.holding, "holding"),
        (Table::Input, &args.input, "input"),
        (Table::Coil, &args.coils, "coils"),
        (Table::Discrete, &args.discrete, "discrete"),
    ] {
        let Some(spec) = spec else { continue };
        let (start, n) = span(spec, flag)?;
        let bits = map::is_bit_table(table);
        let width = if bits { 1 } else { reg_type.registers() };
        if u32::from(start) + u32::from(n) * width > 65_536 {
            bail!("--{flag} {} runs past address 65535", shown(spec));
        }
        for k in 0..u32::from(n) {
            let address = (u32::from(start) + k * width) as u16;
            out.push(Point {
                asset: asset.clone(),
                tag: format!("{}:{address}", table.name()),
                unit: String::new(),
                kind: if bits { Kind::Bool } else { Kind::Analog },
                states: Vec::new(),
                host: String::new(),
                unit_id: args.unit,
                table,
                address,
                layout: Layout {
                    reg_type: if bits { RegType::Bool } else { reg_type },
                    order,
                    scale: if bits { 1.0 } else { args.scale },
                    offset: if bits { 0.0 } else { args.offset },
                    bit: None,
                },
            });
        }
    }
    Ok(out)
}
