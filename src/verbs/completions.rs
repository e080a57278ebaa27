//! `iiot completions` and `iiot man`: shell completions and man pages,
//! generated from the command-line definition. Copies are committed under
//! completions/ and man/; a test checks that they are current.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap_complete::Shell;

use super::Global;

/// Print shell completions for iiot.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot completions bash > iiot.bash     # then: source iiot.bash, or copy to /etc/bash_completion.d/
  iiot completions zsh > _iiot          # into a folder on $fpath
  iiot completions fish > iiot.fish     # into ~/.config/fish/completions/")]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Write man pages for iiot and each of its verbs.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot man man/
  iiot man pages && ls pages")]
pub struct ManArgs {
    /// Folder to write iiot.1 and iiot-VERB.1 into.
    #[arg(default_value = "man")]
    pub dir: PathBuf,
}

/// The shells completions are committed for, with their file names.
pub const SHELLS: &[(Shell, &str)] = &[
    (Shell::Bash, "iiot.bash"),
    (Shell::Zsh, "_iiot"),
    (Shell::Fish, "iiot.fish"),
    (Shell::PowerShell, "_iiot.ps1"),
    (Shell::Elvish, "iiot.elv"),
];

/// The completion script for one shell, of the command line `cmd`
/// (`iiot::cli::render_completions` passes iiot's).
pub fn render_completions(mut cmd: clap::Command, shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "iiot", &mut out);
    out
}

/// Every man page of the command line `cmd` as (file name, contents).
pub fn render_man_pages(mut cmd: clap::Command) -> Result<Vec<(String, Vec<u8>)>> {
    cmd.build();
    let mut pages = Vec::new();
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    pages.push(("iiot.1".to_string(), page));
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        let name = format!("iiot-{}", sub.get_name());
        let sub = sub.clone().name(name.clone());
        let mut page = Vec::new();
        clap_mangen::Man::new(sub).render(&mut page)?;
        pages.push((format!("{name}.1"), page));
    }
    Ok(pages)
}

pub fn run_completions(args: CompletionsArgs, cmd: clap::Command, _global: &Global) -> Result<()> {
    let stdout = std::io::stdout();
    stdout
        .lock()
        .write_all(&render_completions(cmd, args.shell))?;
    Ok(())
}

pub fn run_man(args: ManArgs, cmd: clap::Command, global: &Global) -> Result<()> {
    write_man_pages(cmd, &args.dir)?;
    if !global.quiet {
        eprintln!("iiot man: wrote the man pages into {}", args.dir.display());
    }
    Ok(())
}

fn write_man_pages(cmd: clap::Command, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, page) in render_man_pages(cmd)? {
        let path = dir.join(name);
        std::fs::write(&path, page).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
