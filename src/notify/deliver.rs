//! Sending a notification through its channel: a webhook (ureq, rustls on
//! ring), an email (lettre over SMTP) or a command, each attempt judged as
//! delivered, worth retrying (timeouts, refused connections, 5xx, 429 with
//! its Retry-After) or failed for good (any other 4xx, a refused mail), and
//! retried with capped exponential backoff and jitter.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::Notification;
use super::config::{BodyFormat, Channel, ChannelKind, Config, SmtpTls};
use super::template::{Escape, render};

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub max_attempts: u32,
    pub backoff: Duration,
    pub backoff_max: Duration,
    pub timeout: Duration,
}

/// One attempt's outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    Delivered {
        detail: String,
    },
    /// Worth another try, after at least `after` when the server said so.
    Retry {
        why: String,
        after: Option<Duration>,
    },
    /// Not worth another.
    Fail {
        why: String,
    },
}

/// An attempt's outcome with its place in the series of tries.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub attempt: u32,
    pub result: Attempt,
    /// The wait before the next attempt, when there is one.
    pub retry_in: Option<Duration>,
}

/// What a channel's notification looks like on the wire, for --dry-run.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub to: String,
    pub subject: Option<String>,
    pub body: String,
    pub content_type: &'static str,
}

pub struct Deliverer<'c> {
    cfg: &'c Config,
    agent: ureq::Agent,
    /// The channels' secrets, read once at the start (never written).
    secrets: Vec<Option<String>>,
    ca: Option<Vec<u8>>,
    mailers: Vec<Option<lettre::SmtpTransport>>,
    policy: Policy,
    rng: Xoshiro256PlusPlus,
}

