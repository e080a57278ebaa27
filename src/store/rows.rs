//! Reading a store with tables series by series (SQLite and PostgreSQL
//! alike): the series dictionary matched against the globs in memory and
//! sorted by asset, then tag, in byte order (as the Parquet side sorts);
//! then each selected series read through the primary key (series_id,
//! ts), already in time order, or only its last row for `--latest`. A
//! backend says how to list its series and read one series' rows
//! ([`SeriesRows`]); the walk, the limit and the making of readings are
//! here.

use anyhow::{Result, bail};

use crate::record::{Reading, ReadingRef};
use crate::rollup::record::BucketRecords;
use crate::rollup::retain::{Rule, Target};
use crate::rollup::store::BucketRow;
use crate::store::Selection;
#[cfg(doc)]
use crate::store::layout::PAGE_SQL;
use crate::store::order::{Page, PageQuery, merge};
use crate::store::sqlite::read::{Series, apply_extra};
use crate::store::sqlite::writer::fields::quality_of_code;
use crate::time::{MAX_MILLIS, MIN_MILLIS, Millis};

/// A row handed on by [`SeriesRows::rows`]: time, value, the stored
/// quality code and the `extra` text; returns `false` to stop.
pub(crate) type RowSink<'a> = dyn FnMut(Millis, f64, i64, Option<&str>) -> Result<bool> + 'a;

/// A bucket handed on by [`SeriesRows::rollup_rows`]; returns `false` to
/// stop.
pub(crate) type BucketSink<'a> = dyn FnMut(&BucketRow) -> Result<bool> + 'a;

/// A store whose readings are read series by series.
pub(crate) trait SeriesRows {
    /// The store's name for messages (a URL without its password).
    fn name(&self) -> &str;

    /// Whether the store holds the rollup table `table` (`rollup_1h`).
    fn has_rollup_table(&self, table: &str) -> Result<bool>;

    /// One series' buckets of the rollup table `table` in `[from, to)`, in
    /// time order, each handed to `row`; `false` once `row` stopped.
    fn rollup_rows(
        &self,
        table: &str,
        s: &Series,
        from: Millis,
        to: Millis,
        row: &mut BucketSink<'_>,
    ) -> Result<bool>;

    /// The selected series, sorted by asset then tag (byte order).
    fn series(&self, sel: &Selection) -> Result<Vec<Series>>;

    /// One series' rows in `[from, to)` in time order (or only its last
    /// with `latest`), each handed to `row`; `false` once `row` stopped.
    fn rows(
        &self,
        s: &Series,
        from: Millis,
        to: Millis,
        latest: bool,
        row: &mut RowSink<'_>,
    ) -> Result<bool>;

