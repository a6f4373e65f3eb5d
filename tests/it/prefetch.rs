//! Prefetch (`ClientBuilder::prefetch` / `QueryBuilder::prefetch`) keeps the paging
//! guarantees: every record exactly once and in order (also across a checkpoint),
//! client-side cursor expiry, errors surfacing after the records before them, and
//! dropping the stream cancels the fetch in flight. A source that counts its
//! calls, and notes futures dropped before they finished, shows what happens.

use chrono::TimeDelta;
use querymore::{
    BackendKind, Client, Cursor, CursorToken, Error, ManualClock, Page, Record, RetryPolicy,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Pages of consecutive numbers, `per_page` to a page. Page `hang_at` (if any)
/// never finishes; page `fail_at` (if any) is a non-retryable fault. Each call
/// sleeps a little, varying by page, so the consumer and the fetch interleave.
#[derive(Debug, Default)]
struct Counting {
    pages: usize,
    per_page: usize,
    hang_at: Option<usize>,
    fail_at: Option<usize>,
    calls: AtomicUsize,
    finished: AtomicUsize,
    cancelled: Arc<AtomicUsize>,
}

/// Counts a call's future as cancelled when it is dropped before finishing.
struct CancelGuard {
    done: bool,
    cancelled: Arc<AtomicUsize>,
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        if !self.done {
            self.cancelled.fetch_add(1, Ordering::SeqCst);
        }
    }
}

impl Counting {
    fn new(pages: usize, per_page: usize) -> Self {
        Counting {
            pages,
            per_page,
            ..Default::default()
        }
    }

