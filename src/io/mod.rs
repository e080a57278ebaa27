//! Shared input and output: inputs named as paths or `-` (stdin), the
//! record reader every verb reads with ([`Records`], in `records`), the
//! reject helper that accounts for every bad line, and stdout buffered the
//! way a filter should be.

use std::fmt::Display;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

mod records;
pub use records::{Next, Options as ReadOptions, Rec, Records, Wait, threads};

/// The longest line a verb reads; a longer one is rejected whole (and its
/// bytes are skipped, not held in memory).
pub const MAX_LINE: usize = 1 << 20;

/// One input: a file or stdin, with the name messages give it.
pub struct Input {
    pub name: String,
    pub reader: BufReader<Box<dyn Read + Send>>,
    /// Whether this is stdin (which may be a slow live stream).
    pub is_stdin: bool,
}

impl Input {
    /// Opens `path`; `-` is stdin.
    pub fn open(path: &Path) -> Result<Input> {
        if path.as_os_str() == "-" {
            return Ok(Input::stdin());
        }
        let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        Ok(Input {
            name: path.display().to_string(),
            reader: BufReader::with_capacity(256 * 1024, Box::new(file)),
            is_stdin: false,
        })
    }

    pub fn stdin() -> Input {
        Input {
            name: "stdin".to_string(),
            reader: BufReader::with_capacity(256 * 1024, Box::new(io::stdin())),
            is_stdin: true,
        }
    }

    /// The inputs a filter reads: the named paths in order, or stdin when
    /// none is named.
    pub fn paths_or_stdin(paths: &[PathBuf]) -> Vec<PathBuf> {
        if paths.is_empty() {
            vec![PathBuf::from("-")]
        } else {
            paths.to_vec()
        }
    }
}

/// A mistake in what the user asked for that shows only once the verb
/// runs (an output that is also an input): exit 2, as clap's own usage
/// errors.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Where rejected lines go and how many there were.
pub struct Rejects {
    sink: RejectSink,
    count: u64,
    strict: bool,
    verb: &'static str,
}

enum RejectSink {
    /// A message per line on stderr.
    Stderr,
    /// NDJSON per line: `{"source":…,"line":N,"reason":…,"raw":…}`.
    File(BufWriter<File>, PathBuf),
}

