//! Salesforce REST over HTTP against the embedded mock: query and queryAll paged
//! by `nextRecordsUrl` at every batch size, deleted rows, cursor expiry and
//! eviction, origin pinning of `nextRecordsUrl`, typed records, the mock's wire
//! shape as a third-party client sees it, and snapshots of what each call sends.

mod bad_input;
mod scripted;

use crate::support::{mock_with, snapshot_settings};
use chrono::{NaiveDate, TimeDelta};
use querymore::mock::{Dataset, MockFault, MockServer, ReceivedRequest};
use querymore::{
    BackendKind, Client, Cursor, CursorToken, Error, ManualClock, Page, Record, RetryPolicy,
    SalesforceRest, Value,
};
use scripted::{Canned, Scripted};
use serde::Deserialize;

const CONTACTS: &str = "SELECT Id, LastName FROM Contact";

fn rest(mock: &MockServer) -> SalesforceRest {
    SalesforceRest::builder()
        .instance_url(mock.uri())
        .access_token(mock.credentials().access_token.as_str())
        .build()
        .unwrap()
}

/// No retries and no prefetch: each request goes out when its page is asked
/// for (with prefetch on, the next page is requested as soon as this page's
/// head has arrived), so request counts and server-side idle times are the
/// caller's.
fn client(mock: &MockServer, clock: &ManualClock) -> Client {
    Client::builder(rest(mock))
        .clock(clock.clone())
        .retry(RetryPolicy::none())
        .prefetch(false)
        .build()
}

/// The 5,000-contact data set: every tenth row deleted.
fn contacts() -> Dataset {
    Dataset::generated(42, 10, 10, 5_000)
}

/// The Ids the data set holds, in order, deleted rows only when asked.
fn expected_ids(dataset: &Dataset, include_deleted: bool) -> Vec<String> {
    let table = dataset.table("Contact").unwrap();
    (0..table.len())
        .filter(|&i| include_deleted || !table.is_deleted(i))
        .map(|i| text(table.row(i).get("Id")))
        .collect()
}

fn text(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn ids(pages: &[Page]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| &p.records)
        .map(|r| text(r.get("Id")))
        .collect()
}

fn rest_requests(mock: &MockServer) -> Vec<ReceivedRequest> {
    mock.received_requests()
        .into_iter()
        .filter(|r| r.backend == Some(BackendKind::SalesforceRest))
        .collect()
}

#[tokio::test]
async fn salesforce_rest_5000_contacts_every_record_once_in_order_at_each_batch_size() {
    let (mock, clock) = mock_with(contacts()).await;
    let want = expected_ids(mock.state().dataset(), false);
    assert_eq!(want.len(), 4_500);
    for batch in [200_usize, 500, 2000] {
        mock.state().clear_requests();
        let pages = client(&mock, &clock)
            .query(CONTACTS)
            .batch_size(batch as i64)
            .pages()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(ids(&pages), want, "batch {batch}");
        assert_eq!(pages.len(), want.len().div_ceil(batch), "batch {batch}");
        assert!(pages.iter().all(|p| p.records.len() <= batch));
        assert!(pages.iter().all(|p| p.total_size == Some(4_500)));
        let requests = rest_requests(&mock);
        assert_eq!(requests.len(), pages.len());
        for r in &requests {
            assert_eq!(
                r.header("sforce-query-options"),
                Some(format!("batchSize={batch}").as_str()),
                "{}",
                r.path
            );
        }
        assert!(requests[1..].iter().all(|r| r.path.contains("/query/01g")));
    }
}

