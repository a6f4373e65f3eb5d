//! Pure builders for the four requests this backend sends: `login`, `query`,
//! `queryAll` and `queryMore` (SOAP 1.1, document/literal). Every element, the
//! headers included, is in `urn:partner.soap.sforce.com` as the partner WSDL
//! declares; every text value is escaped by the shared writer.

use super::PARTNER_NS;
use crate::xml::writer::{ApiNs, Calls};

/// The partner namespace and the prefix the requests write it with; the
/// session goes in `SessionHeader/sessionId`.
pub(crate) static CALLS: Calls = Calls {
    ns: ApiNs {
        prefix: "urn",
        uri: PARTNER_NS,
    },
    session_field: "sessionId",
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn query_and_query_all_differ_only_in_the_operation() {
        let q = text(CALLS.query("query", &Secret::new("s"), "select Id from Contact", None));
        let all = text(CALLS.query(
            "queryAll",
            &Secret::new("s"),
            "select Id from Contact",
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
        let s = text(CALLS.query_more(&Secret::new("00D!a&b"), "01gX-200", Some(200)));
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
        let s = text(CALLS.login("u@x.test", &Secret::new("p<w>&tok")));
        assert!(!s.contains("Header"), "{s}");
        assert!(
            s.contains("<urn:password>p&lt;w&gt;&amp;tok</urn:password>"),
            "{s}"
        );
    }
}
