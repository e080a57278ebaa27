//! Regression tests: lake.
