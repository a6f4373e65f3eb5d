//! Zuora SOAP end to end: `ZuoraSoap` talking real HTTP to the embedded mock on
//! loopback — paging with every batch size, batch-size bounds before I/O,
//! client- and server-side cursor expiry, typed records, resume from a
//! checkpoint, login and session handling, faults, and the envelopes sent.

use crate::support::{
    assert_expires_client_side, assert_pages_every_record, client, conformance_over_mock,
    count_calls, id_of, ids, login_refused, mock_with, soap_bodies,
};
use chrono::{NaiveDate, TimeDelta};
use querymore::mock::{Dataset, MockFault, MockServer};
use querymore::{
    BackendKind, Client, Cursor, Error, FaultCode, Record, RetryPolicy, Value, ZuoraSoap,
};
use serde::Deserialize;
use std::sync::Arc;

/// `ZuoraSoap` logging in with the mock's credentials.
fn zuora(mock: &MockServer) -> ZuoraSoap {
    let creds = mock.credentials();
    ZuoraSoap::builder()
        .endpoint(mock.zuora_soap_endpoint())
        .credentials(creds.username.clone(), creds.password.clone())
        .build()
        .expect("valid settings")
}

/// Requests whose body holds `<api:{operation}>`.
fn count(mock: &MockServer, operation: &str) -> usize {
    count_calls(mock, "api", operation)
}

/// Every row of `object`, in order (Zuora deletes nothing).
fn all_ids(ds: &Dataset, object: &str) -> Vec<String> {
    ids(ds, object, true)
}

/// Pages 10,001 InvoiceItem rows with `batch` and checks every record comes
/// once, in order, with `ceil(10001 / effective) - 1` queryMore calls.
async fn pages_every_invoice_item(batch: i64) {
    let ds = Dataset::generated(42, 10, 10_001, 10);
    let (mock, clock) = mock_with(ds.clone()).await;
    let c = client(zuora(&mock), &clock);
    let want = all_ids(&ds, "InvoiceItem");
    assert_eq!(want.len(), 10_001);
    let effective = if batch == 0 { 2000 } else { batch as usize };
    let q = "select Id from InvoiceItem";
    assert_pages_every_record(&c, &mock, "api", q, batch, effective, &want).await;
}

#[tokio::test]
async fn zuora_soap_pages_10001_records_with_batch_size_0() {
    pages_every_invoice_item(0).await;
}

#[tokio::test]
async fn zuora_soap_pages_10001_records_with_batch_size_50() {
    pages_every_invoice_item(50).await;
}

#[tokio::test]
async fn zuora_soap_pages_10001_records_with_batch_size_2000() {
    pages_every_invoice_item(2000).await;
}

#[tokio::test]
async fn zuora_soap_pages_10001_records_with_batch_size_1() {
    pages_every_invoice_item(1).await;
}

#[tokio::test]
async fn zuora_soap_size_is_the_total_on_every_page() {
    let (mock, clock) = mock_with(Dataset::sample(120)).await;
    let c = client(zuora(&mock), &clock);
    let pages = c
        .query("select Id, Name from Account")
        .batch_size(50)
        .pages()
        .try_collect()
        .await
        .unwrap();
    let lens: Vec<_> = pages.iter().map(|p| p.records.len()).collect();
    assert_eq!(lens, [50, 50, 20]);
    assert!(pages.iter().all(|p| p.total_size == Some(120)));
    assert!(pages[2].is_last() && !pages[1].is_last());
    let locator = pages[0].cursor.as_ref().and_then(Cursor::locator).unwrap();
    let (id, offset) = locator.rsplit_once('-').unwrap();
    assert_eq!((id.len(), offset), (32, "50"), "{locator}");
}

#[tokio::test]
async fn zuora_soap_batch_size_out_of_range_fails_before_any_request() {
    let (mock, clock) = mock_with(Dataset::sample(10)).await;
    let c = client(zuora(&mock), &clock);
    for bad in [2001, -1] {
        let mut pages = c.query("select Id from Account").batch_size(bad).pages();
        let e = pages.try_next().await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidInput {
                    what: "batch size",
                    ..
                }
            ),
            "{bad}: {e}"
        );
        assert!(e.to_string().contains("QueryOptions.batchSize"), "{e}");
    }
    assert!(mock.received_requests().is_empty());
}

