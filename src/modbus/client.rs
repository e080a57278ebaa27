//! The polling client: [`Poller`] runs one task per planned connection
//! (see `plan`; the task is `conn`), requests pipelined on it and answers
//! matched by transaction id, and writes every decoded value as a reading.
//! On SIGHUP it reads the model again and deals the new plan out to the
//! tasks it has, starting tasks for new connections and stopping those no
//! longer planned.
//!
//! Why not tokio-modbus's client: it waits for each answer before sending
//! the next request and takes whatever arrives next as that answer. Behind
//! a gateway, one unit id that stops answering would then hold up every
//! other unit for a timeout per request, and its late answer would be
//! taken for the next request's. Here every request of a poll goes out at
//! once, each answer finds its request by transaction id, and a request
//! that times out affects only its own unit.

mod conn;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::hangup::{self, Hangup};
use super::map::Point;
use super::plan::{self, Connection, PlanConfig, ReadPlan};
use crate::record::{
    EncodedSeries, Quality, ReadingRef, RecordWriter, encode_asset_part, encode_tag_part,
};
use crate::time::Millis;

/// One decoded value.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Its point in the generation of the batch it comes in.
    pub point: usize,
    pub ts: Millis,
    pub value: f64,
    pub text: String,
}

/// The time a reading carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timestamp {
    /// When its request was sent (the requests of a poll sent together
    /// share a time).
    Request,
    /// When the answer arrived.
    Response,
}

/// How every target is polled.
#[derive(Debug, Clone)]
pub struct PollConfig {
    /// Zero: the next poll as soon as the last one is answered.
    pub interval: Duration,
    pub timeout: Duration,
    pub count: Option<u64>,
    pub ts: Timestamp,
    pub backoff_max: Duration,
    /// Most requests awaiting an answer on one connection.
    pub max_inflight: usize,
    pub quiet: bool,
}

/// Counters every target task adds to.
#[derive(Debug, Default)]
pub struct Stats {
    pub polls: AtomicU64,
    pub requests: AtomicU64,
    pub answers: AtomicU64,
    pub timeouts: AtomicU64,
    pub exceptions: AtomicU64,
    pub bad_answers: AtomicU64,
    /// Polls that found the target unreachable.
    pub missed: AtomicU64,
}

impl Stats {
    pub fn errors(&self) -> u64 {
        self.timeouts.load(Ordering::Relaxed)
            + self.exceptions.load(Ordering::Relaxed)
            + self.bad_answers.load(Ordering::Relaxed)
            + self.missed.load(Ordering::Relaxed)
    }
}

/// The points of one reading of the model, with each series' encoded
/// parts made once rather than per reading; shared by the tasks polling
/// them and the writer, so a batch read before a reload is written with
/// the names it was read under.
pub struct Generation {
    pub points: Vec<Point>,
    series: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)>,
}

impl Generation {
    fn new(points: Vec<Point>) -> Arc<Generation> {
        let series = points
            .iter()
            .map(|p| {
                let (t, u) = encode_tag_part(&p.tag, &p.unit);
                (encode_asset_part(&p.asset), t, u)
            })
            .collect();
        Arc::new(Generation { points, series })
    }
}

/// Samples of one answer (or several), and the generation they index.
pub struct Batch {
    pub model: Arc<Generation>,
    pub samples: Vec<Sample>,
}

/// What a connection's task polls: replaced whole on a reload.
pub struct Assignment {
    pub model: Arc<Generation>,
    pub requests: Vec<ReadPlan>,
}

/// Reads the model again (SIGHUP): the points to poll, or why not.
pub type Reload = Box<dyn Fn() -> anyhow::Result<Vec<Point>>>;

/// A connection's key: its target and its place among the target's
/// connections.
type Key = (String, usize);

/// A poll run: the points, how they are planned over connections, and the
/// counters the connections add to.
pub struct Poller {
    model: Arc<Generation>,
    plan: PlanConfig,
    cfg: PollConfig,
    stats: Arc<Stats>,
    wrote: u64,
    hangup: Option<Hangup>,
    reload: Option<Reload>,
}

/// The tasks running and how to reach them.
struct Tasks {
    set: JoinSet<(Key, bool)>,
    /// Each running task's assignments; dropping the sender stops it.
    ctl: HashMap<Key, mpsc::UnboundedSender<Assignment>>,
    /// Tasks that ended on their own (`--count` polls done): a reload does
    /// not start them again.
    done: HashSet<Key>,
    /// Per target, the count of its connections that are down, kept across
    /// reloads so an outage is still reported once.
    down: HashMap<String, Arc<AtomicUsize>>,
    tx: mpsc::Sender<Batch>,
}

impl Poller {
    pub fn new(points: Vec<Point>, plan: PlanConfig, cfg: PollConfig) -> Poller {
        Poller {
            model: Generation::new(points),
            plan,
            cfg,
            stats: Arc::new(Stats::default()),
            wrote: 0,
            hangup: None,
            reload: None,
        }
    }

    /// On every SIGHUP, read the points again with `reload` (`None`:
    /// there is no model to read, and a SIGHUP says so).
    pub fn reload_on(&mut self, hangup: Hangup, reload: Option<Reload>) {
        self.hangup = Some(hangup);
        self.reload = reload;
    }

    /// The counters, for the closing summary.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Readings written so far.
    pub fn wrote(&self) -> u64 {
        self.wrote
    }

