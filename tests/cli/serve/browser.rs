//! The dashboard in a real browser: headless Chromium through WebDriver
//! (Python selenium and chromedriver), while a live pipeline writes the
//! store it serves.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::Server;
use crate::util::Workdir;

/// The stages of a pipeline, each its own process, killed by PID when
/// dropped.
struct Pipeline {
    stages: Vec<(String, Child)>,
}

impl Pipeline {
    /// Starts `iiot` stages, each reading the one before.
    fn start(wd: &Workdir, stages: &[&[&str]]) -> Pipeline {
        let mut out: Vec<(String, Child)> = Vec::new();
        for args in stages {
            let mut cmd = wd.cmd("");
            cmd.args(*args).stderr(Stdio::null());
            match out.last_mut() {
                Some((_, prev)) => cmd.stdin(Stdio::from(prev.stdout.take().unwrap())),
                None => cmd.stdin(Stdio::null()),
            };
            cmd.stdout(Stdio::piped());
            let child = cmd.spawn().expect("starting a pipeline stage");
            out.push((args.join(" "), child));
        }
        Pipeline { stages: out }
    }

    /// Stops the first stage with SIGTERM; every later stage must then end
    /// with success as its input ends.
    fn stop(&mut self) {
        let (_, first) = &mut self.stages[0];
        let _ = Command::new("kill")
            .args(["-TERM", &first.id().to_string()])
            .status();
        let _ = first.wait();
        for (name, child) in self.stages.iter_mut().skip(1) {
            let status = child.wait().expect("waiting for a stage");
            assert!(status.success(), "`iiot {name}` ended with {status}");
        }
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        for (_, c) in &mut self.stages {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// While the live pipeline writes `live.db` (four readings a
/// second per series, so spikes and alarms come within the test's time;
/// detect's output line-buffered, so each event reaches the store as it
/// happens rather than when a block fills),
/// `iiot serve live.db --preset fermenter` serves it and headless Chromium
/// opens the dashboard: after its script ran the charts have points and
/// the model's limits; after new data arrived the points grew, a spike
/// has its anomaly marker and an alarm is listed. The screenshot is saved
/// (and copied to $IIOT_SCREENSHOT when set, as docs/serve-dashboard.png is
/// made).
#[test]
fn serve_dashboard_in_headless_chromium_follows_a_live_pipeline() {
    for (what, path) in [
        ("Debian package chromium", "/usr/bin/chromium"),
        ("Debian package chromium-driver", "/usr/bin/chromedriver"),
    ] {
        assert!(
            std::path::Path::new(path).exists(),
            "{path} is missing: install the {what} (scripts/test installs it)"
        );
    }
    let py = Command::new("python3")
        .args(["-c", "import selenium"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        py,
        "python3 with selenium is missing: pip install selenium (scripts/test installs it)"
    );

    let wd = Workdir::new("serve_browser");
    let mut pipeline = Pipeline::start(
        &wd,
        &[
            &[
                "simulate",
                "--preset",
                "fermenter",
                "--realtime",
                "--interval",
                "250ms",
                "--faults",
                "spike=0.01",
                "--label",
            ],
            &[
                "detect",
                "--preset",
                "fermenter",
                "--zscore",
                "3",
                "--line-buffered",
                "-q",
            ],
            &["store", "--tee", "live.db", "--batch-time", "500ms", "-q"],
            &[
                "detect",
                "--preset",
                "fermenter",
                "--events",
                "--line-buffered",
                "-q",
            ],
            &["store", "live.db", "--batch-time", "500ms", "-q"],
        ],
    );
    let db = wd.path("live.db");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::metadata(&db).map_or(true, |m| m.len() == 0) {
        assert!(Instant::now() < deadline, "the pipeline never made live.db");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(1));
    let server = Server::start(
        &wd,
        &[db.to_str().unwrap(), "--preset", "fermenter"],
        Stdio::null(),
    );
    let shot = wd.path("dashboard.png");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cli/serve/dashboard.py");
    let url = format!("http://{}/?asset=FERM-1&window=120000", server.addr);
    let out = Command::new("python3")
        .arg(script)
        .arg(&url)
        .arg(&shot)
        .output()
        .expect("running python3");
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "the dashboard check failed: {said}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(said.trim()).expect("the script's JSON");
    assert_eq!(v["charts"], 7, "{v}");
    assert!(v["limit_lines"].as_u64().unwrap() > 0, "{v}");
    assert!(
        v["points_later"].as_u64() > v["points_first"].as_u64(),
        "{v}"
    );
    assert!(v["anomaly_markers"].as_u64().unwrap() > 0, "{v}");
    assert!(
        v["anomaly_title"].as_str().unwrap().starts_with("anomaly "),
        "{v}"
    );
    assert!(!v["alarms_listed"].as_array().unwrap().is_empty(), "{v}");
    assert_eq!(v["current_rows"], 7, "{v}");
    assert_eq!(v["errors"], serde_json::json!([]), "{v}");
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
    if let Ok(dest) = std::env::var("IIOT_SCREENSHOT") {
        std::fs::copy(&shot, dest).expect("copying the screenshot");
    }
    drop(server);
    pipeline.stop();
}
