//! `iiot notify`: alarm events in, notifications out through webhooks,
//! email and commands, with routing, grouping, retries, a dead-letter
//! file, an outbox, and one delivery record per attempt on stdout.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::Global;
use super::args::{InputArgs, RejectArgs};
use crate::alarms::{Refusal, Tracker};
use crate::io::{Next, ReadOptions, Records, Rejects, Wait, stdout_sink};
use crate::notify::Notification;
use crate::notify::config::{Channel, ChannelKind, Config, Secret, SmtpTls, Timing};
use crate::notify::deliver::{Attempt, Deliverer, Outcome, Policy};
use crate::notify::engine::{Change, Engine, Event, Out};
use crate::notify::outbox::{Outbox, Saved};
use crate::record::alarm::{AlarmEvent, EventKind};
use crate::record::{Format, Quality, ReadingRef, RecordWriter, write_json_str};
use crate::time::Millis;

/// Send alarm events to people: webhooks, email, commands.
///
/// Reads alarm events (`raised`, `cleared`, `acked` lines, as `detect
/// --events` writes them, and `predicted` ones from `forecast --until
/// --events`, told once with the state `predicted` and never as firing;
/// other lines are counted and skipped) and sends
/// notifications, writing one delivery record per attempt on stdout:
/// {"ts","asset":CHANNEL,"tag":ID,"value":ATTEMPT,"delivery":"delivered"|
/// "failed"|"suppressed"|"dry-run","reason",…} (docs/records.md).
///
/// Channels and routes come from --config FILE (TOML; see the README:
/// webhook with a JSON or form template, headers and a bearer token read
/// from an environment variable or a file; email over SMTP with STARTTLS or
/// TLS; exec of a command with the notification as JSON on its stdin;
/// routes by asset/tag/rule glob and severity, a [default] route, and
/// alarms no route takes counted as unrouted). Without a file, --webhook
/// URL and --email ADDR send every alarm to one place.
///
/// Grouping, as Alertmanager does it, on the events' own ts (so a replay
/// sends what the live run sent): a group's first alarm waits group_wait
/// for others, later changes wait group_interval after the last
/// notification, alarms still active and not acked are repeated every
/// repeat_interval, cleared ones are sent when they clear. On a live
/// stream a due group is also sent when the input has been quiet that
/// long on the wall clock. --max-per-hour holds back a channel's surplus
/// and sends one summary of it. There are no quiet hours (they would hide
/// alarms from whoever is on call): send what may wait to an e-mail
/// channel with a digest.
///
/// Delivery: timeouts, refused connections, 5xx and 429 (after its
/// Retry-After) are retried with exponential backoff (doubling from
/// --backoff up to --backoff-max, with jitter) up to --max-attempts;
/// other 4xx are not. What is not delivered goes to --dead-letter FILE,
/// which `notify --replay FILE` sends again. --state FILE is an outbox
/// (fsynced): after a crash or kill -9 the same command sends what was
/// pending and nothing already delivered, except a delivery in flight.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  iiot simulate --preset fermenter --duration 30m --faults spike=0.01 | iiot detect --events | iiot notify --webhook https://hooks.example/ops --dry-run
  iiot detect --events live.ndjson | iiot notify --webhook http://127.0.0.1:9000/hook --token-env HOOK_TOKEN   # needs a running server
  iiot notify --config notify.toml --state notify.state --dead-letter dead.ndjson events.ndjson | iiot store deliveries.db   # needs a running server
  iiot notify --config notify.toml --replay dead.ndjson --dead-letter dead2.ndjson   # needs a running server")]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    /// Channels and routes (TOML); errors name line and column.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Send every alarm to this URL as the notification's JSON (no config file).
    #[arg(long, value_name = "URL", conflicts_with = "config")]
    pub webhook: Option<String>,
    /// With --webhook: a bearer token from this environment variable.
    #[arg(long, value_name = "VAR", requires = "webhook")]
    pub token_env: Option<String>,
    /// With --webhook: a bearer token from this file.
    #[arg(
        long,
        value_name = "FILE",
        requires = "webhook",
        conflicts_with = "token_env"
    )]
    pub token_file: Option<PathBuf>,
    /// Send every alarm by email to ADDR (repeatable; no config file).
    #[arg(long, value_name = "ADDR", conflicts_with = "config")]
    pub email: Vec<String>,
    /// With --email: the SMTP server (password from IIOT_SMTP_PASSWORD).
    #[arg(
        long,
        value_name = "HOST:PORT",
        env = "IIOT_SMTP",
        default_value = "127.0.0.1:25"
    )]
    pub smtp: String,
    /// With --email: TLS to the SMTP server.
    #[arg(long, value_enum, env = "IIOT_SMTP_TLS", default_value_t = SmtpTlsArg::Starttls)]
    pub smtp_tls: SmtpTlsArg,
    /// With --email: the SMTP user.
    #[arg(long, value_name = "USER", env = "IIOT_SMTP_USER")]
    pub smtp_user: Option<String>,
    /// With --email: the sender.
    #[arg(
        long,
        value_name = "ADDR",
        env = "IIOT_SMTP_FROM",
        default_value = "iiot@localhost"
    )]
    pub from: String,
    /// With --webhook/--email: wait this long for more alarms before the first notification of a group.
    #[arg(long, value_name = "DUR", default_value = "30s", value_parser = crate::options::nonneg_ms)]
    pub group_wait: i64,
    /// With --webhook/--email: wait this long after a notification before the next of the same group.
    #[arg(long, value_name = "DUR", default_value = "5m", value_parser = crate::options::positive_ms)]
    pub group_interval: i64,
    /// With --webhook/--email: repeat still-active alarms this often.
    #[arg(long, value_name = "DUR", default_value = "4h", value_parser = crate::options::positive_ms)]
    pub repeat_interval: i64,
    /// At most N notifications per channel per hour (of event time); the surplus is summarised. Applies to channels whose config sets none; 0: no limit.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub max_per_hour: u64,
    /// Attempts per notification before it is dead-lettered.
    #[arg(long, value_name = "N", default_value = "5", value_parser = crate::options::at_least_one)]
    pub max_attempts: usize,
    /// The first retry's wait; each next doubles, with jitter.
    #[arg(long, value_name = "DUR", default_value = "1s", value_parser = crate::options::positive_duration)]
    pub backoff: Duration,
    /// The longest wait between attempts (a Retry-After may ask for longer, up to 1h).
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = crate::options::positive_duration)]
    pub backoff_max: Duration,
    /// Give up one attempt after this long.
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = crate::options::positive_duration)]
    pub timeout: Duration,
    /// Trust only the certificates in this PEM file for HTTPS and SMTP TLS.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Append notifications not delivered after --max-attempts here (NDJSON, fsynced).
    #[arg(long, value_name = "FILE")]
    pub dead_letter: Option<PathBuf>,
    /// Send the notifications of a dead-letter file again, instead of reading events.
    #[arg(long, value_name = "FILE", conflicts_with = "state")]
    pub replay: Option<PathBuf>,
    /// A SQLite store or `postgresql://` URL whose acknowledgements (`iiot ack`, stored `acked` events) are checked before each repeat: an alarm acknowledged there is not repeated.
    #[arg(long, value_name = "DB")]
    pub store: Option<PathBuf>,
    /// The outbox and grouping state, kept across restarts (fsynced).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Send nothing: write what would be sent to whom (body, subject) as records.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub reject: RejectArgs,
}

