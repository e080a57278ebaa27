//! The listener and what every request goes through before its endpoint:
//! one hyper HTTP/1.1 connection per client, at most `max_connections` at
//! once; a client must send its request head within the slow-client time;
//! each client address has a bucket of `rate` requests a second (429 with
//! Retry-After past it); bodies above `max_body` are refused (413); CORS
//! headers only for the origin `--cors` names. Errors are JSON:
//! `{"status":400,"error":"bad_parameter","parameter":"from","message":…}`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use tower::ServiceExt;

use super::Config;
use super::ingest::Ingest;
use super::sources::Source;

/// What every handler shares.
pub(crate) struct App {
    pub sources: Vec<Source>,
    pub model: Option<crate::model::Model>,
    pub registry: Option<crate::assets::Registry>,
    pub ingest: Option<Ingest>,
    pub token: Option<String>,
    pub max_body: usize,
    pub slow: Duration,
    pub started: Instant,
}

pub(crate) type Shared = Arc<App>;

/// An error answer.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub error: &'static str,
    pub parameter: Option<String>,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            error,
            parameter: None,
            message: message.into(),
            retry_after: None,
        }
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    pub(crate) fn from_anyhow(e: &anyhow::Error) -> Self {
        ApiError::internal(format!("{e:#}"))
    }
}

impl From<super::params::BadParam> for ApiError {
    fn from(b: super::params::BadParam) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            error: "bad_parameter",
            parameter: Some(b.param),
            message: b.message,
            retry_after: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({
            "status": self.status.as_u16(),
            "error": self.error,
            "message": self.message,
        });
        if let Some(p) = &self.parameter {
            body["parameter"] = p.clone().into();
        }
        let mut resp = json_response(self.status, &body);
        if let Some(s) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}

/// A JSON answer.
pub(crate) fn json_response(status: StatusCode, v: &serde_json::Value) -> Response {
    let mut text = v.to_string();
    text.push('\n');
    let mut resp = Response::new(Body::from(text));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn static_file(ctype: &'static str, body: &'static str) -> Response {
    let mut resp = Response::new(Body::from(body));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    resp
}

/// The routes.
fn router(app: Shared, max_body: usize) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async {
                static_file(
                    "text/html; charset=utf-8",
                    include_str!("assets/index.html"),
                )
            }),
        )
        .route(
            "/app.js",
            get(|| async {
                static_file(
                    "text/javascript; charset=utf-8",
                    include_str!("assets/app.js"),
                )
            }),
        )
        .route(
            "/openapi.json",
            get(|| async { static_file("application/json", include_str!("assets/openapi.json")) }),
        )
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/series", get(super::api::series))
        .route("/readings", get(super::api::readings))
        .route("/latest", get(super::api::latest))
        .route("/rollups", get(super::api::rollups))
        .route("/alarms", get(super::api::alarms))
        .route("/alarms/active", get(super::api::active_alarms))
        .route("/health", get(super::api::health))
        .route("/ingest", post(super::ingest::one))
        .route("/ingest/batch", post(super::ingest::batch))
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint; see /openapi.json",
            )
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take that method; see /openapi.json",
            )
        })
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(app)
}

