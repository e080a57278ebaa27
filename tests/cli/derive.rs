//! `iiot derive` and the model's `formula` column: computed tags on a
//! stream, the boiler's efficiency from steam and fuel flow.

use std::collections::BTreeMap;
use std::process::Command;

use crate::util::{Workdir, fails_with, num, ok, parse_ndjson, run_ok, text};

fn simulate(wd: &Workdir, args: &str) -> String {
    let mut c = wd.cmd("simulate");
    c.args(args.split_whitespace()).arg("-q");
    run_ok(wd, &mut c)
}

/// Per (asset, ts): tag → value.
fn by_time(records: &[serde_json::Value]) -> BTreeMap<(String, String), BTreeMap<String, f64>> {
    let mut m: BTreeMap<(String, String), BTreeMap<String, f64>> = BTreeMap::new();
    for r in records {
        m.entry((text(r, "asset").to_string(), text(r, "ts").to_string()))
            .or_default()
            .insert(text(r, "tag").to_string(), num(r, "value"));
    }
    m
}

#[test]
fn boiler_efficiency_is_steam_per_fuel_within_its_range() {
    let wd = Workdir::new("derive-boiler");
    let out = simulate(&wd, "--preset boiler --duration 2d --interval 1m");
    let records = parse_ndjson(&out);
    let mut ratios = Vec::new();
    let mut effs = Vec::new();
    for ((asset, ts), tags) in by_time(&records) {
        let (steam, fuel, eff) = (tags["steam_flow"], tags["fuel_flow"], tags["efficiency"]);
        // The formula of the preset, applied to the written inputs.
        let want = steam * 2.257 / (fuel * 42.5) * 100.0;
        assert!((eff - want).abs() < 1e-9, "{asset} {ts}: {eff} vs {want}");
        // Within the model's range (0-100) and its alarm limits lo 80, hi 92
        // but for the rare edge of noise.
        assert!((0.0..=100.0).contains(&eff), "{asset} {ts}: {eff}");
        ratios.push(steam / fuel);
        effs.push(eff);
    }
    let inside = effs.iter().filter(|e| (80.0..=92.0).contains(*e)).count();
    assert!(
        inside * 1000 >= effs.len() * 998,
        "{inside} of {} inside 80-92",
        effs.len()
    );
    let mean = effs.iter().sum::<f64>() / effs.len() as f64;
    assert!((84.0..88.0).contains(&mean), "mean efficiency {mean}");
    // Efficiency moves with steam per unit of fuel: the two correlate fully,
    // and it does move (not a constant).
    let corr = correlation(&ratios, &effs);
    assert!(corr > 0.999, "correlation {corr}");
    let sd = (effs.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / effs.len() as f64).sqrt();
    assert!(sd > 0.3, "efficiency barely moves: sd {sd}");
}

fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    cov / (vx * vy).sqrt()
}

#[test]
fn fuel_level_falls_while_fuel_burns() {
    // Between refills the tank level only falls (beyond its noise): the
    // fuel flow is always positive.
    let wd = Workdir::new("derive-fuel");
    let out = simulate(
        &wd,
        "--preset boiler --duration 1d --interval 10m --start 2026-01-01T00:00:00Z",
    );
    let records = parse_ndjson(&out);
    let blr1: Vec<(f64, f64)> = by_time(&records)
        .into_iter()
        .filter(|((a, _), _)| a == "SITE-1/BLR-1")
        .map(|(_, t)| (t["fuel_level"], t["fuel_flow"]))
        .collect();
    assert!(blr1.iter().all(|(_, f)| *f > 0.3 && *f < 1.2), "{blr1:?}");
    let first = blr1.first().unwrap().0;
    let last = blr1.last().unwrap().0;
    assert!(
        last < first,
        "level rose over a day without refill: {first} → {last}"
    );
}