    /// Polls every connection, each on its own task and schedule, until
    /// each has done `--count` polls (forever without), and writes every
    /// value read to `out` as a reading. Ends early with the error when
    /// `out` fails (a closed pipe among them); `out` is flushed whenever no
    /// more answers wait, not at the end.
    pub fn run<W: Write>(&mut self, out: &mut RecordWriter<W>) -> anyhow::Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the network runtime")?;
        let hangup = self.hangup.take();
        runtime.block_on(async {
            let hangups = hangup.and_then(Hangup::on_runtime);
            let (tx, mut rx) = mpsc::channel::<Batch>(256);
            let mut tasks = Tasks {
                set: JoinSet::new(),
                ctl: HashMap::new(),
                done: HashSet::new(),
                down: HashMap::new(),
                tx,
            };
            let connections = plan::connections(&self.model.points, &self.plan);
            self.assign(&mut tasks, connections, Arc::clone(&self.model));
            loop {
                tokio::select! {
                    Some(batch) = rx.recv() => {
                        self.write(&batch, out)?;
                        // Live output: what has arrived goes out once
                        // nothing else waits.
                        if rx.is_empty() {
                            out.flush()?;
                        }
                    }
                    Some(ended) = tasks.set.join_next(), if !tasks.set.is_empty() => {
                        // A task stopped by a reload was already let go
                        // (and its key may be in use again).
                        if let Ok((key, false)) = ended {
                            tasks.ctl.remove(&key);
                            tasks.done.insert(key);
                        }
                        if tasks.set.is_empty() {
                            // Every task is done, and sent what it read
                            // before it ended.
                            while let Ok(batch) = rx.try_recv() {
                                self.write(&batch, out)?;
                            }
                            return Ok(());
                        }
                    }
                    () = hangup::next(hangups.as_ref()) => self.reload(&mut tasks),
                    else => return Ok(()),
                }
            }
        })
    }

    fn write<W: Write>(&mut self, batch: &Batch, out: &mut RecordWriter<W>) -> anyhow::Result<()> {
        let model = &batch.model;
        for s in &batch.samples {
            let p = &model.points[s.point];
            let (a, t, u) = &model.series[s.point];
            let r = ReadingRef {
                ts: s.ts,
                asset: &p.asset,
                tag: &p.tag,
                value: s.value,
                unit: &p.unit,
                quality: Quality::Good,
                text: &s.text,
                fault: "",
                extra: "",
                encoded: Some(EncodedSeries {
                    asset: a,
                    tag: t,
                    unit: u,
                }),
            };
            out.write(&r)?;
            self.wrote += 1;
        }
        Ok(())
    }

    /// Reads the model again and deals the new plan out; a model with
    /// errors changes nothing.
    fn reload(&mut self, tasks: &mut Tasks) {
        let Some(reload) = &self.reload else {
            eprintln!("iiot poll: SIGHUP: ad-hoc mode has no model to read again");
            return;
        };
        let points = match reload().and_then(|p| {
            if p.is_empty() {
                bail!("the model has no row with an address: nothing to poll");
            }
            Ok(p)
        }) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("iiot poll: SIGHUP: keeping the model in force: {e:#}");
                return;
            }
        };
        self.model = Generation::new(points);
        let connections = plan::connections(&self.model.points, &self.plan);
        let n = connections.len();
        self.assign(tasks, connections, Arc::clone(&self.model));
        if !self.cfg.quiet {
            let tags = self.model.points.len();
            eprintln!(
                "iiot poll: SIGHUP: model reloaded: {tags} tag{} over {n} connection{}",
                if tags == 1 { "" } else { "s" },
                if n == 1 { "" } else { "s" }
            );
        }
    }

    /// Gives each planned connection its requests: to the task already
    /// polling it, or to a new one; tasks no longer planned stop.
    fn assign(&self, tasks: &mut Tasks, connections: Vec<Connection>, model: Arc<Generation>) {
        let mut places: HashMap<String, usize> = HashMap::new();
        let mut planned: HashSet<Key> = HashSet::new();
        for c in connections {
            let place = places.entry(c.target.clone()).or_default();
            let key = (c.target.clone(), *place);
            *place += 1;
            planned.insert(key.clone());
            if tasks.done.contains(&key) {
                continue;
            }
            let a = Assignment {
                model: Arc::clone(&model),
                requests: c.requests,
            };
            let a = match tasks.ctl.get(&key) {
                Some(ctl) => match ctl.send(a) {
                    Ok(()) => continue,
                    Err(mpsc::error::SendError(a)) => a,
                },
                None => a,
            };
            let down = Arc::clone(tasks.down.entry(c.target.clone()).or_insert(c.down));
            let (ctl, rx) = mpsc::unbounded_channel();
            tasks.ctl.insert(key.clone(), ctl);
            tasks.set.spawn(conn::poll_connection(
                key,
                down,
                a,
                rx,
                self.cfg.clone(),
                Arc::clone(&self.stats),
                tasks.tx.clone(),
            ));
        }
        tasks.ctl.retain(|k, _| planned.contains(k));
    }
}

/// The Modbus name of an exception code.
pub fn exception_name(code: u8) -> &'static str {
    match code {
        1 => "illegal function",
        2 => "illegal data address",
        3 => "illegal data value",
        4 => "server device failure",
        5 => "acknowledge",
        6 => "server device busy",
        8 => "memory parity error",
        10 => "gateway path unavailable",
        11 => "gateway target device failed to respond",
        _ => "unknown exception",
    }
}
