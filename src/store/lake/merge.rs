//! Putting a lake's readings in query order — series by asset, then tag,
//! then time — without holding the lake in memory.
//!
//! Every kept row group is a unit whose statistics give a lower bound of
//! its (asset, tag, ts) keys. Units wait, sorted by that bound, until the
//! smallest key on hand reaches it; then the unit is decoded and its rows
//! sorted (the lake's own files are sorted already, so this is cheap), and
//! a heap merges the decoded units. A unit is dropped once read out.
//!
//! Statistics bound a row group spanning several series loosely (its
//! second series' rows are bounded by the first one's start), so units may
//! be decoded long before most of their rows are due. While the rows held
//! stay under [`HOLD`] (about a quarter million) that is fine; past it, a unit
//! decoded too early is put back under its real first key, and of a unit
//! holding several series only the first is kept, the rest put back under
//! the next series' first key — to be decoded again when due. A row group
//! in its file's order (a lake's own files are) is put back a series at a
//! time, each decoded again alone, by its rows' indices; one not in order
//! is decoded whole again, its series before the bound dropped. So memory
//! stays near that budget plus the row groups due at the output's
//! position, never a whole file or lake; the price past the budget is
//! decoding a row group twice (up to k + 1 times for a row group spanning
//! k series out of order). A row group without statistics is decoded
//! first.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::rc::Rc;

use anyhow::Result;

use super::parquet::{ParquetFile, Row, Skipped};
use crate::record::Quality;
use crate::store::Selection;
use crate::time::Millis;

/// Rows the merge holds before it trades decoding for memory: past this,
/// a row group decoded before its rows are due, or holding several series,
/// is put back and decoded again later.
const HOLD: usize = 1 << 18;

/// The budget, which the tests shrink through `IIOT_QUERY_HOLD` to drive
/// every path of the merge with small lakes.
pub(super) fn hold() -> usize {
    std::env::var("IIOT_QUERY_HOLD")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(HOLD)
}

/// Two interned names in order: the same allocation is the same name.
fn name_cmp(a: &Rc<str>, b: &Rc<str>) -> Ordering {
    if Rc::ptr_eq(a, b) {
        Ordering::Equal
    } else {
        a.cmp(b)
    }
}

/// Interned strings: asset, tag, unit and text names. Consecutive rows
/// mostly repeat the row before's names, so the last name of each column
/// is tried before the table.
#[derive(Default)]
struct Strings {
    ids: HashMap<Rc<str>, Rc<str>>,
    last: [Option<Rc<str>>; 4],
}

impl Strings {
    /// The shared copy of `s`, a name of column `col` (0 to 3).
    fn get(&mut self, col: usize, s: &str) -> Rc<str> {
        if let Some(r) = &self.last[col]
            && &**r == s
        {
            return r.clone();
        }
        let r = match self.ids.get(s) {
            Some(r) => r.clone(),
            None => {
                let r: Rc<str> = Rc::from(s);
                self.ids.insert(r.clone(), r.clone());
                r
            }
        };
        self.last[col] = Some(r.clone());
        r
    }
}

/// A decoded reading of a unit.
#[derive(Clone)]
pub(crate) struct Owned {
    pub ts: Millis,
    pub asset: Rc<str>,
    pub tag: Rc<str>,
    pub value: f64,
    pub unit: Rc<str>,
    pub quality: Quality,
    pub text: Rc<str>,
}

impl Owned {
    /// A file's row kept, its names shared through `names`.
    pub(crate) fn interned(r: &Row<'_>, names: &mut super::columns::Interner) -> Owned {
        Owned {
            ts: r.ts,
            asset: names.get(r.asset),
            tag: names.get(r.tag),
            value: r.value,
            unit: names.get(r.unit),
            quality: r.quality,
            text: names.get(r.text),
        }
    }

    pub(crate) fn row(&self) -> Row<'_> {
        Row {
            ts: self.ts,
            asset: &self.asset,
            tag: &self.tag,
            value: self.value,
            unit: &self.unit,
            quality: self.quality,
            text: &self.text,
        }
    }

    /// The order of the merge: series, then time. Names are interned, so
    /// the same name is the same allocation and compares without reading
    /// it.
    fn cmp_key(&self, o: &Owned) -> Ordering {
        name_cmp(&self.asset, &o.asset)
            .then_with(|| name_cmp(&self.tag, &o.tag))
            .then(self.ts.cmp(&o.ts))
    }
}

