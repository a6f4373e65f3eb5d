//! Reading a SOAP request envelope, as the mock endpoints do: the header
//! elements with their text fields, and the body operation with its text
//! parameters (one level deep each, which is all `login`, `query`, `queryAll`
//! and `queryMore` carry).

#![cfg_attr(not(feature = "mock"), allow(dead_code))]

use super::NsId;
use super::reader::{Elem, XmlReader};
use crate::{BackendKind, Result};

/// One header element and its children's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    /// The header's namespace.
    pub ns: NsId,
    /// Its local name (`SessionHeader`).
    pub name: String,
    /// `(child local name, text)` pairs (`("session", "...")`).
    pub fields: Vec<(String, String)>,
}

/// A request: the operation and its parameters, and the headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SoapRequest {
    /// The operation's namespace.
    pub ns: NsId,
    /// The operation (`query`).
    pub operation: String,
    /// `(parameter local name, text)` pairs.
    pub params: Vec<(String, String)>,
    /// The header elements.
    pub headers: Vec<Header>,
}

impl SoapRequest {
    /// A parameter's text.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        lookup(&self.params, name)
    }

    /// The text of `field` in the first header called `header` in one of `namespaces`.
    pub(crate) fn header_field(
        &self,
        namespaces: &[NsId],
        header: &str,
        field: &str,
    ) -> Option<&str> {
        self.headers
            .iter()
            .filter(|h| h.name == header && namespaces.contains(&h.ns))
            .find_map(|h| lookup(&h.fields, field))
    }
}

fn lookup<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Reads a request envelope; `table` lists the dialect's namespaces.
pub(crate) fn read_request(
    backend: BackendKind,
    body: &[u8],
    table: &'static [&'static str],
) -> Result<SoapRequest> {
    let mut r = XmlReader::new(backend, body, table);
    let envelope = r.root()?;
    if !envelope.is(NsId::SOAP_ENV, "Envelope") {
        return Err(r.error(format!(
            "expected a SOAP 1.1 Envelope, found <{}>",
            envelope.qualified_name()
        )));
    }
    let mut headers = Vec::new();
    let mut operation = None;
    while let Some(part) = r.child(&envelope)? {
        if part.is(NsId::SOAP_ENV, "Header") {
            while let Some(h) = r.child(&part)? {
                let fields = fields(&mut r, &h)?;
                headers.push(Header {
                    ns: h.ns(),
                    name: h.local_name().to_owned(),
                    fields,
                });
            }
        } else if part.is(NsId::SOAP_ENV, "Body") {
            while let Some(op) = r.child(&part)? {
                if operation.is_some() {
                    r.skip(&op)?;
                    continue;
                }
                let params = fields(&mut r, &op)?;
                operation = Some((op.ns(), op.local_name().to_owned(), params));
            }
        } else {
            r.skip(&part)?;
        }
    }
    r.finish()?;
    let (ns, operation, params) = operation.ok_or_else(|| r.error("the SOAP Body is empty"))?;
    Ok(SoapRequest {
        ns,
        operation,
        params,
        headers,
    })
}

/// The text of each child of `parent` (deeper elements are skipped).
fn fields(r: &mut XmlReader<'_>, parent: &Elem<'_>) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    while let Some(c) = r.child(parent)? {
        let name = c.local_name().to_owned();
        if c.is_nil() {
            r.skip(&c)?;
            continue;
        }
        let text = r.text(&c)?.to_owned();
        out.push((name, text));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::writer::{ApiNs, Element, request_envelope};

    const TABLE: &[&str] = &["urn:api"];
    const API: NsId = NsId::dialect(0);

    #[test]
    fn a_built_request_reads_back() {
        let bytes = request_envelope(
            ApiNs {
                prefix: "a",
                uri: "urn:api",
            },
            &[
                Element::parent("SessionHeader", vec![Element::leaf("session", "s&1")]),
                Element::parent("QueryOptions", vec![Element::leaf("batchSize", "50")]),
            ],
            &Element::parent("query", vec![Element::leaf("queryString", "select <x>")]),
        );
        let req = read_request(BackendKind::ZuoraSoap, &bytes, TABLE).unwrap();
        assert_eq!((req.ns, req.operation.as_str()), (API, "query"));
        assert_eq!(req.param("queryString"), Some("select <x>"));
        assert_eq!(
            req.header_field(&[API], "SessionHeader", "session"),
            Some("s&1")
        );
        assert_eq!(
            req.header_field(&[API], "QueryOptions", "batchSize"),
            Some("50")
        );
        assert_eq!(
            req.header_field(&[NsId::OTHER], "QueryOptions", "batchSize"),
            None
        );
    }

    #[test]
    fn bad_requests_are_errors() {
        for bad in [
            &b"not xml"[..],
            b"<Envelope/>",
            b"<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/'><s:Body/></s:Envelope>",
            b"<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/'><s:Body><q>",
        ] {
            assert!(read_request(BackendKind::ZuoraSoap, bad, TABLE).is_err());
        }
    }
}