#[tokio::test]
async fn salesforce_rest_query_all_adds_exactly_the_deleted_contacts() {
    let (mock, clock) = mock_with(contacts()).await;
    let c = client(&mock, &clock);
    let live = c
        .query(CONTACTS)
        .batch_size(2000)
        .pages()
        .try_collect()
        .await
        .unwrap();
    let all = c
        .query_all("SELECT Id, IsDeleted FROM Contact")
        .batch_size(2000)
        .pages()
        .try_collect()
        .await
        .unwrap();
    let dataset = mock.state().dataset();
    assert_eq!(ids(&all), expected_ids(dataset, true));
    let deleted: Vec<String> = all
        .iter()
        .flat_map(|p| &p.records)
        .filter(|r| r.get("IsDeleted") == Some(&Value::Bool(true)))
        .map(|r| text(r.get("Id")))
        .collect();
    let live_ids = ids(&live);
    assert_eq!(ids(&all).len() - live_ids.len(), deleted.len());
    assert_eq!(deleted.len(), 500);
    assert!(deleted.iter().all(|id| !live_ids.contains(id)));
    assert_eq!(all[0].total_size, Some(5_000));
    let requests = rest_requests(&mock);
    let query_all: Vec<_> = requests
        .iter()
        .skip_while(|r| !r.path.ends_with("/queryAll"))
        .collect();
    assert_eq!(query_all.len(), 3);
    assert!(
        query_all[1..]
            .iter()
            .all(|r| r.path.contains("/query/01gA")),
        "queryAll's nextRecordsUrl points at /query/, followed as given"
    );
}

#[tokio::test]
async fn salesforce_rest_resumes_from_query_and_query_all_locator_forms() {
    let (mock, clock) = mock_with(contacts()).await;
    let c = client(&mock, &clock);
    let want = expected_ids(mock.state().dataset(), true);
    for explicit_query_all in [false, true] {
        let first = c
            .query_all("SELECT Id FROM Contact")
            .batch_size(1000)
            .pages()
            .try_next()
            .await
            .unwrap()
            .unwrap();
        let cursor = first.cursor.clone().unwrap();
        let CursorToken::NextRecordsUrl(url) = &cursor.token else {
            panic!("expected a nextRecordsUrl, got {cursor:?}");
        };
        assert!(url.starts_with("/services/data/v62.0/query/01g"), "{url}");
        // The same locator through the explicit `/queryAll/{locator}` form.
        let resume_at = if explicit_query_all {
            Cursor {
                token: CursorToken::NextRecordsUrl(url.replace("/query/", "/queryAll/")),
                ..cursor.clone()
            }
        } else {
            cursor
        };
        let rest = c.resume(resume_at).pages().try_collect().await.unwrap();
        let mut got = ids(std::slice::from_ref(&first));
        got.extend(ids(&rest));
        assert_eq!(got, want, "explicit /queryAll/: {explicit_query_all}");
    }
    let paths: Vec<String> = rest_requests(&mock).into_iter().map(|r| r.path).collect();
    assert!(
        paths.iter().any(|p| p.contains("/queryAll/01g")),
        "{paths:?}"
    );
}

#[tokio::test]
async fn salesforce_rest_idle_cursor_is_expired_on_the_server() {
    let (mock, clock) = mock_with(contacts()).await;
    let mut pages = client(&mock, &clock)
        .query(CONTACTS)
        .check_expiry(false)
        .pages();
    pages.try_next().await.unwrap().unwrap();
    clock.advance(TimeDelta::minutes(15));
    let err = pages.try_next().await.unwrap_err();
    assert!(err.is_cursor_expired(), "{err}");
    let fault = err.fault().expect("the server's answer");
    assert_eq!(fault.raw_code, "INVALID_QUERY_LOCATOR");
    assert_eq!(fault.http_status, Some(400));
    assert_eq!(rest_requests(&mock).len(), 2);
}

#[tokio::test]
async fn salesforce_rest_idle_cursor_is_expired_before_any_request() {
    let (mock, clock) = mock_with(contacts()).await;
    let mut pages = client(&mock, &clock)
        .query(CONTACTS)
        .prefetch(false)
        .pages();
    let first = pages.try_next().await.unwrap().unwrap();
    assert_eq!(
        first.cursor.as_ref().and_then(|c| c.idle_limit),
        Some(TimeDelta::minutes(15))
    );
    clock.advance(TimeDelta::minutes(15));
    let err = pages.try_next().await.unwrap_err();
    assert!(matches!(err, Error::CursorExpired { .. }), "{err}");
    assert_eq!(
        rest_requests(&mock).len(),
        1,
        "no request for an expired cursor"
    );
}

