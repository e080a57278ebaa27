//! A lake's readings in time order (`query LAKE --order time`): every
//! selected series merged by time, then asset, then tag, as a live stream
//! comes — what `rollup --kpi`, `detect` and `plot` expect.
//!
//! The lake's files hold one UTC day each (`date=YYYY-MM-DD`): the days
//! are read one after another, in date order. A day is put in time order
//! in one of two ways:
//!
//! - **Runs merged.** A first pass decodes the day's row groups batch by
//!   batch and notes its *runs*: stretches of consecutive rows already in
//!   (time, asset, tag) order. A lake's own files are sorted by series, so
//!   a run is one series' rows of a row group; a file another system wrote
//!   in time order is one run. The runs are then merged, each read by its
//!   own reader of a few pages and a batch of 256 rows, opened when the
//!   output reaches its first reading and dropped at its end. Memory holds
//!   the runs that overlap in time — about one per series — whatever the
//!   number of readings in the day.
//! - **Sorted in memory**, when a day has fewer than 65,536 rows
//!   (one decoding instead of two), when its rows are not in long runs
//!   (more than [`FEW_RUNS`] runs of fewer than [`RUN_ROWS`] rows on
//!   average: a file in no order),
//!   or when a file is a wide table (a row holds several readings).
//!
//! Either way equal keys keep the order of the files. A day holding a
//! reading earlier than one of the day before (a `date=` folder that is
//! not a UTC day) is an error, never output out of order; a folder
//! without `date=` partitions is one group.

use std::cmp::Reverse;
use std::collections::binary_heap::PeekMut;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::ops::Range;
use std::rc::Rc;

use anyhow::{Context, Result, bail};
use parquet::arrow::arrow_reader::ParquetRecordBatchReader;

use super::columns::{Interner, TsUnit};
use super::layout::DATE_KEY;
use super::merge::Owned;
use super::parquet::{ParquetFile, Row, Skipped};
use super::read::{Files, reading_ref};
use crate::record::ReadingRef;
use crate::store::Selection;
use crate::time::{Millis, TsFormatter};

/// A day of fewer rows than a quarter of the merge's budget
/// ([`super::merge::hold`], 65,536 rows) is sorted in memory: one decoding,
/// and no more memory than the runs' readers would take.
fn sort_below() -> u64 {
    (super::merge::hold() / 4) as u64
}

/// Below this many rows a run on average, a day is sorted in memory: the
/// file is in no useful order, and a reader per run would cost more than
/// the rows.
pub(crate) const RUN_ROWS: u64 = 64;

/// So many runs are merged however short they are.
pub(crate) const FEW_RUNS: u64 = 1024;

/// Rows a run's reader decodes at a time.
const RUN_BATCH: usize = 256;

/// Where the output stands: readings handed on, the limit, the last time.
struct Out<'a, F> {
    emit: &'a mut F,
    n: u64,
    limit: u64,
    last: Option<Millis>,
}

