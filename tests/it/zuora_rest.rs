//! `ZuoraRest` over HTTP against the mock: paging 10,001 rows at every batch
//! size, batch-size bounds, cursor expiry on both sides, OAuth client
//! credentials with a refused token refreshed once, resume from a serialized
//! cursor, typed records, typed errors, request and page snapshots, and no
//! credential in any Debug or Display.

use crate::support::{mock_with, snapshot_settings};
use chrono::{NaiveDate, TimeDelta};
use querymore::mock::{Dataset, MockFault, MockServer, ReceivedRequest};
use querymore::{
    BackendKind, Client, Cursor, Error, FaultCode, ManualClock, Page, Record, RetryPolicy, Value,
    ZuoraRest,
};

const QUERY: &str = "/v1/action/query";
const QUERY_MORE: &str = "/v1/action/queryMore";
const TOKEN: &str = "/oauth/token";
const ALL_ITEM_FIELDS: &str = "select Id, AccountId, ChargeAmount, ChargeDate, ChargeName, \
     Quantity, ServiceEndDate, ServiceStartDate, SKU, UOM from InvoiceItem";

fn dataset() -> Dataset {
    Dataset::generated(42, 10, 10_001, 10)
}

/// A backend with the mock's preset bearer token.
fn with_token(mock: &MockServer) -> ZuoraRest {
    ZuoraRest::builder()
        .base_url(mock.uri())
        .access_token(mock.credentials().access_token.as_str())
        .build()
        .unwrap()
}

/// A backend with the mock's OAuth client credentials, timing tokens on `clock`.
fn with_oauth(mock: &MockServer, clock: &ManualClock) -> ZuoraRest {
    let creds = mock.credentials();
    ZuoraRest::builder()
        .base_url(mock.uri())
        .client_credentials(creds.client_id.as_str(), creds.client_secret.as_str())
        .clock(clock.clone())
        .build()
        .unwrap()
}

/// A client for tests that count requests: prefetch off, so each request is
/// one the test asked for (lookahead is tested in `lookahead.rs`).
fn client(source: ZuoraRest, clock: &ManualClock) -> Client {
    Client::builder(source)
        .clock(clock.clone())
        .retry(RetryPolicy::none())
        .prefetch(false)
        .build()
}

fn requests_to(mock: &MockServer, path: &str) -> Vec<ReceivedRequest> {
    mock.received_requests()
        .into_iter()
        .filter(|r| r.path == path)
        .collect()
}

fn body_json(req: &ReceivedRequest) -> serde_json::Value {
    serde_json::from_slice(&req.body).unwrap()
}

/// A dataset row as Zuora REST sends it: null fields left out.
fn without_nulls(row: &Record) -> Record {
    let mut out = Record::new();
    if let Some(t) = row.object_type() {
        out.set_object_type(t);
    }
    for (k, v) in row.fields().filter(|(_, v)| !v.is_null()) {
        out.push(k, v.clone());
    }
    out
}

fn id_of(r: &Record) -> String {
    r.get("Id").and_then(Value::as_str).unwrap().to_owned()
}

/// A request as text: method, path, the headers that matter (the token
/// redacted), and the exact body.
fn render(req: &ReceivedRequest, secret: &str) -> String {
    let mut s = format!("{} {}\n", req.method, req.path);
    for name in [
        "authorization",
        "content-type",
        "accept",
        "x-zuora-wsdl-version",
    ] {
        if let Some(v) = req.header(name) {
            let v = match v.strip_prefix("Bearer ") {
                Some(_) => "Bearer [TOKEN]",
                None => v,
            };
            s.push_str(&format!("{name}: {v}\n"));
        }
    }
    s.push('\n');
    s.push_str(&req.body_text().replace(secret, "[SECRET]"));
    s
}

fn render_page(page: &Page) -> String {
    serde_json::to_string_pretty(&serde_json::json!({
        "total_size": page.total_size,
        "cursor": page.cursor.as_ref().map(|c| c.token.describe()),
        "records": page.records.iter().map(|r| serde_json::json!({
            "object_type": r.object_type(),
            "fields": r,
        })).collect::<Vec<_>>(),
    }))
    .unwrap()
}

