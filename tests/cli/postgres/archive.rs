//! Rollup tables read back and archive before delete on a PostgreSQL
//! store give what they give on a SQLite store of the same readings:
//! `query URL --rollup 1m`, and `rollup URL --retain … --archive DIR`
//! (the same rows deleted and the same archive files' contents, and what
//! is left plus what is archived is the store before).

use super::cluster::Cluster;
use super::{bash, bash_ok, sorted_lines};
use crate::util::describe;

/// Runs `script` with `{S}` the SQLite file, then the database: both
/// stdouts and stderrs with the store's and archive's names taken out,
/// equal byte for byte; returns the PostgreSQL stdout.
fn same(wd: &crate::util::Workdir, url: &str, script: &str) -> String {
    let mut outs = Vec::new();
    for (s, arc) in [("a.db", "arc-lite"), (url, "arc-pg")] {
        let (out, err) = bash_ok(wd, &script.replace("{S}", s).replace("{A}", arc));
        let anon = |t: String| t.replace(s, "STORE").replace(arc, "ARC");
        outs.push((anon(out), anon(err)));
    }
    assert_eq!(outs[1].0, outs[0].0, "stdout differs on: {script}");
    assert_eq!(outs[1].1, outs[0].1, "stderr differs on: {script}");
    outs.pop().map(|o| o.0).unwrap_or_default()
}

#[test]
fn rollups_read_back_and_archive_on_postgresql_equal_sqlite() {
    let pg = Cluster::shared();
    let url = pg.database("archive");
    let wd = crate::util::Workdir::new("pg-archive");
    bash_ok(
        &wd,
        &format!(
            "iiot simulate --preset boiler --duration 60m --interval 15s --seed 6 \
               --faults dropout=0.01 > r.ndjson \
             && iiot store -q a.db r.ndjson && iiot store -q {url} r.ndjson \
             && iiot rollup -q a.db --every 1m,1h --final && iiot rollup -q {url} --every 1m,1h --final"
        ),
    );
    let raw = same(&wd, &url, "iiot query -q {S}");
    assert!(raw.lines().count() > 10_000, "{raw:.300}");
    let m1 = same(&wd, &url, "iiot query -q {S} --rollup 1m");
    // A bucket for each series and minute with a reading.
    let minutes: std::collections::BTreeSet<(String, String, i64)> =
        crate::util::parse_ndjson(&wd.read("r.ndjson"))
            .iter()
            .map(|v| {
                let (a, t) = (crate::util::text(v, "asset"), crate::util::text(v, "tag"));
                (a.to_string(), t.to_string(), crate::order::ms(v) / 60_000)
            })
            .collect();
    assert_eq!(
        m1.lines().count(),
        minutes.len(),
        "a bucket per series and minute"
    );
    assert!(
        m1.contains("\"count\":") && m1.contains("\"twa\":"),
        "{m1:.300}"
    );
    same(
        &wd,
        &url,
        "iiot query -q {S} --rollup 1h --asset 'BLR-*' --tag steam_flow --limit 3",
    );
    // A width never rolled up is refused alike, naming the command that makes it.
    let (cmd, out) = bash(&wd, &format!("iiot query -q {url} --rollup 1d"));
    assert_eq!(out.status.code(), Some(1), "{}", describe(&cmd, &out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--every 1d"),
        "{}",
        describe(&cmd, &out)
    );

    let report = same(
        &wd,
        &url,
        "iiot rollup {S} --retain raw=30m,1m=20m --archive {A} --now 2026-01-01T01:00:00Z 2>&1",
    );
    assert!(report.contains("rows from readings"), "{report}");
    // What is left and what was archived make the store before, on each.
    for (s, arc) in [("a.db", "arc-lite"), (url.as_str(), "arc-pg")] {
        let (left, _) = bash_ok(&wd, &format!("iiot query -q {s} && iiot query -q {arc}"));
        assert_eq!(sorted_lines(&left), sorted_lines(&raw), "readings of {s}");
        let (left, _) = bash_ok(
            &wd,
            &format!("iiot query -q {s} --rollup 1m && iiot query -q {arc} --rollup 1m"),
        );
        assert_eq!(sorted_lines(&left), sorted_lines(&m1), "1m buckets of {s}");
    }
    let (archived, _) = bash_ok(&wd, "iiot query -q arc-pg");
    assert!(archived.lines().count() > 2_000, "{archived:.300}");
    // The two archives hold the same rows, and a second run adds nothing.
    same(
        &wd,
        &url,
        "iiot query -q {A} && iiot query -q {A} --rollup 1m",
    );
    same(
        &wd,
        &url,
        "iiot rollup -q {S} --retain raw=30m,1m=20m --archive {A} --now 2026-01-01T01:00:00Z \
         && iiot query -q {A} | wc -l",
    );
}
