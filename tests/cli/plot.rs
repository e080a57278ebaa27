//! `iiot plot`: the SVG holds one line per series and one marker per
//! flagged reading, the line goes through every extreme of a stream far
//! longer than the chart is wide, gaps break it, alarm events shade their
//! spans, the model's limits are dashed, rollups draw a band, and bad lines
//! are rejected with their number and field.

use std::fmt::Write as _;

use crate::util::{Workdir, fails_with, ok};

const SERIES: &str = r##"stroke="#1F77B4""##;
const MARKER: &str = r##"fill="#D62728""##;

/// A reading at `s` seconds after 2026-01-01T00:00:00Z, with `tail` spliced
/// in after the value.
fn reading(asset: &str, tag: &str, s: i64, value: f64, tail: &str) -> String {
    format!(
        r#"{{"ts":{},"asset":"{asset}","tag":"{tag}","value":{value}{tail}}}"#,
        1_767_225_600_000 + s * 1000
    ) + "\n"
}

/// The `<tag …/>` elements of an SVG that contain every one of `needles`.
fn elements<'a>(svg: &'a str, tag: &str, needles: &[&str]) -> Vec<&'a str> {
    svg.lines()
        .filter(|l| l.starts_with(&format!("<{tag} ")))
        .filter(|l| needles.iter().all(|n| l.contains(n)))
        .collect()
}

/// The points of a `<polyline>` element.
fn points(polyline: &str) -> Vec<(i32, i32)> {
    let start = polyline.find("points=\"").expect("a points attribute") + 8;
    let end = start + polyline[start..].find('"').expect("a closing quote");
    polyline[start..end]
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').expect("x,y");
            (x.parse().expect("x"), y.parse().expect("y"))
        })
        .collect()
}

