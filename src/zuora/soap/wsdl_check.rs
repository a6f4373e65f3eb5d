//! The contract check: every envelope the builders produce uses only elements
//! `wsdl/zuora.wsdl` declares, in the declared namespaces and sequence order,
//! with the headers the operation's binding lists; the response fixtures and
//! the vendored WSDL agree too.

use super::envelope::CALLS;
use crate::xml::wsdl::Wsdl;

const WSDL: &[u8] = include_bytes!("../../../wsdl/zuora.wsdl");

fn wsdl() -> Wsdl {
    Wsdl::parse(WSDL).unwrap()
}

#[test]
fn every_built_envelope_is_declared_by_the_wsdl() {
    wsdl().check_every_call(&CALLS, &["query"], &[None, Some(0), Some(50), Some(2000)]);
}

#[test]
fn the_check_rejects_undeclared_misplaced_and_unbound_elements() {
    let w = wsdl();
    let env = |header: &str, body: &str| {
        format!(
            "<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/' \
             xmlns:api='http://api.zuora.com/'><s:Header>{header}</s:Header>\
             <s:Body>{body}</s:Body></s:Envelope>"
        )
    };
    let query = "<api:query><api:queryString>q</api:queryString></api:query>";
    for (header, body, want) in [
        (
            "",
            "<api:queryAll><api:queryString>q</api:queryString></api:queryAll>",
            "not a declared",
        ),
        (
            "<api:QueryOptions><api:caseSensitive>true</api:caseSensitive>\
             <api:batchSize>5</api:batchSize></api:QueryOptions>",
            query,
            "not declared in QueryOptions",
        ),
        ("<api:CallOptions/>", query, "not bound to operation query"),
        (
            "",
            "<api:query xmlns:api='http://object.api.zuora.com/'><api:queryString>q</api:queryString></api:query>",
            "not a declared",
        ),
        (
            "<api:SessionHeader><api:session>s</api:session></api:SessionHeader>",
            "<api:login><api:username>u</api:username></api:login>",
            "not bound to operation login",
        ),
    ] {
        let e = w.check_request(env(header, body).as_bytes()).unwrap_err();
        assert!(e.contains(want), "{header} {body}: {e}");
    }
}

#[test]
fn response_fixtures_follow_the_wsdl() {
    let w = wsdl();
    for fixture in [
        &include_bytes!("../../../tests/fixtures/zuora_soap/query_first_page.xml")[..],
        &include_bytes!("../../../tests/fixtures/zuora_soap/query_more_last_page.xml")[..],
        &include_bytes!("../../../tests/fixtures/zuora_soap/login.xml")[..],
    ] {
        w.check_envelope(fixture).unwrap();
    }
    // A record field out of the declared order is caught.
    let bad = String::from_utf8_lossy(include_bytes!(
        "../../../tests/fixtures/zuora_soap/query_first_page.xml"
    ))
    .replace(
        "<ns2:Balance>1250.50</ns2:Balance>\n          <ns2:BillCycleDay>15</ns2:BillCycleDay>",
        "<ns2:BillCycleDay>15</ns2:BillCycleDay>\n          <ns2:Balance>1250.50</ns2:Balance>",
    );
    let e = w.check_envelope(bad.as_bytes()).unwrap_err();
    assert!(e.contains("Balance"), "{e}");
}
