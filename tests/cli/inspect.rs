//! `iiot inspect`: counts, min/max/first/last, gaps, duplicates and
//! out-of-order rows of a hand-built file; layout of row groups; a store's
//! report; truncated, footerless and impossible-footer files reported by
//! name and problem with exit 1, the rest still reported, never a panic.

use serde_json::Value;

use crate::peers::{python, row, sqlite_store};
use crate::util::{Workdir, describe, fails_with, ok};

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn inspect(wd: &Workdir, args: &[&str]) -> Value {
    let mut c = wd.cmd("inspect");
    c.args(args);
    let out = wd.run(&mut c);
    let stdout = ok(&c, &out);
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e})\n{}", describe(&c, &out)))
}

fn series<'a>(report: &'a Value, asset: &str, tag: &str) -> &'a Value {
    report["series"]
        .as_array()
        .expect("series")
        .iter()
        .find(|s| s["asset"] == asset && s["tag"] == tag)
        .unwrap_or_else(|| panic!("no series {asset}/{tag} in {report:#}"))
}

/// A file whose rows hold known faults: series A/flow every second for
/// 10 s, then a 50 s gap, a duplicate, a row back in time; B/level clean.
const HAND_BUILT: &str = "
import pyarrow as pa, pyarrow.parquet as pq
base = 1767225600000
ts, asset, tag, value = [], [], [], []
def add(t, a, g, v):
    ts.append(base + t); asset.append(a); tag.append(g); value.append(v)
for i in range(10):
    add(i * 1000, 'A', 'flow', float(i))
    add(i * 1000, 'B', 'level', 100.0 - i)
add(60000, 'A', 'flow', 60.0)
add(60000, 'A', 'flow', 61.0)
add(30000, 'A', 'flow', -5.0)
add(61000, 'A', 'flow', 7.5)
pq.write_table(pa.table({
    'ts': pa.array(ts, pa.timestamp('ms', tz='UTC')),
    'asset': asset, 'tag': tag, 'value': pa.array(value, pa.float64()),
}), 'faults.parquet', row_group_size=8, compression='zstd')
";

