//! Writing readings as NDJSON or CSV into one reused buffer: JSON strings,
//! numbers the shortest way that reads back exactly, timestamps from the
//! cached formatter.

use std::io::Write;

use super::{Quality, ReadingRef};
use crate::time::TsFormatter;

/// A series' asset, tag and unit encoded once as JSON, so a generator need
/// not escape them for every reading. Build the parts with
/// [`encode_asset_part`] and [`encode_tag_part`].
#[derive(Debug, Clone, Copy)]
pub struct EncodedSeries<'a> {
    /// `"asset":"WH-01","tag":`
    pub asset: &'a [u8],
    /// `"tubing_pressure","value":`
    pub tag: &'a [u8],
    /// `,"unit":"psi"`, or empty when there is no unit.
    pub unit: &'a [u8],
}

/// The asset part of an [`EncodedSeries`].
pub fn encode_asset_part(asset: &str) -> Vec<u8> {
    let mut out = b"\"asset\":".to_vec();
    write_json_str(asset, &mut out);
    out.extend_from_slice(b",\"tag\":");
    out
}

/// The tag and unit parts of an [`EncodedSeries`].
pub fn encode_tag_part(tag: &str, unit: &str) -> (Vec<u8>, Vec<u8>) {
    let mut t = Vec::with_capacity(tag.len() + 12);
    write_json_str(tag, &mut t);
    t.extend_from_slice(b",\"value\":");
    let mut u = Vec::new();
    if !unit.is_empty() {
        u.extend_from_slice(b",\"unit\":");
        write_json_str(unit, &mut u);
    }
    (t, u)
}

/// Bytes that a JSON string must escape.
static ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Appends `s` as a JSON string. Plain text (the usual asset and tag names)
/// is copied straight; anything needing escapes goes through serde_json.
#[inline]
pub fn write_json_str(s: &str, out: &mut Vec<u8>) {
    if !s.bytes().any(|b| ESCAPE[b as usize]) {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

const POW10: [f64; 7] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6];

/// Appends a finite number the shortest way that reads back exactly.
///
/// Sensor values are mostly a whole number of hundredths or thousandths;
/// those are written as fixed-point decimals straight from the integer
/// `n = v·10^k` (for the smallest such `k` up to 6), which parses back to
/// `v` because both `n / 10^k` and the parse of its decimal are correctly
/// rounded from the same number. Everything else goes through ryu.
#[inline]
pub fn write_number(v: f64, out: &mut Vec<u8>) {
    if v.abs() < 1e9 {
        for (k, p) in POW10.iter().enumerate() {
            let n = round_half_even(v * p);
            if n / p == v {
                write_fixed(n as i64, k, out);
                return;
            }
        }
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        let mut b = itoa::Buffer::new();
        out.extend_from_slice(b.format(v as i64).as_bytes());
        return;
    }
    let mut b = ryu::Buffer::new();
    out.extend_from_slice(b.format_finite(v).as_bytes());
}

/// Rounds to the nearest integer, ties to even, for |x| < 2^51: adding and
/// taking away 1.5·2^52 leaves no fraction bits, so IEEE arithmetic does
/// the rounding. Exact and the same on every machine, and much cheaper than
/// the `round` library call a baseline x86-64 build makes.
#[inline]
pub fn round_half_even(x: f64) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    if x.abs() < 2_251_799_813_685_248.0 {
        (x + MAGIC) - MAGIC
    } else {
        x
    }
}

/// Writes `n / 10^k` with exactly `k` decimals (`k` ≤ 6).
#[inline]
fn write_fixed(n: i64, k: usize, out: &mut Vec<u8>) {
    let mut b = itoa::Buffer::new();
    if k == 0 {
        out.extend_from_slice(b.format(n).as_bytes());
        return;
    }
    if n < 0 {
        out.push(b'-');
    }
    let digits = b.format(n.unsigned_abs()).as_bytes();
    if digits.len() > k {
        let (int, frac) = digits.split_at(digits.len() - k);
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    } else {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', k - digits.len()));
        out.extend_from_slice(digits);
    }
}

/// Output format of the verbs that write records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// One JSON object per line (the contract of docs/records.md).
    #[default]
    Ndjson,
    /// A header and the fixed columns ts,asset,tag,value,unit,quality,text,fault; other fields are left out.
    Csv,
}

/// The CSV header; other fields are not carried by CSV.
pub const CSV_HEADER: &[u8] = b"ts,asset,tag,value,unit,quality,text,fault\n";

/// Serialises readings into a reused buffer in NDJSON or CSV.
#[derive(Debug)]
pub struct RecordEncoder {
    format: Format,
    ts: TsFormatter,
    header_done: bool,
}

impl RecordEncoder {
    pub fn new(format: Format) -> Self {
        RecordEncoder {
            format,
            ts: TsFormatter::new(),
            header_done: false,
        }
    }

    /// An encoder that never writes the CSV header: for records encoded
    /// apart and written by a [`RecordWriter`] that writes it.
    pub fn body_only(format: Format) -> Self {
        RecordEncoder {
            format,
            ts: TsFormatter::new(),
            header_done: true,
        }
    }

