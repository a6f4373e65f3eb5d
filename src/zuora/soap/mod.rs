//! The Zuora SOAP API backend (`login`, `query`, `queryMore`):
//! [`ZuoraSoap`], its builder, and its [`QuerySource`] implementation.
//!
//! Requests are built by the pure functions in `envelope`, responses read by
//! the pure parsers in `parse`; this module holds the HTTP calls and the
//! session (given, or from a lazy [`ZuoraLogin`] whose `ServerUrl` is then
//! used), kept by the shared session manager: a refused session is replaced by
//! one new login and the same call (same locator) made again.

pub(crate) mod envelope;
mod login;
pub(crate) mod parse;
#[cfg(test)]
mod wsdl_check;

pub use login::ZuoraLogin;

use crate::auth::{AuthProvider, Session, SessionManager, StaticToken};
use crate::source::BoxFuture;
use crate::transport::{Http, HttpResponse, same_origin};
use crate::{
    BackendKind, Capabilities, Cursor, Error, HttpOptions, Page, Query, QuerySource, Result, Scope,
    Secret, SharedClock,
};
use chrono::TimeDelta;
use envelope::{query_envelope, query_more_envelope};
use parse::QueryOp;
use reqwest::header::CONTENT_TYPE;
use std::fmt;
use std::sync::Arc;
use url::Url;

/// `http://api.zuora.com/`: operations, headers, `QueryResult`, `LoginResult`.
pub(crate) const API_NS: &str = "http://api.zuora.com/";
/// `http://object.api.zuora.com/`: `zObject` and the object types.
pub(crate) const OBJECT_NS: &str = "http://object.api.zuora.com/";
/// `http://fault.api.zuora.com/`: the fault types.
pub(crate) const FAULT_NS: &str = "http://fault.api.zuora.com/";

const KIND: BackendKind = BackendKind::ZuoraSoap;

/// A Zuora SOAP API endpoint (`https://<host>/apps/services/a/<version>`), paged
/// with `query` and `queryMore`. Cheap to clone.
///
/// ```no_run
/// # async fn f() -> querymore::Result<()> {
/// use querymore::{Client, Record, ZuoraSoap};
/// let zuora = ZuoraSoap::builder()
///     .endpoint("https://apisandbox.zuora.com/apps/services/a/78.0")
///     .credentials("user@example.com", "password")
///     .build()?;
/// let mut accounts = Client::new(zuora)
///     .query("select Id, Name from Account")
///     .batch_size(500)
///     .records::<Record>();
/// while let Some(account) = accounts.try_next().await? {
///     println!("{account:?}");
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ZuoraSoap {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: Url,
    allow_origin_change: bool,
    idle_limit: Option<TimeDelta>,
    http: Http,
    /// The session in use (its `server_url` is the login's `ServerUrl`).
    session: SessionManager,
    /// True when a refused session can be replaced (by a login).
    can_login: bool,
}

impl fmt::Debug for ZuoraSoap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("ZuoraSoap")
            .field("endpoint", &display_url(&i.endpoint))
            .field("login", &i.can_login)
            .field("idle_limit", &i.idle_limit)
            .finish_non_exhaustive()
    }
}

/// A URL without user info, query or fragment: safe to print.
fn display_url(url: &Url) -> String {
    format!("{}{}", url.origin().ascii_serialization(), url.path())
}

impl ZuoraSoap {
    /// A builder: set the endpoint and a session or a username and password.
    pub fn builder() -> ZuoraSoapBuilder {
        ZuoraSoapBuilder::new()
    }

    /// The endpoint calls start at (`login`, or every call with a given session).
    pub fn endpoint(&self) -> &str {
        self.inner.endpoint.as_str()
    }

