//! The one record reader every verb uses: inputs (named paths in order, or
//! stdin) turned into parsed records with their source, line number and
//! raw bytes, pulled one at a time by the verb's loop with
//! [`Records::next`], which also says when a live input has been quiet
//! until a deadline (store's commit clock, detect's signals).
//!
//! Parsing runs on every core. A reader thread cuts the input into blocks
//! of whole lines — as soon as a pipe has nothing more waiting, so a live
//! stream is never held back to fill a block — and a small fixed pool of
//! worker threads parses the blocks (and, when asked, encodes each good
//! record back in canonical form, for verbs that pass records on; a line
//! already in that form is copied as it is). The
//! verb's thread takes the blocks back in input order, so rejects, their
//! line numbers, `--strict` and the summary are exactly those of one thread.
//! Blocks, and the readings and strings inside them, are recycled: in a
//! steady stream nothing is allocated per record.
//!
//! Threads are std threads with std channels: a block holds some hundreds
//! of lines, so a channel operation per block costs nothing measurable,
//! and the work needs neither a scheduler (rayon) nor another crate
//! (crossbeam). `IIOT_THREADS=N` sets the number of parsing threads
//! (default: the cores this process may use); `IIOT_THREADS=1` parses on
//! one, as the tests compare.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result, anyhow};

use super::{Input, MAX_LINE, Progress, Rejects};
use crate::record::{Format, ParseError, Reading, RecordEncoder, RecordParser};

/// How many bytes a block gathers before it is handed on, when the input
/// has that much waiting.
const BLOCK: usize = 32 * 1024;

/// How many bytes one read asks for.
const READ: usize = 16 * 1024;

/// A UTF-8 byte order mark: skipped where it opens an input, data elsewhere.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How the records are read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Also encode each good record in this format on the parsing threads
    /// ([`Rec::encoded`]), for verbs that pass records on unchanged.
    pub encode: Option<Format>,
    /// Show a progress bar on a terminal (never under `-q`).
    pub progress: bool,
}

/// One record as a verb sees it.
pub struct Rec<'a> {
    /// The input's name for messages (`stdin` or the path).
    pub source: &'a str,
    /// The input's place among the inputs, from 0 (see [`Records::names`]).
    pub input: u32,
    /// Its line number in that input, from 1.
    pub line: u64,
    /// The line's bytes, without its newline.
    pub raw: &'a [u8],
    /// The parsed record, which the verb may change in place.
    pub reading: &'a mut Reading,
    /// The record in canonical form with its newline, when
    /// [`Options::encode`] asked for it.
    pub encoded: &'a [u8],
}

/// How long [`Records::next`] may wait for the next record.
#[derive(Debug, Clone, Copy)]
pub enum Wait {
    /// Until it comes (or the input ends).
    Forever,
    /// Until this moment.
    Until(Instant),
    /// This long from when it would start waiting (the clock is read only
    /// then, not for every record).
    For(std::time::Duration),
}

/// What [`Records::next`] found.
pub enum Next<'a> {
    Record(Rec<'a>),
    /// The deadline passed before the next record came (a quiet live input).
    Quiet,
    /// Every input has been read.
    End,
}

/// The reader of a verb's inputs.
pub struct Records {
    names: Vec<String>,
    full: Receiver<Item>,
    free: Sender<Block>,
    /// Blocks that came back before their turn.
    waiting: BTreeMap<u64, Item>,
    next_seq: u64,
    current: Option<Block>,
    /// Position in `current.entries`.
    at: usize,
    /// Line number of the first line of `current`.
    line_base: u64,
    /// Lines of the current source before `current`.
    lines_done: u64,
    source: u32,
    read: u64,
    bytes: u64,
    progress: Progress,
    finished: bool,
}

/// What the reader thread hands on: a block of lines, a line too long to
/// keep, or an input that could not be read.
enum Item {
    Block(Block),
    Failed(u64, anyhow::Error),
}

