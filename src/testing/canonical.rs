//! The canonical text form of an XML document: one fixed spelling for every way
//! of writing the same envelope (prefixes, attribute order, whitespace, CDATA,
//! where namespaces are declared).

use std::fmt::Display;

use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{QName, ResolveResult};
use quick_xml::{NsReader, XmlVersion};

/// The SOAP 1.1 envelope namespace.
const SOAP_ENV_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The XML Schema instance namespace (`xsi:type`, `xsi:nil`).
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// The `xml:` namespace: always bound, never declared.
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// Namespaces that keep a familiar prefix instead of `ns0`, `ns1`, ...
const WELL_KNOWN: &[(&str, &str)] = &[(SOAP_ENV_NS, "soapenv"), (XSI_NS, "xsi")];
/// Deepest element nesting accepted, so no input can exhaust the stack.
const MAX_DEPTH: usize = 256;
/// Indentation of one nesting level.
const INDENT: &str = "  ";

/// Why an input could not be put in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CanonicalError {
    /// The XML parser rejected the input (bad syntax, invalid UTF-8, mismatched tags).
    #[error("malformed XML at byte {position}: {message}")]
    Malformed {
        /// Byte offset in the input where the problem was found.
        position: u64,
        /// What the parser reported.
        message: String,
    },
    /// The input ended before every element was closed.
    #[error("truncated XML: input ended before </{element}>")]
    Truncated {
        /// Local name of the innermost element left open.
        element: String,
    },
    /// The input has no root element.
    #[error("no root element")]
    NoRoot,
    /// Something other than whitespace, comments or processing instructions
    /// appears outside the root element.
    #[error("{what} outside the root element")]
    OutsideRoot {
        /// What was found (`text`, `a second root element`).
        what: &'static str,
    },
    /// An element or attribute name, or an `xsi:type` value, uses a prefix that
    /// is not declared in scope.
    #[error("undeclared namespace prefix `{prefix}`")]
    UnknownPrefix {
        /// The prefix.
        prefix: String,
    },
    /// An entity reference other than the five predefined ones or a character reference.
    #[error("undefined entity `&{name};`")]
    UnknownEntity {
        /// The entity name.
        name: String,
    },
    /// Two attributes of one element resolve to the same namespace and local name.
    #[error("duplicate attribute `{name}`")]
    DuplicateAttribute {
        /// Local name of the attribute.
        name: String,
    },
    /// Elements are nested deeper than the canonicaliser accepts.
    #[error("elements nested deeper than {limit} levels")]
    TooDeep {
        /// The nesting limit.
        limit: usize,
    },
}

/// Puts an XML document (typically a SOAP envelope) in canonical form, so two
/// documents that mean the same thing produce identical text.
///
/// See the [module documentation](super) for the exact rules.
///
/// # Errors
///
/// A [`CanonicalError`] when the input is not a well-formed, namespace-correct
/// XML document.
pub fn canonical_xml(bytes: &[u8]) -> Result<String, CanonicalError> {
    let mut out = String::with_capacity(bytes.len());
    write_element(&mut out, &Parser::new(bytes).parse()?, 0);
    Ok(out)
}

/// A parsed element with canonical names, sorted attributes and no ignorable content.
#[derive(Debug)]
struct Element {
    /// Canonical qualified name (`ns0:queryMore`).
    name: String,
    /// Canonical qualified names and unescaped values, in canonical order.
    attributes: Vec<(String, String)>,
    /// Child elements and non-blank text, in document order.
    children: Vec<Node>,
}

/// One child of an [`Element`].
#[derive(Debug)]
enum Node {
    /// A nested element.
    Element(Element),
    /// Unescaped character data (text, references and CDATA joined).
    Text(String),
}

/// An attribute resolved to its namespace, before canonical prefixes are assigned.
struct ResolvedAttribute {
    /// Namespace URI, `None` for an unprefixed attribute.
    uri: Option<String>,
    /// Local name.
    local: String,
    /// Unescaped, normalised value.
    value: String,
    /// For `xsi:type`: the value resolved as a QName (namespace URI, local name).
    qname_value: Option<(Option<String>, String)>,
}

/// Canonical prefixes, assigned in order of first appearance.
#[derive(Default)]
struct Namespaces {
    /// (namespace URI, canonical prefix), in order of first appearance.
    bindings: Vec<(String, String)>,
    /// How many `nsN` prefixes have been handed out.
    numbered: usize,
}

impl Namespaces {
    /// The canonical spelling of a name in namespace `uri` (none: unprefixed).
    fn qualify(&mut self, uri: Option<&str>, local: &str) -> String {
        match uri {
            None => local.to_owned(),
            Some(uri) => format!("{}:{local}", self.prefix(uri)),
        }
    }

