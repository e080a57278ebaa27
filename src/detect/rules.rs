//! Detection rules: where they come from (the plant model's alarm limits
//! and physical range, a rules CSV with glob patterns, command-line
//! shorthands, the built-in defaults) and which series each one watches.

use std::path::Path;

use anyhow::{Context, Result, bail};
use globset::{Glob, GlobMatcher};

use crate::model::{Kind, Model};
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
        }
    }

    /// Statistical kinds that make no sense on counters and states.
    fn analog_only(&self) -> bool {
        matches!(
            self,
            Check::ZScore { .. } | Check::Roc { .. } | Check::Stuck { .. }
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
    pub no_defaults: bool,
}

impl Shorthands {
    fn any(&self) -> bool {
        self.zscore.is_some() || self.roc.is_some() || self.stuck.is_some() || self.gap.is_some()
    }
}

/// Every rule in force, and the model's view of which tags are analog.
#[derive(Debug, Clone, Default)]
pub(crate) struct RuleSet {
    pub rules: Vec<Rule>,
    /// (asset, tag) → whether the model calls it analog.
    analog: std::collections::HashMap<(String, String), bool>,
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
        }
        if let Some(path) = rules_file {
            let text = crate::io::read_to_string(path)?;
            set.rules
                .extend(parse_rules_csv(&text, &path.display().to_string())?);
        }
        let window = flags.window.unwrap_or(DEFAULT_WINDOW);
        let min_samples = flags.min_samples.unwrap_or(DEFAULT_MIN_SAMPLES);
        if window < 2 {
            bail!("--window must be at least 2");
        }
        let use_defaults = rules_file.is_none() && !flags.any() && !flags.no_defaults;
        let zscore = flags.zscore.or(use_defaults.then_some(DEFAULT_K));
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
            if r.origin == Origin::Flag && !analog && r.check.analog_only() {
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
];

/// Parses a rules CSV; the first bad cell is an error naming its line and
/// column.
pub(crate) fn parse_rules_csv(text: &str, source: &str) -> Result<Vec<Rule>> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .with_context(|| format!("{source}: reading the header"))?
        .clone();
    for h in &headers {
        if !RULE_COLUMNS.contains(&h) {
            bail!(
                "{source}: line 1: unknown column {h:?}; the columns are {}",
                RULE_COLUMNS.join(", ")
            );
        }
    }
    if !headers.iter().any(|h| h == "kind") {
        bail!("{source}: line 1: the column \"kind\" is required");
    }
    let mut rules = Vec::new();
    for rec in rdr.records() {
        let rec = rec.with_context(|| format!("{source}: reading the rules"))?;
        let line = rec.position().map_or(0, |p| p.line());
        let cell = |col: &str| -> &str {
            headers
                .iter()
                .position(|h| h == col)
                .and_then(|i| rec.get(i))
                .unwrap_or("")
        };
        let at =
            |col: &str, msg: String| anyhow::anyhow!("{source}: line {line}, column {col}: {msg}");
        let num = |col: &str| -> Result<Option<f64>> {
            let c = cell(col);
            if c.is_empty() {
                return Ok(None);
            }
            match c.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Some(v)),
                _ => Err(at(col, format!("{c:?} is not a number"))),
            }
        };
        let need = |col: &str| -> Result<f64> {
            num(col)?.ok_or_else(|| at(col, format!("a {} rule needs it", cell("kind"))))
        };
        let count = |col: &str, default: usize, least: usize| -> Result<usize> {
            let c = cell(col);
            if c.is_empty() {
                return Ok(default);
            }
            match c.parse::<usize>() {
                Ok(v) if v >= least && v <= u32::MAX as usize => Ok(v),
                _ => Err(at(
                    col,
                    format!("{c:?} is not a whole number from {least} to {}", u32::MAX),
                )),
            }
        };
        let kind = cell("kind").to_ascii_lowercase();
        let check = match kind.as_str() {
            "threshold" => {
                let above = match cell("direction").to_ascii_lowercase().as_str() {
                    "" | "above" | "hi" | "high" => true,
                    "below" | "lo" | "low" => false,
                    other => {
                        return Err(at("direction", format!("{other:?}: write above or below")));
                    }
                };
                let deadband = num("deadband")?.unwrap_or(0.0);
                if deadband < 0.0 {
                    return Err(at("deadband", "must not be negative".into()));
                }
                let delay_ms = match cell("delay") {
                    "" => 0,
                    d => crate::time::parse_nonneg_millis(d)
                        .map_err(|e| at("delay", format!("{e:#} (write 30s)")))?,
                };
                Check::Threshold {
                    limit: need("limit")?,
                    above,
                    deadband,
                    delay_ms,
                }
            }
            "range" => {
                let (min, max) = (num("min")?, num("max")?);
                if min.is_none() && max.is_none() {
                    return Err(at("min", "a range rule needs min or max".into()));
                }
                Check::Range { min, max }
            }
            "zscore" => {
                let k = need("k")?;
                if k <= 0.0 {
                    return Err(at("k", "must be above 0".into()));
                }
                Check::ZScore {
                    k,
                    window: count("window", DEFAULT_WINDOW, 2)?,
                    min_samples: count("min_samples", DEFAULT_MIN_SAMPLES, 2)?,
                }
            }
            "roc" => {
                let r = cell("rate");
                if r.is_empty() {
                    return Err(at("rate", "a roc rule needs it (5/s)".into()));
                }
                Check::Roc {
                    per_sec: parse_rate(r).map_err(|e| at("rate", format!("{e:#}")))?,
                }
            }
            "stuck" => Check::Stuck {
                count: count("count", DEFAULT_STUCK as usize, 2)? as u32,
            },
            "gap" => {
                let f = cell("factor");
                Check::Gap {
                    factor: if f.is_empty() {
                        DEFAULT_GAP
                    } else {
                        parse_factor(f).map_err(|e| at("factor", format!("{e:#}")))?
                    },
                }
            }
            other => {
                return Err(at(
                    "kind",
                    format!("{other:?}: the kinds are threshold, range, zscore, roc, stuck, gap"),
                ));
            }
        };
        let name = match cell("name") {
            "" => kind.clone(),
            n => n.to_string(),
        };
        let severity = match cell("severity").to_ascii_lowercase().as_str() {
            "" => "medium".to_string(),
            s @ ("low" | "medium" | "high" | "critical") => s.to_string(),
            other => {
                return Err(at(
                    "severity",
                    format!("{other:?}: write low, medium, high or critical"),
                ));
            }
        };
        rules.push(Rule {
            name,
            asset: Pattern::glob(cell("asset")).map_err(|e| at("asset", format!("{e:#}")))?,
            tag: Pattern::glob(cell("tag")).map_err(|e| at("tag", format!("{e:#}")))?,
            check,
            severity,
            origin: Origin::File,
            retired: false,
        });
    }
    Ok(rules)
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
            "r.csv: line 3, column k: \"abc\" is not a number"
        );
    }
}