impl Item {
    fn seq(&self) -> u64 {
        match self {
            Item::Block(b) => b.seq,
            Item::Failed(seq, _) => *seq,
        }
    }
}

/// Whole lines of one input and, once parsed, their records.
struct Block {
    seq: u64,
    source: u32,
    /// The first block of its input.
    first: bool,
    /// The last block: nothing follows.
    last: bool,
    /// A line longer than [`MAX_LINE`], of this many bytes, whose bytes
    /// were skipped: the block holds only it.
    too_long: Option<usize>,
    data: Vec<u8>,
    /// Lines in the block, blank ones included.
    lines: u64,
    entries: Vec<Entry>,
    readings: Vec<Reading>,
    encoded: Vec<u8>,
}

impl Block {
    fn new() -> Block {
        Block {
            seq: 0,
            source: 0,
            first: false,
            last: false,
            too_long: None,
            data: Vec::with_capacity(BLOCK + READ),
            lines: 0,
            entries: Vec::new(),
            readings: Vec::new(),
            encoded: Vec::new(),
        }
    }
}

/// One non-blank line of a block.
struct Entry {
    /// Line index in the block, from 0.
    line: u32,
    raw: (u32, u32),
    outcome: Result<Parsed, ParseError>,
}

/// A good record: its place in `readings` and in `encoded`.
struct Parsed {
    reading: u32,
    encoded: (u32, u32),
}

