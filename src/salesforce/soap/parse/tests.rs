//! Parser unit tests over the fixtures in `tests/fixtures/salesforce_soap/` and
//! hand-written bytes for the broken cases.

use super::*;
use crate::xml::testing::{
    HTML_PAGE, assert_login, expect_fault, expect_page, page_json, snapshot_settings,
    truncation_errors,
};
use crate::{Error, FaultCode};

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            "../../../../tests/fixtures/salesforce_soap/",
            $name
        ))
    };
}

const FIRST_PAGE: &[u8] = fixture!("query_first_page.xml");
const LAST_PAGE: &[u8] = fixture!("query_more_last_page.xml");
const RELATIONSHIPS: &[u8] = fixture!("query_all_relationships.xml");
const CHILDREN: &[u8] = fixture!("query_child_subquery.xml");
const LOGIN: &[u8] = fixture!("login.xml");
const FAULT_LOCATOR: &[u8] = fixture!("fault_invalid_query_locator.xml");
const FAULT_SESSION: &[u8] = fixture!("fault_invalid_session.xml");
const FAULT_MALFORMED: &[u8] = fixture!("fault_malformed_query.xml");
const FAULT_LOGIN: &[u8] = fixture!("fault_login.xml");

fn page(body: &[u8], op: QueryOp) -> Page {
    expect_page(parse_query(body, op))
}

fn fault(body: &[u8]) -> SoapFault {
    expect_fault(parse_query(body, QueryOp::QueryMore))
}

/// A `text/xml` response.
fn response(status: u16, body: &[u8]) -> HttpResponse {
    crate::xml::testing::response(status, "text/xml; charset=utf-8", body)
}

fn text<'a>(p: &'a Page, i: usize, path: &str) -> Option<&'a str> {
    p.records[i].get_path(path).and_then(Value::as_str)
}

#[test]
fn the_doubled_id_is_read_once_and_fields_keep_select_order() {
    let p = page(FIRST_PAGE, QueryOp::Query);
    assert_eq!(p.records.len(), 3);
    for r in &p.records {
        assert_eq!(r.object_type(), Some("Account"));
        assert_eq!(
            r.field_names().collect::<Vec<_>>(),
            [
                "Id",
                "Name",
                "NumberOfEmployees",
                "AnnualRevenue",
                "IsPartner",
                "LastActivityDate",
                "CreatedDate",
                "Description"
            ]
        );
    }
    assert_eq!(text(&p, 0, "Id"), Some("001D000000IRFmaIAH"));
    assert_eq!(text(&p, 0, "Name"), Some("AT&T Wireless"));
    assert_eq!(text(&p, 1, "Name"), Some("Müller & Söhne <GmbH>"));
    assert_eq!(text(&p, 2, "Name"), Some("Zoë's Café"));
    assert_eq!(text(&p, 1, "Description"), Some("VIP: 5 < 6 & \"net 30\""));
    // xsi:nil="true" is a null that is present; an empty element is "".
    assert_eq!(p.records[0].get("Description"), Some(&Value::Null));
    assert_eq!(p.records[1].get("NumberOfEmployees"), Some(&Value::Null));
    assert_eq!(text(&p, 2, "Description"), Some(""));
}

#[test]
fn a_differing_second_id_does_not_replace_the_first() {
    let body = String::from_utf8_lossy(FIRST_PAGE).replacen(
        "<sf:Id>001D000000IRFmaIAH</sf:Id>\n     <sf:Id>001D000000IRFmaIAH</sf:Id>",
        "<sf:Id>001D000000IRFmaIAH</sf:Id>\n     <sf:Id>SECOND</sf:Id>",
        1,
    );
    let p = page(body.as_bytes(), QueryOp::Query);
    assert_eq!(text(&p, 0, "Id"), Some("001D000000IRFmaIAH"));
}

