//! poll against modbus-serve and against small fake devices: end to end,
//! ad-hoc mode, outages, silent units behind a gateway, exceptions.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use iiot::modbus::map;
use iiot::record::{Reading, RecordParser};

use super::{Server, WAIT, wellhead};
use crate::util::{Workdir, describe, num, ok, parse_ndjson, text};

/// What poll should read back for a served value: the value through its
/// register encoding.
fn through_registers(p: &map::Point, v: f64) -> f64 {
    if map::is_bit_table(p.table) {
        return f64::from(u8::from(v != 0.0));
    }
    let mut regs = [0u16; 8];
    p.layout
        .encode(v, &mut regs)
        .expect("a simulated value fits");
    p.layout.decode(&regs)
}

#[test]
fn poll_wellhead_end_to_end_every_series_with_the_served_values() {
    let wd = Workdir::new("poll-e2e");
    let sim = wellhead(&wd, 1);
    let srv = Server::start(&wd, &["--preset", "wellhead"], &sim);
    let mut cmd = wd.cmd("poll");
    cmd.args(["--preset", "wellhead", "--target", &srv.addr])
        .args(["--count", "3", "--interval", "200ms"]);
    let out = wd.run(&mut cmd);
    let recs = parse_ndjson(&ok(&cmd, &out));
    let model = iiot::model::resolve(None, Some("wellhead"), "wellhead").unwrap();
    let points = map::points(&model);
    assert_eq!(points.len(), 216);
    let units: std::collections::BTreeSet<u8> = points.iter().map(|p| p.unit_id).collect();
    let tables: std::collections::BTreeSet<String> =
        points.iter().map(|p| p.table.to_string()).collect();
    assert!(
        units.len() >= 12 && tables.len() == 4,
        "{units:?} {tables:?}"
    );
    // Served values, by series.
    let mut served: HashMap<(String, String), Reading> = HashMap::new();
    let mut parser = RecordParser::new();
    for line in sim.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let mut r = Reading::default();
        parser.parse(line, &mut r).unwrap();
        served.insert((r.asset.clone(), r.tag.clone()), r);
    }
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for r in &recs {
        let key = (text(r, "asset").to_string(), text(r, "tag").to_string());
        let p = points
            .iter()
            .find(|p| p.asset == key.0 && p.tag == key.1)
            .unwrap_or_else(|| panic!("poll wrote a series not in the model: {r}"));
        let s = &served[&key];
        assert_eq!(num(r, "value"), through_registers(p, s.value), "{r}");
        assert_eq!(text(r, "text"), s.text, "{r}");
        assert_eq!(text(r, "unit"), s.unit, "{r}");
        *seen.entry(key).or_default() += 1;
    }
    assert_eq!(seen.len(), 216, "{}", describe(&cmd, &out));
    assert!(seen.values().all(|n| *n == 3), "{seen:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("polls 3, requests 144, answered 144, wrote 648, errors 0"),
        "{err}"
    );
}