/// A row group waiting to be decoded, ordered by the lower bound of its
/// keys. `exact` once the bound is its real first key (it was decoded and
/// put back); `rows`, the row indices of one series of it, when the row
/// group was in order, so only that series is decoded again.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Pending {
    bound: (Rc<str>, Rc<str>, Millis),
    file: usize,
    rg: usize,
    exact: bool,
    rows: Option<(usize, usize)>,
}

/// The next row of a decoded unit, ordered by key then unit (so equal
/// keys keep the order of the files).
struct Head {
    row: Owned,
    unit: usize,
}

impl PartialEq for Head {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Head {
    fn cmp(&self, o: &Self) -> Ordering {
        self.row.cmp_key(&o.row).then(self.unit.cmp(&o.unit))
    }
}

/// Merges the kept row groups of `files`; `emit` returns `false` to stop.
/// `on_unit` is told the compressed bytes of each unit decoded (progress).
pub(crate) fn merged(
    files: &[ParquetFile],
    sel: &Selection,
    skipped: &mut Skipped,
    on_unit: &mut dyn FnMut(u64),
    emit: &mut dyn FnMut(&Row<'_>) -> Result<bool>,
) -> Result<()> {
    let mut m = Merge {
        files,
        sel,
        pending: units(files, sel),
        strings: Strings::default(),
        units: Vec::new(),
        heap: BinaryHeap::new(),
        held: 0,
        budget: hold(),
        counted_units: HashSet::new(),
    };
    loop {
        while let Some(p) = m.next_due() {
            m.decode(p, skipped, on_unit)?;
        }
        let Some(Reverse(head)) = m.heap.pop() else {
            break;
        };
        if !emit(&head.row.row())? {
            return Ok(());
        }
        m.advance(head.unit);
    }
    Ok(())
}

/// The row groups of `files` the selection may need, by their bounds.
fn units(files: &[ParquetFile], sel: &Selection) -> BinaryHeap<Reverse<Pending>> {
    let mut pending = BinaryHeap::new();
    for (fi, f) in files.iter().enumerate() {
        if !f.may_match(sel) {
            continue;
        }
        for rg in 0..f.num_row_groups() {
            if f.row_group_may_match(rg, sel) {
                pending.push(Reverse(Pending {
                    bound: {
                        let (a, t, ts) = f.lower_bound(rg);
                        (Rc::from(a), Rc::from(t), ts)
                    },
                    file: fi,
                    rg,
                    exact: false,
                    rows: None,
                }));
            }
        }
    }
    pending
}

/// The merge under way.
struct Merge<'a> {
    files: &'a [ParquetFile],
    sel: &'a Selection,
    /// Row groups waiting to be decoded.
    pending: BinaryHeap<Reverse<Pending>>,
    strings: Strings,
    /// Decoded units, consumed from the back (rows stored reversed).
    units: Vec<Vec<Owned>>,
    /// The next row of each unit holding rows.
    heap: BinaryHeap<Reverse<Head>>,
    /// Rows decoded and not yet written.
    held: usize,
    budget: usize,
    /// The units already counted for progress.
    counted_units: HashSet<(usize, usize)>,
}

impl Merge<'_> {
    /// The waiting row group whose bound the smallest key on hand has
    /// reached, if any (any at all when nothing is on hand).
    fn next_due(&mut self) -> Option<Pending> {
        let Reverse(p) = self.pending.peek()?;
        let due = self.heap.peek().is_none_or(|Reverse(h)| {
            name_cmp(&p.bound.0, &h.row.asset)
                .then_with(|| name_cmp(&p.bound.1, &h.row.tag))
                .then(p.bound.2.cmp(&h.row.ts))
                .is_le()
        });
        if !due {
            return None;
        }
        self.pending.pop().map(|Reverse(p)| p)
    }

