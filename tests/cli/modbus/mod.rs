//! modbus-serve and poll over real Modbus TCP on 127.0.0.1: every server a
//! test starts is a [`Server`] guard that kills it by PID when dropped,
//! every socket read has a timeout, every port is chosen by the OS.

mod codec;
mod conformance;
mod model;
mod peers;
mod poll;
mod reload;
mod robust;
mod serve;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::util::Workdir;

/// The longest any test waits for a server to come up or a reply to come.
pub const WAIT: Duration = Duration::from_secs(20);

/// A running `iiot modbus-serve`, killed by PID on drop.
pub struct Server {
    pub child: Child,
    pub addr: String,
    /// Lines the server wrote on stderr after it came up.
    pub stderr: mpsc::Receiver<String>,
    pub stdout: Option<std::process::ChildStdout>,
    /// Its stderr up to the end of its input.
    pub log: Vec<String>,
    addr_file: Option<std::path::PathBuf>,
}

impl Server {
    /// Starts modbus-serve on a free loopback port with `input` on its
    /// stdin, and waits until it has read all of it.
    pub fn start(wd: &Workdir, args: &[&str], input: &[u8]) -> Server {
        Server::start_on(wd, args, input, "127.0.0.1:0")
    }

    /// Starts modbus-serve listening on `listen`.
    pub fn start_on(wd: &Workdir, args: &[&str], input: &[u8], listen: &str) -> Server {
        let (mut guard, mut stdin) = Server::spawn(wd, args, listen);
        stdin.write_all(input).expect("feeding modbus-serve");
        drop(stdin);
        guard.log = guard.wait_for(": read ");
        guard
    }

    /// Starts modbus-serve on a free loopback port and returns its stdin,
    /// still open, once it listens.
    pub fn start_open(wd: &Workdir, args: &[&str]) -> (Server, std::process::ChildStdin) {
        let (mut guard, stdin) = Server::spawn(wd, args, "127.0.0.1:0");
        guard.log = guard.wait_for("listening on");
        (guard, stdin)
    }

    fn spawn(wd: &Workdir, args: &[&str], listen: &str) -> (Server, std::process::ChildStdin) {
        let addr_file = wd.path(&format!("addr-{}", rand_suffix()));
        let mut cmd = wd.cmd("modbus-serve");
        cmd.args(args)
            .args(["--listen", listen, "--addr-file"])
            .arg(&addr_file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("starting iiot modbus-serve");
        let (tx, rx) = mpsc::channel();
        let err = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take().expect("stdin");
        let guard = Server {
            addr: String::new(),
            stderr: rx,
            stdout: child.stdout.take(),
            log: Vec::new(),
            addr_file: Some(addr_file),
            child,
        };
        (guard, stdin)
    }

    /// Its stderr lines up to the first that contains `what` (bounded by
    /// [`WAIT`]); the address, once it listens.
    pub fn wait_for(&mut self, what: &str) -> Vec<String> {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => {
                    let done = line.contains(what);
                    seen.push(line);
                    if done {
                        break;
                    }
                }
                Err(_) => panic!("modbus-serve never said {what:?}: {seen:?}"),
            }
        }
        if self.addr.is_empty()
            && let Some(f) = &self.addr_file
            && let Ok(a) = std::fs::read_to_string(f)
        {
            self.addr = a.trim().to_string();
        }
        seen
    }

    /// Sends SIGHUP (the model is read again).
    pub fn hangup(&self) {
        hangup(self.child.id());
    }

    pub fn port(&self) -> &str {
        self.addr.rsplit(':').next().unwrap_or("")
    }

    pub fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(&self.addr).expect("connecting to modbus-serve");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
        s
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

/// Sends SIGHUP to a process the test started.
pub fn hangup(pid: u32) {
    let ok = Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill -HUP {pid} failed");
}

/// Bytes written as hex pairs, spaces ignored: `"00 01 FF"`.
pub fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(digits.len() % 2 == 0, "odd hex: {s}");
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).expect(s))
        .collect()
}

