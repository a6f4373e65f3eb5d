//! A SOAP dialect's session, shared by the dialects: the settings both
//! builders take ([`SoapSettings`]) and their checks, `login(username,
//! password)` as an [`AuthProvider`] ([`SoapLogin`]), and [`SoapCaller`], which
//! makes each call with the session in force — through the shared
//! [`SessionManager`], so a refused session is replaced by one new login and
//! the same call made again — at the server URL the login named (checked
//! against the endpoint's origin before any session is sent there).

use super::dialect::{Dialect, QueryOp};
use super::http::{display_url, parse_endpoint, post, post_with_head, server_url};
use super::writer::Calls;
use crate::auth::{AuthProvider, Session, SessionManager, StaticToken};
use crate::lookahead;
use crate::source::BoxFuture;
use crate::transport::{Http, HttpResponse};
use crate::{Cursor, Error, HttpOptions, Page, Query, Result, Scope, Secret, SharedClock};
use chrono::TimeDelta;
use std::fmt;
use std::sync::Arc;
use url::Url;

/// Logs in at a SOAP endpoint with a username and password.
pub(crate) struct SoapLogin {
    dialect: &'static Dialect,
    calls: &'static Calls,
    endpoint: Url,
    username: String,
    password: Secret,
    http: Http,
}

impl fmt::Debug for SoapLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoapLogin")
            .field("backend", &self.dialect.kind)
            .field("endpoint", &display_url(&self.endpoint))
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

impl SoapLogin {
    /// A provider posting the dialect's `login(username, password)` to `endpoint`.
    pub(crate) fn new(
        dialect: &'static Dialect,
        calls: &'static Calls,
        endpoint: Url,
        username: String,
        password: Secret,
        http: Http,
    ) -> Self {
        SoapLogin {
            dialect,
            calls,
            endpoint,
            username,
            password,
            http,
        }
    }
}

impl AuthProvider for SoapLogin {
    fn authenticate(&self) -> BoxFuture<'_, Result<Session>> {
        Box::pin(async move {
            tracing::debug!(backend = %self.dialect.kind, endpoint = %display_url(&self.endpoint), "soap login");
            let body = self.calls.login(&self.username, &self.password);
            let resp = post(&self.http, &self.endpoint, body).await?;
            let login = self.dialect.login_response(&resp)?;
            Ok(Session {
                token: login.session,
                server_url: Some(login.server_url),
                expires_at: None,
            })
        })
    }

    fn can_refresh(&self) -> bool {
        true
    }
}

/// One query call: `query` / `queryAll`, or `queryMore` from a cursor.
#[derive(Debug, Clone, Copy)]
pub(crate) enum QueryCall<'a> {
    /// `query`, or `queryAll` for [`Scope::All`].
    Start(&'a Query),
    /// `queryMore`.
    More {
        /// The `queryLocator`.
        locator: &'a str,
        /// The batch size the query was started with.
        batch_size: Option<u32>,
    },
}

impl<'a> QueryCall<'a> {
    /// `queryMore` at a cursor, which must hold a `queryLocator`.
    pub(crate) fn more(dialect: &Dialect, cursor: &'a Cursor) -> Result<Self> {
        let locator = cursor.locator().ok_or_else(|| Error::InvalidInput {
            what: "cursor",
            reason: format!(
                "a {} cursor holds a queryLocator, not {}",
                dialect.kind,
                cursor.token.describe()
            ),
        })?;
        Ok(QueryCall::More {
            locator,
            batch_size: cursor.batch_size,
        })
    }

    /// Which operation this is.
    pub(crate) fn op(&self) -> QueryOp {
        match self {
            QueryCall::Start(q) if q.scope == Scope::All => QueryOp::QueryAll,
            QueryCall::Start(_) => QueryOp::Query,
            QueryCall::More { .. } => QueryOp::QueryMore,
        }
    }

    /// The request envelope.
    pub(crate) fn envelope(&self, calls: &Calls, session: &Secret) -> Vec<u8> {
        match *self {
            QueryCall::Start(q) => calls.query(self.op().name(), session, &q.text, q.batch_size),
            QueryCall::More {
                locator,
                batch_size,
            } => calls.query_more(session, locator, batch_size),
        }
    }
}

