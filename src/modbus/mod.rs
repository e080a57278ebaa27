//! Modbus TCP for `modbus-serve` and `poll`: the register codec, the map
//! built from the model, the server side (its own request framing), the
//! requests a poll sends and the pipelined client. tokio lives only here;
//! the two verbs turn their options into the plain configs these modules
//! take.

pub(crate) mod client;
pub mod codec;
pub(crate) mod hangup;
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
    if is_bit_table(p.table) {
        let t = bank.bits(p.table);
        let i = t.index(p.address);
        return decode_slice(p, &[], t.values.get(i..i + 1).unwrap_or(&[]));
    }
    let t = bank.registers(p.table);
    let i = t.index(p.address);
    match t.values.get(i..i + usize::from(p.width())) {
        Some(r) => decode_slice(p, r, &[]),
        None => (0.0, String::new()),
    }
}

/// A name from input (an asset, a tag, a host) as the Modbus verbs' messages
/// show it: a control character — an escape sequence that would repaint
/// the terminal, a newline that would forge a line of the log — is written
/// `\u{1b}`, and a backslash `\\`, so what is shown is what was read.
pub(crate) fn shown(name: &str) -> Shown<'_> {
    Shown(name)
}

/// See [`shown`].
pub(crate) struct Shown<'a>(&'a str);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut rest = self.0;
        while let Some(k) = rest.find(|c: char| c.is_control() || c == '\\') {
            f.write_str(&rest[..k])?;
            let c = rest[k..].chars().next().unwrap_or('\\');
            if c == '\\' {
                f.write_str("\\\\")?;
            } else {
                write!(f, "\\u{{{:x}}}", u32::from(c))?;
            }
            rest = &rest[k + c.len_utf8()..];
        }
        f.write_str(rest)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn shown_escapes_control_characters_and_backslashes() {
        assert_eq!(shown("WH-01").to_string(), "WH-01");
        assert_eq!(shown("X\x1b[2J\ny").to_string(), "X\\u{1b}[2J\\u{a}y");
        assert_eq!(shown("a\\b\u{9b}é").to_string(), "a\\\\b\\u{9b}é");
    }
}