/// The number of parsing threads: `IIOT_THREADS`, else the cores this
/// process may run on.
pub fn threads() -> usize {
    std::env::var("IIOT_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n >= 1)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .min(64)
}

impl Records {
    /// Starts reading `inputs` (none: stdin). Files are opened in turn as
    /// the reading reaches them, so an error opening the second comes
    /// after the records of the first.
    pub fn open(inputs: &[PathBuf], opts: Options, quiet: bool) -> Records {
        let paths = Input::paths_or_stdin(inputs);
        let names: Vec<String> = paths
            .iter()
            .map(|p| {
                if p.as_os_str() == "-" {
                    "stdin".to_string()
                } else {
                    p.display().to_string()
                }
            })
            .collect();
        let total: Option<u64> = paths
            .iter()
            .map(|p| {
                (p.as_os_str() != "-")
                    .then(|| std::fs::metadata(p).ok().map(|m| m.len()))
                    .flatten()
            })
            .sum();
        let workers = threads();
        // A block for every worker, one for the reader to fill and one for
        // the verb to read: memory stays a few hundred kilobytes a thread.
        let pool = workers + 2;
        let (free_tx, free_rx) = mpsc::channel::<Block>();
        for _ in 0..pool {
            let _ = free_tx.send(Block::new());
        }
        let (job_tx, job_rx) = mpsc::sync_channel::<Item>(pool);
        let (full_tx, full_rx) = mpsc::channel::<Item>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        for _ in 0..workers {
            let jobs = Arc::clone(&job_rx);
            let done = full_tx.clone();
            let encode = opts.encode;
            std::thread::spawn(move || parse_blocks(&jobs, &done, encode));
        }
        drop(full_tx);
        std::thread::spawn(move || cut_inputs(&paths, &free_rx, &job_tx));
        Records {
            names,
            full: full_rx,
            free: free_tx,
            waiting: BTreeMap::new(),
            next_seq: 0,
            current: None,
            at: 0,
            line_base: 0,
            lines_done: 0,
            source: 0,
            read: 0,
            bytes: 0,
            progress: Progress::new(quiet || !opts.progress, total),
            finished: false,
        }
    }

    /// The inputs' names, as [`Rec::source`] gives them.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Lines read so far that were not blank (the `read` of a summary).
    pub fn read(&self) -> u64 {
        self.read
    }

    /// The next record; a bad line on the way is rejected through
    /// `rejects` (the error that stops the run under `--strict`).
    /// [`Next::Quiet`] when `wait` runs out before a record comes.
    pub fn next(&mut self, rejects: &mut Rejects, wait: Wait) -> Result<Next<'_>> {
        loop {
            if let Some(block) = &self.current
                && self.at < block.entries.len()
            {
                let i = self.at;
                self.at += 1;
                self.read += 1;
                let entry = &block.entries[i];
                let line = self.line_base + u64::from(entry.line) + 1;
                if let Err(e) = &entry.outcome {
                    let raw = &block.data[entry.raw.0 as usize..entry.raw.1 as usize];
                    rejects.reject(&self.names[block.source as usize], line, e, raw)?;
                    continue;
                }
                break;
            }
            if !self.advance(wait)? {
                return Ok(if self.finished {
                    Next::End
                } else {
                    Next::Quiet
                });
            }
        }
        let Some(block) = self.current.as_mut() else {
            return Err(anyhow!("the record reader lost its block"));
        };
        let entry = &block.entries[self.at - 1];
        let Ok(parsed) = &entry.outcome else {
            return Err(anyhow!("the record reader lost its record"));
        };
        let line = self.line_base + u64::from(entry.line) + 1;
        Ok(Next::Record(Rec {
            source: &self.names[block.source as usize],
            input: block.source,
            line,
            raw: &block.data[entry.raw.0 as usize..entry.raw.1 as usize],
            reading: &mut block.readings[parsed.reading as usize],
            encoded: &block.encoded[parsed.encoded.0 as usize..parsed.encoded.1 as usize],
        }))
    }

    /// Moves on to the next block in input order; false when the deadline
    /// passed first or everything has been read.
    fn advance(&mut self, wait: Wait) -> Result<bool> {
        if let Some(done) = self.current.take() {
            self.lines_done += done.lines;
            let last = done.last;
            // The reader may be gone (all read); the block is then dropped.
            let _ = self.free.send(done);
            if last {
                self.finished = true;
                self.progress.finish();
                return Ok(false);
            }
        }
        if self.finished {
            return Ok(false);
        }
        let deadline = match wait {
            Wait::Forever => None,
            Wait::Until(t) => Some(t),
            Wait::For(d) => Some(Instant::now() + d),
        };
        let item = loop {
            if let Some(item) = self.waiting.remove(&self.next_seq) {
                break item;
            }
            let got = match deadline {
                None => self.full.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Some(d) => self
                    .full
                    .recv_timeout(d.saturating_duration_since(Instant::now())),
            };
            match got {
                Ok(item) => {
                    self.waiting.insert(item.seq(), item);
                }
                Err(RecvTimeoutError::Timeout) => return Ok(false),
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(anyhow!("the record reader stopped unexpectedly"));
                }
            }
        };
        self.next_seq += 1;
        match item {
            Item::Failed(_, e) => {
                self.finished = true;
                Err(e)
            }
            Item::Block(block) => {
                if block.first {
                    self.lines_done = 0;
                    self.source = block.source;
                }
                self.line_base = self.lines_done;
                self.bytes += block.data.len() as u64;
                self.progress
                    .tick_bytes(self.bytes, block.entries.len() as u64);
                self.current = Some(block);
                self.at = 0;
                Ok(true)
            }
        }
    }
}

/// The reader thread: cuts each input into blocks of whole lines.
fn cut_inputs(paths: &[PathBuf], free: &Receiver<Block>, jobs: &SyncSender<Item>) {
    let mut seq = 0u64;
    let count = paths.len();
    for (source, path) in paths.iter().enumerate() {
        let last_input = source + 1 == count;
        let mut cutter = Cutter {
            source: source as u32,
            seq: &mut seq,
            free,
            jobs,
            first: true,
        };
        if let Err(e) = cutter.input(path, last_input) {
            let _ = jobs.send(Item::Failed(*cutter.seq, e));
            return;
        }
    }
}

/// Cuts one input into blocks.
struct Cutter<'a> {
    source: u32,
    seq: &'a mut u64,
    free: &'a Receiver<Block>,
    jobs: &'a SyncSender<Item>,
    /// The next block is the input's first.
    first: bool,
}

