//! How each kind of rule judges one reading of its series: the condition
//! it checks against the rule's memory, the flag it puts on the reading and
//! the alarm transition (raised or cleared) that follows. [`super::Engine`]
//! calls these in the order a series' slots are kept: range and gap on every
//! reading, then — for a good reading only — threshold, stuck, roc and
//! z-score.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::rules::{Check, Rule};
use super::{Event, Flag, Memory, Slot};
use crate::time::Millis;

/// The deadlines of the gap rules: (deadline, series, slot).
pub(super) type Deadlines = BinaryHeap<Reverse<(Millis, u32, u32)>>;

/// The reading being judged and where its verdicts go.
pub(super) struct Judged<'e> {
    pub sid: u32,
    pub ts: Millis,
    pub v: f64,
    pub events: &'e mut Vec<Event>,
    pub flags: &'e mut Vec<Flag>,
    /// The latest values of the tags a relation rule judges against.
    pub related: &'e [f64],
}

impl Judged<'_> {
    #[inline]
    fn flag(&mut self, rule: u32, limit: f64) {
        self.flags.push(Flag { rule, limit });
    }

    /// Raises or clears a slot's alarm on a change of its condition.
    #[inline]
    fn transition(&mut self, slot: &mut Slot, on: bool, limit: f64) {
        if on != slot.active {
            slot.active = on;
            self.events.push(Event {
                ts: self.ts,
                series: self.sid,
                raised: on,
                rule: slot.rule,
                value: self.v,
                limit,
            });
        }
    }
}

/// A range rule: a value outside the physical range is flagged (the
/// caller marks the reading bad). Returns whether it was.
#[inline]
pub(super) fn range(slot: &mut Slot, min: Option<f64>, max: Option<f64>, j: &mut Judged) -> bool {
    let v = j.v;
    let hit = if min.is_some_and(|m| v < m) {
        min
    } else if max.is_some_and(|m| v > m) {
        max
    } else {
        None
    };
    if let Some(limit) = hit {
        j.flag(slot.rule, limit);
    }
    j.transition(slot, hit.is_some(), hit.unwrap_or(f64::NAN));
    hit.is_some()
}

/// Judges a good reading by the value rules of its series' slots, stuck
/// before z-score: a value flagged stuck is not judged by the z-score rule
/// and stays out of its window.
#[inline]
pub(super) fn values(slots: &mut [Slot], rules: &[Rule], settling: bool, j: &mut Judged) {
    let (ts, v) = (j.ts, j.v);
    let mut stuck = false;
    // The z-score flagged this reading and the one before: a step, raised
    // by the z-score; the shift rule starts its averages again there.
    let mut stepped = false;
    // The z-score flagged this reading: a spike, or the first reading of a
    // step; the shift rule leaves it out either way.
    let mut outlier = false;
    for slot in slots {
        let (flag, limit) = match (&rules[slot.rule as usize].check, &mut slot.memory) {
            (
                &Check::Threshold {
                    limit,
                    above,
                    deadband,
                    delay_ms,
                },
                Memory::Threshold { pending_since },
            ) => {
                let on = threshold(
                    slot.active,
                    pending_since,
                    (limit, above, deadband, delay_ms),
                    ts,
                    v,
                );
                (on, limit)
            }
            (
                &Check::ZScore {
                    k,
                    window,
                    min_samples,
                },
                Memory::Zscore(w),
            ) => {
                if stuck {
                    // Not judged, and kept out of the window.
                    w.last_flagged = false;
                    j.transition(slot, false, f64::NAN);
                    continue;
                }
                if settling {
                    // Not judged; the window follows the new level.
                    w.push(v, window);
                    w.last_flagged = false;
                    j.transition(slot, false, f64::NAN);
                    continue;
                }
                let was_flagged = w.last_flagged;
                let (flag, limit) = zscore(w, k, window, min_samples, v);
                stepped |= flag && was_flagged;
                outlier |= flag;
                (flag, limit)
            }
            (&Check::Roc { per_sec }, Memory::Roc { prev }) => (roc(prev, per_sec, ts, v), per_sec),
            (
                &Check::Stuck { count },
                Memory::Stuck {
                    value,
                    run,
                    repeat,
                    seen,
                },
            ) => {
                let (on, need) = stuck_run(value, run, (repeat, seen), count, v);
                stuck |= on;
                (on, f64::from(need))
            }
            (&Check::Cusum { k, h, span }, Memory::Cusum(c)) => {
                if stuck || settling {
                    j.transition(slot, false, f64::NAN);
                    continue;
                }
                cusum(c, (k, h, span), v)
            }
            (&Check::Shift { h, span }, Memory::Shift(c)) => {
                if stuck {
                    // Not judged: the alarm stays as it is (a shift under
                    // way is not over because one reading repeats).
                    if slot.active {
                        j.flag(slot.rule, c.slow);
                    }
                    continue;
                }
                if settling && c.n > 0 {
                    // A new regime: the averages start again.
                    (c.slow, c.slow2, c.fast, c.held, c.taken) = (v, v, v, 0, 0);
                    j.transition(slot, false, f64::NAN);
                    continue;
                }
                if stepped && c.n > 0 {
                    shift_step(c, span, v);
                    j.transition(slot, false, f64::NAN);
                    continue;
                }
                if outlier {
                    // Not judged and kept out of the averages (a spike
                    // moves the fast one by a thirtieth of its size); the
                    // alarm stays as it is. A step is taken at its second
                    // reading, above.
                    if slot.active {
                        j.flag(slot.rule, c.slow);
                    }
                    continue;
                }
                shift(c, h, span, v)
            }
            (&Check::Relation { k, h, span }, Memory::Relation(c)) => {
                if stuck || settling {
                    j.transition(slot, false, f64::NAN);
                    continue;
                }
                super::relation::relation(c, (k, h, span), v, j.related)
            }
            _ => continue,
        };
        if flag {
            j.flag(slot.rule, limit);
        }
        j.transition(slot, flag, limit);
    }
}