#[tokio::test]
async fn zuora_rest_pages_10001_invoice_items_exactly_once_at_every_batch_size() {
    let (mock, clock) = mock_with(dataset()).await;
    let table = dataset();
    let table = table.table("InvoiceItem").unwrap();
    let expected: Vec<Record> = (0..table.len())
        .map(|i| without_nulls(&table.row(i)))
        .collect();
    let c = client(with_token(&mock), &clock);
    // (batch size asked, page size served, queryMore requests)
    for (batch, page_size, more) in [(0, 2000, 5), (50, 50, 200), (2000, 2000, 5)] {
        mock.state().clear_requests();
        let mut pages = c.query(ALL_ITEM_FIELDS).batch_size(batch).pages();
        let mut got = Vec::new();
        let mut sizes = Vec::new();
        while let Some(page) = pages.try_next().await.unwrap() {
            assert_eq!(page.total_size, Some(10_001));
            sizes.push(page.records.len());
            got.extend(page.records);
        }
        assert_eq!(got.len(), 10_001, "batch {batch}");
        assert!(
            got == expected,
            "batch {batch}: records differ from the data set"
        );
        assert!(sizes[..sizes.len() - 1].iter().all(|&n| n == page_size));
        assert_eq!(requests_to(&mock, QUERY).len(), 1);
        let more_reqs = requests_to(&mock, QUERY_MORE);
        assert_eq!(more_reqs.len(), more, "batch {batch}");
        // 0 sends no `conf` (server default); other sizes are sent on every call.
        let conf = (batch > 0).then(|| serde_json::json!({"batchSize": batch}));
        let query_body = body_json(&requests_to(&mock, QUERY)[0]);
        assert_eq!(query_body.get("conf").cloned(), conf, "batch {batch}");
        for r in &more_reqs {
            assert_eq!(body_json(r).get("conf").cloned(), conf, "batch {batch}");
        }
    }
}

#[tokio::test]
async fn zuora_rest_batch_size_out_of_range_is_refused_before_any_request() {
    let (mock, clock) = mock_with(dataset()).await;
    let c = client(with_token(&mock), &clock);
    for bad in [2001, -1] {
        let err = c
            .query("select Id from InvoiceItem")
            .batch_size(bad)
            .pages()
            .try_next()
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidInput {
                    what: "batch size",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("conf.batchSize"), "{err}");
    }
    assert!(mock.received_requests().is_empty());
}

#[tokio::test]
async fn zuora_rest_idle_locator_expires_on_the_client_and_on_the_server() {
    let (mock, clock) = mock_with(dataset()).await;
    let c = client(with_token(&mock), &clock);
    let mut pages = c
        .query("select Id from InvoiceItem")
        .batch_size(100)
        .prefetch(false)
        .pages();
    let first = pages.try_next().await.unwrap().unwrap();
    let cursor = first.cursor.unwrap();
    assert_eq!(cursor.idle_limit, Some(TimeDelta::minutes(15)));
    clock.advance(TimeDelta::minutes(15));
    let err = pages.try_next().await.unwrap_err();
    assert!(matches!(err, Error::CursorExpired { .. }), "{err}");
    assert_eq!(
        mock.received_requests().len(),
        1,
        "no request for the expired cursor"
    );

    // With the client-side check off, the server refuses the locator.
    let err = c
        .resume(cursor)
        .check_expiry(false)
        .pages()
        .try_next()
        .await
        .unwrap_err();
    assert!(err.is_cursor_expired(), "{err}");
    let fault = err.fault().expect("the server's fault");
    assert_eq!(fault.code, FaultCode::InvalidQueryLocator);
    assert_eq!(fault.raw_code, "INVALID_VALUE");
    assert_eq!(fault.http_status, Some(400));
    assert!(
        fault.message.starts_with("invalid queryLocator "),
        "{fault}"
    );
    assert_eq!(requests_to(&mock, QUERY_MORE).len(), 1);
}

#[tokio::test]
async fn zuora_rest_oauth_token_is_fetched_once_and_reused() {
    let (mock, clock) = mock_with(dataset()).await;
    let c = client(with_oauth(&mock, &clock), &clock);
    let n = c
        .query("select Id from InvoiceItem")
        .batch_size(2000)
        .records::<Record>()
        .try_collect()
        .await
        .unwrap()
        .len();
    assert_eq!(n, 10_001);
    let again = c
        .query("select Id from Account")
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(again[0].records.len(), 10);
    assert_eq!(requests_to(&mock, TOKEN).len(), 1);
    let reqs = mock.received_requests();
    assert_eq!(
        reqs[0].path, TOKEN,
        "the token is fetched before the first query"
    );
    for r in reqs.iter().filter(|r| r.path != TOKEN) {
        let auth = r.header("authorization").unwrap();
        assert!(auth.starts_with("Bearer zuora-rest-token-"), "{auth}");
    }
}

