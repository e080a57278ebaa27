//! Option groups the verbs share, flattened into each verb's `Args`, and
//! the command line's names for library choices: clap stops here. Each
//! group turns into what the library takes (a model, a rejects sink, a
//! record format) before a verb's work begins; library types know nothing
//! of clap.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::io::Rejects;
use crate::model::{self, Model};
use crate::record::Format;
use crate::store::lake::ValueEncoding;
use crate::store::lake::columns::TsUnit;
use crate::store::sqlite::{OnConflict, Sync};

/// The record inputs of a filter.
#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// Input files; none or `-` for stdin.
    pub inputs: Vec<PathBuf>,
}

/// Where bad lines go.
#[derive(Debug, Clone, clap::Args)]
pub struct RejectArgs {
    /// Write rejected lines here as NDJSON ({"source","line","reason","raw"}) instead of to stderr.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Stop with exit 1 at the first bad line; what came before it is kept.
    #[arg(long)]
    pub strict: bool,
}

impl RejectArgs {
    /// The rejects sink of `verb`.
    pub fn open(&self, verb: &'static str) -> Result<Rejects> {
        Rejects::new(verb, self.rejects.as_deref(), self.strict)
    }

    /// The rejects file, for the check that it is not an input.
    pub fn file(&self) -> Option<&Path> {
        self.rejects.as_deref()
    }
}

/// The plant model a verb works from.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelArgs {
    /// A plant model CSV (docs/model.md; `iiot model --preset NAME` prints one to start from).
    #[arg(long, value_name = "FILE", conflicts_with = "preset")]
    pub model: Option<PathBuf>,
    /// A built-in model: wellhead, fermenter, factory, boiler, chemical (`iiot model --list`).
    #[arg(long, value_name = "NAME", value_parser = crate::options::preset)]
    pub preset: Option<String>,
}

impl ModelArgs {
    /// The model given, or the preset `default`.
    pub fn resolve(&self, default: &str) -> Result<Model> {
        model::resolve(self.model.as_deref(), self.preset.as_deref(), default)
    }

    /// The model given, if any.
    pub fn given(&self) -> Result<Option<Model>> {
        if self.model.is_none() && self.preset.is_none() {
            return Ok(None);
        }
        self.resolve("").map(Some)
    }
}

/// How records are written to stdout.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Ndjson)]
    pub format: FormatArg,
    /// Flush after every record, for live pipelines.
    #[arg(long)]
    pub line_buffered: bool,
}

impl OutputArgs {
    pub fn format(&self) -> Format {
        self.format.into()
    }
}

/// Output format of the verbs that write records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FormatArg {
    /// One JSON object per line (docs/records.md).
    #[default]
    Ndjson,
    /// A header and the fixed columns ts,asset,tag,value,unit,quality,text,fault; other fields are left out.
    Csv,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Ndjson => Format::Ndjson,
            FormatArg::Csv => Format::Csv,
        }
    }
}

/// What to do when a reading of the same series and time is stored already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnConflictArg {
    /// Keep the stored reading; count the new one as a duplicate.
    Ignore,
    /// Overwrite it when it differs (identical ones still count as duplicates).
    Replace,
}

impl From<OnConflictArg> for OnConflict {
    fn from(c: OnConflictArg) -> OnConflict {
        match c {
            OnConflictArg::Ignore => OnConflict::Ignore,
            OnConflictArg::Replace => OnConflict::Replace,
        }
    }
}

/// Durability of each commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SyncArg {
    /// WAL with synchronous=NORMAL: survives an application crash or kill -9; a power loss may lose the last commits, never corrupts.
    Normal,
    /// WAL with synchronous=FULL: every commit also survives a power loss.
    Full,
}

impl From<SyncArg> for Sync {
    fn from(s: SyncArg) -> Sync {
        match s {
            SyncArg::Normal => Sync::Normal,
            SyncArg::Full => Sync::Full,
        }
    }
}

