//! Scaling, time arguments, pipes, pacing and bad arguments.

use super::*;

#[test]
fn simulate_assets_1000_names_wellheads_with_four_digits() {
    let wd = Workdir::new("sim-assets-1000");
    let run = simulate_run(&wd, "--preset wellhead --assets 1000 --count 1");
    let expected: Vec<String> = (1..=1000).map(|i| format!("WH-{i:04}")).collect();
    assert_eq!(run.assets(), expected);
    assert_eq!(run.series.len(), 1000 * 18);
    assert_eq!(run.readings, 1000 * 18);
    let tags_of = |asset: &str| -> Vec<&str> {
        run.series
            .iter()
            .filter(|s| s.asset == asset)
            .map(|s| s.tag.as_str())
            .collect()
    };
    let first = tags_of("WH-0001");
    assert_eq!(first.len(), 18);
    for asset in ["WH-0013", "WH-0500", "WH-1000"] {
        assert_eq!(tags_of(asset), first, "tags of {asset}");
    }
}

#[test]
fn simulate_assets_12_is_the_default_wellhead() {
    let wd = Workdir::new("sim-assets-12");
    let base = "--preset wellhead --count 50 --seed 5";
    let default = simulate(&wd, base);
    let twelve = simulate(&wd, &format!("{base} --assets 12"));
    assert!(twelve == default, "--assets 12 changes the output");

    // Adding assets after the first twelve leaves theirs unchanged.
    let more = simulate(&wd, &format!("{base} --assets 24"));
    let first_twelve: Vec<&str> = more
        .lines()
        .filter(|l| {
            let r: serde_json::Value = serde_json::from_str(l).expect("JSON");
            let n: usize = text(&r, "asset")["WH-".len()..].parse().expect("WH-NN");
            n <= 12
        })
        .collect();
    assert_eq!(first_twelve, default.lines().collect::<Vec<_>>());
}

// ---------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------

fn distinct_ts(stdout: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in parse_ndjson(stdout) {
        let ts = text(&r, "ts");
        if out.last().map(String::as_str) != Some(ts) {
            out.push(ts.to_string());
        }
    }
    out
}

#[test]
fn simulate_start_with_offset_and_millisecond_interval() {
    let wd = Workdir::new("sim-start");
    let out = simulate(
        &wd,
        "--preset fermenter --start 2026-03-01T00:00:00+01:00 --interval 250ms --count 3",
    );
    assert_eq!(
        distinct_ts(&out),
        [
            "2026-02-28T23:00:00Z",
            "2026-02-28T23:00:00.250Z",
            "2026-02-28T23:00:00.500Z"
        ]
    );
    assert_eq!(out.lines().count(), 3 * 28);
}

#[test]
fn simulate_duration_and_end_give_the_ticks_before_the_end() {
    let wd = Workdir::new("sim-duration");
    let at = |s: u32| format!("2026-01-01T00:{:02}:{:02}Z", s / 60, s % 60);
    let six: Vec<String> = (0..6).map(|i| at(i * 10)).collect();
    let seven: Vec<String> = (0..7).map(|i| at(i * 10)).collect();
    let cases = [
        ("--duration 1m", &six),
        ("--end 2026-01-01T00:01:00Z", &six),
        // Ticks before the end: 00:01:00 is before 00:01:05.
        ("--duration 65s", &seven),
        ("--end 2026-01-01T00:01:05Z", &seven),
    ];
    for (extra, want) in cases {
        let args = format!("--preset fermenter --interval 10s {extra}");
        let out = simulate(&wd, &args);
        assert_eq!(&distinct_ts(&out), want, "simulate {args:?}");
        assert_eq!(out.lines().count(), want.len() * 28, "simulate {args:?}");
    }
}

#[test]
fn simulate_duration_with_count_is_a_usage_error() {
    let wd = Workdir::new("sim-duration-count");
    for extra in [
        ["--duration", "1m", "--count", "3"],
        ["--end", "2026-01-02", "--count", "3"],
    ] {
        let mut cmd = wd.cmd("simulate");
        cmd.args(extra);
        let out = wd.run(&mut cmd);
        let stderr = fails_with(2, &cmd, &out);
        assert!(out.stdout.is_empty(), "data written on a usage error");
        assert!(stderr.contains("cannot be used with"), "{stderr}");
    }
}

