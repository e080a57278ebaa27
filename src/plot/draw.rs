//! Drawing a [`Collector`]'s series with plotters' SVG backend: one panel
//! a series under a shared time axis, the line drawn through each pixel
//! column's extremes (in the order they happened), rollup min/max as a
//! band, alarm spans shaded, anomalies as red markers, the model's alarm
//! limits as dashed lines.
//!
//! The SVG a test or a script reads: each series' line is a `<polyline>`
//! stroked [`SERIES`] (one per stretch of data between gaps), each marked
//! anomaly a `<circle>` filled [`ANOMALY`], each limit a dashed
//! `<polyline>`, each alarm span a `<rect>`.

use std::collections::{HashMap, HashSet};

use anyhow::{Result, anyhow};
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::combinators::WithKeyPoints;
use plotters::coord::types::{RangedCoordf64, RangedCoordi64};
use plotters::prelude::*;

use super::grid::Bucket;
use super::ticks::{label, span_label, ticks};
use super::{Collector, Series};
use crate::model::{Alarms, Model};
use crate::time::Millis;

pub(crate) const SERIES: RGBColor = RGBColor(0x1F, 0x77, 0xB4);
pub(crate) const ANOMALY: RGBColor = RGBColor(0xD6, 0x27, 0x28);
const WARN: RGBColor = RGBColor(0xFF, 0x7F, 0x0E);
/// plotters' SVG backend has no dashes; limits are stroked in these
/// near-twins of their colours and given a `stroke-dasharray` afterwards.
const LIMIT_HI: RGBColor = RGBColor(0xD6, 0x27, 0x29);
const LIMIT_WARN: RGBColor = RGBColor(0xFF, 0x7F, 0x0F);
/// A lone rollup's min–max line: the band's colour, opaque, so it is not
/// taken for a series' line.
const BAND_LINE: RGBColor = RGBColor(0xAE, 0xC7, 0xE8);
const GRID: RGBColor = RGBColor(0xE0, 0xE0, 0xE0);

/// Sizes of the figure.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub width: u32,
    pub panel_height: u32,
    pub title: Option<String>,
}

/// Room left of the plot for the value labels and the unit.
const Y_LABELS: u32 = 70;
const MARGIN_RIGHT: u32 = 16;
const TITLE: u32 = 30;

/// The plot's width in pixels for a figure `width` wide: what the grid's
/// bucket count is sized by.
pub(crate) fn plot_width(width: u32) -> u32 {
    width.saturating_sub(Y_LABELS + MARGIN_RIGHT + 8).max(50)
}

/// What was drawn, for the closing summary.
#[derive(Debug, Default)]
pub(crate) struct Drawn {
    pub panels: usize,
    pub anomalies: u64,
    pub markers: usize,
    pub spans: usize,
}