/// A model whose tables start above 0 and have holes, as a SCADA's map
/// does: unit 1 holding 100 (u16), 101–102 (f32), hole 103–104, 105
/// (u16); input 200–201; coils 300, 301, hole 302, 303; discrete inputs
/// 400–401. Unit 2: holding 10 only (its other tables have nothing).
pub const MAP_MODEL: &str = "\
asset,tag,kind,unit_id,table,address,type
M,h100,,1,holding,100,u16
M,h101,,1,holding,101,f32
M,h105,,1,holding,105,u16
M,i200,,1,input,200,u16
M,i201,,1,input,201,i16
M,c300,bool,1,coil,300,
M,c301,bool,1,coil,301,
M,c303,bool,1,coil,303,
M,d400,bool,1,discrete,400,
M,d401,bool,1,discrete,401,
N,x,,2,holding,10,u16
";

/// Values for [`MAP_MODEL`]: h100 0x1234, h101 1.5 (3FC0 0000), h105 7,
/// i200 0x0201, i201 -2 (FFFE), coils 1 0 _ 1, discrete 0 1, x 9.
pub const MAP_INPUT: &str = concat!(
    r#"{"ts":0,"asset":"M","tag":"h100","value":4660}"#,
    "\n",
    r#"{"ts":0,"asset":"M","tag":"h101","value":1.5}"#,
    "\n",
    r#"{"ts":0,"asset":"M","tag":"h105","value":7}"#,
    "\n",
    r#"{"ts":0,"asset":"M","tag":"i200","value":513}"#,
    "\n",
    r#"{"ts":0,"asset":"M","tag":"i201","value":-2}"#,
    "\n",
    r#"{"ts":0,"asset":"M","tag":"c300","value":1}"#,
    "\n",
    r#"{"ts":0,"asset":"M","tag":"c301","value":0}"#,
    "\n",
    r#"{"ts":0,"asset":"M","tag":"c303","value":1}"#,
    "\n",
    r#"{"ts":0,"asset":"M","tag":"d400","value":0}"#,
    "\n",
    r#"{"ts":0,"asset":"M","tag":"d401","value":1}"#,
    "\n",
    r#"{"ts":0,"asset":"N","tag":"x","value":9}"#,
    "\n",
);

/// Lines a child writes on a pipe, on a channel (so reads can time out).
pub fn lines_of(r: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A read request ADU.
pub fn read_req(tid: u16, unit: u8, fc: u8, addr: u16, count: u16) -> Vec<u8> {
    let mut v = tid.to_be_bytes().to_vec();
    v.extend_from_slice(&[0, 0, 0, 6, unit, fc]);
    v.extend_from_slice(&addr.to_be_bytes());
    v.extend_from_slice(&count.to_be_bytes());
    v
}

/// Reads one response ADU: (unit, function, PDU body after the function).
pub fn read_resp(s: &mut TcpStream) -> std::io::Result<(u16, u8, u8, Vec<u8>)> {
    let mut h = [0u8; 7];
    s.read_exact(&mut h)?;
    let len = usize::from(u16::from_be_bytes([h[4], h[5]]));
    let mut body = vec![0u8; len.saturating_sub(1)];
    s.read_exact(&mut body)?;
    let tid = u16::from_be_bytes([h[0], h[1]]);
    Ok((tid, h[6], body[0], body[1..].to_vec()))
}

/// Sends a request and returns the answer.
pub fn ask(s: &mut TcpStream, req: &[u8]) -> (u16, u8, u8, Vec<u8>) {
    s.write_all(req).expect("sending a request");
    read_resp(s).expect("reading the answer")
}

/// Registers of a read-registers answer body.
pub fn regs(body: &[u8]) -> Vec<u16> {
    body[1..]
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect()
}

/// A command that must be on PATH for a peer test.
pub fn need(tool: &str, install: &str) {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{tool} is missing: install it with `{install}` (or run scripts/test)"
    );
}

/// Simulated wellhead readings, `count` ticks.
pub fn wellhead(wd: &Workdir, count: u32) -> Vec<u8> {
    let out = wd
        .cmd("simulate")
        .args(["--preset", "wellhead", "--count", &count.to_string()])
        .output()
        .expect("running simulate");
    assert!(out.status.success());
    out.stdout
}
