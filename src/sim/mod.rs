//! The simulation engine behind `iiot simulate`: a plant model compiled
//! into per-tag specs and per-series state, stepped one tick at a time.
//!
//! Each series draws from two random streams of its own, seeded from the
//! run's seed and the series' position: one for the signal, one for faults.
//! So the clean signal is the same with and without `--faults`, and an
//! asset's data does not change when `--assets` adds others after it.

mod faults;
pub mod random;

use anyhow::{Result, bail};

pub use faults::{FaultKind, FaultRates};

use crate::model::{Kind, Model, Profile, TagRow};
use crate::record::{EncodedSeries, Quality, ReadingRef, encode_asset_part, encode_tag_part};
use crate::time::Millis;
use faults::Episode;
use random::{Dice, Stream};

/// What to simulate and how.
#[derive(Debug, Clone)]
pub struct Config {
    pub seed: u64,
    pub start: Millis,
    pub interval_ms: i64,
    pub faults: FaultRates,
    pub label: bool,
    /// How many assets; `None` keeps the model's own.
    pub assets: Option<usize>,
}

/// One template tag, compiled from a model row.
#[derive(Debug)]
struct Spec {
    tag: String,
    unit: String,
    /// Tag and unit as JSON, encoded once.
    tag_json: Vec<u8>,
    unit_json: Vec<u8>,
    kind: Kind,
    profile: Profile,
    nominal: f64,
    noise: f64,
    amplitude: f64,
    period_ms: f64,
    lo: f64,
    hi: f64,
    half_span: f64,
    /// Multiplier that rounds to the tag's resolution: 10^decimals.
    resolution: f64,
    /// Walk: decay of the deviation per tick and the scale of its shock.
    walk_decay: f64,
    walk_shock: f64,
    /// `when`: share of the way to its target a gated tag moves per tick.
    gate_alpha: f64,
    /// Counter: wraps past this.
    wrap: f64,
    /// Index (within the asset) and gain of each driver.
    follows: Vec<(usize, f64)>,
    /// Index of the gating state tag and the state codes that keep it live.
    when: Option<(usize, Vec<usize>)>,
    /// `formula`: computed from the written values of these tags (indices
    /// within the asset), so a simulated stream agrees with `derive`.
    formula: Option<(crate::model::Formula, Vec<usize>)>,
    states: Vec<String>,
    /// Mean dwell per state, in ticks.
    dwell_ticks: Vec<f64>,
    /// Per state: (target, cumulative weight) of its transitions.
    moves: Vec<Vec<(usize, f64)>>,
}

/// A template asset: the specs of its tags, and the order to evaluate
/// them in (states first, then analog tags after the tags they follow).
#[derive(Debug)]
struct Template {
    specs: Vec<Spec>,
    order: Vec<usize>,
}

/// The changing state of one series.
#[derive(Debug, Clone)]
struct SeriesState {
    signal: Stream,
    /// Walk deviation, counter accumulator, or state code.
    x: f64,
    /// Ticks left in the current state.
    dwell_left: f64,
    /// `when`: how live the tag is, relaxing between 0 and 1.
    level: f64,
    episode: Episode,
    last_out: f64,
}

#[derive(Debug)]
struct AssetSim {
    name: String,
    /// The asset's part of each reading, encoded once.
    encoded: Vec<u8>,
    template: usize,
    first_series: usize,
}

/// A running simulation.
pub struct Simulator {
    templates: Vec<Template>,
    assets: Vec<AssetSim>,
    series: Vec<SeriesState>,
    cfg: Config,
    tick: u64,
    /// Per tag of the asset being stepped: true (noise-free) value and the
    /// value to write (`None`: dropped out).
    truth: Vec<f64>,
    out: Vec<(f64, Option<FaultKind>, bool)>,
    /// The inputs of the formula being evaluated.
    inputs: Vec<f64>,
}

/// The time constant with which a gated analog tag follows its gate.
const GATE_TAU_MS: f64 = 60_000.0;

