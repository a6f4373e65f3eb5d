//! The conformance suite (feature `test-util`): one set of checks any
//! [`QuerySource`] can be run through — this crate runs it against every backend
//! over the mock and against [`InMemory`](crate::InMemory); a third-party
//! backend can run it too.
//!
//! The checks: every record comes back once, in order; an empty middle page does
//! not end the stream; batch sizes out of range fail before any request; an idle
//! cursor fails with [`Error::CursorExpired`] before any request; a checkpointed
//! cursor resumes exactly; a cursor that repeats or cycles is an error; and, when
//! the harness can make the server drop a cursor, that error is
//! [`Error::is_cursor_expired`].

use crate::source::BoxFuture;
use crate::{
    BackendKind, Capabilities, Client, Cursor, CursorToken, Error, ManualClock, Page, Query,
    QuerySource, Record, Result, RetryPolicy, Value,
};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A hook that makes the server drop the next cursor it is asked for.
pub type FaultHook = Arc<dyn Fn() + Send + Sync>;

/// What to run the suite on.
pub struct Harness {
    /// The source under test.
    pub source: Arc<dyn QuerySource>,
    /// The query to page.
    pub query: String,
    /// The ids the query must return, in order.
    pub expected_ids: Vec<String>,
    /// A batch size that yields at least three pages.
    pub batch_size: i64,
    /// The field holding the id (default `Id`).
    pub id_field: String,
    /// The clock the source's server side also reads (for the expiry check).
    pub clock: ManualClock,
    /// Makes the server drop the next cursor (e.g. a mock `InvalidLocator` fault).
    pub drop_next_cursor: Option<FaultHook>,
}

impl fmt::Debug for Harness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Harness")
            .field("source", &self.source)
            .field("query", &self.query)
            .field("expected", &self.expected_ids.len())
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

impl Harness {
    /// A harness for `source` paging `query`, expecting `expected_ids`.
    pub fn new(
        source: Arc<dyn QuerySource>,
        query: impl Into<String>,
        expected_ids: Vec<String>,
        batch_size: i64,
    ) -> Self {
        Harness {
            source,
            query: query.into(),
            expected_ids,
            batch_size,
            id_field: "Id".into(),
            clock: ManualClock::fixed(),
            drop_next_cursor: None,
        }
    }

    /// Sets the clock shared with the server side.
    pub fn clock(mut self, clock: ManualClock) -> Self {
        self.clock = clock;
        self
    }

    /// Sets the hook that makes the server drop the next cursor.
    pub fn drop_next_cursor(mut self, hook: FaultHook) -> Self {
        self.drop_next_cursor = Some(hook);
        self
    }
}

/// A failed check.
#[derive(Debug)]
pub struct Failure {
    /// The check's name.
    pub check: &'static str,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "conformance check `{}` failed: {}",
            self.check, self.message
        )
    }
}

impl std::error::Error for Failure {}

/// Runs every check; returns the names of the checks that passed, or the first failure.
pub async fn run(h: &Harness) -> std::result::Result<Vec<&'static str>, Failure> {
    let mut passed = Vec::new();
    macro_rules! check {
        ($name:literal, $body:expr) => {{
            $body.await.map_err(|message| Failure {
                check: $name,
                message,
            })?;
            passed.push($name);
        }};
    }
    check!("all_records_in_order", all_records_in_order(h));
    check!("empty_middle_page", empty_middle_page(h));
    check!("batch_size_bounds_before_io", batch_size_bounds(h));
    check!("expired_cursor_before_io", expired_cursor(h));
    check!("resume_from_checkpoint", resume(h));
    check!("repeating_cursor_is_an_error", repeating_cursor(h));
    check!("cycling_cursor_is_an_error", cycling_cursor(h));
    if h.drop_next_cursor.is_some() {
        check!("dropped_cursor_is_cursor_expired", dropped_cursor(h));
    }
    Ok(passed)
}

type CheckResult = std::result::Result<(), String>;

/// The suite's client: no retries and no prefetch, so each page is one
/// request made when asked for and the checks can time faults and expiry.
fn client(h: &Harness, source: Arc<dyn QuerySource>) -> Client {
    crate::ClientBuilder::from_shared(source)
        .clock(h.clock.clone())
        .retry(RetryPolicy::none())
        .prefetch(false)
        .build()
}

fn id_of(h: &Harness, r: &Record) -> std::result::Result<String, String> {
    r.get(&h.id_field)
        .and_then(Value::to_text)
        .map(|s| s.into_owned())
        .ok_or_else(|| format!("a record has no {} field: {r:?}", h.id_field))
}

