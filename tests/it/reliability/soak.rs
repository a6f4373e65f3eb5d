//! The soak run: 100,000 records through every backend with 10% of requests
//! failing at random (500, 503, 429 with `Retry-After`, truncated and reset
//! bodies, slow bodies, refused sessions) plus one forced session expiry; every
//! record arrives exactly once and in order. And the resume run: a fault that
//! cannot be retried ends the stream with a clear error, and the last cursor
//! completes the set with no gap and no duplicate.

use super::backends::{
    ACCOUNT_IDS, ALL, Auth, account_ids, authentications, backend, client, fast_retry, id_of,
    served,
};
use querymore::mock::{Dataset, FaultMix, MockFault, MockServer};
use querymore::{BackendKind, Error, HttpOptions, ManualClock, RetryPolicy};

/// Records per soak run. Pages of 2,000 (the largest every backend accepts)
/// keep a debug build at a few seconds per backend.
const RECORDS: usize = 100_000;
const BATCH: i64 = 2000;

async fn mock(dataset: Dataset) -> (MockServer, ManualClock) {
    let clock = ManualClock::fixed();
    let mock = MockServer::builder()
        .dataset(dataset)
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    (mock, clock)
}

async fn soak(kind: BackendKind, seed: u64) {
    let dataset = Dataset::generated(seed, RECORDS, 0, 0);
    let expected = account_ids(&dataset);
    let (mock, clock) = mock(dataset).await;
    mock.faults().set_random_mix(
        0.10,
        seed,
        Some(kind),
        FaultMix::default().with_session_expiry(),
    );
    let source = backend(kind, &mock, Auth::Refreshable, HttpOptions::default());
    let c = client(source, &clock, fast_retry());
    let mut pages = c.query(ACCOUNT_IDS).batch_size(BATCH).pages();
    let mut ids = Vec::with_capacity(RECORDS);
    let mut page_count = 0usize;
    while let Some(page) = pages
        .try_next()
        .await
        .unwrap_or_else(|e| panic!("{kind}: {e}"))
    {
        page_count += 1;
        if page_count == 10 {
            mock.faults().push_for(kind, MockFault::ExpireSession);
        }
        ids.extend(page.records.iter().map(id_of));
    }
    assert_eq!(ids.len(), RECORDS, "{kind}");
    assert!(ids == expected, "{kind}: records out of order or repeated");
    let requests = served(&mock, kind);
    let faults = usize::try_from(mock.faults().injected()).unwrap();
    assert!(
        (3..=requests / 5).contains(&faults),
        "{kind}: {faults} faults in {requests} requests"
    );
    let logins = authentications(&mock);
    assert!(
        logins >= 2,
        "{kind}: the forced expiry needs a new session ({logins} logins)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_zuora_soap_100000_records_with_10_percent_faults() {
    soak(BackendKind::ZuoraSoap, 11).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_zuora_rest_100000_records_with_10_percent_faults() {
    soak(BackendKind::ZuoraRest, 12).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_salesforce_rest_100000_records_with_10_percent_faults() {
    soak(BackendKind::SalesforceRest, 13).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_salesforce_soap_100000_records_with_10_percent_faults() {
    soak(BackendKind::SalesforceSoap, 15).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_salesforce_bulk_100000_records_with_10_percent_faults() {
    soak(BackendKind::SalesforceBulk, 14).await;
}

/// A non-retryable fault on page `fail_at` ends the stream with a clear error;
/// a resumed run from `Pages::cursor()` yields exactly the rest.
async fn resume_after(kind: BackendKind, fault: MockFault, retry: RetryPolicy, burst: usize) {
    const ROWS: usize = 5_000;
    let dataset = Dataset::generated(5, ROWS, 0, 0);
    let expected = account_ids(&dataset);
    let (mock, clock) = mock(dataset).await;
    let source = backend(kind, &mock, Auth::Refreshable, HttpOptions::default());
    let c = client(source, &clock, retry);
    let mut pages = c.query(ACCOUNT_IDS).batch_size(1000).pages();
    let mut ids = Vec::new();
    let err = loop {
        match pages.try_next().await {
            Ok(Some(page)) => {
                ids.extend(page.records.iter().map(id_of));
                if ids.len() == 2000 {
                    for _ in 0..burst {
                        mock.faults().push_for(kind, fault.clone());
                    }
                }
            }
            Ok(None) => panic!("{kind}: the fault did not end the stream"),
            Err(e) => break e,
        }
    };
    assert_eq!(ids.len(), 2000, "{kind}");
    assert!(!err.is_retryable() || burst > 1, "{kind}: {err}");
    let shown = err.to_string();
    assert!(
        shown.contains(&kind.to_string()),
        "{kind}: the error names the backend: {shown}"
    );
    let cursor = pages.cursor().cloned().expect("a cursor to resume from");
    let json = serde_json::to_string(&cursor).unwrap();
    drop(pages);
    let resumed = c.resume(serde_json::from_str(&json).unwrap());
    let rest: Vec<String> = resumed
        .records::<querymore::Record>()
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{kind}: {e}"))
        .iter()
        .map(id_of)
        .collect();
    ids.extend(rest);
    assert!(
        ids == expected,
        "{kind}: a gap or a duplicate after resuming"
    );
}

#[tokio::test]
async fn resume_after_a_non_retryable_fault_completes_the_set() {
    for kind in ALL {
        resume_after(kind, MockFault::Status(400), fast_retry(), 1).await;
    }
}

#[tokio::test]
async fn resume_after_retries_run_out_completes_the_set() {
    let two_attempts = fast_retry().with_max_attempts(2);
    for kind in ALL {
        resume_after(kind, MockFault::Status(503), two_attempts, 2).await;
    }
}

#[tokio::test]
async fn a_non_retryable_fault_is_not_retried() {
    for kind in ALL {
        let (mock, clock) = mock(Dataset::sample(10)).await;
        let source = backend(kind, &mock, Auth::Fixed, HttpOptions::default());
        let c = client(source, &clock, fast_retry());
        mock.faults().push_for(kind, MockFault::Status(400));
        let err = c.query(ACCOUNT_IDS).pages().try_next().await.unwrap_err();
        assert!(!err.is_retryable(), "{kind}: {err}");
        assert!(
            matches!(err, Error::Fault(_) | Error::Protocol { .. }),
            "{kind}: {err:?}"
        );
        assert_eq!(served(&mock, kind), 1, "{kind}: sent once");
    }
}
