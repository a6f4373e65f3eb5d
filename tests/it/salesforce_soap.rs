//! Salesforce SOAP partner API end to end: `SalesforceSoap` talking real HTTP
//! to the embedded mock on loopback — paging thousands of Contacts at batch
//! 200 and 2000, `queryAll` against `query`, batch-size bounds before I/O,
//! client- and server-side cursor expiry, the doubled `Id` and nested
//! relationships, `LimitInfoHeader`, login and session handling, typed faults,
//! the conformance suite, and snapshots of every envelope sent.

use crate::support::{
    accounts_with_contacts, assert_expires_client_side, assert_pages_every_record, client,
    conformance_over_mock, count_calls, id_of, ids, login_refused, mock_with, soap_bodies,
};
use chrono::TimeDelta;
use querymore::mock::{Dataset, MockFault, MockServer};
use querymore::{BackendKind, Client, FaultCode, Record, RetryPolicy, SalesforceSoap, Value};
use std::sync::Arc;

/// `SalesforceSoap` logging in with the mock's credentials.
fn partner(mock: &MockServer) -> SalesforceSoap {
    let creds = mock.credentials();
    SalesforceSoap::builder()
        .endpoint(mock.salesforce_soap_endpoint())
        .credentials(creds.username.clone(), creds.password.clone())
        .build()
        .expect("valid settings")
}

/// Requests whose body holds `<urn:{operation}>`.
fn count(mock: &MockServer, operation: &str) -> usize {
    count_calls(mock, "urn", operation)
}

/// Pages 3,000 Contacts (2,700 live) with `batch` and checks every record
/// comes once, in order, with `ceil(2700 / batch) - 1` queryMore calls.
async fn pages_every_contact(batch: i64) {
    let ds = Dataset::generated(42, 10, 10, 3000);
    let (mock, clock) = mock_with(ds.clone()).await;
    let c = client(partner(&mock), &clock);
    let want = ids(&ds, "Contact", false);
    assert_eq!(want.len(), 2700);
    let q = "select Id, LastName from Contact";
    assert_pages_every_record(&c, &mock, "urn", q, batch, batch as usize, &want).await;
}

#[tokio::test]
async fn salesforce_soap_pages_2700_contacts_with_batch_size_200() {
    pages_every_contact(200).await;
}

#[tokio::test]
async fn salesforce_soap_pages_2700_contacts_with_batch_size_2000() {
    pages_every_contact(2000).await;
}

#[tokio::test]
async fn salesforce_soap_query_all_adds_exactly_the_deleted_contacts() {
    let ds = Dataset::generated(42, 10, 10, 1000);
    let (mock, clock) = mock_with(ds.clone()).await;
    let c = client(partner(&mock), &clock);
    let live: Vec<String> = c
        .query("select Id from Contact")
        .batch_size(300)
        .records::<Record>()
        .try_collect()
        .await
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    let pages = c
        .query_all("select Id, IsDeleted from Contact")
        .batch_size(300)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert!(pages.iter().all(|p| p.total_size == Some(1000)));
    let all: Vec<Record> = pages.into_iter().flat_map(|p| p.records).collect();
    assert_eq!((live.len(), all.len()), (900, 1000));
    assert_eq!(live, ids(&ds, "Contact", false));
    assert_eq!(
        all.iter().map(id_of).collect::<Vec<_>>(),
        ids(&ds, "Contact", true)
    );
    let deleted = all
        .iter()
        .filter(|r| r.get("IsDeleted").and_then(Value::as_str) == Some("true"))
        .count();
    assert_eq!(deleted, 100);
    assert_eq!(count(&mock, "queryAll"), 1);
}

#[tokio::test]
async fn salesforce_soap_idle_cursor_expires_before_any_request() {
    let (mock, clock) = mock_with(Dataset::sample(500)).await;
    let c = client(partner(&mock), &clock);
    let mut pages = c.query("select Id from Account").batch_size(200).pages();
    pages.try_next().await.unwrap();
    assert_expires_client_side(&mut pages, &mock, &clock).await;
}

