//! The polling client: [`Poller`] runs one task per planned connection
//! (see `plan`), requests pipelined on it and answers matched by transaction
//! id, and writes every decoded value as a reading.
//!
//! Why not tokio-modbus's client: it waits for each answer before sending
//! the next request and takes whatever arrives next as that answer. Behind
//! a gateway, one unit id that stops answering would then hold up every
//! other unit for a timeout per request, and its late answer would be
//! taken for the next request's. Here every request of a poll goes out at
//! once, each answer finds its request by transaction id, and a request
//! that times out affects only its own unit.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, sleep_until, timeout};

use anyhow::Context;

use super::decode_slice;
use super::map::{Point, is_bit_table};
use super::plan::{Connection, ReadPlan};
use crate::model::Table;
use crate::record::{
    EncodedSeries, Quality, ReadingRef, RecordWriter, encode_asset_part, encode_tag_part,
};
use crate::time::Millis;
use crate::time::now_ms;

/// One decoded value.
#[derive(Debug, Clone)]
pub struct Sample {
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

/// A poll run: the points, the connections planned for them, and the
/// counters the connections add to.
pub struct Poller {
    points: Arc<Vec<Point>>,
    connections: Vec<Connection>,
    cfg: PollConfig,
    stats: Arc<Stats>,
    wrote: u64,
}

impl Poller {
    pub fn new(points: Vec<Point>, connections: Vec<Connection>, cfg: PollConfig) -> Poller {
        Poller {
            points: Arc::new(points),
            connections,
            cfg,
            stats: Arc::new(Stats::default()),
            wrote: 0,
        }
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
        // Each series' encoded parts, made once rather than per reading.
        let series: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = self
            .points
            .iter()
            .map(|p| {
                let (t, u) = encode_tag_part(&p.tag, &p.unit);
                (encode_asset_part(&p.asset), t, u)
            })
            .collect();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the network runtime")?;
        let connections = std::mem::take(&mut self.connections);
        let (points, cfg, stats) = (&self.points, &self.cfg, &self.stats);
        let wrote = &mut self.wrote;
        runtime.block_on(async {
            let (tx, mut rx) = mpsc::channel::<Vec<Sample>>(256);
            for c in connections {
                tokio::spawn(poll_connection(
                    c,
                    Arc::clone(points),
                    cfg.clone(),
                    Arc::clone(stats),
                    tx.clone(),
                ));
            }
            drop(tx);
            while let Some(batch) = rx.recv().await {
                for s in &batch {
                    let p = &points[s.point];
                    let (a, t, u) = &series[s.point];
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
                    *wrote += 1;
                }
                // Live output: what has arrived goes out once nothing else waits.
                if rx.is_empty() {
                    out.flush()?;
                }
            }
            Ok(())
        })
    }
}

fn function_code(t: Table) -> u8 {
    match t {
        Table::Coil => 1,
        Table::Discrete => 2,
        Table::Holding => 3,
        Table::Input => 4,
    }
}

/// Appends a read request ADU.
pub fn encode_read(tid: u16, r: &ReadPlan, out: &mut Vec<u8>) {
    out.extend_from_slice(&tid.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 6, r.unit_id, function_code(r.table)]);
    out.extend_from_slice(&r.start.to_be_bytes());
    out.extend_from_slice(&r.count.to_be_bytes());
}

/// One answer frame found in the read buffer.
struct Frame {
    tid: u16,
    unit: u8,
    function: u8,
    /// The PDU after the function code.
    start: usize,
    end: usize,
}

/// The next complete frame at the front of `buf` and its length, `None`
/// when more bytes are needed, or an error for bytes no Modbus TCP server
/// sends (the connection is then dropped).
fn next_frame(buf: &[u8]) -> Result<Option<(Frame, usize)>, String> {
    if buf.len() < 8 {
        return Ok(None);
    }
    let proto = u16::from_be_bytes([buf[2], buf[3]]);
    let len = usize::from(u16::from_be_bytes([buf[4], buf[5]]));
    if proto != 0 {
        return Err(format!("protocol id {proto} is not Modbus"));
    }
    if !(2..=254).contains(&len) {
        return Err(format!("frame length {len} is impossible"));
    }
    let total = 6 + len;
    if buf.len() < total {
        return Ok(None);
    }
    Ok(Some((
        Frame {
            tid: u16::from_be_bytes([buf[0], buf[1]]),
            unit: buf[6],
            function: buf[7],
            start: 8,
            end: total,
        },
        total,
    )))
}

