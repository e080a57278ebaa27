//! `iiot notify` against real servers on 127.0.0.1: what arrived (bodies,
//! headers, subjects, recipients, counts), grouping on an alarm storm,
//! retries and dead letters, a kill -9 with --state, and secrets.

mod servers;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::util::{Workdir, describe, ok, parse_ndjson, text};

/// An alarm event line at `s` seconds past 2026-01-01.
fn ev(s: i64, asset: &str, tag: &str, rule: &str, event: &str, severity: &str) -> String {
    format!(
        r#"{{"ts":{},"asset":"{asset}","tag":"{tag}","value":46.5,"unit":"degC","event":"{event}","rule":"{rule}","kind":"threshold","severity":"{severity}","limit":45}}"#,
        1_767_225_600_000 + s * 1000
    ) + "\n"
}

fn records(out: &str) -> Vec<Value> {
    parse_ndjson(out)
}

fn by_delivery<'a>(recs: &'a [Value], d: &str) -> Vec<&'a Value> {
    recs.iter().filter(|r| text(r, "delivery") == d).collect()
}

fn run(wd: &Workdir, cmd: &mut Command, stdin: &str) -> (String, String) {
    let out = wd.run_with_stdin(cmd, stdin.as_bytes().to_vec());
    let so = ok(cmd, &out);
    (so, String::from_utf8_lossy(&out.stderr).into_owned())
}

const STORM: &[(i64, &str, &str, &str, &str)] = &[
    (0, "FERM-1", "fermenter_temp", "hi", "raised"),
    (2, "FERM-2", "fermenter_temp", "hi", "raised"),
    (5, "FERM-3", "fermenter_ph", "lo", "raised"),
    // After the first notification (30 s): waits for group_interval.
    (60, "FERM-1", "fermenter_temp", "hi", "cleared"),
    (70, "FERM-4", "fermenter_temp", "hi", "raised"),
];

fn storm() -> String {
    STORM
        .iter()
        .map(|(s, a, t, r, e)| ev(*s, a, t, r, e, "high"))
        .collect()
}

