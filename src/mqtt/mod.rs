//! MQTT topics and payloads for `iiot mqtt-pub` and `iiot mqtt-sub`: a
//! topic template such as `plant/{asset}/{tag}` turns a reading's asset
//! and tag into a topic and back, and a payload is either a whole record
//! (NDJSON, one object) or a bare value.
//!
//! `{asset}` and `{tag}` each fill one whole topic level. Characters MQTT
//! gives a meaning in topics are escaped inside them, so every asset and
//! tag goes there and back unchanged: `/` as `%2F` (an asset such as
//! `LINE-A/M-03`), `+` as `%2B`, `#` as `%23`, and `%` itself as `%25`.

use anyhow::{Result, bail};

use crate::record::{ParseError, Quality, Reading, RecordParser};
use crate::time::Millis;

/// One level of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Level {
    Lit(String),
    Asset,
    Tag,
}

/// A topic template.
#[derive(Debug, Clone)]
pub struct Template {
    levels: Vec<Level>,
}

impl Template {
    /// Reads `plant/{asset}/{tag}`: `{asset}` and `{tag}` once each, each
    /// a whole level; no wildcards.
    pub fn parse(s: &str) -> Result<Template> {
        let mut levels = Vec::new();
        for part in s.split('/') {
            levels.push(match part {
                "{asset}" => Level::Asset,
                "{tag}" => Level::Tag,
                p if p.contains('{') || p.contains('}') => bail!(
                    "topic template {s:?}: {{asset}} and {{tag}} must each be a whole level (plant/{{asset}}/{{tag}})"
                ),
                p if p.contains('+') || p.contains('#') => {
                    bail!("topic template {s:?}: no wildcards (+, #) in a template")
                }
                p => Level::Lit(p.to_string()),
            });
        }
        for (want, name) in [(Level::Asset, "{asset}"), (Level::Tag, "{tag}")] {
            let n = levels.iter().filter(|l| **l == want).count();
            if n != 1 {
                bail!("topic template {s:?}: needs {name} exactly once");
            }
        }
        Ok(Template { levels })
    }

    /// The topic of a series.
    pub fn topic(&self, asset: &str, tag: &str, out: &mut String) {
        out.clear();
        for (i, l) in self.levels.iter().enumerate() {
            if i > 0 {
                out.push('/');
            }
            match l {
                Level::Lit(s) => out.push_str(s),
                Level::Asset => escape(asset, out),
                Level::Tag => escape(tag, out),
            }
        }
    }

    /// The subscription filter matching every topic of the template.
    pub fn filter(&self) -> String {
        let parts: Vec<&str> = self
            .levels
            .iter()
            .map(|l| match l {
                Level::Lit(s) => s.as_str(),
                _ => "+",
            })
            .collect();
        parts.join("/")
    }

    /// The asset and tag of a topic of the template.
    pub fn series(&self, topic: &str) -> Option<(String, String)> {
        let parts: Vec<&str> = topic.split('/').collect();
        if parts.len() != self.levels.len() {
            return None;
        }
        let (mut asset, mut tag) = (None, None);
        for (l, p) in self.levels.iter().zip(parts) {
            match l {
                Level::Lit(s) if s == p => {}
                Level::Lit(_) => return None,
                Level::Asset => asset = Some(unescape(p)?),
                Level::Tag => tag = Some(unescape(p)?),
            }
        }
        let (asset, tag) = (asset?, tag?);
        (!asset.is_empty() && !tag.is_empty()).then_some((asset, tag))
    }
}

fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '/' => out.push_str("%2F"),
            '+' => out.push_str("%2B"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
}

fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 3)?;
        out.push(match code {
            "25" => '%',
            "2F" | "2f" => '/',
            "2B" | "2b" => '+',
            "23" => '#',
            _ => return None,
        });
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Some(out)
}

/// Reads a message into `out`: a payload opening with `{` is a record
/// (its own asset and tag win over the topic's); anything else must be a
/// bare finite number, whose asset and tag come from the topic by the
/// template and whose time is `now` (when it was received). The error
/// says what is wrong; the caller names the topic.
pub fn reading_from_message(
    parser: &mut RecordParser,
    template: &Template,
    topic: &str,
    payload: &[u8],
    now: Millis,
    out: &mut Reading,
) -> Result<(), ParseError> {
    let trimmed = payload.trim_ascii();
    if trimmed.first() == Some(&b'{') {
        return parser.parse(trimmed, out);
    }
    let bad = |message: String| ParseError {
        field: Some("value"),
        message,
    };
    let text = std::str::from_utf8(trimmed)
        .map_err(|_| bad("a payload that is neither a record nor a number (not UTF-8)".into()))?;
    let value: f64 = text
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| {
            bad(format!(
                "{:?} is neither a record ({{…}}) nor a finite number",
                shorten(text, 60)
            ))
        })?;
    let Some((asset, tag)) = template.series(topic) else {
        return Err(ParseError {
            field: None,
            message: "a bare value on a topic that does not match the template: its asset and tag are unknown".into(),
        });
    };
    out.clear();
    out.ts = now;
    out.asset.push_str(&asset);
    out.tag.push_str(&tag);
    out.value = value;
    out.quality = Quality::Good;
    Ok(())
}

fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// `host:port` (port 1883 when left out).
pub fn broker(s: &str) -> Result<(String, u16)> {
    match s.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() => match p.parse::<u16>() {
            Ok(port) if port > 0 => Ok((h.trim_matches(['[', ']']).to_string(), port)),
            _ => bail!("--broker {s}: the port must be a number from 1 to 65535"),
        },
        _ if !s.is_empty() && !s.contains(':') => Ok((s.to_string(), 1883)),
        _ => bail!("--broker {s}: give HOST:PORT, such as 127.0.0.1:1883"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_template_makes_topics_and_filters() {
        let t = Template::parse("plant/{asset}/{tag}").unwrap();
        let mut topic = String::new();
        t.topic("WH-01", "tubing_pressure", &mut topic);
        assert_eq!(topic, "plant/WH-01/tubing_pressure");
        assert_eq!(t.filter(), "plant/+/+");
        assert_eq!(
            t.series("plant/WH-01/tubing_pressure"),
            Some(("WH-01".into(), "tubing_pressure".into()))
        );
        assert_eq!(t.series("other/WH-01/x"), None);
        assert_eq!(t.series("plant/WH-01"), None);
    }

    #[test]
    fn bad_templates_are_refused() {
        for s in [
            "plant/{asset}",
            "plant/{asset}-x/{tag}",
            "plant/+/{asset}/{tag}",
            "{asset}/{asset}/{tag}",
        ] {
            assert!(Template::parse(s).is_err(), "{s}");
        }
    }

    proptest! {
        #[test]
        fn every_asset_and_tag_goes_there_and_back(asset in "[^\\x00]{1,12}", tag in "[^\\x00]{1,12}") {
            let t = Template::parse("site/{tag}/x/{asset}").unwrap();
            let mut topic = String::new();
            t.topic(&asset, &tag, &mut topic);
            prop_assert_eq!(topic.split('/').count(), 4);
            prop_assert!(!topic.contains('+') && !topic.contains('#'));
            prop_assert_eq!(t.series(&topic), Some((asset, tag)));
        }
    }
}
