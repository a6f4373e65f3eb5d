//! `Page`, and the two named streams users read: [`Pages`] and [`Records`].
//!
//! The paging rules live here, once for every backend: nothing is requested
//! before the first poll; an invalid batch size is the first item, with no I/O;
//! the stream ends only when a page has no cursor (an empty middle page does not
//! end it); a cursor already seen in this query (repeated or cycling) is an error,
//! not an endless loop; an idle-expired cursor fails before any request; the next
//! page may be prefetched while the caller works on this one.

use crate::ahead::{Fetch, Fetches, PageFuture};
use crate::client::{Client, Start};
use crate::lookahead::SharedSink;
use crate::record::Record;
use crate::{Cursor, Error, Result};
use futures_core::Stream;
use serde::de::DeserializeOwned;
use std::any::Any;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

/// A usage counter reported by the service (`LimitInfoHeader`, `Sforce-Limit-Info`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitInfo {
    /// What is counted (`API REQUESTS`, `api-usage`).
    pub kind: String,
    /// Used so far.
    pub current: u64,
    /// The limit.
    pub limit: u64,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<R = Record> {
    /// The records on this page, in server order.
    pub records: Vec<R>,
    /// Where the next page is; `None` means this is the last page.
    pub cursor: Option<Cursor>,
    /// The total number of rows the whole query matches, when the server says.
    pub total_size: Option<u64>,
    /// Usage counters the server reported with this page.
    pub limit_info: Vec<LimitInfo>,
}

impl<R> Page<R> {
    /// A page of `records` followed by `cursor`.
    pub fn new(records: Vec<R>, cursor: Option<Cursor>, total_size: Option<u64>) -> Self {
        Page {
            records,
            cursor,
            total_size,
            limit_info: Vec::new(),
        }
    }

    /// Attaches usage counters.
    pub fn with_limit_info(mut self, limit_info: Vec<LimitInfo>) -> Self {
        self.limit_info = limit_info;
        self
    }

    /// True when no page follows.
    pub fn is_last(&self) -> bool {
        self.cursor.is_none()
    }
}

enum State {
    NotStarted(Start),
    Running,
    Done,
}

/// A stream of pages. `Unpin + Send + 'static`: store it, move it into a task.
///
/// With prefetch on, the next page is requested as soon as its cursor is
/// known — when the backend offers it early (before this page's records are
/// parsed), else when this page is handed over — so at most one page is
/// fetched ahead of the caller.
///
/// ```no_run
/// # async fn f(client: querymore::Client) -> querymore::Result<()> {
/// let mut pages = client.query("select Id from Account").pages();
/// while let Some(page) = pages.try_next().await? {
///     println!("{} records", page.records.len());
/// }
/// # Ok(()) }
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Pages {
    client: Client,
    state: State,
    batch_size: Option<u32>,
    cursor: Option<Cursor>,
    fetches: Arc<Fetches>,
    in_flight: Option<Fetch>,
    /// The caller waits for the page in flight: its offers start the next.
    armed: bool,
    pending: Option<Error>,
    prefetch: bool,
    check_expiry: bool,
    pages_read: u64,
}

impl Pages {
    pub(crate) fn new(client: Client, start: Start, prefetch: bool, check_expiry: bool) -> Self {
        Pages {
            fetches: Fetches::new(client.clone(), prefetch, check_expiry),
            client,
            state: State::NotStarted(start),
            batch_size: None,
            cursor: None,
            in_flight: None,
            armed: false,
            pending: None,
            prefetch,
            check_expiry,
            pages_read: 0,
        }
    }

