//! `--state FILE`: the engine's memory — every series' windows, last
//! values, learnt intervals and active alarms — saved as JSON at exit and
//! restored at start, so a restarted detect neither forgets what it learnt
//! nor raises again an alarm that is still active.
//!
//! A state file is input like any other: on load every field is read by
//! name and checked (times within the record range, intervals that a run
//! can learn, memories that agree with their series), and a file with any
//! problem is refused whole, each problem named by its path — a negative
//! learnt interval would otherwise raise a gap alarm on every reading.

use std::collections::{HashMap, VecDeque};
use std::fmt::Display;
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::multi::{Alarm, Fit};
use super::rules::Check;
use super::{Engine, Memory, Window};
use crate::time::{MAX_MILLIS, MIN_MILLIS, Millis};

#[derive(Serialize)]
struct Saved {
    version: u32,
    clock: Millis,
    series: Vec<SavedSeries>,
    /// The multivariate rule's fitted asset models.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    multivariate: Vec<SavedFit>,
}

#[derive(Serialize, serde::Deserialize)]
struct SavedFit {
    asset: String,
    #[serde(flatten)]
    fit: Fit,
    /// The asset's alarm, when it is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    alarm: Option<Alarm>,
}

#[derive(Serialize)]
struct SavedSeries {
    asset: String,
    tag: String,
    unit: String,
    last_ts: Option<Millis>,
    last_value: Option<f64>,
    rules: Vec<SavedRule>,
}

#[derive(Serialize)]
struct SavedRule {
    name: String,
    active: bool,
    memory: Memory,
}

const VERSION: u32 = 1;

/// The engine's clock before its first reading.
const NO_CLOCK: Millis = i64::MIN;

/// The longest interval a series can show: the whole record range.
const SPAN_MS: f64 = (MAX_MILLIS - MIN_MILLIS) as f64;

/// A series' last_ts as read: `None` when the field itself is bad.
type LastTs = Option<Option<Millis>>;

/// Problems listed in full before the rest are only counted.
const SHOWN: usize = 20;

/// Writes the state under a temporary name, syncs it to disk and renames
/// it over the old one, so a crash leaves either the old state or the new,
/// never an empty or half-written file.
pub(crate) fn save(engine: &Engine, path: &Path) -> Result<()> {
    let saved = Saved {
        version: VERSION,
        clock: engine.clock,
        series: engine
            .series
            .iter()
            .map(|s| SavedSeries {
                asset: s.asset.clone(),
                tag: s.tag.clone(),
                unit: s.unit.clone(),
                last_ts: s.last_ts,
                last_value: s.last_value.is_finite().then_some(s.last_value),
                rules: s
                    .slots
                    .iter()
                    .map(|slot| SavedRule {
                        name: engine.rules.rules[slot.rule as usize].name.clone(),
                        active: slot.active,
                        memory: slot.memory.clone(),
                    })
                    .collect(),
            })
            .collect(),
        multivariate: engine
            .multi
            .as_ref()
            .map(|m| m.fits())
            .unwrap_or_default()
            .into_iter()
            .map(|(asset, fit, alarm)| SavedFit { asset, fit, alarm })
            .collect(),
    };
    let tmp = tmp_path(path);
    if let Err(e) = write_synced(&tmp, &saved) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing state to {}", tmp.display()));
    }
    std::fs::rename(&tmp, path).with_context(|| format!("writing state to {}", path.display()))?;
    sync_dir(path);
    Ok(())
}

/// `s.json` → `s.json.tmp`: the whole name plus a suffix, so the
/// temporary file is never the state file itself (`with_extension` would
/// make `s.tmp` of `s.tmp`).
fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

fn write_synced(tmp: &Path, saved: &Saved) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(File::create(tmp)?);
    serde_json::to_writer(&mut w, saved)?;
    let file = w
        .into_inner()
        .map_err(std::io::IntoInnerError::into_error)?;
    file.sync_all()
}

