//! Notifications of alarms, behind `iiot notify`: which channels an alarm
//! goes to ([`config`]: routes and channels from a TOML file), how alarms
//! raised close together become one notification and how often a
//! still-active one is repeated ([`engine`]: Alertmanager's grouping on the
//! events' own time), how a notification is rendered and sent with retries
//! ([`deliver`]), and the outbox that lets a restart lose nothing
//! ([`outbox`]).

pub mod config;
pub mod deliver;
pub mod engine;
pub mod outbox;
pub mod template;

use serde::{Deserialize, Serialize};

use crate::time::Millis;

/// One alarm's line in a notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmLine {
    pub asset: String,
    pub tag: String,
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// `raised` (new since the last notification), `active` (still
    /// raised, told before), `cleared`, `acked`, or `predicted` (a
    /// forecast's crossing, `forecast --until --events`: no measured alarm).
    pub state: String,
    /// When the alarm was raised (epoch ms).
    pub since: Millis,
    /// When it cleared, for a cleared one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleared: Option<Millis>,
    pub value: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<f64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
}

/// One notification to one channel: what a template renders, what the
/// outbox and the dead-letter file keep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Unique and the same on every replay of the same input:
    /// `route/group@ts#n`.
    pub id: String,
    pub route: String,
    pub channel: String,
    /// The group's key (the values of the route's `group_by`), empty when
    /// the route keeps one group.
    #[serde(default)]
    pub group: String,
    /// The event time at which the notification was made (epoch ms).
    pub ts: Millis,
    /// `firing` while any alarm of it is active, else `resolved`;
    /// `predicted` when it tells predicted alarms only; `summary` for the
    /// surplus held back by `max_per_hour`.
    pub status: String,
    /// Whether it repeats alarms already told (`repeat_interval`).
    #[serde(default)]
    pub repeat: bool,
    pub alarms: Vec<AlarmLine>,
    /// For a summary: the notifications and alarms held back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_back: Option<HeldBack>,
}

/// What `max_per_hour` held back on a channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldBack {
    pub notifications: u64,
    pub alarms: u64,
    pub from: Millis,
    pub to: Millis,
}

impl Notification {
    /// A one-line human summary: "2 raised, 1 cleared on FERM-1, FERM-2".
    pub fn summary(&self) -> String {
        if let Some(h) = &self.held_back {
            return format!(
                "{} notifications ({} alarms) held back by max_per_hour between {} and {}",
                h.notifications,
                h.alarms,
                crate::time::TsFormatter::format(h.from),
                crate::time::TsFormatter::format(h.to)
            );
        }
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for a in &self.alarms {
            match counts.iter_mut().find(|(s, _)| *s == a.state) {
                Some((_, n)) => *n += 1,
                None => counts.push((&a.state, 1)),
            }
        }
        let parts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
        let mut assets: Vec<&str> = self.alarms.iter().map(|a| a.asset.as_str()).collect();
        assets.sort_unstable();
        assets.dedup();
        let more = if assets.len() > 5 {
            format!(" and {} more", assets.len() - 5)
        } else {
            String::new()
        };
        assets.truncate(5);
        format!(
            "{}{}: {} on {}{}",
            if self.repeat { "still " } else { "" },
            self.status,
            parts.join(", "),
            assets.join(", "),
            more
        )
    }

    /// One text line per alarm, for plain-text bodies.
    pub fn alarm_lines(&self) -> String {
        let mut s = String::new();
        for a in &self.alarms {
            use std::fmt::Write;
            let _ = write!(
                s,
                "{} {} {}/{} {}",
                crate::time::TsFormatter::format(a.cleared.unwrap_or(a.since)),
                a.state,
                a.asset,
                a.tag,
                a.rule
            );
            if let Some(sev) = &a.severity {
                let _ = write!(s, " ({sev})");
            }
            let _ = write!(s, " value {}", a.value);
            if !a.unit.is_empty() {
                let _ = write!(s, " {}", a.unit);
            }
            if let Some(l) = a.limit {
                let _ = write!(s, " limit {l}");
            }
            s.push('\n');
        }
        s
    }
}
