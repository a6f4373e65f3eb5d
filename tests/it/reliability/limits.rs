//! Limits, for every backend: a body over `max_body_bytes` is a clear,
//! non-retryable error; a response slower than the timeout is a retryable
//! timeout; a refused connection a retryable transport error; and a server URL
//! from a login on another origin is refused before the session goes there.

use super::backends::{ACCOUNT_IDS, ALL, Auth, backend, backend_at, client, fast_retry, served};
use crate::support::mock_with;
use querymore::auth::{AuthProvider, Session};
use querymore::mock::{Dataset, MockCredentials, MockFault};
use querymore::{
    BackendKind, BoxFuture, Error, HttpOptions, ManualClock, Record, Result, RetryPolicy,
    SalesforceSoap, Secret, ZuoraSoap,
};
use std::sync::Arc;
use std::time::Duration;

/// A page size whose answer fits in 64 KiB, and one whose answer does not.
fn page_sizes(kind: BackendKind) -> (i64, i64) {
    match kind {
        BackendKind::SalesforceRest | BackendKind::SalesforceSoap => (200, 2000),
        BackendKind::SalesforceBulk => (200, 20_000),
        _ => (50, 2000),
    }
}

#[tokio::test]
async fn every_backend_refuses_a_body_over_max_body_bytes() {
    let small = HttpOptions::default().with_max_body_bytes(64 * 1024);
    for kind in ALL {
        let (fits, too_big) = page_sizes(kind);
        let (mock, clock) = mock_with(Dataset::sample(20_000)).await;
        let source = backend(kind, &mock, Auth::Refreshable, small.clone());
        let c = client(source, &clock, fast_retry());
        let page = c
            .query(ACCOUNT_IDS)
            .batch_size(fits)
            .pages()
            .try_next()
            .await;
        assert_eq!(page.unwrap().unwrap().records.len() as i64, fits, "{kind}");
        let before = served(&mock, kind);
        let err = c
            .query(ACCOUNT_IDS)
            .batch_size(too_big)
            .pages()
            .try_next()
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("larger than the 65536 byte limit"),
            "{kind}: {err}"
        );
        assert!(
            matches!(err, Error::Protocol { .. }) && !err.is_retryable(),
            "{kind}: {err}"
        );
        let sent = served(&mock, kind) - before;
        assert!(
            sent <= 4,
            "{kind}: the query was not retried ({sent} requests)"
        );
    }
}

#[tokio::test]
async fn every_backend_times_out_a_slow_response_and_retries_it() {
    let quick = HttpOptions::default().with_timeout(Duration::from_millis(1500));
    for kind in ALL {
        let (mock, clock) = mock_with(Dataset::sample(10)).await;
        let source = backend(kind, &mock, Auth::Fixed, quick.clone());
        let once = client(source.clone(), &clock, RetryPolicy::none());
        mock.faults()
            .push_for(kind, MockFault::SlowBody(Duration::from_secs(5)));
        let err = once
            .query(ACCOUNT_IDS)
            .pages()
            .try_next()
            .await
            .unwrap_err();
        assert!(err.is_timeout() && err.is_retryable(), "{kind}: {err}");
        assert!(err.to_string().contains("timed out"), "{kind}: {err}");
        mock.faults()
            .push_for(kind, MockFault::SlowBody(Duration::from_secs(5)));
        let retried = client(source, &clock, fast_retry())
            .query(ACCOUNT_IDS)
            .records::<Record>()
            .try_collect()
            .await;
        assert_eq!(retried.unwrap().len(), 10, "{kind}");
    }
}

#[tokio::test]
async fn every_backend_reports_a_refused_connection_as_retryable() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let clock = ManualClock::fixed();
    for kind in ALL {
        let source = backend_at(
            kind,
            &closed,
            &MockCredentials::default(),
            Auth::Fixed,
            HttpOptions::default().with_connect_timeout(Duration::from_secs(2)),
        );
        let err = client(source, &clock, RetryPolicy::none())
            .query(ACCOUNT_IDS)
            .pages()
            .try_next()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Transport { .. }), "{kind}: {err:?}");
        assert!(err.is_retryable(), "{kind}: {err}");
        assert!(
            err.to_string().contains("could not connect"),
            "{kind}: {err}"
        );
        assert!(
            !err.to_string().contains(&closed),
            "{kind}: no URL in {err}"
        );
    }
}

/// A provider whose session names a server on another host.
#[derive(Debug)]
struct ElsewhereLogin;

impl AuthProvider for ElsewhereLogin {
    fn authenticate(&self) -> BoxFuture<'_, Result<Session>> {
        Box::pin(async {
            Ok(Session {
                token: Secret::new("session-for-elsewhere"),
                server_url: Some("http://evil.example.net/apps/services/a/78.0".into()),
                expires_at: None,
            })
        })
    }

    fn can_refresh(&self) -> bool {
        true
    }
}

#[tokio::test]
async fn soap_server_url_on_another_origin_is_refused_before_any_call() {
    let (mock, clock) = mock_with(Dataset::sample(1)).await;
    let sources: [Arc<dyn querymore::QuerySource>; 2] = [
        Arc::new(
            ZuoraSoap::builder()
                .endpoint(mock.zuora_soap_endpoint())
                .auth_provider(Arc::new(ElsewhereLogin))
                .build()
                .unwrap(),
        ),
        Arc::new(
            SalesforceSoap::builder()
                .endpoint(mock.salesforce_soap_endpoint())
                .auth_provider(Arc::new(ElsewhereLogin))
                .build()
                .unwrap(),
        ),
    ];
    for source in sources {
        let kind = source.kind();
        let err = client(source, &clock, fast_retry())
            .query(ACCOUNT_IDS)
            .pages()
            .try_next()
            .await
            .unwrap_err();
        assert!(err.to_string().contains("another origin"), "{kind}: {err}");
        assert!(
            err.to_string().contains("allow_server_url_origin_change"),
            "{kind}: {err}"
        );
        assert!(!err.is_retryable(), "{kind}: {err}");
        assert!(
            !err.to_string().contains("session-for-elsewhere"),
            "{kind}: {err}"
        );
    }
    assert!(mock.received_requests().is_empty(), "nothing was sent");
}
