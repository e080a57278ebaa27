//! `iiot assets`: the asset registry — print, check, list, search, and
//! exchange it with the chemical platform's JSON files.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::Global;
use super::args::SelectArgs;
use crate::assets::search::Index;
use crate::assets::{Registry, interchange, presets};

/// The asset registry: what each asset is, where it stands, how it is related.
///
/// A registry is an assets CSV (asset, uuid, name, type, location, parent,
/// description, specifications) and a relations CSV (from, relation, to)
/// beside it, X.csv and X.relations.csv (docs/assets.md). Every preset has
/// one (`iiot assets show --preset chemical`). Verbs that select series
/// (query, inspect, plot, rollup, detect) take `--where` and
/// `--related-to` against it.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot assets find --preset chemical \"high-temperature reactor vessel\" --limit 3
  iiot assets show --preset chemical > plant.csv; iiot assets show --preset chemical --relations-csv > plant.relations.csv
  iiot assets list --assets plant.csv --where type=pump,location='site-1/unit-300/*'
  iiot assets export --assets plant.csv out/   # then: dot -Tsvg out/graph.dot > plant.svg")]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

/// Where the registry comes from.
#[derive(Debug, Clone, clap::Args)]
pub struct RegistryArgs {
    /// The assets CSV; its relations from the neighbour X.relations.csv when there is one.
    #[arg(long = "assets", value_name = "FILE", conflicts_with = "preset")]
    pub assets_file: Option<PathBuf>,
    /// The relations CSV, when not the neighbour of --assets.
    #[arg(long, value_name = "FILE", requires = "assets_file")]
    pub relations: Option<PathBuf>,
    /// The registry of a built-in preset: wellhead, fermenter, factory, boiler, chemical.
    #[arg(long, value_name = "NAME", value_parser = crate::options::preset)]
    pub preset: Option<String>,
    /// Scale the registry to N assets (copies of the plant, ids S01/…), for benchmarks.
    #[arg(long, value_name = "N")]
    pub scale: Option<usize>,
}