impl Rejects {
    /// Rejects to `path` when given, else to stderr; `strict` makes the
    /// first reject an error.
    pub fn new(verb: &'static str, path: Option<&Path>, strict: bool) -> Result<Rejects> {
        let sink = match path {
            Some(p) => {
                let f = File::create(p)
                    .with_context(|| format!("creating rejects file {}", p.display()))?;
                RejectSink::File(BufWriter::new(f), p.to_path_buf())
            }
            None => RejectSink::Stderr,
        };
        Ok(Rejects {
            sink,
            count: 0,
            strict,
            verb,
        })
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Records one bad line. Under `--strict` this is the error that stops
    /// the run.
    pub fn reject(
        &mut self,
        source: &str,
        line: u64,
        reason: &dyn Display,
        raw: &[u8],
    ) -> Result<()> {
        if self.strict {
            self.count += 1;
            bail!("{source}:{line}: {reason} (stopped by --strict)");
        }
        self.lost(source, line, reason, raw)
    }

    /// Records a line that was read but could not be kept (a store whose
    /// commit failed): written to the rejects even under `--strict`, since
    /// the run is ending anyway and the line must not vanish.
    pub fn lost(
        &mut self,
        source: &str,
        line: u64,
        reason: &dyn Display,
        raw: &[u8],
    ) -> Result<()> {
        self.count += 1;
        let raw = String::from_utf8_lossy(raw);
        match &mut self.sink {
            RejectSink::Stderr => {
                let shown = shorten(&raw, 160);
                eprintln!("iiot {}: {source}:{line}: {reason}: {shown:?}", self.verb);
            }
            RejectSink::File(w, path) => {
                let entry = serde_json::json!({
                    "source": source,
                    "line": line,
                    "reason": reason.to_string(),
                    "raw": raw,
                });
                serde_json::to_writer(&mut *w, &entry)
                    .map_err(io::Error::from)
                    .and_then(|()| w.write_all(b"\n"))
                    .with_context(|| format!("writing rejects to {}", path.display()))?;
            }
        }
        Ok(())
    }

    /// Where the rejects go, for messages.
    pub fn describe(&self) -> String {
        match &self.sink {
            RejectSink::Stderr => "on stderr above".to_string(),
            RejectSink::File(_, path) => path.display().to_string(),
        }
    }

    pub fn finish(&mut self) -> Result<()> {
        if let RejectSink::File(w, path) = &mut self.sink {
            w.flush()
                .with_context(|| format!("writing rejects to {}", path.display()))?;
        }
        Ok(())
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// Waits up to `timeout` for stdin to have something to read (or to
/// close); false when the time ran out first. A verb that must act on a
/// clock while its input is quiet (store commits within a second) calls it
/// before a read that could block.
#[cfg(target_os = "linux")]
pub fn stdin_readable_within(timeout: std::time::Duration) -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let stdin = io::stdin();
    let mut fds = [PollFd::new(&stdin, PollFlags::IN)];
    let ts = Timespec {
        tv_sec: timeout.as_secs() as _,
        tv_nsec: timeout.subsec_nanos() as _,
    };
    // An error (EINTR, say) counts as readable: the read that follows
    // will tell.
    poll(&mut fds, Some(&ts)).map_or(true, |n| n > 0)
}

#[cfg(not(target_os = "linux"))]
pub fn stdin_readable_within(_timeout: std::time::Duration) -> bool {
    true
}

/// Stdout for records: locked once; flushed per record when a person
/// watches (a terminal) or `--line-buffered` asks, else in large blocks.
pub fn stdout_sink(line_buffered_flag: bool) -> (io::StdoutLock<'static>, bool) {
    let out = io::stdout();
    let line_buffered = line_buffered_flag || out.is_terminal();
    if !line_buffered {
        grow_pipe(&out);
    }
    (out.lock(), line_buffered)
}

/// Asks for a 1 MiB pipe when stdout is one, so a fast writer and its
/// reader trade places less often (the default holds 64 KiB). Anything else
/// than a pipe, or a refusal, leaves things as they were.
#[cfg(target_os = "linux")]
fn grow_pipe(out: &io::Stdout) {
    let _ = rustix::pipe::fcntl_setpipe_size(out, 1 << 20);
}

#[cfg(not(target_os = "linux"))]
fn grow_pipe(_out: &io::Stdout) {}

/// A progress line on stderr for long work: shown only when stderr is a
/// terminal and not under `-q`, and only once the work has run a moment.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    records: u64,
}

impl Progress {
    /// `total_bytes`: the size of a named input file, for a bar; a pipe
    /// gets a count and a rate.
    pub fn new(quiet: bool, total_bytes: Option<u64>) -> Progress {
        let show = !quiet && io::stderr().is_terminal();
        let bar = show.then(|| {
            let bar = match total_bytes {
                Some(n) => indicatif::ProgressBar::new(n).with_style(
                    indicatif::ProgressStyle::with_template(
                        "{bar:30} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                ),
                None => indicatif::ProgressBar::new_spinner().with_style(
                    indicatif::ProgressStyle::with_template("{spinner} {human_pos} records, {per_sec}")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
                ),
            };
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(4));
            bar
        });
        Progress { bar, records: 0 }
    }

    /// Counts one record; `bytes` is the input consumed so far.
    #[inline]
    pub fn tick(&mut self, bytes: u64) {
        self.records += 1;
        if self.records % 4096 == 0
            && let Some(bar) = &self.bar
        {
            if bar.length().is_some() {
                bar.set_position(bytes);
            } else {
                bar.set_position(self.records);
            }
        }
    }

    /// Counts `records` more; `bytes` is the input consumed so far.
    pub fn tick_bytes(&mut self, bytes: u64, records: u64) {
        self.records += records;
        if let Some(bar) = &self.bar {
            if bar.length().is_some() {
                bar.set_position(bytes);
            } else {
                bar.set_position(self.records);
            }
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Reads every record of the inputs (the named paths in order, or stdin)
/// with [`Records`] and hands the good ones to `each` with their source,
/// line number and raw bytes; a bad line is rejected with its number and
/// reason and the stream goes on. For verbs with no clock to keep.
pub fn for_each_record(
    inputs: &[PathBuf],
    rejects: &mut Rejects,
    read: &mut u64,
    mut each: impl FnMut(&str, u64, &[u8], &crate::record::Reading, &mut Rejects) -> Result<()>,
) -> Result<()> {
    let mut records = Records::open(inputs, ReadOptions::default(), true);
    let result = (|| -> Result<()> {
        while let Next::Record(rec) = records.next(rejects, Wait::Forever)? {
            each(rec.source, rec.line, rec.raw, rec.reading, rejects)?;
        }
        Ok(())
    })();
    *read = records.read();
    result
}

/// The file a path names, as (device, inode); `-` is stdin and `@stdout`
/// stdout (each only when it is a regular file). `None` for a path that
/// does not exist yet, or anything else than a file.
#[cfg(unix)]
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let real = match path.to_str() {
        Some("-") => Path::new("/proc/self/fd/0"),
        Some("@stdout") => Path::new("/proc/self/fd/1"),
        _ => path,
    };
    let meta = std::fs::metadata(real).ok()?;
    meta.is_file().then(|| (meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(_path: &Path) -> Option<(u64, u64)> {
    None
}

/// Refuses, before anything is opened for writing, to write over an
/// input: an output file (`--rejects`, `-o`, …, given with its option's
/// name) that is one of the inputs, or stdout redirected onto one (when
/// `stdout` says the verb writes there). Compared by device and inode, so
/// another name for the same file (a link, `./x`) is caught too. A usage
/// error: exit 2.
pub fn refuse_overwriting_inputs(
    inputs: &[PathBuf],
    outputs: &[(&str, Option<&Path>)],
    stdout: bool,
) -> Result<()> {
    let inputs = Input::paths_or_stdin(inputs);
    let ids: Vec<(&PathBuf, (u64, u64))> = inputs
        .iter()
        .filter_map(|p| file_id(p).map(|id| (p, id)))
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let name = |p: &Path| {
        if p.as_os_str() == "-" {
            "stdin".to_string()
        } else {
            p.display().to_string()
        }
    };
    for (option, path) in outputs {
        // `-` as an output is stdout, checked below.
        let Some(path) = path.filter(|p| p.as_os_str() != "-") else {
            continue;
        };
        if let Some(id) = file_id(path)
            && let Some((input, _)) = ids.iter().find(|(_, i)| *i == id)
        {
            return Err(UsageError(format!(
                "{option} {} is the input {}: writing it would destroy what is read",
                path.display(),
                name(input)
            ))
            .into());
        }
    }
    if stdout
        && let Some(id) = file_id(Path::new("@stdout"))
        && let Some((input, _)) = ids.iter().find(|(_, i)| *i == id)
    {
        return Err(UsageError(format!(
            "stdout is redirected to the input {}: writing it would destroy what is read",
            name(input)
        ))
        .into());
    }
    Ok(())
}

/// Reads a whole small input (a model CSV, say) as text.
pub fn read_to_string(path: &Path) -> Result<String> {
    let mut input = Input::open(path)?;
    let mut s = String::new();
    input
        .reader
        .read_to_string(&mut s)
        .with_context(|| format!("reading {}", input.name))?;
    Ok(s)
}

/// Whether an error, anywhere in its chain, is a closed pipe: the reader
/// went away (`| head`), which ends a filter successfully.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
