//! Detection rules: where they come from (the plant model's alarm limits
//! and physical range, a rules CSV with glob patterns, command-line
//! shorthands, the built-in defaults) and which series each one watches.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use globset::{Glob, GlobMatcher};

use crate::model::{Kind, Model, ModelError, ModelErrors};
use crate::time::parse_positive_millis;

/// The built-in z-score multiplier: with Gaussian noise a reading lies
/// beyond 4.5σ about once in 150,000, under one false flag a day per series
/// at one reading a second. (±3σ, the fermenter reference, is one in 370.)
pub(crate) const DEFAULT_K: f64 = 4.5;
pub(crate) const DEFAULT_WINDOW: usize = 50;
pub(crate) const DEFAULT_MIN_SAMPLES: usize = 10;
/// The built-in stuck count: identical values in a row before a live
/// series counts as flatlined.
pub(crate) const DEFAULT_STUCK: u32 = 10;
pub(crate) const DEFAULT_GAP: f64 = 3.0;
/// The built-in CUSUM: allowance k and decision interval h in noise
/// standard deviations, and the baseline's span in readings. With Gaussian
/// noise a two-sided CUSUM at k 0.5, h 12 runs about 520,000 readings
/// between false alarms (Siegmund's approximation), 0.17 a day per series
/// at one reading a second; a drift of 4 noise widths over 3000 readings
/// is raised about 700 readings after it begins.
pub(crate) const DEFAULT_CUSUM_K: f64 = 0.5;
pub(crate) const DEFAULT_CUSUM_H: f64 = 12.0;
pub(crate) const DEFAULT_CUSUM_SPAN: usize = 600;
/// The built-in shift rule: raised beyond h learnt spreads of a fast
/// average less the level of a slow model with a slope (Brown's linear
/// smoothing over `span` readings). h 5: 0.01–0.11 alarms per series on a
/// healthy simulated day of each preset; h 4.5 passes one a day on the
/// shorter healthy runs of the fermenter and the chemical plant.
pub(crate) const DEFAULT_SHIFT_H: f64 = 5.0;
pub(crate) const DEFAULT_SHIFT_SPAN: usize = 1800;
/// The relation rule the model's `follows` gives each tag of a relation:
/// a CUSUM of the residual from a least-squares fit on the related tags,
/// learnt over `span` readings (6 h at 1 s). k 1.5 noise widths: white
/// noise almost never adds up past h 20 (each reading takes 1.5 off a sum
/// that a reading past 1.5σ, 7 % of them, adds to), a break of the
/// relation by 3σ is raised in about 13 readings.
pub(crate) const DEFAULT_RELATION_K: f64 = 1.5;
pub(crate) const DEFAULT_RELATION_H: f64 = 20.0;
pub(crate) const DEFAULT_RELATION_SPAN: usize = 21_600;

/// What a rule checks, with its parameters.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Check {
    /// Above (or below) `limit`, held for `delay_ms`; clears once back
    /// past the limit by `deadband`.
    Threshold {
        limit: f64,
        above: bool,
        deadband: f64,
        delay_ms: i64,
    },
    /// Outside the physical range: the reading is marked bad.
    Range { min: Option<f64>, max: Option<f64> },
    /// Farther than `k` sample standard deviations from the mean of the
    /// last `window` readings, judged once `min_samples` are in.
    ZScore {
        k: f64,
        window: usize,
        min_samples: usize,
    },
    /// Changing faster than `per_sec` units a second.
    Roc { per_sec: f64 },
    /// `count` identical values in a row.
    Stuck { count: u32 },
    /// Silent for `factor` times the series' usual interval.
    Gap { factor: f64 },
    /// A two-sided CUSUM of the standardised residuals from a slow
    /// baseline (an exponential average over `span` readings): raised when
    /// either sum passes `h`, each reading adding its residual less `k`.
    Cusum { k: f64, h: f64, span: usize },
    /// A fast average (over span / 30 readings) less the level of a slow
    /// model with a slope (Brown's linear smoothing over `span`),
    /// standardised by its own learnt spread: raised beyond `h`.
    Shift { h: f64, span: usize },
    /// The tag against the tags the model relates it to (`follows`, either
    /// way): a two-sided CUSUM of the residual of a least-squares fit on
    /// their latest values, learnt over `span` readings; see
    /// [`super::relation`].
    Relation { k: f64, h: f64, span: usize },
    /// The asset judged as a whole (Hotelling's T² and the PCA residual Q
    /// learnt from a training period): one rule per asset, kept by the
    /// engine's [`super::multi::Multi`], never a series' slot.
    Multivariate(super::multi::Settings),
}