impl RegistryArgs {
    fn load(&self) -> Result<Registry> {
        let reg = match (&self.assets_file, &self.preset) {
            (Some(f), _) => Registry::open(f, self.relations.as_deref())?,
            (None, Some(p)) => presets::load(p)?,
            (None, None) => bail!("name a registry: --assets FILE or --preset NAME"),
        };
        Ok(match self.scale {
            Some(n) => reg.scaled(n),
            None => reg,
        })
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Print the registry's assets CSV (or, with --relations-csv, its relations CSV).
    Show {
        #[command(flatten)]
        registry: RegistryArgs,
        /// Print the relations CSV instead.
        #[arg(long)]
        relations_csv: bool,
    },
    /// Validate a registry: columns, types, UUIDs, specifications; duplicate ids and UUIDs; unknown parents; relations to unknown assets; cycles in part_of. Exit 1 on any problem, each named with its file, line and column.
    Check {
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// The assets --where and --related-to select, as NDJSON ({"asset","uuid","name","type","location","parent"}).
    List {
        #[command(flatten)]
        select: SelectArgs,
        /// The registry of a built-in preset, when not --assets.
        #[arg(long, value_name = "NAME", value_parser = crate::options::preset)]
        preset: Option<String>,
    },
    /// Rank assets by how well TEXT describes them: BM25 over id, name, type, description, location and specifications, with synonyms (HX, tower, drum …), typo tolerance and a boost for assets related to a strong match. Writes NDJSON: rank, asset, uuid, name, type, location, score, why.
    Find {
        #[command(flatten)]
        registry: RegistryArgs,
        /// What to look for: `"high-temperature reactor vessel"`.
        #[arg(required_unless_present = "queries")]
        text: Vec<String>,
        /// At most N results per query.
        #[arg(long, value_name = "N", default_value_t = 10)]
        limit: usize,
        /// Run each line of FILE (`-` for stdin) as a query; each result carries its "query".
        #[arg(long, value_name = "FILE", conflicts_with = "text")]
        queries: Option<PathBuf>,
    },
    /// Write assets.json, id2assets.json, graph.json and graph.dot (GraphViz) into DIR.
    Export {
        #[command(flatten)]
        registry: RegistryArgs,
        /// The folder to write into (made when missing).
        dir: PathBuf,
    },
    /// Read DIR/assets.json and DIR/graph.json (when there) into a registry: writes OUT and its relations beside it (OUT without .csv + .relations.csv).
    Import {
        /// The folder holding assets.json (and graph.json).
        dir: PathBuf,
        /// The assets CSV to write.
        #[arg(short, long, value_name = "OUT")]
        output: PathBuf,
    },
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.action {
        Action::Show {
            registry,
            relations_csv,
        } => {
            let reg = registry.load()?;
            let text = if relations_csv {
                reg.relations_csv()
            } else {
                reg.assets_csv()
            };
            out.write_all(text.as_bytes())?;
        }
        Action::Check { registry } => {
            let reg = registry.load()?;
            if !global.quiet {
                writeln!(
                    out,
                    "ok: {} assets, {} relations",
                    reg.assets.len(),
                    reg.relations.len()
                )?;
            }
        }
        Action::List { select, preset } => {
            let sel = select.resolve(preset.as_deref())?;
            let reg = match (&select.assets_file, &preset) {
                (Some(f), _) => Registry::open(f, None)?,
                (None, Some(p)) => presets::load(p)?,
                (None, None) => bail!("name a registry: --assets FILE or --preset NAME"),
            };
            for a in &reg.assets {
                if sel.as_ref().is_none_or(|s| s.contains(&a.id)) {
                    let line = serde_json::json!({
                        "asset": a.id, "uuid": a.uuid.to_string(), "name": a.name,
                        "type": a.kind, "location": a.location, "parent": a.parent,
                    });
                    serde_json::to_writer(&mut out, &line)?;
                    out.write_all(b"\n")?;
                }
            }
        }
        Action::Find {
            registry,
            text,
            limit,
            queries,
        } => {
            let start = std::time::Instant::now();
            let reg = registry.load()?;
            let index = Index::new(&reg);
            if global.verbose > 0 {
                eprintln!(
                    "iiot assets: indexed {} assets in {:.1} ms",
                    reg.assets.len(),
                    start.elapsed().as_secs_f64() * 1e3
                );
            }
            let one = |q: &str, tagged: bool, out: &mut dyn Write| -> Result<()> {
                for mut hit in index.search(q, limit) {
                    if tagged {
                        hit.query = Some(q.to_string());
                    }
                    serde_json::to_writer(&mut *out, &hit)?;
                    out.write_all(b"\n")?;
                }
                Ok(())
            };
            match queries {
                Some(path) => {
                    let mut input = crate::io::Input::open(&path)?;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if input.reader.read_line(&mut line)? == 0 {
                            break;
                        }
                        let q = line.trim();
                        if !q.is_empty() {
                            one(q, true, &mut out)?;
                        }
                    }
                }
                None => one(&text.join(" "), false, &mut out)?,
            }
        }
        Action::Export { registry, dir } => {
            let reg = registry.load()?;
            std::fs::create_dir_all(&dir).with_context(|| format!("making {}", dir.display()))?;
            let write = |name: &str, text: String| -> Result<()> {
                let p = dir.join(name);
                std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))
            };
            let pretty = |v: serde_json::Value| -> Result<String> {
                Ok(serde_json::to_string_pretty(&v)? + "\n")
            };
            write("assets.json", pretty(interchange::assets_json(&reg))?)?;
            write("id2assets.json", pretty(interchange::id2assets_json(&reg))?)?;
            write("graph.json", pretty(interchange::graph_json(&reg))?)?;
            write("graph.dot", interchange::dot(&reg))?;
            if !global.quiet {
                eprintln!(
                    "iiot assets: wrote {} assets and {} relations to {}",
                    reg.assets.len(),
                    reg.relations.len(),
                    dir.display()
                );
            }
        }
        Action::Import { dir, output } => {
            let read = |name: &str| -> Result<String> {
                let p = dir.join(name);
                std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))
            };
            let assets = read("assets.json")?;
            let graph = dir
                .join("graph.json")
                .is_file()
                .then(|| read("graph.json"))
                .transpose()?;
            let reg = interchange::import(&assets, graph.as_deref())?;
            // What it wrote must load: the same checks as any registry.
            let rel_path = crate::assets::relations_path(&output);
            Registry::load(
                &reg.assets_csv(),
                &output.display().to_string(),
                Some((&reg.relations_csv(), &rel_path.display().to_string())),
            )?;
            write_file(&output, &reg.assets_csv())?;
            write_file(&rel_path, &reg.relations_csv())?;
            if !global.quiet {
                eprintln!(
                    "iiot assets: wrote {} assets to {} and {} relations to {}",
                    reg.assets.len(),
                    output.display(),
                    reg.relations.len(),
                    rel_path.display()
                );
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn write_file(p: &Path, text: &str) -> Result<()> {
    std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))
}