    /// The canonical prefix of `uri`, assigning the next one on first use.
    fn prefix(&mut self, uri: &str) -> &str {
        if uri == XML_NS {
            return "xml";
        }
        let index = match self.bindings.iter().position(|(known, _)| known == uri) {
            Some(index) => index,
            None => {
                let prefix = match WELL_KNOWN.iter().find(|(known, _)| *known == uri) {
                    Some((_, prefix)) => (*prefix).to_owned(),
                    None => {
                        self.numbered += 1;
                        format!("ns{}", self.numbered - 1)
                    }
                };
                self.bindings.push((uri.to_owned(), prefix));
                self.bindings.len() - 1
            }
        };
        &self.bindings[index].1
    }

    /// The `xmlns:prefix="uri"` declarations, in canonical order.
    fn into_declarations(self) -> impl Iterator<Item = (String, String)> {
        self.bindings
            .into_iter()
            .map(|(uri, prefix)| (format!("xmlns:{prefix}"), uri))
    }
}

/// Builds the canonical tree from reader events.
struct Parser<'i> {
    /// Namespace-aware reader over the input.
    reader: NsReader<&'i [u8]>,
    /// XML version from the declaration, for end-of-line and attribute normalisation.
    version: XmlVersion,
    /// Canonical prefixes handed out so far.
    namespaces: Namespaces,
    /// Elements started and not yet ended, outermost first.
    open: Vec<Element>,
    /// The root element, once it has ended.
    root: Option<Element>,
    /// Character data read since the last tag.
    text: String,
}

impl<'i> Parser<'i> {
    /// A parser over `bytes`.
    fn new(bytes: &'i [u8]) -> Self {
        Parser {
            reader: NsReader::from_reader(bytes),
            version: XmlVersion::Implicit1_0,
            namespaces: Namespaces::default(),
            open: Vec::new(),
            root: None,
            text: String::new(),
        }
    }

    /// Reads the whole input; returns the root with the namespace declarations on it.
    fn parse(mut self) -> Result<Element, CanonicalError> {
        loop {
            match self.reader.read_event().map_err(|e| self.malformed(e))? {
                Event::Start(start) => {
                    let element = self.start(&start)?;
                    self.open.push(element);
                }
                Event::Empty(start) => {
                    let element = self.start(&start)?;
                    self.finish(element);
                }
                Event::End(_) => {
                    self.flush_text()?;
                    let element = self
                        .open
                        .pop()
                        .ok_or_else(|| self.malformed("closing tag without an opening tag"))?;
                    self.finish(element);
                }
                Event::Text(text) => self.text.push_str(&text.xml_content(self.version)),
                Event::CData(cdata) => self.text.push_str(&cdata.xml_content(self.version)),
                Event::GeneralRef(reference) => self.reference(&reference)?,
                Event::Decl(decl) => {
                    self.version = decl.xml_version().map_err(|e| self.malformed(e))?;
                }
                Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
                Event::Eof => break,
            }
        }
        self.flush_text()?;
        if let Some(element) = self.open.last() {
            return Err(CanonicalError::Truncated {
                element: local_part(&element.name).to_owned(),
            });
        }
        let mut root = self.root.ok_or(CanonicalError::NoRoot)?;
        root.attributes
            .splice(0..0, self.namespaces.into_declarations());
        Ok(root)
    }

    /// A [`CanonicalError::Malformed`] at the reader's current position.
    fn malformed(&self, message: impl Display) -> CanonicalError {
        CanonicalError::Malformed {
            position: self.reader.error_position(),
            message: message.to_string(),
        }
    }