#[tokio::test]
async fn salesforce_rest_raised_idle_limit_outlives_the_classic_15_minutes() {
    let clock = ManualClock::fixed();
    let mock = MockServer::builder()
        .dataset(contacts())
        .clock(clock.clone())
        .idle_limit(Some(TimeDelta::days(2)))
        .start()
        .await
        .unwrap();
    let rest = SalesforceRest::builder()
        .instance_url(mock.uri())
        .access_token(mock.credentials().access_token.as_str())
        .idle_limit(Some(TimeDelta::days(2)))
        .build()
        .unwrap();
    let mut pages = Client::builder(rest)
        .clock(clock.clone())
        .build()
        .query(CONTACTS)
        .pages();
    pages.try_next().await.unwrap();
    clock.advance(TimeDelta::hours(1));
    assert!(pages.try_next().await.unwrap().is_some());
}

#[tokio::test]
async fn salesforce_rest_evicted_cursor_is_expired() {
    let clock = ManualClock::fixed();
    let mock = MockServer::builder()
        .dataset(contacts())
        .clock(clock.clone())
        .open_cursor_limit(Some(1))
        .start()
        .await
        .unwrap();
    let c = client(&mock, &clock);
    let mut older = c.query(CONTACTS).pages();
    older.try_next().await.unwrap().unwrap();
    let mut newer = c.query(CONTACTS).pages();
    newer.try_next().await.unwrap().unwrap();
    let err = older.try_next().await.unwrap_err();
    assert!(err.is_cursor_expired(), "{err}");
    assert!(
        newer.try_next().await.unwrap().is_some(),
        "the newer cursor lives"
    );
}

#[tokio::test]
async fn salesforce_rest_injected_faults_come_back_typed() {
    let (mock, clock) = mock_with(contacts()).await;
    let c = client(&mock, &clock);
    let mut pages = c.query(CONTACTS).pages();
    pages.try_next().await.unwrap();
    mock.faults().push(MockFault::InvalidLocator);
    assert!(pages.try_next().await.unwrap_err().is_cursor_expired());

    mock.faults().push(MockFault::Html);
    let err = c.query(CONTACTS).pages().try_next().await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err}");

    // A body cut short (or a dropped connection) is retryable, and a client
    // with retries gets the whole page on the next attempt.
    mock.faults().push(MockFault::TruncatedBody);
    let err = c.query(CONTACTS).pages().try_next().await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    mock.faults().push(MockFault::TruncatedBody);
    let retrying = Client::builder(rest(&mock))
        .clock(clock.clone())
        .retry(RetryPolicy::default().with_base_delay(std::time::Duration::from_millis(1)))
        .build();
    let page = retrying
        .query(CONTACTS)
        .pages()
        .try_next()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.records.len(), 2000);

    // Last: an injected expiry ends the (fixed) token on the server.
    mock.faults().push(MockFault::ExpireSession);
    let err = c.query(CONTACTS).pages().try_next().await.unwrap_err();
    assert!(err.is_invalid_session(), "{err}");
    assert_eq!(err.fault().and_then(|f| f.http_status), Some(401));
}

#[tokio::test]
async fn salesforce_rest_mock_soql_errors_and_bad_tokens() {
    let (mock, clock) = mock_with(contacts()).await;
    let c = client(&mock, &clock);
    for (soql, code) in [
        ("SELEC Id FROM Contact", "MALFORMED_QUERY"),
        ("SELECT Id, Bogus FROM Contact", "INVALID_FIELD"),
        ("SELECT Id FROM Nothing", "INVALID_TYPE"),
    ] {
        let err = c.query(soql).pages().try_next().await.unwrap_err();
        assert_eq!(
            err.fault().map(|f| f.raw_code.as_str()),
            Some(code),
            "{err}"
        );
        assert_eq!(err.fault().and_then(|f| f.http_status), Some(400));
    }
    let stranger = SalesforceRest::builder()
        .instance_url(mock.uri())
        .access_token("00Dnot!a-live-token")
        .build()
        .unwrap();
    let err = Client::new(stranger)
        .query(CONTACTS)
        .pages()
        .try_next()
        .await
        .unwrap_err();
    assert!(err.is_invalid_session(), "{err}");
    assert!(!err.to_string().contains("a-live-token"));
}

