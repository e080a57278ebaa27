//! `iiot model`: print a preset, list the presets, check a model file.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, bail};

use super::Global;
use crate::model::{self, Model, PRESETS};

/// Print, list and check plant models.
///
/// A plant model is a CSV file, one row per asset-tag, that drives
/// simulate, modbus-serve, poll, detect, store and plot (docs/model.md
/// lists the columns). `--preset NAME` prints a built-in model to copy and edit;
/// `check FILE` validates one and names the line and column of every
/// problem (exit 1 when there is any).
#[derive(Debug, clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "\
Examples:
  iiot model --list
  iiot model --preset wellhead > plant.csv
  iiot model check plant.csv
  iiot model --preset fermenter | iiot model check -"
)]
pub struct Args {
    /// List the built-in presets.
    #[arg(long, conflicts_with = "preset")]
    pub list: bool,
    /// Print the built-in preset NAME as CSV.
    #[arg(long, value_name = "NAME", value_parser = crate::options::preset)]
    pub preset: Option<String>,
    #[command(subcommand)]
    pub action: Option<Action>,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Validate a model CSV: unknown columns, types, orders, profiles; limits out of order; duplicate asset+tag; overlapping registers; references to missing tags or states.
    Check {
        /// The model CSV (`-` for stdin).
        file: PathBuf,
        /// Also check this asset registry (docs/assets.md; relations from its neighbour X.relations.csv) and that every asset of the model is in it, by id or UUID.
        #[arg(long, value_name = "FILE")]
        assets: Option<PathBuf>,
    },
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if let Some(Action::Check { file, assets }) = args.action {
        let text = crate::io::read_to_string(&file)?;
        let source = if file.as_os_str() == "-" {
            "stdin".to_string()
        } else {
            file.display().to_string()
        };
        let model = Model::load(&text, &source)?;
        let registry = match &assets {
            Some(path) => Some(crate::assets::check_model(&model, path)?),
            None => None,
        };
        if !global.quiet {
            writeln!(out, "{source}: ok, {}", summary(&model))?;
            if let (Some(path), Some(n)) = (&assets, registry) {
                writeln!(out, "{}: ok, {n} assets", path.display())?;
            }
        }
        return Ok(());
    }
    if let Some(name) = args.preset {
        out.write_all(model::preset(&name)?.csv.as_bytes())?;
        return Ok(());
    }
    if args.list {
        for p in PRESETS {
            writeln!(out, "{:<10} {}", p.name, p.summary)?;
        }
        return Ok(());
    }
    bail!("say what to do: --list, --preset NAME, or check FILE (see iiot model --help)")
}

/// One line on what a model holds.
fn summary(model: &Model) -> String {
    let assets = model.assets().len();
    let mapped = model
        .rows
        .iter()
        .filter(|r| r.modbus.address.is_some())
        .count();
    let limits = model
        .rows
        .iter()
        .filter(|r| {
            r.alarms.hi.is_some()
                || r.alarms.lo.is_some()
                || r.alarms.hi_hi.is_some()
                || r.alarms.lo_lo.is_some()
        })
        .count();
    format!(
        "{} rows, {assets} assets, {mapped} on the Modbus map, {limits} with alarm limits",
        model.rows.len()
    )
}