/// Draws the collected series as an SVG document.
pub(crate) fn svg(
    c: &Collector,
    model: Option<&Model>,
    layout: &Layout,
) -> Result<(String, Drawn)> {
    let panels = c.panels();
    let (from, to) = c
        .time_range()
        .filter(|_| !panels.is_empty())
        .ok_or_else(|| anyhow!("nothing to plot: no good readings were selected"))?;
    // A lone instant gets a second either side, so it has somewhere to be.
    let (from, to) = if to > from {
        (from, to)
    } else {
        (from - 1000, to + 1000)
    };
    let limits = limits_of(model);
    let height = TITLE + layout.panel_height * panels.len() as u32;
    let mut out = String::new();
    let mut drawn = Drawn::default();
    {
        let root = SVGBackend::with_string(&mut out, (layout.width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let heading = match &layout.title {
            Some(t) => format!("{} — {}", printable(t), span_label(from, to)),
            None => span_label(from, to),
        };
        let (top, body) = root.split_vertically(TITLE);
        top.draw_text(
            &heading,
            &("sans-serif", 16).into_font().color(&BLACK),
            (10, 8),
        )
        .map_err(plot_error)?;
        let areas = body.split_evenly((panels.len().max(1), 1));
        for (s, area) in panels.iter().zip(&areas) {
            let limit = limits.get(&(s.asset.as_str(), s.tag.as_str())).copied();
            panel(s, limit, area, (from, to), c, layout, &mut drawn)?;
        }
        root.present().map_err(plot_error)?;
    }
    Ok((dash_limits(out), drawn))
}

/// Text as SVG can hold it: XML has no place for control characters, which
/// the record format allows in names.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

fn plot_error<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing the chart: {e:?}")
}

fn limits_of(model: Option<&Model>) -> HashMap<(&str, &str), &Alarms> {
    model
        .map(|m| {
            m.rows
                .iter()
                .map(|r| ((r.asset.as_str(), r.tag.as_str()), &r.alarms))
                .collect()
        })
        .unwrap_or_default()
}

/// A pixel column's worth of buckets.
#[derive(Debug, Clone, Copy)]
struct Column {
    px: i32,
    b: Bucket,
}

/// One panel's chart: time across (with the shared ticks), values up.
type Chart<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<WithKeyPoints<RangedCoordi64>, RangedCoordf64>>;

/// Draws one series' panel, back to front: alarm spans, the rollup band,
/// the model's limits, the line, the anomaly markers.
fn panel<DB: DrawingBackend>(
    s: &Series,
    limits: Option<&Alarms>,
    area: &DrawingArea<DB, plotters::coord::Shift>,
    (from, to): (Millis, Millis),
    c: &Collector,
    layout: &Layout,
    drawn: &mut Drawn,
) -> Result<()> {
    let width = plot_width(layout.width);
    let columns = columns(s, c, (from, to), width);
    let (lo, hi) = value_range(&columns, limits);
    let mut chart = axes(s, area, (from, to), (lo, hi), width)?;
    drawn.spans += draw_spans(&mut chart, s, (from, to), (lo, hi))?;
    let stretches = stretches(s, &columns, (from, to), width);
    draw_bands(&mut chart, &stretches)?;
    if let Some(a) = limits {
        draw_limits(&mut chart, a, (from, to), (lo, hi))?;
    }
    for stretch in stretches {
        let points: Vec<(Millis, f64)> = stretch.iter().flat_map(column_points).collect();
        chart
            .draw_series(std::iter::once(PathElement::new(
                points,
                SERIES.stroke_width(1),
            )))
            .map_err(plot_error)?;
    }
    draw_markers(&mut chart, s, (from, to), drawn)?;
    drawn.panels += 1;
    Ok(())
}

/// The panel's caption, axes, labels and grid.
fn axes<'a, DB: DrawingBackend>(
    s: &Series,
    area: &'a DrawingArea<DB, plotters::coord::Shift>,
    (from, to): (Millis, Millis),
    (lo, hi): (f64, f64),
    width: u32,
) -> Result<Chart<'a, DB>> {
    let (tick_at, step) = ticks(from, to, (width / 110) as usize);
    let caption = format!(
        "{} · {} — {} readings{}",
        printable(&s.asset),
        printable(&s.tag),
        s.readings,
        match s.anomalies {
            0 => String::new(),
            1 => ", 1 anomaly".to_string(),
            n => format!(", {n} anomalies"),
        }
    );
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 13))
        .margin_left(8)
        .margin_right(MARGIN_RIGHT)
        .margin_bottom(2)
        .x_label_area_size(20)
        .y_label_area_size(Y_LABELS)
        .build_cartesian_2d((from..to).with_key_points(tick_at), lo..hi)
        .map_err(plot_error)?;
    let x_label = |ms: &Millis| label(*ms, step);
    let y_label = |v: &f64| short_number(*v);
    chart
        .configure_mesh()
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .y_labels(4)
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .y_desc(printable(&s.unit))
        .label_style(("sans-serif", 11))
        .draw()
        .map_err(plot_error)?;
    Ok(chart)
}

/// Alarm spans shaded from top to bottom, red for severity high or
/// critical, orange otherwise; returns how many were drawn.
fn draw_spans<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    s: &Series,
    (from, to): (Millis, Millis),
    (lo, hi): (f64, f64),
) -> Result<usize> {
    let mut n = 0;
    for span in s.all_spans() {
        let (a, b) = (span.from.max(from), span.to.unwrap_or(to).min(to));
        if a > b {
            continue;
        }
        let colour = if span.severity == "high" || span.severity == "critical" {
            ANOMALY
        } else {
            WARN
        };
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(a, hi), (b, lo)],
                colour.mix(0.12).filled(),
            )))
            .map_err(plot_error)?;
        n += 1;
    }
    Ok(n)
}

