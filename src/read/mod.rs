//! Where reading stores back used to live, before storage was split by
//! backend (`store::sqlite`, `store::lake`) and the series globs got a
//! module of their own (`patterns`): the names `plot` and `inspect_table`
//! still import from here.

pub(crate) use crate::patterns::Patterns;

pub(crate) mod stats {
    //! Inspect's statistics, now `store::stats`.
    pub(crate) use crate::store::stats::human_ms;
}
