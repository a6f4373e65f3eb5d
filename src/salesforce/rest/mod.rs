//! `SalesforceRest`: SOQL over the Salesforce REST API. The first page is
//! `GET /services/data/vXX.X/query?q=` (or `/queryAll?q=`, deleted and archived
//! rows included); each next page is a `GET` of the `nextRecordsUrl` the previous
//! page named, followed only on the instance the backend was built for, so the
//! bearer token never goes to another host. Cursors are treated as dropped after
//! 15 idle minutes, the classic limit; from API 56.0 Salesforce keeps them up to
//! 2 days, so raise [`SalesforceRestBuilder::idle_limit`] when your org does.
//!
//! The token is fixed ([`SalesforceRestBuilder::access_token`]) or fetched with
//! OAuth 2.0 client credentials from `{instance}/services/oauth2/token`
//! ([`SalesforceRestBuilder::client_credentials`]); a refused token that can be
//! refreshed is fetched again once and the same page asked for again.
//!
//! ```no_run
//! # async fn f() -> querymore::Result<()> {
//! use querymore::{Client, SalesforceRest};
//! let rest = SalesforceRest::builder()
//!     .instance_url("https://na1.my.salesforce.com")
//!     .access_token("00D...!AQ...")
//!     .api_version("62.0")
//!     .build()?;
//! let mut pages = Client::new(rest).query("SELECT Id, Name FROM Account").batch_size(500).pages();
//! while let Some(page) = pages.try_next().await? {
//!     println!("{} of {:?}", page.records.len(), page.total_size);
//! }
//! # Ok(()) }
//! ```

pub(crate) mod parse;
mod wire;

use crate::auth::{RestCredentials, SessionManager, bearer_header};
use crate::salesforce::common::{self, DEFAULT_API_VERSION};
use crate::source::BoxFuture;
use crate::transport::{Http, HttpResponse};
use crate::{
    BackendKind, BatchSizeRange, Capabilities, Cursor, CursorToken, Error, Page, Query,
    QuerySource, Result, Scope, SharedClock,
};
use chrono::TimeDelta;
use reqwest::header::{ACCEPT, AUTHORIZATION};
use std::fmt;
use std::sync::Arc;
use url::Url;

const KIND: BackendKind = BackendKind::SalesforceRest;

/// The page-size header Salesforce reads (a hint: pages may differ).
const QUERY_OPTIONS: &str = "Sforce-Query-Options";

/// The usage-counter header Salesforce sends with each response.
const LIMIT_INFO: &str = "Sforce-Limit-Info";

/// `batchSize` in `Sforce-Query-Options`: 200..=2000, default 2000, no zero.
const BATCH_SIZE: BatchSizeRange =
    BatchSizeRange::new("Sforce-Query-Options batchSize", 200, 2000, 2000);

/// The classic idle limit of a query cursor.
const DEFAULT_IDLE_LIMIT: TimeDelta = TimeDelta::minutes(15);

/// A Salesforce REST query backend. Cheap to clone; `Debug` never shows the token.
#[derive(Clone)]
pub struct SalesforceRest {
    inner: Arc<Inner>,
}

struct Inner {
    http: Http,
    instance: Url,
    session: SessionManager,
    version: String,
    idle_limit: Option<TimeDelta>,
}

impl fmt::Debug for SalesforceRest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SalesforceRest")
            .field("instance_url", &self.inner.instance.as_str())
            .field("api_version", &self.inner.version)
            .field("idle_limit", &self.inner.idle_limit)
            .field("session", &self.inner.session)
            .finish()
    }
}

impl SalesforceRest {
    /// A builder; `instance_url` and `access_token` are required.
    pub fn builder() -> SalesforceRestBuilder {
        SalesforceRestBuilder::default()
    }

    /// The instance the backend talks to (its origin only).
    pub fn instance_url(&self) -> &Url {
        &self.inner.instance
    }

    /// The API version every request uses (`62.0`).
    pub fn api_version(&self) -> &str {
        &self.inner.version
    }

    /// The URL of the first page: `…/query?q=` or `…/queryAll?q=`.
    fn first_url(&self, query: &Query) -> Result<Url> {
        let resource = match query.scope {
            Scope::Active => "query",
            Scope::All => "queryAll",
        };
        let path = format!("{}/{resource}", common::data_path(&self.inner.version));
        let mut url = self
            .inner
            .instance
            .join(&path)
            .map_err(|e| Error::InvalidInput {
                what: "instance URL",
                reason: format!("cannot build the query URL: {e}"),
            })?;
        url.query_pairs_mut().append_pair("q", &query.text);
        Ok(url)
    }