#[tokio::test]
async fn salesforce_rest_batch_size_out_of_range_sends_nothing() {
    let (mock, clock) = mock_with(contacts()).await;
    for bad in [0, 199, 2001] {
        let err = client(&mock, &clock)
            .query(CONTACTS)
            .batch_size(bad)
            .pages()
            .try_next()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
        assert!(err.to_string().contains("200 and 2000"), "{err}");
    }
    assert!(rest_requests(&mock).is_empty());
}

#[tokio::test]
async fn salesforce_rest_next_records_url_to_another_origin_is_refused() {
    let other = MockServer::start().await;
    let evil_next = format!(
        "{}/services/data/v62.0/query/01gQ02000000001AAA-200",
        other.uri()
    );
    let page =
        format!(r#"{{"totalSize":400,"done":false,"nextRecordsUrl":"{evil_next}","records":[]}}"#);
    let instance = Scripted::start(vec![Canned::json(page)]).await;
    let rest = SalesforceRest::builder()
        .instance_url(&instance.uri)
        .access_token(other.credentials().access_token.as_str())
        .build()
        .unwrap();
    let c = Client::builder(rest).retry(RetryPolicy::none()).build();
    let err = c.query(CONTACTS).pages().try_next().await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
    assert!(err.to_string().contains("another origin"), "{err}");
    // A checkpointed cursor naming the other host is refused the same way.
    let forged = Cursor::new(
        BackendKind::SalesforceRest,
        CursorToken::NextRecordsUrl(evil_next),
    );
    let err = c.resume(forged).pages().try_next().await.unwrap_err();
    assert!(err.to_string().contains("another origin"), "{err}");
    assert!(
        other.received_requests().is_empty(),
        "no request reached the other host"
    );
    assert_eq!(instance.requests().len(), 1);
}

/// One struct for strings, integer, decimal, boolean, date, null and a nested
/// relationship.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct Opportunity {
    id: String,
    name: String,
    amount: f64,
    probability: u32,
    is_won: bool,
    close_date: NaiveDate,
    next_step: Option<String>,
    account: AccountRef,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct AccountRef {
    name: String,
}

#[tokio::test]
async fn salesforce_rest_record_reads_into_one_typed_struct() {
    let account = Record::new()
        .with_object_type("Account")
        .with("Name", "Acme & Co");
    let opportunity = Record::new()
        .with_object_type("Opportunity")
        .with("Id", "006000000000001AAA")
        .with("Name", "Big \"Deal\"")
        .with("Amount", 125_000.5)
        .with("Probability", 90_i64)
        .with("IsWon", true)
        .with("CloseDate", "2024-03-31")
        .with("NextStep", Value::Null)
        .with("AccountId", "001000000000001AAA")
        .with("Account", account);
    let dataset = Dataset::empty().with_records("Opportunity", vec![opportunity]);
    let (mock, clock) = mock_with(dataset).await;
    let got = client(&mock, &clock)
        .query(
            "SELECT Id, Name, Amount, Probability, IsWon, CloseDate, NextStep, Account.Name \
             FROM Opportunity",
        )
        .records::<Opportunity>()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        got,
        [Opportunity {
            id: "006000000000001AAA".into(),
            name: "Big \"Deal\"".into(),
            amount: 125_000.5,
            probability: 90,
            is_won: true,
            close_date: NaiveDate::from_ymd_opt(2024, 3, 31).unwrap(),
            next_step: None,
            account: AccountRef {
                name: "Acme & Co".into()
            },
        }]
    );
}

/// The Account fields Zuora and Salesforce share in the mock's data set.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct Account {
    id: String,
    account_number: String,
    auto_pay: bool,
    balance: f64,
    bill_cycle_day: u8,
    last_invoice_date: Option<NaiveDate>,
    name: String,
    notes: Option<String>,
}

