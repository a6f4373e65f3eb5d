//! Salesforce Bulk API 2.0 query jobs as a [`QuerySource`].
//!
//! The first page creates a CSV query job (`POST /services/data/vXX.X/jobs/query`),
//! waits for `JobComplete` with a bounded backoff, and reads the first results.
//! Later pages follow the `Sforce-Locator` header (`GET .../results?locator=&maxRecords=`)
//! until it is the string `null`, or, on API 58.0 and later, the `resultPages`
//! listing: up to five result URLs per listing, fetched concurrently and yielded
//! in order, one listing per [`Page`], while the next listing is fetched
//! alongside. The page size (`batch_size`) is `maxRecords`.
//!
//! The token is fixed ([`SalesforceBulkBuilder::access_token`]) or fetched with
//! OAuth 2.0 client credentials from `{instance}/services/oauth2/token`
//! ([`SalesforceBulkBuilder::client_credentials`]); every request refused for
//! its token is sent once more with a new one when the token can be refreshed.
//!
//! The [`Cursor`] names the job and the next locator or listing, so a checkpoint
//! resumes exactly there; results must be read with the API version that created
//! the job (a 409 becomes [`FaultCode::ApiVersionMismatch`](crate::FaultCode)).
//!
//! ```no_run
//! # async fn f() -> querymore::Result<()> {
//! use querymore::{Client, SalesforceBulk, Secret};
//! let bulk = SalesforceBulk::builder()
//!     .instance_url("https://na1.my.salesforce.com")
//!     .access_token(Secret::new("00D...!AR8AQ"))
//!     .api_version("62.0")
//!     .build()?;
//! let mut rows = Client::new(bulk)
//!     .query("SELECT Id, Name FROM Account")
//!     .batch_size(50_000)
//!     .records::<querymore::Record>();
//! while let Some(row) = rows.try_next().await? {
//!     println!("{row:?}");
//! }
//! # Ok(()) }
//! ```

mod job;
mod results;
pub(crate) mod rows;
mod wire;

use self::job::PollPolicy;
use self::wire::{JobInfo, ResultPages};
use super::common;
use crate::auth::{RestCredentials, Session, SessionManager, bearer_header};
use crate::source::BoxFuture;
use crate::transport::{Http, HttpResponse, excerpt, looks_like_html, same_origin};
use crate::{
    BackendKind, BatchSizeRange, Capabilities, Cursor, CursorToken, Error, FaultCode, Page, Query,
    QuerySource, Result, SharedClock,
};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

const KIND: BackendKind = BackendKind::SalesforceBulk;

/// `maxRecords` when the query sets no batch size (simple-salesforce's default).
pub const DEFAULT_MAX_RECORDS: u32 = 50_000;
/// The largest `maxRecords` accepted.
pub const MAX_MAX_RECORDS: u32 = 1_000_000;
/// The first API version with `resultPages`.
const RESULT_PAGES_SINCE: u32 = 58;
/// Jobs and prefetched listings remembered per backend before the caches reset.
const CACHE_LIMIT: usize = 64;

/// The column delimiter of the results CSV (`columnDelimiter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ColumnDelimiter {
    /// `,` (`COMMA`, the default).
    #[default]
    Comma,
    /// `` ` `` (`BACKQUOTE`).
    Backquote,
    /// `^` (`CARET`).
    Caret,
    /// `|` (`PIPE`).
    Pipe,
    /// `;` (`SEMICOLON`).
    Semicolon,
    /// Tab (`TAB`).
    Tab,
}

