//! Pure parsers for the Zuora REST query actions: a response (status, headers,
//! body) becomes a page or a typed [`Error`]. No I/O here, so every bad-input
//! case is unit-tested with plain bytes. (The OAuth token response is read by
//! the shared [`ClientCredentials`](crate::auth::ClientCredentials).)
//!
//! Error mapping:
//! - 400 `{"FaultCode", "FaultMessage"}` is a [`Fault`] classified by its code.
//!   Zuora's ErrorCode list has no `INVALID_QUERY_LOCATOR` (wire-formats §0.1), so
//!   a `queryMore` refused with `INVALID_VALUE` (or an unknown code) whose message
//!   names the locator is classified as [`FaultCode::InvalidQueryLocator`]: that
//!   is the only way to tell "restart the query" from a bad argument.
//! - 401 `{"message"}` is [`FaultCode::InvalidSession`] (raw code `INVALID_SESSION`,
//!   Zuora's own name for it, since the body carries none).
//! - 429 is [`FaultCode::RequestLimitExceeded`] with its `Retry-After`; 5xx is a
//!   retryable fault; an HTML page, a wrong content type, malformed JSON or a page
//!   that contradicts itself is an [`Error::Protocol`]; a body cut short is a
//!   retryable one.

use super::wire::{FaultResponse, MessageResponse, QueryResponse};
use crate::transport::{HttpResponse, excerpt, looks_like_html};
use crate::{BackendKind, Cursor, CursorToken, Error, Fault, FaultCode, Record, Result};

const KIND: BackendKind = BackendKind::ZuoraRest;

/// Which action a response answers; it decides how a refused locator is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// `POST /v1/action/query`.
    Query,
    /// `POST /v1/action/queryMore`.
    QueryMore,
}

impl Action {
    /// The path below the base URL.
    pub fn path(self) -> &'static str {
        match self {
            Action::Query => "v1/action/query",
            Action::QueryMore => "v1/action/queryMore",
        }
    }
}

/// One page as the wire gave it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParsedPage {
    /// The records, in server order.
    pub records: Vec<Record>,
    /// The locator of the next page; `None` on the last page.
    pub query_locator: Option<String>,
    /// `size`: the total number of rows the query matches.
    pub size: Option<u64>,
}

/// A `query` / `queryMore` response: the page on 2xx, the typed error otherwise.
/// Records get `object_type` when it is known.
pub(crate) fn parse_response(
    resp: &HttpResponse,
    action: Action,
    object_type: Option<&str>,
) -> Result<ParsedPage> {
    if !(200..300).contains(&resp.status) {
        return Err(error_from_response(resp, action));
    }
    require_json(resp)?;
    parse_page(&resp.body, object_type)
}

/// How far from the end of a body [`tail_locator`] looks.
const TAIL: usize = 512;

/// Offers the next page's cursor from a successful JSON `resp` before its
/// records are parsed (call [`parse_response`] after it), so that page's
/// request overlaps this page's parsing. Zuora writes `queryLocator` after the
/// records, near the end of the body, so it is looked for there. True when it
/// offered one.
pub(crate) fn offer_tail(resp: &HttpResponse) -> bool {
    if !(200..300).contains(&resp.status) || require_json(resp).is_err() {
        return false;
    }
    let mut offered = false;
    crate::lookahead::offer_next(|| {
        let cursor =
            tail_locator(&resp.body).map(|l| Cursor::new(KIND, CursorToken::Locator(l.to_owned())));
        offered = cursor.is_some();
        cursor
    });
    offered
}

/// The `queryLocator` string near the end of `body`, read without parsing the
/// rest: the last `"queryLocator"` key in the last [`TAIL`] bytes followed by
/// a plain string (no escapes). Only a hint for lookahead: the page's parsed
/// locator decides, so a record field that happens to look like one costs at
/// most a cancelled request.
fn tail_locator(body: &[u8]) -> Option<&str> {
    const KEY: &[u8] = b"\"queryLocator\"";
    let tail = &body[body.len().saturating_sub(TAIL)..];
    let at = tail.windows(KEY.len()).rposition(|w| w == KEY)?;
    let rest = tail[at + KEY.len()..].trim_ascii_start();
    let rest = rest.strip_prefix(b":")?.trim_ascii_start();
    let rest = rest.strip_prefix(b"\"")?;
    let end = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
    if rest.get(end) != Some(&b'"') || end == 0 {
        return None;
    }
    std::str::from_utf8(&rest[..end]).ok()
}

