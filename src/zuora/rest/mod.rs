//! `ZuoraRest`: Zuora's REST query actions (`POST /v1/action/query`, then
//! `POST /v1/action/queryMore` with the `queryLocator`), behind [`QuerySource`].
//!
//! Wire facts (wire-formats §3, §6.3): the body is `{"queryString", "conf":
//! {"batchSize"}}` / `{"queryLocator", "conf": {"batchSize"}}`; the last page
//! omits `queryLocator`; `size` is the total row count; records are plain JSON
//! objects (numbers stay numbers, null fields are omitted, no `attributes`);
//! the token is a bearer token, fixed or from OAuth client credentials.
//!
//! Page size: the REST docs give `conf.batchSize` as 1..=2000, the SOAP
//! `queryMore` docs as 0..=2000 with 0 meaning 2000. This backend accepts the
//! SOAP range so migrating code keeps working: 0 (or no batch size) sends no
//! `conf` at all and the server uses its default of 2000; 1..=2000 is sent as
//! given, on `query` and again on every `queryMore`; anything else is refused
//! before any request.
//!
//! The object type of the records is taken from the query's `from` clause (the
//! wire does not carry it). Later pages get it from a small memo keyed by the
//! locator's query id, so a cursor resumed by another `ZuoraRest` value (after a
//! restart, say) yields records without an object type.

pub(crate) mod parse;
mod wire;

use self::parse::{Action, ParsedPage, object_type_of, offer_tail, parse_response};
use self::wire::{Conf, QueryMoreRequest, QueryRequest};
use crate::auth::{RestCredentials, Session, SessionManager, bearer_header};
use crate::source::BoxFuture;
use crate::transport::Http;
use crate::{
    BackendKind, Capabilities, Clock, Cursor, CursorToken, Error, Page, Query, QuerySource, Result,
    Scope, SharedClock,
};
use bytes::Bytes;
use chrono::TimeDelta;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use url::Url;

const KIND: BackendKind = BackendKind::ZuoraRest;

/// The header naming the WSDL version the actions behave as.
const WSDL_VERSION_HEADER: &str = "X-Zuora-WSDL-Version";

/// The Zuora REST query actions as a [`QuerySource`]. Cheap to clone.
///
/// ```no_run
/// # async fn f() -> querymore::Result<()> {
/// use querymore::{Client, Secret, ZuoraRest};
/// let zuora = ZuoraRest::builder()
///     .base_url("https://rest.zuora.com")
///     .client_credentials("my-client-id", Secret::new("my-client-secret"))
///     .build()?;
/// let mut pages = Client::new(zuora).query("select Id, Name from Account").pages();
/// while let Some(page) = pages.try_next().await? {
///     println!("{} of {:?} rows", page.records.len(), page.total_size);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ZuoraRest {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: Http,
    query_url: Url,
    query_more_url: Url,
    wsdl_version: Option<String>,
    idle_limit: Option<TimeDelta>,
    session: SessionManager,
    objects: ObjectTypes,
}

impl ZuoraRest {
    /// A builder: set the base URL and a token or client credentials.
    pub fn builder() -> ZuoraRestBuilder {
        ZuoraRestBuilder::default()
    }

    /// Sends an action with the session's token and reads the page; a refused
    /// token that can be refreshed is replaced once and the same action sent again.
    async fn fetch(&self, action: Action, body: Bytes, object: Option<&str>) -> Result<ParsedPage> {
        self.inner
            .session
            .call(|session| self.send(action, body.clone(), session, object))
            .await
    }

    async fn send(
        &self,
        action: Action,
        body: Bytes,
        session: Session,
        object: Option<&str>,
    ) -> Result<ParsedPage> {
        let inner = &*self.inner;
        let url = match action {
            Action::Query => &inner.query_url,
            Action::QueryMore => &inner.query_more_url,
        };
        let mut req = inner
            .http
            .client()
            .post(url.clone())
            .header(AUTHORIZATION, bearer_header(&session.token)?)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .body(body);
        if let Some(v) = &inner.wsdl_version {
            req = req.header(WSDL_VERSION_HEADER, v);
        }
        let resp = inner.http.execute(req).await?;
        if offer_tail(&resp) {
            // Let the next page's request go out before this page's records
            // are parsed, not after.
            crate::lookahead::let_offered_fetch_go().await;
        }
        parse_response(&resp, action, object)
    }

    fn page(&self, parsed: ParsedPage) -> Page {
        let cursor = parsed
            .query_locator
            .map(|l| Cursor::new(KIND, CursorToken::Locator(l)));
        Page::new(parsed.records, cursor, parsed.size)
    }
}

impl QuerySource for ZuoraRest {
    fn kind(&self) -> BackendKind {
        KIND
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(crate::zuora::batch_size_range("conf.batchSize"))
            .with_idle_limit(self.inner.idle_limit)
    }