/// TLS towards the SMTP server of --email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SmtpTlsArg {
    None,
    Starttls,
    Tls,
}

fn config(args: &Args) -> Result<Config> {
    if let Some(p) = &args.config {
        let mut c = Config::load(p)?;
        for ch in &mut c.channels {
            if ch.max_per_hour == 0 {
                ch.max_per_hour = args.max_per_hour;
            }
        }
        return Ok(c);
    }
    let mut channels = Vec::new();
    if let Some(url) = &args.webhook {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            bail!(crate::io::UsageError(format!(
                "--webhook {url:?}: expected an http:// or https:// URL"
            )));
        }
        let token = match (&args.token_env, &args.token_file) {
            (Some(v), _) => Some(Secret::Env(v.clone())),
            (_, Some(p)) => Some(Secret::File(p.clone())),
            _ => None,
        };
        channels.push(Channel {
            name: "webhook".into(),
            kind: ChannelKind::Webhook {
                url: url.clone(),
                format: crate::notify::config::BodyFormat::Json,
                template: None,
                headers: Vec::new(),
                token,
            },
            max_per_hour: args.max_per_hour,
            digest: None,
        });
    }
    if !args.email.is_empty() {
        let (server, port) = crate::notify::config::parse_host_port(&args.smtp)
            .map_err(|e| crate::io::UsageError(format!("--smtp {e}")))?;
        channels.push(Channel {
            name: "email".into(),
            kind: ChannelKind::Email {
                server,
                port,
                tls: match args.smtp_tls {
                    SmtpTlsArg::None => SmtpTls::None,
                    SmtpTlsArg::Starttls => SmtpTls::StartTls,
                    SmtpTlsArg::Tls => SmtpTls::Tls,
                },
                user: args.smtp_user.clone(),
                password: args
                    .smtp_user
                    .as_ref()
                    .map(|_| Secret::Env("IIOT_SMTP_PASSWORD".into())),
                from: args.from.clone(),
                to: args.email.clone(),
                subject: crate::notify::config::DEFAULT_SUBJECT.into(),
                body: crate::notify::config::DEFAULT_BODY.into(),
            },
            max_per_hour: args.max_per_hour,
            digest: None,
        });
    }
    if channels.is_empty() {
        bail!(crate::io::UsageError(
            "say where to send: --config FILE, --webhook URL or --email ADDR".into()
        ));
    }
    Ok(Config::single(
        channels,
        Timing {
            group_wait: args.group_wait,
            group_interval: args.group_interval,
            repeat_interval: args.repeat_interval,
            send_resolved: true,
        },
    ))
}

