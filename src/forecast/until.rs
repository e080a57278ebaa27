//! Time to a limit: when a forecast, and each bound of its interval, first
//! crosses a limit (`--until 'value < 25'`, `--until hi_hi`).

use anyhow::{Result, bail};

use crate::time::Millis;

/// A condition on the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// `true`: value > limit (or >=); `false`: value < limit (or <=).
    pub above: bool,
    pub inclusive: bool,
    pub limit: f64,
}

impl Condition {
    pub fn holds(&self, v: f64) -> bool {
        match (self.above, self.inclusive) {
            (true, false) => v > self.limit,
            (true, true) => v >= self.limit,
            (false, false) => v < self.limit,
            (false, true) => v <= self.limit,
        }
    }

    /// `value < 25`, `value >= 80.5`.
    pub fn parse(s: &str) -> Result<Condition> {
        let rest = s.trim();
        let Some(rest) = rest.strip_prefix("value") else {
            bail!(
                "{s:?}: write `value < 25`, `value >= 80` or a limit of the model (hi_hi, hi, lo, lo_lo)"
            );
        };
        let rest = rest.trim_start();
        let (above, inclusive, num) = if let Some(r) = rest.strip_prefix(">=") {
            (true, true, r)
        } else if let Some(r) = rest.strip_prefix("<=") {
            (false, true, r)
        } else if let Some(r) = rest.strip_prefix('>') {
            (true, false, r)
        } else if let Some(r) = rest.strip_prefix('<') {
            (false, false, r)
        } else {
            bail!("{s:?}: the comparison must be <, <=, > or >=");
        };
        let limit: f64 = num
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("{s:?}: {:?} is not a number", num.trim()))?;
        if !limit.is_finite() {
            bail!("{s:?}: the limit must be a finite number");
        }
        Ok(Condition {
            above,
            inclusive,
            limit,
        })
    }
}

/// When a path of values (one per step after the origin) first meets the
/// condition, in milliseconds after the origin, interpolated between the
/// step before (or the last observed value) and the step it first holds at.
pub fn first_crossing(cond: &Condition, last: f64, path: &[f64], every: Millis) -> Option<Millis> {
    if cond.holds(last) {
        return Some(0);
    }
    let mut prev = last;
    for (i, &v) in path.iter().enumerate() {
        if cond.holds(v) {
            let f = if (v - prev).abs() > 0.0 {
                ((cond.limit - prev) / (v - prev)).clamp(0.0, 1.0)
            } else {
                1.0
            };
            return Some(((i as f64 + f) * every as f64).round() as Millis);
        }
        prev = v;
    }
    None
}

/// Says a span the way a person reads it: `6 h 20 m`, `2 d 3 h`, `45 s`.
pub fn human(ms: Millis) -> String {
    let s = ms / 1000;
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {m} m")
    } else if m > 0 {
        format!("{m} m")
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_conditions() {
        let c = Condition::parse("value < 25").unwrap();
        assert!(!c.above && !c.inclusive && c.limit == 25.0);
        assert!(Condition::parse("value>=1e3").unwrap().holds(1000.0));
        assert!(Condition::parse("level < 3").is_err());
        assert!(Condition::parse("value = 3").is_err());
        assert!(Condition::parse("value < x").is_err());
    }

    #[test]
    fn interpolates_the_crossing() {
        let c = Condition::parse("value < 25").unwrap();
        let path = [29.0, 27.0, 25.5, 24.5, 23.0];
        // Crosses halfway between step 3 (index 2) and step 4 (index 3).
        assert_eq!(
            first_crossing(&c, 30.0, &path, 3_600_000),
            Some(3 * 3_600_000 + 1_800_000)
        );
        assert_eq!(first_crossing(&c, 30.0, &path[..3], 3_600_000), None);
        assert_eq!(human(6 * 3_600_000 + 20 * 60_000), "6 h 20 m");
    }
}
