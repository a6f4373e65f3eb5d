//! Thin entry points into the pure response parsers, for `cargo fuzz` targets
//! and the malformed-input property tests (feature `fuzz-api`; not a stable
//! API). Each takes raw bytes as they would come off the wire and returns how
//! many records were read, or the error.

use crate::transport::HttpResponse;
use crate::{BackendKind, Result};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

/// A response with `status` and `content_type` around `body`.
fn response(status: u16, content_type: &'static str, body: &[u8]) -> HttpResponse {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    HttpResponse {
        status,
        headers,
        body: bytes::Bytes::copy_from_slice(body),
    }
}

/// Zuora SOAP `query` (or `queryMore`) response body → records read. A SOAP
/// fault is an `Err`.
pub fn zuora_soap_query(body: &[u8], query_more: bool) -> Result<usize> {
    use crate::zuora::soap::parse::{QueryOp, Reply, classify, parse_query};
    let op = if query_more {
        QueryOp::QueryMore
    } else {
        QueryOp::Query
    };
    match parse_query(body, op)? {
        Reply::Ok(page) => Ok(page.records.len()),
        Reply::Fault(f) => Err(classify(&f).into()),
    }
}

/// Zuora SOAP `login` response body → 1 when a session was read.
pub fn zuora_soap_login(body: &[u8]) -> Result<usize> {
    use crate::zuora::soap::parse::{Reply, classify, parse_login};
    match parse_login(body)? {
        Reply::Ok(_) => Ok(1),
        Reply::Fault(f) => Err(classify(&f).into()),
    }
}

/// Salesforce SOAP partner `query` (`op` 0), `queryMore` (1) or `queryAll`
/// (2) response body → records read. A SOAP fault is an `Err`.
pub fn salesforce_soap_query(body: &[u8], op: u8) -> Result<usize> {
    use crate::salesforce::soap::parse::{DIALECT, QueryOp, parse_query};
    use crate::xml::http::Reply;
    let op = match op % 3 {
        0 => QueryOp::Query,
        1 => QueryOp::QueryMore,
        _ => QueryOp::QueryAll,
    };
    match parse_query(body, op)? {
        Reply::Ok(page) => Ok(page.records.len()),
        Reply::Fault(f) => Err((DIALECT.classify)(&f).into()),
    }
}

/// Salesforce SOAP partner `login` response body → 1 when a session was read.
pub fn salesforce_soap_login(body: &[u8]) -> Result<usize> {
    use crate::salesforce::soap::parse::DIALECT;
    use crate::xml::http::Reply;
    match DIALECT.parse_login(body)? {
        Reply::Ok(_) => Ok(1),
        Reply::Fault(f) => Err((DIALECT.classify)(&f).into()),
    }
}

/// Zuora REST `query` / `queryMore` page body → records read.
pub fn zuora_rest_page(body: &[u8]) -> Result<usize> {
    crate::zuora::rest::parse::parse_page(body, Some("Account")).map(|p| p.records.len())
}

/// Zuora REST error answer (`status`, JSON body) → the typed error it becomes.
pub fn zuora_rest_error(status: u16, body: &[u8]) -> crate::Error {
    use crate::zuora::rest::parse::{Action, error_from_response};
    error_from_response(
        &response(status, "application/json", body),
        Action::QueryMore,
    )
}

/// Salesforce REST query page body → records read.
pub fn salesforce_rest_page(body: &[u8]) -> Result<usize> {
    crate::salesforce::rest::parse::parse_query_page(body).map(|p| p.records.len())
}

/// Salesforce `Sforce-Limit-Info` header → counters read.
pub fn salesforce_limit_info(header: &str) -> usize {
    crate::salesforce::rest::parse::parse_limit_info(header).len()
}

/// Salesforce JSON error answer (`status`, body) → the typed error it becomes.
pub fn salesforce_error(status: u16, body: &[u8]) -> crate::Error {
    crate::salesforce::common::error_from_response(
        BackendKind::SalesforceRest,
        &response(status, "application/json", body),
    )
}

/// OAuth token endpoint answer (`status`, body) → 1 when a token was read.
pub fn oauth_token(status: u16, body: &[u8]) -> Result<usize> {
    let resp = response(status, "application/json", body);
    crate::auth::oauth::parse_token_response(
        BackendKind::ZuoraRest,
        &resp,
        chrono::DateTime::UNIX_EPOCH,
    )
    .map(|_| 1)
}

/// Salesforce Bulk results CSV with `delimiter` → rows read; with
/// `expected_rows` (the `Sforce-NumberOfRecords` header) a different count is
/// an `Err`, as the backend treats it.
pub fn salesforce_bulk_csv(
    body: &[u8],
    delimiter: u8,
    expected_rows: Option<usize>,
) -> Result<usize> {
    let rows = crate::salesforce::bulk::rows::parse(body, delimiter, Some("Account"))?;
    match expected_rows {
        Some(n) if n != rows.records.len() => Err(crate::Error::protocol(
            BackendKind::SalesforceBulk,
            format!("{} rows, expected {n}", rows.records.len()),
        )),
        _ => Ok(rows.records.len()),
    }
}