    fn first_page<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Page>> {
        Box::pin(async move {
            if query.scope == Scope::All {
                return Err(Error::Unsupported {
                    backend: KIND,
                    operation: "queryAll",
                });
            }
            let body = json(&QueryRequest {
                query_string: &query.text,
                conf: Conf::for_batch_size(query.batch_size),
            })?;
            let object = object_type_of(&query.text);
            let parsed = self.fetch(Action::Query, body, object.as_deref()).await?;
            if let (Some(l), Some(o)) = (&parsed.query_locator, &object) {
                self.inner.objects.remember(l, o);
            }
            Ok(self.page(parsed))
        })
    }

    fn next_page<'a>(&'a self, cursor: &'a Cursor) -> BoxFuture<'a, Result<Page>> {
        Box::pin(async move {
            let locator = match (&cursor.token, cursor.backend) {
                (CursorToken::Locator(l), KIND) => l,
                _ => {
                    return Err(Error::InvalidInput {
                        what: "cursor",
                        reason: format!(
                            "a {} {} is not a Zuora REST queryLocator",
                            cursor.backend,
                            cursor.token.describe()
                        ),
                    });
                }
            };
            let body = json(&QueryMoreRequest {
                query_locator: locator,
                conf: Conf::for_batch_size(cursor.batch_size),
            })?;
            let object = self.inner.objects.lookup(locator);
            let parsed = self
                .fetch(Action::QueryMore, body, object.as_deref())
                .await?;
            if let (Some(l), Some(o)) = (&parsed.query_locator, &object) {
                self.inner.objects.remember(l, o);
            }
            Ok(self.page(parsed))
        })
    }
}

fn json(body: &impl serde::Serialize) -> Result<Bytes> {
    serde_json::to_vec(body)
        .map(Bytes::from)
        .map_err(|e| Error::InvalidInput {
            what: "request body",
            reason: e.to_string(),
        })
}

/// How many open queries' object types are remembered.
const REMEMBERED_QUERIES: usize = 256;

/// The object type of each open query, keyed by the locator's query id (the
/// part before the last `-`: `2c92c0f9...47e7-4000` → `2c92c0f9...47e7`).
#[derive(Debug, Default)]
struct ObjectTypes(Mutex<VecDeque<(String, String)>>);

impl ObjectTypes {
    fn query_id(locator: &str) -> &str {
        locator.rsplit_once('-').map_or(locator, |(id, _)| id)
    }

    fn remember(&self, locator: &str, object: &str) {
        let id = Self::query_id(locator);
        let mut memo = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if memo.iter().any(|(k, _)| k == id) {
            return;
        }
        if memo.len() >= REMEMBERED_QUERIES {
            memo.pop_front();
        }
        memo.push_back((id.to_owned(), object.to_owned()));
    }

    fn lookup(&self, locator: &str) -> Option<String> {
        let id = Self::query_id(locator);
        let memo = self.0.lock().unwrap_or_else(|e| e.into_inner());
        memo.iter().find(|(k, _)| k == id).map(|(_, o)| o.clone())
    }
}

/// Settings for [`ZuoraRest`]. Setters never fail; [`ZuoraRestBuilder::build`]
/// checks them.
#[derive(Debug)]
#[must_use]
pub struct ZuoraRestBuilder {
    base_url: Option<String>,
    auth: RestCredentials,
    wsdl_version: Option<String>,
    idle_limit: Option<TimeDelta>,
    clock: SharedClock,
}

impl Default for ZuoraRestBuilder {
    fn default() -> Self {
        ZuoraRestBuilder {
            base_url: None,
            auth: RestCredentials::default(),
            wsdl_version: None,
            idle_limit: Some(crate::zuora::IDLE_LIMIT),
            clock: SharedClock::system(),
        }
    }
}

impl ZuoraRestBuilder {
    /// The REST host, e.g. `https://rest.zuora.com` or `https://rest.eu.zuora.com`
    /// (a path, if any, is kept as a prefix).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    crate::auth::rest_credential_setters! {
        /// A bearer token obtained elsewhere. A refused token is an
        /// [`is_invalid_session`](Error::is_invalid_session) error.
        access_token;
        /// OAuth 2.0 client credentials: a token is fetched from `{base}/oauth/token`
        /// on first use, cached until shortly before it expires, and fetched again
        /// (once per request) when the server refuses it.
        client_credentials;
        /// Any other source of bearer tokens; its tokens are refreshed once when
        /// refused if [`AuthProvider::can_refresh`](crate::auth::AuthProvider::can_refresh)
        /// says so.
        auth_provider;
        /// Timeouts and the response size limit.
        http_options;
    }

    /// Sends `X-Zuora-WSDL-Version` (e.g. `"79"`); unset, the server's default
    /// (79 for the actions) applies.
    pub fn wsdl_version(mut self, version: impl Into<String>) -> Self {
        self.wsdl_version = Some(version.into());
        self
    }

    /// How long the server keeps an idle `queryLocator` (default 15 minutes;
    /// `None`: never expire cursors client-side).
    pub fn idle_limit(mut self, limit: Option<TimeDelta>) -> Self {
        self.idle_limit = limit;
        self
    }

    /// The clock that times OAuth token lifetimes (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = SharedClock::new(clock);
        self
    }

    /// Checks the settings and builds the backend; no request is sent.
    pub fn build(self) -> Result<ZuoraRest> {
        let base = base_url(self.base_url.as_deref())?;
        let credentials = self
            .auth
            .required("set an access token or client credentials")?;
        if let Some(v) = &self.wsdl_version
            && (v.is_empty() || !v.chars().all(|c| c.is_ascii_digit() || c == '.'))
        {
            return Err(Error::InvalidInput {
                what: "WSDL version",
                reason: format!("expected a version number like 79, got {v:?}"),
            });
        }
        let join = |path: &str| {
            base.join(path).map_err(|e| Error::InvalidInput {
                what: "base URL",
                reason: e.to_string(),
            })
        };
        let provider = credentials.clone().into_provider(
            KIND,
            || join("oauth/token"),
            self.auth.http(),
            self.clock.clone(),
        )?;
        Ok(ZuoraRest {
            inner: Arc::new(Inner {
                http: Http::new(KIND, self.auth.http())?,
                query_url: join(Action::Query.path())?,
                query_more_url: join(Action::QueryMore.path())?,
                wsdl_version: self.wsdl_version,
                idle_limit: self.idle_limit,
                session: SessionManager::new(provider, self.clock),
                objects: ObjectTypes::default(),
            }),
        })
    }
}

