//! `iiot forecast`: per series, where it is going (point forecast and
//! prediction intervals), when it will cross a limit, and how good such
//! forecasts have been on its own past (`--backtest`).

use std::collections::HashMap;

use anyhow::{Context, Result, bail};

use super::Global;
use super::args::{InputArgs, ModelArgs, OutputArgs, RejectArgs};
use crate::forecast::backtest::{self, Plan, Scores};
use crate::forecast::series::{History, Series};
use crate::forecast::until::{Condition, first_crossing, human};
use crate::forecast::{Forecast, Method, Seasons, Settings, forecast};
use crate::io::{Next, ReadOptions, Records, Wait, stdout_sink};
use crate::model::Model;
use crate::record::{Quality, Reading, ReadingRef, RecordWriter, write_json_str, write_number};
use crate::time::{Millis, TsFormatter, parse_positive_millis};

/// Forecast each series: point, prediction intervals, time to a limit.
///
/// Reads readings or rollup records (forecasting hourly means is the usual
/// case: `rollup --every 1h | forecast`) and, per series (asset + tag),
/// averages them into buckets of the series' interval — a rollup record's
/// `every`, else --every, else the median spacing of its first readings —
/// keeping the last --history buckets. Missing buckets are filled by a
/// straight line between their neighbours and counted; readings whose
/// quality is not good, and readings older than the bucket being filled,
/// are left out and counted; lines with a value that is not a finite
/// number are rejected as bad input.
///
/// Models: with one seasonal period of at most 24 buckets — given by
/// --season, or found by a periodogram — and three seasons of history, a
/// seasonal exponential smoothing (additive error and season; no, linear
/// or damped trend chosen by AICc, as statsforecast's AutoETS); with a
/// longer period or two (daily + weekly) MSTL takes the seasons out and an
/// AutoETS (Grafana's augurs; error, trend and damping chosen by AICc)
/// forecasts the rest (--method mstl: for a short season too); without
/// a season, AutoETS alone. A season longer than half the history is dropped, fewer than 8
/// buckets get the naive forecast, a constant series its constant; each
/// such fallback is said once per series on stderr and named in the
/// record's `model`. --method snaive gives the seasonal naive baseline.
///
/// Output: `--horizon` records per series, one per step: `"forecast":true`,
/// `made` (the end of the last bucket fitted on: when the forecast was
/// made, in the data's time), `value` the point forecast, `lo_80`/`hi_80`
/// … for each --level, `model`. `store` keeps them in a table of their own.
///
/// Without --refit one forecast per series is made at the end of the
/// input; with --refit (alone: at each new bucket; or a duration) a live
/// stream gets a new forecast for a series each time that much of it has
/// come, and the last at the end.
///
/// --until 'value < 25' (or >, <=, >=, or hi_hi, hi, lo, lo_lo from the
/// model) writes instead one record per series with when the forecast
/// first crosses the limit (`at`) and when the bounds of the first
/// --level's interval do (`earliest`, `latest`; null beyond the horizon);
/// with --events, a `"event":"predicted"` alarm event each time a crossing
/// comes within the horizon.
///
/// --backtest evaluates instead: for --windows origins --step buckets
/// apart, ending one horizon before the end, it fits on what came before
/// and compares with what came after. Writes one JSON line per series and
/// a total: MAE, RMSE, MASE (scaled by the in-sample one-step seasonal
/// naive error, the seasonal naive forecast's own MASE beside it), the
/// coverage of each level and, with --until, how many crossings fell
/// inside their predicted interval.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot simulate --preset boiler --duration 3d --interval 10m | iiot rollup --every 1h | iiot forecast --horizon 24h > next-day.ndjson
  iiot query plant.db --tag fuel_level | iiot forecast --horizon 3d --until 'value < 25'
  iiot simulate --preset boiler --duration 7d --interval 10m | iiot rollup --every 1h | iiot forecast --backtest --season 24h --windows 2
  iiot forecast --horizon 6 export.ndjson | iiot store plant.db")]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    /// The model whose alarm limits --until hi_hi, hi, lo, lo_lo name.
    #[command(flatten)]
    pub model: ModelArgs,
    /// How far ahead: a duration (24h) or a number of buckets.
    #[arg(long, value_name = "SPAN", default_value = "24")]
    pub horizon: String,
    /// Bucket width, for readings that are not rollups [default: the series' own interval].
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_millis)]
    pub every: Option<i64>,
    /// Prediction interval levels in percent.
    #[arg(long, value_name = "LIST", default_value = "80,95")]
    pub level: String,
    /// Seasonal periods (24h,7d), or `none` [default: found in the data].
    #[arg(long, value_name = "LIST")]
    pub season: Option<String>,
    /// The model: auto (seasonal ETS, MSTL + AutoETS, AutoETS, fallbacks), mstl (MSTL + AutoETS for short seasons too) or snaive (seasonal naive).
    #[arg(long, value_enum, default_value_t = MethodArg::Auto)]
    pub method: MethodArg,
    /// Buckets the model fits on, at most: a number or a duration (30d).
    #[arg(long, value_name = "SPAN", default_value = "2000")]
    pub history: String,
    /// Refit on a live stream: alone, at each new bucket; or every DURATION.
    #[arg(long, value_name = "DURATION", num_args = 0..=1, default_missing_value = "bucket")]
    pub refit: Option<String>,
    /// Write when each series crosses a limit: 'value < 25', 'value >= 80', or hi_hi, hi, lo, lo_lo of the model.
    #[arg(long, value_name = "CONDITION")]
    pub until: Option<String>,
    /// With --until: write predictive alarm events ("event":"predicted").
    #[arg(long, requires = "until")]
    pub events: bool,
    /// Evaluate by rolling origin instead of forecasting.
    #[arg(long, conflicts_with_all = ["events", "refit"])]
    pub backtest: bool,
    /// Backtest origins.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub windows: usize,
    /// Buckets between backtest origins [default: the horizon].
    #[arg(long, value_name = "N")]
    pub step: Option<usize>,
    #[command(flatten)]
    pub reject: RejectArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The command line's names for [`Method`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MethodArg {
    Auto,
    Mstl,
    Snaive,
}

