//! The Modbus TCP side of `modbus-serve`: the register banks every
//! connection shares, a reading encoded into them, the accept loop, and the
//! write-back of what clients write (`--writable`) to stdout as readings.
//!
//! tokio runs only the network side (a current-thread runtime, one task per
//! connection, tokio-modbus's server); the caller feeds the banks from a
//! plain thread through [`store`], and writes from clients reach stdout
//! through a bounded channel to a writer thread. Answering requests is in
//! `service`, admitting connections in `gate`.

mod gate;
mod service;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::net::TcpListener;

pub use gate::Allow;
use gate::Gate;

use super::map::{Banks, Point, is_bit_table};
use crate::io::stdout_sink;
use crate::model::Table;
use crate::record::{Format, Quality, Reading, ReadingRef, RecordWriter};
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
    pub writes: Option<SyncSender<Written>>,
    pub clients: AtomicUsize,
}

impl Shared {
    pub fn new(points: Vec<Point>, writes: Option<SyncSender<Written>>) -> Shared {
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

/// Encodes one reading into its point's registers (or bit), leaving them
/// as they were when the value does not fit; the error says why.
pub fn store(
    shared: &Shared,
    i: usize,
    r: &Reading,
    scratch: &mut [u16; 125],
) -> Result<(), String> {
    let p = &shared.points[i];
    let mut banks = shared
        .banks
        .write()
        .map_err(|_| "the register banks are poisoned".to_string())?;
    let bank = banks
        .units
        .get_mut(&p.unit_id)
        .ok_or_else(|| "no bank for its unit id".to_string())?;
    let a = usize::from(p.address);
    if is_bit_table(p.table) {
        let bits = bank.bits_mut(p.table);
        bits[a] = r.value != 0.0;
        return Ok(());
    }
    let w = usize::from(p.width());
    let regs = bank.registers_mut(p.table);
    let target = &mut regs[a..a + w];
    // Encode into a copy first, so a value that does not fit leaves the
    // registers as they were.
    let buf = &mut scratch[..w];
    buf.copy_from_slice(target);
    if p.is_text() {
        p.layout
            .encode_text(&r.text, buf)
            .map_err(|e| e.to_string())?;
    } else {
        p.layout
            .encode(r.value, buf)
            .map_err(|e| format!("{} {}: {e}", p.layout.reg_type, p.table))?;
    }
    target.copy_from_slice(buf);
    Ok(())
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
                    "--host {h}: no model row has that host (hosts: {})",
                    hosts.join(", ")
                );
            }
            v
        }
        None if hosts.len() > 1 => bail!(
            "the model names several hosts ({}); say which to serve with --host",
            hosts.join(", ")
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
    /// Accept writes (function codes 5, 6, 15, 16) and write each written
    /// tag to stdout as a reading.
    pub writable: bool,
    pub max_clients: usize,
    /// A connection on which nothing moves for this long is closed.
    pub idle: Duration,
    /// Stop serving after this long; `None` serves until stopped.
    pub serve_for: Option<Duration>,
    /// Say on stderr which connections are refused or closed, and why.
    pub verbose: bool,
}

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
        let shared = Arc::new(Shared::new(points, tx));
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

    /// Accepts connections until `serve_for` is up, or forever; with
    /// `writable`, a thread writes every client write to stdout.
    pub fn serve(self) -> anyhow::Result<()> {
        let Server {
            runtime,
            listener,
            shared,
            writes,
            cfg,
        } = self;
        if let Some(rx) = writes {
            let s = Arc::clone(&shared);
            std::thread::spawn(move || write_back(&s, rx));
        }
        let gate = Arc::new(Gate {
            shared,
            allow: cfg.allow,
            max_clients: cfg.max_clients,
            idle: cfg.idle,
            verbose: cfg.verbose,
        });
        let result = runtime.block_on(accept(listener, gate, cfg.verbose, cfg.serve_for));
        result.context("serving Modbus TCP")
    }
}

/// The accept loop: every admitted connection gets its own task, answered
/// by tokio-modbus's server over a `Service`.
async fn accept(
    listener: TcpListener,
    gate: Arc<Gate>,
    verbose: bool,
    serve_for: Option<Duration>,
) -> std::io::Result<()> {
    let server = tokio_modbus::server::tcp::Server::new(listener);
    let on_connected = |stream, peer| {
        let gate = Arc::clone(&gate);
        async move { Ok(gate.admit(stream, peer)) }
    };
    let on_error = move |err: std::io::Error| {
        if verbose {
            eprintln!("iiot modbus-serve: connection closed: {err}");
        }
    };
    // An accept that fails (a client gone before it was accepted, no
    // file descriptors left) must not end the server: listen again.
    let forever = async {
        loop {
            if let Err(e) = server.serve(&on_connected, on_error).await {
                eprintln!("iiot modbus-serve: accepting a connection: {e}; listening on");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    match serve_for {
        Some(d) => {
            let _ = tokio::time::timeout(d, forever).await;
        }
        None => forever.await,
    }
    Ok(())
}

/// Writes every client write to stdout as a reading.
fn write_back(shared: &Shared, rx: Receiver<Written>) {
    let (sink, _) = stdout_sink(true);
    let mut out = RecordWriter::new(sink, Format::Ndjson, true);
    for w in rx {
        let p = &shared.points[w.point];
        if !w.value.is_finite() {
            // A record's value is a finite number (a client can write the
            // bits of a NaN into a float register): said, not passed on.
            eprintln!(
                "iiot modbus-serve: a client wrote {} to {}/{}: not a number, not passed on",
                w.value, p.asset, p.tag
            );
            continue;
        }
        let r = ReadingRef {
            ts: w.ts,
            asset: &p.asset,
            tag: &p.tag,
            value: w.value,
            unit: &p.unit,
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
