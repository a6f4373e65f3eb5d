//! Shared test helpers: the snapshot settings (top-level `snapshots/`, credentials
//! filtered as a last line of defence), a mock started on a manual clock, and
//! the checks both SOAP dialects' end-to-end tests make.

#![allow(dead_code)]

use chrono::TimeDelta;
use querymore::conformance::{Harness, run};
use querymore::mock::{Dataset, MockFault, MockServer};
use querymore::{
    Client, Error, FaultCode, ManualClock, Pages, QuerySource, Record, RetryPolicy, Value,
};
use std::sync::Arc;

/// Insta settings: snapshots in the top-level `snapshots/` folder, names as given.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s.add_filter(r"(<(?:\w+:)?session(?:Id)?>)[^<]+(</)", "$1[SESSION]$2");
    s.add_filter(r"(<(?:\w+:)?password>)[^<]+(</)", "$1[PASSWORD]$2");
    s.add_filter(r"Bearer [A-Za-z0-9!._-]+", "Bearer [TOKEN]");
    s
}

/// A mock serving `dataset` on a manual clock shared with the returned handle.
pub async fn mock_with(dataset: Dataset) -> (MockServer, ManualClock) {
    let clock = ManualClock::fixed();
    let mock = MockServer::builder()
        .dataset(dataset)
        .clock(clock.clone())
        .start()
        .await
        .expect("bind loopback");
    (mock, clock)
}

/// A client on the mock's clock, without retries or prefetch (so request
/// counts are exact and each page is requested when asked for).
pub fn client(source: impl QuerySource, clock: &ManualClock) -> Client {
    Client::builder(source)
        .clock(clock.clone())
        .retry(RetryPolicy::none())
        .prefetch(false)
        .build()
}