/// Makes the rename itself durable. Best effort: not every system lets a
/// directory be opened and synced, and the state is written either way.
fn sync_dir(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Restores a saved state into a fresh engine; a missing file is a first
/// start, a file with any problem is refused (nothing restored). Rules are
/// matched by name and kind: a rule that changed kind or is gone starts
/// afresh.
pub(crate) fn restore(engine: &mut Engine, path: &Path) -> Result<()> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("reading state {}", path.display())),
    };
    let saved = load(&text, &path.display().to_string())?;
    engine.clock = saved.clock;
    for s in saved.series {
        let sid = engine.series_id(&s.asset, &s.tag);
        let series = &mut engine.series[sid as usize];
        series.unit = s.unit;
        series.last_ts = s.last_ts;
        series.last_value = s.last_value.unwrap_or(f64::NAN);
        for r in s.rules {
            let rules = &engine.rules.rules;
            if let Some(slot) = series
                .slots
                .iter_mut()
                .find(|sl| rules[sl.rule as usize].name == r.name)
                && r.memory.same_kind(&rules[slot.rule as usize].check)
            {
                slot.memory = r.memory;
                if let Memory::Zscore(w) = &mut slot.memory {
                    // A window saved under a larger `window` keeps its
                    // newest values: the rule judges by what it holds.
                    if let Check::ZScore { window, .. } = rules[slot.rule as usize].check {
                        let excess = w.values.len().saturating_sub(window.max(1));
                        w.values.drain(..excess);
                    }
                    w.recompute();
                }
                slot.active = r.active;
            }
        }
        engine.rearm(sid);
    }
    if let Some(m) = &mut engine.multi {
        for f in saved.multivariate {
            m.restore(&f.asset, f.fit, f.alarm);
        }
    }
    Ok(())
}

/// Parses and checks a state file; `source` names it in messages.
fn load(text: &str, source: &str) -> Result<Saved> {
    let doc: Value = serde_json::from_str(text)
        .with_context(|| format!("{source} is not a detect state file"))?;
    if !doc.is_object() {
        bail!("{source} is not a detect state file: not a JSON object");
    }
    match doc.get("version").and_then(Value::as_u64) {
        Some(v) if v == u64::from(VERSION) => {}
        Some(v) => bail!("{source}: state version {v} is not {VERSION}"),
        None => bail!("{source} is not a detect state file: no version"),
    }
    let mut rd = Reader::default();
    let clock = rd.get::<Millis>(&doc, "clock").and_then(|c| {
        if c == NO_CLOCK {
            Some(c)
        } else {
            rd.time("clock", c)
        }
    });
    let mut series = Vec::new();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    match doc.get("series").map(Value::as_array) {
        Some(Some(list)) => {
            for (i, v) in list.iter().enumerate() {
                let Some(s) = rd.series(&format!("series[{i}]"), v, clock) else {
                    continue;
                };
                if let Some(first) = seen.insert((s.asset.clone(), s.tag.clone()), i) {
                    rd.bad(
                        &format!("series[{i}]"),
                        format!("{}/{} is already series[{first}]", s.asset, s.tag),
                    );
                }
                series.push(s);
            }
        }
        Some(None) => rd.bad("series", "not a list"),
        None => rd.bad("series", "missing"),
    }
    let mut multivariate = Vec::new();
    if let Some(v) = doc.get("multivariate") {
        match serde_json::from_value::<Vec<SavedFit>>(v.clone()) {
            Ok(fits) => {
                for (i, f) in fits.into_iter().enumerate() {
                    match check_fit(&f.fit) {
                        Ok(()) => multivariate.push(f),
                        Err(e) => rd.bad(&format!("multivariate[{i}]"), e),
                    }
                }
            }
            Err(e) => rd.bad("multivariate", e.to_string()),
        }
    }
    let problems = rd.problems;
    if problems.is_empty()
        && let Some(clock) = clock
    {
        return Ok(Saved {
            version: VERSION,
            clock,
            series,
            multivariate,
        });
    }
    let n = problems.len();
    let mut msg = format!(
        "{source}: {n} problem{} in the detect state; it is not loaded (fix the file or remove it to start afresh)",
        if n == 1 { "" } else { "s" }
    );
    for p in problems.iter().take(SHOWN) {
        msg.push_str(&format!("\n  {source}: {p}"));
    }
    if n > SHOWN {
        msg.push_str(&format!("\n  {source}: … and {} more", n - SHOWN));
    }
    bail!(msg)
}