#[tokio::test]
async fn salesforce_soap_idle_cursor_is_expired_on_the_server() {
    let (mock, clock) = mock_with(Dataset::sample(500)).await;
    // The client does not know the limit: the server's fault tells.
    let source = SalesforceSoap::builder()
        .endpoint(mock.salesforce_soap_endpoint())
        .session(mock.credentials().session_id.clone())
        .idle_limit(None)
        .build()
        .unwrap();
    // Without prefetch, each page is asked for after the idle time (with it,
    // as soon as the page before has begun to arrive).
    let c = Client::builder(source)
        .clock(clock.clone())
        .retry(RetryPolicy::none())
        .prefetch(false)
        .build();
    let mut pages = c.query("select Id from Account").batch_size(200).pages();
    pages.try_next().await.unwrap();
    clock.advance(TimeDelta::minutes(14));
    pages
        .try_next()
        .await
        .expect("still alive at 14 idle minutes");
    clock.advance(TimeDelta::minutes(15));
    let e = pages.try_next().await.unwrap_err();
    assert!(e.is_cursor_expired(), "{e}");
    let f = e.fault().expect("a server fault");
    assert_eq!(f.code, FaultCode::InvalidQueryLocator);
    assert_eq!(
        (f.raw_code.as_str(), f.http_status),
        ("INVALID_QUERY_LOCATOR", Some(500))
    );
}

#[tokio::test]
async fn salesforce_soap_doubled_id_and_nested_relationship_from_the_mock() {
    let ds = Dataset::sample(30);
    let (mock, clock) = mock_with(ds.clone()).await;
    let c = client(partner(&mock), &clock);
    let pages = c
        .query("select Id, FirstName, Account.Name from Contact")
        .pages()
        .try_collect()
        .await
        .unwrap();
    let records = &pages[0].records;
    let contacts = ds.table("Contact").unwrap();
    let live: Vec<usize> = (0..contacts.len())
        .filter(|&i| !contacts.is_deleted(i))
        .collect();
    assert_eq!(records.len(), live.len());
    for (r, &i) in records.iter().zip(&live) {
        let row = contacts.row(i);
        assert_eq!(r.object_type(), Some("Contact"));
        assert_eq!(
            r.field_names().collect::<Vec<_>>(),
            ["Id", "FirstName", "Account"]
        );
        assert_eq!(r.get("Id"), row.get("Id"));
        assert_eq!(r.get("FirstName"), row.get("FirstName"), "nulls stay null");
        let account = r.get("Account").and_then(Value::as_record).unwrap();
        assert_eq!(account.object_type(), Some("Account"));
        assert_eq!(account.get("Name"), row.get_path("Account.Name"));
    }
    assert!(
        records
            .iter()
            .any(|r| r.get("FirstName") == Some(&Value::Null))
    );
    // Without Id selected, records carry no Id.
    let no_id = c
        .query("select LastName from Contact")
        .records::<Record>()
        .try_collect()
        .await
        .unwrap();
    assert!(no_id.iter().all(|r| r.get("Id").is_none()));
}

#[tokio::test]
async fn salesforce_soap_child_subqueries_read_as_lists_the_same_as_over_rest() {
    let dataset = accounts_with_contacts(
        &[
            ("001A", "GenePoint"),
            ("001B", "United Oil"),
            ("001C", "Lonely & Co"),
        ],
        &[
            ("003A", "001A", "Frank"),
            ("003B", "001B", "Gonzalez"),
            ("003C", "001A", "Green"),
        ],
    );
    let (mock, clock) = mock_with(dataset).await;
    let q = "SELECT Name, (SELECT Id, LastName FROM Contacts) FROM Account";
    let soap = client(partner(&mock), &clock)
        .query(q)
        .records::<Record>()
        .try_collect()
        .await
        .unwrap();
    let names = |r: &Record| match r.get("Contacts") {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(Value::as_record)
            .map(|c| {
                assert_eq!(c.object_type(), Some("Contact"));
                c.get("LastName")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect::<Vec<_>>(),
        Some(Value::Null) => Vec::new(),
        other => panic!("expected a list, got {other:?}"),
    };
    assert_eq!(names(&soap[0]), ["Frank", "Green"]);
    assert_eq!(names(&soap[1]), ["Gonzalez"]);
    assert_eq!(soap[2].get("Contacts"), Some(&Value::Null));
    // The REST mock serves the same query; the records are the same.
    let rest = querymore::SalesforceRest::builder()
        .instance_url(mock.uri())
        .access_token(mock.credentials().access_token.as_str())
        .build()
        .unwrap();
    let over_rest = client(rest, &clock)
        .query(q)
        .records::<Record>()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(soap, over_rest);
}

#[tokio::test]
async fn salesforce_soap_records_read_into_a_typed_struct() {
    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "PascalCase")]
    struct Account {
        id: String,
        name: String,
        bill_cycle_day: i64,
        balance: f64,
        auto_pay: bool,
        last_invoice_date: Option<chrono::NaiveDate>,
        created_date: chrono::DateTime<chrono::FixedOffset>,
        notes: Option<String>,
        bill_to_contact: Contact,
    }
    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "PascalCase")]
    struct Contact {
        work_email: String,
    }
    let (mock, clock) = mock_with(Dataset::sample(9)).await;
    let c = client(partner(&mock), &clock);
    let accounts: Vec<Account> = c
        .query(
            "select Id, Name, BillCycleDay, Balance, AutoPay, LastInvoiceDate, CreatedDate, \
             Notes, BillToContact.WorkEmail from Account",
        )
        .records::<Account>()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(accounts.len(), 9);
    assert!(accounts[2].last_invoice_date.is_none());
    assert_eq!(
        accounts[0].notes.as_deref(),
        Some("VIP: 5 < 6 & \"net 30\"")
    );
    assert!(accounts[0].name.starts_with("AT&T"));
    assert_eq!(
        accounts[3].bill_to_contact.work_email,
        "billing4@example.com"
    );
    assert!((1..=28).contains(&accounts[1].bill_cycle_day));
    assert!(accounts.iter().any(|a| a.auto_pay) && accounts.iter().any(|a| !a.auto_pay));
    assert!(accounts[0].balance >= 0.0 && !accounts[0].id.is_empty());
    assert_eq!(accounts[0].created_date.offset().local_minus_utc(), 0);
}

