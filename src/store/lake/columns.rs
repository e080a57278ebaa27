//! Finding readings in a Parquet schema, whoever wrote it.
//!
//! The lake's own files (docs/storage.md) name their columns `ts`, `asset`,
//! `tag`, `unit`, `value`, `quality`, `text`. Files from other systems are
//! mapped by common names, case-insensitively, unless the user names the
//! columns:
//!
//! - time: `ts`, `timestamp`, `time`, `datetime`, `event_time` — a
//!   TIMESTAMP of any unit, a DATE, an integer or float epoch (unit guessed
//!   from its magnitude, or `--ts-unit`), or text (RFC 3339, or
//!   `YYYY-MM-DD HH:MM:SS[.fff]` taken as UTC);
//! - asset: `asset`, `device`, `device_id`, `id`, `machine`, `sensor_id`,
//!   else an `asset=` partition folder, else the file's name without its
//!   extension;
//! - tag: `tag`, `metric`, `signal`, `name`, `parameter`;
//! - value: `value`, `val`, `reading`, `measurement`, any numeric type.
//!
//! Without a tag column a table is *long* when it has one of the value
//! names (the tag is then the value column's name) and *wide* otherwise:
//! every other numeric column is a tag whose name is the column's name.

use anyhow::{Result, bail};
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, Schema, TimeUnit};

use crate::time::{MAX_MILLIS, MIN_MILLIS, Millis};

const TS_NAMES: &[&str] = &["ts", "timestamp", "time", "datetime", "event_time"];
const ASSET_NAMES: &[&str] = &["asset", "device", "device_id", "id", "machine", "sensor_id"];
const TAG_NAMES: &[&str] = &["tag", "metric", "signal", "name", "parameter"];
const VALUE_NAMES: &[&str] = &["value", "val", "reading", "measurement"];

/// The unit of an integer or float epoch time column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsUnit {
    S,
    Ms,
    Us,
    Ns,
}

impl TsUnit {
    /// The unit whose epoch reading of `v` lands between 1973 and 5138:
    /// below 1e11 seconds, below 1e14 milliseconds, below 1e17
    /// microseconds, else nanoseconds.
    pub(crate) fn guess(v: f64) -> TsUnit {
        let a = v.abs();
        if a < 1e11 {
            TsUnit::S
        } else if a < 1e14 {
            TsUnit::Ms
        } else if a < 1e17 {
            TsUnit::Us
        } else {
            TsUnit::Ns
        }
    }

    pub(crate) fn to_millis(self, v: i64) -> Millis {
        match self {
            TsUnit::S => v.saturating_mul(1000),
            TsUnit::Ms => v,
            TsUnit::Us => v.div_euclid(1000),
            TsUnit::Ns => v.div_euclid(1_000_000),
        }
    }

    /// `None` for NaN and infinities, which are no time.
    fn f64_to_millis(self, v: f64) -> Option<Millis> {
        let ms = match self {
            TsUnit::S => v * 1e3,
            TsUnit::Ms => v,
            TsUnit::Us => v / 1e3,
            TsUnit::Ns => v / 1e6,
        };
        ms.is_finite().then(|| ms.floor() as i64)
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            TsUnit::S => "s",
            TsUnit::Ms => "ms",
            TsUnit::Us => "us",
            TsUnit::Ns => "ns",
        }
    }
}

/// Columns the user named, and the unit of a numeric time column.
#[derive(Debug, Clone, Default)]
pub(crate) struct ColumnOptions {
    pub ts: Option<String>,
    pub asset: Option<String>,
    pub tag: Option<String>,
    pub value: Option<String>,
    pub ts_unit: Option<TsUnit>,
}

/// Where the asset name comes from.
#[derive(Debug, Clone)]
pub(crate) enum AssetFrom {
    Column(usize),
    /// A partition folder's `asset=` or the file's stem.
    Const(String),
}

/// Which top-level columns hold what.
#[derive(Debug, Clone)]
pub(crate) struct Mapping {
    pub ts: usize,
    pub asset: AssetFrom,
    pub tag: Option<usize>,
    /// The value column(s), each with the tag it stands for when there is
    /// no tag column (long table without tags, or a wide table).
    pub values: Vec<(usize, String)>,
    pub unit: Option<usize>,
    pub quality: Option<usize>,
    pub text: Option<usize>,
    /// The unit of an integer/float time column, when known (given or
    /// guessed from statistics); otherwise guessed from the first value.
    pub ts_unit: Option<TsUnit>,
    /// The file is in the lake's own layout (docs/storage.md).
    pub native: bool,
}

