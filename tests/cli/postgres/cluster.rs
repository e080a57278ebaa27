//! A throwaway PostgreSQL cluster: `initdb` and `pg_ctl` from Debian's
//! postgresql 15 run as the `postgres` user (initdb refuses root) in a
//! temporary folder, listening on 127.0.0.1 on a free port with its Unix
//! socket in that folder. One cluster is shared by the tests of a run
//! (each gets its own database); a watcher process stops it by its PID
//! when the test binary exits. A test that stops the server makes its
//! own, stopped by PID when dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const BIN: &str = "/usr/lib/postgresql/15/bin";

static SHARED: OnceLock<Cluster> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);
static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

pub struct Cluster {
    pub dir: PathBuf,
    pub port: u16,
    /// Whether dropping it stops it (the shared one is stopped by its watcher).
    owned: bool,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn need(path: &str) {
    assert!(
        Path::new(path).exists(),
        "{path} is missing: install the Debian package `postgresql` (15) to run the PostgreSQL tests"
    );
}

fn as_postgres(args: &[&str]) -> std::process::Output {
    Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running runuser (util-linux)")
}

impl Cluster {
    /// The cluster the tests share.
    pub fn shared() -> &'static Cluster {
        SHARED.get_or_init(|| {
            let c = Cluster::start_new(false);
            c.watch();
            c
        })
    }

    /// A cluster of the caller's own, stopped when dropped.
    pub fn own() -> Cluster {
        Cluster::start_new(true)
    }

    fn start_new(owned: bool) -> Cluster {
        need(&format!("{BIN}/initdb"));
        let n = NEXT_DIR.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("iiot-pg-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("making the cluster folder");
        let st = Command::new("chown")
            .args(["postgres:postgres", dir.to_str().unwrap()])
            .status()
            .expect("chown");
        assert!(st.success(), "chown postgres {}", dir.display());
        let data = dir.join("data");
        let out = as_postgres(&[
            &format!("{BIN}/initdb"),
            "-D",
            data.to_str().unwrap(),
            "--auth=trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]);
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let c = Cluster {
            dir,
            port: free_port(),
            owned,
        };
        c.start();
        c
    }

    /// Starts the server (again) on the same port and waits for it.
    /// `fsync=off` spares the disk; a commit still reaches the kernel, so
    /// it survives the server's crash (not the machine's), which is what
    /// the tests do to it.
    pub fn start(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        let out = as_postgres(&[
            &format!("{BIN}/pg_ctl"),
            "-D",
            self.data().to_str().unwrap(),
            "-o",
            &opts,
            "-l",
            self.dir.join("log").to_str().unwrap(),
            "-w",
            "-t",
            "60",
            "start",
        ]);
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
        );
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The postmaster's PID, while it runs.
    pub fn pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.data().join("postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    /// Stops the server by its PID with `signal` (INT: fast shutdown,
    /// QUIT: immediate, KILL) and waits until it is gone.
    pub fn stop_with(&self, signal: &str) {
        let Some(pid) = self.pid() else { return };
        let _ = Command::new("kill")
            .args([&format!("-{signal}"), &pid.to_string()])
            .status();
        let t = Instant::now();
        while Path::new(&format!("/proc/{pid}")).exists() && t.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(20));
        }
        if signal == "KILL" {
            // The children go once the postmaster is gone; the next start
            // removes the stale pid file.
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// A watcher that stops the shared server by PID and removes its
    /// folder once this test binary has exited.
    // It outlives this process by design, so it is never waited for.
    #[allow(clippy::zombie_processes)]
    fn watch(&self) {
        let pid = self.pid().expect("the server's pid");
        let script = format!(
            "while kill -0 {me} 2>/dev/null; do sleep 0.5; done; kill -INT {pid}; \
             for i in $(seq 100); do kill -0 {pid} 2>/dev/null || break; sleep 0.1; done; rm -rf '{dir}'",
            me = std::process::id(),
            dir = self.dir.display()
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting the cluster's watcher");
    }

    /// A new empty database; its URL.
    pub fn database(&self, name: &str) -> String {
        let n = NEXT_DB.fetch_add(1, Ordering::SeqCst);
        let db = format!("{name}_{n}");
        self.psql("postgres", &format!("CREATE DATABASE {db}"));
        self.url(&db)
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Runs SQL with psql on a database; returns its unaligned output.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new(format!("{BIN}/psql"))
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                db,
                "-c",
                sql,
            ])
            .stdin(Stdio::null())
            .output()
            .expect("running psql");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.owned {
            self.stop_with("INT");
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The database name of a URL made by [`Cluster::database`].
pub fn db_of(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or("")
}