impl Simulator {
    pub fn new(model: &Model, cfg: Config) -> Result<Simulator> {
        let names = model.assets();
        if names.is_empty() {
            bail!("the model has no rows");
        }
        if cfg.interval_ms <= 0 {
            bail!("the interval must be longer than zero");
        }
        let mut templates = Vec::new();
        for name in &names {
            let rows: Vec<&TagRow> = model.rows.iter().filter(|r| r.asset == *name).collect();
            templates.push(compile(&rows, cfg.interval_ms as f64)?);
        }
        let n = cfg.assets.unwrap_or(names.len());
        let prefix = names[0].trim_end_matches(|c: char| c.is_ascii_digit());
        let width = n.to_string().len().max(2);
        let mut assets = Vec::with_capacity(n);
        let mut series = Vec::new();
        for i in 0..n {
            let template = i % templates.len();
            let name = match cfg.assets {
                None => names[template].to_string(),
                Some(_) => format!("{prefix}{:0width$}", i + 1),
            };
            let first_series = series.len();
            for (j, spec) in templates[template].specs.iter().enumerate() {
                series.push(initial_state(spec, cfg.seed, i as u64, j as u64));
            }
            let encoded = encode_asset_part(&name);
            assets.push(AssetSim {
                name,
                encoded,
                template,
                first_series,
            });
        }
        let widest = templates.iter().map(|t| t.specs.len()).max().unwrap_or(0);
        Ok(Simulator {
            templates,
            assets,
            series,
            cfg,
            tick: 0,
            truth: vec![0.0; widest],
            out: vec![(0.0, None, false); widest],
            inputs: Vec::new(),
        })
    }

    /// Number of series (asset × tag).
    pub fn series_count(&self) -> usize {
        self.series.len()
    }

    /// The timestamp of the next tick.
    pub fn next_ts(&self) -> Millis {
        self.cfg.start + self.tick as i64 * self.cfg.interval_ms
    }

