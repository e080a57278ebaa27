//! The notify configuration: channels (webhook, email, exec), routes that
//! send alarms to them, and the grouping times. A TOML file, checked as a
//! model is: every error names its line and column.
//!
//! ```toml
//! [grouping]                     # defaults for every route
//! group_wait = "30s"
//! group_interval = "5m"
//! repeat_interval = "4h"
//!
//! [channels.ops]
//! type = "webhook"
//! url = "https://hooks.example/T0/B0"
//! template = '{"text":"{summary}"}'
//! token_env = "OPS_TOKEN"        # Authorization: Bearer …
//!
//! [[routes]]
//! asset = ["BOIL-*"]
//! severity = ["high", "critical"]
//! channels = ["ops"]
//!
//! [default]                      # what no route matched
//! channels = ["ops"]
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::time::Millis;

/// Grouping times, in milliseconds of event time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    pub group_wait: Millis,
    pub group_interval: Millis,
    pub repeat_interval: Millis,
    pub send_resolved: bool,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            group_wait: 30_000,
            group_interval: 300_000,
            repeat_interval: 4 * 3_600_000,
            send_resolved: true,
        }
    }
}

/// How a webhook body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Json,
    Form,
}

/// TLS towards an SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    None,
    StartTls,
    Tls,
}

/// Where a secret comes from: never the command line or the file itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    Env(String),
    File(PathBuf),
}

impl Secret {
    /// The secret's value (trailing newline of a file dropped).
    pub fn read(&self) -> Result<String> {
        match self {
            Secret::Env(v) => {
                std::env::var(v).with_context(|| format!("the environment variable {v} is not set"))
            }
            Secret::File(p) => std::fs::read_to_string(p)
                .map(|s| s.trim_end_matches(['\n', '\r']).to_string())
                .with_context(|| format!("reading the secret file {}", p.display())),
        }
    }
}

/// What a channel does.
#[derive(Debug, Clone)]
pub enum ChannelKind {
    Webhook {
        url: String,
        format: BodyFormat,
        /// None: the notification's JSON.
        template: Option<String>,
        headers: Vec<(String, String)>,
        token: Option<Secret>,
    },
    Email {
        server: String,
        port: u16,
        tls: SmtpTls,
        user: Option<String>,
        password: Option<Secret>,
        from: String,
        to: Vec<String>,
        subject: String,
        body: String,
    },
    Exec {
        command: Vec<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Channel {
    pub name: String,
    pub kind: ChannelKind,
    /// 0: no limit.
    pub max_per_hour: u64,
    /// Email only: gather the notifications of this long into one message.
    pub digest: Option<Millis>,
}

impl Channel {
    /// Where it sends, for delivery records and --dry-run (never a secret).
    pub fn target(&self) -> String {
        match &self.kind {
            ChannelKind::Webhook { url, .. } => url.clone(),
            ChannelKind::Email { to, .. } => to.join(","),
            ChannelKind::Exec { command } => command.join(" "),
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ChannelKind::Webhook { .. } => "webhook",
            ChannelKind::Email { .. } => "email",
            ChannelKind::Exec { .. } => "exec",
        }
    }
}

/// Which alarms a route takes; an empty list matches all.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    asset: Option<GlobSet>,
    tag: Option<GlobSet>,
    rule: Option<GlobSet>,
    severity: Vec<String>,
}

impl Matcher {
    pub fn matches(&self, asset: &str, tag: &str, rule: &str, severity: Option<&str>) -> bool {
        let m = |s: &Option<GlobSet>, v: &str| s.as_ref().is_none_or(|g| g.is_match(v));
        m(&self.asset, asset)
            && m(&self.tag, tag)
            && m(&self.rule, rule)
            && (self.severity.is_empty()
                || severity.is_some_and(|s| self.severity.iter().any(|x| x == s)))
    }
}

#[derive(Debug, Clone)]
pub struct Route {
    pub name: String,
    pub matcher: Matcher,
    /// Indexes into [`Config::channels`].
    pub channels: Vec<usize>,
    /// Alarm fields whose values split the route into groups: asset, tag,
    /// rule, severity.
    pub group_by: Vec<String>,
    pub timing: Timing,
    /// Go on to the next routes after this one matched.
    pub cont: bool,
}

/// A checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub channels: Vec<Channel>,
    pub routes: Vec<Route>,
    /// The route of alarms no other matched; none: they are counted as
    /// unrouted.
    pub default: Option<Route>,
}

