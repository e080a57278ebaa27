//! The query parameters of the read API, checked before any store is
//! touched: each endpoint names the parameters it takes, an unknown or
//! repeated-where-single one is an error naming it, and times, counts and
//! widths are parsed here. Values only ever reach SQL as bound parameters
//! (or, for globs, are matched in memory).

use crate::assets::Registry;
use crate::assets::select::select;
use crate::patterns::Patterns;
use crate::store::Selection;
use crate::time::{Millis, parse_time_arg};

/// A request parameter that is wrong: which, and why.
#[derive(Debug, Clone)]
pub(crate) struct BadParam {
    pub param: String,
    pub message: String,
}

fn bad(param: &str, message: impl Into<String>) -> BadParam {
    BadParam {
        param: param.to_string(),
        message: message.into(),
    }
}

/// The parameters a read takes, parsed.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReadParams {
    pub assets: Vec<String>,
    pub tags: Vec<String>,
    pub from: Option<Millis>,
    pub to: Option<Millis>,
    pub limit: Option<u64>,
    /// A rollup width (`1h`).
    pub every: Option<String>,
    /// Points wanted: the coarsest rollup table that still gives them.
    pub points: Option<u64>,
    /// Alarm rule globs.
    pub rules: Vec<String>,
    /// Alarm severities.
    pub severities: Vec<String>,
    /// The time to tell alarm states at.
    pub at: Option<Millis>,
    /// Asset selection against the registry: `where` clauses (either may
    /// match), `related_to` and its `relation`s.
    pub select: crate::assets::select::Query,
}

impl ReadParams {
    /// Parses `pairs`, taking only the parameters in `allowed`.
    pub(crate) fn parse(pairs: &[(String, String)], allowed: &[&str]) -> Result<Self, BadParam> {
        let mut p = ReadParams::default();
        let mut seen: Vec<&str> = Vec::new();
        for (k, v) in pairs {
            let Some(&key) = allowed.iter().find(|a| **a == k.as_str()) else {
                return Err(bad(
                    k,
                    format!(
                        "unknown parameter {k:?}; this endpoint takes {}",
                        allowed.join(", ")
                    ),
                ));
            };
            let repeatable = matches!(
                key,
                "asset" | "tag" | "rule" | "severity" | "where" | "relation"
            );
            if !repeatable && seen.contains(&key) {
                return Err(bad(key, format!("{key} given more than once")));
            }
            seen.push(key);
            match key {
                "asset" => p.assets.push(v.clone()),
                "tag" => p.tags.push(v.clone()),
                "rule" => p.rules.push(v.clone()),
                "severity" => p.severities.extend(
                    v.split(',')
                        .map(|x| x.trim().to_string())
                        .filter(|x| !x.is_empty()),
                ),
                "where" => p.select.where_.push(v.clone()),
                "related_to" => p.select.related_to = Some(v.clone()),
                "relation" => p.select.relations.push(v.clone()),
                "at" => p.at = Some(time(key, v)?),
                "from" => p.from = Some(time(key, v)?),
                "to" => p.to = Some(time(key, v)?),
                "limit" => p.limit = Some(count(key, v, 0)?),
                "points" => p.points = Some(count(key, v, 1)?),
                "every" => {
                    crate::rollup::buckets::Width::parse(v)
                        .map_err(|e| bad(key, format!("{e:#}")))?;
                    p.every = Some(v.trim().to_string());
                }
                _ => return Err(bad(key, "not handled")),
            }
        }
        if p.every.is_some() && p.points.is_some() {
            return Err(bad("points", "give every or points, not both"));
        }
        if !p.select.relations.is_empty() && p.select.related_to.is_none() {
            return Err(bad("relation", "relation needs related_to"));
        }
        Ok(p)
    }

    /// The alarms wanted: series and rule globs, severities, and the
    /// half-open range `[from, to)` of events.
    pub(crate) fn alarm_filter(
        &self,
        registry: Option<&Registry>,
    ) -> Result<crate::alarms::Filter, BadParam> {
        let sel = self.selection(registry)?;
        Ok(crate::alarms::Filter {
            assets: sel.assets,
            tags: sel.tags,
            rules: Patterns::new("rule", &self.rules).map_err(|e| bad("rule", format!("{e:#}")))?,
            severities: self.severities.clone(),
            from: sel.from,
            to: sel.to,
        })
    }

