//! The plant model (docs/model.md): one CSV row per asset-tag,
//! driving simulation, the Modbus register map and alarm limits.
//!
//! [`Model::parse`] reads the CSV and resolves defaults; [`check`] finds
//! what is inconsistent across cells and rows. Both report every problem
//! with its line and column rather than stopping at the first.

mod check;
pub mod formula;
mod parse;
mod presets;

use std::collections::HashMap;
use std::fmt;

use anyhow::Result;

pub use check::check;
pub use formula::Formula;
pub use presets::{PRESETS, Preset, preset};

/// What kind of signal a tag carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Analog,
    Counter,
    State,
    Bool,
}

/// How a simulated signal moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Steady,
    Sine,
    Walk,
    Batch,
    Markov,
    Counter,
}

/// The four Modbus data tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Holding,
    Input,
    Coil,
    Discrete,
}

/// Register data types. `Str(n)`: ASCII text over `n` registers, two
/// characters each (written `str8` in a model).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegType {
    U16,
    I16,
    U32,
    I32,
    U64,
    I64,
    F32,
    F64,
    Bool,
    Str(u8),
}

/// Word and byte order of a multi-register value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordOrder {
    Abcd,
    Cdab,
    Badc,
    Dcba,
}

macro_rules! names {
    ($ty:ident { $($variant:ident = $name:literal),* $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),*];
            pub fn name(self) -> &'static str {
                match self { $($ty::$variant => $name),* }
            }
            pub fn from_name(s: &str) -> Option<$ty> {
                $ty::ALL.iter().copied().find(|v| v.name().eq_ignore_ascii_case(s))
            }
            fn expected() -> String {
                $ty::ALL.iter().map(|v| v.name()).collect::<Vec<_>>().join(", ")
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

names!(Kind { Analog = "analog", Counter = "counter", State = "state", Bool = "bool" });
names!(Profile {
    Steady = "steady",
    Sine = "sine",
    Walk = "walk",
    Batch = "batch",
    Markov = "markov",
    Counter = "counter",
});
names!(Table { Holding = "holding", Input = "input", Coil = "coil", Discrete = "discrete" });
names!(WordOrder { Abcd = "ABCD", Cdab = "CDAB", Badc = "BADC", Dcba = "DCBA" });

impl RegType {
    /// The fixed-width types; `str1` … `str125` come on top.
    pub const ALL: &'static [RegType] = &[
        RegType::U16,
        RegType::I16,
        RegType::U32,
        RegType::I32,
        RegType::U64,
        RegType::I64,
        RegType::F32,
        RegType::F64,
        RegType::Bool,
    ];

    /// The longest string type: one request's worth of registers.
    pub const MAX_STR: u8 = 125;

    pub fn name(self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed(match self {
            RegType::U16 => "u16",
            RegType::I16 => "i16",
            RegType::U32 => "u32",
            RegType::I32 => "i32",
            RegType::U64 => "u64",
            RegType::I64 => "i64",
            RegType::F32 => "f32",
            RegType::F64 => "f64",
            RegType::Bool => "bool",
            RegType::Str(n) => return std::borrow::Cow::Owned(format!("str{n}")),
        })
    }

    /// `u16` … `bool`, or `strN` with N from 1 to 125, in any letter case.
    pub fn from_name(s: &str) -> Option<RegType> {
        if s.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("str")) {
            return s[3..]
                .parse::<u8>()
                .ok()
                .filter(|n| (1..=RegType::MAX_STR).contains(n))
                .map(RegType::Str);
        }
        RegType::ALL
            .iter()
            .copied()
            .find(|v| v.name().eq_ignore_ascii_case(s))
    }

    fn expected() -> String {
        let mut names: Vec<String> = RegType::ALL.iter().map(|v| v.name().into_owned()).collect();
        names.push("strN (N registers of ASCII, 1 to 125)".to_string());
        names.join(", ")
    }

    /// Width in 16-bit registers (a `bool` in a coil or discrete input is
    /// one bit, in a register one register).
    pub fn registers(self) -> u32 {
        match self {
            RegType::U16 | RegType::I16 | RegType::Bool => 1,
            RegType::U32 | RegType::I32 | RegType::F32 => 2,
            RegType::U64 | RegType::I64 | RegType::F64 => 4,
            RegType::Str(n) => u32::from(n),
        }
    }

    /// The raw range of an integer type; `None` for floats.
    pub fn int_range(self) -> Option<(f64, f64)> {
        Some(match self {
            RegType::U16 => (0.0, u16::MAX as f64),
            RegType::I16 => (i16::MIN as f64, i16::MAX as f64),
            RegType::U32 => (0.0, u32::MAX as f64),
            RegType::I32 => (i32::MIN as f64, i32::MAX as f64),
            RegType::U64 => (0.0, u64::MAX as f64),
            RegType::I64 => (i64::MIN as f64, i64::MAX as f64),
            RegType::Bool => (0.0, 1.0),
            RegType::F32 | RegType::F64 | RegType::Str(_) => return None,
        })
    }
}

