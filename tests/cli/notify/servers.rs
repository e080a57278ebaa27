//! Real servers on 127.0.0.1 for the notify tests, started in the test's
//! folder and stopped by PID when dropped (also when the test fails): an
//! HTTP server that records every request (optionally TLS with a
//! certificate trustme makes), and an SMTP server (aiosmtpd) that stores
//! every message.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{Workdir, parse_ndjson};

const HTTP: &str = r#"
import http.server, json, os, ssl, sys, threading, time
log, portfile, codes = sys.argv[1], sys.argv[2], sys.argv[3].split(',')
cert = sys.argv[4] if len(sys.argv) > 4 else ''
delay = float(os.environ.get('DELAY', '0'))
lock = threading.Lock()
count = [0]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n).decode('utf-8', 'replace')
        with lock:
            k = min(count[0], len(codes) - 1)
            count[0] += 1
            code, _, ra = codes[k].partition(':')
            with open(log, 'a') as f:
                f.write(json.dumps({'path': self.path, 'headers': {k.lower(): v for k, v in self.headers.items()},
                                    'body': body, 'code': int(code), 't': time.time()}) + '\n')
        if delay:
            time.sleep(delay)
        self.send_response(int(code))
        if ra:
            self.send_header('Retry-After', ra)
        self.send_header('Content-Length', '0')
        self.end_headers()
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
if cert:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(portfile + '.tmp', 'w') as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + '.tmp', portfile)
srv.serve_forever()
"#;

const SMTP: &str = r#"
import json, os, socket, ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
log, portfile, cert = sys.argv[1], sys.argv[2], sys.argv[3]
class H:
    async def handle_DATA(self, server, session, envelope):
        login = session.login_data
        with open(log, 'a') as f:
            f.write(json.dumps({'from': envelope.mail_from, 'to': envelope.rcpt_tos,
                                'data': envelope.content.decode('utf-8', 'replace'),
                                'tls': session.ssl is not None,
                                'login': login.decode() if isinstance(login, bytes) else str(login)}) + '\n')
        return '250 OK'
def auth(server, session, envelope, mechanism, data):
    return AuthResult(success=(data.login == b'plant' and data.password == os.environ['SMTP_PW'].encode()))
s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert)
c = Controller(H(), hostname='127.0.0.1', port=port, authenticator=auth, tls_context=ctx,
               require_starttls=True, auth_require_tls=True)
c.start()
with open(portfile + '.tmp', 'w') as f:
    f.write(str(port))
os.rename(portfile + '.tmp', portfile)
while True:
    time.sleep(3600)
"#;

const CERT: &str = r#"
import sys, trustme
ca = trustme.CA()
ca.cert_pem.write_to_path(sys.argv[1])
ca.issue_cert('127.0.0.1', 'localhost').private_key_and_cert_chain_pem.write_to_path(sys.argv[2])
"#;

/// A server process, killed by PID when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn need(module: &str, package: &str) {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "python3 with {module} is needed: `python3 -m pip install {package}` (scripts/test installs it)"
    );
}

fn start(wd: &Workdir, name: &str, script: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
    let py = wd.write(&format!("{name}_server.py"), script);
    let log = wd.path(&format!("{name}.ndjson"));
    let portfile = wd.path(&format!("{name}.port"));
    let mut cmd = Command::new("python3");
    cmd.arg(&py)
        .arg(&log)
        .arg(&portfile)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let child = cmd.spawn().expect("starting python3");
    let mut server = Server {
        child,
        port: 0,
        log,
    };
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(20) {
        if let Ok(p) = std::fs::read_to_string(&portfile) {
            server.port = p.trim().parse().expect("a port");
            return server;
        }
        if let Ok(Some(st)) = server.child.try_wait() {
            panic!("the {name} server ended at start: {st}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the {name} server did not start in 20 s");
}

/// An HTTP server answering with `codes` in turn (the last repeats);
/// `429:2` adds `Retry-After: 2`. `tls`: the server certificate PEM.
pub fn http(wd: &Workdir, codes: &str, tls: Option<&Path>, delay: f64) -> Server {
    let d = delay.to_string();
    let mut args = vec![codes];
    let cert;
    if let Some(p) = tls {
        cert = p.display().to_string();
        args.push(&cert);
    }
    start(wd, "http", HTTP, &args, &[("DELAY", &d)])
}

/// A CA and a server certificate for 127.0.0.1 made by trustme:
/// (ca.pem, server.pem with key and chain).
pub fn certs(wd: &Workdir) -> (PathBuf, PathBuf) {
    need("trustme", "trustme");
    let py = wd.write("certs.py", CERT);
    let (ca, server) = (wd.path("ca.pem"), wd.path("server.pem"));
    let st = Command::new("python3")
        .arg(&py)
        .arg(&ca)
        .arg(&server)
        .status()
        .expect("python3");
    assert!(st.success(), "trustme failed");
    (ca, server)
}

/// An SMTP server with STARTTLS required and AUTH (user `plant`,
/// password `pw`), storing what it receives.
pub fn smtp(wd: &Workdir, cert: &Path, pw: &str) -> Server {
    need("aiosmtpd", "aiosmtpd");
    let c = cert.display().to_string();
    start(wd, "smtp", SMTP, &[&c], &[("SMTP_PW", pw)])
}

impl Server {
    /// What the server recorded so far.
    pub fn received(&self) -> Vec<Value> {
        match std::fs::read_to_string(&self.log) {
            Ok(t) => parse_ndjson(&t),
            Err(_) => Vec::new(),
        }
    }

    /// Waits until at least `n` requests came (20 s at most).
    pub fn wait_for(&self, n: usize) -> Vec<Value> {
        let t0 = Instant::now();
        loop {
            let r = self.received();
            if r.len() >= n || t0.elapsed() > Duration::from_secs(20) {
                return r;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
