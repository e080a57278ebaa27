//! Real Modbus tools agree: mbpoll reads what modbus-serve serves, and
//! poll decodes what a pymodbus server serves.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Server, need};
use crate::util::{Workdir, num, ok, parse_ndjson, text};

const MBPOLL_MODEL: &str = "\
asset,tag,unit_id,table,address,type,order
P,f_abcd,7,holding,0,f32,ABCD
P,f_cdab,7,holding,2,f32,CDAB
P,i_abcd,7,holding,4,i32,ABCD
P,i_cdab,7,holding,6,i32,CDAB
P,fi_abcd,7,input,10,f32,ABCD
P,fi_cdab,7,input,12,f32,CDAB
P,ii_abcd,7,input,14,i32,ABCD
P,ii_cdab,7,input,16,i32,CDAB
";

/// Runs mbpoll once and returns the values it printed, by reference.
fn mbpoll(
    port: &str,
    unit: u8,
    table: &str,
    start: u16,
    count: u16,
    word_big: bool,
) -> Vec<String> {
    let mut cmd = Command::new("timeout");
    cmd.args(["10", "mbpoll", "-m", "tcp", "-0", "-1", "-o", "2"])
        .args(["-a", &unit.to_string(), "-t", table])
        .args([
            "-r",
            &start.to_string(),
            "-c",
            &count.to_string(),
            "-p",
            port,
        ]);
    if word_big {
        cmd.arg("-B");
    }
    cmd.arg("127.0.0.1");
    let out = cmd.output().expect("running mbpoll");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "mbpoll failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix('['))
        .filter_map(|l| l.split_once("]:"))
        .map(|(_, v)| v.trim().to_string())
        .collect()
}

#[test]
fn peer_mbpoll_reads_f32_and_i32_in_two_word_orders() {
    need("mbpoll", "apt-get install mbpoll");
    let wd = Workdir::new("peer-mbpoll");
    wd.write("m.csv", MBPOLL_MODEL);
    let values = [
        ("f_abcd", "1523.42"),
        ("f_cdab", "-0.015625"),
        ("i_abcd", "-2000000000"),
        ("i_cdab", "123456789"),
        ("fi_abcd", "3.25"),
        ("fi_cdab", "-98765.5"),
        ("ii_abcd", "-7"),
        ("ii_cdab", "2147483647"),
    ];
    let input: String = values
        .iter()
        .map(|(t, v)| format!("{{\"ts\":0,\"asset\":\"P\",\"tag\":\"{t}\",\"value\":{v}}}\n"))
        .collect();
    let srv = Server::start(&wd, &["--model", "m.csv"], input.as_bytes());
    let port = srv.port();
    // mbpoll's default word order for 32-bit values is CDAB; -B is ABCD.
    let f = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
    let got = mbpoll(port, 7, "4:float", 0, 1, true);
    assert!((f(&got[0]) - 1523.42).abs() < 0.01, "{got:?}");
    let got = mbpoll(port, 7, "4:float", 2, 1, false);
    assert_eq!(f(&got[0]), -0.015625, "{got:?}");
    assert_eq!(mbpoll(port, 7, "4:int", 4, 1, true), vec!["-2000000000"]);
    assert_eq!(mbpoll(port, 7, "4:int", 6, 1, false), vec!["123456789"]);
    assert_eq!(f(&mbpoll(port, 7, "3:float", 10, 1, true)[0]), 3.25);
    assert_eq!(f(&mbpoll(port, 7, "3:float", 12, 1, false)[0]), -98765.5);
    assert_eq!(mbpoll(port, 7, "3:int", 14, 1, true), vec!["-7"]);
    assert_eq!(mbpoll(port, 7, "3:int", 16, 1, false), vec!["2147483647"]);
}

/// A pymodbus server on a free port, killed by PID on drop.
struct PyServer(Child);

impl Drop for PyServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn start_pymodbus() -> (PyServer, String) {
    let ok = Command::new("python3")
        .args(["-c", "import pymodbus"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "pymodbus is missing: install it with `pip install pymodbus` (or run scripts/test)"
    );
    let port = free_port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pymodbus_server.py");
    let child = Command::new("python3")
        .arg(script)
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting python3");
    let guard = PyServer(child);
    let addr = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + super::WAIT;
    while TcpStream::connect(&addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "the pymodbus server did not come up"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (guard, addr)
}

#[test]
fn peer_poll_decodes_a_pymodbus_server() {
    let (_py, addr) = start_pymodbus();
    let wd = Workdir::new("peer-pymodbus");
    wd.write(
        "m.csv",
        format!(
            "\
asset,tag,kind,host,unit_id,table,address,bit,type,order,scale
D,f_abcd,,{addr},1,holding,0,,f32,ABCD,
D,f_cdab,,{addr},1,holding,2,,f32,CDAB,
D,i_badc,,{addr},1,holding,4,,i32,BADC,
D,u16,,{addr},1,holding,6,,u16,ABCD,
D,i16,,{addr},1,holding,7,,i16,ABCD,
D,f64_dcba,,{addr},1,holding,8,,f64,DCBA,
D,name,,{addr},1,holding,12,,str4,ABCD,
D,bit3,,{addr},1,holding,16,3,bool,,
D,bit2,,{addr},1,holding,16,2,bool,,
D,u64,,{addr},1,holding,17,,u64,ABCD,
D,u32_cdab,,{addr},1,input,0,,u32,CDAB,
D,scaled,,{addr},1,input,2,,u16,ABCD,0.1
D,c0,bool,{addr},1,coil,0,,,,
D,c1,bool,{addr},1,coil,1,,,,
D,c2,bool,{addr},1,coil,2,,,,
D,d1,bool,{addr},1,discrete,1,,,,
"
        ),
    );
    let mut cmd = wd.cmd("poll");
    // pymodbus takes one request at a time: it drops a second one that
    // arrives before the first is answered.
    cmd.args([
        "--model",
        "m.csv",
        "--count",
        "1",
        "--timeout",
        "5s",
        "--max-inflight",
        "1",
    ]);
    let out = wd.run(&mut cmd);
    let recs = parse_ndjson(&ok(&cmd, &out));
    let get = |tag: &str| {
        recs.iter()
            .find(|r| text(r, "tag") == tag)
            .unwrap_or_else(|| panic!("no reading for {tag}: {recs:?}"))
    };
    let want = [
        ("f_abcd", 1234.5),
        ("f_cdab", -7.25),
        ("i_badc", -123456.0),
        ("u16", 65535.0),
        ("i16", -2.0),
        ("f64_dcba", std::f64::consts::PI),
        ("bit3", 1.0),
        ("bit2", 0.0),
        ("u64", 9007199254740993.0),
        ("u32_cdab", 4000000000.0),
        ("scaled", 123.4),
        ("c0", 1.0),
        ("c1", 0.0),
        ("c2", 1.0),
        ("d1", 1.0),
    ];
    for (tag, v) in want {
        assert_eq!(num(get(tag), "value"), v, "{tag}");
    }
    assert_eq!(text(get("name"), "text"), "HELLO");
    assert_eq!(recs.len(), 16);
}
