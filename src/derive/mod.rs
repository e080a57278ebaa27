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
    /// The last three intervals between updates (0: not seen yet).
    intervals: [Millis; 3],
    /// The fault label, if any (rare: kept off the slot's cache line).
    fault: Option<Box<str>>,
    quality: Quality,
    set: bool,
}

impl Slot {
    const EMPTY: Slot = Slot {
        ts: 0,
        value: 0.0,
        intervals: [0; 3],
        fault: None,
        quality: Quality::Good,
        set: false,
    };

    fn update(&mut self, ts: Millis, value: f64, quality: Quality, fault: &str) {
        if self.set && ts > self.ts {
            self.intervals = [self.intervals[1], self.intervals[2], ts - self.ts];
        }
        self.ts = ts;
        self.value = value;
        self.quality = quality;
        if fault.is_empty() {
            self.fault = None;
        } else if self.fault.as_deref() != Some(fault) {
            self.fault = Some(fault.into());
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

/// One asset: where its state lies in the engine's flat arrays (one
/// allocation each, walked in order when the stream is, rather than a few
/// small allocations an asset scattered over the heap).
#[derive(Debug)]
struct AssetState {
    template: u32,
    /// Its first slot in [`Deriver::slots`].
    slot_base: u32,
    /// Its first formula in [`Deriver::due`] and [`Deriver::done`].
    def_base: u32,
    /// Its name in [`Deriver::names`], and encoded in [`Deriver::parts`].
    name: (u32, u32),
    part: (u32, u32),
    /// The time whose derived readings are waiting.
    pending: Option<Millis>,
}

/// The derive engine: readings in, derived readings out through `emit`.
pub struct Deriver {
    templates: Vec<Template>,
    assets: Vec<AssetState>,
    names: String,
    parts: Vec<u8>,
    /// Every asset's slots, in asset order.
    slots: Vec<Slot>,
    /// Per asset and formula: due at the pending time.
    due: Vec<bool>,
    /// Per asset and formula: the last time a reading was considered.
    done: Vec<Millis>,
    /// The assets by name. Readings of one asset tend to come together,
    /// and the assets in order: the name is looked up only when it is
    /// neither the previous reading's asset nor the next one, and the tag
    /// among the few of its template (shared by a scaled model's assets).
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

fn span(from: usize, to: usize) -> (u32, u32) {
    (from as u32, to as u32)
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
        let model_assets = model.assets();
        let mut templates: Vec<Template> = Vec::new();
        // Per asset of the model: its template, if it has formulas.
        let template_of: Vec<Option<usize>> = model_assets
            .iter()
            .map(|name| {
                let rows = &rows_of[name];
                rows.iter().any(|r| r.formula.is_some()).then(|| {
                    templates.push(build_template(rows));
                    templates.len() - 1
                })
            })
            .collect();
        let chosen: Vec<(String, usize)> = match scale {
            None => model_assets
                .iter()
                .zip(&template_of)
                .filter_map(|(name, t)| Some((name.to_string(), (*t)?)))
                .collect(),
            Some(n) => model
                .scaled_asset_names(n)
                .into_iter()
                .enumerate()
                .filter_map(|(i, name)| Some((name, template_of[i % model_assets.len()]?)))
                .collect(),
        };
        if chosen.is_empty() {
            return None;
        }
        let mut d = Deriver {
            templates,
            assets: Vec::with_capacity(chosen.len()),
            names: String::new(),
            parts: Vec::new(),
            slots: Vec::new(),
            due: Vec::new(),
            done: Vec::new(),
            by_name: HashMap::with_capacity_and_hasher(
                chosen.len(),
                foldhash::fast::RandomState::default(),
            ),
            last: None,
            waiting: Vec::new(),
            earliest: Millis::MAX,
            max_age,
            inputs: Vec::new(),
            counts: Counts::default(),
        };
        for (a, (name, ti)) in chosen.into_iter().enumerate() {
            let t = &d.templates[ti];
            let from = d.names.len();
            d.names.push_str(&name);
            let part_from = d.parts.len();
            d.parts.extend_from_slice(&encode_asset_part(&name));
            d.assets.push(AssetState {
                template: ti as u32,
                slot_base: d.slots.len() as u32,
                def_base: d.due.len() as u32,
                name: span(from, d.names.len()),
                part: span(part_from, d.parts.len()),
                pending: None,
            });
            d.slots
                .extend(std::iter::repeat_n(Slot::EMPTY, t.slots.len()));
            d.due.extend(std::iter::repeat_n(false, t.defs.len()));
            d.done
                .extend(std::iter::repeat_n(Millis::MIN, t.defs.len()));
            d.by_name.insert(name.into_boxed_str(), a as u32);
        }
        Some(d)
    }

    fn name(&self, a: usize) -> &str {
        let (from, to) = self.assets[a].name;
        &self.names[from as usize..to as usize]
    }

    /// The asset of a reading: the previous reading's, the next in order,
    /// or looked up.
    fn asset_of(&mut self, name: &str) -> Option<usize> {
        if let Some(a) = self.last {
            if self.name(a) == name {
                return Some(a);
            }
            let next = a + 1;
            if next < self.assets.len() && self.name(next) == name {
                self.last = Some(next);
                return Some(next);
            }
        }
        let a = *self.by_name.get(name)? as usize;
        self.last = Some(a);
        Some(a)
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
        let Some(a) = self.asset_of(&r.asset) else {
            return Ok(Pass::Keep);
        };
        let asset = &mut self.assets[a];
        let t = &self.templates[asset.template as usize];
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
        let s = &mut self.slots[asset.slot_base as usize + slot];
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
        let def_base = asset.def_base as usize;
        s.update(r.ts, r.value, r.quality, &r.fault);
        if readers.iter().all(|&d| self.done[def_base + d] >= r.ts) {
            // Its times are already derived: the value is still the latest.
            if !readers.is_empty() {
                self.counts.late += 1;
            }
            return Ok(Pass::Keep);
        }
        for &d in readers {
            self.due[def_base + d] = true;
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
        let t = &self.templates[asset.template as usize];
        let slot_base = asset.slot_base as usize;
        let slots = &mut self.slots[slot_base..slot_base + t.slots.len()];
        let def_base = asset.def_base as usize;
        let due = &mut self.due[def_base..def_base + t.defs.len()];
        let done = &mut self.done[def_base..def_base + t.defs.len()];
        let name = &self.names[asset.name.0 as usize..asset.name.1 as usize];
        let part = &self.parts[asset.part.0 as usize..asset.part.1 as usize];
        for (d, def) in t.defs.iter().enumerate() {
            if !std::mem::take(&mut due[d]) {
                continue;
            }
            done[d] = ts;
            let limit = match self.max_age {
                MaxAge::Fixed(ms) => ms,
                MaxAge::TimesInterval(k) => {
                    def.inputs
                        .iter()
                        .map(|&i| slots[i].usual_interval())
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
                let s = &slots[i];
                if s.set && s.ts <= ts && ts - s.ts <= limit {
                    self.inputs.push(s.value);
                    quality = quality.max(s.quality);
                    if fault.is_none() && s.fault.is_some() {
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
            let fault = fault.and_then(|i| slots[i].fault.clone());
            let fault = fault.as_deref().unwrap_or("");
            emit(&ReadingRef {
                ts,
                asset: name,
                tag: &def.tag,
                value,
                unit: &def.unit,
                quality,
                text: "",
                fault,
                extra: "",
                encoded: Some(EncodedSeries {
                    asset: part,
                    tag: &def.tag_part,
                    unit: &def.unit_part,
                }),
            })?;
            self.counts.derived += 1;
            // Formulas computed from this one are due too.
            slots[def.slot].update(ts, value, quality, fault);
            for &r in &t.readers[def.slot] {
                due[r] = true;
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
