//! Test helpers for the SOAP dialects' unit tests: insta settings that store
//! snapshots in the top-level `snapshots/` folder under the names given, and
//! what both dialects' parser tests do with a parsed reply, an HTTP response
//! or a body cut short.

use super::dialect::LoginResult;
use super::fault::SoapFault;
use super::http::Reply;
use crate::transport::HttpResponse;
use crate::{Error, Page, Result};
use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

/// Snapshots in `<crate>/snapshots/`, names used as given, credentials filtered
/// as a last line of defence.
pub(crate) fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s.add_filter(r"(?i)(<(?:\w+:)?session(?:Id)?>)[^<]+(</)", "$1[SESSION]$2");
    s.add_filter(r"(?i)(<(?:\w+:)?password>)[^<]+(</)", "$1[PASSWORD]$2");
    s
}

/// A login page a proxy might answer with.
pub(crate) const HTML_PAGE: &[u8] = b"<!DOCTYPE html><html><body>Please log in</body></html>";

/// The page of a parsed reply; panics on an error or a fault.
pub(crate) fn expect_page(reply: Result<Reply<Page>>) -> Page {
    match reply.unwrap() {
        Reply::Ok(p) => p,
        Reply::Fault(f) => panic!("unexpected fault {f:?}"),
    }
}

/// The fault of a parsed reply; panics on an error or a page.
pub(crate) fn expect_fault(reply: Result<Reply<Page>>) -> SoapFault {
    match reply.unwrap() {
        Reply::Fault(f) => f,
        Reply::Ok(p) => panic!("expected a fault, got {p:?}"),
    }
}

/// Checks a parsed `login` reply: `session` and `server_url`, and a `Debug`
/// that shows no part of the session.
pub(crate) fn assert_login(reply: Result<Reply<LoginResult>>, session: &str, server_url: &str) {
    let Reply::Ok(login) = reply.unwrap() else {
        panic!("fault")
    };
    assert_eq!(login.session.expose(), session);
    assert_eq!(login.server_url, server_url);
    assert_eq!(
        format!("{login:?}"),
        format!("LoginResult {{ session: [REDACTED], server_url: {server_url:?} }}")
    );
}

/// An HTTP response with `status`, a `Content-Type` (none when empty) and `body`.
pub(crate) fn response(status: u16, content_type: &str, body: &[u8]) -> HttpResponse {
    let mut headers = HeaderMap::new();
    if !content_type.is_empty() {
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
    }
    HttpResponse {
        status,
        headers,
        body: Bytes::copy_from_slice(body),
    }
}

/// A page as JSON for snapshots: cursor, total, the `LimitInfoHeader`
/// counters when `limits`, and the typed records.
pub(crate) fn page_json(p: &Page, limits: bool) -> serde_json::Value {
    let mut json = serde_json::Map::new();
    json.insert(
        "query_locator".into(),
        serde_json::json!(p.cursor.as_ref().and_then(|c| c.locator())),
    );
    json.insert("total_size".into(), serde_json::json!(p.total_size));
    if limits {
        let limit_info = p
            .limit_info
            .iter()
            .map(|l| serde_json::json!({ "type": l.kind, "current": l.current, "limit": l.limit }));
        json.insert("limit_info".into(), limit_info.collect());
    }
    let records = p.records.iter().map(|r| {
        serde_json::json!({
            "type": r.object_type(),
            "fields": r,
        })
    });
    json.insert("records".into(), records.collect());
    serde_json::Value::Object(json)
}

/// The errors from parsing `body` cut at every `step` bytes from byte 40 on
/// (with the cut); panics when a cut body parses.
pub(crate) fn truncation_errors(
    body: &[u8],
    step: usize,
    parse: impl Fn(&[u8]) -> Result<Reply<Page>>,
) -> Vec<(usize, Error)> {
    (40..body.len() - 1)
        .step_by(step)
        .map(|cut| match parse(&body[..cut]) {
            Err(e) => (cut, e),
            Ok(r) => panic!("cut at {cut} parsed: {r:?}"),
        })
        .collect()
}

/// A SOAP head scan checked against the full parse at every cut of each body
/// (see [`check_every_prefix`](crate::lookahead::check_every_prefix)): it
/// offers the locator `want`, and, when there is one, learns it after the
/// first `records_tag` starts and before that record ends.
pub(crate) fn assert_head_scans(
    dialect: &super::dialect::Dialect,
    parse: fn(&[u8], super::dialect::QueryOp) -> Result<Reply<Page>>,
    records_tag: &str,
    cases: &[(&[u8], super::dialect::QueryOp, Option<&str>)],
) {
    for &(body, op, want) in cases {
        let (offer, known_at) = crate::lookahead::check_every_prefix(
            body,
            |head| dialect.query_head(head, op),
            || parse(body, op),
        );
        assert_eq!(offer.as_ref().and_then(crate::Cursor::locator), want);
        if want.is_some() {
            let text = String::from_utf8_lossy(body);
            let records = text.find(&format!("<{records_tag}")).unwrap();
            let first_record_ends = text.find(&format!("</{records_tag}>")).unwrap();
            assert!(
                known_at > records && known_at < first_record_ends,
                "known after {known_at} bytes"
            );
        }
    }
}