#[derive(Default)]
struct Tally {
    events: u64,
    skipped: u64,
    replayed: u64,
    notifications: u64,
    delivered: u64,
    failed: u64,
    held: u64,
    unrouted: u64,
}

/// Writes delivery records.
struct Log<W: Write> {
    out: RecordWriter<W>,
    extra: Vec<u8>,
}

impl<W: Write> Log<W> {
    fn field(&mut self, key: &str, value: &str) {
        if !self.extra.is_empty() {
            self.extra.push(b',');
        }
        write_json_str(key, &mut self.extra);
        self.extra.push(b':');
        write_json_str(value, &mut self.extra);
    }

    fn number(&mut self, key: &str, value: impl std::fmt::Display) {
        if !self.extra.is_empty() {
            self.extra.push(b',');
        }
        write_json_str(key, &mut self.extra);
        let _ = write!(self.extra, ":{value}");
    }

    /// One record: `delivery` what happened to notification `n` on
    /// `attempt`; `more` adds fields.
    fn record(
        &mut self,
        n: &Notification,
        delivery: &str,
        attempt: u32,
        more: impl FnOnce(&mut Self),
    ) -> Result<()> {
        self.extra.clear();
        self.field("delivery", delivery);
        more(self);
        self.field("route", &n.route.clone());
        self.field("status", &n.status.clone());
        self.number("alarms", n.alarms.len());
        let ts = crate::time::TsFormatter::format(n.ts);
        self.field("notified_ts", &ts);
        let extra = std::mem::take(&mut self.extra);
        let r = ReadingRef {
            ts: crate::time::now_ms(),
            asset: &n.channel,
            tag: &n.id,
            value: f64::from(attempt),
            unit: "",
            quality: Quality::Good,
            text: "",
            fault: "",
            extra: std::str::from_utf8(&extra).unwrap_or_default(),
            encoded: None,
        };
        let res = self.out.write(&r);
        self.extra = extra;
        res.map_err(Into::into)
    }
}

struct Run<'c, W: Write> {
    args: &'c Args,
    deliverer: Deliverer<'c>,
    log: Log<W>,
    tally: Tally,
    outbox: Option<Outbox>,
    saved: Saved,
    dead: Option<std::fs::File>,
}