/// Whether a saved asset model is one a fit could have made.
fn check_fit(f: &Fit) -> std::result::Result<(), String> {
    let m = f.tags.len();
    if m < 2 {
        return Err(format!("{m} tags; a model has at least 2"));
    }
    if f.mean.len() != m || f.sd.len() != m || f.eigen.len() != m {
        return Err(format!("mean, sd and eigen need one value per tag ({m})"));
    }
    if f.k == 0 || f.k >= m || f.loadings.len() != m * f.k {
        return Err(format!(
            "k {} and {} loadings for {m} tags",
            f.k,
            f.loadings.len()
        ));
    }
    let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
    if !(finite(&f.mean) && finite(&f.loadings) && finite(&f.eigen)) {
        return Err("a value is not a finite number".into());
    }
    if !f
        .sd
        .iter()
        .chain(&f.eigen)
        .all(|x| x.is_finite() && *x > 0.0)
    {
        return Err("sd and eigen must be above 0".into());
    }
    if !(f.t2_limit > 0.0 && f.q_limit > 0.0) {
        return Err("the limits must be above 0".into());
    }
    if !(f.change.is_empty() || f.change.len() == m) {
        return Err(format!("change needs one flag per tag ({m}) or none"));
    }
    if f.lag > 100_000 {
        return Err(format!(
            "lag {} is more rows than a model keeps (100000)",
            f.lag
        ));
    }
    if [f.t2_clear, f.q_clear]
        .iter()
        .flatten()
        .any(|c| !(c.is_finite() && *c >= 0.0))
    {
        return Err("the clear limits must be finite and at least 0".into());
    }
    Ok(())
}

/// Reads the state's JSON a field at a time, so each problem is named by
/// its path (`series[2].rules[0].memory.interval_ms`) and all are listed.
#[derive(Default)]
struct Reader {
    problems: Vec<String>,
    /// The series (and rule) being read, added to each message.
    who: String,
}

impl Reader {
    fn bad(&mut self, at: &str, msg: impl Display) {
        if self.who.is_empty() {
            self.problems.push(format!("{at}: {msg}"));
        } else {
            self.problems.push(format!("{at}: {msg} ({})", self.who));
        }
    }

    /// A required field, typed.
    fn get<T: DeserializeOwned>(&mut self, obj: &Value, at: &str) -> Option<T> {
        let key = at.rsplit('.').next().unwrap_or(at);
        match obj.get(key) {
            None => {
                self.bad(at, "missing");
                None
            }
            Some(v) => T::deserialize(v).map_err(|e| self.bad(at, e)).ok(),
        }
    }

    /// An optional field: absent or null is `Some(None)`; `None` when bad.
    fn opt<T: DeserializeOwned>(&mut self, obj: &Value, at: &str) -> Option<Option<T>> {
        let key = at.rsplit('.').next().unwrap_or(at);
        match obj.get(key) {
            None | Some(Value::Null) => Some(None),
            Some(v) => T::deserialize(v)
                .map(Some)
                .map_err(|e| self.bad(at, e))
                .ok(),
        }
    }

    fn time(&mut self, at: &str, ms: Millis) -> Option<Millis> {
        if (MIN_MILLIS..=MAX_MILLIS).contains(&ms) {
            Some(ms)
        } else {
            self.bad(at, format!("{ms} is not a time from the year 0001 to 9999"));
            None
        }
    }

