//! Answering requests: a tokio-modbus `Service` over the shared register
//! banks, one per connection.
//!
//! Reads (function codes 1 to 4 of the Modbus Application Protocol
//! Specification) are answered under the banks' read lock, writes (5, 6,
//! 15, 16) under the write lock, neither held across an await. Every count
//! and address is checked before it is used, so nothing a client sends can
//! index past a bank or size a response beyond one PDU.

use std::future::{Ready, ready};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio_modbus::prelude::{ExceptionCode, Request, Response, SlaveRequest};

use super::{Shared, Written};
use crate::modbus::map::{MAX_BITS, MAX_REGS, UnitBank};
use crate::model::Table;

/// One connection's service; dropping it (the connection ends) frees its
/// place under `--max-clients`.
pub struct Service {
    shared: Arc<Shared>,
}

impl Service {
    /// A service for a new connection, or `None` when `max` are open.
    pub fn admit(shared: &Arc<Shared>, max: usize) -> Option<Service> {
        let n = shared.clients.fetch_add(1, Ordering::SeqCst);
        if n >= max {
            shared.clients.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Service {
            shared: Arc::clone(shared),
        })
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.shared.clients.fetch_sub(1, Ordering::SeqCst);
    }
}

type Answer = Result<Response, ExceptionCode>;

impl tokio_modbus::server::Service for Service {
    type Request = SlaveRequest<'static>;
    type Response = Response;
    type Exception = ExceptionCode;
    type Future = Ready<Answer>;

    fn call(&self, req: Self::Request) -> Self::Future {
        ready(self.answer(req))
    }
}

impl Service {
    fn answer(&self, req: SlaveRequest<'static>) -> Answer {
        let unit = req.slave;
        let is_write = matches!(
            req.request,
            Request::WriteSingleCoil(..)
                | Request::WriteMultipleCoils(..)
                | Request::WriteSingleRegister(..)
                | Request::WriteMultipleRegisters(..)
        );
        if is_write {
            if self.shared.writes.is_none() {
                return Err(ExceptionCode::IllegalFunction);
            }
            return self.write(unit, req.request);
        }
        let banks = self
            .shared
            .banks
            .read()
            .map_err(|_| ExceptionCode::ServerDeviceFailure)?;
        let Some(bank) = banks.units.get(&unit) else {
            return Err(ExceptionCode::GatewayTargetDevice);
        };
        match req.request {
            Request::ReadCoils(a, n) => read_bits(&bank.coils, a, n).map(Response::ReadCoils),
            Request::ReadDiscreteInputs(a, n) => {
                read_bits(&bank.discrete, a, n).map(Response::ReadDiscreteInputs)
            }
            Request::ReadHoldingRegisters(a, n) => {
                read_regs(&bank.holding, a, n).map(Response::ReadHoldingRegisters)
            }
            Request::ReadInputRegisters(a, n) => {
                read_regs(&bank.input, a, n).map(Response::ReadInputRegisters)
            }
            _ => Err(ExceptionCode::IllegalFunction),
        }
    }

    fn write(&self, unit: u8, request: Request<'static>) -> Answer {
        let mut banks = self
            .shared
            .banks
            .write()
            .map_err(|_| ExceptionCode::ServerDeviceFailure)?;
        let Some(bank) = banks.units.get_mut(&unit) else {
            return Err(ExceptionCode::GatewayTargetDevice);
        };
        let (table, start, count, response) = match request {
            Request::WriteSingleCoil(a, v) => {
                let slot = span_mut(&mut bank.coils, a, 1)?;
                slot[0] = v;
                (Table::Coil, a, 1, Response::WriteSingleCoil(a, v))
            }
            Request::WriteMultipleCoils(a, values) => {
                let n = values.len();
                if n == 0 || n > 1968 {
                    return Err(ExceptionCode::IllegalDataValue);
                }
                span_mut(&mut bank.coils, a, n as u16)?.copy_from_slice(&values);
                (
                    Table::Coil,
                    a,
                    n as u16,
                    Response::WriteMultipleCoils(a, n as u16),
                )
            }
            Request::WriteSingleRegister(a, v) => {
                span_mut(&mut bank.holding, a, 1)?[0] = v;
                (Table::Holding, a, 1, Response::WriteSingleRegister(a, v))
            }
            Request::WriteMultipleRegisters(a, values) => {
                let n = values.len();
                if n == 0 || n > 123 {
                    return Err(ExceptionCode::IllegalDataValue);
                }
                span_mut(&mut bank.holding, a, n as u16)?.copy_from_slice(&values);
                (
                    Table::Holding,
                    a,
                    n as u16,
                    Response::WriteMultipleRegisters(a, n as u16),
                )
            }
            _ => return Err(ExceptionCode::IllegalFunction),
        };
        self.report_write(bank, unit, table, start, count);
        Ok(response)
    }

    /// Sends the new value of every tag the write touched.
    fn report_write(&self, bank: &UnitBank, unit: u8, table: Table, start: u16, count: u16) {
        let Some(tx) = &self.shared.writes else {
            return;
        };
        let Some(spans) = self.shared.spans.get(&(unit, table)) else {
            return;
        };
        let (ws, we) = (u32::from(start), u32::from(start) + u32::from(count));
        let ts = crate::time::now_ms();
        for &(s, e, i) in spans {
            if s >= we {
                break;
            }
            if e <= ws {
                continue;
            }
            let p = &self.shared.points[i];
            let (value, text) = crate::modbus::decode_point(p, bank);
            let _ = tx.send(Written {
                ts,
                point: i,
                value,
                text,
            });
        }
    }
}

fn check_span(
    len: usize,
    a: u16,
    n: u16,
    max: u16,
) -> Result<std::ops::Range<usize>, ExceptionCode> {
    if n == 0 || n > max {
        return Err(ExceptionCode::IllegalDataValue);
    }
    let (s, e) = (usize::from(a), usize::from(a) + usize::from(n));
    if e > len {
        return Err(ExceptionCode::IllegalDataAddress);
    }
    Ok(s..e)
}

fn read_regs(regs: &[u16], a: u16, n: u16) -> Result<Vec<u16>, ExceptionCode> {
    Ok(regs[check_span(regs.len(), a, n, MAX_REGS)?].to_vec())
}

fn read_bits(bits: &[bool], a: u16, n: u16) -> Result<Vec<bool>, ExceptionCode> {
    Ok(bits[check_span(bits.len(), a, n, MAX_BITS)?].to_vec())
}

fn span_mut<T>(v: &mut [T], a: u16, n: u16) -> Result<&mut [T], ExceptionCode> {
    let r = check_span(v.len(), a, n, MAX_BITS)?;
    Ok(&mut v[r])
}