#[test]
fn size_locator_and_limit_info_are_read() {
    let p = page(FIRST_PAGE, QueryOp::Query);
    assert_eq!(p.total_size, Some(7));
    let cursor = p.cursor.expect("more pages");
    assert_eq!(cursor.backend, BackendKind::SalesforceSoap);
    assert_eq!(cursor.locator(), Some("01gD0000001vELkIAM-3"));
    assert_eq!(
        p.limit_info,
        [LimitInfo {
            kind: "API REQUESTS".into(),
            current: 22092,
            limit: 64000
        }]
    );
    let last = page(LAST_PAGE, QueryOp::QueryMore);
    assert!(last.is_last());
    assert_eq!(last.limit_info[0].current, 22093);
}

#[test]
fn relationships_nest_and_unselected_ids_are_dropped() {
    let p = page(RELATIONSHIPS, QueryOp::QueryAll);
    assert!(p.is_last());
    assert!(p.limit_info.is_empty() || p.limit_info[0].limit == 6_597_200);
    let first = &p.records[0];
    assert_eq!(first.object_type(), Some("Contact"));
    assert_eq!(first.get("Id"), None, "a nil Id means Id was not selected");
    assert_eq!(
        first.field_names().collect::<Vec<_>>(),
        ["Account", "FirstName", "LastName", "IsDeleted"]
    );
    let account = first.get("Account").and_then(Value::as_record).unwrap();
    assert_eq!(account.object_type(), Some("Account"));
    assert_eq!(account.field_names().collect::<Vec<_>>(), ["Name"]);
    assert_eq!(text(&p, 0, "Account.Name"), Some("Unknown"));
    assert_eq!(first.get("FirstName"), Some(&Value::Null));
    // A null lookup is a null, not an empty record.
    assert_eq!(p.records[1].get("Account"), Some(&Value::Null));
    // Relationships nest more than one level.
    assert_eq!(
        text(&p, 2, "Account.Owner.Email"),
        Some("owner@example.com")
    );
    assert_eq!(text(&p, 2, "Account.Name"), Some("Acme Corp"));
}

#[test]
fn child_subqueries_read_as_lists_of_records() {
    let p = page(CHILDREN, QueryOp::Query);
    let Some(Value::List(contacts)) = p.records[0].get("Contacts") else {
        panic!("{:?}", p.records[0])
    };
    let names: Vec<_> = contacts
        .iter()
        .map(|c| {
            let c = c.as_record().unwrap();
            assert_eq!(c.object_type(), Some("Contact"));
            c.get("LastName").and_then(Value::as_str).unwrap()
        })
        .collect();
    assert_eq!(names, ["First", "Second"]);
    assert_eq!(p.records[1].get("Contacts"), Some(&Value::Null));
    assert_eq!(text(&p, 1, "Name"), Some("Lonely Ltd"));
}

#[test]
fn records_read_as_one_typed_struct() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Account {
        id: String,
        name: String,
        number_of_employees: Option<i64>,
        annual_revenue: Option<f64>,
        is_partner: bool,
        last_activity_date: Option<chrono::NaiveDate>,
        description: Option<String>,
    }
    let p = page(FIRST_PAGE, QueryOp::Query);
    let a: Account = p.records[0].deserialize_as().unwrap();
    assert_eq!(
        a,
        Account {
            id: "001D000000IRFmaIAH".into(),
            name: "AT&T Wireless".into(),
            number_of_employees: Some(1200),
            annual_revenue: Some(45_000_000.0),
            is_partner: true,
            last_activity_date: chrono::NaiveDate::from_ymd_opt(2024, 2, 29),
            description: None,
        }
    );
    let b: Account = p.records[1].deserialize_as().unwrap();
    assert_eq!((b.number_of_employees, b.annual_revenue), (None, None));
}

#[test]
fn parsed_pages_snapshot() {
    let first = page_json(&page(FIRST_PAGE, QueryOp::Query), true);
    let related = page_json(&page(RELATIONSHIPS, QueryOp::QueryAll), true);
    let children = page_json(&page(CHILDREN, QueryOp::Query), true);
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("salesforce_soap__parse_query_first_page", first);
        insta::assert_json_snapshot!("salesforce_soap__parse_query_all_relationships", related);
        insta::assert_json_snapshot!("salesforce_soap__parse_query_child_subquery", children);
    });
}