#[test]
fn the_simplest_case_posts_the_json_notification_to_one_webhook() {
    let wd = Workdir::new("notify-webhook");
    let srv = servers::http(&wd, "200", None, 0.0);
    let url = format!("http://127.0.0.1:{}/hook", srv.port);
    let mut cmd = wd.cmd("notify");
    cmd.args([
        "--webhook",
        &url,
        "--group-wait",
        "30s",
        "--group-interval",
        "5m",
    ]);
    let (out, err) = run(&wd, &mut cmd, &storm());
    let got = srv.received();
    // 30 s: FERM-1..3 raised; 30 s + 5 m: FERM-1 cleared and FERM-4 raised
    // (sent at the end of the input, at its due time).
    assert_eq!(got.len(), 2, "{got:?}\n{err}");
    let first: Value = serde_json::from_str(text(&got[0], "body")).unwrap();
    assert_eq!(got[0]["path"], "/hook");
    assert_eq!(got[0]["headers"]["content-type"], "application/json");
    assert_eq!(first["status"], "firing");
    assert_eq!(first["ts"], 1_767_225_600_000i64 + 30_000);
    let states: Vec<(&str, &str)> = first["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (text(a, "asset"), text(a, "state")))
        .collect();
    assert_eq!(
        states,
        [
            ("FERM-1", "raised"),
            ("FERM-2", "raised"),
            ("FERM-3", "raised")
        ]
    );
    let second: Value = serde_json::from_str(text(&got[1], "body")).unwrap();
    let states: BTreeSet<(&str, &str)> = second["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (text(a, "asset"), text(a, "state")))
        .collect();
    assert_eq!(
        states,
        BTreeSet::from([
            ("FERM-1", "cleared"),
            ("FERM-2", "active"),
            ("FERM-3", "active"),
            ("FERM-4", "raised")
        ])
    );
    let recs = records(&out);
    let delivered = by_delivery(&recs, "delivered");
    assert_eq!(delivered.len(), 2, "{out}");
    assert_eq!(text(delivered[0], "asset"), "webhook");
    assert_eq!(text(delivered[0], "reason"), "HTTP 200");
    assert_eq!(delivered[0]["value"], 1);
    assert_eq!(text(delivered[0], "tag"), first["id"].as_str().unwrap());
    assert!(err.contains("read 5 events"), "{err}");
}

#[test]
fn https_with_ca_headers_template_and_a_token_that_never_shows() {
    let wd = Workdir::new("notify-tls");
    let (ca, cert) = servers::certs(&wd);
    let srv = servers::http(&wd, "200", Some(&cert), 0.0);
    let token = "tok-9f8e7d6c5b4a";
    wd.write("token", format!("{token}\n"));
    let conf = format!(
        r#"
[grouping]
group_wait = "10s"

[channels.slack]
type = "webhook"
url = "https://127.0.0.1:{}/slack"
template = '{{"text":"{{summary}}","first":"{{asset}}/{{tag}}","alarms":{{alarms_json}}}}'
headers = {{ "X-Plant" = "north" }}
token_file = "token"

[channels.sms]
type = "webhook"
url = "https://127.0.0.1:{}/sms"
format = "form"
template = "to=%2B15550100&msg={{status}}+{{asset}}+{{rule}}"
token_env = "SMS_TOKEN"

[default]
channels = ["slack", "sms"]
"#,
        srv.port, srv.port
    );
    wd.write("n.toml", conf);
    let mut cmd = wd.cmd("notify");
    cmd.args(["--config", "n.toml", "--ca"])
        .arg(&ca)
        .args(["--state", "n.state", "-v"])
        .env("SMS_TOKEN", token);
    let events = ev(0, "FERM-1", "fermenter_temp", "hi", "raised", "high");
    let (out, err) = run(&wd, &mut cmd, &events);
    let got = srv.received();
    assert_eq!(got.len(), 2, "{out}\n{err}");
    let slack = got.iter().find(|r| r["path"] == "/slack").expect("slack");
    assert_eq!(slack["headers"]["authorization"], format!("Bearer {token}"));
    assert_eq!(slack["headers"]["x-plant"], "north");
    let body: Value = serde_json::from_str(text(slack, "body")).unwrap();
    assert_eq!(body["first"], "FERM-1/fermenter_temp");
    assert_eq!(body["alarms"][0]["rule"], "hi");
    assert!(
        text(&body, "text").contains("firing: 1 raised on FERM-1"),
        "{body}"
    );
    let sms = got.iter().find(|r| r["path"] == "/sms").expect("sms");
    assert_eq!(
        sms["headers"]["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(text(sms, "body"), "to=%2B15550100&msg=firing+FERM-1+hi");
    assert_eq!(sms["headers"]["authorization"], format!("Bearer {token}"));
    // The token is nowhere iiot writes.
    let state = wd.read("n.state");
    for (what, s) in [("stdout", &out), ("stderr", &err), ("state", &state)] {
        assert!(!s.contains(token), "the token shows in {what}: {s}");
    }
    assert_eq!(by_delivery(&records(&out), "delivered").len(), 2);

    // Without --ca the self-signed certificate is refused: failed, no retry.
    let mut cmd = wd.cmd("notify");
    cmd.args([
        "--config",
        "n.toml",
        "--max-attempts",
        "2",
        "--backoff",
        "10ms",
    ])
    .env("SMS_TOKEN", token);
    let (out, err) = run(&wd, &mut cmd, &events);
    let recs = records(&out);
    let failed = by_delivery(&recs, "failed");
    assert!(!failed.is_empty(), "{out}");
    assert!(by_delivery(&recs, "delivered").is_empty(), "{out}");
    assert!(!out.contains(token) && !err.contains(token));
    assert_eq!(srv.received().len(), 2);
}

#[test]
fn email_goes_over_starttls_with_auth_and_a_template() {
    let wd = Workdir::new("notify-email");
    let (ca, cert) = servers::certs(&wd);
    let pw = "pw-31415926";
    let smtp = servers::smtp(&wd, &cert, pw);
    // notify with the config `toml` (its `{port}` the SMTP server's),
    // trusting the test's CA, the password in the environment.
    let notify = |toml: &str, input: &str| {
        wd.write("n.toml", toml.replace("{port}", &smtp.port.to_string()));
        let mut cmd = wd.cmd("notify");
        cmd.args(["--config", "n.toml", "--ca"])
            .arg(&ca)
            .env("SMTP_PW", pw);
        run(&wd, &mut cmd, input)
    };
    let (out, err) = notify(
        r#"
[channels.oncall]
type = "email"
smtp = "127.0.0.1:{port}"
tls = "starttls"
user = "plant"
password_env = "SMTP_PW"
from = "iiot@plant.example"
to = ["oncall@plant.example", "boss@plant.example"]
subject = "[plant] {status} {asset} {rule}"
body = "Alarm {summary}\n{alarms}"

[[routes]]
severity = ["high", "critical"]
channels = ["oncall"]
group_wait = "0s"
"#,
        &(ev(0, "BOIL-1", "drum_pressure", "hi_hi", "raised", "critical")
            + &ev(1, "BOIL-2", "flow", "lo", "raised", "low")),
    );
    let got = smtp.wait_for(1);
    assert_eq!(got.len(), 1, "{out}\n{err}");
    let m = &got[0];
    assert_eq!(m["tls"], true);
    assert_eq!(m["from"], "iiot@plant.example");
    assert_eq!(
        m["to"],
        serde_json::json!(["oncall@plant.example", "boss@plant.example"])
    );
    let data = text(m, "data");
    assert!(
        data.contains("Subject: [plant] firing BOIL-1 hi_hi"),
        "{data}"
    );
    assert!(data.contains("Alarm firing: 1 raised on BOIL-1"), "{data}");
    assert!(
        data.contains("raised BOIL-1/drum_pressure hi_hi (critical)"),
        "{data}"
    );
    let recs = records(&out);
    assert_eq!(by_delivery(&recs, "delivered").len(), 1, "{out}");
    // The low one matched no route and there is no default: counted.
    let sup = by_delivery(&recs, "suppressed");
    assert_eq!(sup.len(), 1, "{out}");
    assert!(text(sup[0], "reason").starts_with("unrouted"));
    assert_eq!(text(sup[0], "alarm_asset"), "BOIL-2");
    assert!(err.contains("unrouted alarms 1"), "{err}");
    assert!(!out.contains(pw) && !err.contains(pw));

    // A digest: three groups' notifications in one message an hour.
    let (out, err) = notify(
        r#"
[channels.daily]
type = "email"
smtp = "127.0.0.1:{port}"
user = "plant"
password_env = "SMTP_PW"
from = "iiot@plant.example"
to = ["log@plant.example"]
digest = "1h"

[default]
channels = ["daily"]
group_by = ["asset"]
group_wait = "0s"
"#,
        &(ev(0, "BOIL-1", "drum_pressure", "hi_hi", "raised", "critical")
            + &ev(60, "BOIL-2", "flow", "lo", "raised", "low")
            + &ev(120, "BOIL-3", "flow", "lo", "raised", "low")),
    );
    let got = smtp.wait_for(2);
    assert_eq!(got.len(), 2, "{out}\n{err}");
    assert_eq!(got[1]["to"], serde_json::json!(["log@plant.example"]));
    let data = text(&got[1], "data");
    for a in ["BOIL-1/drum_pressure", "BOIL-2/flow", "BOIL-3/flow"] {
        assert!(data.contains(a), "{a} not in the digest: {data}");
    }
    assert!(
        data.contains("firing: 3 raised on BOIL-1, BOIL-2, BOIL-3"),
        "{data}"
    );
}

#[test]
fn retries_500_then_200_waits_for_429_and_dead_letters_400() {
    let wd = Workdir::new("notify-retry");
    // 500, then 429 asking for 1 s, then 200: one notification, 3 attempts.
    let srv = servers::http(&wd, "500,429:1,200", None, 0.0);
    let url = format!("http://127.0.0.1:{}/h", srv.port);
    let mut cmd = wd.cmd("notify");
    cmd.args([
        "--webhook",
        &url,
        "--backoff",
        "50ms",
        "--backoff-max",
        "200ms",
    ]);
    let input = ev(0, "A", "t", "hi", "raised", "high");
    let (out, _) = run(&wd, &mut cmd, &input);
    let got = srv.received();
    assert_eq!(got.len(), 3);
    let gap = got[2]["t"].as_f64().unwrap() - got[1]["t"].as_f64().unwrap();
    assert!(gap >= 0.95, "Retry-After: 1 not waited: {gap}");
    let recs = records(&out);
    let outcomes: Vec<(&str, &str, i64)> = recs
        .iter()
        .map(|r| {
            (
                text(r, "delivery"),
                text(r, "reason"),
                r["value"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("failed", "HTTP 500", 1),
            ("failed", "HTTP 429", 2),
            ("delivered", "HTTP 200", 3)
        ]
    );
    assert!(recs[1]["retry_in_ms"].as_u64().unwrap() >= 1000);
    // Every attempt carried the same notification.
    let bodies: BTreeSet<&str> = got.iter().map(|r| text(r, "body")).collect();
    assert_eq!(bodies.len(), 1);
    drop(srv);

    // 400: not retried, dead-lettered.
    let wd = Workdir::new("notify-400");
    let srv = servers::http(&wd, "400", None, 0.0);
    let url = format!("http://127.0.0.1:{}/h", srv.port);
    let mut cmd = wd.cmd("notify");
    cmd.args([
        "--webhook",
        &url,
        "--dead-letter",
        "dead.ndjson",
        "--backoff",
        "10ms",
    ]);
    let (out, err) = run(&wd, &mut cmd, &input);
    assert_eq!(srv.received().len(), 1);
    let recs = records(&out);
    assert_eq!(recs.len(), 1);
    assert_eq!(text(&recs[0], "final"), "not retried");
    let dead = parse_ndjson(&wd.read("dead.ndjson"));
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["alarms"][0]["asset"], "A");
    assert!(err.contains("failed 1"), "{err}");
}

#[test]
fn unreachable_backs_off_dead_letters_and_replays_later() {
    let wd = Workdir::new("notify-unreachable");
    // A port nobody listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/h");
    let mut cmd = wd.cmd("notify");
    cmd.args([
        "--webhook",
        &url,
        "--dead-letter",
        "dead.ndjson",
        "--max-attempts",
        "4",
        "--backoff",
        "100ms",
        "--backoff-max",
        "300ms",
    ]);
    let t0 = std::time::Instant::now();
    let (out, _) = run(&wd, &mut cmd, &storm());
    let took = t0.elapsed();
    let recs = records(&out);
    let failed = by_delivery(&recs, "failed");
    assert_eq!(failed.len(), 8, "{out}");
    // Backoff: 100, 200, 300 (capped) ms, each jittered to at least half.
    let waits: Vec<u64> = failed
        .iter()
        .filter_map(|r| r["retry_in_ms"].as_u64())
        .collect();
    assert_eq!(waits.len(), 6);
    for (i, w) in waits.iter().enumerate() {
        let cap = [100, 200, 300][i % 3];
        assert!(*w >= cap / 2 && *w <= cap, "wait {i}: {w} of {cap}");
    }
    assert!(took >= Duration::from_millis(2 * 300), "{took:?}");
    assert_eq!(failed[3]["final"], "out of attempts");
    let dead = wd.read("dead.ndjson");
    assert_eq!(parse_ndjson(&dead).len(), 2);

    // The server is up now: the replay sends both, as they were.
    let srv = servers::http(&wd, "200", None, 0.0);
    let conf = format!(
        "[channels.webhook]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:{}/h\"\n[default]\nchannels = [\"webhook\"]\n",
        srv.port
    );
    wd.write("n.toml", conf);
    let mut cmd = wd.cmd("notify");
    cmd.args([
        "--config",
        "n.toml",
        "--replay",
        "dead.ndjson",
        "--dead-letter",
        "dead2.ndjson",
    ]);
    let (out, _) = run(&wd, &mut cmd, "");
    assert_eq!(by_delivery(&records(&out), "delivered").len(), 2, "{out}");
    let got = srv.received();
    let sent: Vec<Value> = got
        .iter()
        .map(|r| serde_json::from_str(text(r, "body")).unwrap())
        .collect();
    let dead: Vec<Value> = parse_ndjson(&dead);
    assert_eq!(sent, dead);
    assert_eq!(wd.read("dead2.ndjson"), "");
}

#[test]
fn a_config_error_names_line_and_column_and_a_route_can_run_a_command() {
    let wd = Workdir::new("notify-config");
    wd.write(
        "bad.toml",
        "[channels.a]\ntype = \"webhook\"\nurl = \"ftp://x\"\n[default]\nchannels = [\"a\"]\n",
    );
    let mut cmd = wd.cmd("notify");
    cmd.args(["--config", "bad.toml"]);
    let out = wd.run_with_stdin(&mut cmd, Vec::new());
    let err = crate::util::fails_with(1, &cmd, &out);
    assert!(
        err.contains("bad.toml:3:7: url \"ftp://x\": expected http:// or https://"),
        "{err}"
    );
    wd.write(
        "n.toml",
        "[channels.log]\ntype = \"exec\"\ncommand = [\"sh\", \"-c\", \"cat >> got.ndjson\"]\n\
         [[routes]]\nasset = [\"FERM-*\"]\ntag = [\"*temp\"]\nchannels = [\"log\"]\ngroup_by = [\"asset\"]\ngroup_wait = \"1s\"\n",
    );
    let mut cmd = wd.cmd("notify");
    cmd.args(["--config", "n.toml"]);
    let (out, err) = run(&wd, &mut cmd, &storm());
    let got = parse_ndjson(&wd.read("got.ndjson"));
    // Per asset, a second after each group's first event (FERM-1 at 1 s,
    // FERM-2 at 3 s, FERM-4 at 71 s), and FERM-1's clearing at 60 s waits
    // for group_interval (5 m) after its first; FERM-3's pH alarm matches
    // no route.
    let sent: Vec<(String, String)> = got
        .iter()
        .map(|n| (text(n, "group").to_string(), text(n, "status").to_string()))
        .collect();
    assert_eq!(
        sent,
        [
            ("FERM-1".to_string(), "firing".to_string()),
            ("FERM-2".into(), "firing".into()),
            ("FERM-4".into(), "firing".into()),
            ("FERM-1".into(), "resolved".into()),
        ],
        "{out}\n{err}"
    );
    assert!(err.contains("unrouted alarms 1"), "{err}");
}

/// `simulate --faults` → `detect --events` → `notify --dry-run`: counts
/// against what the rules imply, nothing unrouted lost, and the same
/// notifications on a second run.
#[test]
fn a_simulated_storm_is_grouped_as_the_rules_say() {
    let wd = Workdir::new("notify-storm");
    wd.write(
        "n.toml",
        "[grouping]\ngroup_wait = \"30s\"\ngroup_interval = \"1d\"\nrepeat_interval = \"1d\"\n\
         [channels.ops]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:9/ops\"\n\
         [[routes]]\nasset = [\"FERM-1\", \"FERM-2\"]\nchannels = [\"ops\"]\ngroup_by = [\"asset\"]\n",
    );
    let bin = env!("CARGO_BIN_EXE_iiot");
    let script = format!(
        "set -o pipefail; {bin} simulate --preset fermenter --duration 2h --interval 10s --seed 7 --faults spike=0.01,stuck=0.002 -q \
         | {bin} detect --events -q > events.ndjson && {bin} notify --config n.toml --dry-run events.ndjson"
    );
    let mut cmd = Command::new("bash");
    cmd.args(["-o", "pipefail", "-c", &script])
        .current_dir(&wd.dir)
        .stdin(Stdio::null());
    let out = cmd.output().unwrap();
    let so = ok(&cmd, &out);
    let recs = records(&so);
    let events = parse_ndjson(&wd.read("events.ndjson"));
    assert!(events.len() > 20, "a storm: {} events", events.len());
    // With group_interval and repeat_interval beyond the run, each asset's
    // group is, as Alertmanager keeps it: created by an event when there is
    // none, flushed group_wait later (then gone if all its alarms have
    // cleared), and flushed once more at the end if anything changed since.
    enum G {
        Waiting(i64, BTreeSet<(String, String)>),
        Live(bool),
    }
    let mut groups: BTreeMap<String, G> = BTreeMap::new();
    let mut expect: BTreeMap<String, usize> = BTreeMap::new();
    for e in &events {
        let a = text(e, "asset").to_string();
        if a != "FERM-1" && a != "FERM-2" {
            continue;
        }
        let t = jiff::Timestamp::from_str_ts(text(e, "ts"));
        let key = (text(e, "tag").to_string(), text(e, "rule").to_string());
        let raised = text(e, "event") == "raised";
        if let Some(G::Waiting(start, active)) = groups.get(&a)
            && t >= start + 30_000
        {
            *expect.entry(a.clone()).or_default() += 1;
            if active.is_empty() {
                groups.remove(&a);
            } else {
                groups.insert(a.clone(), G::Live(false));
            }
        }
        match groups.get_mut(&a) {
            None => {
                let active = if raised {
                    BTreeSet::from([key])
                } else {
                    BTreeSet::new()
                };
                groups.insert(a, G::Waiting(t, active));
            }
            Some(G::Waiting(_, active)) => {
                if raised {
                    active.insert(key);
                } else {
                    active.remove(&key);
                }
            }
            Some(G::Live(changed)) => *changed = true,
        }
    }
    for (a, g) in &groups {
        if matches!(g, G::Waiting(..) | G::Live(true)) {
            *expect.entry(a.clone()).or_default() += 1;
        }
    }
    let dry = by_delivery(&recs, "dry-run");
    let mut got: BTreeMap<String, usize> = BTreeMap::new();
    for r in &dry {
        let body: Value = serde_json::from_str(text(r, "body")).unwrap();
        *got.entry(text(&body, "group").to_string()).or_default() += 1;
    }
    assert_eq!(got, expect, "{so}");
    // Every raised alarm is in a notification or counted unrouted.
    let mut told: BTreeSet<(String, String, String, i64)> = BTreeSet::new();
    for r in &dry {
        let body: Value = serde_json::from_str(text(r, "body")).unwrap();
        for a in body["alarms"].as_array().unwrap() {
            told.insert((
                text(a, "asset").into(),
                text(a, "tag").into(),
                text(a, "rule").into(),
                a["since"].as_i64().unwrap(),
            ));
        }
    }
    let unrouted = by_delivery(&recs, "suppressed");
    for e in events.iter().filter(|e| text(e, "event") == "raised") {
        let a = text(e, "asset");
        if a == "FERM-1" || a == "FERM-2" {
            let key = (
                a.to_string(),
                text(e, "tag").to_string(),
                text(e, "rule").to_string(),
                jiff::Timestamp::from_str_ts(text(e, "ts")),
            );
            assert!(told.contains(&key), "{key:?} never told");
        } else {
            assert!(
                unrouted
                    .iter()
                    .any(|u| text(u, "alarm_asset") == a && text(u, "alarm_tag") == text(e, "tag")),
                "{e} neither routed nor counted"
            );
        }
    }
    let raised_elsewhere = events
        .iter()
        .filter(|e| {
            text(e, "event") == "raised" && !["FERM-1", "FERM-2"].contains(&text(e, "asset"))
        })
        .count();
    assert_eq!(unrouted.len(), raised_elsewhere);
    // A replay of the same file: the same notifications.
    let mut cmd = wd.cmd("notify");
    cmd.args(["--config", "n.toml", "--dry-run", "events.ndjson"]);
    let out = wd.run(&mut cmd);
    let again = records(&ok(&cmd, &out));
    let bodies = |r: &[Value]| -> Vec<String> {
        by_delivery(r, "dry-run")
            .iter()
            .map(|x| text(x, "body").to_string())
            .collect()
    };
    assert_eq!(bodies(&recs), bodies(&again));
}

trait FromStrTs {
    fn from_str_ts(s: &str) -> i64;
}

impl FromStrTs for jiff::Timestamp {
    fn from_str_ts(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().unwrap().as_millisecond()
    }
}

/// kill -9 in the middle of a storm, then the same command again with the
/// same --state: every notification arrives, none twice unless its
/// delivery was in flight at the kill.
#[test]
fn kill_9_and_restart_with_state_loses_nothing() {
    let wd = Workdir::new("notify-kill");
    let srv = servers::http(&wd, "200", None, 0.05);
    // 40 alarms a minute apart, each its own group: 80 notifications.
    let mut input = String::new();
    for i in 0..40 {
        input += &ev(i * 60, &format!("A-{i:02}"), "t", "hi", "raised", "high");
        input += &ev(
            i * 60 + 30,
            &format!("A-{i:02}"),
            "t",
            "hi",
            "cleared",
            "high",
        );
    }
    wd.write("events.ndjson", &input);
    wd.write(
        "n.toml",
        format!(
            "[grouping]\ngroup_wait = \"5s\"\ngroup_interval = \"10s\"\n\
             [channels.ops]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:{}/ops\"\n\
             [default]\nchannels = [\"ops\"]\ngroup_by = [\"asset\"]\n",
            srv.port
        ),
    );
    let args = ["--config", "n.toml", "--state", "n.state", "events.ndjson"];
    let mut dry = wd.cmd("notify");
    dry.args(["--config", "n.toml", "--dry-run", "events.ndjson"]);
    let out = wd.run(&mut dry);
    let expected: BTreeSet<String> = by_delivery(&records(&ok(&dry, &out)), "dry-run")
        .iter()
        .map(|r| text(r, "tag").to_string())
        .collect();
    assert_eq!(expected.len(), 80);
    let mut child = wd
        .cmd("notify")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    srv.wait_for(20);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = srv.received().len();
    assert!(before < 80, "killed too late: {before}");
    let mut again = wd.cmd("notify");
    again.args(args);
    let out = wd.run(&mut again);
    ok(&again, &out);
    let got = srv.received();
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for r in &got {
        let body: Value = serde_json::from_str(text(r, "body")).unwrap();
        *count.entry(text(&body, "id").to_string()).or_default() += 1;
    }
    let ids: BTreeSet<String> = count.keys().cloned().collect();
    assert_eq!(ids, expected, "{}", describe(&again, &out));
    let twice: Vec<_> = count.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.len() <= 1, "sent twice: {twice:?}");
    assert!(count.values().all(|n| *n <= 2));
}

/// An acked alarm is not repeated: acknowledged by an `acked` event on the
/// input, or by `iiot ack` in the store named by --store (checked before
/// each repeat). An ack of an alarm never raised is refused.
#[test]
fn acked_alarms_are_not_repeated() {
    let wd = Workdir::new("notify-ack");
    let raised = ev(0, "FERM-1", "fermenter_temp", "hi", "raised", "high");
    let cleared = ev(
        3 * 3600,
        "FERM-1",
        "fermenter_temp",
        "hi",
        "cleared",
        "high",
    );
    let acked = format!(
        r#"{{"ts":{},"asset":"FERM-1","tag":"fermenter_temp","value":0,"event":"acked","rule":"hi","by":"ann"}}"#,
        1_767_225_600_000i64 + 60_000
    ) + "\n";
    let stray = r#"{"ts":1767225600000,"asset":"X","tag":"t","value":0,"event":"acked","rule":"hi","by":"bob"}"#
        .to_string()
        + "\n";
    let sent = |extra: &[&str], input: String| -> Vec<(String, bool)> {
        let mut cmd = wd.cmd("notify");
        cmd.args([
            "--webhook",
            "http://127.0.0.1:9/h",
            "--repeat-interval",
            "1h",
            "--dry-run",
        ])
        .args(extra);
        let (out, err) = run(&wd, &mut cmd, &input);
        by_delivery(&records(&out), "dry-run")
            .iter()
            .map(|r| {
                let body: Value = serde_json::from_str(text(r, "body")).unwrap();
                (text(&body, "status").to_string(), body["repeat"] == true)
            })
            .chain(
                err.contains("an acknowledgement of an alarm never raised")
                    .then(|| ("refused".to_string(), false)),
            )
            .collect()
    };
    let f = |s: &str, r: bool| (s.to_string(), r);
    // Unacknowledged: repeated at 1 h and 2 h after the first notification.
    assert_eq!(
        sent(&[], raised.clone() + &cleared),
        [
            f("firing", false),
            f("firing", true),
            f("firing", true),
            f("resolved", false)
        ]
    );
    assert_eq!(
        sent(&[], raised.clone() + &acked + &stray + &cleared),
        [
            f("firing", false),
            f("resolved", false),
            f("refused", false)
        ]
    );
    // Acknowledged in the store only.
    let mut store = wd.cmd("store");
    store.args(["plant.db", "-q"]);
    run(&wd, &mut store, &raised);
    let mut ack = wd.cmd("ack");
    ack.args([
        "plant.db",
        "--asset",
        "FERM-1",
        "--tag",
        "fermenter_temp",
        "--rule",
        "hi",
        "--by",
        "ann",
        "--at",
        "2026-01-01T00:10:00Z",
        "-q",
    ]);
    let out = wd.run(&mut ack);
    ok(&ack, &out);
    assert_eq!(
        sent(&["--store", "plant.db"], raised.clone() + &cleared),
        [f("firing", false), f("resolved", false)]
    );
}