impl Cutter<'_> {
    fn input(&mut self, path: &Path, last_input: bool) -> Result<()> {
        let input = Input::open(path)?;
        let name = input.name;
        let is_stdin = input.is_stdin;
        // Whole chunks are read straight from the file: no second buffer.
        let mut reader = input.reader.into_inner();
        let Some(mut block) = self.take() else {
            return Ok(());
        };
        // Bytes of a line too long to keep, while skipping it.
        let mut skipping: Option<usize> = None;
        // Where the line being read starts in `block.data`.
        let mut line_start = 0usize;
        let mut bom_checked = false;
        let mut chunk = vec![0u8; READ];
        loop {
            let len = block.data.len();
            let n = match reader.read(&mut chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(anyhow::Error::new(e).context(format!("reading {name}")));
                }
            };
            block.data.extend_from_slice(&chunk[..n]);
            if !bom_checked && (block.data.len() >= BOM.len() || n == 0) {
                if block.data.starts_with(BOM) {
                    block.data.drain(..BOM.len());
                }
                bom_checked = true;
            }
            if n == 0 {
                if let Some(skipped) = skipping {
                    block = self.emit_too_long(block, skipped)?;
                }
                block.last = last_input;
                self.send(block);
                return Ok(());
            }
            let mut scan_from = len;
            if let Some(skipped) = skipping.as_mut() {
                match memchr::memchr(b'\n', &block.data[len..]) {
                    None => {
                        *skipped += n;
                        block.data.truncate(len);
                        continue;
                    }
                    Some(i) => {
                        let total = *skipped + i;
                        skipping = None;
                        let rest = block.data.split_off(len + i + 1);
                        block.data.truncate(len);
                        block = self.emit_too_long(block, total)?;
                        block.data.extend_from_slice(&rest);
                        line_start = 0;
                        scan_from = 0;
                    }
                }
            }
            if let Some(i) = memchr::memrchr(b'\n', &block.data[scan_from..]) {
                line_start = scan_from + i + 1;
            }
            // The line being read is too long to keep: its bytes so far go,
            // the rest are skipped up to its newline. One byte over the
            // limit is kept (it may be the `\r` of `\r\n`).
            let open = block.data.len() - line_start;
            if open > MAX_LINE + 1 {
                skipping = Some(open);
                block.data.truncate(line_start);
                continue;
            }
            let full = block.data.len() >= BLOCK;
            if line_start > 0 && (full || (is_stdin && !more_waiting())) {
                let rest = block.data.split_off(line_start);
                let Some(next) = self.hand_on(block) else {
                    return Ok(());
                };
                block = next;
                block.data.extend_from_slice(&rest);
                line_start = 0;
            }
        }
    }

    /// A free block (waiting for one while all are in use: backpressure);
    /// `None` when the verb has stopped reading.
    fn take(&mut self) -> Option<Block> {
        let mut b = self.free.recv().ok()?;
        b.data.clear();
        b.too_long = None;
        b.last = false;
        b.source = self.source;
        b.first = self.first;
        self.first = false;
        Some(b)
    }

    fn send(&mut self, mut block: Block) -> bool {
        block.seq = *self.seq;
        *self.seq += 1;
        self.jobs.send(Item::Block(block)).is_ok()
    }

    /// Sends `block` on and takes the next.
    fn hand_on(&mut self, block: Block) -> Option<Block> {
        if !self.send(block) {
            return None;
        }
        self.take()
    }

    /// Sends what `block` holds, then a block for the too-long line; returns
    /// a fresh block.
    fn emit_too_long(&mut self, block: Block, len: usize) -> Result<Block> {
        let block = if block.data.is_empty() {
            block
        } else {
            self.hand_on(block).context("the verb stopped reading")?
        };
        let mut long = block;
        long.too_long = Some(len);
        self.hand_on(long).context("the verb stopped reading")
    }
}

/// Whether stdin has more bytes waiting right now; a live stream that has
/// none gets its block handed on at once.
#[cfg(target_os = "linux")]
fn more_waiting() -> bool {
    super::stdin_readable_within(std::time::Duration::ZERO)
}