impl<W: Write> Run<'_, W> {
    fn save(&mut self, engine: Option<&Engine<'_>>) -> Result<()> {
        if let Some(o) = &self.outbox {
            if let Some(e) = engine {
                self.saved.engine = e.state.clone();
            }
            o.save(&self.saved)?;
        }
        Ok(())
    }

    /// Takes what the engine decided: records for what is not sent, the
    /// rest into the outbox (saved), then delivered one by one.
    fn take(&mut self, outs: &mut Vec<Out>, engine: &Engine<'_>) -> Result<()> {
        if outs.is_empty() {
            return Ok(());
        }
        for o in outs.drain(..) {
            match o {
                Out::Send(n) => {
                    self.tally.notifications += 1;
                    if self.args.dry_run {
                        self.dry(&n)?;
                    } else {
                        self.saved.outbox.push(n);
                    }
                }
                Out::Held(n) => {
                    self.tally.held += 1;
                    self.log.record(&n, "suppressed", 0, |l| {
                        l.field("reason", "max_per_hour: counted in the next summary")
                    })?;
                }
                Out::Unrouted { ts, alarm } => {
                    self.tally.unrouted += 1;
                    let n = Notification {
                        id: format!("unrouted@{ts}"),
                        route: String::new(),
                        channel: String::new(),
                        group: String::new(),
                        ts,
                        status: "firing".into(),
                        repeat: false,
                        alarms: vec![*alarm],
                        held_back: None,
                    };
                    self.log.record(&n, "suppressed", 0, |l| {
                        l.field("reason", "unrouted: no route matched and no [default]");
                        l.field("alarm_asset", &n.alarms[0].asset);
                        l.field("alarm_tag", &n.alarms[0].tag);
                        l.field("rule", &n.alarms[0].rule);
                    })?;
                }
            }
        }
        self.save(Some(engine))?;
        self.drain()
    }

    /// Delivers the outbox, oldest first.
    fn drain(&mut self) -> Result<()> {
        while let Some(n) = self.saved.outbox.first().cloned() {
            let ok = self.send(&n)?;
            if !ok {
                self.bury(&n)?;
            }
            self.saved.outbox.remove(0);
            self.save(None)?;
        }
        Ok(())
    }

    fn send(&mut self, n: &Notification) -> Result<bool> {
        let mut err = None;
        let target = self
            .deliverer
            .channel(&n.channel)
            .map(|(_, c)| (c.kind_name(), c.target()));
        let log = &mut self.log;
        let max = self.args.max_attempts as u32;
        let ok = self.deliverer.deliver(n, |o: &Outcome| {
            let (what, why) = match &o.result {
                Attempt::Delivered { detail } => ("delivered", detail.clone()),
                Attempt::Retry { why, .. } | Attempt::Fail { why } => ("failed", why.clone()),
            };
            let r = log.record(n, what, o.attempt, |l| {
                l.field("reason", &why);
                if let Some((k, t)) = &target {
                    l.field("kind", k);
                    l.field("to", t);
                }
                match o.retry_in {
                    Some(d) => l.number("retry_in_ms", d.as_millis()),
                    None if what == "failed" => {
                        let fin = if matches!(o.result, Attempt::Fail { .. }) {
                            "not retried"
                        } else if o.attempt >= max {
                            "out of attempts"
                        } else {
                            "given up"
                        };
                        l.field("final", fin);
                    }
                    None => {}
                }
            });
            if let Err(e) = r {
                err.get_or_insert(e);
            }
        });
        if let Some(e) = err {
            return Err(e);
        }
        if ok {
            self.tally.delivered += 1;
        } else {
            self.tally.failed += 1;
        }
        Ok(ok)
    }

    /// Appends an undelivered notification to the dead-letter file.
    fn bury(&mut self, n: &Notification) -> Result<()> {
        match &mut self.dead {
            Some(f) => {
                let mut line = serde_json::to_vec(n)?;
                line.push(b'\n');
                f.write_all(&line)
                    .and_then(|()| f.sync_data())
                    .context("writing --dead-letter")
            }
            None => {
                eprintln!(
                    "iiot notify: {} to {} not delivered (no --dead-letter to keep it)",
                    n.id, n.channel
                );
                Ok(())
            }
        }
    }

    fn dry(&mut self, n: &Notification) -> Result<()> {
        let Some((_, ch)) = self.deliverer.channel(&n.channel) else {
            return Ok(());
        };
        let r = self.deliverer.render(ch, n);
        let kind = ch.kind_name();
        self.log.record(n, "dry-run", 0, |l| {
            l.field("kind", kind);
            l.field("to", &r.to);
            if let Some(s) = &r.subject {
                l.field("subject", s);
            }
            l.field("content_type", r.content_type);
            l.field("body", &r.body);
        })
    }
}