impl ColumnDelimiter {
    /// The wire name (`COMMA`, `CARET`, ...).
    pub fn wire_name(self) -> &'static str {
        match self {
            ColumnDelimiter::Comma => "COMMA",
            ColumnDelimiter::Backquote => "BACKQUOTE",
            ColumnDelimiter::Caret => "CARET",
            ColumnDelimiter::Pipe => "PIPE",
            ColumnDelimiter::Semicolon => "SEMICOLON",
            ColumnDelimiter::Tab => "TAB",
        }
    }

    /// The byte it stands for.
    pub fn byte(self) -> u8 {
        match self {
            ColumnDelimiter::Comma => b',',
            ColumnDelimiter::Backquote => b'`',
            ColumnDelimiter::Caret => b'^',
            ColumnDelimiter::Pipe => b'|',
            ColumnDelimiter::Semicolon => b';',
            ColumnDelimiter::Tab => b'\t',
        }
    }

    /// The delimiter for a wire name.
    pub fn from_wire_name(name: &str) -> Option<Self> {
        [
            ColumnDelimiter::Comma,
            ColumnDelimiter::Backquote,
            ColumnDelimiter::Caret,
            ColumnDelimiter::Pipe,
            ColumnDelimiter::Semicolon,
            ColumnDelimiter::Tab,
        ]
        .into_iter()
        .find(|d| d.wire_name() == name)
    }
}

/// The line ending of the results CSV (`lineEnding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LineEnding {
    /// `\n` (`LF`, the default).
    #[default]
    Lf,
    /// `\r\n` (`CRLF`).
    Crlf,
}

impl LineEnding {
    /// The wire name (`LF` or `CRLF`).
    pub fn wire_name(self) -> &'static str {
        match self {
            LineEnding::Lf => "LF",
            LineEnding::Crlf => "CRLF",
        }
    }
}

/// What the results reader needs to know about a job.
#[derive(Debug, Clone)]
pub(crate) struct JobMeta {
    id: String,
    object: Option<String>,
    delimiter: u8,
    total: Option<u64>,
    api_version: Option<String>,
}

/// The HTTP side shared by job and results calls: instance, session, version.
pub(crate) struct Api {
    http: Http,
    base: Url,
    session: SessionManager,
    version: String,
    max_body: usize,
}

impl Api {
    /// `{instance}/services/data/vXX.X/jobs/query[/segments...]`.
    fn jobs_url(&self, segments: &[&str]) -> Result<Url> {
        let mut url = self.base.clone();
        {
            let mut path = url.path_segments_mut().map_err(|()| Error::InvalidInput {
                what: "instance URL",
                reason: "it cannot take a path".into(),
            })?;
            path.clear();
            path.extend(
                common::data_path(&self.version)
                    .split('/')
                    .filter(|s| !s.is_empty()),
            );
            path.extend(["jobs", "query"]);
            path.extend(segments);
        }
        Ok(url)
    }

    /// A request with the session's bearer token.
    fn request(
        &self,
        session: &Session,
        method: reqwest::Method,
        url: Url,
    ) -> Result<reqwest::RequestBuilder> {
        Ok(self.http.client().request(method, url).header(
            reqwest::header::AUTHORIZATION,
            bearer_header(&session.token)?,
        ))
    }

    /// Runs `call` with the session; when the token is refused and can be
    /// refreshed, runs it once more with a new one.
    async fn authorized<T, F, Fut>(&self, call: F) -> Result<T>
    where
        F: Fn(Session) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        self.session.call(call).await
    }

    /// Sends a JSON request and reads the JSON answer (or the service's error).
    async fn json<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T> {
        let resp = self
            .http
            .execute(req.header(reqwest::header::ACCEPT, "application/json"))
            .await?;
        if !(200..300).contains(&resp.status) {
            return Err(common::error_from_response(KIND, &resp));
        }
        self.parse_json(&resp)
    }

    fn parse_json<T: DeserializeOwned>(&self, resp: &HttpResponse) -> Result<T> {
        if looks_like_html(&resp.body) {
            return Err(Error::protocol(
                KIND,
                format!("HTTP {} with an HTML page instead of JSON", resp.status),
            ));
        }
        serde_json::from_slice(&resp.body).map_err(|e| {
            Error::protocol(
                KIND,
                format!("unexpected JSON ({e}): {}", excerpt(&resp.body)),
            )
        })
    }
}

