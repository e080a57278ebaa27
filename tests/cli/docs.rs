//! The docs tell the truth: the committed completions and man pages are
//! what the binary generates, and every `iiot …` example in the README and
//! in each verb's `--help` runs and succeeds.

use std::path::Path;
use std::process::Command;

use iiot::cli::Cli;
use iiot::cli::{SHELLS, render_completions, render_man_pages};

use crate::util::{Workdir, describe};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn cli_definition_is_consistent() {
    Cli::full_command().debug_assert();
}

/// Each verb's options are built only when it is named; without one the
/// list of verbs still says what each does, and a verb's own help and
/// errors are whole.
#[test]
fn the_verbs_are_listed_with_what_they_do_and_each_parses_alone() {
    let cli = Cli::full_command();
    let verbs = cli
        .get_subcommands()
        .filter(|s| s.get_name() != "help")
        .count();
    assert!(verbs >= 21, "only {verbs} verbs in the command line");
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_iiot"))
            .args(args)
            .output()
            .expect("running iiot");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code(), text)
    };
    for args in [&["--help"][..], &["help"], &["-q", "--help"], &[]] {
        let (code, text) = run(args);
        assert_eq!(
            code,
            Some(if args.is_empty() { 2 } else { 0 }),
            "iiot {args:?}: {text}"
        );
        for sub in cli.get_subcommands().filter(|s| s.get_name() != "help") {
            let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
            let first = about
                .split_whitespace()
                .take(4)
                .collect::<Vec<_>>()
                .join(" ");
            assert!(!first.is_empty(), "{} has no about", sub.get_name());
            let line = text
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{} ", sub.get_name())))
                .unwrap_or_else(|| {
                    panic!("iiot {args:?} does not list {}:\n{text}", sub.get_name())
                });
            assert!(
                line.contains(&first),
                "iiot {args:?} lists {} without what it does: {line:?}",
                sub.get_name()
            );
        }
    }
    let (code, text) = run(&["-q", "cat", "--help"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("Usage: iiot cat [OPTIONS]") && text.contains("--quiet"),
        "{text}"
    );
    let (code, text) = run(&["cat", "--no-such-option"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("unexpected argument '--no-such-option'") && text.contains("Usage: iiot cat"),
        "{text}"
    );
    let (code, text) = run(&["catt"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("unrecognized subcommand 'catt'") && text.contains("'cat'"),
        "{text}"
    );
}

#[test]
fn completions_are_current() {
    for (shell, file) in SHELLS {
        let path = repo().join("completions").join(file);
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == render_completions(*shell),
            "{} is not current: run `cargo run -- completions {shell} > completions/{file}` (or scripts/regen)",
            path.display()
        );
    }
}

#[test]
fn man_pages_are_current() {
    let pages = render_man_pages().expect("rendering man pages");
    let mut names: Vec<String> = Vec::new();
    for (name, page) in &pages {
        let path = repo().join("man").join(name);
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            &committed == page,
            "{} is not current: run `cargo run -- man man` (or scripts/regen)",
            path.display()
        );
        names.push(name.clone());
    }
    let on_disk: Vec<String> = std::fs::read_dir(repo().join("man"))
        .expect("man/ exists")
        .map(|e| {
            e.expect("reading man/")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| !names.contains(n))
        .collect();
    assert!(
        on_disk.is_empty(),
        "man/ holds pages no verb renders: {on_disk:?}"
    );
}

/// Runs shell lines in one working folder with the built iiot first on
/// PATH, each expected to succeed: under bash's pipefail, so a failing
/// stage of a pipeline fails the example, not only its last command.
fn run_examples(wd: &Workdir, origin: &str, lines: &[String]) {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_iiot"))
        .parent()
        .expect("bin folder");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for line in lines {
        let mut cmd = Command::new("bash");
        cmd.args(["-o", "pipefail", "-c"])
            .arg(format!("set -e; {line}"))
            .current_dir(&wd.dir)
            .env("PATH", &path);
        let out = wd.run(&mut cmd);
        assert!(
            out.status.success(),
            "example from {origin} failed: {line}\n{}",
            describe(&cmd, &out)
        );
    }
}

/// The `iiot …` lines of the README's ```sh blocks, with continuation
/// lines joined; blocks fenced as ```console or ```text are not run.
fn readme_examples() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let mut out = Vec::new();
    let mut in_sh = false;
    let mut pending = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_sh = !in_sh && trimmed == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let code = trimmed.split(" # ").next().unwrap_or("").trim_end();
        if pending.is_empty() && !code.starts_with("iiot ") {
            continue;
        }
        if let Some(head) = code.strip_suffix('\\') {
            pending.push_str(head);
            continue;
        }
        pending.push_str(code);
        out.push(std::mem::take(&mut pending));
    }
    out
}