#[tokio::test]
async fn salesforce_rest_accounts_read_as_the_data_set_holds_them() {
    let (mock, clock) = mock_with(Dataset::sample(450)).await;
    let fields = "Id, AccountNumber, AutoPay, Balance, BillCycleDay, LastInvoiceDate, Name, Notes";
    let got = client(&mock, &clock)
        .query(format!("SELECT {fields} FROM Account"))
        .batch_size(200)
        .records::<Account>()
        .try_collect()
        .await
        .unwrap();
    let table = mock.state().dataset().table("Account").unwrap();
    let want: Vec<Account> = (0..table.len())
        .map(|i| table.row(i).deserialize_as().unwrap())
        .collect();
    assert_eq!(got.len(), 450);
    assert_eq!(got, want);
    assert!(got.iter().any(|a| a.notes.is_none()) && got.iter().any(|a| a.notes.is_some()));
    assert!(got.iter().any(|a| a.last_invoice_date.is_none()));
}

#[tokio::test]
async fn salesforce_rest_child_subquery_and_relationships_from_the_mock() {
    let dataset = crate::support::accounts_with_contacts(
        &[("001A", "GenePoint"), ("001B", "United Oil")],
        &[
            ("003A", "001A", "Frank"),
            ("003B", "001B", "Gonzalez"),
            ("003C", "001A", "Green"),
        ],
    );
    let (mock, clock) = mock_with(dataset).await;
    let page = client(&mock, &clock)
        .query("SELECT Name, (SELECT LastName FROM Contacts) FROM Account")
        .pages()
        .try_next()
        .await
        .unwrap()
        .unwrap();
    let names = |r: &Record| match r.get("Contacts") {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|i| i.as_record())
            .map(|c| text(c.get("LastName")))
            .collect::<Vec<_>>(),
        other => panic!("expected a list, got {other:?}"),
    };
    assert_eq!(names(&page.records[0]), ["Frank", "Green"]);
    assert_eq!(names(&page.records[1]), ["Gonzalez"]);
    assert_eq!(page.records[0].object_type(), Some("Account"));
}

/// A request as a snapshot: the request line, then the headers sorted, the
/// token and the port redacted.
fn request_text(r: &ReceivedRequest, token: &str) -> String {
    let query = r
        .query
        .as_ref()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let mut out = format!("{} {}{query}\n", r.method, r.path);
    let mut headers = r.headers.clone();
    headers.sort();
    for (name, value) in headers {
        let value = match name.as_str() {
            "host" => "[HOST]".to_owned(),
            "user-agent" => value.split('/').next().unwrap_or_default().to_owned() + "/[VERSION]",
            _ => value.replace(token, "[TOKEN]"),
        };
        out.push_str(&format!("{name}: {value}\n"));
    }
    out
}

/// A page as a snapshot: its size, cursor, counters and first records.
fn page_text(page: &Page) -> String {
    let mut out = format!(
        "total_size: {:?}\ncursor: {:?}\nlimit_info: {:?}\nrecords: {}\n",
        page.total_size,
        page.cursor.as_ref().map(|c| &c.token),
        page.limit_info,
        page.records.len()
    );
    for r in page.records.iter().take(3) {
        out.push_str(&format!("{r:?}\n"));
    }
    out
}

#[tokio::test]
async fn salesforce_rest_requests_and_pages_snapshot() {
    let (mock, clock) = mock_with(Dataset::generated(42, 10, 10, 450)).await;
    let token = mock.credentials().access_token.clone();
    let c = client(&mock, &clock);
    let soql = "SELECT Id, FirstName, LastName, Phone, IsDeleted, Account.Name FROM Contact";
    let mut pages = c.query(soql).batch_size(200).pages();
    let first = pages.try_next().await.unwrap().unwrap();
    let second = pages.try_next().await.unwrap().unwrap();
    let all = c
        .query_all("SELECT Id FROM Contact")
        .pages()
        .try_next()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(all.records.len(), 450);
    let requests = rest_requests(&mock);
    let texts: Vec<String> = requests.iter().map(|r| request_text(r, &token)).collect();
    assert!(texts.iter().all(|t| !t.contains(&token)));
    let (first_text, second_text) = (page_text(&first), page_text(&second));
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("salesforce_rest__query_request", texts[0]);
        insta::assert_snapshot!("salesforce_rest__query_more_request", texts[1]);
        insta::assert_snapshot!("salesforce_rest__query_all_request", texts[2]);
        insta::assert_snapshot!("salesforce_rest__query_page", first_text);
        insta::assert_snapshot!("salesforce_rest__query_more_page", second_text);
    });
}

