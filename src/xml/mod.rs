//! Shared SOAP 1.1 plumbing on quick-xml, used by every SOAP dialect (Zuora's
//! `api.zuora.com`, Salesforce's partner API) and by their mock endpoints.
//!
//! - [`writer`]: request envelopes (and the mock's responses) through
//!   quick-xml's `Writer`, every text value escaped.
//! - [`reader`]: a namespace-aware pull reader over `NsReader` that matches
//!   `(namespace URI, local name)`, never prefixes, and reads text values across
//!   `Text`, `GeneralRef` and CDATA events.
//! - [`envelope`]: the walk into a response: `Envelope`, `Header` elements
//!   handed to the dialect, `Body` holding a `Fault` or the operation's response.
//! - [`query_result`]: the `QueryResult` shape both dialects share (`done`,
//!   `queryLocator`, `records*`, `size`), read and written; the dialect says how a
//!   record element becomes a [`Record`](crate::Record).
//! - [`request`]: a request envelope as the mock endpoints read it.
//! - [`fault`]: `soapenv:Fault` read and written; the dialect names the detail
//!   children (`FaultCode`/`FaultMessage`, `exceptionCode`/`exceptionMessage`).
//! - [`dialect`]: a dialect described once (namespaces, fault and login names,
//!   fault classification) and the `login` / query response readers built on it.
//! - [`http`]: SOAP over HTTP: posting, the checks before parsing, a fault
//!   turned into the error, the login's server URL checked.
//! - [`session`]: `login` as an auth provider, and calls made with the session
//!   in force (one re-login when it is refused).
//!
//! A dialect names its own namespaces once, as a table of URIs; the reader maps
//! every element to an [`NsId`] from that table, so comparisons are integer
//! compares and prefixes never matter.

pub(crate) mod dialect;
pub(crate) mod envelope;
pub(crate) mod fault;
pub(crate) mod http;
pub(crate) mod query_result;
pub(crate) mod reader;
pub(crate) mod request;
pub(crate) mod session;
pub(crate) mod writer;

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
pub(crate) mod wsdl;

/// The SOAP 1.1 envelope namespace.
pub(crate) const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The XML Schema instance namespace (`xsi:type`, `xsi:nil`).
pub(crate) const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// A namespace as the reader classifies it: one of the fixed ones below, or an
/// index into the dialect's table of URIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NsId(u8);

impl NsId {
    /// No namespace (an unqualified name such as SOAP 1.1's `faultcode`).
    pub(crate) const NONE: NsId = NsId(0);
    /// A namespace the dialect did not name.
    pub(crate) const OTHER: NsId = NsId(1);
    /// `http://schemas.xmlsoap.org/soap/envelope/`.
    pub(crate) const SOAP_ENV: NsId = NsId(2);
    /// `http://www.w3.org/2001/XMLSchema-instance`.
    pub(crate) const XSI: NsId = NsId(3);

    /// The dialect's namespace at index `i` of its table.
    pub(crate) const fn dialect(i: u8) -> NsId {
        NsId(4 + i)
    }

    /// Classifies a namespace URI against the fixed namespaces and `table`.
    pub(crate) fn of(uri: &str, table: &[&str]) -> NsId {
        if let Some(i) = table.iter().position(|t| *t == uri) {
            return NsId::dialect(i as u8);
        }
        match uri {
            SOAP_ENV => NsId::SOAP_ENV,
            XSI => NsId::XSI,
            _ => NsId::OTHER,
        }
    }
}

/// Parses an `xs:boolean` (`true`, `false`, `1`, `0`).
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_classify_by_uri() {
        let table = ["http://api.zuora.com/", "http://object.api.zuora.com/"];
        assert_eq!(NsId::of("http://api.zuora.com/", &table), NsId::dialect(0));
        assert_eq!(
            NsId::of("http://object.api.zuora.com/", &table),
            NsId::dialect(1)
        );
        assert_eq!(NsId::of(SOAP_ENV, &table), NsId::SOAP_ENV);
        assert_eq!(NsId::of(XSI, &table), NsId::XSI);
        assert_eq!(NsId::of("urn:elsewhere", &table), NsId::OTHER);
    }

    #[test]
    fn xs_boolean_accepts_both_spellings() {
        assert_eq!(parse_bool("1"), Some(true));
        assert_eq!(parse_bool("true"), Some(true));
        assert_eq!(parse_bool(" false "), Some(false));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("yes"), None);
    }
}
