//! Every injected transport fault, on every backend: the retryable ones (5xx,
//! 429 with `Retry-After`, a truncated or reset body, a slow body) are retried
//! on the same cursor and nothing is lost or repeated, on the first `query` as
//! on later pages; an HTML page is a protocol error and a dropped cursor a
//! cursor-expired error, neither retried.

use super::backends::{
    ACCOUNT_IDS, ALL, Auth, account_ids, backend, client, fast_retry, id_of, served,
};
use crate::support::mock_with;
use querymore::mock::{Dataset, MockFault};
use querymore::{Error, HttpOptions, Record, RetryPolicy};
use std::time::{Duration, Instant};

fn retryable() -> [MockFault; 6] {
    [
        MockFault::Status(500),
        MockFault::Status(503),
        MockFault::RetryAfter {
            status: 429,
            secs: 0,
        },
        MockFault::TruncatedBody,
        MockFault::Reset,
        MockFault::SlowBody(Duration::from_secs(5)),
    ]
}

#[tokio::test]
async fn every_retryable_fault_is_retried_on_every_backend_with_nothing_lost() {
    let dataset = Dataset::generated(9, 1_000, 0, 0);
    let expected = account_ids(&dataset);
    // A slow body counts as a failure once it passes the timeout.
    let http = HttpOptions::default().with_timeout(Duration::from_millis(1500));
    for kind in ALL {
        let baseline = {
            let (mock, clock) = mock_with(dataset.clone()).await;
            let source = backend(kind, &mock, Auth::Fixed, http.clone());
            let c = client(source, &clock, fast_retry());
            c.query(ACCOUNT_IDS)
                .batch_size(200)
                .pages()
                .try_collect()
                .await
                .unwrap();
            served(&mock, kind)
        };
        for fault in retryable() {
            for on_page in [0usize, 2] {
                let (mock, clock) = mock_with(dataset.clone()).await;
                let source = backend(kind, &mock, Auth::Fixed, http.clone());
                let c = client(source, &clock, fast_retry());
                if on_page == 0 {
                    mock.faults().push_for(kind, fault.clone());
                }
                let mut pages = c.query(ACCOUNT_IDS).batch_size(200).pages();
                let mut ids = Vec::new();
                let mut n = 0;
                while let Some(page) = pages
                    .try_next()
                    .await
                    .unwrap_or_else(|e| panic!("{kind} {fault:?}: {e}"))
                {
                    n += 1;
                    if n == on_page {
                        mock.faults().push_for(kind, fault.clone());
                    }
                    ids.extend(page.records.iter().map(id_of));
                }
                assert!(ids == expected, "{kind} {fault:?} on page {on_page}");
                assert_eq!(n, 5, "{kind}");
                assert_eq!(
                    served(&mock, kind),
                    baseline + 1,
                    "{kind} {fault:?} on page {on_page}: one retry"
                );
            }
        }
    }
}

#[tokio::test]
async fn retry_after_is_honoured_on_every_backend() {
    for kind in ALL {
        let (mock, clock) = mock_with(Dataset::sample(5)).await;
        let source = backend(kind, &mock, Auth::Fixed, HttpOptions::default());
        let c = client(source, &clock, fast_retry());
        mock.faults().push_for(
            kind,
            MockFault::RetryAfter {
                status: 429,
                secs: 1,
            },
        );
        let started = Instant::now();
        let got = c.query(ACCOUNT_IDS).records::<Record>().try_collect().await;
        assert_eq!(got.unwrap().len(), 5, "{kind}");
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "{kind}: waited {:?}",
            started.elapsed()
        );
        let once = client(
            backend(kind, &mock, Auth::Fixed, HttpOptions::default()),
            &clock,
            RetryPolicy::none(),
        );
        mock.faults().push_for(
            kind,
            MockFault::RetryAfter {
                status: 429,
                secs: 120,
            },
        );
        let err = once
            .query(ACCOUNT_IDS)
            .pages()
            .try_next()
            .await
            .unwrap_err();
        assert!(err.is_retryable(), "{kind}: {err}");
        assert_eq!(
            err.retry_after(),
            Some(Duration::from_secs(120)),
            "{kind}: {err}"
        );
    }
}

