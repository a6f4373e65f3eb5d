//! `MockState`: what every mock handler shares — clock, data set, credentials and
//! live sessions, open cursors, injected faults, latency and the request log.

use super::cursors::CursorStore;
use super::dataset::Dataset;
use super::faults::{FaultQueue, MockFault};
use crate::{BackendKind, SharedClock};
use bytes::Bytes;
use chrono::TimeDelta;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The credentials the mock accepts (all public test values).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MockCredentials {
    /// SOAP `login` user name (Zuora and Salesforce).
    pub username: String,
    /// SOAP `login` password.
    pub password: String,
    /// A session id valid from the start (SOAP `SessionHeader`).
    pub session_id: String,
    /// A bearer token valid from the start (REST and Bulk).
    pub access_token: String,
    /// OAuth client id (client-credentials flow).
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
}

impl Default for MockCredentials {
    fn default() -> Self {
        MockCredentials {
            username: "user@querymore.test".into(),
            password: "mock-password".into(),
            session_id: "mock-session-0001".into(),
            access_token: "00DMOCK0000000001!mock-access-token".into(),
            client_id: "mock-client-id".into(),
            client_secret: "mock-client-secret".into(),
        }
    }
}

/// Injected delays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LatencyConfig {
    /// Added before every response.
    pub per_call: Duration,
    /// Added per record served (backends apply it to their pages).
    pub per_record: Duration,
}

/// One request the mock received.
#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    /// The backend the path belongs to, if any.
    pub backend: Option<BackendKind>,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Header names (lower-case) and values, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl ReceivedRequest {
    /// A header value by (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The SOAP call in the body, parsed (any dialect), or `None` when the body is
    /// not a SOAP envelope.
    pub fn soap(&self) -> Option<SoapCall> {
        let backend = self.backend.unwrap_or(BackendKind::ZuoraSoap);
        let req = crate::xml::request::read_request(backend, &self.body, &[]).ok()?;
        Some(SoapCall {
            operation: req.operation,
            params: req.params,
            headers: req
                .headers
                .into_iter()
                .map(|h| (h.name, h.fields))
                .collect(),
        })
    }
}

/// A SOAP request as the mock received it: operation, parameters and headers by
/// local name. `Debug` hides session ids and passwords.
#[derive(Clone, PartialEq, Eq)]
pub struct SoapCall {
    /// The operation (`login`, `query`, `queryMore`, ...).
    pub operation: String,
    /// `(name, text)` of the operation's parameters.
    pub params: Vec<(String, String)>,
    /// `(header name, [(field, text)])`, e.g. `("QueryOptions", [("batchSize", "50")])`.
    pub headers: Vec<(String, Vec<(String, String)>)>,
}

impl SoapCall {
    /// A parameter's text (`queryString`, `queryLocator`).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A header field's text (`("QueryOptions", "batchSize")`).
    pub fn header(&self, header: &str, field: &str) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(h, _)| h == header)
            .flat_map(|(_, fields)| fields)
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
    }
}

fn is_secret_field(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "session" | "sessionid" | "password"
    )
}

fn redacted(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| {
            (
                k.as_str(),
                if is_secret_field(k) {
                    "[REDACTED]"
                } else {
                    v.as_str()
                },
            )
        })
        .collect()
}

impl std::fmt::Debug for SoapCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<_> = self
            .headers
            .iter()
            .map(|(h, fields)| (h.as_str(), redacted(fields)))
            .collect();
        f.debug_struct("SoapCall")
            .field("operation", &self.operation)
            .field("params", &redacted(&self.params))
            .field("headers", &headers)
            .finish()
    }
}

pub(crate) struct Inner {
    pub clock: SharedClock,
    pub dataset: Dataset,
    pub credentials: MockCredentials,
    pub sessions: Mutex<HashSet<String>>,
    pub cursors: CursorStore,
    pub faults: FaultQueue,
    pub latency: LatencyConfig,
    pub requests: Mutex<Vec<ReceivedRequest>>,
    pub record_requests: bool,
    pub session_counter: std::sync::atomic::AtomicU64,
    pub served: Mutex<std::collections::HashMap<Option<BackendKind>, u64>>,
    pub in_flight: Mutex<(usize, usize)>,
    pub bulk: super::salesforce_bulk::BulkJobs,
}

/// Shared state of one mock server; cheap to clone.
#[derive(Clone)]
pub struct MockState(pub(crate) Arc<Inner>);

impl std::fmt::Debug for MockState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockState")
            .field("dataset", &self.0.dataset)
            .field("latency", &self.0.latency)
            .finish_non_exhaustive()
    }
}

