//! `iiot store postgresql://…`: the batch writer. A batch ends as the
//! SQLite store's does (`--batch-rows`, `--batch-time`); at commit, in one
//! transaction: the batch's new series, then its readings by binary
//! `COPY` into a temporary staging table and one
//! `INSERT … SELECT … ON CONFLICT DO NOTHING` (`DO UPDATE` with
//! `--on-conflict replace`, only where something differs) that also
//! lowers the `rollup_pending` marks, then alarm events and rollup
//! records. A replay adds nothing; a crash loses at most the open batch,
//! never part of one.
//!
//! When the connection is lost (the server restarts, the network drops),
//! the batch in hand is kept and written again once a new connection is
//! made, after waits doubling from 100 ms to 2 s, for up to
//! `--reconnect-for`; one message says the outage began. The records wait
//! in the pipe meanwhile: nothing read is lost. (A connection lost while
//! the server was committing may have stored the batch: the retry then
//! counts its rows as duplicates.)

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::error::SqlState;
use postgres::types::Type;
use postgres::{Client, Transaction};

use super::alarms::alarm_tail;
use super::connect::{Target, is_outage};
use super::schema;
use crate::alarms::{AlarmKey, Tracker};
use crate::model::Model;
use crate::record::{ParseError, Reading};
use crate::store::batch::{RollupRow, SeriesBook, drain_unstored, refused_reason, rollup_conflict};
use crate::store::events::{EventRow, tracker_with_batch};
use crate::store::sqlite::writer::fields::{extra_json, quality_code};
use crate::store::sqlite::{Counts, OnConflict, Origin, Unstored};
use crate::time::Millis;

/// How the writer behaves.
#[derive(Debug, Clone, Copy)]
pub struct PgOptions {
    pub on_conflict: OnConflict,
    /// How long to keep reconnecting before the batch goes to the rejects.
    pub reconnect_for: Duration,
    pub quiet: bool,
}

/// A reading waiting for its batch.
#[derive(Debug, Clone, Copy)]
struct Row {
    id: i64,
    ts: Millis,
    value: f64,
    quality: i16,
    /// Range of its extra JSON in `extra_arena`.
    extra: Option<(u32, u32)>,
    /// Range of the line as read in `raw_arena`, for the rejects.
    raw: (u32, u32),
    origin: Origin,
}

/// An open PostgreSQL store.
pub struct PgWriter {
    target: Target,
    /// `None` while disconnected.
    client: Option<Client>,
    opts: PgOptions,
    series: SeriesBook,
    rows: Vec<Row>,
    extra_arena: String,
    raw_arena: Vec<u8>,
    extra_buf: Vec<u8>,
    events: Vec<EventRow>,
    rollups: Vec<RollupRow>,
    refused: Vec<Unstored>,
    failed: bool,
    pub counts: Counts,
}

/// What a committed batch changes in memory.
#[derive(Default)]
struct Written {
    ids: Vec<i64>,
    counts: Counts,
    /// Rows refused (behind a retention point), by index, with that point.
    refused: Vec<(usize, Millis)>,
}

impl Written {
    fn real(&self, id: i64) -> i64 {
        if id < 0 {
            self.ids[(-id - 1) as usize]
        } else {
            id
        }
    }
}

/// The staging table of a connection: emptied at each commit.
const STAGE: &str = "CREATE TEMP TABLE IF NOT EXISTS iiot_stage (
  idx integer NOT NULL,
  series_id bigint NOT NULL,
  ts bigint NOT NULL,
  value double precision NOT NULL,
  quality smallint NOT NULL,
  extra text
) ON COMMIT DELETE ROWS";