#[tokio::test]
async fn zuora_soap_idle_cursor_expires_client_side_without_a_request() {
    let (mock, clock) = mock_with(Dataset::sample(100)).await;
    let c = client(zuora(&mock), &clock);
    let mut pages = c
        .query("select Id from Account")
        .batch_size(40)
        .prefetch(false)
        .pages();
    pages.try_next().await.unwrap().unwrap();
    assert_expires_client_side(&mut pages, &mock, &clock).await;
}

#[tokio::test]
async fn zuora_soap_server_side_expiry_is_cursor_expired_when_the_client_check_is_off() {
    let (mock, clock) = mock_with(Dataset::sample(100)).await;
    let c = Client::builder(zuora(&mock))
        .clock(clock.clone())
        .retry(RetryPolicy::none())
        .check_expiry(false)
        // Without prefetch, the next page is asked for after the idle time
        // (with it, as soon as this page's head has arrived).
        .prefetch(false)
        .build();
    let mut pages = c.query("select Id from Account").batch_size(40).pages();
    pages.try_next().await.unwrap().unwrap();
    clock.advance(TimeDelta::minutes(15));
    let e = pages.try_next().await.unwrap_err();
    assert!(e.is_cursor_expired(), "{e}");
    let fault = e.fault().expect("a fault");
    assert_eq!(fault.code, FaultCode::InvalidQueryLocator);
    assert_eq!(fault.raw_code, "INVALID_VALUE");
    assert_eq!(fault.http_status, Some(500));
    assert_eq!(count(&mock, "queryMore"), 1, "the server was asked");
}

#[derive(Debug, Deserialize, PartialEq)]
struct Account {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "BillCycleDay")]
    bill_cycle_day: u8,
    #[serde(rename = "Balance")]
    balance: f64,
    #[serde(rename = "LastInvoiceDate")]
    last_invoice_date: Option<NaiveDate>,
}

#[tokio::test]
async fn zuora_soap_records_read_into_a_derive_deserialize_struct() {
    let ds = Dataset::sample(9);
    let (mock, clock) = mock_with(ds.clone()).await;
    let c = client(zuora(&mock), &clock);
    let q = "select Id, Name, BillCycleDay, Balance, LastInvoiceDate from Account";
    let raw = c.query(q).records::<Record>().try_collect().await.unwrap();
    let typed = c.query(q).records::<Account>().try_collect().await.unwrap();
    assert_eq!(typed.len(), 9);
    let table = ds.table("Account").unwrap();
    for (i, a) in typed.iter().enumerate() {
        let row = table.row(i);
        assert_eq!(Some(a.id.as_str()), row.get("Id").and_then(Value::as_str));
        assert_eq!(
            Some(a.name.as_str()),
            row.get("Name").and_then(Value::as_str)
        );
        assert_eq!(
            Some(&Value::Int(i64::from(a.bill_cycle_day))),
            row.get("BillCycleDay")
        );
        assert_eq!(Some(&Value::Float(a.balance)), row.get("Balance"));
        let date = row.get("LastInvoiceDate").and_then(Value::as_str);
        assert_eq!(a.last_invoice_date.map(|d| d.to_string()).as_deref(), date);
    }
    assert_eq!(typed[0].name, "AT&T Wireless 1");
    // Row 2's LastInvoiceDate is null: Zuora leaves the field out.
    assert_eq!(typed[2].last_invoice_date, None);
    assert_eq!(raw[2].get("LastInvoiceDate"), None);
    assert_eq!(raw[2].object_type(), Some("Account"));
    assert_eq!(
        raw[0].field_names().collect::<Vec<_>>(),
        ["Id", "Balance", "BillCycleDay", "LastInvoiceDate", "Name"],
        "Id first, then the object's order"
    );
}

