//! The plant model (DESIGN §3, docs/model.md): one CSV row per asset-tag,
//! driving simulation, the Modbus register map and alarm limits.
//!
//! [`Model::parse`] reads the CSV and resolves defaults; [`check`] finds
//! what is inconsistent across cells and rows. Both report every problem
//! with its line and column rather than stopping at the first.

mod check;
mod presets;

use std::collections::HashMap;
use std::fmt;

use anyhow::Result;

pub use check::check;
pub use presets::{PRESETS, Preset, preset};

use crate::time;

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

/// Register data types.
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
names!(RegType {
    U16 = "u16",
    I16 = "i16",
    U32 = "u32",
    I32 = "i32",
    U64 = "u64",
    I64 = "i64",
    F32 = "f32",
    F64 = "f64",
    Bool = "bool",
});
names!(WordOrder { Abcd = "ABCD", Cdab = "CDAB", Badc = "BADC", Dcba = "DCBA" });

impl RegType {
    /// Width in 16-bit registers (a `bool` in a coil or discrete input is
    /// one bit, in a register one register).
    pub fn registers(self) -> u32 {
        match self {
            RegType::U16 | RegType::I16 | RegType::Bool => 1,
            RegType::U32 | RegType::I32 | RegType::F32 => 2,
            RegType::U64 | RegType::I64 | RegType::F64 => 4,
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
            RegType::F32 | RegType::F64 => return None,
        })
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
    pub unit_id: u8,
    pub table: Table,
    /// `None`: the tag is not on the map.
    pub address: Option<u16>,
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
    "unit_id",
    "table",
    "address",
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
        let rows = parse_rows(text, &mut errors);
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

    /// The model with `n` assets: asset `i` repeats the rows of the model's
    /// asset `i mod k`, named by the first asset's prefix and a number
    /// zero-padded to the width of `n` (at least two digits): `WH-0001` …
    /// `WH-1000`. Unit ids count 1–247 and wrap.
    pub fn scaled(&self, n: usize) -> Model {
        let assets = self.assets();
        if assets.is_empty() || n == 0 {
            return Model { rows: Vec::new() };
        }
        let prefix = assets[0]
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .to_string();
        let width = n.to_string().len().max(2);
        let by_asset: Vec<Vec<&TagRow>> = assets
            .iter()
            .map(|a| self.rows.iter().filter(|r| r.asset == *a).collect())
            .collect();
        let mut rows = Vec::with_capacity(n * by_asset[0].len());
        for i in 0..n {
            let name = format!("{prefix}{:0width$}", i + 1);
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

/// Parses the cells of every row, collecting errors.
fn parse_rows(text: &str, errors: &mut Vec<ModelError>) -> Vec<TagRow> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            errors.push(ModelError {
                line: 1,
                column: None,
                message: format!("cannot read the header: {e}"),
            });
            return Vec::new();
        }
    };
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if !COLUMNS.contains(&h) {
            errors.push(ModelError {
                line: 1,
                column: Some(format!("{} ({h:?})", i + 1)),
                message: format!(
                    "unknown column {h:?}; the columns are: {}",
                    COLUMNS.join(", ")
                ),
            });
        } else if index.insert(h, i).is_some() {
            errors.push(ModelError {
                line: 1,
                column: Some(h.to_string()),
                message: "column appears twice".to_string(),
            });
        }
    }
    for required in ["asset", "tag"] {
        if !index.contains_key(required) {
            errors.push(ModelError {
                line: 1,
                column: Some(required.to_string()),
                message: "required column is missing".to_string(),
            });
        }
    }
    if !errors.is_empty() {
        return Vec::new();
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(rec) => {
                let line = rec.position().map_or(0, |p| p.line());
                let cells = Cells {
                    rec: &rec,
                    index: &index,
                    line,
                };
                if let Some(row) = parse_row(&cells, errors) {
                    rows.push(row);
                }
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(ModelError {
                    line,
                    column: None,
                    message: format!("not a CSV row: {e}"),
                });
            }
        }
    }
    rows
}

struct Cells<'a> {
    rec: &'a csv::StringRecord,
    index: &'a HashMap<&'a str, usize>,
    line: u64,
}

