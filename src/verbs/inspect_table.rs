//! `inspect`'s report as tables for a person at a terminal. It renders the
//! same JSON value `--json` prints, so the two never say different things.

use serde_json::Value;

use crate::store::stats::human_ms;

/// Rows shown per listing before "… N more".
const SHOWN: usize = 50;

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_string(),
        other => other.to_string(),
    }
}

fn bytes(v: &Value) -> String {
    let n = v.as_f64().unwrap_or(0.0);
    if n < 1024.0 {
        format!("{n} B")
    } else if n < 1024.0 * 1024.0 {
        format!("{:.1} KiB", n / 1024.0)
    } else if n < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1} MiB", n / 1024.0 / 1024.0)
    } else {
        format!("{:.2} GiB", n / 1024.0 / 1024.0 / 1024.0)
    }
}

fn ms(v: &Value) -> String {
    v.as_i64().map_or("-".to_string(), human_ms)
}

/// Aligned columns, two spaces apart, numbers right-aligned.
fn table(out: &mut String, indent: &str, header: &[&str], rows: &[Vec<String>]) {
    let mut w: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let numeric: Vec<bool> = (0..header.len())
        .map(|i| {
            rows.iter().all(|r| {
                r[i] == "-"
                    || r[i]
                        .trim_end_matches(['B', 'K', 'M', 'G', 'i', ' '])
                        .parse::<f64>()
                        .is_ok()
            })
        })
        .collect();
    let line = |cells: Vec<String>, out: &mut String| {
        out.push_str(indent);
        let n = cells.len();
        for (i, c) in cells.into_iter().enumerate() {
            let pad = w[i] - c.chars().count();
            if numeric[i] {
                out.push_str(&" ".repeat(pad));
                out.push_str(&c);
            } else {
                out.push_str(&c);
                if i + 1 < n {
                    out.push_str(&" ".repeat(pad));
                }
            }
            if i + 1 < n {
                out.push_str("  ");
            }
        }
        out.push('\n');
    };
    line(header.iter().map(|h| h.to_string()).collect(), out);
    for r in rows.iter().take(SHOWN) {
        line(r.clone(), out);
    }
    if rows.len() > SHOWN {
        out.push_str(&format!(
            "{indent}… {} more (see --json)\n",
            rows.len() - SHOWN
        ));
    }
}

pub(super) fn render(r: &Value) -> String {
    let mut out = String::new();
    summary(&mut out, r);
    let files = arr(&r["files"]);
    for (n, f) in files.iter().enumerate() {
        if n == SHOWN {
            out.push_str(&format!(
                "\n… {} more files (see --json)\n",
                files.len() - SHOWN
            ));
            break;
        }
        file(&mut out, f);
    }
    let series = arr(&r["series"]);
    series_table(&mut out, &series);
    gaps_table(&mut out, r, &series);
    out
}

