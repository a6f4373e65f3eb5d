//! Parser unit tests over the fixtures in `tests/fixtures/zuora_soap/` and
//! hand-written bytes for the broken cases.

use super::*;
use crate::xml::testing::{
    HTML_PAGE, assert_login, expect_fault, expect_page, page_json, response, snapshot_settings,
    truncation_errors,
};
use crate::{Error, FaultCode};

const FIRST_PAGE: &[u8] =
    include_bytes!("../../../../tests/fixtures/zuora_soap/query_first_page.xml");
const LAST_PAGE: &[u8] =
    include_bytes!("../../../../tests/fixtures/zuora_soap/query_more_last_page.xml");
const LOGIN: &[u8] = include_bytes!("../../../../tests/fixtures/zuora_soap/login.xml");
const FAULT_LOGIN: &[u8] = include_bytes!("../../../../tests/fixtures/zuora_soap/fault_login.xml");
const FAULT_LOCATOR: &[u8] =
    include_bytes!("../../../../tests/fixtures/zuora_soap/fault_invalid_query_locator.xml");
const FAULT_SESSION: &[u8] =
    include_bytes!("../../../../tests/fixtures/zuora_soap/fault_invalid_session.xml");

fn page(body: &[u8], op: QueryOp) -> Page {
    expect_page(parse_query(body, op))
}

fn fault(body: &[u8]) -> SoapFault {
    expect_fault(parse_query(body, QueryOp::QueryMore))
}

fn text<'a>(p: &'a Page, i: usize, field: &str) -> Option<&'a str> {
    p.records[i].get(field).and_then(Value::as_str)
}

#[test]
fn first_page_resolves_entities_cdata_and_changing_prefixes() {
    let p = page(FIRST_PAGE, QueryOp::Query);
    assert_eq!(p.records.len(), 3);
    assert_eq!(text(&p, 0, "Name"), Some("AT&T Wireless"));
    assert_eq!(text(&p, 0, "Notes"), Some("VIP: 5 < 6 & \"net 30\""));
    assert_eq!(text(&p, 1, "Name"), Some("Müller & Söhne <GmbH>"));
    assert_eq!(text(&p, 2, "Name"), Some("Zoë's Café"));
    // ns2, ns3 and z all resolve to the object namespace; xsi is bound to `i` once.
    for r in &p.records {
        assert_eq!(r.object_type(), Some("Account"));
        assert_eq!(r.field_names().next(), Some("Id"));
    }
    // Nulls are absent, not empty.
    assert_eq!(p.records[1].get("LastInvoiceDate"), None);
    assert_eq!(p.records[1].get("Notes"), None);
}

#[test]
fn size_is_the_total_and_the_locator_continues() {
    let p = page(FIRST_PAGE, QueryOp::Query);
    assert_eq!(p.total_size, Some(1104));
    let cursor = p.cursor.expect("more pages");
    assert_eq!(cursor.backend, BackendKind::ZuoraSoap);
    assert_eq!(cursor.locator(), Some("4028e69923eaaa2a0124069b5c887849-3"));
}

#[test]
fn last_page_has_a_nil_locator_and_nil_fields_in_both_spellings() {
    let p = page(LAST_PAGE, QueryOp::QueryMore);
    assert!(p.is_last());
    assert_eq!(p.total_size, Some(1104));
    assert_eq!(p.records.len(), 2);
    assert_eq!(p.records[0].get("UOM"), Some(&Value::Null), "xsi:nil=\"1\"");
    assert_eq!(
        p.records[1].get("UOM"),
        Some(&Value::Null),
        "xsi:nil=\"true\""
    );
    assert_eq!(text(&p, 0, "ChargeName"), Some("Gold & Platinum Plan"));
    assert_eq!(p.records[1].object_type(), Some("InvoiceItem"));
}

#[test]
fn parsed_pages_snapshot() {
    let first = page_json(&page(FIRST_PAGE, QueryOp::Query), false);
    let last = page_json(&page(LAST_PAGE, QueryOp::QueryMore), false);
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("zuora_soap__parse_query_first_page", first);
        insta::assert_json_snapshot!("zuora_soap__parse_query_more_last_page", last);
    });
}

#[test]
fn the_response_element_must_match_the_call() {
    let e = parse_query(FIRST_PAGE, QueryOp::QueryMore).unwrap_err();
    assert!(e.to_string().contains("expected queryMoreResponse"), "{e}");
}