    /// Sends one GET with the bearer token and the page-size hint, and reads the
    /// page; a refused token that can be refreshed is replaced once and the
    /// same GET sent again.
    async fn fetch(&self, url: Url, batch_size: Option<u32>) -> Result<Page> {
        let url = &url;
        self.inner
            .session
            .call(|session| async move {
                let mut req = self
                    .inner
                    .http
                    .client()
                    .get(url.clone())
                    .header(AUTHORIZATION, bearer_header(&session.token)?)
                    .header(ACCEPT, "application/json");
                if let Some(n) = batch_size {
                    req = req.header(QUERY_OPTIONS, format!("batchSize={n}"));
                }
                // The next page's cursor is offered from the body's start.
                let head = crate::lookahead::head_hook(wire::scan_head);
                let resp = self.inner.http.execute_with_head(req, head).await?;
                self.page_from(&resp)
            })
            .await
    }

    /// Turns a response into a page, or into the error it carries.
    fn page_from(&self, resp: &HttpResponse) -> Result<Page> {
        if !(200..300).contains(&resp.status) {
            return Err(common::error_from_response(KIND, resp));
        }
        let content_type = resp.content_type();
        if !is_json(&content_type) && !crate::transport::looks_like_html(&resp.body) {
            let shown = if content_type.is_empty() {
                "none"
            } else {
                &content_type
            };
            return Err(Error::protocol(
                KIND,
                format!(
                    "HTTP {} with content type {shown}, expected application/json",
                    resp.status
                ),
            ));
        }
        let parsed = parse::parse_query_page(&resp.body)?;
        let cursor = match parsed.next_records_url {
            Some(link) => {
                // Refuse a link to another host now, before anyone follows it.
                crate::transport::same_origin(KIND, &self.inner.instance, &link)?;
                Some(Cursor::new(KIND, CursorToken::NextRecordsUrl(link)))
            }
            None => None,
        };
        let limit_info = resp
            .header(LIMIT_INFO)
            .map(parse::parse_limit_info)
            .unwrap_or_default();
        Ok(Page::new(parsed.records, cursor, parsed.total_size).with_limit_info(limit_info))
    }
}

/// `application/json` or any `+json` type.
fn is_json(content_type: &str) -> bool {
    content_type == "application/json" || content_type.ends_with("+json")
}

impl QuerySource for SalesforceRest {
    fn kind(&self) -> BackendKind {
        KIND
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(BATCH_SIZE)
            .with_query_all()
            .with_idle_limit(self.inner.idle_limit)
    }

    fn first_page<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Page>> {
        Box::pin(async move {
            let url = self.first_url(query)?;
            self.fetch(url, query.batch_size).await
        })
    }

    fn next_page<'a>(&'a self, cursor: &'a Cursor) -> BoxFuture<'a, Result<Page>> {
        Box::pin(async move {
            let CursorToken::NextRecordsUrl(link) = &cursor.token else {
                return Err(Error::InvalidInput {
                    what: "cursor",
                    reason: format!(
                        "a Salesforce REST cursor holds a nextRecordsUrl, not a {}",
                        cursor.token.describe()
                    ),
                });
            };
            let url = crate::transport::same_origin(KIND, &self.inner.instance, link)?;
            self.fetch(url, cursor.batch_size).await
        })
    }
}

/// Settings for a [`SalesforceRest`] backend.
#[derive(Debug, Default)]
#[must_use]
pub struct SalesforceRestBuilder {
    instance_url: Option<String>,
    auth: RestCredentials,
    api_version: Option<String>,
    idle_limit: Option<Option<TimeDelta>>,
}

