//! `iiot derive`: the model's computed tags (its `formula` column) written
//! into a reading stream.

use anyhow::{Result, bail};

use super::Global;
use super::args::{InputArgs, ModelArgs, OutputArgs, RejectArgs};
use crate::derive::{Deriver, MaxAge, Pass};
use crate::io::{Next, ReadOptions, Records, Wait, stdout_sink};
use crate::record::RecordWriter;
use crate::time::Millis;

/// Compute the model's derived tags (its `formula` column) from a stream.
///
/// Passes every reading through and adds the computed tags: at each time
/// at which an input of a formula was updated, at most one derived reading
/// per asset, tag and time, from each input's latest value no older than
/// --max-age. By default the max age is 3 times the inputs' usual interval
/// as seen on the stream (the median of each input's last three intervals,
/// the longest of the inputs); before an interval is seen only inputs of
/// the same time count. A derived reading at time T is written once the
/// stream has moved past T (a reading of a later time, or the end of the
/// input), so the inputs of one time may come in any order. A derived
/// reading takes the worst quality of its inputs and the fault label of the
/// first input that has one. Readings of a
/// derived tag in the input are dropped (derive writes its own). A division
/// by zero or another non-finite result writes nothing. At the end: `read
/// N, wrote M, derived D, stale S, non-finite F, replaced R, rejected K` on
/// stderr.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot simulate --preset boiler --count 60 | iiot derive --preset boiler | iiot detect --preset boiler
  iiot cat fixture.ndjson | iiot derive --preset boiler --max-age 1m > with-efficiency.ndjson
  iiot poll --preset boiler --interval 10s | iiot derive --preset boiler --line-buffered | iiot store plant.db   # runs until stopped")]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    /// The model whose `formula` rows are computed (docs/model.md).
    #[command(flatten)]
    pub model: ModelArgs,
    /// Scale the model to N assets as `simulate --assets N` does (SITE-1/BLR-0001 …).
    #[arg(long, value_name = "N", value_parser = crate::options::at_least_one)]
    pub assets: Option<usize>,
    /// Inputs older than this give no derived reading [default: 3 times the inputs' usual interval].
    #[arg(long, value_name = "DURATION", value_parser = crate::options::nonneg_ms)]
    pub max_age: Option<Millis>,
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
    if args.model.model.is_none() && args.model.preset.is_none() {
        return Err(crate::io::UsageError(
            "derive needs a model: --model FILE or --preset NAME".into(),
        )
        .into());
    }
    let model = args.model.resolve("")?;
    let max_age = args.max_age.map_or(MaxAge::TimesInterval(3), MaxAge::Fixed);
    let deriver = match args.assets {
        Some(n) => Deriver::scaled(&model, n, max_age),
        None => Deriver::new(&model, max_age),
    };
    let Some(mut deriver) = deriver else {
        bail!("the model has no formula rows: nothing to derive");
    };
    let mut rejects = args.reject.open("derive")?;
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
    let result = (|| -> Result<()> {
        while let Next::Record(rec) = records.next(&mut rejects, Wait::Forever)? {
            if deriver.push(rec.reading, &mut |r| out.write(r))? == Pass::Keep {
                out.write_encoded(rec.encoded)?;
                wrote += 1;
            }
        }
        deriver.finish(&mut |r| out.write(r))?;
        Ok(())
    })();
    let flushed = out.flush();
    rejects.finish()?;
    let c = deriver.counts;
    if !global.quiet {
        eprintln!(
            "iiot derive: read {}, wrote {}, derived {}, stale {}, non-finite {}, replaced {}, late {}, rejected {}",
            records.read(),
            wrote + c.derived,
            c.derived,
            c.stale,
            c.non_finite,
            c.replaced,
            c.late,
            rejects.count()
        );
    }
    result.and(flushed.map_err(Into::into))
}
