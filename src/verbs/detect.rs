//! `iiot detect`: streaming anomaly detection per series, with an alarm
//! lifecycle, a state file, rules reloaded on SIGHUP, an alarm-health
//! report and a score against ground-truth labels.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};

use super::Global;
use super::args::{InputArgs, ModelArgs, OutputArgs, RejectArgs};
use crate::detect::report::AlarmReport;
use crate::detect::rules::{RuleSet, Shorthands};
use crate::detect::score::{self, Scorer};
use crate::detect::{Engine, state};
use crate::io::{Next, ReadOptions, Records, Rejects, Wait, stdout_sink};
use crate::record::alarm::{AlarmEncoder, AlarmEvent, AnomalyEncoder};
use crate::record::{Reading, RecordWriter};

/// Find anomalies and raise alarms in reading streams.
///
/// Reads readings and judges each one by the rules that watch its series
/// (asset + tag), in one pass with memory bounded by series × window.
///
/// Rules. From the plant model (--model/--preset): thresholds lo_lo, lo,
/// hi, hi_hi (names of the rules) with the row's deadband and delay — an
/// alarm rises when the value has been beyond the limit for `delay` and
/// clears once it is back past the limit by `deadband` — and the physical
/// range min/max (`range`: the reading is marked quality "bad" and judged
/// by the gap rule only). From --rules FILE: a CSV, one rule a row, columns
/// name, asset, tag (globs; empty = all), kind (threshold, range, zscore,
/// roc, stuck, gap, cusum, shift), severity and the kind's parameters: limit,
/// direction (above|below), deadband, delay; k, window, min_samples; rate
/// (5/s); count; factor; min, max; h (cusum: k and window too; shift:
/// window too). A later rule of the same name replaces an
/// earlier one on a series. The shorthands below add rules for every
/// series (the statistical ones skip tags the model calls counter, state or
/// bool).
///
/// Defaults: when neither --rules nor a shorthand is given (nor
/// --no-defaults), every series gets zscore (k 4.5, window 50, min 10),
/// stuck (10 identical values, or more where the series repeats
/// legitimately), gap (3x) and shift (h 5, window 1800). cusum is not in
/// the built-in set (see below). The built-in stuck rule (and a rules-file
/// stuck row with no tag) leaves a tag the model gives no noise, profile,
/// follows, when or formula: a constant set-point. A tag the model runs
/// only in some states of a state tag (`when`), and a tag following one,
/// settles for 60 readings after that state changes (zscore, cusum and
/// shift do not judge it meanwhile), and the built-in shift rule leaves it.
/// Measured on a healthy simulated day (24 h at 1 s, seed 2, the first 10
/// minutes left out, 45 on the factory) of every preset, the built-in set
/// plus the preset's limits raises 0.06 (wellhead) to 0.47 (fermenter)
/// alarms per series per day: boiler 0.17, chemical 0.17, factory 0.27. The fermenter
/// reference's ±3σ is `--zscore 3`; with Gaussian noise it flags one
/// normal reading in 370, about ten false alarms an hour per series at
/// 1 Hz; 4.5σ is one in 150,000. Ten identical values: values written to
/// one digit finer than their noise repeat by chance (a run of 2 or 3 is
/// common), ten in a row practically never.
///
/// Kinds. zscore: |value − mean| > k × spread, the mean that of the last
/// `window` readings before it, judged once `min_samples` are in. The
/// spread is robust and learnt over a long span, not the window's own
/// sample deviation: that, from 50 readings, is so uncertain that noise
/// crosses ±4.5 of it about 6 times as often as ±4.5σ (3.5 false alarms a
/// day per series at 1 Hz on the simulated plants). It is the root mean
/// square of the residuals (reading − the window's mean before it) over
/// the last 20 × `window` readings (an exponential average; a running mean
/// until that many), seeded by the window's own deviation at the first
/// judgement, or 3/4 of the window's own deviation when that is larger (a
/// machine ramping up to speed moves the window faster than its usual
/// residuals); flagged readings are left out (outlier rejection), so a burst
/// of spikes does not widen the band, while a real rise of the noise still
/// widens it through the readings inside the band. The residual includes
/// how far the process moves within a window, so a wandering series gets a
/// band to match. With Gaussian noise 4.5 spreads is one normal reading in
/// 150,000, about 0.6 flags a day per series at 1 Hz. A lone flagged value
/// stays out of the window, the second flagged in a row and after go in,
/// so the band follows a real change of level; a value flagged stuck is
/// not judged and stays out. roc: |Δvalue|
/// / Δt above the rate.
///
/// stuck: the same value exactly, `count` times in a row — or longer on a
/// series that repeats legitimately. The rule learns the share p of
/// readings equal to the one before (quantised at a resolution coarser
/// than the noise, or changing slowly; an average over the last 1000
/// readings outside flagged runs, trusted after 100) and waits for the run
/// n at which p^(n−1), the chance of such a run, falls under one in a
/// million: p 0.5 needs 21, p 0.9 needs 133.
///
/// gap: silent for more than factor × the longer of the series' usual
/// interval (a moving average of its intervals) and the longest interval
/// it usually leaves. The first 64 intervals all teach the longest, so a
/// historian that records by exception or a poll with holes sets its own
/// allowance; after that, intervals the rule lets pass raise it and it
/// decays back to the usual one over about 2000 readings. Noticed by the
/// clock of the whole stream, so a sensor that goes quiet for good is
/// raised; the first reading back is flagged. Readings whose quality is not
/// good are judged by gap alone.
///
/// cusum: slow drift and level shifts. Each series' noise width σ is
/// learnt from its successive differences (mean |Δ| / 1.128, robust to the
/// process moving slowly; a difference counts at most 5σ), its baseline is
/// an exponential average over `window` readings (600), frozen while the
/// alarm is on. Each reading's residual from the baseline in σ, clipped at
/// ±4σ so a spike barely moves it, less the allowance k (0.5), adds to an
/// upward and a downward sum; the alarm rises when either passes h (12)
/// and clears once the series is back (the sums are capped at 2h). An
/// alarm held for 4 × window readings is taken as the new level: the
/// baseline restarts there. False alarms: on Gaussian noise about one per
/// 520,000 readings per series (Siegmund's approximation for k 0.5, h 12,
/// two-sided), 0.17 a day at one reading a second; h 8 is one per 9,500
/// (9 a day). A drift of 4σ over 3000 readings is raised after about 700.
/// The limit given is the baseline. It is not in the built-in set: on the
/// simulated healthy boiler it raised 53 alarms per series per day (its
/// residuals from a slow baseline are autocorrelated on a wandering
/// process, which the Gaussian rate above does not allow for); give it
/// where a series is known to be steady.
///
/// shift: slow drift and level shifts, in the built-in set. The slow
/// model is Brown's linear exponential smoothing over `window` (1800)
/// readings: an average and its own average, whose level and slope follow
/// a series that rises or falls steadily (a daily cycle, a tank emptying)
/// without lagging behind it. d is a fast average (over window / 30
/// readings) less the slow model's level: on a trend the two agree, a
/// drift changes the slope and d grows with it until the slow model has
/// taken the new slope in (about a window). (A fast average less a plain
/// slow one also holds the cycle's own slope times the slow average's lag,
/// as large as a drift's on the simulated boiler.) d is standardised by its
/// own spread, not by the noise: on a series that wanders (a walk) the
/// spread includes the wander, and only a change larger than the series'
/// own is raised. The spread is learnt from the lower quartile of |d|
/// (over 0.3186, a Gaussian's; the mean square over the second window
/// seeds it), each reading moving it by the same small factor however far
/// d is, so drifts missed and a model catching up after one — three
/// quarters of the readings may be disturbed — do not blind it. Judged
/// from 2 × window readings on; raised when |d| passes h (5) spreads,
/// cleared under h − 2. When raised, the slow model goes back to a snapshot
/// taken 1/3 to 2/3 of a window earlier (before most drifts it raises
/// began), carried on along its slope, and is frozen while on: when the
/// drift ends the series is back on that line and the alarm clears. An
/// alarm held 4 × window readings is a new level (the slow model restarts
/// there). A step the zscore raises (two flagged readings in a row) moves
/// the slow model by the step, keeping its slope, rather than being raised
/// twice. False alarms: on Gaussian noise with a trend d is Gaussian and
/// 5 spreads is one reading in 1.7 million, clustered, under 0.05 false
/// alarms a day per series at 1 Hz; on a healthy simulated day of each
/// preset (as above) it raised 0.01 to 0.11 alarms per series: boiler
/// 0.04, chemical 0.02, factory 0.01, fermenter 0.11 (the batch restarts),
/// wellhead 0.03. A reading the zscore flags (a spike, or a step's first
/// reading) is left out of it. On the boiler's drifts it finds 0.31 of the episodes
/// (0.08 before the slope), nearly all on tags that follow a cycle, a batch
/// or another tag; the boiler's walks wander by as much as its drifts.
///
/// relation: a tag judged against the tags the model says it follows
/// (`follows`: the boiler's temperature follows its pressure), one rule
/// per follower with no profile of its own (a cycle or a walk of its own
/// is not explained by the tags it follows) whenever a model is given. A drift of either sensor is
/// hidden in its own series when the process moves by as much (a pressure
/// that walks, a temperature that follows it), but it breaks the
/// relation, which holds to the noise. The follower is fitted to the
/// latest values of the tags it follows by least squares over its own
/// history (exponentially weighted over 21,600 readings, 6 h at 1 s; a
/// running mean at first), learnt only from readings within 3 noise
/// widths of the fit and never while the alarm is on. The residual's noise
/// width σ comes from its successive differences; a two-sided CUSUM of the
/// residual in σ (each at most ±4) less k 1.5 is raised past h 20, judged
/// from 3,600 readings on. White noise almost never adds up to 20 against
/// 1.5 a reading; a break of the relation by 3σ is raised in about 13
/// readings. Where the residual spread (from its lower quartile, so drifts
/// under way do not widen it) is over 1.5σ the relation does not hold to
/// the noise (a lag, a nonlinearity) and the rule stands down, as cusum
/// does. The alarm is the follower's; the readings of the tags it follows
/// carry its flag while it is on (a drift of the pressure sensor is found
/// there too). Tags run only in some states are left out. The limit given
/// is the fitted value. On the boiler's drift day it finds 0.35 of the
/// temperature's drifts and 0.32 of the pressure's (the built-in set
/// before it 0.02 of each): all on a boiler whose fit held, about half
/// where drifts (a third of the day on each tag) spoilt it and the rule
/// stood down; on a healthy day of each preset it raised none.
///
/// multivariate (--multivariate, added to the other rules): each asset
/// judged as a whole. Over a clean training period (--train, 6h from the
/// asset's first reading, or a model restored from --state) it learns how
/// the asset's tags move together: rows are the latest value of each tag
/// at a timestamp (closed when every tag has reported at it, or a later
/// timestamp comes). A tag that wanders on its own — the residual of its
/// least-squares fit on the other tags has a von Neumann ratio under 1
/// over the training rows (lag-1 autocorrelation above 0.5: a slow
/// temperature, a random walk) — is judged by its change over --mv-lag
/// rows (10; 0 judges every tag by its level): its level leaves the
/// training range without anything being wrong, and is left to the
/// univariate rules. A tag that follows the others (a shared load, a
/// cycle) or holds still keeps its level. Each is standardised by its
/// training mean and deviation (tags constant in training left out), and
/// a PCA by eigen-decomposition of their correlation matrix keeps the
/// components explaining --mv-variance (0.9) of it. Each row then gets
/// Hotelling's T² (its distance inside the kept components) and Q, the
/// squared residual outside them (a broken correlation: a tag no longer
/// moving with the others, though inside its own band); each the median
/// of the last --mv-smooth rows (5). The control limits are the larger of
/// the --mv-p (0.999) quantile of the training rows' smoothed statistics
/// (empirical: plant data are autocorrelated and seldom Gaussian) and the
/// theory's limits (F for T², Jackson–Mudholkar for Q) at the single-row
/// level whose median of --mv-smooth rows passes at --mv-p (0.952 for 5
/// rows at 0.999). A row past either limit raises the asset's alarm
/// (named by its top contributor); it clears when both statistics are back
/// under the --mv-clear (0.9) quantile of their training values (a
/// deadband: a fault whose statistic hovers at its limit raises once, not
/// at every crossing). The readings of the contributing tags — at most
/// three, each at least a tenth of the statistic farther past its limit —
/// are flagged while it lasts, with "contributors" in the flag and in the
/// events (with "t2", "q" and their limits). A model restored from
/// --state judges a changed tag from its --mv-lag'th row on. It is not in
/// the built-in set: a process that leaves the operating range of its
/// training period (a tank emptying) raises it (see the README for the
/// boiler's and SKAB's figures).
///
/// Output: every reading, flagged ones with "anomalies":[{"rule","kind",
/// "severity","limit"}]; --only the flagged ones; --events the alarm
/// lifecycle instead: one "raised" and one "cleared" event per alarm
/// (series + rule). Event lines in the input pass through.
///
/// --score matches flags to `fault` labels: consecutive readings of a
/// series with the same label form an episode, detected when any of its
/// readings is flagged (delay: from its first reading to the first flag);
/// false positives are counted per false alarm (a run of flagged unlabelled
/// readings of one rule), not per reading. Fault kinds count the false
/// alarms of the rules meant for them: spike and drift ← zscore, roc,
/// range (drift also threshold, cusum and shift); stuck ← stuck; dropout ←
/// gap. The median delay is given per fault kind (0 in the per-rule rows).
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot detect --preset boiler export.ndjson --only
  iiot simulate --preset fermenter --duration 1h --faults spike=0.002,stuck=0.0005 --label | iiot detect --preset fermenter --score > /dev/null
  iiot detect --zscore 3 --window 50 --events fixture.ndjson > alarms.ndjson
  iiot detect --preset boiler --events export.ndjson | iiot detect --alarm-report
  iiot simulate --preset boiler --duration 20m | iiot detect --no-defaults --multivariate --train 10m --events > alarms.ndjson")]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    /// The model whose alarm limits and ranges become rules (a model file
    /// is read again on SIGHUP).
    #[command(flatten)]
    pub model: ModelArgs,
    /// Rules CSV (reloaded on SIGHUP); see above for its columns.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Rolling z-score rule on every series: flag beyond K standard deviations.
    #[arg(long, value_name = "K")]
    pub zscore: Option<f64>,
    /// Readings in the z-score window [default: 50].
    #[arg(long, value_name = "N")]
    pub window: Option<usize>,
    /// Readings the z-score window needs before it judges [default: 10, or the window if smaller].
    #[arg(long, value_name = "N")]
    pub min_samples: Option<usize>,
    /// Rate-of-change rule on every series: 5/s, 30/min, 100/h.
    #[arg(long, value_name = "RATE")]
    pub roc: Option<String>,
    /// Stuck rule on every series: N identical values in a row (the default set uses 10).
    #[arg(long, value_name = "N")]
    pub stuck: Option<u32>,
    /// Gap rule on every series: silent for FACTOR times the usual interval (3x).
    #[arg(long, value_name = "FACTOR")]
    pub gap: Option<String>,
    /// CUSUM change rule on every series: raised when a one-sided sum of standardised residuals passes H noise widths (the default set uses 12).
    #[arg(long, value_name = "H")]
    pub cusum: Option<f64>,
    /// Judge each asset as a whole (Hotelling's T² and the PCA residual Q, learnt over --train; see above). Added to the other rules: it does not leave out the built-in set.
    #[arg(long)]
    pub multivariate: bool,
    /// The multivariate rule's clean training period, from each asset's first reading: 6h, 400s [default: 6h].
    #[arg(long, value_name = "DURATION", requires = "multivariate")]
    pub train: Option<String>,
    /// Share of the tags' correlation the multivariate rule's kept components explain [default: 0.9].
    #[arg(long, value_name = "SHARE", requires = "multivariate")]
    pub mv_variance: Option<f64>,
    /// Quantile of the training rows' statistics taken as the control limits [default: 0.999].
    #[arg(long, value_name = "P", requires = "multivariate")]
    pub mv_p: Option<f64>,
    /// Rows whose median T² and Q are judged (1: each row alone) [default: 5].
    #[arg(long, value_name = "N", requires = "multivariate")]
    pub mv_smooth: Option<usize>,
    /// Rows over which the multivariate rule judges a persistent tag's change rather than its level (0: every tag by its level) [default: 10].
    #[arg(long, value_name = "N", requires = "multivariate")]
    pub mv_lag: Option<usize>,
    /// Quantile of the training rows' statistics under which a raised multivariate alarm clears [default: 0.9].
    #[arg(long, value_name = "P", requires = "multivariate")]
    pub mv_clear: Option<f64>,
    /// The statistics that raise the multivariate alarm: t2, q or t2,q (q alone: only a broken correlation, not a move along the learnt one) [default: t2,q].
    #[arg(long, value_name = "LIST", requires = "multivariate")]
    pub mv_stat: Option<String>,
    /// Leave out the built-in zscore, stuck, gap and shift rules (only the model's and the shorthands' apply).
    #[arg(long)]
    pub no_defaults: bool,
    /// Write only the flagged readings.
    #[arg(long, conflicts_with = "events")]
    pub only: bool,
    /// Write the alarm lifecycle (raised/cleared events) instead of readings.
    #[arg(long)]
    pub events: bool,
    /// Keep windows and active alarms here: restored at start, saved at exit (end of input, a closed pipe, or SIGINT/SIGTERM after the line being read; a second signal ends at once, unsaved).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Print an alarm-health report (rate, floods, chattering, stale, time to acknowledge, standing unacknowledged, bad actors) of the events in the input and of those detect raises, instead of records; predicted alarms (forecast --until --events) are counted apart, in a section of their own.
    #[arg(long)]
    pub alarm_report: bool,
    /// Print precision, recall, F1 and delay against the `fault` labels on stderr.
    #[arg(long)]
    pub score: bool,
    /// Write the score as JSON to FILE (implies --score's counting).
    #[arg(long, value_name = "FILE")]
    pub score_json: Option<PathBuf>,
    #[command(flatten)]
    pub reject: RejectArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// --where/--related-to: only the selected assets' readings are judged; the rest pass through unjudged (left out under --only, --events and --alarm-report).
    #[command(flatten)]
    pub select: super::args::SelectArgs,
}

