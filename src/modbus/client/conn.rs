//! One connection's task: its requests sent every poll, pipelined up to
//! `--max-inflight`, answers matched by transaction id and decoded into
//! samples, timeouts, reconnects with backoff, one message per outage. A
//! request read through unmapped registers (`--max-gap`) that a device
//! refuses with exception 2 — it does not have a register in between — is
//! split into the runs of adjacent tags it covers, so the tags are still
//! read. A new assignment (SIGHUP) replaces its requests between answers.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, sleep_until, timeout};

use super::{
    Assignment, Batch, Generation, Key, PollConfig, Sample, Stats, Timestamp, exception_name,
};
use crate::modbus::decode_slice;
use crate::modbus::map::{Point, is_bit_table};
use crate::modbus::plan::{self, ReadPlan};
use crate::modbus::shown;
use crate::model::Table;
use crate::time::{Millis, now_ms};

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

/// The requests that read `r`'s tags without the registers between them,
/// when the device refused `r` with exception 2: its runs of adjacent tags,
/// or `None` when it is one run already (the device does not have one of
/// its tags, which splitting would not change).
fn split(r: &ReadPlan, points: &[Point]) -> Option<Vec<ReadPlan>> {
    let idx: Vec<usize> = r.points.iter().map(|&(i, _)| i).collect();
    let runs = plan::plan(points, &idx, 0);
    (runs.len() > 1).then_some(runs)
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
/// forever, or until `ctl` closes: a reload planned the connection away);
/// its `down` counts the target's connections that are down, shared by
/// every connection to it (`--connections`), so an outage is reported once
/// per target, not once per connection. Returns its key, and whether it
/// was stopped (rather than done with its polls).
pub async fn poll_connection(
    key: Key,
    down: Arc<AtomicUsize>,
    first: Assignment,
    ctl: mpsc::UnboundedReceiver<Assignment>,
    cfg: PollConfig,
    stats: Arc<Stats>,
    tx: mpsc::Sender<Batch>,
) -> (Key, bool) {
    let mut t = Target {
        addr: key.0.clone(),
        plans: Vec::new(),
        model: Arc::clone(&first.model),
        ctl,
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
    t.assign(first);
    let stopped = t.run().await;
    // A connection stopped while down no longer counts as down.
    if t.down_since.is_some() {
        t.down.fetch_sub(1, Ordering::SeqCst);
    }
    (key, stopped)
}

struct Target {
    addr: String,
    plans: Vec<ReadPlan>,
    /// The points `plans` index.
    model: Arc<Generation>,
    ctl: mpsc::UnboundedReceiver<Assignment>,
    cfg: PollConfig,
    stats: Arc<Stats>,
    tx: mpsc::Sender<Batch>,
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
            eprintln!("iiot poll: {}: {msg}", shown(&self.addr));
        }
    }

    /// Takes new requests (a reload): what is in flight is forgotten, and
    /// a late answer to it is dropped as any late answer is.
    fn assign(&mut self, a: Assignment) {
        self.model = a.model;
        self.plans = a.requests;
        self.pending.clear();
        self.queue.clear();
        self.in_flight = vec![false; self.plans.len()];
        self.health = vec![Health::Ok; self.plans.len()];
    }

    /// Queues request `i` to go out with the requests of this poll.
    fn queue_now(&mut self, i: usize) {
        self.in_flight[i] = true;
        self.queue.push_back(i);
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Polls until its polls are done (false) or it is stopped (true).
    async fn run(&mut self) -> bool {
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
                return false;
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
                a = self.ctl.recv() => match a {
                    Some(a) => {
                        self.assign(a);
                        // The new requests go out with the next poll.
                    }
                    None => return true,
                },
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
                let span = format!(
                    "unit {} {} {}..{}",
                    plan.unit_id,
                    plan.table,
                    plan.start,
                    u32::from(plan.start) + u32::from(plan.count) - 1,
                );
                let parts = if code == 2 {
                    split(plan, &self.model.points)
                } else {
                    None
                };
                if let Some(parts) = parts {
                    // Registers the device does not have between tags read
                    // through (--max-gap): read the tags without them, from
                    // now on.
                    let (tags, n) = (plan.points.len(), parts.len());
                    self.say(format_args!(
                        "{span}: exception 2 (illegal data address); reading its {tags} tags in {n} requests from now on"
                    ));
                    let first = p.req;
                    for (k, part) in parts.into_iter().enumerate() {
                        let i = if k == 0 {
                            self.plans[first] = part;
                            first
                        } else {
                            self.plans.push(part);
                            self.in_flight.push(false);
                            self.health.push(Health::Ok);
                            self.plans.len() - 1
                        };
                        self.queue_now(i);
                    }
                    continue;
                }
                if self.health[p.req] == Health::Ok {
                    self.health[p.req] = Health::Failing;
                    self.say(format_args!(
                        "{span}: exception {code} ({})",
                        exception_name(code)
                    ));
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
                let point = &self.model.points[pi];
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
            let b = Batch {
                model: Arc::clone(&self.model),
                samples: batch,
            };
            // The writer is gone only when stdout closed; the run ends then.
            let _ = self.tx.send(b).await;
        }
        Ok(())
    }
}