    /// The next page, or `None` at the end.
    pub async fn try_next(&mut self) -> Result<Option<Page>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx))
            .await
            .transpose()
    }

    /// Every remaining page.
    pub async fn try_collect(mut self) -> Result<Vec<Page>> {
        let mut out = Vec::new();
        while let Some(p) = self.try_next().await? {
            out.push(p);
        }
        Ok(out)
    }

    /// The cursor for the page after the last one yielded: what to checkpoint.
    /// `None` before the first page and after the last.
    pub fn cursor(&self) -> Option<&Cursor> {
        self.cursor.as_ref()
    }

    /// How many pages have been yielded.
    pub fn pages_read(&self) -> u64 {
        self.pages_read
    }

    /// True once the stream has ended.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Starts a fetch made by `make`: the one in flight; in a task of its own
    /// when `spawn` (so it runs while the caller works).
    fn start<F>(&mut self, make: F, spawn: bool, cx: &mut Context<'_>)
    where
        F: FnOnce(Client, Option<SharedSink>) -> PageFuture,
    {
        let fetch = self.fetches.start(make, spawn);
        if fetch.is_spawned() {
            // Wake so the poller notices the task even if nobody polls yet.
            cx.waker().wake_by_ref();
        }
        self.in_flight = Some(fetch);
        self.armed = false;
    }

    /// Starts fetching the page `cursor` points at, after the expiry check.
    fn fetch_next(&mut self, cursor: Cursor, cx: &mut Context<'_>) -> Result<()> {
        if self.check_expiry {
            cursor.check_expiry(self.client.clock().now())?;
        }
        let spawn = self.prefetch && self.pages_read > 0;
        self.start(
            |client, sink| Box::pin(async move { client.fetch_next(&cursor, sink.as_ref()).await }),
            spawn,
            cx,
        );
        Ok(())
    }

    /// After a page: the fetch of the next one, reusing the one started ahead
    /// when the page confirms its cursor.
    fn follow(&mut self, next: Cursor, cx: &mut Context<'_>) -> Result<()> {
        match self.fetches.take_ahead(self.fetches.token_hash(&next)) {
            Some(fetch) => {
                self.in_flight = Some(fetch);
                self.armed = false;
                Ok(())
            }
            None => self.fetch_next(next, cx),
        }
    }

    fn begin(&mut self, start: Start, cx: &mut Context<'_>) -> Result<()> {
        let source = self.client.source();
        let kind = source.kind();
        let caps = source.capabilities();
        let batch = match start.batch_size {
            Some(n) => Some(caps.batch_size.validate(kind, n)?),
            None => None,
        };
        self.batch_size = batch;
        match start.resume {
            Some(mut cursor) => {
                if cursor.backend != kind {
                    return Err(Error::InvalidInput {
                        what: "cursor",
                        reason: format!("a {} cursor cannot resume on {kind}", cursor.backend),
                    });
                }
                if batch.is_some() {
                    cursor.batch_size = batch;
                }
                self.batch_size = cursor.batch_size;
                self.fetches.set_batch_size(self.batch_size);
                self.fetches.see(self.fetches.token_hash(&cursor));
                self.fetch_next(cursor, cx)
            }
            None => {
                if start.query.scope == crate::Scope::All && !caps.query_all {
                    return Err(Error::Unsupported {
                        backend: kind,
                        operation: "queryAll",
                    });
                }
                self.fetches.set_batch_size(self.batch_size);
                let query = start.query.with_batch_size(batch);
                self.start(
                    |client, sink| {
                        Box::pin(async move { client.fetch_first(&query, sink.as_ref()).await })
                    },
                    false,
                    cx,
                );
                Ok(())
            }
        }
    }

    fn finish_page(&mut self, mut page: Page) -> Result<Page> {
        if let Some(c) = &mut page.cursor {
            c.batch_size = self.batch_size;
            if !self.fetches.see(self.fetches.token_hash(c)) {
                return Err(Error::protocol(
                    c.backend,
                    format!(
                        "cursor did not advance: the server returned {} again",
                        c.token.describe()
                    ),
                ));
            }
        }
        self.cursor = page.cursor.clone();
        self.pages_read += 1;
        Ok(page)
    }

    /// Stops every fetch still running; offers start nothing more.
    fn cancel_all(&mut self) {
        if let Some(f) = self.in_flight.take() {
            f.cancel();
        }
        self.fetches.close();
    }

    fn fail(&mut self, e: Error) -> Poll<Option<Result<Page>>> {
        self.state = State::Done;
        self.cancel_all();
        Poll::Ready(Some(Err(e)))
    }
}

impl Drop for Pages {
    fn drop(&mut self) {
        self.cancel_all();
    }
}