#[tokio::test]
async fn salesforce_soap_limit_info_header_reaches_the_page() {
    let (mock, clock) = mock_with(Dataset::sample(450)).await;
    let c = client(partner(&mock), &clock);
    let pages = c
        .query("select Id from Account")
        .batch_size(200)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    let used: Vec<u64> = pages
        .iter()
        .map(|p| {
            assert_eq!(p.limit_info.len(), 1);
            assert_eq!(p.limit_info[0].kind, "API REQUESTS");
            assert_eq!(p.limit_info[0].limit, 15_000);
            p.limit_info[0].current
        })
        .collect();
    // login, query, queryMore, queryMore: the count includes the call itself.
    assert_eq!(used, [2, 3, 4]);
}

#[tokio::test]
async fn salesforce_soap_bad_password_is_an_invalid_login_that_hides_the_password() {
    let (mock, clock) = mock_with(Dataset::sample(5)).await;
    let source = SalesforceSoap::builder()
        .endpoint(mock.salesforce_soap_endpoint())
        .credentials(mock.credentials().username.clone(), "wrong-PLUGH-pw")
        .build()
        .unwrap();
    let e = login_refused(source, &clock, "PLUGH").await;
    let f = e.fault().expect("a login fault");
    assert_eq!(f.backend, BackendKind::SalesforceSoap);
    assert_eq!(count(&mock, "login"), 1, "a refused login is not repeated");
}

