//! Reading the model CSV: the header against the known columns, then each
//! row's cells into a [`TagRow`] with its defaults resolved. Every bad cell
//! is reported with its line and column; a row with one is left out.

use std::collections::HashMap;

use super::{
    Alarms, COLUMNS, Follow, Kind, Modbus, ModelError, Profile, RegType, StateDef, Table, TagRow,
    Transition, When, WordOrder,
};
use crate::time;

/// Parses the cells of every row, collecting errors.
pub(super) fn parse_rows(text: &str, errors: &mut Vec<ModelError>) -> Vec<TagRow> {
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
        match time::parse_nonneg_millis(s) {
            Ok(ms) => Some(ms),
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
    let formula = match c.get("formula") {
        "" => None,
        text => match super::Formula::parse(text) {
            Ok(f) => Some(f),
            Err(e) => {
                errors.push(c.err("formula", format!("{text:?} {e}")));
                None
            }
        },
    };

    let modbus = parse_modbus(c, kind, errors);
    let alarms = parse_alarms(c, errors);
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
        formula,
        modbus,
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

/// The row's place on the Modbus map: type, table, order, unit id,
/// address, bit, host, scale and offset.
fn parse_modbus(c: &Cells<'_>, kind: Kind, errors: &mut Vec<ModelError>) -> Modbus {
    let reg_type_cell = c.name("type", RegType::from_name, RegType::expected(), errors);
    let reg_type = reg_type_cell.unwrap_or(if kind == Kind::Bool || !c.get("bit").is_empty() {
        RegType::Bool
    } else {
        RegType::F32
    });
    let table = c
        .name("table", Table::from_name, Table::expected(), errors)
        .unwrap_or(if reg_type == RegType::Bool && c.get("bit").is_empty() {
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
    let bit = match c.get("bit") {
        "" => None,
        s => match s.parse::<u8>() {
            Ok(b) if b < 16 => Some(b),
            _ => {
                errors.push(c.err("bit", format!("{s:?} is not a bit number from 0 to 15")));
                None
            }
        },
    };
    let host = c.get("host").to_string();
    if !host.is_empty() && !valid_host(&host) {
        errors.push(c.err("host", format!("{host:?} is not HOST:PORT")));
    }
    let scale = c.f64("scale", errors).unwrap_or(1.0);
    if scale == 0.0 {
        errors.push(c.err("scale", "must not be 0".into()));
    }
    let offset = c.f64("offset", errors).unwrap_or(0.0);
    Modbus {
        host,
        unit_id,
        table,
        address,
        bit,
        reg_type,
        order,
        scale,
        offset,
    }
}

/// The row's alarm limits, deadband and on-delay.
fn parse_alarms(c: &Cells<'_>, errors: &mut Vec<ModelError>) -> Alarms {
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
    alarms
}

/// `HOST:PORT` with a port from 1 to 65535 (`[::1]:502` for IPv6).
fn valid_host(s: &str) -> bool {
    match s.rsplit_once(':') {
        Some((h, p)) => !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0),
        None => false,
    }
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