    async fn serve(&self, i: usize) -> querymore::Result<Page> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut guard = CancelGuard {
            done: false,
            cancelled: self.cancelled.clone(),
        };
        if self.hang_at == Some(i) {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(Duration::from_micros(200 * (i % 4) as u64)).await;
        guard.done = true;
        self.finished.fetch_add(1, Ordering::SeqCst);
        if self.fail_at == Some(i) {
            return Err(
                querymore::Fault::new(BackendKind::Memory, "MALFORMED_QUERY", "bad").into(),
            );
        }
        let start = i * self.per_page;
        let records = (start..start + self.per_page)
            .map(|n| Record::new().with("N", n as i64))
            .collect();
        let cursor = (i + 1 < self.pages).then(|| {
            Cursor::new(
                BackendKind::Memory,
                CursorToken::Locator(format!("page-{}", i + 1)),
            )
        });
        Ok(Page::new(records, cursor, None))
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn finished(&self) -> usize {
        self.finished.load(Ordering::SeqCst)
    }

    fn cancelled(&self) -> usize {
        self.cancelled.load(Ordering::SeqCst)
    }
}

crate::support::paged_source!(Counting);

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Row {
    #[serde(rename = "N")]
    n: u64,
}

fn prefetching(src: &Arc<Counting>) -> Client {
    Client::builder(src.clone())
        .prefetch(true)
        .retry(RetryPolicy::none())
        .build()
}

/// Polls `cond` (yielding to the runtime) for up to a second.
async fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    for _ in 0..500 {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    cond()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_comes_exactly_once_and_in_order() {
    let src = Arc::new(Counting::new(40, 37));
    let mut records = prefetching(&src).query("q").records::<Row>();
    let mut got = Vec::new();
    while let Some(r) = records.try_next().await.unwrap() {
        // a consumer that is sometimes slower and sometimes faster than the fetch
        if r.n % 37 == 0 && r.n % 3 == 0 {
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        got.push(r.n);
    }
    assert_eq!(got, (0..40 * 37).collect::<Vec<u64>>());
    assert_eq!(src.calls(), 40, "one request per page, none repeated");
    assert_eq!(src.cancelled(), 0);
}

#[tokio::test]
async fn a_checkpoint_taken_while_a_page_is_prefetched_resumes_exactly_once() {
    let src = Arc::new(Counting::new(6, 3));
    let client = prefetching(&src);
    let mut pages = client.query("q").pages();
    let mut got = Vec::new();
    for _ in 0..2 {
        let page = pages.try_next().await.unwrap().unwrap();
        got.extend(
            page.records
                .iter()
                .map(|r| r.deserialize_as::<Row>().unwrap().n),
        );
    }
    assert!(
        eventually(|| src.finished() == 3).await,
        "page 3 was prefetched"
    );
    let saved = pages.cursor().cloned().unwrap();
    assert_eq!(
        saved.locator(),
        Some("page-2"),
        "the checkpoint is the page not yet yielded"
    );
    drop(pages);
    let rest: Vec<Row> = client.resume(saved).records().try_collect().await.unwrap();
    got.extend(rest.into_iter().map(|r| r.n));
    assert_eq!(got, (0..18).collect::<Vec<u64>>());
}

#[tokio::test]
async fn an_idle_cursor_still_expires_before_any_request() {
    let src = Arc::new(Counting::new(5, 2));
    let clock = ManualClock::fixed();
    let client = Client::builder(src.clone())
        .prefetch(true)
        .clock(clock.clone())
        .build();
    let mut pages = client.query("q").pages();
    pages.try_next().await.unwrap().unwrap();
    // page 2 was fetched while the caller held page 1, sent at the current time
    assert!(eventually(|| src.finished() == 2).await);
    clock.advance(TimeDelta::minutes(16));
    // page 2 is already here: it is handed over, but its cursor (for page 3) has
    // been idle since page 2's request was sent, so page 3 is not requested
    let second = pages.try_next().await.unwrap().unwrap();
    assert_eq!(second.records.len(), 2);
    assert!(second.cursor.as_ref().unwrap().is_expired_at(clock.now()));
    let err = pages.try_next().await.unwrap_err();
    assert!(matches!(err, Error::CursorExpired { .. }), "{err}");
    assert_eq!(src.calls(), 2, "no request for the expired cursor");
    assert!(pages.try_next().await.unwrap().is_none(), "the stream ends");
    assert_eq!(src.calls(), 2);
}

#[tokio::test]
async fn an_error_on_the_prefetched_page_comes_after_the_records_before_it() {
    let src = Arc::new(Counting {
        fail_at: Some(2),
        ..Counting::new(5, 4)
    });
    let mut records = prefetching(&src).query("q").records::<Row>();
    let mut got = Vec::new();
    let err = loop {
        match records.try_next().await {
            Ok(Some(r)) => got.push(r.n),
            Ok(None) => panic!("the stream ended without the error"),
            Err(e) => break e,
        }
    };
    assert!(err.to_string().contains("MALFORMED_QUERY"), "{err}");
    assert_eq!(got, (0..8).collect::<Vec<u64>>());
    assert!(records.try_next().await.unwrap().is_none());
    assert_eq!(src.calls(), 3, "nothing is fetched after the error");
}

#[tokio::test]
async fn dropping_pages_cancels_the_fetch_in_flight() {
    let src = Arc::new(Counting {
        hang_at: Some(1),
        ..Counting::new(3, 2)
    });
    let mut pages = prefetching(&src).query("q").pages();
    pages.try_next().await.unwrap().unwrap();
    assert!(eventually(|| src.calls() == 2).await, "page 2 is in flight");
    assert_eq!(src.cancelled(), 0);
    drop(pages);
    assert!(
        eventually(|| src.cancelled() == 1).await,
        "the in-flight fetch was cancelled"
    );
    assert_eq!(src.finished(), 1);
    assert_eq!(src.calls(), 2, "nothing more was requested");
}

#[tokio::test]
async fn dropping_records_cancels_the_fetch_in_flight() {
    let src = Arc::new(Counting {
        hang_at: Some(1),
        ..Counting::new(3, 2)
    });
    let mut records = prefetching(&src).query("q").records::<Row>();
    assert_eq!(records.try_next().await.unwrap(), Some(Row { n: 0 }));
    assert!(eventually(|| src.calls() == 2).await, "page 2 is in flight");
    drop(records);
    assert!(eventually(|| src.cancelled() == 1).await);
    assert_eq!(src.calls(), 2);
}

#[tokio::test]
async fn without_prefetch_nothing_is_fetched_ahead() {
    let src = Arc::new(Counting::new(3, 2));
    let client = Client::builder(src.clone()).prefetch(false).build();
    let mut pages = client.query("q").pages();
    pages.try_next().await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(src.calls(), 1);
}
