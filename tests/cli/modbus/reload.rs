//! SIGHUP: modbus-serve and poll read their model again while running. A
//! new well is served and polled without a restart, unchanged tags keep
//! their values, a removed tag stops being served and polled, and a model
//! with errors changes nothing and says why.

use std::io::Write;
use std::process::{Child, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use super::{Server, WAIT, ask, hangup, lines_of, read_req, regs};
use crate::util::{Workdir, parse_ndjson, text};

/// Reads holding registers until they hold `want` (a fed value takes a
/// moment to land), or fails after [`WAIT`].
fn until_holding(srv: &Server, unit: u8, addr: u16, want: &[u16]) {
    let deadline = Instant::now() + WAIT;
    let mut s = srv.connect();
    loop {
        let (_, _, fc, body) = ask(&mut s, &read_req(1, unit, 3, addr, want.len() as u16));
        if fc == 3 && regs(&body) == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "unit {unit} holding {addr}: {fc:#x} {body:?}, want {want:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits for a stderr line containing `what`, and returns it.
fn said(lines: &Receiver<String>, what: &str) -> String {
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(l) if l.contains(what) => return l,
            Ok(l) => seen.push(l),
            Err(_) => panic!("never said {what:?}: {seen:?}"),
        }
    }
}

#[test]
fn reload_serve_a_new_well_is_served_kept_values_stay_removed_tags_go() {
    let wd = Workdir::new("reload-serve");
    wd.write(
        "m.csv",
        "asset,tag,unit_id,address,type\nW1,a,1,0,u16\nW1,b,1,1,f32\nW1,gone,1,5,u16\n",
    );
    let (srv, mut stdin) = Server::start_open(&wd, &["--model", "m.csv"]);
    let feed = |stdin: &mut std::process::ChildStdin, asset: &str, tag: &str, v: f64| {
        writeln!(
            stdin,
            r#"{{"ts":0,"asset":"{asset}","tag":"{tag}","value":{v}}}"#
        )
        .expect("feeding modbus-serve");
        stdin.flush().unwrap();
    };
    feed(&mut stdin, "W1", "a", 11.0);
    feed(&mut stdin, "W1", "b", 1.5);
    feed(&mut stdin, "W1", "gone", 15.0);
    until_holding(&srv, 1, 0, &[11, 0x3FC0, 0, 0, 0, 15]);
    // W1/gone leaves, W1/b moves to another type, W2 comes.
    wd.write(
        "m.csv",
        "asset,tag,unit_id,address,type\nW1,a,1,0,u16\nW1,b,1,1,i16\nW2,a,2,0,u16\n",
    );
    srv.hangup();
    let msg = said(&srv.stderr, "SIGHUP");
    assert!(
        msg.contains("model reloaded: 3 tags, 2 unit ids (2 tags kept their values)"),
        "{msg}"
    );
    let mut s = srv.connect();
    // Kept: a as it was, b decoded and encoded again as i16.
    let (_, _, fc, body) = ask(&mut s, &read_req(2, 1, 3, 0, 2));
    assert_eq!(
        (fc, regs(&body)),
        (3, vec![11, 2]),
        "1.5 as i16 rounds to 2"
    );
    // Removed: outside unit 1's span now.
    let (_, _, fc, body) = ask(&mut s, &read_req(3, 1, 3, 5, 1));
    assert_eq!((fc, body[0]), (0x83, 2));
    // The new well is served, and takes readings.
    let (_, _, fc, body) = ask(&mut s, &read_req(4, 2, 3, 0, 1));
    assert_eq!((fc, regs(&body)), (3, vec![0]));
    feed(&mut stdin, "W2", "a", 21.0);
    until_holding(&srv, 2, 0, &[21]);
    // A model with errors: nothing changes, and it says why.
    wd.write("m.csv", "asset,tag,unit_id,address,type\nW3,a,3,0,nope\n");
    srv.hangup();
    let msg = said(&srv.stderr, "SIGHUP");
    assert!(msg.contains("keeping the model in force"), "{msg}");
    let mut why = msg.clone();
    while let Ok(l) = srv.stderr.recv_timeout(Duration::from_millis(300)) {
        why.push('\n');
        why.push_str(&l);
    }
    assert!(why.contains("unknown type \"nope\""), "{why}");
    until_holding(&srv, 2, 0, &[21]);
    until_holding(&srv, 1, 0, &[11, 2]);
    let (_, _, fc, body) = ask(&mut s, &read_req(5, 3, 3, 0, 1));
    assert_eq!((fc, body[0]), (0x83, 0x0B), "unit 3 is not served");
    // A reading for the removed tag is one not on the map.
    feed(&mut stdin, "W1", "gone", 16.0);
    drop(stdin);
    let end = said(&srv.stderr, ": read ");
    assert!(
        end.contains("read 5, wrote 4, rejected 0, not on the map 1"),
        "{end}"
    );
}

/// A running poll, killed by PID on drop.
struct Poll {
    child: Child,
    out: Receiver<String>,
    err: Receiver<String>,
}

impl Drop for Poll {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The assets of the next `n` readings.
fn assets(p: &Poll, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let line = p.out.recv_timeout(WAIT).expect("a reading");
            text(&parse_ndjson(&line)[0], "asset").to_string()
        })
        .collect()
}

