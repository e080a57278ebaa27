//! Regression tests: fuzz.
