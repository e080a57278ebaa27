//! The read endpoints: `/series`, `/readings`, `/latest`, `/rollups`,
//! `/alarms`, `/alarms/active` and `/health`. Each checks its parameters
//! first (a bad one is a 400 naming it), then reads on a blocking thread.
//! Records are streamed (NDJSON, or a JSON array when `Accept` asks for
//! `application/json`); the small answers (series, active alarms,
//! health) are one JSON object.

use std::collections::BTreeMap;

use anyhow::Result;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::http::{ApiError, Shared, json_response};
use super::params::ReadParams;
use super::sources::Kind;
use super::stream::{self, Emitter, Shape};
use crate::alarms::StateEncoder;
use crate::store::Selection;
use crate::store::rows::SeriesRows;
use crate::store::sqlite::serve::RollupTable;
use crate::time::{Millis, TsFormatter, now_ms};

type Pairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

fn pairs(q: Pairs) -> Result<Vec<(String, String)>, ApiError> {
    q.map(|Query(p)| p).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            format!("the query string could not be read: {e}"),
        )
    })
}

fn shape(headers: &HeaderMap) -> Shape {
    Shape::from_accept(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))
}

/// Runs a small read on a blocking thread.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(ApiError::from_anyhow(&e)),
        Err(e) => Err(ApiError::internal(format!("the read failed: {e}"))),
    }
}