// The file as written.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    grouping: Option<FileTiming>,
    #[serde(default)]
    channels: BTreeMap<String, Spanned<FileChannel>>,
    #[serde(default)]
    routes: Vec<Spanned<FileRoute>>,
    #[serde(default)]
    default: Option<Spanned<FileRoute>>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct FileTiming {
    group_wait: Option<Spanned<String>>,
    group_interval: Option<Spanned<String>>,
    repeat_interval: Option<Spanned<String>>,
    send_resolved: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileChannel {
    #[serde(rename = "type")]
    kind: Spanned<String>,
    max_per_hour: Option<u64>,
    // webhook
    url: Option<Spanned<String>>,
    format: Option<Spanned<String>>,
    template: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    token_env: Option<String>,
    token_file: Option<PathBuf>,
    // email
    smtp: Option<Spanned<String>>,
    tls: Option<Spanned<String>>,
    user: Option<String>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    from: Option<Spanned<String>>,
    to: Option<Spanned<Vec<String>>>,
    subject: Option<String>,
    body: Option<String>,
    digest: Option<Spanned<String>>,
    // exec
    command: Option<Spanned<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRoute {
    name: Option<String>,
    #[serde(default)]
    asset: Vec<Spanned<String>>,
    #[serde(default)]
    tag: Vec<Spanned<String>>,
    #[serde(default)]
    rule: Vec<Spanned<String>>,
    #[serde(default)]
    severity: Vec<Spanned<String>>,
    channels: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    group_by: Vec<Spanned<String>>,
    #[serde(default, rename = "continue")]
    cont: bool,
    group_wait: Option<Spanned<String>>,
    group_interval: Option<Spanned<String>>,
    repeat_interval: Option<Spanned<String>>,
    send_resolved: Option<bool>,
}

/// Line and column (from 1) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

struct Checker<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Checker<'_> {
    fn at(&self, span: std::ops::Range<usize>, msg: impl std::fmt::Display) -> anyhow::Error {
        let (l, c) = line_col(self.text, span.start);
        anyhow::anyhow!("{}:{l}:{c}: {msg}", self.path.display())
    }

    fn duration(&self, d: &Spanned<String>, positive: bool) -> Result<Millis> {
        let r = if positive {
            crate::time::parse_positive_millis(d.get_ref())
        } else {
            crate::time::parse_nonneg_millis(d.get_ref())
        };
        r.map_err(|e| self.at(d.span(), format!("{e:#}")))
    }

    fn timing(&self, base: Timing, t: &FileTiming) -> Result<Timing> {
        let mut out = base;
        if let Some(d) = &t.group_wait {
            out.group_wait = self.duration(d, false)?;
        }
        if let Some(d) = &t.group_interval {
            out.group_interval = self.duration(d, true)?;
        }
        if let Some(d) = &t.repeat_interval {
            out.repeat_interval = self.duration(d, true)?;
        }
        if let Some(b) = t.send_resolved {
            out.send_resolved = b;
        }
        Ok(out)
    }

    fn globs(&self, what: &str, list: &[Spanned<String>]) -> Result<Option<GlobSet>> {
        if list.is_empty() {
            return Ok(None);
        }
        let mut b = GlobSetBuilder::new();
        for g in list {
            let glob = Glob::new(g.get_ref())
                .map_err(|e| self.at(g.span(), format!("{what} {:?}: {e}", g.get_ref())))?;
            b.add(glob);
        }
        b.build()
            .map(Some)
            .map_err(|e| self.at(list[0].span(), format!("{what}: {e}")))
    }

    fn route(
        &self,
        name: String,
        r: &Spanned<FileRoute>,
        channels: &[Channel],
        base: Timing,
    ) -> Result<Route> {
        let f = r.get_ref();
        let mut idx = Vec::new();
        for c in f.channels.get_ref() {
            match channels.iter().position(|ch| ch.name == *c.get_ref()) {
                Some(i) => idx.push(i),
                None => {
                    return Err(self.at(
                        c.span(),
                        format!("no channel named {:?} in [channels]", c.get_ref()),
                    ));
                }
            }
        }
        if idx.is_empty() {
            return Err(self.at(f.channels.span(), "a route needs at least one channel"));
        }
        for g in &f.group_by {
            if !["asset", "tag", "rule", "severity"].contains(&g.get_ref().as_str()) {
                return Err(self.at(
                    g.span(),
                    format!(
                        "group_by {:?}: expected asset, tag, rule or severity",
                        g.get_ref()
                    ),
                ));
            }
        }
        for s in &f.severity {
            if !["low", "medium", "high", "critical"].contains(&s.get_ref().as_str()) {
                return Err(self.at(
                    s.span(),
                    format!(
                        "severity {:?}: expected low, medium, high or critical",
                        s.get_ref()
                    ),
                ));
            }
        }
        Ok(Route {
            name: f.name.clone().unwrap_or(name),
            matcher: Matcher {
                asset: self.globs("asset", &f.asset)?,
                tag: self.globs("tag", &f.tag)?,
                rule: self.globs("rule", &f.rule)?,
                severity: f.severity.iter().map(|s| s.get_ref().clone()).collect(),
            },
            channels: idx,
            group_by: f.group_by.iter().map(|g| g.get_ref().clone()).collect(),
            timing: self.timing(
                base,
                &FileTiming {
                    group_wait: f.group_wait.clone(),
                    group_interval: f.group_interval.clone(),
                    repeat_interval: f.repeat_interval.clone(),
                    send_resolved: f.send_resolved,
                },
            )?,
            cont: f.cont,
        })
    }

    fn channel(&self, name: &str, c: &Spanned<FileChannel>) -> Result<Channel> {
        let f = c.get_ref();
        let need = |v: &Option<Spanned<String>>, what: &str| -> Result<String> {
            v.as_ref().map(|s| s.get_ref().clone()).ok_or_else(|| {
                self.at(
                    c.span(),
                    format!("channel {name:?} ({}) needs {what}", f.kind.get_ref()),
                )
            })
        };
        let secret = |env: &Option<String>, file: &Option<PathBuf>, what: &str| match (env, file) {
            (Some(_), Some(_)) => Err(self.at(
                c.span(),
                format!("channel {name:?}: {what}_env and {what}_file both given; keep one"),
            )),
            (Some(e), None) => Ok(Some(Secret::Env(e.clone()))),
            (None, Some(p)) => Ok(Some(Secret::File(p.clone()))),
            (None, None) => Ok(None),
        };
        let kind = match f.kind.get_ref().as_str() {
            "webhook" => {
                let url = need(&f.url, "url")?;
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    let s = f.url.as_ref().map_or(c.span(), |u| u.span());
                    return Err(self.at(s, format!("url {url:?}: expected http:// or https://")));
                }
                let format = match f.format.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
                    None | Some(("json", _)) => BodyFormat::Json,
                    Some(("form", _)) => BodyFormat::Form,
                    Some((other, span)) => {
                        return Err(
                            self.at(span, format!("format {other:?}: expected json or form"))
                        );
                    }
                };
                ChannelKind::Webhook {
                    url,
                    format,
                    template: f.template.clone(),
                    headers: f.headers.clone().into_iter().collect(),
                    token: secret(&f.token_env, &f.token_file, "token")?,
                }
            }
            "email" => {
                let smtp = need(&f.smtp, "smtp (host:port)")?;
                let span = f.smtp.as_ref().map_or(c.span(), |s| s.span());
                let (server, port) = parse_host_port(&smtp).map_err(|e| self.at(span, e))?;
                let tls = match f.tls.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
                    None | Some(("starttls", _)) => SmtpTls::StartTls,
                    Some(("tls", _)) => SmtpTls::Tls,
                    Some(("none", _)) => SmtpTls::None,
                    Some((other, span)) => {
                        return Err(self.at(
                            span,
                            format!("tls {other:?}: expected starttls, tls or none"),
                        ));
                    }
                };
                let to =
                    f.to.as_ref()
                        .map(|t| t.get_ref().clone())
                        .unwrap_or_default();
                if to.is_empty() {
                    return Err(self.at(
                        f.to.as_ref().map_or(c.span(), |t| t.span()),
                        format!("channel {name:?} (email) needs to = [\"someone@example.org\"]"),
                    ));
                }
                ChannelKind::Email {
                    server,
                    port,
                    tls,
                    user: f.user.clone(),
                    password: secret(&f.password_env, &f.password_file, "password")?,
                    from: need(&f.from, "from")?,
                    to,
                    subject: f.subject.clone().unwrap_or_else(|| DEFAULT_SUBJECT.into()),
                    body: f.body.clone().unwrap_or_else(|| DEFAULT_BODY.into()),
                }
            }
            "exec" => {
                let command = f
                    .command
                    .as_ref()
                    .map(|c| c.get_ref().clone())
                    .unwrap_or_default();
                if command.is_empty() {
                    return Err(self.at(
                        c.span(),
                        format!("channel {name:?} (exec) needs command = [\"program\", \"arg\"]"),
                    ));
                }
                ChannelKind::Exec { command }
            }
            other => {
                return Err(self.at(
                    f.kind.span(),
                    format!("type {other:?}: expected webhook, email or exec"),
                ));
            }
        };
        let digest = match &f.digest {
            None => None,
            Some(d) if matches!(kind, ChannelKind::Email { .. }) => Some(self.duration(d, true)?),
            Some(d) => return Err(self.at(d.span(), "digest is for email channels")),
        };
        Ok(Channel {
            name: name.to_string(),
            kind,
            max_per_hour: f.max_per_hour.unwrap_or(0),
            digest,
        })
    }
}

