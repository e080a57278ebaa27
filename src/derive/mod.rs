//! Derived tags on a stream (`iiot derive`): the model's `formula` rows
//! computed from the readings of their inputs.
//!
//! At each time T at which one of a formula's inputs was updated, one
//! derived reading at T is written, from each input's latest value no
//! older than the max age. It is written once the stream has moved past T
//! (a reading of a later time arrives, or the input ends), so the inputs of
//! one asset and time may come in any order and interleaved with other
//! assets. Memory grows with the number of series, not of readings.
//!
//! A derived reading is as good as its worst input: it takes the worst
//! quality among them and the fault label of the first one that has one.

use std::collections::HashMap;

use crate::model::{Formula, Model, TagRow};
use crate::record::{EncodedSeries, Quality, Reading, ReadingRef};
use crate::record::{encode_asset_part, encode_tag_part};
use crate::time::Millis;

/// What a derived reading's inputs may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxAge {
    /// This many milliseconds.
    Fixed(Millis),
    /// This many times the usual interval of the formula's inputs as seen
    /// on the stream (the median of each input's last three intervals, the
    /// longest of the inputs).
    TimesInterval(u32),
}

/// What became of the formulas' chances.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Derived readings written.
    pub derived: u64,
    /// Times with no reading: an input missing or older than the max age.
    pub stale: u64,
    /// Times with no reading: a division by zero or another non-finite result.
    pub non_finite: u64,
    /// Readings of a derived tag in the input, dropped for the computed one.
    pub replaced: u64,
    /// Input readings older than their series' latest, or of a time already
    /// derived: passed through, not used.
    pub late: u64,
}

/// What to do with a reading that came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Write it on.
    Keep,
    /// Drop it: a derived tag, which derive writes itself.
    Replace,
}

/// One formula of one template asset.
#[derive(Debug)]
struct Def {
    tag: String,
    unit: String,
    formula: Formula,
    /// Slot of each input.
    inputs: Vec<usize>,
    /// The slot the result goes to when other formulas read it.
    slot: usize,
    /// The tag and unit encoded once, for the derived readings.
    tag_part: Vec<u8>,
    unit_part: Vec<u8>,
}

/// The formulas of one template asset (one of the model's assets; a scaled
/// model's assets share their template's), in evaluation order, and the
/// slots (tags) they read and write.
#[derive(Debug)]
struct Template {
    slots: Vec<String>,
    /// Per slot: the formula that writes it, if any.
    written_by: Vec<Option<usize>>,
    /// Per slot: the formulas that read it.
    readers: Vec<Vec<usize>>,
    defs: Vec<Def>,
}

#[derive(Debug, Clone)]
struct Slot {
    ts: Millis,
    value: f64,
    quality: Quality,
    fault: String,
    /// The last three intervals between updates (0: not seen yet).
    intervals: [Millis; 3],
    set: bool,
}

impl Slot {
    const EMPTY: Slot = Slot {
        ts: 0,
        value: 0.0,
        quality: Quality::Good,
        fault: String::new(),
        intervals: [0; 3],
        set: false,
    };

    fn update(&mut self, ts: Millis, value: f64, quality: Quality, fault: &str) {
        if self.set && ts > self.ts {
            self.intervals = [self.intervals[1], self.intervals[2], ts - self.ts];
        }
        self.ts = ts;
        self.value = value;
        self.quality = quality;
        if !(self.fault.is_empty() && fault.is_empty()) {
            self.fault.clear();
            self.fault.push_str(fault);
        }
        self.set = true;
    }

    /// The median of the intervals seen (of up to three); 0 if none.
    fn usual_interval(&self) -> Millis {
        let mut seen = [0; 3];
        let mut n = 0;
        for &i in &self.intervals {
            if i > 0 {
                seen[n] = i;
                n += 1;
            }
        }
        let seen = &mut seen[..n];
        seen.sort_unstable();
        match n {
            0 => 0,
            n => seen[(n - 1) / 2],
        }
    }
}

#[derive(Debug)]
struct AssetState {
    name: String,
    /// The name encoded once, for the derived readings.
    asset_part: Vec<u8>,
    template: usize,
    slots: Vec<Slot>,
    /// The time whose derived readings are waiting, and which formulas.
    pending: Option<Millis>,
    due: Vec<bool>,
    /// Per formula: the last time a reading was considered.
    done: Vec<Millis>,
}

/// The derive engine: readings in, derived readings out through `emit`.
pub struct Deriver {
    templates: Vec<Template>,
    assets: Vec<AssetState>,
    /// The assets by name. Readings of one asset tend to come together:
    /// the name is looked up when it changes, and the tag among the few
    /// of its template (shared by a scaled model's assets, so at hand).
    by_name: HashMap<Box<str>, u32, foldhash::fast::RandomState>,
    /// The asset of the previous reading that had one.
    last: Option<usize>,
    /// Assets with derived readings waiting, and the earliest of their times.
    waiting: Vec<usize>,
    earliest: Millis,
    max_age: MaxAge,
    inputs: Vec<f64>,
    pub counts: Counts,
}

