//! `iiot modbus-serve`: readings on stdin become register values served
//! over Modbus TCP, per the model's map.
//!
//! The verb turns its options into a `ServeConfig` and a way to read the
//! model again (SIGHUP), and reads stdin on a plain thread that writes into
//! the shared banks; the server itself (the accept loop, framing and
//! answering requests, reloading, writing client writes back to stdout) is
//! `modbus::server`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};

use super::Global;
use super::args::ModelArgs;
use crate::io::{Next, ReadOptions, Records, Rejects, Wait};
use crate::modbus::hangup::Hangup;
use crate::modbus::map;
use crate::modbus::server::{self, Allow, ServeConfig, Server, Shared, Stored};
use crate::modbus::shown;
use crate::record::ParseError;

/// Serve readings as Modbus TCP registers.
///
/// Reads readings on stdin and writes each into its registers per the
/// model's map (unit_id, table, address, type, order, scale, offset, bit;
/// see docs/model.md): one register bank per unit id with holding and
/// input registers, coils and discrete inputs. Any number of Modbus TCP
/// clients read them at once; the last values stay served after stdin
/// ends, until the process is stopped.
///
/// Each table of a unit serves the span from its lowest to its highest
/// mapped address: holes inside the span read as 0 and take no writes, so
/// pollers that read across small gaps keep working; any address outside
/// the span is exception 2 (illegal data address), and a table with
/// nothing mapped answers 2 for every address. --strict-map answers 2 for
/// the holes too, for commissioning a SCADA against the exact map.
///
/// Function codes 1–4 (read coils, discrete inputs, holding and input
/// registers) are always answered; 5, 6, 15, 16 (writes), 22 (mask write
/// register) and 23 (read/write multiple registers) only with --writable,
/// and then every tag a write touched is written to stdout as a reading
/// with its new value decoded, so a SCADA setpoint becomes a record in the
/// pipeline. Requests are checked as the Modbus Application Protocol
/// Specification orders it, and every wrong one is answered with an
/// exception on a connection that stays open: 1 illegal function (a code
/// not implemented, a write without --writable), 3 illegal data value (a
/// quantity outside 1–2000 bits or 1–125 registers to read, 1–1968 coils or
/// 1–123 registers to write, 1–121 for 23's write; a byte count that does
/// not match it; a coil value other than 0xFF00 or 0x0000), 2 illegal data
/// address (see above), 11 gateway target failed to respond (a unit id not
/// in the model).
///
/// A reading whose value does not fit its register (a u16 below 0, an f32
/// beyond ±3.4e38) is rejected with its line number; a reading for a tag
/// not on the map is counted and named once. On SIGHUP the model is read
/// again: new tags are served, tags still in it keep their values, removed
/// ones are no longer served; a model with errors keeps the old one in
/// force and says why. Binds 127.0.0.1:5020 unless --listen says
/// otherwise, and admits only loopback clients unless --allow names their
/// network. "listening on ADDR", with the networks admitted, goes to
/// stderr once the socket is bound.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot simulate --count 1 | iiot modbus-serve --listen 127.0.0.1:0 --addr-file a --for 3s \\
    2>/dev/null & sleep 1; iiot poll --target $(cat a) --count 1 > wells.ndjson
  iiot simulate --realtime | iiot modbus-serve --writable > setpoints.ndjson   # runs until stopped
  iiot modbus-serve --listen 0.0.0.0:502 --allow 10.0.0.0/8 < live.ndjson   # runs until stopped")]
