//! `--score`: detections measured against the ground-truth `fault` labels
//! that `simulate --label` writes.
//!
//! Matching. Consecutive readings of one series carrying the same label
//! form one *episode* (a spike is one reading; a stuck run is every reading
//! of the run; a dropout is the first reading after the silence). An episode
//! is detected (a true positive) when any reading of it is flagged; missed
//! (a false negative) otherwise; its detection delay is the time from its
//! first reading to its first flag. A *false alarm* (false positive) is a
//! run of consecutive unlabelled readings of a series flagged by one rule:
//! precision is counted per alarm, as an operator would count them, not per
//! flagged reading.
//!
//! Each rule kind is meant for some faults: zscore, roc, range and
//! multivariate for
//! spike and drift, threshold, cusum and shift for drift, stuck for stuck, gap for dropout.
//! A fault kind's false positives are the false alarms of the rules meant
//! for it; a rule's true positives and misses count the episodes of the
//! faults it is meant for.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use super::Flag;
use super::rules::RuleSet;
use crate::time::Millis;

/// The faults a rule kind is meant to find.
fn targets(rule_kind: &str) -> &'static [&'static str] {
    match rule_kind {
        "zscore" | "roc" | "range" | "multivariate" => &["spike", "drift"],
        "threshold" | "cusum" | "shift" | "relation" => &["drift"],
        "stuck" => &["stuck"],
        "gap" => &["dropout"],
        _ => &[],
    }
}

fn is_target(rule_kind: &str, fault: &str) -> bool {
    let known = [
        "zscore",
        "roc",
        "range",
        "threshold",
        "stuck",
        "gap",
        "cusum",
        "shift",
        "relation",
        "multivariate",
    ]
    .iter()
    .any(|k| targets(k).contains(&fault));
    !known || targets(rule_kind).contains(&fault)
}

struct Episode {
    kind: String,
    start: Millis,
    /// Rules that flagged it, with the time of their first flag.
    flagged: Vec<(u32, Millis)>,
}

#[derive(Default)]
struct SeriesScore {
    episode: Option<Episode>,
    /// Rules that flagged the previous (unlabelled) reading.
    false_run: Vec<u32>,
}

#[derive(Default, Clone, Serialize)]
pub(crate) struct Counts {
    pub episodes: u64,
    pub tp: u64,
    pub fp: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub delay_mean_s: f64,
    /// The median delay (per fault kind; 0 in the per-rule table).
    pub delay_median_s: f64,
    pub delay_max_s: f64,
    #[serde(skip)]
    delay_sum_ms: f64,
    /// Each detected episode's delay, for the median.
    #[serde(skip)]
    delays_ms: Vec<Millis>,
}

impl Counts {
    fn delay(&mut self, ms: Millis) {
        self.delay_sum_ms += ms as f64;
        self.delays_ms.push(ms);
        self.delay_max_s = self.delay_max_s.max(ms as f64 / 1000.0);
    }

    fn finish(&mut self) {
        self.fn_ = self.episodes - self.tp;
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        self.precision = ratio(self.tp, self.tp + self.fp);
        self.recall = ratio(self.tp, self.episodes);
        let pr = self.precision + self.recall;
        self.f1 = if pr == 0.0 {
            0.0
        } else {
            2.0 * self.precision * self.recall / pr
        };
        self.delay_mean_s = if self.tp == 0 {
            0.0
        } else {
            self.delay_sum_ms / self.tp as f64 / 1000.0
        };
        self.delays_ms.sort_unstable();
        let n = self.delays_ms.len();
        self.delay_median_s = match n {
            0 => 0.0,
            _ if n % 2 == 1 => self.delays_ms[n / 2] as f64 / 1000.0,
            _ => (self.delays_ms[n / 2 - 1] + self.delays_ms[n / 2]) as f64 / 2000.0,
        };
    }
}

#[derive(Default)]
pub(crate) struct Scorer {
    series: Vec<SeriesScore>,
    faults: BTreeMap<String, Counts>,
    /// Per rule index: false alarms, and per fault kind the episodes it
    /// caught with their summed delay.
    rule_fp: Vec<u64>,
    rule_tp: BTreeMap<(u32, String), (u64, f64, f64)>,
}

impl Scorer {
    /// Takes one judged reading: its series, label (empty for none), time
    /// and flags.
    pub(crate) fn observe(&mut self, sid: u32, label: &str, ts: Millis, flags: &[Flag]) {
        let i = sid as usize;
        if self.series.len() <= i {
            self.series.resize_with(i + 1, SeriesScore::default);
        }
        if label.is_empty() {
            if let Some(ep) = self.series[i].episode.take() {
                self.close(ep);
            }
            let s = &mut self.series[i];
            for f in flags {
                if !s.false_run.contains(&f.rule) {
                    let r = f.rule as usize;
                    if self.rule_fp.len() <= r {
                        self.rule_fp.resize(r + 1, 0);
                    }
                    self.rule_fp[r] += 1;
                }
            }
            s.false_run.clear();
            s.false_run.extend(flags.iter().map(|f| f.rule));
            return;
        }
        let s = &mut self.series[i];
        s.false_run.clear();
        let same = s.episode.as_ref().is_some_and(|e| e.kind == label);
        if !same {
            let new = Episode {
                kind: label.to_string(),
                start: ts,
                flagged: Vec::new(),
            };
            if let Some(ep) = self.series[i].episode.replace(new) {
                self.close(ep);
            }
        }
        if let Some(ep) = self.series[i].episode.as_mut() {
            for f in flags {
                if !ep.flagged.iter().any(|(r, _)| *r == f.rule) {
                    ep.flagged.push((f.rule, ts));
                }
            }
        }
    }

