//! The embedded, protocol-faithful mock server (feature `mock`): every backend on
//! one loopback port, over a shared deterministic data set, with server-side cursor
//! expiry on the shared [`Clock`], sessions, fault injection and
//! latency. It backs the CLI's default run, this crate's tests and benchmarks, and
//! users' own tests.
//!
//! | backend | path |
//! |---|---|
//! | Zuora SOAP | `POST /apps/services/a/78.0` |
//! | Zuora REST actions | `POST /v1/action/query`, `/v1/action/queryMore`, `/oauth/token` |
//! | Salesforce REST | `GET /services/data/vXX.X/query`, `/queryAll`, `/query/{locator}` |
//! | Salesforce Bulk 2.0 | `/services/data/vXX.X/jobs/query...` |
//! | Salesforce SOAP partner | `POST /services/Soap/u/58.0` |
//!
//! ```no_run
//! # async fn f() {
//! let mock = querymore::mock::MockServer::start().await;
//! println!("Zuora SOAP endpoint: {}", mock.zuora_soap_endpoint());
//! # }
//! ```

pub mod cursors;
pub mod dataset;
pub mod faults;
mod http;
pub mod select;
mod state;

mod salesforce_bulk;
mod salesforce_rest;
mod salesforce_soap;
mod soap;
mod zuora_rest;
mod zuora_soap;

pub use dataset::{Dataset, Table};
pub use faults::{FaultMix, FaultQueue, MockFault};
pub use salesforce_bulk::{BulkJobs, JobOutcome};
pub use state::{LatencyConfig, MockCredentials, MockState, ReceivedRequest, SoapCall};

use crate::{BackendKind, Clock, SharedClock};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use chrono::TimeDelta;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::oneshot;

/// The Zuora SOAP path the mock serves.
pub const ZUORA_SOAP_PATH: &str = "/apps/services/a/78.0";
/// The Salesforce SOAP partner path the mock serves.
pub const SALESFORCE_SOAP_PATH: &str = "/services/Soap/u/58.0";

/// A protocol-level fault handed by the middleware to a backend handler
/// (read it with `Option<Extension<InjectedFault>>`).
#[derive(Debug, Clone)]
pub struct InjectedFault(pub MockFault);

/// The extractor backend handlers take for an injected protocol fault.
pub(crate) type Injected = Option<axum::Extension<InjectedFault>>;

/// The fault an [`Injected`] extension holds, if any.
pub(crate) fn injected(fault: &Injected) -> Option<&MockFault> {
    fault.as_ref().map(|axum::Extension(InjectedFault(f))| f)
}

/// The axum router serving every backend over `state` (drive it in-process with
/// `tower::ServiceExt::oneshot`, or serve it with [`MockServer`]).
pub fn router(state: MockState) -> Router {
    router_for(state, &BackendKind::ALL)
}

/// The router serving only the given backends (the others answer 404).
pub fn router_for(state: MockState, backends: &[BackendKind]) -> Router {
    let mut app = Router::new();
    for kind in backends {
        app = match kind {
            BackendKind::ZuoraSoap => app.merge(zuora_soap::routes()),
            BackendKind::ZuoraRest => app.merge(zuora_rest::routes()),
            BackendKind::SalesforceRest => app.merge(salesforce_rest::routes()),
            BackendKind::SalesforceSoap => app.merge(salesforce_soap::routes()),
            BackendKind::SalesforceBulk => app.merge(salesforce_bulk::routes()),
            _ => app,
        };
    }
    app.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        intercept,
    ))
    .with_state(state)
}

/// Which backend a request path belongs to.
pub fn backend_for_path(path: &str) -> Option<BackendKind> {
    if path.starts_with("/apps/services/") {
        Some(BackendKind::ZuoraSoap)
    } else if path.starts_with("/v1/") || path.starts_with("/oauth/") {
        Some(BackendKind::ZuoraRest)
    } else if path.starts_with("/services/Soap/") {
        Some(BackendKind::SalesforceSoap)
    } else if path.starts_with("/services/data/") && path.contains("/jobs/") {
        Some(BackendKind::SalesforceBulk)
    } else if path.starts_with("/services/") {
        Some(BackendKind::SalesforceRest)
    } else {
        None
    }
}