pub struct Args {
    /// The model whose map to serve: the wellhead preset when neither
    /// --preset nor --model is given (read again on SIGHUP).
    #[command(flatten)]
    pub model: ModelArgs,
    /// Serve only the model rows whose `host` column is HOST:PORT (needed when the model names several hosts).
    #[arg(long, value_name = "HOST:PORT")]
    pub host: Option<String>,
    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:5020", value_parser = crate::options::listen)]
    pub listen: SocketAddr,
    /// Also admit clients from this network (CIDR written as its network address, or one address); repeat for more. Loopback is always admitted; 0.0.0.0/0 and ::/0 admit everyone.
    #[arg(long, value_name = "CIDR")]
    pub allow: Vec<String>,
    /// Accept writes (function codes 5, 6, 15, 16, 22, 23) and write each written tag to stdout as a reading.
    #[arg(long)]
    pub writable: bool,
    /// Most clients connected at once; more are closed on connect.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = crate::options::at_least_one)]
    pub max_clients: usize,
    /// Close a connection on which nothing has moved for this long (a client that sends nothing, or reads no answers).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = crate::options::positive_duration)]
    pub idle_timeout: Duration,
    /// Once listening, write the bound ADDR:PORT to FILE (useful with --listen 127.0.0.1:0).
    #[arg(long, value_name = "FILE")]
    pub addr_file: Option<PathBuf>,
    /// Stop serving after this long (for scripts and tests); without it, serve until stopped.
    #[arg(long = "for", value_name = "DURATION", value_parser = crate::options::positive_duration)]
    pub serve_for: Option<Duration>,
    /// Write rejected lines here as NDJSON instead of to stderr.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Answer exception 2 (illegal data address) for unmapped addresses inside a table's span too, not only outside it.
    #[arg(long)]
    pub strict_map: bool,
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
    let (model, host) = (args.model.clone(), args.host.clone());
    let load = move || -> Result<Vec<map::Point>> {
        let model = model.resolve("wellhead")?;
        server::select(map::points(&model), host.as_deref())
    };
    let points = load()?;
    let cfg = config(&args, global)?;
    // Before the socket is bound: a SIGHUP sent once the server says it
    // listens must never be the default one that ends the process.
    let hangup = Hangup::register()?;
    let server = Server::bind(points, cfg.clone())?;
    let bound = server.local_addr();
    if let Some(f) = &args.addr_file {
        std::fs::write(f, format!("{bound}\n"))
            .with_context(|| format!("writing {}", shown(&f.display().to_string())))?;
    }
    let shared = server.shared();
    if !global.quiet {
        let (tags, units) = shared
            .state
            .read()
            .map_or((0, 0), |s| (s.points.len(), s.unit_ids()));
        eprintln!(
            "iiot modbus-serve: listening on {bound} ({tags} tags, {units} unit ids, {}{}); admitting {}",
            if args.writable {
                "writable"
            } else {
                "read-only"
            },
            if args.strict_map { ", strict map" } else { "" },
            cfg.allow
        );
    }
    let feeder = {
        let s = Arc::clone(shared);
        let quiet = global.quiet;
        let rejects = Rejects::new("modbus-serve", args.rejects.as_deref(), false)?;
        std::thread::spawn(move || feed(&s, rejects, quiet))
    };
    let result = server.serve(hangup, Box::new(load));
    drop(feeder);
    result
}

/// The server's settings, from the command line.
fn config(args: &Args, global: &Global) -> Result<ServeConfig> {
    let (idle, serve_for) = (args.idle_timeout, args.serve_for);
    let allow = Allow::parse(&args.allow)?;
    let listen = args.listen;
    Ok(ServeConfig {
        listen,
        allow,
        writable: args.writable,
        strict_map: args.strict_map,
        max_clients: args.max_clients,
        idle,
        serve_for,
        verbose: global.verbose > 0,
        quiet: global.quiet,
    })
}

/// Reads stdin into the banks until it ends.
fn feed(shared: &Shared, mut rejects: Rejects, quiet: bool) {
    let mut records = Records::open(&[], ReadOptions::default(), true);
    let (mut wrote, mut unmapped) = (0u64, 0u64);
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
        match shared.store(&reading.asset, &reading.tag, reading.value, &reading.text) {
            Stored::Yes => wrote += 1,
            Stored::NotOnMap => {
                unmapped += 1;
                if unmapped == 1 && !quiet {
                    eprintln!(
                        "iiot modbus-serve: {}/{} is not on the register map; such readings are counted, not served",
                        shown(&reading.asset),
                        shown(&reading.tag)
                    );
                }
            }
            Stored::Refused { why, text } => {
                let e = ParseError {
                    field: Some(if text { "text" } else { "value" }),
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