    /// Steps every series one interval and hands each reading to `emit`.
    pub fn step<E>(&mut self, mut emit: E) -> std::io::Result<()>
    where
        E: FnMut(&ReadingRef<'_>) -> std::io::Result<()>,
    {
        let ts = self.next_ts();
        let t = ts as f64;
        for asset in &self.assets {
            let template = &self.templates[asset.template];
            let states =
                &mut self.series[asset.first_series..asset.first_series + template.specs.len()];
            for &j in &template.order {
                let spec = &template.specs[j];
                if let Some((formula, inputs)) = &spec.formula {
                    // Written unrounded, as `derive` computes it; no
                    // reading when an input dropped out or the result is
                    // not finite. A value computed from a faulty input is
                    // faulty too: it carries the first such input's label.
                    self.inputs.clear();
                    self.inputs.extend(
                        inputs
                            .iter()
                            .filter(|&&i| self.out[i].2)
                            .map(|&i| self.out[i].0),
                    );
                    let value = (self.inputs.len() == inputs.len())
                        .then(|| formula.eval(&self.inputs))
                        .flatten();
                    let fault = inputs.iter().find_map(|&i| self.out[i].1);
                    self.truth[j] = value.unwrap_or(f64::NAN);
                    self.out[j] = (value.unwrap_or(f64::NAN), fault, value.is_some());
                    continue;
                }
                let s = &mut states[j];
                let truth = advance(&template.specs, j, s, t, &self.truth, self.tick);
                self.truth[j] = truth;
                let dice = || {
                    Dice::new(random::mix(
                        self.cfg.seed,
                        (asset.first_series + j) as u64,
                        self.tick,
                        2,
                    ))
                };
                self.out[j] = measure(spec, s, truth, &self.cfg.faults, dice);
            }
            for (j, spec) in template.specs.iter().enumerate() {
                let (value, fault, present) = self.out[j];
                if !present {
                    continue;
                }
                let text = match spec.kind {
                    Kind::State => spec.states.get(value as usize).map_or("", String::as_str),
                    _ => "",
                };
                let fault = match (self.cfg.label, fault) {
                    (true, Some(f)) => f.name(),
                    _ => "",
                };
                emit(&ReadingRef {
                    ts,
                    asset: &asset.name,
                    tag: &spec.tag,
                    value,
                    unit: &spec.unit,
                    quality: Quality::Good,
                    text,
                    fault,
                    extra: "",
                    encoded: Some(EncodedSeries {
                        asset: &asset.encoded,
                        tag: &spec.tag_json,
                        unit: &spec.unit_json,
                    }),
                })?;
            }
        }
        self.tick += 1;
        Ok(())
    }
}

fn initial_state(spec: &Spec, seed: u64, asset: u64, tag: u64) -> SeriesState {
    let mut signal = Stream::new(random::mix(seed, asset, tag, 1));
    let mut x = 0.0;
    let mut dwell_left = 0.0;
    match spec.profile {
        Profile::Walk => x = spec.amplitude * signal.bounded_normal() * 0.5,
        Profile::Markov => {
            // Start in a state drawn by its share of time, roughly where a
            // long-running machine would be found.
            let total: f64 = spec.dwell_ticks.iter().sum();
            let mut u = signal.uniform() * total;
            let mut code = 0;
            for (i, d) in spec.dwell_ticks.iter().enumerate() {
                code = i;
                if u < *d {
                    break;
                }
                u -= d;
            }
            x = code as f64;
            dwell_left = signal.exponential(spec.dwell_ticks[code]);
        }
        _ => {}
    }
    SeriesState {
        signal,
        x,
        dwell_left,
        // Set from the gate at the first tick.
        level: f64::NAN,
        episode: Episode::None,
        last_out: f64::NAN,
    }
}

/// Moves a series' hidden state one tick and returns its true value.
fn advance(
    specs: &[Spec],
    j: usize,
    s: &mut SeriesState,
    t_ms: f64,
    truth: &[f64],
    tick: u64,
) -> f64 {
    let spec = &specs[j];
    let live = match &spec.when {
        None => true,
        Some((gate, codes)) => codes.contains(&(truth[*gate] as usize)),
    };
    match spec.profile {
        Profile::Markov => {
            s.dwell_left -= 1.0;
            if s.dwell_left <= 0.0 {
                let from = s.x as usize;
                let u = s.signal.uniform();
                let moves = &spec.moves[from];
                let total = moves.last().map_or(1.0, |m| m.1);
                let to = moves.iter().find(|m| u * total < m.1).map_or(from, |m| m.0);
                s.x = to as f64;
                s.dwell_left = s.signal.exponential(spec.dwell_ticks[to]).max(1.0);
            }
            s.x
        }
        Profile::Counter => {
            if live && tick > 0 {
                let step = spec.nominal + spec.noise * s.signal.normal();
                s.x += step.max(0.0);
                if s.x >= spec.wrap + 1.0 {
                    s.x -= spec.wrap + 1.0;
                }
            }
            // The fraction builds up unseen: a counter shows whole counts.
            s.x.floor()
        }
        _ => {
            let mut v = match spec.profile {
                Profile::Sine => {
                    spec.nominal
                        + spec.amplitude
                            * libm::sin(
                                std::f64::consts::TAU * t_ms.rem_euclid(spec.period_ms)
                                    / spec.period_ms,
                            )
                }
                Profile::Walk => {
                    s.x = s.x * spec.walk_decay + spec.walk_shock * s.signal.normal();
                    // Reflect at the normal range so the walk never rests on a limit.
                    let (lo, hi) = (spec.lo - spec.nominal, spec.hi - spec.nominal);
                    if s.x > hi {
                        s.x = (2.0 * hi - s.x).max(lo);
                    } else if s.x < lo {
                        s.x = (2.0 * lo - s.x).min(hi);
                    }
                    spec.nominal + s.x
                }
                Profile::Batch => {
                    let phase = t_ms.rem_euclid(spec.period_ms) / spec.period_ms;
                    let s_curve = 1.0 / (1.0 + libm::exp(-12.0 * (phase - 0.5)));
                    spec.nominal + spec.amplitude * (2.0 * s_curve - 1.0)
                }
                _ => spec.nominal,
            };
            for &(driver, gain) in &spec.follows {
                let d = &specs[driver];
                v += gain * (truth[driver] - d.nominal) / d.half_span * spec.half_span;
            }
            if spec.when.is_some() {
                let target = if live { 1.0 } else { 0.0 };
                if s.level.is_nan() {
                    s.level = target;
                }
                s.level += (target - s.level) * spec.gate_alpha;
                let idle = if spec.lo.is_finite() { spec.lo } else { 0.0 };
                v = idle + s.level * (v - idle);
            }
            v
        }
    }
}

/// Adds noise and faults to a true value: (value to write, fault label,
/// whether a reading is written at all).
fn measure(
    spec: &Spec,
    s: &mut SeriesState,
    truth: f64,
    rates: &FaultRates,
    dice: impl FnOnce() -> Dice,
) -> (f64, Option<FaultKind>, bool) {
    if spec.kind != Kind::Analog {
        return (truth, None, true);
    }
    let clean = (truth + spec.noise * s.signal.bounded_normal()).clamp(spec.lo, spec.hi);
    let clean = round_to(clean, spec.resolution);
    let scale = spec.noise.max(spec.half_span * 0.01);
    if s.episode == Episode::None && rates.total() == 0.0 {
        s.last_out = clean;
        return (clean, None, true);
    }
    let (value, fault, present) = s
        .episode
        .apply(&mut dice(), rates, clean, s.last_out, scale);
    let value = round_to(value, spec.resolution);
    if present {
        s.last_out = value;
    }
    (value, fault, present)
}

fn round_to(v: f64, resolution: f64) -> f64 {
    crate::record::round_half_even(v * resolution) / resolution
}

/// Decimal places a tag is written with: one more than the noise's first
/// significant digit (noise 0.3 → 2 places), else what the register's
/// scale resolves, else 3.
fn decimals(row: &TagRow) -> i32 {
    if row.noise > 0.0 {
        return (libm::ceil(-libm::log10(row.noise)) as i32 + 1).clamp(0, 6);
    }
    let m = &row.modbus;
    if m.reg_type.int_range().is_some() && m.scale > 0.0 && m.scale < 1.0 {
        return (libm::ceil(-libm::log10(m.scale) - 1e-9) as i32).clamp(0, 6);
    }
    3
}

fn compile(rows: &[&TagRow], interval_ms: f64) -> Result<Template> {
    let index = |tag: &str| rows.iter().position(|r| r.tag == tag);
    let mut specs = Vec::with_capacity(rows.len());
    for row in rows {
        let (lo, hi) = row.normal_range();
        let period_ms = row.period_ms as f64;
        let (walk_decay, walk_shock) = if row.profile == Profile::Walk {
            let decay = libm::exp(-interval_ms / period_ms);
            (decay, row.amplitude * libm::sqrt(1.0 - decay * decay))
        } else {
            (0.0, 0.0)
        };
        let nominal = if row.kind == Kind::Counter {
            // Per second in the model; per tick here.
            row.nominal * interval_ms / 1000.0
        } else {
            row.nominal
        };
        let noise = if row.kind == Kind::Counter {
            row.noise * libm::sqrt(interval_ms / 1000.0)
        } else {
            row.noise
        };
        let dwell_ticks = row
            .states
            .iter()
            .map(|s| (s.dwell_ms.unwrap_or(row.period_ms) as f64 / interval_ms).max(1.0))
            .collect();
        let moves = (0..row.states.len())
            .map(|from| {
                let mut listed: Vec<(usize, f64)> = row
                    .transitions
                    .iter()
                    .filter(|t| t.from == from)
                    .map(|t| (t.to, t.weight))
                    .collect();
                if listed.is_empty() {
                    listed.push(((from + 1) % row.states.len(), 1.0));
                }
                let mut cumulative = 0.0;
                for m in &mut listed {
                    cumulative += m.1;
                    m.1 = cumulative;
                }
                listed
            })
            .collect();
        let follows = row
            .follows
            .iter()
            .filter_map(|f| index(&f.tag).map(|i| (i, f.gain)))
            .collect();
        let when = row.when.as_ref().and_then(|w| {
            let gate = index(&w.tag)?;
            let codes = w
                .states
                .iter()
                .filter_map(|name| rows[gate].states.iter().position(|s| &s.name == name))
                .collect();
            Some((gate, codes))
        });
        let formula = row.formula.as_ref().map(|f| {
            let inputs = f.inputs.iter().filter_map(|t| index(t)).collect();
            (f.clone(), inputs)
        });
        let (tag_json, unit_json) = encode_tag_part(&row.tag, &row.unit);
        specs.push(Spec {
            tag: row.tag.clone(),
            unit: row.unit.clone(),
            tag_json,
            unit_json,
            kind: row.kind,
            profile: row.profile,
            nominal,
            noise,
            amplitude: row.amplitude,
            period_ms: period_ms.max(1.0),
            lo: lo.unwrap_or(f64::NEG_INFINITY),
            hi: hi.unwrap_or(f64::INFINITY),
            half_span: row.half_span(),
            resolution: 10f64.powi(decimals(row)),
            walk_decay,
            walk_shock,
            gate_alpha: 1.0 - libm::exp(-interval_ms / GATE_TAU_MS),
            wrap: row.max.unwrap_or(u32::MAX as f64),
            follows,
            when,
            formula,
            states: row.states.iter().map(|s| s.name.clone()).collect(),
            dwell_ticks,
            moves,
        });
    }
    let order = evaluation_order(&specs);
    Ok(Template { specs, order })
}

/// States first (others are gated by them), then the rest so that a tag
/// comes after every tag it follows or is computed from. `model check` has ruled out cycles.
fn evaluation_order(specs: &[Spec]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..specs.len())
        .filter(|&i| specs[i].profile == Profile::Markov)
        .collect();
    let mut placed: Vec<bool> = (0..specs.len()).map(|i| order.contains(&i)).collect();
    while order.len() < specs.len() {
        let before = order.len();
        for i in 0..specs.len() {
            let computed_from = specs[i].formula.as_ref().map_or(&[][..], |f| &f.1[..]);
            if !placed[i]
                && specs[i].follows.iter().all(|&(d, _)| placed[d])
                && computed_from.iter().all(|&d| placed[d])
            {
                placed[i] = true;
                order.push(i);
            }
        }
        if order.len() == before {
            // A cycle slipped through: evaluate the rest in row order.
            order.extend((0..specs.len()).filter(|&i| !placed[i]));
            break;
        }
    }
    order
}
