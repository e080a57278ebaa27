//! What `iiot model check` finds beyond single cells: rules that span a
//! row's cells (limits in order, kinds and profiles that fit) and rules that
//! span rows (duplicates, overlapping registers, references to other tags).

use std::collections::{BTreeMap, HashMap};

use super::{Kind, Model, ModelError, Profile, RegType, Table, TagRow};

/// Every problem in a parsed model, in line order.
pub fn check(model: &Model) -> Vec<ModelError> {
    let mut errors = Vec::new();
    for row in &model.rows {
        check_row(row, &mut errors);
    }
    check_duplicates(model, &mut errors);
    check_references(model, &mut errors);
    check_formulas(model, &mut errors);
    check_registers(model, &mut errors);
    errors.sort_by_key(|e| e.line);
    errors
}

fn err(row: &TagRow, column: &str, message: String) -> ModelError {
    ModelError {
        line: row.line,
        column: Some(column.to_string()),
        message,
    }
}

fn check_row(row: &TagRow, errors: &mut Vec<ModelError>) {
    if let (Some(min), Some(max)) = (row.min, row.max)
        && min >= max
    {
        errors.push(err(row, "max", format!("max {max} is not above min {min}")));
    }
    let a = &row.alarms;
    let limits = [
        ("lo_lo", a.lo_lo),
        ("lo", a.lo),
        ("hi", a.hi),
        ("hi_hi", a.hi_hi),
    ];
    let set: Vec<(&str, f64)> = limits
        .iter()
        .filter_map(|(n, v)| v.map(|v| (*n, v)))
        .collect();
    for pair in set.windows(2) {
        let ((n1, v1), (n2, v2)) = (pair[0], pair[1]);
        if v1 > v2 {
            errors.push(err(
                row,
                n2,
                format!("{n2} {v2} is below {n1} {v1}; limits must be lo_lo <= lo <= hi <= hi_hi"),
            ));
        }
    }
    if row.kind == Kind::Analog {
        if let Some(min) = row.min
            && row.nominal < min
        {
            errors.push(err(
                row,
                "nominal",
                format!("nominal {} is below min {min}", row.nominal),
            ));
        }
        if let Some(max) = row.max
            && row.nominal > max
        {
            errors.push(err(
                row,
                "nominal",
                format!("nominal {} is above max {max}", row.nominal),
            ));
        }
    }
    let fits = match row.kind {
        Kind::Analog => !matches!(row.profile, Profile::Markov | Profile::Counter),
        Kind::Counter => row.profile == Profile::Counter,
        Kind::State | Kind::Bool => row.profile == Profile::Markov,
    };
    if !fits {
        errors.push(err(
            row,
            "profile",
            format!("a {} tag cannot have the {} profile", row.kind, row.profile),
        ));
    }
    match row.kind {
        Kind::State if row.states.len() < 2 => {
            errors.push(err(
                row,
                "states",
                "a state tag needs at least two states (IDLE|RUNNING)".into(),
            ));
        }
        Kind::Bool if row.states.len() != 2 => {
            errors.push(err(
                row,
                "states",
                "a bool tag has exactly two states (OFF|ON)".into(),
            ));
        }
        Kind::Analog | Kind::Counter if !row.states.is_empty() => {
            errors.push(err(
                row,
                "states",
                format!("a {} tag has no states", row.kind),
            ));
        }
        _ => {}
    }
    if row.kind == Kind::Counter && row.nominal < 0.0 {
        errors.push(err(
            row,
            "nominal",
            "a counter's rate cannot be negative".into(),
        ));
    }
    check_register_type(row, errors);
}