#[test]
fn derive_writes_what_simulate_computed() {
    let wd = Workdir::new("derive-same");
    // Labelled: the efficiency computed from a faulty input carries its label
    // in both.
    let faults = "--faults spike=0.01,stuck=0.005,drift=0.005 --label";
    let sim = simulate(
        &wd,
        &format!("--preset boiler --duration 30m --interval 10s {faults}"),
    );
    // Without the efficiency readings, derive puts them back, the same.
    let inputs: String = sim
        .lines()
        .filter(|l| !l.contains("\"tag\":\"efficiency\""))
        .map(|l| format!("{l}\n"))
        .collect();
    wd.write("inputs.ndjson", &inputs);
    let script = format!(
        "'{bin}' derive --preset boiler inputs.ndjson > derived.ndjson && \
         '{bin}' simulate --preset boiler --duration 30m --interval 10s {faults} -q \
           | '{bin}' derive --preset boiler -q | '{bin}' cat -q > again.ndjson",
        bin = env!("CARGO_BIN_EXE_iiot")
    );
    let mut c = Command::new("bash");
    c.args(["-o", "pipefail", "-c", &script])
        .current_dir(&wd.dir);
    let out = wd.run(&mut c);
    ok(&c, &out);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let mut want: Vec<&str> = sim.lines().collect();
    want.sort_unstable();
    for file in ["derived.ndjson", "again.ndjson"] {
        let got = wd.read(file);
        let mut got: Vec<&str> = got.lines().collect();
        got.sort_unstable();
        assert_eq!(got.len(), want.len(), "{file}");
        assert!(got == want, "{file} differs from simulate's stream");
    }
    let derived: u64 = field(&stderr, "derived");
    assert_eq!(
        derived as usize,
        want.iter().filter(|l| l.contains("efficiency")).count()
    );
    assert_eq!(field(&stderr, "stale"), 0, "{stderr}");
}

#[test]
fn with_dropouts_derive_fills_from_recent_inputs() {
    // simulate computes a tick's efficiency only when both inputs were
    // written at it; derive also from an input up to 3 intervals old, so
    // it writes every efficiency simulate wrote, and more.
    let wd = Workdir::new("derive-dropout");
    let sim = simulate(
        &wd,
        "--preset boiler --duration 1h --interval 10s --faults dropout=0.02",
    );
    let mut c = wd.cmd("derive");
    c.args(["--preset", "boiler"]);
    let out = wd.run_with_stdin(&mut c, sim.clone());
    let derived = ok(&c, &out);
    let got: std::collections::BTreeSet<&str> = derived.lines().collect();
    let sim_eff: Vec<&str> = sim.lines().filter(|l| l.contains("efficiency")).collect();
    assert!(!sim_eff.is_empty(), "simulate wrote no efficiency");
    assert!(sim_eff.iter().all(|l| got.contains(l)));
    let got_eff = got.iter().filter(|l| l.contains("efficiency")).count();
    assert!(got_eff > sim_eff.len(), "{got_eff} vs {}", sim_eff.len());
}

#[test]
fn a_derived_reading_takes_the_worst_quality_and_the_first_fault_of_its_inputs() {
    let wd = Workdir::new("derive-quality");
    wd.write(
        "m.csv",
        "asset,tag,unit,formula\nA,a,,\nA,b,,\nA,s,,a + b\n",
    );
    let input = [
        r#"{"ts":"2026-01-01T00:00:00Z","asset":"A","tag":"a","value":1}"#,
        r#"{"ts":"2026-01-01T00:00:00Z","asset":"A","tag":"b","value":2}"#,
        r#"{"ts":"2026-01-01T00:00:10Z","asset":"A","tag":"a","value":1,"quality":"uncertain"}"#,
        r#"{"ts":"2026-01-01T00:00:10Z","asset":"A","tag":"b","value":2,"quality":"bad","fault":"stuck"}"#,
        r#"{"ts":"2026-01-01T00:00:20Z","asset":"A","tag":"a","value":5,"fault":"spike"}"#,
        r#"{"ts":"2026-01-01T00:00:20Z","asset":"A","tag":"b","value":2,"fault":"stuck"}"#,
        r#"{"ts":"2026-01-01T00:00:30Z","asset":"A","tag":"a","value":1}"#,
        r#"{"ts":"2026-01-01T00:00:30Z","asset":"A","tag":"b","value":2}"#,
    ]
    .join("\n");
    let mut c = wd.cmd("derive");
    c.args(["--model", "m.csv", "-q"]);
    let out = wd.run_with_stdin(&mut c, input);
    let got: Vec<(String, f64, String, String)> = parse_ndjson(&ok(&c, &out))
        .iter()
        .filter(|r| text(r, "tag") == "s")
        .map(|r| {
            let opt = |k: &str| r.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
            (
                text(r, "ts")[17..19].to_string(),
                num(r, "value"),
                opt("quality"),
                opt("fault"),
            )
        })
        .collect();
    let want = [
        ("00", 3.0, "", ""),
        ("10", 3.0, "bad", "stuck"),
        ("20", 7.0, "", "spike"),
        ("30", 3.0, "", ""),
    ];
    let want: Vec<(String, f64, String, String)> = want
        .iter()
        .map(|(t, v, q, f)| (t.to_string(), *v, q.to_string(), f.to_string()))
        .collect();
    assert_eq!(got, want);
}

