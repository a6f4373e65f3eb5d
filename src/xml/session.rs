//! A SOAP dialect's session, shared by the dialects: `login(username,
//! password)` as an [`AuthProvider`] ([`SoapLogin`]), and [`SoapCaller`], which
//! makes each call with the session in force — through the shared
//! [`SessionManager`], so a refused session is replaced by one new login and
//! the same call made again — at the server URL the login named (checked
//! against the endpoint's origin before any session is sent there).

use super::dialect::Dialect;
use super::http::{display_url, post, server_url};
use crate::auth::{AuthProvider, Session, SessionManager};
use crate::source::BoxFuture;
use crate::transport::{Http, HttpResponse};
use crate::{Result, Secret};
use std::fmt;
use std::future::Future;
use url::Url;

/// Builds a dialect's `login` envelope.
pub(crate) type LoginEnvelope = fn(&str, &Secret) -> Vec<u8>;

/// Logs in at a SOAP endpoint with a username and password.
pub(crate) struct SoapLogin {
    dialect: &'static Dialect,
    envelope: LoginEnvelope,
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
    /// A provider posting `envelope(username, password)` to `endpoint`.
    pub(crate) fn new(
        dialect: &'static Dialect,
        envelope: LoginEnvelope,
        endpoint: Url,
        username: String,
        password: Secret,
        http: Http,
    ) -> Self {
        SoapLogin {
            dialect,
            envelope,
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
            let body = (self.envelope)(&self.username, &self.password);
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

    /// Posts `envelope(session id)` and reads the answer with `read`; a refused
    /// session that can be replaced is, and the call made once more.
    pub(crate) async fn call<T, E, R>(&self, what: &str, envelope: E, read: R) -> Result<T>
    where
        E: Fn(&Secret) -> Vec<u8>,
        R: Fn(&HttpResponse) -> Result<T>,
    {
        self.sessions
            .call(|session| self.send(what, session, &envelope, &read))
            .await
    }

    fn send<'a, T, E, R>(
        &'a self,
        what: &'a str,
        session: Session,
        envelope: &'a E,
        read: &'a R,
    ) -> impl Future<Output = Result<T>> + 'a
    where
        E: Fn(&Secret) -> Vec<u8>,
        R: Fn(&HttpResponse) -> Result<T>,
    {
        async move {
            let url = self.call_url(&session)?;
            tracing::debug!(backend = %self.dialect.kind, call = what, url = %display_url(&url), "soap call");
            let resp = post(&self.http, &url, envelope(&session.token)).await?;
            read(&resp)
        }
    }
}