pub fn run(args: Args, global: &Global) -> Result<()> {
    let mut outputs = vec![
        ("--rejects", args.reject.file()),
        ("--state", args.state.as_deref()),
        ("--dead-letter", args.dead_letter.as_deref()),
    ];
    if args.replay.is_some() && args.replay == args.dead_letter {
        bail!(crate::io::UsageError(
            "--replay and --dead-letter name the same file; write what still fails to another"
                .into()
        ));
    }
    outputs.retain(|(_, p)| p.is_some());
    crate::io::refuse_overwriting_inputs(&args.input.inputs, &outputs, true)?;
    let cfg = config(&args)?;
    let policy = Policy {
        max_attempts: args.max_attempts as u32,
        backoff: args.backoff,
        backoff_max: args.backoff_max,
        timeout: args.timeout,
    };
    let deliverer = Deliverer::new(&cfg, args.ca.as_deref(), policy, args.dry_run)?;
    let dead = match &args.dead_letter {
        Some(p) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .with_context(|| format!("opening --dead-letter {}", p.display()))?,
        ),
        None => None,
    };
    let outbox = args.state.as_deref().map(Outbox::new);
    let saved = match &outbox {
        Some(o) => o.load()?,
        None => Saved::default(),
    };
    let (sink, _) = stdout_sink(true);
    let mut run = Run {
        args: &args,
        deliverer,
        log: Log {
            out: RecordWriter::new(sink, Format::Ndjson, true),
            extra: Vec::new(),
        },
        tally: Tally::default(),
        outbox,
        saved,
        dead,
    };
    let mut rejects = args.reject.open("notify")?;
    let result = match &args.replay {
        Some(p) => replay(&mut run, p, &mut rejects),
        None => events(&mut run, &cfg, global, &mut rejects),
    };
    let flushed = run.log.out.flush();
    rejects.finish()?;
    let t = &run.tally;
    if !global.quiet {
        eprintln!(
            "iiot notify: read {} events, rejected {}, skipped {} other records{}; {} notifications: delivered {}, failed {}, held back {}; unrouted alarms {}",
            t.events,
            rejects.count(),
            t.skipped,
            if t.replayed > 0 {
                format!(", {} taken before (--state)", t.replayed)
            } else {
                String::new()
            },
            t.notifications,
            t.delivered,
            t.failed,
            t.held,
            t.unrouted
        );
    }
    result.and(flushed.map_err(Into::into))
}

fn replay<W: Write>(run: &mut Run<'_, W>, path: &Path, rejects: &mut Rejects) -> Result<()> {
    let text = crate::io::read_to_string(path)?;
    let name = path.display().to_string();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Notification>(line) {
            Ok(n) => {
                run.tally.notifications += 1;
                if run.args.dry_run {
                    run.dry(&n)?;
                } else if !run.send(&n)? {
                    run.bury(&n)?;
                }
            }
            Err(e) => rejects.reject(
                &name,
                i as u64 + 1,
                &format!("not a notification: {e}"),
                line.as_bytes(),
            )?,
        }
    }
    Ok(())
}

/// Whether the store holds an acknowledgement, at or before `at`, of the
/// occurrence of `l`'s alarm raised at `l.since` (or a later one).
fn acked_in(store: &crate::store::Store, l: &crate::notify::AlarmLine, at: Millis) -> bool {
    let exact = |what: &str, name: &str| {
        crate::patterns::Patterns::new(what, &[globset::escape(name)]).unwrap_or_default()
    };
    let filter = crate::alarms::Filter {
        assets: exact("asset", &l.asset),
        tags: exact("tag", &l.tag),
        rules: exact("rule", &l.rule),
        severities: Vec::new(),
        from: i64::MIN,
        to: i64::MAX,
    };
    match store.alarm_states(&filter, at) {
        Ok(t) => t
            .get(&l.asset, &l.tag, &l.rule)
            .is_some_and(|a| a.ack.is_some() && a.raised.is_some_and(|r| r >= l.since)),
        Err(e) => {
            eprintln!("iiot notify: --store: {e:#}; taking the alarm as not acknowledged");
            false
        }
    }
}