impl Cells<'_> {
    /// The cell of a column; empty when the column or the cell is absent.
    fn get(&self, col: &str) -> &str {
        self.index
            .get(col)
            .and_then(|&i| self.rec.get(i))
            .unwrap_or("")
    }

    fn err(&self, col: &str, message: String) -> ModelError {
        ModelError {
            line: self.line,
            column: Some(col.to_string()),
            message,
        }
    }

    fn f64(&self, col: &str, errors: &mut Vec<ModelError>) -> Option<f64> {
        let s = self.get(col);
        if s.is_empty() {
            return None;
        }
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                errors.push(self.err(col, format!("{s:?} is not a finite number")));
                None
            }
        }
    }

    fn duration(&self, col: &str, errors: &mut Vec<ModelError>) -> Option<i64> {
        let s = self.get(col);
        if s.is_empty() {
            return None;
        }
        match time::parse_duration(s) {
            Ok(d) if d.as_millis() >= 0 => Some(d.as_millis() as i64),
            Ok(_) => {
                errors.push(self.err(col, format!("{s:?} is negative")));
                None
            }
            Err(e) => {
                errors.push(self.err(col, format!("{e:#}")));
                None
            }
        }
    }

    fn name<T: Copy>(
        &self,
        col: &str,
        from_name: fn(&str) -> Option<T>,
        expected: String,
        errors: &mut Vec<ModelError>,
    ) -> Option<T> {
        let s = self.get(col);
        if s.is_empty() {
            return None;
        }
        let v = from_name(s);
        if v.is_none() {
            errors.push(self.err(
                col,
                format!("unknown {col} {s:?}; expected one of: {expected}"),
            ));
        }
        v
    }
}

fn parse_row(c: &Cells<'_>, errors: &mut Vec<ModelError>) -> Option<TagRow> {
    let before = errors.len();
    let asset = c.get("asset").to_string();
    let tag = c.get("tag").to_string();
    if asset.is_empty() {
        errors.push(c.err("asset", "is empty; every row needs an asset".into()));
    }
    if tag.is_empty() {
        errors.push(c.err("tag", "is empty; every row needs a tag".into()));
    }
    let kind_cell = c.name("kind", Kind::from_name, Kind::expected(), errors);
    let profile_cell = c.name("profile", Profile::from_name, Profile::expected(), errors);
    let kind = kind_cell.unwrap_or(match profile_cell {
        Some(Profile::Markov) => Kind::State,
        Some(Profile::Counter) => Kind::Counter,
        _ => Kind::Analog,
    });
    let profile = profile_cell.unwrap_or(match kind {
        Kind::Analog => Profile::Steady,
        Kind::Counter => Profile::Counter,
        Kind::State | Kind::Bool => Profile::Markov,
    });
    let states = parse_states(c, kind, errors);
    let transitions = parse_transitions(c, &states, errors);
    let min = c.f64("min", errors);
    let max = c.f64("max", errors);
    let noise = c.f64("noise", errors).unwrap_or(0.0);
    if noise < 0.0 {
        errors.push(c.err("noise", format!("{noise} is negative")));
    }
    let period_ms = c.duration("period", errors).unwrap_or(match profile {
        Profile::Sine => 86_400_000,
        Profile::Walk => 3_600_000,
        Profile::Batch => 8 * 3_600_000,
        Profile::Markov => 600_000,
        Profile::Steady | Profile::Counter => 0,
    });
    if period_ms == 0
        && matches!(
            profile,
            Profile::Sine | Profile::Walk | Profile::Batch | Profile::Markov
        )
    {
        errors.push(c.err(
            "period",
            format!("a {profile} profile needs a period longer than zero"),
        ));
    }
    let amplitude = c.f64("amplitude", errors).unwrap_or(0.0);
    let follows = parse_follows(c, errors);
    let when = parse_when(c, errors);

    let reg_type_cell = c.name("type", RegType::from_name, RegType::expected(), errors);
    let reg_type = reg_type_cell.unwrap_or(if kind == Kind::Bool {
        RegType::Bool
    } else {
        RegType::F32
    });
    let table = c
        .name("table", Table::from_name, Table::expected(), errors)
        .unwrap_or(if reg_type == RegType::Bool {
            Table::Coil
        } else {
            Table::Holding
        });
    let order = c
        .name("order", WordOrder::from_name, WordOrder::expected(), errors)
        .unwrap_or(WordOrder::Abcd);
    let unit_id = match c.get("unit_id") {
        "" => 1,
        s => s.parse::<u8>().unwrap_or_else(|_| {
            errors.push(c.err("unit_id", format!("{s:?} is not a unit id from 0 to 255")));
            1
        }),
    };
    let address = match c.get("address") {
        "" => None,
        s => match s.parse::<u16>() {
            Ok(a) => Some(a),
            Err(_) => {
                errors.push(c.err(
                    "address",
                    format!("{s:?} is not an address from 0 to 65535"),
                ));
                None
            }
        },
    };
    let scale = c.f64("scale", errors).unwrap_or(1.0);
    if scale == 0.0 {
        errors.push(c.err("scale", "must not be 0".into()));
    }
    let offset = c.f64("offset", errors).unwrap_or(0.0);
    let alarms = Alarms {
        lo_lo: c.f64("lo_lo", errors),
        lo: c.f64("lo", errors),
        hi: c.f64("hi", errors),
        hi_hi: c.f64("hi_hi", errors),
        deadband: c.f64("deadband", errors).unwrap_or(0.0),
        delay_ms: c.duration("delay", errors).unwrap_or(0),
    };
    if alarms.deadband < 0.0 {
        errors.push(c.err("deadband", format!("{} is negative", alarms.deadband)));
    }
    let mut row = TagRow {
        line: c.line,
        asset,
        tag,
        unit: c.get("unit").to_string(),
        description: c.get("description").to_string(),
        kind,
        states,
        transitions,
        nominal: 0.0,
        min,
        max,
        noise,
        profile,
        period_ms,
        amplitude,
        follows,
        when,
        modbus: Modbus {
            unit_id,
            table,
            address,
            reg_type,
            order,
            scale,
            offset,
        },
        alarms,
    };
    row.nominal = match c.f64("nominal", errors) {
        Some(v) => v,
        None => match row.normal_range() {
            (Some(lo), Some(hi)) => (lo + hi) / 2.0,
            (Some(v), None) | (None, Some(v)) => v,
            (None, None) => 0.0,
        },
    };
    (errors.len() == before).then_some(row)
}

