//! Answering requests: each decoded request (see `frame`) carried out on
//! the shared register banks and its response PDU written out, or the
//! exception it earns.
//!
//! Reads are answered under the banks' read lock, writes under the write
//! lock, neither held across an await. After the function and quantity
//! checks of `frame`, the unit id must be on the map (else 0B) and every
//! address of the request inside its table's span (else 02); the span is
//! the lowest to the highest mapped address, holes inside it included
//! unless `--strict-map`. A write lands only on the addresses points cover:
//! a hole reads 0 whatever was written to it.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::frame::{Exception, Request};
use super::{Shared, State, Written};
use crate::modbus::map::{TableBank, UnitBank};
use crate::model::Table;

/// A connection's place under `--max-clients`; dropping it (the
/// connection ends) gives the place back.
pub struct Place {
    shared: Arc<Shared>,
}

impl Place {
    /// A place for a new connection, or `None` when `max` are taken.
    pub fn take(shared: &Arc<Shared>, max: usize) -> Option<Place> {
        let n = shared.clients.fetch_add(1, Ordering::SeqCst);
        if n >= max {
            shared.clients.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Place {
            shared: Arc::clone(shared),
        })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        self.shared.clients.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Appends the response PDU to `req` (function code and data, without the
/// MBAP header) to `out`, or returns the exception.
pub fn answer(
    shared: &Shared,
    unit: u8,
    req: Request<'_>,
    out: &mut Vec<u8>,
    written: &mut Vec<Written>,
) -> Result<(), Exception> {
    let strict = shared.strict;
    match req {
        Request::ReadBits { table, addr, count } => {
            let state = shared
                .state
                .read()
                .map_err(|_| Exception::ServerDeviceFailure)?;
            let t = unit_of(&state, unit)?.bits(table);
            let r = t
                .range(addr, count, strict)
                .ok_or(Exception::IllegalDataAddress)?;
            out.push(if table == Table::Coil { 1 } else { 2 });
            pack_bits(&t.values[r], out);
            Ok(())
        }
        Request::ReadRegisters { table, addr, count } => {
            let state = shared
                .state
                .read()
                .map_err(|_| Exception::ServerDeviceFailure)?;
            let t = unit_of(&state, unit)?.registers(table);
            let r = t
                .range(addr, count, strict)
                .ok_or(Exception::IllegalDataAddress)?;
            out.push(if table == Table::Holding { 3 } else { 4 });
            push_registers(&t.values[r], out);
            Ok(())
        }
        _ => write(shared, unit, req, out, written),
    }
}

fn unit_of(state: &State, unit: u8) -> Result<&UnitBank, Exception> {
    state.units.get(&unit).ok_or(Exception::GatewayTargetFailed)
}

/// Bits packed eight a byte, the first in the low bit, after their count.
fn pack_bits(bits: &[bool], out: &mut Vec<u8>) {
    out.push(bits.len().div_ceil(8) as u8);
    for chunk in bits.chunks(8) {
        let mut b = 0u8;
        for (i, on) in chunk.iter().enumerate() {
            b |= u8::from(*on) << i;
        }
        out.push(b);
    }
}

/// Registers high byte first, after their byte count.
fn push_registers(regs: &[u16], out: &mut Vec<u8>) {
    out.push((2 * regs.len()) as u8);
    for r in regs {
        out.extend_from_slice(&r.to_be_bytes());
    }
}

/// Writes `values` (one per address from `addr`) where points cover them.
fn put<T: Copy + Default>(
    t: &mut TableBank<T>,
    addr: u16,
    n: u16,
    strict: bool,
    value: impl Fn(usize) -> T,
) -> Result<(), Exception> {
    t.range(addr, n, strict)
        .ok_or(Exception::IllegalDataAddress)?;
    let parts: Vec<(usize, std::ops::Range<usize>)> = t.covered_parts(addr, n).collect();
    for (from, r) in parts {
        for (k, slot) in t.values[r].iter_mut().enumerate() {
            *slot = value(from + k);
        }
    }
    Ok(())
}

fn write(
    shared: &Shared,
    unit: u8,
    req: Request<'_>,
    out: &mut Vec<u8>,
    written: &mut Vec<Written>,
) -> Result<(), Exception> {
    let strict = shared.strict;
    let mut state = shared
        .state
        .write()
        .map_err(|_| Exception::ServerDeviceFailure)?;
    let bank = state
        .units
        .get_mut(&unit)
        .ok_or(Exception::GatewayTargetFailed)?;
    let word = |b: &[u8], i: usize| u16::from_be_bytes([b[2 * i], b[2 * i + 1]]);
    let (table, start, count) = match req {
        Request::WriteCoil { addr, on } => {
            put(&mut bank.coils, addr, 1, strict, |_| on)?;
            out.push(5);
            out.extend_from_slice(&addr.to_be_bytes());
            out.extend_from_slice(&[if on { 0xFF } else { 0 }, 0]);
            (Table::Coil, addr, 1)
        }
        Request::WriteRegister { addr, value } => {
            put(&mut bank.holding, addr, 1, strict, |_| value)?;
            out.push(6);
            out.extend_from_slice(&addr.to_be_bytes());
            out.extend_from_slice(&value.to_be_bytes());
            (Table::Holding, addr, 1)
        }
        Request::WriteCoils {
            addr,
            count,
            packed,
        } => {
            put(&mut bank.coils, addr, count, strict, |i| {
                packed[i / 8] >> (i % 8) & 1 == 1
            })?;
            out.push(15);
            out.extend_from_slice(&addr.to_be_bytes());
            out.extend_from_slice(&count.to_be_bytes());
            (Table::Coil, addr, count)
        }
        Request::WriteRegisters { addr, data } => {
            let n = (data.len() / 2) as u16;
            put(&mut bank.holding, addr, n, strict, |i| word(data, i))?;
            out.push(16);
            out.extend_from_slice(&addr.to_be_bytes());
            out.extend_from_slice(&n.to_be_bytes());
            (Table::Holding, addr, n)
        }
        Request::MaskWrite { addr, and, or } => {
            let t = &mut bank.holding;
            let r = t
                .range(addr, 1, strict)
                .ok_or(Exception::IllegalDataAddress)?;
            let current = t.values[r.start];
            put(t, addr, 1, strict, |_| (current & and) | (or & !and))?;
            out.push(22);
            out.extend_from_slice(&addr.to_be_bytes());
            out.extend_from_slice(&and.to_be_bytes());
            out.extend_from_slice(&or.to_be_bytes());
            (Table::Holding, addr, 1)
        }
        Request::ReadWrite {
            read_addr,
            read_count,
            write_addr,
            data,
        } => {
            let n = (data.len() / 2) as u16;
            let t = &mut bank.holding;
            // Both spans are checked before anything is written: a request
            // refused changes nothing.
            t.range(read_addr, read_count, strict)
                .ok_or(Exception::IllegalDataAddress)?;
            put(t, write_addr, n, strict, |i| word(data, i))?;
            let r = t
                .range(read_addr, read_count, strict)
                .ok_or(Exception::IllegalDataAddress)?;
            out.push(23);
            push_registers(&t.values[r], out);
            (Table::Holding, write_addr, n)
        }
        Request::ReadBits { .. } | Request::ReadRegisters { .. } => {
            return Err(Exception::IllegalFunction);
        }
    };
    state.touched(unit, table, start, count, written);
    Ok(())
}
