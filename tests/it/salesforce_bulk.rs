//! Salesforce Bulk API 2.0 query jobs over HTTP to the mock (and, for answers
//! the mock never gives, to tiny purpose-built servers): job lifecycle and its
//! typed failures, the sequential locator walk and the parallel `resultPages`
//! walk, resume from a checkpoint, the API-version rule, header and CSV checks,
//! origin pinning, and a third-party client reading the mock unchanged.

use crate::support::{mock_with, snapshot_settings};
use querymore::conformance::{Harness, run};
use querymore::mock::{Dataset, JobOutcome, MockFault, MockServer};
use querymore::salesforce::bulk::{ColumnDelimiter, LineEnding, SalesforceBulkBuilder};
use querymore::{
    BackendKind, Client, Cursor, CursorToken, Error, FaultCode, Page, Record, RetryPolicy,
    SalesforceBulk, Secret, Value,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const QUERY: &str = "select Id, FirstName, LastName, Email, IsDeleted, Account.Name from Contact";
const BIG: usize = 120_001;

fn bulk(mock: &MockServer) -> SalesforceBulkBuilder {
    SalesforceBulk::builder()
        .instance_url(mock.uri())
        .access_token(Secret::new(mock.credentials().access_token.clone()))
        .api_version("62.0")
        .poll_interval(Duration::from_millis(2))
        .max_poll_interval(Duration::from_millis(10))
}

fn client(source: SalesforceBulk) -> Client {
    Client::builder(source).retry(RetryPolicy::none()).build()
}

fn contact_id(i: usize) -> String {
    format!("0035g00000{i:08}AA")
}

fn id_of(r: &Record) -> String {
    r.get("Id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Every id, in order, must be exactly `0..n`; every 997th row must equal the
/// data set's row, field by field, as text.
fn assert_all_rows(ds: &Dataset, records: &[Record], n: usize) {
    assert_eq!(records.len(), n, "row count");
    let table = ds.table("Contact").unwrap();
    for (i, r) in records.iter().enumerate() {
        assert_eq!(
            id_of(r),
            contact_id(i),
            "row {i} out of order or duplicated"
        );
        if i % 997 == 0 || i + 1 == n {
            let want = table.row(i);
            for path in [
                "FirstName",
                "LastName",
                "Email",
                "IsDeleted",
                "Account.Name",
            ] {
                let got = r.get_path(path).and_then(Value::to_text);
                let exp = want.get_path(path).and_then(Value::to_text);
                assert_eq!(got, exp, "row {i} field {path}");
            }
            assert_eq!(r.object_type(), Some("Contact"));
        }
    }
}

async fn read_all(client: &Client, batch: i64) -> (Vec<Record>, usize) {
    let mut pages = client.query_all(QUERY).batch_size(batch).pages();
    let mut records = Vec::new();
    let mut n = 0;
    while let Some(page) = pages.try_next().await.unwrap() {
        records.extend(page.records);
        n += 1;
    }
    (records, n)
}

fn count(mock: &MockServer, suffix: &str) -> usize {
    mock.received_requests()
        .iter()
        .filter(|r| r.path.ends_with(suffix))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn salesforce_bulk_sequential_walk_reads_120001_rows_once_in_order() {
    let ds = Dataset::generated(42, 10, 10, BIG);
    let (mock, _clock) = mock_with(ds.clone()).await;
    let source = bulk(&mock).parallel_result_pages(false).build().unwrap();
    let (records, pages) = read_all(&client(source), 50_000).await;
    assert_all_rows(&ds, &records, BIG);
    assert_eq!(pages, 3);
    assert_eq!(count(&mock, "/results"), 3);
    assert_eq!(count(&mock, "/resultPages"), 0);
    let results = mock
        .received_requests()
        .into_iter()
        .find(|r| r.path.ends_with("/results"))
        .unwrap();
    assert_eq!(results.header("accept"), Some("text/csv"));
    assert!(results.header("accept-encoding").unwrap().contains("gzip"));
    assert_eq!(results.query.as_deref(), Some("maxRecords=50000"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn salesforce_bulk_parallel_result_pages_read_120001_rows_once_in_order() {
    let ds = Dataset::generated(42, 10, 10, BIG);
    let (mock, _clock) = mock_with(ds.clone()).await;
    let source = bulk(&mock).build().unwrap();
    assert!(source.parallel_result_pages());
    let (records, pages) = read_all(&client(source), 50_000).await;
    assert_all_rows(&ds, &records, BIG);
    assert_eq!(pages, 1, "three result URLs fit one listing");
    assert_eq!(count(&mock, "/results"), 3);
    assert_eq!(count(&mock, "/resultPages"), 1);
}

/// maxRecords 7 over 120,001 rows means 17,143 results requests per walk, about
/// 40 s each in a debug build; 12,001 rows (1,715 sets, the last one short)
/// check the same walk in a few seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn salesforce_bulk_max_records_7_walks_every_set_both_ways() {
    const ROWS: usize = 12_001;
    let ds = Dataset::generated(42, 10, 10, ROWS);
    let (mock, _clock) = mock_with(ds.clone()).await;
    let sets = ROWS.div_ceil(7);
    assert_eq!(sets, 1_715);

    let seq = bulk(&mock).parallel_result_pages(false).build().unwrap();
    let (records, pages) = read_all(&client(seq), 7).await;
    assert_all_rows(&ds, &records, ROWS);
    assert_eq!(pages, sets);
    assert_eq!(count(&mock, "/results"), sets);

    mock.state().clear_requests();
    let par = bulk(&mock).build().unwrap();
    let (records, pages) = read_all(&client(par), 7).await;
    assert_all_rows(&ds, &records, ROWS);
    assert_eq!(pages, sets.div_ceil(5));
    assert_eq!(count(&mock, "/results"), sets);
    assert_eq!(count(&mock, "/resultPages"), sets.div_ceil(5));
}

#[tokio::test]
async fn salesforce_bulk_query_skips_deleted_rows_and_query_all_keeps_them() {
    let (mock, _clock) = mock_with(Dataset::sample(25)).await;
    let c = client(bulk(&mock).build().unwrap());
    let live: Vec<Record> = c.query(QUERY).records().try_collect().await.unwrap();
    let all: Vec<Record> = c.query_all(QUERY).records().try_collect().await.unwrap();
    assert_eq!(live.len(), 23);
    assert_eq!(all.len(), 25);
    assert!(
        live.iter()
            .all(|r| r.get("IsDeleted") == Some(&Value::from("false")))
    );
    let bodies: Vec<String> = mock
        .received_requests()
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.body_text())
        .collect();
    assert!(
        bodies[0].contains(r#""operation":"query""#),
        "{}",
        bodies[0]
    );
    assert!(
        bodies[1].contains(r#""operation":"queryAll""#),
        "{}",
        bodies[1]
    );
}

#[derive(Debug, serde::Deserialize, PartialEq)]
#[allow(non_snake_case)]
struct Contact {
    Id: String,
    FirstName: Option<String>,
    IsDeleted: bool,
    Account: Option<AccountRef>,
}

#[derive(Debug, serde::Deserialize, PartialEq)]
#[allow(non_snake_case)]
struct AccountRef {
    Name: String,
}

#[tokio::test]
async fn salesforce_bulk_rows_read_as_typed_structs_with_empty_cells_as_none() {
    let (mock, _clock) = mock_with(Dataset::sample(10)).await;
    let c = client(bulk(&mock).build().unwrap());
    let rows: Vec<Contact> = c.query_all(QUERY).records().try_collect().await.unwrap();
    assert_eq!(rows.len(), 10);
    assert_eq!(rows[3].FirstName, None, "row 3 has no first name");
    assert!(rows[9].IsDeleted);
    assert!(rows[0].Account.as_ref().is_some_and(|a| !a.Name.is_empty()));
}

#[tokio::test]
async fn salesforce_bulk_caret_and_crlf_read_the_same_records_as_comma_and_lf() {
    let (mock, _clock) = mock_with(Dataset::sample(40)).await;
    let plain: Vec<Record> = client(bulk(&mock).build().unwrap())
        .query(QUERY)
        .batch_size(9)
        .records()
        .try_collect()
        .await
        .unwrap();
    let caret = bulk(&mock)
        .column_delimiter(ColumnDelimiter::Caret)
        .line_ending(LineEnding::Crlf)
        .build()
        .unwrap();
    let other: Vec<Record> = client(caret)
        .query(QUERY)
        .batch_size(9)
        .records()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(plain, other);
    let body = mock
        .received_requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .nth(1)
        .unwrap()
        .body_text();
    assert!(body.contains(r#""columnDelimiter":"CARET""#), "{body}");
    assert!(body.contains(r#""lineEnding":"CRLF""#), "{body}");
}

#[tokio::test]
async fn salesforce_bulk_failed_and_aborted_jobs_are_distinct_typed_errors() {
    let (mock, _clock) = mock_with(Dataset::sample(10)).await;
    let c = client(bulk(&mock).build().unwrap());
    mock.state().bulk().push_outcome(JobOutcome::Failed(
        "INVALID_FIELD: No such column 'Bogus' on entity 'Contact'".into(),
    ));
    mock.state().bulk().push_outcome(JobOutcome::Aborted);

    let failed = c.query(QUERY).pages().try_next().await.unwrap_err();
    let f = failed.fault().expect("a fault");
    assert_eq!(f.code, FaultCode::JobFailed);
    assert!(f.message.contains("No such column 'Bogus'"), "{failed}");
    assert!(!failed.is_retryable());

    let aborted = c.query(QUERY).pages().try_next().await.unwrap_err();
    let a = aborted.fault().expect("a fault");
    assert_eq!(a.code, FaultCode::JobAborted);
    assert!(a.message.contains("was aborted"), "{aborted}");
    assert_ne!(failed.to_string(), aborted.to_string());
    assert_eq!(
        count(&mock, "/results"),
        0,
        "no results read from a dead job"
    );
}

#[tokio::test]
async fn salesforce_bulk_job_that_never_completes_hits_the_bounded_wait_and_is_aborted() {
    let (mock, _clock) = mock_with(Dataset::sample(10)).await;
    mock.state().bulk().push_outcome(JobOutcome::NeverCompletes);
    let source = bulk(&mock)
        .job_timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let err = client(source)
        .query(QUERY)
        .pages()
        .try_next()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    let job = mock.state().bulk().job_ids().pop().unwrap();
    assert_eq!(mock.state().bulk().state(&job).as_deref(), Some("Aborted"));
    let polls = count(&mock, &job);
    assert!((3..=60).contains(&polls), "bounded backoff, {polls} polls");

    // without abort_on_timeout the job is left running, for the caller to abort
    mock.state().bulk().push_outcome(JobOutcome::NeverCompletes);
    let source = Arc::new(
        bulk(&mock)
            .job_timeout(Duration::from_millis(50))
            .abort_on_timeout(false)
            .build()
            .unwrap(),
    );
    let err = Client::builder(source.clone())
        .retry(RetryPolicy::none())
        .build()
        .query(QUERY)
        .pages()
        .try_next()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    let job = mock.state().bulk().job_ids().pop().unwrap();
    assert_eq!(
        mock.state().bulk().state(&job).as_deref(),
        Some("InProgress")
    );
    source.abort_job(&job).await.unwrap();
    assert_eq!(mock.state().bulk().state(&job).as_deref(), Some("Aborted"));
    let again = source.abort_job(&job).await.unwrap_err();
    assert!(again.to_string().contains("INVALIDJOBSTATE"), "{again}");
}

#[tokio::test]
async fn salesforce_bulk_results_with_another_api_version_are_a_version_mismatch() {
    let (mock, _clock) = mock_with(Dataset::sample(30)).await;
    let c = client(bulk(&mock).parallel_result_pages(false).build().unwrap());
    let first = c.query(QUERY).batch_size(10).first_page().await.unwrap();
    let cursor = first.cursor.unwrap();

    let older = bulk(&mock)
        .api_version("61.0")
        .parallel_result_pages(false)
        .build()
        .unwrap();
    // default retries: a 409 must not be retried
    let err = Client::new(older)
        .resume(cursor.clone())
        .pages()
        .try_next()
        .await
        .unwrap_err();
    let f = err.fault().expect("a fault");
    assert_eq!(f.code, FaultCode::ApiVersionMismatch);
    assert_eq!(f.http_status, Some(409));
    assert!(err.to_string().contains("API version mismatch"), "{err}");
    assert!(
        err.to_string().contains("v62.0") && err.to_string().contains("v61.0"),
        "{err}"
    );
    assert!(!err.is_retryable());
    let conflicts = mock
        .received_requests()
        .iter()
        .filter(|r| r.path.starts_with("/services/data/v61.0/") && r.path.ends_with("/results"))
        .count();
    assert_eq!(conflicts, 1, "never retried");

    // resultPages obeys the same rule
    let older_pages = bulk(&mock).api_version("61.0").build().unwrap();
    let job_id = match &cursor.token {
        CursorToken::Bulk { job_id, .. } => job_id.clone(),
        other => panic!("{other:?}"),
    };
    let fresh = Cursor::new(
        BackendKind::SalesforceBulk,
        CursorToken::Bulk {
            job_id,
            locator: None,
            pages_url: None,
        },
    );
    let err = client(older_pages).query_more(&fresh).await.unwrap_err();
    assert_eq!(
        err.fault().map(|f| &f.code),
        Some(&FaultCode::ApiVersionMismatch)
    );
}

async fn resume_after_second_page(parallel: bool) {
    let ds = Dataset::generated(42, 10, 10, 500);
    let (mock, _clock) = mock_with(ds.clone()).await;
    let c = client(bulk(&mock).parallel_result_pages(parallel).build().unwrap());
    let mut pages = c.query_all(QUERY).batch_size(20).pages();
    let mut seen: Vec<Record> = Vec::new();
    for _ in 0..2 {
        seen.extend(pages.try_next().await.unwrap().unwrap().records);
    }
    let saved = serde_json::to_string(pages.cursor().unwrap()).unwrap();
    drop(pages);
    let jobs = mock.state().bulk().job_count();

    // a new process: a new backend (nothing cached) and a new client
    let cursor: Cursor = serde_json::from_str(&saved).unwrap();
    assert_eq!(cursor.batch_size, Some(20));
    let c2 = client(bulk(&mock).parallel_result_pages(parallel).build().unwrap());
    let rest: Vec<Record> = c2.resume(cursor).records().try_collect().await.unwrap();
    assert_eq!(
        mock.state().bulk().job_count(),
        jobs,
        "no new job on resume"
    );
    let expected_seen = if parallel { 200 } else { 40 };
    assert_eq!(seen.len(), expected_seen);
    seen.extend(rest);
    assert_all_rows(&ds, &seen, 500);
}

#[tokio::test]
async fn salesforce_bulk_resume_after_the_second_locator_page_continues_there() {
    resume_after_second_page(false).await;
}

#[tokio::test]
async fn salesforce_bulk_resume_after_the_second_result_pages_batch_continues_there() {
    resume_after_second_page(true).await;
}

#[tokio::test]
async fn salesforce_bulk_api_57_falls_back_to_the_locator_walk() {
    let (mock, _clock) = mock_with(Dataset::sample(30)).await;
    let source = bulk(&mock).api_version("57.0").build().unwrap();
    assert!(!source.parallel_result_pages());
    let rows: Vec<Record> = client(source)
        .query_all(QUERY)
        .batch_size(7)
        .records()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len(), 30);
    assert_eq!(count(&mock, "/resultPages"), 0);
    assert_eq!(count(&mock, "/results"), 5);
    assert!(
        mock.received_requests()
            .iter()
            .all(|r| r.path.starts_with("/services/data/v57.0/jobs/query"))
    );
}

#[tokio::test]
async fn salesforce_bulk_a_503_on_results_is_retried_from_the_same_locator() {
    let ds = Dataset::generated(42, 10, 10, 50);
    let (mock, _clock) = mock_with(ds.clone()).await;
    let source = bulk(&mock).parallel_result_pages(false).build().unwrap();
    let c = Client::builder(source)
        .retry(RetryPolicy::default().with_base_delay(Duration::from_millis(1)))
        .build();
    let mut pages = c.query_all(QUERY).batch_size(20).pages();
    let mut all = pages.try_next().await.unwrap().unwrap().records;
    mock.faults()
        .push_for(BackendKind::SalesforceBulk, MockFault::Status(503));
    mock.faults()
        .push_for(BackendKind::SalesforceBulk, MockFault::TruncatedBody);
    while let Some(p) = pages.try_next().await.unwrap() {
        all.extend(p.records);
    }
    assert_all_rows(&ds, &all, 50);
    assert_eq!(count(&mock, "/results"), 5, "3 sets + 2 retried");
    assert_eq!(mock.state().bulk().job_count(), 1);
}

#[tokio::test]
async fn salesforce_bulk_bad_token_is_an_invalid_session_that_never_shows_the_token() {
    let (mock, _clock) = mock_with(Dataset::sample(5)).await;
    let source = bulk(&mock)
        .access_token(Secret::new("00DWRONG!not-a-valid-token"))
        .build()
        .unwrap();
    let shown = format!("{source:?}");
    let err = client(source)
        .query(QUERY)
        .pages()
        .try_next()
        .await
        .unwrap_err();
    assert!(err.is_invalid_session(), "{err}");
    for text in [shown, err.to_string(), format!("{err:?}")] {
        assert!(!text.contains("not-a-valid-token"), "{text}");
        assert!(!text.contains(&mock.credentials().access_token), "{text}");
    }
}

#[tokio::test]
async fn salesforce_bulk_job_requests_and_info_match_the_documented_shapes() {
    let (mock, _clock) = mock_with(Dataset::sample(5)).await;
    let first = client(bulk(&mock).build().unwrap())
        .query("select Id, LastName from Contact")
        .first_page()
        .await
        .unwrap();
    assert_eq!(first.total_size, Some(5));
    let reqs = mock.received_requests();
    let create = &reqs[0];
    assert_eq!(create.method, "POST");
    assert_eq!(create.path, "/services/data/v62.0/jobs/query");
    let body: serde_json::Value = serde_json::from_slice(&create.body).unwrap();
    let log: Vec<String> = reqs
        .iter()
        .map(|r| match &r.query {
            Some(q) => format!("{} {}?{q}", r.method, r.path),
            None => format!("{} {}", r.method, r.path),
        })
        .collect();
    // the job record a poller sees, read with a plain HTTP client
    let info: serde_json::Value = reqwest::Client::new()
        .get(format!("{}{}", mock.uri(), reqs[1].path))
        .bearer_auth(&mock.credentials().access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let info_text = serde_json::to_string_pretty(&info).unwrap();
    assert!(info_text.contains("\"apiVersion\": 62.0"), "{info_text}");
    let log = log.join("\n");
    let log = redact_locators(&log);
    snapshot_settings().bind(|| {
        insta::assert_snapshot!(
            "salesforce_bulk__create_job",
            serde_json::to_string_pretty(&body).unwrap()
        );
        insta::assert_snapshot!("salesforce_bulk__job_info", info_text);
        insta::assert_snapshot!("salesforce_bulk__request_log", log);
    });
}

/// Replaces each random `locator=...` value with `[LOCATOR]`.
fn redact_locators(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("locator=") {
        let (head, tail) = rest.split_at(i + "locator=".len());
        out.push_str(head);
        out.push_str("[LOCATOR]");
        let end = tail.find(['&', '\n', '"']).unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// A third-party client, written the way simple-salesforce and jsforce drive
/// Bulk 2.0: create, poll until `JobComplete`, then loop on `Sforce-Locator`
/// until it is the string `null`.
#[tokio::test]
async fn salesforce_bulk_mock_serves_a_plain_third_party_client_unchanged() {
    let ds = Dataset::generated(42, 10, 10, 1_234);
    let (mock, _clock) = mock_with(ds.clone()).await;
    let http = reqwest::Client::new();
    let token = mock.credentials().access_token.clone();
    let base = format!("{}/services/data/v62.0/jobs/query", mock.uri());
    let job: serde_json::Value = http
        .post(&base)
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "operation": "queryAll", "query": QUERY, "contentType": "CSV",
            "columnDelimiter": "COMMA", "lineEnding": "LF"
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(job["state"], "UploadComplete");
    assert!(job["createdDate"].as_str().unwrap().ends_with("+0000"));
    let id = job["id"].as_str().unwrap().to_owned();
    let mut states = Vec::new();
    loop {
        let info: serde_json::Value = http
            .get(format!("{base}/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let state = info["state"].as_str().unwrap().to_owned();
        states.push(state.clone());
        if state == "JobComplete" {
            assert_eq!(info["numberRecordsProcessed"], 1_234);
            break;
        }
        assert!(states.len() < 10, "{states:?}");
    }
    assert_eq!(states, ["InProgress", "JobComplete"]);
    let mut locator = String::new();
    let mut ids = Vec::new();
    let mut requests = 0;
    while locator != "null" {
        let mut url = format!("{base}/{id}/results?maxRecords=500");
        if !locator.is_empty() {
            url.push_str(&format!("&locator={locator}"));
        }
        let resp = http.get(url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        locator = resp.headers()["sforce-locator"]
            .to_str()
            .unwrap()
            .to_owned();
        let n: usize = resp.headers()["sforce-numberofrecords"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let body = resp.bytes().await.unwrap();
        let mut rdr = csv::Reader::from_reader(&body[..]);
        assert_eq!(
            rdr.headers().unwrap().iter().collect::<Vec<_>>(),
            [
                "Id",
                "FirstName",
                "LastName",
                "Email",
                "IsDeleted",
                "Account.Name"
            ]
        );
        let before = ids.len();
        for row in rdr.records() {
            ids.push(row.unwrap()[0].to_owned());
        }
        assert_eq!(ids.len() - before, n);
        requests += 1;
    }
    assert_eq!(requests, 3);
    assert_eq!(ids, (0..1_234).map(contact_id).collect::<Vec<_>>());
    // abort is refused once complete; delete then works
    let patch = http
        .patch(format!("{base}/{id}"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"state": "Aborted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 400);
    let del = http
        .delete(format!("{base}/{id}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 204);
    assert_eq!(mock.state().bulk().job_count(), 0);
}

// ---- answers the mock never gives: a tiny purpose-built server -------------------

/// What the tiny server answers to a results request.
#[derive(Clone, Copy)]
enum Results {
    /// Says 3 records, sends 2.
    CountMismatch,
    /// No `Sforce-Locator` header.
    NoLocator,
    /// 204 No Content.
    NoContent,
    /// Two rows, gzip-compressed (`Content-Encoding: gzip`).
    Gzip,
}

/// A gzip member holding `data` in one stored (uncompressed) deflate block.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let len = u16::try_from(data.len()).unwrap();
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1];
    out.extend(len.to_le_bytes());
    out.extend((!len).to_le_bytes());
    out.extend(data);
    out.extend(crc32(data).to_le_bytes());
    out.extend(u32::try_from(data.len()).unwrap().to_le_bytes());
    out
}

struct Tiny {
    uri: String,
    hits: Arc<AtomicUsize>,
    _task: tokio::task::JoinHandle<()>,
}

async fn serve(router: axum::Router) -> Tiny {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let router = router.layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                next.run(req).await
            }
        },
    ));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Tiny {
        uri,
        hits,
        _task: task,
    }
}

fn json_response(value: serde_json::Value) -> axum::response::Response {
    use axum::response::IntoResponse;
    ([("content-type", "application/json")], value.to_string()).into_response()
}

/// A server with one completed job whose results answer `results` and whose
/// `resultPages` lists `result_url`.
async fn tiny(results: Results, result_url: String) -> Tiny {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use axum::routing::{get, post};
    let job = serde_json::json!({
        "id": "750TINY0000000001A", "operation": "query", "object": "Account",
        "state": "JobComplete", "apiVersion": 62.0, "columnDelimiter": "COMMA",
        "lineEnding": "LF", "numberRecordsProcessed": 3
    });
    let job2 = job.clone();
    let path = "/services/data/v62.0/jobs/query";
    let router = axum::Router::new()
        .route(
            path,
            post(move || {
                let job = job.clone();
                async move { json_response(job) }
            }),
        )
        .route(
            &format!("{path}/{{id}}"),
            get(move || {
                let job = job2.clone();
                async move { json_response(job) }
            }),
        )
        .route(
            &format!("{path}/{{id}}/results"),
            get(move || async move {
                let body = "\"Id\",\"Name\"\n\"1\",\"a\"\n\"2\",\"b\"\n";
                match results {
                    Results::CountMismatch => (
                        [("sforce-numberofrecords", "3"), ("sforce-locator", "null")],
                        body,
                    )
                        .into_response(),
                    Results::NoLocator => ([("sforce-numberofrecords", "2")], body).into_response(),
                    Results::NoContent => StatusCode::NO_CONTENT.into_response(),
                    Results::Gzip => (
                        [
                            ("sforce-numberofrecords", "2"),
                            ("sforce-locator", "null"),
                            ("content-encoding", "gzip"),
                        ],
                        gzip_stored(body.as_bytes()),
                    )
                        .into_response(),
                }
            }),
        )
        .route(
            &format!("{path}/{{id}}/resultPages"),
            get(move || {
                let url = result_url.clone();
                async move {
                    json_response(serde_json::json!({
                        "resultPages": [{ "resultUrl": url }], "done": true
                    }))
                }
            }),
        );
    serve(router).await
}

fn tiny_client(server: &Tiny, parallel: bool) -> Client {
    client(
        SalesforceBulk::builder()
            .instance_url(&server.uri)
            .access_token(Secret::new("00DTINY!secret-bearer"))
            .parallel_result_pages(parallel)
            .poll_interval(Duration::from_millis(1))
            .build()
            .unwrap(),
    )
}

async fn first_error(server: &Tiny, parallel: bool) -> Error {
    tiny_client(server, parallel)
        .query("select Id, Name from Account")
        .pages()
        .try_next()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn salesforce_bulk_a_row_count_that_disagrees_with_the_header_is_an_error() {
    let server = tiny(Results::CountMismatch, "/unused".into()).await;
    let err = first_error(&server, false).await;
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("hold 2 rows but Sforce-NumberOfRecords says 3"),
        "{err}"
    );
}

#[tokio::test]
async fn salesforce_bulk_a_missing_locator_header_is_an_error() {
    let server = tiny(Results::NoLocator, "/unused".into()).await;
    let err = first_error(&server, false).await;
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
    assert!(
        err.to_string().contains("no Sforce-Locator header"),
        "{err}"
    );
}

#[tokio::test]
async fn salesforce_bulk_204_on_results_is_a_clear_error() {
    let server = tiny(Results::NoContent, "/unused".into()).await;
    let err = first_error(&server, false).await;
    assert!(err.to_string().contains("204 No Content"), "{err}");
}

#[tokio::test]
async fn salesforce_bulk_gzip_results_are_decompressed_and_parsed() {
    let server = tiny(Results::Gzip, "/unused".into()).await;
    let page = tiny_client(&server, false)
        .query("select Id, Name from Account")
        .first_page()
        .await
        .unwrap();
    assert_eq!(page.records.len(), 2);
    assert_eq!(page.records[1].get("Name"), Some(&Value::from("b")));
    assert_eq!(page.records[0].object_type(), Some("Account"));
    assert!(page.cursor.is_none());
}

#[tokio::test]
async fn salesforce_bulk_a_result_url_on_another_host_is_refused_before_the_token_is_sent() {
    let elsewhere = serve(axum::Router::new()).await;
    let server = tiny(
        Results::CountMismatch,
        format!(
            "{}/services/data/v62.0/jobs/query/750TINY0000000001A/results",
            elsewhere.uri
        ),
    )
    .await;
    let err = first_error(&server, true).await;
    assert!(err.to_string().contains("another origin"), "{err}");
    assert_eq!(
        elsewhere.hits.load(Ordering::SeqCst),
        0,
        "nothing sent there"
    );
    assert_eq!(
        server.hits.load(Ordering::SeqCst),
        2,
        "create (already complete) and resultPages only"
    );
}

#[tokio::test]
async fn salesforce_bulk_pages_report_the_jobs_total() {
    let (mock, _clock) = mock_with(Dataset::sample(12)).await;
    let pages: Vec<Page> = client(bulk(&mock).parallel_result_pages(false).build().unwrap())
        .query_all(QUERY)
        .batch_size(5)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    assert!(pages.iter().all(|p| p.total_size == Some(12)));
    assert_eq!(pages[2].records.len(), 2);
    assert!(pages[2].cursor.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn salesforce_bulk_result_urls_are_fetched_concurrently_under_latency() {
    let ds = Dataset::generated(42, 10, 10, 1_000);
    let mock = MockServer::builder()
        .dataset(ds.clone())
        .latency(querymore::mock::LatencyConfig {
            per_call: Duration::from_millis(40),
            ..Default::default()
        })
        .start()
        .await
        .unwrap();
    let mut peaks = Vec::new();
    for parallel in [false, true] {
        let source = bulk(&mock).parallel_result_pages(parallel).build().unwrap();
        mock.state().reset_peak_in_flight();
        let (records, _) = read_all(&client(source), 50).await;
        peaks.push(mock.state().peak_in_flight());
        assert_all_rows(&ds, &records, 1_000);
    }
    // One request at a time in the sequential walk; in the parallel walk the five
    // result URLs of a listing (and the next listing) are in flight together, and
    // the injected latency keeps them overlapping. Counted by the server, not timed.
    assert_eq!(peaks[0], 1, "sequential walk");
    assert!(
        peaks[1] >= 3,
        "parallel walk had at most {} requests in flight",
        peaks[1]
    );
}

async fn conformance(parallel: bool) {
    let (mock, clock) = mock_with(Dataset::sample(95)).await;
    let mock = Arc::new(mock);
    let faults = mock.clone();
    let source = bulk(&mock).parallel_result_pages(parallel).build().unwrap();
    // parallel: 19 sets of 5, in 4 listings (pages); sequential: 19 pages
    let h = Harness::new(
        Arc::new(source),
        "select Id from Account",
        (0..95).map(|i| account_id(&mock, i)).collect(),
        5,
    )
    .clock(clock)
    .drop_next_cursor(Arc::new(move || {
        faults
            .faults()
            .push_for(BackendKind::SalesforceBulk, MockFault::InvalidLocator);
    }));
    let passed = run(&h).await.unwrap_or_else(|f| panic!("{f}"));
    assert!(
        passed.contains(&"dropped_cursor_is_cursor_expired"),
        "{passed:?}"
    );
    assert_eq!(passed.len(), 8, "{passed:?}");
}

fn account_id(mock: &MockServer, i: usize) -> String {
    let row = mock.state().dataset().table("Account").unwrap().row(i);
    row.get("Id").and_then(Value::to_text).unwrap().into_owned()
}

#[tokio::test]
async fn salesforce_bulk_locator_walk_passes_the_conformance_suite() {
    conformance(false).await;
}

#[tokio::test]
async fn salesforce_bulk_result_pages_walk_passes_the_conformance_suite() {
    conformance(true).await;
}

#[tokio::test]
async fn salesforce_bulk_a_query_with_no_rows_is_one_empty_last_page_both_ways() {
    let (mock, _clock) = mock_with(Dataset::generated(42, 10, 10, 0)).await;
    for parallel in [false, true] {
        let pages: Vec<Page> = client(bulk(&mock).parallel_result_pages(parallel).build().unwrap())
            .query(QUERY)
            .pages()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(pages.len(), 1, "parallel={parallel}");
        assert!(pages[0].records.is_empty());
        assert!(pages[0].cursor.is_none());
        assert_eq!(pages[0].total_size, Some(0));
    }
}
