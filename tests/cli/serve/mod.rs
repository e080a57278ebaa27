//! `iiot serve`: every endpoint against the real server on 127.0.0.1,
//! ingest into a real `iiot store`, and the dashboard in headless
//! Chromium.

mod api;
mod browser;
mod ingest;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{Workdir, run_ok};

/// A running `iiot serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub stderr: std::sync::mpsc::Receiver<String>,
}

impl Server {
    /// Starts `iiot serve ARGS --listen 127.0.0.1:0 --addr-file …` and
    /// waits until it listens. Stdout is `stdout`.
    pub fn start(wd: &Workdir, args: &[&str], stdout: Stdio) -> Server {
        let addr_file = wd.path(&format!("addr-{}", next()));
        let mut cmd = wd.cmd("serve");
        cmd.args(args)
            .args(["--listen", "127.0.0.1:0", "--addr-file"])
            .arg(&addr_file)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("starting iiot serve");
        let (tx, rx) = std::sync::mpsc::channel();
        let err = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut server = Server {
            child,
            addr: String::new(),
            stderr: rx,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(a) = std::fs::read_to_string(&addr_file)
                && a.ends_with('\n')
            {
                server.addr = a.trim().to_string();
                break;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                let said: Vec<String> = server.stderr.try_iter().collect();
                panic!("iiot serve {args:?} ended ({status}) before listening: {said:?}");
            }
            assert!(Instant::now() < deadline, "iiot serve never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    pub fn get(&self, path: &str) -> Answer {
        http(&self.addr, "GET", path, &[], b"")
    }

    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        http(&self.addr, "GET", path, headers, b"")
    }

    pub fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        http(&self.addr, "POST", path, headers, body)
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill -TERM failed");
        self.child.wait().expect("waiting for iiot serve")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn next() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// NDJSON body, each line parsed.
    pub fn records(&self) -> Vec<serde_json::Value> {
        crate::util::parse_ndjson(&self.text())
    }

    /// Asserts the status; returns self.
    pub fn expect(self, status: u16) -> Answer {
        assert_eq!(self.status, status, "status of answer: {}", self.text());
        self
    }
}

/// One HTTP/1.1 request on its own connection (Connection: close); the
/// answer with a chunked body decoded.
pub fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let mut s = TcpStream::connect(addr).expect("connecting to iiot serve");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if method == "POST" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    // A server may answer (413, 401) before taking the whole body.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    parse_answer(&raw)
}

fn parse_answer(raw: &[u8]) -> Answer {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut rest = &raw[end + 4..];
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked {
        let mut out = Vec::new();
        while let Some(nl) = rest.windows(2).position(|w| w == b"\r\n") {
            let size_text = String::from_utf8_lossy(&rest[..nl]);
            let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
                .expect("chunk size");
            rest = &rest[nl + 2..];
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
        out
    } else {
        rest.to_vec()
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// Readings of two assets and three tags, one a second from
/// 2026-01-01T00:00:00Z, with a flagged spike, and alarm events; stored
/// in `plant.db` and rolled up to 1m and 10m.
pub fn fixture(wd: &Workdir) -> std::path::PathBuf {
    let mut lines = String::new();
    for i in 0..1200 {
        let ts = format!(
            "2026-01-01T{:02}:{:02}:{:02}Z",
            i / 3600,
            (i / 60) % 60,
            i % 60
        );
        for (asset, tag, unit, v) in [
            (
                "FERM-1",
                "fermenter_temp",
                "degC",
                37.0 + (i % 10) as f64 / 10.0,
            ),
            ("FERM-1", "fermenter_ph", "pH", 7.0),
            ("FERM-2", "fermenter_temp", "degC", 38.0),
        ] {
            if i == 100 && asset == "FERM-1" && tag == "fermenter_temp" {
                lines.push_str(&format!(
                    r#"{{"ts":"{ts}","asset":"{asset}","tag":"{tag}","value":46.5,"unit":"{unit}","anomalies":[{{"rule":"temp_hh","kind":"threshold","severity":"high","limit":45.0}}]}}"#
                ));
            } else {
                lines.push_str(&format!(
                    r#"{{"ts":"{ts}","asset":"{asset}","tag":"{tag}","value":{v},"unit":"{unit}"}}"#
                ));
            }
            lines.push('\n');
        }
    }
    // FERM-1 temp: raised at 100 s, cleared at 101 s, acked at 120 s
    // (normal); FERM-2 temp raised at 500 s, acked at 540 s (acked); FERM-1
    // pH raised at 600 s (unacked); FERM-2 pH raised and cleared, never
    // acked (rtn_unacked).
    for (ts, asset, tag, ev, rule) in [
        (
            "2026-01-01T00:01:40Z",
            "FERM-1",
            "fermenter_temp",
            "raised",
            "temp_hh",
        ),
        (
            "2026-01-01T00:01:41Z",
            "FERM-1",
            "fermenter_temp",
            "cleared",
            "temp_hh",
        ),
        (
            "2026-01-01T00:02:00Z",
            "FERM-1",
            "fermenter_temp",
            "acked",
            "temp_hh",
        ),
        (
            "2026-01-01T00:08:20Z",
            "FERM-2",
            "fermenter_temp",
            "raised",
            "temp_h",
        ),
        (
            "2026-01-01T00:09:00Z",
            "FERM-2",
            "fermenter_temp",
            "acked",
            "temp_h",
        ),
        (
            "2026-01-01T00:10:00Z",
            "FERM-1",
            "fermenter_ph",
            "raised",
            "ph_l",
        ),
        (
            "2026-01-01T00:11:00Z",
            "FERM-1",
            "fermenter_ph",
            "raised",
            "ph_ll",
        ),
        (
            "2026-01-01T00:11:30Z",
            "FERM-1",
            "fermenter_ph",
            "cleared",
            "ph_ll",
        ),
    ] {
        let by = if ev == "acked" { r#","by":"ann""# } else { "" };
        lines.push_str(&format!(
            r#"{{"ts":"{ts}","asset":"{asset}","tag":"{tag}","value":1,"event":"{ev}","rule":"{rule}","kind":"threshold","severity":"high","limit":45{by}}}"#
        ));
        lines.push('\n');
    }
    let input = wd.write("plant.ndjson", lines);
    let db = wd.path("plant.db");
    run_ok(wd, wd.cmd("store").arg(&db).arg(&input).arg("-q"));
    run_ok(
        wd,
        wd.cmd("rollup").arg(&db).args(["--every", "1m,10m", "-q"]),
    );
    db
}
