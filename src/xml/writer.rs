//! Writing SOAP 1.1 envelopes through quick-xml's `Writer`: a small element
//! writer that escapes every text and attribute value, the request envelope a
//! dialect builds (header elements and one body operation, all in the dialect's
//! API namespace), and the envelope frame the mock's responses are written in.

use super::SOAP_ENV;
use crate::Secret;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use std::borrow::Cow;

/// The prefix the SOAP envelope namespace is written with.
pub(crate) const SOAP_ENV_PREFIX: &str = "soapenv";

/// An XML writer into memory. Names are given as `(prefix, local)`; an empty
/// prefix writes an unprefixed name.
pub(crate) struct XmlWriter {
    inner: Writer<Vec<u8>>,
    name: String,
}

impl XmlWriter {
    /// A writer with room for `capacity` bytes, starting with the XML declaration.
    pub(crate) fn new(capacity: usize) -> Self {
        let mut w = XmlWriter {
            inner: Writer::new(Vec::with_capacity(capacity)),
            name: String::with_capacity(64),
        };
        w.emit(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        w
    }

    /// Opens `<prefix:local attrs...>`; attribute values are escaped.
    pub(crate) fn start(&mut self, prefix: &str, local: &str, attrs: &[(&str, &str)]) {
        qualify(&mut self.name, prefix, local);
        let start = with_attributes(BytesStart::new(self.name.as_str()), attrs);
        // Writing into a Vec<u8> cannot fail.
        let _ = self.inner.write_event(Event::Start(start));
    }

    /// Writes `<prefix:local attrs.../>`.
    pub(crate) fn empty(&mut self, prefix: &str, local: &str, attrs: &[(&str, &str)]) {
        qualify(&mut self.name, prefix, local);
        let start = with_attributes(BytesStart::new(self.name.as_str()), attrs);
        let _ = self.inner.write_event(Event::Empty(start));
    }

    /// Closes `</prefix:local>`.
    pub(crate) fn end(&mut self, prefix: &str, local: &str) {
        qualify(&mut self.name, prefix, local);
        let _ = self
            .inner
            .write_event(Event::End(BytesEnd::new(self.name.as_str())));
    }

    /// Writes `<prefix:local>text</prefix:local>`, the text escaped.
    pub(crate) fn leaf(&mut self, prefix: &str, local: &str, text: &str) {
        self.start(prefix, local, &[]);
        self.emit(Event::Text(BytesText::new(text)));
        self.end(prefix, local);
    }

    /// The bytes written.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.inner.into_inner()
    }

    fn emit(&mut self, event: Event<'_>) {
        // Writing into a Vec<u8> cannot fail.
        let _ = self.inner.write_event(event);
    }
}

fn with_attributes<'a>(mut start: BytesStart<'a>, attrs: &[(&str, &str)]) -> BytesStart<'a> {
    for attr in attrs {
        start.push_attribute(*attr);
    }
    start
}

fn qualify(buf: &mut String, prefix: &str, local: &str) {
    buf.clear();
    if !prefix.is_empty() {
        buf.push_str(prefix);
        buf.push(':');
    }
    buf.push_str(local);
}

/// One element of a request: a text leaf or a parent of further elements.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Element<'a> {
    /// `<name>text</name>`.
    Leaf(&'a str, Cow<'a, str>),
    /// `<name>children...</name>`.
    Parent(&'a str, Vec<Element<'a>>),
}

impl<'a> Element<'a> {
    /// A text leaf.
    pub(crate) fn leaf(name: &'a str, text: impl Into<Cow<'a, str>>) -> Self {
        Element::Leaf(name, text.into())
    }

    /// A parent element.
    pub(crate) fn parent(name: &'a str, children: Vec<Element<'a>>) -> Self {
        Element::Parent(name, children)
    }

    fn write(&self, w: &mut XmlWriter, prefix: &str) {
        match self {
            Element::Leaf(name, text) => w.leaf(prefix, name, text),
            Element::Parent(name, children) => {
                w.start(prefix, name, &[]);
                for c in children {
                    c.write(w, prefix);
                }
                w.end(prefix, name);
            }
        }
    }
}

/// A dialect's API namespace and the prefix its requests use for it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ApiNs<'a> {
    /// The prefix (`api`, `urn`).
    pub prefix: &'a str,
    /// The namespace URI (`http://api.zuora.com/`).
    pub uri: &'a str,
}

/// A SOAP 1.1 request: `headers` (omitted when empty) and one `body`
/// operation, every element in the dialect's API namespace.
pub(crate) fn request_envelope(
    ns: ApiNs<'_>,
    headers: &[Element<'_>],
    body: &Element<'_>,
) -> Vec<u8> {
    let xmlns = format!("xmlns:{}", ns.prefix);
    let mut w = XmlWriter::new(512);
    w.start(
        SOAP_ENV_PREFIX,
        "Envelope",
        &[("xmlns:soapenv", SOAP_ENV), (&xmlns, ns.uri)],
    );
    if !headers.is_empty() {
        w.start(SOAP_ENV_PREFIX, "Header", &[]);
        for h in headers {
            h.write(&mut w, ns.prefix);
        }
        w.end(SOAP_ENV_PREFIX, "Header");
    }
    w.start(SOAP_ENV_PREFIX, "Body", &[]);
    body.write(&mut w, ns.prefix);
    w.end(SOAP_ENV_PREFIX, "Body");
    w.end(SOAP_ENV_PREFIX, "Envelope");
    w.into_bytes()
}

/// The requests both dialects send — `login`, the query calls and `queryMore` —
/// differing only in the API namespace and the name of the session field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Calls {
    /// The API namespace and its prefix.
    pub ns: ApiNs<'static>,
    /// `SessionHeader`'s child (`session`, `sessionId`).
    pub session_field: &'static str,
}

