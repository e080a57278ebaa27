//! The Modbus TCP side of `modbus-serve`: the register banks every
//! connection shares, the accept loop, each connection's requests framed,
//! answered and written back, the model read again on SIGHUP, and the
//! write-back of what clients write (`--writable`) to stdout as readings.
//!
//! tokio runs only the network side (a current-thread runtime, one task per
//! connection); requests are framed and decoded here (`frame`), not by a
//! Modbus crate, so that every request the Modbus Application Protocol
//! Specification says to answer is answered, with the exception it earns,
//! and the connection stays open. The caller feeds the banks from a plain
//! thread through [`Shared::store`], and writes from clients reach stdout
//! through a bounded channel to a writer thread. Answering requests is in
//! `service`, admitting connections in `gate`.

mod frame;
mod gate;
mod service;
mod state;

use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub use gate::Allow;
use gate::{Gate, IdleStream};
use service::Place;
pub use state::{State, Stored};

use super::hangup::{self, Hangup};
use super::map::Point;
use super::shown;
use crate::io::stdout_sink;
use crate::record::{Format, Quality, ReadingRef, RecordWriter};
use crate::time::Millis;

/// A tag a client wrote, with its new value decoded.
#[derive(Debug, Clone)]
pub struct Written {
    pub ts: Millis,
    pub asset: String,
    pub tag: String,
    pub unit: String,
    pub value: f64,
    pub text: String,
}

/// What every connection shares.
pub struct Shared {
    /// Swapped whole when SIGHUP brings a new model.
    pub state: RwLock<State>,
    /// Where writes go when `--writable`; `None` refuses writes. Bounded:
    /// a client writing faster than stdout is read waits for it, rather
    /// than growing a queue.
    pub writes: Option<SyncSender<Written>>,
    pub clients: AtomicUsize,
    /// `--strict-map`: holes inside a table's span answer 02 too.
    pub strict: bool,
}

impl Shared {
    /// Writes one reading into its point's registers (or bit).
    pub fn store(&self, asset: &str, tag: &str, value: f64, text: &str) -> Stored {
        match self.state.write() {
            Ok(mut s) => s.store(asset, tag, value, text),
            Err(_) => Stored::Refused {
                why: "the register banks are poisoned".into(),
                text: false,
            },
        }
    }
}

/// The points one server serves: every point of the model, or with `host`
/// only those whose `host` column names it. A model naming several hosts
/// needs `host`; no point at all is an error.
pub fn select(all: Vec<Point>, host: Option<&str>) -> anyhow::Result<Vec<Point>> {
    let mut hosts: Vec<&str> = all.iter().map(|p| p.host.as_str()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    let points: Vec<Point> = match host {
        Some(h) => {
            let v: Vec<Point> = all.iter().filter(|p| p.host == h).cloned().collect();
            if v.is_empty() {
                bail!(
                    "--host {}: no model row has that host (hosts: {})",
                    shown(h),
                    shown(&hosts.join(", "))
                );
            }
            v
        }
        None if hosts.len() > 1 => bail!(
            "the model names several hosts ({}); say which to serve with --host",
            shown(&hosts.join(", "))
        ),
        None => all,
    };
    if points.is_empty() {
        bail!("the model has no row with an address: nothing to serve");
    }
    Ok(points)
}

/// How the server listens and whom it admits.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    /// Networks admitted besides loopback.
    pub allow: Allow,
    /// Accept writes (function codes 5, 6, 15, 16, 22, 23) and write each
    /// written tag to stdout as a reading.
    pub writable: bool,
    /// Answer 02 for holes inside a table's span too.
    pub strict_map: bool,
    pub max_clients: usize,
    /// A connection on which nothing moves for this long is closed.
    pub idle: Duration,
    /// Stop serving after this long; `None` serves until stopped.
    pub serve_for: Option<Duration>,
    /// Say on stderr which connections are refused or closed, and why.
    pub verbose: bool,
    pub quiet: bool,
}

/// Reads the model again and selects the points to serve (SIGHUP).
pub type Reload = Box<dyn Fn() -> anyhow::Result<Vec<Point>>>;

/// A bound server, not yet accepting connections.
pub struct Server {
    runtime: tokio::runtime::Runtime,
    listener: TcpListener,
    shared: Arc<Shared>,
    /// Client writes, for the write-back thread (`--writable` only).
    writes: Option<Receiver<Written>>,
    cfg: ServeConfig,
}