impl Check {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Check::Threshold { .. } => "threshold",
            Check::Range { .. } => "range",
            Check::ZScore { .. } => "zscore",
            Check::Roc { .. } => "roc",
            Check::Stuck { .. } => "stuck",
            Check::Gap { .. } => "gap",
            Check::Cusum { .. } => "cusum",
            Check::Shift { .. } => "shift",
            Check::Relation { .. } => "relation",
            Check::Multivariate(_) => "multivariate",
        }
    }

    /// Statistical kinds that make no sense on counters and states.
    fn analog_only(&self) -> bool {
        matches!(
            self,
            Check::ZScore { .. }
                | Check::Roc { .. }
                | Check::Stuck { .. }
                | Check::Cusum { .. }
                | Check::Shift { .. }
                | Check::Relation { .. }
        )
    }
}

/// How a rule names the series it watches.
#[derive(Debug, Clone)]
pub(crate) enum Pattern {
    /// Every series: an empty cell, or a shorthand's rule.
    Any,
    Exact(String),
    Glob(GlobMatcher),
}

impl Pattern {
    fn glob(text: &str) -> Result<Pattern> {
        if text.is_empty() || text == "*" {
            return Ok(Pattern::Any);
        }
        Ok(Pattern::Glob(
            Glob::new(text)
                .with_context(|| format!("{text:?} is not a glob pattern"))?
                .compile_matcher(),
        ))
    }

    fn matches(&self, s: &str) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Exact(e) => e == s,
            Pattern::Glob(g) => g.is_match(s),
        }
    }
}

/// Where a rule came from: defaults and shorthands skip tags the model
/// says are not analog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Model,
    File,
    Flag,
}

#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub name: String,
    pub asset: Pattern,
    pub tag: Pattern,
    pub check: Check,
    pub severity: String,
    pub origin: Origin,
    /// A rule dropped by a reload, kept only to name its last event.
    pub retired: bool,
}

/// The rule options of the command line, in plain form.
#[derive(Debug, Clone, Default)]
pub(crate) struct Shorthands {
    pub zscore: Option<f64>,
    pub window: Option<usize>,
    pub min_samples: Option<usize>,
    /// `5/s`, `30/min`, `100/h`.
    pub roc: Option<String>,
    pub stuck: Option<u32>,
    /// `3x` or `3`.
    pub gap: Option<String>,
    /// The CUSUM's decision interval h, in noise standard deviations.
    pub cusum: Option<f64>,
    /// The multivariate rule's settings (`--multivariate`): added to the
    /// others, it does not leave out the built-in set.
    pub multivariate: Option<super::multi::Settings>,
    pub no_defaults: bool,
}

impl Shorthands {
    fn any(&self) -> bool {
        self.zscore.is_some()
            || self.roc.is_some()
            || self.stuck.is_some()
            || self.gap.is_some()
            || self.cusum.is_some()
    }
}

/// Every rule in force, and the model's view of which tags are analog.
#[derive(Debug, Clone, Default)]
pub(crate) struct RuleSet {
    pub rules: Vec<Rule>,
    /// (asset, tag) → whether the model calls it analog.
    analog: std::collections::HashMap<(String, String), bool>,
    /// Tags the model gives no noise, profile, follows, condition or
    /// formula: constant set-points, which the built-in stuck rule leaves.
    constant: std::collections::HashSet<(String, String)>,
    /// (asset, state tag) → the tags of that asset the model runs only in
    /// some states of it (`when`).
    pub conditioned: std::collections::HashMap<(String, String), Vec<String>>,
    /// (asset, tag) → the tags of that asset a relation rule judges it
    /// against: those it follows.
    pub related: std::collections::HashMap<(String, String), Vec<String>>,
    /// (asset, tag) → the tags of that asset that follow it: its readings
    /// carry their relation alarms.
    pub followers: std::collections::HashMap<(String, String), Vec<String>>,
}

