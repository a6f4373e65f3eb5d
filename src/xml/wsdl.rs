//! A contract check for tests: reads a (vendored) WSDL's schemas and binding
//! and checks that an envelope uses only declared elements, each in its
//! declared namespace, children in their declared sequence order, records typed
//! by `xsi:type`, and (for requests) only the headers the operation's binding
//! lists. Small and strict rather than a full XML Schema validator: it knows
//! `element`, `any` (of the target namespace: any element of it, read as its
//! `xsi:type` says, else as text), `complexType`, `sequence`,
//! `complexContent/extension` and `simpleType`, which is what the SOAP WSDLs
//! here use.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, QName, ResolveResult};
use quick_xml::reader::NsReader;
use std::collections::HashMap;

const XS: &str = "http://www.w3.org/2001/XMLSchema";
const WSDL: &str = "http://schemas.xmlsoap.org/wsdl/";
const WSDL_SOAP: &str = "http://schemas.xmlsoap.org/wsdl/soap/";

/// A namespace-qualified name.
pub(crate) type QN = (String, String);

/// A parsed element: its qualified name, attributes whose values are QNames
/// resolved (`type`, `base`, `element`, `message`), other attributes raw.
#[derive(Debug, Default)]
pub(crate) struct Node {
    pub ns: String,
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub qname_attrs: Vec<(String, QN)>,
    pub children: Vec<Node>,
    pub text: String,
}