/// The body of a 200 answer. `done` must be present and agree with the
/// presence of `queryLocator` (absent, `null` or empty on the last page).
pub(crate) fn parse_page(body: &[u8], object_type: Option<&str>) -> Result<ParsedPage> {
    let wire: QueryResponse = crate::json_body::parse(body).map_err(|e| json_error(&e))?;
    let query_locator = wire.query_locator.filter(|l| !l.is_empty());
    match (wire.done, &query_locator) {
        (None, _) => return Err(Error::protocol(KIND, "the response has no `done` field")),
        (Some(false), None) => {
            return Err(Error::protocol(
                KIND,
                "`done` is false but no `queryLocator` was sent",
            ));
        }
        (Some(true), Some(_)) => {
            return Err(Error::protocol(
                KIND,
                "`done` is true but a `queryLocator` was sent",
            ));
        }
        _ => {}
    }
    let mut records = wire.records.unwrap_or_default();
    if let Some(t) = object_type {
        for r in &mut records {
            r.set_object_type(t);
        }
    }
    Ok(ParsedPage {
        records,
        query_locator,
        size: wire.size,
    })
}

/// The error for a non-2xx answer to `query` / `queryMore`.
pub(crate) fn error_from_response(resp: &HttpResponse, action: Action) -> Error {
    if let Ok(FaultResponse {
        fault_code: Some(code),
        fault_message,
    }) = serde_json::from_slice(&resp.body)
    {
        let mut fault = Fault::new(KIND, code, fault_message.unwrap_or_default())
            .with_status(resp.status)
            .with_retry_after(resp.retry_after());
        let locator_refused = action == Action::QueryMore
            && matches!(fault.code, FaultCode::InvalidValue | FaultCode::Other(_))
            && fault.message.to_ascii_lowercase().contains("locator");
        if locator_refused {
            fault = fault.with_code(FaultCode::InvalidQueryLocator);
        }
        match resp.status {
            401 => fault = fault.with_code(FaultCode::InvalidSession),
            429 => fault = fault.with_code(FaultCode::RequestLimitExceeded),
            _ => {}
        }
        return fault.into();
    }
    status_error(resp)
}

/// A non-2xx answer without a `FaultResponse`: the body's `message` (and numeric
/// `code`, if any) or an excerpt, classified by status (a bare 401 is an
/// invalid session).
fn status_error(resp: &HttpResponse) -> Error {
    let status = resp.status;
    let html = is_html(&resp.body);
    let (raw, code) = match status {
        401 => ("INVALID_SESSION", Some(FaultCode::InvalidSession)),
        429 => (
            "REQUEST_EXCEEDED_LIMIT",
            Some(FaultCode::RequestLimitExceeded),
        ),
        503 => ("SERVER_UNAVAILABLE", Some(FaultCode::ServerUnavailable)),
        s if s >= 500 => ("UNKNOWN_ERROR", None),
        _ if html => {
            return Error::protocol(
                KIND,
                format!("HTTP {status} with an HTML page instead of an API response"),
            );
        }
        _ => ("", None),
    };
    let body: Option<MessageResponse> = serde_json::from_slice(&resp.body).ok();
    let body_code = body.as_ref().and_then(|b| match &b.code {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    });
    let message = match body.and_then(|b| b.message) {
        Some(m) => m,
        None if resp.body.is_empty() => format!("HTTP {status} with an empty body"),
        None if html => format!("HTTP {status} with an HTML page"),
        None => excerpt(&resp.body),
    };
    let raw = match body_code {
        Some(c) => c,
        None if raw.is_empty() => format!("HTTP_{status}"),
        None => raw.to_owned(),
    };
    let mut fault = Fault::new(KIND, raw, message)
        .with_status(status)
        .with_retry_after(resp.retry_after());
    if let Some(code) = code {
        fault = fault.with_code(code);
    }
    fault.into()
}