impl RuleSet {
    /// Builds the rules: the model's first, then the file's, then the
    /// shorthands; the built-in defaults (z-score, stuck, gap) only when
    /// neither a rules file nor a shorthand is given.
    pub(crate) fn build(
        model: Option<&Model>,
        rules_file: Option<&Path>,
        flags: &Shorthands,
    ) -> Result<RuleSet> {
        let mut set = RuleSet::default();
        if let Some(m) = model {
            set.add_model(m);
            set.add_followers(m);
            set.add_relations(m);
        }
        if let Some(path) = rules_file {
            let text = crate::io::read_to_string(path)?;
            set.rules
                .extend(parse_rules_csv(&text, &path.display().to_string())?);
        }
        let window = flags.window.unwrap_or(DEFAULT_WINDOW);
        // Left out, it fits in the window given.
        let min_samples = flags.min_samples.unwrap_or(DEFAULT_MIN_SAMPLES.min(window));
        if window < 2 {
            bail!("--window must be at least 2");
        }
        if min_samples < 2 {
            bail!("--min-samples must be at least 2 (a deviation needs two readings)");
        }
        if min_samples > window {
            bail!(
                "--min-samples {min_samples} is more than --window {window}: the z-score rule could never judge"
            );
        }
        let use_defaults = rules_file.is_none() && !flags.any() && !flags.no_defaults;
        let zscore = flags.zscore.or(use_defaults.then_some(DEFAULT_K));
        if zscore.is_none() && (flags.window.is_some() || flags.min_samples.is_some()) {
            // Silently ignored, they would look like a z-score rule in force.
            bail!(
                "--window and --min-samples shape the z-score rule, and there is none: add --zscore K"
            );
        }
        let stuck = flags.stuck.or(use_defaults.then_some(DEFAULT_STUCK));
        let gap = match &flags.gap {
            Some(g) => Some(parse_factor(g).with_context(|| format!("--gap {g}"))?),
            None => use_defaults.then_some(DEFAULT_GAP),
        };
        if let Some(k) = zscore {
            if !(k > 0.0 && k.is_finite()) {
                bail!("--zscore must be a number above 0");
            }
            set.push_flag(
                "zscore",
                Check::ZScore {
                    k,
                    window,
                    min_samples,
                },
            );
        }
        if let Some(r) = &flags.roc {
            let per_sec = parse_rate(r).with_context(|| format!("--roc {r}"))?;
            set.push_flag("roc", Check::Roc { per_sec });
        }
        if let Some(n) = stuck {
            if n < 2 {
                bail!("--stuck must be at least 2");
            }
            set.push_flag("stuck", Check::Stuck { count: n });
        }
        if let Some(factor) = gap {
            set.push_flag("gap", Check::Gap { factor });
        }
        if use_defaults {
            set.push_flag(
                "shift",
                Check::Shift {
                    h: DEFAULT_SHIFT_H,
                    span: DEFAULT_SHIFT_SPAN,
                },
            );
        }
        if let Some(h) = flags.cusum {
            if !(h > 0.0 && h.is_finite()) {
                bail!("--cusum must be a number above 0");
            }
            set.push_flag(
                "cusum",
                Check::Cusum {
                    k: DEFAULT_CUSUM_K,
                    h,
                    span: DEFAULT_CUSUM_SPAN,
                },
            );
        }
        if let Some(m) = flags.multivariate {
            if !(m.variance > 0.0 && m.variance <= 1.0) {
                bail!("--mv-variance must be above 0 and at most 1");
            }
            if !(m.p > 0.0 && m.p < 1.0) {
                bail!("--mv-p must be above 0 and under 1");
            }
            if m.smooth == 0 {
                bail!("--mv-smooth must be at least 1");
            }
            if !(m.clear_p > 0.0 && m.clear_p < 1.0) {
                bail!("--mv-clear must be above 0 and under 1");
            }
            set.push_flag("multivariate", Check::Multivariate(m));
        }
        Ok(set)
    }

