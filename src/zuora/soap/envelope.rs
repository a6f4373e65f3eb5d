//! Pure builders for the three requests this backend sends: `login`, `query`
//! and `queryMore` (SOAP 1.1, document/literal). Every element, the headers
//! included, is in `http://api.zuora.com/` as the WSDL declares; every text value
//! is escaped by the writer.

use super::API_NS;
use crate::Secret;
use crate::xml::writer::{ApiNs, Element, request_envelope};

/// The API namespace and the prefix the requests write it with.
pub(crate) const API: ApiNs<'static> = ApiNs {
    prefix: "api",
    uri: API_NS,
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
    request_envelope(API, &[], &body)
}

/// `query(queryString)` with `SessionHeader` and, when a batch size is set,
/// `QueryOptions/batchSize`.
pub(crate) fn query_envelope(session: &Secret, query: &str, batch_size: Option<u32>) -> Vec<u8> {
    let body = Element::parent("query", vec![Element::leaf("queryString", query)]);
    request_envelope(API, &headers(session, batch_size), &body)
}

/// `queryMore(queryLocator)` with the same headers as `query`.
pub(crate) fn query_more_envelope(
    session: &Secret,
    locator: &str,
    batch_size: Option<u32>,
) -> Vec<u8> {
    let body = Element::parent("queryMore", vec![Element::leaf("queryLocator", locator)]);
    request_envelope(API, &headers(session, batch_size), &body)
}

fn headers(session: &Secret, batch_size: Option<u32>) -> Vec<Element<'_>> {
    let mut headers = vec![Element::parent(
        "SessionHeader",
        vec![Element::leaf("session", session.expose())],
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
    fn query_escapes_the_query_text() {
        let s = text(query_envelope(
            &Secret::new("s"),
            "select Id from Account where Name = 'AT&T' and Balance < 5",
            None,
        ));
        assert!(
            s.contains(
                "<api:queryString>select Id from Account where Name = &apos;AT&amp;T&apos; \
                 and Balance &lt; 5</api:queryString>"
            ),
            "{s}"
        );
        assert!(!s.contains("QueryOptions"), "{s}");
    }

    #[test]
    fn batch_size_goes_in_query_options_after_the_session_header() {
        let s = text(query_more_envelope(&Secret::new("s&1"), "abc-50", Some(0)));
        assert!(
            s.contains(
                "<soapenv:Header><api:SessionHeader><api:session>s&amp;1</api:session>\
                 </api:SessionHeader><api:QueryOptions><api:batchSize>0</api:batchSize>\
                 </api:QueryOptions></soapenv:Header>"
            ),
            "{s}"
        );
        assert!(
            s.contains(
                "<api:queryMore><api:queryLocator>abc-50</api:queryLocator></api:queryMore>"
            ),
            "{s}"
        );
    }

    #[test]
    fn login_has_no_header_and_escapes_the_password() {
        let s = text(login_envelope("u@x.test", &Secret::new("p<w>&\"d")));
        assert!(!s.contains("Header"), "{s}");
        assert!(
            s.contains("<api:password>p&lt;w&gt;&amp;&quot;d</api:password>"),
            "{s}"
        );
    }
}
