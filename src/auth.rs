//! Sessions: where a backend's credential comes from ([`AuthProvider`]: a
//! [`StaticToken`], OAuth 2.0 [`ClientCredentials`], a SOAP login) and the one
//! rule every backend follows with it — when the service says the session is
//! invalid, authenticate again once and repeat the same call (same cursor).

mod config;
pub(crate) mod oauth;

pub(crate) use config::{AuthConfig, RestCredentials, bearer_header, rest_credential_setters};
pub use oauth::ClientCredentials;

use crate::source::BoxFuture;
use crate::{Result, Secret, SharedClock};
use chrono::{DateTime, Utc};
use std::fmt;
use std::future::Future;
use std::sync::Arc;

/// A credential in force: a session id or bearer token, where to use it, and
/// until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The session id or access token.
    pub token: Secret,
    /// A server URL the login named for later calls (Zuora `ServerUrl`,
    /// Salesforce `instance_url`), if any.
    pub server_url: Option<String>,
    /// When to stop using the credential, if known (providers leave a safety
    /// margin before the service's own expiry).
    pub expires_at: Option<DateTime<Utc>>,
}

impl Session {
    /// A credential with no server URL and no known expiry.
    pub fn new(token: Secret) -> Self {
        Session {
            token,
            server_url: None,
            expires_at: None,
        }
    }
}

/// Where a backend gets its credential.
pub trait AuthProvider: fmt::Debug + Send + Sync + 'static {
    /// Obtains a credential (logs in, asks the token endpoint, or returns a fixed one).
    fn authenticate(&self) -> BoxFuture<'_, Result<Session>>;

    /// True when [`AuthProvider::authenticate`] can produce a new credential, so
    /// retrying after an invalid-session error makes sense.
    fn can_refresh(&self) -> bool;
}

/// A fixed session id or token; it cannot be refreshed.
#[derive(Debug, Clone)]
pub struct StaticToken(Secret);

impl StaticToken {
    /// Wraps a token.
    pub fn new(token: impl Into<Secret>) -> Self {
        StaticToken(token.into())
    }
}

impl AuthProvider for StaticToken {
    fn authenticate(&self) -> BoxFuture<'_, Result<Session>> {
        Box::pin(async move { Ok(Session::new(self.0.clone())) })
    }

    fn can_refresh(&self) -> bool {
        false
    }
}

/// The session a backend holds: fetched lazily, cached, refreshed when it has
/// expired or the service refuses it.
pub(crate) struct SessionManager {
    provider: Arc<dyn AuthProvider>,
    clock: SharedClock,
    current: tokio::sync::Mutex<Option<Session>>,
}

impl fmt::Debug for SessionManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionManager")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

impl SessionManager {
    /// A manager over `provider`.
    pub fn new(provider: Arc<dyn AuthProvider>, clock: SharedClock) -> Self {
        SessionManager {
            provider,
            clock,
            current: tokio::sync::Mutex::new(None),
        }
    }

    /// Starts with `session` in force (one given by the user), so the first
    /// call needs no authentication.
    pub fn with_session(self, session: Session) -> Self {
        SessionManager {
            current: tokio::sync::Mutex::new(Some(session)),
            ..self
        }
    }

    /// The session in force, authenticating when there is none or it has expired.
    pub async fn session(&self) -> Result<Session> {
        let mut current = self.current.lock().await;
        let now = self.clock.now();
        match current.as_ref() {
            Some(s) if s.expires_at.is_none_or(|at| at > now) => Ok(s.clone()),
            _ => {
                let fresh = self.provider.authenticate().await?;
                *current = Some(fresh.clone());
                Ok(fresh)
            }
        }
    }

    /// Forgets `stale` (if it is still the one in force), so the next
    /// [`SessionManager::session`] authenticates again.
    pub async fn invalidate(&self, stale: &Session) {
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(|s| s.token == stale.token) {
            *current = None;
        }
    }

    /// Runs `call` with the session; if the service refuses the session and the
    /// provider can refresh, authenticates once more and repeats `call`.
    pub async fn call<T, F, Fut>(&self, call: F) -> Result<T>
    where
        F: Fn(Session) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let session = self.session().await?;
        match call(session.clone()).await {
            Err(e) if e.is_invalid_session() && self.provider.can_refresh() => {
                tracing::debug!(error = %e, "session refused; authenticating again");
                self.invalidate(&session).await;
                let fresh = self.session().await?;
                call(fresh).await
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BackendKind, Error, Fault};
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Debug, Default)]
    struct Counter(AtomicUsize);

    impl AuthProvider for Counter {
        fn authenticate(&self) -> BoxFuture<'_, Result<Session>> {
            Box::pin(async move {
                let n = self.0.fetch_add(1, Ordering::SeqCst);
                Ok(Session::new(Secret::new(format!("token-{n}"))))
            })
        }
        fn can_refresh(&self) -> bool {
            true
        }
    }

    fn invalid() -> Error {
        Fault::new(BackendKind::ZuoraRest, "INVALID_SESSION", "expired").into()
    }

    #[tokio::test]
    async fn refused_session_is_refreshed_once_and_the_call_repeated() {
        let provider = Arc::new(Counter::default());
        let m = SessionManager::new(provider.clone(), SharedClock::system());
        let seen = std::sync::Mutex::new(Vec::new());
        let out = m
            .call(|s| {
                seen.lock().unwrap().push(s.token.expose().to_owned());
                let first = s.token.expose() == "token-0";
                async move { if first { Err(invalid()) } else { Ok(42) } }
            })
            .await
            .unwrap();
        assert_eq!(out, 42);
        assert_eq!(*seen.lock().unwrap(), ["token-0", "token-1"]);
        // a session that keeps being refused is reported, not looped on
        let err = m
            .call(|_| async { Err::<(), _>(invalid()) })
            .await
            .unwrap_err();
        assert!(err.is_invalid_session());
        assert_eq!(provider.0.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_static_token_is_not_refreshed() {
        let m = SessionManager::new(Arc::new(StaticToken::new("t")), SharedClock::system());
        let calls = AtomicUsize::new(0);
        let err = m
            .call(|_| {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err::<(), _>(invalid()) }
            })
            .await
            .unwrap_err();
        assert!(err.is_invalid_session());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
