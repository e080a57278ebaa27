//! The iiot binary: parse the command line, run the verb, map the outcome
//! to an exit code. Everything else lives in the library.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use iiot::cli::Cli;
use iiot::verbs::Global;

fn main() -> ExitCode {
    // Usage errors exit 2 (clap's own), --help and --version 0.
    let cli = Cli::parse_args(std::env::args_os());
    let global = Global::from(&cli.global);
    let verb = cli.command.name();
    match cli.command.run(&global) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if iiot::io::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) if err.downcast_ref::<iiot::io::UsageError>().is_some() => {
            eprintln!("iiot {verb}: {err:#}");
            ExitCode::from(2)
        }
        Err(err) => {
            eprintln!("iiot {verb}: {err:#}");
            ExitCode::FAILURE
        }
    }
}
