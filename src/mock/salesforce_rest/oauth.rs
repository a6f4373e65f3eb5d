//! Mock Salesforce OAuth 2.0 token endpoint, client-credentials flow only
//! (wire-formats §6.1): `POST /services/oauth2/token` with the form
//! `grant_type=client_credentials`, `client_id`, `client_secret` issues a new
//! bearer token valid for REST and Bulk, answered as
//! `{"access_token", "signature", "token_format", "instance_url", "id",
//! "token_type": "Bearer", "issued_at", "scope"}` (no `expires_in`, as the real
//! one). Refusals are 400 `{"error", "error_description"}`:
//! `unsupported_grant_type`, `invalid_client_id`, `invalid_client`.

use crate::mock::MockState;
use crate::mock::http::{TokenForm, host, json};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use serde_json::json;

/// The org id every mock token starts with.
const ORG: &str = "00DMOCK0000000001";

/// `POST /services/oauth2/token`.
pub(super) async fn token(
    State(state): State<MockState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = TokenForm::parse(&body);
    let refuse = |error: &str, description: &str| {
        json(
            StatusCode::BAD_REQUEST,
            &json!({"error": error, "error_description": description}),
        )
    };
    if !form.is_client_credentials() {
        return refuse("unsupported_grant_type", "grant type not supported");
    }
    let creds = state.credentials();
    if form.client_id.as_deref() != Some(&creds.client_id) {
        return refuse("invalid_client_id", "client identifier invalid");
    }
    if form.client_secret.as_deref() != Some(&creds.client_secret) {
        return refuse("invalid_client", "invalid client credentials");
    }
    let host = host(&headers);
    let access_token = state.new_session(&format!("{ORG}!"));
    json(
        StatusCode::OK,
        &json!({
            "access_token": access_token,
            "signature": "bW9jay1zaWduYXR1cmU=",
            "token_format": "opaque",
            "instance_url": format!("http://{host}"),
            "id": format!("https://login.salesforce.com/id/{ORG}AAA/005MOCK000000001AAA"),
            "token_type": "Bearer",
            "issued_at": state.clock().now().timestamp_millis().to_string(),
            "scope": "api",
        }),
    )
}
