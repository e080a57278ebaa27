//! Alarms, acknowledgements and time order on a PostgreSQL store give the
//! same bytes as on a SQLite store of the same input: `query --alarms`
//! (with filters), `query --active --at`, `ack` (and its refusals),
//! `store` taking `acked` lines (and refusing the ones that do not fit),
//! `detect --alarm-report` over the stored events, `query --order time`
//! (with filters and a limit), and `rollup URL --kpi oee`.

use serde_json::Value;

use super::cluster::Cluster;
use super::{bash, bash_ok};
use crate::util::{Workdir, describe, parse_ndjson, text};

/// Runs `args` on the SQLite file and on the database: both outputs, which
/// must be equal byte for byte; returns one.
fn same(wd: &Workdir, url: &str, args: &str) -> String {
    same_on(wd, "a.db", url, args)
}

/// [`same`] on the SQLite file `db`.
fn same_on(wd: &Workdir, db: &str, url: &str, args: &str) -> String {
    let (lite, _) = bash_ok(wd, &format!("iiot {}", args.replace("{S}", db)));
    let (pg, _) = bash_ok(wd, &format!("iiot {}", args.replace("{S}", url)));
    assert_eq!(pg, lite, "PostgreSQL and SQLite differ on: iiot {args}");
    pg
}

/// `args` must fail on both with exit 1, nothing on stdout, and the same
/// message but for the store's name; returns the PostgreSQL message.
fn same_refusal(wd: &Workdir, url: &str, args: &str) -> String {
    let mut errs = Vec::new();
    for s in ["a.db", url] {
        let (cmd, out) = bash(wd, &format!("iiot {}", args.replace("{S}", s)));
        assert_eq!(out.status.code(), Some(1), "{}", describe(&cmd, &out));
        assert!(out.stdout.is_empty(), "{}", describe(&cmd, &out));
        errs.push(String::from_utf8_lossy(&out.stderr).replace(s, "STORE"));
    }
    assert_eq!(errs[0], errs[1]);
    errs.pop().unwrap()
}