    /// A time of one of the series' readings: within the range, and not
    /// after the latest of them. `last_ts` is `None` when the series' own
    /// field is bad (already reported), `Some(None)` when it has none.
    fn reading_time(&mut self, at: &str, ms: Millis, last_ts: LastTs) -> Option<Millis> {
        let ms = self.time(at, ms)?;
        match last_ts {
            None => Some(ms),
            Some(Some(last)) if ms <= last => Some(ms),
            Some(Some(last)) => {
                self.bad(at, format!("{ms} is after the series' last_ts {last}"));
                None
            }
            Some(None) => {
                self.bad(at, "set, but the series has no last_ts");
                None
            }
        }
    }

    fn finite(&mut self, at: &str, v: f64) -> Option<f64> {
        if v.is_finite() {
            Some(v)
        } else {
            self.bad(at, format!("{v} is not a finite number"));
            None
        }
    }

    fn name(&mut self, obj: &Value, at: &str) -> Option<String> {
        let s: String = self.get(obj, at)?;
        if s.is_empty() {
            self.bad(at, "must not be empty");
            return None;
        }
        Some(s)
    }

    fn series(&mut self, at: &str, v: &Value, clock: Option<Millis>) -> Option<SavedSeries> {
        self.who.clear();
        if !v.is_object() {
            self.bad(at, "not a JSON object");
            return None;
        }
        let asset = self.name(v, &format!("{at}.asset"));
        let tag = self.name(v, &format!("{at}.tag"));
        self.who = format!(
            "{}/{}",
            asset.as_deref().unwrap_or("?"),
            tag.as_deref().unwrap_or("?")
        );
        let unit = self.opt::<String>(v, &format!("{at}.unit"));
        let ts_at = format!("{at}.last_ts");
        let last_ts = match self.opt::<Millis>(v, &ts_at) {
            Some(Some(t)) => match (self.time(&ts_at, t), clock) {
                (Some(t), Some(c)) if t > c => {
                    let shown = if c == NO_CLOCK {
                        "no clock".to_string()
                    } else {
                        c.to_string()
                    };
                    self.bad(&ts_at, format!("{t} is after the state's clock ({shown})"));
                    None
                }
                (t, _) => t.map(Some),
            },
            other => other,
        };
        let value_at = format!("{at}.last_value");
        let last_value = match self.opt::<f64>(v, &value_at) {
            Some(Some(x)) => self.finite(&value_at, x).map(Some),
            other => other,
        };
        let rules_at = format!("{at}.rules");
        let mut rules = Vec::new();
        let mut ok = true;
        match v.get("rules").map(Value::as_array) {
            Some(Some(list)) => {
                let who = self.who.clone();
                let mut names: HashMap<String, usize> = HashMap::new();
                for (j, r) in list.iter().enumerate() {
                    let rat = format!("{rules_at}[{j}]");
                    self.who.clone_from(&who);
                    match self.rule(&rat, r, last_ts) {
                        Some(rule) => {
                            if let Some(first) = names.insert(rule.name.clone(), j) {
                                self.bad(
                                    &format!("{rat}.name"),
                                    format!("{:?} is already {rules_at}[{first}]", rule.name),
                                );
                            }
                            rules.push(rule);
                        }
                        None => ok = false,
                    }
                }
                self.who = who;
            }
            Some(None) => {
                self.bad(&rules_at, "not a list");
                ok = false;
            }
            None => {
                self.bad(&rules_at, "missing");
                ok = false;
            }
        }
        self.who.clear();
        if !ok {
            return None;
        }
        Some(SavedSeries {
            asset: asset?,
            tag: tag?,
            unit: unit?.unwrap_or_default(),
            last_ts: last_ts?,
            last_value: last_value?,
            rules,
        })
    }