    /// Fills `page` with a page of one series' rows, as `q` says
    /// ([`PAGE_SQL`]).
    fn page(&self, q: &PageQuery<'_>, page: &mut Page) -> Result<()>;

    /// The selected readings of every series merged by time (then asset,
    /// tag), each handed to `emit` until `limit` were or it returns
    /// `false` ([`crate::store::order`]).
    fn read_in_time_order(
        &self,
        sel: &Selection,
        limit: u64,
        emit: impl FnMut(&Reading) -> Result<bool>,
    ) -> Result<()>
    where
        Self: Sized,
    {
        merge(self.series(sel)?, sel, limit, |q, p| self.page(q, p), emit)
    }

    /// The selected readings, series by series (asset, then tag), each in
    /// time order; `emit` is handed each until `limit` were.
    fn read(
        &self,
        sel: &Selection,
        limit: u64,
        emit: impl FnMut(&ReadingRef<'_>) -> Result<()>,
    ) -> Result<()>
    where
        Self: Sized,
    {
        read_selected(self, sel, false, limit, emit)
    }

    /// The last selected reading of each series, in series order.
    fn latest(
        &self,
        sel: &Selection,
        limit: u64,
        emit: impl FnMut(&ReadingRef<'_>) -> Result<()>,
    ) -> Result<()>
    where
        Self: Sized,
    {
        read_selected(self, sel, true, limit, emit)
    }
}

/// The selected buckets of the rollup table of width `label`, series by
/// series (asset, then tag), each in time order, as rollup records with
/// every statistic (`query DB --rollup 1h`), until `limit`.
pub(crate) fn read_rollups(
    store: &impl SeriesRows,
    label: &str,
    sel: &Selection,
    limit: u64,
    mut emit: impl FnMut(&ReadingRef<'_>) -> Result<()>,
) -> Result<()> {
    let table = format!("rollup_{label}");
    if !store.has_rollup_table(&table)? {
        let name = store.name();
        bail!("{name} has no table {table}: `iiot rollup {name} --every {label}` makes it");
    }
    let mut records = BucketRecords::new();
    walk_series(store, sel, limit, |s, from, to, n| {
        let names = (
            s.asset.as_str(),
            s.tag.as_str(),
            s.unit.as_deref().unwrap_or(""),
        );
        store.rollup_rows(&table, s, from, to, &mut |b| {
            records.emit(label, names, b, &mut emit)?;
            *n += 1;
            Ok(*n < limit)
        })
    })
}

/// The table each retention rule deletes from (`readings`, `rollup_1h`),
/// which must exist.
pub(crate) fn rule_tables(store: &impl SeriesRows, rules: &[Rule]) -> Result<Vec<String>> {
    let table = |rule: &Rule| match &rule.target {
        Target::Raw => Ok("readings".to_string()),
        Target::Rollup(w) => {
            let t = format!("rollup_{}", w.label);
            if !store.has_rollup_table(&t)? {
                bail!("--retain {}: the store has no table {t}", w.label);
            }
            Ok(t)
        }
    };
    rules.iter().map(table).collect()
}

fn read_selected(
    store: &impl SeriesRows,
    sel: &Selection,
    latest: bool,
    limit: u64,
    mut emit: impl FnMut(&ReadingRef<'_>) -> Result<()>,
) -> Result<()> {
    let mut reading = Reading::default();
    walk_series(store, sel, limit, |s, from, to, n| {
        store.rows(s, from, to, latest, &mut |ts, value, quality, extra| {
            s.fill(&mut reading, ts, value, quality, extra);
            emit(&reading.as_ref())?;
            *n += 1;
            Ok(*n < limit)
        })
    })
}

/// Hands `read` each selected series in order with the times a record can
/// carry (years 1–9999: a row another writer put outside them is not
/// read), and the count of rows handed on so far, until `limit` were or
/// `read` returns `false`.
fn walk_series(
    store: &impl SeriesRows,
    sel: &Selection,
    limit: u64,
    mut read: impl FnMut(&Series, Millis, Millis, &mut u64) -> Result<bool>,
) -> Result<()> {
    let (from, to) = (sel.from.max(MIN_MILLIS), sel.to.min(MAX_MILLIS + 1));
    let mut n = 0u64;
    for s in store.series(sel)? {
        if n >= limit || !read(&s, from, to, &mut n)? {
            break;
        }
    }
    Ok(())
}

/// The series `sel` selects of `all`, sorted by asset, then tag, in byte
/// order.
pub(crate) fn select_series(all: impl Iterator<Item = Series>, sel: &Selection) -> Vec<Series> {
    let mut out: Vec<Series> = all
        .filter(|s| sel.series_matches(&s.asset, &s.tag))
        .collect();
    out.sort_by(|a, b| {
        (a.asset.as_bytes(), a.tag.as_bytes()).cmp(&(b.asset.as_bytes(), b.tag.as_bytes()))
    });
    out
}

impl Series {
    /// Makes `reading` the reading of a stored row of this series.
    pub(crate) fn fill(
        &self,
        reading: &mut Reading,
        ts: Millis,
        value: f64,
        quality: i64,
        extra: Option<&str>,
    ) {
        reading.clear();
        reading.ts = ts;
        reading.asset.push_str(&self.asset);
        reading.tag.push_str(&self.tag);
        reading.value = value;
        reading.unit.push_str(self.unit.as_deref().unwrap_or(""));
        reading.quality = quality_of_code(quality);
        if let Some(extra) = extra {
            apply_extra(extra, reading);
        }
    }
}