async fn collect_ids(
    h: &Harness,
    builder: crate::QueryBuilder,
) -> std::result::Result<(Vec<String>, u64), String> {
    let mut pages = builder.pages();
    let mut ids = Vec::new();
    while let Some(page) = pages.try_next().await.map_err(|e| e.to_string())? {
        for r in &page.records {
            ids.push(id_of(h, r)?);
        }
    }
    Ok((ids, pages.pages_read()))
}

fn compare(expected: &[String], got: &[String]) -> CheckResult {
    if expected == got {
        return Ok(());
    }
    let first_diff = expected
        .iter()
        .zip(got)
        .position(|(a, b)| a != b)
        .unwrap_or(expected.len().min(got.len()));
    Err(format!(
        "expected {} ids, got {}; first difference at index {first_diff}: expected {:?}, got {:?}",
        expected.len(),
        got.len(),
        expected.get(first_diff),
        got.get(first_diff)
    ))
}

async fn all_records_in_order(h: &Harness) -> CheckResult {
    let c = client(h, h.source.clone());
    let (ids, pages) = collect_ids(h, c.query(&h.query).batch_size(h.batch_size)).await?;
    compare(&h.expected_ids, &ids)?;
    if pages < 3 {
        return Err(format!(
            "the batch size gave {pages} pages; the suite needs at least 3"
        ));
    }
    Ok(())
}

async fn empty_middle_page(h: &Harness) -> CheckResult {
    let src: Arc<dyn QuerySource> = Arc::new(EmptyAfterFirst(h.source.clone()));
    let c = client(h, src);
    let (ids, _) = collect_ids(h, c.query(&h.query).batch_size(h.batch_size)).await?;
    compare(&h.expected_ids, &ids)
}

async fn batch_size_bounds(h: &Harness) -> CheckResult {
    let counting = Arc::new(Counting::new(h.source.clone()));
    let c = client(h, counting.clone());
    let range = h.source.capabilities().batch_size;
    let low = if range.zero_means_default {
        -1
    } else {
        i64::from(range.min) - 1
    };
    for bad in [i64::from(range.max) + 1, low] {
        match c.query(&h.query).batch_size(bad).pages().try_next().await {
            Err(Error::InvalidInput { .. }) => {}
            other => {
                return Err(format!(
                    "batch size {bad}: expected InvalidInput, got {other:?}"
                ));
            }
        }
    }
    match counting.calls() {
        0 => Ok(()),
        n => Err(format!("{n} requests were sent for invalid batch sizes")),
    }
}

async fn expired_cursor(h: &Harness) -> CheckResult {
    let caps: Capabilities = h.source.capabilities();
    let Some(limit) = caps.idle_limit else {
        return Ok(()); // no idle limit: nothing expires
    };
    let counting = Arc::new(Counting::new(h.source.clone()));
    let c = client(h, counting.clone());
    let mut pages = c.query(&h.query).batch_size(h.batch_size).pages();
    pages.try_next().await.map_err(|e| e.to_string())?;
    let before = counting.calls();
    h.clock.advance(limit);
    let res = pages.try_next().await;
    match res {
        Err(e @ Error::CursorExpired { .. }) if e.is_cursor_expired() => {}
        other => return Err(format!("expected CursorExpired, got {other:?}")),
    }
    if counting.calls() != before {
        return Err("a request was sent for an expired cursor".into());
    }
    Ok(())
}

async fn resume(h: &Harness) -> CheckResult {
    let c = client(h, h.source.clone());
    let mut pages = c.query(&h.query).batch_size(h.batch_size).pages();
    let mut seen = 0;
    for _ in 0..2 {
        let page = pages
            .try_next()
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the query ended before page 2")?;
        seen += page.records.len();
    }
    let saved = serde_json::to_string(pages.cursor().ok_or("no cursor after page 2")?)
        .map_err(|e| e.to_string())?;
    drop(pages);
    let cursor: Cursor = serde_json::from_str(&saved).map_err(|e| e.to_string())?;
    let (rest, _) = collect_ids(h, c.resume(cursor)).await?;
    compare(&h.expected_ids[seen.min(h.expected_ids.len())..], &rest)
}

async fn repeating_cursor(h: &Harness) -> CheckResult {
    expect_no_advance(h, Arc::new(Repeat::new(h.source.clone(), false))).await
}

async fn cycling_cursor(h: &Harness) -> CheckResult {
    expect_no_advance(h, Arc::new(Repeat::new(h.source.clone(), true))).await
}

async fn expect_no_advance(h: &Harness, src: Arc<dyn QuerySource>) -> CheckResult {
    let c = client(h, src);
    match collect_ids(h, c.query(&h.query).batch_size(h.batch_size)).await {
        Err(msg) if msg.contains("did not advance") => Ok(()),
        other => Err(format!(
            "expected a 'cursor did not advance' error, got {other:?}"
        )),
    }
}

