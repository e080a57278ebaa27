//! The Modbus TCP side of `modbus-serve`: a tokio-modbus `Service` over
//! the shared register banks, the connection gate (loopback or `--allow`,
//! `--max-clients`) and an idle timeout on every connection.
//!
//! Requests are answered from the banks under a read lock that is never
//! held across an await; the stdin thread writes values under the write
//! lock. Every count and address is checked before it is used, so nothing
//! a client sends can index past a bank or size a response beyond one PDU.

use std::collections::HashMap;
use std::future::{Future, Ready, ready};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};
use tokio_modbus::prelude::{ExceptionCode, Request, Response, SlaveRequest};

use super::map::{Banks, MAX_BITS, MAX_REGS, Point, UnitBank};
use crate::model::Table;
use crate::time::Millis;

/// A tag a client wrote, with its new value decoded.
#[derive(Debug, Clone)]
pub struct Written {
    pub ts: Millis,
    pub point: usize,
    pub value: f64,
    pub text: String,
}

/// A point's first address, one past its last, and its index.
type Span = (u32, u32, usize);

/// What every connection shares.
pub struct Shared {
    pub banks: RwLock<Banks>,
    pub points: Vec<Point>,
    /// Per unit and table: (first, one past the last, point) of every
    /// point, for finding what a write touched.
    pub spans: HashMap<(u8, Table), Vec<Span>>,
    /// Where writes go when `--writable`; `None` refuses writes. Bounded:
    /// a client writing faster than stdout is read waits for it, rather
    /// than growing a queue.
    pub writes: Option<std::sync::mpsc::SyncSender<Written>>,
    pub clients: AtomicUsize,
}

impl Shared {
    pub fn new(points: Vec<Point>, writes: Option<std::sync::mpsc::SyncSender<Written>>) -> Shared {
        let banks = Banks::new(&points);
        let mut spans: HashMap<(u8, Table), Vec<Span>> = HashMap::new();
        for (i, p) in points.iter().enumerate() {
            let s = u32::from(p.address);
            spans
                .entry((p.unit_id, p.table))
                .or_default()
                .push((s, s + u32::from(p.width()), i));
        }
        for v in spans.values_mut() {
            v.sort_unstable();
        }
        Shared {
            banks: RwLock::new(banks),
            points,
            spans,
            writes,
            clients: AtomicUsize::new(0),
        }
    }
}

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
            let (value, text) = super::decode_point(p, bank);
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

/// Networks whose clients may connect besides loopback (`--allow CIDR`).
#[derive(Debug, Clone, Default)]
pub struct Allow {
    nets: Vec<(IpAddr, u8)>,
}

impl Allow {
    /// Parses `10.0.0.0/8`, `192.168.1.7` (one host), `::1/128`.
    pub fn parse(specs: &[String]) -> anyhow::Result<Allow> {
        let mut nets = Vec::new();
        for s in specs {
            let (ip, bits) = match s.split_once('/') {
                Some((ip, b)) => (ip, Some(b)),
                None => (s.as_str(), None),
            };
            let ip: IpAddr = ip
                .parse()
                .map_err(|_| anyhow::anyhow!("--allow {s:?}: not an address or CIDR"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                None => max,
                Some(b) => b
                    .parse::<u8>()
                    .ok()
                    .filter(|b| *b <= max)
                    .ok_or_else(|| anyhow::anyhow!("--allow {s:?}: bad prefix length"))?,
            };
            nets.push((ip, bits));
        }
        Ok(Allow { nets })
    }

    pub fn permits(&self, peer: IpAddr) -> bool {
        let peer = match peer {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(peer, IpAddr::V4),
            v4 => v4,
        };
        peer.is_loopback()
            || self.nets.iter().any(|&(net, bits)| match (net, peer) {
                (IpAddr::V4(n), IpAddr::V4(p)) => {
                    let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
                    u32::from(n) & mask == u32::from(p) & mask
                }
                (IpAddr::V6(n), IpAddr::V6(p)) => {
                    let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
                    u128::from(n) & mask == u128::from(p) & mask
                }
                _ => false,
            })
    }
}

/// A TCP stream that fails once nothing has moved for `idle`, so a client
/// that connects and says nothing, stops halfway through a frame, or stops
/// reading its answers gives its place back.
pub struct IdleStream {
    inner: TcpStream,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl IdleStream {
    pub fn new(inner: TcpStream, idle: Duration) -> IdleStream {
        IdleStream {
            inner,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }
}

impl AsyncRead for IdleStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                let next = Instant::now() + this.idle;
                this.deadline.as_mut().reset(next);
                Poll::Ready(r)
            }
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "idle timeout")))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl AsyncWrite for IdleStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        // A client that sends but never reads its answers stalls here; the
        // same deadline frees its place.
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(r) => {
                let next = Instant::now() + this.idle;
                this.deadline.as_mut().reset(next);
                Poll::Ready(r)
            }
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "idle timeout while the client does not read",
                ))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// How the listener admits connections.
pub struct Gate {
    pub shared: Arc<Shared>,
    pub allow: Allow,
    pub max_clients: usize,
    pub idle: Duration,
    pub verbose: bool,
}

impl Gate {
    /// Decides on one accepted connection: a service and its stream, or
    /// `None` to close it.
    pub fn admit(&self, stream: TcpStream, peer: SocketAddr) -> Option<(Service, IdleStream)> {
        if !self.allow.permits(peer.ip()) {
            if self.verbose {
                eprintln!("iiot modbus-serve: refused {peer}: not loopback and not in --allow");
            }
            return None;
        }
        let Some(service) = Service::admit(&self.shared, self.max_clients) else {
            if self.verbose {
                eprintln!(
                    "iiot modbus-serve: refused {peer}: {} clients connected (--max-clients)",
                    self.max_clients
                );
            }
            return None;
        };
        let _ = stream.set_nodelay(true);
        Some((service, IdleStream::new(stream, self.idle)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_admits_loopback_and_the_named_networks() {
        let a = Allow::parse(&[
            "10.1.0.0/16".into(),
            "192.168.7.9".into(),
            "fd00::/8".into(),
        ])
        .unwrap();
        let ok = |s: &str| a.permits(s.parse().unwrap());
        assert!(ok("127.0.0.1") && ok("::1") && ok("127.8.9.10"));
        assert!(ok("10.1.200.3") && !ok("10.2.0.1"));
        assert!(ok("192.168.7.9") && !ok("192.168.7.10"));
        assert!(ok("fd12::1") && !ok("fe80::1"));
        assert!(ok("::ffff:10.1.0.1"));
        assert!(!Allow::default().permits("8.8.8.8".parse().unwrap()));
        assert!(Allow::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(Allow::parse(&["nonsense".into()]).is_err());
    }
}