fn events<W: Write>(
    run: &mut Run<'_, W>,
    cfg: &Config,
    global: &Global,
    rejects: &mut Rejects,
) -> Result<()> {
    let mut engine = Engine::new(cfg, std::mem::take(&mut run.saved.engine));
    if let Some(path) = &run.args.store {
        let store = crate::store::Store::open_read(path)?;
        engine = engine.with_ack_check(Box::new(move |l, at| acked_in(&store, l, at)));
    }
    // What a killed run left in the outbox goes first.
    if !run.saved.outbox.is_empty() {
        if !global.quiet {
            eprintln!(
                "iiot notify: sending {} notifications left in the outbox",
                run.saved.outbox.len()
            );
        }
        run.drain()?;
    }
    let mut records = Records::open(
        &run.args.input.inputs,
        ReadOptions {
            encode: None,
            progress: false,
        },
        global.quiet,
    );
    let mut outs = Vec::new();
    let mut replaying = 0u64;
    let mut tracker = Tracker::new();
    let restored = run.saved.wm_ts.is_some();
    // The live clock: the last event's time and when it came.
    let mut last: Option<(Millis, Instant)> = None;
    let mut dirty = false;
    (|| -> Result<()> {
        loop {
            match records.next(rejects, Wait::For(Duration::from_millis(200)))? {
                Next::Record(rec) => {
                    let r = &*rec.reading;
                    if !r.is_event() {
                        run.tally.skipped += 1;
                        continue;
                    }
                    let ev = match AlarmEvent::from_reading(r) {
                        Ok(ev) => ev,
                        Err(e) => {
                            rejects.reject(rec.source, rec.line, &e, rec.raw)?;
                            continue;
                        }
                    };
                    // The ISA-18.2 tracker judges acknowledgements: one of
                    // an alarm never raised, of an older occurrence or a
                    // second one is refused. After a restart (--state) an
                    // ack of an alarm raised before it is taken.
                    let verdict = tracker.apply(&ev);
                    let change = match (&ev.event, verdict) {
                        (_, Err(Refusal::NeverRaised)) if restored => Change::Acked,
                        (_, Err(refusal)) => {
                            rejects.reject(rec.source, rec.line, &refusal, rec.raw)?;
                            continue;
                        }
                        (EventKind::Raised, Ok(_)) => Change::Raised,
                        (EventKind::Cleared, Ok(_)) => Change::Cleared,
                        (EventKind::Acked { .. }, Ok(_)) => Change::Acked,
                        (EventKind::Predicted, Ok(_)) => Change::Predicted,
                        (EventKind::Other(_), Ok(_)) => continue,
                    };
                    run.tally.events += 1;
                    if run.outbox.is_some() && run.saved.seen(ev.ts, &mut replaying) {
                        run.tally.replayed += 1;
                        continue;
                    }
                    engine.event(
                        &Event {
                            ts: ev.ts,
                            change,
                            asset: ev.asset,
                            tag: ev.tag,
                            rule: &ev.rule,
                            kind: ev.kind.as_deref(),
                            severity: ev.severity.as_deref(),
                            value: ev.value,
                            limit: ev.limit,
                            unit: ev.unit,
                        },
                        &mut outs,
                    );
                    last = Some((engine.state.now, Instant::now()));
                    dirty = true;
                    run.take(&mut outs, &engine)?;
                }
                Next::Quiet => {
                    // A quiet live stream: event time moves on with the
                    // wall clock from the last event.
                    if let Some((ts, at)) = last {
                        let now = ts + at.elapsed().as_millis() as i64;
                        if engine.next_due().is_some_and(|d| d <= now) {
                            engine.advance(now, &mut outs);
                            run.take(&mut outs, &engine)?;
                        }
                    }
                    if dirty {
                        run.save(Some(&engine))?;
                        dirty = false;
                    }
                }
                Next::End => break,
            }
        }
        engine.finish(&mut outs);
        run.take(&mut outs, &engine)?;
        run.save(Some(&engine))
    })()
}
