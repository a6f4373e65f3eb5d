//! What a backend builder was told about credentials ([`AuthConfig`]), checked
//! and turned into an [`AuthProvider`] when the backend is built; the part the
//! bearer-token (REST) builders share ([`RestCredentials`] and its setters,
//! [`rest_credential_setters!`]); and the `Authorization: Bearer` header built
//! from a session, marked sensitive.

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

/// The credential settings the bearer-token backend builders (Zuora REST,
/// Salesforce REST and Bulk) share: the credentials and the HTTP options, which
/// OAuth token requests use too. A builder embeds it as its `auth` field and
/// gets its public setters from [`rest_credential_setters!`].
#[derive(Debug, Clone, Default)]
pub(crate) struct RestCredentials {
    credentials: Option<AuthConfig>,
    http: HttpOptions,
}

impl RestCredentials {
    /// Starts from credentials found elsewhere (the environment), if any.
    pub fn new(credentials: Option<AuthConfig>) -> Self {
        RestCredentials {
            credentials,
            http: HttpOptions::default(),
        }
    }

    /// Sets the credentials, replacing any set before.
    pub fn set(&mut self, credentials: AuthConfig) {
        self.credentials = Some(credentials);
    }

    /// Sets the HTTP options.
    pub fn set_http(&mut self, options: HttpOptions) {
        self.http = options;
    }

    /// The HTTP options set (default: [`HttpOptions::default`]).
    pub fn http(&self) -> &HttpOptions {
        &self.http
    }

    /// The credentials set; when there are none, an `InvalidInput` error about
    /// `credentials` with `missing` as its reason.
    pub fn required(&self, missing: &str) -> Result<&AuthConfig> {
        self.credentials
            .as_ref()
            .ok_or_else(|| Error::InvalidInput {
                what: "credentials",
                reason: missing.into(),
            })
    }

    /// [`RestCredentials::required`], checked and turned into a provider by
    /// [`AuthConfig::into_provider`] with these HTTP options. No request is sent.
    pub fn provider(
        &self,
        backend: BackendKind,
        missing: &str,
        token_url: impl FnOnce() -> Result<Url>,
        clock: SharedClock,
    ) -> Result<Arc<dyn AuthProvider>> {
        self.required(missing)?
            .clone()
            .into_provider(backend, token_url, &self.http, clock)
    }
}

/// Writes a bearer-token builder's public credential setters over its `auth:
/// RestCredentials` field: `access_token`, `client_credentials`,
/// `auth_provider` and `http_options`, in that order, each with the doc
/// comment written before its name (the token URL and refresh rules differ per
/// backend).
macro_rules! rest_credential_setters {
    (
        $(#[$token_doc:meta])* access_token;
        $(#[$client_doc:meta])* client_credentials;
        $(#[$provider_doc:meta])* auth_provider;
        $(#[$http_doc:meta])* http_options;
    ) => {
        $(#[$token_doc])*
        pub fn access_token(mut self, token: impl Into<$crate::Secret>) -> Self {
            self.auth.set($crate::auth::AuthConfig::Token(token.into()));
            self
        }

        $(#[$client_doc])*
        pub fn client_credentials(
            mut self,
            client_id: impl Into<String>,
            client_secret: impl Into<$crate::Secret>,
        ) -> Self {
            self.auth.set($crate::auth::AuthConfig::ClientCredentials {
                client_id: client_id.into(),
                client_secret: client_secret.into(),
            });
            self
        }

        $(#[$provider_doc])*
        pub fn auth_provider(
            mut self,
            provider: ::std::sync::Arc<dyn $crate::auth::AuthProvider>,
        ) -> Self {
            self.auth.set($crate::auth::AuthConfig::Provider(provider));
            self
        }

        $(#[$http_doc])*
        pub fn http_options(mut self, options: $crate::HttpOptions) -> Self {
            self.auth.set_http(options);
            self
        }
    };
}
pub(crate) use rest_credential_setters;

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

    /// `(what, reason)` of an `InvalidInput` error.
    fn invalid<T: fmt::Debug>(r: Result<T>) -> (&'static str, String) {
        match r {
            Err(Error::InvalidInput { what, reason }) => (what, reason),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    #[test]
    fn rest_credentials_are_required_checked_and_never_shown() {
        let mut auth = RestCredentials::default();
        assert_eq!(
            invalid(auth.required("set one")),
            ("credentials", "set one".to_owned())
        );
        auth.set(AuthConfig::Token(Secret::new("line\nbreak-secret")));
        let backend = BackendKind::SalesforceRest;
        let clock = SharedClock::system;
        let e = invalid(auth.provider(backend, "unused", url, clock()));
        assert_eq!(e.0, "access token");
        auth.set(AuthConfig::Token(Secret::new("tok-shown-nowhere")));
        assert!(
            !auth
                .provider(backend, "unused", url, clock())
                .unwrap()
                .can_refresh()
        );
        assert!(!format!("{auth:?}").contains("tok-shown-nowhere"));
        assert_eq!(
            auth.http().max_body_bytes,
            HttpOptions::default().max_body_bytes
        );
    }

    #[test]
    fn the_bearer_builders_name_what_is_missing() {
        use crate::{SalesforceBulk, SalesforceRest, ZuoraRest};
        let cases = [
            (
                invalid(SalesforceRest::builder().access_token("t").build()),
                ("instance URL", "SalesforceRest needs an instance URL"),
            ),
            (
                invalid(
                    SalesforceRest::builder()
                        .instance_url("https://a.b")
                        .build(),
                ),
                (
                    "credentials",
                    "SalesforceRest needs an access token or client credentials",
                ),
            ),
            (
                invalid(SalesforceBulk::builder().access_token("t").build()),
                ("instance URL", "SalesforceBulk needs an instance_url"),
            ),
            (
                invalid(
                    SalesforceBulk::builder()
                        .instance_url("https://a.b")
                        .build(),
                ),
                (
                    "credentials",
                    "SalesforceBulk needs an access token or client credentials",
                ),
            ),
            (
                invalid(ZuoraRest::builder().base_url("https://a.b").build()),
                ("credentials", "set an access token or client credentials"),
            ),
        ];
        for (got, (what, reason)) in cases {
            assert_eq!(got, (what, reason.to_owned()));
        }
    }

    #[test]
    fn bearer_headers_are_sensitive() {
        let h = bearer_header(&Secret::new("abc")).unwrap();
        assert!(h.is_sensitive());
        assert_eq!(h.to_str().unwrap(), "Bearer abc");
    }
}
