//! Every injected transport fault, on every backend: the retryable ones (5xx,
//! 429 with `Retry-After`, a truncated or reset body, a slow body) are retried
//! on the same cursor and nothing is lost or repeated, on the first `query` as
//! on later pages; an HTML page is a protocol error and a dropped cursor a
//! cursor-expired error, neither retried. An injected session expiry ends the
//! session on the server of every backend, and random expiry is survived by a
//! client that logs in again and never hits a preset credential.

use super::backends::{
    ACCOUNT_IDS, ALL, Auth, account_ids, authentications, backend, client, fast_retry, id_of,
    served,
};
use crate::support::mock_with;
use querymore::mock::{Dataset, FaultMix, MockFault, MockServer, ReceivedRequest};
use querymore::{BackendKind, Error, HttpOptions, Record, RetryPolicy};
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

/// The session id or bearer token a request carried.
fn session_of(r: &ReceivedRequest) -> Option<String> {
    if let Some(token) = r.header("authorization") {
        return token.strip_prefix("Bearer ").map(str::to_owned);
    }
    let call = r.soap()?;
    let header = |field| call.header("SessionHeader", field).map(str::to_owned);
    header("session").or_else(|| header("sessionId"))
}

/// The session sent with the first request to `kind` from request `from` on.
fn session_sent(mock: &MockServer, kind: BackendKind, from: usize) -> String {
    mock.received_requests()
        .get(from..)
        .unwrap_or_default()
        .iter()
        .filter(|r| r.backend == Some(kind))
        .find_map(session_of)
        .unwrap_or_else(|| panic!("{kind}: no request with a session"))
}

#[tokio::test]
async fn an_injected_session_expiry_ends_the_session_on_every_backend() {
    for kind in ALL {
        let (mock, clock) = mock_with(Dataset::sample(10)).await;
        let http = HttpOptions::default();
        // A fixed session: refused once injected, and on every call after.
        let fixed = client(
            backend(kind, &mock, Auth::Fixed, http.clone()),
            &clock,
            RetryPolicy::none(),
        );
        fixed.query(ACCOUNT_IDS).pages().try_next().await.unwrap();
        let from = mock.received_requests().len();
        mock.faults().push_for(kind, MockFault::ExpireSession);
        for call in ["the injected call", "the next call"] {
            let err = fixed
                .query(ACCOUNT_IDS)
                .pages()
                .try_next()
                .await
                .unwrap_err();
            assert!(err.is_invalid_session(), "{kind}, {call}: {err}");
        }
        assert_eq!(mock.faults().pending(), 0, "{kind}");
        let preset = session_sent(&mock, kind, from);
        assert!(!mock.state().is_valid_session(&preset), "{kind}");

        // A client that can log in again: its session ends, it gets a new
        // one once, and that one keeps working.
        let refreshable = client(
            backend(kind, &mock, Auth::Refreshable, http),
            &clock,
            RetryPolicy::none(),
        );
        let count = |c: &querymore::Client| {
            let pages = c.query(ACCOUNT_IDS).records::<Record>().try_collect();
            async move { pages.await.map(|r| r.len()) }
        };
        assert_eq!(count(&refreshable).await.unwrap(), 10, "{kind}");
        let from = mock.received_requests().len();
        mock.faults().push_for(kind, MockFault::ExpireSession);
        assert_eq!(count(&refreshable).await.unwrap(), 10, "{kind}");
        let ended = session_sent(&mock, kind, from);
        assert!(!mock.state().is_valid_session(&ended), "{kind}");
        assert_eq!(count(&refreshable).await.unwrap(), 10, "{kind}");
        assert_eq!(authentications(&mock), 2, "{kind}: one new session");
    }
}

#[tokio::test]
async fn random_session_expiry_is_survived_by_logging_in_and_spares_preset_credentials() {
    let dataset = Dataset::generated(8, 2_000, 0, 0);
    let expected = account_ids(&dataset);
    // Every request is a fault draw; only expiry can be drawn, at most one
    // in five requests (the cooldown).
    let only_expiry = FaultMix {
        expire_session: 1,
        ..FaultMix::none()
    };
    for kind in ALL {
        for auth in [Auth::Refreshable, Auth::Fixed] {
            let (mock, clock) = mock_with(dataset.clone()).await;
            mock.faults()
                .set_random_mix(1.0, 3, Some(kind), only_expiry);
            let source = backend(kind, &mock, auth, HttpOptions::default());
            let c = client(source, &clock, RetryPolicy::none());
            let got = c
                .query(ACCOUNT_IDS)
                .batch_size(200)
                .records::<Record>()
                .try_collect()
                .await
                .unwrap_or_else(|e| panic!("{kind} {auth:?}: {e}"));
            assert!(
                got.iter().map(id_of).eq(expected.iter().cloned()),
                "{kind} {auth:?}"
            );
            let injected = mock.faults().injected();
            if auth == Auth::Fixed {
                assert_eq!(injected, 0, "{kind}: a preset credential is never refused");
            } else {
                assert!(injected >= 2, "{kind}: {injected} sessions ended");
                assert!(authentications(&mock) >= 3, "{kind}: new sessions");
            }
        }
    }
}
