//! Modbus TCP for `modbus-serve` and `poll`: the register codec, the map
//! built from the model, the server side (on tokio-modbus), the requests a
//! poll sends and the pipelined client. tokio lives only here; the two
//! verbs turn their options into the plain configs these modules take.

pub(crate) mod client;
pub mod codec;
pub mod map;
pub(crate) mod plan;
pub(crate) mod server;

use crate::model::Kind;
use map::{Point, UnitBank, is_bit_table};

/// A point's value (and `text`: a string register's characters, or a
/// state's name) read from registers or bits starting at the point.
pub fn decode_slice(p: &Point, regs: &[u16], bits: &[bool]) -> (f64, String) {
    let mut text = String::new();
    if is_bit_table(p.table) {
        return (
            f64::from(u8::from(bits.first().copied().unwrap_or(false))),
            text,
        );
    }
    if p.is_text() {
        p.layout.decode_text(regs, &mut text);
        return (text.chars().count() as f64, text);
    }
    let v = p.layout.decode(regs);
    if p.kind == Kind::State
        && v >= 0.0
        && v.fract() == 0.0
        && let Some(name) = p.states.get(v as usize)
    {
        text.push_str(name);
    }
    (v, text)
}

/// A point's current value in a bank.
pub fn decode_point(p: &Point, bank: &UnitBank) -> (f64, String) {
    let a = usize::from(p.address);
    let w = usize::from(p.width());
    if is_bit_table(p.table) {
        let bits = if p.table == crate::model::Table::Coil {
            &bank.coils
        } else {
            &bank.discrete
        };
        return decode_slice(p, &[], bits.get(a..a + 1).unwrap_or(&[]));
    }
    let regs = if p.table == crate::model::Table::Input {
        &bank.input
    } else {
        &bank.holding
    };
    match regs.get(a..a + w) {
        Some(r) => decode_slice(p, r, &[]),
        None => (0.0, String::new()),
    }
}