/// The rollup band, a polygon a stretch (max forward, min back); a lone
/// column's band is its min–max line.
fn draw_bands<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    stretches: &[&[Column]],
) -> Result<()> {
    for stretch in stretches {
        let with_band: Vec<&Column> = stretch.iter().filter(|c| !c.b.band_lo.is_nan()).collect();
        let style = SERIES.mix(0.2).filled();
        match with_band.as_slice() {
            [] => {}
            [c] => {
                let t = col_time(c);
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(t, c.b.band_lo), (t, c.b.band_hi)],
                        BAND_LINE.stroke_width(3),
                    )))
                    .map_err(plot_error)?;
            }
            cols => {
                let upper = cols.iter().map(|c| (col_time(c), c.b.band_hi));
                let lower = cols.iter().rev().map(|c| (col_time(c), c.b.band_lo));
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        upper.chain(lower).collect::<Vec<_>>(),
                        style,
                    )))
                    .map_err(plot_error)?;
            }
        }
    }
    Ok(())
}

/// The model's alarm limits that lie on the value axis, each a line
/// (dashed by [`dash_limits`]) labelled at the right.
fn draw_limits<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    a: &Alarms,
    (from, to): (Millis, Millis),
    (lo, hi): (f64, f64),
) -> Result<()> {
    // Labels above their line at the right end, the outer limits' furthest
    // right, so neighbouring limits do not collide.
    for (value, colour, name, shift) in [
        (a.hi_hi, LIMIT_HI, "HH", 0),
        (a.hi, LIMIT_WARN, "H", 70),
        (a.lo, LIMIT_WARN, "L", 70),
        (a.lo_lo, LIMIT_HI, "LL", 0),
    ] {
        let Some(v) = value.filter(|v| (lo..=hi).contains(v)) else {
            continue;
        };
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(from, v), (to, v)],
                colour.stroke_width(1),
            )))
            .map_err(plot_error)?;
        let name = format!("{name} {}", short_number(v));
        let style = ("sans-serif", 10).into_font().color(&colour);
        let at = (-(6 * name.len() as i32) - shift, -12);
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((to, v)) + Text::new(name, at, style),
            ))
            .map_err(plot_error)?;
    }
    Ok(())
}

/// One marker per flagged reading; two that land on the same pixel would
/// draw the same circle twice.
fn draw_markers<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    s: &Series,
    (from, to): (Millis, Millis),
    drawn: &mut Drawn,
) -> Result<()> {
    let mut seen = HashSet::new();
    let markers: Vec<(Millis, f64)> = s
        .markers
        .iter()
        .copied()
        .filter(|&(t, v)| t >= from && t <= to && seen.insert(chart.backend_coord(&(t, v))))
        .collect();
    drawn.markers += markers.len();
    drawn.anomalies += s.anomalies;
    chart
        .draw_series(
            markers
                .into_iter()
                .map(|p| Circle::new(p, 3, ANOMALY.filled())),
        )
        .map_err(plot_error)?;
    Ok(())
}

/// The series' buckets merged into pixel columns of the plot.
fn columns(s: &Series, c: &Collector, (from, to): (Millis, Millis), width: u32) -> Vec<Column> {
    let grid = c.grid();
    let span = (to - from).max(1) as f64;
    let mut out: Vec<Column> = Vec::new();
    for (i, b) in s
        .buckets()
        .iter()
        .enumerate()
        .filter(|(_, b)| !b.is_empty())
    {
        let mid = grid.start(i).saturating_add(grid.width() / 2);
        let px = ((mid - from) as f64 / span * f64::from(width)).floor() as i32;
        match out.last_mut() {
            Some(last) if last.px == px => last.b.merge(b),
            _ => out.push(Column { px, b: *b }),
        }
    }
    out
}

/// The time a column is drawn at: its extremes' mean time.
fn col_time(col: &Column) -> Millis {
    if col.b.count == 0 {
        return col.b.min_ts;
    }
    col.b.min_ts / 2 + col.b.max_ts / 2
}

/// A column's line points: its extremes in the order they happened.
fn column_points(col: &Column) -> Vec<(Millis, f64)> {
    let b = &col.b;
    if b.count == 0 {
        return Vec::new();
    }
    if b.min == b.max {
        return vec![(b.min_ts, b.min)];
    }
    if b.min_ts <= b.max_ts {
        vec![(b.min_ts, b.min), (b.max_ts, b.max)]
    } else {
        vec![(b.max_ts, b.max), (b.min_ts, b.min)]
    }
}

