//! The lake's folder layout (docs/storage.md), defined once for the
//! writer, the listing and retention: Hive partitions
//! `date=YYYY-MM-DD[/asset=…]` by UTC day, partition values escaped as
//! Hive escapes them, files named
//! `part-YYYYMMDDTHHMMSSZ-RRRRRRRRRRRRRRRR.parquet` and written under the
//! hidden `.part-….parquet.tmp` first, and the limits of the file system
//! a folder or file name must fit.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use crate::record::ParseError;
use crate::time::{Millis, TsFormatter};

/// The key of the day partitions: `date=2026-01-01`.
pub(crate) const DATE_KEY: &str = "date";
/// The key of the asset partitions: `asset=WH-01`.
pub(crate) const ASSET_KEY: &str = "asset";
/// The key of the folder of a rollup width's files: `every=1h`, above
/// their `date=` partitions; readings are never listed under it.
pub(crate) const EVERY_KEY: &str = "every";

const DAY_MS: Millis = 86_400_000;

/// The longest file or folder name, in bytes (Linux, the BSDs and macOS).
const NAME_MAX: usize = 255;

/// The longest path a system call takes, in bytes, without its final NUL.
#[cfg(target_os = "linux")]
const PATH_MAX: usize = 4095;
#[cfg(not(target_os = "linux"))]
const PATH_MAX: usize = 1023;

/// `date=2026-01-01`.
const DATE_DIR_LEN: usize = 15;

/// `/.part-20260101T000000Z-0123456789abcdef.parquet.tmp`: the longest name
/// the lake gives a file, with its separator.
const FILE_NAME_LEN: usize = 52;

/// The day (days since 1970-01-01) a time falls on, in UTC.
pub(crate) fn day_of(ts: Millis) -> i64 {
    ts.div_euclid(DAY_MS)
}

/// The folder of a day: `date=2026-01-01`.
pub(crate) fn date_dir(day: i64) -> String {
    let ts = TsFormatter::format(day * DAY_MS);
    format!("{DATE_KEY}={}", ts.get(..10).unwrap_or(&ts))
}

/// The start of the UTC day a partition value `YYYY-MM-DD` names; `None`
/// for anything that is not a date.
pub(crate) fn day_start(value: &str) -> Option<Millis> {
    let date = value.parse::<jiff::civil::Date>().ok()?;
    let day = crate::time::days_from_civil(
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    );
    Some(day * DAY_MS)
}

/// The start of the day a lake folder `date=YYYY-MM-DD` holds.
pub(crate) fn date_dir_start(name: &str) -> Option<Millis> {
    day_start(name.strip_prefix(DATE_KEY)?.strip_prefix('=')?)
}

/// Appends `/asset=…` (the value escaped) to a partition's folder;
/// returns the escaped value's length.
pub(crate) fn push_asset_dir(asset: &str, out: &mut String) -> usize {
    out.push('/');
    out.push_str(ASSET_KEY);
    out.push('=');
    let start = out.len();
    escape_partition_value(asset, out);
    out.len() - start
}

/// Checks that the lake can write a folder whose path is `dir_len` bytes:
/// its files' paths must fit the system's limit.
pub(crate) fn check_lake_dir(dir_len: usize) -> Result<(), String> {
    if dir_len + 1 + DATE_DIR_LEN + FILE_NAME_LEN > PATH_MAX {
        return Err(format!(
            "the lake folder's path is too long ({dir_len} bytes) for the paths of its \
             files to fit the system's limit of {} bytes",
            PATH_MAX + 1
        ));
    }
    Ok(())
}

/// Checks that `asset=` and `escaped` bytes (the asset name escaped) make
/// a folder name the file system takes, in a path the system takes under
/// a lake folder of `dir_len` bytes.
pub(crate) fn check_asset_dir(
    dir_len: usize,
    asset: &str,
    escaped: usize,
) -> Result<(), ParseError> {
    let name = ASSET_KEY.len() + 1 + escaped;
    if name > NAME_MAX {
        let escapes = if escaped > asset.len() {
            format!(" ({} bytes escaped)", escaped)
        } else {
            String::new()
        };
        return Err(ParseError {
            field: Some("asset"),
            message: format!(
                "too long for a lake partition: its folder name asset=… would be {name} bytes \
                 (the name is {} bytes{escapes}), over the {NAME_MAX} a file system allows",
                asset.len()
            ),
        });
    }
    let path = dir_len + 1 + DATE_DIR_LEN + 1 + name + FILE_NAME_LEN;
    if path > PATH_MAX {
        return Err(ParseError {
            field: Some("asset"),
            message: format!(
                "too long for a lake partition: a file's path in its folder would be {path} \
                 bytes, over the {} the system takes",
                PATH_MAX + 1
            ),
        });
    }
    Ok(())
}