/// Makes a dialect's calls with the session in force.
pub(crate) struct SoapCaller {
    /// The dialect.
    pub dialect: &'static Dialect,
    /// Where calls go when the session names no server URL.
    pub endpoint: Url,
    /// The HTTP client.
    pub http: Http,
    /// The session in use.
    pub sessions: SessionManager,
    /// Follow a server URL on another origin.
    pub allow_origin_change: bool,
    /// The builder method that allows that, for the error message.
    pub allow_setter: &'static str,
}

impl fmt::Debug for SoapCaller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoapCaller")
            .field("endpoint", &display_url(&self.endpoint))
            .field("sessions", &self.sessions)
            .finish_non_exhaustive()
    }
}

impl SoapCaller {
    /// Where calls with `session` go: its server URL (checked), else the endpoint.
    pub(crate) fn call_url(&self, session: &Session) -> Result<Url> {
        match &session.server_url {
            Some(raw) => server_url(
                self.dialect.kind,
                &self.endpoint,
                raw,
                self.allow_origin_change,
                self.allow_setter,
            ),
            None => Ok(self.endpoint.clone()),
        }
    }

    /// Makes a query call (`calls` builds its envelope) and reads the page
    /// with `read`; a refused session that can be replaced is, and the call
    /// made once more.
    pub(crate) async fn query(
        &self,
        calls: &Calls,
        call: QueryCall<'_>,
        read: fn(&HttpResponse, QueryOp) -> Result<Page>,
    ) -> Result<Page> {
        self.sessions
            .call(|session| self.send(session, calls, call, read))
            .await
    }

    /// Posts the call's envelope and reads the page; the next page's cursor
    /// is offered from the start of the body, while the rest is on the way.
    async fn send(
        &self,
        session: Session,
        calls: &Calls,
        call: QueryCall<'_>,
        read: fn(&HttpResponse, QueryOp) -> Result<Page>,
    ) -> Result<Page> {
        let op = call.op();
        let url = self.call_url(&session)?;
        tracing::debug!(backend = %self.dialect.kind, call = op.name(), url = %display_url(&url), "soap call");
        let dialect = self.dialect;
        let head = lookahead::head_hook(move |b| dialect.query_head(b, op));
        let body = call.envelope(calls, &session.token);
        let resp = post_with_head(&self.http, &url, body, head).await?;
        read(&resp, op)
    }
}

/// The settings both SOAP builders take.
#[derive(Debug, Clone)]
pub(crate) struct SoapSettings {
    /// The endpoint URL, as given.
    pub endpoint: Option<String>,
    /// A session id to start with.
    pub session: Option<Secret>,
    /// A username and password for `login`.
    pub credentials: Option<(String, Secret)>,
    /// Any other source of sessions (replaces `credentials`).
    pub provider: Option<Arc<dyn AuthProvider>>,
    /// Timeouts and the body size limit.
    pub http: HttpOptions,
    /// How long the server keeps an idle cursor.
    pub idle_limit: Option<TimeDelta>,
    /// Follow a login's server URL on another origin.
    pub allow_origin_change: bool,
}

/// What a SOAP backend holds: the caller, and what it reports.
pub(crate) struct SoapBackend {
    /// Makes the calls.
    pub caller: SoapCaller,
    /// How long the server keeps an idle cursor.
    pub idle_limit: Option<TimeDelta>,
    /// True when a refused session can be replaced.
    pub can_login: bool,
}

impl SoapBackend {
    /// The `Debug` of the public type `name`: endpoint, login, idle limit.
    pub(crate) fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("endpoint", &display_url(&self.caller.endpoint))
            .field("login", &self.can_login)
            .field("idle_limit", &self.idle_limit)
            .finish_non_exhaustive()
    }
}

impl SoapSettings {
    /// Defaults: no endpoint or credentials, `idle_limit`.
    pub(crate) fn new(idle_limit: TimeDelta) -> Self {
        SoapSettings {
            endpoint: None,
            session: None,
            credentials: None,
            provider: None,
            http: HttpOptions::default(),
            idle_limit: Some(idle_limit),
            allow_origin_change: false,
        }
    }