/// A record's `Id` as text (empty when absent).
pub fn id_of(r: &Record) -> String {
    r.get("Id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The ids of `object`'s rows in the data set, deleted ones only when `all`.
pub fn ids(ds: &Dataset, object: &str, all: bool) -> Vec<String> {
    let t = ds.table(object).expect("table");
    (0..t.len())
        .filter(|&i| all || !t.is_deleted(i))
        .map(|i| id_of(&t.row(i)))
        .collect()
}

/// How many requests the mock received whose body holds `tag` (`<urn:queryMore>`).
pub fn count_bodies(mock: &MockServer, tag: &str) -> usize {
    mock.received_requests()
        .iter()
        .filter(|r| r.body_text().contains(tag))
        .count()
}

/// How many SOAP `operation` calls the mock received, the client writing
/// `prefix` for the API namespace (`<api:queryMore>`, `<urn:queryMore>`).
pub fn count_calls(mock: &MockServer, prefix: &str, operation: &str) -> usize {
    count_bodies(mock, &format!("<{prefix}:{operation}>"))
}

/// Pages `query` through `c` asking `batch` rows a page and checks that
/// `want` comes back once and in order, `per_page` rows a page, with one SOAP
/// `login`, one `query` and a `queryMore` for every further page (`prefix`:
/// as for [`count_calls`]).
pub async fn assert_pages_every_record(
    c: &Client,
    mock: &MockServer,
    prefix: &str,
    query: &str,
    batch: i64,
    per_page: usize,
    want: &[String],
) {
    let mut records = c.query(query).batch_size(batch).records::<Record>();
    let mut got = Vec::with_capacity(want.len());
    while let Some(r) = records.try_next().await.expect("page") {
        got.push(id_of(&r));
    }
    assert_eq!(got.len(), want.len(), "batch {batch}");
    assert!(got == want, "batch {batch}: out of order or duplicated");
    let pages = want.len().div_ceil(per_page);
    let read = usize::try_from(records.pages().pages_read()).unwrap();
    assert_eq!(read, pages, "batch {batch}");
    assert_eq!(count_calls(mock, prefix, "login"), 1);
    assert_eq!(count_calls(mock, prefix, "query"), 1);
    let more = count_calls(mock, prefix, "queryMore");
    assert_eq!(more, pages - 1, "batch {batch}");
}

/// Lets `pages`' cursor idle for 15 minutes on `clock`: the next page is
/// `CursorExpired`, found without sending a request.
pub async fn assert_expires_client_side(pages: &mut Pages, mock: &MockServer, clock: &ManualClock) {
    let sent = mock.received_requests().len();
    clock.advance(TimeDelta::minutes(15));
    let e = pages.try_next().await.unwrap_err();
    assert!(matches!(e, Error::CursorExpired { .. }), "{e}");
    assert!(e.is_cursor_expired());
    assert_eq!(mock.received_requests().len(), sent, "no request was sent");
}

/// The bodies of the requests the mock received, each checked to be a SOAP
/// call (`POST`, `text/xml`, an empty `SOAPAction`), none after the first
/// (the login) holding the password.
pub fn soap_bodies(mock: &MockServer) -> Vec<String> {
    let requests = mock.received_requests();
    for r in &requests {
        assert_eq!(r.method, "POST");
        assert_eq!(r.header("content-type"), Some("text/xml; charset=utf-8"));
        assert_eq!(r.header("soapaction"), Some("\"\""));
    }
    let bodies: Vec<String> = requests.iter().map(|r| r.body_text()).collect();
    for b in bodies.iter().skip(1) {
        assert!(!b.contains(&mock.credentials().password), "{b}");
    }
    bodies
}

/// The error of a first page through `source`, whose login is refused for
/// the password `wrong`: an invalid-login fault, neither retryable nor an
/// invalid session, and `wrong` shown nowhere (the error, the source).
pub async fn login_refused(source: impl QuerySource, clock: &ManualClock, wrong: &str) -> Error {
    let shown_source = format!("{source:?}");
    let e = client(source, clock)
        .query("select Id from Account")
        .pages()
        .try_next()
        .await
        .unwrap_err();
    let f = e.fault().expect("a login fault");
    assert_eq!(f.code, FaultCode::InvalidLogin, "{e}");
    assert!(!e.is_retryable() && !e.is_invalid_session(), "{e}");
    for shown in [e.to_string(), format!("{e:?}"), shown_source] {
        assert!(!shown.contains(wrong), "{shown}");
    }
    e
}

/// Runs the conformance suite on `source` (a backend talking to `mock`, whose
/// clock is `clock`) paging `query`, with the mock dropping the next cursor
/// on demand; panics on the first failed check, returns the checks passed.
pub async fn conformance_over_mock(
    mock: MockServer,
    clock: ManualClock,
    source: Arc<dyn QuerySource>,
    query: &str,
    expected_ids: Vec<String>,
    batch_size: i64,
) -> Vec<&'static str> {
    let mock = Arc::new(mock);
    let faults = mock.clone();
    let h = Harness::new(source, query, expected_ids, batch_size)
        .clock(clock)
        .drop_next_cursor(Arc::new(move || {
            faults.faults().push(MockFault::InvalidLocator);
        }));
    let passed = run(&h).await.unwrap_or_else(|f| panic!("{f}"));
    assert!(
        passed.contains(&"dropped_cursor_is_cursor_expired"),
        "{passed:?}"
    );
    passed
}

/// A data set of `Account`s `(Id, Name)` and their `Contact`s
/// `(Id, AccountId, LastName)`, for child subqueries.
pub fn accounts_with_contacts(
    accounts: &[(&str, &str)],
    contacts: &[(&str, &str, &str)],
) -> Dataset {
    let accounts = accounts
        .iter()
        .map(|(id, name)| {
            Record::new()
                .with_object_type("Account")
                .with("Id", *id)
                .with("Name", *name)
        })
        .collect();
    let contacts = contacts
        .iter()
        .map(|(id, account_id, last)| {
            Record::new()
                .with_object_type("Contact")
                .with("Id", *id)
                .with("AccountId", *account_id)
                .with("LastName", *last)
        })
        .collect();
    Dataset::empty()
        .with_records("Account", accounts)
        .with_records("Contact", contacts)
}

/// Implements `QuerySource` for a test source with an
/// `async fn serve(&self, page: usize) -> querymore::Result<Page>`: page 0
/// first, then the page a `page-<n>` locator names (`usize::MAX` for any other
/// cursor); pages of up to 2000, cursors idle out after 15 minutes.
macro_rules! paged_source {
    ($t:ty) => {
        impl querymore::QuerySource for $t {
            fn kind(&self) -> querymore::BackendKind {
                querymore::BackendKind::Memory
            }
            fn capabilities(&self) -> querymore::Capabilities {
                querymore::Capabilities::new(querymore::BatchSizeRange::new(
                    "batchSize",
                    1,
                    2000,
                    2000,
                ))
                .with_idle_limit(Some(chrono::TimeDelta::minutes(15)))
            }
            fn first_page<'a>(
                &'a self,
                _q: &'a querymore::Query,
            ) -> querymore::BoxFuture<'a, querymore::Result<querymore::Page>> {
                Box::pin(self.serve(0))
            }
            fn next_page<'a>(
                &'a self,
                c: &'a querymore::Cursor,
            ) -> querymore::BoxFuture<'a, querymore::Result<querymore::Page>> {
                let i = c
                    .locator()
                    .and_then(|l| l.strip_prefix("page-"))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(usize::MAX);
                Box::pin(self.serve(i))
            }
        }
    };
}
pub(crate) use paged_source;
