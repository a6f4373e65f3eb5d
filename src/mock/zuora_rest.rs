//! Mock Zuora REST query actions and OAuth token endpoint, over the shared data
//! set and cursor store:
//!
//! - `POST /oauth/token` (form `client_id`, `client_secret`,
//!   `grant_type=client_credentials`) issues a new bearer token; bad credentials
//!   get 401 `{"error": "invalid_client", ...}`.
//! - `POST /v1/action/query` `{"queryString", "conf": {"batchSize"}}` and
//!   `POST /v1/action/queryMore` `{"queryLocator", "conf": {"batchSize"}}` answer
//!   `{"size", "records", "queryLocator", "done"}` with Zuora's record shape: `Id`
//!   first (even when not selected), then the selected fields in the table's
//!   canonical order, null fields omitted, numbers and booleans as JSON numbers
//!   and booleans. The locator is `<32 hex>-<row offset>`; the last page has none.
//! - `batchSize` absent or 0 means 2000; above 2000 is capped at 2000; negative is
//!   400 `INVALID_VALUE`. On `queryMore`, an absent `conf` keeps the query's size.
//! - A missing or unknown bearer token (or an injected `ExpireSession`, which
//!   also ends the token) is 401 `{"message": "Authentication error"}`. Injected
//!   protocol faults do not apply to `/oauth/token` (it carries no token or
//!   locator); they are used up by it all the same.
//! - An unknown, evicted, idle-expired (shared clock) or injected-invalid locator
//!   is 400 `{"FaultCode": "INVALID_VALUE", "FaultMessage": "invalid queryLocator ..."}`
//!   (Zuora's ErrorCode list has no `INVALID_QUERY_LOCATOR`); query errors are
//!   400 with the select error's code (`MALFORMED_QUERY`, `INVALID_TYPE`, `INVALID_FIELD`).
//!
//! - A selected relationship field (`BillToContact.WorkEmail`, a join as
//!   Zuora's export ZOQL has them) is a flat dotted key, which the client nests.
//!
//! The Zuora SOAP mock serves the same tables the same way, so a query returns
//! the same rows over both.

use super::cursors::ServedPage;
use super::dataset::Table;
use super::http::{TokenForm, bearer};
use super::{Injected, MockFault, MockState, injected, select};
use crate::{Record, Value};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Map, json};

/// The largest page, and the page size when none (or 0) is asked for.
const MAX_BATCH: usize = 2000;
/// How long an issued token is said to live.
const TOKEN_LIFETIME_SECS: u64 = 3599;