    fn push_flag(&mut self, name: &str, check: Check) {
        self.rules.push(Rule {
            name: name.to_string(),
            asset: Pattern::Any,
            tag: Pattern::Any,
            severity: "medium".to_string(),
            check,
            origin: Origin::Flag,
            retired: false,
        });
    }

    fn add_model(&mut self, model: &Model) {
        for row in &model.rows {
            self.analog.insert(
                (row.asset.clone(), row.tag.clone()),
                row.kind == Kind::Analog,
            );
            if row.kind == Kind::Analog
                && row.noise == 0.0
                && row.profile == crate::model::Profile::Steady
                && row.follows.is_empty()
                && row.when.is_none()
                && row.formula.is_none()
            {
                self.constant.insert((row.asset.clone(), row.tag.clone()));
            }
            if let Some(w) = &row.when {
                self.conditioned
                    .entry((row.asset.clone(), w.tag.clone()))
                    .or_default()
                    .push(row.tag.clone());
            }
            let a = &row.alarms;
            let levels = [
                ("lo_lo", a.lo_lo, false, "high"),
                ("lo", a.lo, false, "medium"),
                ("hi", a.hi, true, "medium"),
                ("hi_hi", a.hi_hi, true, "high"),
            ];
            for (name, limit, above, severity) in levels {
                if let Some(limit) = limit {
                    self.push_model(
                        row,
                        name,
                        severity,
                        Check::Threshold {
                            limit,
                            above,
                            deadband: a.deadband,
                            delay_ms: a.delay_ms,
                        },
                    );
                }
            }
            if row.min.is_some() || row.max.is_some() {
                self.push_model(
                    row,
                    "range",
                    "high",
                    Check::Range {
                        min: row.min,
                        max: row.max,
                    },
                );
            }
        }
    }

    /// A relation rule on every analog tag that follows others (`follows`)
    /// and has no movement of its own (no profile), judged against them;
    /// the readings of the tags it follows carry its
    /// alarm. Tags run only in some states (and their followers) are left
    /// out: their relation holds only while running. (The follower's
    /// residual is the one that holds to the noise: a driver fitted on its
    /// follower keeps the part of its own movement the follower's noise
    /// hides.)
    fn add_relations(&mut self, model: &Model) {
        let analog = |asset: &str, tag: &str| {
            model
                .rows
                .iter()
                .any(|r| r.asset == asset && r.tag == tag && r.kind == Kind::Analog)
        };
        let conditioned = |asset: &str, tag: &str| {
            self.conditioned
                .iter()
                .any(|(k, tags)| k.0 == asset && tags.iter().any(|t| t == tag))
        };
        let mut related: std::collections::HashMap<(String, String), Vec<String>> =
            std::collections::HashMap::new();
        for row in &model.rows {
            let mut group: Vec<&str> = row.follows.iter().map(|f| f.tag.as_str()).collect();
            if group.is_empty() {
                continue;
            }
            group.push(&row.tag);
            // A tag with a movement of its own (a cycle, a walk) is not
            // determined by the tags it follows.
            if row.profile != crate::model::Profile::Steady
                || group
                    .iter()
                    .any(|t| !analog(&row.asset, t) || conditioned(&row.asset, t))
            {
                continue;
            }
            group.pop();
            related.insert(
                (row.asset.clone(), row.tag.clone()),
                group.iter().map(|t| t.to_string()).collect(),
            );
            for &t in &group {
                let f = self
                    .followers
                    .entry((row.asset.clone(), t.to_string()))
                    .or_default();
                if !f.contains(&row.tag) {
                    f.push(row.tag.clone());
                }
            }
        }
        let mut keys: Vec<&(String, String)> = related.keys().collect();
        keys.sort();
        for (asset, tag) in keys {
            self.rules.push(Rule {
                name: "relation".to_string(),
                asset: Pattern::Exact(asset.clone()),
                tag: Pattern::Exact(tag.clone()),
                check: Check::Relation {
                    k: DEFAULT_RELATION_K,
                    h: DEFAULT_RELATION_H,
                    span: DEFAULT_RELATION_SPAN,
                },
                severity: "medium".to_string(),
                origin: Origin::Model,
                retired: false,
            });
        }
        self.related = related;
    }