/// A 404 for a job means it is gone (deleted, or older than seven days): the
/// cursor can never be used again, so it is classified as an expired cursor.
fn job_gone(service: Error, job_id: &str) -> Error {
    match service {
        Error::Fault(mut f) => {
            f.code = FaultCode::InvalidQueryLocator;
            f.message = format!("Bulk query job {job_id} no longer exists: {}", f.message);
            Error::Fault(f)
        }
        other => other,
    }
}

/// Salesforce Bulk API 2.0 query jobs. Build with [`SalesforceBulk::builder`].
pub struct SalesforceBulk {
    api: Api,
    column_delimiter: ColumnDelimiter,
    line_ending: LineEnding,
    poll: PollPolicy,
    parallel: bool,
    concurrency: usize,
    jobs: Mutex<HashMap<String, Arc<JobMeta>>>,
    listings: Mutex<HashMap<String, ResultPages>>,
}

impl fmt::Debug for SalesforceBulk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SalesforceBulk")
            .field("instance_url", &self.api.base.as_str())
            .field("api_version", &self.api.version)
            .field("session", &self.api.session)
            .field("column_delimiter", &self.column_delimiter)
            .field("line_ending", &self.line_ending)
            .field("poll", &self.poll)
            .field("parallel_result_pages", &self.parallel)
            .field("result_concurrency", &self.concurrency)
            .finish()
    }
}

impl SalesforceBulk {
    /// A builder; `instance_url` and `access_token` are required.
    pub fn builder() -> SalesforceBulkBuilder {
        SalesforceBulkBuilder::default()
    }

    /// The API version requests use (`62.0`).
    pub fn api_version(&self) -> &str {
        &self.api.version
    }

    /// True when results are read through `resultPages` in parallel.
    pub fn parallel_result_pages(&self) -> bool {
        self.parallel
    }

    /// Aborts a query job (`PATCH {"state": "Aborted"}`), e.g. one a cursor names.
    pub async fn abort_job(&self, job_id: &str) -> Result<()> {
        job::abort(&self.api, job_id).await.map(|_| ())
    }

    fn cursor(job_id: &str, locator: Option<String>, pages_url: Option<String>) -> Cursor {
        Cursor::new(
            KIND,
            CursorToken::Bulk {
                job_id: job_id.to_owned(),
                locator,
                pages_url,
            },
        )
    }

    fn remember(&self, job: &JobInfo) -> Arc<JobMeta> {
        let delimiter = job
            .column_delimiter
            .as_deref()
            .and_then(ColumnDelimiter::from_wire_name)
            .unwrap_or(self.column_delimiter);
        let meta = Arc::new(JobMeta {
            id: job.id.clone(),
            object: job.object.clone(),
            delimiter: delimiter.byte(),
            total: job.number_records_processed,
            api_version: job.api_version(),
        });
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        if jobs.len() >= CACHE_LIMIT {
            jobs.clear();
        }
        jobs.insert(job.id.clone(), meta.clone());
        meta
    }

    /// The job's metadata: remembered from its creation, or read from the
    /// server for a resumed cursor (waiting if it is somehow still running).
    async fn meta(&self, job_id: &str) -> Result<Arc<JobMeta>> {
        let known = self
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(job_id)
            .cloned();
        if let Some(meta) = known {
            return Ok(meta);
        }
        let info = job::info(&self.api, job_id).await.map_err(|e| {
            if e.fault().and_then(|f| f.http_status) == Some(404) {
                job_gone(e, job_id)
            } else {
                e
            }
        })?;
        let info = job::wait(&self.api, info, &self.poll).await?;
        Ok(self.remember(&info))
    }

    /// The first results of a completed job, by whichever walk is configured.
    async fn first_results(&self, job: &JobMeta, max_records: u32) -> Result<Page> {
        if self.parallel {
            let max = max_records.to_string();
            let mut url = self.api.jobs_url(&[&job.id, "resultPages"])?;
            url.query_pairs_mut().append_pair("maxRecords", &max);
            let listing = results::listing(&self.api, job, url).await?;
            self.listed_page(job, listing).await
        } else {
            self.locator_page(job, None, max_records).await
        }
    }