#[test]
fn inspect_counts_gaps_duplicates_and_out_of_order() {
    let wd = Workdir::new("inspect-faults");
    python(&wd, HAND_BUILT);
    // stdout is a pipe here: JSON without asking.
    let r = inspect(&wd, &["faults.parquet"]);
    assert_eq!(r["kind"], "parquet");
    assert_eq!(r["readings"], 24);
    assert_eq!(r["from"], "2026-01-01T00:00:00Z");
    assert_eq!(r["to"], "2026-01-01T00:01:01Z");
    let a = series(&r, "A", "flow");
    assert_eq!(a["count"], 14);
    assert_eq!(a["min"], -5.0);
    assert_eq!(a["max"], 61.0);
    assert_eq!(a["first"]["value"], 0.0);
    assert_eq!(a["last"]["ts"], "2026-01-01T00:01:01Z");
    assert_eq!(a["last"]["value"], 7.5);
    assert_eq!(a["median_interval_ms"], 1000);
    assert_eq!(a["duplicates"], 1);
    assert_eq!(a["out_of_order"], 1);
    assert_eq!(a["gaps"], 1);
    assert_eq!(a["longest_gap_ms"], 51000);
    assert_eq!(a["gap_list"][0]["from"], "2026-01-01T00:00:09Z");
    assert_eq!(a["gap_list"][0]["to"], "2026-01-01T00:01:00Z");
    let b = series(&r, "B", "level");
    assert_eq!(
        (b["count"].as_u64(), b["gaps"].as_u64()),
        (Some(10), Some(0))
    );
    assert_eq!(
        (b["duplicates"].as_u64(), b["out_of_order"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(b["first"]["value"], 100.0);
    assert_eq!(b["last"]["value"], 91.0);
    // The layout: 24 rows in row groups of 8, zstd, the schema.
    let f = &r["files"][0];
    assert_eq!(f["rows"], 24);
    let groups = f["row_groups"].as_array().unwrap();
    assert_eq!(groups.len(), 3);
    assert!(
        groups
            .iter()
            .all(|g| g["rows"] == 8 && g["compressed_bytes"].as_i64() > Some(0))
    );
    assert_eq!(groups[0]["columns"][0]["compression"], "ZSTD");
    assert!(
        !groups[0]["columns"][0]["encodings"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let names: Vec<&str> = f["schema"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ts", "asset", "tag", "value"]);
    // A stricter factor finds no more than the one gap; a lax one none.
    let lax = inspect(&wd, &["faults.parquet", "--gap-factor", "100", "--json"]);
    assert_eq!(series(&lax, "A", "flow")["gaps"], 0);
}

#[test]
fn inspect_store_reports_series_and_gaps() {
    let wd = Workdir::new("inspect-store");
    let mut rows = Vec::new();
    for i in 0..20 {
        let ts = T0 + i * 10_000 + if i >= 15 { 300_000 } else { 0 };
        rows.push(row(ts, "FERM-1", "ph", 7.0 + i as f64 / 4.0));
    }
    sqlite_store(&wd.path("plant.db"), &rows);
    let r = inspect(&wd, &["plant.db", "--json"]);
    assert_eq!(r["kind"], "sqlite");
    assert_eq!(r["store"]["schema_version"], "1");
    assert_eq!(r["store"]["readings"], 20);
    assert_eq!(r["store"]["series"], 1);
    let s = series(&r, "FERM-1", "ph");
    assert_eq!(s["count"], 20);
    assert_eq!(s["median_interval_ms"], 10_000);
    assert_eq!(s["gaps"], 1);
    assert_eq!(s["gap_list"][0]["ms"], 310_000);
    assert_eq!(s["last"]["value"], 11.75);
}

#[test]
fn inspect_reports_damaged_files_and_the_rest() {
    let wd = Workdir::new("inspect-damaged");
    python(&wd, HAND_BUILT);
    let good = std::fs::read(wd.path("faults.parquet")).unwrap();
    std::fs::create_dir_all(wd.path("lake/date=2026-01-01")).unwrap();
    wd.write("lake/date=2026-01-01/part-good.parquet", &good);
    // Cut in the middle: the footer is gone.
    wd.write(
        "lake/date=2026-01-01/part-cut.parquet",
        &good[..good.len() / 2],
    );
    // Ends with the magic, but the length before it points past the start.
    let mut huge = b"PAR1xxxxxxxx".to_vec();
    huge.extend_from_slice(&1_000_000u32.to_le_bytes());
    huge.extend_from_slice(b"PAR1");
    wd.write("lake/date=2026-01-01/part-huge.parquet", &huge);
    wd.write("lake/date=2026-01-01/part-empty.parquet", b"");
    // A footer of the right length that is not a footer.
    let mut junk = b"PAR1".to_vec();
    junk.extend_from_slice(&[0x55; 40]);
    junk.extend_from_slice(&20u32.to_le_bytes());
    junk.extend_from_slice(b"PAR1");
    wd.write("lake/date=2026-01-01/part-junk.parquet", &junk);

    let mut c = wd.cmd("inspect");
    c.args(["lake", "--json"]);
    let out = wd.run(&mut c);
    let err = fails_with(1, &c, &out);
    assert!(!err.contains("panicked"), "{err}");
    let r: Value = serde_json::from_slice(&out.stdout).expect("the report is still written");
    let problem = |name: &str| -> String {
        r["damaged"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["path"].as_str().unwrap().ends_with(name))
            .map(|d| d["problem"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{name} not reported damaged: {r:#}"))
    };
    assert!(
        problem("part-cut.parquet").starts_with("no footer: the file ends without the PAR1 magic")
    );
    assert!(problem("part-huge.parquet").starts_with("footer length 1000000 exceeds file size 20"));
    assert!(problem("part-empty.parquet").starts_with("empty file"));
    assert!(problem("part-junk.parquet").starts_with("footer unreadable"));
    // The good file is reported in full.
    assert_eq!(r["readings"], 24);
    assert_eq!(r["files"].as_array().unwrap().len(), 1);
    for name in [
        "part-cut.parquet",
        "part-huge.parquet",
        "part-empty.parquet",
        "part-junk.parquet",
    ] {
        assert!(err.contains(name), "stderr names {name}: {err}");
    }

    // One truncated file on its own.
    let mut c = wd.cmd("inspect");
    c.args(["lake/date=2026-01-01/part-cut.parquet", "--json"]);
    let out = wd.run(&mut c);
    let err = fails_with(1, &c, &out);
    assert!(err.contains("part-cut.parquet: no footer"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn inspect_maps_foreign_files_like_query() {
    let wd = Workdir::new("inspect-foreign");
    python(
        &wd,
        "
import pyarrow as pa, pyarrow.parquet as pq
pq.write_table(pa.table({
    'time': ['2026-01-01 00:00:00', '2026-01-01 00:00:01', 'not a time'],
    'machine': ['M-1', 'M-1', 'M-1'],
    'temp': [20.0, 21.0, 22.0],
    'rpm': pa.array([100, 110, 120], pa.int64()),
}), 'wide.parquet')
",
    );
    let r = inspect(&wd, &["wide.parquet"]);
    assert_eq!(r["readings"], 4);
    assert_eq!(r["skipped_rows"], 1);
    assert_eq!(series(&r, "M-1", "rpm")["max"], 110.0);
    assert!(
        r["files"][0]["mapping"]
            .as_str()
            .unwrap()
            .contains("wide table")
    );
}

#[test]
fn inspect_on_a_terminal_writes_tables() {
    let wd = Workdir::new("inspect-tty");
    python(&wd, HAND_BUILT);
    // `script` (util-linux) gives iiot a terminal for stdout.
    let bin = env!("CARGO_BIN_EXE_iiot");
    let mut c = std::process::Command::new("script");
    c.args([
        "-qec",
        &format!("{bin} inspect faults.parquet"),
        "/dev/null",
    ])
    .current_dir(&wd.dir);
    let out = c.output().unwrap_or_else(|e| {
        panic!("`script` (util-linux) is needed ({e}): apt-get install bsdutils")
    });
    let text = ok(&c, &out);
    for want in [
        "readings: 24",
        "ROW GROUP",
        "ZSTD",
        "series (2):",
        "OUT-OF-ORDER",
        "gaps (longer than 5",
        "2026-01-01T00:00:09Z",
    ] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }
    assert!(
        !text.trim_start().starts_with('{'),
        "a table, not JSON:\n{text}"
    );
}
