//! `--kpi health`: a machine's health score per bucket, from the OEE
//! engine's buckets.
//!
//! health = (w_oee × oee + w_scrap × (1 − scrap_rate) + w_errors × (1 −
//! error_rate)) / (w_oee + w_scrap + w_errors), between 0 and 1, where
//! `scrap_rate` is all scrap over parts produced and `error_rate` the share
//! of planned time spent in ERROR. The record carries each term's share of
//! the score (`health_oee`, `health_scrap`, `health_errors`, which add up
//! to `health`), the three inputs and the weights.

use super::kpi::{ERROR, KpiBucket, MAINTENANCE, RUNNING};
use crate::record::{write_json_str, write_number};

/// The weights of the three terms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    pub oee: f64,
    pub scrap: f64,
    pub errors: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            oee: 0.5,
            scrap: 0.25,
            errors: 0.25,
        }
    }
}

/// The inputs of a bucket's score; `None` where they cannot be computed
/// (no planned time, no ideal rate or no production).
fn inputs(b: &KpiBucket) -> (Option<f64>, Option<f64>, Option<f64>) {
    let planned = b.state_ms.iter().sum::<i64>() - b.state_ms[MAINTENANCE];
    let running = b.state_ms[RUNNING];
    let scrap: f64 = b.scrap.iter().sum();
    let good = (b.produced - scrap).max(0.0);
    let availability = (planned > 0).then(|| running as f64 / planned as f64);
    let performance = (b.ideal > 0.0).then(|| b.produced / b.ideal);
    let quality = (b.produced > 0.0).then(|| good / b.produced);
    let oee = match (availability, performance, quality) {
        (Some(a), Some(p), Some(q)) => Some(a * p * q),
        (Some(a), p, _) if a == 0.0 || p == Some(0.0) => Some(0.0),
        _ => None,
    };
    let scrap_rate = (b.produced > 0.0).then(|| (scrap / b.produced).min(1.0));
    let error_rate = (planned > 0).then(|| b.state_ms[ERROR] as f64 / planned as f64);
    (oee, scrap_rate, error_rate)
}

/// The extra fields of a health record and its score (`None`: an input
/// could not be computed; the record then has the inputs that could).
pub fn encode(b: &KpiBucket, w: &Weights, every: &str, x: &mut Vec<u8>) -> Option<f64> {
    let (oee, scrap_rate, error_rate) = inputs(b);
    let total = w.oee + w.scrap + w.errors;
    let parts = match (oee, scrap_rate, error_rate) {
        (Some(o), Some(s), Some(e)) if total > 0.0 => Some((
            w.oee * o / total,
            w.scrap * (1.0 - s) / total,
            w.errors * (1.0 - e) / total,
        )),
        _ => None,
    };
    x.clear();
    x.extend_from_slice(b"\"every\":");
    write_json_str(every, x);
    x.extend_from_slice(b",\"kpi\":\"health\"");
    let field = |x: &mut Vec<u8>, k: &str, v: Option<f64>| {
        if let Some(v) = v {
            x.extend_from_slice(b",\"");
            x.extend_from_slice(k.as_bytes());
            x.extend_from_slice(b"\":");
            write_number(v, x);
        }
    };
    let health = parts.map(|(a, b, c)| a + b + c);
    field(x, "health", health);
    field(x, "health_oee", parts.map(|p| p.0));
    field(x, "health_scrap", parts.map(|p| p.1));
    field(x, "health_errors", parts.map(|p| p.2));
    field(x, "oee", oee);
    field(x, "scrap_rate", scrap_rate);
    field(x, "error_rate", error_rate);
    field(x, "weight_oee", Some(w.oee));
    field(x, "weight_scrap", Some(w.scrap));
    field(x, "weight_errors", Some(w.errors));
    health
}