#[test]
fn poll_bits_strings_and_the_host_column() {
    let wd = Workdir::new("poll-bits");
    let rows = "\
S,status,,1,holding,0,0,bool,ABCD
S,alarm,,1,holding,0,5,bool,ABCD
S,name,,1,holding,1,,str4,ABCD
S,serial,,1,input,0,,str3,BADC
S,level,,1,input,3,,u16,ABCD
";
    wd.write(
        "serve.csv",
        format!("asset,tag,host,unit_id,table,address,bit,type,order\n{rows}"),
    );
    let input = concat!(
        r#"{"ts":0,"asset":"S","tag":"status","value":1}"#,
        "\n",
        r#"{"ts":0,"asset":"S","tag":"alarm","value":1}"#,
        "\n",
        r#"{"ts":0,"asset":"S","tag":"name","value":0,"text":"PUMP-7"}"#,
        "\n",
        r#"{"ts":0,"asset":"S","tag":"serial","value":0,"text":"AB12C"}"#,
        "\n",
        r#"{"ts":0,"asset":"S","tag":"level","value":77}"#,
        "\n",
        r#"{"ts":0,"asset":"S","tag":"alarm","value":0}"#,
        "\n",
    );
    let srv = Server::start(&wd, &["--model", "serve.csv"], input.as_bytes());
    let with_host = rows
        .lines()
        .map(|l| {
            let mut cells: Vec<&str> = l.split(',').collect();
            cells[2] = &srv.addr;
            cells.join(",")
        })
        .collect::<Vec<_>>()
        .join("\n");
    wd.write(
        "poll.csv",
        format!("asset,tag,host,unit_id,table,address,bit,type,order\n{with_host}\n"),
    );
    let mut cmd = wd.cmd("poll");
    cmd.args([
        "--model",
        "poll.csv",
        "--count",
        "1",
        "--target",
        "127.0.0.1:1",
    ]);
    let out = wd.run(&mut cmd);
    let recs = parse_ndjson(&ok(&cmd, &out));
    let get = |tag: &str| recs.iter().find(|r| text(r, "tag") == tag).expect(tag);
    assert_eq!(num(get("status"), "value"), 1.0);
    assert_eq!(num(get("alarm"), "value"), 0.0);
    assert_eq!(text(get("name"), "text"), "PUMP-7");
    assert_eq!(num(get("name"), "value"), 6.0);
    assert_eq!(text(get("serial"), "text"), "AB12C");
    assert_eq!(num(get("level"), "value"), 77.0);
    let err = String::from_utf8_lossy(&out.stderr);
    // One request per table: holding 0..2 and input 0..3 coalesced.
    assert!(err.contains("requests 2, answered 2"), "{err}");
}

#[test]
fn poll_adhoc_reads_f32_cdab_as_ndjson() {
    let wd = Workdir::new("poll-adhoc");
    let input = concat!(
        r#"{"ts":0,"asset":"WH-03","tag":"flowline_pressure","value":250.5}"#,
        "\n",
        r#"{"ts":0,"asset":"WH-03","tag":"oil_rate","value":-12.25}"#,
        "\n",
    );
    let srv = Server::start(&wd, &["--preset", "wellhead"], input.as_bytes());
    let mut cmd = wd.cmd("poll");
    cmd.arg(&srv.addr)
        .args([
            "--unit",
            "3",
            "--holding",
            "6:3",
            "--type",
            "f32",
            "--order",
            "CDAB",
        ])
        .args(["--count", "1"]);
    let out = wd.run(&mut cmd);
    let recs = parse_ndjson(&ok(&cmd, &out));
    let got: Vec<(String, String, f64)> = recs
        .iter()
        .map(|r| {
            (
                text(r, "asset").to_string(),
                text(r, "tag").to_string(),
                num(r, "value"),
            )
        })
        .collect();
    let asset = format!("{}/3", srv.addr);
    assert_eq!(
        got,
        vec![
            (asset.clone(), "holding:6".to_string(), 250.5),
            (asset.clone(), "holding:8".to_string(), 0.0),
            (asset, "holding:10".to_string(), -12.25),
        ]
    );
}

#[test]
fn poll_exception_is_a_counted_error_naming_unit_and_address() {
    let wd = Workdir::new("poll-exc");
    let srv = Server::start(&wd, &["--preset", "wellhead"], &wellhead(&wd, 1));
    let mut cmd = wd.cmd("poll");
    cmd.arg(&srv.addr).args([
        "--unit",
        "2",
        "--holding",
        "100:2",
        "--count",
        "3",
        "--interval",
        "100ms",
    ]);
    let out = wd.run(&mut cmd);
    let err = crate::util::fails_with(1, &cmd, &out);
    assert_eq!(
        err.matches("unit 2 holding 100..101: exception 2 (illegal data address)")
            .count(),
        1,
        "{err}"
    );
    assert!(err.contains("exceptions 3"), "{err}");
    assert!(out.stdout.is_empty());
}

