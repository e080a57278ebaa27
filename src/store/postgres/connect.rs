//! From a URL and the `PG*` environment variables to a connection, and the
//! name a message gives the database (never with a password).

use std::time::Duration;

use anyhow::{Context, Result, bail};
use postgres::config::Host;
use postgres::{Client, Config, NoTls};

/// Whether a store argument names a PostgreSQL database.
pub fn is_url(s: &str) -> bool {
    s.starts_with("postgresql://") || s.starts_with("postgres://")
}

/// A database to connect to.
#[derive(Clone)]
pub struct Target {
    config: Config,
    /// `postgresql://user@host:port/dbname`, for messages.
    pub name: String,
}

impl Target {
    /// Reads a `postgresql://` URL; what it leaves out comes from `PGHOST`,
    /// `PGPORT`, `PGUSER`, `PGDATABASE`, and the password from
    /// `PGPASSWORD`. A URL holding a password is refused: it would be on
    /// the command line, in `ps` and the shell's history.
    pub fn parse(url: &str) -> Result<Target> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Target::parse_with(url, &env)
    }

    fn parse_with(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Target> {
        if !is_url(url) {
            bail!("not a PostgreSQL URL (postgresql://…)");
        }
        // The parser's message never repeats the URL.
        let mut config: Config = url
            .parse()
            .map_err(|e| anyhow::anyhow!("a PostgreSQL URL that cannot be read: {e}"))?;
        if config.get_password().is_some() {
            bail!(
                "the PostgreSQL URL holds a password: it would be on the command line (ps, shell history); \
                 give it in PGPASSWORD instead"
            );
        }
        if config.get_hosts().is_empty() {
            match env("PGHOST") {
                Some(h) => {
                    for h in h.split(',') {
                        config.host(h);
                    }
                }
                // libpq's default on Debian: the local socket.
                None if std::path::Path::new("/var/run/postgresql").is_dir() => {
                    config.host_path("/var/run/postgresql");
                }
                None => {
                    config.host("localhost");
                }
            }
        }
        if config.get_ports().is_empty()
            && let Some(p) = env("PGPORT")
        {
            let port: u16 = p
                .parse()
                .map_err(|_| anyhow::anyhow!("PGPORT={p} is not a port number"))?;
            config.port(port);
        }
        if config.get_user().is_none() {
            let user = env("PGUSER")
                .or_else(|| env("USER"))
                .unwrap_or_else(|| "postgres".into());
            config.user(&user);
        }
        if config.get_dbname().is_none()
            && let Some(db) = env("PGDATABASE")
        {
            config.dbname(&db);
        }
        if let Some(pw) = env("PGPASSWORD") {
            config.password(&pw);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("iiot");
        }
        let name = display_name(&config);
        Ok(Target { config, name })
    }

    /// Connects (no TLS).
    pub fn connect(&self) -> Result<Client> {
        self.try_connect()
            .with_context(|| format!("connecting to {}", self.name))
    }

    /// Connects, keeping the driver's error so a caller can tell an
    /// outage from a refusal.
    pub fn try_connect(&self) -> Result<Client, postgres::Error> {
        self.config.connect(NoTls)
    }
}

/// `postgresql://user@host:port/dbname`: everything but the password.
fn display_name(c: &Config) -> String {
    let user = c.get_user().unwrap_or("");
    let hosts: Vec<String> = c
        .get_hosts()
        .iter()
        .map(|h| match h {
            Host::Tcp(h) => h.clone(),
            #[cfg(unix)]
            Host::Unix(p) => p.display().to_string(),
        })
        .collect();
    let port = c
        .get_ports()
        .first()
        .map_or(String::new(), |p| format!(":{p}"));
    let db = c.get_dbname().unwrap_or(user);
    format!("postgresql://{user}@{}{port}/{db}", hosts.join(","))
}

/// Whether an error means the connection or the server went away (worth
/// reconnecting), rather than a refusal worth stopping for.
pub(crate) fn is_outage(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    if let Some(code) = e.code() {
        let c = code.code();
        // 08: connection exception; 57P01-57P03: shutdown, crash, starting up.
        return c.starts_with("08") || matches!(c, "57P01" | "57P02" | "57P03");
    }
    // A socket error (refused, reset) while connecting or talking.
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.downcast_ref::<std::io::Error>().is_some() {
            return true;
        }
        source = s.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn a_password_in_the_url_is_refused_and_never_repeated() {
        let err = Target::parse_with("postgresql://u:s3cret@127.0.0.1:5/db", &none)
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(err.contains("PGPASSWORD"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn the_name_leaves_the_password_out() {
        let env = |k: &str| (k == "PGPASSWORD").then(|| "s3cret".to_string());
        let t = Target::parse_with("postgresql://u@127.0.0.1:5433/plant", &env).unwrap();
        assert_eq!(t.name, "postgresql://u@127.0.0.1:5433/plant");
        assert_eq!(t.config.get_password(), Some(&b"s3cret"[..]));
    }

    #[test]
    fn the_environment_fills_what_the_url_leaves_out() {
        let env = |k: &str| match k {
            "PGHOST" => Some("127.0.0.1".to_string()),
            "PGPORT" => Some("6000".to_string()),
            "PGUSER" => Some("ops".to_string()),
            "PGDATABASE" => Some("hist".to_string()),
            _ => None,
        };
        let t = Target::parse_with("postgres://", &env).unwrap();
        assert_eq!(t.name, "postgresql://ops@127.0.0.1:6000/hist");
    }
}
