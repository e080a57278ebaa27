//! Routing and grouping, as Prometheus Alertmanager does them, on the
//! events' own time.
//!
//! An alarm event is routed (routes in order, the first that matches
//! unless it says `continue`; else the default route; else it is counted
//! unrouted) into a group: the route plus the values of its `group_by`.
//! A group's first change waits `group_wait` so alarms raised close
//! together go out as one notification; later changes wait until
//! `group_interval` after the group's last flush. A flush sends, to each of
//! the route's channels, the alarms raised since the last notification,
//! those cleared (with `send_resolved`) and the ones still active; with no
//! change, still-active alarms that nobody acknowledged are sent again
//! every `repeat_interval`. `max_per_hour` holds back a channel's surplus
//! in each hour (from its first notification) and sends one summary of it
//! when the hour is over.
//!
//! Every time is an event's `ts`: the same input gives the same
//! notifications, live or replayed. The whole state serialises, for the
//! outbox of `notify --state`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::config::Config;
use super::{AlarmLine, HeldBack, Notification};
use crate::time::Millis;

const HOUR: Millis = 3_600_000;

/// What happens to an alarm, as the engine needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Raised,
    Cleared,
    Acked,
    /// A forecast says the alarm's condition will begin: told once, as
    /// `predicted`, in the group's next notification; it is never active,
    /// so it is not repeated and does not make a notification `firing`.
    Predicted,
}

/// One event, as the engine needs it.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub ts: Millis,
    pub change: Change,
    pub asset: &'a str,
    pub tag: &'a str,
    pub rule: &'a str,
    pub kind: Option<&'a str>,
    pub severity: Option<&'a str>,
    pub value: f64,
    pub limit: Option<f64>,
    pub unit: &'a str,
}

/// What the engine decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    /// To be delivered.
    Send(Notification),
    /// Held back by the channel's `max_per_hour` (counted in its summary).
    Held(Notification),
    /// No route took this alarm.
    Unrouted { ts: Millis, alarm: Box<AlarmLine> },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Tracked {
    line: AlarmLine,
    active: bool,
    acked: bool,
    /// A notification told of it being raised.
    told: bool,
    /// A predicted alarm (told once as `predicted`).
    #[serde(default)]
    predicted: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Group {
    route: usize,
    /// Whether the route is the default one (`route` is then unused).
    default: bool,
    key: String,
    alarms: BTreeMap<String, Tracked>,
    /// Episodes that cleared and were raised again before a notification
    /// told of their clearing: told in the next one.
    #[serde(default)]
    earlier: Vec<AlarmLine>,
    next: Option<Millis>,
    last_flush: Option<Millis>,
    last_notify: Option<Millis>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Rate {
    start: Millis,
    sent: u64,
    held: HeldBack,
}

/// An email channel's notifications gathered for one digest.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Digest {
    start: Millis,
    items: Vec<Notification>,
}

/// The engine's state: what `--state` keeps.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    groups: BTreeMap<String, Group>,
    rates: BTreeMap<String, Rate>,
    #[serde(default)]
    digests: BTreeMap<String, Digest>,
    seq: u64,
    /// The latest event time seen.
    pub now: Millis,
    pub unrouted: u64,
    pub held: u64,
}

/// Asks whether an alarm's current occurrence (raised at `line.since`)
/// was acknowledged by event time `at` somewhere else (`notify --store`).
pub type AckCheck<'c> = Box<dyn FnMut(&AlarmLine, Millis) -> bool + 'c>;

pub struct Engine<'c> {
    cfg: &'c Config,
    pub state: State,
    /// (next flush, group key), kept with the groups.
    due: BTreeSet<(Millis, String)>,
    ack_check: Option<AckCheck<'c>>,
}

fn alarm_key(asset: &str, tag: &str, rule: &str) -> String {
    format!("{asset}\u{1f}{tag}\u{1f}{rule}")
}