impl fmt::Display for RegType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// One state of a `state` or `bool` tag.
#[derive(Debug, Clone, PartialEq)]
pub struct StateDef {
    pub name: String,
    /// Mean time spent in the state; `None` takes the row's period.
    pub dwell_ms: Option<i64>,
}

/// A weighted move from one state to another, by state index.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub from: usize,
    pub to: usize,
    pub weight: f64,
}

/// `follows`: this tag moves with another tag of the same asset.
#[derive(Debug, Clone, PartialEq)]
pub struct Follow {
    pub tag: String,
    pub gain: f64,
}

/// `when`: the row is live only while a state tag is in one of these states.
#[derive(Debug, Clone, PartialEq)]
pub struct When {
    pub tag: String,
    pub states: Vec<String>,
}

/// Where a tag lives in the Modbus register map.
#[derive(Debug, Clone, PartialEq)]
pub struct Modbus {
    /// `HOST:PORT` of the device or gateway `poll` reads; empty: the
    /// default target (`--target`, else 127.0.0.1:5020).
    pub host: String,
    pub unit_id: u8,
    pub table: Table,
    /// `None`: the tag is not on the map.
    pub address: Option<u16>,
    /// A single bit (0–15, 0 the least significant) of the register at
    /// `address`: the tag is 0 or 1.
    pub bit: Option<u8>,
    pub reg_type: RegType,
    pub order: WordOrder,
    pub scale: f64,
    pub offset: f64,
}

/// Alarm limits of a tag.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Alarms {
    pub lo_lo: Option<f64>,
    pub lo: Option<f64>,
    pub hi: Option<f64>,
    pub hi_hi: Option<f64>,
    pub deadband: f64,
    pub delay_ms: i64,
}

/// One row of the model: one tag of one asset.
#[derive(Debug, Clone, PartialEq)]
pub struct TagRow {
    /// Line of the CSV the row came from, for messages.
    pub line: u64,
    pub asset: String,
    pub tag: String,
    pub unit: String,
    pub description: String,
    pub kind: Kind,
    pub states: Vec<StateDef>,
    pub transitions: Vec<Transition>,
    pub nominal: f64,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub noise: f64,
    pub profile: Profile,
    pub period_ms: i64,
    pub amplitude: f64,
    pub follows: Vec<Follow>,
    pub when: Option<When>,
    /// `formula`: the tag is computed from other tags of its asset.
    pub formula: Option<Formula>,
    pub modbus: Modbus,
    pub alarms: Alarms,
}

impl TagRow {
    /// The range an unfaulted value stays in: the tighter of the physical
    /// range and the hi/lo alarm limits, where set.
    pub fn normal_range(&self) -> (Option<f64>, Option<f64>) {
        let lo = max_opt(self.min, self.alarms.lo);
        let hi = min_opt(self.max, self.alarms.hi);
        (lo, hi)
    }

    /// Half the width of the normal range: the unit `follows` gains are
    /// measured in. Falls back to the amplitude, then to 1.
    pub fn half_span(&self) -> f64 {
        match self.normal_range() {
            (Some(lo), Some(hi)) if hi > lo => (hi - lo) / 2.0,
            _ if self.amplitude > 0.0 => self.amplitude,
            _ => 1.0,
        }
    }
}

fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn min_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A problem in a model, located by line and column.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelError {
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "line {}, column {c}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// Every problem found in one model file.
#[derive(Debug)]
pub struct ModelErrors {
    pub source: String,
    pub errors: Vec<ModelError>,
}

impl fmt::Display for ModelErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(
            f,
            "{}: {n} problem{}",
            self.source,
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.errors {
            write!(f, "\n  {}: {e}", self.source)?;
        }
        Ok(())
    }
}

