//! The chart behind `iiot plot`: readings, detect's anomalies, alarm events
//! and rollups gathered into a bounded summary per series, then drawn as
//! one panel per series.
//!
//! [`Collector`] takes records one at a time and keeps, per series, the
//! extremes of each time bucket of a shared [`grid::Grid`] (so memory does
//! not grow with the stream), the flagged readings to mark, and the spans
//! between `raised` and `cleared` events. [`draw`] turns that into an SVG.

pub(crate) mod draw;
pub mod field;
mod grid;
mod ticks;

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::patterns::Patterns;
use crate::record::alarm::{AlarmEvent, Anomalies, EventKind};
use crate::record::{ParseError, Quality, Reading};
use crate::time::Millis;
use grid::{Bucket, Grid};

/// Flagged readings kept per series for markers; past this they are
/// counted but not marked (a chart of more marks than pixels says no more).
const MAX_MARKERS: usize = 200_000;
/// Alarm spans kept per series.
const MAX_SPANS: usize = 100_000;
/// Alarms of one series raised at once (distinct rules) that are followed;
/// a series has a handful, so past this the input is not detect's.
const MAX_OPEN: usize = 1_000;

/// What to draw.
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    pub assets: Patterns,
    pub tags: Patterns,
    /// `[from, to)`; readings outside are skipped.
    pub from: Option<Millis>,
    pub to: Option<Millis>,
    pub max_panels: usize,
    /// Buckets per series: about twice the plot's width in pixels.
    pub buckets: usize,
}

/// An alarm between its `raised` and `cleared` events; `to` is `None`
/// while it is still active at the end of the input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Span {
    pub from: Millis,
    pub to: Option<Millis>,
    pub severity: String,
}

/// One series (asset + tag) as far as the chart needs it.
#[derive(Debug, Default)]
pub(crate) struct Series {
    pub asset: String,
    pub tag: String,
    pub unit: String,
    /// Empty for a series that got no panel.
    buckets: Vec<Bucket>,
    pub panel: bool,
    /// Good readings drawn.
    pub readings: u64,
    pub first_ts: Millis,
    pub last_ts: Millis,
    pub markers: Vec<(Millis, f64)>,
    /// Flagged readings, marked or not.
    pub anomalies: u64,
    pub spans: Vec<Span>,
    /// Rules raised and not yet cleared: (rule, since, severity).
    open: Vec<(String, Millis, String)>,
    /// Good readings came but found no panel free.
    left_out: bool,
}

impl Series {
    pub fn buckets(&self) -> &[Bucket] {
        &self.buckets
    }

    /// The closed spans and those still open at the end.
    pub fn all_spans(&self) -> impl Iterator<Item = Span> + '_ {
        self.spans
            .iter()
            .cloned()
            .chain(self.open.iter().map(|(_, from, sev)| Span {
                from: *from,
                to: None,
                severity: sev.clone(),
            }))
    }
}

/// What the input held, for the closing summary.
#[derive(Debug, Default, Clone)]
pub(crate) struct Tally {
    /// Readings outside the asset/tag globs or the time range.
    pub not_selected: u64,
    /// Readings whose quality is not good: left out of the line.
    pub not_good: u64,
    /// Readings of series beyond `--max-panels`.
    pub left_out: u64,
    pub events: u64,
}

/// Gathers records into per-series summaries.
pub(crate) struct Collector {
    sel: Selection,
    grid: Grid,
    series: Vec<Series>,
    index: HashMap<String, usize>,
    key: String,
    last: Option<usize>,
    panels: usize,
    pub tally: Tally,
}

impl Collector {
    pub fn new(sel: Selection) -> Collector {
        let grid = match (sel.from, sel.to) {
            (Some(from), Some(to)) => Grid::for_span(sel.buckets, from, to),
            _ => Grid::new(sel.buckets),
        };
        Collector {
            sel,
            grid,
            series: Vec::new(),
            index: HashMap::new(),
            key: String::new(),
            last: None,
            panels: 0,
            tally: Tally::default(),
        }
    }

    /// Takes one record: a reading (perhaps flagged, perhaps a rollup) or
    /// an alarm event. A field a chart reads but cannot understand rejects
    /// the record, naming the field.
    pub fn add(&mut self, r: &Reading) -> Result<(), ParseError> {
        if r.is_event() {
            return self.add_event(AlarmEvent::from_reading(r)?);
        }
        let band = band(r)?;
        let flagged = Anomalies::from_reading(r)?.is_some_and(|a| !a.is_empty());
        let selected = self.sel.assets.matches(&r.asset)
            && self.sel.tags.matches(&r.tag)
            && self.sel.from.is_none_or(|f| r.ts >= f)
            && self.sel.to.is_none_or(|t| r.ts < t);
        if !selected {
            self.tally.not_selected += 1;
            return Ok(());
        }
        if r.quality != Quality::Good {
            self.tally.not_good += 1;
            return Ok(());
        }
        let i = self.series_index(&r.asset, &r.tag);
        if !self.series[i].panel {
            if self.panels >= self.sel.max_panels {
                self.tally.left_out += 1;
                self.series[i].left_out = true;
                return Ok(());
            }
            self.panels += 1;
            let s = &mut self.series[i];
            s.panel = true;
            s.buckets = vec![Bucket::default(); self.grid.cap()];
        }
        if let Some(remap) = self.grid.admit(r.ts) {
            for s in self.series.iter_mut().filter(|s| s.panel) {
                remap.apply(&mut s.buckets);
            }
        }
        let b = self.grid.index(r.ts);
        let s = &mut self.series[i];
        if s.unit.is_empty() && !r.unit.is_empty() {
            s.unit.push_str(&r.unit);
        }
        if s.readings == 0 {
            s.first_ts = r.ts;
            s.last_ts = r.ts;
        }
        s.first_ts = s.first_ts.min(r.ts);
        s.last_ts = s.last_ts.max(r.ts);
        s.readings += 1;
        s.buckets[b].add(r.ts, r.value);
        if let Some((lo, hi)) = band {
            s.buckets[b].add_band(lo, hi);
        }
        if flagged {
            s.anomalies += 1;
            if s.markers.len() < MAX_MARKERS {
                s.markers.push((r.ts, r.value));
            }
        }
        Ok(())
    }