async fn dropped_cursor(h: &Harness) -> CheckResult {
    let c = client(h, h.source.clone());
    let mut pages = c
        .query(&h.query)
        .batch_size(h.batch_size)
        .check_expiry(false)
        .pages();
    pages.try_next().await.map_err(|e| e.to_string())?;
    if let Some(hook) = &h.drop_next_cursor {
        hook();
    }
    match pages.try_next().await {
        Err(e) if e.is_cursor_expired() => Ok(()),
        other => Err(format!(
            "expected an error with is_cursor_expired(), got {other:?}"
        )),
    }
}

/// Counts the requests that reach the inner source.
#[derive(Debug)]
struct Counting {
    inner: Arc<dyn QuerySource>,
    calls: AtomicUsize,
}

impl Counting {
    fn new(inner: Arc<dyn QuerySource>) -> Self {
        Counting {
            inner,
            calls: AtomicUsize::new(0),
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl QuerySource for Counting {
    fn kind(&self) -> BackendKind {
        self.inner.kind()
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    fn first_page<'a>(&'a self, q: &'a Query) -> BoxFuture<'a, Result<Page>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.first_page(q)
    }
    fn next_page<'a>(&'a self, c: &'a Cursor) -> BoxFuture<'a, Result<Page>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.next_page(c)
    }
}

const EMPTY_PREFIX: &str = "conformance-empty:";

/// Serves an empty page between the first and second real pages, under a
/// wrapper token that carries the real cursor.
#[derive(Debug)]
struct EmptyAfterFirst(Arc<dyn QuerySource>);

impl QuerySource for EmptyAfterFirst {
    fn kind(&self) -> BackendKind {
        self.0.kind()
    }
    fn capabilities(&self) -> Capabilities {
        self.0.capabilities()
    }
    fn first_page<'a>(&'a self, q: &'a Query) -> BoxFuture<'a, Result<Page>> {
        Box::pin(async move {
            let mut page = self.0.first_page(q).await?;
            if let Some(real) = page.cursor.take() {
                let json = serde_json::to_string(&real)
                    .map_err(|e| Error::protocol(real.backend, e.to_string()))?;
                page.cursor = Some(Cursor::new(
                    real.backend,
                    CursorToken::Locator(format!("{EMPTY_PREFIX}{json}")),
                ));
            }
            Ok(page)
        })
    }
    fn next_page<'a>(&'a self, c: &'a Cursor) -> BoxFuture<'a, Result<Page>> {
        Box::pin(async move {
            match c.locator().and_then(|l| l.strip_prefix(EMPTY_PREFIX)) {
                Some(json) => {
                    let mut real: Cursor = serde_json::from_str(json)
                        .map_err(|e| Error::protocol(c.backend, e.to_string()))?;
                    real.batch_size = c.batch_size;
                    Ok(Page::new(Vec::new(), Some(real), None))
                }
                None => self.0.next_page(c).await,
            }
        })
    }
}

/// Serves a cursor already used: the same one it was given (`cycle: false`,
/// A -> A), or, on the second `next_page`, the first cursor it was given
/// (`cycle: true`, A -> B -> A), which a last-token check alone would miss.
#[derive(Debug)]
struct Repeat {
    inner: Arc<dyn QuerySource>,
    cycle: bool,
    first: std::sync::Mutex<Option<Cursor>>,
}

impl Repeat {
    fn new(inner: Arc<dyn QuerySource>, cycle: bool) -> Self {
        Repeat {
            inner,
            cycle,
            first: std::sync::Mutex::new(None),
        }
    }
}

impl QuerySource for Repeat {
    fn kind(&self) -> BackendKind {
        self.inner.kind()
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    fn first_page<'a>(&'a self, q: &'a Query) -> BoxFuture<'a, Result<Page>> {
        self.inner.first_page(q)
    }
    fn next_page<'a>(&'a self, c: &'a Cursor) -> BoxFuture<'a, Result<Page>> {
        Box::pin(async move {
            let mut page = self.inner.next_page(c).await?;
            if !self.cycle {
                page.cursor = Some(c.clone());
                return Ok(page);
            }
            let first = {
                let mut slot = self.first.lock().unwrap_or_else(|e| e.into_inner());
                match slot.as_ref() {
                    None => {
                        *slot = Some(c.clone());
                        None
                    }
                    Some(f) => Some(f.clone()),
                }
            };
            if let Some(f) = first {
                page.cursor = Some(f);
            }
            Ok(page)
        })
    }
}
