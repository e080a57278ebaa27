//! The register map built from the model: the points (one per tag with an
//! address) and the register banks `modbus-serve` holds per unit id. The
//! read requests `poll` sends are planned from the points in `plan`.

use std::collections::HashMap;

use super::codec::Layout;
use crate::model::{Kind, Model, RegType, Table};

/// Most registers one read may ask for (Modbus Application Protocol
/// Specification, function codes 3 and 4: 125).
pub const MAX_REGS: u16 = 125;
/// Most coils or discrete inputs one read may ask for (function codes 1
/// and 2: 2000).
pub const MAX_BITS: u16 = 2000;

/// One tag on the map.
#[derive(Debug, Clone)]
pub struct Point {
    pub asset: String,
    pub tag: String,
    pub unit: String,
    pub kind: Kind,
    /// State names by code, for `text`.
    pub states: Vec<String>,
    pub host: String,
    pub unit_id: u8,
    pub table: Table,
    pub address: u16,
    pub layout: Layout,
}

impl Point {
    /// Registers (or bits) the point covers.
    pub fn width(&self) -> u16 {
        if is_bit_table(self.table) {
            1
        } else {
            self.layout.width() as u16
        }
    }

    pub fn is_text(&self) -> bool {
        matches!(self.layout.reg_type, RegType::Str(_))
    }
}

pub fn is_bit_table(t: Table) -> bool {
    matches!(t, Table::Coil | Table::Discrete)
}

/// The points of a model: every row with an address.
pub fn points(model: &Model) -> Vec<Point> {
    model
        .rows
        .iter()
        .filter_map(|r| {
            let m = &r.modbus;
            Some(Point {
                asset: r.asset.clone(),
                tag: r.tag.clone(),
                unit: r.unit.clone(),
                kind: r.kind,
                states: r.states.iter().map(|s| s.name.clone()).collect(),
                host: m.host.clone(),
                unit_id: m.unit_id,
                table: m.table,
                address: m.address?,
                layout: Layout {
                    reg_type: m.reg_type,
                    order: m.order,
                    scale: m.scale,
                    offset: m.offset,
                    bit: m.bit,
                },
            })
        })
        .collect()
}

/// The four tables of one unit id, each as long as its furthest point.
#[derive(Debug, Default, Clone)]
pub struct UnitBank {
    pub holding: Vec<u16>,
    pub input: Vec<u16>,
    pub coils: Vec<bool>,
    pub discrete: Vec<bool>,
}

impl UnitBank {
    pub fn registers_mut(&mut self, t: Table) -> &mut Vec<u16> {
        if t == Table::Input {
            &mut self.input
        } else {
            &mut self.holding
        }
    }

    pub fn bits_mut(&mut self, t: Table) -> &mut Vec<bool> {
        if t == Table::Discrete {
            &mut self.discrete
        } else {
            &mut self.coils
        }
    }
}

/// Every unit's bank, and where each point lives.
#[derive(Debug, Default)]
pub struct Banks {
    pub units: HashMap<u8, UnitBank>,
}

impl Banks {
    /// Banks sized to hold every point, all zero.
    pub fn new(points: &[Point]) -> Banks {
        let mut units: HashMap<u8, UnitBank> = HashMap::new();
        for p in points {
            let bank = units.entry(p.unit_id).or_default();
            let end = usize::from(p.address) + usize::from(p.width());
            if is_bit_table(p.table) {
                let v = bank.bits_mut(p.table);
                if v.len() < end {
                    v.resize(end, false);
                }
            } else {
                let v = bank.registers_mut(p.table);
                if v.len() < end {
                    v.resize(end, 0);
                }
            }
        }
        Banks { units }
    }
}

/// Finds points by asset and tag without allocating per lookup.
#[derive(Debug, Default)]
pub struct PointIndex {
    by_key: HashMap<String, usize>,
    key: String,
}

impl PointIndex {
    pub fn new(points: &[Point]) -> PointIndex {
        let mut by_key = HashMap::with_capacity(points.len());
        for (i, p) in points.iter().enumerate() {
            by_key.insert(format!("{}\0{}", p.asset, p.tag), i);
        }
        PointIndex {
            by_key,
            key: String::new(),
        }
    }

    pub fn find(&mut self, asset: &str, tag: &str) -> Option<usize> {
        self.key.clear();
        self.key.push_str(asset);
        self.key.push('\0');
        self.key.push_str(tag);
        self.by_key.get(self.key.as_str()).copied()
    }
}