impl Server {
    /// Banks for `points`, all zero, and the listening socket.
    pub fn bind(points: Vec<Point>, cfg: ServeConfig) -> anyhow::Result<Server> {
        let (tx, rx) = if cfg.writable {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Written>(4096);
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let shared = Arc::new(Shared {
            state: RwLock::new(State::new(points)),
            writes: tx,
            clients: AtomicUsize::new(0),
            strict: cfg.strict_map,
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the network runtime")?;
        let listener = runtime
            .block_on(TcpListener::bind(cfg.listen))
            .with_context(|| format!("listening on {}", cfg.listen))?;
        Ok(Server {
            runtime,
            listener,
            shared,
            writes: rx,
            cfg,
        })
    }

    /// The address bound (the port the system chose for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.cfg.listen)
    }

    /// The banks and points, for the thread that feeds them.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Accepts connections until `serve_for` is up, or forever, reading
    /// the model again through `reload` on every SIGHUP; with `writable`,
    /// a thread writes every client write to stdout.
    pub fn serve(self, hangup: Hangup, reload: Reload) -> anyhow::Result<()> {
        let Server {
            runtime,
            listener,
            shared,
            writes,
            cfg,
        } = self;
        if let Some(rx) = writes {
            std::thread::spawn(move || write_back(rx));
        }
        let gate = Arc::new(Gate {
            shared,
            allow: cfg.allow.clone(),
            max_clients: cfg.max_clients,
            idle: cfg.idle,
            verbose: cfg.verbose,
        });
        runtime.block_on(async {
            let hangups = hangup.on_runtime();
            let forever = accept(&listener, &gate, hangups.as_ref(), &reload, &cfg);
            match cfg.serve_for {
                Some(d) => {
                    let _ = tokio::time::timeout(d, forever).await;
                }
                None => forever.await,
            }
        });
        Ok(())
    }
}

/// The accept loop: every admitted connection gets its own task; a SIGHUP
/// swaps in the model read again.
async fn accept(
    listener: &TcpListener,
    gate: &Arc<Gate>,
    hangups: Option<&hangup::Hangups>,
    reload: &Reload,
    cfg: &ServeConfig,
) {
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, peer)) => {
                    if let Some((place, stream)) = gate.admit(stream, peer) {
                        let shared = Arc::clone(&gate.shared);
                        let verbose = cfg.verbose;
                        tokio::spawn(async move {
                            if let Err(e) = connection(stream, &shared, place).await
                                && verbose
                            {
                                eprintln!("iiot modbus-serve: connection from {peer} closed: {e}");
                            }
                        });
                    }
                }
                // An accept that fails (a client gone before it was
                // accepted, no file descriptors left) must not end the
                // server: listen again.
                Err(e) => {
                    eprintln!("iiot modbus-serve: accepting a connection: {e}; listening on");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            () = hangup::next(hangups) => reload_model(&gate.shared, reload, cfg.quiet),
        }
    }
}

/// Reads the model again and serves it, keeping the values of the tags it
/// still has; a model with errors changes nothing.
fn reload_model(shared: &Shared, reload: &Reload, quiet: bool) {
    let points = match reload() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("iiot modbus-serve: SIGHUP: keeping the model in force: {e:#}");
            return;
        }
    };
    let Ok(mut state) = shared.state.write() else {
        eprintln!("iiot modbus-serve: SIGHUP: the register banks are poisoned");
        return;
    };
    let (new, kept) = State::carry(points, &mut state);
    *state = new;
    if !quiet {
        eprintln!(
            "iiot modbus-serve: SIGHUP: model reloaded: {} tags, {} unit ids ({kept} tags kept their values)",
            state.points.len(),
            state.unit_ids()
        );
    }
}

/// Read buffer of a connection: the longest request is 260 bytes, so after
/// the complete requests in it are answered there is always room.
const READ_BUF: usize = 8 * 1024;

/// One connection: requests as they come (several at once when a client
/// pipelines), each answered in order, the answers to what one read
/// brought written together.
async fn connection(mut stream: IdleStream, shared: &Shared, _place: Place) -> std::io::Result<()> {
    let mut buf = vec![0u8; READ_BUF];
    let mut have = 0;
    let mut out: Vec<u8> = Vec::with_capacity(READ_BUF);
    let mut written: Vec<Written> = Vec::new();
    loop {
        let n = stream.read(&mut buf[have..]).await?;
        if n == 0 {
            return Ok(());
        }
        have += n;
        let mut used = 0;
        let mut bad = None;
        while used < have {
            match frame::next(&buf[used..have]) {
                Ok(Some(h)) => {
                    let pdu = &buf[used + frame::MBAP..used + h.len];
                    respond(shared, h, pdu, &mut out, &mut written);
                    used += h.len;
                }
                Ok(None) => break,
                Err(why) => {
                    bad = Some(why);
                    break;
                }
            }
        }
        buf.copy_within(used..have, 0);
        have -= used;
        if !out.is_empty() {
            stream.write_all(&out).await?;
            out.clear();
        }
        // Sent once the lock is released and the answer is out.
        if let Some(tx) = &shared.writes {
            for w in written.drain(..) {
                let _ = tx.send(w);
            }
        }
        if let Some(why) = bad {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{why}: not Modbus TCP"),
            ));
        }
    }
}

/// Appends the response to one request to `out`: MBAP header, then the
/// response PDU or the exception (function code with its high bit set,
/// then the exception code).
fn respond(
    shared: &Shared,
    h: frame::Header,
    pdu: &[u8],
    out: &mut Vec<u8>,
    written: &mut Vec<Written>,
) {
    let at = out.len();
    out.extend_from_slice(&[0; frame::MBAP]);
    let result = frame::decode(pdu, shared.writes.is_some())
        .and_then(|req| service::answer(shared, h.unit, req, out, written));
    if let Err(e) = result {
        out.truncate(at + frame::MBAP);
        out.push(pdu.first().copied().unwrap_or(0) | 0x80);
        out.push(e as u8);
    }
    let pdu_len = out.len() - at - frame::MBAP;
    frame::header(&mut out[at..at + frame::MBAP], h.tid, h.unit, pdu_len);
}

/// Writes every client write to stdout as a reading.
fn write_back(rx: Receiver<Written>) {
    let (sink, _) = stdout_sink(true);
    let mut out = RecordWriter::new(sink, Format::Ndjson, true);
    for w in rx {
        if !w.value.is_finite() {
            // A record's value is a finite number (a client can write the
            // bits of a NaN into a float register): said, not passed on.
            eprintln!(
                "iiot modbus-serve: a client wrote {} to {}/{}: not a number, not passed on",
                w.value,
                shown(&w.asset),
                shown(&w.tag)
            );
            continue;
        }
        let r = ReadingRef {
            ts: w.ts,
            asset: &w.asset,
            tag: &w.tag,
            value: w.value,
            unit: &w.unit,
            quality: Quality::Good,
            text: &w.text,
            fault: "",
            extra: "",
            encoded: None,
        };
        if out.write(&r).is_err() {
            return;
        }
    }
}
