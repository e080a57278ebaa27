//! Readings of many series in time order (`query --order time`, `rollup
//! DB --kpi`): a k-way merge of per-series cursors. Each selected series
//! is read through the primary key in pages of [`PAGE`] rows (`ts > last`,
//! so a page resumes where the last ended), and a heap hands out the
//! earliest head; ties go to the series first in (asset, tag) byte order.
//! Memory is a page per series, whatever the number of rows.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use anyhow::{Context, Result};
use rusqlite::params;

use super::Store;
use super::read::{Series, apply_extra};
use crate::record::{Quality, Reading};
use crate::store::Selection;
use crate::time::{MAX_MILLIS, MIN_MILLIS, Millis};

/// Rows read per series at a time.
const PAGE: usize = 2048;

/// One series' cursor: its page of rows not yet handed out.
struct Cursor {
    series: Series,
    rows: VecDeque<Row>,
    /// The `extra` texts of the page, end to end.
    arena: String,
    /// The time the next page starts after; `None` once the series is done.
    next_after: Option<Millis>,
}

#[derive(Clone, Copy)]
struct Row {
    ts: Millis,
    value: f64,
    quality: u8,
    extra: Option<(u32, u32)>,
}

impl Store {
    /// Fills a cursor's next page; returns whether it holds a row.
    fn page(&self, c: &mut Cursor, from: Millis, to: Millis) -> Result<bool> {
        c.rows.clear();
        c.arena.clear();
        let Some(after) = c.next_after else {
            return Ok(false);
        };
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT ts, value, quality, extra FROM readings \
                 WHERE series_id = ?1 AND ts > ?2 AND ts >= ?3 AND ts < ?4 ORDER BY ts LIMIT ?5",
            )
            .with_context(|| format!("reading {}", self.name))?;
        let mut rows = stmt.query(params![c.series.id, after, from, to, PAGE as i64])?;
        while let Some(r) = rows
            .next()
            .with_context(|| format!("reading {}", self.name))?
        {
            let extra = match r.get_ref(3)?.as_str_or_null()? {
                Some(text) => {
                    let start = c.arena.len() as u32;
                    c.arena.push_str(text);
                    Some((start, c.arena.len() as u32))
                }
                None => None,
            };
            c.rows.push_back(Row {
                ts: r.get(0)?,
                value: r.get(1)?,
                quality: r.get::<_, i64>(2)?.clamp(0, 2) as u8,
                extra,
            });
        }
        c.next_after = match c.rows.back() {
            Some(last) if c.rows.len() == PAGE => Some(last.ts),
            _ => None,
        };
        Ok(!c.rows.is_empty())
    }

    /// The selected readings of every series merged by time (then asset,
    /// tag), each handed to `emit` until `limit` were or it returns
    /// `false`.
    pub(crate) fn read_in_time_order(
        &self,
        sel: &Selection,
        limit: u64,
        mut emit: impl FnMut(&Reading) -> Result<bool>,
    ) -> Result<()> {
        // Only times a record can carry (years 1–9999).
        let (from, to) = (sel.from.max(MIN_MILLIS), sel.to.min(MAX_MILLIS + 1));
        let mut cursors: Vec<Cursor> = Vec::new();
        let mut heap: BinaryHeap<Reverse<(Millis, usize)>> = BinaryHeap::new();
        for series in self.series(sel)? {
            let mut c = Cursor {
                series,
                rows: VecDeque::new(),
                arena: String::new(),
                next_after: Some(i64::MIN),
            };
            if self.page(&mut c, from, to)? {
                heap.push(Reverse((c.rows[0].ts, cursors.len())));
                cursors.push(c);
            }
        }
        let mut reading = Reading::default();
        let mut n = 0u64;
        while let Some(Reverse((_, i))) = heap.pop() {
            if n >= limit {
                break;
            }
            let c = &mut cursors[i];
            let Some(row) = c.rows.pop_front() else {
                continue;
            };
            reading.clear();
            reading.ts = row.ts;
            reading.asset.push_str(&c.series.asset);
            reading.tag.push_str(&c.series.tag);
            reading.value = row.value;
            reading
                .unit
                .push_str(c.series.unit.as_deref().unwrap_or(""));
            reading.quality = match row.quality {
                0 => Quality::Good,
                1 => Quality::Uncertain,
                _ => Quality::Bad,
            };
            if let Some((a, b)) = row.extra {
                apply_extra(&c.arena[a as usize..b as usize], &mut reading);
            }
            n += 1;
            if !emit(&reading)? {
                break;
            }
            let next = match c.rows.front().map(|r| r.ts) {
                Some(ts) => Some(ts),
                None if self.page(c, from, to)? => Some(c.rows[0].ts),
                None => None,
            };
            if let Some(ts) = next {
                heap.push(Reverse((ts, i)));
            }
        }
        Ok(())
    }
}