/// Records the request, applies latency, and injects the next queued fault.
async fn intercept(State(state): State<MockState>, req: Request, next: Next) -> Response {
    let _in_flight = state.enter();
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, 64 * 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response(),
    };
    let backend = backend_for_path(parts.uri.path());
    state.log_request(ReceivedRequest {
        backend,
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.clone(),
    });
    let latency = state.latency().per_call;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let fault = state.faults().next(backend, || {
        carries_preset_credential(&state, &parts.headers, &body)
    });
    let mut req = Request::from_parts(parts, Body::from(body));
    match fault {
        None => next.run(req).await,
        Some(f) if f.is_protocol_level() => {
            req.extensions_mut().insert(InjectedFault(f));
            next.run(req).await
        }
        Some(MockFault::Status(code)) => status_response(code, None),
        Some(MockFault::RetryAfter { status, secs }) => status_response(status, Some(secs)),
        Some(MockFault::Html) => (
            StatusCode::OK,
            [("content-type", "text/html; charset=utf-8")],
            "<!DOCTYPE html><html><head><title>Login</title></head><body>Please log in</body></html>",
        )
            .into_response(),
        Some(MockFault::Reset) => cut_body(next.run(req).await, false).await,
        Some(MockFault::TruncatedBody) => cut_body(next.run(req).await, true).await,
        Some(MockFault::SlowBody(delay)) => {
            let resp = next.run(req).await;
            tokio::time::sleep(delay).await;
            resp
        }
        Some(MockFault::PausedBody { after, pause }) => {
            paused_body(next.run(req).await, after, pause).await
        }
        Some(other) => status_response(500, None).map(|b| {
            tracing::warn!(?other, "unhandled mock fault");
            b
        }),
    }
}

/// True when the request carries one of the mock's preset credentials (the
/// session id or access token valid from the start), as a bearer token or in
/// a SOAP body.
fn carries_preset_credential(state: &MockState, headers: &HeaderMap, body: &[u8]) -> bool {
    let c = state.credentials();
    let presets = [c.session_id.as_bytes(), c.access_token.as_bytes()];
    let in_body = |p: &[u8]| !p.is_empty() && body.windows(p.len()).any(|w| w == p);
    http::bearer(headers).is_some_and(|t| presets.contains(&t.as_bytes()))
        || presets.into_iter().any(in_body)
}

fn status_response(code: u16, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (
        status,
        [("content-type", "text/plain")],
        status.canonical_reason().unwrap_or("error"),
    )
        .into_response();
    if let Some(secs) = retry_after
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        resp.headers_mut().insert("retry-after", v);
    }
    resp
}

/// Sends half of the body (or none, for a reset) and then fails the stream, so
/// the client sees the connection drop mid-response.
async fn cut_body(resp: Response, keep_half: bool) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let keep = if keep_half {
        bytes.slice(..bytes.len() / 2)
    } else {
        bytes::Bytes::new()
    };
    parts.headers.remove("content-length");
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = vec![
        Ok(keep),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected fault",
        )),
    ];
    Response::from_parts(parts, Body::from_stream(futures_util::stream::iter(chunks)))
}

/// Sends the first `after` bytes of the body, then the rest after `pause`.
async fn paused_body(resp: Response, after: usize, pause: std::time::Duration) -> Response {
    use futures_util::StreamExt;
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    if bytes.len() <= after {
        return Response::from_parts(parts, Body::from(bytes));
    }
    parts.headers.remove("content-length");
    let head = bytes.slice(..after);
    let tail = bytes.slice(after..);
    let rest = futures_util::stream::once(async move {
        tokio::time::sleep(pause).await;
        Ok::<_, std::io::Error>(tail)
    });
    let chunks = futures_util::stream::iter([Ok(head)]).chain(rest);
    Response::from_parts(parts, Body::from_stream(chunks))
}

/// `listener`, with Nagle's algorithm off on every connection it accepts.
/// Bodies built as they are sent (Bulk CSV, paused or cut bodies) go out in
/// pieces; with Nagle on, a piece sent while an earlier one is unacknowledged
/// waits for the client's delayed ACK (a 0.8 MB page sent in 16 KB pieces
/// took 2.6 ms longer over loopback). Services answer without that wait, so
/// the mock does too.
fn without_nagle(
    listener: tokio::net::TcpListener,
) -> impl axum::serve::Listener<Io = tokio::net::TcpStream, Addr = SocketAddr> {
    listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "mock could not set TCP_NODELAY");
        }
    })
}

/// Settings for a [`MockServer`].
#[must_use]
pub struct MockBuilder {
    dataset: Dataset,
    clock: SharedClock,
    credentials: MockCredentials,
    latency: LatencyConfig,
    idle_limit: Option<TimeDelta>,
    open_cursor_limit: Option<usize>,
    record_requests: bool,
    port: u16,
    backends: Vec<BackendKind>,
}

