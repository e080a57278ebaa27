//! `iiot cat`: read reading streams, reject what breaks the contract, and
//! write the rest in canonical form.

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::Global;
use crate::io::{Next, ReadOptions, Records, Rejects, Wait, stdout_sink};
use crate::record::{Format, RecordWriter};

/// Validate and normalise reading streams.
///
/// Reads NDJSON readings (and alarm events) from the files named, in
/// order, or from stdin, and writes each good one back in canonical form:
/// `ts` in UTC with `Z`, fields in contract order, fields iiot does not
/// know kept after them. A bad line (not JSON, a missing or mistyped field,
/// a value that is NaN, Infinity or null, an impossible time, invalid
/// UTF-8, a line over 1 MiB) is rejected with its file, line number and
/// reason, and the stream goes on. Blank lines are skipped. At the end:
/// `read N, wrote M, rejected K` on stderr (-q silences it).
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot cat export.ndjson --rejects bad.ndjson > clean.ndjson
  iiot simulate --preset boiler --count 10 | iiot cat --format csv
  iiot cat --strict fixture.ndjson > /dev/null   # exit 1 at the first bad line")]
pub struct Args {
    /// Input files; `-` or none for stdin.
    pub inputs: Vec<PathBuf>,
    /// Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Stop with exit 1 at the first bad line, writing nothing after it.
    #[arg(long)]
    pub strict: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Ndjson)]
    pub format: Format,
    /// Flush after every record, for live pipelines.
    #[arg(long)]
    pub line_buffered: bool,
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    crate::io::refuse_overwriting_inputs(
        &args.inputs,
        &[("--rejects", args.rejects.as_deref())],
        true,
    )?;
    let mut rejects = Rejects::new("cat", args.rejects.as_deref(), args.strict)?;
    let (sink, line_buffered) = stdout_sink(args.line_buffered);
    let mut out = RecordWriter::new(sink, args.format, line_buffered);
    let mut records = Records::open(
        &args.inputs,
        ReadOptions {
            encode: Some(args.format),
            progress: true,
        },
        global.quiet,
    );
    let mut wrote = 0u64;
    // Records come encoded in canonical form from the parsing threads.
    let result = (|| -> Result<()> {
        while let Next::Record(rec) = records.next(&mut rejects, Wait::Forever)? {
            out.write_encoded(rec.encoded)?;
            wrote += 1;
        }
        Ok(())
    })();
    // What was good before a failure (a missing file, --strict) is still
    // written and counted.
    let flushed = out.flush();
    rejects.finish()?;
    if !global.quiet {
        eprintln!(
            "iiot cat: read {}, wrote {wrote}, rejected {}",
            records.read(),
            rejects.count()
        );
    }
    result.and(flushed.map_err(Into::into))
}