#[test]
fn simulate_end_not_after_start_fails() {
    let wd = Workdir::new("sim-end-before");
    let mut cmd = wd.cmd("simulate");
    cmd.args(["--start", "2026-01-02", "--end", "2026-01-01"]);
    let out = wd.run(&mut cmd);
    let stderr = fails_with(1, &cmd, &out);
    assert!(stderr.contains("--end"), "{stderr}");
    assert!(out.stdout.is_empty());
}

// ---------------------------------------------------------------------------
// Pipes and pacing
// ---------------------------------------------------------------------------

#[test]
fn simulate_into_a_closed_pipe_ends_quietly() {
    let wd = Workdir::new("sim-head");
    // `iiot simulate | head -1`: no end given, so only the closed pipe
    // stops it.
    let mut cmd = wd.cmd("simulate");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting iiot");
    let mut first = String::new();
    {
        let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
        reader.read_line(&mut first).expect("reading a line");
    } // the pipe closes here, like head exiting
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("iiot simulate kept running after its reader went away");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("reading stderr");
    let r: serde_json::Value = serde_json::from_str(&first).expect("a JSON line");
    assert_eq!(text(&r, "asset"), "WH-01");
    assert_eq!(status.code(), Some(0), "exit status; stderr: {stderr}");
    assert_eq!(stderr, "", "stderr after a closed pipe");
}

#[test]
fn simulate_realtime_paces_to_the_wall_clock() {
    let wd = Workdir::new("sim-realtime");
    let began = Instant::now();
    let out = simulate(
        &wd,
        "--preset fermenter --realtime --count 3 --interval 200ms",
    );
    let took = began.elapsed();
    // Ticks at 0, 200 and 400 ms after the start.
    assert!(took >= Duration::from_millis(390), "took {took:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let ts = distinct_ts(&out);
    assert_eq!(ts.len(), 3, "{ts:?}");
    let ms: Vec<i64> = ts.iter().map(|t| parse_ts(t)).collect();
    assert_eq!(ms[1] - ms[0], 200);
    assert_eq!(ms[2] - ms[1], 200);
}

// ---------------------------------------------------------------------------
// Bad arguments
// ---------------------------------------------------------------------------

fn simulate_fails(wd: &Workdir, args: &str) -> String {
    let mut cmd = wd.cmd("simulate");
    cmd.args(args.split_whitespace());
    let out = wd.run(&mut cmd);
    // A bad option value is a usage error, found by clap before any work.
    let stderr = fails_with(2, &cmd, &out);
    assert!(out.stdout.is_empty(), "data written before failing");
    stderr
}

#[test]
fn simulate_err_unknown_preset_lists_the_presets() {
    let wd = Workdir::new("sim-err-preset");
    let stderr = simulate_fails(&wd, "--preset wellheads --count 1");
    assert!(stderr.contains("--preset"), "{stderr}");
    assert!(stderr.contains("wellheads"), "{stderr}");
    for p in PRESETS {
        assert!(stderr.contains(p), "{p} not listed: {stderr}");
    }
}

#[test]
fn simulate_err_unknown_fault_names_the_kinds() {
    let wd = Workdir::new("sim-err-fault");
    let stderr = simulate_fails(&wd, "--faults spikes=0.1 --count 1");
    assert!(stderr.contains("spikes"), "{stderr}");
    for kind in ["spike", "drift", "stuck", "dropout"] {
        assert!(stderr.contains(kind), "{kind} not named: {stderr}");
    }
}

#[test]
fn simulate_err_bad_fault_rates() {
    let wd = Workdir::new("sim-err-rate");
    for spec in ["spike=2", "spike=-0.1", "spike", "spike=0.6,stuck=0.6"] {
        let stderr = simulate_fails(&wd, &format!("--faults {spec} --count 1"));
        assert!(stderr.contains("--faults"), "{spec}: {stderr}");
    }
}

#[test]
fn simulate_err_zero_interval() {
    let wd = Workdir::new("sim-err-interval");
    let stderr = simulate_fails(&wd, "--interval 0s --count 1");
    assert!(stderr.contains("--interval"), "{stderr}");
}

#[test]
fn simulate_err_zero_assets() {
    let wd = Workdir::new("sim-err-assets");
    let stderr = simulate_fails(&wd, "--assets 0 --count 1");
    assert!(stderr.contains("--assets"), "{stderr}");
}