    /// The series globs and the half-open range `[from, to)`; with
    /// `where` or `related_to`, only the registry's assets they select
    /// (and the `asset` globs match).
    pub(crate) fn selection(&self, registry: Option<&Registry>) -> Result<Selection, BadParam> {
        let sel = Selection {
            assets: self.asset_patterns(registry)?,
            tags: Patterns::new("tag", &self.tags).map_err(|e| bad("tag", format!("{e:#}")))?,
            from: self.from.unwrap_or(i64::MIN),
            to: self.to.unwrap_or(i64::MAX),
        };
        if sel.from >= sel.to {
            return Err(bad("to", "from must be before to"));
        }
        Ok(sel)
    }
}

impl ReadParams {
    fn asset_patterns(&self, registry: Option<&Registry>) -> Result<Patterns, BadParam> {
        let own =
            Patterns::new("asset", &self.assets).map_err(|e| bad("asset", format!("{e:#}")))?;
        if self.select.is_empty() {
            return Ok(own);
        }
        let param = if self.select.where_.is_empty() {
            "related_to"
        } else {
            "where"
        };
        let Some(reg) = registry else {
            return Err(bad(
                param,
                "no asset registry is served: start serve with --assets FILE or a --preset",
            ));
        };
        let chosen = select(reg, &self.select).map_err(|e| bad(param, format!("{e:#}")))?;
        let mut globs = chosen.globs_where(|n| own.matches(n));
        if globs.is_empty() {
            // A glob no asset id has: nothing is selected.
            globs.push("\u{0}none\u{0}".to_string());
        }
        Patterns::new("asset", &globs).map_err(|e| bad(param, format!("{e:#}")))
    }
}

fn time(key: &str, v: &str) -> Result<Millis, BadParam> {
    parse_time_arg(v).map_err(|e| {
        bad(
            key,
            format!("{v:?} is not a time (RFC 3339, a date, or epoch ms): {e:#}"),
        )
    })
}

fn count(key: &str, v: &str, min: u64) -> Result<u64, BadParam> {
    match v.trim().parse::<u64>() {
        Ok(n) if n >= min => Ok(n),
        Ok(_) => Err(bad(key, format!("{key} must be at least {min}"))),
        Err(_) => Err(bad(key, format!("{v:?} is not a whole number"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn unknown_parameter_is_named() {
        let e = ReadParams::parse(&pairs(&[("tags", "x")]), &["asset", "tag"]).unwrap_err();
        assert_eq!(e.param, "tags");
        assert!(e.message.contains("asset, tag"), "{}", e.message);
    }

    #[test]
    fn times_counts_and_repeats() {
        let p = ReadParams::parse(
            &pairs(&[
                ("asset", "A"),
                ("asset", "B"),
                ("from", "2026-01-01T00:00:01Z"),
                ("limit", "5"),
            ]),
            &["asset", "from", "limit"],
        )
        .unwrap();
        assert_eq!(p.assets, ["A", "B"]);
        assert_eq!(p.from, Some(1_767_225_601_000));
        assert_eq!(p.limit, Some(5));
        let e = ReadParams::parse(&pairs(&[("limit", "1"), ("limit", "2")]), &["limit"]);
        assert_eq!(e.unwrap_err().param, "limit");
        let e = ReadParams::parse(&pairs(&[("limit", "-1")]), &["limit"]);
        assert_eq!(e.unwrap_err().param, "limit");
        let e = ReadParams::parse(&pairs(&[("from", "yesterday")]), &["from"]);
        assert_eq!(e.unwrap_err().param, "from");
    }

    #[test]
    fn empty_range_is_refused() {
        let p = ReadParams::parse(
            &pairs(&[("from", "2026-01-02"), ("to", "2026-01-01")]),
            &["from", "to"],
        )
        .unwrap();
        assert_eq!(p.selection(None).unwrap_err().param, "to");
    }
}