#[tokio::test]
async fn zuora_rest_expired_token_is_fetched_again_before_use() {
    let (mock, clock) = mock_with(dataset()).await;
    let c = client(with_oauth(&mock, &clock), &clock);
    let run = || async {
        c.query("select Id from Account")
            .pages()
            .try_collect()
            .await
            .unwrap()
    };
    run().await;
    clock.advance(TimeDelta::minutes(30));
    run().await;
    assert_eq!(
        requests_to(&mock, TOKEN).len(),
        1,
        "still fresh after 30 minutes"
    );
    clock.advance(TimeDelta::minutes(30));
    run().await;
    assert_eq!(
        requests_to(&mock, TOKEN).len(),
        2,
        "refetched once it expired"
    );
    assert!(
        !mock
            .received_requests()
            .iter()
            .any(|r| r.path == QUERY && r.header("authorization").is_none())
    );
}

#[tokio::test]
async fn zuora_rest_rejected_token_is_refreshed_once_and_the_query_continues() {
    let (mock, clock) = mock_with(dataset()).await;
    let c = client(with_oauth(&mock, &clock), &clock);
    let mut pages = c
        .query("select Id from InvoiceItem")
        .batch_size(2000)
        .pages();
    let mut ids: Vec<String> = pages
        .try_next()
        .await
        .unwrap()
        .unwrap()
        .records
        .iter()
        .map(id_of)
        .collect();
    mock.faults()
        .push_for(BackendKind::ZuoraRest, MockFault::ExpireSession);
    while let Some(page) = pages.try_next().await.unwrap() {
        ids.extend(page.records.iter().map(id_of));
    }
    let table = dataset();
    let table = table.table("InvoiceItem").unwrap();
    let expected: Vec<String> = (0..table.len()).map(|i| id_of(&table.row(i))).collect();
    assert_eq!(ids, expected);
    let paths: Vec<_> = mock
        .received_requests()
        .iter()
        .map(|r| r.path.clone())
        .take(5)
        .collect();
    assert_eq!(paths, [TOKEN, QUERY, QUERY_MORE, TOKEN, QUERY_MORE]);
    let more = requests_to(&mock, QUERY_MORE);
    assert_eq!(
        body_json(&more[0]),
        body_json(&more[1]),
        "the same page is asked for again"
    );
    assert_ne!(
        more[0].header("authorization"),
        more[1].header("authorization"),
        "with the new token"
    );
}

#[tokio::test]
async fn zuora_rest_token_refused_twice_is_an_invalid_session() {
    let (mock, clock) = mock_with(dataset()).await;
    let c = client(with_oauth(&mock, &clock), &clock);
    let first = || c.query("select Id from Account").pages().try_collect();
    // An HTML page from the token endpoint is a protocol error, not a panic.
    mock.faults()
        .push_for(BackendKind::ZuoraRest, MockFault::Html);
    let err = first().await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
    first().await.unwrap();
    // query: 401; token request (the fault does not apply to it); query: 401.
    for _ in 0..3 {
        mock.faults()
            .push_for(BackendKind::ZuoraRest, MockFault::ExpireSession);
    }
    let err = first().await.unwrap_err();
    assert!(err.is_invalid_session(), "{err}");
    assert_eq!(err.fault().unwrap().message, "Authentication error");
    assert_eq!(
        requests_to(&mock, TOKEN).len(),
        3,
        "one refresh, not a loop"
    );
    assert_eq!(requests_to(&mock, QUERY).len(), 3);
    assert_eq!(mock.faults().pending(), 0);
}

#[tokio::test]
async fn zuora_rest_refused_static_token_is_an_invalid_session() {
    let (mock, clock) = mock_with(dataset()).await;
    let token = mock.credentials().access_token.clone();
    let c = client(with_token(&mock), &clock);
    mock.faults()
        .push_for(BackendKind::ZuoraRest, MockFault::ExpireSession);
    let err = c
        .query("select Id from Account")
        .pages()
        .try_next()
        .await
        .unwrap_err();
    assert!(err.is_invalid_session(), "{err}");
    assert_eq!(err.fault().unwrap().http_status, Some(401));
    assert!(!err.to_string().contains(&token) && !format!("{err:?}").contains(&token));
    assert_eq!(
        mock.received_requests().len(),
        1,
        "a fixed token is not retried"
    );
}