impl SalesforceRestBuilder {
    /// Reads `SALESFORCE_INSTANCE_URL`, `SALESFORCE_ACCESS_TOKEN` (or
    /// `SALESFORCE_CLIENT_ID` and `SALESFORCE_CLIENT_SECRET`) and
    /// `SALESFORCE_API_VERSION` from the environment (unset ones stay unset).
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        SalesforceRestBuilder {
            instance_url: lookup("SALESFORCE_INSTANCE_URL"),
            auth: RestCredentials::new(common::credentials_from(&lookup)),
            api_version: lookup("SALESFORCE_API_VERSION"),
            ..SalesforceRestBuilder::default()
        }
    }

    /// The instance, e.g. `https://na1.my.salesforce.com` (only its origin is kept).
    pub fn instance_url(mut self, url: impl Into<String>) -> Self {
        self.instance_url = Some(url.into());
        self
    }

    crate::auth::rest_credential_setters! {
        /// The OAuth access token (session id), sent as `Authorization: Bearer`.
        /// A refused token is an [`is_invalid_session`](Error::is_invalid_session) error.
        access_token;
        /// OAuth 2.0 client credentials: a token is fetched from
        /// `{instance}/services/oauth2/token` (the My Domain host) on first use and
        /// fetched again, once per request, when the instance refuses it. The
        /// `instance_url` in the answer is not followed: requests stay on the
        /// instance set here.
        client_credentials;
        /// Any other source of bearer tokens.
        auth_provider;
        /// Timeouts and the body size limit.
        http_options;
    }

    /// The API version, `62.0` (or `v62.0`, `62`); default `62.0`. Every request
    /// of a query uses it.
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = Some(version.into());
        self
    }

    /// How long the server keeps an idle query cursor; `None` for no client-side
    /// limit. Default 15 minutes, the classic limit. From API 56.0 Salesforce keeps
    /// query cursors for up to 2 days, so raise it when your org does.
    pub fn idle_limit(mut self, limit: Option<TimeDelta>) -> Self {
        self.idle_limit = Some(limit);
        self
    }

    /// Checks the settings and builds the backend.
    pub fn build(self) -> Result<SalesforceRest> {
        let instance = common::required_instance_url(
            self.instance_url.as_deref(),
            "SalesforceRest needs an instance URL",
        )?;
        let provider = self.auth.provider(
            KIND,
            "SalesforceRest needs an access token or client credentials",
            || common::token_url(&instance),
            SharedClock::system(),
        )?;
        let version =
            common::normalize_version(self.api_version.as_deref().unwrap_or(DEFAULT_API_VERSION))?;
        Ok(SalesforceRest {
            inner: Arc::new(Inner {
                http: Http::new(KIND, self.auth.http())?,
                instance,
                session: SessionManager::new(provider, SharedClock::system()),
                version,
                idle_limit: self.idle_limit.unwrap_or(Some(DEFAULT_IDLE_LIMIT)),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend() -> SalesforceRest {
        SalesforceRest::builder()
            .instance_url("https://na1.example.com/some/path?x=1")
            .access_token("00Dxx!secret-token-value")
            .api_version("v61")
            .build()
            .unwrap()
    }

    #[test]
    fn salesforce_rest_builder_normalises_and_hides_the_token() {
        let b = backend();
        assert_eq!(b.instance_url().as_str(), "https://na1.example.com/");
        assert_eq!(b.api_version(), "61.0");
        let dbg = format!("{b:?}");
        assert!(!dbg.contains("secret-token-value"), "{dbg}");
        assert!(dbg.contains("[REDACTED]"), "{dbg}");
        let builder = SalesforceRest::builder().access_token("secret-token-value");
        assert!(!format!("{builder:?}").contains("secret-token-value"));
        let caps = b.capabilities();
        assert!(caps.query_all);
        assert_eq!(caps.idle_limit, Some(TimeDelta::minutes(15)));
        assert_eq!((caps.batch_size.min, caps.batch_size.max), (200, 2000));
        assert!(caps.batch_size.validate(KIND, 0).is_err());
        assert!(caps.batch_size.validate(KIND, 199).is_err());
        assert!(caps.batch_size.validate(KIND, 2001).is_err());
    }

    #[test]
    fn salesforce_rest_builder_refuses_missing_or_bad_settings() {
        let no_url = SalesforceRest::builder().access_token("t").build();
        assert!(matches!(no_url, Err(Error::InvalidInput { .. })));
        let no_token = SalesforceRest::builder()
            .instance_url("https://x.example.com")
            .build();
        assert!(matches!(no_token, Err(Error::InvalidInput { .. })));
        let bad_version = SalesforceRest::builder()
            .instance_url("https://x.example.com")
            .access_token("t")
            .api_version("latest")
            .build();
        assert!(matches!(bad_version, Err(Error::InvalidInput { .. })));
        let bad_token = SalesforceRest::builder()
            .instance_url("https://x.example.com")
            .access_token("line\nbreak-secret")
            .build()
            .unwrap_err();
        assert!(!bad_token.to_string().contains("break-secret"));
    }

    #[test]
    fn salesforce_rest_first_url_is_query_or_query_all() {
        let b = backend();
        let q = Query::new("SELECT Id, Name FROM Account WHERE Name = 'A&B'");
        assert_eq!(
            b.first_url(&q).unwrap().as_str(),
            "https://na1.example.com/services/data/v61.0/query?q=SELECT+Id%2C+Name+FROM+Account+WHERE+Name+%3D+%27A%26B%27"
        );
        let all = b.first_url(&q.with_scope(Scope::All)).unwrap();
        assert_eq!(all.path(), "/services/data/v61.0/queryAll");
    }

    #[test]
    fn salesforce_rest_builder_reads_the_environment() {
        let b = SalesforceRestBuilder::from_lookup(|k| match k {
            "SALESFORCE_INSTANCE_URL" => Some("https://env.example.com".into()),
            "SALESFORCE_ACCESS_TOKEN" => Some("env-token".into()),
            _ => None,
        })
        .build()
        .unwrap();
        assert_eq!(b.instance_url().as_str(), "https://env.example.com/");
        assert_eq!(b.api_version(), DEFAULT_API_VERSION);
    }
}
