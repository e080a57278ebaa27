//! A lake's readings in time order (`query LAKE --order time`): every
//! selected series merged by time, then asset, then tag, as a live stream
//! comes — what `rollup --kpi`, `detect` and `plot` expect.
//!
//! The lake's files hold one UTC day each (`date=YYYY-MM-DD`), sorted by
//! series: the days are read one after another, in date order, and the
//! selected readings of one day — every file and row group of that
//! partition, with `asset=` sub-partitions — are gathered and sorted by
//! (time, asset, tag), equal keys keeping the order of the files. So
//! memory holds one day's selected readings, whatever the number of days;
//! a folder without `date=` partitions is one group, read whole. A day
//! holding a reading earlier than one of the day before (a `date=` folder
//! that is not a UTC day) is an error, never output out of order.

use crate::store::lake::columns::Interner;
use std::collections::BTreeMap;

use anyhow::{Result, bail};

use super::layout::DATE_KEY;
use super::merge::Owned;
use super::parquet::Skipped;
use super::read::{Files, reading_ref};
use crate::record::ReadingRef;
use crate::store::Selection;
use crate::time::{Millis, TsFormatter};

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
        let mut n = 0u64;
        let mut last: Option<Millis> = None;
        for (day, group) in self.days() {
            if n >= limit {
                break;
            }
            let mut names = Interner::default();
            let mut rc = |s: &str| names.get(s);
            let mut rows: Vec<Owned> = Vec::new();
            for &i in &group {
                let f = &self.files[i];
                if !f.may_match(sel) {
                    continue;
                }
                for rg in 0..f.num_row_groups() {
                    if !f.row_group_may_match(rg, sel) {
                        continue;
                    }
                    f.read_row_group(rg, sel, &mut skipped, &mut |r| {
                        rows.push(Owned {
                            ts: r.ts,
                            asset: rc(r.asset),
                            tag: rc(r.tag),
                            value: r.value,
                            unit: rc(r.unit),
                            quality: r.quality,
                            text: rc(r.text),
                        });
                        Ok(())
                    })?;
                    on_unit(f.meta.metadata().row_group(rg).compressed_size().max(0) as u64);
                }
            }
            rows.sort_by(|a, b| (a.ts, &*a.asset, &*a.tag).cmp(&(b.ts, &*b.asset, &*b.tag)));
            if let (Some(prev), Some(first)) = (last, rows.first())
                && first.ts < prev
            {
                bail!(
                    "the partition {DATE_KEY}={} holds a reading at {}, before one of the day before: \
                     its folders are not UTC days, so it cannot be read in time order a day at a time",
                    day.unwrap_or_default(),
                    TsFormatter::format(first.ts)
                );
            }
            for o in &rows {
                if n >= limit {
                    break;
                }
                emit(&reading_ref(&o.row()))?;
                n += 1;
                last = Some(o.ts);
            }
        }
        Ok(skipped)
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
