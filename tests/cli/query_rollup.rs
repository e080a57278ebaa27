//! `query DB --rollup WIDTH`: a store's rollup tables read back as rollup
//! records with every statistic, equal to the streaming rollup of the same
//! readings, and a cascade from them equal to the streaming cascade.

use serde_json::Value;

use crate::order::bash;
use crate::util::{Workdir, describe, fails_with, parse_ndjson, text};

fn by_series(mut rows: Vec<Value>) -> Vec<Value> {
    rows.sort_by(|a, b| {
        (text(a, "asset"), text(a, "tag"), text(a, "ts")).cmp(&(
            text(b, "asset"),
            text(b, "tag"),
            text(b, "ts"),
        ))
    });
    rows
}

#[test]
fn stored_rollups_come_back_with_every_statistic() {
    let wd = Workdir::new("query-rollup");
    bash(
        &wd,
        "$B simulate --preset boiler --duration 2h --seed 5 --faults dropout=0.01 > r.ndjson; \
         $B store -q r.db r.ndjson; $B rollup -q r.db --every 1m,1h --final",
    );
    for width in ["1m", "1h"] {
        let stored = parse_ndjson(&bash(&wd, &format!("$B query -q r.db --rollup {width}")));
        let streamed = parse_ndjson(&bash(
            &wd,
            &format!("$B rollup -q --every {width} r.ndjson"),
        ));
        assert!(!stored.is_empty());
        for v in &stored {
            for k in [
                "every", "count", "min", "max", "mean", "stddev", "first", "last", "twa",
                "first_ts", "good", "bad",
            ] {
                assert!(v.get(k).is_some(), "{k} missing in {v}");
            }
        }
        // Series by series, as query writes: the streaming rollup's records.
        assert_eq!(stored, by_series(streamed), "{width}");
    }
    // A cascade read back is the streaming cascade.
    let from_store = bash(
        &wd,
        "$B query -q r.db --rollup 1m | $B rollup -q --every 1h",
    );
    let streamed = bash(
        &wd,
        "$B rollup -q --every 1m r.ndjson | $B rollup -q --every 1h",
    );
    assert_eq!(
        by_series(parse_ndjson(&from_store)),
        by_series(parse_ndjson(&streamed))
    );
    // Filters, and a width never rolled up.
    let one = parse_ndjson(&bash(
        &wd,
        "$B query -q r.db --rollup 1h --asset 'SITE-1/BLR-1' --tag pressure --from 2026-01-01T01:00:00Z",
    ));
    assert_eq!(one.len(), 1, "{one:?}");
    assert_eq!(text(&one[0], "ts"), "2026-01-01T01:00:00Z");
    let mut cmd = wd.cmd("query");
    cmd.args(["r.db", "--rollup", "1d"]);
    let out = wd.run(&mut cmd);
    let err = fails_with(1, &cmd, &out);
    assert!(
        err.contains("no table rollup_1d"),
        "{}",
        describe(&cmd, &out)
    );
}
