//! Fixtures written by other writers than iiot: SQLite stores in the
//! documented schema (docs/storage.md) through rusqlite or the sqlite3
//! CLI, and Parquet through pyarrow. A missing peer fails the test, naming
//! what to install.

use std::path::Path;
use std::process::Command;

use crate::util::{Workdir, describe};

/// The store's DDL as docs/storage.md fixes it.
pub const STORE_DDL: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
CREATE TABLE series (
  id INTEGER PRIMARY KEY, asset TEXT NOT NULL, tag TEXT NOT NULL,
  unit TEXT, description TEXT, UNIQUE (asset, tag));
CREATE TABLE readings (
  series_id INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL,
  quality INTEGER NOT NULL DEFAULT 0, extra TEXT,
  PRIMARY KEY (series_id, ts)) WITHOUT ROWID;
CREATE VIEW readings_v AS
SELECT strftime('%Y-%m-%dT%H:%M:%S', r.ts / 1000, 'unixepoch')
         || CASE WHEN r.ts % 1000 = 0 THEN 'Z' ELSE printf('.%03dZ', r.ts % 1000) END AS ts,
       s.asset, s.tag, r.value, s.unit,
       CASE r.quality WHEN 0 THEN 'good' WHEN 1 THEN 'uncertain' ELSE 'bad' END AS quality
FROM readings r JOIN series s ON s.id = r.series_id;
CREATE TABLE alarm_events (
  ts INTEGER NOT NULL, asset TEXT NOT NULL, tag TEXT NOT NULL, rule TEXT NOT NULL,
  event TEXT NOT NULL, kind TEXT, severity TEXT, value REAL, \"limit\" REAL, extra TEXT,
  PRIMARY KEY (asset, tag, rule, ts, event)) WITHOUT ROWID;
";

/// One reading as the tests build them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Row {
    pub ts: i64,
    pub asset: String,
    pub tag: String,
    pub value: f64,
    pub unit: Option<String>,
    /// 0 good, 1 uncertain, 2 bad.
    pub quality: i64,
    pub text: Option<String>,
}

pub fn row(ts: i64, asset: &str, tag: &str, value: f64) -> Row {
    Row {
        ts,
        asset: asset.to_string(),
        tag: tag.to_string(),
        value,
        unit: None,
        quality: 0,
        text: None,
    }
}

/// Writes `rows` into a new store at `path` through rusqlite, in the
/// order given.
pub fn sqlite_store(path: &Path, rows: &[Row]) {
    let conn = rusqlite::Connection::open(path).expect("creating the store");
    conn.execute_batch(STORE_DDL).expect("creating the schema");
    // One transaction: a commit per row would sync per row.
    conn.execute_batch("BEGIN").expect("BEGIN");
    for r in rows {
        conn.execute(
            "INSERT OR IGNORE INTO series (asset, tag, unit) VALUES (?1, ?2, ?3)",
            rusqlite::params![r.asset, r.tag, r.unit],
        )
        .expect("inserting a series");
        let id: i64 = conn
            .query_row(
                "SELECT id FROM series WHERE asset = ?1 AND tag = ?2",
                rusqlite::params![r.asset, r.tag],
                |x| x.get(0),
            )
            .expect("finding a series");
        let extra = r
            .text
            .as_ref()
            .map(|t| serde_json::json!({ "text": t }).to_string());
        conn.execute(
            "INSERT INTO readings (series_id, ts, value, quality, extra) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![id, r.ts, r.value, r.quality, extra],
        )
        .expect("inserting a reading");
    }
    conn.execute_batch("COMMIT").expect("COMMIT");
}

