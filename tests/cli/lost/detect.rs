//! Regression tests: detect.
