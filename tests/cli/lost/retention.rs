//! Regression tests: retention.
