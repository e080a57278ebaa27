//! Regression tests: store.
