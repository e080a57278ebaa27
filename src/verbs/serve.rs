//! `iiot serve`: the historian over HTTP — a read API, optional ingest to
//! stdout, and a live dashboard (the server itself is `crate::serve`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::Global;
use super::args::ModelArgs;
use crate::serve::Config;

/// Serve stores and lakes over HTTP: a JSON API, ingest, a live dashboard.
///
/// SOURCE is a SQLite store written by `iiot store`, a Parquet file or a
/// lake folder; give several to serve them together (their answers follow
/// one another in the order given). A store being written is served live.
/// With --model or --preset, /series carries each series' description,
/// alarm limits (lo_lo, lo, hi, hi_hi) and range, which the dashboard
/// draws.
///
/// Endpoints (all GET unless said; the README and /openapi.json describe
/// each): / the dashboard; /series?asset&tag; /readings?asset&tag&from&to
/// &limit[&every=1h|&points=800]; /latest; /rollups?every|points; /alarms;
/// /alarms/active; /health; /openapi.json; with --ingest, POST /ingest
/// (one record) and POST /ingest/batch (NDJSON or a JSON array). Asset and
/// tag are globs and may repeat; every series read (/series, /readings,
/// /rollups, /latest, /alarms, /alarms/active) also selects by the asset
/// registry (--assets FILE, else the --preset's): where=type=pump,location=
/// site-1/* (repeat for either of several), related_to=R-101 and
/// relation=feeds, as `query --where/--related-to` does. From is inclusive,
/// to exclusive (RFC 3339,
/// a date, or epoch ms). Records come as NDJSON, or as one JSON array when
/// Accept asks for application/json, streamed. With points=N (and from),
/// the coarsest rollup table that still gives N buckets over the range is
/// read, raw readings when none does. Errors are JSON:
/// {"status":400,"error":"bad_parameter","parameter":"from","message":…}.
///
/// Ingest: each record is checked by the record codec; the good ones are
/// written to stdout as NDJSON (so `iiot serve --ingest | iiot store x.db`
/// composes), the bad ones answered with their index and reason (422 when
/// any was bad). When --ingest-buffer bytes are waiting for a slow
/// consumer, a request is answered 503 with Retry-After: 1 and none of its
/// records taken. With --token-file, ingest requires `Authorization:
/// Bearer TOKEN`; listening beyond loopback with --ingest requires it.
/// Reads need no token.
///
/// Binds 127.0.0.1:8080 unless --listen says otherwise; "listening on
/// http://ADDR/" goes to stderr once bound: open it in a browser for the
/// dashboard (`/?asset=FERM-1&window=600000`: one chart per series of
/// the asset over the last 10 minutes of data, updated every 2 s). Stops
/// on SIGTERM or SIGINT (ingest first writes out what it took) or when
/// --for runs out.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot serve plant.db --preset fermenter --listen 127.0.0.1:0 --addr-file a --for 2s
  iiot serve plant.db lake --listen 0.0.0.0:8080 --cors https://grafana.example   # runs until stopped
  iiot serve plant.db --ingest | iiot store plant-in.db   # runs until stopped
  iiot serve live.db --preset fermenter   # runs until stopped")]
pub struct Args {
    /// SQLite stores, Parquet files or lake folders to serve.
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<PathBuf>,
    /// The plant model whose units, descriptions and alarm limits /series gives.
    #[command(flatten)]
    pub model: ModelArgs,
    /// The asset registry CSV the `where`, `related_to` and `relation` parameters select from (its relations from the neighbour X.relations.csv). Default: the registry of --preset.
    #[arg(long = "assets", value_name = "FILE")]
    pub assets_file: Option<PathBuf>,
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080", value_parser = crate::options::listen)]
    pub listen: SocketAddr,
    /// Once listening, write the bound ADDR:PORT to FILE.
    #[arg(long, value_name = "FILE")]
    pub addr_file: Option<PathBuf>,
    /// Accept records on POST /ingest and /ingest/batch and write them to stdout.
    #[arg(long)]
    pub ingest: bool,
    /// A file holding the bearer token ingest requires (needed with --ingest beyond loopback).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Send CORS headers admitting this origin (`*` for any); none unless given.
    #[arg(long, value_name = "ORIGIN")]
    pub cors: Option<String>,
    /// Largest request body.
    #[arg(long, value_name = "SIZE", default_value = "16MiB", value_parser = size)]
    pub max_body: usize,
    /// Requests a second each client address may make (429 past it).
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate: u32,
    /// How long a client may take to send its request or to take the next part of an answer.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = crate::options::positive_duration)]
    pub slow_client: Duration,
    /// Accepted records that may wait for stdout before ingest answers 503.
    #[arg(long, value_name = "SIZE", default_value = "8MiB", value_parser = size)]
    pub ingest_buffer: usize,
    /// Most connections open at once; more wait to be accepted.
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = crate::options::at_least_one)]
    pub max_connections: usize,
    /// Stop serving after this long (for scripts and tests); without it, serve until stopped.
    #[arg(long = "for", value_name = "DURATION", value_parser = crate::options::positive_duration)]
    pub serve_for: Option<Duration>,
}

/// A size in bytes: `65536`, `64KiB`, `16MiB`, `1GiB` (also KB, MB, GB as powers of 1000).
fn size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: usize = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size (65536, 64KiB, 16MiB)"))?;
    let mult: usize = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "K" | "k" => 1 << 10,
        "MiB" | "M" => 1 << 20,
        "GiB" | "G" => 1 << 30,
        "KB" | "kB" => 1000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        u => return Err(format!("{u:?} is not a size unit (B, KiB, MiB, GiB)")),
    };
    match n.checked_mul(mult) {
        Some(b) if b > 0 => Ok(b),
        Some(_) => Err("a size must be more than 0".into()),
        None => Err(format!("{s:?} is too large")),
    }
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    let token = match &args.token_file {
        Some(f) => {
            let t =
                std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
            let t = t.trim().to_string();
            if t.is_empty() {
                bail!("{} holds no token", f.display());
            }
            Some(t)
        }
        None => None,
    };
    if args.ingest && token.is_none() && !args.listen.ip().is_loopback() {
        bail!(
            "--ingest on {} (beyond loopback) needs --token-file: anyone who reaches it could write records",
            args.listen
        );
    }
    let cfg = Config {
        sources: args.sources.clone(),
        model: args.model.given()?,
        registry: match (&args.assets_file, &args.model.preset) {
            (Some(f), _) => Some(crate::assets::Registry::open(f, None)?),
            (None, Some(p)) => Some(crate::assets::presets::load(p)?),
            (None, None) => None,
        },
        listen: args.listen,
        addr_file: args.addr_file.clone(),
        ingest: args.ingest,
        token,
        cors: args.cors.clone(),
        max_body: args.max_body,
        rate: args.rate,
        slow: args.slow_client,
        ingest_buffer: args.ingest_buffer,
        max_connections: args.max_connections,
        serve_for: args.serve_for,
        quiet: global.quiet,
        verbose: global.verbose > 0,
    };
    crate::serve::run(cfg)
}

#[cfg(test)]
mod tests {
    use super::size;

    #[test]
    fn sizes() {
        assert_eq!(size("16MiB"), Ok(16 << 20));
        assert_eq!(size("64KiB"), Ok(65536));
        assert_eq!(size("1000"), Ok(1000));
        assert!(size("0").is_err());
        assert!(size("12 parsecs").is_err());
    }
}