    /// Tags that follow a tag run only in some states settle with it.
    fn add_followers(&mut self, model: &Model) {
        for _ in 0..4 {
            let mut added = false;
            for row in &model.rows {
                for (key, tags) in self.conditioned.iter_mut() {
                    if key.0 == row.asset
                        && !tags.contains(&row.tag)
                        && row.follows.iter().any(|f| tags.contains(&f.tag))
                    {
                        tags.push(row.tag.clone());
                        added = true;
                    }
                }
            }
            if !added {
                break;
            }
        }
    }

    fn push_model(&mut self, row: &crate::model::TagRow, name: &str, sev: &str, check: Check) {
        self.rules.push(Rule {
            name: name.to_string(),
            asset: Pattern::Exact(row.asset.clone()),
            tag: Pattern::Exact(row.tag.clone()),
            check,
            severity: sev.to_string(),
            origin: Origin::Model,
            retired: false,
        });
    }

    /// The rules that watch a series, by index; a later rule of the same
    /// name replaces an earlier one (a rules-file row can override the
    /// model's `hi_hi`).
    pub(crate) fn resolve(&self, asset: &str, tag: &str) -> Vec<u32> {
        let analog = self
            .analog
            .get(&(asset.to_string(), tag.to_string()))
            .copied()
            .unwrap_or(true);
        let mut out: Vec<u32> = Vec::new();
        for (i, r) in self.rules.iter().enumerate() {
            if r.retired || !(r.asset.matches(asset) && r.tag.matches(tag)) {
                continue;
            }
            // Judged per asset by the engine, not per series.
            if matches!(r.check, Check::Multivariate(_)) {
                continue;
            }
            if r.origin == Origin::Flag && !analog && r.check.analog_only() {
                continue;
            }
            // The built-in shift rule leaves series run only in some states
            // (and those that follow them): their level is the state's.
            if r.origin == Origin::Flag
                && matches!(r.check, Check::Shift { .. })
                && self
                    .conditioned
                    .iter()
                    .any(|(k, tags)| k.0 == asset && tags.iter().any(|t| t == tag))
            {
                continue;
            }
            // A stuck rule for every series (a shorthand, the built-in
            // set, a rules-file row with no tag) leaves constant set-points.
            if (r.origin == Origin::Flag || matches!(r.tag, Pattern::Any))
                && r.origin != Origin::Model
                && matches!(r.check, Check::Stuck { .. })
                && self
                    .constant
                    .contains(&(asset.to_string(), tag.to_string()))
            {
                continue;
            }
            out.retain(|&j| self.rules[j as usize].name != r.name);
            out.push(i as u32);
        }
        out
    }
}

/// `3x` or `3`: a factor above 1.
fn parse_factor(s: &str) -> Result<f64> {
    let t = s.trim().trim_end_matches(['x', 'X']);
    match t.parse::<f64>() {
        Ok(f) if f > 1.0 && f.is_finite() => Ok(f),
        _ => bail!("{s:?} is not a factor above 1 (write 3x)"),
    }
}

/// `5/s`, `30/min`, `100/h`, or a bare number per second.
pub(crate) fn parse_rate(s: &str) -> Result<f64> {
    let (num, per) = s.trim().split_once('/').unwrap_or((s.trim(), "s"));
    let n: f64 = num
        .trim()
        .parse()
        .ok()
        .filter(|n: &f64| *n > 0.0 && n.is_finite())
        .with_context(|| format!("{s:?}: the rate must be a number above 0 (write 5/s)"))?;
    let per = match per.trim() {
        "s" | "sec" => 1.0,
        "min" | "m" => 60.0,
        "h" | "hr" => 3600.0,
        other => parse_positive_millis(other)
            .map(|ms| ms as f64 / 1000.0)
            .with_context(|| format!("{s:?}: per what? (write /s, /min, /h)"))?,
    };
    Ok(n / per)
}

