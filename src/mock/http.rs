//! Small response helpers the mock backends share: bearer tokens, XML and JSON
//! bodies with the services' content types, and Salesforce's JSON error array.

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