/// Refuses an HTML page or a body that is not declared as JSON.
fn require_json(resp: &HttpResponse) -> Result<()> {
    if is_html(&resp.body) {
        return Err(Error::protocol(
            KIND,
            format!("HTTP {} with an HTML page instead of JSON", resp.status),
        ));
    }
    let ct = resp.content_type();
    if ct == "application/json" || ct.ends_with("+json") {
        return Ok(());
    }
    let shown = if ct.is_empty() { "none" } else { ct.as_str() };
    Err(Error::protocol(
        KIND,
        format!("expected a JSON response, got content type {shown}"),
    ))
}

/// An HTML page (a login or proxy error page). Only a body that starts with
/// markup counts, so JSON whose data mentions `<html>` is still read as JSON.
fn is_html(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') && looks_like_html(body)
}

/// A JSON error: a body that ends early is a retryable truncation; anything
/// else is malformed.
fn json_error(e: &serde_json::Error) -> Error {
    if e.is_eof() {
        return Error::truncated(
            KIND,
            format!(
                "the JSON body ends early (line {}, column {})",
                e.line(),
                e.column()
            ),
        );
    }
    Error::protocol(KIND, format!("not a valid query response: {e}"))
}

/// The object named after `from` in a ZOQL query (`select Id from Account` →
/// `Account`), used as the records' object type since Zuora REST records do not
/// carry one.
pub(crate) fn object_type_of(query: &str) -> Option<String> {
    let mut words = query.split_whitespace();
    words.find(|w| w.eq_ignore_ascii_case("from"))?;
    let name: String = words
        .next()?
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locator_is_found_near_the_end_without_parsing() {
        let page = br#"{"records": [{"Id": "a", "queryLocator": "not-this"}], "size": 9,
            "done": false, "queryLocator" : "2c92c0f9602fb240016049ac7e0b47e7-4000"}"#;
        assert_eq!(
            tail_locator(page),
            Some("2c92c0f9602fb240016049ac7e0b47e7-4000")
        );
        for none in [
            &br#"{"records": [], "size": 0, "done": true}"#[..],
            br#"{"records": [], "done": true, "queryLocator": null}"#,
            br#"{"records": [], "done": true, "queryLocator": ""}"#,
            br#"{"done": false, "queryLocator": "2c92c0f9-40"#,
            br#"{"done": false, "queryLocator": "a\"b"}"#,
            br#"{"done": false, "queryLocator""#,
            b"",
        ] {
            assert_eq!(
                tail_locator(none),
                None,
                "{}",
                String::from_utf8_lossy(none)
            );
        }
        // A locator followed by a long tail is out of reach, not misread.
        let mut far = br#"{"queryLocator": "x-1", "records": ["#.to_vec();
        far.extend(std::iter::repeat_n(b' ', TAIL));
        far.extend(b"]}");
        assert_eq!(tail_locator(&far), None);
    }

    /// A 200 page offers its locator from its tail, and the offer is the
    /// cursor the page itself returns; an error page offers none.
    #[tokio::test]
    async fn a_page_offers_the_locator_it_returns() {
        let offered = |status: u16, body: &'static str| async move {
            let (tx, mut rx) = crate::lookahead::channel();
            let offer = crate::lookahead::Offer::new(tx, chrono::DateTime::UNIX_EPOCH, None);
            let resp = resp(status, JSON, body);
            let told = crate::lookahead::scope(Some(offer), async { offer_tail(&resp) }).await;
            let parsed = parse_response(&resp, Action::QueryMore, None);
            let mut cursors = Vec::new();
            while let Ok(c) = rx.try_recv() {
                cursors.push(c.locator().map(str::to_owned));
            }
            assert_eq!(
                told,
                !cursors.is_empty(),
                "offer_tail says whether it offered"
            );
            (parsed.ok().and_then(|p| p.query_locator), cursors)
        };
        let (page, offers) = offered(
            200,
            r#"{"size": 3, "records": [{"Id": "a"}], "queryLocator": "q-1", "done": false}"#,
        )
        .await;
        assert_eq!(page.as_deref(), Some("q-1"));
        assert_eq!(offers, [Some("q-1".to_owned())]);
        let (_, offers) = offered(
            200,
            r#"{"size": 1, "records": [{"Id": "a"}], "done": true}"#,
        )
        .await;
        assert!(offers.is_empty());
        let (_, offers) = offered(
            400,
            r#"{"FaultCode": "INVALID_VALUE", "FaultMessage": "queryLocator": "q-9"}"#,
        )
        .await;
        assert!(offers.is_empty());
    }

    #[test]
    fn every_prefix_of_a_page_gives_the_locator_or_nothing() {
        let page =
            br#"{"records": [{"Id": "a"}], "size": 3, "done": false, "queryLocator": "q-2000"}"#;
        for n in 0..=page.len() {
            match tail_locator(&page[..n]) {
                None => {}
                Some(l) => assert_eq!(l, "q-2000", "prefix of {n} bytes"),
            }
        }
    }
    use crate::Value;
    use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
    use std::time::Duration;

    const JSON: &str = "application/json; charset=utf-8";

    fn resp(status: u16, content_type: &str, body: &str) -> HttpResponse {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(content_type)
            && !content_type.is_empty()
        {
            headers.insert(CONTENT_TYPE, v);
        }
        HttpResponse {
            status,
            headers,
            body: bytes::Bytes::copy_from_slice(body.as_bytes()),
        }
    }

    fn page(body: &str) -> Result<ParsedPage> {
        parse_response(&resp(200, JSON, body), Action::Query, Some("Account"))
    }

    fn protocol_message(e: &Error) -> &str {
        match e {
            Error::Protocol { message, .. } => message,
            other => panic!("expected a protocol error, got {other:?}"),
        }
    }

    #[test]
    fn a_middle_page_keeps_numbers_and_the_locator() {
        let p = page(
            r#"{"size": 252070, "records": [{"Id": "2c92", "BillCycleDay": 1, "Balance": 12.5, "AutoPay": true}],
                "queryLocator": "2c92c0f9602fb240016049ac7e0b47e7-4000", "done": false}"#,
        )
        .unwrap();
        assert_eq!(
            p.query_locator.as_deref(),
            Some("2c92c0f9602fb240016049ac7e0b47e7-4000")
        );
        assert_eq!(p.size, Some(252_070));
        let r = &p.records[0];
        assert_eq!(r.object_type(), Some("Account"));
        assert_eq!(r.get("BillCycleDay"), Some(&Value::Int(1)));
        assert_eq!(r.get("Balance"), Some(&Value::Float(12.5)));
        assert_eq!(r.get("AutoPay"), Some(&Value::Bool(true)));
    }

    #[test]
    fn the_last_page_has_no_locator() {
        for body in [
            r#"{"size": 1, "records": [{"Id": "a"}], "done": true}"#,
            r#"{"size": 1, "records": [{"Id": "a"}], "queryLocator": null, "done": true}"#,
            r#"{"size": 1, "records": [{"Id": "a"}], "queryLocator": "", "done": true}"#,
        ] {
            let p = page(body).unwrap();
            assert_eq!(p.query_locator, None, "{body}");
            assert_eq!(p.records.len(), 1);
        }
        let empty = page(r#"{"size": 0, "done": true}"#).unwrap();
        assert!(empty.records.is_empty());
        assert_eq!(empty.size, Some(0));
    }

    #[test]
    fn contradictory_pages_are_protocol_errors() {
        let e = page(r#"{"size": 5, "records": [], "done": false}"#).unwrap_err();
        assert!(protocol_message(&e).contains("no `queryLocator`"), "{e}");
        let e =
            page(r#"{"size": 5, "records": [], "queryLocator": "", "done": false}"#).unwrap_err();
        assert!(protocol_message(&e).contains("no `queryLocator`"), "{e}");
        let e = page(r#"{"records": [], "queryLocator": "q-1", "done": true}"#).unwrap_err();
        assert!(protocol_message(&e).contains("`done` is true"), "{e}");
        let e = page(r#"{"records": [], "queryLocator": "q-1"}"#).unwrap_err();
        assert!(protocol_message(&e).contains("no `done`"), "{e}");
        assert!(!e.is_retryable());
    }

    #[test]
    fn malformed_json_is_a_protocol_error_and_a_cut_body_is_retryable() {
        for bad in [
            r#"{"records": {"Id": "a"}, "done": true}"#,
            r#"{"records": [1, 2], "done": true}"#,
            r#"{"records": [], "done": "yes"}"#,
            r#"{"records": [], "done": true, "size": -1}"#,
            r#"[]"#,
            r#"null"#,
            r#"{"records": [], "done": true} trailing"#,
        ] {
            let e = page(bad).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Protocol {
                        retryable: false,
                        ..
                    }
                ),
                "{bad}: {e:?}"
            );
        }
        for cut in ["", "{", r#"{"size": 3, "records": [{"Id": "a"}, {"Id"#] {
            let e = page(cut).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Protocol {
                        retryable: true,
                        ..
                    }
                ),
                "{cut:?}: {e:?}"
            );
            assert!(e.to_string().contains("ends early"), "{e}");
        }
    }

    #[test]
    fn html_and_wrong_content_types_are_refused() {
        let html = "<!DOCTYPE html><html><body>Please log in</body></html>";
        let e = parse_response(&resp(200, "text/html", html), Action::Query, None).unwrap_err();
        assert!(protocol_message(&e).contains("HTML page"), "{e}");
        // An HTML page mislabelled as JSON is still refused.
        let e = parse_response(&resp(200, JSON, html), Action::Query, None).unwrap_err();
        assert!(protocol_message(&e).contains("HTML page"), "{e}");
        // JSON whose data mentions markup is still JSON.
        let markup =
            r#"{"records": [{"Id": "a", "Notes": "<html><body>hi</body></html>"}], "done": true}"#;
        let p = parse_response(&resp(200, JSON, markup), Action::Query, None).unwrap();
        assert_eq!(p.records.len(), 1);
        let ok = r#"{"records": [], "done": true}"#;
        let e = parse_response(&resp(200, "text/plain", ok), Action::Query, None).unwrap_err();
        assert!(
            protocol_message(&e).contains("content type text/plain"),
            "{e}"
        );
        let e = parse_response(&resp(200, "", ok), Action::Query, None).unwrap_err();
        assert!(protocol_message(&e).contains("content type none"), "{e}");
        assert!(
            parse_response(
                &resp(200, "application/vnd.zuora+json", ok),
                Action::Query,
                None
            )
            .is_ok()
        );
    }

    #[test]
    fn fault_responses_are_typed() {
        let r = resp(
            400,
            JSON,
            r#"{"FaultCode": "MALFORMED_QUERY", "FaultMessage": "You have an error in your ZOQL syntax"}"#,
        );
        let e = parse_response(&r, Action::Query, None).unwrap_err();
        let f = e.fault().unwrap();
        assert_eq!(f.code, FaultCode::MalformedQuery);
        assert_eq!(f.http_status, Some(400));
        assert_eq!(
            e.to_string(),
            "zuora-rest fault MALFORMED_QUERY: You have an error in your ZOQL syntax (HTTP 400)"
        );
        assert!(!e.is_retryable());
        let r = resp(
            400,
            JSON,
            r#"{"FaultCode": "INVALID_FIELD", "FaultMessage": "invalid field for query: Account.Bogus"}"#,
        );
        assert_eq!(
            error_from_response(&r, Action::Query).fault().unwrap().code,
            FaultCode::InvalidField
        );
    }

    #[test]
    fn a_refused_locator_is_cursor_expiry_only_on_query_more() {
        let r = resp(
            400,
            JSON,
            r#"{"FaultCode": "INVALID_VALUE", "FaultMessage": "invalid queryLocator 2c92-4000"}"#,
        );
        let e = error_from_response(&r, Action::QueryMore);
        assert!(e.is_cursor_expired(), "{e}");
        assert_eq!(e.fault().unwrap().raw_code, "INVALID_VALUE");
        assert!(!e.is_retryable());
        let e = error_from_response(&r, Action::Query);
        assert_eq!(e.fault().unwrap().code, FaultCode::InvalidValue);
        assert!(!e.is_cursor_expired());
        let other = resp(
            400,
            JSON,
            r#"{"FaultCode": "INVALID_VALUE", "FaultMessage": "batchSize must be positive"}"#,
        );
        assert!(!error_from_response(&other, Action::QueryMore).is_cursor_expired());
        let named = resp(
            400,
            JSON,
            r#"{"FaultCode": "INVALID_QUERY_LOCATOR", "FaultMessage": "gone"}"#,
        );
        assert!(error_from_response(&named, Action::QueryMore).is_cursor_expired());
    }

    #[test]
    fn unauthorized_is_an_invalid_session() {
        for body in [
            r#"{"message": "Authentication error"}"#,
            r#"{"FaultCode": "INVALID_VALUE", "FaultMessage": "token expired"}"#,
            "",
            "Unauthorized",
        ] {
            let e = error_from_response(&resp(401, JSON, body), Action::QueryMore);
            assert!(e.is_invalid_session(), "{body:?}: {e}");
            assert!(!e.is_retryable());
        }
        let e = error_from_response(
            &resp(401, JSON, r#"{"message": "Authentication error"}"#),
            Action::Query,
        );
        assert_eq!(
            e.to_string(),
            "zuora-rest fault INVALID_SESSION: Authentication error (HTTP 401)"
        );
    }

    #[test]
    fn rate_limits_and_server_errors_are_retryable() {
        let mut r = resp(
            429,
            JSON,
            r#"{"code": 50000070, "message": "Too many requests"}"#,
        );
        r.headers
            .insert(RETRY_AFTER, HeaderValue::from_static("120"));
        let e = error_from_response(&r, Action::Query);
        assert!(e.is_retryable());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(120)));
        let f = e.fault().unwrap();
        assert_eq!(f.code, FaultCode::RequestLimitExceeded);
        assert_eq!(f.raw_code, "50000070");
        let r = resp(
            429,
            JSON,
            r#"{"FaultCode": "REQUEST_EXCEEDED_LIMIT", "FaultMessage": "busy"}"#,
        );
        assert!(error_from_response(&r, Action::Query).is_retryable());
        for (status, body) in [
            (500, ""),
            (502, "<html><body>Bad gateway</body></html>"),
            (503, "Service Unavailable"),
        ] {
            let e = error_from_response(&resp(status, "text/html", body), Action::QueryMore);
            assert!(e.is_retryable(), "{status}: {e}");
            assert!(matches!(e, Error::Fault(_)), "{status}: {e:?}");
        }
    }

    #[test]
    fn other_statuses_are_faults_or_protocol_errors() {
        let e = error_from_response(
            &resp(
                403,
                JSON,
                r#"{"code": 50000040, "message": "No permission"}"#,
            ),
            Action::Query,
        );
        let f = e.fault().unwrap();
        assert_eq!(
            (f.raw_code.as_str(), f.message.as_str()),
            ("50000040", "No permission")
        );
        assert!(!e.is_retryable());
        let e = error_from_response(
            &resp(404, "text/html", "<html><body>Not found</body></html>"),
            Action::Query,
        );
        assert!(
            protocol_message(&e).contains("HTTP 404 with an HTML page"),
            "{e}"
        );
        let e = error_from_response(&resp(400, "text/plain", "bad request"), Action::Query);
        assert_eq!(
            e.to_string(),
            "zuora-rest fault HTTP_400: bad request (HTTP 400)"
        );
    }

    #[test]
    fn object_type_comes_from_the_from_clause() {
        assert_eq!(
            object_type_of("select Id, Name from Account where Status = 'Active'").as_deref(),
            Some("Account")
        );
        assert_eq!(
            object_type_of("SELECT Id\nFROM\tInvoiceItem").as_deref(),
            Some("InvoiceItem")
        );
        assert_eq!(
            object_type_of("select from_date from Usage").as_deref(),
            Some("Usage")
        );
        assert_eq!(object_type_of("select Id"), None);
        assert_eq!(object_type_of("select Id from"), None);
        assert_eq!(object_type_of("select Id from (x)"), None);
    }

    #[test]
    fn fixtures_parse_to_snapshots() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/zuora_rest");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        assert!(files.len() >= 3, "fixtures missing in {dir}");
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        for path in files {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let body = std::fs::read(&path).unwrap();
            let rendered =
                match parse_page(&body, object_type_of("select Id from Account").as_deref()) {
                    Ok(p) => serde_json::to_string_pretty(&serde_json::json!({
                        "query_locator": p.query_locator,
                        "size": p.size,
                        "records": p.records.iter().map(|r| serde_json::json!({
                            "object_type": r.object_type(),
                            "fields": r,
                        })).collect::<Vec<_>>(),
                    }))
                    .unwrap(),
                    Err(e) => format!("error: {e}"),
                };
            settings.set_input_file(&path);
            settings.bind(|| {
                insta::assert_snapshot!(format!("zuora_rest__parse_{stem}"), rendered);
            });
        }
    }
}