impl Deriver {
    /// The engine for a model's formulas. `None` when it has none.
    pub fn new(model: &Model, max_age: MaxAge) -> Option<Deriver> {
        Deriver::build(model, None, max_age)
    }

    /// The engine for the model scaled to `n` assets ([`Model::scaled`]),
    /// without building the scaled model: its assets share the templates
    /// of the model's own.
    pub fn scaled(model: &Model, n: usize, max_age: MaxAge) -> Option<Deriver> {
        Deriver::build(model, Some(n), max_age)
    }

    fn build(model: &Model, scale: Option<usize>, max_age: MaxAge) -> Option<Deriver> {
        // Each asset's rows, in one pass (a model may have many assets).
        let mut rows_of: HashMap<&str, Vec<&TagRow>> = HashMap::new();
        for r in &model.rows {
            rows_of.entry(r.asset.as_str()).or_default().push(r);
        }
        let names = model.assets();
        let mut templates: Vec<Template> = Vec::new();
        // Per asset of the model: its template, if it has formulas.
        let template_of: Vec<Option<usize>> = names
            .iter()
            .map(|name| {
                let rows = &rows_of[name];
                rows.iter().any(|r| r.formula.is_some()).then(|| {
                    templates.push(build_template(rows));
                    templates.len() - 1
                })
            })
            .collect();
        let assets: Vec<(String, usize)> = match scale {
            None => names
                .iter()
                .zip(&template_of)
                .filter_map(|(name, t)| Some((name.to_string(), (*t)?)))
                .collect(),
            Some(n) => model
                .scaled_asset_names(n)
                .into_iter()
                .enumerate()
                .filter_map(|(i, name)| Some((name, template_of[i % names.len()]?)))
                .collect(),
        };
        if assets.is_empty() {
            return None;
        }
        let mut by_name = HashMap::with_capacity_and_hasher(
            assets.len(),
            foldhash::fast::RandomState::default(),
        );
        let assets = assets
            .into_iter()
            .enumerate()
            .map(|(a, (name, ti))| {
                let t = &templates[ti];
                by_name.insert(name.as_str().into(), a as u32);
                AssetState {
                    asset_part: encode_asset_part(&name),
                    name,
                    template: ti,
                    slots: vec![Slot::EMPTY; t.slots.len()],
                    pending: None,
                    due: vec![false; t.defs.len()],
                    done: vec![Millis::MIN; t.defs.len()],
                }
            })
            .collect();
        Some(Deriver {
            templates,
            assets,
            by_name,
            last: None,
            waiting: Vec::new(),
            earliest: Millis::MAX,
            max_age,
            inputs: Vec::new(),
            counts: Counts::default(),
        })
    }