#[test]
fn the_response_element_must_match_the_call() {
    let e = parse_query(FIRST_PAGE, QueryOp::QueryAll).unwrap_err();
    assert!(e.to_string().contains("expected queryAllResponse"), "{e}");
    let e = parse_query(RELATIONSHIPS, QueryOp::Query).unwrap_err();
    assert!(e.to_string().contains("expected queryResponse"), "{e}");
}

#[test]
fn login_reads_session_id_and_server_url_and_never_prints_the_session() {
    assert_login(
        parse_login(LOGIN),
        "00D11000000DMaw!AQQAQFixtureSessionValue",
        "https://cs18.salesforce.com/services/Soap/u/58.0/00D11000000DMaw",
    );
    // A Zuora-shaped login result is not a partner one.
    let zuora = String::from_utf8_lossy(LOGIN)
        .replace("sessionId>", "Session>")
        .replace("serverUrl>", "ServerUrl>");
    let e = parse_login(zuora.as_bytes()).unwrap_err();
    assert!(e.to_string().contains("no sessionId and serverUrl"), "{e}");
}

#[test]
fn faults_are_typed() {
    let cases: [(&[u8], FaultCode, &str); 4] = [
        (
            FAULT_LOCATOR,
            FaultCode::InvalidQueryLocator,
            "INVALID_QUERY_LOCATOR",
        ),
        (
            FAULT_SESSION,
            FaultCode::InvalidSession,
            "INVALID_SESSION_ID",
        ),
        (
            FAULT_MALFORMED,
            FaultCode::MalformedQuery,
            "MALFORMED_QUERY",
        ),
        (FAULT_LOGIN, FaultCode::InvalidLogin, "INVALID_LOGIN"),
    ];
    for (body, code, raw) in cases {
        let f = classify_fault(&fault(body));
        assert_eq!((&f.code, f.raw_code.as_str()), (&code, raw));
    }
    let e = query_response(&response(500, FAULT_LOCATOR), QueryOp::QueryMore).unwrap_err();
    assert!(e.is_cursor_expired() && !e.is_retryable(), "{e}");
    assert_eq!(
        e.to_string(),
        "salesforce-soap fault INVALID_QUERY_LOCATOR: invalid query locator (HTTP 500)"
    );
    let e = query_response(&response(500, FAULT_SESSION), QueryOp::Query).unwrap_err();
    assert!(e.is_invalid_session(), "{e}");
    let e = query_response(&response(500, FAULT_MALFORMED), QueryOp::Query).unwrap_err();
    assert!(!e.is_retryable(), "{e}");
    assert!(e.to_string().contains("unexpected token: 'form'"), "{e}");
    // A fault is read whatever the status (one client's mock answers with 400).
    let e = query_response(&response(400, FAULT_LOCATOR), QueryOp::QueryMore).unwrap_err();
    assert!(e.is_cursor_expired(), "{e}");
    let e = DIALECT
        .login_response(&response(500, FAULT_LOGIN))
        .unwrap_err();
    assert_eq!(e.fault().map(|f| &f.code), Some(&FaultCode::InvalidLogin));
}

#[test]
fn html_and_empty_bodies_are_typed_errors() {
    let e = query_response(&response(200, HTML_PAGE), QueryOp::Query).unwrap_err();
    assert!(e.to_string().contains("HTML page"), "{e}");
    let e = query_response(&response(503, b""), QueryOp::Query).unwrap_err();
    assert!(e.is_retryable(), "{e}");
}

#[test]
fn truncated_bodies_are_retryable_wherever_they_are_cut() {
    for body in [FIRST_PAGE, RELATIONSHIPS, CHILDREN] {
        for (cut, e) in truncation_errors(body, 41, |b| parse_query(b, QueryOp::Query)) {
            // A cut may land after the response element name was read as the
            // wrong one; everything else is a retryable truncation.
            assert!(
                e.is_retryable() || e.to_string().contains("expected queryResponse"),
                "cut at {cut}: {e}"
            );
        }
    }
}

