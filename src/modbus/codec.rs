//! The register codec: an engineering value into 16-bit registers and back,
//! per the model's type, word/byte order, scale and offset (docs/model.md).
//!
//! A value's raw bytes are laid out big-endian first (`ABCD`: the Modbus
//! spec's own order for one register, extended to several), then the order
//! rearranges them: `CDAB` reverses the words, `BADC` swaps the bytes of
//! each word, `DCBA` does both (little-endian). Strings are ASCII, two
//! characters a register, high byte first; `BADC`/`DCBA` swap each pair.

use crate::model::{RegType, WordOrder};
use crate::record::round_half_even;

/// How one tag sits in its registers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layout {
    pub reg_type: RegType,
    pub order: WordOrder,
    pub scale: f64,
    pub offset: f64,
    /// A single bit of one register.
    pub bit: Option<u8>,
}

/// Why a value cannot be written into its registers.
#[derive(Debug, Clone, PartialEq)]
pub enum EncodeError {
    /// The raw value does not fit the integer type.
    OutOfRange { raw: f64, lo: f64, hi: f64 },
    /// A string with characters that are not ASCII, or longer than the
    /// registers hold.
    BadText(String),
}

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EncodeError::OutOfRange { raw, lo, hi } => {
                write!(
                    f,
                    "raw value {} is outside the type's range {} to {}",
                    Num(*raw),
                    Num(*lo),
                    Num(*hi)
                )
            }
            EncodeError::BadText(why) => f.write_str(why),
        }
    }
}

