//! [`ZuoraLogin`]: the SOAP `login(username, password)` call as an
//! [`AuthProvider`]. Its session id goes into `SessionHeader`; its `ServerUrl`
//! names where the calls that follow go (checked against the endpoint's origin
//! by [`ZuoraSoap`](super::ZuoraSoap) before any session is sent there).

use super::envelope::login_envelope;
use super::{display_url, parse, post};
use crate::auth::{AuthProvider, Session};
use crate::source::BoxFuture;
use crate::transport::Http;
use crate::{BackendKind, Error, HttpOptions, Result, Secret};
use std::fmt;
use url::Url;

/// Logs in to a Zuora SOAP endpoint with a username and password; a refused
/// session is replaced by a new login.
pub struct ZuoraLogin {
    endpoint: Url,
    username: String,
    password: Secret,
    http: Http,
}

impl fmt::Debug for ZuoraLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZuoraLogin")
            .field("endpoint", &display_url(&self.endpoint))
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

impl ZuoraLogin {
    /// A provider logging in at `endpoint` (e.g.
    /// `https://apisandbox.zuora.com/apps/services/a/78.0`).
    pub fn new(
        endpoint: &str,
        username: impl Into<String>,
        password: impl Into<Secret>,
        http: &HttpOptions,
    ) -> Result<Self> {
        let endpoint = Url::parse(endpoint.trim()).map_err(|e| Error::InvalidInput {
            what: "endpoint",
            reason: format!("not a URL: {e}"),
        })?;
        Ok(Self::from_parts(
            endpoint,
            username.into(),
            password.into(),
            Http::new(BackendKind::ZuoraSoap, http)?,
        ))
    }

    pub(super) fn from_parts(
        endpoint: Url,
        username: String,
        password: Secret,
        http: Http,
    ) -> Self {
        ZuoraLogin {
            endpoint,
            username,
            password,
            http,
        }
    }
}

impl AuthProvider for ZuoraLogin {
    fn authenticate(&self) -> BoxFuture<'_, Result<Session>> {
        Box::pin(async move {
            tracing::debug!(endpoint = %display_url(&self.endpoint), "zuora login");
            let body = login_envelope(&self.username, &self.password);
            let resp = post(&self.http, &self.endpoint, body).await?;
            let login = parse::login_response(&resp)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_password() {
        let l = ZuoraLogin::new(
            "https://apisandbox.zuora.com/apps/services/a/78.0?x=secret-q",
            "user@example.com",
            "pw-PLUGH",
            &HttpOptions::default(),
        )
        .unwrap();
        let shown = format!("{l:?}");
        assert!(shown.contains("user@example.com"), "{shown}");
        assert!(
            !shown.contains("PLUGH") && !shown.contains("secret-q"),
            "{shown}"
        );
        assert!(l.can_refresh());
    }
}
