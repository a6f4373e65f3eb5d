//! The contract check: every envelope the builders produce uses only elements
//! `wsdl/partner.wsdl` declares, in the declared namespaces and sequence order,
//! with the headers the operation's binding lists; the response fixtures and
//! the vendored WSDL agree too.

use super::envelope::CALLS;
use crate::xml::wsdl::Wsdl;

const WSDL: &[u8] = include_bytes!("../../../wsdl/partner.wsdl");

fn wsdl() -> Wsdl {
    Wsdl::parse(WSDL).unwrap()
}

#[test]
fn every_built_envelope_is_declared_by_the_wsdl() {
    wsdl().check_every_call(
        &CALLS,
        &["query", "queryAll"],
        &[None, Some(200), Some(500), Some(2000)],
    );
}

#[test]
fn the_check_rejects_zuora_names_and_unbound_headers() {
    let w = wsdl();
    let env = |header: &str, body: &str| {
        format!(
            "<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/' \
             xmlns:urn='urn:partner.soap.sforce.com'><s:Header>{header}</s:Header>\
             <s:Body>{body}</s:Body></s:Envelope>"
        )
    };
    let query = "<urn:query><urn:queryString>q</urn:queryString></urn:query>";
    for (header, body, want) in [
        (
            "<urn:SessionHeader><urn:session>s</urn:session></urn:SessionHeader>",
            query,
            "not declared in SessionHeader",
        ),
        (
            "<urn:SessionHeader><urn:sessionId>s</urn:sessionId></urn:SessionHeader>",
            "<urn:login><urn:username>u</urn:username><urn:password>p</urn:password></urn:login>",
            "not bound to operation login",
        ),
        (
            "<urn:MruHeader><urn:updateMru>false</urn:updateMru></urn:MruHeader>",
            "<urn:queryMore><urn:queryLocator>x</urn:queryLocator></urn:queryMore>",
            "not bound to operation queryMore",
        ),
        (
            "",
            "<urn:query xmlns:urn='urn:sobject.partner.soap.sforce.com'><urn:queryString>q</urn:queryString></urn:query>",
            "not a declared",
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
        &include_bytes!("../../../tests/fixtures/salesforce_soap/login.xml")[..],
        &include_bytes!("../../../tests/fixtures/salesforce_soap/query_first_page.xml")[..],
        &include_bytes!("../../../tests/fixtures/salesforce_soap/query_all_relationships.xml")[..],
        &include_bytes!("../../../tests/fixtures/salesforce_soap/query_child_subquery.xml")[..],
        &include_bytes!("../../../tests/fixtures/salesforce_soap/query_more_last_page.xml")[..],
    ] {
        w.check_envelope(fixture)
            .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(fixture)));
    }
    // A relationship without its xsi:type is caught (it holds elements but
    // would read as a simple value).
    let bad = String::from_utf8_lossy(include_bytes!(
        "../../../tests/fixtures/salesforce_soap/query_all_relationships.xml"
    ))
    .replacen(r#"<sf:Account xsi:type="sf:sObject">"#, "<sf:Account>", 1);
    let e = w.check_envelope(bad.as_bytes()).unwrap_err();
    assert!(e.contains("simple type"), "{e}");
}