/// The columns a rules CSV may have.
pub(crate) const RULE_COLUMNS: &[&str] = &[
    "name",
    "asset",
    "tag",
    "kind",
    "severity",
    "limit",
    "direction",
    "deadband",
    "delay",
    "k",
    "window",
    "min_samples",
    "rate",
    "count",
    "factor",
    "min",
    "max",
    "h",
];

/// The parameter columns of each kind; a kind leaves the others empty.
const KIND_COLUMNS: &[(&str, &[&str])] = &[
    ("threshold", &["limit", "direction", "deadband", "delay"]),
    ("range", &["min", "max"]),
    ("zscore", &["k", "window", "min_samples"]),
    ("roc", &["rate"]),
    ("stuck", &["count"]),
    ("gap", &["factor"]),
    ("cusum", &["k", "h", "window"]),
    ("shift", &["h", "window"]),
];

/// The columns every rule may fill, whatever its kind.
const COMMON_COLUMNS: &[&str] = &["name", "asset", "tag", "kind", "severity"];

/// Parses and checks a rules CSV as `model check` checks a model: every
/// problem of every row, each with its line and column, not just the first.
pub(crate) fn parse_rules_csv(text: &str, source: &str) -> Result<Vec<Rule>> {
    let mut errors = Vec::new();
    let rules = parse_rows(text, &mut errors);
    if errors.is_empty() {
        return Ok(rules);
    }
    errors.sort_by_key(|e| e.line);
    Err(ModelErrors {
        source: source.to_string(),
        errors,
    }
    .into())
}

fn parse_rows(text: &str, errors: &mut Vec<ModelError>) -> Vec<Rule> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let header_error = |column: Option<&str>, message: String| ModelError {
        line: 1,
        column: column.map(str::to_string),
        message,
    };
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            errors.push(header_error(None, format!("cannot read the header: {e}")));
            return Vec::new();
        }
    };
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if !RULE_COLUMNS.contains(&h) {
            errors.push(header_error(
                None,
                format!(
                    "unknown column {h:?}; the columns are {}",
                    RULE_COLUMNS.join(", ")
                ),
            ));
        } else if index.insert(h, i).is_some() {
            // Only the first would be read: the second is a mistake.
            errors.push(header_error(Some(h), "column appears twice".into()));
        }
    }
    if !index.contains_key("kind") {
        errors.push(header_error(None, "the column \"kind\" is required".into()));
    }
    if !errors.is_empty() {
        return Vec::new();
    }
    let mut rules = Vec::new();
    for rec in rdr.records() {
        match rec {
            Ok(rec) => {
                let mut row = Row {
                    rec: &rec,
                    index: &index,
                    line: rec.position().map_or(0, |p| p.line()),
                    errors,
                };
                if let Some(rule) = row.rule() {
                    rules.push(rule);
                }
            }
            Err(e) => errors.push(ModelError {
                line: e.position().map_or(0, |p| p.line()),
                column: None,
                message: format!("not a CSV row: {e}"),
            }),
        }
    }
    rules
}

/// One row of a rules CSV, its cells read by column name; each bad cell
/// adds a problem and reads as `None`, so the rest of the row is still
/// checked.
struct Row<'a> {
    rec: &'a csv::StringRecord,
    index: &'a HashMap<&'a str, usize>,
    line: u64,
    errors: &'a mut Vec<ModelError>,
}