#[tokio::test]
async fn html_pages_and_dropped_cursors_are_not_retried() {
    for kind in ALL {
        let (mock, clock) = mock_with(Dataset::sample(500)).await;
        let source = backend(kind, &mock, Auth::Fixed, HttpOptions::default());
        let c = client(source, &clock, fast_retry());
        mock.faults().push_for(kind, MockFault::Html);
        let err = c.query(ACCOUNT_IDS).pages().try_next().await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::Protocol {
                    retryable: false,
                    ..
                }
            ),
            "{kind}: {err:?}"
        );
        assert!(err.to_string().contains("HTML"), "{kind}: {err}");
        let mut pages = c.query(ACCOUNT_IDS).batch_size(200).pages();
        pages.try_next().await.unwrap();
        mock.faults().push_for(kind, MockFault::InvalidLocator);
        let served = mock.state().requests_served(kind);
        let err = pages.try_next().await.unwrap_err();
        assert!(
            err.is_cursor_expired() && !err.is_retryable(),
            "{kind}: {err}"
        );
        assert_eq!(mock.state().requests_served(kind), served + 1, "{kind}");
    }
}

/// Bulk's parallel `resultPages` walk: five result URLs fetched at once per
/// page, the next listing prefetched alongside.
fn bulk_parallel(mock: &querymore::mock::MockServer) -> std::sync::Arc<querymore::SalesforceBulk> {
    std::sync::Arc::new(
        querymore::SalesforceBulk::builder()
            .instance_url(mock.uri())
            .access_token(mock.credentials().access_token.as_str())
            .poll_interval(Duration::from_millis(2))
            .max_poll_interval(Duration::from_millis(10))
            .http_options(HttpOptions::default().with_timeout(Duration::from_millis(1500)))
            .build()
            .unwrap(),
    )
}

#[tokio::test]
async fn salesforce_bulk_parallel_walk_retries_every_fault_with_nothing_lost() {
    let dataset = Dataset::generated(4, 5_000, 0, 0);
    let expected = account_ids(&dataset);
    for fault in retryable() {
        let (mock, clock) = mock_with(dataset.clone()).await;
        let source = bulk_parallel(&mock);
        assert!(source.parallel_result_pages());
        let c = client(source, &clock, fast_retry());
        let mut pages = c.query(ACCOUNT_IDS).batch_size(200).pages();
        let mut ids = Vec::new();
        while let Some(page) = pages
            .try_next()
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"))
        {
            if ids.len() == 1000 {
                mock.faults()
                    .push_for(querymore::BackendKind::SalesforceBulk, fault.clone());
            }
            ids.extend(page.records.iter().map(id_of));
        }
        assert!(ids == expected, "{fault:?}: a gap or a duplicate");
        assert_eq!(mock.faults().pending(), 0, "{fault:?} was injected");
    }
}

#[tokio::test]
async fn salesforce_bulk_parallel_walk_survives_random_faults() {
    let dataset = Dataset::generated(6, 50_000, 0, 0);
    let expected = account_ids(&dataset);
    let (mock, clock) = mock_with(dataset).await;
    // 5% of requests fail; a page is up to seven requests, so a page gets ten
    // attempts.
    mock.faults()
        .set_random(0.05, 21, Some(querymore::BackendKind::SalesforceBulk));
    let c = client(
        bulk_parallel(&mock),
        &clock,
        fast_retry().with_max_attempts(10),
    );
    let got = c
        .query(ACCOUNT_IDS)
        .batch_size(500)
        .records::<Record>()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<String> = got.iter().map(id_of).collect();
    let first_diff = ids.iter().zip(&expected).position(|(a, b)| a != b);
    assert!(
        ids == expected,
        "a gap or a duplicate: {} of {} rows, first difference at {first_diff:?}",
        ids.len(),
        expected.len()
    );
    assert!(mock.faults().injected() >= 3, "faults were injected");
}
