//! OAuth 2.0 client credentials, the same for Zuora (`POST {base}/oauth/token`)
//! and Salesforce (`POST {instance}/services/oauth2/token`): a form POST of
//! `client_id`, `client_secret` and `grant_type=client_credentials`, answered
//! with `access_token` (plus `expires_in` from Zuora, `instance_url` from
//! Salesforce) or with `{"error", "error_description"}`. The secret and the
//! token are [`Secret`]s; no error quotes the body of a successful answer,
//! since it holds the token.

use super::{AuthProvider, Session};
use crate::source::BoxFuture;
use crate::transport::{Http, HttpOptions, HttpResponse, excerpt, looks_like_html};
use crate::{BackendKind, Error, Fault, FaultCode, Result, Secret, SharedClock};
use chrono::{DateTime, TimeDelta, Utc};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use std::fmt;
use url::Url;

/// OAuth 2.0 client credentials (Zuora `/oauth/token`, Salesforce
/// `/services/oauth2/token`). A token is used until a little before its
/// `expires_in` runs out (a tenth of its life, at most a minute), or until the
/// service refuses it.
pub struct ClientCredentials {
    backend: BackendKind,
    token_url: Url,
    client_id: String,
    client_secret: Secret,
    http: Http,
    clock: SharedClock,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("backend", &self.backend)
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .finish()
    }
}

impl ClientCredentials {
    /// A provider asking `token_url` for tokens.
    pub fn new(
        backend: BackendKind,
        token_url: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
        http: &HttpOptions,
    ) -> Result<Self> {
        let token_url = Url::parse(token_url).map_err(|e| Error::InvalidInput {
            what: "token URL",
            reason: format!("{token_url:?}: {e}"),
        })?;
        Ok(ClientCredentials {
            backend,
            token_url,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            http: Http::new(backend, http)?,
            clock: SharedClock::system(),
        })
    }

    /// The clock used to compute token expiry.
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The form body of the token request.
    fn form(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", self.client_secret.expose())
            .append_pair("grant_type", "client_credentials")
            .finish()
    }
}

impl AuthProvider for ClientCredentials {
    fn authenticate(&self) -> BoxFuture<'_, Result<Session>> {
        Box::pin(async move {
            let sent = self.clock.now();
            let req = self
                .http
                .client()
                .post(self.token_url.clone())
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(ACCEPT, "application/json")
                .body(self.form());
            let resp = self.http.execute(req).await?;
            let session = parse_token_response(self.backend, &resp, sent)?;
            tracing::debug!(backend = %self.backend, "fetched an OAuth token");
            Ok(session)
        })
    }

    fn can_refresh(&self) -> bool {
        true
    }
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    instance_url: Option<String>,
}

#[derive(serde::Deserialize)]
struct TokenError {
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// The token endpoint's answer, requested at `sent`, as a session (or the
/// typed error it carries).
pub(crate) fn parse_token_response(
    backend: BackendKind,
    resp: &HttpResponse,
    sent: DateTime<Utc>,
) -> Result<Session> {
    if !(200..300).contains(&resp.status) {
        return Err(token_error(backend, resp));
    }
    if looks_like_html(&resp.body) {
        return Err(Error::protocol(
            backend,
            format!(
                "the token endpoint answered HTTP {} with an HTML page",
                resp.status
            ),
        ));
    }
    let wire: TokenResponse = serde_json::from_slice(&resp.body).map_err(|e| {
        // serde's message may quote a value, and this body holds the token.
        let at = format!("line {}, column {}", e.line(), e.column());
        if e.is_eof() {
            Error::truncated(backend, format!("the token response ends early ({at})"))
        } else {
            Error::protocol(backend, format!("not a valid token response ({at})"))
        }
    })?;
    let token = wire
        .access_token
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| Error::protocol(backend, "the token response has no `access_token`"))?;
    Ok(Session {
        token: Secret::new(token),
        server_url: wire.instance_url,
        expires_at: wire
            .expires_in
            .and_then(|s| TimeDelta::try_seconds(s.max(0)))
            .map(|life| refresh_at(sent, life)),
    })
}

/// When to stop using a token that lives `life` from `requested`: a tenth of
/// its life early, at most a minute early.
fn refresh_at(requested: DateTime<Utc>, life: TimeDelta) -> DateTime<Utc> {
    let margin = (life / 10).min(TimeDelta::minutes(1));
    requested + life - margin
}