    /// Where calls go after login: `ServerUrl`, refused on another origin unless allowed.
    fn server_url(&self, raw: &str) -> Result<Url> {
        let endpoint = &self.inner.endpoint;
        if !self.inner.allow_origin_change {
            return same_origin(KIND, endpoint, raw).map_err(|e| match e {
                Error::Protocol { message, .. } => Error::protocol(
                    KIND,
                    format!(
                        "login's ServerUrl: {message}; allow it with \
                         ZuoraSoapBuilder::allow_server_url_origin_change(true)"
                    ),
                ),
                other => other,
            });
        }
        let url = endpoint.join(raw).map_err(|e| {
            Error::protocol(KIND, format!("login returned an unusable ServerUrl: {e}"))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::protocol(
                KIND,
                format!("login returned a non-HTTP ServerUrl ({})", url.scheme()),
            ));
        }
        Ok(url)
    }

    /// Where calls with `session` go: its `ServerUrl` (checked), else the endpoint.
    fn call_url(&self, session: &Session) -> Result<Url> {
        match &session.server_url {
            Some(raw) => self.server_url(raw),
            None => Ok(self.inner.endpoint.clone()),
        }
    }

    /// Runs a query call with the current session; a refused session that can
    /// be replaced is, by one new login, and the call made once more.
    async fn call(&self, call: Call<'_>) -> Result<Page> {
        self.inner
            .session
            .call(|session| self.send(session, call))
            .await
    }

    async fn send(&self, session: Session, call: Call<'_>) -> Result<Page> {
        let (body, op) = match call {
            Call::Query(q) => (
                query_envelope(&session.token, &q.text, q.batch_size),
                QueryOp::Query,
            ),
            Call::QueryMore {
                locator,
                batch_size,
            } => (
                query_more_envelope(&session.token, locator, batch_size),
                QueryOp::QueryMore,
            ),
        };
        let url = self.call_url(&session)?;
        tracing::debug!(?op, url = %display_url(&url), "zuora call");
        let resp = post(&self.inner.http, &url, body).await?;
        parse::query_response(&resp, op)
    }
}

/// Posts a SOAP 1.1 envelope and reads the answer.
async fn post(http: &Http, url: &Url, body: Vec<u8>) -> Result<HttpResponse> {
    let req = http
        .client()
        .post(url.clone())
        .header(CONTENT_TYPE, "text/xml; charset=utf-8")
        .header("SOAPAction", "\"\"")
        .body(body);
    http.execute(req).await
}

#[derive(Clone, Copy)]
enum Call<'a> {
    Query(&'a Query),
    QueryMore {
        locator: &'a str,
        batch_size: Option<u32>,
    },
}

impl QuerySource for ZuoraSoap {
    fn kind(&self) -> BackendKind {
        KIND
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(crate::zuora::batch_size_range("QueryOptions.batchSize"))
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
            self.call(Call::Query(query)).await
        })
    }

    fn next_page<'a>(&'a self, cursor: &'a Cursor) -> BoxFuture<'a, Result<Page>> {
        Box::pin(async move {
            let locator = cursor.locator().ok_or_else(|| Error::InvalidInput {
                what: "cursor",
                reason: format!(
                    "a Zuora SOAP cursor holds a queryLocator, not {}",
                    cursor.token.describe()
                ),
            })?;
            self.call(Call::QueryMore {
                locator,
                batch_size: cursor.batch_size,
            })
            .await
        })
    }
}

/// Settings for a [`ZuoraSoap`]: setters never fail, [`ZuoraSoapBuilder::build`] checks.
#[must_use]
#[derive(Debug, Clone)]
pub struct ZuoraSoapBuilder {
    endpoint: Option<String>,
    session: Option<Secret>,
    credentials: Option<(String, Secret)>,
    provider: Option<Arc<dyn AuthProvider>>,
    http: HttpOptions,
    idle_limit: Option<TimeDelta>,
    allow_origin_change: bool,
}

impl Default for ZuoraSoapBuilder {
    fn default() -> Self {
        ZuoraSoapBuilder::new()
    }
}