#[cfg(not(target_os = "linux"))]
fn more_waiting() -> bool {
    false
}

/// A parsing thread: takes blocks, parses their lines, hands them back.
fn parse_blocks(jobs: &Mutex<Receiver<Item>>, done: &Sender<Item>, encode: Option<Format>) {
    let mut parser = RecordParser::new();
    let mut encoder = encode.map(RecordEncoder::body_only);
    loop {
        let item = {
            let Ok(rx) = jobs.lock() else { return };
            match rx.recv() {
                Ok(item) => item,
                Err(_) => return,
            }
        };
        let item = match item {
            Item::Block(mut b) => {
                parse_block(&mut b, &mut parser, encoder.as_mut());
                Item::Block(b)
            }
            failed => failed,
        };
        if done.send(item).is_err() {
            return;
        }
    }
}

/// Parses every line of a block into its entries.
fn parse_block(b: &mut Block, parser: &mut RecordParser, mut encoder: Option<&mut RecordEncoder>) {
    b.entries.clear();
    b.encoded.clear();
    b.lines = 0;
    if let Some(len) = b.too_long {
        b.lines = 1;
        b.entries.push(Entry {
            line: 0,
            raw: (0, 0),
            outcome: Err(ParseError {
                field: None,
                message: format!("line is {len} bytes, over the limit of {MAX_LINE} bytes"),
            }),
        });
        return;
    }
    let data = &b.data;
    // The block's vectors sized for its lines at once rather than by
    // doubling: they are kept for the blocks after it, and doubling would
    // leave each up to half empty for the rest of the run.
    let lines = memchr::memchr_iter(b'\n', data).count() + 1;
    b.entries.reserve_exact(lines);
    b.readings
        .reserve_exact(lines.saturating_sub(b.readings.len()));
    if encoder.is_some() {
        b.encoded.reserve_exact(data.len() + lines);
    }
    // UTF-8 checked once for the block (lines end at an ASCII newline, so
    // each is whole characters) rather than line by line.
    let text = std::str::from_utf8(data).ok();
    // A line the parser calls canonical is copied, not encoded again.
    let copy_canonical = encoder.as_deref().is_some_and(RecordEncoder::is_ndjson);
    let mut start = 0usize;
    let mut used = 0usize;
    while start < data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
        let line_index = b.lines as u32;
        b.lines += 1;
        let mut line = &data[start..end];
        let raw_start = start;
        start = end + 1;
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let raw = (raw_start as u32, (raw_start + line.len()) as u32);
        if line.len() > MAX_LINE {
            b.entries.push(Entry {
                line: line_index,
                raw: (0, 0),
                outcome: Err(ParseError {
                    field: None,
                    message: format!(
                        "line is {} bytes, over the limit of {MAX_LINE} bytes",
                        line.len()
                    ),
                }),
            });
            continue;
        }
        if used == b.readings.len() {
            b.readings.push(Reading::default());
        }
        let reading = &mut b.readings[used];
        let parsed = match text.and_then(|t| t.get(raw_start..raw_start + line.len())) {
            Some(line) => parser.parse_str(line, reading),
            None => parser.parse(line, reading),
        };
        let outcome = match parsed {
            Ok(()) => {
                let from = b.encoded.len();
                if copy_canonical && parser.canonical {
                    b.encoded.extend_from_slice(line);
                    b.encoded.push(b'\n');
                } else if let Some(enc) = encoder.as_deref_mut() {
                    enc.encode(&reading.as_ref(), &mut b.encoded);
                }
                used += 1;
                Ok(Parsed {
                    reading: (used - 1) as u32,
                    encoded: (from as u32, b.encoded.len() as u32),
                })
            }
            Err(e) => Err(e),
        };
        b.entries.push(Entry {
            line: line_index,
            raw,
            outcome,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(data: &[u8]) -> Vec<(u32, Result<String, String>)> {
        let mut b = Block::new();
        b.data.extend_from_slice(data);
        let mut parser = RecordParser::new();
        parse_block(&mut b, &mut parser, None);
        b.entries
            .iter()
            .map(|e| {
                (
                    e.line,
                    match &e.outcome {
                        Ok(p) => Ok(b.readings[p.reading as usize].asset.clone()),
                        Err(err) => Err(err.to_string()),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn numbers_lines_skipping_blank_ones() {
        let got = lines_of(
            b"{\"ts\":0,\"asset\":\"A\",\"tag\":\"t\",\"value\":1}\r\n\n  \nbad\n{\"ts\":0,\"asset\":\"B\",\"tag\":\"t\",\"value\":1}",
        );
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], (0, Ok("A".to_string())));
        assert_eq!(got[1].0, 3);
        assert!(got[1].1.is_err());
        assert_eq!(got[2], (4, Ok("B".to_string())));
    }

    /// Reads a file through [`Records`]: (line, asset) of each good record
    /// and the rejects' count.
    fn read_file(name: &str, data: &[u8]) -> (Vec<(u64, String)>, u64) {
        let path = std::env::temp_dir().join(format!("iiot-records-{}-{name}", std::process::id()));
        std::fs::write(&path, data).unwrap();
        let mut rejects = Rejects::new("test", None, false).unwrap();
        let mut records = Records::open(std::slice::from_ref(&path), Options::default(), true);
        let mut out = Vec::new();
        while let Next::Record(rec) = records.next(&mut rejects, Wait::Forever).unwrap() {
            out.push((rec.line, rec.reading.asset.clone()));
        }
        let _ = std::fs::remove_file(&path);
        (out, rejects.count())
    }

    fn record(asset: &str) -> String {
        format!("{{\"ts\":0,\"asset\":\"{asset}\",\"tag\":\"t\",\"value\":1}}\n")
    }

    #[test]
    fn a_line_too_long_is_one_reject_and_the_next_lines_keep_their_numbers() {
        let mut data = record("A").into_bytes();
        data.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        data.push(b'\n');
        data.extend_from_slice(record("B").as_bytes());
        let (got, rejected) = read_file("long", &data);
        assert_eq!(got, vec![(1, "A".to_string()), (3, "B".to_string())]);
        assert_eq!(rejected, 1);
    }

    #[test]
    fn a_line_at_the_limit_with_cr_lf_is_kept() {
        let pad = MAX_LINE - record("A").len() + 1;
        let mut line = record("A").trim_end().to_string();
        line.push_str(&" ".repeat(pad));
        let mut data = line.into_bytes();
        assert_eq!(data.len(), MAX_LINE);
        data.extend_from_slice(b"\r\n");
        data.extend_from_slice(record("B").as_bytes());
        let (got, rejected) = read_file("limit", &data);
        assert_eq!(got, vec![(1, "A".to_string()), (2, "B".to_string())]);
        assert_eq!(rejected, 0);
    }

    #[test]
    fn a_byte_order_mark_opens_a_file_only() {
        let mut data = BOM.to_vec();
        data.extend_from_slice(record("A").as_bytes());
        data.extend_from_slice(BOM);
        data.extend_from_slice(record("B").as_bytes());
        let (got, rejected) = read_file("bom", &data);
        assert_eq!(got, vec![(1, "A".to_string())]);
        assert_eq!(rejected, 1);
    }

    #[test]
    fn many_blocks_keep_order_and_numbers() {
        let mut data = String::new();
        for i in 0..20_000 {
            if i % 997 == 0 {
                data.push_str("not json\n\n");
            }
            data.push_str(&record(&format!("A{i}")));
        }
        let (got, rejected) = read_file("many", data.as_bytes());
        assert_eq!(got.len(), 20_000);
        assert_eq!(rejected, 21);
        for (k, (line, asset)) in got.iter().enumerate() {
            assert_eq!(asset, &format!("A{k}"));
            let bad_before = (k / 997 + 1) as u64;
            assert_eq!(*line, k as u64 + 1 + 2 * bad_before);
        }
    }
}