/// A span given as a count of buckets or as a duration.
#[derive(Debug, Clone, Copy)]
enum Span {
    Buckets(usize),
    Ms(Millis),
}

impl Span {
    fn parse(s: &str, what: &str) -> Result<Span> {
        if let Ok(n) = s.trim().parse::<usize>() {
            if n == 0 {
                bail!("{what} {s:?}: must be at least 1");
            }
            return Ok(Span::Buckets(n));
        }
        parse_positive_millis(s)
            .map(Span::Ms)
            .with_context(|| format!("{what}: a number of buckets or a duration"))
    }

    fn steps(self, every: Millis) -> usize {
        match self {
            Span::Buckets(n) => n,
            Span::Ms(ms) => usize::try_from((ms + every - 1) / every)
                .unwrap_or(usize::MAX)
                .max(1),
        }
    }
}

/// What to do at --until.
#[derive(Debug, Clone)]
enum Until {
    Fixed(Condition),
    /// A limit of the model, per series.
    Limit(&'static str),
}

#[derive(Default)]
struct Tally {
    wrote: u64,
    series: u64,
    fallbacks: u64,
    no_limit: u64,
}

struct Job {
    horizon: Span,
    levels: Vec<f64>,
    seasons: Option<Vec<Millis>>,
    method: Method,
    history: History,
    refit: Option<Option<Millis>>,
    until: Option<Until>,
    until_text: String,
    model: Option<Model>,
    every: Option<Millis>,
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    crate::io::refuse_overwriting_inputs(
        &args.input.inputs,
        &[("--rejects", args.reject.file())],
        true,
    )?;
    let job = job_of(&args)?;
    let mut rejects = args.reject.open("forecast")?;
    let (sink, line_buffered) = stdout_sink(args.output.line_buffered);
    let mut out = RecordWriter::new(sink, args.output.format(), line_buffered);
    let mut records = Records::open(
        &args.input.inputs,
        ReadOptions {
            encode: None,
            progress: true,
        },
        global.quiet,
    );
    let mut series: Vec<Series> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut tally = Tally::default();
    let mut skipped = 0u64;
    let mut ts_fmt = TsFormatter::new();
    let result: Result<()> = (|| {
        loop {
            let rec = match records.next(&mut rejects, Wait::Forever)? {
                Next::Record(rec) => rec,
                Next::Quiet => continue,
                Next::End => break,
            };
            let r: &Reading = rec.reading;
            if r.is_event() || r.extra_field("forecast").is_some() {
                skipped += 1;
                continue;
            }
            let key = (r.asset.clone(), r.tag.clone());
            let i = match index.get(&key) {
                Some(&i) => i,
                None => {
                    let every = rollup_every(r).or(job.every);
                    series.push(Series::new(&r.asset, &r.tag, &r.unit, every, job.history));
                    index.insert(key, series.len() - 1);
                    series.len() - 1
                }
            };
            let s = &mut series[i];
            if r.quality != Quality::Good {
                s.note_bad();
                continue;
            }
            let closed = s.push(r.ts, r.value);
            if let (Some(refit), true) = (job.refit, closed > 0 && !args.backtest) {
                let every = s.every.unwrap_or(1);
                let need = refit.map_or(1, |ms| ((ms / every) as usize).max(1));
                if s.fresh >= need {
                    emit(
                        &job,
                        s,
                        &mut out,
                        &mut tally,
                        &mut ts_fmt,
                        args.events,
                        global,
                    )?;
                    out.flush_if_full()?;
                }
            }
        }
        for s in &mut series {
            s.close();
        }
        if args.backtest {
            return run_backtest(&job, &args, &mut series, global);
        }
        let todo: Vec<usize> = (0..series.len())
            .filter(|&i| job.refit.is_none() || series[i].fresh > 0)
            .collect();
        let fits = fit_all(&job, &mut series, &todo);
        for (i, f) in todo.into_iter().zip(fits) {
            if let Some(f) = f {
                write_forecast(
                    &job,
                    &mut series[i],
                    &f,
                    &mut out,
                    &mut tally,
                    &mut ts_fmt,
                    args.events,
                    global,
                )?;
            }
        }
        Ok(())
    })();
    tally.series = series.len() as u64;
    let flushed = out.flush().map_err(anyhow::Error::from);
    rejects.finish()?;
    if !global.quiet {
        let (bad, late, gaps) = series.iter().fold((0, 0, 0), |(b, l, g), s| {
            (b + s.counts.bad, l + s.counts.late, g + s.counts.gaps)
        });
        let mut also = format!(
            "{} series; {} fell back to a simpler model",
            tally.series, tally.fallbacks
        );
        if bad + late + gaps + skipped + tally.no_limit > 0 {
            also += &format!(
                "; left out {bad} not-good and {late} late readings, filled {gaps} missing buckets, passed over {skipped} event and forecast records"
            );
            if tally.no_limit > 0 {
                also += &format!(", {} series without the limit", tally.no_limit);
            }
        }
        eprintln!(
            "iiot forecast: read {}, wrote {}, rejected {}; {also}",
            records.read(),
            tally.wrote,
            rejects.count()
        );
    }
    result.and(flushed)
}

fn job_of(args: &Args) -> Result<Job> {
    let levels: Vec<f64> = args
        .level
        .split(',')
        .map(|l| {
            let v: f64 = l
                .trim()
                .trim_end_matches('%')
                .parse()
                .with_context(|| format!("--level: {l:?} is not a number"))?;
            if !(v > 0.0 && v < 100.0) {
                bail!("--level: {l:?} must lie between 0 and 100");
            }
            Ok(v)
        })
        .collect::<Result<_>>()?;
    let seasons = match args.season.as_deref() {
        None => None,
        Some(s) if s.trim() == "none" => Some(Vec::new()),
        Some(s) => Some(
            s.split(',')
                .map(|p| parse_positive_millis(p).with_context(|| "--season"))
                .collect::<Result<_>>()?,
        ),
    };
    let history = match Span::parse(&args.history, "--history")? {
        Span::Buckets(n) => History::Buckets(n),
        Span::Ms(ms) => History::Span(ms),
    };
    let refit = match args.refit.as_deref() {
        None => None,
        Some("bucket") => Some(None),
        Some(d) => Some(Some(parse_positive_millis(d).context("--refit")?)),
    };
    let (until, model) = match args.until.as_deref() {
        None => (None, None),
        Some(u) => match u.trim() {
            l @ ("hi_hi" | "hi" | "lo" | "lo_lo") => {
                let Some(model) = args.model.given()? else {
                    bail!(
                        "--until {l}: the limit comes from a model; give --model FILE or --preset NAME"
                    );
                };
                let name: &'static str = match l {
                    "hi_hi" => "hi_hi",
                    "hi" => "hi",
                    "lo" => "lo",
                    _ => "lo_lo",
                };
                (Some(Until::Limit(name)), Some(model))
            }
            _ => (
                Some(Until::Fixed(Condition::parse(u).context("--until")?)),
                None,
            ),
        },
    };
    Ok(Job {
        horizon: Span::parse(&args.horizon, "--horizon")?,
        levels,
        seasons,
        method: match args.method {
            MethodArg::Auto => Method::Auto,
            MethodArg::Mstl => Method::Mstl,
            MethodArg::Snaive => Method::SeasonalNaive,
        },
        history,
        refit,
        until,
        until_text: args.until.clone().unwrap_or_default().trim().to_string(),
        model,
        every: args.every,
    })
}