    /// Checks the settings (no request is sent). Sessions come from the
    /// provider, else a `login` built with `calls`, else the fixed session;
    /// a given session is used first in any case. `what` names the endpoint in
    /// messages; `allow_setter` the builder method allowing an origin change.
    pub(crate) fn build(
        self,
        dialect: &'static Dialect,
        calls: &'static Calls,
        what: &str,
        allow_setter: &'static str,
    ) -> Result<SoapBackend> {
        let endpoint = parse_endpoint(self.endpoint, what)?;
        if self.session.as_ref().is_some_and(Secret::is_empty) {
            return Err(Error::InvalidInput {
                what: "session",
                reason: "the session id is empty".into(),
            });
        }
        let http = Http::new(dialect.kind, &self.http)?;
        let provider: Arc<dyn AuthProvider> = match (self.provider, self.credentials, &self.session)
        {
            (Some(p), _, _) => p,
            (None, Some((username, _)), _) if username.trim().is_empty() => {
                return Err(Error::InvalidInput {
                    what: "credentials",
                    reason: "the username is empty".into(),
                });
            }
            (None, Some((username, password)), _) => Arc::new(SoapLogin::new(
                dialect,
                calls,
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
        let mut sessions = SessionManager::new(provider, SharedClock::system());
        if let Some(id) = self.session {
            sessions = sessions.with_session(Session::new(id));
        }
        Ok(SoapBackend {
            caller: SoapCaller {
                dialect,
                endpoint,
                http,
                sessions,
                allow_origin_change: self.allow_origin_change,
                allow_setter,
            },
            idle_limit: self.idle_limit,
            can_login,
        })
    }
}

/// Declares a SOAP backend — the public type (a cheap-to-clone handle on a
/// [`SoapBackend`], with a redacting `Debug`, `builder()`, `endpoint()` and
/// the query call) and its builder (a struct holding [`SoapSettings`], the
/// setters both dialects offer, and `build`) — documented with the dialect's
/// own names. The dialect's module adds the `QuerySource` impl.
macro_rules! soap_backend {
    (
        $(#[$backend_doc:meta])*
        $backend:ident;
        $(#[$doc:meta])*
        $builder:ident {
            idle_limit: $idle:expr,
            dialect: $dialect:expr,
            calls: $calls:expr,
            read: $read:expr,
            name: $name:literal,
            endpoint: $endpoint_doc:literal,
            session: $session_doc:literal,
            credentials: $credentials_doc:literal,
            origin: $origin_doc:literal $(,)?
        }
    ) => {
        $(#[$backend_doc])*
        #[derive(Clone)]
        pub struct $backend {
            inner: std::sync::Arc<$crate::xml::session::SoapBackend>,
        }

        impl std::fmt::Debug for $backend {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.inner.debug(stringify!($backend), f)
            }
        }

        impl $backend {
            /// A builder: set the endpoint and a session or a username and password.
            pub fn builder() -> $builder {
                $builder::new()
            }

            /// The endpoint calls start at (`login`, or every call with a given session).
            pub fn endpoint(&self) -> &str {
                self.inner.caller.endpoint.as_str()
            }

            /// Makes a query call with the session in force.
            async fn call(
                &self,
                call: $crate::xml::session::QueryCall<'_>,
            ) -> $crate::Result<$crate::Page> {
                self.inner
                    .caller
                    .query(&$calls, call, $read)
                    .await
            }
        }

        $(#[$doc])*
        #[must_use]
        #[derive(Debug, Clone)]
        pub struct $builder {
            settings: $crate::xml::session::SoapSettings,
        }

        impl Default for $builder {
            fn default() -> Self {
                $builder::new()
            }
        }

        impl $builder {
            /// A builder with the default HTTP options and a 15-minute idle limit.
            pub fn new() -> Self {
                $builder {
                    settings: $crate::xml::session::SoapSettings::new($idle),
                }
            }

            #[doc = $endpoint_doc]
            pub fn endpoint(mut self, url: impl Into<String>) -> Self {
                self.settings.endpoint = Some(url.into());
                self
            }

            #[doc = $session_doc]
            pub fn session(mut self, session: impl Into<$crate::Secret>) -> Self {
                self.settings.session = Some(session.into());
                self
            }

            #[doc = $credentials_doc]
            pub fn credentials(
                mut self,
                username: impl Into<String>,
                password: impl Into<$crate::Secret>,
            ) -> Self {
                self.settings.credentials = Some((username.into(), password.into()));
                self
            }

            #[doc = concat!(
                "Any other source of sessions (one shared with other code, say); it replaces [`",
                stringify!($builder),
                "::credentials`]."
            )]
            pub fn auth_provider(
                mut self,
                provider: std::sync::Arc<dyn $crate::auth::AuthProvider>,
            ) -> Self {
                self.settings.provider = Some(provider);
                self
            }

            /// Timeouts and the response size limit.
            pub fn http_options(mut self, options: $crate::HttpOptions) -> Self {
                self.settings.http = options;
                self
            }

            /// How long the server keeps an idle `queryLocator` (default 15
            /// minutes; `None`: never expire client-side).
            pub fn idle_limit(mut self, limit: Option<chrono::TimeDelta>) -> Self {
                self.settings.idle_limit = limit;
                self
            }

            #[doc = $origin_doc]
            pub fn allow_server_url_origin_change(mut self, allow: bool) -> Self {
                self.settings.allow_origin_change = allow;
                self
            }

            /// Checks the settings and builds the backend. No request is sent.
            pub fn build(self) -> $crate::Result<$backend> {
                let backend = self.settings.build(
                    &$dialect,
                    &$calls,
                    $name,
                    concat!(stringify!($builder), "::allow_server_url_origin_change"),
                )?;
                Ok($backend {
                    inner: std::sync::Arc::new(backend),
                })
            }
        }
    };
}

pub(crate) use soap_backend;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::salesforce::soap::envelope::CALLS;
    use crate::salesforce::soap::parse::DIALECT;

    const ENDPOINT: &str = "https://login.salesforce.com/services/Soap/u/58.0";

    fn settings() -> SoapSettings {
        let mut s = SoapSettings::new(TimeDelta::minutes(15));
        s.endpoint = Some(ENDPOINT.into());
        s
    }

    fn build(s: SoapSettings) -> Result<SoapBackend> {
        s.build(&DIALECT, &CALLS, "Partner", "B::allow")
    }

    #[test]
    fn settings_are_checked_before_any_request() {
        type Change = fn(&mut SoapSettings);
        let cases: [(Change, &str); 5] = [
            (|s| s.endpoint = None, "endpoint"),
            (|s| s.endpoint = Some("ftp://x/y".into()), "endpoint"),
            (|_| {}, "credentials"),
            (|s| s.session = Some(Secret::new("")), "session"),
            (
                |s| s.credentials = Some((" ".into(), Secret::new("p"))),
                "credentials",
            ),
        ];
        for (change, what) in cases {
            let mut s = settings();
            if what != "credentials" {
                s.session = Some(Secret::new("s"));
            }
            change(&mut s);
            match build(s) {
                Err(Error::InvalidInput { what: w, .. }) => assert_eq!(w, what),
                Err(other) => panic!("expected InvalidInput({what}), got {other}"),
                Ok(_) => panic!("expected InvalidInput({what})"),
            }
        }
    }

    #[test]
    fn sessions_come_from_the_provider_then_a_login_then_the_fixed_session() {
        let mut fixed = settings();
        fixed.session = Some(Secret::new("s"));
        assert!(!build(fixed).unwrap().can_login);
        let mut login = settings();
        login.credentials = Some(("u".into(), Secret::new("p")));
        assert!(build(login).unwrap().can_login);
        let mut provided = settings();
        provided.provider = Some(Arc::new(StaticToken::new("t")));
        provided.credentials = Some(("u".into(), Secret::new("p")));
        assert!(!build(provided).unwrap().can_login, "the provider wins");
    }

    #[test]
    fn debug_never_shows_a_session_or_password() {
        let mut s = settings();
        s.session = Some(Secret::new("00D!XYZZY-123"));
        s.credentials = Some(("user@example.com".into(), Secret::new("pw-PLUGH-456")));
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("XYZZY") && !shown.contains("PLUGH"),
            "{shown}"
        );
        let backend = build(s).unwrap();
        let login = SoapLogin::new(
            &DIALECT,
            &CALLS,
            backend.caller.endpoint.clone(),
            "user@example.com".into(),
            Secret::new("pw-PLUGH-456"),
            backend.caller.http.clone(),
        );
        for shown in [format!("{:?}", backend.caller), format!("{login:?}")] {
            assert!(
                !shown.contains("XYZZY") && !shown.contains("PLUGH"),
                "{shown}"
            );
            assert!(shown.contains("login.salesforce.com"), "{shown}");
        }
    }
}