/// How a lake's `value` column is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ValueEncodingArg {
    /// Dictionary, falling back to plain when a chunk has too many distinct values: sensor values rounded to their resolution repeat a lot within a series.
    Dictionary,
    /// PLAIN: the floats as they are (zstd then finds the runs of a sorted series).
    Plain,
    /// BYTE_STREAM_SPLIT: the bytes of each float grouped by position.
    ByteStreamSplit,
}

impl From<ValueEncodingArg> for ValueEncoding {
    fn from(e: ValueEncodingArg) -> ValueEncoding {
        match e {
            ValueEncodingArg::Dictionary => ValueEncoding::Dictionary,
            ValueEncodingArg::Plain => ValueEncoding::Plain,
            ValueEncodingArg::ByteStreamSplit => ValueEncoding::ByteStreamSplit,
        }
    }
}

/// The unit of an integer or float epoch time column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TsUnitArg {
    S,
    Ms,
    Us,
    Ns,
}

impl From<TsUnitArg> for TsUnit {
    fn from(u: TsUnitArg) -> TsUnit {
        match u {
            TsUnitArg::S => TsUnit::S,
            TsUnitArg::Ms => TsUnit::Ms,
            TsUnitArg::Us => TsUnit::Us,
            TsUnitArg::Ns => TsUnit::Ns,
        }
    }
}

/// Selecting series by what their asset is, against an asset registry
/// (docs/assets.md).
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Asset selection")]
pub struct SelectArgs {
    /// Only assets of the registry whose fields match KEY=GLOB pairs, all of them: `type=pump,location=site-1/unit-300/*`. Keys: asset, uuid, name, type, location, parent, description, or a specification key. Repeat --where for either of several.
    #[arg(long = "where", value_name = "KEY=GLOB,...")]
    pub where_: Vec<String>,
    /// Only assets related to ASSET (id or UUID), in either direction.
    #[arg(long, value_name = "ASSET")]
    pub related_to: Option<String>,
    /// With --related-to: only by these relations (feeds, part_of, instrument_of, controls, protects, drives, located_in).
    #[arg(long, value_name = "RELATION", requires = "related_to")]
    pub relation: Vec<String>,
    /// The asset registry CSV; its relations are read from FILE's neighbour X.relations.csv when there is one. Default: the registry of the preset given.
    #[arg(long = "assets", value_name = "FILE")]
    pub assets_file: Option<PathBuf>,
}

impl SelectArgs {
    /// The assets selected (by id and UUID), or `None` when neither
    /// --where nor --related-to is given. The registry is --assets, else
    /// the registry of `preset`.
    pub fn resolve(&self, preset: Option<&str>) -> Result<Option<crate::assets::select::Selected>> {
        let query = crate::assets::select::Query {
            where_: self.where_.clone(),
            related_to: self.related_to.clone(),
            relations: self.relation.clone(),
        };
        if query.is_empty() {
            return Ok(None);
        }
        let reg = match (&self.assets_file, preset) {
            (Some(f), _) => crate::assets::Registry::open(f, None)?,
            (None, Some(p)) => crate::assets::presets::load(p)?,
            (None, None) => anyhow::bail!(
                "--where and --related-to select from an asset registry: name one with --assets FILE"
            ),
        };
        crate::assets::select::select(&reg, &query).map(Some)
    }

    /// As [`SelectArgs::resolve`], as `--asset` globs intersected with
    /// `asset` (the verb's own `--asset` globs): what verbs that select
    /// series by asset globs take. An empty selection is a glob no asset
    /// id has.
    pub fn asset_globs(&self, preset: Option<&str>, asset: &[String]) -> Result<Vec<String>> {
        let Some(sel) = self.resolve(preset)? else {
            return Ok(asset.to_vec());
        };
        let own = crate::patterns::Patterns::new("asset", asset)?;
        let mut globs = sel.globs_where(|n| own.matches(n));
        if globs.is_empty() {
            globs.push("\u{0}none\u{0}".to_string());
        }
        Ok(globs)
    }
}
