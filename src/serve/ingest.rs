//! `POST /ingest` (one record) and `POST /ingest/batch` (NDJSON, or a JSON
//! array of records): every record is checked by the record codec (and an
//! alarm event by its decoder); the good ones are written to stdout as
//! NDJSON by one writer thread, so `iiot serve --ingest … | iiot store
//! plant.db` composes. The records waiting for stdout are bounded in bytes:
//! a request whose records do not fit is answered 503 with Retry-After and
//! none of them is taken, so a slow consumer slows the clients instead of
//! growing memory. A request's records are written together, in order.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::http::{ApiError, Shared, json_response};
use crate::record::alarm::AlarmEvent;
use crate::record::{Format, Reading, RecordEncoder, RecordParser};

/// The queue to stdout and its counters.
pub(crate) struct Ingest {
    tx: Mutex<Option<mpsc::Sender<Vec<u8>>>>,
    queued: Arc<AtomicUsize>,
    capacity: usize,
    closed: Arc<AtomicBool>,
    accepted: AtomicU64,
    rejected: AtomicU64,
    busy: AtomicU64,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Ingest {
    /// Starts the stdout writer; `capacity` bytes may wait for it.
    pub(crate) fn start(capacity: usize, quiet: bool) -> Ingest {
        let (tx, rx) = mpsc::channel::<Vec<u8>>();
        let queued = Arc::new(AtomicUsize::new(0));
        let closed = Arc::new(AtomicBool::new(false));
        let writer = {
            let (queued, closed) = (Arc::clone(&queued), Arc::clone(&closed));
            std::thread::spawn(move || {
                let stdout = std::io::stdout();
                let mut out = stdout.lock();
                for chunk in rx {
                    let n = chunk.len();
                    let r = out.write_all(&chunk).and_then(|()| out.flush());
                    queued.fetch_sub(n, Ordering::SeqCst);
                    if let Err(e) = r {
                        if e.kind() != std::io::ErrorKind::BrokenPipe && !quiet {
                            eprintln!("iiot serve: writing stdout: {e}");
                        }
                        closed.store(true, Ordering::SeqCst);
                        break;
                    }
                }
            })
        };
        Ingest {
            tx: Mutex::new(Some(tx)),
            queued,
            capacity,
            closed,
            accepted: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            busy: AtomicU64::new(0),
            writer: Mutex::new(Some(writer)),
        }
    }

    /// Takes `bytes` for stdout if they fit in the queue.
    fn offer(&self, bytes: Vec<u8>) -> Result<(), ApiError> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "stdout_closed",
                "the consumer of serve's stdout has gone; nothing more can be taken",
            ));
        }
        let n = bytes.len();
        let fits = self
            .queued
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |q| {
                (q == 0 || q + n <= self.capacity).then_some(q + n)
            })
            .is_ok();
        if !fits {
            self.busy.fetch_add(1, Ordering::Relaxed);
            let mut e = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the records waiting for stdout fill the ingest buffer; retry later",
            );
            e.retry_after = Some(1);
            return Err(e);
        }
        let sent = self
            .tx
            .lock()
            .ok()
            .and_then(|tx| tx.as_ref().map(|tx| tx.send(bytes).is_ok()));
        if sent != Some(true) {
            self.queued.fetch_sub(n, Ordering::SeqCst);
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "stdout_closed",
                "serve's stdout writer has stopped",
            ));
        }
        Ok(())
    }

    /// The counters, for `/health`.
    pub(crate) fn stats(&self) -> serde_json::Value {
        json!({
            "accepted": self.accepted.load(Ordering::Relaxed),
            "rejected": self.rejected.load(Ordering::Relaxed),
            "busy_answers": self.busy.load(Ordering::Relaxed),
            "queued_bytes": self.queued.load(Ordering::SeqCst),
            "buffer_bytes": self.capacity,
            "stdout_open": !self.closed.load(Ordering::SeqCst),
        })
    }

    /// Stops taking records and waits for the writer to write what it has.
    pub(crate) fn close(&self) {
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        if let Some(w) = self.writer.lock().ok().and_then(|mut w| w.take()) {
            let _ = w.join();
        }
    }
}