    /// Whether it writes NDJSON (whose canonical lines a reader may copy).
    pub fn is_ndjson(&self) -> bool {
        self.format == Format::Ndjson
    }

    /// Appends one record, with its newline, to `out`.
    pub fn encode(&mut self, r: &ReadingRef<'_>, out: &mut Vec<u8>) {
        match self.format {
            Format::Ndjson => self.encode_json(r, out),
            Format::Csv => self.encode_csv(r, out),
        }
    }

    fn encode_json(&mut self, r: &ReadingRef<'_>, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"ts\":\"");
        self.ts.write(r.ts, out);
        out.extend_from_slice(b"\",");
        if let Some(enc) = r.encoded {
            out.extend_from_slice(enc.asset);
            out.extend_from_slice(enc.tag);
            write_number(r.value, out);
            out.extend_from_slice(enc.unit);
        } else {
            out.extend_from_slice(b"\"asset\":");
            write_json_str(r.asset, out);
            out.extend_from_slice(b",\"tag\":");
            write_json_str(r.tag, out);
            out.extend_from_slice(b",\"value\":");
            write_number(r.value, out);
            if !r.unit.is_empty() {
                out.extend_from_slice(b",\"unit\":");
                write_json_str(r.unit, out);
            }
        }
        if r.quality != Quality::Good {
            out.extend_from_slice(b",\"quality\":\"");
            out.extend_from_slice(r.quality.as_str().as_bytes());
            out.push(b'"');
        }
        if !r.text.is_empty() {
            out.extend_from_slice(b",\"text\":");
            write_json_str(r.text, out);
        }
        if !r.fault.is_empty() {
            out.extend_from_slice(b",\"fault\":");
            write_json_str(r.fault, out);
        }
        if !r.extra.is_empty() {
            out.push(b',');
            out.extend_from_slice(r.extra.as_bytes());
        }
        out.extend_from_slice(b"}\n");
    }

    fn encode_csv(&mut self, r: &ReadingRef<'_>, out: &mut Vec<u8>) {
        if !self.header_done {
            out.extend_from_slice(CSV_HEADER);
            self.header_done = true;
        }
        self.ts.write(r.ts, out);
        out.push(b',');
        write_csv_field(r.asset, out);
        out.push(b',');
        write_csv_field(r.tag, out);
        out.push(b',');
        write_number(r.value, out);
        out.push(b',');
        write_csv_field(r.unit, out);
        out.push(b',');
        if r.quality != Quality::Good {
            out.extend_from_slice(r.quality.as_str().as_bytes());
        }
        out.push(b',');
        write_csv_field(r.text, out);
        out.push(b',');
        write_csv_field(r.fault, out);
        out.push(b'\n');
    }
}

/// Appends one CSV field, quoted by the csv crate's own rules.
fn write_csv_field(s: &str, out: &mut Vec<u8>) {
    if !s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(s.len() + 4));
    // Writing into a Vec cannot fail; the record ends with a newline we drop.
    if w.write_field(s).is_ok() && w.write_record(None::<&[u8]>).is_ok() {
        if let Ok(mut bytes) = w.into_inner() {
            while bytes.last() == Some(&b'\n') || bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
            out.extend_from_slice(&bytes);
        }
    }
}

/// Writes readings to a byte sink through one reused buffer.
pub struct RecordWriter<W: Write> {
    sink: W,
    encoder: RecordEncoder,
    buf: Vec<u8>,
    line_buffered: bool,
}

/// Flush to the sink once this much is buffered.
const FLUSH_AT: usize = 64 * 1024;

impl<W: Write> RecordWriter<W> {
    pub fn new(sink: W, format: Format, line_buffered: bool) -> Self {
        RecordWriter {
            sink,
            encoder: RecordEncoder::new(format),
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            line_buffered,
        }
    }

    pub fn write(&mut self, r: &ReadingRef<'_>) -> std::io::Result<()> {
        self.encoder.encode(r, &mut self.buf);
        if self.line_buffered {
            self.flush()
        } else {
            self.flush_if_full()
        }
    }

    /// Writes a record another [`RecordEncoder`] encoded (with its
    /// newline), after the CSV header when it is the first.
    pub fn write_encoded(&mut self, encoded: &[u8]) -> std::io::Result<()> {
        if !self.encoder.header_done && self.encoder.format == Format::Csv {
            self.buf.extend_from_slice(CSV_HEADER);
            self.encoder.header_done = true;
        }
        self.buf.extend_from_slice(encoded);
        if self.line_buffered {
            self.flush()
        } else {
            self.flush_if_full()
        }
    }

    /// Writes a line as it is (an event or other record passed through).
    pub fn write_raw_line(&mut self, line: &[u8]) -> std::io::Result<()> {
        self.buf.extend_from_slice(line);
        self.buf.push(b'\n');
        if self.line_buffered {
            self.flush()
        } else {
            self.flush_if_full()
        }
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            self.sink.write_all(&self.buf)?;
            self.buf.clear();
        }
        self.sink.flush()
    }

    /// Flushes what is buffered without flushing the sink itself.
    pub fn flush_if_full(&mut self) -> std::io::Result<()> {
        if self.buf.len() >= FLUSH_AT {
            self.sink.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}
