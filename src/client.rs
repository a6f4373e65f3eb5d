//! `Client`: what users touch. It owns a shared [`QuerySource`], the clock and the
//! retry policy, starts queries (`query`, `query_all`, `resume`) and pages by hand
//! (`query_more`) for code migrating from SOAP loops.

use crate::lookahead::{self, Offer, SharedSink};
use crate::page::{Pages, Records};
use crate::{Clock, Cursor, Page, Query, QuerySource, Result, RetryPolicy, Scope, SharedClock};
use chrono::{DateTime, TimeDelta, Utc};
use serde::de::DeserializeOwned;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

struct Inner {
    source: Arc<dyn QuerySource>,
    clock: SharedClock,
    retry: RetryPolicy,
    idle_limit: Option<Option<TimeDelta>>,
    prefetch: bool,
    check_expiry: bool,
}

/// A handle for running queries against one backend. Cheap to clone.
///
/// ```no_run
/// # async fn f(source: querymore::InMemory) -> querymore::Result<()> {
/// #[derive(serde::Deserialize)]
/// struct Account { #[serde(rename = "Id")] id: String }
/// let client = querymore::Client::new(source);
/// let mut accounts = client.query("select Id from Account").batch_size(500).records::<Account>();
/// while let Some(a) = accounts.try_next().await? {
///     println!("{}", a.id);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("source", &self.inner.source)
            .field("retry", &self.inner.retry)
            .field("prefetch", &self.inner.prefetch)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with the wall clock, default retries and prefetch on.
    pub fn new(source: impl QuerySource) -> Self {
        Client::builder(source).build()
    }

    /// A client over an already shared source (e.g. one chosen at run time).
    pub fn from_shared(source: Arc<dyn QuerySource>) -> Self {
        ClientBuilder::from_shared(source).build()
    }

    /// A builder for clock, retries, prefetch and idle-limit settings.
    pub fn builder(source: impl QuerySource) -> ClientBuilder {
        ClientBuilder::from_shared(Arc::new(source))
    }

    /// Starts a `query`.
    pub fn query(&self, text: impl Into<String>) -> QueryBuilder {
        self.start(Query::new(text), None)
    }

    /// Starts a `queryAll` (deleted and archived rows included).
    pub fn query_all(&self, text: impl Into<String>) -> QueryBuilder {
        self.start(Query::new(text).with_scope(Scope::All), None)
    }

    /// Continues a query from a checkpointed cursor. A batch size set on the
    /// builder replaces the cursor's.
    pub fn resume(&self, cursor: Cursor) -> QueryBuilder {
        self.start(Query::new(String::new()), Some(cursor))
    }

    /// Fetches the page a cursor points at (`queryMore`), with the expiry check
    /// and retries; the returned page's cursor is stamped for the next call.
    pub async fn query_more(&self, cursor: &Cursor) -> Result<Page> {
        if self.inner.check_expiry {
            cursor.check_expiry(self.clock().now())?;
        }
        let mut page = self.fetch_next(cursor, None).await?;
        if let Some(c) = &mut page.cursor {
            c.batch_size = cursor.batch_size;
        }
        Ok(page)
    }

    /// The source behind this client.
    pub fn source(&self) -> &Arc<dyn QuerySource> {
        &self.inner.source
    }

    /// The clock used for cursor expiry.
    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    fn start(&self, query: Query, resume: Option<Cursor>) -> QueryBuilder {
        QueryBuilder {
            client: self.clone(),
            start: Start {
                query,
                resume,
                batch_size: None,
            },
            prefetch: self.inner.prefetch,
            check_expiry: self.inner.check_expiry,
        }
    }

    fn idle_limit(&self) -> Option<TimeDelta> {
        self.inner
            .idle_limit
            .unwrap_or_else(|| self.inner.source.capabilities().idle_limit)
    }

    fn stamp(&self, page: &mut Page, sent: DateTime<Utc>) {
        let kind = self.inner.source.kind();
        let idle = self.idle_limit();
        if let Some(c) = &mut page.cursor {
            c.backend = kind;
            c.last_used = sent;
            c.idle_limit = idle;
        }
    }

    /// Makes `call` until it succeeds or the retry policy gives up. Each attempt
    /// runs with an [`Offer`] to `offers`, when given, stamped with its send time.
    async fn with_retry<'a, F>(&'a self, offers: Option<&SharedSink>, mut call: F) -> Result<Page>
    where
        F: FnMut() -> crate::BoxFuture<'a, Result<Page>>,
    {
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            let sent = self.inner.clock.now();
            let offer = offers.map(|sink| Offer::new(sink.clone(), sent, self.idle_limit()));
            match lookahead::scope(offer, call()).await {
                Ok(mut page) => {
                    self.stamp(&mut page, sent);
                    return Ok(page);
                }
                Err(e) => match self.inner.retry.delay_for(attempt, started.elapsed(), &e) {
                    Some(delay) => {
                        tracing::debug!(
                            backend = %self.inner.source.kind(),
                            attempt,
                            delay_ms = delay.as_millis() as u64,
                            error = %e,
                            "retrying page"
                        );
                        tokio::time::sleep(delay).await;
                        attempt += 1;
                    }
                    None => return Err(e),
                },
            }
        }
    }

    /// The first page of `query`; the next page's cursor, if the backend
    /// learns it early, goes to `offers`.
    pub(crate) async fn fetch_first(
        &self,
        query: &Query,
        offers: Option<&SharedSink>,
    ) -> Result<Page> {
        let source = &self.inner.source;
        self.with_retry(offers, || source.first_page(query)).await
    }

    /// The page `cursor` points at; as [`Client::fetch_first`] for `offers`.
    pub(crate) async fn fetch_next(
        &self,
        cursor: &Cursor,
        offers: Option<&SharedSink>,
    ) -> Result<Page> {
        let source = &self.inner.source;
        self.with_retry(offers, || source.next_page(cursor)).await
    }
}

