//! Lookahead (`querymore::lookahead::offer_next`): with prefetch on, a cursor a
//! backend offers before its page is read starts the next request at once; an
//! offer the page does not confirm is thrown away; exactly-once holds either
//! way. Against the mock over HTTP, every backend that offers offers the right
//! cursor (no request is wasted), and offers it from the start of the body:
//! the next page is requested while the rest of this one is still on its way.

use crate::reliability::backends::{ACCOUNT_IDS, ALL, Auth, account_ids, backend};
use crate::support::{id_of, mock_with};
use querymore::mock::{Dataset, MockFault, ReceivedRequest};
use querymore::{
    BackendKind, Client, Cursor, CursorToken, Error, Page, Record, RetryPolicy, lookahead,
};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How a page of [`Offering`] behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// Offers the next cursor, then waits (up to `WAIT`) until the next page
    /// has been asked for before it finishes: only lookahead lets it finish
    /// early.
    WaitForNext,
    /// Offers a cursor for a page far away, then returns the real one.
    Wrong,
    /// First attempt: offers the right cursor, then fails retryably; later
    /// attempts offer it again and succeed.
    FailOnce,
    /// Offers the next cursor, then never finishes (until dropped).
    Hang,
    /// Offers the next cursor and finishes at once.
    Eager,
}

const WAIT: Duration = Duration::from_secs(2);
const PAGES: usize = 5;
const PER_PAGE: usize = 3;

/// Pages of consecutive numbers whose backend offers cursors early.
#[derive(Debug)]
struct Offering {
    mode: Mode,
    /// Every page index requested, in order.
    requested: Mutex<Vec<usize>>,
    /// Pages that finished before the page after them was asked for.
    unassisted: AtomicUsize,
    failed_once: AtomicUsize,
    /// Page futures dropped before they finished.
    dropped: std::sync::Arc<AtomicUsize>,
}

