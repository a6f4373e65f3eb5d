//! Bearer tokens for the Zuora REST backend: a fixed token, or OAuth 2.0 client
//! credentials (`POST {base}/oauth/token`, wire-formats §6.3) fetched on first
//! use, cached until shortly before `expires_in` runs out, and fetched again
//! when a request is refused with 401. Tokens and the client secret are
//! [`Secret`]s; nothing here prints them.

use super::parse::{TokenGrant, parse_token_response};
use crate::transport::Http;
use crate::{Result, Secret, SharedClock};
use chrono::{DateTime, TimeDelta, Utc};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use std::fmt;
use url::Url;

/// How the backend authenticates.
#[derive(Clone)]
pub(crate) enum Credentials {
    /// A token obtained elsewhere; a 401 is final.
    Static(Secret),
    /// OAuth 2.0 client credentials.
    ClientCredentials {
        /// The OAuth client id (not secret).
        client_id: String,
        /// The OAuth client secret.
        client_secret: Secret,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Static(_) => f.write_str("AccessToken([REDACTED])"),
            Credentials::ClientCredentials { client_id, .. } => f
                .debug_struct("ClientCredentials")
                .field("client_id", client_id)
                .field("client_secret", &"[REDACTED]")
                .finish(),
        }
    }
}

struct Cached {
    token: Secret,
    refresh_at: Option<DateTime<Utc>>,
}

/// The token source of one backend, shared by all its requests.
pub(crate) struct Auth {
    credentials: Credentials,
    token_url: Url,
    clock: SharedClock,
    cached: tokio::sync::Mutex<Option<Cached>>,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("credentials", &self.credentials)
            .field("token_url", &self.token_url.as_str())
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// A token source; `token_url` is used only for client credentials.
    pub fn new(credentials: Credentials, token_url: Url, clock: SharedClock) -> Self {
        Auth {
            credentials,
            token_url,
            clock,
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// True when a refused token can be replaced by a new one.
    pub fn can_refresh(&self) -> bool {
        matches!(self.credentials, Credentials::ClientCredentials { .. })
    }

    /// The token to send: the fixed one, or the cached one while it is fresh,
    /// else a new one from the token endpoint (one fetch at a time).
    pub async fn token(&self, http: &Http) -> Result<Secret> {
        let (client_id, client_secret) = match &self.credentials {
            Credentials::Static(token) => return Ok(token.clone()),
            Credentials::ClientCredentials {
                client_id,
                client_secret,
            } => (client_id, client_secret),
        };
        let mut cached = self.cached.lock().await;
        let now = self.clock.now();
        if let Some(c) = cached.as_ref()
            && c.refresh_at.is_none_or(|at| now < at)
        {
            return Ok(c.token.clone());
        }
        let req = http
            .client()
            .post(self.token_url.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .body(token_form(client_id, client_secret));
        let resp = http.execute(req).await?;
        let grant = parse_token_response(&resp)?;
        let token = grant.access_token.clone();
        *cached = Some(Cached {
            refresh_at: refresh_at(now, &grant),
            token: grant.access_token,
        });
        tracing::debug!(backend = "zuora-rest", "fetched an OAuth token");
        Ok(token)
    }

    /// Forgets `used` after the server refused it (unless another request has
    /// already replaced it), so the next [`Auth::token`] fetches a new one.
    pub async fn invalidate(&self, used: &Secret) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| &c.token == used) {
            *cached = None;
        }
    }
}

/// When to fetch a new token: a little before it expires (a tenth of its life,
/// at most a minute), measured from when it was requested.
fn refresh_at(requested: DateTime<Utc>, grant: &TokenGrant) -> Option<DateTime<Utc>> {
    let life = grant.expires_in?;
    let margin = (life / 10).min(TimeDelta::minutes(1));
    Some(requested + life - margin)
}

/// The form body of the token request.
pub(crate) fn token_form(client_id: &str, client_secret: &Secret) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("client_secret", client_secret.expose())
        .append_pair("grant_type", "client_credentials")
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_is_url_encoded() {
        assert_eq!(
            token_form("id 1", &Secret::new("s&e=c")),
            "client_id=id+1&client_secret=s%26e%3Dc&grant_type=client_credentials"
        );
    }

    #[test]
    fn tokens_are_refreshed_a_little_early() {
        let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let grant = |secs| TokenGrant {
            access_token: Secret::new("x"),
            expires_in: Some(TimeDelta::seconds(secs)),
        };
        assert_eq!(
            refresh_at(t, &grant(3600)),
            Some(t + TimeDelta::seconds(3540))
        );
        assert_eq!(refresh_at(t, &grant(100)), Some(t + TimeDelta::seconds(90)));
        assert_eq!(refresh_at(t, &grant(0)), Some(t));
        let forever = TokenGrant {
            access_token: Secret::new("x"),
            expires_in: None,
        };
        assert_eq!(refresh_at(t, &forever), None);
    }

    #[test]
    fn debug_hides_the_secret() {
        let c = Credentials::ClientCredentials {
            client_id: "cid".into(),
            client_secret: Secret::new("hunter2"),
        };
        let shown = format!("{c:?}");
        assert!(
            shown.contains("cid") && !shown.contains("hunter2"),
            "{shown}"
        );
        let shown = format!("{:?}", Credentials::Static(Secret::new("tok-9")));
        assert!(!shown.contains("tok-9"), "{shown}");
    }
}
