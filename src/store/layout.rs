//! What the SQLite and PostgreSQL stores' layouts share as SQL text: the
//! views over the tables (each backend gives its own expression for a
//! time column as text or `timestamptz`), and the queries that read a
//! series' rows through the primary key (`$n` parameters, which SQLite
//! binds by position as PostgreSQL does).

/// The store's views: name and SELECT; `ts` turns an epoch-millisecond
/// column into the backend's time.
pub(crate) fn views(ts: fn(&str) -> String) -> [(&'static str, String); 3] {
    let quality = "CASE r.quality WHEN 0 THEN 'good' WHEN 1 THEN 'uncertain' ELSE 'bad' END";
    [
        (
            "readings_v",
            format!(
                "SELECT {ts} AS ts, s.asset, s.tag, r.value, s.unit, {quality} AS quality
FROM readings r JOIN series s ON s.id = r.series_id",
                ts = ts("r.ts")
            ),
        ),
        (
            "alarm_events_v",
            format!(
                "SELECT {ts} AS ts, asset, tag, rule, event, kind, severity, value, \"limit\"
FROM alarm_events",
                ts = ts("ts")
            ),
        ),
        (
            "rollups_v",
            format!(
                "SELECT {ts} AS ts, s.asset, s.tag, r.mean AS value, s.unit, r.every, r.count, r.min,
       r.max, r.mean, r.stddev, r.first, r.last, r.twa, r.good, r.bad
FROM rollups r JOIN series s ON s.id = r.series_id",
                ts = ts("r.ts")
            ),
        ),
    ]
}

/// One series' readings in `[$2, $3)` in time order (`$1` its id), or
/// with `latest` only the last of them.
pub(crate) fn series_rows_sql(latest: bool) -> &'static str {
    if latest {
        "SELECT ts, value, quality, extra FROM readings \
         WHERE series_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts DESC LIMIT 1"
    } else {
        "SELECT ts, value, quality, extra FROM readings \
         WHERE series_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts"
    }
}

/// A page of one series' readings for the time-order merge: after `$2`,
/// in `[$3, $4)`, at most `$5` rows.
pub(crate) const PAGE_SQL: &str = "SELECT ts, value, quality, extra FROM readings \
     WHERE series_id = $1 AND ts > $2 AND ts >= $3 AND ts < $4 ORDER BY ts LIMIT $5";
