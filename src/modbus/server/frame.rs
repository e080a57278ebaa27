//! The server's side of the wire: the MBAP header that opens every Modbus
//! TCP request (Modbus Messaging on TCP/IP Implementation Guide V1.0b,
//! 3.1.3) and each request PDU decoded by its function code, with the
//! checks and exception codes of the Modbus Application Protocol
//! Specification V1.1b3 (section 6 and its state diagrams, section 7).
//!
//! A request that can be framed is always answered, with an exception when
//! it is wrong, and the connection stays open. Only bytes that cannot be
//! framed — a protocol id other than Modbus's 0, or a length no request can
//! have — end the connection: after them there is no telling where the next
//! request starts. (The guide's server discards a frame whose protocol id
//! is not Modbus; a peer speaking another protocol on the port is not one
//! to keep a connection open for.)

use crate::model::Table;

/// Transaction id, protocol id, length, unit id.
pub const MBAP: usize = 7;

/// The longest PDU framed: 265 bytes, what function code 23 with a full
/// byte count (255) would take. The specification allows 253 (4.1), and
/// no request within its quantities is longer; a client that sends more
/// (16 with 124 registers, say) still says where its request ends, so it
/// is answered (03) rather than cut off.
const MAX_PDU: usize = 1 + 8 + 1 + 255;

/// One request found at the front of the read buffer.
#[derive(Debug, Clone, Copy)]
pub struct Header {
    pub tid: u16,
    pub unit: u8,
    /// Bytes of the whole frame: the MBAP header and the PDU.
    pub len: usize,
}

/// The next request at the front of `buf`, `None` until all of it has
/// arrived, or why the bytes cannot be Modbus TCP.
pub fn next(buf: &[u8]) -> Result<Option<Header>, &'static str> {
    if buf.len() < 6 {
        return Ok(None);
    }
    if buf[2..4] != [0, 0] {
        return Err("a protocol id other than Modbus (0)");
    }
    let len = usize::from(u16::from_be_bytes([buf[4], buf[5]]));
    // The unit id and at least a function code.
    if !(2..=MAX_PDU + 1).contains(&len) {
        return Err("a frame length no Modbus request has");
    }
    if buf.len() < 6 + len {
        return Ok(None);
    }
    Ok(Some(Header {
        tid: u16::from_be_bytes([buf[0], buf[1]]),
        unit: buf[6],
        len: 6 + len,
    }))
}

/// The exception codes the server answers (spec section 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exception {
    /// 01: a function code the server does not implement (or a write
    /// without `--writable`).
    IllegalFunction = 1,
    /// 02: an address outside the table's span (or, `--strict-map`, in a
    /// hole).
    IllegalDataAddress = 2,
    /// 03: a quantity out of its range, a byte count that does not match
    /// it, a coil value other than ON or OFF, a PDU of the wrong length.
    IllegalDataValue = 3,
    /// 04: the register banks cannot be used.
    ServerDeviceFailure = 4,
    /// 0B: a unit id the model does not have (as a gateway answers for a
    /// device that does not respond).
    GatewayTargetFailed = 0x0B,
}

/// A request, decoded and checked for everything but its addresses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Request<'a> {
    /// Function codes 1 and 2.
    ReadBits { table: Table, addr: u16, count: u16 },
    /// Function codes 3 and 4.
    ReadRegisters { table: Table, addr: u16, count: u16 },
    /// 5: ON is 0xFF00, OFF 0x0000.
    WriteCoil { addr: u16, on: bool },
    /// 6.
    WriteRegister { addr: u16, value: u16 },
    /// 15: `count` coils packed eight a byte, the first in the low bit.
    WriteCoils {
        addr: u16,
        count: u16,
        packed: &'a [u8],
    },
    /// 16: registers, two bytes each, high byte first.
    WriteRegisters { addr: u16, data: &'a [u8] },
    /// 22: (current AND and) OR (or AND NOT and).
    MaskWrite { addr: u16, and: u16, or: u16 },
    /// 23: the write, then the read.
    ReadWrite {
        read_addr: u16,
        read_count: u16,
        write_addr: u16,
        data: &'a [u8],
    },
}