#[tokio::test]
async fn zuora_rest_bad_client_credentials_are_refused_without_leaking_the_secret() {
    let (mock, clock) = mock_with(dataset()).await;
    let source = ZuoraRest::builder()
        .base_url(mock.uri())
        .client_credentials(mock.credentials().client_id.as_str(), "wrong-secret-value")
        .build()
        .unwrap();
    assert!(!format!("{source:?}").contains("wrong-secret-value"));
    let err = client(source, &clock)
        .query("select Id from Account")
        .pages()
        .try_next()
        .await
        .unwrap_err();
    let fault = err.fault().expect("a fault");
    assert_eq!(fault.code, FaultCode::InvalidLogin);
    assert_eq!(fault.raw_code, "invalid_client");
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains("wrong-secret-value"), "{shown}");
    }
    assert_eq!(
        mock.received_requests().len(),
        1,
        "no query without a token"
    );
}

#[tokio::test]
async fn zuora_rest_resumes_from_a_serialized_cursor() {
    let (mock, clock) = mock_with(dataset()).await;
    let first_source = with_token(&mock);
    let c = client(first_source.clone(), &clock);
    let mut pages = c
        .query("select Id from InvoiceItem")
        .batch_size(1000)
        .pages();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let page = pages.try_next().await.unwrap().unwrap();
        assert_eq!(page.records[0].object_type(), Some("InvoiceItem"));
        ids.extend(page.records.iter().map(id_of));
    }
    let saved = serde_json::to_string(pages.cursor().unwrap()).unwrap();
    drop(pages);

    // A new process: a new backend value and client, the cursor from disk.
    let cursor: Cursor = serde_json::from_str(&saved).unwrap();
    assert_eq!(cursor.batch_size, Some(1000));
    let resumed = client(with_token(&mock), &clock);
    let mut rest = resumed.resume(cursor.clone()).pages();
    while let Some(page) = rest.try_next().await.unwrap() {
        // Only the backend that ran the query knows its object type.
        assert_eq!(page.records[0].object_type(), None);
        ids.extend(page.records.iter().map(id_of));
    }
    let table = dataset();
    let table = table.table("InvoiceItem").unwrap();
    let expected: Vec<String> = (0..table.len()).map(|i| id_of(&table.row(i))).collect();
    assert_eq!(ids, expected, "every record exactly once, in order");
    let more = requests_to(&mock, QUERY_MORE);
    assert_eq!(more.len(), 10);
    assert_eq!(
        body_json(&more[2]),
        serde_json::json!({"queryLocator": cursor.locator().unwrap(), "conf": {"batchSize": 1000}})
    );
}

#[derive(Debug, PartialEq, serde::Deserialize)]
struct Account {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "AccountNumber")]
    number: String,
    #[serde(rename = "BillCycleDay")]
    bill_cycle_day: u8,
    #[serde(rename = "Balance")]
    balance: f64,
    #[serde(rename = "AutoPay")]
    auto_pay: bool,
    #[serde(rename = "LastInvoiceDate")]
    last_invoice: Option<NaiveDate>,
    #[serde(rename = "Notes")]
    notes: Option<String>,
}

#[tokio::test]
async fn zuora_rest_records_read_as_derive_structs() {
    let (mock, clock) = mock_with(dataset()).await;
    let c = client(with_token(&mock), &clock);
    let got: Vec<Account> = c
        .query("select AccountNumber, BillCycleDay, Balance, AutoPay, LastInvoiceDate, Notes from Account")
        .batch_size(4)
        .records()
        .try_collect()
        .await
        .unwrap();
    let ds = dataset();
    let table = ds.table("Account").unwrap();
    let expected: Vec<Account> = (0..table.len())
        .map(|i| table.row(i).deserialize_as().unwrap())
        .collect();
    assert_eq!(got, expected);
    assert!(got.iter().any(|a| a.last_invoice.is_none()));
    assert!(got.iter().any(|a| a.notes.is_none()) && got.iter().any(|a| a.notes.is_some()));
    assert!(got.iter().any(|a| a.balance.fract() != 0.0));
}

