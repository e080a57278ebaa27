//! `iiot mqtt-pub` and `iiot mqtt-sub`, and the README's Mosquitto
//! recipes, against a real Mosquitto broker started by each test on a
//! free loopback port with its own configuration in a temporary folder,
//! stopped by its PID when the test ends.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::postgres::{bash, bash_ok};
use crate::util::{Workdir, describe, parse_ndjson};

const MOSQUITTO: &str = "/usr/sbin/mosquitto";

pub struct Broker {
    child: Child,
    pub port: u16,
}

impl Broker {
    pub fn start(wd: &Workdir) -> Broker {
        assert!(
            Path::new(MOSQUITTO).exists(),
            "{MOSQUITTO} is missing: install the Debian packages `mosquitto` and `mosquitto-clients`"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let conf = wd.write(
            "mosquitto.conf",
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
                 max_queued_messages 1000000\nmax_inflight_messages 20\nlog_dest stderr\nlog_type error\n"
            ),
        );
        let child = Command::new(MOSQUITTO)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting mosquitto");
        let t = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "mosquitto did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Broker { child, port }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn sorted(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s.lines().map(str::to_string).collect();
    v.sort();
    v
}

#[test]
fn records_go_through_the_broker_and_a_persistent_session_keeps_what_came_while_stopped() {
    let wd = Workdir::new("mqtt-records");
    let broker = Broker::start(&wd);
    let b = broker.addr();
    // The session is made (and subscribed) first; mqtt-sub then stops.
    bash_ok(
        &wd,
        &format!("iiot mqtt-sub --broker {b} --client-id hist --idle 300ms -q"),
    );
    // Published while no subscriber runs: the broker keeps it for the session.
    let (_, err) = bash_ok(
        &wd,
        &format!(
            "iiot simulate --preset wellhead --count 20 --seed 4 > in.ndjson && iiot mqtt-pub --broker {b} --qos 1 < in.ndjson"
        ),
    );
    let input = wd.read("in.ndjson");
    let n = input.lines().count();
    assert!(
        err.contains(&format!("read {n}, published {n}, rejected 0")),
        "{err}"
    );
    let (out, err) = bash_ok(
        &wd,
        &format!("iiot mqtt-sub --broker {b} --client-id hist --count {n}"),
    );
    assert_eq!(sorted(&out), sorted(&input), "{err}");
    assert!(
        err.contains(&format!("received {n}, wrote {n}, rejected 0")),
        "{err}"
    );
    // Nothing is delivered twice: everything was acknowledged.
    let (out, _) = bash_ok(
        &wd,
        &format!("iiot mqtt-sub --broker {b} --client-id hist --idle 500ms -q"),
    );
    assert_eq!(out, "");
}

#[test]
fn bare_values_take_asset_and_tag_from_the_topic_and_retained_last_values_reach_a_new_subscriber() {
    let wd = Workdir::new("mqtt-values");
    let broker = Broker::start(&wd);
    let b = broker.addr();
    // An asset with a slash goes there and back as one level.
    wd.write(
        "in.ndjson",
        "{\"ts\":\"2026-01-01T00:00:00Z\",\"asset\":\"LINE-A/M-03\",\"tag\":\"speed\",\"value\":1.5}\n\
         {\"ts\":\"2026-01-01T00:00:00Z\",\"asset\":\"WH-01\",\"tag\":\"tubing_pressure\",\"value\":1523.42}\n\
         {\"ts\":\"2026-01-01T00:00:01Z\",\"asset\":\"WH-01\",\"tag\":\"tubing_pressure\",\"value\":1524}\n",
    );
    bash_ok(
        &wd,
        &format!(
            "iiot mqtt-pub --broker {b} --payload value --retain --topic 'site/{{asset}}/{{tag}}' < in.ndjson"
        ),
    );
    // The broker's view: one topic per series, the last value retained.
    let (seen, _) = bash_ok(
        &wd,
        &format!(
            "mosquitto_sub -h 127.0.0.1 -p {} -t 'site/#' -v -C 2 -W 5 | sort",
            broker.port
        ),
    );
    assert_eq!(
        seen,
        "site/LINE-A%2FM-03/speed 1.5\nsite/WH-01/tubing_pressure 1524\n"
    );
    let (out, _) = bash_ok(
        &wd,
        &format!(
            "iiot mqtt-sub --broker {b} --clean --template 'site/{{asset}}/{{tag}}' --count 2"
        ),
    );
    let mut got: Vec<(String, String, f64)> = parse_ndjson(&out)
        .iter()
        .map(|r| {
            assert!(r["ts"].as_str().unwrap().starts_with("20"), "{r}");
            (
                r["asset"].as_str().unwrap().to_string(),
                r["tag"].as_str().unwrap().to_string(),
                r["value"].as_f64().unwrap(),
            )
        })
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        vec![
            ("LINE-A/M-03".into(), "speed".into(), 1.5),
            ("WH-01".into(), "tubing_pressure".into(), 1524.0)
        ]
    );
}