/// Function codes that write, refused with 01 unless the server is
/// writable.
fn writes(fc: u8) -> bool {
    matches!(fc, 5 | 6 | 15 | 16 | 22 | 23)
}

fn word(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// Decodes a request PDU (function code first) in the order of the spec's
/// state diagrams: is the function implemented (01), then are the
/// quantity, the byte count and the values right (03). The addresses are
/// checked against the map after this (02).
pub fn decode(pdu: &[u8], writable: bool) -> Result<Request<'_>, Exception> {
    use Exception::{IllegalDataValue as Value, IllegalFunction};
    let Some((&fc, data)) = pdu.split_first() else {
        return Err(IllegalFunction);
    };
    if !matches!(fc, 1..=6 | 15 | 16 | 22 | 23) || (writes(fc) && !writable) {
        return Err(IllegalFunction);
    }
    // The length next: the quantity and address fields must be there to
    // be read, and a PDU longer than its function's is malformed too (the
    // spec's "implied length is incorrect" is 03). Requests that carry
    // values are measured against their byte count below.
    let length_ok = match fc {
        1..=6 => data.len() == 4,
        22 => data.len() == 6,
        15 | 16 => data.len() >= 5,
        _ => data.len() >= 9,
    };
    if !length_ok {
        return Err(Value);
    }
    let addr = word(data, 0);
    let quantity = word(data, 2);
    let in_range = |n: u16, max: u16| (1..=max).contains(&n);
    match fc {
        1 | 2 => {
            if !in_range(quantity, 2000) {
                return Err(Value);
            }
            let table = if fc == 1 {
                Table::Coil
            } else {
                Table::Discrete
            };
            Ok(Request::ReadBits {
                table,
                addr,
                count: quantity,
            })
        }
        3 | 4 => {
            if !in_range(quantity, 125) {
                return Err(Value);
            }
            let table = if fc == 3 {
                Table::Holding
            } else {
                Table::Input
            };
            Ok(Request::ReadRegisters {
                table,
                addr,
                count: quantity,
            })
        }
        5 => match quantity {
            0xFF00 => Ok(Request::WriteCoil { addr, on: true }),
            0x0000 => Ok(Request::WriteCoil { addr, on: false }),
            _ => Err(Value),
        },
        6 => Ok(Request::WriteRegister {
            addr,
            value: quantity,
        }),
        15 => {
            let bytes = usize::from(quantity).div_ceil(8);
            if !in_range(quantity, 1968) || usize::from(data[4]) != bytes || data.len() != 5 + bytes
            {
                return Err(Value);
            }
            Ok(Request::WriteCoils {
                addr,
                count: quantity,
                packed: &data[5..],
            })
        }
        16 => {
            let bytes = 2 * usize::from(quantity);
            if !in_range(quantity, 123) || usize::from(data[4]) != bytes || data.len() != 5 + bytes
            {
                return Err(Value);
            }
            Ok(Request::WriteRegisters {
                addr,
                data: &data[5..],
            })
        }
        22 => Ok(Request::MaskWrite {
            addr,
            and: quantity,
            or: word(data, 4),
        }),
        _ => {
            let write_addr = word(data, 4);
            let write_count = word(data, 6);
            let bytes = 2 * usize::from(write_count);
            if !in_range(quantity, 125)
                || !in_range(write_count, 121)
                || usize::from(data[8]) != bytes
                || data.len() != 9 + bytes
            {
                return Err(Value);
            }
            Ok(Request::ReadWrite {
                read_addr: addr,
                read_count: quantity,
                write_addr,
                data: &data[9..],
            })
        }
    }
}

