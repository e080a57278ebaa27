//! `iiot plot`: readings, anomalies, alarm events and rollups drawn as an
//! SVG chart, one panel per series.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use super::Global;
use super::args::{InputArgs, ModelArgs, RejectArgs};
use crate::io::for_each_record;
use crate::model::Model;
use crate::patterns::Patterns;
use crate::plot::draw::{Layout, plot_width, svg};
use crate::plot::{Collector, Selection};
use crate::time::{MAX_MILLIS, MIN_MILLIS, Millis};

/// Draw readings as an SVG chart: one panel per series.
///
/// Reads readings (from any verb, a file or stdin) and draws each series
/// (asset + tag) in a panel of its own under one shared time axis in UTC:
/// the value line, the unit on the value axis, detect's flagged readings
/// (a non-empty "anomalies" array) as red markers, raised–cleared alarm
/// spans (alarm event lines, from `detect --events`) shaded — orange, red
/// for severity high — and with --model/--preset the tag's alarm limits
/// (lo_lo, lo, hi, hi_hi) as dashed lines when they lie near the data.
/// Rollup records (with "min" and "max") draw their mean as the line and
/// min..max as a band around it.
///
/// Any length of input draws in bounded memory: each series keeps the
/// smallest and largest value of each time bucket (at most two buckets a
/// pixel column, merged when drawn), and the line goes through those
/// extremes in the order they happened — what the full data would draw, at
/// any zoom the file is shown at. A gap in the data (over five of the series' mean intervals and two
/// pixel columns) breaks the line. Readings whose quality is not good are
/// left out of the line; two markers on the same pixel are drawn once.
///
/// Panels: the first --max-panels series with good readings in the input,
/// drawn in asset then tag order; choose with --asset/--tag. The chart is SVG: it scales, and
/// browsers, GitHub and documentation tools show it; for a PNG, convert it
/// (`rsvg-convert chart.svg -o chart.png`). At the end: `read N,
/// drew S series in P panels, A anomalies (M markers), E alarm spans,
/// rejected K` on stderr.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot simulate --preset fermenter --duration 2h --faults spike=0.002 --label | iiot detect --preset fermenter | iiot plot --preset fermenter -o fermenter.svg
  iiot query plant.db --asset SITE-1/BLR-1 | iiot plot -o blr1.svg
  iiot plot export.ndjson --tag 'temp*,pressure' --width 800 -o boilers.svg
  iiot rollup --every 1m export.ndjson | iiot plot -o band.svg --title 'one-minute rollups'
  iiot simulate --preset factory --duration 8h --interval 30s | iiot rollup --kpi health --every 1h | iiot plot --field health_oee -o health.svg")]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    /// The SVG file to write; `-` for stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Asset glob (`WH-0*`, `{A,B}`); repeat or separate with commas for several.
    #[arg(long, value_name = "GLOB")]
    pub asset: Vec<String>,
    /// Tag glob; repeat or separate with commas for several.
    #[arg(long, value_name = "GLOB")]
    pub tag: Vec<String>,
    /// The model whose alarm limits are drawn.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Draw from this time (RFC 3339, a date, or epoch ms); default: the first reading.
    #[arg(long, value_name = "TIME", value_parser = crate::options::time)]
    pub from: Option<Millis>,
    /// Draw up to this time (exclusive); default: the last reading.
    #[arg(long, value_name = "TIME", value_parser = crate::options::time)]
    pub to: Option<Millis>,
    /// Width of the chart in pixels.
    #[arg(long, value_name = "PX", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(200..=10000))]
    pub width: u32,
    /// Height of each panel in pixels.
    #[arg(long, value_name = "PX", default_value_t = 170, value_parser = clap::value_parser!(u32).range(60..=4000))]
    pub panel_height: u32,
    /// Draw at most N series; the rest are counted on stderr.
    #[arg(long, value_name = "N", default_value_t = 48, value_parser = clap::value_parser!(u64).range(1..=500))]
    pub max_panels: u64,
    /// A title above the panels.
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// Draw this numeric field of each record instead of `value`: a KPI's
    /// `scrap_rate`, a health score's `health_oee`, a rollup's `max`. A
    /// field inside an object is named by its path (`scrap_rate.quality`);
    /// an object of numbers draws one series per member. The series is
    /// named `TAG.FIELD`; records without the field are left out and
    /// counted.
    #[arg(long, value_name = "NAME")]
    pub field: Option<String>,
    #[command(flatten)]
    pub reject: RejectArgs,
    #[command(flatten)]
    pub select: super::args::SelectArgs,
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    crate::io::refuse_overwriting_inputs(
        &args.input.inputs,
        &[
            ("-o", Some(args.output.as_path())),
            ("--rejects", args.reject.file()),
        ],
        args.output.as_os_str() == "-",
    )?;
    let model: Option<Model> = args.model.given()?;
    // Records carry times from year 1 to 9999; so does the chart.
    let from = args.from.map(|t| t.clamp(MIN_MILLIS, MAX_MILLIS));
    let to = args.to.map(|t| t.clamp(MIN_MILLIS, MAX_MILLIS));
    if let (Some(f), Some(t)) = (from, to)
        && f >= t
    {
        bail!("--from must be before --to");
    }
    let sel = Selection {
        assets: Patterns::new(
            "asset",
            &args
                .select
                .asset_globs(args.model.preset.as_deref(), &args.asset)?,
        )?,
        tags: Patterns::new("tag", &args.tag)?,
        from,
        to,
        max_panels: args.max_panels as usize,
        buckets: 2 * plot_width(args.width) as usize,
    };
    let mut collector = Collector::new(sel);
    let mut rejects = args.reject.open("plot")?;
    let mut read = 0;
    let mut without_field = 0u64;
    let mut picked = crate::record::Reading::default();
    let result = for_each_record(
        &args.input.inputs,
        &mut rejects,
        &mut read,
        |name, line, raw, r, rejects| {
            if let Some(field) = args.field.as_deref()
                && !r.is_event()
            {
                let values = crate::plot::field::pick(r, field);
                if values.is_empty() {
                    without_field += 1;
                }
                for (tag, value) in values {
                    picked.clone_from(r);
                    picked.clear_extra();
                    picked.tag = tag;
                    picked.value = value;
                    if let Err(e) = collector.add(&picked) {
                        rejects.reject(name, line, &e, raw)?;
                    }
                }
                return Ok(());
            }
            if let Err(e) = collector.add(r) {
                rejects.reject(name, line, &e, raw)?;
            }
            Ok(())
        },
    );
    rejects.finish()?;
    result?;

    if collector.panels().is_empty() {
        let t = &collector.tally;
        bail!(
            "nothing to plot: read {read}, rejected {}, {} outside the selection, {} of quality not good, {without_field} without the --field",
            rejects.count(),
            t.not_selected,
            t.not_good
        );
    }
    let layout = Layout {
        width: args.width,
        panel_height: args.panel_height,
        title: args.title,
    };
    let (doc, drawn) = svg(&collector, model.as_ref(), &layout)?;
    write_output(&args.output, doc.as_bytes())?;

    if !global.quiet {
        let t = &collector.tally;
        let mut summary = format!(
            "iiot plot: read {read}, drew {} series in {} panels, {} anomalies ({} markers), {} alarm spans, rejected {}",
            drawn.panels,
            drawn.panels,
            drawn.anomalies,
            drawn.markers,
            drawn.spans,
            rejects.count()
        );
        if without_field > 0 {
            summary.push_str(&format!(
                "; {without_field} records without a numeric {}",
                args.field.as_deref().unwrap_or_default()
            ));
        }
        let left = collector.series_left_out();
        if t.left_out > 0 {
            summary.push_str(&format!(
                "; {left} series not drawn ({} readings): over --max-panels {}, choose with --asset/--tag",
                t.left_out, args.max_panels
            ));
        }
        if t.not_selected > 0 {
            summary.push_str(&format!(
                "; {} readings outside the selection",
                t.not_selected
            ));
        }
        if t.not_good > 0 {
            summary.push_str(&format!(
                "; {} readings of quality not good left out",
                t.not_good
            ));
        }
        eprintln!("{summary}");
    }
    Ok(())
}

/// Writes the chart whole: to a temporary file beside the target, renamed
/// over it, so a reader never sees half a chart.
fn write_output(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    if path.as_os_str() == "-" {
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)?;
        return out.flush().map_err(Into::into);
    }
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file name", path.display()))?;
    let tmp = path.with_file_name(format!(".{}.tmp", name.to_string_lossy()));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}