pub(crate) fn ts_text(ms: Millis) -> String {
    let mut out = Vec::new();
    TsFormatter::new().write(ms, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// `GET /series?asset&tag`: the series of every source with their units,
/// and, with a model, their description, alarm limits and range.
pub(crate) async fn series(State(app): State<Shared>, q: Pairs) -> Response {
    let run = async {
        let p = ReadParams::parse(&pairs(q)?, &SERIES_PARAMS)?;
        let sel = p.selection(app.registry.as_ref())?;
        let app2 = app.clone();
        let found = blocking(move || {
            // (asset, tag) → (unit, sources)
            let mut all: BTreeMap<(String, String), (String, Vec<String>)> = BTreeMap::new();
            for src in &app2.sources {
                let mut add = |asset: &str, tag: &str, unit: &str| {
                    let e = all
                        .entry((asset.to_string(), tag.to_string()))
                        .or_insert_with(|| (String::new(), Vec::new()));
                    if e.0.is_empty() {
                        e.0 = unit.to_string();
                    }
                    if !e.1.contains(&src.name) {
                        e.1.push(src.name.clone());
                    }
                };
                match src.kind {
                    Kind::Sqlite => src.with_store(|s| {
                        for s in s.series_list(&sel)? {
                            add(&s.asset, &s.tag, s.unit.as_deref().unwrap_or(""));
                        }
                        Ok(())
                    })?,
                    Kind::Parquet => {
                        let r = src.parquet(&sel)?;
                        r.latest(&sel, u64::MAX, &mut |_| {}, |x| {
                            add(x.asset, x.tag, x.unit);
                            Ok(())
                        })?;
                    }
                }
            }
            Ok(all)
        })
        .await?;
        let mut out = Vec::with_capacity(found.len());
        for ((asset, tag), (unit, sources)) in found {
            let mut v = json!({"asset": asset, "tag": tag, "sources": sources});
            if !unit.is_empty() {
                v["unit"] = unit.into();
            }
            if let Some(row) = app
                .model
                .as_ref()
                .and_then(|m| m.rows.iter().find(|r| r.asset == asset && r.tag == tag))
            {
                if v.get("unit").is_none() && !row.unit.is_empty() {
                    v["unit"] = row.unit.clone().into();
                }
                if !row.description.is_empty() {
                    v["description"] = row.description.clone().into();
                }
                let a = &row.alarms;
                let mut limits = serde_json::Map::new();
                for (k, x) in [
                    ("lo_lo", a.lo_lo),
                    ("lo", a.lo),
                    ("hi", a.hi),
                    ("hi_hi", a.hi_hi),
                ] {
                    if let Some(x) = x {
                        limits.insert(k.into(), x.into());
                    }
                }
                if !limits.is_empty() {
                    limits.insert("deadband".into(), a.deadband.into());
                    v["limits"] = Value::Object(limits);
                }
                let mut range = serde_json::Map::new();
                for (k, x) in [("min", row.min), ("max", row.max)] {
                    if let Some(x) = x {
                        range.insert(k.into(), x.into());
                    }
                }
                if !range.is_empty() {
                    v["range"] = Value::Object(range);
                }
            }
            out.push(v);
        }
        Ok::<_, ApiError>(json_response(StatusCode::OK, &json!({ "series": out })))
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

/// Every series read also selects by the asset registry: `where` (repeat
/// for either of several), `related_to` and `relation`.
const READ_PARAMS: [&str; 10] = [
    "asset",
    "tag",
    "from",
    "to",
    "limit",
    "every",
    "points",
    "where",
    "related_to",
    "relation",
];
const SERIES_PARAMS: [&str; 5] = ["asset", "tag", "where", "related_to", "relation"];
const LATEST_PARAMS: [&str; 8] = [
    "asset",
    "tag",
    "from",
    "to",
    "limit",
    "where",
    "related_to",
    "relation",
];
const ALARMS_PARAMS: [&str; 10] = [
    "asset",
    "tag",
    "rule",
    "severity",
    "from",
    "to",
    "limit",
    "where",
    "related_to",
    "relation",
];
const ACTIVE_PARAMS: [&str; 9] = [
    "asset",
    "tag",
    "rule",
    "severity",
    "at",
    "limit",
    "where",
    "related_to",
    "relation",
];

/// `GET /readings?asset&tag&from&to&limit[&every|&points]`: readings in
/// `[from, to)`, series by series, each in time order; with `every` the
/// rollup table of that width, with `points` the coarsest rollup table
/// that still gives that many buckets over the range (raw readings when
/// none does).
pub(crate) async fn readings(State(app): State<Shared>, headers: HeaderMap, q: Pairs) -> Response {
    read(app, &headers, q, false).await
}

/// `GET /rollups?every|points&…`: as `/readings`, but `every` or `points`
/// is required.
pub(crate) async fn rollups(State(app): State<Shared>, headers: HeaderMap, q: Pairs) -> Response {
    read(app, &headers, q, true).await
}

async fn read(app: Shared, headers: &HeaderMap, q: Pairs, rollup_only: bool) -> Response {
    let checked = (|| {
        let p = ReadParams::parse(&pairs(q)?, &READ_PARAMS)?;
        if rollup_only && p.every.is_none() && p.points.is_none() {
            return Err(ApiError::from(super::params::BadParam {
                param: "every".into(),
                message: "give every (a rollup width, 1h) or points (how many buckets)".into(),
            }));
        }
        if p.points.is_some() && p.from.is_none() {
            return Err(ApiError::from(super::params::BadParam {
                param: "points".into(),
                message: "points needs from (to defaults to now)".into(),
            }));
        }
        Ok((p.selection(app.registry.as_ref())?, p))
    })();
    let (mut sel, p) = match checked {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    if p.points.is_some() && p.to.is_none() {
        sel.to = now_ms();
    }
    let limit = p.limit.unwrap_or(u64::MAX);
    let slow = app.slow;
    stream::records(shape(headers), limit, slow, move |em| {
        for src in &app.sources {
            if em.count >= em.limit {
                break;
            }
            let width = match (&p.every, p.points) {
                (Some(e), _) => Some(Width::Named(e.clone())),
                (None, Some(n)) => Some(Width::Points(n)),
                (None, None) => None,
            };
            read_source(src, &sel, width, em)?;
        }
        Ok(())
    })
    .await
}

enum Width {
    Named(String),
    Points(u64),
}

fn read_source(
    src: &super::sources::Source,
    sel: &Selection,
    width: Option<Width>,
    em: &mut Emitter,
) -> Result<()> {
    let remaining = em.limit - em.count;
    match (src.kind, width) {
        (Kind::Parquet, Some(Width::Named(_))) => Ok(()),
        (Kind::Parquet, _) => {
            let r = src.parquet(sel)?;
            r.read(sel, remaining, &mut |_| {}, |x| em.emit(x).map(|_| ()))?;
            Ok(())
        }
        (Kind::Sqlite, None) => {
            src.with_store(|s| s.read(sel, remaining, |x| em.emit(x).map(|_| ())))
        }
        (Kind::Sqlite, Some(w)) => src.with_store(|s| {
            let tables = s.rollup_tables()?;
            let table: Option<&RollupTable> = match &w {
                Width::Named(label) => {
                    let ms = crate::time::parse_positive_millis(label)?;
                    tables.iter().find(|t| t.ms == ms)
                }
                Width::Points(n) => {
                    let span = sel.to.saturating_sub(sel.from);
                    tables
                        .iter()
                        .rev()
                        .find(|t| span / t.ms >= i64::try_from(*n).unwrap_or(i64::MAX))
                }
            };
            match (table, w) {
                (Some(t), _) => s.serve_rollups(t, sel, &mut |x| em.emit(x)).map(|_| ()),
                // Asked for points the rollups cannot give: raw readings.
                (None, Width::Points(_)) => s.read(sel, remaining, |x| em.emit(x).map(|_| ())),
                // A width this store has no table of: nothing from it.
                (None, Width::Named(_)) => Ok(()),
            }
        }),
    }
}

/// `GET /latest?asset&tag&from&to&limit`: each series' last reading.
pub(crate) async fn latest(State(app): State<Shared>, headers: HeaderMap, q: Pairs) -> Response {
    let checked = (|| {
        let p = ReadParams::parse(&pairs(q)?, &LATEST_PARAMS)?;
        Ok::<_, ApiError>((p.selection(app.registry.as_ref())?, p.limit))
    })();
    let (sel, limit) = match checked {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let slow = app.slow;
    stream::records(
        shape(&headers),
        limit.unwrap_or(u64::MAX),
        slow,
        move |em| {
            for src in &app.sources {
                let remaining = em.limit - em.count;
                if remaining == 0 {
                    break;
                }
                match src.kind {
                    Kind::Sqlite => {
                        src.with_store(|s| s.latest(&sel, remaining, |x| em.emit(x).map(|_| ())))?
                    }
                    Kind::Parquet => {
                        let r = src.parquet(&sel)?;
                        r.latest(&sel, remaining, &mut |_| {}, |x| em.emit(x).map(|_| ()))?;
                    }
                }
            }
            Ok(())
        },
    )
    .await
}

/// `GET /alarms?asset&tag&rule&severity&from&to&limit`: the alarm events
/// (raised, cleared, acked) by time, as `query --alarms` writes them.
pub(crate) async fn alarms(State(app): State<Shared>, headers: HeaderMap, q: Pairs) -> Response {
    let checked = (|| {
        let p = ReadParams::parse(&pairs(q)?, &ALARMS_PARAMS)?;
        Ok::<_, ApiError>((p.alarm_filter(app.registry.as_ref())?, p.limit))
    })();
    let (filter, limit) = match checked {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let slow = app.slow;
    stream::records(
        shape(&headers),
        limit.unwrap_or(u64::MAX),
        slow,
        move |em| {
            for src in app.sources.iter().filter(|s| s.kind == Kind::Sqlite) {
                if em.count >= em.limit {
                    break;
                }
                src.with_store(|s| s.alarm_events(&filter, |r| em.emit(&r.as_ref())))?;
            }
            Ok(())
        },
    )
    .await
}

/// `GET /alarms/active?asset&tag&rule&severity&at&limit`: one alarm state
/// record per alarm that needs attention at `at` (default now) — `unacked`,
/// `acked` or `rtn_unacked` in ISA-18.2 terms — exactly as `query --alarms
/// --active` tells them (the one tracker of `crate::alarms`).
pub(crate) async fn active_alarms(
    State(app): State<Shared>,
    headers: HeaderMap,
    q: Pairs,
) -> Response {
    let checked = (|| {
        let p = ReadParams::parse(&pairs(q)?, &ACTIVE_PARAMS)?;
        Ok::<_, ApiError>((p.alarm_filter(app.registry.as_ref())?, p.at, p.limit))
    })();
    let (filter, at, limit) = match checked {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let slow = app.slow;
    stream::records(
        shape(&headers),
        limit.unwrap_or(u64::MAX),
        slow,
        move |em| {
            let at = at.unwrap_or_else(now_ms);
            let mut enc = StateEncoder::default();
            for src in app.sources.iter().filter(|s| s.kind == Kind::Sqlite) {
                let tracker = src.with_store(|s| s.alarm_states(&filter, at))?;
                for (key, alarm) in tracker.attention() {
                    if !em.emit(&enc.encode(key, alarm))? {
                        return Ok(());
                    }
                }
            }
            Ok(())
        },
    )
    .await
}

/// `GET /health`: the sources with their sizes, series, last reading and
/// lag behind the clock; ingest's queue when on.
pub(crate) async fn health(State(app): State<Shared>, q: Pairs) -> Response {
    let run = async {
        ReadParams::parse(&pairs(q)?, &[])?;
        let app2 = app.clone();
        let sources = blocking(move || {
            let now = now_ms();
            let mut out = Vec::new();
            for src in &app2.sources {
                let mut v = json!({
                    "path": src.name,
                    "kind": src.kind.name(),
                    "bytes": src.bytes(),
                });
                let last = match src.kind {
                    Kind::Sqlite => src.with_store(|s| {
                        let all = s.last_readings(&Selection::all())?;
                        v["series"] = all.len().into();
                        v["events"] = s.event_count()?.into();
                        Ok(all.iter().flatten().max().copied())
                    }),
                    Kind::Parquet => (|| {
                        let sel = Selection::all();
                        let r = src.parquet(&sel)?;
                        let (mut n, mut last) = (0u64, None::<Millis>);
                        r.latest(&sel, u64::MAX, &mut |_| {}, |x| {
                            n += 1;
                            last = Some(last.map_or(x.ts, |l| l.max(x.ts)));
                            Ok(())
                        })?;
                        v["series"] = n.into();
                        Ok(last)
                    })(),
                };
                match last {
                    Ok(Some(ts)) => {
                        v["last_reading"] = ts_text(ts).into();
                        v["lag_seconds"] = ((now - ts) as f64 / 1000.0).into();
                        v["ok"] = true.into();
                    }
                    Ok(None) => v["ok"] = true.into(),
                    Err(e) => {
                        v["ok"] = false.into();
                        v["error"] = format!("{e:#}").into();
                    }
                }
                out.push(v);
            }
            Ok(out)
        })
        .await?;
        let ok = sources.iter().all(|s| s["ok"] == true);
        let mut body = json!({
            "status": if ok { "ok" } else { "degraded" },
            "now": ts_text(now_ms()),
            "uptime_seconds": app.started.elapsed().as_secs_f64(),
            "sources": sources,
        });
        if let Some(i) = &app.ingest {
            body["ingest"] = i.stats();
        }
        let status = if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        Ok::<_, ApiError>(json_response(status, &body))
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}
