//! What the two batch writers (SQLite's `SqliteStore`, PostgreSQL's
//! `PgWriter`) keep alike while a batch is open: the series dictionary
//! with the batch's new series and unit changes, rollup records taken
//! apart into the `rollups` columns, the conflict clause of a rollup
//! insert, the reason a reading behind a retention point is refused, and
//! the counts. The backends only write what is here.

use std::collections::HashMap;

use crate::record::{ParseError, Reading};
use crate::store::events::EventRow;
use crate::store::sqlite::writer::fields::{extra_json, finite, whole};
use crate::store::sqlite::{Counts, OnConflict, Origin, Unstored};
use crate::time::{MAX_MILLIS, MIN_MILLIS, Millis};

/// A series first seen in the open batch.
pub(crate) struct NewSeries {
    pub asset: String,
    pub tag: String,
    pub unit: String,
}

/// Series ids and units by asset, then tag.
type SeriesIds = HashMap<String, HashMap<String, (i64, String)>>;

/// The store's series as a writer looks them up: asset → tag → (series
/// id, unit as stored); two levels so a lookup borrows the reading's
/// strings instead of building a key. A series first seen in the open
/// batch has the id `-(i + 1)`, `i` its place in `new`, until the batch
/// commits.
#[derive(Default)]
pub(crate) struct SeriesBook {
    series: SeriesIds,
    /// Series first seen in the open batch, inserted at commit.
    pub new: Vec<NewSeries>,
    /// Units that changed for stored series, written at commit.
    pub unit_changes: HashMap<i64, String>,
}

impl SeriesBook {
    /// Adds a stored series (while loading the dictionary).
    pub(crate) fn insert(&mut self, id: i64, asset: String, tag: String, unit: String) {
        self.series
            .entry(asset)
            .or_default()
            .insert(tag, (id, unit));
    }

    /// Whether the batch adds no series and changes no unit.
    pub(crate) fn is_clean(&self) -> bool {
        self.new.is_empty() && self.unit_changes.is_empty()
    }

    /// The series id for a record, `-(i + 1)` while the series is new; a
    /// new non-empty unit replaces the stored one.
    pub(crate) fn id(&mut self, asset: &str, tag: &str, unit: &str) -> i64 {
        if let Some((id, stored_unit)) = self.series.get_mut(asset).and_then(|t| t.get_mut(tag)) {
            if stored_unit != unit && !unit.is_empty() {
                stored_unit.clear();
                stored_unit.push_str(unit);
                if *id < 0 {
                    self.new[(-*id - 1) as usize].unit = unit.to_string();
                } else {
                    self.unit_changes.insert(*id, unit.to_string());
                }
            }
            return *id;
        }
        self.new.push(NewSeries {
            asset: asset.to_string(),
            tag: tag.to_string(),
            unit: unit.to_string(),
        });
        let id = -(self.new.len() as i64);
        self.series
            .entry(asset.to_string())
            .or_default()
            .insert(tag.to_string(), (id, unit.to_string()));
        id
    }

    /// After a commit: the new series get the ids the store gave them
    /// (in `new`'s order), and the batch's changes are done.
    pub(crate) fn committed(&mut self, ids: &[i64]) {
        for (s, id) in self.new.iter().zip(ids) {
            if let Some(entry) = self
                .series
                .get_mut(&s.asset)
                .and_then(|t| t.get_mut(&s.tag))
            {
                entry.0 = *id;
            }
        }
        self.new.clear();
        self.unit_changes.clear();
    }

    /// Asset, tag and unit of a series id (stored or new).
    pub(crate) fn names(&self, id: i64) -> Option<(&str, &str, &str)> {
        if id < 0 {
            let s = self.new.get((-id - 1) as usize)?;
            return Some((&s.asset, &s.tag, &s.unit));
        }
        self.series.iter().find_map(|(asset, tags)| {
            tags.iter()
                .find(|(_, (i, _))| *i == id)
                .map(|(tag, (_, unit))| (asset.as_str(), tag.as_str(), unit.as_str()))
        })
    }
}

const ROLLUP_STATS: [&str; 7] = ["min", "max", "mean", "stddev", "first", "last", "twa"];
/// The fields a rollup record keeps in columns (the rest go to `extra`).
const ROLLUP_FIELDS: [&str; 12] = [
    "every", "count", "min", "max", "mean", "stddev", "first", "last", "twa", "first_ts", "good",
    "bad",
];

