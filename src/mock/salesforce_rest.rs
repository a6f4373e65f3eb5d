//! Mock Salesforce REST query endpoints, shaped like the real service so that
//! third-party clients page through them unchanged:
//!
//! - `GET /services/data/vXX.X/query?q=` and `/queryAll?q=` (deleted rows only
//!   with `queryAll`), with `Sforce-Query-Options: batchSize=N` as a hint
//!   (clamped into 200..=2000, default 2000);
//! - `GET /services/data/vXX.X/query/{locator}` and `/queryAll/{locator}`, the
//!   locator looking like the real one (`01gQ02000000001AAA-2000`); `queryAll`'s
//!   `nextRecordsUrl` points at `/query/…` as the real one does;
//! - `Authorization: Bearer` checked against the live sessions (401
//!   `INVALID_SESSION_ID`; an injected `ExpireSession` ends the token, which
//!   stays refused until the client asks for a new one), server-side cursors in the shared
//!   [`CursorStore`](super::cursors::CursorStore) (idle expiry, per-user open
//!   limit: 400 `INVALID_QUERY_LOCATOR`), SOQL errors as `MALFORMED_QUERY`,
//!   `INVALID_TYPE`, `INVALID_FIELD`;
//! - responses `application/json;charset=UTF-8` with `Sforce-Limit-Info`, every
//!   record carrying `attributes {type, url}`, null fields present as `null`,
//!   relationships nested, child subqueries as `{totalSize, done, records}`;
//! - `POST /services/oauth2/token` (client credentials) issuing new tokens
//!   (`oauth.rs`).

mod json;
mod oauth;
pub(super) mod subquery;

use super::cursors::{CursorError, ServedPage};
use super::http::{bearer, salesforce_error};
use super::{Injected, MockFault, MockState, injected, select};
use crate::BackendKind;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use json::Projection;

/// The page size when the request names none, and the range a hint is clamped into.
const DEFAULT_BATCH: usize = 2000;
const MIN_BATCH: usize = 200;

/// The daily API request allowance reported in `Sforce-Limit-Info`.
const API_LIMIT: usize = 15_000;

/// The routes this backend serves.
pub(crate) fn routes() -> Router<MockState> {
    Router::new()
        .route("/services/oauth2/token", post(oauth::token))
        .route("/services/data/{version}/query", get(query::<false>))
        .route("/services/data/{version}/queryAll", get(query::<true>))
        .route("/services/data/{version}/query/{locator}", get(query_more))
        .route(
            "/services/data/{version}/queryAll/{locator}",
            get(query_more),
        )
}

/// `…/query?q=`, or `…/queryAll?q=` when `ALL` (deleted rows included).
async fn query<const ALL: bool>(
    State(state): State<MockState>,
    Path(version): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    fault: Injected,
) -> Response {
    first_page(&state, &version, raw, &headers, fault, ALL).await
}

/// `…/query?q=` and `…/queryAll?q=`: opens a cursor and serves its first page.
async fn first_page(
    state: &MockState,
    version: &str,
    raw_query: Option<String>,
    headers: &HeaderMap,
    fault: Injected,
    include_deleted: bool,
) -> Response {
    let owner = match authorize(state, version, headers, &fault) {
        Ok(owner) => owner,
        Err(refusal) => return refusal.response(),
    };
    let soql = raw_query
        .as_deref()
        .and_then(|raw| {
            url::form_urlencoded::parse(raw.as_bytes())
                .find(|(k, _)| k == "q")
                .map(|(_, v)| v.into_owned())
        })
        .filter(|q| !q.trim().is_empty());
    let Some(soql) = soql else {
        return salesforce_error(
            StatusCode::BAD_REQUEST,
            "MALFORMED_QUERY",
            "A query string has to be specified",
        );
    };
    let dataset = state.dataset();
    let (table_index, fields) = match subquery::plan(&soql, dataset) {
        Ok(plan) => plan,
        Err(e) => return select_error(&e),
    };
    let Some(table) = dataset.tables().nth(table_index) else {
        return select_error(&select::SelectError::UnknownObject(soql));
    };
    let id = locator_id(include_deleted, table_index, state.cursors().next_id());
    let page = state.cursors().open(
        dataset,
        id.clone(),
        table,
        fields,
        include_deleted,
        batch_hint(headers).unwrap_or(DEFAULT_BATCH),
        &owner,
        state.clock().now(),
    );
    serve(state, version, &id, 0, page).await
}

/// `…/query/{locator}` and `…/queryAll/{locator}`: the next page of a cursor.
async fn query_more(
    State(state): State<MockState>,
    Path((version, locator)): Path<(String, String)>,
    headers: HeaderMap,
    fault: Injected,
) -> Response {
    if let Err(refusal) = authorize(&state, &version, &headers, &fault) {
        return refusal.response();
    }
    let invalid = || {
        salesforce_error(
            StatusCode::BAD_REQUEST,
            "INVALID_QUERY_LOCATOR",
            "invalid query locator",
        )
    };
    if injected(&fault) == Some(&MockFault::InvalidLocator) {
        return invalid();
    }
    let Some((id, position)) = parse_locator(&locator) else {
        return invalid();
    };
    let served = state.cursors().next(
        state.dataset(),
        id,
        position,
        batch_hint(&headers),
        state.clock().now(),
    );
    match served {
        Ok(page) => serve(&state, &version, id, position, page).await,
        Err(CursorError::Unknown | CursorError::Expired) => invalid(),
    }
}

/// Why a request was turned away before reaching its resource.
enum Refusal {
    /// The version segment is not `vNN.N`.
    UnknownVersion,
    /// No bearer token, an unknown one, or an injected expiry.
    InvalidSession,
}

