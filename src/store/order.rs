//! Readings of many series in time order (`query --order time`, `rollup
//! DB --kpi`), the same for every store with tables (SQLite and
//! PostgreSQL): a k-way merge of per-series cursors. Each selected series
//! is read through its primary key (series, time) in pages of [`PAGE`]
//! rows (`ts > last`, so a page resumes where the last ended; the backend
//! runs that query, [`crate::store::rows::SeriesRows::page`]), and a heap
//! hands out the earliest head; ties go to the series first in (asset,
//! tag) byte order. Memory is a page per series, whatever the number of
//! rows.
//!
//! Chosen over one `ORDER BY ts, asset, tag` query (on PostgreSQL, a
//! server-side cursor): no index gives that order — the primary key is
//! (series, time) — so the database would sort the whole selection (on
//! disk when large) before the first row; the merge starts at once, needs
//! no sort, and breaks ties in byte order whatever the database's locale,
//! so both backends give the same bytes.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use anyhow::Result;

use crate::record::Reading;
use crate::store::Selection;
use crate::store::sqlite::read::Series;
use crate::time::{MAX_MILLIS, MIN_MILLIS, Millis};

/// Rows read per series at a time.
pub(crate) const PAGE: usize = 2048;

/// What a page query asks for: one series' rows with `ts > after`, in
/// `[from, to)`, in time order, at most [`PAGE`] of them.
pub(crate) struct PageQuery<'a> {
    pub series: &'a Series,
    pub after: Millis,
    pub from: Millis,
    pub to: Millis,
}

/// One series' page of rows not yet handed out.
#[derive(Default)]
pub(crate) struct Page {
    rows: VecDeque<Row>,
    /// The `extra` texts of the page, end to end.
    arena: String,
}

#[derive(Clone, Copy)]
struct Row {
    ts: Millis,
    value: f64,
    quality: u8,
    extra: Option<(u32, u32)>,
}

impl Page {
    /// Adds a row as the backend read it (`quality` the stored code).
    pub(crate) fn push(&mut self, ts: Millis, value: f64, quality: i64, extra: Option<&str>) {
        let extra = extra.map(|text| {
            let start = self.arena.len() as u32;
            self.arena.push_str(text);
            (start, self.arena.len() as u32)
        });
        self.rows.push_back(Row {
            ts,
            value,
            quality: quality.clamp(0, 2) as u8,
            extra,
        });
    }
}

/// One series' cursor.
struct Cursor {
    series: Series,
    page: Page,
    /// The time the next page starts after; `None` once the series is done.
    next_after: Option<Millis>,
}

impl Cursor {
    /// Fills the next page; returns whether it holds a row.
    fn fill(
        &mut self,
        from: Millis,
        to: Millis,
        read: &mut impl FnMut(&PageQuery<'_>, &mut Page) -> Result<()>,
    ) -> Result<bool> {
        self.page.rows.clear();
        self.page.arena.clear();
        let Some(after) = self.next_after else {
            return Ok(false);
        };
        let q = PageQuery {
            series: &self.series,
            after,
            from,
            to,
        };
        read(&q, &mut self.page)?;
        self.next_after = match self.page.rows.back() {
            Some(last) if self.page.rows.len() >= PAGE => Some(last.ts),
            _ => None,
        };
        Ok(!self.page.rows.is_empty())
    }
}

/// The readings of `series` selected by `sel`, merged by time (then
/// asset, tag), each handed to `emit` until `limit` were or it returns
/// `false`; `read` fills a page as [`PageQuery`] says.
pub(crate) fn merge(
    series: Vec<Series>,
    sel: &Selection,
    limit: u64,
    mut read: impl FnMut(&PageQuery<'_>, &mut Page) -> Result<()>,
    mut emit: impl FnMut(&Reading) -> Result<bool>,
) -> Result<()> {
    // Only times a record can carry (years 1–9999).
    let (from, to) = (sel.from.max(MIN_MILLIS), sel.to.min(MAX_MILLIS + 1));
    let mut cursors: Vec<Cursor> = Vec::new();
    let mut heap: BinaryHeap<Reverse<(Millis, usize)>> = BinaryHeap::new();
    for series in series {
        let mut c = Cursor {
            series,
            page: Page::default(),
            next_after: Some(i64::MIN),
        };
        if c.fill(from, to, &mut read)? {
            heap.push(Reverse((c.page.rows[0].ts, cursors.len())));
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
        let Some(row) = c.page.rows.pop_front() else {
            continue;
        };
        let extra = row
            .extra
            .map(|(a, b)| &c.page.arena[a as usize..b as usize]);
        c.series.fill(
            &mut reading,
            row.ts,
            row.value,
            i64::from(row.quality),
            extra,
        );
        n += 1;
        if !emit(&reading)? {
            break;
        }
        let next = match c.page.rows.front().map(|r| r.ts) {
            Some(ts) => Some(ts),
            None if c.fill(from, to, &mut read)? => Some(c.page.rows[0].ts),
            None => None,
        };
        if let Some(ts) = next {
            heap.push(Reverse((ts, i)));
        }
    }
    Ok(())
}