/// The mock's body as a third-party client reads it, pretty-printed.
#[tokio::test]
async fn salesforce_rest_mock_wire_shape_snapshot() {
    let (mock, _clock) = mock_with(Dataset::generated(42, 10, 10, 10)).await;
    let mut url = url::Url::parse(&format!("{}/services/data/v62.0/queryAll", mock.uri())).unwrap();
    url.query_pairs_mut().append_pair(
        "q",
        "SELECT Id, FirstName, IsDeleted, Account.Name FROM Contact",
    );
    let resp = reqwest::Client::new()
        .get(url)
        .bearer_auth(&mock.credentials().access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["content-type"],
        "application/json;charset=UTF-8"
    );
    assert_eq!(resp.headers()["sforce-limit-info"], "api-usage=1/15000");
    let body: serde_json::Value = resp.json().await.unwrap();
    let pretty = serde_json::to_string_pretty(&body).unwrap();
    snapshot_settings()
        .bind(|| insta::assert_snapshot!("salesforce_rest__mock_query_all_body", pretty));
}

/// A client written against the real service, the way simple-salesforce pages:
/// `GET /services/data/vXX.X/query?q=`, then `GET instance + nextRecordsUrl`
/// until `done`. It must walk the mock unchanged.
#[tokio::test]
async fn salesforce_rest_mock_pages_for_a_plain_third_party_client() {
    let (mock, _clock) = mock_with(contacts()).await;
    let base = mock.uri();
    let http = reqwest::Client::new();
    let token = mock.credentials().access_token.clone();
    let get = |url: String| {
        http.get(url)
            .header("Authorization", format!("Bearer {token}"))
            .header("X-PrettyPrint", "1")
            .send()
    };
    for (resource, want) in [("query", 4_500_usize), ("queryAll", 5_000)] {
        let mut url = format!(
            "{base}/services/data/v62.0/{resource}?q=SELECT+Id,+LastName,+Account.Name+FROM+Contact"
        );
        let (mut count, mut pages) = (0_usize, 0_usize);
        loop {
            let resp = get(url).await.unwrap();
            assert_eq!(resp.status(), 200);
            let body: serde_json::Value = resp.json().await.unwrap();
            pages += 1;
            for r in body["records"].as_array().unwrap() {
                let id = r["Id"].as_str().unwrap();
                assert_eq!(r["attributes"]["type"], "Contact");
                assert_eq!(
                    r["attributes"]["url"],
                    format!("/services/data/v62.0/sobjects/Contact/{id}")
                );
                assert!(
                    r["Account"]["attributes"]["url"]
                        .as_str()
                        .unwrap()
                        .starts_with("/services/data/v62.0/sobjects/Account/001")
                );
                count += 1;
            }
            assert_eq!(body["totalSize"], want);
            if body["done"].as_bool().unwrap() {
                assert!(body.get("nextRecordsUrl").is_none());
                break;
            }
            url = format!("{base}{}", body["nextRecordsUrl"].as_str().unwrap());
        }
        assert_eq!(count, want, "{resource}");
        assert_eq!(pages, want.div_ceil(2000), "{resource}");
    }
}

#[test]
fn salesforce_rest_debug_never_shows_the_token() {
    let rest = SalesforceRest::builder()
        .instance_url("https://na1.example.com")
        .access_token("00Dxx!super-secret-token")
        .build()
        .unwrap();
    let client = Client::new(rest.clone());
    for shown in [format!("{rest:?}"), format!("{client:?}")] {
        assert!(!shown.contains("super-secret-token"), "{shown}");
    }
}

