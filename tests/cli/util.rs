//! The test harness: run the real binary in a temporary working folder,
//! feed stdin from a thread, and fail with everything needed to see why.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A fresh folder under target/ for one test, removed when it passes.
pub struct Workdir {
    pub dir: PathBuf,
}

impl Workdir {
    pub fn new(name: &str) -> Workdir {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("{name}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("creating the test folder");
        Workdir { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        fs::write(&p, contents).expect("writing a fixture");
        p
    }

    pub fn read(&self, name: &str) -> String {
        fs::read_to_string(self.path(name)).expect("reading a test output")
    }

    /// `iiot VERB` with the working folder as its current directory.
    pub fn cmd(&self, verb: &str) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_iiot"));
        c.current_dir(&self.dir);
        if !verb.is_empty() {
            c.arg(verb);
        }
        c
    }

    /// Runs `cmd` with `stdin` fed from a thread; returns its output.
    pub fn run_with_stdin(&self, cmd: &mut Command, stdin: impl Into<Vec<u8>>) -> Output {
        let input: Vec<u8> = stdin.into();
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting iiot");
        let mut pipe = child.stdin.take().expect("stdin pipe");
        let feeder = std::thread::spawn(move || {
            // The child may stop reading early (--strict); that is its right.
            let _ = pipe.write_all(&input);
        });
        let out = child.wait_with_output().expect("waiting for iiot");
        let _ = feeder.join();
        out
    }

    /// Runs `cmd` with no stdin.
    pub fn run(&self, cmd: &mut Command) -> Output {
        cmd.stdin(Stdio::null()).output().expect("running iiot")
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Everything about a finished command, for failure messages.
pub fn describe(cmd: &Command, out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let shown: String = stdout.chars().take(3000).collect();
    format!(
        "command: {cmd:?}\nstatus: {}\n--- stdout ({} bytes) ---\n{shown}\n--- stderr ---\n{}",
        out.status,
        out.stdout.len(),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Asserts exit 0 and returns stdout as text.
pub fn ok(cmd: &Command, out: &Output) -> String {
    assert!(
        out.status.success(),
        "expected success\n{}",
        describe(cmd, out)
    );
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

/// Asserts the given exit code and returns stderr as text.
pub fn fails_with(code: i32, cmd: &Command, out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(code),
        "expected exit {code}\n{}",
        describe(cmd, out)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs a command without stdin and asserts success; returns stdout.
pub fn run_ok(wd: &Workdir, cmd: &mut Command) -> String {
    let out = wd.run(cmd);
    ok(cmd, &out)
}

/// Parses NDJSON into JSON values, failing on the first bad line.
pub fn parse_ndjson(text: &str) -> Vec<Value> {
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("line {} is not JSON ({e}): {l}", i + 1))
        })
        .collect()
}

/// A field of a record as f64.
pub fn num(v: &Value, field: &str) -> f64 {
    v[field]
        .as_f64()
        .unwrap_or_else(|| panic!("{field} is not a number in {v}"))
}

/// A field of a record as &str ("" when absent).
pub fn text<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field].as_str().unwrap_or("")
}
