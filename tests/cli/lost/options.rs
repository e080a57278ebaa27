//! Regression tests: options.