/// A threshold rule: on once the value has been beyond the limit for the
/// delay, off once it is back past the limit by the deadband.
#[inline]
fn threshold(
    active: bool,
    pending_since: &mut Option<Millis>,
    (limit, above, deadband, delay_ms): (f64, bool, f64, i64),
    ts: Millis,
    v: f64,
) -> bool {
    let beyond = if above { v > limit } else { v < limit };
    let back = if above {
        v < limit - deadband
    } else {
        v > limit + deadband
    };
    let mut on = active;
    if on {
        if back {
            on = false;
            *pending_since = None;
        }
    } else if beyond {
        let since = *pending_since.get_or_insert(ts);
        on = ts.saturating_sub(since) >= delay_ms;
    } else {
        *pending_since = None;
    }
    on
}

/// The span of a z-score rule's learnt spread, in windows: 20 × 50
/// readings by default.
pub(crate) const SPREAD_WINDOWS: usize = 20;

/// The share of the window's own deviation that bounds a z-score band from
/// below: three quarters, so on noise alone (where the window's deviation
/// is near the learnt spread) the learnt spread mostly decides, and a
/// window moving faster than usual (a machine ramping up) widens the band.
pub(crate) const WINDOW_SHARE: f64 = 0.75;

/// A z-score rule: flagged beyond `k` spreads of the window's mean, with
/// the band edge crossed as the limit. The mean is the window's (the last
/// `window` readings, judged from the `min_samples`th); the spread is not
/// the window's sample deviation, which from 50 readings is itself so
/// uncertain that noise crosses ±4.5 of it about 6 times as often as it
/// crosses 4.5σ, but the root mean square of the residuals (reading − the
/// window's mean before it) over the last `SPREAD_WINDOWS` × `window`
/// readings, seeded by the window's own deviation at the first judgement.
/// Flagged readings are left out of it (outlier rejection), so a burst of
/// spikes does not widen the band; a real rise of the noise still widens
/// it through the residuals inside the band. The band is the larger of
/// that spread and 3/4 of the window's own deviation: the learnt spread keeps
/// noise from crossing a band drawn from a window that happens to be
/// quiet, the window's deviation widens the band while the process moves
/// faster than it usually does (a machine ramping up to speed), where the
/// residuals are not noise.
#[inline]
fn zscore(w: &mut super::Window, k: f64, window: usize, min_samples: usize, v: f64) -> (bool, f64) {
    let mut flag = false;
    let mut limit = f64::NAN;
    let mut residual = None;
    if w.values.len() >= min_samples.max(2) {
        if w.seen == 0 {
            w.seed_spread();
        }
        let (mean, window_sd) = w.stats();
        let sd = w.var.sqrt().max(WINDOW_SHARE * window_sd);
        residual = Some(v - mean);
        if sd > 0.0 && (v - mean).abs() > k * sd {
            flag = true;
            limit = if v > mean {
                mean + k * sd
            } else {
                mean - k * sd
            };
        }
    }
    if let Some(r) = residual
        && !flag
    {
        w.learn(r, SPREAD_WINDOWS * window.max(1));
    }
    // A lone outlier stays out of the window; a second flagged reading in
    // a row goes in, so the band follows a real change of level.
    if !flag || w.last_flagged {
        w.push(v, window);
    }
    w.last_flagged = flag;
    (flag, limit)
}