impl<F: FnMut(&ReadingRef<'_>) -> Result<()>> Out<'_, F> {
    fn full(&self) -> bool {
        self.n >= self.limit
    }

    /// Refuses a day that starts before the day before ended.
    fn check_day(&self, day: Option<&str>, first: Millis) -> Result<()> {
        if let Some(prev) = self.last
            && first < prev
        {
            bail!(
                "the partition {DATE_KEY}={} holds a reading at {}, before one of the day before: \
                 its folders are not UTC days, so it cannot be read in time order a day at a time",
                day.unwrap_or_default(),
                TsFormatter::format(first)
            );
        }
        Ok(())
    }

    fn put(&mut self, o: &Owned) -> Result<()> {
        (self.emit)(&reading_ref(&o.row()))?;
        self.n += 1;
        self.last = Some(o.ts);
        Ok(())
    }
}

/// A stretch of a row group's rows, each selected, in (time, asset, tag)
/// order: `first` is its first key.
struct Run {
    first: Key,
    file: usize,
    rg: usize,
    rows: Range<usize>,
}

/// A reading's place in the output; the last field is its run, so equal
/// keys keep the order of the files.
type Key = (Millis, Rc<str>, Rc<str>, usize);

/// What the first pass over a day found.
struct DayIndex {
    runs: Vec<Run>,
    skipped: Skipped,
}

impl Files {
    /// The selected readings merged by (time, asset, tag), a day at a
    /// time, until `limit` were handed to `emit`.
    pub(crate) fn read_in_time_order(
        &self,
        sel: &Selection,
        limit: u64,
        on_unit: &mut dyn FnMut(u64),
        mut emit: impl FnMut(&ReadingRef<'_>) -> Result<()>,
    ) -> Result<Skipped> {
        let mut skipped = Skipped::default();
        let mut out = Out {
            emit: &mut emit,
            n: 0,
            limit,
            last: None,
        };
        for (day, group) in self.days() {
            if out.full() {
                break;
            }
            let day = day.as_deref();
            let mut scanned = false;
            match self.index_day(&group, sel, &mut |b| {
                scanned = true;
                on_unit(b)
            })? {
                Some(index) => {
                    skipped += index.skipped;
                    self.merge_runs(index.runs, sel, day, &mut out)?;
                }
                // The progress of a day scanned was told by the scan.
                None if scanned => {
                    self.sort_day(&group, sel, day, &mut skipped, &mut |_| {}, &mut out)?
                }
                None => self.sort_day(&group, sel, day, &mut skipped, on_unit, &mut out)?,
            }
        }
        Ok(skipped)
    }

    /// The runs of a day's selected rows, or `None` when the day is to be
    /// sorted in memory instead (see the module's notes).
    fn index_day(
        &self,
        group: &[usize],
        sel: &Selection,
        on_unit: &mut dyn FnMut(u64),
    ) -> Result<Option<DayIndex>> {
        let mut rows = 0u64;
        for &i in group {
            let f = &self.files[i];
            if !f.may_match(sel) {
                continue;
            }
            if !f.mapping.one_reading_a_row() {
                return Ok(None);
            }
            for rg in kept(f, sel) {
                rows += f.meta.metadata().row_group(rg).num_rows().max(0) as u64;
            }
        }
        if rows < sort_below() {
            return Ok(None);
        }
        let mut index = DayIndex {
            runs: Vec::new(),
            skipped: Skipped::default(),
        };
        let mut names = Interner::default();
        for &i in group {
            let f = &self.files[i];
            if !f.may_match(sel) {
                continue;
            }
            for rg in kept(f, sel) {
                let mark = index.runs.len();
                let mut rg_skipped = Skipped::default();
                let mut open: Option<Run> = None;
                let mut last: Option<Key> = None;
                let read = f.scan_row_group(rg, sel, &mut rg_skipped, &mut |row, r| {
                    let follows = match (&open, &last) {
                        (Some(run), Some((ts, asset, tag, _))) => {
                            run.rows.end == row && (r.ts, r.asset, r.tag) >= (*ts, &**asset, &**tag)
                        }
                        _ => false,
                    };
                    let key = match last.take() {
                        Some((_, asset, tag, n)) if follows => (
                            r.ts,
                            if &*asset == r.asset {
                                asset
                            } else {
                                names.get(r.asset)
                            },
                            if &*tag == r.tag {
                                tag
                            } else {
                                names.get(r.tag)
                            },
                            n,
                        ),
                        _ => (r.ts, names.get(r.asset), names.get(r.tag), 0),
                    };
                    match open.as_mut() {
                        Some(run) if follows => run.rows.end = row + 1,
                        _ => {
                            index.runs.extend(open.take());
                            open = Some(Run {
                                first: key.clone(),
                                file: i,
                                rg,
                                rows: row..row + 1,
                            });
                        }
                    }
                    last = Some(key);
                    Ok(())
                })?;
                on_unit(f.meta.metadata().row_group(rg).compressed_size().max(0) as u64);
                if read {
                    index.runs.extend(open);
                    index.skipped += rg_skipped;
                } else {
                    index.runs.truncate(mark);
                }
            }
        }
        let runs = index.runs.len() as u64;
        if runs > FEW_RUNS && runs.saturating_mul(RUN_ROWS) > rows {
            return Ok(None);
        }
        for (n, run) in index.runs.iter_mut().enumerate() {
            run.first.3 = n;
        }
        Ok(Some(index))
    }

    /// Hands on the readings of `runs` merged by (time, asset, tag), each
    /// run read when the output reaches it.
    fn merge_runs<F: FnMut(&ReadingRef<'_>) -> Result<()>>(
        &self,
        runs: Vec<Run>,
        sel: &Selection,
        day: Option<&str>,
        out: &mut Out<'_, F>,
    ) -> Result<()> {
        let mut waiting: BinaryHeap<Reverse<Key>> =
            runs.iter().map(|r| Reverse(r.first.clone())).collect();
        if let Some(Reverse(first)) = waiting.peek() {
            out.check_day(day, first.0)?;
        }
        let mut cursors: Vec<Option<Cursor>> = runs.iter().map(|_| None).collect();
        let mut heads: BinaryHeap<Reverse<Key>> = BinaryHeap::new();
        while !out.full() {
            // Every run whose first reading comes before the least one on
            // hand is opened first.
            while let Some(Reverse(next)) = waiting.peek() {
                if heads.peek().is_some_and(|Reverse(head)| head < next) {
                    break;
                }
                let Some(Reverse(key)) = waiting.pop() else {
                    break;
                };
                let run = &runs[key.3];
                let mut cursor = Cursor::open(&self.files[run.file], run)?;
                if let Some(head) = cursor.head(&self.files[run.file], sel, key.3)? {
                    heads.push(Reverse(head));
                    cursors[key.3] = Some(cursor);
                }
            }
            let Some(mut top) = heads.peek_mut() else {
                break;
            };
            let n = top.0.3;
            let file = &self.files[runs[n].file];
            let Some(cursor) = cursors[n].as_mut() else {
                bail!("run {n} of the time-order merge has no reader");
            };
            let Some(row) = cursor.rows.pop_front() else {
                bail!("run {n} of the time-order merge is empty");
            };
            out.put(&row)?;
            match cursor.head(file, sel, n)? {
                Some(head) => *top = Reverse(head),
                None => {
                    PeekMut::pop(top);
                    cursors[n] = None;
                }
            }
        }
        Ok(())
    }

    /// A day's selected readings gathered and sorted in memory.
    fn sort_day<F: FnMut(&ReadingRef<'_>) -> Result<()>>(
        &self,
        group: &[usize],
        sel: &Selection,
        day: Option<&str>,
        skipped: &mut Skipped,
        on_unit: &mut dyn FnMut(u64),
        out: &mut Out<'_, F>,
    ) -> Result<()> {
        let mut names = Interner::default();
        let mut rows: Vec<Owned> = Vec::new();
        for &i in group {
            let f = &self.files[i];
            if !f.may_match(sel) {
                continue;
            }
            for rg in kept(f, sel) {
                f.read_row_group(rg, sel, skipped, &mut |r| {
                    rows.push(Owned::interned(r, &mut names));
                    Ok(())
                })?;
                on_unit(f.meta.metadata().row_group(rg).compressed_size().max(0) as u64);
            }
        }
        rows.sort_by(|a, b| (a.ts, &*a.asset, &*a.tag).cmp(&(b.ts, &*b.asset, &*b.tag)));
        if let Some(first) = rows.first() {
            out.check_day(day, first.ts)?;
        }
        for o in &rows {
            if out.full() {
                break;
            }
            out.put(o)?;
        }
        Ok(())
    }

    /// The files grouped by their `date=` partition, in date order; one
    /// group of all when some file has none.
    fn days(&self) -> Vec<(Option<String>, Vec<usize>)> {
        let mut days: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, f) in self.files.iter().enumerate() {
            let date = f.path.components().find_map(|c| {
                let c = c.as_os_str().to_str()?;
                let v = c.strip_prefix(DATE_KEY)?.strip_prefix('=')?;
                super::layout::day_start(v).map(|_| v.to_string())
            });
            match date {
                Some(d) => days.entry(d).or_default().push(i),
                None => return vec![(None, (0..self.files.len()).collect())],
            }
        }
        days.into_iter().map(|(d, v)| (Some(d), v)).collect()
    }
}

/// The row groups of `f` the selection may need.
fn kept<'a>(f: &'a ParquetFile, sel: &'a Selection) -> impl Iterator<Item = usize> + 'a {
    (0..f.num_row_groups()).filter(move |&rg| f.row_group_may_match(rg, sel))
}

/// A run being read: its reader, the decoded rows not yet handed on, and
/// how many of its rows are still to come.
struct Cursor {
    reader: ParquetRecordBatchReader,
    rows: VecDeque<Owned>,
    left: usize,
    ts_unit: Option<TsUnit>,
    /// The names of the last row, shared by the rows that repeat them.
    names: [Rc<str>; 4],
}

impl Cursor {
    fn open(file: &ParquetFile, run: &Run) -> Result<Cursor> {
        Ok(Cursor {
            reader: file.rows_of(run.rg, Some(run.rows.clone()), RUN_BATCH)?,
            rows: VecDeque::with_capacity(RUN_BATCH.min(run.rows.len())),
            left: run.rows.len(),
            ts_unit: file.mapping.ts_unit,
            names: std::array::from_fn(|_| Rc::from("")),
        })
    }

    /// The key of the run's next reading, decoding the next batch when
    /// the last one is used up; `None` at the run's end. The first pass
    /// saw each of the run's rows selected: a reader that yields other
    /// rows means the file changed while it was read.
    fn head(&mut self, file: &ParquetFile, sel: &Selection, run: usize) -> Result<Option<Key>> {
        if self.rows.is_empty() {
            let mut skipped = Skipped::default();
            if let Some(batch) = self.reader.next() {
                let batch = batch.with_context(|| format!("reading {}", file.name()))?;
                let (rows, names) = (&mut self.rows, &mut self.names);
                file.emit_batch(&batch, &mut self.ts_unit, sel, &mut skipped, &mut |_, r| {
                    rows.push_back(owned(r, names));
                    Ok(())
                })?;
                if batch.num_rows() != self.rows.len() || self.rows.len() > self.left {
                    bail!(
                        "{} changed while it was read: a row group no longer holds the readings it held",
                        file.name()
                    );
                }
                self.left -= self.rows.len();
            } else if self.left > 0 {
                bail!(
                    "{} changed while it was read: a row group ended {} rows early",
                    file.name(),
                    self.left
                );
            }
        }
        Ok(self
            .rows
            .front()
            .map(|o| (o.ts, o.asset.clone(), o.tag.clone(), run)))
    }
}

/// A row kept, sharing the names of the row before when they repeat.
fn owned(r: &Row<'_>, names: &mut [Rc<str>; 4]) -> Owned {
    let [asset, tag, unit, text] = names;
    let share = |last: &mut Rc<str>, s: &str| {
        if &**last != s {
            *last = Rc::from(s);
        }
        last.clone()
    };
    Owned {
        ts: r.ts,
        asset: share(asset, r.asset),
        tag: share(tag, r.tag),
        value: r.value,
        unit: share(unit, r.unit),
        quality: r.quality,
        text: share(text, r.text),
    }
}
