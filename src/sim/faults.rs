//! Fault injection: the sensor failures `--faults` plants in a clean
//! signal, each an episode that starts at random and may span readings.
//!
//! A RATE is the chance per reading that an episode of that kind begins on
//! a series that has none under way. Lengths, in readings: a spike is one,
//! drift 300–3000 (the offset grows linearly to 4–8 noise widths), stuck
//! 30–300 (the last value repeats exactly), dropout 10–120 (nothing is
//! written; the first reading after the gap carries the `dropout` label).

use std::fmt;

use anyhow::{Context, Result, bail};

use super::random::Dice;

/// The kinds of fault, as written into `fault` by `--label`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    Spike,
    Drift,
    Stuck,
    Dropout,
}

impl FaultKind {
    pub const ALL: [FaultKind; 4] = [
        FaultKind::Spike,
        FaultKind::Drift,
        FaultKind::Stuck,
        FaultKind::Dropout,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Spike => "spike",
            FaultKind::Drift => "drift",
            FaultKind::Stuck => "stuck",
            FaultKind::Dropout => "dropout",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Per-reading chance that each kind of fault begins.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FaultRates {
    pub spike: f64,
    pub drift: f64,
    pub stuck: f64,
    pub dropout: f64,
}

impl FaultRates {
    /// Parses `spike=0.001,stuck=0.0005`.
    pub fn parse(spec: &str) -> Result<FaultRates> {
        let mut rates = FaultRates::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, rate) = part
                .split_once('=')
                .with_context(|| format!("{part:?} is not KIND=RATE (spike=0.001)"))?;
            let rate: f64 = rate
                .trim()
                .parse()
                .ok()
                .filter(|r: &f64| (0.0..=1.0).contains(r))
                .with_context(|| format!("{part:?}: the rate must be a number from 0 to 1"))?;
            let slot = match name.trim() {
                "spike" => &mut rates.spike,
                "drift" => &mut rates.drift,
                "stuck" => &mut rates.stuck,
                "dropout" => &mut rates.dropout,
                other => {
                    bail!("unknown fault {other:?}; the faults are spike, drift, stuck, dropout")
                }
            };
            *slot = rate;
        }
        if rates.total() > 1.0 {
            bail!("the fault rates add up to more than 1");
        }
        Ok(rates)
    }

    pub fn total(&self) -> f64 {
        self.spike + self.drift + self.stuck + self.dropout
    }
}

/// A fault under way on one series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Episode {
    None,
    Drift {
        left: u32,
        step: f64,
        offset: f64,
    },
    Stuck {
        left: u32,
        value: f64,
    },
    Dropout {
        left: u32,
    },
    /// The gap has ended; the next reading carries the label.
    AfterDropout,
}

impl Episode {
    /// Applies the fault under way, or perhaps starts one, to a clean
    /// value. `scale` is the size of a noise width; `last` the value last
    /// written. Returns (value, label, whether a reading is written).
    pub(super) fn apply(
        &mut self,
        rng: &mut Dice,
        rates: &FaultRates,
        clean: f64,
        last: f64,
        scale: f64,
    ) -> (f64, Option<FaultKind>, bool) {
        match self {
            Episode::None => self.start(rng, rates, clean, last, scale),
            Episode::Drift { left, step, offset } => {
                *offset += *step;
                let value = clean + *offset;
                *left -= 1;
                if *left == 0 {
                    *self = Episode::None;
                }
                (value, Some(FaultKind::Drift), true)
            }
            Episode::Stuck { left, value } => {
                let v = *value;
                *left -= 1;
                if *left == 0 {
                    *self = Episode::None;
                }
                (v, Some(FaultKind::Stuck), true)
            }
            Episode::Dropout { left } => {
                *left -= 1;
                if *left == 0 {
                    *self = Episode::AfterDropout;
                }
                (clean, Some(FaultKind::Dropout), false)
            }
            Episode::AfterDropout => {
                *self = Episode::None;
                (clean, Some(FaultKind::Dropout), true)
            }
        }
    }

    fn start(
        &mut self,
        rng: &mut Dice,
        rates: &FaultRates,
        clean: f64,
        last: f64,
        scale: f64,
    ) -> (f64, Option<FaultKind>, bool) {
        if rates.total() == 0.0 {
            return (clean, None, true);
        }
        let u = rng.uniform();
        let sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
        let mut edge = rates.spike;
        if u < edge {
            let size = rng.between(6.0, 10.0) * scale;
            return (clean + sign * size, Some(FaultKind::Spike), true);
        }
        edge += rates.drift;
        if u < edge {
            let len = rng.int_between(300, 3000) as u32;
            let step = sign * rng.between(4.0, 8.0) * scale / f64::from(len);
            *self = Episode::Drift {
                left: len - 1,
                step,
                offset: step,
            };
            return (clean + step, Some(FaultKind::Drift), true);
        }
        edge += rates.stuck;
        if u < edge && last.is_finite() {
            let len = rng.int_between(30, 300) as u32;
            *self = Episode::Stuck {
                left: len - 1,
                value: last,
            };
            return (last, Some(FaultKind::Stuck), true);
        }
        edge += rates.dropout;
        if u < edge {
            let len = rng.int_between(10, 120) as u32;
            *self = Episode::Dropout { left: len - 1 };
            return (clean, Some(FaultKind::Dropout), false);
        }
        (clean, None, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rates() {
        let r = FaultRates::parse("spike=0.001, stuck=0.0005").unwrap();
        assert_eq!(r.spike, 0.001);
        assert_eq!(r.stuck, 0.0005);
        assert!(FaultRates::parse("spikes=0.1").is_err());
        assert!(FaultRates::parse("spike=2").is_err());
        assert!(FaultRates::parse("spike").is_err());
    }
}