/// A rate-of-change rule: faster than `per_sec` since the previous value.
#[inline]
fn roc(prev: &mut Option<(Millis, f64)>, per_sec: f64, ts: Millis, v: f64) -> bool {
    let mut flag = false;
    if let Some((pt, pv)) = *prev
        && ts > pt
    {
        let rate = (v - pv).abs() / (ts.saturating_sub(pt) as f64 / 1000.0);
        flag = rate > per_sec;
    }
    *prev = Some((ts, v));
    flag
}

/// How rare a flat run must be, for the series' own repeat share, before
/// the stuck rule calls it stuck: one in a million.
const STUCK_RARITY: f64 = 1e-6;

/// Readings a stuck rule learns from before it trusts the repeat share.
const STUCK_LEARN: u32 = 100;

/// The run a stuck rule needs: `count`, or longer on a series whose values
/// repeat legitimately (quantised at a resolution coarser than the noise,
/// or changing slowly): with a share p of readings equal to the one
/// before, a run of n happens by chance about p^(n−1) of the time, so the
/// rule waits for the n at which that falls under one in a million.
#[inline]
pub(crate) fn stuck_need(count: u32, repeat: f64, seen: u32) -> u32 {
    if seen < STUCK_LEARN || repeat <= 0.0 {
        return count;
    }
    let p = repeat.min(0.9999);
    let n = 1.0 + STUCK_RARITY.ln() / p.ln();
    count.max(n.ceil().min(f64::from(u32::MAX)) as u32)
}

/// A stuck rule: the same value, bit for bit, for the run the series'
/// repeat share calls unusual ([`stuck_need`]); the share is learnt from
/// the readings not in a flagged run (an exponential average over 1000).
#[inline]
fn stuck_run(
    value: &mut f64,
    run: &mut u32,
    (repeat, seen): (&mut f64, &mut u32),
    count: u32,
    v: f64,
) -> (bool, u32) {
    let need = stuck_need(count, *repeat, *seen);
    let same = *run > 0 && v.to_bits() == value.to_bits();
    if same {
        *run = run.saturating_add(1);
    } else {
        *value = v;
        *run = 1;
    }
    let on = *run >= need;
    if *seen > 0 && !on {
        let x = if same { 1.0 } else { 0.0 };
        let w = 1.0 / f64::from((*seen).min(1000));
        *repeat += (x - *repeat) * w;
    }
    *seen = seen.saturating_add(1);
    (on, need)
}

/// Readings a CUSUM rule learns its baseline and spread from before it
/// judges (or its span, if shorter).
const CUSUM_WARMUP: u32 = 100;

/// A residual counts at most this many noise widths: a spike moves the sums
/// a little, a lasting shift or drift moves them steadily.
const CUSUM_CLIP: f64 = 4.0;

/// A series whose residual spread is more than this many noise widths
/// wanders on its own: the CUSUM stands down there.
pub(crate) const CUSUM_WANDER: f64 = 1.5;