/// Whether a name is left out of a lake: the writers' temporary
/// `.part-….parquet.tmp`, Spark's `_SUCCESS`, and folders named so.
pub(crate) fn is_hidden(name: &str) -> bool {
    name.starts_with('.') || name.starts_with('_')
}

/// Whether a file name is a Parquet file of the lake.
pub(crate) fn is_data_file(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".parquet")
}

/// A folder name `key=value` as a partition, the value percent-decoded.
pub(crate) fn partition(name: &str) -> Option<(String, String)> {
    name.split_once('=')
        .map(|(k, v)| (k.to_string(), percent_decode(v)))
}

/// `part-20260101T000000Z-0123456789abcdef.parquet`: when the file was
/// started and 64 random bits, so two writers never pick the same name.
pub(crate) fn file_name(seq: u64) -> String {
    let now = jiff::Timestamp::now();
    let stamp = now.strftime("%Y%m%dT%H%M%SZ");
    format!("part-{stamp}-{:016x}.parquet", random_bits(now, seq))
}

/// 64 bits no other writer can foresee: the time, the process and the
/// file's number hashed with keys std draws from the system's random
/// source (a fresh pair for every `RandomState`), so two processes
/// starting files in the same nanosecond still differ.
fn random_bits(now: jiff::Timestamp, seq: u64) -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_i128(now.as_nanosecond());
    h.write_u32(std::process::id());
    h.write_u64(seq);
    h.finish()
}

/// The hidden name a file is written under: `*.parquet` does not match it.
pub(crate) fn tmp_name(name: &str) -> String {
    format!(".{name}.tmp")
}

/// Hive partition values escape `/`, `=`, `%` and control characters as
/// `%XX`, as Spark and Hive do.
fn escape_partition_value(v: &str, out: &mut String) {
    for c in v.chars() {
        if needs_escape(c) {
            let mut b = [0u8; 4];
            for byte in c.encode_utf8(&mut b).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        } else {
            out.push(c);
        }
    }
}

fn needs_escape(c: char) -> bool {
    c == '/' || c == '=' || c == '%' || c == '\\' || c.is_control() || c == ':'
}

/// The length in bytes of `v` escaped by [`escape_partition_value`].
pub(crate) fn escaped_len(v: &str) -> usize {
    v.chars()
        .map(|c| {
            if needs_escape(c) {
                3 * c.len_utf8()
            } else {
                c.len_utf8()
            }
        })
        .sum()
}

/// Decodes `%XX` escapes as Hive writers (DuckDB, Spark, pyarrow) write
/// them in partition values; anything malformed is kept as it is.
pub(crate) fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_len_is_the_escaped_names_length() {
        for v in ["WH-01", "a/b=c%d", "x\u{0}y", "é:ü", "LINE-A/M-03\\"] {
            let mut out = String::new();
            escape_partition_value(v, &mut out);
            assert_eq!(escaped_len(v), out.len(), "{v:?} → {out:?}");
        }
    }

    #[test]
    fn decodes_hive_escapes() {
        assert_eq!(percent_decode("LINE-A%2FM-03"), "LINE-A/M-03");
        assert_eq!(percent_decode("plain"), "plain");
        assert_eq!(percent_decode("bad%zz"), "bad%zz");
        assert_eq!(percent_decode("end%2"), "end%2");
    }

    #[test]
    fn date_folders_name_their_day_both_ways() {
        let start = day_start("2026-01-01").unwrap();
        assert_eq!(start, 1_767_225_600_000);
        assert_eq!(date_dir(day_of(start + 5)), "date=2026-01-01");
        assert_eq!(date_dir_start("date=2026-01-01"), Some(start));
        assert_eq!(date_dir(day_of(-1)), "date=1969-12-31");
        assert_eq!(day_start("2026-13-01"), None);
        assert_eq!(date_dir_start("asset=2026-01-01"), None);
    }

    #[test]
    fn file_names_of_one_writer_differ_and_fit_the_layout() {
        let (a, b) = (file_name(1), file_name(1));
        assert_ne!(a, b, "the random part differs even for the same number");
        assert_eq!(tmp_name(&a).len() + 1, FILE_NAME_LEN);
        assert!(is_data_file(&a) && !is_data_file(&tmp_name(&a)) && is_hidden(&tmp_name(&a)));
    }
}