/// Runs `python3 -c code` in the working folder; fails naming pyarrow and
/// duckdb when python3 or the modules are missing.
pub fn python(wd: &Workdir, code: &str) -> String {
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(code).current_dir(&wd.dir);
    let out = match cmd.output() {
        Ok(o) => o,
        Err(e) => panic!(
            "python3 is needed for this test ({e}): install python3 and `pip install pyarrow duckdb`"
        ),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("ModuleNotFoundError") {
        panic!(
            "a Python peer is missing: `pip install pyarrow duckdb` (or scripts/test)\n{stderr}"
        );
    }
    assert!(
        out.status.success(),
        "python failed\n{}",
        describe(&cmd, &out)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Writes `rows` as JSON for a Python fixture script to read.
pub fn rows_json(wd: &Workdir, name: &str, rows: &[Row]) {
    wd.write(name, serde_json::to_vec(rows).expect("rows as JSON"));
}

/// Python that loads `rows.json` into a pyarrow table in the lake layout
/// (docs/storage.md) as `table`, with `pa` and `pq` imported.
pub const PY_LAKE_TABLE: &str = r#"
import json, os, pyarrow as pa, pyarrow.parquet as pq
rows = json.load(open("rows.json"))
def lake_table(rows):
    q = {0: "good", 1: "uncertain", 2: "bad"}
    return pa.table({
        "ts": pa.array([r["ts"] for r in rows], pa.timestamp("ms", tz="UTC")),
        "asset": pa.array([r["asset"] for r in rows], pa.string()),
        "tag": pa.array([r["tag"] for r in rows], pa.string()),
        "unit": pa.array([r["unit"] for r in rows], pa.string()),
        "value": pa.array([r["value"] for r in rows], pa.float64()),
        "quality": pa.array([q[r["quality"]] for r in rows], pa.string()),
        "text": pa.array([r["text"] for r in rows], pa.string()),
    })
"#;

/// The stored forms of `fixture.ndjson` that the `--help` examples of
/// query and inspect read: `plant.db` (rusqlite, the documented schema)
/// and `lake/date=…/part-fixture.parquet` (parquet-rs, the documented
/// columns, sorted by asset, tag, ts).
pub fn stored_fixtures(wd: &Workdir) {
    use std::sync::Arc;

    use arrow_array::{
        ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMillisecondArray,
    };
    use arrow_schema::{DataType, Field, Schema, TimeUnit};

    let text = wd.read("fixture.ndjson");
    let mut rows: Vec<Row> = crate::util::parse_ndjson(&text)
        .iter()
        .map(|v| {
            let ts = iiot::time::parse_rfc3339(v["ts"].as_str().expect("ts")).expect("a time");
            let mut r = row(
                ts,
                v["asset"].as_str().expect("asset"),
                v["tag"].as_str().expect("tag"),
                v["value"].as_f64().expect("value"),
            );
            r.unit = v["unit"].as_str().map(str::to_string);
            r.text = v["text"].as_str().map(str::to_string);
            r
        })
        .collect();
    sqlite_store(&wd.path("plant.db"), &rows);
    rows.sort_by(|a, b| (&a.asset, &a.tag, a.ts).cmp(&(&b.asset, &b.tag, b.ts)));
    let day = iiot::time::TsFormatter::format(rows[0].ts)[..10].to_string();
    let dir = wd.path(&format!("lake/date={day}"));
    std::fs::create_dir_all(&dir).expect("creating the lake");
    let strings = |f: &dyn Fn(&Row) -> Option<String>| -> ArrayRef {
        Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let schema = Arc::new(Schema::new(vec![
        Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            false,
        ),
        Field::new("asset", DataType::Utf8, false),
        Field::new("tag", DataType::Utf8, false),
        Field::new("unit", DataType::Utf8, true),
        Field::new("value", DataType::Float64, false),
        Field::new("quality", DataType::Utf8, false),
        Field::new("text", DataType::Utf8, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(
            TimestampMillisecondArray::from(rows.iter().map(|r| r.ts).collect::<Vec<_>>())
                .with_timezone("UTC"),
        ),
        strings(&|r| Some(r.asset.clone())),
        strings(&|r| Some(r.tag.clone())),
        strings(&|r| r.unit.clone()),
        Arc::new(Float64Array::from(
            rows.iter().map(|r| r.value).collect::<Vec<_>>(),
        )),
        strings(&|_| Some("good".to_string())),
        strings(&|r| r.text.clone()),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).expect("a record batch");
    let file = std::fs::File::create(dir.join("part-fixture.parquet")).expect("creating a file");
    let mut w = parquet::arrow::ArrowWriter::try_new(file, schema, None).expect("a writer");
    w.write(&batch).expect("writing Parquet");
    w.close().expect("closing Parquet");
}