/// Checks the request may ingest: ingest is on, and the bearer token
/// matches when one is required.
fn admit<'a>(app: &'a Shared, headers: &HeaderMap) -> Result<&'a Ingest, ApiError> {
    let Some(ingest) = &app.ingest else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "ingest_off",
            "ingest is off: start serve with --ingest",
        ));
    };
    if let Some(token) = &app.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if !given.is_some_and(|g| same(g.as_bytes(), token.as_bytes())) {
            let mut e = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "ingest needs the header Authorization: Bearer <token of --token-file>",
            );
            e.retry_after = None;
            return Err(e);
        }
    }
    Ok(ingest)
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks and encodes records; the bad ones with their index and reason.
struct Batch {
    parser: RecordParser,
    encoder: RecordEncoder,
    reading: Reading,
    out: Vec<u8>,
    accepted: u64,
    rejected: Vec<serde_json::Value>,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            parser: RecordParser::new(),
            encoder: RecordEncoder::new(Format::Ndjson),
            reading: Reading::default(),
            out: Vec::new(),
            accepted: 0,
            rejected: Vec::new(),
        }
    }

    fn add(&mut self, index: usize, line: Option<usize>, raw: &[u8]) {
        let checked = self.parser.parse(raw, &mut self.reading).and_then(|()| {
            if self.reading.is_event() {
                AlarmEvent::from_reading(&self.reading).map(|_| ())
            } else {
                Ok(())
            }
        });
        match checked {
            Ok(()) => {
                self.encoder.encode(&self.reading.as_ref(), &mut self.out);
                self.accepted += 1;
            }
            Err(e) => {
                let mut v = json!({"index": index, "reason": e.message});
                if let Some(f) = e.field {
                    v["field"] = f.into();
                }
                if let Some(l) = line {
                    v["line"] = l.into();
                }
                self.rejected.push(v);
            }
        }
    }

    /// Queues the good records (all or none) and answers: 200 when every
    /// record was taken, 422 when some were not (the others were taken),
    /// 503 when the queue is full (none was).
    fn finish(self, ingest: &Ingest) -> Response {
        let n_bad = self.rejected.len() as u64;
        if !self.out.is_empty()
            && let Err(e) = ingest.offer(self.out)
        {
            return e.into_response();
        }
        ingest.accepted.fetch_add(self.accepted, Ordering::Relaxed);
        ingest.rejected.fetch_add(n_bad, Ordering::Relaxed);
        let status = if n_bad == 0 {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let mut body = json!({"accepted": self.accepted, "rejected": self.rejected});
        if n_bad > 0 {
            body["status"] = status.as_u16().into();
            body["error"] = "bad_records".into();
            body["message"] = format!(
                "{n_bad} record{} rejected (listed with their index); the others were accepted",
                if n_bad == 1 { "" } else { "s" }
            )
            .into();
        }
        json_response(status, &body)
    }
}

/// Reads the whole body: at most `--max-body` bytes (413 past it), within
/// the slow-client time (408 past it).
async fn read_body(app: &Shared, body: Body) -> Result<Bytes, ApiError> {
    match tokio::time::timeout(app.slow, axum::body::to_bytes(body, app.max_body)).await {
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "slow_client",
            format!("the body took longer than {:?} to arrive", app.slow),
        )),
        Ok(Err(e)) => {
            // axum names the limit in its message; its error type is not public.
            let too_big = format!("{e:#}").contains("length limit");
            if too_big {
                Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    format!(
                        "the body is larger than {} bytes (--max-body)",
                        app.max_body
                    ),
                ))
            } else {
                Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_body",
                    format!("the body could not be read: {e}"),
                ))
            }
        }
        Ok(Ok(b)) => Ok(b),
    }
}

/// `POST /ingest`: one JSON record.
pub(crate) async fn one(State(app): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    let ingest = match admit(&app, &headers) {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    let body = match read_body(&app, body).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let raw = body.trim_ascii();
    if raw.contains(&b'\n') {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_body",
            "one record per POST /ingest; send several to /ingest/batch",
        )
        .into_response();
    }
    let mut b = Batch::new();
    b.add(0, None, raw);
    b.finish(ingest)
}

/// `POST /ingest/batch`: NDJSON (one record a line; blank lines skipped)
/// or a JSON array of records.
pub(crate) async fn batch(State(app): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    let ingest = match admit(&app, &headers) {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    let body = match read_body(&app, body).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let mut b = Batch::new();
    let text = body.trim_ascii_start();
    if text.first() == Some(&b'[') {
        let items: Vec<&serde_json::value::RawValue> = match serde_json::from_slice(text) {
            Ok(v) => v,
            Err(e) => {
                return ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_body",
                    format!("the body starts with [ but is not a JSON array: {e}"),
                )
                .into_response();
            }
        };
        for (i, item) in items.iter().enumerate() {
            b.add(i, None, item.get().as_bytes());
        }
    } else {
        let mut index = 0;
        for (n, line) in body.split(|&c| c == b'\n').enumerate() {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.trim_ascii().is_empty() {
                continue;
            }
            b.add(index, Some(n + 1), line);
            index += 1;
        }
    }
    if b.accepted == 0 && b.rejected.is_empty() {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_body",
            "the body holds no records",
        )
        .into_response();
    }
    b.finish(ingest)
}