    fn close(&mut self, ep: Episode) {
        let c = self.faults.entry(ep.kind.clone()).or_default();
        c.episodes += 1;
        if let Some(first) = ep.flagged.iter().map(|(_, t)| *t).min() {
            c.tp += 1;
            c.delay(first - ep.start);
        }
        for (r, t) in ep.flagged {
            let e = self.rule_tp.entry((r, ep.kind.clone())).or_default();
            e.0 += 1;
            e.1 += (t - ep.start) as f64;
            e.2 = e.2.max((t - ep.start) as f64);
        }
    }

    /// The tables: per fault kind and per rule (rules of the same name and
    /// kind on many series count together).
    pub(crate) fn finish(
        mut self,
        rules: &RuleSet,
    ) -> (BTreeMap<String, Counts>, BTreeMap<String, Counts>) {
        for i in 0..self.series.len() {
            if let Some(ep) = self.series[i].episode.take() {
                self.close(ep);
            }
        }
        let key = |r: u32| {
            let rule = &rules.rules[r as usize];
            (
                format!("{} ({})", rule.name, rule.check.kind()),
                rule.check.kind(),
            )
        };
        let mut by_rule: BTreeMap<String, Counts> = BTreeMap::new();
        let mut kinds_of_rule: BTreeMap<String, &'static str> = BTreeMap::new();
        for r in 0..rules.rules.len() as u32 {
            let (name, kind) = key(r);
            kinds_of_rule.insert(name, kind);
        }
        for (r, fp) in self.rule_fp.iter().enumerate() {
            let (name, _) = key(r as u32);
            by_rule.entry(name).or_default().fp += fp;
        }
        for ((r, fault), (tp, sum, max)) in &self.rule_tp {
            let (name, kind) = key(*r);
            if is_target(kind, fault) {
                let c = by_rule.entry(name).or_default();
                c.tp += tp;
                c.delay_sum_ms += sum;
                c.delay_max_s = c.delay_max_s.max(max / 1000.0);
            }
        }
        for (name, kind) in &kinds_of_rule {
            let c = by_rule.entry(name.clone()).or_default();
            c.episodes = self
                .faults
                .iter()
                .filter(|(f, _)| is_target(kind, f))
                .map(|(_, c)| c.episodes)
                .sum();
            c.episodes = c.episodes.max(c.tp);
        }
        for (fault, c) in self.faults.iter_mut() {
            c.fp = by_rule
                .iter()
                .filter(|(name, _)| is_target(kinds_of_rule[*name], fault))
                .map(|(_, r)| r.fp)
                .sum();
            c.finish();
        }
        for c in by_rule.values_mut() {
            c.finish();
        }
        (self.faults, by_rule)
    }
}

/// Prints the tables.
pub(crate) fn print(faults: &BTreeMap<String, Counts>, rules: &BTreeMap<String, Counts>) {
    let row = |name: &str, c: &Counts| {
        eprintln!(
            "  {name:<22} {:>8} {:>7} {:>7} {:>7} {:>9.3} {:>7.3} {:>6.3} {:>9.1} {:>9.1} {:>8.1}",
            c.episodes,
            c.tp,
            c.fp,
            c.fn_,
            c.precision,
            c.recall,
            c.f1,
            c.delay_mean_s,
            c.delay_median_s,
            c.delay_max_s
        );
    };
    let header = |first: &str| {
        eprintln!(
            "  {first:<22} {:>8} {:>7} {:>7} {:>7} {:>9} {:>7} {:>6} {:>9} {:>9} {:>8}",
            "episodes",
            "TP",
            "FP",
            "FN",
            "precision",
            "recall",
            "F1",
            "delay(s)",
            "median(s)",
            "max(s)"
        );
    };
    eprintln!("iiot detect: score against the fault labels (FP counted per false alarm)");
    if faults.is_empty() {
        eprintln!("  no reading carried a fault label");
    } else {
        header("fault");
        for (k, c) in faults {
            row(k, c);
        }
    }
    header("rule");
    for (k, c) in rules {
        row(k, c);
    }
}

/// Writes the tables as JSON for scripts.
pub(crate) fn write_json(
    path: &Path,
    faults: &BTreeMap<String, Counts>,
    rules: &BTreeMap<String, Counts>,
) -> Result<()> {
    let doc = serde_json::json!({ "faults": faults, "rules": rules });
    let text = serde_json::to_string_pretty(&doc)?;
    std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))
}