impl<'c> Deliverer<'c> {
    /// Reads the channels' secrets and the CA file; `dry` reads no secret.
    pub fn new(cfg: &'c Config, ca: Option<&Path>, policy: Policy, dry: bool) -> Result<Self> {
        let ca = match ca {
            Some(p) => {
                Some(std::fs::read(p).with_context(|| format!("reading --ca {}", p.display()))?)
            }
            None => None,
        };
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(pem) = &ca {
            let mut certs = Vec::new();
            for item in ureq::tls::parse_pem(pem) {
                if let ureq::tls::PemItem::Certificate(c) = item.context("reading --ca")? {
                    certs.push(c);
                }
            }
            anyhow::ensure!(!certs.is_empty(), "--ca holds no certificate");
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(policy.timeout))
            .tls_config(tls.build())
            .user_agent(concat!("iiot/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let mut secrets = Vec::new();
        for ch in &cfg.channels {
            let s = match &ch.kind {
                ChannelKind::Webhook { token: Some(s), .. }
                | ChannelKind::Email {
                    password: Some(s), ..
                } if !dry => Some(s.read().with_context(|| format!("channel {}", ch.name))?),
                _ => None,
            };
            secrets.push(s);
        }
        let seed = crate::time::now_ms() as u64 ^ u64::from(std::process::id());
        Ok(Deliverer {
            cfg,
            agent,
            secrets,
            ca,
            mailers: vec![None; cfg.channels.len()],
            policy,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
        })
    }

    pub fn channel(&self, name: &str) -> Option<(usize, &'c Channel)> {
        self.cfg
            .channels
            .iter()
            .enumerate()
            .find(|(_, c)| c.name == name)
    }

    /// The notification as its channel would send it.
    pub fn render(&self, ch: &Channel, n: &Notification) -> Rendered {
        match &ch.kind {
            ChannelKind::Webhook {
                url,
                format,
                template,
                ..
            } => {
                let (body, content_type) = match (format, template) {
                    (BodyFormat::Json, None) => (
                        serde_json::to_string(n).unwrap_or_default(),
                        "application/json",
                    ),
                    (BodyFormat::Json, Some(t)) => (render(t, n, Escape::Json), "application/json"),
                    (BodyFormat::Form, t) => (
                        render(
                            t.as_deref().unwrap_or("status={status}&text={summary}"),
                            n,
                            Escape::Form,
                        ),
                        "application/x-www-form-urlencoded",
                    ),
                };
                Rendered {
                    to: url.clone(),
                    subject: None,
                    body,
                    content_type,
                }
            }
            ChannelKind::Email {
                to, subject, body, ..
            } => Rendered {
                to: to.join(","),
                subject: Some(render(subject, n, Escape::Text)),
                body: render(body, n, Escape::Text),
                content_type: "text/plain",
            },
            ChannelKind::Exec { command } => Rendered {
                to: command.join(" "),
                subject: None,
                body: serde_json::to_string(n).unwrap_or_default(),
                content_type: "application/json",
            },
        }
    }

    /// Tries until delivered, failed for good or out of attempts; tells
    /// `each` every outcome. True when delivered.
    pub fn deliver(&mut self, n: &Notification, mut each: impl FnMut(&Outcome)) -> bool {
        let Some((ci, ch)) = self.channel(&n.channel) else {
            each(&Outcome {
                attempt: 1,
                result: Attempt::Fail {
                    why: format!("no channel named {:?} in this configuration", n.channel),
                },
                retry_in: None,
            });
            return false;
        };
        let mut delay = self.policy.backoff;
        for attempt in 1..=self.policy.max_attempts.max(1) {
            let result = self.attempt(ci, ch, n);
            let retry_in = match &result {
                Attempt::Retry { after, .. } if attempt < self.policy.max_attempts => {
                    // Full jitter in [delay/2, delay], never below what the
                    // server asked for.
                    let d = delay.min(self.policy.backoff_max);
                    let half = d.as_millis() as u64 / 2;
                    let j = Duration::from_millis(half + self.rng.next_u64() % (half + 1));
                    delay = delay.saturating_mul(2);
                    Some(after.map_or(j, |a| a.max(j)).min(Duration::from_secs(3600)))
                }
                _ => None,
            };
            let done = !matches!(result, Attempt::Retry { .. });
            let delivered = matches!(result, Attempt::Delivered { .. });
            let o = Outcome {
                attempt,
                result,
                retry_in,
            };
            each(&o);
            if done {
                return delivered;
            }
            match o.retry_in {
                Some(d) => std::thread::sleep(d),
                None => return false,
            }
        }
        false
    }

    fn attempt(&mut self, ci: usize, ch: &Channel, n: &Notification) -> Attempt {
        let r = self.render(ch, n);
        match &ch.kind {
            ChannelKind::Webhook { url, headers, .. } => {
                let mut req = self.agent.post(url).header("Content-Type", r.content_type);
                for (k, v) in headers {
                    req = req.header(k, v);
                }
                if let Some(tok) = &self.secrets[ci] {
                    req = req.header("Authorization", format!("Bearer {tok}"));
                }
                match req.send(r.body.as_bytes()) {
                    Ok(resp) => {
                        let code = resp.status().as_u16();
                        let after = resp
                            .headers()
                            .get("retry-after")
                            .and_then(|v| v.to_str().ok())
                            .and_then(retry_after);
                        judge_http(code, after)
                    }
                    Err(e) => match e {
                        ureq::Error::Timeout(_)
                        | ureq::Error::Io(_)
                        | ureq::Error::ConnectionFailed
                        | ureq::Error::HostNotFound
                        | ureq::Error::Protocol(_)
                        | ureq::Error::BodyStalled => Attempt::Retry {
                            why: e.to_string(),
                            after: None,
                        },
                        e => Attempt::Fail { why: e.to_string() },
                    },
                }
            }
            ChannelKind::Email { .. } => self.mail(ci, ch, &r),
            ChannelKind::Exec { command } => self.exec(command, &r.body),
        }
    }

    fn mail(&mut self, ci: usize, ch: &Channel, r: &Rendered) -> Attempt {
        use lettre::Transport;
        use lettre::message::header::ContentType;
        let ChannelKind::Email {
            server,
            port,
            tls,
            user,
            from,
            to,
            ..
        } = &ch.kind
        else {
            return Attempt::Fail {
                why: "not an email channel".into(),
            };
        };
        let fail = |why: String| Attempt::Fail { why };
        let mut msg = lettre::Message::builder();
        match from.parse() {
            Ok(m) => msg = msg.from(m),
            Err(e) => return fail(format!("from {from:?}: {e}")),
        }
        for t in to {
            match t.parse() {
                Ok(m) => msg = msg.to(m),
                Err(e) => return fail(format!("to {t:?}: {e}")),
            }
        }
        let msg = match msg
            .subject(r.subject.clone().unwrap_or_default())
            .header(ContentType::TEXT_PLAIN)
            .body(r.body.clone())
        {
            Ok(m) => m,
            Err(e) => return fail(format!("building the message: {e}")),
        };
        if self.mailers[ci].is_none() {
            let params = || -> Result<lettre::transport::smtp::client::TlsParameters> {
                let mut b = lettre::transport::smtp::client::TlsParameters::builder(server.clone());
                if let Some(pem) = &self.ca {
                    b = b.add_root_certificate(
                        lettre::transport::smtp::client::Certificate::from_pem(pem)?,
                    );
                }
                Ok(b.build_rustls()?)
            };
            use lettre::transport::smtp::client::Tls;
            let t = match tls {
                SmtpTls::None => Tls::None,
                SmtpTls::StartTls => match params() {
                    Ok(p) => Tls::Required(p),
                    Err(e) => return fail(format!("TLS: {e:#}")),
                },
                SmtpTls::Tls => match params() {
                    Ok(p) => Tls::Wrapper(p),
                    Err(e) => return fail(format!("TLS: {e:#}")),
                },
            };
            let mut b = lettre::SmtpTransport::builder_dangerous(server.clone())
                .port(*port)
                .tls(t)
                .timeout(Some(self.policy.timeout));
            if let Some(u) = user {
                let pw = self.secrets[ci].clone().unwrap_or_default();
                b = b.credentials(lettre::transport::smtp::authentication::Credentials::new(
                    u.clone(),
                    pw,
                ));
            }
            self.mailers[ci] = Some(b.build());
        }
        let Some(mailer) = &self.mailers[ci] else {
            return fail("no mailer".into());
        };
        match mailer.send(&msg) {
            Ok(resp) => Attempt::Delivered {
                detail: format!("smtp {}", resp.code()),
            },
            Err(e) if e.is_permanent() => fail(format!("smtp: {e}")),
            Err(e) => Attempt::Retry {
                why: format!("smtp: {e}"),
                after: None,
            },
        }
    }

    fn exec(&self, command: &[String], body: &str) -> Attempt {
        let mut child = match Command::new(&command[0])
            .args(&command[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                return Attempt::Fail {
                    why: format!("running {}: {e}", command[0]),
                };
            }
        };
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(body.as_bytes());
            let _ = stdin.write_all(b"\n");
        }
        let start = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(st)) if st.success() => {
                    return Attempt::Delivered {
                        detail: "exit 0".into(),
                    };
                }
                Ok(Some(st)) => {
                    return Attempt::Retry {
                        why: format!("{} ended with {st}", command[0]),
                        after: None,
                    };
                }
                Ok(None) if start.elapsed() > self.policy.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Attempt::Retry {
                        why: format!("{} timed out", command[0]),
                        after: None,
                    };
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(e) => {
                    return Attempt::Fail {
                        why: format!("waiting for {}: {e}", command[0]),
                    };
                }
            }
        }
    }
}

