//! Time-axis ticks a person reads without arithmetic: whole seconds,
//! minutes, hours, days, weeks (Mondays), months and years in UTC, about
//! one label per hundred pixels, each labelled no finer than its step.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::time::{Millis, TsFormatter};

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// A tick step: a fixed number of milliseconds, or calendar months.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Millis(i64),
    Months(i32),
}

const STEPS: &[Step] = &[
    Step::Millis(1),
    Step::Millis(2),
    Step::Millis(5),
    Step::Millis(10),
    Step::Millis(20),
    Step::Millis(50),
    Step::Millis(100),
    Step::Millis(200),
    Step::Millis(500),
    Step::Millis(SECOND),
    Step::Millis(2 * SECOND),
    Step::Millis(5 * SECOND),
    Step::Millis(10 * SECOND),
    Step::Millis(15 * SECOND),
    Step::Millis(30 * SECOND),
    Step::Millis(MINUTE),
    Step::Millis(2 * MINUTE),
    Step::Millis(5 * MINUTE),
    Step::Millis(10 * MINUTE),
    Step::Millis(15 * MINUTE),
    Step::Millis(30 * MINUTE),
    Step::Millis(HOUR),
    Step::Millis(2 * HOUR),
    Step::Millis(3 * HOUR),
    Step::Millis(6 * HOUR),
    Step::Millis(12 * HOUR),
    Step::Millis(DAY),
    Step::Millis(2 * DAY),
    Step::Millis(7 * DAY),
    Step::Months(1),
    Step::Months(2),
    Step::Months(3),
    Step::Months(6),
    Step::Months(12),
    Step::Months(24),
    Step::Months(60),
    Step::Months(120),
    Step::Months(600),
    Step::Months(1200),
];

impl Step {
    fn approx_millis(self) -> i64 {
        match self {
            Step::Millis(ms) => ms,
            Step::Months(m) => i64::from(m) * 30 * DAY,
        }
    }
}

/// The ticks inside `[from, to]`, at most about `max_ticks` of them, and the
/// step they are at.
pub(crate) fn ticks(from: Millis, to: Millis, max_ticks: usize) -> (Vec<Millis>, Step) {
    let span = (to - from).max(1);
    let max_ticks = max_ticks.max(2) as i64;
    let step = STEPS
        .iter()
        .copied()
        .find(|s| span / s.approx_millis() < max_ticks)
        .unwrap_or(Step::Months(1200));
    let ticks = match step {
        Step::Millis(ms) => {
            // Weeks start on Monday; 1970-01-05 was one.
            let origin = if ms == 7 * DAY { 4 * DAY } else { 0 };
            let first = (from - origin).div_euclid(ms) * ms + origin;
            let first = if first < from { first + ms } else { first };
            (0..)
                .map(|k| first + k * ms)
                .take_while(|&t| t <= to)
                .collect()
        }
        Step::Months(n) => month_ticks(from, to, n),
    };
    (ticks, step)
}

fn month_ticks(from: Millis, to: Millis, n: i32) -> Vec<Millis> {
    let Some(start) = utc_date(from) else {
        return Vec::new();
    };
    // Months counted from year 0, so steps of 3 fall on quarters and of 12
    // on Januaries.
    let index = i32::from(start.year()) * 12 + i32::from(start.month()) - 1;
    let mut m = index - index.rem_euclid(n);
    let mut out = Vec::new();
    loop {
        let (year, month) = (m.div_euclid(12), m.rem_euclid(12) + 1);
        let Ok(year) = i16::try_from(year) else { break };
        let Ok(date) = Date::new(year, month as i8, 1) else {
            break;
        };
        let Ok(zoned) = date.to_zoned(TimeZone::UTC) else {
            break;
        };
        let t = zoned.timestamp().as_millisecond();
        if t > to {
            break;
        }
        if t >= from {
            out.push(t);
        }
        m += n;
    }
    out
}

fn utc_date(ms: Millis) -> Option<Date> {
    let ts = Timestamp::from_millisecond(ms).ok()?;
    Some(ts.to_zoned(TimeZone::UTC).date())
}

/// A tick's label, no finer than its step: `12:30`, `01-02` at a midnight,
/// `12:30:15`, `2026-03`, `2027`.
pub(crate) fn label(ms: Millis, step: Step) -> String {
    // Cut from the record format's text, which every time of the record
    // range has (`YYYY-MM-DDTHH:MM:SS.mmmZ`).
    let text = TsFormatter::format(ms);
    let part = |a: usize, b: usize| text.get(a..b).unwrap_or_default().to_string();
    match step {
        Step::Millis(s) if s < SECOND => format!("{}.{:03}", part(11, 19), ms.rem_euclid(SECOND)),
        Step::Millis(s) if s < MINUTE => part(11, 19),
        Step::Millis(s) if s < DAY && ms.rem_euclid(DAY) != 0 => part(11, 16),
        Step::Millis(_) => part(5, 10),
        Step::Months(m) if m < 12 => part(0, 7),
        Step::Months(_) => part(0, 4),
    }
}

/// The span for a chart's heading, as records write times:
/// `2026-01-01T00:00:00Z – 2026-01-02T00:00:00Z`.
pub(crate) fn span_label(from: Millis, to: Millis) -> String {
    format!(
        "{} – {}",
        TsFormatter::format(from),
        TsFormatter::format(to)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Millis {
        crate::time::parse_time_arg(s).unwrap()
    }

    #[test]
    fn a_day_gets_hours_and_a_midnight_gets_its_date() {
        let (t, step) = ticks(at("2026-01-01T00:00:00Z"), at("2026-01-02T00:00:00Z"), 10);
        assert_eq!(step, Step::Millis(3 * HOUR));
        assert_eq!(t.len(), 9);
        assert_eq!(label(t[1], step), "03:00");
        assert_eq!(label(t[8], step), "01-02");
    }

    #[test]
    fn ticks_fall_on_whole_steps_inside_the_span() {
        let (from, to) = (at("2026-01-01T00:00:07.250Z"), at("2026-01-01T00:03:00Z"));
        let (t, step) = ticks(from, to, 8);
        assert_eq!(step, Step::Millis(30 * SECOND));
        assert_eq!(t.first().copied(), Some(at("2026-01-01T00:00:30Z")));
        assert!(
            t.iter()
                .all(|&x| x >= from && x <= to && x % (30 * SECOND) == 0)
        );
        assert_eq!(label(t[0], step), "00:00:30");
    }

    #[test]
    fn a_year_gets_months_and_weeks_start_on_monday() {
        let (t, step) = ticks(at("2026-01-01"), at("2027-01-01"), 8);
        assert_eq!(step, Step::Months(2));
        assert_eq!(label(t[0], step), "2026-01");
        assert_eq!(label(t[1], step), "2026-03");
        let (t, step) = ticks(at("2026-01-01"), at("2026-02-15"), 8);
        assert_eq!(step, Step::Millis(7 * DAY));
        // 2026-01-05 is a Monday.
        assert_eq!(t[0], at("2026-01-05"));
    }
}