/// A token bucket per client address.
struct RateLimit {
    rate: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimit {
    /// Whether `ip` may make one more request now.
    fn admit(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let Ok(mut b) = self.buckets.lock() else {
            return true;
        };
        if b.len() > 10_000 {
            // Forget clients that have been quiet long enough to be full.
            b.retain(|_, (_, t)| now.duration_since(*t) < Duration::from_secs(2));
        }
        let (tokens, last) = b.entry(ip).or_insert((self.rate, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.rate).min(self.rate);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Adds the CORS headers for `origin` when the request came from it.
fn cors_headers(allowed: &str, req_headers: &HeaderMap, resp: &mut Response) {
    let origin = req_headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok());
    let Some(origin) = origin else { return };
    if allowed != "*" && allowed != origin {
        return;
    }
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(if allowed == "*" { "*" } else { origin }) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type, Accept"),
    );
}

/// Serves until `--for` runs out (or for ever).
pub fn run(cfg: Config) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let sources = cfg
        .sources
        .iter()
        .map(|p| Source::open(p))
        .collect::<Result<Vec<_>>>()?;
    rt.block_on(serve(cfg, sources))
}

async fn serve(cfg: Config, sources: Vec<Source>) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| format!("listening on {}", cfg.listen))?;
    let bound = listener.local_addr()?;
    let ingest = if cfg.ingest {
        Some(Ingest::start(cfg.ingest_buffer, cfg.quiet))
    } else {
        None
    };
    let app = Arc::new(App {
        sources,
        model: cfg.model.clone(),
        registry: cfg.registry.clone(),
        ingest,
        token: cfg.token.clone(),
        max_body: cfg.max_body,
        slow: cfg.slow,
        started: Instant::now(),
    });
    if let Some(f) = &cfg.addr_file {
        std::fs::write(f, format!("{bound}\n"))
            .with_context(|| format!("writing {}", f.display()))?;
    }
    if !cfg.quiet {
        eprintln!(
            "iiot serve: listening on http://{bound}/ ({} source{}{}{})",
            app.sources.len(),
            if app.sources.len() == 1 { "" } else { "s" },
            if cfg.ingest {
                ", ingest on"
            } else {
                ", read-only"
            },
            if cfg.token.is_some() {
                ", token required for ingest"
            } else {
                ""
            },
        );
    }
    let router = router(Arc::clone(&app), cfg.max_body);
    let limit = Arc::new(RateLimit {
        rate: f64::from(cfg.rate),
        buckets: Mutex::new(HashMap::new()),
    });
    let conns = Arc::new(tokio::sync::Semaphore::new(cfg.max_connections));
    let cors: Option<Arc<str>> = cfg.cors.as_deref().map(Arc::from);
    // SIGTERM or SIGINT stops serving as --for running out does: ingest
    // writes what it took before the process ends (a second one ends it
    // at once).
    let term = Arc::new(std::sync::atomic::AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(sig, 1, Arc::clone(&term))
            .and_then(|_| signal_hook::flag::register(sig, Arc::clone(&term)))
            .context("handling SIGTERM")?;
    }
    let deadline = cfg.serve_for.map(|d| tokio::time::Instant::now() + d);
    let stop = async move {
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        loop {
            tick.tick().await;
            if term.load(std::sync::atomic::Ordering::SeqCst)
                || deadline.is_some_and(|d| tokio::time::Instant::now() >= d)
            {
                break;
            }
        }
    };
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&conns).acquire_owned() => p?,
            () = &mut stop => break,
        };
        let (stream, peer) = tokio::select! {
            a = listener.accept() => match a {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors and the like: wait, do not spin.
                    if cfg.verbose {
                        eprintln!("iiot serve: accept: {e}");
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let (router, limit, cors) = (router.clone(), Arc::clone(&limit), cors.clone());
        let slow = cfg.slow;
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let (router, limit, cors) = (router.clone(), Arc::clone(&limit), cors.clone());
                async move {
                    Ok::<_, std::convert::Infallible>(handle(req, peer, router, &limit, cors).await)
                }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(slow)
                .serve_connection(TokioIo::new(stream), svc);
            let _ = conn.await;
            drop(permit);
        });
    }
    if !cfg.quiet {
        eprintln!("iiot serve: stopped after {:?}", app.started.elapsed());
    }
    if let Some(ingest) = &app.ingest {
        ingest.close();
    }
    Ok(())
}

async fn handle(
    req: Request<hyper::body::Incoming>,
    peer: SocketAddr,
    router: Router,
    limit: &RateLimit,
    cors: Option<Arc<str>>,
) -> Response {
    if !limit.admit(peer.ip()) {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests from this address; slow down",
        );
        e.retry_after = Some(1);
        return e.into_response();
    }
    let headers = cors.as_ref().map(|_| req.headers().clone());
    let mut resp = if cors.is_some() && req.method() == Method::OPTIONS {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NO_CONTENT;
        r
    } else {
        let req = req.map(Body::new);
        match router.oneshot(req).await {
            Ok(r) => r,
            Err(never) => match never {},
        }
    };
    if let (Some(allowed), Some(h)) = (cors, headers) {
        cors_headers(&allowed, &h, &mut resp);
    }
    resp
}