/// A number in a message: in full up to 16 digits, in exponent form above
/// (1e39, not a 1 followed by 39 zeros).
struct Num(f64);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.abs() >= 1e16 {
            write!(f, "{:e}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl Layout {
    /// Registers the layout covers.
    pub fn width(&self) -> usize {
        if self.bit.is_some() {
            1
        } else {
            self.reg_type.registers() as usize
        }
    }

    /// Decimal places that scale and offset resolve for integer types
    /// (scale 0.01 → 2), so 1234 × 0.01 reads as 12.34 and not
    /// 12.340000000000002; `None` when they are no round decimal.
    fn decimals(&self) -> Option<i32> {
        if self.reg_type.int_range().is_none() || self.bit.is_some() {
            return None;
        }
        Some(decimals_of(self.scale)?.max(decimals_of(self.offset)?))
    }

    /// Writes `value` into `regs` (at least [`Layout::width`] long). A bit
    /// layout changes only its bit of `regs[0]`.
    pub fn encode(&self, value: f64, regs: &mut [u16]) -> Result<(), EncodeError> {
        if let Some(bit) = self.bit {
            let mask = 1u16 << bit;
            if value != 0.0 {
                regs[0] |= mask;
            } else {
                regs[0] &= !mask;
            }
            return Ok(());
        }
        let raw = (value - self.offset) / self.scale;
        let mut bytes = [0u8; 8];
        let n = self.reg_type.registers() as usize * 2;
        match self.reg_type {
            RegType::F32 => {
                // Past the largest f32 the cast gives infinity, which no
                // reading means: refused like an integer out of range.
                let f = raw as f32;
                if !f.is_finite() {
                    let m = f64::from(f32::MAX);
                    return Err(EncodeError::OutOfRange { raw, lo: -m, hi: m });
                }
                bytes[..4].copy_from_slice(&f.to_be_bytes());
            }
            RegType::F64 => {
                // A finite value over a tiny scale can still overflow.
                if !raw.is_finite() {
                    return Err(EncodeError::OutOfRange {
                        raw,
                        lo: f64::MIN,
                        hi: f64::MAX,
                    });
                }
                bytes.copy_from_slice(&raw.to_be_bytes());
            }
            RegType::Bool => bytes[..2].copy_from_slice(&u16::from(value != 0.0).to_be_bytes()),
            RegType::Str(_) => {
                return Err(EncodeError::BadText(
                    "a string register takes the reading's text".into(),
                ));
            }
            t => {
                let (lo, hi) = t.int_range().unwrap_or((0.0, 0.0));
                let r = round_half_even(raw);
                if !(r >= lo && r <= hi) {
                    return Err(EncodeError::OutOfRange { raw: r, lo, hi });
                }
                match t {
                    RegType::U16 => bytes[..2].copy_from_slice(&(r as u16).to_be_bytes()),
                    RegType::I16 => bytes[..2].copy_from_slice(&(r as i16).to_be_bytes()),
                    RegType::U32 => bytes[..4].copy_from_slice(&(r as u32).to_be_bytes()),
                    RegType::I32 => bytes[..4].copy_from_slice(&(r as i32).to_be_bytes()),
                    RegType::U64 => bytes.copy_from_slice(&(r as u64).to_be_bytes()),
                    _ => bytes.copy_from_slice(&(r as i64).to_be_bytes()),
                }
            }
        }
        place(&bytes[..n], self.order, regs);
        Ok(())
    }

    /// Reads the engineering value out of `regs`.
    pub fn decode(&self, regs: &[u16]) -> f64 {
        if let Some(bit) = self.bit {
            return f64::from((regs[0] >> bit) & 1);
        }
        let n = self.reg_type.registers() as usize;
        let mut bytes = [0u8; 8];
        gather(&regs[..n.min(4)], self.order, &mut bytes[..(n * 2).min(8)]);
        let raw = match self.reg_type {
            RegType::F32 => {
                let f = f32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
                return self.engineering_f32(f);
            }
            RegType::F64 => f64::from_be_bytes(bytes),
            // A bool is 0 or 1 whatever the scale.
            RegType::Bool => return f64::from(u16::from_be_bytes([bytes[0], bytes[1]]) != 0),
            RegType::U16 => f64::from(u16::from_be_bytes([bytes[0], bytes[1]])),
            RegType::I16 => f64::from(i16::from_be_bytes([bytes[0], bytes[1]])),
            RegType::U32 => f64::from(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])),
            RegType::I32 => f64::from(i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])),
            RegType::U64 => u64::from_be_bytes(bytes) as f64,
            RegType::I64 => i64::from_be_bytes(bytes) as f64,
            RegType::Str(_) => return 0.0,
        };
        let v = raw * self.scale + self.offset;
        match self.decimals() {
            Some(k) if v.abs() < 1e15 => {
                let p = 10f64.powi(k);
                round_half_even(v * p) / p
            }
            _ => v,
        }
    }

    /// An f32 reads as the shortest decimal that is the same f32 (850.123,
    /// not 850.1229858398438); scale and offset then apply in f64.
    fn engineering_f32(&self, f: f32) -> f64 {
        if !f.is_finite() {
            return f64::from(f);
        }
        let mut buf = ryu::Buffer::new();
        let shortest: f64 = buf.format_finite(f).parse().unwrap_or(f64::from(f));
        if self.scale == 1.0 && self.offset == 0.0 {
            shortest
        } else {
            shortest * self.scale + self.offset
        }
    }

    /// Writes ASCII `text` into a string layout's registers, padded with
    /// NULs.
    pub fn encode_text(&self, text: &str, regs: &mut [u16]) -> Result<(), EncodeError> {
        let RegType::Str(n) = self.reg_type else {
            return Err(EncodeError::BadText("not a string register".into()));
        };
        let cap = usize::from(n) * 2;
        if !text.is_ascii() {
            return Err(EncodeError::BadText(format!("{text:?} is not ASCII")));
        }
        if text.len() > cap {
            return Err(EncodeError::BadText(format!(
                "{text:?} is longer than the {cap} characters {} holds",
                self.reg_type
            )));
        }
        let swap = matches!(self.order, WordOrder::Badc | WordOrder::Dcba);
        let b = text.as_bytes();
        for (i, r) in regs[..usize::from(n)].iter_mut().enumerate() {
            let hi = b.get(2 * i).copied().unwrap_or(0);
            let lo = b.get(2 * i + 1).copied().unwrap_or(0);
            *r = if swap {
                u16::from_be_bytes([lo, hi])
            } else {
                u16::from_be_bytes([hi, lo])
            };
        }
        Ok(())
    }

    /// Reads a string layout's text: up to the first NUL, trailing spaces
    /// dropped, bytes outside printable ASCII shown as `?`.
    pub fn decode_text(&self, regs: &[u16], out: &mut String) {
        out.clear();
        let RegType::Str(n) = self.reg_type else {
            return;
        };
        let swap = matches!(self.order, WordOrder::Badc | WordOrder::Dcba);
        'regs: for r in &regs[..usize::from(n).min(regs.len())] {
            let [a, b] = r.to_be_bytes();
            let pair = if swap { [b, a] } else { [a, b] };
            for c in pair {
                if c == 0 {
                    break 'regs;
                }
                out.push(if (0x20..0x7f).contains(&c) {
                    c as char
                } else {
                    '?'
                });
            }
        }
        out.truncate(out.trim_end().len());
    }
}

/// The fewest decimal places (up to 9) that write `x` exactly.
fn decimals_of(x: f64) -> Option<i32> {
    let x = x.abs();
    (0..=9).find(|&k| {
        let p = 10f64.powi(k);
        let n = (x * p).round();
        (x * p - n).abs() <= 1e-9 * n.abs().max(1.0)
    })
}