/// A rollup record (one with `every` and `count`) waiting for its batch.
pub(crate) struct RollupRow {
    pub id: i64,
    pub every: String,
    pub ts: Millis,
    pub count: i64,
    /// min, max, mean, stddev, first, last, twa; none when count is 0.
    pub stats: [Option<f64>; 7],
    pub first_ts: Option<Millis>,
    pub good: i64,
    pub bad: i64,
    pub extra: Option<String>,
    pub origin: Origin,
    pub raw: String,
}

impl RollupRow {
    /// Takes a rollup record apart, refusing it with the field at fault;
    /// `series` gives its series id once it is known to be whole.
    pub(crate) fn parse(
        r: &Reading,
        raw: &[u8],
        origin: Origin,
        extra_buf: &mut Vec<u8>,
        series: &mut SeriesBook,
    ) -> Result<RollupRow, ParseError> {
        let every = r
            .extra_field("every")
            .and_then(|v| serde_json::from_str::<String>(v).ok())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ParseError {
                field: Some("every"),
                message: "a rollup record's width must be a string such as \"1m\"".into(),
            })?;
        let count = whole(r.extra_field("count"), "count")?.unwrap_or(0);
        let good = whole(r.extra_field("good"), "good")?.unwrap_or(count);
        let bad = whole(r.extra_field("bad"), "bad")?.unwrap_or(0);
        let mut stats = [None; 7];
        let mut first_ts = None;
        if count > 0 {
            for (slot, key) in stats.iter_mut().zip(ROLLUP_STATS) {
                let v = r.extra_field(key).ok_or_else(|| ParseError {
                    field: Some(key),
                    message: "missing in a rollup record".into(),
                })?;
                *slot = Some(finite(v, key)?);
            }
            let ts = r
                .extra_field("first_ts")
                .and_then(|v| serde_json::from_str::<String>(v).ok())
                .and_then(|s| crate::time::parse_rfc3339(&s).ok())
                .filter(|ms| (MIN_MILLIS..=MAX_MILLIS).contains(ms))
                .ok_or_else(|| ParseError {
                    field: Some("first_ts"),
                    message: "missing or not a time in a rollup record".into(),
                })?;
            first_ts = Some(ts);
        }
        let extra = extra_json(r, &ROLLUP_FIELDS, extra_buf).map(str::to_string);
        Ok(RollupRow {
            id: series.id(&r.asset, &r.tag, &r.unit),
            every,
            ts: r.ts,
            count,
            stats,
            first_ts,
            good,
            bad,
            extra,
            origin,
            raw: String::from_utf8_lossy(raw).into_owned(),
        })
    }
}

/// The conflict clause of the insert into `rollups` (SQLite and
/// PostgreSQL alike).
pub(crate) fn rollup_conflict(on_conflict: OnConflict) -> &'static str {
    match on_conflict {
        OnConflict::Ignore => "DO NOTHING",
        OnConflict::Replace => {
            "DO UPDATE SET count = excluded.count, min = excluded.min, max = excluded.max,
               mean = excluded.mean, stddev = excluded.stddev, first = excluded.first,
               last = excluded.last, twa = excluded.twa, first_ts = excluded.first_ts,
               good = excluded.good, bad = excluded.bad, extra = excluded.extra"
        }
    }
}

/// After a failed commit: the batch's alarm events and rollup records
/// added to `out` with `reason` (and emptied), then `out` sorted by input
/// and line, as the records were read.
pub(crate) fn drain_unstored(
    reason: &str,
    events: &mut Vec<EventRow>,
    rollups: &mut Vec<RollupRow>,
    out: &mut Vec<Unstored>,
) {
    let events = events.drain(..).map(|e| (e.origin, e.raw));
    let rollups = rollups.drain(..).map(|r| (r.origin, r.raw));
    for (origin, record) in events.chain(rollups) {
        out.push(Unstored {
            origin,
            reason: reason.to_string(),
            record,
        });
    }
    out.sort_by_key(|u| (u.origin.source, u.origin.line));
}

/// Why a reading behind a series' retention point is refused.
pub(crate) fn refused_reason(before: Millis) -> String {
    format!(
        "field \"ts\": before {}, where retention has deleted this series' raw readings after rolling them up; its rollups cannot take it (it would be neither kept nor rolled up)",
        crate::time::TsFormatter::format(before)
    )
}

impl Counts {
    /// Adds a committed batch's counts.
    pub(crate) fn add(&mut self, done: &Counts) {
        self.stored += done.stored;
        self.duplicates += done.duplicates;
        self.replaced += done.replaced;
        self.events += done.events;
        self.rollups += done.rollups;
        self.forecasts += done.forecasts;
    }
}
