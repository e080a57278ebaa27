//! Readings of many series in time order (`query --order time`, `rollup
//! DB --kpi`): the k-way merge of [`crate::store::order`] over pages read
//! through the primary key.

use anyhow::{Context, Result};
use rusqlite::params;

use super::Store;
use crate::record::Reading;
use crate::store::Selection;
use crate::store::layout::PAGE_SQL;
use crate::store::order::{PAGE, Page, PageQuery, merge};
use crate::store::rows::SeriesRows;

impl Store {
    /// The selected readings of every series merged by time (then asset,
    /// tag), each handed to `emit` until `limit` were or it returns
    /// `false`.
    pub(crate) fn read_in_time_order(
        &self,
        sel: &Selection,
        limit: u64,
        emit: impl FnMut(&Reading) -> Result<bool>,
    ) -> Result<()> {
        let context = || format!("reading {}", self.name);
        let read = |q: &PageQuery<'_>, page: &mut Page| {
            let mut stmt = self.conn.prepare_cached(PAGE_SQL).with_context(context)?;
            let mut rows = stmt.query(params![q.series.id, q.after, q.from, q.to, PAGE as i64])?;
            while let Some(r) = rows.next().with_context(context)? {
                page.push(
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get_ref(3)?.as_str_or_null()?,
                );
            }
            Ok(())
        };
        merge(self.series(sel)?, sel, limit, read, emit)
    }
}