/// Big-endian bytes into registers in the given order.
fn place(bytes: &[u8], order: WordOrder, regs: &mut [u16]) {
    let words = bytes.len() / 2;
    for w in 0..words {
        let (hi, lo) = (bytes[2 * w], bytes[2 * w + 1]);
        let (slot, value) = match order {
            WordOrder::Abcd => (w, u16::from_be_bytes([hi, lo])),
            WordOrder::Cdab => (words - 1 - w, u16::from_be_bytes([hi, lo])),
            WordOrder::Badc => (w, u16::from_be_bytes([lo, hi])),
            WordOrder::Dcba => (words - 1 - w, u16::from_be_bytes([lo, hi])),
        };
        regs[slot] = value;
    }
}

/// Registers in the given order back into big-endian bytes.
fn gather(regs: &[u16], order: WordOrder, bytes: &mut [u8]) {
    let words = bytes.len() / 2;
    for w in 0..words {
        let (slot, swap) = match order {
            WordOrder::Abcd => (w, false),
            WordOrder::Cdab => (words - 1 - w, false),
            WordOrder::Badc => (w, true),
            WordOrder::Dcba => (words - 1 - w, true),
        };
        let [hi, lo] = regs[slot].to_be_bytes();
        let (hi, lo) = if swap { (lo, hi) } else { (hi, lo) };
        bytes[2 * w] = hi;
        bytes[2 * w + 1] = lo;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(t: RegType, o: WordOrder) -> Layout {
        Layout {
            reg_type: t,
            order: o,
            scale: 1.0,
            offset: 0.0,
            bit: None,
        }
    }

    #[test]
    fn orders_place_bytes_as_the_tools_do() {
        // 0x3F800000 is 1.0f32: ABCD 3F80 0000, CDAB 0000 3F80,
        // BADC 803F 0000, DCBA 0000 803F.
        let cases = [
            (WordOrder::Abcd, [0x3F80, 0x0000]),
            (WordOrder::Cdab, [0x0000, 0x3F80]),
            (WordOrder::Badc, [0x803F, 0x0000]),
            (WordOrder::Dcba, [0x0000, 0x803F]),
        ];
        for (o, want) in cases {
            let mut regs = [0u16; 2];
            layout(RegType::F32, o).encode(1.0, &mut regs).unwrap();
            assert_eq!(regs, want, "{o}");
            assert_eq!(layout(RegType::F32, o).decode(&regs), 1.0);
        }
    }

    #[test]
    fn scaled_integers_read_back_at_their_resolution() {
        let l = Layout {
            scale: 0.01,
            ..layout(RegType::U16, WordOrder::Abcd)
        };
        let mut regs = [0u16; 1];
        l.encode(55.026, &mut regs).unwrap();
        assert_eq!(regs[0], 5503);
        assert_eq!(l.decode(&regs), 55.03);
        assert!(l.encode(-1.0, &mut regs).is_err());
    }

    #[test]
    fn f32_overflow_is_refused_and_the_largest_f32_fits() {
        let l = layout(RegType::F32, WordOrder::Abcd);
        let mut regs = [7u16; 2];
        let e = l.encode(1e39, &mut regs).unwrap_err();
        assert_eq!(
            e.to_string(),
            "raw value 1e39 is outside the type's range -3.4028234663852886e38 to 3.4028234663852886e38"
        );
        assert_eq!(regs, [7, 7], "left as they were");
        assert!(l.encode(-1e39, &mut regs).is_err());
        // The largest f32 as poll reads it back (its shortest decimal) fits.
        l.encode(3.4028235e38, &mut regs).unwrap();
        assert_eq!(l.decode(&regs), 3.4028235e38);
        let tiny = Layout {
            scale: 1e-300,
            ..layout(RegType::F64, WordOrder::Abcd)
        };
        assert!(tiny.encode(1e10, &mut [0u16; 4]).is_err());
    }

    #[test]
    fn strings_and_bits() {
        let l = layout(RegType::Str(4), WordOrder::Abcd);
        let mut regs = [0u16; 4];
        l.encode_text("PUMP-7", &mut regs).unwrap();
        assert_eq!(regs[0], u16::from_be_bytes(*b"PU"));
        let mut s = String::new();
        l.decode_text(&regs, &mut s);
        assert_eq!(s, "PUMP-7");
        assert!(l.encode_text("TOO LONG!", &mut regs).is_err());
        let b = Layout {
            bit: Some(3),
            ..layout(RegType::Bool, WordOrder::Abcd)
        };
        let mut r = [0x0001u16];
        b.encode(1.0, &mut r).unwrap();
        assert_eq!(r[0], 0x0009);
        assert_eq!(b.decode(&r), 1.0);
        b.encode(0.0, &mut r).unwrap();
        assert_eq!(r[0], 0x0001);
    }
}