#[test]
fn readme_examples_run() {
    let lines = readme_examples();
    assert!(
        lines.len() >= 5,
        "the README shows few iiot examples: {lines:?}"
    );
    let wd = Workdir::new("readme");
    // What query and inspect examples read.
    let fixture = Command::new(env!("CARGO_BIN_EXE_iiot"))
        .args(["simulate", "--preset", "boiler", "--count", "5"])
        .output()
        .expect("running iiot simulate");
    wd.write("fixture.ndjson", &fixture.stdout);
    crate::peers::stored_fixtures(&wd);
    run_examples(&wd, "README.md", &lines);
}

/// The comments that mark a help example the test does not run: one that
/// needs a server running elsewhere (a Modbus device, say) and one that
/// runs until stopped. Shown to users as they are.
const NOT_RUN: &[&str] = &["# needs a running server", "# runs until stopped"];

/// The `iiot …` lines of an after_help, with lines ending in `\` joined to
/// the next (examples longer than the help's width).
fn help_example_lines(help: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in help.lines().map(str::trim) {
        if pending.is_empty() && !line.starts_with("iiot ") {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            continue;
        }
        pending.push_str(line);
        out.push(std::mem::take(&mut pending));
    }
    out
}

#[test]
fn help_examples_run() {
    let cli = Cli::full_command();
    // clap's own `help` (added by building) has no examples to run.
    let mut verbs = 0;
    for sub in cli.get_subcommands().filter(|s| s.get_name() != "help") {
        verbs += 1;
        let help = sub
            .get_after_help()
            .map(|h| h.to_string())
            .unwrap_or_default();
        let examples = help_example_lines(&help);
        assert!(
            !examples.is_empty(),
            "iiot {} --help shows no examples",
            sub.get_name()
        );
        // Lines that need a server running elsewhere, or that run until
        // stopped, say so and are not run; every verb keeps at least one
        // example that runs here.
        let lines: Vec<String> = examples
            .iter()
            .filter(|l| !NOT_RUN.iter().any(|m| l.ends_with(m)))
            .map(|l| l.split("   # ").next().unwrap_or(l).trim().to_string())
            .collect();
        assert!(
            !lines.is_empty(),
            "iiot {} --help has no example that runs on its own",
            sub.get_name()
        );
        let wd = Workdir::new(&format!("help-{}", sub.get_name()));
        // Fixtures the examples name.
        let fixture = Command::new(env!("CARGO_BIN_EXE_iiot"))
            .args(["simulate", "--preset", "boiler", "--count", "5"])
            .output()
            .expect("running iiot simulate");
        wd.write("export.ndjson", &fixture.stdout);
        wd.write("fixture.ndjson", &fixture.stdout);
        crate::peers::stored_fixtures(&wd);
        // The MQTT verbs' examples talk to a broker of their own.
        let broker = sub
            .get_name()
            .starts_with("mqtt-")
            .then(|| crate::mqtt::Broker::start(&wd));
        let lines: Vec<String> = match &broker {
            Some(b) => lines
                .iter()
                .map(|l| l.replace("127.0.0.1:1883", &b.addr()))
                .collect(),
            None => lines,
        };
        run_examples(&wd, &format!("iiot {} --help", sub.get_name()), &lines);
    }
    assert!(verbs >= 21, "examples run for only {verbs} verbs");
}