impl Stream for Pages {
    type Item = Result<Page>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(e) = this.pending.take() {
                return this.fail(e);
            }
            if let Some(f) = this.in_flight.as_mut() {
                if this.prefetch && !this.armed {
                    this.fetches.arm(f);
                    this.armed = true;
                }
                let res = ready!(f.fut.as_mut().poll(cx));
                this.in_flight = None;
                let page = match res.and_then(|p| this.finish_page(p)) {
                    Ok(p) => p,
                    Err(e) => return this.fail(e),
                };
                match page.cursor.clone() {
                    Some(next) if this.prefetch => {
                        if let Err(e) = this.follow(next, cx) {
                            // Reported when the caller asks for the next page.
                            this.pending = Some(e);
                        }
                    }
                    Some(_) => {}
                    None => {
                        this.state = State::Done;
                        this.cancel_all();
                    }
                }
                return Poll::Ready(Some(Ok(page)));
            }
            match std::mem::replace(&mut this.state, State::Running) {
                State::Done => {
                    this.state = State::Done;
                    return Poll::Ready(None);
                }
                State::NotStarted(start) => {
                    if let Err(e) = this.begin(start, cx) {
                        return this.fail(e);
                    }
                }
                State::Running => match this.cursor.clone() {
                    None => {
                        this.state = State::Done;
                        return Poll::Ready(None);
                    }
                    Some(c) => {
                        if let Err(e) = this.fetch_next(c, cx) {
                            return this.fail(e);
                        }
                    }
                },
            }
        }
    }
}

/// A stream of records read as `T` (any `#[derive(Deserialize)]` type, or
/// [`Record`] itself). `Unpin + Send + 'static`.
///
/// A record that does not fit `T` yields [`Error::Decode`] and the stream goes
/// on; any other error ends it.
#[must_use = "streams do nothing unless polled"]
pub struct Records<T> {
    pages: Pages,
    current: std::vec::IntoIter<Record>,
    index: usize,
    _t: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned + 'static> Records<T> {
    pub(crate) fn new(pages: Pages) -> Self {
        Records {
            pages,
            current: Vec::new().into_iter(),
            index: 0,
            _t: PhantomData,
        }
    }

    /// The next record, or `None` at the end.
    pub async fn try_next(&mut self) -> Result<Option<T>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx))
            .await
            .transpose()
    }

    /// Every remaining record.
    pub async fn try_collect(mut self) -> Result<Vec<T>> {
        let mut out = Vec::new();
        while let Some(r) = self.try_next().await? {
            out.push(r);
        }
        Ok(out)
    }

    /// The cursor of the page after the current one. It is a safe checkpoint
    /// only when [`Records::at_page_boundary`] is true.
    pub fn cursor(&self) -> Option<&Cursor> {
        self.pages.cursor()
    }

    /// True when every record of the pages read so far has been yielded.
    pub fn at_page_boundary(&self) -> bool {
        self.current.len() == 0
    }

    /// The underlying page stream.
    pub fn pages(&self) -> &Pages {
        &self.pages
    }

    fn convert(&self, record: Record) -> Result<T> {
        // `records::<Record>()` hands records over as they are, with no serde pass.
        let mut slot = Some(record);
        if let Some(same) = (&mut slot as &mut dyn Any).downcast_mut::<Option<T>>()
            && let Some(t) = same.take()
        {
            return Ok(t);
        }
        let record = slot.unwrap_or_default();
        record.into_typed::<T>().map_err(|e| Error::Decode {
            page: self.pages.pages_read().saturating_sub(1),
            index: self.index.saturating_sub(1),
            source: Box::new(e),
        })
    }
}

impl<T: DeserializeOwned + 'static> Stream for Records<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(record) = this.current.next() {
                this.index += 1;
                return Poll::Ready(Some(this.convert(record)));
            }
            match ready!(Pin::new(&mut this.pages).poll_next(cx)) {
                Some(Ok(page)) => {
                    this.current = page.records.into_iter();
                    this.index = 0;
                }
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => return Poll::Ready(None),
            }
        }
    }
}