#[test]
fn login_reads_session_and_server_url_and_never_prints_the_session() {
    assert_login(
        parse_login(LOGIN),
        "LiUBQF-fixture-session-ugxg2jJuCA==",
        "https://apisandbox.zuora.com/apps/services/a/78.0",
    );
}

#[test]
fn faults_are_classified_by_detail_element_name() {
    let f = classify(&fault(FAULT_LOCATOR));
    assert_eq!(f.code, FaultCode::InvalidQueryLocator);
    assert_eq!(f.raw_code, "INVALID_VALUE");
    let e: Error = f.with_status(500).into();
    assert!(e.is_cursor_expired(), "{e}");
    assert!(!e.is_retryable(), "{e}");

    let Reply::Fault(login) = parse_login(FAULT_LOGIN).unwrap() else {
        panic!("expected a fault")
    };
    let f = classify(&login);
    assert_eq!(f.code, FaultCode::InvalidLogin);
    assert!(
        f.message.starts_with("Your IP address may be restricted"),
        "{f}"
    );

    let f = classify(&fault(FAULT_SESSION));
    assert_eq!(f.code, FaultCode::InvalidSession);
    let e: Error = f.with_status(500).into();
    assert!(e.is_invalid_session());
}

#[test]
fn fault_responses_become_errors_with_status_code_and_message() {
    let e = query_response(
        &response(500, "text/xml; charset=utf-8", FAULT_LOCATOR),
        QueryOp::QueryMore,
    )
    .unwrap_err();
    assert!(e.is_cursor_expired());
    assert_eq!(
        e.to_string(),
        "zuora-soap fault INVALID_VALUE: invalid query locator: \
         4028e69923eaaa2a0124069b5c887849-3 (HTTP 500)"
    );
}