#[test]
fn alarms_and_acknowledgements_on_postgresql_equal_sqlite() {
    let pg = Cluster::shared();
    let url = pg.database("alarms");
    let wd = Workdir::new("pg-alarms");
    bash_ok(
        &wd,
        &format!(
            "iiot simulate --preset fermenter --duration 30m --faults spike=0.02 --seed 7 \
             | iiot detect --preset fermenter --events > events.ndjson \
             && iiot store -q a.db events.ndjson && iiot store -q {url} events.ndjson"
        ),
    );
    let written = wd.read("events.ndjson");
    let events = parse_ndjson(&written);
    assert!(events.len() > 100, "few events: {}", events.len());
    assert!(
        events.iter().any(|e| !text(e, "unit").is_empty()),
        "the events carry units"
    );
    // Every event back, field for field, in the same order as SQLite's.
    let back = same(&wd, &url, "query -q {S} --alarms");
    let mut want: Vec<&str> = written.lines().collect();
    let mut got: Vec<&str> = back.lines().collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    // Filters.
    let some = same(
        &wd,
        &url,
        "query -q {S} --alarms --asset FERM-1 --tag 'bio*' \
         --from 2026-01-01T00:10:00Z --to 2026-01-01T00:20:00Z",
    );
    assert!(!some.is_empty());
    assert!(same(&wd, &url, "query -q {S} --alarms --severity critical").is_empty());
    let all = same(
        &wd,
        &url,
        "query -q {S} --alarms --rule 'z*' --severity medium --limit 1000000",
    );
    assert_eq!(all.lines().count(), events.len());
    // States at several times.
    for at in [
        "2026-01-01T00:00:30Z",
        "2026-01-01T00:12:34Z",
        "2026-01-01T00:29:59Z",
    ] {
        let states = same(&wd, &url, &format!("query -q {{S}} --active --at {at}"));
        assert!(!states.is_empty(), "nothing active at {at}");
    }
    let end = "2026-01-01T00:40:00Z";
    let at_end = parse_ndjson(&same(
        &wd,
        &url,
        &format!("query -q {{S}} --active --at {end}"),
    ));
    let rtn: &Value = at_end
        .iter()
        .find(|v| text(v, "state") == "rtn_unacked")
        .expect("an alarm returned to normal unacknowledged");
    let alarm = format!(
        "--asset {} --tag {} --rule {}",
        text(rtn, "asset"),
        text(rtn, "tag"),
        text(rtn, "rule")
    );
    // ack: the same acked line on both, and the alarm leaves --active.
    let acked = same(
        &wd,
        &url,
        &format!(
            "ack -q {{S}} {alarm} --by ann --note 'seen on the panel' --at 2026-01-01T00:31:00Z"
        ),
    );
    assert_eq!(text(&parse_ndjson(&acked)[0], "event"), "acked");
    let now = same(&wd, &url, &format!("query -q {{S}} --active --at {end}"));
    assert_eq!(now.lines().count(), at_end.len() - 1);
    // A second ack and an ack of an alarm never raised are refused alike.
    let err = same_refusal(
        &wd,
        &url,
        &format!("ack -q {{S}} {alarm} --by bob --at 2026-01-01T00:32:00Z"),
    );
    assert!(
        err.contains("already acknowledged by ann at 2026-01-01T00:31:00Z"),
        "{err}"
    );
    let err = same_refusal(
        &wd,
        &url,
        &format!("ack -q {{S}} --asset FERM-9 --tag biomass --rule zscore --by bob --at {end}"),
    );
    assert!(err.contains("never raised"), "{err}");
    // acked lines through store: one taken, its replay a duplicate, one
    // of an alarm never raised rejected with the reason.
    let first = events
        .iter()
        .find(|e| text(e, "event") == "raised")
        .unwrap();
    let raised_at = iiot::time::parse_rfc3339(text(first, "ts")).unwrap();
    let ack_line = format!(
        r#"{{"ts":{},"asset":"{}","tag":"{}","value":0,"event":"acked","rule":"{}","by":"cy"}}"#,
        raised_at + 1,
        text(first, "asset"),
        text(first, "tag"),
        text(first, "rule")
    );
    let bad_line =
        r#"{"ts":0,"asset":"FERM-9","tag":"x","value":0,"event":"acked","rule":"r","by":"cy"}"#;
    wd.write(
        "acks.ndjson",
        format!("{ack_line}\n{bad_line}\n{ack_line}\n"),
    );
    for (s, rejects) in [("a.db", "lite.rej"), (url.as_str(), "pg.rej")] {
        let (_, err) = bash_ok(
            &wd,
            &format!("iiot store {s} --rejects {rejects} acks.ndjson || test $? -eq 1"),
        );
        assert!(
            err.contains("stored 0 (and 1 events), duplicates 1, rejected 1"),
            "{s}: {err}"
        );
    }
    assert_eq!(wd.read("pg.rej"), wd.read("lite.rej"));
    assert!(wd.read("pg.rej").contains("never raised"));
    let at = iiot::time::TsFormatter::format(raised_at + 1);
    let states = same(&wd, &url, &format!("query -q {{S}} --active --at {at}"));
    assert!(states.contains(r#""state":"acked""#), "{states}");
    // The alarm report over the stored events.
    let report = same(
        &wd,
        &url,
        "query -q {S} --alarms | iiot detect --alarm-report",
    );
    assert!(
        report.contains("acknowledgements: 2, refused 0"),
        "{report}"
    );
}

#[test]
fn time_order_and_oee_on_postgresql_equal_sqlite() {
    let pg = Cluster::shared();
    let url = pg.database("order");
    let oee_url = pg.database("oee");
    let wd = Workdir::new("pg-order");
    bash_ok(
        &wd,
        &format!(
            "iiot simulate --preset factory --duration 10m --interval 7s --seed 2 > in.ndjson \
             && iiot simulate --preset boiler --duration 10m --interval 1.5s --seed 4 >> in.ndjson \
             && iiot simulate --preset factory --duration 3h --interval 30s --seed 3 > f.ndjson \
             && iiot store -q a.db in.ndjson && iiot store -q {url} in.ndjson \
             && iiot store -q f.db f.ndjson && iiot store -q {oee_url} f.ndjson"
        ),
    );
    let n = wd.read("in.ndjson").lines().count();
    let all = same(&wd, &url, "query -q {S} --order time");
    assert_eq!(all.lines().count(), n);
    let some = same(
        &wd,
        &url,
        "query -q {S} --order time --asset 'LINE-A/*,BLR-1' \
         --from 2026-01-01T00:05:00Z --to 2026-01-01T00:08:00Z",
    );
    assert!(some.lines().count() > 100);
    let first = same(&wd, &url, "query -q {S} --order time --limit 5");
    assert_eq!(
        first.lines().collect::<Vec<_>>(),
        all.lines().take(5).collect::<Vec<_>>()
    );
    // OEE from the store equals OEE on the live stream.
    let stored = same_on(
        &wd,
        "f.db",
        &oee_url,
        "rollup -q {S} --kpi oee --every 15m,1h",
    );
    let (live, _) = bash_ok(&wd, "iiot rollup -q --kpi oee --every 15m,1h f.ndjson");
    assert!(stored.lines().count() >= 60, "few buckets: {stored}");
    assert_eq!(parse_ndjson(&stored), parse_ndjson(&live));
}

/// `notify --store URL` checks acknowledgements kept in a PostgreSQL
/// store before each repeat, as it does in a SQLite file: an alarm raised
/// at 00:00 and cleared at 03:00 is repeated hourly unless acknowledged,
/// and `iiot ack URL` at 00:10 stops the repeats.
#[test]
fn notify_checks_acknowledgements_in_a_postgresql_store() {
    let pg = Cluster::shared();
    let url = pg.database("notify_ack");
    let wd = Workdir::new("pg-notify-ack");
    let ev = |s: i64, event: &str| {
        format!(
            r#"{{"ts":{},"asset":"FERM-1","tag":"fermenter_temp","value":46.5,"event":"{event}","rule":"hi","kind":"threshold","severity":"high","limit":45}}"#,
            1_767_225_600_000i64 + s * 1000
        )
    };
    std::fs::write(wd.dir.join("raised.ndjson"), ev(0, "raised") + "\n").unwrap();
    std::fs::write(
        wd.dir.join("events.ndjson"),
        ev(0, "raised") + "\n" + &ev(3 * 3600, "cleared") + "\n",
    )
    .unwrap();
    let statuses = |store: &str| -> Vec<String> {
        let (out, _) = bash_ok(
            &wd,
            &format!(
                "iiot notify --webhook http://127.0.0.1:9/h --repeat-interval 1h --dry-run \
                 --store {store} events.ndjson"
            ),
        );
        parse_ndjson(&out)
            .iter()
            .filter(|r| text(r, "delivery") == "dry-run")
            .map(|r| {
                let body: Value = serde_json::from_str(text(r, "body")).unwrap();
                format!(
                    "{}{}",
                    text(&body, "status"),
                    if body["repeat"] == true { "+" } else { "" }
                )
            })
            .collect()
    };
    bash_ok(&wd, &format!("iiot store -q {url} raised.ndjson"));
    assert_eq!(statuses(&url), ["firing", "firing+", "firing+", "resolved"]);
    bash_ok(
        &wd,
        &format!(
            "iiot ack -q {url} --asset FERM-1 --tag fermenter_temp --rule hi --by ann \
             --at 2026-01-01T00:10:00Z"
        ),
    );
    assert_eq!(statuses(&url), ["firing", "resolved"]);
}

#[test]
fn predicted_alarms_on_postgresql_equal_sqlite() {
    let pg = Cluster::shared();
    let url = pg.database("predicted");
    let db = super::cluster::db_of(&url);
    let wd = Workdir::new("pg-predicted");
    wd.write("events.ndjson", crate::forecast_alarms::mixed_events());
    bash_ok(
        &wd,
        &format!("iiot store -q a.db events.ndjson && iiot store -q {url} events.ndjson"),
    );
    let index = "SELECT count(*) FROM pg_indexes WHERE indexname = 'alarm_events_predicted'";
    assert_eq!(pg.psql(db, index), "1");
    let mut predicted = 0;
    let mut asked = |wd: &Workdir| {
        for at in [
            "2026-01-01T00:04:00Z",
            "2026-01-01T00:17:30Z",
            "2026-01-01T00:33:00Z",
            "2026-01-01T00:59:59Z",
        ] {
            for filter in ["", "--severity high", "--asset 'P-*' --rule hi"] {
                let out = same(
                    wd,
                    &url,
                    &format!("query -q {{S}} --active --at {at} {filter}"),
                );
                predicted += out.matches("\"state\":\"predicted\"").count();
            }
        }
    };
    asked(&wd);
    // A database of an earlier build, without the index, answers the same
    // and gets it from the next `store`.
    pg.psql(db, "DROP INDEX alarm_events_predicted");
    asked(&wd);
    bash_ok(&wd, &format!("iiot store -q {url} < /dev/null"));
    assert_eq!(pg.psql(db, index), "1");
    asked(&wd);
    assert!(predicted >= 30, "few predictions stand: {predicted}");
}