fn check_register_type(row: &TagRow, errors: &mut Vec<ModelError>) {
    let m = &row.modbus;
    let bit_table = matches!(m.table, Table::Coil | Table::Discrete);
    if bit_table && m.reg_type != RegType::Bool {
        errors.push(err(
            row,
            "type",
            format!(
                "a {} holds single bits: the type must be bool, not {}",
                m.table, m.reg_type
            ),
        ));
    }
    if let Some(bit) = m.bit {
        if bit_table {
            errors.push(err(
                row,
                "bit",
                format!("a {} holds single bits already: leave bit empty", m.table),
            ));
        } else if !matches!(m.reg_type, RegType::Bool | RegType::U16) {
            errors.push(err(
                row,
                "type",
                format!(
                    "bit {bit} of a register is 0 or 1: the type must be bool, not {}",
                    m.reg_type
                ),
            ));
        }
    }
    if matches!(m.reg_type, RegType::Str(_)) && row.kind != Kind::State && row.kind != Kind::Analog
    {
        errors.push(err(
            row,
            "type",
            format!("a {} tag cannot be held as text ({})", row.kind, m.reg_type),
        ));
    }
    if let Some(address) = m.address {
        let width = if bit_table || m.bit.is_some() {
            1
        } else {
            m.reg_type.registers()
        };
        if u32::from(address) + width > 65_536 {
            errors.push(err(
                row,
                "address",
                format!(
                    "{} at {address} runs past the last address 65535",
                    m.reg_type
                ),
            ));
        }
    }
    if let Some((lo, hi)) = m.reg_type.int_range() {
        for (col, v) in [("min", row.min), ("max", row.max)] {
            let Some(v) = v else { continue };
            let raw = ((v - m.offset) / m.scale).round();
            if raw < lo || raw > hi {
                errors.push(err(
                    row,
                    col,
                    format!(
                        "{col} {v} does not fit {} at scale {} and offset {} (raw {raw}, range {lo} to {hi})",
                        m.reg_type, m.scale, m.offset
                    ),
                ));
            }
        }
    }
}

fn check_duplicates(model: &Model, errors: &mut Vec<ModelError>) {
    let mut first: HashMap<(&str, &str), u64> = HashMap::new();
    for row in &model.rows {
        if let Some(line) = first.insert((&row.asset, &row.tag), row.line) {
            errors.push(err(
                row,
                "tag",
                format!(
                    "{}/{} is already defined on line {line}",
                    row.asset, row.tag
                ),
            ));
            first.insert((&row.asset, &row.tag), line);
        }
    }
}

/// `follows` and `when` name other tags of the same asset; `follows` must
/// not go round in a circle.
fn check_references(model: &Model, errors: &mut Vec<ModelError>) {
    let mut by_asset: HashMap<&str, HashMap<&str, &TagRow>> = HashMap::new();
    for row in &model.rows {
        by_asset
            .entry(&row.asset)
            .or_default()
            .insert(&row.tag, row);
    }
    for row in &model.rows {
        let tags = &by_asset[row.asset.as_str()];
        for f in &row.follows {
            match tags.get(f.tag.as_str()) {
                None => errors.push(err(
                    row,
                    "follows",
                    format!("{} has no tag {:?}", row.asset, f.tag),
                )),
                Some(_) if f.tag == row.tag => {
                    errors.push(err(row, "follows", "a tag cannot follow itself".into()));
                }
                Some(d) if d.kind != Kind::Analog => errors.push(err(
                    row,
                    "follows",
                    format!(
                        "{:?} is a {} tag; only analog tags can be followed",
                        f.tag, d.kind
                    ),
                )),
                Some(_) => {}
            }
        }
        if !row.follows.is_empty() && row.kind != Kind::Analog {
            errors.push(err(
                row,
                "follows",
                format!("a {} tag cannot follow others", row.kind),
            ));
        }
        if let Some(w) = &row.when {
            match tags.get(w.tag.as_str()) {
                None => errors.push(err(
                    row,
                    "when",
                    format!("{} has no tag {:?}", row.asset, w.tag),
                )),
                Some(s) if !matches!(s.kind, Kind::State | Kind::Bool) => errors.push(err(
                    row,
                    "when",
                    format!(
                        "{:?} is a {} tag; `when` needs a state or bool tag",
                        w.tag, s.kind
                    ),
                )),
                Some(s) => {
                    for name in &w.states {
                        if !s.states.iter().any(|d| &d.name == name) {
                            errors.push(err(
                                row,
                                "when",
                                format!("{:?} has no state {name:?}", w.tag),
                            ));
                        }
                    }
                }
            }
        }
        if follows_cycle(row, tags) {
            errors.push(err(
                row,
                "follows",
                format!("{} follows round in a circle back to itself", row.tag),
            ));
        }
    }
}

fn follows_cycle(start: &TagRow, tags: &HashMap<&str, &TagRow>) -> bool {
    let mut stack: Vec<&str> = start.follows.iter().map(|f| f.tag.as_str()).collect();
    let mut seen: Vec<&str> = Vec::new();
    while let Some(t) = stack.pop() {
        if t == start.tag {
            return true;
        }
        if seen.contains(&t) {
            continue;
        }
        seen.push(t);
        if let Some(r) = tags.get(t) {
            stack.extend(r.follows.iter().map(|f| f.tag.as_str()));
        }
    }
    false
}

/// A register span: first address, one past the last, and its row.
type Span<'a> = (u32, u32, &'a TagRow);