/// The columns split where the data has a gap: longer than five of the
/// series' mean intervals and than two pixel columns.
fn stretches<'a>(
    s: &Series,
    columns: &'a [Column],
    (from, to): (Millis, Millis),
    width: u32,
) -> Vec<&'a [Column]> {
    let mean = if s.readings > 1 {
        (s.last_ts - s.first_ts) as f64 / (s.readings - 1) as f64
    } else {
        0.0
    };
    let per_px = (to - from) as f64 / f64::from(width.max(1));
    let gap = (5.0 * mean).max(2.0 * per_px);
    let latest = |c: &Column| c.b.min_ts.max(c.b.max_ts);
    let earliest = |c: &Column| c.b.min_ts.min(c.b.max_ts);
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..columns.len() {
        if (earliest(&columns[i]) - latest(&columns[i - 1])) as f64 > gap {
            out.push(&columns[start..i]);
            start = i;
        }
    }
    if start < columns.len() {
        out.push(&columns[start..]);
    }
    out.retain(|s| s.iter().any(|c| c.b.count > 0));
    out
}

/// The value axis: the data and the band, and the limits that lie near
/// them (a limit far off would squash the data to a line), with a margin.
fn value_range(columns: &[Column], limits: Option<&Alarms>) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for c in columns {
        if c.b.count > 0 {
            lo = lo.min(c.b.min);
            hi = hi.max(c.b.max);
        }
        lo = lo.min(c.b.band_lo);
        hi = hi.max(c.b.band_hi);
    }
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let reach = (hi - lo).max(hi.abs().max(lo.abs()) * 0.01).max(1e-9);
    if let Some(a) = limits {
        for v in [a.lo_lo, a.lo, a.hi, a.hi_hi].into_iter().flatten() {
            if v >= lo - 0.5 * reach && v <= hi + 0.5 * reach {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    let pad = ((hi - lo) * 0.06).max(reach * 0.06);
    let (lo, hi) = (lo - pad, hi + pad);
    // The axis's span must be a finite number for its ticks to be: values
    // near ±f64::MAX are drawn on an axis that stops short of them.
    const EDGE: f64 = f64::MAX / 4.0;
    if (hi - lo).is_finite() {
        return (lo, hi);
    }
    let (lo, hi) = (lo.clamp(-EDGE, EDGE), hi.clamp(-EDGE, EDGE));
    if hi > lo {
        (lo, hi)
    } else {
        (lo, lo + lo.abs().max(1.0) * 0.5)
    }
}

/// A value label without noise digits: `1523.4`, `0.0012`, `1.2e9`.
fn short_number(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e7).contains(&a) {
        return format!("{v:.2e}");
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// Gives the limit lines their dashes (see [`LIMIT_HI`]).
fn dash_limits(svg: String) -> String {
    let dash = |c: RGBColor| format!("stroke=\"#{:02X}{:02X}{:02X}\"", c.0, c.1, c.2);
    svg.replace(
        &dash(LIMIT_HI),
        &format!("{} stroke-dasharray=\"6 4\"", dash(ANOMALY)),
    )
    .replace(
        &dash(LIMIT_WARN),
        &format!("{} stroke-dasharray=\"6 4\"", dash(WARN)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_axis_has_a_finite_span_for_any_finite_values() {
        let col = |v: f64| Column {
            px: 0,
            b: {
                let mut b = Bucket::default();
                b.add(0, v);
                b
            },
        };
        for (a, b) in [
            (f64::MAX, -f64::MAX),
            (f64::MAX, f64::MAX),
            (-f64::MAX, 0.0),
            (1.0, 1.0),
        ] {
            let (lo, hi) = value_range(&[col(a), col(b)], None);
            assert!(lo < hi && (hi - lo).is_finite(), "{a} {b}: {lo} {hi}");
        }
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(short_number(1523.42), "1523.42");
        assert_eq!(short_number(0.5), "0.5");
        assert_eq!(short_number(-0.0), "0");
        assert_eq!(short_number(40.0), "40");
        assert_eq!(short_number(2.5e9), "2.50e9");
    }
}
