//! A recording proxy in front of the mock: the first time it sees a request
//! (method, path, query and body) it forwards it to the mock and keeps the
//! answer; after that it replays the answer from memory, after the injected
//! latency (kept to within a fraction of a millisecond: see `wait`). It takes
//! the mock's own page-building cost out of the end-to-end figures, so they
//! measure the client (the services themselves answer in the injected
//! latency, not in "latency + our mock's CPU time").

#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Stored {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

struct Inner {
    upstream: String,
    own_uri: String,
    latency: Duration,
    http: reqwest::Client,
    cache: Mutex<HashMap<Vec<u8>, Arc<Stored>>>,
    misses: AtomicUsize,
    served: AtomicUsize,
}

/// A running replay proxy.
pub struct Replay {
    uri: String,
    inner: Arc<Inner>,
}

impl Replay {
    /// Starts a proxy for `upstream` on a free loopback port, answering after `latency`.
    pub async fn start(upstream: String, latency: Duration) -> std::io::Result<Replay> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let uri = format!("http://{}", listener.local_addr()?);
        let inner = Arc::new(Inner {
            upstream,
            own_uri: uri.clone(),
            latency,
            http: reqwest::Client::new(),
            cache: Mutex::new(HashMap::new()),
            misses: AtomicUsize::new(0),
            served: AtomicUsize::new(0),
        });
        let app = Router::new().fallback(handle).with_state(inner.clone());
        // As the mock does: no Nagle wait between the pieces of a response.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Replay { uri, inner })
    }

    /// The base URL.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Requests forwarded to the mock so far (the others were replayed).
    pub fn misses(&self) -> usize {
        self.inner.misses.load(Ordering::Relaxed)
    }

    /// Requests answered so far, replayed or forwarded.
    pub fn served(&self) -> usize {
        self.inner.served.load(Ordering::Relaxed)
    }
}

const HOP_BY_HOP: [&str; 5] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
];

fn skip(name: &HeaderName) -> bool {
    HOP_BY_HOP.contains(&name.as_str())
}

async fn handle(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    inner.served.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 64 << 20).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let mut key = format!("{} {target}\n", parts.method).into_bytes();
    key.extend_from_slice(&body);
    if !inner.latency.is_zero() {
        wait(inner.latency).await;
    }
    let cached = inner.cache.lock().ok().and_then(|c| c.get(&key).cloned());
    let stored = match cached {
        Some(s) => s,
        None => {
            inner.misses.fetch_add(1, Ordering::Relaxed);
            let method = match reqwest::Method::from_bytes(parts.method.as_str().as_bytes()) {
                Ok(m) => m,
                Err(_) => return StatusCode::METHOD_NOT_ALLOWED.into_response(),
            };
            let mut fwd = inner
                .http
                .request(method, format!("{}{target}", inner.upstream))
                .body(body);
            for (k, v) in &parts.headers {
                if !skip(k) {
                    fwd = fwd.header(k.as_str(), v.as_bytes());
                }
            }
            let Ok(resp) = fwd.send().await else {
                return StatusCode::BAD_GATEWAY.into_response();
            };
            let status = StatusCode::from_u16(resp.status().as_u16())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut headers = HeaderMap::new();
            for (k, v) in resp.headers() {
                if let (Ok(k), Ok(v)) = (
                    HeaderName::from_bytes(k.as_str().as_bytes()),
                    axum::http::HeaderValue::from_bytes(v.as_bytes()),
                ) && !skip(&k)
                {
                    headers.append(k, v);
                }
            }
            let Ok(body) = resp.bytes().await else {
                return StatusCode::BAD_GATEWAY.into_response();
            };
            // Login answers name the server to talk to next: point them here.
            let body = rewrite(body, inner.upstream.as_bytes(), inner.own_uri.as_bytes());
            let stored = Arc::new(Stored {
                status,
                headers,
                body,
            });
            if let Ok(mut c) = inner.cache.lock() {
                c.insert(key, stored.clone());
            }
            stored
        }
    };
    let mut resp = Response::new(Body::from(stored.body.clone()));
    *resp.status_mut() = stored.status;
    *resp.headers_mut() = stored.headers.clone();
    resp
}

/// Waits `d`. tokio's timer counts whole milliseconds and rounds a sleep up
/// to its next tick (a 20 ms sleep took 21.1 ms on average here: 5% on every
/// page before the client does anything), so the wait is an OS sleep on a
/// blocking-pool thread (20.1–20.2 ms here, the hand-back included).
/// `E2E_TOKIO_SLEEP=1` uses tokio's timer, as before.
async fn wait(d: Duration) {
    if std::env::var_os("E2E_TOKIO_SLEEP").is_some() {
        tokio::time::sleep(d).await;
    } else {
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(d)).await;
    }
}

/// `body` with every `from` replaced by `to` (copied only when `from` occurs).
fn rewrite(body: Bytes, from: &[u8], to: &[u8]) -> Bytes {
    if from.is_empty() || !body.windows(from.len()).any(|w| w == from) {
        return body;
    }
    let mut out = Vec::with_capacity(body.len());
    let mut rest = &body[..];
    while let Some(i) = rest.windows(from.len()).position(|w| w == from) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(to);
        rest = &rest[i + from.len()..];
    }
    out.extend_from_slice(rest);
    Bytes::from(out)
}
