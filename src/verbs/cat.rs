//! `iiot cat`: read reading streams, reject what breaks the contract, and
//! write the rest in canonical form.

use anyhow::Result;

use super::Global;
use super::args::{InputArgs, OutputArgs, RejectArgs};
use crate::io::{Next, ReadOptions, Records, Wait, stdout_sink};
use crate::record::RecordWriter;

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
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub reject: RejectArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    crate::io::refuse_overwriting_inputs(
        &args.input.inputs,
        &[("--rejects", args.reject.file())],
        true,
    )?;
    let mut rejects = args.reject.open("cat")?;
    let (sink, line_buffered) = stdout_sink(args.output.line_buffered);
    let mut out = RecordWriter::new(sink, args.output.format(), line_buffered);
    let mut records = Records::open(
        &args.input.inputs,
        ReadOptions {
            encode: Some(args.output.format()),
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
