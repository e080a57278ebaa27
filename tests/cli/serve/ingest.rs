//! Ingest: good records written to stdout exactly as the codec writes
//! them, bad ones answered with their index and reason, `serve --ingest |
//! store` composing, 503 under a stalled consumer, the bearer token.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use super::Server;
use crate::util::{Workdir, run_ok};

const GOOD: [&str; 3] = [
    r#"{"ts":"2026-01-01T01:00:00+01:00","asset":"FERM-1","tag":"fermenter_temp","value":37.5,"unit":"degC"}"#,
    r#"{"ts":1767225601000,"asset":"FERM-1","tag":"fermenter_temp","value":37.6,"quality":"uncertain"}"#,
    r#"{"ts":"2026-01-01T00:00:02Z","asset":"FERM-1","tag":"fermenter_temp","value":46.0,"event":"raised","rule":"temp_hh","kind":"threshold","severity":"high","limit":45}"#,
];

/// What `iiot cat` writes for `lines`: the codec's own encoding.
fn canonical(wd: &Workdir, lines: &[&str]) -> String {
    let input = wd.write(
        &format!("canon-{}.ndjson", lines.len()),
        lines.join("\n") + "\n",
    );
    run_ok(wd, wd.cmd("cat").arg(&input).arg("-q"))
}

#[test]
fn serve_ingest_good_and_bad_records_reach_stdout_and_store() {
    let wd = Workdir::new("serve_ingest");
    let empty = wd.path("empty.db");
    run_ok(
        &wd,
        wd.cmd("store")
            .arg(&empty)
            .arg(wd.write("none.ndjson", ""))
            .arg("-q"),
    );
    let mut s = Server::start(&wd, &[empty.to_str().unwrap(), "--ingest"], Stdio::piped());
    // serve's stdout goes to a real `iiot store`, through a tap that keeps
    // a copy of every byte.
    let mut serve_out = s.child.stdout.take().unwrap();
    let target = wd.path("x.db");
    let mut store = wd
        .cmd("store")
        .arg(&target)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting iiot store");
    let mut store_in = store.stdin.take().unwrap();
    let tap = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match serve_out.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    seen.extend_from_slice(&buf[..n]);
                    store_in.write_all(&buf[..n]).unwrap();
                }
            }
        }
        seen
    });

    let a = s
        .post(
            "/ingest",
            &[("Content-Type", "application/json")],
            GOOD[0].as_bytes(),
        )
        .expect(200);
    assert_eq!(a.json()["accepted"], 1);
    // A batch as NDJSON: record 1 is bad (NaN is no number), 3 lacks a tag.
    let batch = format!(
        "{}\n{{\"ts\":\"2026-01-01T00:00:05Z\",\"asset\":\"A\",\"tag\":\"t\",\"value\":\"NaN\"}}\n\n{}\n{{\"ts\":\"2026-01-01T00:00:06Z\",\"asset\":\"A\",\"value\":1}}\n",
        GOOD[1], GOOD[2]
    );
    let a = s.post(
        "/ingest/batch",
        &[("Content-Type", "application/x-ndjson")],
        batch.as_bytes(),
    );
    assert_eq!(a.status, 422, "{}", a.text());
    let v = a.json();
    assert_eq!(v["accepted"], 2);
    let rejected = v["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2);
    assert_eq!(rejected[0]["index"], 1);
    assert_eq!(rejected[0]["line"], 2);
    assert_eq!(rejected[0]["field"], "value");
    assert_eq!(rejected[1]["index"], 3);
    assert_eq!(rejected[1]["line"], 5);
    assert_eq!(rejected[1]["field"], "tag");
    assert!(!rejected[1]["reason"].as_str().unwrap().is_empty());
    // A JSON array: element 1 is not even an object.
    let arr = format!("[{}, 42, {}]", GOOD[0], GOOD[1]);
    let a = s.post(
        "/ingest/batch",
        &[("Content-Type", "application/json")],
        arr.as_bytes(),
    );
    assert_eq!(a.status, 422, "{}", a.text());
    assert_eq!(a.json()["rejected"][0]["index"], 1);
    assert_eq!(a.json()["accepted"], 2);
    // An event with a bad field is refused by the event decoder.
    let bad_event = r#"{"ts":"2026-01-01T00:00:07Z","asset":"A","tag":"t","value":1,"event":"raised","limit":"high"}"#;
    let a = s.post("/ingest", &[], bad_event.as_bytes()).expect(422);
    assert_eq!(a.json()["rejected"][0]["field"], "limit");
    s.post("/ingest/batch", &[], b"[oops").expect(400);
    s.post("/ingest/batch", &[], b"\n\n").expect(400);
    let health = s.get("/health").expect(200).json();
    assert_eq!(health["ingest"]["accepted"], 5);
    assert_eq!(health["ingest"]["rejected"], 4);

    let status = s.stop();
    assert!(status.success(), "serve ended with {status}");
    let seen = String::from_utf8(tap.join().unwrap()).unwrap();
    let out = store.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "store: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = canonical(&wd, &[GOOD[0], GOOD[1], GOOD[2], GOOD[0], GOOD[1]]);
    assert_eq!(
        seen, expected,
        "stdout holds exactly the accepted records, in order"
    );
    // The store got them: 2 readings (the repeats are duplicates) and 1 event.
    let q = run_ok(&wd, wd.cmd("query").arg(&target).arg("-q"));
    assert_eq!(q.lines().count(), 2, "{q}");
    let ev = Command::new("sqlite3")
        .arg(&target)
        .arg("SELECT count(*) FROM alarm_events")
        .output()
        .expect("sqlite3 (Debian package sqlite3) is needed");
    assert_eq!(String::from_utf8_lossy(&ev.stdout).trim(), "1");
}