fn parse_states(c: &Cells<'_>, kind: Kind, errors: &mut Vec<ModelError>) -> Vec<StateDef> {
    let cell = c.get("states");
    if cell.is_empty() {
        return if kind == Kind::Bool {
            ["OFF", "ON"]
                .iter()
                .map(|n| StateDef {
                    name: n.to_string(),
                    dwell_ms: None,
                })
                .collect()
        } else {
            Vec::new()
        };
    }
    let mut out = Vec::new();
    for part in cell.split('|').map(str::trim) {
        let (name, dwell) = match part.split_once(':') {
            Some((n, d)) => (n.trim(), Some(d.trim())),
            None => (part, None),
        };
        if name.is_empty() {
            errors.push(c.err("states", format!("empty state name in {cell:?}")));
            continue;
        }
        let dwell_ms = match dwell {
            None => None,
            Some(d) => match time::parse_positive_millis(d) {
                Ok(ms) => Some(ms),
                Err(e) => {
                    errors.push(c.err("states", format!("dwell of {name}: {e:#}")));
                    None
                }
            },
        };
        if out.iter().any(|s: &StateDef| s.name == name) {
            errors.push(c.err("states", format!("state {name:?} is listed twice")));
        }
        out.push(StateDef {
            name: name.to_string(),
            dwell_ms,
        });
    }
    out
}

fn parse_transitions(
    c: &Cells<'_>,
    states: &[StateDef],
    errors: &mut Vec<ModelError>,
) -> Vec<Transition> {
    let cell = c.get("transitions");
    if cell.is_empty() {
        return Vec::new();
    }
    let find = |name: &str| states.iter().position(|s| s.name == name);
    let mut out = Vec::new();
    for part in cell.split('|').map(str::trim) {
        let (pair, weight) = match part.split_once(':') {
            Some((p, w)) => (
                p,
                w.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|w| *w > 0.0 && w.is_finite()),
            ),
            None => (part, Some(1.0)),
        };
        let Some(weight) = weight else {
            errors.push(c.err(
                "transitions",
                format!("{part:?}: the weight must be a number above 0"),
            ));
            continue;
        };
        let Some((from, to)) = pair.split_once('>') else {
            errors.push(c.err("transitions", format!("{part:?} is not FROM>TO[:WEIGHT]")));
            continue;
        };
        match (find(from.trim()), find(to.trim())) {
            (Some(from), Some(to)) => out.push(Transition { from, to, weight }),
            (f, _) => {
                let missing = if f.is_none() { from.trim() } else { to.trim() };
                errors.push(c.err(
                    "transitions",
                    format!("{part:?}: {missing:?} is not one of the row's states"),
                ));
            }
        }
    }
    out
}

fn parse_follows(c: &Cells<'_>, errors: &mut Vec<ModelError>) -> Vec<Follow> {
    let cell = c.get("follows");
    if cell.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for part in cell.split('|').map(str::trim) {
        match part.split_once(':') {
            Some((tag, gain)) if !tag.trim().is_empty() => match gain.trim().parse::<f64>() {
                Ok(g) if g.is_finite() => out.push(Follow {
                    tag: tag.trim().to_string(),
                    gain: g,
                }),
                _ => errors.push(c.err(
                    "follows",
                    format!("{part:?}: the gain {gain:?} is not a number"),
                )),
            },
            _ => errors.push(c.err("follows", format!("{part:?} is not TAG:GAIN"))),
        }
    }
    out
}

fn parse_when(c: &Cells<'_>, errors: &mut Vec<ModelError>) -> Option<When> {
    let cell = c.get("when");
    if cell.is_empty() {
        return None;
    }
    match cell.split_once('=') {
        Some((tag, states)) if !tag.trim().is_empty() && !states.trim().is_empty() => Some(When {
            tag: tag.trim().to_string(),
            states: states.split('|').map(|s| s.trim().to_string()).collect(),
        }),
        _ => {
            errors.push(c.err("when", format!("{cell:?} is not TAG=STATE[|STATE]")));
            None
        }
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