#[test]
fn reload_poll_a_new_unit_is_polled_a_removed_one_stops_a_broken_model_changes_nothing() {
    let wd = Workdir::new("reload-poll");
    wd.write(
        "serve.csv",
        "asset,tag,unit_id,address,type\nW1,a,1,0,u16\nW2,a,2,0,u16\n",
    );
    let input = concat!(
        r#"{"ts":0,"asset":"W1","tag":"a","value":11}"#,
        "\n",
        r#"{"ts":0,"asset":"W2","tag":"a","value":21}"#,
        "\n",
    );
    let srv = Server::start(&wd, &["--model", "serve.csv"], input.as_bytes());
    wd.write("poll.csv", "asset,tag,unit_id,address,type\nW1,a,1,0,u16\n");
    let mut child = wd
        .cmd("poll")
        .args(["--model", "poll.csv", "--target", &srv.addr])
        .args(["--interval", "20ms"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting poll");
    let p = Poll {
        out: lines_of(child.stdout.take().expect("stdout")),
        err: lines_of(child.stderr.take().expect("stderr")),
        child,
    };
    assert_eq!(assets(&p, 3), vec!["W1"; 3]);
    // W2 comes.
    wd.write(
        "poll.csv",
        "asset,tag,unit_id,address,type\nW1,a,1,0,u16\nW2,a,2,0,u16\n",
    );
    hangup(p.child.id());
    let msg = said(&p.err, "SIGHUP");
    assert!(
        msg.contains("model reloaded: 2 tags over 1 connection"),
        "{msg}"
    );
    let seen = assets(&p, 20);
    assert!(seen.iter().any(|a| a == "W2"), "{seen:?}");
    // A broken model: both keep being polled.
    wd.write("poll.csv", "asset,tag,unit_id,address,type\nW1,a,1,0,i99\n");
    hangup(p.child.id());
    let msg = said(&p.err, "SIGHUP");
    assert!(msg.contains("keeping the model in force"), "{msg}");
    let seen = assets(&p, 20);
    assert!(
        seen.iter().any(|a| a == "W1") && seen.iter().any(|a| a == "W2"),
        "{seen:?}"
    );
    // W1 goes: after what was already on its way, only W2.
    wd.write("poll.csv", "asset,tag,unit_id,address,type\nW2,a,2,0,u16\n");
    hangup(p.child.id());
    let msg = said(&p.err, "SIGHUP");
    assert!(
        msg.contains("model reloaded: 1 tag over 1 connection"),
        "{msg}"
    );
    let seen = assets(&p, 20);
    assert_eq!(&seen[8..], vec!["W2"; 12], "{seen:?}");
    // W1 back on a target of its own (the same server by another name):
    // a connection of its own, stopped when the target goes and started
    // again when it comes back.
    let port = srv.port();
    let with_w1 = format!(
        "asset,tag,host,unit_id,address,type\nW2,a,,2,0,u16\nW1,a,localhost:{port},1,0,u16\n"
    );
    for (model, want) in [
        (with_w1.as_str(), "2 tags over 2 connections"),
        (
            "asset,tag,unit_id,address,type\nW2,a,2,0,u16\n",
            "1 tag over 1 connection",
        ),
        (with_w1.as_str(), "2 tags over 2 connections"),
    ] {
        wd.write("poll.csv", model);
        hangup(p.child.id());
        let msg = said(&p.err, "SIGHUP");
        assert!(msg.contains(want), "{msg}");
        let seen = assets(&p, 20);
        let w1 = seen[8..].iter().filter(|a| *a == "W1").count();
        assert_eq!(w1 > 0, model.contains("W1"), "{model}: {seen:?}");
    }
}