#[test]
fn serve_ingest_answers_503_under_a_stalled_consumer() {
    let wd = Workdir::new("serve_stall");
    let empty = wd.path("empty.db");
    run_ok(
        &wd,
        wd.cmd("store")
            .arg(&empty)
            .arg(wd.write("none.ndjson", ""))
            .arg("-q"),
    );
    let mut s = Server::start(
        &wd,
        &[
            empty.to_str().unwrap(),
            "--ingest",
            "--ingest-buffer",
            "64KiB",
            "--rate",
            "1000",
        ],
        Stdio::piped(),
    );
    let mut stdout = s.child.stdout.take().unwrap();
    // Nobody reads serve's stdout: the pipe (64 KiB) and then the buffer fill.
    let line = format!("{}\n", GOOD[0]);
    let batch = line.repeat(30_000 / line.len());
    let mut statuses = Vec::new();
    let mut busy = None;
    for _ in 0..40 {
        let a = s.post("/ingest/batch", &[], batch.as_bytes());
        statuses.push(a.status);
        if a.status == 503 {
            busy = Some(a);
            break;
        }
    }
    let busy = busy.unwrap_or_else(|| panic!("never 503: {statuses:?}"));
    assert_eq!(busy.header("retry-after"), Some("1"));
    assert_eq!(busy.json()["error"], "busy");
    assert!(
        statuses.iter().filter(|&&c| c == 200).count() >= 2,
        "{statuses:?}"
    );
    let health = s.get("/health").expect(200).json();
    assert!(health["ingest"]["queued_bytes"].as_u64().unwrap() <= 64 << 10);
    // Once the consumer reads, ingest takes records again.
    let drain = std::thread::spawn(move || {
        let mut n = 0usize;
        let mut buf = [0u8; 65536];
        while let Ok(k) = stdout.read(&mut buf) {
            if k == 0 {
                break;
            }
            n += k;
        }
        n
    });
    let mut ok = false;
    for _ in 0..50 {
        if s.post("/ingest/batch", &[], batch.as_bytes()).status == 200 {
            ok = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(ok, "ingest did not recover once stdout was read");
    drop(s);
    let _ = drain.join();
}

#[test]
fn serve_ingest_token_required_beyond_loopback() {
    let wd = Workdir::new("serve_token");
    let empty = wd.path("empty.db");
    run_ok(
        &wd,
        wd.cmd("store")
            .arg(&empty)
            .arg(wd.write("none.ndjson", ""))
            .arg("-q"),
    );
    let mut cmd = wd.cmd("serve");
    cmd.arg(&empty)
        .args(["--ingest", "--listen", "0.0.0.0:0", "--for", "1s"]);
    let out = wd.run(&mut cmd);
    let err = crate::util::fails_with(1, &cmd, &out);
    assert!(err.contains("--token-file"), "{err}");
    let token = wd.write("token", "s3cret\n");
    let s = Server::start(
        &wd,
        &[
            empty.to_str().unwrap(),
            "--ingest",
            "--token-file",
            token.to_str().unwrap(),
        ],
        Stdio::null(),
    );
    let a = s.post("/ingest", &[], GOOD[0].as_bytes()).expect(401);
    assert_eq!(a.json()["error"], "unauthorized");
    s.post(
        "/ingest",
        &[("Authorization", "Bearer wrong")],
        GOOD[0].as_bytes(),
    )
    .expect(401);
    s.post(
        "/ingest",
        &[("Authorization", "Bearer s3cret")],
        GOOD[0].as_bytes(),
    )
    .expect(200);
    // Reads need no token.
    s.get("/health").expect(200);
}
