//! Regression tests: stats.
