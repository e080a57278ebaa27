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
//!   in time order is one run. The runs are then merged. A run is decoded
//!   a chunk of rows at a time, when the output reaches it, by a reader of
//!   those rows alone (stepping over the pages before them by the file's
//!   offset index) that is dropped at once — a file without an offset
//!   index keeps a reader per run instead; the chunks of all the runs
//!   that overlap in time share the merge's budget of rows
//!   ([`super::merge::hold`], 262,144).
//!   So memory holds no reader, page or decompression context per series,
//!   and does not grow with the readings of a day.
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
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::ops::Range;
use std::rc::Rc;

use anyhow::{Context, Result, bail};
use parquet::arrow::arrow_reader::ParquetRecordBatchReader;

use super::columns::{Interner, TsUnit};
use super::layout::DATE_KEY;
use super::merge::Owned;
use super::parquet::{ParquetFile, Row, Skipped};
use super::read::{Files, reading_ref};
use crate::record::{Quality, ReadingRef};
use crate::store::Selection;
use crate::time::{Millis, TsFormatter};

/// A day of fewer rows than a quarter of the merge's budget
/// ([`super::merge::hold`], 65,536 rows) is sorted in memory: one decoding,
/// and no more memory than the runs' readers would take.
fn sort_below() -> u64 {
    (super::merge::hold() / 4) as u64
}

/// Below this many rows a run on average, a day is sorted in memory: the
/// file is in no useful order, and a reader per chunk would cost more
/// than the rows.
pub(crate) const RUN_ROWS: u64 = 64;

/// So many runs are merged however short they are.
pub(crate) const FEW_RUNS: u64 = 1024;

/// The rows a run decodes at a time: the merge's budget
/// ([`super::merge::hold`], 262,144 rows of 24 bytes) shared among the
/// most runs open at once, from [`RUN_CHUNK_MIN`] to [`RUN_CHUNK_MAX`]
/// rows. Each chunk is decoded by a reader of those rows alone, dropped
/// before the rows are handed on, so the merge holds neither a reader nor
/// its decompression context per series, and memory does not grow with
/// the readings of a day. (A file without an offset index keeps a reader
/// per run: a reader of a chunk alone would decode the row group from its
/// start.)
const RUN_CHUNK_MIN: usize = 16;
const RUN_CHUNK_MAX: usize = 8192;

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

    fn put(&mut self, r: &Row<'_>) -> Result<()> {
        (self.emit)(&reading_ref(r))?;
        self.n += 1;
        self.last = Some(r.ts);
        Ok(())
    }
}

/// A stretch of a row group's rows, each selected, in (time, asset, tag)
/// order, from its first reading's time, asset and tag.
struct Run {
    first: (Millis, Rc<str>, Rc<str>),
    /// The time of its last reading.
    last: Millis,
    file: usize,
    rg: usize,
    rows: Range<usize>,
}

/// A reading's place in the output: its time, its asset's and tag's
/// places among the day's names ([`Ranks`]: integers compare faster than
/// the names), and its run, so equal keys keep the order of the files.
type Key = (Millis, u32, u32, usize);