    /// Follows an alarm from its `raised` to its `cleared` event; an event
    /// of another kind says nothing a chart can draw, so it is refused.
    fn add_event(&mut self, ev: AlarmEvent<'_>) -> Result<(), ParseError> {
        let raised = match ev.event {
            EventKind::Raised => true,
            EventKind::Cleared => false,
            // An acknowledgement changes no span a chart draws.
            EventKind::Acked { .. } => {
                self.tally.events += 1;
                return Ok(());
            }
            // A predicted crossing is no span of a measured alarm.
            EventKind::Predicted => return Ok(()),
            EventKind::Other(_) => {
                return Err(ParseError {
                    field: Some("event"),
                    message: "an alarm event is \"raised\" or \"cleared\"".to_string(),
                });
            }
        };
        self.tally.events += 1;
        if !(self.sel.assets.matches(ev.asset) && self.sel.tags.matches(ev.tag)) {
            return Ok(());
        }
        let severity = ev.severity.unwrap_or_default();
        let i = self.series_index(ev.asset, ev.tag);
        let s = &mut self.series[i];
        let open = s.open.iter().position(|(name, _, _)| *name == ev.rule);
        match (raised, open) {
            (true, None) if s.open.len() < MAX_OPEN => {
                s.open
                    .push((ev.rule.into_owned(), ev.ts, severity.into_owned()));
            }
            (true, None) => {}
            // A second raise of an active alarm changes nothing.
            (true, Some(_)) => {}
            (false, Some(k)) => {
                let (_, from, severity) = s.open.swap_remove(k);
                if s.spans.len() < MAX_SPANS {
                    s.spans.push(Span {
                        from,
                        to: Some(ev.ts),
                        severity,
                    });
                }
            }
            // Cleared without a raise in this input: it was active since
            // before the chart begins.
            (false, None) => {
                if s.spans.len() < MAX_SPANS {
                    s.spans.push(Span {
                        from: Millis::MIN,
                        to: Some(ev.ts),
                        severity: severity.into_owned(),
                    });
                }
            }
        }
        Ok(())
    }

    fn series_index(&mut self, asset: &str, tag: &str) -> usize {
        // Streams repeat their series in one order (a tick of a simulated
        // plant, a poll): try the last series and the one after it before
        // hashing.
        if let Some(last) = self.last {
            for i in [last, (last + 1) % self.series.len()] {
                let s = &self.series[i];
                if s.asset == asset && s.tag == tag {
                    self.last = Some(i);
                    return i;
                }
            }
        }
        // The asset's length first, so no asset and tag run together into
        // another pair's key.
        self.key.clear();
        let _ = write!(self.key, "{}:", asset.len());
        self.key.push_str(asset);
        self.key.push_str(tag);
        let i = match self.index.get(self.key.as_str()) {
            Some(&i) => i,
            None => {
                let i = self.series.len();
                self.series.push(Series {
                    asset: asset.to_string(),
                    tag: tag.to_string(),
                    ..Series::default()
                });
                self.index.insert(self.key.clone(), i);
                i
            }
        };
        self.last = Some(i);
        i
    }

    /// The series that got a panel, in asset then tag order.
    pub fn panels(&self) -> Vec<&Series> {
        let mut v: Vec<&Series> = self
            .series
            .iter()
            .filter(|s| s.panel && s.readings > 0)
            .collect();
        v.sort_by(|a, b| (&a.asset, &a.tag).cmp(&(&b.asset, &b.tag)));
        v
    }

    /// Series with good readings that found no panel free.
    pub fn series_left_out(&self) -> usize {
        self.series.iter().filter(|s| s.left_out).count()
    }

    /// The time axis: `--from`/`--to` when given, else the span of the
    /// readings drawn.
    pub fn time_range(&self) -> Option<(Millis, Millis)> {
        let span = self.grid.span();
        let from = self.sel.from.or(span.map(|s| s.0))?;
        let to = self.sel.to.or(span.map(|s| s.1))?;
        Some((from, to))
    }

    pub fn grid(&self) -> &Grid {
        &self.grid
    }
}

/// A rollup record's band: its `min` and `max` fields.
fn band(r: &Reading) -> Result<Option<(f64, f64)>, ParseError> {
    let number = |field: &'static str| -> Result<Option<f64>, ParseError> {
        r.extra_field(field)
            .map(|raw| {
                raw.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or(ParseError {
                        field: Some(field),
                        message: "a rollup's min and max are finite numbers".to_string(),
                    })
            })
            .transpose()
    };
    let bad = |field, message: &str| ParseError {
        field: Some(field),
        message: message.to_string(),
    };
    match (number("min")?, number("max")?) {
        (Some(lo), Some(hi)) if lo <= hi => Ok(Some((lo, hi))),
        (Some(_), Some(_)) => Err(bad("min", "a rollup's min is above its max")),
        (Some(_), None) => Err(bad("max", "a rollup with a min has a max too")),
        (None, Some(_)) => Err(bad("min", "a rollup with a max has a min too")),
        (None, None) => Ok(None),
    }
}
