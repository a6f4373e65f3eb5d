//! The paging rules that live once in `Pages`, checked with a scripted source
//! that counts its calls: laziness, empty middle pages, non-advancing and cycling
//! cursors, batch-size validation before I/O, client-side expiry, resume, retries
//! and prefetch.

use chrono::TimeDelta;
use querymore::{
    BackendKind, BatchSizeRange, BoxFuture, Capabilities, Client, Cursor, CursorToken, Error,
    InMemory, ManualClock, Page, Pages, Query, QuerySource, Record, Records, RetryPolicy,
};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Serves `pages[i]`; page i's cursor is `next[i]` (a locator naming the page to
/// serve next). `fail_first` errors are returned before the scripted answers.
#[derive(Debug, Default)]
struct Scripted {
    pages: Vec<Vec<i64>>,
    next: Vec<Option<usize>>,
    calls: AtomicUsize,
    failures: Mutex<Vec<Error>>,
}

impl Scripted {
    fn new(pages: Vec<Vec<i64>>, next: Vec<Option<usize>>) -> Arc<Self> {
        Arc::new(Scripted {
            pages,
            next,
            ..Default::default()
        })
    }

    fn linear(pages: Vec<Vec<i64>>) -> Arc<Self> {
        let n = pages.len();
        let next = (0..n).map(|i| (i + 1 < n).then_some(i + 1)).collect();
        Scripted::new(pages, next)
    }

    fn serve(&self, i: usize) -> querymore::Result<Page> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(e) = self.failures.lock().unwrap().pop() {
            return Err(e);
        }
        let records = self.pages[i]
            .iter()
            .map(|n| Record::new().with("N", *n))
            .collect();
        let cursor = self.next[i].map(|j| {
            Cursor::new(
                BackendKind::Memory,
                CursorToken::Locator(format!("page-{j}")),
            )
        });
        Ok(Page::new(records, cursor, None))
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl QuerySource for Scripted {
    fn kind(&self) -> BackendKind {
        BackendKind::Memory
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::new(BatchSizeRange::new("batchSize", 1, 2000, 2000).zero_means_default())
            .with_idle_limit(Some(TimeDelta::minutes(15)))
    }
    fn first_page<'a>(&'a self, _q: &'a Query) -> BoxFuture<'a, querymore::Result<Page>> {
        Box::pin(async move { self.serve(0) })
    }
    fn next_page<'a>(&'a self, c: &'a Cursor) -> BoxFuture<'a, querymore::Result<Page>> {
        Box::pin(async move {
            let i = c
                .locator()
                .and_then(|l| l.strip_prefix("page-"))
                .and_then(|n| n.parse().ok());
            self.serve(i.unwrap_or(usize::MAX).min(self.pages.len() - 1))
        })
    }
}

fn client(src: &Arc<Scripted>) -> Client {
    Client::builder(src.clone())
        .retry(RetryPolicy::none())
        .build()
}

async fn numbers(mut records: Records<Record>) -> querymore::Result<Vec<i64>> {
    let mut out = Vec::new();
    while let Some(r) = records.try_next().await? {
        out.push(
            r.deserialize_as::<Row>()
                .map_err(|e| Error::Decode {
                    page: 0,
                    index: 0,
                    source: Box::new(e),
                })?
                .n,
        );
    }
    Ok(out)
}

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Row {
    #[serde(rename = "N")]
    n: i64,
}

#[test]
fn pages_and_records_are_send_unpin_static() {
    fn assert_traits<T: Send + Unpin + 'static>() {}
    assert_traits::<Pages>();
    assert_traits::<Records<Row>>();
    assert_traits::<Client>();
}

#[tokio::test]
async fn nothing_is_requested_before_the_first_poll() {
    let src = Scripted::linear(vec![vec![1], vec![2]]);
    let mut pages = client(&src).query("select N from T").pages();
    tokio::task::yield_now().await;
    assert_eq!(src.calls(), 0);
    pages.try_next().await.unwrap();
    assert_eq!(src.calls(), 1);
}

#[tokio::test]
async fn an_empty_middle_page_does_not_end_the_stream() {
    let src = Scripted::linear(vec![vec![1, 2], vec![], vec![3]]);
    let got = numbers(client(&src).query("q").records::<Record>())
        .await
        .unwrap();
    assert_eq!(got, [1, 2, 3]);
    assert_eq!(src.calls(), 3);
}

#[tokio::test]
async fn a_repeated_cursor_is_an_error_not_a_loop() {
    // page 1 points at itself
    let src = Scripted::new(vec![vec![1], vec![2]], vec![Some(1), Some(1)]);
    let err = numbers(client(&src).query("q").records())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
    assert!(err.to_string().contains("did not advance"), "{err}");
    assert_eq!(src.calls(), 2);
}

#[tokio::test]
async fn a_cycling_cursor_is_an_error_not_a_loop() {
    // 0 -> 1 -> 2 -> 1 -> 2 ...
    let src = Scripted::new(
        vec![vec![1], vec![2], vec![3]],
        vec![Some(1), Some(2), Some(1)],
    );
    let err = numbers(client(&src).query("q").records())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("did not advance"), "{err}");
    assert_eq!(src.calls(), 3);
}