/// Where the rules come from, kept for SIGHUP.
struct Sources {
    model: ModelArgs,
    rules: Option<PathBuf>,
    flags: Shorthands,
}

impl Sources {
    fn load(&self) -> Result<RuleSet> {
        let model = self.model.given()?;
        RuleSet::build(model.as_ref(), self.rules.as_deref(), &self.flags)
    }
}

#[derive(Default)]
struct Tally {
    read: u64,
    wrote: u64,
    flagged: u64,
    raised: u64,
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    crate::io::refuse_overwriting_inputs(
        &args.input.inputs,
        &[
            ("--rejects", args.reject.file()),
            ("--state", args.state.as_deref()),
            ("--score-json", args.score_json.as_deref()),
        ],
        true,
    )?;
    let sources = Sources {
        model: args.model.clone(),
        rules: args.rules.clone(),
        flags: Shorthands {
            zscore: args.zscore,
            window: args.window,
            min_samples: args.min_samples,
            roc: args.roc.clone(),
            stuck: args.stuck,
            gap: args.gap.clone(),
            cusum: args.cusum,
            multivariate: multivariate_settings(&args)?,
            no_defaults: args.no_defaults,
        },
    };
    let mut engine = Engine::new(sources.load()?);
    if let Some(p) = &args.state {
        state::restore(&mut engine, p)?;
    }
    let hup = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&hup))
        .context("listening for SIGHUP")?;
    // SIGINT/SIGTERM end the run after the line being read, so --state is
    // saved; a second one ends it at once.
    let stop = Arc::new(AtomicBool::new(false));
    if args.state.is_some() {
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            signal_hook::flag::register_conditional_shutdown(sig, 1, Arc::clone(&stop))
                .and_then(|_| signal_hook::flag::register(sig, Arc::clone(&stop)))
                .context("listening for SIGTERM")?;
        }
    }
    let mut rejects = args.reject.open("detect")?;
    let (sink, line_buffered) = stdout_sink(args.output.line_buffered);
    let mut out = RecordWriter::new(sink, args.output.format(), line_buffered);
    let mut run = Run {
        args: &args,
        global,
        sources: &sources,
        hup,
        stop,
        engine: &mut engine,
        scorer: (args.score || args.score_json.is_some()).then(Scorer::default),
        report: args.alarm_report.then(AlarmReport::default),
        tally: Tally::default(),
        events_out: AlarmEncoder::default(),
        flagged_out: AnomalyEncoder::default(),
        keep: args.select.resolve(args.model.preset.as_deref())?,
    };
    let result = run.all(&mut out, &mut rejects);
    let tally = std::mem::take(&mut run.tally);
    let scorer = run.scorer.take();
    let report = run.report.take();
    let mut flushed = out.flush().map_err(anyhow::Error::from);
    if let Some(rep) = report
        && flushed.is_ok()
    {
        use std::io::Write;
        let mut so = std::io::stdout().lock();
        flushed = so
            .write_all(rep.render().as_bytes())
            .and_then(|()| so.flush())
            .map_err(Into::into);
    }
    rejects.finish()?;
    if let Some(p) = &args.state {
        state::save(&engine, p)?;
    }
    if let Some(m) = &engine.multi
        && !global.quiet
    {
        for (asset, why) in m.unfitted() {
            eprintln!("iiot detect: multivariate: {asset} not judged (no model yet: {why})");
        }
    }
    if let Some(sc) = scorer {
        let (faults, rules) = sc.finish(&engine.rules);
        if args.score {
            score::print(&faults, &rules);
        }
        if let Some(p) = &args.score_json {
            score::write_json(p, &faults, &rules)?;
        }
    }
    if !global.quiet {
        eprintln!(
            "iiot detect: read {}, wrote {}, rejected {}; flagged {}, raised {} alarms",
            tally.read,
            tally.wrote,
            rejects.count(),
            tally.flagged,
            tally.raised
        );
    }
    result.and(flushed)
}

