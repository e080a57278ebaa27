//! Rollups on a store (docs/storage.md): the cron job, apart from the SQL
//! that reads and writes a store's tables (`store::sqlite::rollup`).
//!
//! For each series and width, `rollup_state` records `done`: every bucket
//! before it is closed and written. A run reads the raw readings from
//! `min(done, floor(rollup_pending.since))` up to the latest closed bucket,
//! rewrites those buckets, raises `done` and deletes the series'
//! `rollup_pending` row — all in one transaction per series, so a crash
//! (even `kill -9`) leaves each series either before or after its step, and
//! the next run carries on. A bucket is closed once the series' latest
//! reading is past its end plus the lateness, or `--now` is (or, with
//! `--final`, once it holds a reading); re-running with nothing new writes
//! nothing. The time zone day buckets were made in is kept in `meta`
//! (`rollup_tz`), so every later run, and retention, aligns as the first
//! did.
//!
//! Here: which buckets a series' step rewrites ([`Plan`]), the fold of its
//! readings into them ([`Fold`]), and the rule that keeps one time zone per
//! store ([`check_tz`]) — what any store with tables shares.

use anyhow::{Result, bail};

use super::buckets::{Aligner, Width};
use super::stats::Stats;
use crate::time::Millis;

/// Which buckets a run closes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Close {
    /// Those the series' latest reading is past (plus the lateness).
    Latest,
    /// Also those that end (plus the lateness) by this time: `--now`.
    At(Millis),
    /// Every bucket with a reading: the data is complete (`--final`).
    Final,
}

/// How a run rolls up: its widths, their alignment, and which buckets it
/// closes.
pub(crate) struct RollupRun<'a> {
    pub widths: &'a [Width],
    pub aligner: &'a Aligner,
    /// The `--tz` the aligner was made with, kept in the store.
    pub tz: Option<&'a str>,
    pub lateness: Millis,
    pub close: Close,
}

/// What a run did.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub series: u64,
    /// Buckets written, per width.
    pub written: Vec<u64>,
    /// Series whose already-written buckets were recomputed (late readings).
    pub recomputed: u64,
}

/// What a store knows of one series when its step begins.
#[derive(Debug, Clone)]
pub(crate) struct Marks {
    /// Its earliest and latest reading.
    pub first: Millis,
    pub latest: Millis,
    /// `rollup_pending.since`: the earliest reading stored since the last run.
    pub pending: Option<Millis>,
    /// `rollup_retained.before`: where its raw readings start whole.
    pub retained: Option<Millis>,
    /// `rollup_state.done` per width, in the order of the widths.
    pub done: Vec<Option<Millis>>,
}

/// What one series' step rewrites: per width, the buckets in `[from, to)`.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub ranges: Vec<(Millis, Millis)>,
    /// Whether buckets written before are rewritten (late readings).
    pub recomputed: bool,
}

impl Plan {
    pub(crate) fn new(
        widths: &[Width],
        aligner: &Aligner,
        lateness: Millis,
        close: Close,
        marks: &Marks,
    ) -> Plan {
        let mut ranges = Vec::with_capacity(widths.len());
        let mut recomputed = false;
        for (w, &done) in widths.iter().zip(&marks.done) {
            // Buckets whose raw readings retention has deleted (in part)
            // cannot be computed again: a late reading there is left out
            // rather than let it replace the whole bucket, and a width
            // added later starts after them.
            let horizon = marks.retained.map_or(Millis::MIN, |h| {
                let (s, e) = aligner.bucket(w, h);
                if s == h { s } else { e }
            });
            let mut from = match done {
                Some(d) => d,
                None => aligner.bucket(w, marks.first).0.max(horizon),
            };
            if let Some(since) = marks.pending {
                let floor = aligner.bucket(w, since).0.max(horizon);
                if floor < from {
                    from = floor;
                    recomputed = true;
                }
            }
            let clock = marks.latest;
            let to = match close {
                Close::Latest => aligner.bucket(w, clock.saturating_sub(lateness)).0,
                Close::At(now) => aligner.bucket(w, clock.max(now).saturating_sub(lateness)).0,
                Close::Final => aligner.bucket(w, clock).1,
            };
            ranges.push((from, to.max(done.unwrap_or(to)).max(from)));
        }
        Plan { ranges, recomputed }
    }