fn field(stderr: &str, name: &str) -> u64 {
    let after = stderr
        .split(&format!("{name} "))
        .nth(1)
        .unwrap_or_else(|| panic!("{name} in {stderr}"));
    after
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn derive_counts_division_by_zero_and_honours_max_age() {
    let wd = Workdir::new("derive-zero");
    wd.write(
        "m.csv",
        "asset,tag,unit,formula\nA,a,,\nA,b,,\nA,r,%,a / b\n",
    );
    let input = [
        r#"{"ts":"2026-01-01T00:00:00Z","asset":"A","tag":"a","value":1}"#,
        r#"{"ts":"2026-01-01T00:00:00Z","asset":"A","tag":"b","value":0}"#,
        r#"{"ts":"2026-01-01T00:00:10Z","asset":"A","tag":"b","value":4}"#,
        r#"{"ts":"2026-01-01T00:01:00Z","asset":"A","tag":"b","value":2}"#,
        r#"{"ts":"2026-01-01T00:01:00Z","asset":"A","tag":"x","value":2}"#,
    ]
    .join("\n");
    let mut c = wd.cmd("derive");
    c.args(["--model", "m.csv", "--max-age", "30s"]);
    let out = wd.run_with_stdin(&mut c, input);
    let stdout = ok(&c, &out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let derived: Vec<_> = parse_ndjson(&stdout)
        .into_iter()
        .filter(|r| text(r, "tag") == "r")
        .collect();
    // 00:00 divides by zero; 00:10 is 1/4; at 01:00 a is 60 s old.
    assert_eq!(derived.len(), 1, "{stdout}");
    assert_eq!(num(&derived[0], "value"), 0.25);
    assert_eq!(text(&derived[0], "ts"), "2026-01-01T00:00:10Z");
    assert_eq!(text(&derived[0], "unit"), "%");
    assert!(
        stderr.contains("wrote 6, derived 1, stale 1, non-finite 1"),
        "{stderr}"
    );
}

#[test]
fn model_check_names_formula_problems_by_line_and_column() {
    let wd = Workdir::new("derive-check");
    wd.write(
        "m.csv",
        "asset,tag,formula\nA,a,\nA,b,a * (\nA,c,a + nope\nA,d,e + 1\nA,e,d * 2\nA,f,f + 1\nA,g,frob(a)\n",
    );
    let mut c = wd.cmd("model");
    c.args(["check", "m.csv"]);
    let out = wd.run(&mut c);
    let stderr = fails_with(1, &c, &out);
    for want in [
        "line 3, column formula: \"a * (\" does not parse",
        "line 4, column formula: A has no tag \"nope\"",
        "line 5, column formula: d is computed round in a circle",
        "line 6, column formula: e is computed round in a circle",
        "line 7, column formula: f is computed from itself",
        "line 8, column formula: \"frob(a)\" unknown function \"frob\"",
    ] {
        assert!(stderr.contains(want), "missing {want:?} in\n{stderr}");
    }
}