#[tokio::test]
async fn zuora_soap_cursor_checkpointed_after_page_3_resumes_at_page_4() {
    let (mock, clock) = mock_with(Dataset::sample(300)).await;
    let c = client(zuora(&mock), &clock);
    let all = c
        .query("select Id from Account")
        .batch_size(50)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 6);

    let mut pages = c.query("select Id from Account").batch_size(50).pages();
    for _ in 0..3 {
        pages.try_next().await.unwrap().unwrap();
    }
    let saved = serde_json::to_string(pages.cursor().unwrap()).unwrap();
    drop(pages);
    let cursor: Cursor = serde_json::from_str(&saved).unwrap();
    assert_eq!(cursor.backend, BackendKind::ZuoraSoap);
    assert_eq!(cursor.batch_size, Some(50));

    let rest = c.resume(cursor).pages().try_collect().await.unwrap();
    assert_eq!(rest.len(), 3);
    assert_eq!(rest[0].records, all[3].records, "resumes at page 4");
    assert_eq!(rest[2].records, all[5].records);
    assert!(rest[2].is_last());
}

#[tokio::test]
async fn zuora_soap_bad_password_is_an_invalid_login_fault_without_the_password() {
    let (mock, clock) = mock_with(Dataset::sample(5)).await;
    let z = ZuoraSoap::builder()
        .endpoint(mock.zuora_soap_endpoint())
        .credentials(mock.credentials().username.clone(), "hunter2-WRONG")
        .build()
        .unwrap();
    let e = login_refused(z, &clock, "hunter2-WRONG").await;
    assert_eq!(
        e.fault().map(|f| f.raw_code.as_str()),
        Some("INVALID_LOGIN")
    );
    let shown = format!("{e} {e:?}");
    assert!(shown.contains("INVALID_LOGIN"), "{shown}");
    assert!(
        shown.contains("User name and password do not match"),
        "{shown}"
    );
    assert_eq!(count(&mock, "query"), 0, "no query after a failed login");
}

