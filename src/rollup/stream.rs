//! The streaming rollup engine: per series and width, the buckets still
//! open; a bucket is closed and written once the series' clock (its latest
//! reading time) passes the bucket's end plus the allowed lateness. A
//! reading whose bucket is already closed is late: it is refused whole (for
//! every width, so the widths stay consistent with one another) and the
//! caller counts and rejects it.
//!
//! Memory is the open buckets: one per series per width, plus those still
//! inside the lateness window.

use std::collections::{HashMap, VecDeque};

use super::buckets::{Aligner, Width};
use super::stats::Stats;
use crate::time::Millis;

/// One bucket of one series.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    pub start: Millis,
    pub end: Millis,
    pub stats: Stats,
}

/// What one record brings: a raw reading, or a closed child bucket (a
/// rollup record of a narrower width) to merge.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Item {
    Reading {
        ts: Millis,
        value: f64,
        good: bool,
    },
    Child {
        start: Millis,
        end: Millis,
        stats: Stats,
    },
}

impl Item {
    fn time(&self) -> Millis {
        match self {
            Item::Reading { ts, .. } => *ts,
            Item::Child { start, .. } => *start,
        }
    }
}

/// Why a record was refused.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Refusal {
    /// Its bucket of this width was already written.
    Late { every: String, bucket: Millis },
    /// A child bucket that straddles two buckets of this width.
    Misfit { every: String },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Late { every, bucket } => write!(
                f,
                "late: its {every} bucket {} was already written (raise --lateness to wait longer)",
                crate::time::TsFormatter::format(*bucket)
            ),
            Refusal::Misfit { every } => write!(
                f,
                "a rollup bucket that does not fit inside one {every} bucket (its width must divide {every})"
            ),
        }
    }
}

/// A series' identity, as handed to the writer.
#[derive(Debug, Default)]
pub(crate) struct SeriesInfo {
    pub asset: String,
    pub tag: String,
    pub unit: String,
}

struct Series {
    info: SeriesInfo,
    /// The latest time seen.
    clock: Millis,
    /// Open buckets per width, in time order.
    open: Vec<VecDeque<Bucket>>,
}

/// The engine; `emit` is called with each bucket as it closes.
pub(crate) struct Engine {
    widths: Vec<Width>,
    aligner: Aligner,
    lateness: Millis,
    index: HashMap<String, usize>,
    series: Vec<Series>,
    key: String,
    /// The series of the record before: streams repeat their series in the
    /// same order tick after tick, so the one after it is tried first.
    last: usize,
}

impl Engine {
    pub fn new(widths: Vec<Width>, aligner: Aligner, lateness: Millis) -> Engine {
        Engine {
            widths,
            aligner,
            lateness,
            index: HashMap::new(),
            series: Vec::new(),
            key: String::new(),
            last: 0,
        }
    }

    pub fn aligner(&self) -> &Aligner {
        &self.aligner
    }

    /// The index of series `asset`/`tag`, made on first sight.
    fn lookup(&mut self, asset: &str, tag: &str) -> usize {
        self.key.clear();
        self.key.push_str(asset);
        self.key.push('\0');
        self.key.push_str(tag);
        if let Some(&i) = self.index.get(self.key.as_str()) {
            return i;
        }
        let i = self.series.len();
        self.index.insert(self.key.clone(), i);
        self.series.push(Series {
            info: SeriesInfo {
                asset: asset.to_string(),
                tag: tag.to_string(),
                unit: String::new(),
            },
            clock: Millis::MIN,
            open: vec![VecDeque::new(); self.widths.len()],
        });
        i
    }

    /// Adds one record of series `asset`/`tag`. Closed buckets are handed to
    /// `emit` first; a refused record changes nothing.
    pub fn push<E>(
        &mut self,
        asset: &str,
        tag: &str,
        unit: &str,
        item: Item,
        emit: &mut E,
    ) -> Result<Result<(), Refusal>, std::io::Error>
    where
        E: FnMut(&SeriesInfo, &Width, &Bucket) -> std::io::Result<()>,
    {
        let guess = if self.last + 1 < self.series.len() {
            self.last + 1
        } else {
            0
        };
        let idx = match self.series.get(guess) {
            Some(s) if s.info.asset == asset && s.info.tag == tag => guess,
            _ => self.lookup(asset, tag),
        };
        self.last = idx;
        let t = item.time();
        let s = &mut self.series[idx];
        // Check every width before changing anything.
        for (w, open) in self.widths.iter().zip(&s.open) {
            // From the back: most readings fall in the newest bucket.
            let found = open.iter().rev().find(|b| b.start <= t && t < b.end);
            let (start, end) = match found {
                Some(b) => (b.start, b.end),
                None => self.aligner.bucket(w, t),
            };
            if let Item::Child { end: child_end, .. } = item {
                if child_end > end {
                    return Ok(Err(Refusal::Misfit {
                        every: w.label.clone(),
                    }));
                }
            }
            if found.is_none()
                && s.clock != Millis::MIN
                && end.saturating_add(self.lateness) <= s.clock
            {
                return Ok(Err(Refusal::Late {
                    every: w.label.clone(),
                    bucket: start,
                }));
            }
        }
        if !unit.is_empty() && s.info.unit != unit {
            s.info.unit.clear();
            s.info.unit.push_str(unit);
        }
        s.clock = s.clock.max(t);
        let clock = s.clock;
        for (w, open) in self.widths.iter().zip(s.open.iter_mut()) {
            while let Some(front) = open.front() {
                if front.end.saturating_add(self.lateness) > clock {
                    break;
                }
                let mut b = open.pop_front().expect("front exists");
                b.stats.close(b.end);
                emit(&s.info, w, &b)?;
            }
            let pos = match open.iter().rposition(|b| b.start <= t) {
                Some(i) if t < open[i].end => i,
                other => {
                    let (start, end) = self.aligner.bucket(w, t);
                    let at = other.map_or(0, |i| i + 1);
                    open.insert(
                        at,
                        Bucket {
                            start,
                            end,
                            stats: Stats::default(),
                        },
                    );
                    at
                }
            };
            let stats = &mut open[pos].stats;
            match item {
                Item::Reading { ts, value, good } => {
                    if good {
                        stats.add(ts, value);
                    } else {
                        stats.add_bad();
                    }
                }
                Item::Child { stats: child, .. } => stats.merge(&child),
            }
        }
        Ok(Ok(()))
    }

    /// Closes and hands out every open bucket, series by series in the
    /// order they first appeared.
    pub fn finish<E>(&mut self, emit: &mut E) -> std::io::Result<()>
    where
        E: FnMut(&SeriesInfo, &Width, &Bucket) -> std::io::Result<()>,
    {
        for s in &mut self.series {
            for (w, open) in self.widths.iter().zip(s.open.iter_mut()) {
                while let Some(mut b) = open.pop_front() {
                    b.stats.close(b.end);
                    emit(&s.info, w, &b)?;
                }
            }
        }
        Ok(())
    }
}