/// A CUSUM rule on one good reading. The noise width σ is learnt from the
/// successive differences (mean |Δ| / 1.128: slow process movement does not
/// count), the baseline is an exponential average over `span` readings (a
/// plain mean over the first), frozen while the alarm is on, and the
/// residual spread is the mean |reading − baseline| × 1.2533 over 2 × span
/// readings. A series whose residual spread is more than 1.5σ wanders on
/// its own (a slow process, a daily cycle): there a drift cannot be told
/// from the process by the series alone, and the rule stands down rather
/// than raise the process as a fault, until the spread is back under
/// 1.25σ. Elsewhere each sum adds the residual
/// in σ (clipped at ±4, so a spike barely moves it) less `k`, and the
/// alarm rises when either passes `h`. Every average counts a value at
/// most 4 widths away. The sums are capped at 2h while on, so the alarm
/// clears soon after the series is back; an alarm on for 4 × span
/// readings is a new level: the baseline restarts there. The limit given
/// is the baseline.
#[inline]
fn cusum(c: &mut super::Cusum, (k, h, span): (f64, f64, usize), v: f64) -> (bool, f64) {
    c.n = c.n.saturating_add(1);
    let span = span.max(2) as f64;
    if c.n == 1 {
        *c = super::Cusum {
            n: 1,
            level: v,
            prev: v,
            ..super::Cusum::default()
        };
        return (false, f64::NAN);
    }
    let learn = f64::from(c.n - 1);
    let d = (v - c.prev).abs() / 1.128;
    c.prev = v;
    let d = if c.noise > 0.0 {
        d.min(5.0 * c.noise)
    } else {
        d
    };
    c.noise += (d - c.noise) / learn.min(2.0 * span);
    let r = v - c.level;
    let warm = learn < span.min(f64::from(CUSUM_WARMUP)) || c.noise <= 0.0;
    let a = r.abs() * 1.2533;
    let a = if c.spread > 0.0 {
        a.min(CUSUM_CLIP * c.spread)
    } else {
        a
    };
    c.spread += (a - c.spread) / learn.min(2.0 * span);
    if warm {
        c.level += r / f64::from(c.n).min(span);
        return (false, f64::NAN);
    }
    let e = (r / c.noise).clamp(-CUSUM_CLIP, CUSUM_CLIP);
    let on_before = c.hi > h || c.lo > h;
    if !on_before {
        c.level += e * c.noise / span;
    }
    // With hysteresis: standing down from 1.5σ, judging again under 1.25σ.
    let ratio = c.spread / c.noise;
    c.wanders = ratio > CUSUM_WANDER || (c.wanders && ratio > CUSUM_WANDER * 5.0 / 6.0);
    if c.wanders {
        (c.hi, c.lo, c.held) = (0.0, 0.0, 0);
        return (false, f64::NAN);
    }
    c.hi = (c.hi + e - k).max(0.0);
    c.lo = (c.lo - e - k).max(0.0);
    let on = c.hi > h || c.lo > h;
    let limit = c.level;
    if on {
        // Capped so the alarm clears soon after the series comes back.
        c.hi = c.hi.min(2.0 * h);
        c.lo = c.lo.min(2.0 * h);
        c.held = c.held.saturating_add(1);
        if f64::from(c.held) > 4.0 * span {
            (c.level, c.hi, c.lo, c.held) = (v, 0.0, 0.0, 0);
            return (false, f64::NAN);
        }
    } else {
        c.held = 0;
    }
    (on, limit)
}

/// The fast average of a shift rule spans this fraction of the slow one.
pub(crate) const SHIFT_FAST: usize = 30;

/// A shift rule keeps snapshots of its slow model every span / this many
/// readings.
pub(crate) const SHIFT_SNAPS: usize = 3;

/// A shift rule's spread (its square, the variance) moves by
/// e^(SHIFT_STEP / span) a reading when |d| is above its learnt lower
/// quartile, and by e^(−3 × SHIFT_STEP / span) when below.
pub(crate) const SHIFT_STEP: f64 = 0.5;

/// The lower quartile of |x| for a Gaussian x of deviation 1: Φ⁻¹(0.625).
const SHIFT_QUARTILE: f64 = 0.318_639;