/// The multivariate rule's settings from the command line.
fn multivariate_settings(args: &Args) -> Result<Option<crate::detect::multi::Settings>> {
    use crate::detect::multi;
    if !args.multivariate {
        return Ok(None);
    }
    let train_ms = match &args.train {
        Some(t) => crate::time::parse_positive_millis(t).with_context(|| format!("--train {t}"))?,
        None => multi::DEFAULT_TRAIN_MS,
    };
    let (mut use_t2, mut use_q) = (true, true);
    if let Some(list) = &args.mv_stat {
        (use_t2, use_q) = (false, false);
        for part in list.split(',').map(str::trim) {
            match part {
                "t2" => use_t2 = true,
                "q" => use_q = true,
                other => anyhow::bail!("--mv-stat: {other:?} is not t2 or q"),
            }
        }
    }
    let p = args.mv_p.unwrap_or(multi::DEFAULT_P);
    Ok(Some(multi::Settings {
        lag: args.mv_lag.unwrap_or(multi::DEFAULT_LAG),
        clear_p: args.mv_clear.unwrap_or(multi::DEFAULT_CLEAR_P).min(p),
        use_t2,
        use_q,
        train_ms,
        variance: args.mv_variance.unwrap_or(multi::DEFAULT_VARIANCE),
        p,
        smooth: args.mv_smooth.unwrap_or(multi::DEFAULT_SMOOTH),
    }))
}

