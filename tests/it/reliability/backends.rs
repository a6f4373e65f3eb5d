//! Every landed backend built against one mock, so each test runs the same
//! checks over all of them.

use querymore::mock::{
    Dataset, MockCredentials, MockServer, SALESFORCE_SOAP_PATH, ZUORA_SOAP_PATH,
};
use querymore::{
    BackendKind, Client, HttpOptions, ManualClock, QuerySource, RetryPolicy, SalesforceBulk,
    SalesforceRest, SalesforceSoap, Value, ZuoraRest, ZuoraSoap,
};
use std::sync::Arc;
use std::time::Duration;

/// The backends under test.
pub const ALL: [BackendKind; 5] = [
    BackendKind::ZuoraSoap,
    BackendKind::ZuoraRest,
    BackendKind::SalesforceRest,
    BackendKind::SalesforceSoap,
    BackendKind::SalesforceBulk,
];

/// How a backend authenticates in a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// The mock's preset session id or token: a refused one is final.
    Fixed,
    /// A login or OAuth client credentials: a refused session is replaced.
    Refreshable,
}

/// `kind` against `mock`, with `auth` and `http` options.
pub fn backend(
    kind: BackendKind,
    mock: &MockServer,
    auth: Auth,
    http: HttpOptions,
) -> Arc<dyn QuerySource> {
    backend_at(kind, &mock.uri(), mock.credentials(), auth, http)
}

/// `kind` against a mock-shaped server at `uri` accepting `creds`.
pub fn backend_at(
    kind: BackendKind,
    uri: &str,
    creds: &MockCredentials,
    auth: Auth,
    http: HttpOptions,
) -> Arc<dyn QuerySource> {
    let c = creds.clone();
    match kind {
        BackendKind::ZuoraSoap => {
            let b = ZuoraSoap::builder()
                .endpoint(format!("{uri}{ZUORA_SOAP_PATH}"))
                .http_options(http);
            let b = match auth {
                Auth::Fixed => b.session(c.session_id),
                Auth::Refreshable => b.credentials(c.username, c.password),
            };
            Arc::new(b.build().unwrap())
        }
        BackendKind::ZuoraRest => {
            let b = ZuoraRest::builder().base_url(uri).http_options(http);
            let b = match auth {
                Auth::Fixed => b.access_token(c.access_token),
                Auth::Refreshable => b.client_credentials(c.client_id, c.client_secret),
            };
            Arc::new(b.build().unwrap())
        }
        BackendKind::SalesforceRest => {
            let b = SalesforceRest::builder()
                .instance_url(uri)
                .http_options(http);
            let b = match auth {
                Auth::Fixed => b.access_token(c.access_token),
                Auth::Refreshable => b.client_credentials(c.client_id, c.client_secret),
            };
            Arc::new(b.build().unwrap())
        }
        BackendKind::SalesforceSoap => {
            let b = SalesforceSoap::builder()
                .endpoint(format!("{uri}{SALESFORCE_SOAP_PATH}"))
                .http_options(http);
            let b = match auth {
                Auth::Fixed => b.session(c.session_id),
                Auth::Refreshable => b.credentials(c.username, c.password),
            };
            Arc::new(b.build().unwrap())
        }
        BackendKind::SalesforceBulk => {
            // The sequential locator walk: one request per page, so request
            // counts and seeded faults are deterministic (the parallel walk
            // has its own tests).
            let b = SalesforceBulk::builder()
                .instance_url(uri)
                .poll_interval(Duration::from_millis(2))
                .max_poll_interval(Duration::from_millis(10))
                .parallel_result_pages(false)
                .http_options(http);
            let b = match auth {
                Auth::Fixed => b.access_token(c.access_token),
                Auth::Refreshable => b.client_credentials(c.client_id, c.client_secret),
            };
            Arc::new(b.build().unwrap())
        }
        other => panic!("no test backend for {other}"),
    }
}

/// A client over `source` on `clock` with `retry`, without prefetch: a fault
/// queued after a page hits the request for the next one.
pub fn client(source: Arc<dyn QuerySource>, clock: &ManualClock, retry: RetryPolicy) -> Client {
    Client::builder(source)
        .clock(clock.clone())
        .retry(retry)
        .prefetch(false)
        .build()
}

/// The default retry policy with 1 ms base delay.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy::default().with_base_delay(Duration::from_millis(1))
}

/// The query every backend runs.
pub const ACCOUNT_IDS: &str = "select Id from Account";

/// The Account Ids the data set holds, in order.
pub fn account_ids(dataset: &Dataset) -> Vec<String> {
    let t = dataset.table("Account").unwrap();
    (0..t.len()).map(|i| id_of(&t.row(i))).collect()
}

/// A record's `Id` as text.
pub fn id_of(r: &querymore::Record) -> String {
    r.get("Id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Logins and token requests the mock saw (tests give each backend its own
/// mock; Salesforce token requests count as Salesforce REST there).
pub fn authentications(mock: &MockServer) -> usize {
    mock.received_requests()
        .iter()
        .filter(|r| r.path.contains("oauth") || r.body_text().contains(":login>"))
        .count()
}

/// Requests the mock saw for `kind`.
pub fn served(mock: &MockServer, kind: BackendKind) -> usize {
    usize::try_from(mock.state().requests_served(kind)).unwrap()
}