impl Mapping {
    pub(crate) fn is_wide(&self) -> bool {
        self.tag.is_none() && self.values.len() > 1
    }

    /// Every column the mapping reads, in schema order.
    /// Whether each row is one reading (a long table with a tag column),
    /// so a reading has a row of its own.
    pub(crate) fn one_reading_a_row(&self) -> bool {
        self.tag.is_some() && self.values.len() == 1
    }

    pub(crate) fn columns(&self) -> Vec<usize> {
        let mut v = vec![self.ts];
        if let AssetFrom::Column(i) = self.asset {
            v.push(i);
        }
        v.extend(self.tag);
        v.extend(self.values.iter().map(|(i, _)| *i));
        v.extend(self.unit);
        v.extend(self.quality);
        v.extend(self.text);
        v.sort_unstable();
        v.dedup();
        v
    }

    /// A one-line account of the mapping, for `-v` and inspect.
    pub(crate) fn describe(&self, schema: &Schema) -> String {
        let name = |i: usize| schema.field(i).name().clone();
        let asset = match &self.asset {
            AssetFrom::Column(i) => name(*i),
            AssetFrom::Const(s) => format!("{s:?} (no asset column)"),
        };
        let tag = match self.tag {
            Some(i) => name(i),
            None if self.is_wide() => "column names (wide table)".to_string(),
            None => format!("{:?} (no tag column)", self.values[0].1),
        };
        let values: Vec<String> = self.values.iter().map(|(i, _)| name(*i)).collect();
        format!(
            "{}ts={}{}, asset={asset}, tag={tag}, value={}",
            if self.native {
                "iiot lake layout: "
            } else {
                ""
            },
            name(self.ts),
            self.ts_unit
                .map(|u| format!(" ({})", u.name()))
                .unwrap_or_default(),
            values.join("|"),
        )
    }

    /// Maps `schema`; `asset_fallback` names the asset when no column does.
    pub(crate) fn resolve(
        schema: &Schema,
        opts: &ColumnOptions,
        asset_fallback: &str,
    ) -> Result<Mapping> {
        let fields = Fields(schema.fields());
        let ts = match fields.named("ts-col", &opts.ts)? {
            Some(i) => i,
            None => match fields.common(TS_NAMES, &is_time_like) {
                Some(i) => i,
                None => bail!(
                    "no timestamp column: none of {TS_NAMES:?} is a time, number or text \
                     column (the file has {:?}); name it with --ts-col",
                    fields.names()
                ),
            },
        };
        let asset = fields
            .named("asset-col", &opts.asset)?
            .or_else(|| fields.common(ASSET_NAMES, &is_text_or_int))
            .filter(|&i| i != ts);
        let tag = fields
            .named("tag-col", &opts.tag)?
            .or_else(|| fields.common(TAG_NAMES, &is_text))
            .filter(|&i| i != ts && Some(i) != asset);
        let unit = fields.common(&["unit"], &is_text);
        let quality = fields.common(&["quality"], &is_text);
        let text = fields.common(&["text"], &is_text);
        let taken = [Some(ts), asset, tag, unit, quality, text];
        let values = fields.values(opts, tag.is_some(), &taken)?;
        let f = &fields.0;
        if !is_time_like(f[ts].data_type()) {
            bail!(
                "time column {:?} is {}: not a timestamp, number or text",
                f[ts].name(),
                f[ts].data_type()
            );
        }
        let native = f.len() == 7
            && ["ts", "asset", "tag", "unit", "value", "quality", "text"]
                .iter()
                .zip(f.iter())
                .all(|(n, f)| f.name() == n);
        let asset = match asset {
            Some(i) => AssetFrom::Column(i),
            None => AssetFrom::Const(asset_fallback.to_string()),
        };
        let ts_unit = match f[ts].data_type() {
            DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => None,
            t if t.is_numeric() => opts.ts_unit,
            _ => None,
        };
        Ok(Mapping {
            ts,
            asset,
            tag,
            values,
            unit,
            quality,
            text,
            ts_unit,
            native,
        })
    }
}