impl Row<'_> {
    fn cell(&self, col: &str) -> &str {
        self.index
            .get(col)
            .and_then(|&i| self.rec.get(i))
            .unwrap_or("")
    }

    fn bad(&mut self, col: &str, message: String) {
        self.errors.push(ModelError {
            line: self.line,
            column: Some(col.to_string()),
            message,
        });
    }

    /// An optional finite number.
    fn num(&mut self, col: &str) -> Option<Option<f64>> {
        let c = self.cell(col);
        if c.is_empty() {
            return Some(None);
        }
        match c.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(Some(v)),
            _ => {
                let msg = format!("{c:?} is not a number");
                self.bad(col, msg);
                None
            }
        }
    }

    fn need(&mut self, col: &str, kind: &str) -> Option<f64> {
        let v = self.num(col)?;
        if v.is_none() {
            self.bad(col, format!("a {kind} rule needs it"));
        }
        v
    }

    /// A whole number from `least`, `default` when empty.
    fn count(&mut self, col: &str, default: usize, least: usize) -> Option<usize> {
        let c = self.cell(col);
        if c.is_empty() {
            return Some(default);
        }
        match c.parse::<usize>() {
            Ok(v) if v >= least && v <= u32::MAX as usize => Some(v),
            _ => {
                let msg = format!("{c:?} is not a whole number from {least} to {}", u32::MAX);
                self.bad(col, msg);
                None
            }
        }
    }

    fn rule(&mut self) -> Option<Rule> {
        let kind = self.cell("kind").to_ascii_lowercase();
        let check = self.check(&kind);
        if let Some((_, used)) = KIND_COLUMNS.iter().find(|(k, _)| *k == kind) {
            // A cell the kind ignores says the rule does something it does
            // not (a `window` on a threshold, a `max` on a zscore).
            let ignored: Vec<&str> = RULE_COLUMNS
                .iter()
                .filter(|c| !COMMON_COLUMNS.contains(c) && !used.contains(c))
                .filter(|c| !self.cell(c).is_empty())
                .copied()
                .collect();
            for col in ignored {
                self.bad(
                    col,
                    format!(
                        "a {kind} rule does not use {col}; leave it empty (a {kind} rule uses {})",
                        used.join(", ")
                    ),
                );
            }
        }
        let name = match self.cell("name") {
            "" => kind.clone(),
            n => n.to_string(),
        };
        let severity = match self.cell("severity").to_ascii_lowercase().as_str() {
            "" => Some("medium".to_string()),
            s @ ("low" | "medium" | "high" | "critical") => Some(s.to_string()),
            other => {
                let msg = format!("{other:?}: write low, medium, high or critical");
                self.bad("severity", msg);
                None
            }
        };
        let asset = self.pattern("asset");
        let tag = self.pattern("tag");
        Some(Rule {
            name,
            asset: asset?,
            tag: tag?,
            check: check?,
            severity: severity?,
            origin: Origin::File,
            retired: false,
        })
    }

    fn pattern(&mut self, col: &str) -> Option<Pattern> {
        Pattern::glob(self.cell(col))
            .map_err(|e| self.bad(col, format!("{e:#}")))
            .ok()
    }

    /// The kind's parameters, each checked alone and against the others.
    fn check(&mut self, kind: &str) -> Option<Check> {
        match kind {
            "threshold" => self.threshold(),
            "range" => self.range(),
            "zscore" => self.zscore(),
            "roc" => self.roc(),
            "stuck" => Some(Check::Stuck {
                count: self.count("count", DEFAULT_STUCK as usize, 2)? as u32,
            }),
            "gap" => self.gap(),
            "cusum" => self.cusum(),
            "shift" => self.shift(),
            other => {
                let msg = if other.is_empty() {
                    "a rule needs a kind: threshold, range, zscore, roc, stuck, gap, cusum or shift"
                        .to_string()
                } else {
                    format!(
                        "{other:?}: the kinds are threshold, range, zscore, roc, stuck, gap, cusum, shift"
                    )
                };
                self.bad("kind", msg);
                None
            }
        }
    }

    fn threshold(&mut self) -> Option<Check> {
        let above = match self.cell("direction").to_ascii_lowercase().as_str() {
            "" | "above" | "hi" | "high" => Some(true),
            "below" | "lo" | "low" => Some(false),
            other => {
                let msg = format!("{other:?}: write above or below");
                self.bad("direction", msg);
                None
            }
        };
        let deadband = match self.num("deadband") {
            Some(Some(d)) if d < 0.0 => {
                self.bad("deadband", format!("{d} is negative"));
                None
            }
            d => d.map(|d| d.unwrap_or(0.0)),
        };
        let delay_ms = match self.cell("delay") {
            "" => Some(0),
            d => crate::time::parse_nonneg_millis(d)
                .map_err(|e| self.bad("delay", format!("{e:#} (write 30s)")))
                .ok(),
        };
        let limit = self.need("limit", "threshold");
        Some(Check::Threshold {
            limit: limit?,
            above: above?,
            deadband: deadband?,
            delay_ms: delay_ms?,
        })
    }

    fn range(&mut self) -> Option<Check> {
        let (min, max) = (self.num("min"), self.num("max"));
        let (min, max) = (min?, max?);
        match (min, max) {
            (None, None) => {
                self.bad("min", "a range rule needs min or max".into());
                return None;
            }
            // min = max flags every reading but one value, min > max every
            // reading: as `model check` says of a row.
            (Some(lo), Some(hi)) if lo >= hi => {
                self.bad("max", format!("max {hi} is not above min {lo}"));
                return None;
            }
            _ => {}
        }
        Some(Check::Range { min, max })
    }

    fn zscore(&mut self) -> Option<Check> {
        let k = match self.need("k", "zscore") {
            Some(k) if k <= 0.0 => {
                self.bad("k", format!("{k} is not above 0"));
                None
            }
            k => k,
        };
        let window = self.count("window", DEFAULT_WINDOW, 2);
        // Left empty, min_samples fits in the window it is given.
        let default_min = DEFAULT_MIN_SAMPLES.min(window.unwrap_or(DEFAULT_WINDOW));
        let min_samples = self.count("min_samples", default_min, 2);
        if let (Some(w), Some(m)) = (window, min_samples)
            && m > w
        {
            self.bad(
                "min_samples",
                format!("min_samples {m} is more than window {w}: the rule could never judge"),
            );
            return None;
        }
        Some(Check::ZScore {
            k: k?,
            window: window?,
            min_samples: min_samples?,
        })
    }

    fn roc(&mut self) -> Option<Check> {
        let r = self.cell("rate");
        if r.is_empty() {
            self.bad("rate", "a roc rule needs it (5/s)".into());
            return None;
        }
        let per_sec = parse_rate(r)
            .map_err(|e| self.bad("rate", format!("{e:#}")))
            .ok()?;
        Some(Check::Roc { per_sec })
    }

    fn cusum(&mut self) -> Option<Check> {
        let positive = |row: &mut Self, col: &str, default: f64| match row.num(col)? {
            None => Some(default),
            Some(v) if v > 0.0 => Some(v),
            Some(v) => {
                row.bad(col, format!("{v} is not above 0"));
                None
            }
        };
        let k = positive(self, "k", DEFAULT_CUSUM_K);
        let h = positive(self, "h", DEFAULT_CUSUM_H);
        let span = self.count("window", DEFAULT_CUSUM_SPAN, 2);
        Some(Check::Cusum {
            k: k?,
            h: h?,
            span: span?,
        })
    }

    fn shift(&mut self) -> Option<Check> {
        let h = match self.num("h")? {
            None => Some(DEFAULT_SHIFT_H),
            Some(v) if v > 0.0 => Some(v),
            Some(v) => {
                self.bad("h", format!("{v} is not above 0"));
                None
            }
        };
        let span = self.count("window", DEFAULT_SHIFT_SPAN, 30);
        Some(Check::Shift { h: h?, span: span? })
    }

    fn gap(&mut self) -> Option<Check> {
        let f = self.cell("factor");
        let factor = if f.is_empty() {
            DEFAULT_GAP
        } else {
            parse_factor(f)
                .map_err(|e| self.bad("factor", format!("{e:#}")))
                .ok()?
        };
        Some(Check::Gap { factor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_per_unit() {
        assert_eq!(parse_rate("5/s").unwrap(), 5.0);
        assert_eq!(parse_rate("60/min").unwrap(), 1.0);
        assert_eq!(parse_rate("2").unwrap(), 2.0);
        assert!(parse_rate("x/s").is_err());
    }

    #[test]
    fn bad_cell_names_line_and_column() {
        let e = parse_rules_csv("kind,tag,k\nzscore,*,3\nzscore,*,abc\n", "r.csv").unwrap_err();
        assert_eq!(
            e.to_string(),
            "r.csv: 1 problem\n  r.csv: line 3, column k: \"abc\" is not a number"
        );
    }
}
