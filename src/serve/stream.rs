//! Streamed answers: a read runs on a blocking thread and hands the
//! records it finds to an [`Emitter`], which encodes them into chunks of
//! about 32 KiB and sends each through a channel of a few chunks to the
//! response body. A client that reads slowly makes the reader wait (the
//! channel is full), one that stops reading for longer than the slow-client
//! limit ends the answer, one that goes away stops the read. Memory per
//! answer is a few chunks, whatever its length.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::{Result, anyhow};
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body::Frame;
use tokio::sync::mpsc;

use super::http::ApiError;
use crate::record::{Format, ReadingRef, RecordEncoder};

const CHUNK: usize = 32 << 10;
const CHANNEL: usize = 4;

/// How an answer of records is written, from the request's `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// One JSON object per line (`application/x-ndjson`), the default.
    Ndjson,
    /// One JSON array (`application/json`).
    Json,
}

impl Shape {
    /// JSON when `Accept` prefers `application/json` to NDJSON; NDJSON
    /// otherwise (also for `*/*` and no `Accept`).
    pub(crate) fn from_accept(accept: Option<&str>) -> Shape {
        let Some(a) = accept else {
            return Shape::Ndjson;
        };
        let pos = |m: &str| a.find(m);
        match (pos("application/json"), pos("application/x-ndjson")) {
            (Some(j), Some(n)) if j < n => Shape::Json,
            (Some(_), None) => Shape::Json,
            _ => Shape::Ndjson,
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Shape::Ndjson => "application/x-ndjson",
            Shape::Json => "application/json",
        }
    }
}

enum Msg {
    Data(Bytes),
    Fail(String),
}

/// Encodes records into chunks and sends them to the response.
pub(crate) struct Emitter {
    shape: Shape,
    encoder: RecordEncoder,
    buf: Vec<u8>,
    first: bool,
    tx: mpsc::Sender<Msg>,
    rt: tokio::runtime::Handle,
    slow: Duration,
    /// Records written so far.
    pub count: u64,
    /// Most records to write.
    pub limit: u64,
}

impl Emitter {
    /// Writes one record; `Ok(false)` once the limit is reached, `Err`
    /// when the client is gone or too slow.
    pub(crate) fn emit(&mut self, r: &ReadingRef<'_>) -> Result<bool> {
        if self.count >= self.limit {
            return Ok(false);
        }
        match self.shape {
            Shape::Ndjson => self.encoder.encode(r, &mut self.buf),
            Shape::Json => {
                self.buf.push(if self.first { b'[' } else { b',' });
                self.encoder.encode(r, &mut self.buf);
                if self.buf.last() == Some(&b'\n') {
                    self.buf.pop();
                }
            }
        }
        self.first = false;
        self.count += 1;
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(self.count < self.limit)
    }

    fn send(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        let (tx, slow) = (&self.tx, self.slow);
        self.rt
            .block_on(async { tokio::time::timeout(slow, tx.send(Msg::Data(chunk))).await })
            .map_err(|_| anyhow!("the client took no data for {slow:?}"))?
            .map_err(|_| anyhow!("the client went away"))
    }

    fn finish(mut self) -> Result<()> {
        if self.shape == Shape::Json {
            self.buf
                .extend_from_slice(if self.first { b"[]\n" } else { b"]\n" });
        }
        self.send()
    }

    fn fail(self, e: &anyhow::Error) {
        let _ = self.tx.blocking_send(Msg::Fail(format!("{e:#}")));
    }
}

/// Runs `job` on a blocking thread and answers with the records it emits.
/// An error before the first chunk is an error answer; after it, the body
/// ends with the error (the connection is closed mid-answer).
pub(crate) async fn records(
    shape: Shape,
    limit: u64,
    slow: Duration,
    job: impl FnOnce(&mut Emitter) -> Result<()> + Send + 'static,
) -> Response {
    let (tx, mut rx) = mpsc::channel(CHANNEL);
    let rt = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut em = Emitter {
            shape,
            encoder: RecordEncoder::new(Format::Ndjson),
            buf: Vec::with_capacity(CHUNK),
            first: true,
            tx,
            rt,
            slow,
            count: 0,
            limit,
        };
        match job(&mut em) {
            Ok(()) => {
                let _ = em.finish();
            }
            Err(e) => em.fail(&e),
        }
    });
    let first = match rx.recv().await {
        Some(Msg::Data(b)) => Some(b),
        Some(Msg::Fail(e)) => return ApiError::internal(e).into_response(),
        None => None,
    };
    let body = ChannelBody { first, rx };
    let mut resp = Response::new(Body::new(body));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(shape.content_type()),
    );
    resp
}

struct ChannelBody {
    first: Option<Bytes>,
    rx: mpsc::Receiver<Msg>,
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if let Some(b) = self.first.take() {
            return Poll::Ready(Some(Ok(Frame::data(b))));
        }
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(Msg::Data(b))) => Poll::Ready(Some(Ok(Frame::data(b)))),
            Poll::Ready(Some(Msg::Fail(e))) => Poll::Ready(Some(Err(std::io::Error::other(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Shape;

    #[test]
    fn accept_picks_the_shape() {
        assert_eq!(Shape::from_accept(None), Shape::Ndjson);
        assert_eq!(Shape::from_accept(Some("*/*")), Shape::Ndjson);
        assert_eq!(Shape::from_accept(Some("application/json")), Shape::Json);
        assert_eq!(
            Shape::from_accept(Some("application/x-ndjson, application/json")),
            Shape::Ndjson
        );
        assert_eq!(
            Shape::from_accept(Some("application/json, application/x-ndjson;q=0.5")),
            Shape::Json
        );
    }
}