impl MockState {
    pub(crate) fn new(
        clock: SharedClock,
        dataset: Dataset,
        credentials: MockCredentials,
        latency: LatencyConfig,
        idle_limit: Option<TimeDelta>,
        open_cursor_limit: Option<usize>,
        record_requests: bool,
    ) -> Self {
        let sessions = [
            credentials.session_id.clone(),
            credentials.access_token.clone(),
        ]
        .into_iter()
        .collect();
        MockState(Arc::new(Inner {
            clock,
            dataset,
            credentials,
            sessions: Mutex::new(sessions),
            cursors: CursorStore::new(idle_limit, open_cursor_limit),
            faults: FaultQueue::default(),
            latency,
            requests: Mutex::new(Vec::new()),
            record_requests,
            session_counter: Default::default(),
            served: Default::default(),
            in_flight: Default::default(),
            bulk: Default::default(),
        }))
    }

    /// The shared clock.
    pub fn clock(&self) -> &SharedClock {
        &self.0.clock
    }

    /// The data set served.
    pub fn dataset(&self) -> &Dataset {
        &self.0.dataset
    }

    /// The accepted credentials.
    pub fn credentials(&self) -> &MockCredentials {
        &self.0.credentials
    }

    /// The open cursors.
    pub fn cursors(&self) -> &CursorStore {
        &self.0.cursors
    }

    /// The fault queue.
    pub fn faults(&self) -> &FaultQueue {
        &self.0.faults
    }

    /// The Salesforce Bulk 2.0 query jobs and their settings.
    pub fn bulk(&self) -> &super::salesforce_bulk::BulkJobs {
        &self.0.bulk
    }

    /// The injected latency.
    pub fn latency(&self) -> LatencyConfig {
        self.0.latency
    }

    /// Waits the configured per-record latency for a page of `records`.
    pub(crate) async fn page_delay(&self, records: usize) {
        let per_record = self.0.latency.per_record;
        if !per_record.is_zero() {
            let n = u32::try_from(records).unwrap_or(u32::MAX);
            tokio::time::sleep(per_record.saturating_mul(n)).await;
        }
    }

    /// True when `token` is a live session id or bearer token.
    pub fn is_valid_session(&self, token: &str) -> bool {
        self.lock_sessions().contains(token)
    }

    /// Issues a new session id (after a successful login or token request).
    pub fn new_session(&self, prefix: &str) -> String {
        let n = self
            .0
            .session_counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let s = format!("{prefix}{:016x}", 0x5e55_1000_0000_u64 + n);
        self.lock_sessions().insert(s.clone());
        s
    }

    /// The session check every backend makes: `token` when it is a live
    /// session, else `None`. An injected [`MockFault::ExpireSession`] ends the
    /// session here and refuses the call, so every later call with it is
    /// refused too, until the client logs in or asks for a token again.
    pub(crate) fn live_session<'t>(
        &self,
        token: Option<&'t str>,
        fault: Option<&MockFault>,
    ) -> Option<&'t str> {
        let token = token.filter(|t| self.is_valid_session(t))?;
        if fault == Some(&MockFault::ExpireSession) {
            self.expire_session(token);
            return None;
        }
        Some(token)
    }

    /// Ends one session (it then gets the backend's invalid-session error).
    pub fn expire_session(&self, token: &str) {
        self.lock_sessions().remove(token);
    }

    /// Ends every session, the preset ones included.
    pub fn expire_all_sessions(&self) {
        self.lock_sessions().clear();
    }

    /// Every request received so far.
    pub fn received_requests(&self) -> Vec<ReceivedRequest> {
        self.0
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.0
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// How many requests reached `backend` so far (counted even when the request
    /// log is off): the API usage the services report back.
    pub fn requests_served(&self, backend: BackendKind) -> u64 {
        let served = self.0.served.lock().unwrap_or_else(|e| e.into_inner());
        served.get(&Some(backend)).copied().unwrap_or(0)
    }

    /// The most requests the mock has been handling at the same moment, since the
    /// start or the last [`MockState::reset_peak_in_flight`]: shows whether a
    /// client really fetches in parallel.
    pub fn peak_in_flight(&self) -> usize {
        self.0.in_flight.lock().unwrap_or_else(|e| e.into_inner()).1
    }

    /// Starts a new peak measurement.
    pub fn reset_peak_in_flight(&self) {
        let mut f = self.0.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        f.1 = f.0;
    }

    /// Counts a request as being handled until the returned guard is dropped.
    pub(crate) fn enter(&self) -> InFlight {
        let mut f = self.0.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        f.0 += 1;
        f.1 = f.1.max(f.0);
        InFlight(self.clone())
    }

    pub(crate) fn log_request(&self, req: ReceivedRequest) {
        *self
            .0
            .served
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(req.backend)
            .or_default() += 1;
        if self.0.record_requests {
            self.0
                .requests
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(req);
        }
    }

    fn lock_sessions(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.0.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A request being handled; dropping it ends the count.
pub(crate) struct InFlight(MockState);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut f = self.0.0.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        f.0 = f.0.saturating_sub(1);
    }
}