fn load_series(client: &mut Client) -> Result<SeriesBook> {
    let mut series = SeriesBook::default();
    for row in client.query("SELECT id, asset, tag, coalesce(unit, '') FROM series", &[])? {
        let (id, asset, tag, unit): (i64, String, String, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        series.insert(id, asset, tag, unit);
    }
    Ok(series)
}

impl PgWriter {
    /// Connects, makes the schema where missing, reads the series.
    pub fn open(url: &str, opts: PgOptions) -> Result<PgWriter> {
        let target = Target::parse(url)?;
        let mut client = target.connect()?;
        schema::create(&mut client, &target.name)?;
        client.batch_execute(STAGE)?;
        let series = load_series(&mut client)
            .with_context(|| format!("reading the series of {}", target.name))?;
        Ok(PgWriter {
            target,
            client: Some(client),
            opts,
            series,
            rows: Vec::new(),
            extra_arena: String::new(),
            raw_arena: Vec::new(),
            extra_buf: Vec::with_capacity(256),
            events: Vec::new(),
            rollups: Vec::new(),
            refused: Vec::new(),
            failed: false,
            counts: Counts::default(),
        })
    }

    /// Records the units and descriptions of a model's series.
    pub fn describe(&mut self, model: &Model) -> Result<()> {
        let name = self.target.name.clone();
        let client = self
            .client
            .as_mut()
            .ok_or_else(|| anyhow!("{name}: not connected"))?;
        let mut tx = client.transaction()?;
        let stmt = tx.prepare(
            "INSERT INTO series (asset, tag, unit, description) VALUES ($1, $2, nullif($3, ''), nullif($4, ''))
             ON CONFLICT (asset, tag) DO UPDATE SET unit = excluded.unit, description = excluded.description",
        )?;
        for row in &model.rows {
            tx.execute(&stmt, &[&row.asset, &row.tag, &row.unit, &row.description])
                .with_context(|| format!("recording the model's series in {name}"))?;
        }
        tx.commit()?;
        self.series = load_series(client)?;
        Ok(())
    }

    pub fn failed(&self) -> bool {
        self.failed
    }

    pub fn batch_len(&self) -> usize {
        self.rows.len() + self.events.len() + self.rollups.len()
    }

    /// Adds a record to the open batch: an alarm event, a rollup record or
    /// a reading, as the SQLite store takes them.
    pub fn add(&mut self, r: &Reading, raw: &[u8], origin: Origin) -> Result<(), ParseError> {
        if self.failed {
            return Err(ParseError {
                field: None,
                message: format!("not stored: {} failed earlier", self.target.name),
            });
        }
        if r.is_event() {
            self.add_event(r, raw, origin)
        } else if r.extra_field("every").is_some() && r.extra_field("count").is_some() {
            self.add_rollup(r, raw, origin)
        } else {
            let id = self.series.id(&r.asset, &r.tag, &r.unit);
            let start = self.extra_arena.len();
            let extra = extra_json(r, &[], &mut self.extra_buf).map(|text| {
                self.extra_arena.push_str(text);
                (start as u32, self.extra_arena.len() as u32)
            });
            let raw_start = self.raw_arena.len() as u32;
            self.raw_arena.extend_from_slice(raw);
            self.rows.push(Row {
                id,
                ts: r.ts,
                value: r.value,
                quality: i16::from(quality_code(r.quality)),
                extra,
                raw: (raw_start, self.raw_arena.len() as u32),
                origin,
            });
            Ok(())
        }
    }

    fn add_event(&mut self, r: &Reading, raw: &[u8], origin: Origin) -> Result<(), ParseError> {
        let (client, target, events) = (&mut self.client, &self.target, &self.events);
        let row = EventRow::parse(r, raw, origin, &mut self.extra_buf, |key, at| {
            tracker(client, target, events, key, at)
        })?;
        self.events.push(row);
        Ok(())
    }

    /// The state of one alarm at `at`: its stored events from its last
    /// raise up to `at` and the open batch's events of it, folded.
    pub fn alarm_tracker(&mut self, key: &AlarmKey, at: Millis) -> Result<Tracker> {
        tracker(&mut self.client, &self.target, &self.events, key, at)
    }

    fn add_rollup(&mut self, r: &Reading, raw: &[u8], origin: Origin) -> Result<(), ParseError> {
        let row = RollupRow::parse(r, raw, origin, &mut self.extra_buf, &mut self.series)?;
        self.rollups.push(row);
        Ok(())
    }

    /// Commits the open batch, reconnecting while the server is away. On
    /// another error nothing of the batch is stored and it stays buffered
    /// for [`PgWriter::take_unstored`].
    pub fn commit(&mut self) -> Result<()> {
        if self.batch_len() == 0 && self.series.is_clean() {
            return Ok(());
        }
        if self.failed {
            bail!("{}: an earlier commit failed", self.target.name);
        }
        let mut outage: Option<Instant> = None;
        // A connection the server closed since the last commit (noticed by
        // the driver, not by a failed statement) is an outage too.
        if self.client.as_ref().is_some_and(Client::is_closed) {
            self.say_lost("the server closed the connection");
            outage = Some(Instant::now());
        }
        let mut delay = Duration::from_millis(100);
        loop {
            let result = self.try_commit();
            let e = match result {
                Ok(done) => {
                    self.finish_batch(done);
                    return Ok(());
                }
                Err(e) => e,
            };
            let pg = e.downcast_ref::<postgres::Error>();
            if !pg.is_some_and(is_outage) {
                self.failed = true;
                return Err(e.context(format!("writing to {}", self.target.name)));
            }
            self.client = None;
            if outage.is_none() {
                self.say_lost(&short(&e));
                outage = Some(Instant::now());
            }
            let began = outage.unwrap_or_else(Instant::now);
            if began.elapsed() >= self.opts.reconnect_for {
                self.failed = true;
                return Err(e.context(format!(
                    "{}: no connection for {:?} (--reconnect-for)",
                    self.target.name, self.opts.reconnect_for
                )));
            }
            std::thread::sleep(delay);
            delay = (delay * 2).min(Duration::from_secs(2));
        }
    }

    /// The one message of an outage.
    fn say_lost(&self, why: &str) {
        if !self.opts.quiet {
            eprintln!(
                "iiot store: {}: connection lost ({why}); reconnecting, the batch of {} records kept",
                self.target.name,
                self.batch_len()
            );
        }
    }

    /// One attempt: connect if need be, then write the batch in one
    /// transaction. A driver error stays the root cause, so the caller can
    /// tell an outage.
    fn try_commit(&mut self) -> Result<Written> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            let mut client = self.target.try_connect()?;
            client.batch_execute(STAGE)?;
            self.client = Some(client);
        }
        let Some(client) = self.client.as_mut() else {
            bail!("not connected");
        };
        let mut tx = client.transaction()?;
        let done = write_batch(
            &mut tx,
            self.opts.on_conflict,
            &self.series,
            &mut self.rows,
            &self.extra_arena,
            &self.events,
            &self.rollups,
        )?;
        tx.commit()?;
        Ok(done)
    }

    fn finish_batch(&mut self, done: Written) {
        self.series.committed(&done.ids);
        for (i, before) in done.refused {
            let row = self.rows[i];
            self.refused.push(Unstored {
                origin: row.origin,
                reason: refused_reason(before),
                record: self.raw(&row),
            });
        }
        self.counts.add(&done.counts);
        self.rows.clear();
        self.extra_arena.clear();
        self.raw_arena.clear();
        self.events.clear();
        self.rollups.clear();
    }

    fn raw(&self, row: &Row) -> String {
        let (a, b) = row.raw;
        String::from_utf8_lossy(&self.raw_arena[a as usize..b as usize])
            .trim_end()
            .to_string()
    }

    pub fn take_refused(&mut self) -> Vec<Unstored> {
        std::mem::take(&mut self.refused)
    }

    /// Every record of the open batch with `reason`, emptying it.
    pub fn take_unstored(&mut self, reason: &str) -> Vec<Unstored> {
        let mut out = Vec::with_capacity(self.batch_len());
        for row in &self.rows {
            out.push(Unstored {
                origin: row.origin,
                reason: reason.to_string(),
                record: self.raw(row),
            });
        }
        drain_unstored(reason, &mut self.events, &mut self.rollups, &mut out);
        self.rows.clear();
        self.extra_arena.clear();
        self.raw_arena.clear();
        out
    }

    /// Commits what is left.
    pub fn close(mut self) -> Result<Counts> {
        if !self.failed {
            self.commit()?;
        }
        Ok(self.counts)
    }
}

