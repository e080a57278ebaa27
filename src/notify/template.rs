//! `{field}` templates: a notification's fields put into a JSON body, a
//! form body or a plain-text mail, each escaped for where it lands. `{{`
//! and `}}` are literal braces; an unknown `{name}` is left as written.
//!
//! Fields: id, route, channel, group, status, ts, count, summary, alarms
//! (one text line per alarm), alarms_json (the alarms as a JSON array,
//! inserted raw in a JSON template), and the first alarm's asset, tag,
//! rule, severity, value, unit, limit.

use super::Notification;
use crate::time::TsFormatter;

/// How substituted values are escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Inside a JSON string: quotes, backslashes, control characters.
    Json,
    /// A form value: percent-encoded.
    Form,
    /// As they are.
    Text,
}

fn field(n: &Notification, name: &str) -> Option<String> {
    let first = n.alarms.first();
    let f = |g: fn(&super::AlarmLine) -> String| first.map(g).unwrap_or_default();
    Some(match name {
        "id" => n.id.clone(),
        "route" => n.route.clone(),
        "channel" => n.channel.clone(),
        "group" => n.group.clone(),
        "status" => n.status.clone(),
        "ts" => TsFormatter::format(n.ts),
        "count" => n.alarms.len().to_string(),
        "summary" => n.summary(),
        "alarms" => n.alarm_lines(),
        "alarms_json" => serde_json::to_string(&n.alarms).unwrap_or_default(),
        "asset" => f(|a| a.asset.clone()),
        "tag" => f(|a| a.tag.clone()),
        "rule" => f(|a| a.rule.clone()),
        "severity" => f(|a| a.severity.clone().unwrap_or_default()),
        "value" => f(|a| a.value.to_string()),
        "unit" => f(|a| a.unit.clone()),
        "limit" => f(|a| a.limit.map(|l| l.to_string()).unwrap_or_default()),
        _ => return None,
    })
}

/// Renders `template` for `n`.
pub fn render(template: &str, n: &Notification, esc: Escape) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let r = &rest[i..];
        if r.starts_with("{{") || r.starts_with("}}") {
            out.push_str(&r[..1]);
            rest = &r[2..];
            continue;
        }
        if r.starts_with('{')
            && let Some(end) = r.find('}')
            && let name = &r[1..end]
            && let Some(v) = field(n, name)
        {
            if name == "alarms_json" && esc == Escape::Json {
                out.push_str(&v);
            } else {
                escape(&v, esc, &mut out);
            }
            rest = &r[end + 1..];
            continue;
        }
        out.push_str(&r[..1]);
        rest = &r[1..];
    }
    out.push_str(rest);
    out
}

fn escape(v: &str, esc: Escape, out: &mut String) {
    match esc {
        Escape::Text => out.push_str(v),
        Escape::Json => {
            let q = serde_json::to_string(v).unwrap_or_default();
            out.push_str(&q[1..q.len() - 1]);
        }
        Escape::Form => {
            for b in v.bytes() {
                match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        out.push(b as char)
                    }
                    b' ' => out.push('+'),
                    _ => {
                        use std::fmt::Write;
                        let _ = write!(out, "%{b:02X}");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::AlarmLine;

    fn n() -> Notification {
        Notification {
            id: "r/@0#1".into(),
            route: "r".into(),
            channel: "c".into(),
            group: String::new(),
            ts: 0,
            status: "firing".into(),
            repeat: false,
            alarms: vec![AlarmLine {
                asset: "A \"1\"".into(),
                tag: "t&x".into(),
                rule: "hi".into(),
                kind: None,
                severity: Some("high".into()),
                state: "raised".into(),
                since: 0,
                cleared: None,
                value: 46.5,
                limit: Some(45.0),
                unit: String::new(),
            }],
            held_back: None,
        }
    }

    #[test]
    fn values_are_escaped_for_where_they_land() {
        let n = n();
        let j = render(
            r#"{"text":"{asset} {{x}} {nope}","a":{alarms_json}}"#,
            &n,
            Escape::Json,
        );
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v["text"], "A \"1\" {x} {nope}");
        assert_eq!(v["a"][0]["tag"], "t&x");
        assert_eq!(
            render("to=1&msg={tag}+{value}", &n, Escape::Form),
            "to=1&msg=t%26x+46.5"
        );
        assert_eq!(render("{severity}/{limit}", &n, Escape::Text), "high/45");
    }
}
