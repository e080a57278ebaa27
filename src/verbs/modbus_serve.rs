//! `iiot modbus-serve`: readings on stdin become register values served
//! over Modbus TCP, per the model's map.
//!
//! tokio runs only the network side (a current-thread runtime, one task per
//! connection, tokio-modbus's server); stdin is read on a plain thread that
//! writes into the shared banks, and writes from clients (`--writable`)
//! reach stdout through a channel to a writer thread.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::cli::Global;
use crate::io::{Next, ReadOptions, Records, Rejects, Wait, stdout_sink};
use crate::modbus::map::{self, PointIndex, is_bit_table};
use crate::modbus::server::{Allow, Gate, Shared, Written};
use crate::model;
use crate::record::{Format, ParseError, Quality, Reading, ReadingRef, RecordWriter};
use crate::time;

/// Serve readings as Modbus TCP registers.
///
/// Reads readings on stdin and writes each into its registers per the
/// model's map (unit_id, table, address, type, order, scale, offset, bit;
/// see docs/model.md): one register bank per unit id with holding and
/// input registers, coils and discrete inputs. Any number of Modbus TCP
/// clients read them at once; the last values stay served after stdin
/// ends, until the process is stopped.
///
/// Function codes 1–4 (read coils, discrete inputs, holding and input
/// registers) are always answered; 5, 6, 15 and 16 (writes) only with
/// --writable, and then every tag a write touched is written to stdout as
/// a reading with its new value decoded, so a SCADA setpoint becomes a
/// record in the pipeline. Exception responses: 1 illegal function, 2
/// illegal data address (also a read running past the last mapped address
/// of its table), 3 illegal data value (a count of 0 or over 125 registers
/// / 2000 bits), 11 gateway target failed to respond (a unit id not in
/// the model).
///
/// A reading whose value does not fit its register (a u16 below 0, say) is
/// rejected with its line number; a reading for a tag not on the map is
/// counted and named once. Binds 127.0.0.1:5020 unless --listen says
/// otherwise, and admits only loopback clients unless --allow names their
/// network. "listening on ADDR" goes to stderr once the socket is bound.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot simulate --count 1 | iiot modbus-serve --listen 127.0.0.1:0 --addr-file a --for 3s \\
    2>/dev/null & sleep 1; iiot poll --target $(cat a) --count 1 > wells.ndjson
  iiot simulate --realtime | iiot modbus-serve --writable > setpoints.ndjson   # runs until stopped
  iiot modbus-serve --listen 0.0.0.0:502 --allow 10.0.0.0/8 < live.ndjson   # runs until stopped")]