pub const DEFAULT_SUBJECT: &str = "[iiot] {summary}";
pub const DEFAULT_BODY: &str = "{summary}\n\n{alarms}\nroute {route}, notification {id}\n";

/// `host:port` (a port is required).
pub fn parse_host_port(s: &str) -> Result<(String, u16), String> {
    let (host, port) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("{s:?}: expected host:port"))?;
    let port = port
        .parse::<u16>()
        .map_err(|_| format!("{s:?}: {port:?} is not a port"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("{s:?}: no host"));
    }
    Ok((host.to_string(), port))
}

impl Config {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<Config> {
        let text = crate::io::read_to_string(path)?;
        Config::parse(path, &text)
    }

    /// Checks a configuration's text; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Config> {
        let ck = Checker { path, text };
        let file: FileConfig = toml::from_str(text).map_err(|e| match e.span() {
            Some(span) => ck.at(span, e.message()),
            None => anyhow::anyhow!("{}: {}", path.display(), e.message()),
        })?;
        let base = ck.timing(Timing::default(), &file.grouping.unwrap_or_default())?;
        let mut channels = Vec::new();
        for (name, c) in &file.channels {
            channels.push(ck.channel(name, c)?);
        }
        let mut routes = Vec::new();
        for (i, r) in file.routes.iter().enumerate() {
            routes.push(ck.route(format!("route{}", i + 1), r, &channels, base)?);
        }
        let default = match &file.default {
            Some(r) => Some(ck.route("default".into(), r, &channels, base)?),
            None => None,
        };
        if routes.is_empty() && default.is_none() {
            bail!(
                "{}: no [[routes]] and no [default]: nothing would be sent",
                path.display()
            );
        }
        Ok(Config {
            channels,
            routes,
            default,
        })
    }

    /// One channel taking every alarm (`--webhook URL`, `--email ADDR`).
    pub fn single(channels: Vec<Channel>, timing: Timing) -> Config {
        let idx = (0..channels.len()).collect();
        Config {
            channels,
            routes: Vec::new(),
            default: Some(Route {
                name: "default".into(),
                matcher: Matcher::default(),
                channels: idx,
                group_by: Vec::new(),
                timing,
                cont: false,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(Path::new("n.toml"), text)
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse("[channels.a]\ntype = \"webhook\"\nurl = \"http://x\"\n\n[[routes]]\nchannels = [\"a\", \"b\"]\n")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "n.toml:6:18: no channel named \"b\" in [channels]");
        let e = parse("[channels.a]\ntype = \"pager\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "n.toml:2:8: type \"pager\": expected webhook, email or exec"
        );
        let e = parse("[grouping]\ngroup_wait = \"soon\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("n.toml:2:14: \"soon\" is not a duration"),
            "{e}"
        );
        let e = parse("[channels.a]\ntype = \"webhook\"\nurl = \"http://x\"\ntoken = \"s3cret\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("n.toml:4:1: unknown field `token`"), "{e}");
    }

    #[test]
    fn routes_match_by_glob_rule_and_severity() {
        let c = parse(
            "[grouping]\ngroup_wait = \"10s\"\n[channels.a]\ntype = \"exec\"\ncommand = [\"cat\"]\n\
             [[routes]]\nasset = [\"BOIL-*\"]\nseverity = [\"high\"]\nchannels = [\"a\"]\ngroup_wait = \"1s\"\n\
             [default]\nchannels = [\"a\"]\n",
        )
        .unwrap();
        let r = &c.routes[0];
        assert!(r.matcher.matches("BOIL-1", "t", "hi", Some("high")));
        assert!(!r.matcher.matches("BOIL-1", "t", "hi", Some("low")));
        assert!(!r.matcher.matches("FERM-1", "t", "hi", Some("high")));
        assert_eq!(r.timing.group_wait, 1000);
        assert_eq!(c.default.unwrap().timing.group_wait, 10_000);
    }
}