impl std::error::Error for ModelErrors {}

/// The columns a model may have, in the order presets write them.
pub const COLUMNS: &[&str] = &[
    "asset",
    "tag",
    "unit",
    "description",
    "kind",
    "states",
    "transitions",
    "nominal",
    "min",
    "max",
    "noise",
    "profile",
    "period",
    "amplitude",
    "follows",
    "when",
    "formula",
    "host",
    "unit_id",
    "table",
    "address",
    "bit",
    "type",
    "order",
    "scale",
    "offset",
    "lo_lo",
    "lo",
    "hi",
    "hi_hi",
    "deadband",
    "delay",
];

/// A parsed plant model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub rows: Vec<TagRow>,
}

impl Model {
    /// Parses a model CSV: the rows whose cells all parsed, and the
    /// problems of the others.
    pub fn parse(text: &str) -> (Model, Vec<ModelError>) {
        let mut errors = Vec::new();
        let rows = parse::parse_rows(text, &mut errors);
        (Model { rows }, errors)
    }

    /// Parses and checks a model, reporting every problem of both kinds
    /// at once: what verbs that run a model use. `source` names it in
    /// messages.
    pub fn load(text: &str, source: &str) -> Result<Model, ModelErrors> {
        let (model, mut errors) = Model::parse(text);
        errors.extend(check(&model));
        if errors.is_empty() {
            Ok(model)
        } else {
            errors.sort_by_key(|e| e.line);
            Err(ModelErrors {
                source: source.to_string(),
                errors,
            })
        }
    }

    /// The asset ids in order of first appearance.
    pub fn assets(&self) -> Vec<&str> {
        let mut seen = HashMap::new();
        let mut out = Vec::new();
        for r in &self.rows {
            if seen.insert(r.asset.as_str(), ()).is_none() {
                out.push(r.asset.as_str());
            }
        }
        out
    }

    /// The asset names of [`Model::scaled`]`(n)`, in order: asset `i`
    /// repeats the rows of the model's asset `i mod k` (of
    /// [`Model::assets`]). For verbs that need the names, not the rows.
    pub fn scaled_asset_names(&self, n: usize) -> Vec<String> {
        let Some(first) = self.rows.first() else {
            return Vec::new();
        };
        let prefix = first.asset.trim_end_matches(|c: char| c.is_ascii_digit());
        let width = n.to_string().len().max(2);
        (0..n)
            .map(|i| format!("{prefix}{:0width$}", i + 1))
            .collect()
    }

    /// The model with `n` assets: asset `i` repeats the rows of the model's
    /// asset `i mod k`, named by the first asset's prefix and a number
    /// zero-padded to the width of `n` (at least two digits): `WH-0001` …
    /// `WH-1000`. Unit ids count 1–247 and wrap.
    pub fn scaled(&self, n: usize) -> Model {
        let assets = self.assets();
        if assets.is_empty() || n == 0 {
            return Model { rows: Vec::new() };
        }
        let by_asset: Vec<Vec<&TagRow>> = assets
            .iter()
            .map(|a| self.rows.iter().filter(|r| r.asset == *a).collect())
            .collect();
        let mut rows = Vec::with_capacity(n * by_asset[0].len());
        for (i, name) in self.scaled_asset_names(n).into_iter().enumerate() {
            for template in &by_asset[i % by_asset.len()] {
                let mut row = (*template).clone();
                row.asset.clone_from(&name);
                row.modbus.unit_id = (i % 247) as u8 + 1;
                rows.push(row);
            }
        }
        Model { rows }
    }
}

/// Loads the model a verb was pointed at: a CSV file, a preset by name, or
/// the given default preset.
pub fn resolve(
    file: Option<&std::path::Path>,
    preset_name: Option<&str>,
    default: &str,
) -> Result<Model> {
    if let Some(path) = file {
        let text = crate::io::read_to_string(path)?;
        return Ok(Model::load(&text, &path.display().to_string())?);
    }
    let name = preset_name.unwrap_or(default);
    let p = preset(name)?;
    Ok(Model::load(p.csv, &format!("preset {name}"))?)
}