    /// Decodes a row group into a unit on hand — or, past the budget,
    /// puts it (or its later series) back to be decoded again when due.
    fn decode(
        &mut self,
        p: Pending,
        skipped: &mut Skipped,
        on_unit: &mut dyn FnMut(u64),
    ) -> Result<()> {
        let f = &self.files[p.file];
        let mut rows = Vec::new();
        // Each row's index in the row group, while the rows keep the
        // file's order.
        let mut at = Vec::new();
        // A unit decoded again has had its rows without time counted.
        let mut again = Skipped::default();
        let counted = if p.exact { &mut again } else { skipped };
        let strings = &mut self.strings;
        let range = p.rows.map(|(a, b)| a..b);
        f.read_rows(p.rg, range, self.sel, counted, &mut |i, r| {
            at.push(i);
            rows.push(Owned {
                ts: r.ts,
                asset: strings.get(0, r.asset),
                tag: strings.get(1, r.tag),
                value: r.value,
                unit: strings.get(2, r.unit),
                quality: r.quality,
                text: strings.get(3, r.text),
            });
            Ok(())
        })?;
        if !rows.is_sorted_by(|a, b| a.cmp_key(b).is_le()) {
            rows.sort_by(|a, b| a.cmp_key(b));
            at.clear();
        }
        if p.exact && p.rows.is_none() {
            // Decoded again: the series before the bound were read out.
            let (ba, bt) = (&*p.bound.0, &*p.bound.1);
            let cut = rows.partition_point(|r| (&*r.asset, &*r.tag) < (ba, bt));
            rows.drain(..cut);
            at.drain(..cut.min(at.len()));
        }
        let Some(first) = rows.first() else {
            return Ok(());
        };
        // The statistics bound a row group spanning several series
        // loosely (its second series' rows are bounded by the first one's
        // start). Rather than hold rows not yet due, put the unit back
        // under its real first key and decode it again then.
        let early = self
            .heap
            .peek()
            .is_some_and(|Reverse(h)| first.cmp_key(&h.row).is_gt());
        let over = self.held + rows.len() > self.budget;
        if early && over && !p.exact {
            if !self.put_back_series(&p, &rows, &at, 0) {
                self.pending.push(Reverse(Pending {
                    bound: (first.asset.clone(), first.tag.clone(), first.ts),
                    exact: true,
                    ..p
                }));
            }
            return Ok(());
        }
        if over {
            self.keep_first_series(&p, &mut rows, &at);
        }
        if self.counted_units.insert((p.file, p.rg)) {
            on_unit(f.meta.metadata().row_group(p.rg).compressed_size().max(0) as u64);
        }
        self.held += rows.len();
        rows.reverse();
        if let Some(first) = rows.pop() {
            let unit = self.units.len();
            self.units.push(rows);
            self.heap.push(Reverse(Head { row: first, unit }));
        }
        Ok(())
    }

    /// Keeps only the first series of a decoded unit; the next ones come
    /// back when due.
    fn keep_first_series(&mut self, p: &Pending, rows: &mut Vec<Owned>, at: &[usize]) {
        let Some(first) = rows.first() else {
            return;
        };
        let (fa, ft) = (first.asset.clone(), first.tag.clone());
        let other = |r: &Owned| !Rc::ptr_eq(&r.asset, &fa) || !Rc::ptr_eq(&r.tag, &ft);
        if let Some(i) = rows.iter().position(other) {
            if !self.put_back_series(p, rows, at, i) {
                let next = &rows[i];
                self.pending.push(Reverse(Pending {
                    bound: (next.asset.clone(), next.tag.clone(), next.ts),
                    file: p.file,
                    rg: p.rg,
                    exact: true,
                    rows: None,
                }));
            }
            rows.truncate(i);
            rows.shrink_to_fit();
        }
    }

    /// Puts back each series of `rows` from the one starting at `from`,
    /// each to be decoded alone (its rows, by their indices `at`) when
    /// due; `false`, putting back nothing, when the rows were not in the
    /// file's order (sorted after decoding), so their indices are unknown.
    fn put_back_series(&mut self, p: &Pending, rows: &[Owned], at: &[usize], from: usize) -> bool {
        if at.len() != rows.len() {
            return false;
        }
        let mut start = from;
        while start < rows.len() {
            let head = &rows[start];
            let end = rows[start..]
                .iter()
                .position(|r| !Rc::ptr_eq(&r.asset, &head.asset) || !Rc::ptr_eq(&r.tag, &head.tag))
                .map_or(rows.len(), |n| start + n);
            self.pending.push(Reverse(Pending {
                bound: (head.asset.clone(), head.tag.clone(), head.ts),
                file: p.file,
                rg: p.rg,
                exact: true,
                rows: Some((at[start], at[end - 1] + 1)),
            }));
            start = end;
        }
        true
    }

    /// After a unit's head was written: its next row goes on the heap, or
    /// its memory is freed.
    fn advance(&mut self, unit: usize) {
        self.held -= 1;
        let rest = &mut self.units[unit];
        match rest.pop() {
            Some(row) => self.heap.push(Reverse(Head { row, unit })),
            // Read out: free its memory.
            None => *rest = Vec::new(),
        }
    }
}