#[tokio::test]
async fn zuora_rest_id_comes_first_and_null_fields_are_left_out() {
    let (mock, clock) = mock_with(dataset()).await;
    let c = client(with_token(&mock), &clock);
    let page = c
        .query("select Notes, Name, LastInvoiceDate from Account")
        .pages()
        .try_next()
        .await
        .unwrap()
        .unwrap();
    let first = &page.records[0];
    assert_eq!(
        first.field_names().collect::<Vec<_>>(),
        ["Id", "LastInvoiceDate", "Name", "Notes"],
        "Id first, then the table's order"
    );
    let third = &page.records[2];
    assert_eq!(third.field_names().collect::<Vec<_>>(), ["Id", "Name"]);
    assert!(page.cursor.is_none() && page.total_size == Some(10));
}

#[tokio::test]
async fn zuora_rest_errors_are_typed() {
    let (mock, clock) = mock_with(dataset()).await;
    let c = client(with_token(&mock), &clock);
    let first_error = |text: &'static str| {
        let c = c.clone();
        async move { c.query(text).pages().try_next().await.unwrap_err() }
    };
    for (text, code) in [
        ("selct Id from Account", FaultCode::MalformedQuery),
        ("select Id from Nope", FaultCode::InvalidType),
        ("select Id, Bogus from Account", FaultCode::InvalidField),
    ] {
        let err = first_error(text).await;
        assert_eq!(err.fault().map(|f| &f.code), Some(&code), "{text}: {err}");
        assert!(!err.is_retryable());
    }
    let err = c
        .query_all("select Id from Account")
        .pages()
        .try_next()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unsupported {
                operation: "queryAll",
                ..
            }
        ),
        "{err}"
    );
    let before = mock.received_requests().len();
    assert_eq!(before, 3, "queryAll sent nothing");

    mock.faults().push(MockFault::RetryAfter {
        status: 429,
        secs: 120,
    });
    let err = first_error("select Id from Account").await;
    assert!(err.is_retryable(), "{err}");
    assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(120)));
    assert_eq!(err.fault().unwrap().code, FaultCode::RequestLimitExceeded);

    mock.faults().push(MockFault::Status(500));
    assert!(first_error("select Id from Account").await.is_retryable());

    mock.faults().push(MockFault::Html);
    let err = first_error("select Id from Account").await;
    assert!(
        matches!(
            err,
            Error::Protocol {
                retryable: false,
                ..
            }
        ),
        "{err}"
    );

    // A body cut short (or a connection dropped before it) is retryable.
    mock.faults().push(MockFault::TruncatedBody);
    let err = first_error("select Id from InvoiceItem").await;
    assert!(err.is_retryable(), "{err}");
    assert!(
        matches!(err, Error::Protocol { .. } | Error::Transport { .. }),
        "{err}"
    );

    let mut pages = c.query("select Id from InvoiceItem").batch_size(10).pages();
    pages.try_next().await.unwrap();
    mock.faults()
        .push_for(BackendKind::ZuoraRest, MockFault::InvalidLocator);
    let err = pages.try_next().await.unwrap_err();
    assert!(err.is_cursor_expired(), "{err}");
}

#[tokio::test]
async fn zuora_rest_retries_retryable_failures_on_the_same_locator() {
    let (mock, clock) = mock_with(dataset()).await;
    let c = Client::builder(with_token(&mock))
        .clock(clock.clone())
        .retry(RetryPolicy::default().with_base_delay(std::time::Duration::from_millis(1)))
        .build();
    let mut pages = c
        .query("select Id from InvoiceItem")
        .batch_size(2000)
        .pages();
    let mut n = pages.try_next().await.unwrap().unwrap().records.len();
    mock.faults()
        .push(MockFault::Status(503))
        .push(MockFault::TruncatedBody);
    while let Some(p) = pages.try_next().await.unwrap() {
        n += p.records.len();
    }
    assert_eq!(n, 10_001);
    let more = requests_to(&mock, QUERY_MORE);
    assert_eq!(more.len(), 7, "five pages plus two retries");
    assert_eq!(body_json(&more[0]), body_json(&more[2]));
}