impl Default for MockBuilder {
    fn default() -> Self {
        MockBuilder {
            dataset: Dataset::sample(1000),
            clock: SharedClock::system(),
            credentials: MockCredentials::default(),
            latency: LatencyConfig::default(),
            idle_limit: Some(TimeDelta::minutes(15)),
            open_cursor_limit: None,
            record_requests: true,
            port: 0,
            backends: BackendKind::ALL.to_vec(),
        }
    }
}

impl MockBuilder {
    /// The data set (default: [`Dataset::sample`] with 1,000 rows per table).
    pub fn dataset(mut self, dataset: Dataset) -> Self {
        self.dataset = dataset;
        self
    }

    /// The clock for cursor expiry (share it with the client in tests).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = SharedClock::new(clock);
        self
    }

    /// The credentials accepted.
    pub fn credentials(mut self, credentials: MockCredentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// Injected latency.
    pub fn latency(mut self, latency: LatencyConfig) -> Self {
        self.latency = latency;
        self
    }

    /// How long an idle cursor lives (default 15 minutes; `None`: forever).
    pub fn idle_limit(mut self, limit: Option<TimeDelta>) -> Self {
        self.idle_limit = limit;
        self
    }

    /// The most open cursors per session; opening one more evicts the oldest.
    pub fn open_cursor_limit(mut self, limit: Option<usize>) -> Self {
        self.open_cursor_limit = limit;
        self
    }

    /// Keep a log of received requests (default on; turn off for long benchmarks).
    pub fn record_requests(mut self, on: bool) -> Self {
        self.record_requests = on;
        self
    }

    /// Serve only these backends (default: all); the others answer 404.
    pub fn backends(mut self, backends: &[BackendKind]) -> Self {
        self.backends = backends.to_vec();
        self
    }

    /// The port on 127.0.0.1 (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The state, without serving it.
    pub fn into_state(self) -> MockState {
        MockState::new(
            self.clock,
            self.dataset,
            self.credentials,
            self.latency,
            self.idle_limit,
            self.open_cursor_limit,
            self.record_requests,
        )
    }

    /// Binds 127.0.0.1 and serves in the background.
    pub async fn start(self) -> std::io::Result<MockServer> {
        let port = self.port;
        let backends = self.backends.clone();
        let state = self.into_state();
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let app = router_for(state.clone(), &backends);
        let listener = without_nagle(listener);
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "mock server stopped");
            }
        });
        Ok(MockServer {
            addr,
            state,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

/// A running mock server on 127.0.0.1. Stops when dropped.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    state: MockState,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl MockServer {
    /// Starts a mock with the default settings on a free port.
    ///
    /// # Panics
    /// When no loopback port can be bound; use [`MockBuilder::start`] to handle that.
    pub async fn start() -> MockServer {
        match MockServer::builder().start().await {
            Ok(m) => m,
            Err(e) => panic!("cannot bind a loopback port for the mock server: {e}"),
        }
    }

    /// A builder for data set, clock, latency and limits.
    pub fn builder() -> MockBuilder {
        MockBuilder::default()
    }

    /// The base URL, e.g. `http://127.0.0.1:41234` (also the Salesforce instance URL
    /// and the Zuora REST base URL).
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// The Zuora SOAP endpoint.
    pub fn zuora_soap_endpoint(&self) -> String {
        format!("{}{ZUORA_SOAP_PATH}", self.uri())
    }

    /// The Salesforce SOAP partner endpoint.
    pub fn salesforce_soap_endpoint(&self) -> String {
        format!("{}{SALESFORCE_SOAP_PATH}", self.uri())
    }

    /// The shared state (clock, data set, sessions, cursors).
    pub fn state(&self) -> &MockState {
        &self.state
    }

    /// The accepted credentials.
    pub fn credentials(&self) -> &MockCredentials {
        self.state.credentials()
    }

    /// The fault queue.
    pub fn faults(&self) -> &FaultQueue {
        self.state.faults()
    }

    /// Every request received so far.
    pub fn received_requests(&self) -> Vec<ReceivedRequest> {
        self.state.received_requests()
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::serve::Listener;

    #[tokio::test]
    async fn accepted_connections_send_without_nagle() {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let mut listener = without_nagle(listener);
        let _client = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (io, _) = listener.accept().await;
        assert!(io.nodelay().expect("TCP_NODELAY"));
    }
}