#[test]
fn html_pages_and_wrong_content_types_are_typed_errors() {
    let html = HTML_PAGE;
    let e = query_response(&response(200, "text/html", html), QueryOp::Query).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Protocol {
                retryable: false,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("HTML page"), "{e}");
    // An HTML page served as text/xml is still an HTML page.
    let e = query_response(&response(200, "text/xml", html), QueryOp::Query).unwrap_err();
    assert!(e.to_string().contains("HTML page"), "{e}");
    // A 503 page is a retryable fault, whatever its body.
    let e = query_response(&response(503, "text/html", html), QueryOp::Query).unwrap_err();
    assert!(e.is_retryable(), "{e}");

    let e = query_response(
        &response(200, "application/json", br#"{"done":true}"#),
        QueryOp::Query,
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("unexpected content type \"application/json\""),
        "{e}"
    );
}

#[test]
fn empty_bodies_are_typed_errors() {
    let e = query_response(&response(200, "text/xml", b""), QueryOp::Query).unwrap_err();
    assert!(matches!(e, Error::Protocol { .. }), "{e}");
    assert!(e.to_string().contains("empty body"), "{e}");
    let e = query_response(&response(502, "", b""), QueryOp::Query).unwrap_err();
    assert!(e.is_retryable(), "{e}");
}

#[test]
fn truncated_bodies_are_retryable_wherever_they_are_cut() {
    for (cut, e) in truncation_errors(FIRST_PAGE, 37, |b| parse_query(b, QueryOp::Query)) {
        assert!(e.is_retryable(), "cut at {cut}: {e}");
    }
}

#[test]
fn malformed_xml_is_a_protocol_error() {
    let body = b"<soapenv:Envelope xmlns:soapenv='http://schemas.xmlsoap.org/soap/envelope/'>\
                 <soapenv:Body><ns1:queryResponse xmlns:ns1='http://api.zuora.com/'>\
                 <ns1:result><ns1:done>true</ns1:size></ns1:result></ns1:queryResponse>\
                 </soapenv:Body></soapenv:Envelope>";
    let e = parse_query(body, QueryOp::Query).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Protocol {
                retryable: false,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn done_false_without_a_locator_is_a_protocol_error() {
    let body = b"<soapenv:Envelope xmlns:soapenv='http://schemas.xmlsoap.org/soap/envelope/'>\
                 <soapenv:Body><ns1:queryResponse xmlns:ns1='http://api.zuora.com/'>\
                 <ns1:result><ns1:done>false</ns1:done>\
                 <ns1:queryLocator xsi:nil='1' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'/>\
                 <ns1:size>5</ns1:size></ns1:result></ns1:queryResponse>\
                 </soapenv:Body></soapenv:Envelope>";
    let e = parse_query(body, QueryOp::Query).unwrap_err();
    assert!(e.to_string().contains("no queryLocator"), "{e}");
}

/// The head of a `query` / `queryMore` body offers the locator the full parse
/// offers, wherever the body is cut: nothing before the locator's end tag and
/// the first record have arrived, never a locator cut short.
#[test]
fn the_head_offers_what_the_full_parse_offers_at_every_cut() {
    let escaped = String::from_utf8_lossy(FIRST_PAGE).replacen(
        "4028e69923eaaa2a0124069b5c887849-3",
        " 4028e699&amp;23&#x65;aa-3 ",
        1,
    );
    let cases: [(&[u8], QueryOp, Option<&str>); 5] = [
        (
            FIRST_PAGE,
            QueryOp::Query,
            Some("4028e69923eaaa2a0124069b5c887849-3"),
        ),
        (escaped.as_bytes(), QueryOp::Query, Some("4028e699&23eaa-3")),
        (LAST_PAGE, QueryOp::QueryMore, None),
        (FAULT_LOCATOR, QueryOp::QueryMore, None),
        (HTML_PAGE, QueryOp::Query, None),
    ];
    crate::xml::testing::assert_head_scans(&DIALECT, parse_query, "ns1:records", &cases);
}

/// A page whose records are `tag(i)` around the same fields (in the record's
/// prefix `p`).
fn page_of(tags: &[(&str, &str)]) -> Vec<u8> {
    let mut s = String::from(
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">\
         <soapenv:Body><ns1:queryResponse xmlns:ns1=\"http://api.zuora.com/\"><ns1:result>\
         <ns1:done>true</ns1:done>",
    );
    for (i, (tag, p)) in tags.iter().enumerate() {
        s.push_str(&format!(
            "<ns1:records {tag}><{p}:Id>2c92c0f9602fb2400160{i:012x}</{p}:Id>\
             <{p}:Name>S&amp;M &quot;Gold&quot;</{p}:Name><{p}:Code>plain</{p}:Code>\
             <{p}:Notes><![CDATA[a < b]]> tail</{p}:Notes><{p}:UOM xsi:nil=\"1\"/>\
             <{p}:fieldsToNull>Quantity</{p}:fieldsToNull><{p}:Empty></{p}:Empty>\
             </ns1:records>"
        ));
    }
    s.push_str(
        "<ns1:size>4</ns1:size></ns1:result></ns1:queryResponse></soapenv:Body></soapenv:Envelope>",
    );
    s.into_bytes()
}

#[test]
fn records_with_repeated_tags_read_the_same_as_records_with_their_own() {
    // Zuora writes the same declarations on every record (read once, then
    // replayed); the same records with their own prefixes are read afresh.
    const SAME: &str = "xmlns:ns2=\"http://object.api.zuora.com/\" \
        xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"ns2:InvoiceItem\"";
    let repeated = page(&page_of(&[(SAME, "ns2"); 4]), QueryOp::Query);
    let own = page(
        &page_of(&[
            (SAME, "ns2"),
            (
                "xsi:type=\"q:InvoiceItem\" xmlns:q=\"http://object.api.zuora.com/\" \
                 xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"",
                "q",
            ),
            (
                "xmlns:z=\"http://object.api.zuora.com/\" \
                 xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"z:InvoiceItem\"",
                "z",
            ),
            (SAME, "ns2"),
        ]),
        QueryOp::Query,
    );
    assert_eq!(repeated.records, own.records);
    assert_eq!(repeated.records.len(), 4);
    for (i, r) in repeated.records.iter().enumerate() {
        assert_eq!(r.object_type(), Some("InvoiceItem"));
        let id = format!("2c92c0f9602fb2400160{i:012x}");
        assert_eq!(r.get("Id").and_then(Value::as_str), Some(id.as_str()));
        assert_eq!(r.get("Name").and_then(Value::as_str), Some("S&M \"Gold\""));
        assert_eq!(r.get("Code").and_then(Value::as_str), Some("plain"));
        assert_eq!(r.get("Notes").and_then(Value::as_str), Some("a < b tail"));
        assert_eq!(r.get("UOM"), Some(&Value::Null));
        assert_eq!(r.get("Empty").and_then(Value::as_str), Some(""));
        assert_eq!(r.get("fieldsToNull"), None);
        assert_eq!(r.len(), 6);
    }
}
