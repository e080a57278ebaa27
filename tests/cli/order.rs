//! `query --order time`: every selected series merged by (time, asset,
//! tag) on a SQLite store, equal to the input's readings sorted so; peak
//! memory that does not grow with the number of readings; and OEE from the
//! historian (`rollup DB --kpi oee`, `query --order time | rollup --kpi
//! oee`) equal to OEE on the live stream, bucket by bucket.

use std::process::Command;

use serde_json::Value;

use crate::util::{Workdir, describe, ok, parse_ndjson, text};

/// Runs `script` under `bash -o pipefail` with `set -e` in `wd`, the
/// binary as `$B`; its stdout (the test fails on a non-zero exit).
pub(crate) fn bash(wd: &Workdir, script: &str) -> String {
    let mut cmd = Command::new("bash");
    cmd.args(["-o", "pipefail", "-c"])
        .arg(format!("set -e; {script}"))
        .current_dir(&wd.dir)
        .env("B", env!("CARGO_BIN_EXE_iiot"));
    let out = wd.run(&mut cmd);
    ok(&cmd, &out)
}

pub(crate) fn ms(v: &Value) -> i64 {
    iiot::time::parse_rfc3339(text(v, "ts")).expect("a time")
}

/// Readings sorted by (time, asset, tag), asset and tag by bytes.
pub(crate) fn sorted_by_time(mut rows: Vec<Value>) -> Vec<Value> {
    rows.sort_by(|a, b| {
        (
            ms(a),
            text(a, "asset").as_bytes(),
            text(a, "tag").as_bytes(),
        )
            .cmp(&(
                ms(b),
                text(b, "asset").as_bytes(),
                text(b, "tag").as_bytes(),
            ))
    });
    rows
}

#[test]
fn time_order_equals_the_input_sorted_by_time_asset_tag() {
    let wd = Workdir::new("order-time");
    // Factory readings carry text (machine states); boiler readings at
    // fractional seconds interleave with them.
    bash(
        &wd,
        "$B simulate --preset factory --duration 10m --interval 7s --seed 2 > in.ndjson; \
         $B simulate --preset boiler --duration 10m --interval 1.5s --seed 4 >> in.ndjson; \
         $B store -q a.db in.ndjson",
    );
    let input = parse_ndjson(&wd.read("in.ndjson"));
    let out = parse_ndjson(&bash(&wd, "$B query -q a.db --order time"));
    assert_eq!(out.len(), input.len());
    assert_eq!(out, sorted_by_time(input.clone()));
    // With filters and a limit: the same merge of what is selected.
    let from = "2026-01-01T00:05:00Z";
    let to = "2026-01-01T00:08:00Z";
    let some = parse_ndjson(&bash(
        &wd,
        &format!("$B query -q a.db --order time --asset 'LINE-A/*,BLR-1' --from {from} --to {to}"),
    ));
    let (f, t) = (
        iiot::time::parse_rfc3339(from).unwrap(),
        iiot::time::parse_rfc3339(to).unwrap(),
    );
    let want: Vec<Value> = sorted_by_time(input)
        .into_iter()
        .filter(|v| {
            (text(v, "asset").starts_with("LINE-A/") || text(v, "asset") == "BLR-1")
                && ms(v) >= f
                && ms(v) < t
        })
        .collect();
    assert!(want.len() > 100);
    assert_eq!(some, want);
    let first = parse_ndjson(&bash(&wd, "$B query -q a.db --order time --limit 5"));
    assert_eq!(first, out[..5].to_vec());
}

/// Peak resident memory of `query --order time` over a store of `n`
/// readings in 100 series, in KiB.
fn peak_kib(wd: &Workdir, name: &str, n: u64) -> u64 {
    bash(
        wd,
        &format!(
            "echo '{{\"ts\":0,\"asset\":\"A\",\"tag\":\"t\",\"value\":1}}' | $B store -q {name}; \
             sqlite3 {name} \"WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 99) \
               INSERT OR IGNORE INTO series (asset, tag) SELECT 'M-' || printf('%03d', i), 'x' FROM s; \
             WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i < {n} - 1) \
               INSERT INTO readings (series_id, ts, value, quality) \
               SELECT (SELECT id FROM series WHERE asset = 'M-' || printf('%03d', i % 100)), \
                      1767225600000 + (i / 100) * 1000, i * 0.5, 0 FROM r;\""
        ),
    );
    let out = bash(
        wd,
        &format!("/usr/bin/time -f '%M' $B query -q {name} --order time 2>&1 >/dev/null | tail -1"),
    );
    out.trim()
        .parse()
        .unwrap_or_else(|_| panic!("not a size: {out}"))
}

#[test]
fn time_order_memory_does_not_grow_with_the_readings() {
    // Memory is a page of 2048 rows per series (src/store/order.rs):
    // both stores hold more than a page in each of their 100 series, so
    // the bound is reached in both and the larger must not grow past it.
    let wd = Workdir::new("order-memory");
    let small = peak_kib(&wd, "small.db", 250_000);
    let large = peak_kib(&wd, "large.db", 1_000_000);
    assert!(
        (large as f64) < small as f64 * 1.2,
        "peak {large} KiB for 1 M readings against {small} KiB for 250 k"
    );
    // And the large one is whole and in order.
    let count = bash(&wd, "$B query -q large.db --order time | wc -l");
    assert_eq!(count.trim(), "1000001");
}

#[test]
fn oee_from_the_historian_equals_oee_on_the_live_stream() {
    let wd = Workdir::new("order-oee");
    bash(
        &wd,
        "$B simulate --preset factory --duration 3h --interval 30s --seed 3 > f.ndjson; \
         $B store -q f.db f.ndjson; \
         $B rollup -q --kpi oee --every 15m,1h f.ndjson > live.ndjson; \
         $B rollup -q f.db --kpi oee --every 15m,1h > stored.ndjson; \
         $B query -q f.db --order time | $B rollup -q --kpi oee --every 15m,1h > piped.ndjson",
    );
    let live = parse_ndjson(&wd.read("live.ndjson"));
    assert!(live.len() >= 4 * 3 * 5, "few buckets: {}", live.len());
    assert!(
        live.iter()
            .any(|v| v["oee"].as_f64().is_some_and(|o| o > 0.3))
    );
    // Bucket by bucket, every field (the scrap reasons' order aside:
    // objects compare as maps).
    assert_eq!(parse_ndjson(&wd.read("stored.ndjson")), live);
    assert_eq!(parse_ndjson(&wd.read("piped.ndjson")), live);
    // The store alone, before: refused no more.
    let mut cmd = wd.cmd("rollup");
    cmd.args(["f.db", "--kpi", "oee"]);
    let out = wd.run(&mut cmd);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&cmd, &out));
}
