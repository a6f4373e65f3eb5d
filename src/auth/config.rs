//! What a backend builder was told about credentials ([`AuthConfig`]), checked
//! and turned into an [`AuthProvider`] when the backend is built, and the
//! `Authorization: Bearer` header built from a session, marked sensitive.

use super::{AuthProvider, ClientCredentials, StaticToken};
use crate::{BackendKind, Error, HttpOptions, Result, Secret, SharedClock};
use reqwest::header::HeaderValue;
use std::fmt;
use std::sync::Arc;
use url::Url;

/// The credentials set on a builder.
#[derive(Clone)]
pub(crate) enum AuthConfig {
    /// A token or session id obtained elsewhere; it cannot be refreshed.
    Token(Secret),
    /// OAuth 2.0 client credentials, exchanged at the backend's token URL.
    ClientCredentials {
        /// The OAuth client id (not secret).
        client_id: String,
        /// The OAuth client secret.
        client_secret: Secret,
    },
    /// Any other provider.
    Provider(Arc<dyn AuthProvider>),
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthConfig::Token(_) => f.write_str("AccessToken([REDACTED])"),
            AuthConfig::ClientCredentials { client_id, .. } => f
                .debug_struct("ClientCredentials")
                .field("client_id", client_id)
                .field("client_secret", &"[REDACTED]")
                .finish(),
            AuthConfig::Provider(p) => f.debug_tuple("Provider").field(p).finish(),
        }
    }
}

impl AuthConfig {
    /// Checks the settings and builds the provider; `token_url` is asked only
    /// for client credentials. No request is sent.
    pub fn into_provider(
        self,
        backend: BackendKind,
        token_url: impl FnOnce() -> Result<Url>,
        http: &HttpOptions,
        clock: SharedClock,
    ) -> Result<Arc<dyn AuthProvider>> {
        let invalid = |reason: &str| Error::InvalidInput {
            what: "credentials",
            reason: reason.into(),
        };
        match self {
            AuthConfig::Token(token) => {
                if token.expose().trim().is_empty() {
                    return Err(invalid("the access token is empty"));
                }
                bearer_header(&token)?;
                Ok(Arc::new(StaticToken::new(token)))
            }
            AuthConfig::ClientCredentials {
                client_id,
                client_secret,
            } => {
                if client_id.trim().is_empty() || client_secret.is_empty() {
                    return Err(invalid("the client id or client secret is empty"));
                }
                let url = token_url()?;
                Ok(Arc::new(
                    ClientCredentials::new(backend, url.as_str(), client_id, client_secret, http)?
                        .with_clock(clock),
                ))
            }
            AuthConfig::Provider(p) => Ok(p),
        }
    }
}

/// `Bearer <token>` as a header value marked sensitive (so it is never logged).
/// The error never quotes the token.
pub(crate) fn bearer_header(token: &Secret) -> Result<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
        Error::InvalidInput {
            what: "access token",
            reason: "the token holds characters not allowed in an HTTP header".into(),
        }
    })?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Result<Url> {
        Ok(Url::parse("http://127.0.0.1:9/oauth/token").unwrap())
    }

    #[test]
    fn settings_are_checked_and_never_shown() {
        let build = |c: AuthConfig| {
            c.into_provider(
                BackendKind::ZuoraRest,
                url,
                &HttpOptions::default(),
                SharedClock::system(),
            )
        };
        for bad in [
            AuthConfig::Token(Secret::new(" ")),
            AuthConfig::Token(Secret::new("line\nbreak-secret")),
            AuthConfig::ClientCredentials {
                client_id: "id".into(),
                client_secret: Secret::new(""),
            },
        ] {
            let e = build(bad).unwrap_err();
            assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
            assert!(!e.to_string().contains("break-secret"), "{e}");
        }
        let p = build(AuthConfig::Token(Secret::new("tok-visible-nowhere"))).unwrap();
        assert!(!p.can_refresh());
        let cc = AuthConfig::ClientCredentials {
            client_id: "cid".into(),
            client_secret: Secret::new("hunter2"),
        };
        let shown = format!("{cc:?} {:?}", build(cc.clone()).unwrap());
        assert!(
            shown.contains("cid") && !shown.contains("hunter2"),
            "{shown}"
        );
        assert!(!format!("{:?}", AuthConfig::Token(Secret::new("tok-9"))).contains("tok-9"));
    }

    #[test]
    fn bearer_headers_are_sensitive() {
        let h = bearer_header(&Secret::new("abc")).unwrap();
        assert!(h.is_sensitive());
        assert_eq!(h.to_str().unwrap(), "Bearer abc");
    }
}
