//! modbus-serve and poll over real Modbus TCP on 127.0.0.1: every server a
//! test starts is a [`Server`] guard that kills it by PID when dropped,
//! every socket read has a timeout, every port is chosen by the OS.

mod codec;
mod model;
mod peers;
mod poll;
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
}

impl Server {
    /// Starts modbus-serve on a free loopback port with `input` on its
    /// stdin, and waits until it has read all of it.
    pub fn start(wd: &Workdir, args: &[&str], input: &[u8]) -> Server {
        Server::start_on(wd, args, input, "127.0.0.1:0")
    }

    /// Starts modbus-serve listening on `listen`.
    pub fn start_on(wd: &Workdir, args: &[&str], input: &[u8], listen: &str) -> Server {
        let addr_file = wd.path(&format!("addr-{}", rand_suffix()));
        let mut cmd = wd.cmd("modbus-serve");
        cmd.args(args)
            .args(["--listen", listen, "--addr-file"])
            .arg(&addr_file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("starting iiot modbus-serve");
        let mut guard = Server {
            addr: String::new(),
            stderr: mpsc::channel().1,
            stdout: child.stdout.take(),
            log: Vec::new(),
            child,
        };
        let (tx, rx) = mpsc::channel();
        let err = guard.child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stdin = guard.child.stdin.take().expect("stdin");
        stdin.write_all(input).expect("feeding modbus-serve");
        drop(stdin);
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    let done = line.contains(": read ");
                    seen.push(line);
                    if done {
                        break;
                    }
                }
                Err(_) => panic!("modbus-serve did not come up: {seen:?}"),
            }
        }
        guard.addr = std::fs::read_to_string(&addr_file)
            .expect("the address file")
            .trim()
            .to_string();
        guard.stderr = rx;
        guard.log = seen;
        guard
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
