//! The register map built from the model: the points (one per tag with an
//! address) and the register banks `modbus-serve` holds per unit id, each
//! table spanning its lowest to its highest mapped address. The read
//! requests `poll` sends are planned from the points in `plan`.

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

/// One table of one unit as a server holds it: the values of the span
/// from its lowest mapped address to one past its highest, and the runs of
/// addresses that some point covers. The rest of the span is holes, which
/// read as 0 and take no writes; a table with nothing mapped is empty and
/// every address is outside it.
#[derive(Debug, Clone, Default)]
pub struct TableBank<T> {
    /// The span's first address.
    pub start: u32,
    pub values: Vec<T>,
    /// Covered runs of addresses, `[first, one past the last)`, sorted and
    /// merged where they touch.
    covered: Vec<(u32, u32)>,
}

impl<T: Copy + Default> TableBank<T> {
    /// A table covering `runs` (each `[first, one past the last)`), all zero.
    fn new(mut runs: Vec<(u32, u32)>) -> TableBank<T> {
        runs.sort_unstable();
        let mut covered: Vec<(u32, u32)> = Vec::with_capacity(runs.len());
        for (s, e) in runs {
            match covered.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => covered.push((s, e)),
            }
        }
        let (start, end) = match (covered.first(), covered.last()) {
            (Some(f), Some(l)) => (f.0, l.1),
            _ => (0, 0),
        };
        TableBank {
            start,
            values: vec![T::default(); (end - start) as usize],
            covered,
        }
    }

    /// One past the span's last address.
    pub fn end(&self) -> u32 {
        self.start + self.values.len() as u32
    }

    /// Where addresses `a .. a + n` sit in `values`, or `None` when any of
    /// them is outside the span, or (`strict`) in a hole.
    pub fn range(&self, a: u16, n: u16, strict: bool) -> Option<std::ops::Range<usize>> {
        let (s, e) = (u32::from(a), u32::from(a) + u32::from(n));
        if s < self.start || e > self.end() || n == 0 {
            return None;
        }
        if strict && !self.covers(s, e) {
            return None;
        }
        Some((s - self.start) as usize..(e - self.start) as usize)
    }

    /// Whether every address of `[s, e)` is covered by one run.
    fn covers(&self, s: u32, e: u32) -> bool {
        let k = self.covered.partition_point(|&(_, end)| end <= s);
        self.covered
            .get(k)
            .is_some_and(|&(rs, re)| rs <= s && e <= re)
    }

    /// The parts of `values` at `a .. a + n` that points cover, each with
    /// its offset from `a`: a write lands there and nowhere else.
    pub fn covered_parts(
        &self,
        a: u16,
        n: u16,
    ) -> impl Iterator<Item = (usize, std::ops::Range<usize>)> + '_ {
        let (s, e) = (u32::from(a), u32::from(a) + u32::from(n));
        let k = self.covered.partition_point(|&(_, end)| end <= s);
        self.covered[k..]
            .iter()
            .take_while(move |&&(rs, _)| rs < e)
            .map(move |&(rs, re)| {
                let (ps, pe) = (rs.max(s), re.min(e));
                (
                    (ps - s) as usize,
                    (ps - self.start) as usize..(pe - self.start) as usize,
                )
            })
    }

    /// The index in `values` of a point's first address.
    pub fn index(&self, address: u16) -> usize {
        (u32::from(address).saturating_sub(self.start)) as usize
    }
}

/// The four tables of one unit id.
#[derive(Debug, Default, Clone)]
pub struct UnitBank {
    pub holding: TableBank<u16>,
    pub input: TableBank<u16>,
    pub coils: TableBank<bool>,
    pub discrete: TableBank<bool>,
}

impl UnitBank {
    pub fn registers(&self, t: Table) -> &TableBank<u16> {
        if t == Table::Input {
            &self.input
        } else {
            &self.holding
        }
    }

    pub fn registers_mut(&mut self, t: Table) -> &mut TableBank<u16> {
        if t == Table::Input {
            &mut self.input
        } else {
            &mut self.holding
        }
    }

    pub fn bits(&self, t: Table) -> &TableBank<bool> {
        if t == Table::Discrete {
            &self.discrete
        } else {
            &self.coils
        }
    }

    pub fn bits_mut(&mut self, t: Table) -> &mut TableBank<bool> {
        if t == Table::Discrete {
            &mut self.discrete
        } else {
            &mut self.coils
        }
    }
}

/// Every unit's bank, all zero, each table spanning its points.
pub fn banks(points: &[Point]) -> HashMap<u8, UnitBank> {
    let mut runs: HashMap<(u8, Table), Vec<(u32, u32)>> = HashMap::new();
    for p in points {
        let s = u32::from(p.address);
        runs.entry((p.unit_id, p.table))
            .or_default()
            .push((s, s + u32::from(p.width())));
    }
    let mut units: HashMap<u8, UnitBank> = HashMap::new();
    for ((unit, table), r) in runs {
        let bank = units.entry(unit).or_default();
        if is_bit_table(table) {
            *bank.bits_mut(table) = TableBank::new(r);
        } else {
            *bank.registers_mut(table) = TableBank::new(r);
        }
    }
    units
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