/// What the first pass over a day found.
struct DayIndex {
    runs: Vec<Run>,
    /// Every asset and tag name of the day's selected rows.
    ranks: Ranks,
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
                    self.merge_runs(&index, sel, day, &mut out)?;
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
        let mut runs = Vec::new();
        let mut skipped = Skipped::default();
        let mut names = Interner::default();
        for &i in group {
            let f = &self.files[i];
            if !f.may_match(sel) {
                continue;
            }
            for rg in kept(f, sel) {
                let mark = runs.len();
                let mut rg_skipped = Skipped::default();
                let mut open: Option<Run> = None;
                let mut last: Option<(Millis, Rc<str>, Rc<str>)> = None;
                let read = f.scan_row_group(rg, sel, &mut rg_skipped, &mut |row, r| {
                    let follows = match (&open, &last) {
                        (Some(run), Some((ts, asset, tag))) => {
                            run.rows.end == row && (r.ts, r.asset, r.tag) >= (*ts, &**asset, &**tag)
                        }
                        _ => false,
                    };
                    let key = match last.take() {
                        Some((_, asset, tag)) if follows => (
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
                        ),
                        _ => (r.ts, names.get(r.asset), names.get(r.tag)),
                    };
                    match open.as_mut() {
                        Some(run) if follows => {
                            run.rows.end = row + 1;
                            run.last = r.ts;
                        }
                        _ => {
                            runs.extend(open.take());
                            open = Some(Run {
                                first: key.clone(),
                                last: r.ts,
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
                    runs.extend(open);
                    skipped += rg_skipped;
                } else {
                    runs.truncate(mark);
                }
            }
        }
        let n = runs.len() as u64;
        if n > FEW_RUNS && n.saturating_mul(RUN_ROWS) > rows {
            return Ok(None);
        }
        Ok(Some(DayIndex {
            runs,
            ranks: Ranks::of(names),
            skipped,
        }))
    }

    /// Hands on the readings of `runs` merged by (time, asset, tag), each
    /// run read when the output reaches it.
    fn merge_runs<F: FnMut(&ReadingRef<'_>) -> Result<()>>(
        &self,
        index: &DayIndex,
        sel: &Selection,
        day: Option<&str>,
        out: &mut Out<'_, F>,
    ) -> Result<()> {
        let (runs, ranks) = (&index.runs, &index.ranks);
        let mut waiting = BinaryHeap::with_capacity(runs.len());
        for (n, run) in runs.iter().enumerate() {
            let (ts, asset, tag) = &run.first;
            waiting.push(Reverse((
                *ts,
                ranks.of_name(asset)?,
                ranks.of_name(tag)?,
                n,
            )));
        }
        if let Some(Reverse(first)) = waiting.peek() {
            out.check_day(day, first.0)?;
        }
        let mut cursors: Vec<Option<Cursor>> = runs.iter().map(|_| None).collect();
        let mut heads: BinaryHeap<Reverse<Key>> = BinaryHeap::new();
        let chunk = chunk_rows(runs);
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
                let mut cursor = Cursor::open(&self.files[run.file], run);
                if let Some(head) = cursor.head(&self.files[run.file], sel, ranks, chunk, key.3)? {
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
            out.put(&cursor.row(&row))?;
            match cursor.head(file, sel, ranks, chunk, n)? {
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
            out.put(&o.row())?;
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

/// A run being read: the decoded rows not yet handed on and the rows
/// still to decode. No reader is kept between chunks when the file has an
/// offset index (see [`RUN_CHUNK_MIN`]).
struct Cursor {
    rows: VecDeque<Slim>,
    /// The run's reader, kept only for a file without an offset index.
    reader: Option<ParquetRecordBatchReader>,
    /// The names of the rows in hand (asset, tag, unit, text) with the
    /// asset's and tag's ranks, once for the rows that repeat them (a run
    /// is mostly one series).
    names: Vec<([Rc<str>; 4], u32, u32)>,
    rg: usize,
    /// The run's rows still to decode, as row indices in its row group.
    todo: Range<usize>,
    ts_unit: Option<TsUnit>,
}

/// A decoded row of a run: its names are `Cursor::names[names]`.
struct Slim {
    ts: Millis,
    value: f64,
    quality: Quality,
    names: u32,
}

impl Cursor {
    fn open(file: &ParquetFile, run: &Run) -> Cursor {
        Cursor {
            rows: VecDeque::new(),
            reader: None,
            names: Vec::new(),
            rg: run.rg,
            todo: run.rows.clone(),
            ts_unit: file.mapping.ts_unit,
        }
    }

    fn row<'a>(&'a self, r: &Slim) -> Row<'a> {
        let ([asset, tag, unit, text], ..) = &self.names[r.names as usize];
        Row {
            ts: r.ts,
            asset,
            tag,
            value: r.value,
            unit,
            quality: r.quality,
            text,
        }
    }

    /// The key of the run's next reading, decoding the next chunk when
    /// the last one is used up; `None` at the run's end. The first pass
    /// saw each of the run's rows selected: a reader that yields other
    /// rows means the file changed while it was read.
    fn head(
        &mut self,
        file: &ParquetFile,
        sel: &Selection,
        ranks: &Ranks,
        chunk_rows: usize,
        run: usize,
    ) -> Result<Option<Key>> {
        if self.rows.is_empty() && !self.todo.is_empty() {
            self.decode(file, sel, ranks, chunk_rows)?;
        }
        Ok(self.rows.front().map(|r| {
            let (_, asset, tag) = self.names[r.names as usize];
            (r.ts, asset, tag, run)
        }))
    }

    /// Decodes the next chunk of the run, by a reader of its rows alone.
    fn decode(
        &mut self,
        file: &ParquetFile,
        sel: &Selection,
        ranks: &Ranks,
        chunk_rows: usize,
    ) -> Result<()> {
        let chunk = self.todo.start..self.todo.end.min(self.todo.start + chunk_rows);
        self.rows.reserve_exact(chunk.len());
        // A reader of the chunk alone steps to its first page by the
        // file's offset index. Without one it would decode the row group
        // from its start for every chunk, so the run keeps one reader of
        // all its rows instead, read a chunk at a time.
        let mut fresh;
        let reader = if file.has_offset_index() {
            fresh = file.rows_of(self.rg, Some(chunk.clone()), chunk.len())?;
            &mut fresh
        } else {
            match &mut self.reader {
                Some(r) => r,
                slot => slot.insert(file.rows_of(self.rg, Some(self.todo.clone()), chunk_rows)?),
            }
        };
        self.names.clear();
        let mut skipped = Skipped::default();
        let mut decoded = 0;
        while decoded < chunk.len() {
            let Some(batch) = reader.next() else {
                break;
            };
            let batch = batch.with_context(|| format!("reading {}", file.name()))?;
            let (rows, names) = (&mut self.rows, &mut self.names);
            file.emit_batch(&batch, &mut self.ts_unit, sel, &mut skipped, &mut |_, r| {
                let same = names.last().is_some_and(|([asset, tag, unit, text], ..)| {
                    (&**asset, &**tag, &**unit, &**text) == (r.asset, r.tag, r.unit, r.text)
                });
                if !same {
                    let (asset, tag) = (ranks.of_name(r.asset)?, ranks.of_name(r.tag)?);
                    names.push(([r.asset, r.tag, r.unit, r.text].map(Rc::from), asset, tag));
                }
                rows.push_back(Slim {
                    ts: r.ts,
                    value: r.value,
                    quality: r.quality,
                    names: (names.len() - 1) as u32,
                });
                Ok(())
            })?;
            decoded += batch.num_rows();
        }
        if decoded != chunk.len() || self.rows.len() != chunk.len() {
            self.reader = None;
            bail!(
                "{} changed while it was read: row group {} no longer holds the readings it held",
                file.name(),
                self.rg
            );
        }
        self.todo.start = chunk.end;
        if self.todo.is_empty() {
            self.reader = None;
        }
        Ok(())
    }
}

/// The rows a run decodes at a time (see [`RUN_CHUNK_MIN`]), of runs
/// that overlap as `runs` do.
fn chunk_rows(runs: &[Run]) -> usize {
    // A run is open from its first time to its last, both included.
    let mut edges: Vec<(Millis, bool)> = runs
        .iter()
        .flat_map(|r| [(r.first.0, false), (r.last, true)])
        .collect();
    edges.sort_unstable();
    let (mut open, mut most) = (0usize, 1usize);
    for (_, ends) in edges {
        if ends {
            open = open.saturating_sub(1);
        } else {
            open += 1;
            most = most.max(open);
        }
    }
    (super::merge::hold() / most).clamp(RUN_CHUNK_MIN, RUN_CHUNK_MAX)
}

/// The places of a day's asset and tag names in their sorted order, so the
/// merge compares integers: two names compare as their places do.
struct Ranks(HashMap<Rc<str>, u32>);

impl Ranks {
    fn of(names: Interner) -> Ranks {
        let mut all = names.into_names();
        all.sort_unstable();
        Ranks(all.into_iter().zip(0..).collect())
    }

    /// The place of `name`, which the first pass saw; a name it did not
    /// see means the file changed since.
    fn of_name(&self, name: &str) -> Result<u32> {
        match self.0.get(name) {
            Some(&r) => Ok(r),
            None => bail!("a lake file changed while it was read: {name:?} was not in it before"),
        }
    }
}