    /// One results set of the sequential walk.
    async fn locator_page(
        &self,
        job: &JobMeta,
        locator: Option<&str>,
        max_records: u32,
    ) -> Result<Page> {
        let mut url = self.api.jobs_url(&[&job.id, "results"])?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(l) = locator {
                q.append_pair("locator", l);
            }
            q.append_pair("maxRecords", &max_records.to_string());
        }
        let set = results::fetch_set(&self.api, job, url, true).await?;
        let next = set.next.ok_or_else(|| {
            Error::protocol(
                KIND,
                format!("results for job {} have no Sforce-Locator header", job.id),
            )
        })?;
        Ok(Page::new(
            set.records,
            next.map(|l| Self::cursor(&job.id, Some(l), None)),
            job.total,
        ))
    }

    /// The listing a `resultPages` link points at (prefetched, or fetched now).
    async fn listing_at(&self, job: &JobMeta, link: &str) -> Result<ResultPages> {
        let cached = self
            .listings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(link);
        match cached {
            Some(l) => Ok(l),
            None => {
                let url = same_origin(KIND, &self.api.base, link)?;
                results::listing(&self.api, job, url).await
            }
        }
    }

    /// The rows of one listing's result URLs as one page, fetching the next
    /// listing alongside so the following page starts without a round trip.
    async fn listed_page(&self, job: &JobMeta, listing: ResultPages) -> Result<Page> {
        let next = listing
            .next_link()
            .map_err(|m| Error::protocol(KIND, m))?
            .map(str::to_owned);
        let prefetch = async {
            let link = next.as_deref()?;
            let url = same_origin(KIND, &self.api.base, link).ok()?;
            results::listing(&self.api, job, url).await.ok()
        };
        let (records, upcoming) = tokio::join!(
            results::fetch_listed(&self.api, job, &listing, self.concurrency),
            prefetch
        );
        let records = records?;
        if let (Some(link), Some(upcoming)) = (&next, upcoming) {
            let mut cache = self.listings.lock().unwrap_or_else(|e| e.into_inner());
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(link.clone(), upcoming);
        }
        Ok(Page::new(
            records,
            next.map(|l| Self::cursor(&job.id, None, Some(l))),
            job.total,
        ))
    }
}

impl QuerySource for SalesforceBulk {
    fn kind(&self) -> BackendKind {
        KIND
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(BatchSizeRange::new(
            "maxRecords",
            1,
            MAX_MAX_RECORDS,
            DEFAULT_MAX_RECORDS,
        ))
        .with_query_all()
        .with_idle_limit(None)
    }

    fn first_page<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Page>> {
        Box::pin(async move {
            let created = job::create(
                &self.api,
                query,
                self.column_delimiter.wire_name(),
                self.line_ending.wire_name(),
            )
            .await?;
            let done = job::wait(&self.api, created, &self.poll).await?;
            let meta = self.remember(&done);
            let max = query.batch_size.unwrap_or(DEFAULT_MAX_RECORDS);
            self.first_results(&meta, max).await
        })
    }

    fn next_page<'a>(&'a self, cursor: &'a Cursor) -> BoxFuture<'a, Result<Page>> {
        Box::pin(async move {
            let CursorToken::Bulk {
                job_id,
                locator,
                pages_url,
            } = &cursor.token
            else {
                return Err(Error::InvalidInput {
                    what: "cursor",
                    reason: format!("not a Bulk cursor: {}", cursor.token.describe()),
                });
            };
            let meta = self.meta(job_id).await?;
            let max = cursor.batch_size.unwrap_or(DEFAULT_MAX_RECORDS);
            match (pages_url, locator) {
                (Some(link), _) => {
                    let listing = self.listing_at(&meta, link).await?;
                    self.listed_page(&meta, listing).await
                }
                (None, Some(l)) => self.locator_page(&meta, Some(l), max).await,
                (None, None) => self.first_results(&meta, max).await,
            }
        })
    }
}

