//! Real Modbus tools agree: mbpoll reads what modbus-serve serves, and
//! poll decodes what a pymodbus server serves.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Server, need};
use crate::util::{Workdir, describe, num, ok, parse_ndjson, text};

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

/// pymodbus's client, every call it has for the function codes
/// modbus-serve implements and some it does not; prints what each got
/// back as JSON: the values, `{"exception": code}`, or `{"refused": why}`
/// when the client itself refused to send the request.
const PYMODBUS_CLIENT: &str = r#"
import json, sys
from pymodbus.client import ModbusTcpClient

c = ModbusTcpClient("127.0.0.1", port=int(sys.argv[1]), timeout=5, retries=0)
assert c.connect(), "cannot connect"
out = {}

def call(name, f, values=None):
    try:
        r = f()
    except ValueError as e:
        out[name] = {"refused": str(e)}
        return
    if r.isError():
        out[name] = {"exception": r.exception_code}
    else:
        out[name] = values(r) if values else "ok"

bits = lambda n: (lambda r: [int(b) for b in r.bits[:n]])
words = lambda r: r.registers
u = dict(device_id=1)
call("read_coils", lambda: c.read_coils(300, count=4, **u), bits(4))
call("read_discrete_inputs", lambda: c.read_discrete_inputs(400, count=2, **u), bits(2))
call("read_holding_registers", lambda: c.read_holding_registers(100, count=6, **u), words)
call("read_input_registers", lambda: c.read_input_registers(200, count=2, **u), words)
call("write_coil", lambda: c.write_coil(301, True, **u))
call("write_register", lambda: c.write_register(105, 42, **u))
call("write_coils", lambda: c.write_coils(300, [False, True, True, False], **u))
call("write_registers", lambda: c.write_registers(101, [0x4049, 0x0FDB], **u))
call("mask_write_register", lambda: c.mask_write_register(address=100, and_mask=0x00F2, or_mask=0x0025, **u))
call("readwrite_registers", lambda: c.readwrite_registers(read_address=100, read_count=3, write_address=105, values=[99], **u), words)
call("coils after", lambda: c.read_coils(300, count=4, **u), bits(4))
call("holding after", lambda: c.read_holding_registers(100, count=6, **u), words)
# Exceptions.
call("read_coils past the span", lambda: c.read_coils(301, count=4, **u))
call("read_discrete_inputs below the span", lambda: c.read_discrete_inputs(399, count=1, **u))
call("read_holding_registers past the span", lambda: c.read_holding_registers(106, count=1, **u))
call("read_input_registers past the span", lambda: c.read_input_registers(199, count=2, **u))
call("write_coil past the span", lambda: c.write_coil(304, True, **u))
call("write_register past the span", lambda: c.write_register(99, 1, **u))
call("write_coils past the span", lambda: c.write_coils(302, [True] * 3, **u))
call("write_registers 124", lambda: c.write_registers(100, [0] * 124, **u))
call("write_registers past the span", lambda: c.write_registers(104, [1, 2, 3], **u))
call("mask_write_register past the span", lambda: c.mask_write_register(address=106, and_mask=0, or_mask=1, **u))
call("readwrite_registers write past the span", lambda: c.readwrite_registers(read_address=100, read_count=1, write_address=106, values=[1], **u))
call("a unit id not in the model", lambda: c.read_holding_registers(100, count=1, device_id=9))
call("read_exception_status (07)", lambda: c.read_exception_status(**u))
call("diag_read_bus_message_count (08)", lambda: c.diag_read_bus_message_count(**u))
call("report_device_id (11)", lambda: c.report_device_id(**u))
call("read_fifo_queue (18)", lambda: c.read_fifo_queue(address=100, **u))
call("read_device_information (2B)", lambda: c.read_device_information(**u))
call("holding at the end", lambda: c.read_holding_registers(100, count=6, **u), words)
c.close()
print(json.dumps(out))
"#;