#[tokio::test]
async fn salesforce_soap_refused_session_logs_in_again_and_the_query_continues() {
    let ds = Dataset::sample(600);
    let (mock, clock) = mock_with(ds.clone()).await;
    let c = client(partner(&mock), &clock);
    let mut pages = c.query("select Id from Account").batch_size(200).pages();
    let mut got: Vec<String> = pages
        .try_next()
        .await
        .unwrap()
        .unwrap()
        .records
        .iter()
        .map(id_of)
        .collect();
    mock.faults().push(MockFault::ExpireSession);
    while let Some(p) = pages.try_next().await.unwrap() {
        got.extend(p.records.iter().map(id_of));
    }
    assert_eq!(got, ids(&ds, "Account", false));
    assert_eq!(count(&mock, "login"), 2);
    // The repeated queryMore used the same locator, with the new session.
    let more: Vec<String> = mock
        .received_requests()
        .iter()
        .map(|r| r.body_text())
        .filter(|b| b.contains("<urn:queryMore>"))
        .collect();
    assert_eq!(more.len(), 3);
    let locator = |b: &str| {
        b.split("queryLocator>")
            .nth(1)
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(locator(&more[0]), locator(&more[1]));
    assert_ne!(more[0], more[1], "a new session id");
}

#[tokio::test]
async fn salesforce_soap_given_session_is_used_until_refused_then_credentials_log_in() {
    let (mock, clock) = mock_with(Dataset::sample(450)).await;
    let creds = mock.credentials();
    let source = SalesforceSoap::builder()
        .endpoint(mock.salesforce_soap_endpoint())
        .session(creds.session_id.clone())
        .credentials(creds.username.clone(), creds.password.clone())
        .build()
        .unwrap();
    let c = client(source, &clock);
    let mut pages = c.query("select Id from Account").batch_size(200).pages();
    pages.try_next().await.unwrap();
    assert_eq!(count(&mock, "login"), 0, "the given session needs no login");
    mock.faults().push(MockFault::ExpireSession);
    let mut n = 200;
    while let Some(p) = pages.try_next().await.unwrap() {
        n += p.records.len();
    }
    assert_eq!(n, 450);
    assert_eq!(count(&mock, "login"), 1);
}

#[tokio::test]
async fn salesforce_soap_refused_static_session_is_an_invalid_session() {
    let (mock, clock) = mock_with(Dataset::sample(5)).await;
    let source = SalesforceSoap::builder()
        .endpoint(mock.salesforce_soap_endpoint())
        .session("00Dnot-a-live-XYZZY-session")
        .build()
        .unwrap();
    let c = client(source, &clock);
    let e = c
        .query("select Id from Account")
        .pages()
        .try_next()
        .await
        .unwrap_err();
    assert!(e.is_invalid_session(), "{e}");
    assert_eq!(
        e.fault().map(|f| f.raw_code.as_str()),
        Some("INVALID_SESSION_ID")
    );
    assert!(!e.to_string().contains("XYZZY") && !format!("{e:?}").contains("XYZZY"));
    assert_eq!(
        mock.received_requests().len(),
        1,
        "no login without credentials"
    );
}

#[tokio::test]
async fn salesforce_soap_query_errors_are_typed_faults() {
    let (mock, clock) = mock_with(Dataset::sample(5)).await;
    let c = client(partner(&mock), &clock);
    for (q, code) in [
        ("selec Id from Account", FaultCode::MalformedQuery),
        ("select Bogus from Account", FaultCode::InvalidField),
        ("select Id from Nope", FaultCode::InvalidType),
    ] {
        let e = c.query(q).pages().try_next().await.unwrap_err();
        let f = e.fault().unwrap_or_else(|| panic!("{q}: {e}"));
        assert_eq!(f.code, code, "{q}: {e}");
        assert_eq!(f.http_status, Some(500));
        assert!(!e.is_retryable(), "{e}");
    }
    mock.faults().push(MockFault::InvalidLocator);
    let mut pages = c.query("select Id from Account").batch_size(200).pages();
    // Five rows fit one page: the injected fault is used up by that query.
    assert!(pages.try_next().await.unwrap().unwrap().is_last());
}

#[tokio::test]
async fn salesforce_soap_passes_the_conformance_suite() {
    let ds = Dataset::sample(650);
    let (mock, clock) = mock_with(ds.clone()).await;
    let source = Arc::new(partner(&mock));
    let expected = ids(&ds, "Account", false);
    let passed =
        conformance_over_mock(mock, clock, source, "select Id from Account", expected, 200).await;
    assert_eq!(passed.len(), 8, "{passed:?}");
}

#[tokio::test]
async fn salesforce_soap_requests_carry_soap_headers_and_snapshot_envelopes() {
    let (mock, clock) = mock_with(Dataset::sample(450)).await;
    let c = client(partner(&mock), &clock);
    let q = "select Id, Name from Account where Name != 'AT&T'";
    let mut first = c.query(q).pages();
    first.try_next().await.unwrap();
    for batch in [200, 2000] {
        let mut pages = c.query(q).batch_size(batch).pages();
        pages.try_next().await.unwrap();
        if batch == 200 {
            pages.try_next().await.unwrap();
        }
    }
    c.query_all(q)
        .batch_size(500)
        .pages()
        .try_next()
        .await
        .unwrap();
    let bodies = soap_bodies(&mock);
    let requests = mock.received_requests();
    // Login goes to the endpoint; the rest to the serverUrl it named.
    assert_eq!(requests[0].path, "/services/Soap/u/58.0");
    assert!(
        requests[1..]
            .iter()
            .all(|r| r.path == "/services/Soap/u/58.0/00D5g00000MOCKAAA")
    );
    assert_eq!(
        bodies.len(),
        6,
        "login, query, query 200, queryMore, query 2000, queryAll"
    );
    querymore::assert_envelope_snapshot!("salesforce_soap__login", bodies[0]);
    querymore::assert_envelope_snapshot!("salesforce_soap__query", bodies[1]);
    querymore::assert_envelope_snapshot!("salesforce_soap__query_batch_200", bodies[2]);
    querymore::assert_envelope_snapshot!("salesforce_soap__query_more_batch_200", bodies[3]);
    querymore::assert_envelope_snapshot!("salesforce_soap__query_batch_2000", bodies[4]);
    querymore::assert_envelope_snapshot!("salesforce_soap__query_all_batch_500", bodies[5]);
}