impl Node {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn qattr(&self, name: &str) -> Option<&QN> {
        self.qname_attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    fn kids<'a>(&'a self, ns: &'a str, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }
}

/// Attributes whose values are QNames (WSDL and schema references, `xsi:type`).
const QNAME_ATTRS: [&str; 5] = ["type", "base", "element", "message", "binding"];

/// Parses a document into a tree, resolving names and QName attribute values.
pub(crate) fn parse_tree(bytes: &[u8]) -> Result<Node, String> {
    let mut r = NsReader::from_reader(bytes);
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        let event = r.read_event().map_err(|e| e.to_string())?;
        match event {
            Event::Start(e) => stack.push(node(&r, &e)?),
            Event::Empty(e) => {
                let n = node(&r, &e)?;
                stack.last_mut().ok_or("unbalanced")?.children.push(n);
            }
            Event::End(_) => {
                let n = stack.pop().ok_or("unbalanced")?;
                stack.last_mut().ok_or("unbalanced")?.children.push(n);
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(g) => {
                if let Some(top) = stack.last_mut() {
                    let s = quick_xml::escape::resolve_predefined_entity(&g)
                        .map(str::to_owned)
                        .or_else(|| g.resolve_char_ref().ok().flatten().map(String::from))
                        .ok_or("unknown entity")?;
                    top.text.push_str(&s);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut doc = stack.pop().ok_or("unbalanced")?;
    doc.children
        .pop()
        .ok_or_else(|| "no root element".to_owned())
}

fn node(r: &NsReader<&[u8]>, e: &BytesStart<'_>) -> Result<Node, String> {
    let resolver = r.resolver();
    let (ns, local) = resolver.resolve_element(e.name());
    let mut n = Node {
        ns: uri(ns)?,
        name: local.into_inner().to_owned(),
        ..Node::default()
    };
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let (_, key) = resolver.resolve_attribute(a.key);
        let key = key.into_inner().to_owned();
        let value = a.value.to_string();
        if QNAME_ATTRS.contains(&key.as_str()) {
            let (local, prefix) = QName(value.trim()).decompose();
            let ns = uri(resolver.resolve_prefix(prefix, true))?;
            n.qname_attrs
                .push((key.clone(), (ns, local.into_inner().to_owned())));
        }
        n.attrs.push((key, value));
    }
    Ok(n)
}

fn uri(r: ResolveResult<'_>) -> Result<String, String> {
    match r {
        ResolveResult::Bound(Namespace(u)) => Ok(u.to_owned()),
        ResolveResult::Unbound => Ok(String::new()),
        ResolveResult::Unknown(p) => Err(format!("undeclared prefix {p}")),
    }
}

/// The local name a wildcard (`<any namespace="##targetNamespace">`) particle has.
const ANY: &str = "*";

/// One element of a sequence.
#[derive(Debug, Clone)]
pub(crate) struct Particle {
    pub name: QN,
    /// The declared type; `None` for an inline complex type (then `inline`).
    pub ty: Option<QN>,
    pub inline: Option<Vec<Particle>>,
    pub repeats: bool,
}

/// The schemas and binding of a WSDL.
#[derive(Debug, Default)]
pub(crate) struct Wsdl {
    /// Global elements.
    pub elements: HashMap<QN, Particle>,
    /// Complex types: their whole sequence, base type's first.
    pub types: HashMap<QN, Vec<Particle>>,
    /// Operation name → the header elements its input binding lists.
    pub headers: HashMap<String, Vec<QN>>,
    /// Body element of an operation's input → the operation.
    pub inputs: HashMap<QN, String>,
}

impl Wsdl {
    /// Reads a WSDL document.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Wsdl, String> {
        let root = parse_tree(bytes)?;
        let mut w = Wsdl::default();
        let mut bases: Vec<(QN, QN, Vec<Particle>)> = Vec::new();
        for types in root.kids(WSDL, "types") {
            for schema in types.kids(XS, "schema") {
                let target = schema.attr("targetNamespace").unwrap_or("").to_owned();
                for c in &schema.children {
                    if c.is(XS, "element") {
                        let p = particle(c, &target)?;
                        w.elements.insert(p.name.clone(), p);
                    } else if c.is(XS, "complexType") {
                        let name = (
                            target.clone(),
                            c.attr("name").ok_or("nameless type")?.to_owned(),
                        );
                        let (base, seq) = complex(c, &target)?;
                        match base {
                            Some(b) => bases.push((name, b, seq)),
                            None => {
                                w.types.insert(name, seq);
                            }
                        }
                    }
                }
            }
        }
        // Extensions: the base's sequence first (bases here are one level deep
        // or declared earlier; loop until all resolve).
        while !bases.is_empty() {
            let before = bases.len();
            bases.retain(|(name, base, seq)| match w.types.get(base).cloned() {
                Some(mut full) => {
                    full.extend(seq.iter().cloned());
                    w.types.insert(name.clone(), full);
                    false
                }
                None => true,
            });
            if bases.len() == before {
                return Err(format!(
                    "unresolved base types: {:?}",
                    bases.iter().map(|b| &b.1).collect::<Vec<_>>()
                ));
            }
        }
        let mut messages: HashMap<String, Vec<(String, QN)>> = HashMap::new();
        for m in root.kids(WSDL, "message") {
            let parts = m
                .kids(WSDL, "part")
                .filter_map(|p| Some((p.attr("name")?.to_owned(), p.qattr("element")?.clone())))
                .collect();
            messages.insert(m.attr("name").unwrap_or("").to_owned(), parts);
        }
        for pt in root.kids(WSDL, "portType") {
            for op in pt.kids(WSDL, "operation") {
                let name = op.attr("name").unwrap_or("").to_owned();
                if let Some(msg) = op
                    .kids(WSDL, "input")
                    .next()
                    .and_then(|i| i.qattr("message"))
                    && let Some(parts) = messages.get(&msg.1)
                {
                    for (_, element) in parts {
                        w.inputs.insert(element.clone(), name.clone());
                    }
                }
            }
        }
        for b in root.kids(WSDL, "binding") {
            for op in b.kids(WSDL, "operation") {
                let name = op.attr("name").unwrap_or("").to_owned();
                let mut headers = Vec::new();
                for input in op.kids(WSDL, "input") {
                    for h in input.kids(WSDL_SOAP, "header") {
                        let msg = h.qattr("message").ok_or("header without message")?;
                        let part = h.attr("part").ok_or("header without part")?;
                        let element = messages
                            .get(&msg.1)
                            .and_then(|ps| ps.iter().find(|(p, _)| p == part))
                            .map(|(_, e)| e.clone())
                            .ok_or_else(|| format!("header part {part} not found"))?;
                        headers.push(element);
                    }
                }
                w.headers.insert(name, headers);
            }
        }
        Ok(w)
    }

    /// Checks a request envelope: the body's operation is declared as an
    /// operation's input, its headers are that operation's, and every element
    /// is declared, in sequence order.
    pub(crate) fn check_request(&self, envelope: &[u8]) -> Result<String, String> {
        let (headers, body) = self.check_envelope(envelope)?;
        let op = self
            .inputs
            .get(&body)
            .ok_or_else(|| format!("{body:?} is no operation's input"))?;
        let allowed = self.headers.get(op).cloned().unwrap_or_default();
        for h in &headers {
            if !allowed.contains(h) {
                return Err(format!("header {h:?} is not bound to operation {op}"));
            }
        }
        Ok(op.clone())
    }

    /// Checks every request `calls` builds — `login`, each of `operations`
    /// and `queryMore`, with each of `batch_sizes` — against the WSDL.
    pub(crate) fn check_every_call(
        &self,
        calls: &super::writer::Calls,
        operations: &[&str],
        batch_sizes: &[Option<u32>],
    ) {
        use crate::Secret;
        let session = Secret::new("session & <id>");
        let query = "select Id, Name from Account where Name = 'AT&T'";
        let mut cases = vec![(calls.login("u@example.com", &Secret::new("p<w>")), "login")];
        for n in batch_sizes {
            for op in operations {
                cases.push((calls.query(op, &session, query, *n), op));
            }
            cases.push((calls.query_more(&session, "abc-50", *n), "queryMore"));
        }
        for (bytes, op) in cases {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            assert_eq!(self.check_request(&bytes).as_deref(), Ok(op), "{text}");
        }
    }

    /// Checks any envelope's header and body elements against the schemas;
    /// returns the header element names and the body element's name.
    pub(crate) fn check_envelope(&self, envelope: &[u8]) -> Result<(Vec<QN>, QN), String> {
        let root = parse_tree(envelope)?;
        if !root.is(super::SOAP_ENV, "Envelope") {
            return Err(format!("root is {}:{}", root.ns, root.name));
        }
        let mut headers = Vec::new();
        let mut body = None;
        for part in &root.children {
            if part.is(super::SOAP_ENV, "Header") {
                for h in &part.children {
                    self.check_global(h)?;
                    headers.push((h.ns.clone(), h.name.clone()));
                }
            } else if part.is(super::SOAP_ENV, "Body") {
                let [op] = part.children.as_slice() else {
                    return Err("Body must hold exactly one element".into());
                };
                if !op.is(super::SOAP_ENV, "Fault") {
                    self.check_global(op)?;
                }
                body = Some((op.ns.clone(), op.name.clone()));
            } else {
                return Err(format!("unexpected {}:{} in Envelope", part.ns, part.name));
            }
        }
        Ok((headers, body.ok_or("no Body")?))
    }

    fn check_global(&self, n: &Node) -> Result<(), String> {
        let key = (n.ns.clone(), n.name.clone());
        let decl = self
            .elements
            .get(&key)
            .ok_or_else(|| format!("{}:{} is not a declared element", n.ns, n.name))?;
        self.check_node(n, decl)
    }

    fn check_node(&self, n: &Node, decl: &Particle) -> Result<(), String> {
        // In an envelope the only `type` attribute is `xsi:type`.
        let xsi_type = n.qattr("type");
        let seq = match (&decl.inline, xsi_type.or(decl.ty.as_ref())) {
            (Some(seq), _) => Some(seq),
            (None, Some(t)) => self.types.get(t),
            (None, None) => None,
        };
        let Some(seq) = seq else {
            // A simple type: text only.
            return match n.children.first() {
                Some(c) => Err(format!(
                    "{} holds element {} but is a simple type",
                    n.name, c.name
                )),
                None => Ok(()),
            };
        };
        let mut at = 0usize;
        for c in &n.children {
            let found = seq[at..]
                .iter()
                .position(|p| p.name.0 == c.ns && (p.name.1 == c.name || p.name.1 == ANY))
                .map(|i| i + at)
                .ok_or_else(|| {
                    format!(
                        "{}:{} is not declared in {} after {:?}",
                        c.ns,
                        c.name,
                        n.name,
                        seq.get(at.saturating_sub(1)).map(|p| &p.name.1)
                    )
                })?;
            self.check_node(c, &seq[found])?;
            at = if seq[found].repeats { found } else { found + 1 };
        }
        Ok(())
    }
}

fn particle(e: &Node, target: &str) -> Result<Particle, String> {
    let name = (
        target.to_owned(),
        e.attr("name").ok_or("nameless element")?.to_owned(),
    );
    let inline = match e.kids(XS, "complexType").next() {
        Some(ct) => Some(complex(ct, target)?.1),
        None => None,
    };
    Ok(Particle {
        name,
        ty: e.qattr("type").cloned(),
        inline,
        repeats: e.attr("maxOccurs") == Some("unbounded"),
    })
}

/// A complex type's extension base (if any) and its own sequence.
fn complex(ct: &Node, target: &str) -> Result<(Option<QN>, Vec<Particle>), String> {
    let mut base = None;
    let mut holder = ct;
    if let Some(cc) = ct.kids(XS, "complexContent").next()
        && let Some(ext) = cc.kids(XS, "extension").next()
    {
        base = ext.qattr("base").cloned();
        holder = ext;
    }
    let mut seq = Vec::new();
    for s in holder.kids(XS, "sequence") {
        for e in &s.children {
            if e.is(XS, "element") {
                seq.push(particle(e, target)?);
            } else if e.is(XS, "any") {
                if e.attr("namespace") != Some("##targetNamespace") {
                    return Err("only <any namespace=\"##targetNamespace\"> is known".into());
                }
                seq.push(Particle {
                    name: (target.to_owned(), ANY.to_owned()),
                    ty: None,
                    inline: None,
                    repeats: e.attr("maxOccurs") == Some("unbounded"),
                });
            }
        }
    }
    Ok((base, seq))
}