/// A rollup record's width (`"every":"1h"`).
fn rollup_every(r: &Reading) -> Option<Millis> {
    let raw = r.extra_field("every")?;
    let s: String = serde_json::from_str(raw).ok()?;
    parse_positive_millis(&s).ok()
}

impl Job {
    fn settings(&self, every: Millis) -> Settings {
        Settings {
            horizon: self.horizon.steps(every),
            levels: self.levels.clone(),
            seasons: match &self.seasons {
                None => Seasons::Detect,
                Some(p) => Seasons::Given(
                    p.iter()
                        .map(|ms| usize::try_from((ms + every / 2) / every).unwrap_or(0))
                        .filter(|&p| p >= 2)
                        .collect(),
                ),
            },
            method: self.method,
        }
    }

    /// The condition for a series, if it has one.
    fn condition(&self, s: &Series) -> Option<Condition> {
        self.condition_for(&s.asset, &s.tag)
    }

    fn condition_for(&self, asset: &str, tag: &str) -> Option<Condition> {
        match self.until.as_ref()? {
            Until::Fixed(c) => Some(c.clone()),
            Until::Limit(name) => {
                let row = self
                    .model
                    .as_ref()?
                    .rows
                    .iter()
                    .find(|r| r.asset == asset && r.tag == tag)?;
                let a = &row.alarms;
                let (limit, above) = match *name {
                    "hi_hi" => (a.hi_hi?, true),
                    "hi" => (a.hi?, true),
                    "lo" => (a.lo?, false),
                    _ => (a.lo_lo?, false),
                };
                Some(Condition {
                    above,
                    inclusive: false,
                    limit,
                })
            }
        }
    }
}

