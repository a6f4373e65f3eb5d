//! What the Salesforce backends share: API version handling, the instance URL,
//! and the JSON error body (`[{"message", "errorCode"}]`) turned into a [`Fault`].

use crate::auth::AuthConfig;
use crate::transport::{HttpResponse, excerpt, looks_like_html};
use crate::{BackendKind, Error, Fault, Result, Secret};
use url::Url;

/// The API version used when none is set.
pub(crate) const DEFAULT_API_VERSION: &str = "62.0";

/// Normalises `62`, `62.0` or `v62.0` to `62.0`.
pub(crate) fn normalize_version(v: &str) -> Result<String> {
    let t = v.trim().trim_start_matches(['v', 'V']);
    let (major, minor) = t.split_once('.').unwrap_or((t, "0"));
    let ok = !major.is_empty()
        && major.chars().all(|c| c.is_ascii_digit())
        && minor.chars().all(|c| c.is_ascii_digit())
        && !minor.is_empty();
    if !ok {
        return Err(Error::InvalidInput {
            what: "API version",
            reason: format!("expected a version like 62.0, got {v:?}"),
        });
    }
    Ok(format!("{major}.{minor}"))
}

/// The major version number (`58` for `58.0`).
pub(crate) fn major_version(v: &str) -> u32 {
    v.split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

/// `/services/data/v62.0`
pub(crate) fn data_path(version: &str) -> String {
    format!("/services/data/v{version}")
}

/// Parses an instance URL (`https://na1.my.salesforce.com`), keeping only its origin.
pub(crate) fn instance_url(s: &str) -> Result<Url> {
    let url = Url::parse(s.trim()).map_err(|e| Error::InvalidInput {
        what: "instance URL",
        reason: format!("{s:?}: {e}"),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Error::InvalidInput {
            what: "instance URL",
            reason: format!("{s:?} is not an http(s) URL"),
        });
    }
    let mut base = url;
    base.set_path("/");
    base.set_query(None);
    base.set_fragment(None);
    Ok(base)
}

/// The instance URL a builder was given, parsed by [`instance_url`]; when it
/// was not given, an `InvalidInput` error with `missing` as its reason.
pub(crate) fn required_instance_url(url: Option<&str>, missing: &str) -> Result<Url> {
    instance_url(url.ok_or_else(|| Error::InvalidInput {
        what: "instance URL",
        reason: missing.into(),
    })?)
}

/// The OAuth 2.0 token endpoint on an instance (client credentials need the
/// My Domain host): `{instance}/services/oauth2/token`.
pub(crate) fn token_url(instance: &Url) -> Result<Url> {
    instance
        .join("/services/oauth2/token")
        .map_err(|e| Error::InvalidInput {
            what: "instance URL",
            reason: format!("cannot build the token URL: {e}"),
        })
}

/// Credentials from `SALESFORCE_ACCESS_TOKEN`, else from `SALESFORCE_CLIENT_ID`
/// and `SALESFORCE_CLIENT_SECRET`.
pub(crate) fn credentials_from(lookup: &impl Fn(&str) -> Option<String>) -> Option<AuthConfig> {
    if let Some(token) = lookup("SALESFORCE_ACCESS_TOKEN") {
        return Some(AuthConfig::Token(Secret::from(token)));
    }
    Some(AuthConfig::ClientCredentials {
        client_id: lookup("SALESFORCE_CLIENT_ID")?,
        client_secret: Secret::from(lookup("SALESFORCE_CLIENT_SECRET")?),
    })
}

#[derive(serde::Deserialize)]
struct ErrorItem {
    #[serde(rename = "errorCode", alias = "error")]
    error_code: Option<String>,
    #[serde(alias = "error_description")]
    message: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum ErrorBody {
    Many(Vec<ErrorItem>),
    One(ErrorItem),
}

/// The error for a non-success response: the JSON error array (or OAuth
/// `{"error", "error_description"}`) as a [`Fault`] with code and message; an HTML
/// page or other body as a protocol error naming the status.
pub(crate) fn error_from_response(backend: BackendKind, resp: &HttpResponse) -> Error {
    let parsed = serde_json::from_slice::<ErrorBody>(&resp.body).ok();
    let first = match parsed {
        Some(ErrorBody::Many(items)) => items.into_iter().next(),
        Some(ErrorBody::One(item)) => Some(item),
        None => None,
    };
    if let Some(ErrorItem {
        error_code: Some(code),
        message,
    }) = first
    {
        return Fault::new(backend, code, message.unwrap_or_default())
            .with_status(resp.status)
            .with_retry_after(resp.retry_after())
            .into();
    }
    status_error(backend, resp)
}

/// A response with no recognisable error body: 401 is an invalid session, 429
/// and 5xx are retryable faults, HTML is a protocol error, the rest name the status.
pub(crate) fn status_error(backend: BackendKind, resp: &HttpResponse) -> Error {
    let code = match resp.status {
        401 => "INVALID_SESSION_ID",
        429 => "REQUEST_LIMIT_EXCEEDED",
        503 => "SERVER_UNAVAILABLE",
        s if s >= 500 => "SERVER_ERROR",
        _ if looks_like_html(&resp.body) => {
            return Error::protocol(
                backend,
                format!(
                    "HTTP {} with an HTML page instead of an API response",
                    resp.status
                ),
            );
        }
        _ => "HTTP_ERROR",
    };
    let message = if resp.body.is_empty() {
        format!("HTTP {} with an empty body", resp.status)
    } else if looks_like_html(&resp.body) {
        format!("HTTP {} with an HTML page", resp.status)
    } else {
        excerpt(&resp.body)
    };
    Fault::new(backend, code, message)
        .with_status(resp.status)
        .with_retry_after(resp.retry_after())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: HeaderMap::new(),
            body: bytes::Bytes::copy_from_slice(body.as_bytes()),
        }
    }

    #[test]
    fn versions_normalise() {
        assert_eq!(normalize_version("v58.0").unwrap(), "58.0");
        assert_eq!(normalize_version("62").unwrap(), "62.0");
        assert!(normalize_version("latest").is_err());
        assert_eq!(major_version("58.0"), 58);
    }

    #[test]
    fn error_array_becomes_a_typed_fault() {
        let e = error_from_response(
            BackendKind::SalesforceRest,
            &resp(
                400,
                r#"[{"message":"invalid query locator","errorCode":"INVALID_QUERY_LOCATOR"}]"#,
            ),
        );
        assert!(e.is_cursor_expired());
        assert_eq!(
            e.to_string(),
            "salesforce-rest fault INVALID_QUERY_LOCATOR: invalid query locator (HTTP 400)"
        );
        let e = error_from_response(
            BackendKind::SalesforceRest,
            &resp(
                401,
                "[{\"message\":\"Session expired or invalid\",\"errorCode\":\"INVALID_SESSION_ID\"}]",
            ),
        );
        assert!(e.is_invalid_session());
    }

    #[test]
    fn bodies_without_an_error_array_still_classify() {
        assert!(error_from_response(BackendKind::SalesforceBulk, &resp(503, "")).is_retryable());
        let html = error_from_response(
            BackendKind::SalesforceRest,
            &resp(404, "<html><body>Not here</body></html>"),
        );
        assert!(matches!(html, Error::Protocol { .. }), "{html}");
    }
}