/// Registers of one host, unit id and table must not overlap; rows with a
/// `bit` may share a register as long as their bits differ.
fn check_registers(model: &Model, errors: &mut Vec<ModelError>) {
    let mut spans: BTreeMap<(&str, u8, Table), Vec<Span<'_>>> = BTreeMap::new();
    let mut bits: HashMap<(&str, u8, Table, u16, u8), &TagRow> = HashMap::new();
    for row in &model.rows {
        let m = &row.modbus;
        let Some(address) = m.address else { continue };
        if let Some(bit) = m.bit {
            match bits.get(&(m.host.as_str(), m.unit_id, m.table, address, bit)) {
                Some(first) => errors.push(err(
                    row,
                    "bit",
                    format!(
                        "unit {} {} {address} bit {bit} is already {}/{} (line {})",
                        m.unit_id, m.table, first.asset, first.tag, first.line
                    ),
                )),
                None => {
                    bits.insert((m.host.as_str(), m.unit_id, m.table, address, bit), row);
                }
            }
        }
        let width = if matches!(m.table, Table::Coil | Table::Discrete) || m.bit.is_some() {
            1
        } else {
            m.reg_type.registers()
        };
        let start = u32::from(address);
        spans
            .entry((m.host.as_str(), m.unit_id, m.table))
            .or_default()
            .push((start, start + width, row));
    }
    for ((_, unit, table), mut list) in spans {
        list.sort_by_key(|(start, _, row)| (*start, row.line));
        // The span reaching furthest so far: a wide register can overlap
        // more than its next neighbour.
        let mut widest: Option<Span<'_>> = None;
        for span in list {
            let (s2, e2, r2) = span;
            if let Some((s1, e1, r1)) = widest {
                let shared_bits = r1.modbus.bit.is_some() && r2.modbus.bit.is_some() && s1 == s2;
                if s2 < e1 && !shared_bits {
                    errors.push(err(
                        r2,
                        "address",
                        format!(
                            "unit {unit} {table} {s2} overlaps {}/{} at {s1}..{} (line {})",
                            r1.asset,
                            r1.tag,
                            e1 - 1,
                            r1.line
                        ),
                    ));
                }
                if e2 <= e1 {
                    continue;
                }
            }
            widest = Some(span);
        }
    }
}

/// A formula names tags of its own asset, is on an analog row that is not
/// also simulated from others (`follows`), and does not depend on itself
/// through other formulas.
fn check_formulas(model: &Model, errors: &mut Vec<ModelError>) {
    let mut by_asset: HashMap<&str, HashMap<&str, &TagRow>> = HashMap::new();
    for row in &model.rows {
        by_asset
            .entry(&row.asset)
            .or_default()
            .insert(&row.tag, row);
    }
    for row in &model.rows {
        let Some(f) = &row.formula else { continue };
        let tags = &by_asset[row.asset.as_str()];
        if row.kind != Kind::Analog {
            errors.push(err(
                row,
                "formula",
                format!(
                    "a {} tag cannot be computed; formulas are for analog tags",
                    row.kind
                ),
            ));
        }
        if !row.follows.is_empty() {
            errors.push(err(
                row,
                "formula",
                "a computed tag cannot also follow others".into(),
            ));
        }
        for input in &f.inputs {
            match tags.get(input.as_str()) {
                None => errors.push(err(
                    row,
                    "formula",
                    format!("{} has no tag {input:?}", row.asset),
                )),
                Some(_) if *input == row.tag => errors.push(err(
                    row,
                    "formula",
                    format!("{input} is computed from itself"),
                )),
                Some(_) => {}
            }
        }
        if f.inputs.iter().all(|i| *i != row.tag) && formula_cycle(row, tags) {
            errors.push(err(
                row,
                "formula",
                format!("{} is computed round in a circle from itself", row.tag),
            ));
        }
    }
}

fn formula_cycle(start: &TagRow, tags: &HashMap<&str, &TagRow>) -> bool {
    let inputs =
        |r: &TagRow| -> Vec<String> { r.formula.as_ref().map_or(Vec::new(), |f| f.inputs.clone()) };
    let mut stack = inputs(start);
    let mut seen: Vec<String> = Vec::new();
    while let Some(t) = stack.pop() {
        if t == start.tag {
            return true;
        }
        if seen.contains(&t) {
            continue;
        }
        if let Some(r) = tags.get(t.as_str()) {
            stack.extend(inputs(r));
        }
        seen.push(t);
    }
    false
}