fn plot(wd: &Workdir, input: &str, args: &[&str]) -> (String, String) {
    let mut cmd = wd.cmd("plot");
    cmd.args(["-o", "chart.svg"]).args(args);
    let out = wd.run_with_stdin(&mut cmd, input);
    ok(&cmd, &out);
    (
        wd.read("chart.svg"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn plot_draws_a_line_per_series_and_a_marker_per_flagged_reading() {
    let wd = Workdir::new("plot-basic");
    let flag = r#","anomalies":[{"rule":"z","kind":"zscore","severity":"low"}]"#;
    let mut input = String::new();
    for s in 0..300 {
        let v = (s as f64 * 0.1).sin();
        let flagged = [17, 150, 299].contains(&s);
        input += &reading("A", "p", s, v, if flagged { flag } else { "" });
        input += &reading("B", "q", s, 10.0 + v, if s == 42 { flag } else { "" });
    }
    // An empty anomalies array flags nothing.
    input += &reading("B", "q", 300, 10.0, r#","anomalies":[]"#);
    let (svg, stderr) = plot(&wd, &input, &[]);
    assert_eq!(elements(&svg, "polyline", &[SERIES]).len(), 2, "{stderr}");
    assert_eq!(elements(&svg, "circle", &[MARKER]).len(), 4, "{stderr}");
    assert!(
        stderr.contains("read 601, drew 2 series in 2 panels, 4 anomalies (4 markers), 0 alarm spans, rejected 0"),
        "{stderr}"
    );
    assert!(svg.contains("A · p — 300 readings, 3 anomalies"), "{svg}");
    assert!(svg.starts_with("<svg "), "{svg}");
}

#[test]
fn plot_line_keeps_every_extreme_of_a_long_stream() {
    // 200 000 readings into a chart 600 pixels wide: the highest and
    // lowest readings must be where the line peaks and dips, at their time.
    let wd = Workdir::new("plot-extremes");
    let n = 200_000i64;
    let (peak, dip) = (123_457i64, 31_337i64);
    let mut input = String::with_capacity(n as usize * 80);
    for s in 0..n {
        let v = match s {
            _ if s == peak => 50.0,
            _ if s == dip => -50.0,
            _ => ((s * 7919) % 1000) as f64 / 100.0,
        };
        let _ = write!(input, "{}", reading("A", "p", s, v, ""));
    }
    let (svg, stderr) = plot(&wd, &input, &["--width", "600"]);
    let lines = elements(&svg, "polyline", &[SERIES]);
    assert_eq!(lines.len(), 1, "{stderr}");
    let pts = points(lines[0]);
    // At most two points a pixel column, not one a reading.
    assert!(pts.len() <= 2 * 600, "{} points", pts.len());
    let x_of = |frac: f64| {
        let (x0, x1) = (pts[0].0, pts[pts.len() - 1].0);
        x0 as f64 + frac * (x1 - x0) as f64
    };
    let top = pts.iter().min_by_key(|p| p.1).unwrap();
    let bottom = pts.iter().max_by_key(|p| p.1).unwrap();
    assert!(
        (top.0 as f64 - x_of(peak as f64 / (n - 1) as f64)).abs() <= 2.0,
        "{top:?}"
    );
    assert!(
        (bottom.0 as f64 - x_of(dip as f64 / (n - 1) as f64)).abs() <= 2.0,
        "{bottom:?}"
    );
    // Nothing else reaches within a fifth of the way to either extreme.
    let span = (bottom.1 - top.1) as f64;
    let others = pts
        .iter()
        .filter(|p| (p.1 - top.1) as f64 <= span * 0.2 || (bottom.1 - p.1) as f64 <= span * 0.2)
        .count();
    assert_eq!(others, 2, "{pts:?}");
}

#[test]
fn plot_breaks_the_line_at_a_gap_and_leaves_out_bad_quality() {
    let wd = Workdir::new("plot-gap");
    let mut input = String::new();
    for s in (0..200).chain(1000..1200) {
        input += &reading("A", "p", s, (s % 7) as f64, "");
    }
    input += &reading("A", "p", 1200, 1e6, r#","quality":"bad""#);
    let (svg, stderr) = plot(&wd, &input, &[]);
    assert_eq!(elements(&svg, "polyline", &[SERIES]).len(), 2, "{stderr}");
    assert!(
        stderr.contains("1 readings of quality not good left out"),
        "{stderr}"
    );
    // The bad value did not stretch the value axis.
    assert!(!svg.contains("1000000"), "{svg}");
}

#[test]
fn plot_shades_the_span_between_raised_and_cleared() {
    let wd = Workdir::new("plot-spans");
    let mut input = String::new();
    for s in 0..100 {
        input += &reading("A", "p", s, s as f64, "");
    }
    let event = |s: i64, what: &str, sev: &str| {
        reading(
            "A",
            "p",
            s,
            s as f64,
            &format!(
                r#","event":"{what}","rule":"hi","kind":"threshold","severity":"{sev}","limit":20"#
            ),
        )
    };
    input += &event(20, "raised", "high");
    input += &event(40, "cleared", "high");
    // Still active at the end: shaded to the end of the chart.
    input += &event(80, "raised", "high");
    let (svg, stderr) = plot(&wd, &input, &[]);
    let spans = elements(&svg, "rect", &[MARKER, r#"opacity="0.12""#]);
    assert_eq!(spans.len(), 2, "{stderr}");
    assert!(stderr.contains("2 alarm spans"), "{stderr}");
    let width = |r: &str| -> i32 {
        let s = r.find("width=\"").unwrap() + 7;
        r[s..s + r[s..].find('"').unwrap()].parse().unwrap()
    };
    // 20 s and 19 s of a 99 s axis.
    let (a, b) = (width(spans[0]) as f64, width(spans[1]) as f64);
    assert!(b > 0.0 && (a / b - 20.0 / 19.0).abs() < 0.03, "{spans:?}");
}

#[test]
fn plot_draws_the_models_limits_near_the_data_dashed() {
    let wd = Workdir::new("plot-limits");
    wd.write(
        "m.csv",
        "asset,tag,unit,lo_lo,lo,hi,hi_hi\nA,p,bar,-100,1,10,12\n",
    );
    let mut input = String::new();
    for s in 0..100 {
        input += &reading("A", "p", s, (s % 12) as f64, "");
    }
    let (svg, _) = plot(&wd, &input, &["--model", "m.csv"]);
    let dashed = elements(&svg, "polyline", &["stroke-dasharray"]);
    // lo, hi and hi_hi lie by the data (0..11); lo_lo far below is left out.
    assert_eq!(dashed.len(), 3, "{dashed:?}");
    assert!(
        svg.contains("HH 12") && svg.contains("H 10") && svg.contains("L 1"),
        "{svg}"
    );
    assert!(!svg.contains("LL -100"), "{svg}");
}

#[test]
fn plot_draws_rollups_as_a_band_around_the_mean() {
    let wd = Workdir::new("plot-band");
    let mut raw = String::new();
    for s in 0..3600 {
        raw += &reading("A", "p", s, ((s * 37) % 100) as f64, "");
    }
    wd.write("raw.ndjson", &raw);
    let mut roll = wd.cmd("rollup");
    roll.args(["--every", "1m", "raw.ndjson", "-q"]);
    let out = wd.run(&mut roll);
    ok(&roll, &out);
    let (svg, stderr) = plot(&wd, &String::from_utf8_lossy(&out.stdout), &[]);
    assert_eq!(
        elements(&svg, "polygon", &[r##"fill="#1F77B4""##]).len(),
        1,
        "{stderr}"
    );
    assert_eq!(elements(&svg, "polyline", &[SERIES]).len(), 1, "{stderr}");
    assert!(stderr.contains("read 60,"), "{stderr}");
}

#[test]
fn plot_rejects_bad_lines_with_their_number_and_field() {
    let wd = Workdir::new("plot-bad");
    let mut input = String::new();
    input += &reading("A", "p", 0, 1.0, "");
    input += &reading("A", "p", 1, 2.0, r#","anomalies":"yes""#);
    input += "{\"ts\":0,\"asset\":\"A\",\"tag\":\"p\",\"value\":NaN}\n";
    input += &reading("A", "p", 2, 3.0, r#","min":5,"max":1"#);
    input += &reading("A", "p", 3, 2.0, "");
    let (svg, stderr) = plot(&wd, &input, &[]);
    assert!(stderr.contains("stdin:2: field \"anomalies\""), "{stderr}");
    assert!(stderr.contains("stdin:3: field \"value\""), "{stderr}");
    assert!(stderr.contains("stdin:4: field \"min\""), "{stderr}");
    assert!(
        stderr.contains("read 5, drew 1 series") && stderr.contains("rejected 3"),
        "{stderr}"
    );
    assert!(svg.contains("A · p — 2 readings"), "{svg}");

    let mut strict = wd.cmd("plot");
    strict.args(["-o", "strict.svg", "--strict"]);
    let out = wd.run_with_stdin(&mut strict, input);
    let err = fails_with(1, &strict, &out);
    assert!(err.contains("stdin:2:"), "{err}");
    assert!(!wd.path("strict.svg").exists());
}

#[test]
fn plot_of_nothing_fails_and_too_many_series_are_counted() {
    let wd = Workdir::new("plot-panels");
    let mut cmd = wd.cmd("plot");
    cmd.args(["-o", "none.svg"]);
    let out = wd.run_with_stdin(&mut cmd, "");
    let err = fails_with(1, &cmd, &out);
    assert!(err.contains("nothing to plot"), "{err}");
    assert!(!wd.path("none.svg").exists());
    let mut cmd = wd.cmd("plot");
    cmd.args(["-o", "none.svg", "--to", "2026-01-01"]);
    let out = wd.run_with_stdin(&mut cmd, reading("A", "p", 0, 1.0, ""));
    let err = fails_with(1, &cmd, &out);
    assert!(
        err.contains("nothing to plot: read 1, rejected 0, 1 outside the selection"),
        "{err}"
    );
    assert!(!wd.path("none.svg").exists());

    let mut input = String::new();
    for s in 0..10 {
        for tag in ["a", "b", "c"] {
            input += &reading("X", tag, s, s as f64, "");
        }
    }
    let (svg, stderr) = plot(&wd, &input, &["--max-panels", "2"]);
    assert_eq!(elements(&svg, "polyline", &[SERIES]).len(), 2, "{stderr}");
    assert!(
        stderr.contains("1 series not drawn (10 readings): over --max-panels 2"),
        "{stderr}"
    );
    let (svg, stderr) = plot(
        &wd,
        &input,
        &["--tag", "b,c", "--from", "2026-01-01T00:00:05Z"],
    );
    assert_eq!(elements(&svg, "polyline", &[SERIES]).len(), 2, "{stderr}");
    assert!(svg.contains("X · b — 5 readings"), "{svg}");
    assert!(
        stderr.contains("20 readings outside the selection"),
        "{stderr}"
    );
}

#[test]
fn plot_of_a_simulated_day_with_detect_marks_what_detect_flagged() {
    // The issue's pipeline: simulate → detect → plot, checked against
    // detect's own output.
    let wd = Workdir::new("plot-pipeline");
    let mut sim = wd.cmd("simulate");
    sim.args([
        "--preset",
        "fermenter",
        "--duration",
        "30m",
        "--faults",
        "spike=0.002",
        "--label",
        "--seed",
        "7",
        "-q",
    ]);
    let out = wd.run(&mut sim);
    ok(&sim, &out);
    let mut detect = wd.cmd("detect");
    detect.args([
        "--preset",
        "fermenter",
        "--zscore",
        "4",
        "--no-defaults",
        "-q",
    ]);
    let flagged = wd.run_with_stdin(&mut detect, out.stdout);
    ok(&detect, &flagged);
    let text = String::from_utf8_lossy(&flagged.stdout).to_string();
    let anomalies = text.lines().filter(|l| l.contains("\"anomalies\"")).count();
    assert!(anomalies > 5, "{anomalies}");
    let (svg, stderr) = plot(&wd, &text, &["--preset", "fermenter"]);
    let series = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            format!("{}/{}", v["asset"], v["tag"])
        })
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    assert_eq!(
        elements(&svg, "polyline", &[SERIES]).len(),
        series,
        "{stderr}"
    );
    let markers = elements(&svg, "circle", &[MARKER]).len();
    assert_eq!(markers, anomalies, "{stderr}");
    assert!(
        stderr.contains(&format!("{anomalies} anomalies ({anomalies} markers)")),
        "{stderr}"
    );
}

#[test]
fn plot_gives_panels_to_good_readings_and_keeps_odd_names_apart() {
    let wd = Workdir::new("plot-odd");
    let mut input = String::new();
    // A series whose readings are all bad takes no panel from a good one.
    input += &reading("A", "t", 0, 1.0, r#","quality":"bad""#);
    input += &reading("B", "t", 1, 1.0, "");
    input += &reading("B", "t", 2, 2.0, "");
    let (svg, stderr) = plot(&wd, &input, &["--max-panels", "1"]);
    assert_eq!(elements(&svg, "polyline", &[SERIES]).len(), 1, "{stderr}");
    assert!(svg.contains("B · t — 2 readings"), "{svg}");
    assert!(!stderr.contains("not drawn"), "{stderr}");

    // Names with NUL and control characters: two series stay two, and the
    // SVG holds no character XML refuses.
    let input = [
        reading("a\\u0000b", "c", 0, 1.0, ""),
        reading("a", "b\\u0000c", 1, 100.0, ""),
        reading("x\\u0001", "y", 2, 5.0, ""),
    ]
    .concat();
    let (svg, stderr) = plot(&wd, &input, &["--title", "t\u{7}"]);
    assert_eq!(elements(&svg, "polyline", &[SERIES]).len(), 3, "{stderr}");
    assert!(
        !svg.chars().any(|c| c.is_control() && c != '\n'),
        "a control character in the SVG"
    );

    // Times beyond what a record can carry are the ends of the record range.
    let (svg, stderr) = plot(
        &wd,
        &reading("A", "t", 0, 1.0, ""),
        &["--from=-9223372036854775808", "--to=9223372036854775807"],
    );
    assert_eq!(elements(&svg, "polyline", &[SERIES]).len(), 1, "{stderr}");
    assert!(svg.contains("A · t — 1 readings"), "{svg}");
    assert!(
        svg.contains("0001-01-01T00:00:00Z – 9999-12-31T23:59:59.999Z"),
        "{svg}"
    );
}

#[test]
fn plot_band_breaks_where_the_rollups_do() {
    let wd = Workdir::new("plot-band-gap");
    let mut input = String::new();
    for h in (0..5).chain(20..24) {
        input += &reading(
            "A",
            "p",
            h * 3600,
            10.0,
            r#","every":"1h","min":5,"max":15"#,
        );
    }
    let (svg, stderr) = plot(&wd, &input, &[]);
    assert_eq!(
        elements(&svg, "polygon", &[r##"fill="#1F77B4""##]).len(),
        2,
        "{stderr}"
    );
    assert_eq!(elements(&svg, "polyline", &[SERIES]).len(), 2, "{stderr}");
    // A record with a min but no max is refused, naming the field.
    let mut cmd = wd.cmd("plot");
    cmd.args(["-o", "half.svg"]);
    let out = wd.run_with_stdin(&mut cmd, reading("A", "p", 0, 1.0, r#","min":0"#));
    let err = fails_with(1, &cmd, &out);
    assert!(err.contains("stdin:1: field \"max\""), "{err}");
}