    /// Resolves a start (or empty) tag into an element with canonical names.
    fn start(&mut self, start: &BytesStart<'_>) -> Result<Element, CanonicalError> {
        self.flush_text()?;
        if self.open.is_empty() && self.root.is_some() {
            return Err(CanonicalError::OutsideRoot {
                what: "a second root element",
            });
        }
        if self.open.len() >= MAX_DEPTH {
            return Err(CanonicalError::TooDeep { limit: MAX_DEPTH });
        }
        let resolver = self.reader.resolver();
        let (ns, local) = resolver.resolve_element(start.name());
        let name = self
            .namespaces
            .qualify(namespace_uri(ns)?.as_deref(), local.as_ref());

        let mut resolved = Vec::new();
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|e| self.malformed(e))?;
            if attribute.key.as_namespace_binding().is_some() {
                continue;
            }
            let (ns, local) = resolver.resolve_attribute(attribute.key);
            let uri = namespace_uri(ns)?;
            let value = attribute
                .normalized_value(self.version)
                .map_err(|e| self.malformed(e))?
                .into_owned();
            let qname_value = if uri.as_deref() == Some(XSI_NS) && local.as_ref() == "type" {
                let (ns, value_local) = resolver.resolve_element(QName(value.trim()));
                Some((namespace_uri(ns)?, value_local.as_ref().to_owned()))
            } else {
                None
            };
            resolved.push(ResolvedAttribute {
                uri,
                local: local.as_ref().to_owned(),
                value,
                qname_value,
            });
        }
        resolved.sort_by(|a, b| (&a.uri, &a.local).cmp(&(&b.uri, &b.local)));
        if let Some(pair) = resolved
            .windows(2)
            .find(|pair| (&pair[0].uri, &pair[0].local) == (&pair[1].uri, &pair[1].local))
        {
            return Err(CanonicalError::DuplicateAttribute {
                name: pair[0].local.clone(),
            });
        }

        let attributes = resolved
            .into_iter()
            .map(|attribute| {
                let name = self
                    .namespaces
                    .qualify(attribute.uri.as_deref(), &attribute.local);
                let value = match attribute.qname_value {
                    Some((uri, local)) => self.namespaces.qualify(uri.as_deref(), &local),
                    None => attribute.value,
                };
                (name, value)
            })
            .collect();
        Ok(Element {
            name,
            attributes,
            children: Vec::new(),
        })
    }

    /// Appends a completed element to its parent, or makes it the root.
    fn finish(&mut self, element: Element) {
        match self.open.last_mut() {
            Some(parent) => parent.children.push(Node::Element(element)),
            None => self.root = Some(element),
        }
    }

    /// Moves pending character data into the open element; drops it when blank.
    fn flush_text(&mut self) -> Result<(), CanonicalError> {
        if self.text.chars().all(is_xml_whitespace) {
            self.text.clear();
            return Ok(());
        }
        let text = std::mem::take(&mut self.text);
        let parent = self
            .open
            .last_mut()
            .ok_or(CanonicalError::OutsideRoot { what: "text" })?;
        parent.children.push(Node::Text(text));
        Ok(())
    }

    /// Appends the character an entity or character reference stands for.
    fn reference(&mut self, reference: &BytesRef<'_>) -> Result<(), CanonicalError> {
        match reference
            .resolve_char_ref()
            .map_err(|e| self.malformed(e))?
        {
            Some(ch) => self.text.push(ch),
            None => {
                let name: &str = reference;
                let value =
                    resolve_xml_entity(name).ok_or_else(|| CanonicalError::UnknownEntity {
                        name: name.to_owned(),
                    })?;
                self.text.push_str(value);
            }
        }
        Ok(())
    }
}

/// The namespace URI a name resolved to; an undeclared prefix is an error.
fn namespace_uri(ns: ResolveResult<'_>) -> Result<Option<String>, CanonicalError> {
    match ns {
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Bound(ns) => Ok(Some(ns.as_ref().to_owned())),
        ResolveResult::Unknown(prefix) => Err(CanonicalError::UnknownPrefix { prefix }),
    }
}

/// The part of a qualified name after the prefix.
fn local_part(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// XML's whitespace characters (not Unicode's).
fn is_xml_whitespace(ch: char) -> bool {
    matches!(ch, ' ' | '\t' | '\n' | '\r')
}

/// Where escaped characters are written; attributes need quotes and line breaks kept.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    /// Element content.
    Text,
    /// A double-quoted attribute value.
    Attribute,
}

/// Appends `value` with the minimal escaping for `context`.
fn escape_into(out: &mut String, value: &str, context: Context) {
    for ch in value.chars() {
        match (ch, context) {
            ('&', _) => out.push_str("&amp;"),
            ('<', _) => out.push_str("&lt;"),
            ('>', Context::Text) => out.push_str("&gt;"),
            ('"', Context::Attribute) => out.push_str("&quot;"),
            ('\r', _) => out.push_str("&#13;"),
            ('\n', Context::Attribute) => out.push_str("&#10;"),
            ('\t', Context::Attribute) => out.push_str("&#9;"),
            (ch, _) => out.push(ch),
        }
    }
}

/// Appends `depth` levels of indentation.
fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str(INDENT);
    }
}

/// Appends one element and its children, one tag per line; text-only elements on one line.
fn write_element(out: &mut String, element: &Element, depth: usize) {
    indent(out, depth);
    out.push('<');
    out.push_str(&element.name);
    for (name, value) in &element.attributes {
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        escape_into(out, value, Context::Attribute);
        out.push('"');
    }
    match element.children.as_slice() {
        [] => out.push_str("/>\n"),
        [Node::Text(text)] => {
            out.push('>');
            escape_into(out, text, Context::Text);
            write_end_tag(out, &element.name);
        }
        children => {
            out.push_str(">\n");
            for child in children {
                match child {
                    Node::Element(child) => write_element(out, child, depth + 1),
                    Node::Text(text) => {
                        indent(out, depth + 1);
                        escape_into(out, text, Context::Text);
                        out.push('\n');
                    }
                }
            }
            indent(out, depth);
            write_end_tag(out, &element.name);
        }
    }
}

/// Appends `</name>` and a line break.
fn write_end_tag(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}