/// Fills `mbap` (7 bytes) with the header of a response PDU of `pdu_len`
/// bytes.
pub fn header(mbap: &mut [u8], tid: u16, unit: u8, pdu_len: usize) {
    mbap[..2].copy_from_slice(&tid.to_be_bytes());
    mbap[2..4].copy_from_slice(&[0, 0]);
    mbap[4..6].copy_from_slice(&((pdu_len + 1) as u16).to_be_bytes());
    mbap[6] = unit;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pdu(bytes: &[u8]) -> Result<Request<'_>, Exception> {
        decode(bytes, true)
    }

    #[test]
    fn framing_waits_for_whole_frames_and_refuses_what_is_not_modbus() {
        let req = [0, 7, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1];
        for cut in 0..req.len() {
            assert!(next(&req[..cut]).unwrap().is_none(), "{cut}");
        }
        let h = next(&req).unwrap().unwrap();
        assert_eq!((h.tid, h.unit, h.len), (7, 1, 12));
        assert!(next(&[0, 7, 0, 1, 0, 6, 1, 3]).is_err());
        assert!(next(&[0, 7, 0, 0, 0, 1, 1]).is_err());
        assert!(next(&[0, 7, 0, 0, 1, 11, 1]).is_err());
        assert!(next(&[0, 7, 0, 0, 1, 10, 1]).unwrap().is_none());
    }

    #[test]
    fn checks_come_in_the_specs_order() {
        use Exception::*;
        // Function first: unknown, high bit set, a write when read-only.
        assert_eq!(pdu(&[0x41]), Err(IllegalFunction));
        assert_eq!(pdu(&[0x83, 0, 0, 0, 1]), Err(IllegalFunction));
        assert_eq!(pdu(&[0]), Err(IllegalFunction));
        assert_eq!(pdu(&[]), Err(IllegalFunction));
        assert_eq!(decode(&[6, 0, 0, 0, 1], false), Err(IllegalFunction));
        // Then the quantity, the byte count, the values, the length.
        assert_eq!(pdu(&[3, 0, 0, 0, 126]), Err(IllegalDataValue));
        assert_eq!(pdu(&[3, 0, 0, 0, 0]), Err(IllegalDataValue));
        assert_eq!(pdu(&[3, 0, 0, 0]), Err(IllegalDataValue));
        assert_eq!(pdu(&[3, 0, 0, 0, 1, 9]), Err(IllegalDataValue));
        assert_eq!(pdu(&[1, 0, 0, 0x07, 0xD1]), Err(IllegalDataValue));
        assert!(pdu(&[1, 0, 0, 0x07, 0xD0]).is_ok());
        assert_eq!(pdu(&[5, 0, 0, 0x12, 0x34]), Err(IllegalDataValue));
        assert_eq!(
            pdu(&[5, 0, 9, 0xFF, 0]),
            Ok(Request::WriteCoil { addr: 9, on: true })
        );
        assert_eq!(pdu(&[15, 0, 0, 0, 9, 1, 0xFF]), Err(IllegalDataValue));
        assert!(pdu(&[15, 0, 0, 0, 9, 2, 0xFF, 1]).is_ok());
        assert_eq!(pdu(&[16, 0, 0, 0, 2, 4, 0, 1, 0]), Err(IllegalDataValue));
        assert_eq!(pdu(&[16, 0, 0, 0, 1, 4, 0, 1, 0, 2]), Err(IllegalDataValue));
        assert_eq!(pdu(&[22, 0, 0, 0xFF, 0xF0, 0]), Err(IllegalDataValue));
        assert_eq!(
            pdu(&[22, 0, 4, 0x00, 0xF2, 0x00, 0x25]),
            Ok(Request::MaskWrite {
                addr: 4,
                and: 0xF2,
                or: 0x25
            })
        );
        // 23: read 1..=125, write 1..=121.
        let rw = |r: u16, w: u16| {
            let mut v = vec![23, 0, 0];
            v.extend_from_slice(&r.to_be_bytes());
            v.extend_from_slice(&[0, 0]);
            v.extend_from_slice(&w.to_be_bytes());
            v.push((2 * w) as u8);
            v.extend(std::iter::repeat_n(0, 2 * usize::from(w)));
            v
        };
        assert!(pdu(&rw(125, 121)).is_ok());
        assert_eq!(pdu(&rw(126, 1)), Err(IllegalDataValue));
        assert_eq!(pdu(&rw(1, 122)), Err(IllegalDataValue));
        assert_eq!(pdu(&rw(0, 1)), Err(IllegalDataValue));
    }
}