/// A schema's columns, searched by name.
struct Fields<'a>(&'a arrow_schema::Fields);

impl Fields<'_> {
    fn names(&self) -> Vec<&str> {
        self.0.iter().map(|f| f.name().as_str()).collect()
    }

    /// The column a flag (`--ts-col`) names; an error when there is none.
    fn named(&self, flag: &str, name: &Option<String>) -> Result<Option<usize>> {
        match name {
            None => Ok(None),
            Some(n) => match self.0.iter().position(|f| f.name() == n) {
                Some(i) => Ok(Some(i)),
                None => bail!(
                    "--{flag} {n:?}: no such column (the file has {:?})",
                    self.names()
                ),
            },
        }
    }

    /// The first of `names` (any letter case) that is a column of a type
    /// `ok` takes.
    fn common(&self, names: &[&str], ok: &dyn Fn(&DataType) -> bool) -> Option<usize> {
        names.iter().find_map(|n| {
            self.0
                .iter()
                .position(|f| f.name().eq_ignore_ascii_case(n) && ok(f.data_type()))
        })
    }

    /// The value column(s), each with the tag it stands for without a tag
    /// column: the one named, else a common value name not `taken`, else
    /// every numeric column not taken (a wide table; with a tag column
    /// only one may be left).
    fn values(
        &self,
        opts: &ColumnOptions,
        has_tag: bool,
        taken: &[Option<usize>],
    ) -> Result<Vec<(usize, String)>> {
        let fields = self.0;
        let taken = |i: usize| taken.contains(&Some(i));
        let named_value = self.named("value-col", &opts.value)?.or_else(|| {
            self.common(VALUE_NAMES, &|t: &DataType| is_numeric(t))
                .filter(|&i| !taken(i))
        });
        let values: Vec<(usize, String)> = match named_value {
            Some(i) => vec![(i, fields[i].name().clone())],
            None => {
                let numeric: Vec<(usize, String)> = fields
                    .iter()
                    .enumerate()
                    .filter(|(i, f)| !taken(*i) && is_numeric(f.data_type()))
                    .map(|(i, f)| (i, f.name().clone()))
                    .collect();
                if has_tag && numeric.len() > 1 {
                    let names: Vec<&str> = numeric.iter().map(|(_, n)| n.as_str()).collect();
                    bail!(
                        "which column is the value? {names:?} are all numeric; name it with --value-col"
                    );
                }
                numeric
            }
        };
        if values.is_empty() {
            bail!(
                "no value column: no numeric column besides the time and names; name it with --value-col"
            );
        }
        for (i, _) in &values {
            if !is_numeric(fields[*i].data_type()) {
                bail!(
                    "value column {:?} is {}, not a number",
                    fields[*i].name(),
                    fields[*i].data_type()
                );
            }
        }
        Ok(values)
    }
}

fn is_text(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => is_text(v),
        _ => false,
    }
}

fn is_text_or_int(t: &DataType) -> bool {
    is_text(t) || t.is_integer()
}

fn is_numeric(t: &DataType) -> bool {
    t.is_integer() || t.is_floating() || matches!(t, DataType::Boolean)
}

fn is_time_like(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64
    ) || t.is_integer()
        || t.is_floating()
        || is_text(t)
}

/// Text of a string-like column, whatever its Arrow representation.
pub(crate) enum TextCol<'a> {
    Utf8(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
    Dict(Vec<usize>, Box<TextCol<'a>>, &'a dyn Array),
    /// Integers (a numeric device id) shown as text.
    Int(Vec<Option<i64>>, String),
    None,
}

