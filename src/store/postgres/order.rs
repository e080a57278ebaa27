//! Readings of many series in time order on PostgreSQL (`query --order
//! time`, `rollup URL --kpi`): the k-way merge of
//! [`crate::store::order`], as on SQLite, over pages read through the
//! primary key (series_id, ts). Chosen over one `ORDER BY ts, asset, tag`
//! query: no index gives that order, so the server would sort the whole
//! selection (to disk when large) before the first row; the merge starts
//! at once, holds a page per series, and breaks ties exactly as SQLite
//! does (asset, then tag, in byte order, whatever the database's locale).

use anyhow::{Context, Result};
use postgres::types::ToSql;

use super::PgStore;
use crate::record::Reading;
use crate::store::Selection;
use crate::store::layout::PAGE_SQL;
use crate::store::order::{PAGE, Page, PageQuery, merge};
use crate::store::rows::SeriesRows;

impl PgStore {
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
        let series = self.series(sel)?;
        let mut c = self.client.borrow_mut();
        let stmt = c.prepare(PAGE_SQL).with_context(context)?;
        let read = |q: &PageQuery<'_>, page: &mut Page| {
            let params: [&(dyn ToSql + Sync); 5] =
                [&q.series.id, &q.after, &q.from, &q.to, &(PAGE as i64)];
            for r in c.query(&stmt, &params).with_context(context)? {
                page.push(r.get(0), r.get(1), i64::from(r.get::<_, i16>(2)), r.get(3));
            }
            Ok(())
        };
        merge(series, sel, limit, read, emit)
    }
}