pub struct Args {
    /// Built-in model whose map to serve (see `iiot model --list`); wellhead when neither --preset nor --model is given.
    #[arg(long, value_name = "NAME", conflicts_with = "model", value_parser = crate::options::preset)]
    pub preset: Option<String>,
    /// Plant model CSV whose map to serve.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Serve only the model rows whose `host` column is HOST:PORT (needed when the model names several hosts).
    #[arg(long, value_name = "HOST:PORT")]
    pub host: Option<String>,
    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:5020", value_parser = crate::options::listen_text)]
    pub listen: String,
    /// Also admit clients from this network (CIDR, or one address); repeat for more. Loopback is always admitted.
    #[arg(long, value_name = "CIDR")]
    pub allow: Vec<String>,
    /// Accept writes (function codes 5, 6, 15, 16) and write each written tag to stdout as a reading.
    #[arg(long)]
    pub writable: bool,
    /// Most clients connected at once; more are closed on connect.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = crate::options::at_least_one)]
    pub max_clients: usize,
    /// Close a connection on which nothing has moved for this long (a client that sends nothing, or reads no answers).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = crate::options::positive_text)]
    pub idle_timeout: String,
    /// Once listening, write the bound ADDR:PORT to FILE (useful with --listen 127.0.0.1:0).
    #[arg(long, value_name = "FILE")]
    pub addr_file: Option<PathBuf>,
    /// Stop serving after this long (for scripts and tests); without it, serve until stopped.
    #[arg(long = "for", value_name = "DURATION", value_parser = crate::options::positive_text)]
    pub serve_for: Option<String>,
    /// Write rejected lines here as NDJSON instead of to stderr.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    crate::io::refuse_overwriting_inputs(
        &[],
        &[
            ("--rejects", args.rejects.as_deref()),
            ("--addr-file", args.addr_file.as_deref()),
        ],
        false,
    )?;
    let model = model::resolve(args.model.as_deref(), args.preset.as_deref(), "wellhead")?;
    let idle = Duration::from_millis(
        time::parse_positive_millis(&args.idle_timeout).context("--idle-timeout")? as u64,
    );
    let serve_for = match &args.serve_for {
        Some(d) => Some(Duration::from_millis(
            time::parse_positive_millis(d).context("--for")? as u64,
        )),
        None => None,
    };
    let allow = Allow::parse(&args.allow)?;
    let listen: SocketAddr = args
        .listen
        .parse()
        .with_context(|| format!("--listen {:?} is not ADDR:PORT", args.listen))?;
    let all = map::points(&model);
    let mut hosts: Vec<&str> = all.iter().map(|p| p.host.as_str()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    let points: Vec<map::Point> = match &args.host {
        Some(h) => {
            let v: Vec<map::Point> = all.iter().filter(|p| &p.host == h).cloned().collect();
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
    let (wtx, wrx) = std::sync::mpsc::sync_channel::<Written>(4096);
    let shared = Arc::new(Shared::new(points, args.writable.then_some(wtx)));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the network runtime")?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(listen))
        .with_context(|| format!("listening on {listen}"))?;
    let bound = listener.local_addr().unwrap_or(listen);
    if let Some(f) = &args.addr_file {
        std::fs::write(f, format!("{bound}\n"))
            .with_context(|| format!("writing {}", f.display()))?;
    }
    if !global.quiet {
        eprintln!(
            "iiot modbus-serve: listening on {bound} ({} tags, {} unit ids{})",
            shared.points.len(),
            shared.banks.read().map_or(0, |b| b.units.len()),
            if args.writable {
                ", writable"
            } else {
                ", read-only"
            }
        );
    }

    if args.writable {
        let s = Arc::clone(&shared);
        std::thread::spawn(move || write_back(&s, wrx));
    }
    let feeder = {
        let s = Arc::clone(&shared);
        let quiet = global.quiet;
        let rejects = Rejects::new("modbus-serve", args.rejects.as_deref(), false)?;
        std::thread::spawn(move || feed(&s, rejects, quiet))
    };

    let gate = Arc::new(Gate {
        shared: Arc::clone(&shared),
        allow,
        max_clients: args.max_clients,
        idle,
        verbose: global.verbose > 0,
    });
    let verbose = global.verbose > 0;
    let result = runtime.block_on(async move {
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
        Ok::<(), std::io::Error>(())
    });
    drop(feeder);
    result.context("serving Modbus TCP")
}

/// Reads stdin into the banks until it ends.
fn feed(shared: &Shared, mut rejects: Rejects, quiet: bool) {
    let mut index = PointIndex::new(&shared.points);
    let mut records = Records::open(&[], ReadOptions::default(), true);
    let (mut wrote, mut unmapped) = (0u64, 0u64);
    let mut scratch = [0u16; 125];
    loop {
        // A server may be stopped at any time: each reject is written out
        // as it happens.
        let before = rejects.count();
        let next = records.next(&mut rejects, Wait::Forever);
        if rejects.count() != before {
            let _ = rejects.finish();
        }
        let rec = match next {
            Ok(Next::Record(rec)) => rec,
            Ok(Next::End | Next::Quiet) => break,
            Err(e) => {
                eprintln!("iiot modbus-serve: reading stdin: {e:#}");
                break;
            }
        };
        let (line_no, bytes, reading) = (rec.line, rec.raw, &*rec.reading);
        if reading.is_event() {
            continue;
        }
        let Some(i) = index.find(&reading.asset, &reading.tag) else {
            unmapped += 1;
            if unmapped == 1 && !quiet {
                eprintln!(
                    "iiot modbus-serve: {}/{} is not on the register map; such readings are counted, not served",
                    reading.asset, reading.tag
                );
            }
            continue;
        };
        match store(shared, i, reading, &mut scratch) {
            Ok(()) => wrote += 1,
            Err(why) => {
                let e = ParseError {
                    field: Some(if shared.points[i].is_text() {
                        "text"
                    } else {
                        "value"
                    }),
                    message: why,
                };
                let _ = rejects.reject("stdin", line_no, &e, bytes);
                let _ = rejects.finish();
            }
        }
    }
    let _ = rejects.finish();
    let read = records.read();
    if !quiet {
        eprintln!(
            "iiot modbus-serve: read {read}, wrote {wrote}, rejected {}, not on the map {unmapped}; serving the last values until stopped",
            rejects.count()
        );
    }
}

/// Encodes one reading into its point's registers.
fn store(shared: &Shared, i: usize, r: &Reading, scratch: &mut [u16; 125]) -> Result<(), String> {
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

/// Writes every client write to stdout as a reading.
fn write_back(shared: &Shared, rx: std::sync::mpsc::Receiver<Written>) {
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