impl Refusal {
    fn response(self) -> Response {
        match self {
            Refusal::UnknownVersion => salesforce_error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "The requested resource does not exist",
            ),
            Refusal::InvalidSession => salesforce_error(
                StatusCode::UNAUTHORIZED,
                "INVALID_SESSION_ID",
                "Session expired or invalid",
            ),
        }
    }
}

/// Checks the API version in the path and the bearer token (an injected
/// session expiry ends it); returns the token, which owns the cursors it opens.
fn authorize(
    state: &MockState,
    version: &str,
    headers: &HeaderMap,
    fault: &Injected,
) -> Result<String, Refusal> {
    if !is_version(version) {
        return Err(Refusal::UnknownVersion);
    }
    state
        .live_session(bearer(headers), injected(fault))
        .map(str::to_owned)
        .ok_or(Refusal::InvalidSession)
}

/// `v62.0`
fn is_version(segment: &str) -> bool {
    segment.strip_prefix('v').is_some_and(|v| {
        v.split_once('.').is_some_and(|(major, minor)| {
            !major.is_empty()
                && !minor.is_empty()
                && major.bytes().all(|b| b.is_ascii_digit())
                && minor.bytes().all(|b| b.is_ascii_digit())
        })
    })
}

/// `batchSize=N` from `Sforce-Query-Options`, clamped into 200..=2000.
fn batch_hint(headers: &HeaderMap) -> Option<usize> {
    let value = headers.get("sforce-query-options")?.to_str().ok()?;
    value.split([',', ';']).find_map(|opt| {
        let (k, v) = opt.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("batchSize") {
            return None;
        }
        let n: i64 = v.trim().parse().ok()?;
        Some(n.clamp(MIN_BATCH as i64, DEFAULT_BATCH as i64) as usize)
    })
}

/// The 15 characters after `01g` in a locator: scope (`Q` query, `A` queryAll),
/// the table's index in the data set, and a serial number.
pub(super) fn locator_id(include_deleted: bool, table_index: usize, serial: u64) -> String {
    let scope = if include_deleted { 'A' } else { 'Q' };
    format!(
        "{scope}{:02}{:09}AAA",
        table_index % 100,
        serial % 1_000_000_000
    )
}

/// Splits `01g<id>-<position>` into the cursor id and the raw row position.
pub(super) fn parse_locator(locator: &str) -> Option<(&str, usize)> {
    let (id, position) = locator.strip_prefix("01g")?.rsplit_once('-')?;
    if id.len() != 15 || !id.is_ascii() {
        return None;
    }
    Some((id, position.parse().ok()?))
}

/// What a locator id says: whether deleted rows are in, and which table.
pub(super) fn locator_scope(id: &str) -> Option<(bool, usize)> {
    let include_deleted = match id.as_bytes().first()? {
        b'A' => true,
        b'Q' => false,
        _ => return None,
    };
    Some((include_deleted, id.get(1..3)?.parse().ok()?))
}

/// Writes a page: `{totalSize, done, nextRecordsUrl, records}` plus the
/// `Sforce-Limit-Info` header. `start` is the raw row position the page began at.
async fn serve(
    state: &MockState,
    version: &str,
    id: &str,
    start: usize,
    page: ServedPage,
) -> Response {
    state.page_delay(page.records.len()).await;
    let dataset = state.dataset();
    let (include_deleted, table_index) = locator_scope(id).unwrap_or((false, 0));
    let Some(table) = dataset.tables().nth(table_index) else {
        return salesforce_error(
            StatusCode::BAD_REQUEST,
            "INVALID_QUERY_LOCATOR",
            "invalid query locator",
        );
    };
    let projection = Projection {
        dataset,
        table,
        include_deleted,
        version,
    };
    let next_records_url = page
        .next
        .map(|pos| format!("/services/data/{version}/query/01g{id}-{pos}"));
    let body = projection.page_json(&page, start, next_records_url);
    let mut resp = super::http::json(StatusCode::OK, &body);
    if let Ok(v) = HeaderValue::from_str(&format!("api-usage={}/{API_LIMIT}", api_usage(state))) {
        resp.headers_mut().insert("sforce-limit-info", v);
    }
    resp
}

/// Requests made to this backend so far (the daily usage the real service reports).
fn api_usage(state: &MockState) -> u64 {
    state.requests_served(BackendKind::SalesforceRest)
}

fn select_error(e: &select::SelectError) -> Response {
    salesforce_error(StatusCode::BAD_REQUEST, e.code(), &e.message())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locators_round_trip() {
        let id = locator_id(true, 2, 17);
        assert_eq!(id, "A02000000017AAA");
        let locator = format!("01g{id}-2000");
        assert_eq!(parse_locator(&locator), Some((id.as_str(), 2000)));
        assert_eq!(locator_scope(&id), Some((true, 2)));
        for bad in [
            "",
            "01g-5",
            "01gA02000000017AAA",
            "xxgA02000000017AAA-5",
            "01gA02000000017AAA-x",
        ] {
            assert_eq!(parse_locator(bad), None, "{bad}");
        }
    }

    #[test]
    fn batch_hint_is_clamped() {
        let mut h = HeaderMap::new();
        assert_eq!(batch_hint(&h), None);
        for (v, want) in [
            ("batchSize=500", Some(500)),
            ("batchSize=5", Some(200)),
            ("batchSize=9000", Some(2000)),
            ("batchSize=x", None),
        ] {
            h.insert("sforce-query-options", HeaderValue::from_static(v));
            assert_eq!(batch_hint(&h), want, "{v}");
        }
        assert!(is_version("v62.0"));
        assert!(!is_version("62.0") && !is_version("v62") && !is_version("vx.0"));
    }
}