impl Calls {
    /// `login(username, password)`: no headers.
    pub(crate) fn login(&self, username: &str, password: &Secret) -> Vec<u8> {
        let body = Element::parent(
            "login",
            vec![
                Element::leaf("username", username),
                Element::leaf("password", password.expose()),
            ],
        );
        request_envelope(self.ns, &[], &body)
    }

    /// `operation(queryString)` (`query`, `queryAll`) with the query headers.
    pub(crate) fn query(
        &self,
        operation: &str,
        session: &Secret,
        query: &str,
        batch_size: Option<u32>,
    ) -> Vec<u8> {
        let body = Element::parent(operation, vec![Element::leaf("queryString", query)]);
        request_envelope(self.ns, &self.headers(session, batch_size), &body)
    }

    /// `queryMore(queryLocator)` with the query headers.
    pub(crate) fn query_more(
        &self,
        session: &Secret,
        locator: &str,
        batch_size: Option<u32>,
    ) -> Vec<u8> {
        let body = Element::parent("queryMore", vec![Element::leaf("queryLocator", locator)]);
        request_envelope(self.ns, &self.headers(session, batch_size), &body)
    }

    /// `SessionHeader` and, when a batch size is set, `QueryOptions/batchSize`.
    fn headers<'a>(&self, session: &'a Secret, batch_size: Option<u32>) -> Vec<Element<'a>> {
        let mut headers = vec![Element::parent(
            "SessionHeader",
            vec![Element::leaf(self.session_field, session.expose())],
        )];
        if let Some(n) = batch_size {
            headers.push(Element::parent(
                "QueryOptions",
                vec![Element::leaf("batchSize", n.to_string())],
            ));
        }
        headers
    }
}

/// Opens a response: the declaration, `soapenv:Envelope` with `declarations`
/// (`("xmlns:sf", uri)` pairs) besides the envelope's own, and `soapenv:Body`.
#[cfg_attr(not(feature = "mock"), allow(dead_code))]
pub(crate) fn begin_response(capacity: usize, declarations: &[(&str, &str)]) -> XmlWriter {
    begin_response_with_header(capacity, declarations, None)
}

/// [`begin_response`] with a `soapenv:Header` whose elements `header` writes.
#[cfg_attr(not(feature = "mock"), allow(dead_code))]
pub(crate) fn begin_response_with_header(
    capacity: usize,
    declarations: &[(&str, &str)],
    header: Option<&dyn Fn(&mut XmlWriter)>,
) -> XmlWriter {
    let mut w = XmlWriter::new(capacity);
    let mut attrs = Vec::with_capacity(declarations.len() + 1);
    attrs.push(("xmlns:soapenv", SOAP_ENV));
    attrs.extend_from_slice(declarations);
    w.start(SOAP_ENV_PREFIX, "Envelope", &attrs);
    if let Some(write) = header {
        w.start(SOAP_ENV_PREFIX, "Header", &[]);
        write(&mut w);
        w.end(SOAP_ENV_PREFIX, "Header");
    }
    w.start(SOAP_ENV_PREFIX, "Body", &[]);
    w
}

/// Closes what [`begin_response`] opened and returns the bytes.
#[cfg_attr(not(feature = "mock"), allow(dead_code))]
pub(crate) fn end_response(mut w: XmlWriter) -> Vec<u8> {
    w.end(SOAP_ENV_PREFIX, "Body");
    w.end(SOAP_ENV_PREFIX, "Envelope");
    w.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: ApiNs<'static> = ApiNs {
        prefix: "api",
        uri: "http://api.zuora.com/",
    };

    #[test]
    fn text_and_attribute_values_are_escaped() {
        let mut w = XmlWriter::new(64);
        w.start("", "a", &[("title", "x\"<&>")]);
        w.leaf("p", "b", "AT&T <b> 'q' \"d\"");
        w.end("", "a");
        let s = String::from_utf8(w.into_bytes()).unwrap();
        assert_eq!(
            s,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a title=\"x&quot;&lt;&amp;&gt;\">\
             <p:b>AT&amp;T &lt;b&gt; &apos;q&apos; &quot;d&quot;</p:b></a>"
        );
    }

    #[test]
    fn request_envelope_omits_an_empty_header() {
        let body = Element::parent("login", vec![Element::leaf("username", "u")]);
        let s = String::from_utf8(request_envelope(NS, &[], &body)).unwrap();
        assert!(!s.contains("Header"), "{s}");
        assert!(
            s.ends_with(
                "<soapenv:Body><api:login><api:username>u</api:username></api:login>\
                 </soapenv:Body></soapenv:Envelope>"
            ),
            "{s}"
        );
    }

    #[test]
    fn request_envelope_writes_headers_in_order() {
        let headers = [
            Element::parent("SessionHeader", vec![Element::leaf("session", "s")]),
            Element::parent("QueryOptions", vec![Element::leaf("batchSize", "5")]),
        ];
        let body = Element::parent("query", vec![Element::leaf("queryString", "q")]);
        let s = String::from_utf8(request_envelope(NS, &headers, &body)).unwrap();
        let header = s.find("<soapenv:Header>").unwrap();
        let session = s.find("<api:SessionHeader>").unwrap();
        let options = s.find("<api:QueryOptions>").unwrap();
        let body_at = s.find("<soapenv:Body>").unwrap();
        assert!(
            header < session && session < options && options < body_at,
            "{s}"
        );
        assert!(s.contains(r#"xmlns:api="http://api.zuora.com/""#), "{s}");
    }
}