/// A refused token request: the OAuth `{"error", "error_description"}` as a
/// fault (a refused client is [`FaultCode::InvalidLogin`]), else by status.
fn token_error(backend: BackendKind, resp: &HttpResponse) -> Error {
    let status = resp.status;
    let body: Option<TokenError> = serde_json::from_slice(&resp.body).ok();
    if let Some(TokenError {
        error: Some(code),
        error_description,
        message,
    }) = body
    {
        let refused = status == 401
            || matches!(
                code.as_str(),
                "invalid_client" | "invalid_client_id" | "invalid_grant" | "unauthorized_client"
            );
        let mut fault = Fault::new(
            backend,
            code,
            error_description.or(message).unwrap_or_default(),
        )
        .with_status(status)
        .with_retry_after(resp.retry_after());
        if refused {
            fault = fault.with_code(FaultCode::InvalidLogin);
        }
        return fault.into();
    }
    let html = looks_like_html(&resp.body);
    let (raw, code) = match status {
        401 | 403 => ("INVALID_LOGIN", Some(FaultCode::InvalidLogin)),
        429 => ("REQUEST_LIMIT_EXCEEDED", None),
        503 => ("SERVER_UNAVAILABLE", None),
        s if s >= 500 => ("SERVER_ERROR", None),
        _ if html => {
            return Error::protocol(
                backend,
                format!("the token endpoint answered HTTP {status} with an HTML page"),
            );
        }
        _ => ("", None),
    };
    let message = if resp.body.is_empty() {
        format!("HTTP {status} with an empty body from the token endpoint")
    } else if html {
        format!("HTTP {status} with an HTML page from the token endpoint")
    } else {
        excerpt(&resp.body)
    };
    let raw = if raw.is_empty() {
        format!("HTTP_{status}")
    } else {
        raw.to_owned()
    };
    let mut fault = Fault::new(backend, raw, message)
        .with_status(status)
        .with_retry_after(resp.retry_after());
    if let Some(code) = code {
        fault = fault.with_code(code);
    }
    fault.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    const KIND: BackendKind = BackendKind::ZuoraRest;

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: HeaderMap::new(),
            body: bytes::Bytes::copy_from_slice(body.as_bytes()),
        }
    }

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    fn parse(status: u16, body: &str) -> Result<Session> {
        parse_token_response(KIND, &resp(status, body), t0())
    }

    fn protocol_message(e: &Error) -> &str {
        match e {
            Error::Protocol { message, .. } => message,
            other => panic!("not a protocol error: {other}"),
        }
    }

    #[test]
    fn client_credentials_debug_hides_the_secret() {
        let c = ClientCredentials::new(
            KIND,
            "http://127.0.0.1:9/oauth/token",
            "id",
            "very-secret-value",
            &HttpOptions::default(),
        )
        .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("very-secret-value"), "{shown}");
    }

    #[test]
    fn the_form_is_url_encoded() {
        let c = ClientCredentials::new(
            KIND,
            "http://127.0.0.1:9/oauth/token",
            "id 1",
            "s&e=c",
            &HttpOptions::default(),
        )
        .unwrap();
        assert_eq!(
            c.form(),
            "client_id=id+1&client_secret=s%26e%3Dc&grant_type=client_credentials"
        );
    }

    #[test]
    fn tokens_are_refreshed_a_little_early() {
        let t = t0();
        assert_eq!(
            refresh_at(t, TimeDelta::seconds(3600)),
            t + TimeDelta::seconds(3540)
        );
        assert_eq!(
            refresh_at(t, TimeDelta::seconds(100)),
            t + TimeDelta::seconds(90)
        );
        assert_eq!(refresh_at(t, TimeDelta::zero()), t);
    }

    #[test]
    fn token_responses() {
        let s = parse(
            200,
            r#"{"access_token": "tok-123", "token_type": "bearer", "expires_in": 3599, "scope": "user.1", "jti": "j"}"#,
        )
        .unwrap();
        assert_eq!(s.token.expose(), "tok-123");
        assert_eq!(s.expires_at, Some(t0() + TimeDelta::seconds(3599 - 60)));
        assert!(!format!("{s:?}").contains("tok-123"));
        let sf = parse(
            200,
            r#"{"access_token": "00D!x", "instance_url": "https://na1.example.com", "token_type": "Bearer", "issued_at": "1700000000000"}"#,
        )
        .unwrap();
        assert_eq!(
            (sf.expires_at, sf.server_url.as_deref()),
            (None, Some("https://na1.example.com"))
        );

        for bad in [r#"{"token_type": "bearer"}"#, r#"{"access_token": "  "}"#] {
            let e = parse(200, bad).unwrap_err();
            assert!(protocol_message(&e).contains("no `access_token`"), "{e}");
        }
        // A malformed body is reported without quoting it: it may hold the token.
        let e = parse(
            200,
            r#"{"access_token": "sekrit-tok", "expires_in": "sekrit-2"}"#,
        )
        .unwrap_err();
        assert!(!e.to_string().contains("sekrit"), "{e}");
        let e = parse(200, r#"{"access_token": "sekrit-tok""#).unwrap_err();
        assert!(e.is_retryable() && !e.to_string().contains("sekrit"), "{e}");
        let e = parse(200, "<html>login</html>").unwrap_err();
        assert!(protocol_message(&e).contains("HTML"), "{e}");
    }

    #[test]
    fn refused_token_requests_are_typed() {
        let e = parse(
            401,
            r#"{"error": "invalid_client", "error_description": "Bad client credentials"}"#,
        )
        .unwrap_err();
        assert_eq!(e.fault().unwrap().code, FaultCode::InvalidLogin);
        assert_eq!(
            e.to_string(),
            "zuora-rest fault invalid_client: Bad client credentials (HTTP 401)"
        );
        let e = parse(
            400,
            r#"{"error": "invalid_client_id", "error_description": "client identifier invalid"}"#,
        )
        .unwrap_err();
        assert_eq!(e.fault().unwrap().code, FaultCode::InvalidLogin);
        let e = parse(401, "").unwrap_err();
        assert_eq!(e.fault().unwrap().code, FaultCode::InvalidLogin);
        assert!(!e.is_retryable());
        assert!(parse(503, "").unwrap_err().is_retryable());
        assert!(parse(429, "slow down").unwrap_err().is_retryable());
        let e = parse(400, r#"{"error": "unsupported_grant_type"}"#).unwrap_err();
        assert_eq!(
            e.fault().unwrap().code,
            FaultCode::Other("unsupported_grant_type".into())
        );
        let e = parse(404, "<html><body>nope</body></html>").unwrap_err();
        assert!(protocol_message(&e).contains("HTML"), "{e}");
    }
}