impl<'a> TextCol<'a> {
    pub(crate) fn new(a: &'a ArrayRef) -> TextCol<'a> {
        Self::of(a.as_ref())
    }

    fn of(a: &'a dyn Array) -> TextCol<'a> {
        match a.data_type() {
            DataType::Utf8 => TextCol::Utf8(a.as_string::<i32>()),
            DataType::LargeUtf8 => TextCol::Large(a.as_string::<i64>()),
            DataType::Utf8View => TextCol::View(a.as_string_view()),
            DataType::Dictionary(_, _) => match a.as_any_dictionary_opt() {
                Some(d) => {
                    let keys = d.normalized_keys();
                    TextCol::Dict(keys, Box::new(TextCol::of(d.values().as_ref())), a)
                }
                None => TextCol::None,
            },
            t if t.is_integer() => {
                let mut v = Vec::new();
                numbers(a, &mut v);
                TextCol::Int(
                    v.into_iter().map(|x| x.map(|f| f as i64)).collect(),
                    String::new(),
                )
            }
            _ => TextCol::None,
        }
    }

    /// The text of row `i`; `None` when null.
    pub(crate) fn get(&mut self, i: usize) -> Option<&str> {
        match self {
            TextCol::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            TextCol::Large(a) => a.is_valid(i).then(|| a.value(i)),
            TextCol::View(a) => a.is_valid(i).then(|| a.value(i)),
            TextCol::Dict(keys, values, arr) => {
                if arr.is_valid(i) {
                    let k = keys[i];
                    values.get(k)
                } else {
                    None
                }
            }
            TextCol::Int(v, buf) => match v[i] {
                Some(x) => {
                    buf.clear();
                    buf.push_str(itoa::Buffer::new().format(x));
                    Some(buf.as_str())
                }
                None => None,
            },
            TextCol::None => None,
        }
    }
}

/// Appends the numbers of a numeric column as f64 (`None` for nulls).
pub(crate) fn numbers(a: &dyn Array, out: &mut Vec<Option<f64>>) {
    macro_rules! prim {
        ($t:ty) => {{
            let p = a.as_primitive::<$t>();
            out.extend((0..p.len()).map(|i| p.is_valid(i).then(|| p.value(i) as f64)));
        }};
    }
    match a.data_type() {
        DataType::Float64 => prim!(Float64Type),
        DataType::Float32 => prim!(Float32Type),
        DataType::Int64 => prim!(Int64Type),
        DataType::Int32 => prim!(Int32Type),
        DataType::Int16 => prim!(Int16Type),
        DataType::Int8 => prim!(Int8Type),
        DataType::UInt64 => prim!(UInt64Type),
        DataType::UInt32 => prim!(UInt32Type),
        DataType::UInt16 => prim!(UInt16Type),
        DataType::UInt8 => prim!(UInt8Type),
        DataType::Boolean => {
            let b = a.as_boolean();
            out.extend(
                (0..b.len()).map(|i| b.is_valid(i).then(|| f64::from(u8::from(b.value(i))))),
            );
        }
        _ => out.extend(std::iter::repeat_n(None, a.len())),
    }
}

/// Converts a time column to epoch milliseconds (`None` for a null or a
/// value that is not a time). `unit` is the numeric unit, guessed from the
/// first value when unknown and then kept for the file.
pub(crate) fn times(a: &ArrayRef, unit: &mut Option<TsUnit>, out: &mut Vec<Option<Millis>>) {
    let start = out.len();
    times_any(a, unit, out);
    // A record's time lies in years 1–9999; anything else is no time, and
    // is counted as such rather than printed as nonsense.
    for t in &mut out[start..] {
        if t.is_some_and(|t| !(MIN_MILLIS..=MAX_MILLIS).contains(&t)) {
            *t = None;
        }
    }
}

fn times_any(a: &ArrayRef, unit: &mut Option<TsUnit>, out: &mut Vec<Option<Millis>>) {
    macro_rules! ts {
        ($t:ty, $f:expr) => {{
            let p = a.as_primitive::<$t>();
            out.extend((0..p.len()).map(|i| p.is_valid(i).then(|| $f(p.value(i)))));
        }};
    }
    match a.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => {
            ts!(TimestampSecondType, |v: i64| v.saturating_mul(1000))
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            ts!(TimestampMillisecondType, |v: i64| v)
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            ts!(TimestampMicrosecondType, |v: i64| v.div_euclid(1000))
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            ts!(TimestampNanosecondType, |v: i64| v.div_euclid(1_000_000))
        }
        DataType::Date32 => ts!(Date32Type, |v: i32| i64::from(v) * 86_400_000),
        DataType::Date64 => ts!(Date64Type, |v: i64| v),
        t if t.is_integer() || t.is_floating() => {
            let mut nums = Vec::with_capacity(a.len());
            numbers(a.as_ref(), &mut nums);
            if unit.is_none() {
                *unit = nums
                    .iter()
                    .flatten()
                    .find(|v| v.is_finite())
                    .map(|v| TsUnit::guess(*v));
            }
            let u = unit.unwrap_or(TsUnit::Ms);
            let int = t.is_integer();
            let int_values: Option<Vec<Option<i64>>> = match t {
                DataType::Int64 => {
                    let p = a.as_primitive::<Int64Type>();
                    Some(
                        (0..p.len())
                            .map(|i| p.is_valid(i).then(|| p.value(i)))
                            .collect(),
                    )
                }
                _ => None,
            };
            match int_values {
                // Exact for nanoseconds, which f64 cannot hold.
                Some(v) => out.extend(v.into_iter().map(|x| x.map(|x| u.to_millis(x)))),
                None if int => {
                    out.extend(nums.into_iter().map(|x| x.map(|x| u.to_millis(x as i64))))
                }
                None => out.extend(nums.into_iter().map(|x| x.and_then(|x| u.f64_to_millis(x)))),
            }
        }
        _ => {
            let mut col = TextCol::new(a);
            out.extend((0..a.len()).map(|i| col.get(i).and_then(crate::time::parse_time_text)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_schema::Field;

    #[test]
    fn guesses_epoch_units() {
        assert_eq!(TsUnit::guess(1_767_225_600.0), TsUnit::S);
        assert_eq!(TsUnit::guess(1_767_225_600_000.0), TsUnit::Ms);
        assert_eq!(TsUnit::guess(1_767_225_600_000_000.0), TsUnit::Us);
        assert_eq!(TsUnit::guess(1_767_225_600_000_000_000.0), TsUnit::Ns);
    }

    #[test]
    fn parses_text_times_as_utc() {
        let ms = 1_767_225_601_250;
        assert_eq!(
            crate::time::parse_time_text("2026-01-01T00:00:01.25Z"),
            Some(ms)
        );
        assert_eq!(
            crate::time::parse_time_text("2026-01-01 00:00:01.250"),
            Some(ms)
        );
        assert_eq!(
            crate::time::parse_time_text("2026-01-01T02:00:01.25+02:00"),
            Some(ms)
        );
        assert_eq!(crate::time::parse_time_text("2026-01-01"), Some(ms - 1250));
        assert_eq!(crate::time::parse_time_text("soon"), None);
    }

    #[test]
    fn maps_long_and_wide_tables() {
        let long = Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("timestamp", DataType::Int64, false),
            Field::new("value", DataType::Float64, false),
        ]);
        let m = Mapping::resolve(&long, &ColumnOptions::default(), "f").unwrap();
        assert_eq!(m.ts, 1);
        assert!(matches!(m.asset, AssetFrom::Column(0)));
        assert_eq!(m.values, vec![(2, "value".to_string())]);
        let wide = Schema::new(vec![
            Field::new("time", DataType::Utf8, false),
            Field::new("machine", DataType::Utf8, false),
            Field::new("temp", DataType::Float32, true),
            Field::new("rpm", DataType::Int32, true),
        ]);
        let m = Mapping::resolve(&wide, &ColumnOptions::default(), "f").unwrap();
        assert!(m.is_wide());
        assert_eq!(m.values.len(), 2);
        let none = Schema::new(vec![Field::new("x", DataType::Float64, false)]);
        assert!(Mapping::resolve(&none, &ColumnOptions::default(), "f").is_err());
    }
}

/// Names shared by the rows that repeat them (asset, tag, unit, text):
/// one allocation per distinct name rather than one per row.
#[derive(Default)]
pub(crate) struct Interner(std::collections::HashMap<String, std::rc::Rc<str>>);

impl Interner {
    /// The shared copy of `s`.
    pub(crate) fn get(&mut self, s: &str) -> std::rc::Rc<str> {
        if let Some(r) = self.0.get(s) {
            return r.clone();
        }
        let r: std::rc::Rc<str> = std::rc::Rc::from(s);
        self.0.insert(s.to_string(), r.clone());
        r
    }

    /// The names interned, each once.
    pub(crate) fn into_names(self) -> Vec<std::rc::Rc<str>> {
        self.0.into_values().collect()
    }
}