    /// The readings the step reads: `[lo, hi)` over every width.
    pub(crate) fn span(&self, first: Millis) -> (Millis, Millis) {
        let lo = self.ranges.iter().map(|p| p.0).min().unwrap_or(first);
        let hi = self.ranges.iter().map(|p| p.1).max().unwrap_or(lo);
        (lo, hi)
    }
}

/// A closed bucket as a row of a `rollup_<width>` table; the statistics
/// are `None` when it holds no good reading.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BucketRow {
    pub start: Millis,
    pub count: i64,
    /// min, max, mean, stddev, first, last, twa.
    pub stats: [Option<f64>; 7],
    pub first_ts: Option<Millis>,
    pub good: i64,
    pub bad: i64,
}

impl BucketRow {
    fn new(start: Millis, end: Millis, mut s: Stats) -> BucketRow {
        s.close(end);
        let n = s.count as i64;
        let some = |v: f64| (n > 0).then_some(v);
        BucketRow {
            start,
            count: n,
            stats: [
                some(s.min),
                some(s.max),
                some(s.mean),
                some(s.stddev()),
                some(s.first),
                some(s.last),
                some(s.twa(end)),
            ],
            first_ts: (n > 0).then_some(s.first_ts),
            good: n,
            bad: s.bad as i64,
        }
    }
}

/// Folds one series' readings, in time order, into the buckets each
/// width's range of the [`Plan`] holds, handing each bucket on as it
/// closes.
pub(crate) struct Fold<'a> {
    widths: &'a [Width],
    aligner: &'a Aligner,
    plan: &'a Plan,
    /// Per width, the bucket being filled: start, end, statistics.
    open: Vec<Option<(Millis, Millis, Stats)>>,
    /// Buckets handed on, per width.
    pub written: Vec<u64>,
}

impl<'a> Fold<'a> {
    pub(crate) fn new(widths: &'a [Width], aligner: &'a Aligner, plan: &'a Plan) -> Fold<'a> {
        Fold {
            widths,
            aligner,
            plan,
            open: vec![None; widths.len()],
            written: vec![0; widths.len()],
        }
    }

    /// Adds a reading; `write` gets the width's index and each bucket the
    /// reading closes. `good` is its quality; a store another tool wrote
    /// may hold a non-finite value: it is counted with the bad readings,
    /// never summed.
    pub(crate) fn push(
        &mut self,
        ts: Millis,
        value: f64,
        good: bool,
        write: &mut impl FnMut(usize, &BucketRow) -> Result<()>,
    ) -> Result<()> {
        for (i, w) in self.widths.iter().enumerate() {
            let (from, to) = self.plan.ranges[i];
            if ts < from || ts >= to {
                continue;
            }
            if let Some((start, end, stats)) = self.open[i].take_if(|b| ts >= b.1) {
                write(i, &BucketRow::new(start, end, stats))?;
                self.written[i] += 1;
            }
            let aligner = self.aligner;
            let b = self.open[i].get_or_insert_with(|| {
                let (s, e) = aligner.bucket(w, ts);
                (s, e, Stats::default())
            });
            if good && value.is_finite() {
                b.2.add(ts, value);
            } else {
                b.2.add_bad();
            }
        }
        Ok(())
    }

    /// Hands on the buckets still open.
    pub(crate) fn finish(
        &mut self,
        write: &mut impl FnMut(usize, &BucketRow) -> Result<()>,
    ) -> Result<()> {
        for i in 0..self.open.len() {
            if let Some((start, end, stats)) = self.open[i].take() {
                write(i, &BucketRow::new(start, end, stats))?;
                self.written[i] += 1;
            }
        }
        Ok(())
    }
}

/// Keeps one alignment per store: the first run with widths records its
/// `--tz` (none for UTC), a later run with another is refused, since its
/// day buckets would overlap the stored ones. `recorded` is what the store
/// keeps (`""` for UTC), `None` before any run; `Ok(true)` when this run's
/// zone is to be recorded.
pub(crate) fn check_tz(recorded: Option<&str>, tz: Option<&str>) -> Result<bool> {
    match recorded {
        None => Ok(true),
        Some(r) if r == tz.unwrap_or("") => Ok(false),
        Some(r) => {
            let name = |t: &str| {
                if t.is_empty() {
                    "UTC (no --tz)".to_string()
                } else {
                    format!("--tz {t}")
                }
            };
            bail!(
                "this store's rollups were made with {}; this run asks for {}: give the same, or roll up into another store",
                name(r),
                name(tz.unwrap_or(""))
            )
        }
    }
}