#[tokio::test]
async fn salesforce_rest_mock_answers_bad_requests_like_the_real_service() {
    let (mock, _clock) = mock_with(contacts()).await;
    let http = reqwest::Client::new();
    let token = mock.credentials().access_token.clone();
    let cases = [
        (
            "/services/data/62.0/query?q=SELECT+Id+FROM+Contact",
            404,
            "NOT_FOUND",
        ),
        ("/services/data/v62.0/query", 400, "MALFORMED_QUERY"),
        ("/services/data/v62.0/query?q=", 400, "MALFORMED_QUERY"),
        (
            "/services/data/v62.0/query/not-a-locator",
            400,
            "INVALID_QUERY_LOCATOR",
        ),
        (
            "/services/data/v62.0/queryAll/01gQ02000000099AAA-200",
            400,
            "INVALID_QUERY_LOCATOR",
        ),
    ];
    for (path, status, code) in cases {
        let resp = http
            .get(format!("{}{path}", mock.uri()))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), status, "{path}");
        assert_eq!(
            resp.headers()["content-type"],
            "application/json;charset=UTF-8"
        );
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body[0]["errorCode"], code, "{path}: {body}");
        assert!(body[0]["message"].is_string());
    }
    let resp = http
        .get(format!(
            "{}/services/data/v62.0/query?q=SELECT+Id+FROM+Contact",
            mock.uri()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401, "no bearer token");
}

#[tokio::test]
async fn salesforce_rest_follows_links_as_given_and_accepts_any_page_size() {
    // Pages of 1 and 2 records for a batch size of 500 (the size is a hint), the
    // second link absolute on the same origin, the third a path with a newer version.
    let placeholder = "{ORIGIN}";
    let record = |id: &str| {
        format!(
            r#"{{"attributes":{{"type":"Contact","url":"/services/data/v62.0/sobjects/Contact/{id}"}},"Id":"{id}"}}"#
        )
    };
    let pages = [
        format!(
            r#"{{"totalSize":4,"done":false,"nextRecordsUrl":"{placeholder}/services/data/v62.0/query/01gX-1","records":[{}]}}"#,
            record("003A")
        ),
        format!(
            r#"{{"totalSize":4,"done":false,"nextRecordsUrl":"/services/data/v63.0/query/01gX-3","records":[{},{}]}}"#,
            record("003B"),
            record("003C")
        ),
        format!(
            r#"{{"totalSize":4,"done":true,"records":[{}]}}"#,
            record("003D")
        ),
    ];
    // The origin is known only once the server is up: queue pages that name it.
    let server = Scripted::start(Vec::new()).await;
    for page in &pages {
        server.push(Canned::json(page.replace(placeholder, &server.uri)));
    }
    let rest = SalesforceRest::builder()
        .instance_url(&server.uri)
        .access_token("00Dscripted!token")
        .build()
        .unwrap();
    let got = Client::builder(rest)
        .retry(RetryPolicy::none())
        .build()
        .query("SELECT Id FROM Contact")
        .batch_size(500)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&got), ["003A", "003B", "003C", "003D"]);
    assert_eq!(
        server.requests(),
        [
            "/services/data/v62.0/query?q=SELECT+Id+FROM+Contact",
            "/services/data/v62.0/query/01gX-1",
            "/services/data/v63.0/query/01gX-3",
        ]
    );
}

#[tokio::test]
async fn salesforce_rest_passes_the_conformance_suite() {
    let ds = Dataset::sample(650);
    let (mock, clock) = mock_with(ds.clone()).await;
    let source = std::sync::Arc::new(rest(&mock));
    let expected = crate::support::ids(&ds, "Account", false);
    let passed = crate::support::conformance_over_mock(
        mock,
        clock,
        source,
        "select Id from Account",
        expected,
        200,
    )
    .await;
    assert_eq!(passed.len(), 8, "{passed:?}");
}