/// The routes this backend serves.
pub(crate) fn routes() -> Router<MockState> {
    Router::new()
        .route("/oauth/token", post(token))
        .route("/v1/action/query", post(query))
        .route("/v1/action/queryMore", post(query_more))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryBody {
    query_string: String,
    #[serde(default)]
    conf: Option<ConfBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryMoreBody {
    query_locator: String,
    #[serde(default)]
    conf: Option<ConfBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfBody {
    #[serde(default)]
    batch_size: Option<i64>,
}

async fn token(State(state): State<MockState>, body: Bytes) -> Response {
    let form = TokenForm::parse(&body);
    if !form.is_client_credentials() {
        return zuora_json(
            StatusCode::BAD_REQUEST,
            &json!({"error": "unsupported_grant_type", "error_description": "Unsupported grant type"}),
        );
    }
    let creds = state.credentials();
    if form.client_id.as_deref() != Some(&creds.client_id)
        || form.client_secret.as_deref() != Some(&creds.client_secret)
    {
        return zuora_json(
            StatusCode::UNAUTHORIZED,
            &json!({"error": "invalid_client", "error_description": "Bad client credentials"}),
        );
    }
    let access_token = state.new_session("zuora-rest-token-");
    let jti = access_token
        .rsplit('-')
        .next()
        .unwrap_or_default()
        .to_owned();
    zuora_json(
        StatusCode::OK,
        &json!({
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": TOKEN_LIFETIME_SECS,
            "scope": "entity.mock tenant.mock user.mock",
            "jti": jti,
        }),
    )
}

async fn query(
    State(state): State<MockState>,
    headers: HeaderMap,
    fault: Injected,
    body: Bytes,
) -> Result<Response, Refused> {
    let owner = authorize(&state, &headers, injected(&fault))?;
    let req: QueryBody = serde_json::from_slice(&body).map_err(|e| Refused::bad_body(&e))?;
    let batch = batch_size(req.conf.as_ref())?.unwrap_or(MAX_BATCH);
    let dataset = state.dataset();
    let sel = select::parse(&req.query_string, dataset.tables())
        .map_err(|e| Refused::fault(e.code(), e.message()))?;
    let table = dataset
        .table(&sel.object)
        .ok_or_else(|| Refused::fault("INVALID_TYPE", format!("unknown object {}", sel.object)))?;
    let id = format!("2c92c0f9{:024x}", state.cursors().next_id());
    let page = state.cursors().open(
        dataset,
        id.clone(),
        table,
        zuora_fields(table, &sel.fields),
        false,
        batch,
        &owner,
        state.clock().now(),
    );
    Ok(respond(&state, &id, page).await)
}

async fn query_more(
    State(state): State<MockState>,
    headers: HeaderMap,
    fault: Injected,
    body: Bytes,
) -> Result<Response, Refused> {
    let fault = injected(&fault);
    authorize(&state, &headers, fault)?;
    let req: QueryMoreBody = serde_json::from_slice(&body).map_err(|e| Refused::bad_body(&e))?;
    let batch = batch_size(req.conf.as_ref())?;
    let locator = req.query_locator;
    let invalid = || Refused::fault("INVALID_VALUE", format!("invalid queryLocator {locator}"));
    if fault == Some(&MockFault::InvalidLocator) {
        return Err(invalid());
    }
    let (id, position) = split_locator(&locator).ok_or_else(invalid)?;
    let page = state
        .cursors()
        .next(state.dataset(), id, position, batch, state.clock().now())
        .map_err(|_| invalid())?;
    Ok(respond(&state, id, page).await)
}

/// Why a request was refused; rendered as Zuora renders it.
#[derive(Debug)]
enum Refused {
    /// 401 `{"message": "Authentication error"}`.
    Unauthorized,
    /// 400 `{"FaultCode", "FaultMessage"}`.
    Fault { code: &'static str, message: String },
}

impl Refused {
    fn fault(code: &'static str, message: impl Into<String>) -> Self {
        Refused::Fault {
            code,
            message: message.into(),
        }
    }

    fn bad_body(e: &serde_json::Error) -> Self {
        Refused::fault("INVALID_VALUE", format!("invalid request body: {e}"))
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Unauthorized => zuora_json(
                StatusCode::UNAUTHORIZED,
                &json!({"message": "Authentication error"}),
            ),
            Refused::Fault { code, message } => zuora_json(
                StatusCode::BAD_REQUEST,
                &json!({"FaultCode": code, "FaultMessage": message}),
            ),
        }
    }
}

/// The live bearer token of the request. An injected `ExpireSession` ends the
/// token for good.
fn authorize(
    state: &MockState,
    headers: &HeaderMap,
    fault: Option<&MockFault>,
) -> Result<String, Refused> {
    state
        .live_session(bearer(headers), fault)
        .map(str::to_owned)
        .ok_or(Refused::Unauthorized)
}

/// The requested page size: `None` when not given, 2000 for 0 or above 2000.
fn batch_size(conf: Option<&ConfBody>) -> Result<Option<usize>, Refused> {
    match conf.and_then(|c| c.batch_size) {
        None => Ok(None),
        Some(n) if n < 0 => Err(Refused::fault(
            "INVALID_VALUE",
            format!("batchSize must be between 1 and {MAX_BATCH}, got {n}"),
        )),
        Some(0) => Ok(Some(MAX_BATCH)),
        Some(n) => Ok(Some(
            usize::try_from(n).map_or(MAX_BATCH, |n| n.min(MAX_BATCH)),
        )),
    }
}

/// `<32 hex>-<offset>` → (query id, row offset).
fn split_locator(locator: &str) -> Option<(&str, usize)> {
    let (id, position) = locator.rsplit_once('-')?;
    let hex = id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit());
    Some((id, position.parse().ok()?)).filter(|_| hex)
}

/// Zuora's field order: `Id` first (returned even when not selected), then the
/// selected fields in the table's canonical order.
pub(crate) fn zuora_fields(table: &dyn Table, selected: &[String]) -> Vec<String> {
    let canonical = table.fields();
    let id = canonical.iter().filter(|f| *f == "Id");
    let rest = canonical
        .iter()
        .filter(|f| *f != "Id" && selected.contains(f));
    id.chain(rest).cloned().collect()
}

/// A record as Zuora REST writes it: null fields omitted, numbers and booleans
/// as JSON numbers and booleans, no `attributes`, a relationship field
/// flattened to its dotted name (`"BillToContact.WorkEmail"`), as the SOAP
/// mock writes it too.
fn zuora_record(record: &Record) -> serde_json::Value {
    let mut out = Map::with_capacity(record.len());
    for (path, value) in record.flatten() {
        if let Value::Null = value {
            continue;
        }
        let v = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
        out.insert(path, v);
    }
    serde_json::Value::Object(out)
}

async fn respond(state: &MockState, id: &str, page: ServedPage) -> Response {
    state.page_delay(page.records.len()).await;
    let mut body = Map::new();
    body.insert("size".into(), json!(page.total));
    body.insert(
        "records".into(),
        page.records.iter().map(zuora_record).collect(),
    );
    if let Some(next) = page.next {
        body.insert("queryLocator".into(), json!(format!("{id}-{next}")));
    }
    body.insert("done".into(), json!(page.next.is_none()));
    zuora_json(StatusCode::OK, &serde_json::Value::Object(body))
}

/// A JSON body with Zuora's content type.
fn zuora_json(status: StatusCode, value: &serde_json::Value) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::Dataset;

    #[test]
    fn a_relationship_field_is_a_flat_dotted_key() {
        let ds = Dataset::sample(3);
        let t = ds.table("Account").unwrap();
        let fields = zuora_fields(t, &["Name".into(), "BillToContact.WorkEmail".into()]);
        let row = crate::mock::dataset::project(&t.row(1), &fields);
        let json = zuora_record(&row);
        assert_eq!(json["BillToContact.WorkEmail"], "billing2@example.com");
        assert!(json.get("BillToContact").is_none(), "{json}");
        let back: Record = serde_json::from_value(json).unwrap();
        assert_eq!(
            back.get_path("BillToContact.WorkEmail"),
            Some(&Value::from("billing2@example.com"))
        );
    }

    #[test]
    fn id_comes_first_then_canonical_order() {
        let ds = Dataset::sample(3);
        let t = ds.table("Account").unwrap();
        let fields = zuora_fields(
            t,
            &["Name".into(), "Balance".into(), "AccountNumber".into()],
        );
        assert_eq!(fields, ["Id", "AccountNumber", "Balance", "Name"]);
    }

    #[test]
    fn nulls_are_omitted_and_numbers_stay_numbers() {
        let r = Record::new()
            .with("Id", "a")
            .with("Balance", 12.5)
            .with("BillCycleDay", 3i64)
            .with("AutoPay", true)
            .with("Notes", Value::Null);
        assert_eq!(
            zuora_record(&r).to_string(),
            r#"{"Id":"a","Balance":12.5,"BillCycleDay":3,"AutoPay":true}"#
        );
    }

    #[test]
    fn locators_split_into_id_and_offset() {
        let id = "2c92c0f9602fb240016049ac7e0b47e7";
        assert_eq!(split_locator(&format!("{id}-4000")), Some((id, 4000)));
        assert_eq!(split_locator("abc-4000"), None);
        assert_eq!(split_locator(&format!("{id}-x")), None);
        assert_eq!(split_locator(id), None);
    }
}
