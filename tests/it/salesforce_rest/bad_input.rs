//! What Salesforce REST errors and broken responses become: typed faults with
//! matchable codes, protocol errors for bodies that are not query results, and
//! never a panic or a leaked token.

use super::scripted::{Canned, Scripted};
use querymore::{Client, Error, FaultCode, RetryPolicy, SalesforceRest};

const TOKEN: &str = "00DSCRIPTED!secret-bearer-token";

fn client_for(uri: &str) -> Client {
    let rest = SalesforceRest::builder()
        .instance_url(uri)
        .access_token(TOKEN)
        .build()
        .unwrap();
    // No prefetch: a page cut after its `nextRecordsUrl` would have the next
    // page requested from its head.
    Client::builder(rest)
        .retry(RetryPolicy::none())
        .prefetch(false)
        .build()
}

/// The error the first page of a query gets when the server answers `canned`.
async fn first_page_error(canned: Canned) -> Error {
    let server = Scripted::start(vec![canned]).await;
    let err = client_for(&server.uri)
        .query("SELECT Id FROM Contact")
        .pages()
        .try_next()
        .await
        .unwrap_err();
    assert_eq!(server.requests().len(), 1, "exactly one request, no retry");
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains("secret-bearer-token"), "{shown}");
    }
    err
}

#[tokio::test]
async fn salesforce_rest_error_codes_are_distinct_and_matchable() {
    let cases = [
        (400, "MALFORMED_QUERY", FaultCode::MalformedQuery, false),
        (400, "INVALID_FIELD", FaultCode::InvalidField, false),
        (400, "INVALID_TYPE", FaultCode::InvalidType, false),
        (400, "QUERY_TIMEOUT", FaultCode::QueryTimeout, false),
        (
            403,
            "REQUEST_LIMIT_EXCEEDED",
            FaultCode::RequestLimitExceeded,
            true,
        ),
        (401, "INVALID_SESSION_ID", FaultCode::InvalidSession, false),
        (
            400,
            "INVALID_QUERY_LOCATOR",
            FaultCode::InvalidQueryLocator,
            false,
        ),
    ];
    for (status, code, want, retryable) in cases {
        let body = format!(r#"[{{"message":"the {code} message","errorCode":"{code}"}}]"#);
        let err =
            first_page_error(Canned::with(status, "application/json;charset=UTF-8", body)).await;
        let fault = err
            .fault()
            .unwrap_or_else(|| panic!("{code}: not a fault: {err}"));
        assert_eq!(fault.code, want, "{code}");
        assert_eq!(fault.raw_code, code);
        assert_eq!(fault.message, format!("the {code} message"));
        assert_eq!(fault.http_status, Some(status));
        assert_eq!(err.is_retryable(), retryable, "{code}");
        assert_eq!(err.is_invalid_session(), code == "INVALID_SESSION_ID");
        assert_eq!(err.is_cursor_expired(), code == "INVALID_QUERY_LOCATOR");
        assert_eq!(
            err.to_string(),
            format!("salesforce-rest fault {code}: the {code} message (HTTP {status})")
        );
    }
}

#[tokio::test]
async fn salesforce_rest_bad_bodies_are_typed_errors() {
    let page_without_next = r#"{"totalSize":5,"done":false,"records":[]}"#;
    let cut = r#"{"totalSize":5,"done":false,"nextRecordsUrl":"/services/data/v62.0/query/01gX-2","records":[{"Id":"#;
    let cases = [
        (
            Canned::json("this is not json"),
            "not a query result",
            false,
        ),
        (
            Canned::with(
                200,
                "text/html; charset=utf-8",
                "<!DOCTYPE html><html><body>Login</body></html>",
            ),
            "HTML page",
            false,
        ),
        (
            Canned::with(
                200,
                "text/plain",
                r#"{"totalSize":0,"done":true,"records":[]}"#,
            ),
            "content type text/plain",
            false,
        ),
        (
            Canned::with(200, "", r#"{"totalSize":0,"done":true,"records":[]}"#),
            "content type none",
            false,
        ),
        (Canned::json(page_without_next), "no nextRecordsUrl", false),
        (Canned::json(cut), "cut short", true),
        (Canned::json(""), "empty body", false),
    ];
    for (canned, needle, retryable) in cases {
        let err = first_page_error(canned).await;
        assert!(matches!(err, Error::Protocol { .. }), "{needle}: {err}");
        assert!(err.to_string().contains(needle), "{needle:?} not in {err}");
        assert_eq!(err.is_retryable(), retryable, "{err}");
    }
}

#[tokio::test]
async fn salesforce_rest_5xx_with_an_empty_body_is_a_retryable_fault() {
    for status in [500, 502, 503] {
        let err = first_page_error(Canned::with(status, "", "")).await;
        let fault = err.fault().expect("a fault");
        assert_eq!(fault.http_status, Some(status));
        assert!(fault.message.contains("empty body"), "{err}");
        assert!(err.is_retryable(), "{err}");
    }
}

#[tokio::test]
async fn salesforce_rest_html_error_page_with_an_error_status_is_a_protocol_error() {
    let err = first_page_error(Canned::with(
        404,
        "text/html",
        "<html><body>Not Found</body></html>",
    ))
    .await;
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
    assert!(err.to_string().contains("HTTP 404"), "{err}");
}