fn need_pymodbus() {
    let ok = Command::new("python3")
        .args(["-c", "import pymodbus"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "pymodbus is missing: install it with `pip install pymodbus` (or run scripts/test)"
    );
}

#[test]
fn peer_pymodbus_client_every_function_code_and_exception() {
    need_pymodbus();
    let wd = Workdir::new("peer-pymodbus-client");
    wd.write("m.csv", super::MAP_MODEL);
    wd.write("client.py", PYMODBUS_CLIENT);
    let mut srv = Server::start(
        &wd,
        &["--model", "m.csv", "--writable"],
        super::MAP_INPUT.as_bytes(),
    );
    let written = super::lines_of(srv.stdout.take().expect("stdout"));
    let mut cmd = Command::new("timeout");
    cmd.args(["20", "python3"])
        .arg(wd.path("client.py"))
        .arg(srv.port());
    let out = wd.run(&mut cmd);
    let got: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", describe(&cmd, &out)));
    let want = serde_json::json!({
        "read_coils": [1, 0, 0, 1],
        "read_discrete_inputs": [0, 1],
        "read_holding_registers": [0x1234, 0x3FC0, 0, 0, 0, 7],
        "read_input_registers": [0x0201, 0xFFFE],
        "write_coil": "ok",
        "write_register": "ok",
        "write_coils": "ok",
        "write_registers": "ok",
        "mask_write_register": "ok",
        // The write (h105 = 99) comes before the read.
        "readwrite_registers": [0x0035, 0x4049, 0x0FDB],
        // The hole at 302 took no write.
        "coils after": [0, 1, 0, 0],
        "holding after": [0x0035, 0x4049, 0x0FDB, 0, 0, 99],
        "read_coils past the span": {"exception": 2},
        "read_discrete_inputs below the span": {"exception": 2},
        "read_holding_registers past the span": {"exception": 2},
        "read_input_registers past the span": {"exception": 2},
        "write_coil past the span": {"exception": 2},
        "write_register past the span": {"exception": 2},
        "write_coils past the span": {"exception": 2},
        "write_registers 124": {"exception": 3},
        "write_registers past the span": {"exception": 2},
        "mask_write_register past the span": {"exception": 2},
        "readwrite_registers write past the span": {"exception": 2},
        "a unit id not in the model": {"exception": 11},
        "read_exception_status (07)": {"exception": 1},
        "diag_read_bus_message_count (08)": {"exception": 1},
        "report_device_id (11)": {"exception": 1},
        "read_fifo_queue (18)": {"exception": 1},
        "read_device_information (2B)": {"exception": 1},
        "holding at the end": [0x0035, 0x4049, 0x0FDB, 0, 0, 99],
    });
    assert_eq!(got, want, "{}", describe(&cmd, &out));
    // Each write came out as readings of the tags it touched, in order.
    let mut tags = Vec::new();
    while let Ok(line) = written.recv_timeout(Duration::from_millis(500)) {
        let r = &parse_ndjson(&line)[0];
        tags.push(format!("{}={}", text(r, "tag"), num(r, "value")));
    }
    assert_eq!(
        tags,
        vec![
            "c301=1",
            "h105=42",
            "c300=0",
            "c301=1",
            "c303=0",
            "h101=3.1415927",
            "h100=53",
            "h105=99",
        ]
    );
}

#[test]
fn peer_mbpoll_writes_registers_and_reads_them_back() {
    need("mbpoll", "apt-get install mbpoll");
    let wd = Workdir::new("peer-mbpoll-write");
    wd.write("m.csv", super::MAP_MODEL);
    let mut srv = Server::start(
        &wd,
        &["--model", "m.csv", "--writable"],
        super::MAP_INPUT.as_bytes(),
    );
    let written = super::lines_of(srv.stdout.take().expect("stdout"));
    let port = srv.port().to_string();
    let mbpoll_write = |args: &[&str]| {
        let mut cmd = Command::new("timeout");
        cmd.args([
            "10", "mbpoll", "-m", "tcp", "-0", "-1", "-a", "1", "-p", &port,
        ])
        .args(args);
        let out = wd.run(&mut cmd);
        assert!(out.status.success(), "{}", describe(&cmd, &out));
    };
    // Three holding registers from 100 (FC 16), then one (FC 6); the
    // float's two registers as mbpoll writes a float (-B: ABCD).
    mbpoll_write(&["-t", "4", "-r", "100", "127.0.0.1", "4660", "16457", "4059"]);
    mbpoll_write(&["-t", "4", "-r", "105", "127.0.0.1", "77"]);
    mbpoll_write(&[
        "-t",
        "4:float",
        "-B",
        "-r",
        "101",
        "127.0.0.1",
        "--",
        "-2.5",
    ]);
    mbpoll_write(&["-t", "0", "-r", "300", "127.0.0.1", "0", "1"]);
    assert_eq!(
        mbpoll(&port, 1, "4", 100, 2, false),
        vec!["4660", "49184 (-16352)"],
        "-2.5f32 is C020 0000"
    );
    assert_eq!(mbpoll(&port, 1, "4", 105, 1, false), vec!["77"]);
    assert_eq!(mbpoll(&port, 1, "4:float", 101, 1, true), vec!["-2.5"]);
    assert_eq!(mbpoll(&port, 1, "0", 300, 2, false), vec!["0", "1"]);
    let mut tags = Vec::new();
    while let Ok(line) = written.recv_timeout(Duration::from_millis(500)) {
        let r = &parse_ndjson(&line)[0];
        tags.push(format!("{}={}", text(r, "tag"), num(r, "value")));
    }
    assert_eq!(
        tags,
        vec![
            "h100=4660",
            "h101=3.1415927",
            "h105=77",
            "h101=-2.5",
            "c300=0",
            "c301=1",
        ]
    );
}

/// A pymodbus server whose holding registers are sparse: 0–2 and 10–11
/// exist, 3–9 do not, so a read across them is exception 2.
const PYMODBUS_SPARSE: &str = r#"
import struct, sys
from pymodbus.datastore import ModbusDeviceContext, ModbusSparseDataBlock, ModbusServerContext
from pymodbus.server import StartTcpServer

f = struct.pack(">f", 2.5)
hr = ModbusSparseDataBlock({0: [int.from_bytes(f[:2], "big"), int.from_bytes(f[2:], "big"), 7], 10: [8, 65535]})
device = ModbusDeviceContext(hr=hr)
StartTcpServer(ModbusServerContext(devices={1: device}, single=False), address=("127.0.0.1", int(sys.argv[1])))
"#;

#[test]
fn peer_poll_splits_a_coalesced_read_a_sparse_pymodbus_server_refuses() {
    need_pymodbus();
    let wd = Workdir::new("peer-pymodbus-sparse");
    wd.write("sparse.py", PYMODBUS_SPARSE);
    let port = free_port();
    let child = Command::new("python3")
        .arg(wd.path("sparse.py"))
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting python3");
    let _py = PyServer(child);
    let addr = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + super::WAIT;
    while TcpStream::connect(&addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "the pymodbus server did not come up"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // With --max-gap 8 the four tags are one read of 0..=11, across the
    // registers the device does not have.
    wd.write(
        "m.csv",
        "asset,tag,unit_id,table,address,type\nS,f,1,holding,0,f32\nS,a,1,holding,2,u16\nS,b,1,holding,10,u16\nS,c,1,holding,11,i16\n",
    );
    let mut cmd = wd.cmd("poll");
    cmd.args(["--model", "m.csv", "--target", &addr])
        .args(["--count", "3", "--interval", "100ms", "--timeout", "5s"])
        .args(["--max-inflight", "1"]);
    let out = wd.run(&mut cmd);
    let recs = parse_ndjson(&ok(&cmd, &out));
    let got: Vec<(String, f64)> = recs
        .iter()
        .map(|r| (text(r, "tag").to_string(), num(r, "value")))
        .collect();
    let mut want = Vec::new();
    for _ in 0..3 {
        want.extend([("f", 2.5), ("a", 7.0), ("b", 8.0), ("c", -1.0)]);
    }
    let want: Vec<(String, f64)> = want.into_iter().map(|(t, v)| (t.to_string(), v)).collect();
    assert_eq!(got, want, "{}", describe(&cmd, &out));
    let err = String::from_utf8_lossy(&out.stderr);
    // One message: the summary aside, nothing else about exceptions.
    assert_eq!(
        err.lines()
            .filter(|l| l.contains("exception") && !l.contains("polls 3"))
            .count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("unit 1 holding 0..11: exception 2 (illegal data address); reading its 4 tags in 2 requests from now on"),
        "{err}"
    );
    assert!(
        err.contains("polls 3, requests 7, answered 6, wrote 12, errors 1"),
        "{err}"
    );
}