/// Settings for a [`Client`].
#[must_use]
pub struct ClientBuilder {
    source: Arc<dyn QuerySource>,
    clock: SharedClock,
    retry: RetryPolicy,
    idle_limit: Option<Option<TimeDelta>>,
    prefetch: bool,
    check_expiry: bool,
}

impl ClientBuilder {
    /// A builder over a shared source.
    pub fn from_shared(source: Arc<dyn QuerySource>) -> Self {
        ClientBuilder {
            source,
            clock: SharedClock::system(),
            retry: RetryPolicy::default(),
            idle_limit: None,
            prefetch: true,
            check_expiry: true,
        }
    }

    /// The clock for cursor expiry (share a [`ManualClock`](crate::ManualClock) with the mock in tests).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = SharedClock::new(clock);
        self
    }

    /// The clock, already shared.
    pub fn shared_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The retry policy for page requests.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Overrides the backend's idle limit for cursors (`None`: never expire client-side).
    pub fn idle_limit(mut self, limit: Option<TimeDelta>) -> Self {
        self.idle_limit = Some(limit);
        self
    }

    /// Fetch the next page while the caller works on the current one (default
    /// on): as soon as the backend knows the next cursor (see
    /// [`lookahead`](crate::lookahead)), else when a page is handed over; at
    /// most one page ahead, cancelled when the stream is dropped. A prefetched
    /// page's cursor starts its idle time when that page arrives, so after a
    /// long pause the records already fetched are still delivered and expiry
    /// is reported on the page after them. Turn it off to request each page
    /// only when the caller asks for it.
    pub fn prefetch(mut self, on: bool) -> Self {
        self.prefetch = on;
        self
    }

    /// Check cursor expiry before each call (default on). Turn it off to let the
    /// server decide.
    pub fn check_expiry(mut self, on: bool) -> Self {
        self.check_expiry = on;
        self
    }

    /// The client.
    pub fn build(self) -> Client {
        Client {
            inner: Arc::new(Inner {
                source: self.source,
                clock: self.clock,
                retry: self.retry,
                idle_limit: self.idle_limit,
                prefetch: self.prefetch,
                check_expiry: self.check_expiry,
            }),
        }
    }
}

/// Where a stream starts: a new query, or a checkpointed cursor.
pub(crate) struct Start {
    pub(crate) query: Query,
    pub(crate) resume: Option<Cursor>,
    pub(crate) batch_size: Option<i64>,
}

/// A query about to run: set the page size, then read it as pages or records.
#[must_use = "a query does nothing until read with .pages() or .records()"]
pub struct QueryBuilder {
    client: Client,
    start: Start,
    prefetch: bool,
    check_expiry: bool,
}

impl QueryBuilder {
    /// The page size. It is checked against the backend's range when the stream
    /// is first polled; an invalid value is the stream's first item and no
    /// request is sent.
    pub fn batch_size(mut self, n: i64) -> Self {
        self.start.batch_size = Some(n);
        self
    }

    /// Overrides the client's prefetch setting for this query.
    pub fn prefetch(mut self, on: bool) -> Self {
        self.prefetch = on;
        self
    }

    /// Overrides the client's expiry-check setting for this query.
    pub fn check_expiry(mut self, on: bool) -> Self {
        self.check_expiry = on;
        self
    }

    /// The results as a stream of pages.
    pub fn pages(self) -> Pages {
        Pages::new(self.client, self.start, self.prefetch, self.check_expiry)
    }

    /// The results as a stream of records read as `T` (or [`Record`](crate::Record)).
    pub fn records<T: DeserializeOwned + 'static>(self) -> Records<T> {
        Records::new(self.pages())
    }

    /// Only the first page (for manual `query_more` loops).
    pub async fn first_page(self) -> Result<Page> {
        self.pages()
            .try_next()
            .await?
            .ok_or_else(|| crate::Error::protocol(crate::BackendKind::Memory, "no first page"))
    }
}