/// A running poll, killed by PID on drop, its stdout lines on a channel.
struct Poller {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Drop for Poller {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_poll(wd: &Workdir, args: &[&str]) -> Poller {
    let mut child = wd
        .cmd("poll")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting poll");
    let out = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Poller { child, lines: rx }
}

/// Waits for the poller to end (bounded) and returns its stderr.
fn finish(mut p: Poller) -> (Vec<String>, String) {
    let deadline = Instant::now() + WAIT;
    while matches!(p.child.try_wait(), Ok(None)) {
        assert!(Instant::now() < deadline, "poll did not finish");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut err = String::new();
    if let Some(mut e) = p.child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let lines: Vec<String> = p.lines.try_iter().collect();
    (lines, err)
}

#[test]
fn poll_survives_a_server_that_stops_and_comes_back() {
    let wd = Workdir::new("poll-outage");
    let input =
        r#"{"ts":0,"asset":"WH-01","tag":"tubing_pressure","value":900.5}"#.to_string() + "\n";
    let first = Server::start(&wd, &["--preset", "wellhead"], input.as_bytes());
    let addr = first.addr.clone();
    let poller = start_poll(
        &wd,
        &[
            &addr,
            "--holding",
            "0:1",
            "--type",
            "f32",
            "--interval",
            "100ms",
            "--timeout",
            "300ms",
            "--count",
            "40",
            "--backoff-max",
            "400ms",
        ],
    );
    for _ in 0..3 {
        poller
            .lines
            .recv_timeout(WAIT)
            .expect("readings before the outage");
    }
    drop(first);
    std::thread::sleep(Duration::from_millis(800));
    let second = Server::start_on(&wd, &["--preset", "wellhead"], input.as_bytes(), &addr);
    let (lines, err) = finish(poller);
    drop(second);
    // Readings came again after the server was back.
    assert!(
        lines.len() >= 5,
        "{} readings after the outage\n{err}",
        lines.len()
    );
    let recs = parse_ndjson(&lines.join("\n"));
    assert!(recs.iter().all(|r| num(r, "value") == 900.5));
    let lost = err.matches("retrying with backoff").count();
    assert_eq!(lost, 1, "one message per outage:\n{err}");
    assert!(err.contains("connected again after"), "{err}");
}

/// A gateway with two units behind it: unit 1 answers every read with
/// 1.0f32, unit 2 never answers.
fn fake_gateway() -> (String, std::thread::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("binding");
    let addr = l.local_addr().unwrap().to_string();
    let h = std::thread::spawn(move || {
        let Ok((mut s, _)) = l.accept() else { return };
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = match s.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            buf.extend_from_slice(&chunk[..n]);
            while buf.len() >= 12 {
                let frame: Vec<u8> = buf.drain(..12).collect();
                if frame[6] != 1 {
                    continue;
                }
                let count = u16::from_be_bytes([frame[10], frame[11]]) as usize;
                let mut resp = frame[..4].to_vec();
                resp.extend_from_slice(&((3 + 2 * count) as u16).to_be_bytes());
                resp.extend_from_slice(&[1, 3, (2 * count) as u8]);
                for i in 0..count {
                    let w: u16 = if i % 2 == 0 { 0x3F80 } else { 0 };
                    resp.extend_from_slice(&w.to_be_bytes());
                }
                if s.write_all(&resp).is_err() {
                    return;
                }
            }
        }
    });
    (addr, h)
}

#[test]
fn poll_silent_unit_behind_a_gateway_does_not_delay_the_others() {
    let wd = Workdir::new("poll-gateway");
    let (addr, gateway) = fake_gateway();
    wd.write(
        "m.csv",
        format!("asset,tag,host,unit_id,address,type\nG1,v,{addr},1,0,f32\nG2,v,{addr},2,0,f32\n"),
    );
    let started = Instant::now();
    let poller = start_poll(
        &wd,
        &[
            "--model",
            "m.csv",
            "--count",
            "6",
            "--interval",
            "200ms",
            "--timeout",
            "3s",
        ],
    );
    let mut times = Vec::new();
    for _ in 0..6 {
        poller
            .lines
            .recv_timeout(WAIT)
            .expect("a reading of unit 1");
        times.push(started.elapsed());
    }
    let (rest, err) = finish(poller);
    let _ = gateway.join();
    // Unit 1's six readings came at the pace of the interval, not of unit
    // 2's timeouts.
    for w in times.windows(2) {
        assert!(
            w[1] - w[0] < Duration::from_millis(1200),
            "{times:?}\n{err}"
        );
    }
    assert!(rest.is_empty(), "unit 2 never answered, yet: {rest:?}");
    assert_eq!(err.matches("unit 2: no answer").count(), 1, "{err}");
    assert!(err.contains("wrote 6"), "{err}");
}

#[test]
fn poll_into_a_closed_pipe_ends_quietly() {
    let wd = Workdir::new("poll-pipe");
    let srv = Server::start(&wd, &["--preset", "wellhead"], &wellhead(&wd, 1));
    let mut p = start_poll(
        &wd,
        &[
            "--target",
            &srv.addr,
            "--interval",
            "100ms",
            "--count",
            "100",
        ],
    );
    p.lines.recv_timeout(WAIT).expect("a first reading");
    // Dropping the receiver ends the reading thread, which closes the pipe.
    let Poller { child, lines } = &mut p;
    drop(std::mem::replace(lines, mpsc::channel().1));
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(s) = child.try_wait().expect("waiting for poll") {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "poll kept running into a closed pipe"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    assert!(status.success(), "{status}: {err}");
    assert_eq!(err, "");
}

fn free_addr() -> String {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .to_string()
}

#[test]
fn poll_two_hosts_at_once_each_served_by_its_own_modbus_serve() {
    let wd = Workdir::new("poll-hosts");
    let (a, b) = (free_addr(), free_addr());
    wd.write(
        "m.csv",
        format!(
            "asset,tag,host,unit_id,table,address,type\nA,t,{a},1,holding,0,f32\nB,t,{b},1,holding,0,f32\nB,u,{b},2,input,4,i16\n"
        ),
    );
    let input = concat!(
        r#"{"ts":0,"asset":"A","tag":"t","value":1.5}"#,
        "\n",
        r#"{"ts":0,"asset":"B","tag":"t","value":2.5}"#,
        "\n",
        r#"{"ts":0,"asset":"B","tag":"u","value":-3}"#,
        "\n",
    );
    // Without --host a model of several hosts is refused.
    let mut cmd = wd.cmd("modbus-serve");
    cmd.args(["--model", "m.csv", "--listen", "127.0.0.1:0", "--for", "1s"]);
    let out = wd.run(&mut cmd);
    let err = crate::util::fails_with(1, &cmd, &out);
    assert!(err.contains("say which to serve with --host"), "{err}");
    let sa = Server::start_on(
        &wd,
        &["--model", "m.csv", "--host", &a],
        input.as_bytes(),
        &a,
    );
    let sb = Server::start_on(
        &wd,
        &["--model", "m.csv", "--host", &b],
        input.as_bytes(),
        &b,
    );
    assert!(
        sa.log.iter().any(|l| l.contains("not on the map 2")),
        "{:?}",
        sa.log
    );
    assert!(
        sb.log.iter().any(|l| l.contains("not on the map 1")),
        "{:?}",
        sb.log
    );
    let mut cmd = wd.cmd("poll");
    cmd.args(["--model", "m.csv", "--count", "2", "--interval", "100ms"]);
    let out = wd.run(&mut cmd);
    let recs = parse_ndjson(&ok(&cmd, &out));
    let mut got: Vec<(String, String, f64)> = recs
        .iter()
        .map(|r| {
            (
                text(r, "asset").to_string(),
                text(r, "tag").to_string(),
                num(r, "value"),
            )
        })
        .collect();
    got.sort_by(|x, y| x.partial_cmp(y).unwrap());
    assert_eq!(
        got,
        vec![
            ("A".into(), "t".into(), 1.5),
            ("A".into(), "t".into(), 1.5),
            ("B".into(), "t".into(), 2.5),
            ("B".into(), "t".into(), 2.5),
            ("B".into(), "u".into(), -3.0),
            ("B".into(), "u".into(), -3.0),
        ]
    );
}

#[test]
fn poll_err_unreachable_target_one_message_and_exit_1() {
    let wd = Workdir::new("poll-dead");
    let addr = free_addr();
    let mut cmd = wd.cmd("poll");
    cmd.arg(&addr)
        .args(["--holding", "0:2", "--count", "4", "--interval", "100ms"])
        .args(["--timeout", "500ms", "--backoff-max", "200ms"]);
    let out = wd.run(&mut cmd);
    let err = crate::util::fails_with(1, &cmd, &out);
    assert_eq!(err.matches("retrying with backoff").count(), 1, "{err}");
    assert!(err.contains("polls while unreachable 4"), "{err}");
    assert!(err.contains("nothing was read"), "{err}");
    assert!(out.stdout.is_empty());
    // Three connections to the dead target: still one message.
    wd.write(
        "m.csv",
        "asset,tag,unit_id,address,type\nA,t,1,0,u16\nB,t,2,0,u16\nC,t,3,0,u16\n",
    );
    let mut cmd = wd.cmd("poll");
    cmd.args(["--model", "m.csv", "--target", &addr, "--connections", "3"])
        .args(["--count", "4", "--interval", "100ms"])
        .args(["--timeout", "500ms", "--backoff-max", "200ms"]);
    let out = wd.run(&mut cmd);
    let err = crate::util::fails_with(1, &cmd, &out);
    assert_eq!(err.matches("retrying with backoff").count(), 1, "{err}");
    assert!(err.contains("polls while unreachable 12"), "{err}");
}

#[test]
fn poll_schedule_does_not_drift_and_ts_response_is_later() {
    let wd = Workdir::new("poll-drift");
    let srv = Server::start(&wd, &["--preset", "wellhead"], &wellhead(&wd, 1));
    let ts_of = |ts: &str| -> Vec<i64> {
        let mut cmd = wd.cmd("poll");
        cmd.arg(&srv.addr).args([
            "--holding",
            "0:1",
            "--count",
            "15",
            "--interval",
            "100ms",
            "--ts",
            ts,
        ]);
        let out = wd.run(&mut cmd);
        parse_ndjson(&ok(&cmd, &out))
            .iter()
            .map(|r| iiot::time::parse_rfc3339(text(r, "ts")).expect("an RFC 3339 ts"))
            .collect()
    };
    let req = ts_of("request");
    assert_eq!(req.len(), 15);
    // Every poll sits on the 100 ms grid of the first (a late one is
    // skipped, never shifted), within scheduling jitter.
    for (i, t) in req.iter().enumerate() {
        let off = (t - req[0]).rem_euclid(100);
        assert!(
            off <= 40 || off >= 60,
            "poll {i} at +{} ms: {req:?}",
            t - req[0]
        );
    }
    assert!(req[14] - req[0] >= 1350, "{req:?}");
    assert!(req.windows(2).all(|w| w[1] > w[0]), "{req:?}");
    let resp = ts_of("response");
    assert_eq!(resp.len(), 15);
}

/// A server that takes any number of connections and answers reads of
/// holding registers with the unit id in every register, one request at a
/// time per connection; it reports (connection, unit) of every request
/// and stops accepting once `stop` is set.
fn counting_server(
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> (String, mpsc::Receiver<(usize, u8)>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("binding");
    l.set_nonblocking(true).expect("nonblocking listener");
    let addr = l.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let deadline = Instant::now() + WAIT;
        let mut conn = 0;
        while !stop.load(std::sync::atomic::Ordering::SeqCst) && Instant::now() < deadline {
            let Ok((mut s, _)) = l.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            let tx = tx.clone();
            let me = conn;
            conn += 1;
            std::thread::spawn(move || {
                s.set_nonblocking(false).unwrap();
                s.set_read_timeout(Some(WAIT)).unwrap();
                let mut req = [0u8; 12];
                while s.read_exact(&mut req).is_ok() {
                    let (unit, count) = (req[6], u16::from_be_bytes([req[10], req[11]]));
                    let _ = tx.send((me, unit));
                    let mut resp = req[..4].to_vec();
                    resp.extend_from_slice(&(3 + 2 * count).to_be_bytes());
                    resp.extend_from_slice(&[unit, 3, (2 * count) as u8]);
                    for _ in 0..count {
                        resp.extend_from_slice(&u16::from(unit).to_be_bytes());
                    }
                    if s.write_all(&resp).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, rx)
}

#[test]
fn poll_connections_deal_a_targets_requests_over_several_connections() {
    let wd = Workdir::new("poll-connections");
    let mut model = String::from("asset,tag,unit_id,table,address,type\n");
    for u in 1..=4 {
        model.push_str(&format!(
            "U{u},a,{u},holding,0,u16\nU{u},b,{u},holding,124,u16\n"
        ));
    }
    wd.write("m.csv", model);
    // 3 connections for 4 units: dealt round robin; 9 asked for, 4 used
    // (never an idle connection).
    for (asked, want) in [
        (3, vec![vec![1, 4], vec![2], vec![3]]),
        (9, vec![vec![1], vec![2], vec![3], vec![4]]),
    ] {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (addr, seen) = counting_server(std::sync::Arc::clone(&stop));
        let mut cmd = wd.cmd("poll");
        cmd.args(["--model", "m.csv", "--target", &addr, "--max-gap", "123"])
            .args(["--max-inflight", "1", "--interval", "0", "--count", "3"])
            .args(["--connections", &asked.to_string()]);
        let out = wd.run(&mut cmd);
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let recs = parse_ndjson(&ok(&cmd, &out));
        // Every unit read 3 times, both tags, through one 125-register request.
        assert_eq!(recs.len(), 4 * 3 * 2, "{}", describe(&cmd, &out));
        for r in &recs {
            let u: f64 = text(r, "asset")[1..].parse().unwrap();
            assert_eq!(num(r, "value"), u, "{r}");
        }
        let mut per_conn: std::collections::BTreeMap<usize, std::collections::BTreeSet<u8>> =
            std::collections::BTreeMap::new();
        let mut requests = 0;
        for (c, u) in seen.try_iter() {
            per_conn.entry(c).or_default().insert(u);
            requests += 1;
        }
        assert_eq!(requests, 4 * 3, "{per_conn:?}");
        let mut got: Vec<Vec<u8>> = per_conn
            .values()
            .map(|s| s.iter().copied().collect())
            .collect();
        got.sort();
        assert_eq!(got, want, "--connections {asked}");
    }
}

#[test]
fn poll_messages_escape_the_host_from_the_model() {
    let wd = Workdir::new("poll-escape");
    wd.write(
        "m.csv",
        "asset,tag,host,unit_id,address,type\nA,t,127.0.0.1\u{1b}[2J:1,1,0,u16\n",
    );
    let mut cmd = wd.cmd("poll");
    cmd.args(["--model", "m.csv", "--count", "2", "--interval", "100ms"])
        .args(["--timeout", "300ms", "--backoff-max", "100ms"]);
    let out = wd.run(&mut cmd);
    let err = crate::util::fails_with(1, &cmd, &out);
    assert!(
        err.contains(r"iiot poll: 127.0.0.1\u{1b}[2J:1: cannot connect"),
        "{err}"
    );
    assert!(!err.contains('\x1b'), "{err:?}");
}