struct Run<'a> {
    args: &'a Args,
    global: &'a Global,
    sources: &'a Sources,
    hup: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    engine: &'a mut Engine,
    scorer: Option<Scorer>,
    report: Option<AlarmReport>,
    tally: Tally,
    /// Reused buffers for the fields of events and of flagged readings.
    events_out: AlarmEncoder,
    flagged_out: AnomalyEncoder,
    /// --where: the assets judged; the others pass through.
    keep: Option<crate::assets::select::Selected>,
}

impl Run<'_> {
    fn all<W: std::io::Write>(
        &mut self,
        out: &mut RecordWriter<W>,
        rejects: &mut Rejects,
    ) -> Result<()> {
        let mut records = Records::open(
            &self.args.input.inputs,
            ReadOptions {
                encode: Some(self.args.output.format()),
                progress: true,
            },
            self.global.quiet,
        );
        let result = self.each(&mut records, out, rejects);
        self.tally.read = records.read();
        result
    }

    /// The loop: records as they come, the signals at least every quarter
    /// of a second while the input is quiet.
    fn each<W: std::io::Write>(
        &mut self,
        records: &mut Records,
        out: &mut RecordWriter<W>,
        rejects: &mut Rejects,
    ) -> Result<()> {
        loop {
            if self.stop.load(Ordering::Relaxed) {
                if !self.global.quiet {
                    eprintln!("iiot detect: stopped by a signal; saving the state");
                }
                return Ok(());
            }
            if self.hup.swap(false, Ordering::Relaxed) {
                self.reload(out)?;
            }
            match records.next(rejects, Wait::For(Duration::from_millis(250)))? {
                Next::Record(rec) => self.one(rec.reading, rec.encoded, out)?,
                Next::Quiet => {}
                Next::End => return Ok(()),
            }
        }
    }

    fn reload<W: std::io::Write>(&mut self, out: &mut RecordWriter<W>) -> Result<()> {
        match self.sources.load() {
            Ok(rules) => {
                let n = rules.rules.len();
                self.engine.reload(rules);
                if !self.global.quiet {
                    eprintln!("iiot detect: SIGHUP: rules reloaded ({n} rules)");
                }
                self.drain_events(out)
            }
            Err(e) => {
                eprintln!("iiot detect: SIGHUP: keeping the rules in force: {e:#}");
                Ok(())
            }
        }
    }

    /// One record. `encoded` is the record as read, in the output format,
    /// written as it is when nothing about it changed.
    fn one<W: std::io::Write>(
        &mut self,
        r: &mut Reading,
        encoded: &[u8],
        out: &mut RecordWriter<W>,
    ) -> Result<()> {
        if r.is_event() {
            if let Some(rep) = &mut self.report {
                // An event line that does not decode says nothing the
                // report can count.
                if let Ok(ev) = AlarmEvent::from_reading(r) {
                    rep.observe(&ev);
                }
            } else {
                out.write_encoded(encoded)?;
                self.tally.wrote += 1;
            }
            return Ok(());
        }
        if self.keep.as_ref().is_some_and(|k| !k.contains(&r.asset)) {
            if self.report.is_none() && !self.args.events && !self.args.only {
                out.write_encoded(encoded)?;
                self.tally.wrote += 1;
            }
            return Ok(());
        }
        let quality = r.quality;
        let sid = self.engine.process(r);
        if let Some(sc) = &mut self.scorer {
            sc.observe(sid, &r.fault, r.ts, &self.engine.flags);
        }
        let flagged = !self.engine.flags.is_empty();
        if flagged {
            self.tally.flagged += 1;
        }
        if self.report.is_none() && !self.args.events && (flagged || !self.args.only) {
            if flagged {
                out.write(&self.flagged_out.annotate(r, self.engine.anomalies()))?;
            } else if r.quality != quality {
                out.write(&r.as_ref())?;
            } else {
                out.write_encoded(encoded)?;
            }
            self.tally.wrote += 1;
        }
        self.drain_events(out)
    }

    fn drain_events<W: std::io::Write>(&mut self, out: &mut RecordWriter<W>) -> Result<()> {
        let events = std::mem::take(&mut self.engine.events);
        let details = std::mem::take(&mut self.engine.details);
        for (i, e) in events.iter().enumerate() {
            if e.raised {
                self.tally.raised += 1;
            }
            if let Some(rep) = &mut self.report {
                rep.observe(&self.engine.alarm_event(e));
            } else if self.args.events {
                let ev = self.engine.alarm_event(e);
                let rec = self.events_out.encode(&ev);
                match details.get(&i) {
                    // The multivariate rule's contributors and statistics.
                    Some(d) => {
                        let extra = format!("{},{d}", rec.extra);
                        out.write(&crate::record::ReadingRef {
                            extra: &extra,
                            ..rec
                        })?;
                    }
                    None => out.write(&rec)?,
                }
                self.tally.wrote += 1;
            }
        }
        let mut events = events;
        events.clear();
        self.engine.events = events;
        Ok(())
    }
}