    /// Takes one reading: derived readings of earlier times are handed to
    /// `emit` first; the answer says whether to write the reading itself.
    pub fn push<E>(&mut self, r: &Reading, emit: &mut E) -> std::io::Result<Pass>
    where
        E: FnMut(&ReadingRef<'_>) -> std::io::Result<()>,
    {
        if r.ts > self.earliest {
            self.flush_before(r.ts, emit)?;
        }
        let a = match self.last {
            Some(a) if self.assets[a].name == r.asset => a,
            _ => match self.by_name.get(r.asset.as_str()) {
                Some(&a) => {
                    self.last = Some(a as usize);
                    a as usize
                }
                None => return Ok(Pass::Keep),
            },
        };
        let asset = &mut self.assets[a];
        let t = &self.templates[asset.template];
        let Some(slot) = t.slots.iter().position(|s| *s == r.tag) else {
            return Ok(Pass::Keep);
        };
        if r.is_event() {
            return Ok(Pass::Keep);
        }
        if t.written_by[slot].is_some() {
            self.counts.replaced += 1;
            return Ok(Pass::Replace);
        }
        let s = &mut asset.slots[slot];
        if s.set && r.ts < s.ts {
            self.counts.late += 1;
            return Ok(Pass::Keep);
        }
        if asset.pending.is_some_and(|p| p != r.ts) {
            // Only a reading of an earlier time than one pending: late.
            self.counts.late += 1;
            return Ok(Pass::Keep);
        }
        let readers = &t.readers[slot];
        if readers.iter().all(|&d| asset.done[d] >= r.ts) {
            // Its times are already derived: the value is still the latest.
            asset.slots[slot].update(r.ts, r.value, r.quality, &r.fault);
            if !readers.is_empty() {
                self.counts.late += 1;
            }
            return Ok(Pass::Keep);
        }
        asset.slots[slot].update(r.ts, r.value, r.quality, &r.fault);
        for &d in readers {
            asset.due[d] = true;
        }
        if asset.pending.is_none() {
            asset.pending = Some(r.ts);
            self.waiting.push(a);
            self.earliest = self.earliest.min(r.ts);
        }
        Ok(Pass::Keep)
    }

    /// Writes every derived reading still waiting: at the end of input.
    pub fn finish<E>(&mut self, emit: &mut E) -> std::io::Result<()>
    where
        E: FnMut(&ReadingRef<'_>) -> std::io::Result<()>,
    {
        self.flush_before(Millis::MAX, emit)
    }

    fn flush_before<E>(&mut self, before: Millis, emit: &mut E) -> std::io::Result<()>
    where
        E: FnMut(&ReadingRef<'_>) -> std::io::Result<()>,
    {
        let mut waiting = std::mem::take(&mut self.waiting);
        let mut earliest = Millis::MAX;
        let mut result = Ok(());
        waiting.retain(|&a| {
            let ts = self.assets[a].pending.unwrap_or(Millis::MAX);
            if ts < before && result.is_ok() {
                result = self.derive(a, ts, emit);
                false
            } else {
                earliest = earliest.min(ts);
                true
            }
        });
        self.waiting = waiting;
        self.earliest = earliest;
        result
    }

    /// Computes the due formulas of one asset at `ts`.
    fn derive<E>(&mut self, a: usize, ts: Millis, emit: &mut E) -> std::io::Result<()>
    where
        E: FnMut(&ReadingRef<'_>) -> std::io::Result<()>,
    {
        let asset = &mut self.assets[a];
        asset.pending = None;
        let t = &self.templates[asset.template];
        for (d, def) in t.defs.iter().enumerate() {
            if !std::mem::take(&mut asset.due[d]) {
                continue;
            }
            asset.done[d] = ts;
            let limit = match self.max_age {
                MaxAge::Fixed(ms) => ms,
                MaxAge::TimesInterval(k) => {
                    def.inputs
                        .iter()
                        .map(|&i| asset.slots[i].usual_interval())
                        .max()
                        .unwrap_or(0)
                        * Millis::from(k)
                }
            };
            self.inputs.clear();
            let mut quality = Quality::Good;
            // The input whose fault label the reading takes.
            let mut fault: Option<usize> = None;
            for &i in &def.inputs {
                let s = &asset.slots[i];
                if s.set && s.ts <= ts && ts - s.ts <= limit {
                    self.inputs.push(s.value);
                    quality = quality.max(s.quality);
                    if fault.is_none() && !s.fault.is_empty() {
                        fault = Some(i);
                    }
                }
            }
            if self.inputs.len() < def.inputs.len() {
                self.counts.stale += 1;
                continue;
            }
            let Some(value) = def.formula.eval(&self.inputs) else {
                self.counts.non_finite += 1;
                continue;
            };
            let fault = fault.map(|i| asset.slots[i].fault.clone());
            let fault = fault.as_deref().unwrap_or("");
            emit(&ReadingRef {
                ts,
                asset: &asset.name,
                tag: &def.tag,
                value,
                unit: &def.unit,
                quality,
                text: "",
                fault,
                extra: "",
                encoded: Some(EncodedSeries {
                    asset: &asset.asset_part,
                    tag: &def.tag_part,
                    unit: &def.unit_part,
                }),
            })?;
            self.counts.derived += 1;
            // Formulas computed from this one are due too.
            asset.slots[def.slot].update(ts, value, quality, fault);
            for &r in &t.readers[def.slot] {
                asset.due[r] = true;
            }
        }
        Ok(())
    }
}

/// Slots for every tag a formula reads or writes; formulas in the order
/// that puts each after the formulas it reads (`model check` rules out
/// cycles; any left are evaluated in row order).
fn build_template(rows: &[&TagRow]) -> Template {
    let mut slots: Vec<String> = Vec::new();
    let slot = |tag: &str, slots: &mut Vec<String>| match slots.iter().position(|s| s == tag) {
        Some(i) => i,
        None => {
            slots.push(tag.to_string());
            slots.len() - 1
        }
    };
    let mut defs: Vec<Def> = Vec::new();
    for r in rows {
        if let Some(f) = &r.formula {
            let inputs = f.inputs.iter().map(|i| slot(i, &mut slots)).collect();
            let out = slot(&r.tag, &mut slots);
            let (tag_part, unit_part) = encode_tag_part(&r.tag, &r.unit);
            defs.push(Def {
                tag: r.tag.clone(),
                unit: r.unit.clone(),
                formula: f.clone(),
                inputs,
                slot: out,
                tag_part,
                unit_part,
            });
        }
    }
    // Order: a formula after those writing its inputs.
    let mut ordered: Vec<Def> = Vec::with_capacity(defs.len());
    let mut rest = defs;
    while !rest.is_empty() {
        let before = rest.len();
        let mut i = 0;
        while i < rest.len() {
            let ready = rest[i]
                .inputs
                .iter()
                .all(|&s| !rest.iter().enumerate().any(|(j, d)| j != i && d.slot == s));
            if ready {
                ordered.push(rest.remove(i));
            } else {
                i += 1;
            }
        }
        if rest.len() == before {
            ordered.append(&mut rest);
        }
    }
    let mut written_by = vec![None; slots.len()];
    let mut readers = vec![Vec::new(); slots.len()];
    for (d, def) in ordered.iter().enumerate() {
        written_by[def.slot] = Some(d);
        for &i in &def.inputs {
            readers[i].push(d);
        }
    }
    Template {
        slots,
        written_by,
        readers,
        defs: ordered,
    }
}

#[cfg(test)]
mod tests;