/// An HTTP status judged: 2xx delivered; 408, 429 and 5xx worth a retry;
/// the rest failed for good.
pub fn judge_http(code: u16, after: Option<Duration>) -> Attempt {
    match code {
        200..=299 => Attempt::Delivered {
            detail: format!("HTTP {code}"),
        },
        408 | 429 | 500..=599 => Attempt::Retry {
            why: format!("HTTP {code}"),
            after,
        },
        _ => Attempt::Fail {
            why: format!("HTTP {code}"),
        },
    }
}

/// A Retry-After value: seconds, or an HTTP date.
pub fn retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(s) = v.parse::<u64>() {
        return Some(Duration::from_secs(s));
    }
    let t = jiff::fmt::rfc2822::parse(v).ok()?;
    let ms = t.timestamp().as_millisecond() - crate::time::now_ms();
    Some(Duration::from_millis(ms.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_retry_after_are_judged() {
        assert!(matches!(judge_http(204, None), Attempt::Delivered { .. }));
        assert!(matches!(judge_http(503, None), Attempt::Retry { .. }));
        assert!(matches!(judge_http(429, None), Attempt::Retry { .. }));
        assert!(matches!(judge_http(400, None), Attempt::Fail { .. }));
        assert!(matches!(judge_http(404, None), Attempt::Fail { .. }));
        assert_eq!(retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon"), None);
    }
}