struct Pending {
    req: usize,
    sent_ms: Millis,
    deadline: Instant,
}

/// What a request last did, so each outage is reported once.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Health {
    Ok,
    Failing,
}

/// Polls one connection's requests until `--count` polls are done (or
/// forever); its `down` counts the target's connections that are down,
/// shared by every connection to it (`--connections`), so an outage is
/// reported once per target, not once per connection.
async fn poll_connection(
    conn: Connection,
    points: Arc<Vec<Point>>,
    cfg: PollConfig,
    stats: Arc<Stats>,
    tx: mpsc::Sender<Vec<Sample>>,
) {
    let Connection {
        target: addr,
        down,
        requests: plans,
    } = conn;
    let mut t = Target {
        addr,
        plans,
        points,
        cfg,
        stats,
        tx,
        conn: None,
        rbuf: Vec::with_capacity(64 * 1024),
        wbuf: Vec::new(),
        pending: HashMap::new(),
        queue: std::collections::VecDeque::new(),
        in_flight: Vec::new(),
        health: Vec::new(),
        unit_silent: HashMap::new(),
        next_tid: 0,
        regs: Vec::with_capacity(125),
        bits: Vec::with_capacity(2000),
        down_since: None,
        down,
    };
    t.in_flight = vec![false; t.plans.len()];
    t.health = vec![Health::Ok; t.plans.len()];
    t.run().await;
}

struct Target {
    addr: String,
    plans: Vec<ReadPlan>,
    points: Arc<Vec<Point>>,
    cfg: PollConfig,
    stats: Arc<Stats>,
    tx: mpsc::Sender<Vec<Sample>>,
    conn: Option<TcpStream>,
    rbuf: Vec<u8>,
    wbuf: Vec<u8>,
    pending: HashMap<u16, Pending>,
    /// Requests of the current poll not sent yet (over --max-inflight).
    queue: std::collections::VecDeque<usize>,
    /// Per request: queued or awaiting its answer.
    in_flight: Vec<bool>,
    health: Vec<Health>,
    unit_silent: HashMap<u8, bool>,
    next_tid: u16,
    regs: Vec<u16>,
    bits: Vec<bool>,
    down_since: Option<std::time::Instant>,
    down: Arc<AtomicUsize>,
}

async fn read_some(conn: Option<&mut TcpStream>, chunk: &mut [u8]) -> std::io::Result<usize> {
    match conn {
        Some(c) => c.read(chunk).await,
        None => std::future::pending().await,
    }
}

impl Target {
    fn say(&self, msg: std::fmt::Arguments<'_>) {
        if !self.cfg.quiet {
            eprintln!("iiot poll: {}: {msg}", self.addr);
        }
    }