fn arr(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

/// The source, its span and counts, the store's header and what is
/// damaged.
fn summary(out: &mut String, r: &Value) {
    out.push_str(&format!(
        "{} ({}, {})\nreadings: {}   from: {}   to: {}\n",
        s(&r["source"]),
        s(&r["kind"]),
        bytes(&r["bytes"]),
        s(&r["readings"]),
        s(&r["from"]),
        s(&r["to"]),
    ));
    if r["skipped_rows"].as_u64().unwrap_or(0) > 0 {
        out.push_str(&format!(
            "skipped rows (no usable time): {}\n",
            s(&r["skipped_rows"])
        ));
    }
    if r["skipped_values"].as_u64().unwrap_or(0) > 0 {
        out.push_str(&format!(
            "skipped values (null, not finite, or no asset/tag): {}\n",
            s(&r["skipped_values"])
        ));
    }
    if let Some(st) = r.get("store").filter(|v| !v.is_null()) {
        out.push_str(&format!(
            "store: schema version {}, {} pages of {} B, {} series, {} readings, {} alarm events\n",
            s(&st["schema_version"]),
            s(&st["pages"]),
            s(&st["page_size"]),
            s(&st["series"]),
            s(&st["readings"]),
            s(&st["alarm_events"]),
        ));
    }
    let damaged = arr(&r["damaged"]);
    if !damaged.is_empty() {
        out.push_str(&format!("\nDAMAGED ({}):\n", damaged.len()));
        for d in &damaged {
            out.push_str(&format!("  {}: {}\n", s(&d["path"]), s(&d["problem"])));
        }
    }
}

/// A Parquet file: its header line, its columns and its row groups.
fn file(out: &mut String, f: &Value) {
    let empty = Vec::new();
    let rgs = f["row_groups"].as_array().unwrap_or(&empty);
    out.push_str(&format!(
        "\nfile {}  {}  {} rows  {} row group{}  written by {}\n  columns as readings: {}\n",
        s(&f["path"]),
        bytes(&f["bytes"]),
        s(&f["rows"]),
        rgs.len(),
        if rgs.len() == 1 { "" } else { "s" },
        s(&f["created_by"]),
        s(&f["mapping"]),
    ));
    let schema: Vec<Vec<String>> = arr(&f["schema"])
        .iter()
        .map(|c| {
            // Compression and encodings as the first row group has them.
            let chunk = rgs
                .first()
                .and_then(|g| g["columns"].as_array())
                .and_then(|cs| cs.iter().find(|x| x["column"] == c["name"]));
            vec![
                s(&c["name"]),
                s(&c["type"]),
                s(&c["physical"]),
                if c["nullable"] == true { "yes" } else { "no" }.to_string(),
                chunk.map_or("-".into(), |x| s(&x["compression"])),
                chunk.map_or("-".into(), |x| {
                    arr(&x["encodings"])
                        .iter()
                        .map(s)
                        .collect::<Vec<_>>()
                        .join(",")
                }),
            ]
        })
        .collect();
    table(
        out,
        "  ",
        &[
            "COLUMN",
            "TYPE",
            "PHYSICAL",
            "NULLS",
            "COMPRESSION",
            "ENCODINGS",
        ],
        &schema,
    );
    let groups: Vec<Vec<String>> = rgs
        .iter()
        .map(|g| {
            vec![
                s(&g["index"]),
                s(&g["rows"]),
                bytes(&g["compressed_bytes"]),
                bytes(&g["uncompressed_bytes"]),
            ]
        })
        .collect();
    table(
        out,
        "  ",
        &["ROW GROUP", "ROWS", "COMPRESSED", "UNCOMPRESSED"],
        &groups,
    );
}

/// One row a series: counts, extremes, interval and the problems found.
fn series_table(out: &mut String, series: &[Value]) {
    out.push_str(&format!("\nseries ({}):\n", series.len()));
    let rows: Vec<Vec<String>> = series
        .iter()
        .map(|x| {
            vec![
                s(&x["asset"]),
                s(&x["tag"]),
                s(&x["count"]),
                s(&x["min"]),
                s(&x["max"]),
                s(&x["first"]["value"]),
                s(&x["last"]["value"]),
                ms(&x["median_interval_ms"]),
                s(&x["gaps"]),
                s(&x["duplicates"]),
                s(&x["out_of_order"]),
            ]
        })
        .collect();
    table(
        out,
        "  ",
        &[
            "ASSET",
            "TAG",
            "COUNT",
            "MIN",
            "MAX",
            "FIRST",
            "LAST",
            "INTERVAL",
            "GAPS",
            "DUPS",
            "OUT-OF-ORDER",
        ],
        &rows,
    );
}

/// Every gap of every series, when there are any.
fn gaps_table(out: &mut String, r: &Value, series: &[Value]) {
    let gap_rows: Vec<Vec<String>> = series
        .iter()
        .flat_map(|x| {
            arr(&x["gap_list"])
                .iter()
                .map(|g| {
                    vec![
                        s(&x["asset"]),
                        s(&x["tag"]),
                        s(&g["from"]),
                        s(&g["to"]),
                        ms(&g["ms"]),
                    ]
                })
                .collect::<Vec<_>>()
        })
        .collect();
    if !gap_rows.is_empty() {
        out.push_str(&format!(
            "\ngaps (longer than {} × the median interval):\n",
            s(&r["gap_factor"])
        ));
        table(
            out,
            "  ",
            &["ASSET", "TAG", "FROM", "TO", "LENGTH"],
            &gap_rows,
        );
    }
}