impl<'c> Engine<'c> {
    pub fn new(cfg: &'c Config, state: State) -> Engine<'c> {
        let due = state
            .groups
            .iter()
            .filter_map(|(k, g)| g.next.map(|t| (t, k.clone())))
            .collect();
        Engine {
            cfg,
            state,
            due,
            ack_check: None,
        }
    }

    /// Consults `check` before each repeat: an alarm it says was
    /// acknowledged is not repeated.
    pub fn with_ack_check(mut self, check: AckCheck<'c>) -> Engine<'c> {
        self.ack_check = Some(check);
        self
    }

    fn route(&self, g: &Group) -> &'c super::config::Route {
        if g.default {
            self.cfg
                .default
                .as_ref()
                .expect("a default group has a default route")
        } else {
            &self.cfg.routes[g.route]
        }
    }

    /// Takes one event; notifications due before it are made first.
    pub fn event(&mut self, ev: &Event<'_>, out: &mut Vec<Out>) {
        let ts = ev.ts.max(self.state.now);
        self.advance(ts, out);
        let line = AlarmLine {
            asset: ev.asset.to_string(),
            tag: ev.tag.to_string(),
            rule: ev.rule.to_string(),
            kind: ev.kind.map(str::to_string),
            severity: ev.severity.map(str::to_string),
            state: "raised".into(),
            since: ev.ts,
            cleared: None,
            value: ev.value,
            limit: ev.limit,
            unit: ev.unit.to_string(),
        };
        let mut routes: Vec<(usize, bool)> = Vec::new();
        for (i, r) in self.cfg.routes.iter().enumerate() {
            if r.matcher.matches(ev.asset, ev.tag, ev.rule, ev.severity) {
                routes.push((i, false));
                if !r.cont {
                    break;
                }
            }
        }
        if routes.is_empty() {
            match &self.cfg.default {
                Some(_) => routes.push((0, true)),
                None => {
                    if ev.change == Change::Raised {
                        self.state.unrouted += 1;
                        out.push(Out::Unrouted {
                            ts: ev.ts,
                            alarm: Box::new(line),
                        });
                    }
                    return;
                }
            }
        }
        let akey = alarm_key(ev.asset, ev.tag, ev.rule);
        for (ri, default) in routes {
            let route = if default {
                self.cfg.default.as_ref().expect("checked above")
            } else {
                &self.cfg.routes[ri]
            };
            let gval: Vec<&str> = route
                .group_by
                .iter()
                .map(|f| match f.as_str() {
                    "asset" => ev.asset,
                    "tag" => ev.tag,
                    "rule" => ev.rule,
                    _ => ev.severity.unwrap_or(""),
                })
                .collect();
            let group_key = gval.join(",");
            let gkey = format!("{}\u{1f}{}", route.name, group_key);
            let g = self
                .state
                .groups
                .entry(gkey.clone())
                .or_insert_with(|| Group {
                    route: ri,
                    default,
                    key: group_key,
                    alarms: BTreeMap::new(),
                    earlier: Vec::new(),
                    next: None,
                    last_flush: None,
                    last_notify: None,
                });
            let changed = match ev.change {
                Change::Raised => match g.alarms.get_mut(&akey) {
                    Some(t) if t.active => false,
                    old => {
                        if let Some(t) = old
                            && (!t.told || route.timing.send_resolved)
                        {
                            let mut l = t.line.clone();
                            l.state = "cleared".into();
                            g.earlier.push(l);
                        }
                        g.alarms.insert(
                            akey.clone(),
                            Tracked {
                                line: line.clone(),
                                active: true,
                                acked: false,
                                told: false,
                                predicted: false,
                            },
                        );
                        true
                    }
                },
                Change::Predicted => {
                    // Kept apart from the measured alarm of the same
                    // series and rule.
                    let mut l = line.clone();
                    l.state = "predicted".into();
                    g.alarms.insert(
                        format!("{akey}\u{1f}predicted"),
                        Tracked {
                            line: l,
                            active: false,
                            acked: false,
                            told: false,
                            predicted: true,
                        },
                    );
                    true
                }
                Change::Cleared => {
                    let t = g.alarms.entry(akey.clone()).or_insert_with(|| Tracked {
                        // Raised before this run: told as cleared.
                        line: line.clone(),
                        active: true,
                        acked: false,
                        told: true,
                        predicted: false,
                    });
                    if t.active {
                        t.active = false;
                        t.line.cleared = Some(ev.ts);
                        t.line.value = ev.value;
                        true
                    } else {
                        false
                    }
                }
                Change::Acked => {
                    if let Some(t) = g.alarms.get_mut(&akey) {
                        t.acked = true;
                    }
                    false
                }
            };
            if changed {
                let at = match g.last_flush {
                    None => ts + route.timing.group_wait,
                    Some(l) => ts.max(l + route.timing.group_interval),
                };
                let next = g.next.map_or(at, |n| n.min(at));
                if g.next != Some(next) {
                    if let Some(old) = g.next {
                        self.due.remove(&(old, gkey.clone()));
                    }
                    g.next = Some(next);
                    self.due.insert((next, gkey));
                }
            } else if g.alarms.is_empty() && g.next.is_none() {
                self.state.groups.remove(&gkey);
            }
        }
        self.state.now = ts;
    }

    /// Makes every notification due at or before `now`.
    pub fn advance(&mut self, now: Millis, out: &mut Vec<Out>) {
        while let Some((t, key)) = self.due.first().cloned() {
            if t > now {
                break;
            }
            self.due.pop_first();
            self.flush(&key, t, false, out);
        }
        self.digests(Some(now), out);
        let names: Vec<String> = self.state.rates.keys().cloned().collect();
        for ch in names {
            let r = &self.state.rates[&ch];
            if r.held.notifications > 0 && now >= r.start + HOUR {
                let at = r.start + HOUR;
                self.summary(&ch, at, out);
            }
        }
        self.state.now = self.state.now.max(now);
    }

    /// At the end of the input: every group with news is flushed at its
    /// time, and every surplus summarised.
    pub fn finish(&mut self, out: &mut Vec<Out>) {
        while let Some((t, key)) = self.due.pop_first() {
            self.flush(&key, t, true, out);
        }
        self.digests(None, out);
        let names: Vec<String> = self.state.rates.keys().cloned().collect();
        for ch in names {
            if self.state.rates[&ch].held.notifications > 0 {
                let at = self.state.now.max(self.state.rates[&ch].held.to);
                self.summary(&ch, at, out);
            }
        }
    }

    /// When the next notification is due (for a live stream's clock).
    pub fn next_due(&self) -> Option<Millis> {
        self.due.first().map(|(t, _)| *t)
    }

    fn flush(&mut self, gkey: &str, at: Millis, last: bool, out: &mut Vec<Out>) {
        let Some(mut g) = self.state.groups.remove(gkey) else {
            return;
        };
        g.next = None;
        let route = self.route(&g);
        let timing = route.timing;
        if let Some(check) = &mut self.ack_check
            && !last
            && g.last_notify
                .is_some_and(|l| at - l >= timing.repeat_interval)
        {
            for t in g.alarms.values_mut() {
                if t.active && t.told && !t.acked && check(&t.line, at) {
                    t.acked = true;
                }
            }
        }
        let news = !g.earlier.is_empty()
            || g.alarms.values().any(|t| !t.told)
            || (timing.send_resolved && g.alarms.values().any(|t| !t.active && !t.predicted));
        let repeat_due = !news
            && !last
            && g.last_notify
                .is_some_and(|l| at - l >= timing.repeat_interval)
            && g.alarms.values().any(|t| t.active && !t.acked);
        if news || repeat_due {
            let mut lines = std::mem::take(&mut g.earlier);
            for t in g.alarms.values() {
                let state = match (t.active, t.told, t.acked) {
                    _ if t.predicted && t.told => continue,
                    _ if t.predicted => "predicted",
                    (false, _, _) if t.told && !timing.send_resolved => continue,
                    (false, _, _) => "cleared",
                    (true, false, _) => "raised",
                    (true, true, true) if repeat_due => continue,
                    (true, true, true) => "acked",
                    (true, true, false) => "active",
                };
                let mut l = t.line.clone();
                l.state = state.to_string();
                lines.push(l);
            }
            let firing = g.alarms.values().any(|t| t.active);
            let status = if firing {
                "firing"
            } else if lines.iter().all(|l| l.state == "predicted") {
                "predicted"
            } else {
                "resolved"
            };
            for &ci in &route.channels {
                self.state.seq += 1;
                let n = Notification {
                    id: format!("{}/{}@{}#{}", route.name, g.key, at, self.state.seq),
                    route: route.name.clone(),
                    channel: self.cfg.channels[ci].name.clone(),
                    group: g.key.clone(),
                    ts: at,
                    status: status.into(),
                    repeat: repeat_due,
                    alarms: lines.clone(),
                    held_back: None,
                };
                self.limit(ci, n, out);
            }
            g.last_notify = Some(at);
        }
        g.alarms.retain(|_, t| t.active);
        for t in g.alarms.values_mut() {
            t.told = true;
        }
        g.last_flush = Some(at);
        if g.alarms.is_empty() {
            return;
        }
        if !last && g.alarms.values().any(|t| !t.acked) {
            let next = (at + timing.group_interval)
                .max(g.last_notify.unwrap_or(at) + timing.repeat_interval);
            g.next = Some(next);
            self.due.insert((next, gkey.to_string()));
        }
        self.state.groups.insert(gkey.to_string(), g);
    }

    /// Gathers `n` into its channel's digest when it has one, else sends
    /// it through [`Engine::rate`].
    fn limit(&mut self, ci: usize, n: Notification, out: &mut Vec<Out>) {
        let ch = &self.cfg.channels[ci];
        if ch.digest.is_some() {
            let d = self.state.digests.entry(ch.name.clone()).or_default();
            if d.items.is_empty() {
                d.start = n.ts;
            }
            d.items.push(n);
            return;
        }
        self.rate(ci, n, out);
    }

    /// Sends the digests due by `now` (all of them when `None`), each at
    /// its due time: one notification with every alarm line gathered.
    fn digests(&mut self, now: Option<Millis>, out: &mut Vec<Out>) {
        for ci in 0..self.cfg.channels.len() {
            let ch = &self.cfg.channels[ci];
            let Some(every) = ch.digest else { continue };
            let Some(d) = self.state.digests.get_mut(&ch.name) else {
                continue;
            };
            let at = d.start + every;
            if d.items.is_empty() || now.is_some_and(|n| n < at) {
                continue;
            }
            let items = std::mem::take(&mut d.items);
            let firing = items.iter().any(|n| n.status == "firing");
            let mut routes: Vec<&str> = items.iter().map(|n| n.route.as_str()).collect();
            routes.sort_unstable();
            routes.dedup();
            self.state.seq += 1;
            let n = Notification {
                id: format!("{}/digest@{at}#{}", ch.name, self.state.seq),
                route: routes.join(","),
                channel: ch.name.clone(),
                group: String::new(),
                ts: at,
                status: if firing { "firing" } else { "resolved" }.into(),
                repeat: false,
                alarms: items.into_iter().flat_map(|n| n.alarms).collect(),
                held_back: None,
            };
            self.rate(ci, n, out);
        }
    }

    /// Sends `n` unless its channel has had its `max_per_hour`.
    fn rate(&mut self, ci: usize, n: Notification, out: &mut Vec<Out>) {
        let ch = &self.cfg.channels[ci];
        if ch.max_per_hour == 0 {
            out.push(Out::Send(n));
            return;
        }
        let name = ch.name.clone();
        let at = n.ts;
        let r = self.state.rates.entry(name.clone()).or_default();
        if r.sent > 0 && at >= r.start + HOUR {
            if r.held.notifications > 0 {
                let at0 = r.start + HOUR;
                self.summary(&name, at0, out);
            }
            let r = self.state.rates.get_mut(&name).expect("kept");
            if at >= r.start + HOUR {
                *r = Rate::default();
            }
        }
        let r = self.state.rates.get_mut(&name).expect("kept");
        if r.sent == 0 {
            r.start = at;
        }
        if r.sent < ch.max_per_hour {
            r.sent += 1;
            out.push(Out::Send(n));
        } else {
            if r.held.notifications == 0 {
                r.held.from = at;
            }
            r.held.notifications += 1;
            r.held.alarms += n.alarms.len() as u64;
            r.held.to = at;
            self.state.held += 1;
            out.push(Out::Held(n));
        }
    }

    /// The summary of what `max_per_hour` held back on channel `ch`; it
    /// opens the next hour's window.
    fn summary(&mut self, ch: &str, at: Millis, out: &mut Vec<Out>) {
        let Some(r) = self.state.rates.get_mut(ch) else {
            return;
        };
        let held = std::mem::take(&mut r.held);
        r.start = at;
        r.sent = 1;
        self.state.seq += 1;
        out.push(Out::Send(Notification {
            id: format!("{ch}/summary@{at}#{}", self.state.seq),
            route: String::new(),
            channel: ch.to_string(),
            group: String::new(),
            ts: at,
            status: "summary".into(),
            repeat: false,
            alarms: Vec::new(),
            held_back: Some(held),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::config::{Channel, ChannelKind, Timing};

    fn cfg(max_per_hour: u64) -> Config {
        Config::single(
            vec![Channel {
                name: "c".into(),
                kind: ChannelKind::Exec {
                    command: vec!["cat".into()],
                },
                max_per_hour,
                digest: None,
            }],
            Timing {
                group_wait: 30_000,
                group_interval: 300_000,
                repeat_interval: 3_600_000,
                send_resolved: true,
            },
        )
    }

    fn ev(ts: Millis, change: Change, asset: &str) -> Event<'_> {
        Event {
            ts,
            change,
            asset,
            tag: "t",
            rule: "hi",
            kind: None,
            severity: Some("high"),
            value: 1.0,
            limit: None,
            unit: "",
        }
    }

    fn sent(out: &[Out]) -> Vec<(Millis, String, usize, bool)> {
        out.iter()
            .filter_map(|o| match o {
                Out::Send(n) => Some((n.ts, n.status.clone(), n.alarms.len(), n.repeat)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_storm_is_grouped_repeated_and_resolved() {
        let c = cfg(0);
        let mut e = Engine::new(&c, State::default());
        let mut out = Vec::new();
        for (i, a) in ["A", "B", "C"].iter().enumerate() {
            e.event(&ev(i as i64 * 1000, Change::Raised, a), &mut out);
        }
        // Raised at 40 s: after the first flush, it waits for group_interval.
        e.event(&ev(40_000, Change::Raised, "D"), &mut out);
        e.event(&ev(100_000, Change::Cleared, "A"), &mut out);
        // An hour later with no change: one repeat of B, C, D.
        e.event(&ev(330_000 + 3_600_000, Change::Cleared, "B"), &mut out);
        e.finish(&mut out);
        assert_eq!(
            sent(&out),
            vec![
                (30_000, "firing".into(), 3, false),
                (330_000, "firing".into(), 4, false),
                (330_000 + 3_600_000, "firing".into(), 3, true),
                (330_000 + 3_600_000 + 300_000, "firing".into(), 3, false),
            ]
        );
    }

    #[test]
    fn acked_alarms_are_not_repeated_and_the_surplus_is_summarised() {
        let c = cfg(0);
        let mut e = Engine::new(&c, State::default());
        let mut out = Vec::new();
        e.event(&ev(0, Change::Raised, "A"), &mut out);
        e.event(&ev(60_000, Change::Acked, "A"), &mut out);
        e.event(&ev(10 * 3_600_000, Change::Cleared, "A"), &mut out);
        e.finish(&mut out);
        assert_eq!(
            sent(&out),
            vec![
                (30_000, "firing".into(), 1, false),
                (10 * 3_600_000, "resolved".into(), 1, false)
            ]
        );

        // Acknowledged in a store instead: asked before the repeat.
        let c = cfg(0);
        let mut asked = Vec::new();
        let mut e = Engine::new(&c, State::default()).with_ack_check(Box::new(|l, at| {
            asked.push((l.asset.clone(), at));
            true
        }));
        let mut out = Vec::new();
        e.event(&ev(0, Change::Raised, "A"), &mut out);
        e.event(&ev(5 * 3_600_000, Change::Cleared, "A"), &mut out);
        e.finish(&mut out);
        drop(e);
        assert_eq!(asked, [("A".to_string(), 3_630_000)]);
        assert_eq!(
            sent(&out),
            vec![
                (30_000, "firing".into(), 1, false),
                (5 * 3_600_000, "resolved".into(), 1, false)
            ]
        );

        let c = cfg(2);
        let mut e = Engine::new(&c, State::default());
        let mut out = Vec::new();
        for i in 0..5 {
            let t = i * 400_000;
            e.event(&ev(t, Change::Raised, "A"), &mut out);
            e.event(&ev(t + 100_000, Change::Cleared, "A"), &mut out);
        }
        e.finish(&mut out);
        let s: Vec<_> = sent(&out).into_iter().map(|s| s.1).collect();
        assert_eq!(s, ["firing", "resolved", "summary"]);
        let held = out.iter().filter(|o| matches!(o, Out::Held(_))).count();
        assert!(held > 0);
        let Some(Out::Send(sum)) = out.iter().rev().find(|o| matches!(o, Out::Send(_))) else {
            panic!()
        };
        assert_eq!(sum.held_back.unwrap().notifications, held as u64);
    }
}