/// A shift rule on one good reading: slow drift and level shifts. The
/// slow model is Brown's linear exponential smoothing over `span`: a slow
/// average S1 and its own average S2, whose level 2·S1 − S2 and slope
/// (S1 − S2)·a/(1 − a) follow a series that rises or falls steadily (a
/// daily cycle, a tank emptying) without lagging behind it. `d` is a fast
/// exponential average (over span / 30 readings) less the slow model's
/// level at the fast average's lag: on a trend the two agree and only the
/// noise left in the fast average remains; a drift changes the slope, the
/// slow model follows it only over about a span, and `d` grows with the
/// drift. A plain fast-minus-slow difference would also hold the daily
/// cycle's own slope times the slow average's lag, and a drift on a
/// cycling series could not be told from the cycle.
/// Its spread is the root mean square of `d` learnt over 4
/// spans (a running mean at first), each square counting at most (2.5
/// spreads)², leaving out the readings beyond `h`
/// (outlier rejection) and those while the alarm is on. Judged from 2 ×
/// span readings on: raised when |d| passes `h` spreads, cleared under
/// h − 2. The slow model is frozen while the alarm is on (its level carried
/// on along its slope), so a drift that ends clears it; an alarm held for
/// 4 × span readings is a new level and
/// the slow model restarts there. Standardising by the statistic's own
/// spread, not by the noise, is what keeps a process that wanders (a
/// mean-reverting walk) from raising itself: there the
/// spread includes the wander, and only a change larger than the series'
/// own is raised. A step the z-score raises (two flagged readings in a
/// row) is not raised again, nor a series settling after its state
/// changed: the averages start again at the new level.
/// The limit given is the slow model's level.
#[inline]
fn shift(c: &mut super::Shift, h: f64, span: usize, v: f64) -> (bool, f64) {
    c.n = c.n.saturating_add(1);
    let span_f = span.max(2) as f64;
    let a_slow = 2.0 / (span_f + 1.0);
    let n_fast = (span_f / SHIFT_FAST as f64).max(1.0);
    let a_fast = 2.0 / (n_fast + 1.0);
    if c.n == 1 {
        *c = super::Shift {
            n: 1,
            slow: v,
            slow2: v,
            snaps: [v; 4],
            since: 0,
            taken: 0,
            fast: v,
            var: 0.0,
            held: 0,
        };
        return (false, f64::NAN);
    }
    let on_before = c.held > 0;
    c.fast += (v - c.fast) * a_fast;
    // A running mean over the first span, then exponential.
    let w = (1.0 / f64::from(c.n)).max(a_slow);
    if !on_before {
        c.slow += (v - c.slow) * w;
        c.slow2 += (c.slow - c.slow2) * w;
    }
    // Brown's level and slope per reading, the level carried along the
    // slope over the readings the model has been frozen, and taken back
    // by the fast average's lag ((n − 1) / 2 readings on a trend).
    let slope = (c.slow - c.slow2) * w / (1.0 - w).max(f64::EPSILON);
    let level = 2.0 * c.slow - c.slow2 + slope * (f64::from(c.held) - (n_fast - 1.0) / 2.0);
    let d = c.fast - level;
    let sd = c.var.sqrt();
    let judged = f64::from(c.n) >= 2.0 * span_f && sd > 0.0;
    let z = if sd > 0.0 { d.abs() / sd } else { 0.0 };
    let on = judged && if on_before { z > h - 2.0 } else { z > h };
    if !on && f64::from(c.n) >= span_f {
        if f64::from(c.n) < 2.0 * span_f || c.var <= 0.0 {
            // Seeded by the mean square over the second span.
            let w = 1.0 / (f64::from(c.n) - span_f + 1.0);
            c.var += (d * d - c.var) * w;
        } else {
            // Then from the lower quartile of |d| (over 0.3186, a
            // Gaussian's): each reading moves the spread up or down by a
            // small factor, up by 1 part when |d| is above the quartile
            // and down by 3 when below, so it settles where a quarter of
            // readings are below. However far a drift takes d it moves
            // the spread no more than a reading of noise does, and the
            // quartile holds while up to three quarters of the readings
            // are disturbed (drifts missed, a model still catching up).
            let step = SHIFT_STEP / span_f;
            let up = d.abs() / SHIFT_QUARTILE > sd;
            c.var *= if up {
                (step * 4.0 * 0.25).exp()
            } else {
                (-step * 4.0 * 0.75).exp()
            };
        }
    }
    c.since = c.since.saturating_add(1);
    let every = (span / SHIFT_SNAPS).max(1) as u32;
    if !on && f64::from(c.n) >= span_f && c.since >= every {
        c.snaps = [c.snaps[2], c.snaps[3], c.slow, c.slow2];
        c.since = 0;
        c.taken = (c.taken + 1).min(2);
    }
    if on && !on_before && c.taken == 2 {
        // Raised: the slow model goes back to the older snapshot, taken
        // span / 3 to 2 span / 3 readings ago, carried on along its slope
        // to now: the slope learnt since may already hold some of the
        // drift, and carried on through the alarm it would keep it on
        // after the series came back.
        let age = f64::from(c.since) + f64::from(every);
        let back = (c.snaps[0] - c.snaps[1]) * a_slow / (1.0 - a_slow);
        c.slow = c.snaps[0] + back * age;
        c.slow2 = c.snaps[1] + back * age;
    }
    if on {
        c.held = c.held.saturating_add(1);
        if f64::from(c.held) > 4.0 * span_f {
            // A new level: the slow model starts again there.
            (c.slow, c.slow2, c.held, c.taken) = (c.fast, c.fast, 0, 0);
            return (false, f64::NAN);
        }
        (true, level)
    } else {
        if on_before {
            // Back: the slow model goes on from where its level got to.
            let shifted = slope * f64::from(c.held);
            c.slow += shifted;
            c.slow2 += shifted;
        }
        c.held = 0;
        (false, f64::NAN)
    }
}