    fn rule(&mut self, at: &str, v: &Value, last_ts: LastTs) -> Option<SavedRule> {
        if !v.is_object() {
            self.bad(at, "not a JSON object");
            return None;
        }
        let name = self.name(v, &format!("{at}.name"));
        if let Some(n) = &name {
            self.who.push_str(&format!(", rule {n}"));
        }
        let active = self.get::<bool>(v, &format!("{at}.active"));
        let mem_at = format!("{at}.memory");
        let memory = match v.get("memory") {
            Some(m) if m.is_object() => self.memory(&mem_at, m, last_ts, active),
            Some(_) => {
                self.bad(&mem_at, "not a JSON object");
                None
            }
            None => {
                self.bad(&mem_at, "missing");
                None
            }
        };
        Some(SavedRule {
            name: name?,
            active: active?,
            memory: memory?,
        })
    }

    /// One rule's memory, by kind; each field as the engine leaves it.
    fn memory(
        &mut self,
        at: &str,
        m: &Value,
        last_ts: LastTs,
        active: Option<bool>,
    ) -> Option<Memory> {
        let kind: String = self.get(m, &format!("{at}.kind"))?;
        let f = |field: &str| format!("{at}.{field}");
        match kind.as_str() {
            "threshold" => {
                let since = match self.opt::<Millis>(m, &f("pending_since"))? {
                    Some(t) => Some(self.reading_time(&f("pending_since"), t, last_ts)?),
                    None => None,
                };
                Some(Memory::Threshold {
                    pending_since: since,
                })
            }
            "range" => Some(Memory::Range),
            "zscore" => {
                let values: Option<Vec<f64>> = self.get(m, &f("values"));
                let last_flagged = self.get::<bool>(m, &f("last_flagged"));
                let var = match self.opt::<f64>(m, &f("var")) {
                    Some(Some(x)) if !(x.is_finite() && x >= 0.0) => {
                        self.bad(
                            &f("var"),
                            format!("{x} is not a finite variance of 0 or more"),
                        );
                        None
                    }
                    other => other.map(|x| x.unwrap_or(0.0)),
                };
                let seen = self.opt::<u32>(m, &f("seen"));
                let values = values?;
                if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
                    self.bad(&f("values"), format!("{bad} is not a finite number"));
                    return None;
                }
                let mut w = Window::saved(VecDeque::from(values), last_flagged?);
                (w.var, w.seen) = (var?, seen?.unwrap_or(0));
                if w.var == 0.0 {
                    // Saved before the spread was learnt: started afresh.
                    w.seen = 0;
                }
                Some(Memory::Zscore(w))
            }
            "roc" => {
                let prev = match self.opt::<(Millis, f64)>(m, &f("prev"))? {
                    Some((t, v)) => {
                        let t = self.reading_time(&format!("{}[0]", f("prev")), t, last_ts);
                        let v = self.finite(&format!("{}[1]", f("prev")), v);
                        Some((t?, v?))
                    }
                    None => None,
                };
                Some(Memory::Roc { prev })
            }
            "stuck" => {
                let value = self.get::<f64>(m, &f("value"));
                let run = self.get::<u32>(m, &f("run"));
                let repeat = self.share(m, &f("repeat"));
                let seen = self.opt::<u32>(m, &f("seen"));
                Some(Memory::Stuck {
                    value: self.finite(&f("value"), value?)?,
                    run: run?,
                    repeat: repeat?,
                    seen: seen?.unwrap_or(0),
                })
            }
            "gap" => self.gap(at, m, last_ts, active),
            "cusum" => self.cusum(at, m),
            "shift" => self.shift(at, m),
            "relation" => {
                let mut fields = m.clone();
                if let Some(o) = fields.as_object_mut() {
                    o.remove("kind");
                }
                match serde_json::from_value::<super::relation::Relation>(fields) {
                    Ok(r) => match r.check() {
                        Ok(()) => Some(Memory::Relation(r)),
                        Err(e) => {
                            self.bad(at, e);
                            None
                        }
                    },
                    Err(e) => {
                        self.bad(at, e);
                        None
                    }
                }
            }
            other => {
                self.bad(
                    &f("kind"),
                    format!(
                        "{other:?}: the kinds are threshold, range, zscore, roc, stuck, gap, cusum, shift, relation"
                    ),
                );
                None
            }
        }
    }

    /// An optional share from 0 to 1 (0 when absent).
    fn share(&mut self, m: &Value, at: &str) -> Option<f64> {
        match self.opt::<f64>(m, at)? {
            None => Some(0.0),
            Some(p) if (0.0..=1.0).contains(&p) => Some(p),
            Some(p) => {
                self.bad(at, format!("{p} is not a share from 0 to 1"));
                None
            }
        }
    }

    /// A shift memory: finite averages, a variance not negative.
    fn shift(&mut self, at: &str, m: &Value) -> Option<Memory> {
        let f = |field: &str| format!("{at}.{field}");
        let n = self.get::<u32>(m, &f("n"));
        let held = self.get::<u32>(m, &f("held"));
        let num = |rd: &mut Self, field: &str| {
            let v = rd.get::<f64>(m, &f(field))?;
            rd.finite(&f(field), v)
        };
        let slow = num(self, "slow");
        // Saved before the slow model had a slope: none (slow2 = slow).
        let slow2 = match self.opt::<f64>(m, &f("slow2"))? {
            None => slow,
            Some(x) => self.finite(&f("slow2"), x),
        };
        // The slow model's snapshots (none in a state saved before them:
        // taken 0, so none is used until two are taken again).
        let snaps = match self.opt::<[f64; 4]>(m, &f("snaps"))? {
            None => [0.0; 4],
            Some(x) if x.iter().all(|v| v.is_finite()) => x,
            Some(_) => {
                self.bad(&f("snaps"), "not four finite numbers".to_string());
                return None;
            }
        };
        let since = self.opt::<u32>(m, &f("since"))?.unwrap_or(0);
        let taken = self.opt::<u8>(m, &f("taken"))?.unwrap_or(0).min(2);
        let fast = num(self, "fast");
        let var = match num(self, "var") {
            Some(v) if v < 0.0 => {
                self.bad(&f("var"), format!("{v} is negative"));
                None
            }
            v => v,
        };
        Some(Memory::Shift(super::Shift {
            n: n?,
            slow: slow?,
            slow2: slow2?,
            snaps,
            since,
            taken,
            fast: fast?,
            var: var?,
            held: held?,
        }))
    }

    /// A CUSUM memory: finite numbers, a noise width and sums not negative.
    fn cusum(&mut self, at: &str, m: &Value) -> Option<Memory> {
        let f = |field: &str| format!("{at}.{field}");
        let n = self.get::<u32>(m, &f("n"));
        let held = self.get::<u32>(m, &f("held"));
        let num = |rd: &mut Self, field: &str, least: Option<f64>| {
            let v = rd.get::<f64>(m, &f(field))?;
            let v = rd.finite(&f(field), v)?;
            match least {
                Some(l) if v < l => {
                    rd.bad(&f(field), format!("{v} is negative"));
                    None
                }
                _ => Some(v),
            }
        };
        let level = num(self, "level", None);
        let prev = num(self, "prev", None);
        let noise = num(self, "noise", Some(0.0));
        let spread = match self.opt::<f64>(m, &f("spread"))? {
            None => 0.0,
            Some(x) if x.is_finite() && x >= 0.0 => x,
            Some(x) => {
                self.bad(
                    &f("spread"),
                    format!("{x} is not a finite spread of 0 or more"),
                );
                return None;
            }
        };
        let hi = num(self, "hi", Some(0.0));
        let lo = num(self, "lo", Some(0.0));
        Some(Memory::Cusum(super::Cusum {
            n: n?,
            level: level?,
            noise: noise?,
            spread,
            wanders: self.opt::<bool>(m, &f("wanders"))?.unwrap_or(false),
            prev: prev?,
            hi: hi?,
            lo: lo?,
            held: held?,
        }))
    }

    /// A gap memory: the learnt interval (0 until two readings have come,
    /// then at least the 1 ms between two distinct times and at most the
    /// record range) and the deadline it sets after the last reading
    /// (none while nothing is learnt).
    fn gap(
        &mut self,
        at: &str,
        m: &Value,
        last_ts: LastTs,
        active: Option<bool>,
    ) -> Option<Memory> {
        let (iat, dat) = (format!("{at}.interval_ms"), format!("{at}.deadline"));
        let interval = self.get::<f64>(m, &iat);
        let deadline = self.get::<Millis>(m, &dat);
        let lat = format!("{at}.longest_ms");
        let longest = self.opt::<f64>(m, &lat);
        let seen = self.opt::<u32>(m, &format!("{at}.seen"));
        let longest_ms = match longest? {
            None => 0.0,
            Some(l) if l.is_finite() && (0.0..=SPAN_MS).contains(&l) => l,
            Some(l) => {
                self.bad(
                    &lat,
                    format!("{l} is not an interval from 0 to the record range"),
                );
                return None;
            }
        };
        let seen = seen?.unwrap_or(0);
        let interval_ms = self.finite(&iat, interval?)?;
        let deadline = deadline?;
        if interval_ms < 0.0 {
            self.bad(&iat, format!("{interval_ms} is negative"));
            return None;
        }
        if interval_ms > 0.0 && interval_ms < 1.0 {
            self.bad(
                &iat,
                format!("{interval_ms} is under the 1 ms between two readings"),
            );
            return None;
        }
        if interval_ms > SPAN_MS {
            self.bad(
                &iat,
                format!("{interval_ms} is longer than the years 0001 to 9999"),
            );
            return None;
        }
        if interval_ms == 0.0 {
            if deadline != Millis::MAX {
                self.bad(
                    &dat,
                    format!("{deadline}, but no interval is learnt yet (interval_ms 0)"),
                );
                return None;
            }
            if active == Some(true) {
                self.bad(
                    &format!("{}.active", at.trim_end_matches(".memory")),
                    "a gap alarm cannot be active before an interval is learnt",
                );
                return None;
            }
        } else {
            match last_ts {
                Some(Some(last)) if deadline < last => {
                    self.bad(
                        &dat,
                        format!("{deadline} is before the series' last_ts {last}"),
                    );
                    return None;
                }
                None | Some(Some(_)) => {}
                Some(None) => {
                    self.bad(&iat, "learnt, but the series has no last_ts");
                    return None;
                }
            }
        }
        Some(Memory::Gap {
            interval_ms,
            deadline,
            longest_ms,
            seen,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tmp_name_is_never_the_state_itself() {
        assert_eq!(tmp_path(Path::new("s.tmp")), Path::new("s.tmp.tmp"));
        assert_eq!(tmp_path(Path::new("d/s.json")), Path::new("d/s.json.tmp"));
    }

    #[test]
    fn every_problem_is_listed_with_its_path() {
        let text = r#"{"version":1,"clock":5000,"series":[
            {"asset":"A","tag":"t","last_ts":6000,"last_value":1,"rules":[
              {"name":"gap","active":false,"memory":{"kind":"gap","interval_ms":-1,"deadline":9}},
              {"name":"z","active":false,"memory":{"kind":"zscore","values":[1,null],"last_flagged":false}}]}]}"#;
        let e = load(text, "s.json")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("s.json: 3 problems"), "{e}");
        assert!(
            e.contains("series[0].last_ts: 6000 is after the state's clock (5000) (A/t)"),
            "{e}"
        );
        assert!(
            e.contains("series[0].rules[0].memory.interval_ms: -1 is negative (A/t, rule gap)"),
            "{e}"
        );
        assert!(
            e.contains("series[0].rules[1].memory.values: invalid type: null"),
            "{e}"
        );
    }
}