#[test]
fn bad_payloads_are_rejected_naming_the_topic() {
    let wd = Workdir::new("mqtt-bad");
    let broker = Broker::start(&wd);
    let (b, p) = (broker.addr(), broker.port);
    bash_ok(
        &wd,
        &format!("iiot mqtt-sub --broker {b} --client-id bad --idle 300ms -q"),
    );
    bash_ok(
        &wd,
        &format!(
            "mosquitto_pub -h 127.0.0.1 -p {p} -q 1 -t plant/WH-01/tubing_pressure -m hello \
             && mosquitto_pub -h 127.0.0.1 -p {p} -q 1 -t plant/WH-01/tubing_pressure -m '{{\"ts\":1,\"asset\":\"A\"}}' \
             && mosquitto_pub -h 127.0.0.1 -p {p} -q 1 -t plant/WH-01/tubing_pressure -m NaN \
             && mosquitto_pub -h 127.0.0.1 -p {p} -q 1 -t plant/WH-01/tubing_pressure -m ' 42.5 '"
        ),
    );
    let (cmd, out) = bash(
        &wd,
        &format!("iiot mqtt-sub --broker {b} --client-id bad --count 4 --rejects rej.ndjson"),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", describe(&cmd, &out));
    let good = parse_ndjson(&stdout);
    assert_eq!(good.len(), 1, "{stdout}");
    assert_eq!(good[0]["value"], 42.5);
    assert_eq!(good[0]["asset"], "WH-01");
    let rejects = parse_ndjson(&wd.read("rej.ndjson"));
    assert_eq!(rejects.len(), 3, "{rejects:?}");
    for r in &rejects {
        assert_eq!(r["source"], "topic plant/WH-01/tubing_pressure", "{r}");
    }
    assert!(
        rejects[0]["reason"]
            .as_str()
            .unwrap()
            .contains("neither a record"),
        "{rejects:?}"
    );
    assert!(
        rejects[1]["reason"].as_str().unwrap().contains("tag"),
        "{rejects:?}"
    );
}

/// The README's Mosquitto recipes, as written but for the port.
#[test]
fn the_readmes_mosquitto_recipes_work() {
    let wd = Workdir::new("mqtt-readme");
    let broker = Broker::start(&wd);
    let p = broker.port;
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let line = |start: &str| -> String {
        readme
            .lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("the README has a line starting {start:?}"))
            .replace("-p 1883", &format!("-p {p}"))
    };
    let publish = line("iiot simulate --preset fermenter --count 2 | mosquitto_pub");
    let subscribe = line("mosquitto_sub -h 127.0.0.1 -p 1883 -t 'plant/#' -C 56 | iiot cat");
    let verbose = line("mosquitto_sub -h 127.0.0.1 -p 1883 -t 'plant/+/+' -v -C 10");
    // mosquitto_pub -l: one message per line, read back by iiot cat.
    let mut sub = Command::new("bash")
        .args([
            "-o",
            "pipefail",
            "-c",
            &format!("{} > got.ndjson", subscribe.split("   #").next().unwrap()),
        ])
        .env(
            "PATH",
            format!(
                "{}:{}",
                Path::new(env!("CARGO_BIN_EXE_iiot"))
                    .parent()
                    .unwrap()
                    .display(),
                std::env::var("PATH").unwrap()
            ),
        )
        .current_dir(&wd.dir)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    bash_ok(
        &wd,
        &format!("{publish} && iiot simulate --preset fermenter --count 2 > want.ndjson"),
    );
    let status = sub.wait().unwrap();
    assert!(status.success());
    assert_eq!(
        sorted(&wd.read("got.ndjson")),
        sorted(&wd.read("want.ndjson"))
    );
    // What mqtt-pub sends, as mosquitto_sub -v shows it: topic and record.
    let mut sub = Command::new("bash")
        .args([
            "-c",
            &format!("{} > seen.txt", verbose.split("   #").next().unwrap()),
        ])
        .current_dir(&wd.dir)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    bash_ok(
        &wd,
        &format!(
            "iiot simulate --preset fermenter --count 1 | iiot mqtt-pub --broker 127.0.0.1:{p} -q"
        ),
    );
    assert!(sub.wait().unwrap().success());
    let seen = wd.read("seen.txt");
    assert_eq!(seen.lines().count(), 10, "{seen}");
    for l in seen.lines() {
        let (topic, record) = l.split_once(' ').unwrap();
        let r: serde_json::Value = serde_json::from_str(record).unwrap();
        assert_eq!(
            topic,
            format!(
                "plant/{}/{}",
                r["asset"].as_str().unwrap(),
                r["tag"].as_str().unwrap()
            )
        );
    }
}