#[tokio::test]
async fn an_invalid_batch_size_is_the_first_item_and_sends_nothing() {
    for bad in [2001, -1] {
        let src = Scripted::linear(vec![vec![1]]);
        let mut pages = client(&src).query("q").batch_size(bad).pages();
        let err = pages.try_next().await.unwrap_err();
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
        assert!(
            pages.try_next().await.unwrap().is_none(),
            "the stream ends after the error"
        );
        assert_eq!(src.calls(), 0);
    }
}

#[tokio::test]
async fn an_idle_cursor_expires_before_any_request() {
    let src = Scripted::linear(vec![vec![1], vec![2]]);
    let clock = ManualClock::fixed();
    // Without prefetch: nothing is fetched ahead while the caller pauses.
    let client = Client::builder(src.clone())
        .clock(clock.clone())
        .prefetch(false)
        .build();
    let mut pages = client.query("q").pages();
    let first = pages.try_next().await.unwrap().unwrap();
    let cursor = first.cursor.clone().unwrap();
    assert_eq!(cursor.last_used, clock.now());
    assert_eq!(
        cursor.expires_at(),
        Some(clock.now() + TimeDelta::minutes(15))
    );
    clock.advance(TimeDelta::minutes(15));
    let err = pages.try_next().await.unwrap_err();
    assert!(err.is_cursor_expired(), "{err}");
    assert!(matches!(err, Error::CursorExpired { idle, .. } if idle == TimeDelta::minutes(15)));
    assert_eq!(src.calls(), 1, "no request for the expired cursor");
    // with the check off, the request goes out
    let resumed = client
        .resume(cursor)
        .check_expiry(false)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(resumed.len(), 1);
    assert_eq!(src.calls(), 2);
}

#[tokio::test]
async fn a_checkpointed_cursor_resumes_where_it_left_off() {
    let src = Scripted::linear(vec![vec![1], vec![2], vec![3], vec![4]]);
    let c = client(&src);
    let mut pages = c.query("q").batch_size(7).pages();
    pages.try_next().await.unwrap();
    pages.try_next().await.unwrap();
    let saved = serde_json::to_string(pages.cursor().unwrap()).unwrap();
    drop(pages);
    let cursor: Cursor = serde_json::from_str(&saved).unwrap();
    assert_eq!(cursor.batch_size, Some(7));
    let rest = numbers(c.resume(cursor).records()).await.unwrap();
    assert_eq!(rest, [3, 4]);
}

#[tokio::test]
async fn retryable_errors_are_retried_and_others_are_not() {
    let src = Scripted::linear(vec![vec![1], vec![2]]);
    src.failures
        .lock()
        .unwrap()
        .push(Error::truncated(BackendKind::Memory, "cut short"));
    let c = Client::builder(src.clone())
        .retry(RetryPolicy::default().with_base_delay(Duration::from_millis(1)))
        .build();
    assert_eq!(numbers(c.query("q").records()).await.unwrap(), [1, 2]);
    assert_eq!(src.calls(), 3);

    let src = Scripted::linear(vec![vec![1], vec![2]]);
    src.failures
        .lock()
        .unwrap()
        .push(querymore::Fault::new(BackendKind::Memory, "MALFORMED_QUERY", "bad").into());
    let c = Client::builder(src.clone())
        .retry(RetryPolicy::default())
        .build();
    let err = numbers(c.query("q").records()).await.unwrap_err();
    assert!(err.to_string().contains("MALFORMED_QUERY"), "{err}");
    assert_eq!(src.calls(), 1);
}

#[tokio::test]
async fn prefetch_requests_the_next_page_before_it_is_asked_for() {
    let src = Scripted::linear(vec![vec![1], vec![2], vec![3]]);
    let c = Client::builder(src.clone()).prefetch(true).build();
    let mut pages = c.query("q").pages();
    pages.try_next().await.unwrap();
    for _ in 0..50 {
        if src.calls() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(
        src.calls(),
        2,
        "page 2 was fetched while the caller held page 1"
    );
    let rest: Vec<_> = pages.try_collect().await.unwrap();
    assert_eq!(rest.len(), 2);
    assert_eq!(src.calls(), 3);
}

#[tokio::test]
async fn in_memory_pages_typed_records() {
    let rows: Vec<Record> = (0..250)
        .map(|n| Record::new().with("N", n.to_string()))
        .collect();
    let c = Client::new(InMemory::new(rows));
    let got: Vec<Row> = c
        .query("select N from T")
        .batch_size(100)
        .records()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got.len(), 250);
    assert_eq!(got[249], Row { n: 249 });
    let pages = c
        .query("q")
        .batch_size(0)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3, "0 means the default of 100");
}
