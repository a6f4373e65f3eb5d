//! Pure builders for the three requests this backend sends: `login`, `query`
//! and `queryMore` (SOAP 1.1, document/literal). Every element, the headers
//! included, is in `http://api.zuora.com/` as the WSDL declares; every text value
//! is escaped by the writer.

use super::API_NS;
use crate::xml::writer::{ApiNs, Calls};

/// The API namespace and the prefix the requests write it with; the session
/// goes in `SessionHeader/session`.
pub(crate) static CALLS: Calls = Calls {
    ns: ApiNs {
        prefix: "api",
        uri: API_NS,
    },
    session_field: "session",
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn query_escapes_the_query_text() {
        let s = text(CALLS.query(
            "query",
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
        let s = text(CALLS.query_more(&Secret::new("s&1"), "abc-50", Some(0)));
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
        let s = text(CALLS.login("u@x.test", &Secret::new("p<w>&\"d")));
        assert!(!s.contains("Header"), "{s}");
        assert!(
            s.contains("<api:password>p&lt;w&gt;&amp;&quot;d</api:password>"),
            "{s}"
        );
    }
}
