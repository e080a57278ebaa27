//! "Nothing lost, in every corner": one regression test per way iiot was
//! found to lose data or say something false, each on the real binary.

mod detect;
mod fuzz;
mod lake;
mod options;
mod retention;
mod stats;
mod store;
mod time;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{Workdir, ok};

/// A small real filesystem mounted for one test (a full disk, a read-only
/// folder), unmounted when dropped, also when the test fails. Needs root,
/// as CI runs.
pub struct Tmpfs {
    pub dir: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`2m`) with `options` (`ro`, or empty) on
    /// a fresh folder of the working folder.
    pub fn mount(wd: &Workdir, name: &str, size: &str, options: &str) -> Tmpfs {
        let dir = wd.path(name);
        std::fs::create_dir_all(&dir).expect("creating the mount point");
        let mut opts = format!("size={size}");
        if !options.is_empty() {
            opts.push(',');
            opts.push_str(options);
        }
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &opts, "tmpfs"])
            .arg(&dir)
            .output()
            .expect("running mount");
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs to have a real full or read-only filesystem; \
             it needs root (CI runs as root): mount said {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs { dir }
    }

    /// Remounts read-only, keeping what was written.
    pub fn make_read_only(&self) {
        let out = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.dir)
            .output()
            .expect("running mount");
        assert!(
            out.status.success(),
            "remount read-only: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

/// Runs the sqlite3 CLI on a database; fails naming the package when it
/// is missing.
pub fn sqlite3(db: &Path, sql: &str) -> String {
    let mut cmd = Command::new("sqlite3");
    cmd.arg(db).arg(sql);
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("sqlite3 is needed ({e}): apt-get install sqlite3, or run scripts/test")
    });
    ok(&cmd, &out)
}

/// Runs a bash pipeline with `pipefail` and returns each stage's exit
/// status (from PIPESTATUS, printed last on stderr) with stdout and the
/// rest of stderr.
pub fn pipeline(wd: &Workdir, script: &str) -> (Vec<i32>, String, String) {
    let mut cmd = Command::new("bash");
    cmd.current_dir(&wd.dir)
        .env("IIOT", env!("CARGO_BIN_EXE_iiot"))
        .arg("-o")
        .arg("pipefail")
        .arg("-c")
        .arg(format!(
            "{script}\necho \"PIPESTATUS=${{PIPESTATUS[*]}}\" >&2"
        ));
    let out = cmd.output().expect("running bash");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let (rest, codes) = stderr
        .rsplit_once("PIPESTATUS=")
        .unwrap_or_else(|| panic!("no PIPESTATUS from bash: {stderr}"));
    let codes = codes
        .split_whitespace()
        .map(|c| c.parse().expect("an exit status"))
        .collect();
    (
        codes,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        rest.to_string(),
    )
}

/// Runs `cmd` with `input` on stdin and asserts exit 0; returns stderr.
pub fn stdin_ok(wd: &Workdir, cmd: &mut Command, input: impl Into<Vec<u8>>) -> String {
    let out = wd.run_with_stdin(cmd, input);
    ok(cmd, &out);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `cmd` without stdin and asserts exit 0; returns stderr.
pub fn run_ok(wd: &Workdir, cmd: &mut Command) -> String {
    let out = wd.run(cmd);
    ok(cmd, &out);
    String::from_utf8_lossy(&out.stderr).into_owned()
}