impl ZuoraSoapBuilder {
    /// A builder with the default HTTP options and a 15-minute idle limit.
    pub fn new() -> Self {
        ZuoraSoapBuilder {
            endpoint: None,
            session: None,
            credentials: None,
            provider: None,
            http: HttpOptions::default(),
            idle_limit: Some(crate::zuora::IDLE_LIMIT),
            allow_origin_change: false,
        }
    }

    /// The SOAP endpoint, e.g. `https://apisandbox.zuora.com/apps/services/a/78.0`.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// An existing session id, sent in `SessionHeader` to the endpoint.
    pub fn session(mut self, session: impl Into<Secret>) -> Self {
        self.session = Some(session.into());
        self
    }

    /// A username and password: `login` runs on first use (and again when the
    /// session is refused), and its `ServerUrl` receives the calls that follow.
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.credentials = Some((username.into(), password.into()));
        self
    }

    /// Any other source of sessions (a [`ZuoraLogin`] shared with other code,
    /// say); it replaces [`ZuoraSoapBuilder::credentials`].
    pub fn auth_provider(mut self, provider: Arc<dyn AuthProvider>) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Timeouts and the response size limit.
    pub fn http_options(mut self, options: HttpOptions) -> Self {
        self.http = options;
        self
    }

    /// How long Zuora keeps an idle `queryLocator` (default 15 minutes; `None`:
    /// never expire client-side).
    pub fn idle_limit(mut self, limit: Option<TimeDelta>) -> Self {
        self.idle_limit = limit;
        self
    }

    /// Follow a login `ServerUrl` on another origin than the endpoint (default
    /// off: the session would be sent to a host you did not name).
    pub fn allow_server_url_origin_change(mut self, allow: bool) -> Self {
        self.allow_origin_change = allow;
        self
    }

    /// Checks the settings and builds the backend. No request is sent.
    pub fn build(self) -> Result<ZuoraSoap> {
        let raw = self.endpoint.ok_or(Error::InvalidInput {
            what: "endpoint",
            reason: "set the Zuora SOAP endpoint URL".into(),
        })?;
        let endpoint = Url::parse(raw.trim()).map_err(|e| Error::InvalidInput {
            what: "endpoint",
            reason: format!("{raw:?} is not a URL: {e}"),
        })?;
        if !matches!(endpoint.scheme(), "http" | "https") || endpoint.host().is_none() {
            return Err(Error::InvalidInput {
                what: "endpoint",
                reason: format!("{} is not an http(s) URL", display_url(&endpoint)),
            });
        }
        if self.session.as_ref().is_some_and(Secret::is_empty) {
            return Err(Error::InvalidInput {
                what: "session",
                reason: "the session id is empty".into(),
            });
        }
        if self
            .credentials
            .as_ref()
            .is_some_and(|(username, _)| username.trim().is_empty())
        {
            return Err(Error::InvalidInput {
                what: "credentials",
                reason: "the username is empty".into(),
            });
        }
        let http = Http::new(KIND, &self.http)?;
        let provider: Arc<dyn AuthProvider> = match (self.provider, self.credentials, &self.session)
        {
            (Some(p), _, _) => p,
            (None, Some((username, password)), _) => Arc::new(ZuoraLogin::from_parts(
                endpoint.clone(),
                username,
                password,
                http.clone(),
            )),
            (None, None, Some(session)) => Arc::new(StaticToken::new(session.clone())),
            (None, None, None) => {
                return Err(Error::InvalidInput {
                    what: "credentials",
                    reason: "set a session or a username and password".into(),
                });
            }
        };
        let can_login = provider.can_refresh();
        let mut session = SessionManager::new(provider, SharedClock::system());
        if let Some(id) = self.session {
            session = session.with_session(Session::new(id));
        }
        Ok(ZuoraSoap {
            inner: Arc::new(Inner {
                http,
                endpoint,
                allow_origin_change: self.allow_origin_change,
                idle_limit: self.idle_limit,
                session,
                can_login,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENDPOINT: &str = "https://apisandbox.zuora.com/apps/services/a/78.0";

    #[test]
    fn debug_never_shows_the_session_or_the_password() {
        let with_session = ZuoraSoap::builder()
            .endpoint(ENDPOINT)
            .session("sess-XYZZY-123")
            .build()
            .unwrap();
        let with_login = ZuoraSoap::builder()
            .endpoint(ENDPOINT)
            .credentials("user@example.com", "pw-PLUGH-456")
            .build()
            .unwrap();
        for text in [
            format!("{with_session:?}"),
            format!("{with_login:?}"),
            format!("{with_login:#?}"),
        ] {
            assert!(!text.contains("XYZZY"), "{text}");
            assert!(!text.contains("PLUGH"), "{text}");
            assert!(text.contains("apisandbox.zuora.com"), "{text}");
        }
        let builder = ZuoraSoap::builder()
            .session("sess-XYZZY-123")
            .credentials("u", "pw-PLUGH-456");
        let text = format!("{builder:?}");
        assert!(!text.contains("XYZZY") && !text.contains("PLUGH"), "{text}");
    }

    #[test]
    fn build_checks_endpoint_and_credentials() {
        let cases = [
            (ZuoraSoap::builder().session("s"), "endpoint"),
            (
                ZuoraSoap::builder().endpoint("not a url").session("s"),
                "endpoint",
            ),
            (
                ZuoraSoap::builder().endpoint("ftp://x/y").session("s"),
                "endpoint",
            ),
            (ZuoraSoap::builder().endpoint(ENDPOINT), "credentials"),
            (
                ZuoraSoap::builder().endpoint(ENDPOINT).session(""),
                "session",
            ),
            (
                ZuoraSoap::builder()
                    .endpoint(ENDPOINT)
                    .credentials(" ", "p"),
                "credentials",
            ),
        ];
        for (builder, what) in cases {
            match builder.build() {
                Err(Error::InvalidInput { what: w, .. }) => assert_eq!(w, what),
                other => panic!("expected InvalidInput({what}), got {other:?}"),
            }
        }
    }

    #[test]
    fn capabilities_are_zuoras() {
        let z = ZuoraSoap::builder()
            .endpoint(ENDPOINT)
            .session("s")
            .idle_limit(Some(TimeDelta::minutes(30)))
            .build()
            .unwrap();
        let caps = z.capabilities();
        assert!(!caps.query_all);
        assert_eq!(caps.idle_limit, Some(TimeDelta::minutes(30)));
        assert_eq!((caps.batch_size.min, caps.batch_size.max), (1, 2000));
        assert!(caps.batch_size.zero_means_default);
        assert_eq!(caps.batch_size.name, "QueryOptions.batchSize");
    }

    #[test]
    fn server_url_on_another_origin_is_refused_unless_allowed() {
        let strict = ZuoraSoap::builder()
            .endpoint(ENDPOINT)
            .credentials("u", "p")
            .build()
            .unwrap();
        assert_eq!(
            strict
                .server_url("https://apisandbox.zuora.com/apps/services/a/26.0")
                .unwrap()
                .as_str(),
            "https://apisandbox.zuora.com/apps/services/a/26.0"
        );
        let e = strict
            .server_url("https://evil.example.net/apps/services/a/78.0")
            .unwrap_err();
        assert!(
            e.to_string().contains("allow_server_url_origin_change"),
            "{e}"
        );
        let lenient = ZuoraSoap::builder()
            .endpoint(ENDPOINT)
            .credentials("u", "p")
            .allow_server_url_origin_change(true)
            .build()
            .unwrap();
        assert_eq!(
            lenient
                .server_url("https://services470.zuora.com/apps/services/a/78.0")
                .unwrap()
                .host_str(),
            Some("services470.zuora.com")
        );
        assert!(lenient.server_url("file:///etc/passwd").is_err());
    }
}
