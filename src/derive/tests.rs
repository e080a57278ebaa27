use proptest::prelude::*;

use super::*;
use crate::model::Model;

const MODEL: &str = "asset,tag,formula\n\
A,a,\nA,b,\nA,c,\nA,r,a / b\n\
B,a,\nB,b,\nB,c,\nB,r,a / b\n";

/// One update: (asset 0/1, tag 0 a / 1 b / 2 c, value).
type Update = (usize, usize, f64);

fn reading(ts: Millis, asset: usize, tag: usize, value: f64) -> Reading {
    let mut r = Reading::default();
    r.ts = ts;
    r.asset = ["A", "B"][asset].to_string();
    r.tag = ["a", "b", "c"][tag].to_string();
    r.value = value;
    r
}

/// Runs the engine over (ts, updates at ts) and returns the derived
/// readings as (asset, ts, value), and the counts.
fn run(steps: &[(Millis, Vec<Update>)], max_age: MaxAge) -> (Vec<(String, Millis, f64)>, Counts) {
    let model = Model::load(MODEL, "test").unwrap();
    let mut d = Deriver::new(&model, max_age).unwrap();
    let mut out = Vec::new();
    let mut emit = |r: &ReadingRef<'_>| {
        assert_eq!(r.tag, "r");
        out.push((r.asset.to_string(), r.ts, r.value));
        Ok(())
    };
    for (ts, updates) in steps {
        for &(a, t, v) in updates {
            assert_eq!(
                d.push(&reading(*ts, a, t, v), &mut emit).unwrap(),
                Pass::Keep
            );
        }
    }
    d.finish(&mut emit).unwrap();
    (out, d.counts)
}

/// The rule written out plainly: at each time an input (a or b) of an
/// asset was updated, a / b from each input's latest value no older than
/// `max_age`, when finite.
fn expected(steps: &[(Millis, Vec<Update>)], max_age: Millis) -> Vec<(String, Millis, f64)> {
    let mut out = Vec::new();
    for asset in 0..2 {
        let mut latest: [Option<(Millis, f64)>; 2] = [None, None];
        for (ts, updates) in steps {
            let mut updated = false;
            for &(a, t, v) in updates {
                if a == asset && t < 2 {
                    latest[t] = Some((*ts, v));
                    updated = true;
                }
            }
            if !updated {
                continue;
            }
            if let [Some((ta, a)), Some((tb, b))] = latest
                && ts - ta <= max_age
                && ts - tb <= max_age
            {
                let v = a / b;
                if v.is_finite() {
                    out.push((["A", "B"][asset].to_string(), *ts, v));
                }
            }
        }
    }
    out.sort_by(|x, y| (x.1, &x.0).partial_cmp(&(y.1, &y.0)).unwrap());
    out
}

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        1 => Just(0.0),
        6 => -1000.0..1000.0f64,
    ]
}

fn steps() -> impl Strategy<Value = Vec<(Millis, Vec<Update>)>> {
    let gaps = prop::collection::vec(1i64..5_000, 1..40);
    let updates = prop::collection::vec(
        prop::collection::vec((0..2usize, 0..3usize, value()), 0..6),
        40,
    );
    (gaps, updates).prop_map(|(gaps, updates)| {
        let mut ts = 1_767_225_600_000;
        gaps.into_iter()
            .zip(updates)
            .map(|(g, u)| {
                ts += g;
                (ts, u)
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn derived_values_are_the_formula_of_the_inputs_within_max_age(
        steps in steps(),
        max_age in 0i64..10_000,
    ) {
        let (mut got, counts) = run(&steps, MaxAge::Fixed(max_age));
        got.sort_by(|x, y| (x.1, &x.0).partial_cmp(&(y.1, &y.0)).unwrap());
        let want = expected(&steps, max_age);
        prop_assert_eq!(&got, &want);
        // At most one per asset and time.
        for w in got.windows(2) {
            prop_assert!((w[0].1, &w[0].0) != (w[1].1, &w[1].0));
        }
        prop_assert_eq!(counts.derived as usize, want.len());
    }
}

#[test]
fn default_max_age_is_three_usual_intervals() {
    // a every second throughout, b every second until t=5 s: r at 0…8 s,
    // then b is more than 3 s old.
    let steps: Vec<(Millis, Vec<Update>)> = (0..12)
        .map(|i| {
            let mut u = vec![(0, 0, 10.0 + i as f64)];
            if i <= 5 {
                u.push((0, 1, 2.0));
            }
            (i * 1000, u)
        })
        .collect();
    let (got, counts) = run(&steps, MaxAge::TimesInterval(3));
    let times: Vec<Millis> = got.iter().map(|g| g.1).collect();
    assert_eq!(times, (0..=8).map(|i| i * 1000).collect::<Vec<_>>());
    assert_eq!(counts.stale, 3);
    assert_eq!(got[8].2, 18.0 / 2.0);
}

#[test]
fn division_by_zero_is_counted_not_written() {
    let steps = vec![
        (0, vec![(0, 0, 1.0), (0, 1, 0.0)]),
        (1000, vec![(0, 1, 4.0)]),
    ];
    let (got, counts) = run(&steps, MaxAge::TimesInterval(3));
    assert_eq!(got, vec![("A".to_string(), 1000, 0.25)]);
    assert_eq!(counts.non_finite, 1);
}

#[test]
fn a_scaled_engine_derives_what_the_engine_of_the_scaled_model_does() {
    let model = Model::load(MODEL, "test").unwrap();
    let n = 5;
    let names = model.scaled_asset_names(n);
    let mut whole = Deriver::new(&model.scaled(n), MaxAge::TimesInterval(3)).unwrap();
    let mut shared = Deriver::scaled(&model, n, MaxAge::TimesInterval(3)).unwrap();
    let mut outs: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    for step in 0..20i64 {
        for (i, name) in names.iter().enumerate() {
            for (t, tag) in ["a", "b", "c", "r"].iter().enumerate() {
                // Some inputs drop out now and then; b is zero at times.
                if (step + i as i64 + t as i64) % 7 == 0 {
                    continue;
                }
                let mut r = Reading::default();
                r.ts = step * 1000;
                r.asset.clone_from(name);
                r.tag = tag.to_string();
                r.value = ((step * 3 + i as i64 * 5 + t as i64) % 4) as f64;
                for (d, out) in [&mut whole, &mut shared].into_iter().zip(&mut outs) {
                    let pass = d
                        .push(&r, &mut |r: &ReadingRef<'_>| {
                            out.push(format!("{} {} {} {}", r.ts, r.asset, r.tag, r.value));
                            Ok(())
                        })
                        .unwrap();
                    out.push(format!("{pass:?}"));
                }
            }
        }
    }
    for (d, out) in [&mut whole, &mut shared].into_iter().zip(&mut outs) {
        d.finish(&mut |r: &ReadingRef<'_>| {
            out.push(format!("{} {} {} {}", r.ts, r.asset, r.tag, r.value));
            Ok(())
        })
        .unwrap();
    }
    assert!(whole.counts.derived > 20 && whole.counts.non_finite > 0);
    assert_eq!(outs[0], outs[1]);
    assert_eq!(whole.counts, shared.counts);
}
