//! The command line: the top-level parser and the table of verbs. It lives
//! in the library so tests and the completion and man-page generators see
//! the same definition as the binary.

use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::verbs::{self, Global};

/// Composable Unix filters for industrial IoT telemetry.
///
/// Every verb reads and writes newline-delimited JSON readings
/// ({"ts","asset","tag","value","unit",…}), so a plant monitoring pipeline
/// is one shell line. Data goes to stdout; messages and the closing
/// `read N, wrote M, rejected K` go to stderr. Exit 0 on success, 1 on
/// error, 2 on a usage error; a closed pipe (`| head`) ends quietly with 0.
#[derive(Debug, Parser)]
#[command(
    name = "iiot",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = "\
Examples:
  iiot model --list
  iiot simulate --preset fermenter --duration 1h --faults spike=0.002 --label > day.ndjson
  iiot cat day.ndjson --format csv > day.csv"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every verb takes.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// Print nothing on stderr but errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Say more on stderr (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl Cli {
    /// Parses a command line as `Cli::parse_from` does (usage errors exit
    /// 2, `--help` and `--version` 0), building the options of the verb
    /// named and no other: each verb's options are built when it is chosen
    /// (`defer` on [`Command`]), which keeps the other verbs' option code
    /// out of memory. Without a verb (`iiot`, `iiot --help`, `iiot help
    /// cat`, a misspelt verb) every verb is built, for the list of verbs
    /// with what each does.
    pub fn parse_args(args: impl IntoIterator<Item = OsString>) -> Cli {
        let args: Vec<OsString> = args.into_iter().collect();
        let mut cmd = Cli::command();
        // The global flags take no value, so the first word that is not an
        // option names the verb.
        let verb = args
            .iter()
            .skip(1)
            .find(|a| !a.as_encoded_bytes().starts_with(b"-"));
        if verb.is_none_or(|v| cmd.find_subcommand(v).is_none()) {
            cmd.build();
        }
        let mut matches = cmd.get_matches_from(args);
        Cli::from_arg_matches_mut(&mut matches)
            .unwrap_or_else(|err| err.format(&mut Cli::command()).exit())
    }

    /// The whole command line with every verb built: what describes them
    /// all (completions, man pages, the docs tests). Built as a whole, the
    /// `help` subcommand's tree lists the verbs but not their own
    /// subcommands (`iiot help assets check` still works; its completion
    /// stops at `assets`), since a verb is built after the tree.
    pub fn full_command() -> clap::Command {
        let mut cmd = Cli::command();
        cmd.build();
        cmd
    }
}

impl From<&GlobalArgs> for Global {
    fn from(g: &GlobalArgs) -> Global {
        Global {
            quiet: g.quiet,
            verbose: if g.quiet { 0 } else { g.verbose },
        }
    }
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    Simulate(verbs::simulate::Args),
    Store(verbs::store::Args),
    Cat(verbs::cat::Args),
    Detect(verbs::detect::Args),
    ModbusServe(verbs::modbus_serve::Args),
    Poll(verbs::poll::Args),
    Model(verbs::model::Args),
    Rollup(verbs::rollup::Args),
    Derive(verbs::derive::Args),
    Query(verbs::query::Args),
    Inspect(verbs::inspect::Args),
    Plot(verbs::plot::Args),
    Serve(verbs::serve::Args),
    Notify(verbs::notify::Args),
    Ack(verbs::ack::Args),
    MqttPub(verbs::mqtt_pub::Args),
    MqttSub(verbs::mqtt_sub::Args),
    Forecast(verbs::forecast::Args),
    Completions(verbs::completions::CompletionsArgs),
    Man(verbs::completions::ManArgs),
    Assets(verbs::assets::Args),
}

impl Command {
    /// The verb's name, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Simulate(_) => "simulate",
            Command::Store(_) => "store",
            Command::Cat(_) => "cat",
            Command::Detect(_) => "detect",
            Command::ModbusServe(_) => "modbus-serve",
            Command::Poll(_) => "poll",
            Command::Model(_) => "model",
            Command::Rollup(_) => "rollup",
            Command::Derive(_) => "derive",
            Command::Query(_) => "query",
            Command::Inspect(_) => "inspect",
            Command::Plot(_) => "plot",
            Command::Serve(_) => "serve",
            Command::Notify(_) => "notify",
            Command::Ack(_) => "ack",
            Command::MqttPub(_) => "mqtt-pub",
            Command::MqttSub(_) => "mqtt-sub",
            Command::Forecast(_) => "forecast",
            Command::Completions(_) => "completions",
            Command::Man(_) => "man",
            Command::Assets(_) => "assets",
        }
    }

    /// Runs the verb.
    pub fn run(self, global: &Global) -> anyhow::Result<()> {
        match self {
            Command::Simulate(a) => verbs::simulate::run(a, global),
            Command::Store(a) => verbs::store::run(a, global),
            Command::Cat(a) => verbs::cat::run(a, global),
            Command::Detect(a) => verbs::detect::run(a, global),
            Command::ModbusServe(a) => verbs::modbus_serve::run(a, global),
            Command::Poll(a) => verbs::poll::run(a, global),
            Command::Model(a) => verbs::model::run(a, global),
            Command::Rollup(a) => verbs::rollup::run(a, global),
            Command::Derive(a) => verbs::derive::run(a, global),
            Command::Query(a) => verbs::query::run(a, global),
            Command::Inspect(a) => verbs::inspect::run(a, global),
            Command::Plot(a) => verbs::plot::run(a, global),
            Command::Serve(a) => verbs::serve::run(a, global),
            Command::Notify(a) => verbs::notify::run(a, global),
            Command::Ack(a) => verbs::ack::run(a, global),
            Command::MqttPub(a) => verbs::mqtt_pub::run(a, global),
            Command::MqttSub(a) => verbs::mqtt_sub::run(a, global),
            Command::Forecast(a) => verbs::forecast::run(a, global),
            Command::Completions(a) => {
                verbs::completions::run_completions(a, Cli::full_command(), global)
            }
            Command::Man(a) => verbs::completions::run_man(a, Cli::full_command(), global),
            Command::Assets(a) => verbs::assets::run(a, global),
        }
    }
}

pub use crate::verbs::completions::SHELLS;

/// iiot's completion script for one shell (what `iiot completions` prints).
pub fn render_completions(shell: clap_complete::Shell) -> Vec<u8> {
    verbs::completions::render_completions(Cli::full_command(), shell)
}

/// iiot's man pages as (file name, contents) (what `iiot man` writes).
pub fn render_man_pages() -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    verbs::completions::render_man_pages(Cli::full_command())
}