/// Parses the base URL: http(s) with a host; the path is kept as a prefix
/// (with a trailing `/` so relative paths join below it).
fn base_url(url: Option<&str>) -> Result<Url> {
    let invalid = |reason: String| Error::InvalidInput {
        what: "base URL",
        reason,
    };
    let raw =
        url.ok_or_else(|| invalid("set the REST host, e.g. https://rest.zuora.com".into()))?;
    let mut url = Url::parse(raw.trim()).map_err(|e| invalid(format!("{raw:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(invalid(format!("{raw:?} is not an http(s) URL")));
    }
    url.set_query(None);
    url.set_fragment(None);
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;

    #[test]
    fn base_urls_keep_their_prefix_and_refuse_other_schemes() {
        assert_eq!(
            base_url(Some("https://rest.zuora.com")).unwrap().as_str(),
            "https://rest.zuora.com/"
        );
        let prefixed = base_url(Some("http://proxy.local/zuora?x=1")).unwrap();
        assert_eq!(
            prefixed.join("v1/action/query").unwrap().as_str(),
            "http://proxy.local/zuora/v1/action/query"
        );
        for bad in [None, Some("rest.zuora.com"), Some("ftp://rest.zuora.com")] {
            assert!(
                matches!(
                    base_url(bad),
                    Err(Error::InvalidInput {
                        what: "base URL",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn build_checks_credentials_and_version() {
        let b = || ZuoraRest::builder().base_url("https://rest.zuora.com");
        assert!(matches!(
            b().build(),
            Err(Error::InvalidInput {
                what: "credentials",
                ..
            })
        ));
        assert!(b().access_token("").build().is_err());
        assert!(b().client_credentials("id", "").build().is_err());
        assert!(
            b().access_token("t")
                .wsdl_version("latest")
                .build()
                .is_err()
        );
        assert!(b().access_token("t").wsdl_version("79").build().is_ok());
    }

    #[test]
    fn conf_is_omitted_for_the_default_batch_size() {
        let body = |n| {
            let bytes = json(&QueryRequest {
                query_string: "select Id from Account",
                conf: Conf::for_batch_size(n),
            })
            .unwrap();
            String::from_utf8(bytes.to_vec()).unwrap()
        };
        assert_eq!(body(None), r#"{"queryString":"select Id from Account"}"#);
        assert_eq!(body(Some(0)), r#"{"queryString":"select Id from Account"}"#);
        assert_eq!(
            body(Some(500)),
            r#"{"queryString":"select Id from Account","conf":{"batchSize":500}}"#
        );
    }

    #[test]
    fn object_types_are_remembered_per_query_id() {
        let memo = ObjectTypes::default();
        memo.remember("2c92c0f9602fb240016049ac7e0b47e7-2000", "Account");
        assert_eq!(
            memo.lookup("2c92c0f9602fb240016049ac7e0b47e7-4000")
                .as_deref(),
            Some("Account")
        );
        assert_eq!(memo.lookup("ffff-2000"), None);
        for i in 0..REMEMBERED_QUERIES {
            memo.remember(&format!("q{i}-1"), "InvoiceItem");
        }
        assert_eq!(memo.lookup("2c92c0f9602fb240016049ac7e0b47e7-4000"), None);
        assert_eq!(memo.lookup("q1-9").as_deref(), Some("InvoiceItem"));
    }

    #[test]
    fn debug_shows_no_credential() {
        let z = ZuoraRest::builder()
            .base_url("https://rest.zuora.com")
            .client_credentials("cid-1", Secret::new("client-secret-xyz"))
            .build()
            .unwrap();
        let shown = format!("{z:?}");
        assert!(shown.contains("cid-1"), "{shown}");
        assert!(!shown.contains("client-secret-xyz"), "{shown}");
        let b = ZuoraRest::builder().access_token("tok-abc-123");
        assert!(!format!("{b:?}").contains("tok-abc-123"));
    }
}