/// Fits the series in `todo`, on every core.
fn fit_all(job: &Job, series: &mut [Series], todo: &[usize]) -> Vec<Option<Forecast>> {
    let inputs: Vec<(Vec<f64>, Option<Millis>)> = todo
        .iter()
        .map(|&i| (series[i].values().to_vec(), series[i].every))
        .collect();
    let threads = crate::io::threads().min(inputs.len()).max(1);
    let chunk = inputs.len().div_ceil(threads).max(1);
    let mut out: Vec<Option<Forecast>> = Vec::with_capacity(inputs.len());
    std::thread::scope(|sc| {
        let handles: Vec<_> = inputs
            .chunks(chunk)
            .map(|part| {
                sc.spawn(move || {
                    part.iter()
                        .map(|(y, every)| {
                            let every = (*every)?;
                            (!y.is_empty()).then(|| forecast(y, &job.settings(every)))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            out.extend(h.join().unwrap_or_default());
        }
    });
    out
}

fn emit<W: std::io::Write>(
    job: &Job,
    s: &mut Series,
    out: &mut RecordWriter<W>,
    tally: &mut Tally,
    ts_fmt: &mut TsFormatter,
    events: bool,
    global: &Global,
) -> Result<()> {
    let Some(every) = s.every else { return Ok(()) };
    let f = forecast(s.values(), &job.settings(every));
    write_forecast(job, s, &f, out, tally, ts_fmt, events, global)
}

#[allow(clippy::too_many_arguments)]
fn write_forecast<W: std::io::Write>(
    job: &Job,
    s: &mut Series,
    f: &Forecast,
    out: &mut RecordWriter<W>,
    tally: &mut Tally,
    ts_fmt: &mut TsFormatter,
    events: bool,
    global: &Global,
) -> Result<()> {
    s.fresh = 0;
    let (Some(every), Some(last_ts)) = (s.every, s.last_ts()) else {
        return Ok(());
    };
    if let Some(note) = &f.fallback
        && !s.told
    {
        s.told = true;
        tally.fallbacks += 1;
        if !global.quiet {
            eprintln!("iiot forecast: {}/{}: {note}", s.asset, s.tag);
        }
    }
    let made = last_ts + every;
    let mut x = Vec::with_capacity(256);
    let time = |ms: Millis, x: &mut Vec<u8>, ts_fmt: &mut TsFormatter| {
        x.push(b'"');
        ts_fmt.write(ms, x);
        x.push(b'"');
    };
    if job.until.is_some() {
        let Some(cond) = job.condition(s) else {
            tally.no_limit += 1;
            return Ok(());
        };
        let last = s.values().last().copied().unwrap_or(0.0);
        let at = first_crossing(&cond, last, &f.point, every);
        let (lo, hi) = f
            .bands
            .first()
            .map_or((&f.point, &f.point), |(l, h)| (l, h));
        let (early, late) = if cond.above { (hi, lo) } else { (lo, hi) };
        let earliest = first_crossing(&cond, last, early, every);
        let latest = first_crossing(&cond, last, late, every);
        let level = job.levels.first().copied().unwrap_or(80.0);
        let rel = |d: Millis| (d - every).max(0);
        let message = match at {
            Some(a) => {
                let mut m = format!(
                    "{} {} {} in {}",
                    s.tag,
                    if cond.above { "above" } else { "below" },
                    fmt_num(cond.limit),
                    human(rel(a))
                );
                m += &format!(
                    " (between {} and {} at {}%)",
                    earliest.map_or("now".into(), |e| human(rel(e))),
                    latest.map_or_else(
                        || format!("beyond {}", human(every * f.point.len() as Millis)),
                        |l| human(rel(l))
                    ),
                    fmt_num(level)
                );
                m
            }
            None => format!(
                "{} not {} {} within {}",
                s.tag,
                if cond.above { "above" } else { "below" },
                fmt_num(cond.limit),
                human(every * f.point.len() as Millis)
            ),
        };
        let opt_time = |v: Option<Millis>, x: &mut Vec<u8>, ts_fmt: &mut TsFormatter| match v {
            Some(d) => time(made - every + d, x, ts_fmt),
            None => x.extend_from_slice(b"null"),
        };
        if events {
            let crossing = at.is_some();
            let was = std::mem::replace(&mut s.predicted, crossing);
            if !crossing || was {
                return Ok(());
            }
            x.extend_from_slice(b"\"event\":\"predicted\",\"rule\":");
            write_json_str(&job.until_text, &mut x);
            x.extend_from_slice(b",\"kind\":\"forecast\",\"severity\":");
            let sev = match job.until_text.as_str() {
                "hi_hi" | "lo_lo" => "high",
                _ => "medium",
            };
            write_json_str(sev, &mut x);
            x.extend_from_slice(b",\"limit\":");
            write_number(cond.limit, &mut x);
            x.extend_from_slice(b",");
        } else {
            x.extend_from_slice(b"\"forecast\":true,\"until\":");
            write_json_str(&job.until_text, &mut x);
            x.extend_from_slice(b",");
        }
        x.extend_from_slice(b"\"made\":");
        time(made, &mut x, ts_fmt);
        x.extend_from_slice(b",\"at\":");
        opt_time(at, &mut x, ts_fmt);
        x.extend_from_slice(b",\"in_s\":");
        match at {
            Some(a) => write_number(rel(a) as f64 / 1000.0, &mut x),
            None => x.extend_from_slice(b"null"),
        }
        x.extend_from_slice(b",\"earliest\":");
        opt_time(earliest, &mut x, ts_fmt);
        x.extend_from_slice(b",\"latest\":");
        opt_time(latest, &mut x, ts_fmt);
        x.extend_from_slice(b",\"level\":");
        write_number(level, &mut x);
        x.extend_from_slice(b",\"model\":");
        write_json_str(&f.model, &mut x);
        x.extend_from_slice(b",\"message\":");
        write_json_str(&message, &mut x);
        let extra = String::from_utf8(x).unwrap_or_default();
        out.write(&ReadingRef {
            ts: made,
            asset: &s.asset,
            tag: &s.tag,
            value: if events { last } else { cond.limit },
            unit: &s.unit,
            quality: Quality::Good,
            text: "",
            fault: "",
            extra: &extra,
            encoded: None,
        })?;
        tally.wrote += 1;
        return Ok(());
    }
    let mut made_text = Vec::new();
    time(made, &mut made_text, ts_fmt);
    for (k, &p) in f.point.iter().enumerate() {
        x.clear();
        x.extend_from_slice(b"\"forecast\":true,\"made\":");
        x.extend_from_slice(&made_text);
        x.extend_from_slice(b",\"step\":");
        write_number((k + 1) as f64, &mut x);
        for (l, (lo, hi)) in job.levels.iter().zip(&f.bands) {
            let name = fmt_num(*l);
            x.extend_from_slice(format!(",\"lo_{name}\":").as_bytes());
            write_number(lo[k], &mut x);
            x.extend_from_slice(format!(",\"hi_{name}\":").as_bytes());
            write_number(hi[k], &mut x);
        }
        x.extend_from_slice(b",\"model\":");
        write_json_str(&f.model, &mut x);
        out.write(&ReadingRef {
            ts: last_ts + every * (k as Millis + 1),
            asset: &s.asset,
            tag: &s.tag,
            value: p,
            unit: &s.unit,
            quality: Quality::Good,
            text: "",
            fault: "",
            extra: std::str::from_utf8(&x).unwrap_or_default(),
            encoded: None,
        })?;
        tally.wrote += 1;
    }
    Ok(())
}

/// A number as written in field names and messages: `80`, `99.5`.
fn fmt_num(v: f64) -> String {
    let mut b = Vec::new();
    write_number(v, &mut b);
    String::from_utf8(b).unwrap_or_default()
}

fn run_backtest(job: &Job, args: &Args, series: &mut [Series], global: &Global) -> Result<()> {
    use std::io::Write;
    let inputs: Vec<(usize, Vec<f64>, Millis, Option<Condition>)> = series
        .iter_mut()
        .enumerate()
        .filter_map(|(i, s)| {
            let cond = job.condition(s);
            Some((i, s.values().to_vec(), s.every?, cond))
        })
        .collect();
    let threads = crate::io::threads().min(inputs.len()).max(1);
    let chunk = inputs.len().div_ceil(threads).max(1);
    let mut scores: Vec<(usize, Scores)> = Vec::new();
    std::thread::scope(|sc| {
        let handles: Vec<_> = inputs
            .chunks(chunk)
            .map(|part| {
                sc.spawn(move || {
                    part.iter()
                        .map(|(i, y, every, cond)| {
                            let st = job.settings(*every);
                            let plan = Plan {
                                windows: args.windows,
                                step: args.step.unwrap_or(st.horizon).max(1),
                                history: match job.history {
                                    History::Buckets(n) => n,
                                    History::Span(ms) => (ms / every) as usize,
                                },
                            };
                            (*i, backtest::evaluate(y, &st, plan, cond.as_ref(), *every))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            scores.extend(h.join().unwrap_or_default());
        }
    });
    let _ = global;
    let mut total = Scores::default();
    let mut mases = Vec::new();
    let mut so = std::io::stdout().lock();
    for (i, sc) in &scores {
        let s = &series[*i];
        total += sc;
        if let Some(m) = sc.mase() {
            mases.push(m);
        }
        let mut line = serde_json::json!({
            "asset": s.asset, "tag": s.tag, "model": sc.model, "windows": sc.windows, "points": sc.points,
            "mae": sc.mae(), "rmse": sc.rmse(), "mase": sc.mase(), "mase_snaive": sc.mase_snaive(),
        });
        for (l, lv) in job.levels.iter().enumerate() {
            line[format!("coverage_{}", fmt_num(*lv))] = serde_json::json!(sc.coverage(l));
        }
        if job.until.is_some() {
            line["crossings"] = sc.crossings.into();
            line["within"] = sc.within.into();
        }
        writeln!(so, "{line}")?;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let snaive: Vec<f64> = scores.iter().filter_map(|(_, s)| s.mase_snaive()).collect();
    let mut line = serde_json::json!({
        "total": true, "series": scores.len(), "windows": total.windows, "points": total.points,
        "mae": total.mae(), "rmse": total.rmse(), "mase": mean(&mases), "mase_snaive": mean(&snaive),
    });
    for (l, lv) in job.levels.iter().enumerate() {
        line[format!("coverage_{}", fmt_num(*lv))] = serde_json::json!(total.coverage(l));
    }
    if job.until.is_some() {
        line["crossings"] = total.crossings.into();
        line["within"] = total.within.into();
    }
    writeln!(so, "{line}")?;
    so.flush()?;
    Ok(())
}