/// Counts a page future dropped while it hangs.
struct DropCount(std::sync::Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl Offering {
    fn new(mode: Mode) -> Self {
        Offering {
            mode,
            requested: Mutex::new(Vec::new()),
            unassisted: AtomicUsize::new(0),
            failed_once: AtomicUsize::new(0),
            dropped: Default::default(),
        }
    }

    fn requested(&self) -> Vec<usize> {
        self.requested.lock().unwrap().clone()
    }

    fn cursor(i: usize) -> Cursor {
        Cursor::new(
            BackendKind::Memory,
            CursorToken::Locator(format!("page-{i}")),
        )
    }

    async fn serve(&self, i: usize) -> querymore::Result<Page> {
        self.requested.lock().unwrap().push(i);
        let next = (i + 1 < PAGES).then(|| Self::cursor(i + 1));
        match self.mode {
            Mode::Hang => {
                lookahead::offer_next(|| next.clone());
                let _guard = DropCount(self.dropped.clone());
                std::future::pending::<()>().await;
            }
            Mode::WaitForNext => {
                lookahead::offer_next(|| next.clone());
                if next.is_some() {
                    let asked = async {
                        while !self.requested().contains(&(i + 1)) {
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        }
                    };
                    if tokio::time::timeout(WAIT, asked).await.is_err() {
                        self.unassisted.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
            Mode::Wrong => lookahead::offer_next(|| Some(Self::cursor(1000 + i))),
            Mode::Eager => lookahead::offer_next(|| next.clone()),
            Mode::FailOnce => {
                lookahead::offer_next(|| next.clone());
                if i == 1 && self.failed_once.fetch_add(1, Ordering::SeqCst) == 0 {
                    return Err(Error::Protocol {
                        backend: BackendKind::Memory,
                        message: "body cut short".into(),
                        retryable: true,
                    });
                }
            }
        }
        let start = i * PER_PAGE;
        let records = (start..start + PER_PAGE)
            .map(|n| Record::new().with("N", n as i64))
            .collect();
        Ok(Page::new(records, next, None))
    }
}

crate::support::paged_source!(Offering);

async fn numbers(src: &std::sync::Arc<Offering>, prefetch: bool) -> Vec<i64> {
    Client::builder(src.clone())
        .retry(RetryPolicy::default().with_base_delay(Duration::from_millis(1)))
        .prefetch(prefetch)
        .build()
        .query("q")
        .records::<Record>()
        .try_collect()
        .await
        .unwrap()
        .iter()
        .map(|r| match r.get("N") {
            Some(querymore::Value::Int(n)) => *n,
            other => panic!("not a number: {other:?}"),
        })
        .collect()
}

fn all_numbers() -> Vec<i64> {
    (0..(PAGES * PER_PAGE) as i64).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offered_cursor_is_requested_before_its_page_is_read() {
    let src = std::sync::Arc::new(Offering::new(Mode::WaitForNext));
    assert_eq!(numbers(&src, true).await, all_numbers());
    assert_eq!(src.requested(), (0..PAGES).collect::<Vec<_>>());
    assert_eq!(
        src.unassisted.load(Ordering::SeqCst),
        0,
        "every page's successor was requested while the page was still being read"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_prefetch_an_offer_starts_nothing() {
    let src = std::sync::Arc::new(Offering::new(Mode::WaitForNext));
    assert_eq!(numbers(&src, false).await, all_numbers());
    assert_eq!(
        src.unassisted.load(Ordering::SeqCst),
        PAGES - 1,
        "each page waited in vain: nothing was requested ahead"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_offer_is_thrown_away_and_every_record_comes_once() {
    let src = std::sync::Arc::new(Offering::new(Mode::Wrong));
    assert_eq!(numbers(&src, true).await, all_numbers());
    let real: Vec<usize> = src.requested().into_iter().filter(|&i| i < 1000).collect();
    assert_eq!(real, (0..PAGES).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_page_offering_the_same_cursor_keeps_the_fetch_ahead() {
    let src = std::sync::Arc::new(Offering::new(Mode::FailOnce));
    assert_eq!(numbers(&src, true).await, all_numbers());
    let requested = src.requested();
    assert_eq!(
        requested.iter().filter(|&&i| i == 1).count(),
        2,
        "page 1 failed once and was retried: {requested:?}"
    );
    for page in [0, 2, 3, 4] {
        assert_eq!(
            requested.iter().filter(|&&i| i == page).count(),
            1,
            "page {page} was requested once: {requested:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_stream_cancels_the_fetch_started_from_an_offer() {
    let src = std::sync::Arc::new(Offering::new(Mode::Hang));
    let mut pages = Client::new(src.clone()).query("q").pages();
    // Page 0 hangs after offering page 1; polling it starts page 1.
    for _ in 0..100 {
        let _ = tokio::time::timeout(Duration::from_millis(20), pages.try_next()).await;
        if src.requested().len() == 2 {
            break;
        }
    }
    assert_eq!(src.requested(), [0, 1], "page 1 was requested ahead");
    assert_eq!(src.dropped.load(Ordering::SeqCst), 0);
    drop(pages);
    for _ in 0..100 {
        if src.dropped.load(Ordering::SeqCst) == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        src.dropped.load(Ordering::SeqCst),
        2,
        "the page in flight and the one fetched ahead were both cancelled"
    );
}

/// Every backend over HTTP: with prefetch (and lookahead) on, the mock
/// serves exactly one request per page: each offered cursor was the page's
/// own, and every record comes once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http_every_offer_is_confirmed_and_no_request_is_wasted() {
    let dataset = Dataset::generated(11, 2000, 0, 0);
    let expected = account_ids(&dataset);
    let (mock, clock) = mock_with(dataset).await;
    for kind in ALL {
        let source = backend(kind, &mock, Auth::Fixed, querymore::HttpOptions::default());
        let mut served = Vec::new();
        for prefetch in [false, true] {
            let before = mock.state().requests_served(kind);
            let client = Client::builder(source.clone())
                .clock(clock.clone())
                .retry(RetryPolicy::none())
                .prefetch(prefetch)
                .build();
            let mut pages = client.query(ACCOUNT_IDS).batch_size(200).pages();
            let mut ids = Vec::new();
            let mut n_pages = 0;
            while let Some(page) = pages.try_next().await.unwrap() {
                n_pages += 1;
                ids.extend(page.records.iter().map(id_of));
            }
            assert_eq!(n_pages, 10, "{kind}");
            assert_eq!(ids, expected, "{kind}: every record once, in order");
            served.push(mock.state().requests_served(kind) - before);
        }
        assert_eq!(
            served[1], served[0],
            "{kind}: requests with lookahead vs one request per page asked for"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_fetched_ahead_starts_nothing_until_it_is_asked_for() {
    let src = std::sync::Arc::new(Offering::new(Mode::Eager));
    let mut pages = Client::new(src.clone()).query("q").pages();
    pages.try_next().await.unwrap().unwrap();
    // Page 1 was fetched ahead from page 0's offer; its own offer (page 2)
    // waits until the caller asks for page 1.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(src.requested(), [0, 1]);
    pages.try_next().await.unwrap().unwrap();
    for _ in 0..200 {
        if src.requested().len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        src.requested(),
        [0, 1, 2],
        "asking for page 1 started page 2"
    );
}

/// How long the mock holds back the rest of the first page's body.
const PAUSE: Duration = Duration::from_secs(1);

/// True for a request for a page after the first one.
fn asks_for_more(kind: BackendKind, r: &ReceivedRequest) -> bool {
    match kind {
        BackendKind::ZuoraSoap | BackendKind::SalesforceSoap => r.body_text().contains("queryMore"),
        // `nextRecordsUrl` is `…/query/<locator>`; the first page `…/query?q=`.
        BackendKind::SalesforceRest => r.path.contains("/query/"),
        BackendKind::SalesforceBulk => r.query.as_deref().is_some_and(|q| q.contains("locator=")),
        _ => false,
    }
}

/// Every backend whose cursor comes before its records (SOAP `queryLocator`,
/// Salesforce REST `nextRecordsUrl`, the Bulk `Sforce-Locator` header): with
/// the first page's body held back after its first 2 KiB, the second page is
/// requested before the first one has arrived, and every record still comes
/// once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_page_is_requested_from_the_head_of_this_ones_body() {
    let dataset = Dataset::generated(11, 1000, 0, 0);
    let expected = account_ids(&dataset);
    let (mock, clock) = mock_with(dataset).await;
    // A Bulk job completes on its first poll: its results are the third request.
    mock.state().bulk().set_polls_to_complete(1);
    for kind in [
        BackendKind::ZuoraSoap,
        BackendKind::SalesforceSoap,
        BackendKind::SalesforceRest,
        BackendKind::SalesforceBulk,
    ] {
        let source = backend(kind, &mock, Auth::Fixed, querymore::HttpOptions::default());
        let client = Client::builder(source)
            .clock(clock.clone())
            .retry(RetryPolicy::none())
            .build();
        let first_page_requests = if kind == BackendKind::SalesforceBulk {
            3
        } else {
            1
        };
        for _ in 0..first_page_requests {
            mock.faults().push_for(
                kind,
                MockFault::PausedBody {
                    after: 2048,
                    pause: PAUSE,
                },
            );
        }
        mock.state().clear_requests();
        let mut pages = client.query(ACCOUNT_IDS).batch_size(200).pages();
        let first = tokio::spawn(async move {
            let page = pages.try_next().await;
            (page, pages)
        });
        let started = std::time::Instant::now();
        let asked_early = loop {
            let asked = mock
                .received_requests()
                .iter()
                .any(|r| asks_for_more(kind, r));
            if asked || first.is_finished() || started.elapsed() > PAUSE {
                break asked && !first.is_finished();
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        assert!(
            asked_early,
            "{kind}: the second page was requested while the first one's body was held back"
        );
        let (page, mut pages) = first.await.unwrap();
        let mut ids: Vec<String> = page.unwrap().unwrap().records.iter().map(id_of).collect();
        while let Some(page) = pages.try_next().await.unwrap() {
            ids.extend(page.records.iter().map(id_of));
        }
        assert_eq!(ids, expected, "{kind}: every record once, in order");
        assert_eq!(mock.faults().pending(), 0, "{kind}");
    }
}
