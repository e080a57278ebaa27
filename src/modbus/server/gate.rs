//! Admitting connections: loopback or `--allow` networks only, at most
//! `--max-clients` at once, and an idle timeout on every connection.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

use super::Shared;
use super::service::Place;
use crate::modbus::shown;

/// Networks whose clients may connect besides loopback (`--allow CIDR`).
#[derive(Debug, Clone, Default)]
pub struct Allow {
    nets: Vec<(IpAddr, u8)>,
}

impl Allow {
    /// Parses `10.0.0.0/8`, `192.168.7.9` (one host), `::1/128`. An address
    /// with bits set past its prefix is refused: `192.0.2.2/0` reads like
    /// one host yet admits every client, so a network is written as its
    /// own address (`0.0.0.0/0` and `::/0` for everyone).
    pub fn parse(specs: &[String]) -> anyhow::Result<Allow> {
        let mut nets = Vec::new();
        for s in specs {
            let (ip, bits) = match s.split_once('/') {
                Some((ip, b)) => (ip, Some(b)),
                None => (s.as_str(), None),
            };
            let ip: IpAddr = ip
                .parse()
                .map_err(|_| anyhow::anyhow!("--allow \"{}\": not an address or CIDR", shown(s)))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                None => max,
                Some(b) => b.parse::<u8>().ok().filter(|b| *b <= max).ok_or_else(|| {
                    anyhow::anyhow!("--allow \"{}\": bad prefix length", shown(s))
                })?,
            };
            let net = network(ip, bits);
            if net != ip {
                let everyone = if bits == 0 {
                    if ip.is_ipv4() {
                        " (every IPv4 client)"
                    } else {
                        " (every IPv6 client)"
                    }
                } else {
                    ""
                };
                anyhow::bail!(
                    "--allow {}: the address has bits set past its /{bits} prefix, so it admits {net}/{bits}{everyone}; write {net}/{bits} if that is meant, or {ip} for the one host",
                    shown(s)
                );
            }
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

/// `ip` with every bit past the first `bits` cleared.
fn network(ip: IpAddr, bits: u8) -> IpAddr {
    match ip {
        IpAddr::V4(a) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            IpAddr::V4((u32::from(a) & mask).into())
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            IpAddr::V6((u128::from(a) & mask).into())
        }
    }
}

/// Who is admitted, for the message at start: `loopback only`, or
/// `loopback and 10.0.0.0/8, 192.168.7.9/32`.
impl std::fmt::Display for Allow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.nets.is_empty() {
            return f.write_str("loopback only");
        }
        f.write_str("loopback and ")?;
        for (k, (ip, bits)) in self.nets.iter().enumerate() {
            if k > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{ip}/{bits}")?;
        }
        Ok(())
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
    /// Decides on one accepted connection: its place and its stream, or
    /// `None` to close it.
    pub fn admit(&self, stream: TcpStream, peer: SocketAddr) -> Option<(Place, IdleStream)> {
        if !self.allow.permits(peer.ip()) {
            if self.verbose {
                eprintln!("iiot modbus-serve: refused {peer}: not loopback and not in --allow");
            }
            return None;
        }
        let Some(place) = Place::take(&self.shared, self.max_clients) else {
            if self.verbose {
                eprintln!(
                    "iiot modbus-serve: refused {peer}: {} clients connected (--max-clients)",
                    self.max_clients
                );
            }
            return None;
        };
        let _ = stream.set_nodelay(true);
        Some((place, IdleStream::new(stream, self.idle)))
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
        assert_eq!(
            a.to_string(),
            "loopback and 10.1.0.0/16, 192.168.7.9/32, fd00::/8"
        );
        assert_eq!(Allow::default().to_string(), "loopback only");
    }

    #[test]
    fn allow_refuses_a_prefix_that_covers_more_than_it_reads() {
        let e = Allow::parse(&["192.0.2.2/0".into()])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("admits 0.0.0.0/0 (every IPv4 client); write 0.0.0.0/0 if that is meant, or 192.0.2.2 for the one host"),
            "{e}"
        );
        let e = Allow::parse(&["10.1.2.3/8".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("admits 10.0.0.0/8;"), "{e}");
        assert!(Allow::parse(&["fd00::1/0".into()]).is_err());
        // Everyone, written as such, is taken.
        let all = Allow::parse(&["0.0.0.0/0".into(), "::/0".into()]).unwrap();
        assert!(all.permits("8.8.8.8".parse().unwrap()));
        assert!(all.permits("2001:db8::1".parse().unwrap()));
    }
}
