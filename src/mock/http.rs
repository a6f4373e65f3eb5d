//! Small request and response helpers the mock backends share: bearer
//! tokens, the `Host` a client called, OAuth token request forms, XML and
//! JSON bodies with the services' content types, and Salesforce's JSON error
//! array.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The token of an `Authorization: Bearer <token>` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The `Host` the client called (`127.0.0.1` when it sent none).
pub(crate) fn host(headers: &HeaderMap) -> &str {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
}

/// The fields of an OAuth 2.0 client-credentials token request form.
#[derive(Debug, Default)]
pub(crate) struct TokenForm {
    /// `client_id`.
    pub client_id: Option<String>,
    /// `client_secret`.
    pub client_secret: Option<String>,
    /// `grant_type`.
    pub grant_type: Option<String>,
}

impl TokenForm {
    /// Reads a form body; other fields are ignored.
    pub(crate) fn parse(body: &[u8]) -> Self {
        let mut form = TokenForm::default();
        for (k, v) in url::form_urlencoded::parse(body) {
            let slot = match &*k {
                "client_id" => &mut form.client_id,
                "client_secret" => &mut form.client_secret,
                "grant_type" => &mut form.grant_type,
                _ => continue,
            };
            *slot = Some(v.into_owned());
        }
        form
    }

    /// True for `grant_type=client_credentials`.
    pub(crate) fn is_client_credentials(&self) -> bool {
        self.grant_type.as_deref() == Some("client_credentials")
    }
}

/// A SOAP body: `text/xml; charset=utf-8`.
pub(crate) fn xml(status: StatusCode, body: Vec<u8>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

/// A JSON body: `application/json;charset=UTF-8`, as Salesforce sends it.
pub(crate) fn json(status: StatusCode, value: &impl serde::Serialize) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        body,
    )
        .into_response()
}

/// Salesforce's error body: `[{"message": ..., "errorCode": ...}]`.
pub(crate) fn salesforce_error(status: StatusCode, code: &str, message: &str) -> Response {
    json(
        status,
        &serde_json::json!([{ "message": message, "errorCode": code }]),
    )
}