/// Settings for a [`SalesforceBulk`].
#[must_use]
#[derive(Debug, Clone)]
pub struct SalesforceBulkBuilder {
    instance_url: Option<String>,
    auth: RestCredentials,
    api_version: String,
    column_delimiter: ColumnDelimiter,
    line_ending: LineEnding,
    poll_interval: Duration,
    max_poll_interval: Duration,
    job_timeout: Duration,
    abort_on_timeout: bool,
    parallel: Option<bool>,
    concurrency: usize,
}

impl Default for SalesforceBulkBuilder {
    fn default() -> Self {
        SalesforceBulkBuilder {
            instance_url: None,
            auth: RestCredentials::default(),
            api_version: common::DEFAULT_API_VERSION.to_owned(),
            column_delimiter: ColumnDelimiter::Comma,
            line_ending: LineEnding::Lf,
            poll_interval: Duration::from_millis(500),
            max_poll_interval: Duration::from_secs(10),
            job_timeout: Duration::from_secs(30 * 60),
            abort_on_timeout: true,
            parallel: None,
            concurrency: 5,
        }
    }
}

impl SalesforceBulkBuilder {
    /// The instance, e.g. `https://na1.my.salesforce.com` (OAuth's `instance_url`).
    pub fn instance_url(mut self, url: impl Into<String>) -> Self {
        self.instance_url = Some(url.into());
        self
    }

    crate::auth::rest_credential_setters! {
        /// The OAuth access token (sent as `Authorization: Bearer`). A refused
        /// token is an [`is_invalid_session`](Error::is_invalid_session) error.
        access_token;
        /// OAuth 2.0 client credentials: a token is fetched from
        /// `{instance}/services/oauth2/token` on first use and fetched again, once
        /// per request, when the instance refuses it. Requests stay on the
        /// instance set here whatever `instance_url` the answer names.
        client_credentials;
        /// Any other source of bearer tokens.
        auth_provider;
        /// Timeouts and the body size limit for HTTP requests.
        http_options;
    }