#[test]
fn malformed_headers_and_records_do_not_panic() {
    let env = |header: &str, records: &str| {
        format!(
            "<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/' \
             xmlns='urn:partner.soap.sforce.com' xmlns:sf='urn:sobject.partner.soap.sforce.com' \
             xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'>\
             <s:Header>{header}</s:Header><s:Body><queryResponse><result>\
             <done>true</done><queryLocator xsi:nil='true'/>{records}<size>1</size>\
             </result></queryResponse></s:Body></s:Envelope>"
        )
    };
    // A limitInfo with a non-number is left out; the page still reads.
    let p = page(
        env(
            "<LimitInfoHeader><limitInfo><current>x</current><limit>5</limit>\
             <type>API REQUESTS</type></limitInfo></LimitInfoHeader><Other/>",
            "<records xsi:type='sf:sObject'><sf:type>A</sf:type><sf:Id>1</sf:Id></records>",
        )
        .as_bytes(),
        QueryOp::Query,
    );
    assert!(p.limit_info.is_empty());
    assert_eq!(text(&p, 0, "Id"), Some("1"));
    // A field holding elements without a type is a protocol error.
    let e = parse_query(
        env(
            "",
            "<records><sf:type>A</sf:type><sf:Account><sf:Name>x</sf:Name></sf:Account></records>",
        )
        .as_bytes(),
        QueryOp::Query,
    )
    .unwrap_err();
    assert!(matches!(e, Error::Protocol { .. }), "{e}");
}

/// [`CHILDREN`] with both the page and its child subquery not done: the page's
/// locator `01gOUTER-2`, the children's `01gCHILD-2`.
fn children_not_done() -> String {
    String::from_utf8(CHILDREN.to_vec())
        .unwrap()
        .replacen(
            "<done>true</done>\n  <queryLocator xsi:nil=\"true\"/>",
            "<done>false</done>\n  <queryLocator>01gOUTER-2</queryLocator>",
            1,
        )
        .replacen(
            "<done>true</done>\n    <queryLocator xsi:nil=\"true\"/>",
            "<done>false</done>\n    <queryLocator>01gCHILD-2</queryLocator>",
            1,
        )
}

/// The head of a query body offers the locator the full parse offers,
/// wherever the body is cut: nothing before the locator's end tag and the
/// first record have arrived, never a locator cut short, never a child
/// subquery's.
#[test]
fn the_head_offers_what_the_full_parse_offers_at_every_cut() {
    let children = children_not_done();
    let cases: [(&[u8], QueryOp, Option<&str>); 6] = [
        (FIRST_PAGE, QueryOp::Query, Some("01gD0000001vELkIAM-3")),
        (children.as_bytes(), QueryOp::Query, Some("01gOUTER-2")),
        (LAST_PAGE, QueryOp::QueryMore, None),
        (RELATIONSHIPS, QueryOp::QueryAll, None),
        (FAULT_LOCATOR, QueryOp::QueryMore, None),
        (HTML_PAGE, QueryOp::Query, None),
    ];
    crate::xml::testing::assert_head_scans(&DIALECT, parse_query, "records", &cases);
}

/// Only the page's own `queryLocator` is offered to the lookahead, as soon as
/// its records begin; a child subquery's locator (here, children not done)
/// pages the children and is never offered.
#[tokio::test]
async fn only_the_pages_own_locator_is_offered_early() {
    let body = children_not_done();
    assert!(body.contains("01gOUTER-2") && body.contains("01gCHILD-2"));
    let (tx, mut rx) = crate::lookahead::channel();
    let offer = crate::lookahead::Offer::new(tx, chrono::DateTime::UNIX_EPOCH, None);
    let page = crate::lookahead::scope(Some(offer), async {
        parse_query(body.as_bytes(), QueryOp::Query)
    })
    .await;
    assert!(matches!(page, Ok(Reply::Ok(_))), "{page:?}");
    let mut offered = Vec::new();
    while let Ok(c) = rx.try_recv() {
        offered.push(c.locator().map(str::to_owned));
    }
    assert_eq!(offered, [Some("01gOUTER-2".to_owned())]);
}