#[tokio::test]
async fn zuora_rest_wsdl_version_header_is_sent_only_when_set() {
    let (mock, clock) = mock_with(dataset()).await;
    let versioned = ZuoraRest::builder()
        .base_url(mock.uri())
        .access_token(mock.credentials().access_token.as_str())
        .wsdl_version("79")
        .build()
        .unwrap();
    client(versioned, &clock)
        .query("select Id from Account")
        .batch_size(5)
        .pages()
        .try_collect()
        .await
        .unwrap();
    client(with_token(&mock), &clock)
        .query("select Id from Account")
        .pages()
        .try_collect()
        .await
        .unwrap();
    let reqs = mock.received_requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0].header("x-zuora-wsdl-version"), Some("79"));
    assert_eq!(reqs[1].header("x-zuora-wsdl-version"), Some("79"));
    assert_eq!(reqs[2].header("x-zuora-wsdl-version"), None);
}

#[tokio::test]
async fn zuora_rest_requests_and_pages_snapshot() {
    let (mock, clock) = mock_with(dataset()).await;
    let creds = mock.credentials().clone();
    let source = ZuoraRest::builder()
        .base_url(mock.uri())
        .client_credentials(creds.client_id.as_str(), creds.client_secret.as_str())
        .wsdl_version("79")
        .clock(clock.clone())
        .build()
        .unwrap();
    let c = client(source, &clock);
    let mut pages = c
        .query("select Name, Balance, AutoPay, BillCycleDay, LastInvoiceDate from Account")
        .batch_size(3)
        .pages();
    let first = pages.try_next().await.unwrap().unwrap();
    let second = pages.try_next().await.unwrap().unwrap();
    drop(pages);
    let default_page = c
        .query("select AccountNumber from Account")
        .pages()
        .try_next()
        .await
        .unwrap()
        .unwrap();
    let reqs = mock.received_requests();
    let rendered: Vec<String> = reqs
        .iter()
        .map(|r| render(r, &creds.client_secret))
        .collect();
    for (r, text) in reqs.iter().zip(&rendered) {
        assert!(!text.contains(&creds.client_secret), "{text}");
        if let Some(auth) = r.header("authorization") {
            assert!(!text.contains(auth.trim_start_matches("Bearer ")));
        }
    }
    let [token, query, more, query_default] = &rendered[..] else {
        panic!("expected four requests, got {}", rendered.len());
    };
    let (p1, p2, p3) = (
        render_page(&first),
        render_page(&second),
        render_page(&default_page),
    );
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("zuora_rest__token", token);
        insta::assert_snapshot!("zuora_rest__query_batch_3", query);
        insta::assert_snapshot!("zuora_rest__query_more_batch_3", more);
        insta::assert_snapshot!("zuora_rest__query_default_batch", query_default);
        insta::assert_snapshot!("zuora_rest__page_first", p1);
        insta::assert_snapshot!("zuora_rest__page_more", p2);
        insta::assert_snapshot!("zuora_rest__page_last", p3);
    });
}

#[tokio::test]
async fn zuora_rest_never_shows_a_credential() {
    let (mock, clock) = mock_with(dataset()).await;
    let token = mock.credentials().access_token.clone();
    let secret = mock.credentials().client_secret.clone();
    let a = with_token(&mock);
    let b = with_oauth(&mock, &clock);
    let c = client(b.clone(), &clock);
    c.query("select Id from Account")
        .pages()
        .try_collect()
        .await
        .unwrap();
    for shown in [
        format!("{a:?}"),
        format!("{b:?}"),
        format!("{c:?}"),
        format!("{:?}", ZuoraRest::builder().access_token(token.as_str())),
    ] {
        assert!(!shown.contains(&token), "{shown}");
        assert!(!shown.contains(&secret), "{shown}");
        assert!(!shown.contains("zuora-rest-token-"), "{shown}");
    }
}

#[tokio::test]
async fn zuora_rest_passes_the_conformance_suite() {
    let ds = Dataset::sample(95);
    let (mock, clock) = mock_with(ds.clone()).await;
    let source = std::sync::Arc::new(with_token(&mock));
    let expected = crate::support::ids(&ds, "Account", false);
    let passed = crate::support::conformance_over_mock(
        mock,
        clock,
        source,
        "select Id from Account",
        expected,
        10,
    )
    .await;
    assert_eq!(passed.len(), 8, "{passed:?}");
}