    /// The API version (`62.0`, `v62.0` or `62`; default 62.0). Results must be
    /// read with the version that created the job.
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = version.into();
        self
    }

    /// The results' column delimiter (default comma).
    pub fn column_delimiter(mut self, d: ColumnDelimiter) -> Self {
        self.column_delimiter = d;
        self
    }

    /// The results' line ending (default LF).
    pub fn line_ending(mut self, e: LineEnding) -> Self {
        self.line_ending = e;
        self
    }

    /// The first wait between job polls (default 500 ms); it doubles each poll.
    pub fn poll_interval(mut self, d: Duration) -> Self {
        self.poll_interval = d;
        self
    }

    /// The longest wait between job polls (default 10 s).
    pub fn max_poll_interval(mut self, d: Duration) -> Self {
        self.max_poll_interval = d;
        self
    }

    /// The longest wait for a job to complete (default 30 minutes); past it the
    /// query fails with [`Error::Timeout`].
    pub fn job_timeout(mut self, d: Duration) -> Self {
        self.job_timeout = d;
        self
    }

    /// Abort the job when the wait times out (default true).
    pub fn abort_on_timeout(mut self, on: bool) -> Self {
        self.abort_on_timeout = on;
        self
    }

    /// Read results through `resultPages` in parallel (default: on from API 58.0;
    /// turning it on for an older version is refused by `build`).
    pub fn parallel_result_pages(mut self, on: bool) -> Self {
        self.parallel = Some(on);
        self
    }

    /// How many result URLs are fetched at once in the parallel walk (default 5;
    /// a listing holds at most five).
    pub fn result_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self
    }

    /// The backend, after checking the settings.
    pub fn build(self) -> Result<SalesforceBulk> {
        let base = common::required_instance_url(
            self.instance_url.as_deref(),
            "SalesforceBulk needs an instance_url",
        )?;
        let provider = self.auth.provider(
            KIND,
            "SalesforceBulk needs an access token or client credentials",
            || common::token_url(&base),
            SharedClock::system(),
        )?;
        let version = common::normalize_version(&self.api_version)?;
        let has_pages = common::major_version(&version) >= RESULT_PAGES_SINCE;
        let parallel = match self.parallel {
            Some(true) if !has_pages => {
                return Err(Error::InvalidInput {
                    what: "parallel result pages",
                    reason: format!(
                        "resultPages needs API {RESULT_PAGES_SINCE}.0 or later; this is {version}"
                    ),
                });
            }
            Some(on) => on,
            None => has_pages,
        };
        if self.concurrency == 0 {
            return Err(Error::InvalidInput {
                what: "result concurrency",
                reason: "must be at least 1".into(),
            });
        }
        if self.poll_interval.is_zero() || self.max_poll_interval < self.poll_interval {
            return Err(Error::InvalidInput {
                what: "poll interval",
                reason: "must be above zero and at most max_poll_interval".into(),
            });
        }
        Ok(SalesforceBulk {
            api: Api {
                http: Http::new(KIND, self.auth.http())?,
                base,
                session: SessionManager::new(provider, SharedClock::system()),
                version,
                max_body: self.auth.http().max_body_bytes,
            },
            column_delimiter: self.column_delimiter,
            line_ending: self.line_ending,
            poll: PollPolicy {
                interval: self.poll_interval,
                max_interval: self.max_poll_interval,
                timeout: self.job_timeout,
                abort_on_timeout: self.abort_on_timeout,
            },
            parallel,
            concurrency: self.concurrency,
            jobs: Mutex::new(HashMap::new()),
            listings: Mutex::new(HashMap::new()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder() -> SalesforceBulkBuilder {
        SalesforceBulk::builder()
            .instance_url("https://na1.example.com/some/path")
            .access_token("00Dsecret-token!value")
    }

    #[test]
    fn debug_never_shows_the_token() {
        let b = builder().build().unwrap();
        let shown = format!("{b:?} {:?}", builder());
        assert!(!shown.contains("00Dsecret"), "{shown}");
        assert!(shown.contains("[REDACTED]"), "{shown}");
    }

    #[test]
    fn parallel_pages_default_on_from_58_and_are_refused_before() {
        assert!(
            builder()
                .api_version("58.0")
                .build()
                .unwrap()
                .parallel_result_pages()
        );
        assert!(
            !builder()
                .api_version("57.0")
                .build()
                .unwrap()
                .parallel_result_pages()
        );
        let e = builder()
            .api_version("v57.0")
            .parallel_result_pages(true)
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("resultPages needs API 58.0"), "{e}");
        assert!(builder().result_concurrency(0).build().is_err());
        assert!(SalesforceBulk::builder().access_token("x").build().is_err());
        assert!(
            SalesforceBulk::builder()
                .instance_url("https://a.b")
                .build()
                .is_err()
        );
    }

    #[test]
    fn job_urls_are_built_from_the_instance_origin() {
        let b = builder().api_version("61").build().unwrap();
        assert_eq!(
            b.api
                .jobs_url(&["750R0000000zxr8IAA", "results"])
                .unwrap()
                .as_str(),
            "https://na1.example.com/services/data/v61.0/jobs/query/750R0000000zxr8IAA/results"
        );
        // a hostile job id cannot escape the path
        let url = b.api.jobs_url(&["../../x?y"]).unwrap();
        assert!(
            url.path().starts_with("/services/data/v61.0/jobs/query/"),
            "{url}"
        );
        assert_eq!(url.query(), None);
    }

    #[test]
    fn delimiters_round_trip_their_wire_names() {
        for d in [
            ColumnDelimiter::Comma,
            ColumnDelimiter::Backquote,
            ColumnDelimiter::Caret,
            ColumnDelimiter::Pipe,
            ColumnDelimiter::Semicolon,
            ColumnDelimiter::Tab,
        ] {
            assert_eq!(ColumnDelimiter::from_wire_name(d.wire_name()), Some(d));
        }
    }
}
