//! What a server serves, swapped whole when the model is read again: the
//! points, the register banks per unit id, the index from asset and tag
//! to point, and where each point sits for finding what a write touched.

use std::collections::HashMap;

use super::Written;
use crate::modbus::decode_point;
use crate::modbus::map::{self, Point, PointIndex, UnitBank, is_bit_table};
use crate::model::Table;

/// A point's first address, one past its last, and its index.
type Place = (u32, u32, usize);

/// The points served and their banks.
pub struct State {
    pub points: Vec<Point>,
    pub units: HashMap<u8, UnitBank>,
    index: PointIndex,
    /// Per unit and table: where every point sits, in address order.
    places: HashMap<(u8, Table), Vec<Place>>,
}

/// What became of a reading given to [`State::store`].
pub enum Stored {
    Yes,
    /// No point has its asset and tag.
    NotOnMap,
    /// Its value (or text) does not fit its registers; they are unchanged.
    Refused {
        why: String,
        text: bool,
    },
}

impl State {
    /// Banks for `points`, all zero.
    pub fn new(points: Vec<Point>) -> State {
        let units = map::banks(&points);
        let index = PointIndex::new(&points);
        let mut places: HashMap<(u8, Table), Vec<Place>> = HashMap::new();
        for (i, p) in points.iter().enumerate() {
            let s = u32::from(p.address);
            places
                .entry((p.unit_id, p.table))
                .or_default()
                .push((s, s + u32::from(p.width()), i));
        }
        for v in places.values_mut() {
            v.sort_unstable();
        }
        State {
            points,
            units,
            index,
            places,
        }
    }

    /// Banks for `points` holding the values `old` holds for the same
    /// asset and tag: the registers as they are when the tag's place and
    /// layout are unchanged, else its value decoded and encoded again (a
    /// value that no longer fits stays 0). Returns the state and how many
    /// tags kept their value.
    pub fn carry(points: Vec<Point>, old: &mut State) -> (State, usize) {
        let mut new = State::new(points);
        let mut kept = 0;
        let mut scratch = [0u16; 125];
        for i in 0..new.points.len() {
            let p = &new.points[i];
            let Some(j) = old.index.find(&p.asset, &p.tag) else {
                continue;
            };
            let q = &old.points[j];
            let Some(from) = old.units.get(&q.unit_id) else {
                continue;
            };
            let Some(to) = new.units.get_mut(&p.unit_id) else {
                continue;
            };
            let same = p.unit_id == q.unit_id
                && p.table == q.table
                && p.address == q.address
                && p.layout == q.layout;
            if same && !is_bit_table(p.table) && p.layout.bit.is_none() {
                let w = usize::from(p.width());
                let (a, b) = (
                    from.registers(q.table).index(q.address),
                    to.registers(p.table).index(p.address),
                );
                if let (Some(src), Some(dst)) = (
                    from.registers(q.table).values.get(a..a + w),
                    to.registers_mut(p.table).values.get_mut(b..b + w),
                ) {
                    dst.copy_from_slice(src);
                    kept += 1;
                }
                continue;
            }
            let (value, text) = decode_point(q, from);
            if encode(p, to, value, &text, &mut scratch).is_ok() {
                kept += 1;
            }
        }
        (new, kept)
    }

    /// Writes one reading into its point's registers (or bit).
    pub fn store(&mut self, asset: &str, tag: &str, value: f64, text: &str) -> Stored {
        let Some(i) = self.index.find(asset, tag) else {
            return Stored::NotOnMap;
        };
        let p = &self.points[i];
        let Some(bank) = self.units.get_mut(&p.unit_id) else {
            return Stored::NotOnMap;
        };
        let mut scratch = [0u16; 125];
        match encode(p, bank, value, text, &mut scratch) {
            Ok(()) => Stored::Yes,
            Err(why) => Stored::Refused {
                why,
                text: p.is_text(),
            },
        }
    }

    /// The new value of every tag a write to `count` addresses of `table`
    /// from `start` touched.
    pub fn touched(&self, unit: u8, table: Table, start: u16, count: u16, out: &mut Vec<Written>) {
        let (Some(places), Some(bank)) = (self.places.get(&(unit, table)), self.units.get(&unit))
        else {
            return;
        };
        let (ws, we) = (u32::from(start), u32::from(start) + u32::from(count));
        let ts = crate::time::now_ms();
        for &(s, e, i) in places {
            if s >= we {
                break;
            }
            if e <= ws {
                continue;
            }
            let p = &self.points[i];
            let (value, text) = decode_point(p, bank);
            out.push(Written {
                ts,
                asset: p.asset.clone(),
                tag: p.tag.clone(),
                unit: p.unit.clone(),
                value,
                text,
            });
        }
    }

    /// Unit ids served.
    pub fn unit_ids(&self) -> usize {
        self.units.len()
    }
}

/// Encodes a value into a point's registers (or bit), leaving them as they
/// were when it does not fit; the error says why.
fn encode(
    p: &Point,
    bank: &mut UnitBank,
    value: f64,
    text: &str,
    scratch: &mut [u16; 125],
) -> Result<(), String> {
    if is_bit_table(p.table) {
        let t = bank.bits_mut(p.table);
        let i = t.index(p.address);
        if let Some(b) = t.values.get_mut(i) {
            *b = value != 0.0;
        }
        return Ok(());
    }
    let w = usize::from(p.width());
    let t = bank.registers_mut(p.table);
    let i = t.index(p.address);
    let Some(target) = t.values.get_mut(i..i + w) else {
        return Err("its registers are outside the bank".into());
    };
    // Encode into a copy first, so a value that does not fit leaves the
    // registers as they were.
    let buf = &mut scratch[..w];
    buf.copy_from_slice(target);
    if p.is_text() {
        p.layout.encode_text(text, buf).map_err(|e| e.to_string())?;
    } else {
        p.layout
            .encode(value, buf)
            .map_err(|e| format!("{} {}: {e}", p.layout.reg_type, p.table))?;
    }
    target.copy_from_slice(buf);
    Ok(())
}
