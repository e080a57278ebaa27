//! Regression tests: time.