/// A step the z-score raised: the shift rule's models move by the step,
/// keeping the slow model's slope (a daily cycle goes on after a step).
fn shift_step(c: &mut super::Shift, span: usize, v: f64) {
    let a = 2.0 / (span.max(2) as f64 + 1.0);
    let slope = (c.slow - c.slow2) * a / (1.0 - a);
    // Carried on over the readings it was frozen.
    let carried = slope * f64::from(c.held);
    let by = v - (2.0 * c.slow - c.slow2 + carried) + carried;
    c.slow += by;
    c.slow2 += by;
    for s in &mut c.snaps {
        *s += by;
    }
    (c.fast, c.held) = (v, 0);
}

/// Intervals a gap rule learns from whatever their length (it judges them
/// all the same).
const GAP_LEARN: u32 = 64;

/// A reading arrives on a series with a gap rule: flags it when it ends a
/// silence longer than the rule allows (raising and clearing the alarm if
/// the clock had not already raised it), learns the usual interval from the
/// others, and sets the next deadline.
#[inline]
pub(super) fn gap_arrival(
    slot: &mut Slot,
    factor: f64,
    (prev_ts, last_value): (Option<Millis>, f64),
    i: usize,
    heap: &mut Deadlines,
    j: &mut Judged,
) {
    let Memory::Gap {
        interval_ms,
        deadline,
        longest_ms,
        seen,
    } = &mut slot.memory
    else {
        return;
    };
    let ts = j.ts;
    if let Some(p) = prev_ts {
        let dt = ts.saturating_sub(p) as f64;
        if dt > 0.0 {
            let allowed = factor * interval_ms.max(*longest_ms);
            if *seen < GAP_LEARN {
                // Every interval of the first few counts, flagged or not:
                // the series' sampling is what it shows at first (a
                // historian's report-by-exception, an irregular poll).
                *longest_ms = longest_ms.max(dt);
            }
            *seen = seen.saturating_add(1);
            if *interval_ms > 0.0 && dt > allowed {
                let limit = allowed / 1000.0;
                j.flag(slot.rule, limit);
                if !slot.active {
                    j.events.push(Event {
                        ts: p.saturating_add(allowed as i64),
                        series: j.sid,
                        raised: true,
                        rule: slot.rule,
                        value: last_value,
                        limit,
                    });
                }
                j.events.push(Event {
                    ts,
                    series: j.sid,
                    raised: false,
                    rule: slot.rule,
                    value: j.v,
                    limit,
                });
                slot.active = false;
            } else {
                *interval_ms = if *interval_ms == 0.0 {
                    dt
                } else {
                    0.9 * *interval_ms + 0.1 * dt
                };
                // The longest usual interval: raised by any interval the
                // rule let pass, decaying to the usual one over ~2000.
                *longest_ms = longest_ms.max(dt);
                *longest_ms -= (*longest_ms - *interval_ms).max(0.0) / 2000.0;
            }
        }
    }
    if *interval_ms > 0.0 {
        // `as` saturates a huge factor; the add must too.
        *deadline = ts
            .max(prev_ts.unwrap_or(ts))
            .saturating_add((factor * interval_ms.max(*longest_ms)) as i64);
        if !slot.in_heap {
            heap.push(Reverse((*deadline, j.sid, i as u32)));
            slot.in_heap = true;
        }
    }
}