#[tokio::test]
async fn zuora_soap_session_and_password_never_print() {
    let (mock, clock) = mock_with(Dataset::sample(30)).await;
    let password = mock.credentials().password.clone();
    let z = zuora(&mock);
    let c = client(z.clone(), &clock);
    let mut pages = c.query("select Id from Account").batch_size(10).pages();
    let page = pages.try_next().await.unwrap().unwrap();
    // The session the mock issued, as the client sent it.
    let query = mock
        .received_requests()
        .into_iter()
        .find(|r| r.body_text().contains("<api:query>"))
        .unwrap()
        .body_text();
    let session = query
        .split("<api:session>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();
    assert!(session.starts_with("zs-"), "{session}");
    mock.faults().push(MockFault::InvalidLocator);
    let e = pages.try_next().await.unwrap_err();
    for shown in [
        format!("{z:?}"),
        format!("{z:#?}"),
        format!("{c:?}"),
        format!("{page:?}"),
        format!("{:?}", pages.cursor()),
        format!("{e} {e:?}"),
    ] {
        assert!(!shown.contains(&session), "{shown}");
        assert!(!shown.contains(&password), "{shown}");
    }
}

#[tokio::test]
async fn zuora_soap_refused_session_logs_in_again_once() {
    let (mock, clock) = mock_with(Dataset::sample(20)).await;
    let c = client(zuora(&mock), &clock);
    let first = c
        .query("select Id from Account")
        .records::<Record>()
        .try_collect()
        .await;
    assert_eq!(first.unwrap().len(), 20);
    mock.faults().push(MockFault::ExpireSession);
    let again = c
        .query("select Id from Account")
        .records::<Record>()
        .try_collect()
        .await;
    assert_eq!(again.unwrap().len(), 20);
    assert_eq!(count(&mock, "login"), 2);
    assert_eq!(count(&mock, "query"), 3);

    // With a session and no credentials the fault surfaces.
    let only_session = ZuoraSoap::builder()
        .endpoint(mock.zuora_soap_endpoint())
        .session(mock.credentials().session_id.clone())
        .build()
        .unwrap();
    let c = client(only_session, &clock);
    mock.faults().push(MockFault::ExpireSession);
    let e = c
        .query("select Id from Account")
        .pages()
        .try_next()
        .await
        .unwrap_err();
    assert!(e.is_invalid_session(), "{e}");
    assert!(e.to_string().contains("INVALID_SESSION"), "{e}");
    // The expiry ended the preset session on the server: refused again.
    let again = c
        .query("select Id from Account")
        .pages()
        .try_next()
        .await
        .unwrap_err();
    assert!(again.is_invalid_session(), "{again}");
    assert_eq!(mock.faults().pending(), 0);
}

#[tokio::test]
async fn zuora_soap_query_faults_are_classified() {
    let (mock, clock) = mock_with(Dataset::sample(5)).await;
    let c = client(zuora(&mock), &clock);
    for (q, code) in [
        ("selec Id from Account", FaultCode::MalformedQuery),
        ("select Bogus from Account", FaultCode::InvalidField),
        ("select Id from Nope", FaultCode::InvalidType),
        ("select Account.Bogus from Contact", FaultCode::InvalidField),
    ] {
        let e = c.query(q).pages().try_next().await.unwrap_err();
        assert_eq!(e.fault().map(|f| &f.code), Some(&code), "{q}: {e}");
        assert!(!e.is_retryable(), "{q}: {e}");
    }
    let e = c
        .query_all("select Id from Account")
        .pages()
        .try_next()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Unsupported {
                operation: "queryAll",
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(count(&mock, "queryAll"), 0);
}

#[tokio::test]
async fn zuora_soap_transport_faults_are_typed_and_retried() {
    let ds = Dataset::sample(100);
    let (mock, clock) = mock_with(ds.clone()).await;
    // A login page from a proxy: a protocol error, not retried.
    mock.faults().push(MockFault::Html);
    let e = client(zuora(&mock), &clock)
        .query("select Id from Account")
        .pages()
        .try_next()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Protocol {
                retryable: false,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("HTML"), "{e}");

    // A body cut short and a 503 on queryMore: retried, nothing lost or repeated.
    let retrying = Client::builder(zuora(&mock))
        .clock(clock.clone())
        .retry(RetryPolicy::default().with_base_delay(std::time::Duration::from_millis(1)))
        .build();
    let mut records = retrying
        .query("select Id from Account")
        .batch_size(30)
        .records::<Record>();
    let mut got = Vec::new();
    while let Some(r) = records.try_next().await.unwrap() {
        if got.len() == 30 {
            mock.faults().push(MockFault::TruncatedBody);
            mock.faults().push(MockFault::Status(503));
        }
        got.push(id_of(&r));
    }
    assert_eq!(got, all_ids(&ds, "Account"));
}

#[tokio::test]
async fn zuora_soap_requests_carry_soap_headers_and_snapshot_envelopes() {
    let (mock, clock) = mock_with(Dataset::sample(120)).await;
    let c = client(zuora(&mock), &clock);
    for batch in [0, 50, 2000] {
        let mut pages = c
            .query("select Id, Name from Account")
            .batch_size(batch)
            .pages();
        pages.try_next().await.unwrap();
        if batch == 50 {
            pages.try_next().await.unwrap();
        }
    }
    let bodies = soap_bodies(&mock);
    let requests = mock.received_requests();
    assert!(requests.iter().all(|r| r.path == "/apps/services/a/78.0"));
    assert_eq!(
        bodies.len(),
        5,
        "login, query 0, query 50, queryMore, query 2000"
    );
    assert!(bodies[0].contains("<api:login>"));
    querymore::assert_envelope_snapshot!("zuora_soap__login", bodies[0]);
    querymore::assert_envelope_snapshot!("zuora_soap__query_batch_0", bodies[1]);
    querymore::assert_envelope_snapshot!("zuora_soap__query_batch_50", bodies[2]);
    querymore::assert_envelope_snapshot!("zuora_soap__query_more", bodies[3]);
    querymore::assert_envelope_snapshot!("zuora_soap__query_batch_2000", bodies[4]);
}

#[tokio::test]
async fn zuora_soap_passes_the_conformance_suite() {
    let ds = Dataset::sample(95);
    let (mock, clock) = mock_with(ds.clone()).await;
    let source = Arc::new(zuora(&mock));
    let expected = all_ids(&ds, "Account");
    let passed =
        conformance_over_mock(mock, clock, source, "select Id from Account", expected, 10).await;
    assert_eq!(passed.len(), 8, "{passed:?}");
}