    async fn run(&mut self) {
        let mut ticker = tokio::time::interval(if self.cfg.interval.is_zero() {
            Duration::from_secs(3600)
        } else {
            self.cfg.interval
        });
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let back_to_back = self.cfg.interval.is_zero();
        let mut polls: u64 = 0;
        let mut backoff = Duration::from_millis(100).min(self.cfg.backoff_max);
        let mut retry_at = Instant::now();
        let mut chunk = vec![0u8; 16 * 1024];
        let far = Instant::now() + Duration::from_secs(86_400 * 365);
        // The first poll waits for the first connection attempt.
        if !self.connect().await {
            retry_at = Instant::now() + backoff;
            backoff = (backoff * 2).min(self.cfg.backoff_max);
        }
        ticker.reset_immediately();
        loop {
            let more = self.cfg.count.is_none_or(|n| polls < n);
            if !more && self.pending.is_empty() && self.queue.is_empty() {
                break;
            }
            let next_deadline = self
                .pending
                .values()
                .map(|p| p.deadline)
                .min()
                .unwrap_or(far);
            let ready_now = back_to_back
                && self.conn.is_some()
                && self.pending.is_empty()
                && self.queue.is_empty();
            tokio::select! {
                _ = ticker.tick(), if more && !back_to_back => {
                    polls += 1;
                    self.stats.polls.fetch_add(1, Ordering::Relaxed);
                    if self.conn.is_some() {
                        self.send_poll().await;
                    } else {
                        self.stats.missed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                () = std::future::ready(()), if more && ready_now => {
                    polls += 1;
                    self.stats.polls.fetch_add(1, Ordering::Relaxed);
                    self.send_poll().await;
                }
                () = sleep_until(retry_at), if self.conn.is_none() && more => {
                    if !self.connect().await {
                        retry_at = Instant::now() + backoff;
                        backoff = (backoff * 2).min(self.cfg.backoff_max);
                        if back_to_back && self.cfg.count.is_some() {
                            // Without a ticker a dead target still uses up polls.
                            polls += 1;
                            self.stats.missed.fetch_add(1, Ordering::Relaxed);
                        }
                    } else {
                        backoff = Duration::from_millis(100).min(self.cfg.backoff_max);
                    }
                }
                r = read_some(self.conn.as_mut(), &mut chunk) => {
                    match r {
                        Ok(0) => self.drop_conn("the server closed the connection"),
                        Ok(n) => {
                            self.rbuf.extend_from_slice(&chunk[..n]);
                            if let Err(e) = self.handle_frames().await {
                                self.drop_conn(&e);
                            }
                        }
                        Err(e) => self.drop_conn(&format!("{e}")),
                    }
                    self.fill().await;
                    if self.conn.is_none() {
                        retry_at = Instant::now() + backoff;
                    }
                }
                () = sleep_until(next_deadline), if !self.pending.is_empty() => {
                    self.expire();
                    self.fill().await;
                }
            }
        }
    }

    /// One attempt to connect, bounded by the timeout.
    async fn connect(&mut self) -> bool {
        match timeout(self.cfg.timeout, TcpStream::connect(&self.addr)).await {
            Ok(Ok(s)) => {
                let _ = s.set_nodelay(true);
                self.conn = Some(s);
                self.rbuf.clear();
                if let Some(since) = self.down_since.take()
                    && self.down.fetch_sub(1, Ordering::SeqCst) == 1
                {
                    self.say(format_args!(
                        "connected again after {:.1}s",
                        since.elapsed().as_secs_f64()
                    ));
                }
                true
            }
            Ok(Err(e)) => {
                self.outage(&format!("cannot connect: {e}"));
                false
            }
            Err(_) => {
                self.outage(&format!(
                    "cannot connect: no answer within {:?}",
                    self.cfg.timeout
                ));
                false
            }
        }
    }

    fn outage(&mut self, why: &str) {
        if self.down_since.is_none() {
            self.down_since = Some(std::time::Instant::now());
            if self.down.fetch_add(1, Ordering::SeqCst) == 0 {
                self.say(format_args!("{why}; retrying with backoff"));
            }
        }
    }

    fn drop_conn(&mut self, why: &str) {
        self.conn = None;
        self.rbuf.clear();
        // What was in flight will not be answered on a new connection.
        let lost = self.pending.len() as u64;
        self.stats.timeouts.fetch_add(lost, Ordering::Relaxed);
        for (_, p) in self.pending.drain() {
            self.in_flight[p.req] = false;
        }
        for i in self.queue.drain(..) {
            self.in_flight[i] = false;
        }
        self.outage(&format!("connection lost: {why}"));
    }

    async fn send_poll(&mut self) {
        let mut queued = 0;
        for i in 0..self.plans.len() {
            if self.in_flight[i] {
                // Still waiting for last poll's answer: do not pile up.
                continue;
            }
            self.in_flight[i] = true;
            self.queue.push_back(i);
            queued += 1;
        }
        self.stats.requests.fetch_add(queued, Ordering::Relaxed);
        self.fill().await;
    }

    /// Sends queued requests while fewer than --max-inflight await an
    /// answer, all in one write.
    async fn fill(&mut self) {
        if self.conn.is_none() || self.queue.is_empty() {
            return;
        }
        self.wbuf.clear();
        let sent_ms = now_ms();
        let deadline = Instant::now() + self.cfg.timeout;
        while self.pending.len() < self.cfg.max_inflight {
            let Some(i) = self.queue.pop_front() else {
                break;
            };
            let tid = self.next_tid;
            self.next_tid = self.next_tid.wrapping_add(1);
            encode_read(tid, &self.plans[i], &mut self.wbuf);
            self.pending.insert(
                tid,
                Pending {
                    req: i,
                    sent_ms,
                    deadline,
                },
            );
        }
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        if let Err(e) = conn.write_all(&self.wbuf).await {
            self.drop_conn(&format!("{e}"));
        }
    }

    /// Requests whose time is up: a counted error, reported once per unit
    /// until it answers again.
    fn expire(&mut self) {
        let now = Instant::now();
        let expired: Vec<u16> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(tid, _)| *tid)
            .collect();
        for tid in expired {
            let Some(p) = self.pending.remove(&tid) else {
                continue;
            };
            self.in_flight[p.req] = false;
            self.stats.timeouts.fetch_add(1, Ordering::Relaxed);
            let unit = self.plans[p.req].unit_id;
            let silent = self.unit_silent.entry(unit).or_insert(false);
            if !*silent {
                *silent = true;
                let msg = format!(
                    "unit {unit}: no answer within {:?}; polling on",
                    self.cfg.timeout
                );
                self.say(format_args!("{msg}"));
            }
        }
    }

    async fn handle_frames(&mut self) -> Result<(), String> {
        let mut used = 0;
        let mut batch = Vec::new();
        while let Some((f, len)) = next_frame(&self.rbuf[used..])? {
            let base = used;
            used += len;
            let Some(p) = self.pending.remove(&f.tid) else {
                // A late answer to a request that already timed out.
                continue;
            };
            self.in_flight[p.req] = false;
            let plan = &self.plans[p.req];
            let body = &self.rbuf[base + f.start..base + f.end];
            let fc = function_code(plan.table);
            if f.unit != plan.unit_id || f.function & 0x7f != fc {
                self.stats.bad_answers.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if self.unit_silent.get(&f.unit) == Some(&true) {
                self.unit_silent.insert(f.unit, false);
                self.say(format_args!("unit {}: answering again", f.unit));
            }
            if f.function & 0x80 != 0 {
                self.stats.exceptions.fetch_add(1, Ordering::Relaxed);
                let code = body.first().copied().unwrap_or(0);
                if self.health[p.req] == Health::Ok {
                    self.health[p.req] = Health::Failing;
                    let msg = format!(
                        "unit {} {} {}..{}: exception {code} ({})",
                        plan.unit_id,
                        plan.table,
                        plan.start,
                        u32::from(plan.start) + u32::from(plan.count) - 1,
                        exception_name(code)
                    );
                    self.say(format_args!("{msg}"));
                }
                continue;
            }
            let n = usize::from(plan.count);
            let bit = is_bit_table(plan.table);
            let want = if bit { n.div_ceil(8) } else { 2 * n };
            if body.first().map(|b| usize::from(*b)) != Some(want) || body.len() != want + 1 {
                self.stats.bad_answers.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            self.health[p.req] = Health::Ok;
            self.stats.answers.fetch_add(1, Ordering::Relaxed);
            let data = &body[1..];
            self.regs.clear();
            self.bits.clear();
            if bit {
                self.bits
                    .extend((0..n).map(|i| data[i / 8] >> (i % 8) & 1 == 1));
            } else {
                self.regs.extend(
                    data.chunks_exact(2)
                        .map(|c| u16::from_be_bytes([c[0], c[1]])),
                );
            }
            let ts = match self.cfg.ts {
                Timestamp::Response => now_ms(),
                Timestamp::Request => p.sent_ms,
            };
            for &(pi, off) in &plan.points {
                let off = usize::from(off);
                let point = &self.points[pi];
                let (value, text) = decode_slice(
                    point,
                    self.regs.get(off..).unwrap_or(&[]),
                    self.bits.get(off..).unwrap_or(&[]),
                );
                if value.is_finite() {
                    batch.push(Sample {
                        point: pi,
                        ts,
                        value,
                        text,
                    });
                } else {
                    self.stats.bad_answers.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        self.rbuf.drain(..used);
        if !batch.is_empty() {
            // The writer is gone only when stdout closed; the run ends then.
            let _ = self.tx.send(batch).await;
        }
        Ok(())
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
