//! Pure builders for the four requests this backend sends: `login`, `query`,
//! `queryAll` and `queryMore` (SOAP 1.1, document/literal). Every element, the
//! headers included, is in `urn:partner.soap.sforce.com` as the partner WSDL
//! declares; every text value is escaped by the shared writer.

use super::PARTNER_NS;
use crate::Secret;
use crate::xml::writer::{ApiNs, Element, request_envelope};

/// The partner namespace and the prefix the requests write it with.
pub(crate) const PARTNER: ApiNs<'static> = ApiNs {
    prefix: "urn",
    uri: PARTNER_NS,
};

/// `login(username, password)`: no headers.
pub(crate) fn login_envelope(username: &str, password: &Secret) -> Vec<u8> {
    let body = Element::parent(
        "login",
        vec![
            Element::leaf("username", username),
            Element::leaf("password", password.expose()),
        ],
    );
    request_envelope(PARTNER, &[], &body)
}

/// `query(queryString)`, or `queryAll` when `all`, with `SessionHeader` and,
/// when a batch size is set, `QueryOptions/batchSize`.
pub(crate) fn query_envelope(
    session: &Secret,
    query: &str,
    all: bool,
    batch_size: Option<u32>,
) -> Vec<u8> {
    let op = if all { "queryAll" } else { "query" };
    let body = Element::parent(op, vec![Element::leaf("queryString", query)]);
    request_envelope(PARTNER, &headers(session, batch_size), &body)
}

/// `queryMore(queryLocator)` with the same headers as `query`.
pub(crate) fn query_more_envelope(
    session: &Secret,
    locator: &str,
    batch_size: Option<u32>,
) -> Vec<u8> {
    let body = Element::parent("queryMore", vec![Element::leaf("queryLocator", locator)]);
    request_envelope(PARTNER, &headers(session, batch_size), &body)
}

fn headers(session: &Secret, batch_size: Option<u32>) -> Vec<Element<'_>> {
    let mut headers = vec![Element::parent(
        "SessionHeader",
        vec![Element::leaf("sessionId", session.expose())],
    )];
    if let Some(n) = batch_size {
        headers.push(Element::parent(
            "QueryOptions",
            vec![Element::leaf("batchSize", n.to_string())],
        ));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn query_and_query_all_differ_only_in_the_operation() {
        let q = text(query_envelope(
            &Secret::new("s"),
            "select Id from Contact",
            false,
            None,
        ));
        let all = text(query_envelope(
            &Secret::new("s"),
            "select Id from Contact",
            true,
            None,
        ));
        assert!(
            q.contains(
                "<urn:query><urn:queryString>select Id from Contact</urn:queryString></urn:query>"
            ),
            "{q}"
        );
        assert_eq!(q.replace("urn:query>", "urn:queryAll>"), all);
        assert!(!q.contains("QueryOptions"), "{q}");
        assert!(
            q.contains(r#"xmlns:urn="urn:partner.soap.sforce.com""#),
            "{q}"
        );
    }

    #[test]
    fn session_id_and_batch_size_go_in_the_partner_headers() {
        let s = text(query_more_envelope(
            &Secret::new("00D!a&b"),
            "01gX-200",
            Some(200),
        ));
        assert!(
            s.contains(
                "<soapenv:Header><urn:SessionHeader><urn:sessionId>00D!a&amp;b</urn:sessionId>\
                 </urn:SessionHeader><urn:QueryOptions><urn:batchSize>200</urn:batchSize>\
                 </urn:QueryOptions></soapenv:Header>"
            ),
            "{s}"
        );
        assert!(
            s.contains(
                "<urn:queryMore><urn:queryLocator>01gX-200</urn:queryLocator></urn:queryMore>"
            ),
            "{s}"
        );
    }

    #[test]
    fn login_has_no_header_and_escapes_the_password() {
        let s = text(login_envelope("u@x.test", &Secret::new("p<w>&tok")));
        assert!(!s.contains("Header"), "{s}");
        assert!(
            s.contains("<urn:password>p&lt;w&gt;&amp;tok</urn:password>"),
            "{s}"
        );
    }
}