/// [`PgWriter::alarm_tracker`], connecting first if the connection was
/// lost.
fn tracker(
    client: &mut Option<Client>,
    target: &Target,
    events: &[EventRow],
    key: &AlarmKey,
    at: Millis,
) -> Result<Tracker> {
    if client.as_ref().is_none_or(Client::is_closed) {
        let mut c = target.try_connect()?;
        c.batch_execute(STAGE)?;
        *client = Some(c);
    }
    let Some(c) = client.as_mut() else {
        bail!("{}: not connected", target.name);
    };
    let stored = alarm_tail(c, key, at)
        .with_context(|| format!("reading the alarm events of {}", target.name))?;
    Ok(tracker_with_batch(key, at, stored, events))
}

/// The first line of an error's root cause, for the outage message.
fn short(e: &anyhow::Error) -> String {
    e.root_cause()
        .to_string()
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

/// Writes a batch inside `tx`.
#[allow(clippy::too_many_arguments)]
fn write_batch(
    tx: &mut Transaction<'_>,
    on_conflict: OnConflict,
    series: &SeriesBook,
    rows: &mut [Row],
    extra_arena: &str,
    events: &[EventRow],
    rollups: &[RollupRow],
) -> Result<Written> {
    let mut done = Written::default();
    if !series.new.is_empty() {
        let insert = tx.prepare(
            "INSERT INTO series (asset, tag, unit) VALUES ($1, $2, nullif($3, ''))
             ON CONFLICT (asset, tag) DO UPDATE SET unit = coalesce(nullif(excluded.unit, ''), series.unit)
             RETURNING id",
        )?;
        for s in &series.new {
            let row = tx.query_one(&insert, &[&s.asset, &s.tag, &s.unit])?;
            done.ids.push(row.get(0));
        }
    }
    for (id, unit) in &series.unit_changes {
        tx.execute("UPDATE series SET unit = $1 WHERE id = $2", &[unit, id])?;
    }
    if !rows.is_empty() {
        write_readings(tx, on_conflict, rows, extra_arena, &mut done)?;
    }
    if !events.is_empty() {
        let insert = tx.prepare(
            "INSERT INTO alarm_events VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        )?;
        for e in events {
            let n = tx.execute(
                &insert,
                &[
                    &e.ts,
                    &e.asset,
                    &e.tag,
                    &e.rule,
                    &e.event,
                    &e.kind,
                    &e.severity,
                    &e.value,
                    &e.limit,
                    &e.extra,
                ],
            )?;
            if n > 0 {
                done.counts.events += 1;
            } else {
                done.counts.duplicates += 1;
            }
        }
    }
    if !rollups.is_empty() {
        let conflict = rollup_conflict(on_conflict);
        let insert = tx.prepare(&format!(
            "INSERT INTO rollups VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             ON CONFLICT (series_id, every, ts) {conflict}"
        ))?;
        for r in rollups {
            let [min, max, mean, stddev, first, last, twa] = r.stats;
            let n = tx.execute(
                &insert,
                &[
                    &done.real(r.id),
                    &r.every,
                    &r.ts,
                    &r.count,
                    &min,
                    &max,
                    &mean,
                    &stddev,
                    &first,
                    &last,
                    &twa,
                    &r.first_ts,
                    &r.good,
                    &r.bad,
                    &r.extra,
                ],
            )?;
            if n > 0 {
                done.counts.rollups += 1;
            } else {
                done.counts.duplicates += 1;
            }
        }
    }
    Ok(done)
}

/// The usual batch, readings never stored before: copied straight into
/// `readings` under a savepoint, as `\copy` would, with the series locked
/// and their `rollup_pending` marks lowered as the staging way does.
/// `false`, with nothing changed, when the batch must go the staging way:
/// a row is behind its series' retention point, or a key is stored
/// already (the copy ends at the unique violation and the savepoint is
/// rolled back — a replay pays for one row copied, not a batch).
fn copy_new(
    tx: &mut Transaction<'_>,
    rows: &[Row],
    keep: &[usize],
    extra_arena: &str,
    done: &mut Written,
) -> Result<bool> {
    // The first kept row of each series is its earliest (sorted by series, time).
    let mut first: Vec<(i64, Millis)> = Vec::new();
    for &i in keep {
        if first.last().is_none_or(|&(last, _)| last != rows[i].id) {
            first.push((rows[i].id, rows[i].ts));
        }
    }
    let ids: Vec<i64> = first.iter().map(|&(id, _)| done.real(id)).collect();
    let since: Vec<Millis> = first.iter().map(|&(_, ts)| ts).collect();
    let mut locked = ids.clone();
    locked.sort_unstable();
    tx.execute(
        "SELECT 1 FROM series WHERE id = ANY($1) ORDER BY id FOR SHARE",
        &[&locked],
    )?;
    let behind = tx.query_one(
        "SELECT count(*) FROM rollup_retained rr
         JOIN unnest($1::bigint[], $2::bigint[]) AS b (series_id, since)
           ON b.series_id = rr.series_id AND b.since < rr.before",
        &[&ids, &since],
    )?;
    if behind.get::<_, i64>(0) > 0 {
        return Ok(false);
    }
    let mut sp = tx.transaction()?;
    let copied = (|| -> Result<u64, postgres::Error> {
        let sink = sp.copy_in(
            "COPY readings (series_id, ts, value, quality, extra) FROM STDIN (FORMAT binary)",
        )?;
        let mut w = BinaryCopyInWriter::new(
            sink,
            &[Type::INT8, Type::INT8, Type::FLOAT8, Type::INT2, Type::TEXT],
        );
        for &i in keep {
            let r = &rows[i];
            let extra = r.extra.map(|(a, b)| &extra_arena[a as usize..b as usize]);
            w.write(&[&done.real(r.id), &r.ts, &r.value, &r.quality, &extra])?;
        }
        w.finish()
    })();
    let n = match copied {
        Ok(n) => n,
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    sp.commit()?;
    tx.execute(
        "INSERT INTO rollup_pending (series_id, since)
         SELECT * FROM unnest($1::bigint[], $2::bigint[])
         ON CONFLICT (series_id) DO UPDATE SET since = least(rollup_pending.since, excluded.since)",
        &[&ids, &since],
    )?;
    done.counts.stored += n;
    Ok(true)
}

/// The readings: sorted by series and time, one row per key (the first
/// with ignore, the last with replace; the others are duplicates), copied
/// into the staging table, then inserted with the rollup marks.
fn write_readings(
    tx: &mut Transaction<'_>,
    on_conflict: OnConflict,
    rows: &mut [Row],
    extra_arena: &str,
    done: &mut Written,
) -> Result<()> {
    // Stable: with --on-conflict replace the last of two equal keys wins.
    rows.sort_by_key(|r| (r.id, r.ts));
    let mut keep: Vec<usize> = Vec::with_capacity(rows.len());
    for i in 0..rows.len() {
        let same_as_next = rows
            .get(i + 1)
            .is_some_and(|n| (n.id, n.ts) == (rows[i].id, rows[i].ts));
        let same_as_prev = i > 0 && (rows[i - 1].id, rows[i - 1].ts) == (rows[i].id, rows[i].ts);
        let wanted = match on_conflict {
            OnConflict::Ignore => !same_as_prev,
            OnConflict::Replace => !same_as_next,
        };
        if wanted {
            keep.push(i);
        } else {
            done.counts.duplicates += 1;
        }
    }
    if copy_new(tx, rows, &keep, extra_arena, done)? {
        return Ok(());
    }
    {
        let sink = tx.copy_in(
            "COPY iiot_stage (idx, series_id, ts, value, quality, extra) FROM STDIN (FORMAT binary)",
        )?;
        let mut w = BinaryCopyInWriter::new(
            sink,
            &[
                Type::INT4,
                Type::INT8,
                Type::INT8,
                Type::FLOAT8,
                Type::INT2,
                Type::TEXT,
            ],
        );
        for &i in &keep {
            let r = &rows[i];
            let extra = r.extra.map(|(a, b)| &extra_arena[a as usize..b as usize]);
            w.write(&[
                &(i as i32),
                &done.real(r.id),
                &r.ts,
                &r.value,
                &r.quality,
                &extra,
            ])?;
        }
        w.finish()?;
    }
    // A share lock on the batch's series: a retention or rollup run
    // (which locks a series for update) waits for this batch, or this
    // batch for it, so neither acts on marks the other is changing.
    tx.execute(
        "SELECT 1 FROM series WHERE id IN (SELECT DISTINCT series_id FROM iiot_stage)
         ORDER BY id FOR SHARE",
        &[],
    )?;
    for row in tx.query(
        "SELECT s.idx, rr.before FROM iiot_stage s
         JOIN rollup_retained rr ON rr.series_id = s.series_id AND s.ts < rr.before",
        &[],
    )? {
        let idx: i32 = row.get(0);
        done.refused.push((idx as usize, row.get(1)));
    }
    let conflict = match on_conflict {
        OnConflict::Ignore => "DO NOTHING",
        OnConflict::Replace => {
            "DO UPDATE SET value = excluded.value, quality = excluded.quality, extra = excluded.extra
             WHERE (readings.value, readings.quality, readings.extra)
                   IS DISTINCT FROM (excluded.value, excluded.quality, excluded.extra)"
        }
    };
    let row = tx.query_one(
        &format!(
            "WITH ins AS (
               INSERT INTO readings (series_id, ts, value, quality, extra)
               SELECT s.series_id, s.ts, s.value, s.quality, s.extra FROM iiot_stage s
               WHERE NOT EXISTS (SELECT 1 FROM rollup_retained rr
                                 WHERE rr.series_id = s.series_id AND s.ts < rr.before)
               ORDER BY s.series_id, s.ts
               ON CONFLICT (series_id, ts) {conflict}
               RETURNING series_id, ts, (xmax = 0) AS new
             ), marks AS (
               INSERT INTO rollup_pending (series_id, since)
               SELECT series_id, min(ts) FROM ins GROUP BY series_id
               ON CONFLICT (series_id) DO UPDATE SET since = least(rollup_pending.since, excluded.since)
             )
             SELECT count(*) FILTER (WHERE new), count(*) FILTER (WHERE NOT new) FROM ins"
        ),
        &[],
    )?;
    let (stored, replaced): (i64, i64) = (row.get(0), row.get(1));
    done.counts.stored += stored as u64;
    done.counts.replaced += replaced as u64;
    let written = stored as u64 + replaced as u64 + done.refused.len() as u64;
    done.counts.duplicates += (keep.len() as u64).saturating_sub(written);
    Ok(())
}
