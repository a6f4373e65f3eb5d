//! A namespace-aware pull reader over quick-xml's `Reader`, for parsing SOAP
//! responses (and, in the mock, requests) while streaming: no DOM.
//!
//! Namespace scopes are kept here rather than by quick-xml's `NsReader`: a
//! declaration is classified to an [`NsId`] once, when it is read, and only
//! start tags with attributes are scanned, so the per-element cost stays small.
//! Zuora re-declares its namespaces (and writes the same `xsi:type`) on every
//! record: a tag whose attributes are byte for byte those of the last tag read,
//! in the same scope, has what they amounted to replayed instead of read again.
//!
//! Elements are matched by `(namespace, local name)` where the namespace is an
//! [`NsId`] from the dialect's table, never by prefix. `xsi:nil` (`1`/`true`)
//! and `xsi:type` (its QName prefix resolved in the element's scope) are read
//! from each element's attributes. A text value is accumulated across `Text`,
//! `GeneralRef` (quick-xml splits text at `&amp;`; predefined entities and
//! numeric character references are resolved) and CDATA events, borrowing the
//! input when it comes in one piece.
//!
//! Errors are this crate's: a body that ends early (input exhausted with
//! elements still open, or a syntax error at the end of the input) is a
//! retryable "truncated" protocol error; anything else malformed is a plain
//! protocol error.

use super::NsId;
use crate::record::same_bytes;
use crate::transport::excerpt;
use crate::{BackendKind, Error, Result};
use quick_xml::errors::SyntaxError;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{PrefixDeclaration, QName};
use quick_xml::reader::Reader;
use std::borrow::Cow;

/// The namespace the `xml` prefix is always bound to.
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of `xmlns` declarations themselves.
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";
/// The most namespace bindings in scope at once (quick-xml's default limit).
const MAX_BINDINGS: usize = 128;

/// An element just opened by [`XmlReader::child`] or [`XmlReader::root`].
#[derive(Debug)]
pub(crate) struct Elem<'i> {
    start: BytesStart<'i>,
    /// Where the local name starts in the qualified name.
    local: usize,
    ns: NsId,
    empty: bool,
    nil: bool,
    xsi_type: Option<(NsId, Cow<'i, str>)>,
}

impl<'i> Elem<'i> {
    /// The element's namespace.
    pub(crate) fn ns(&self) -> NsId {
        self.ns
    }

    /// The local name (`records` for `<ns1:records>`).
    pub(crate) fn local_name(&self) -> &str {
        let name = self.start.name().into_inner();
        name.get(self.local..).unwrap_or(name)
    }

    /// The name as written, for messages.
    pub(crate) fn qualified_name(&self) -> &str {
        self.start.name().into_inner()
    }

    /// True when the element is `(ns, local)`.
    pub(crate) fn is(&self, ns: NsId, local: &str) -> bool {
        self.ns == ns && self.local_name() == local
    }

    /// True when `xsi:nil` is `true` or `1`.
    pub(crate) fn is_nil(&self) -> bool {
        self.nil
    }

    /// Takes the `xsi:type` out, its prefix resolved: `(namespace, local name)`.
    pub(crate) fn take_xsi_type(&mut self) -> Option<(NsId, Cow<'i, str>)> {
        self.xsi_type.take()
    }
}

/// A pull reader over one response body.
pub(crate) struct XmlReader<'i> {
    reader: Reader<&'i [u8]>,
    input: &'i [u8],
    backend: BackendKind,
    table: &'static [&'static str],
    depth: usize,
    text: String,
    scopes: Scopes,
    memo: AttrMemo,
}

/// The attributes of the last start tag read in full, and what they amounted
/// to: the bindings they declared (still in [`Scopes`]' storage, right after
/// the `base` bindings in scope then), `xsi:nil` and `xsi:type`.
///
/// Sound to replay on a tag with the same attributes while [`Scopes::epoch`]
/// is unchanged and `base` bindings are in scope: no binding has been written
/// since, so the scope the attributes were read in, and the bindings they
/// declared, are still there as they were.
#[derive(Default)]
struct AttrMemo {
    valid: bool,
    raw: String,
    base: usize,
    bound: usize,
    epoch: u64,
    nil: bool,
    /// The namespace, and where the local name lies in `raw`.
    xsi_type: Option<(NsId, std::ops::Range<usize>)>,
}

impl<'i> XmlReader<'i> {
    /// A reader over `input`; `table` lists the dialect's namespace URIs.
    pub(crate) fn new(
        backend: BackendKind,
        input: &'i [u8],
        table: &'static [&'static str],
    ) -> Self {
        XmlReader {
            reader: Reader::from_reader(input),
            input,
            backend,
            table,
            depth: 0,
            text: String::new(),
            scopes: Scopes::default(),
            memo: AttrMemo::default(),
        }
    }

    /// The backend errors are reported for.
    pub(crate) fn backend(&self) -> BackendKind {
        self.backend
    }

    /// A protocol error naming the backend.
    pub(crate) fn error(&self, message: impl Into<String>) -> Error {
        Error::protocol(self.backend, message)
    }

    /// The document's root element. A body with none (empty, or plain text) is an error.
    pub(crate) fn root(&mut self) -> Result<Elem<'i>> {
        loop {
            match self.next_event()? {
                Event::Start(e) => return self.elem(e, false),
                Event::Empty(e) => return self.elem(e, true),
                Event::Eof => {
                    let what = if self.input.iter().all(u8::is_ascii_whitespace) {
                        "an empty body".to_owned()
                    } else {
                        format!("no XML element in the body: {}", excerpt(self.input))
                    };
                    return Err(self.error(what));
                }
                Event::Text(t) if !t.trim_ascii().is_empty() => {
                    return Err(self.error(format!("the body is not XML: {}", excerpt(self.input))));
                }
                _ => {}
            }
        }
    }

    /// The next child element of `parent` (the element last opened and not yet
    /// finished), or `None` at its end; an empty `parent` has none. Text between
    /// elements (indentation) is skipped.
    pub(crate) fn child(&mut self, parent: &Elem<'_>) -> Result<Option<Elem<'i>>> {
        if parent.empty {
            return Ok(None);
        }
        loop {
            match self.next_event()? {
                Event::Start(e) => return self.elem(e, false).map(Some),
                Event::Empty(e) => return self.elem(e, true).map(Some),
                Event::End(_) | Event::Eof => return Ok(None),
                _ => {}
            }
        }
    }

    /// The text of `elem` (just returned by [`XmlReader::child`]), read to its
    /// end. A nil or empty element reads as `""`: check [`Elem::is_nil`] first.
    pub(crate) fn text(&mut self, elem: &Elem<'_>) -> Result<&str> {
        if elem.empty {
            return Ok("");
        }
        // Most values are one piece of plain text (no reference, CDATA or
        // `\r`), then the end tag: borrowed from the input as it stands.
        let first = match self.next_event()? {
            Event::Text(t) if !has_cr(&t) => t.into_inner(),
            Event::End(_) => return Ok(""),
            other => return self.text_pieces(elem, None, other),
        };
        let first = match first {
            Cow::Borrowed(s) => s,
            owned => {
                let next = self.next_event()?;
                return self.text_pieces(elem, Some(owned), next);
            }
        };
        match self.next_event()? {
            Event::End(_) => Ok(first),
            other => self.text_pieces(elem, Some(Cow::Borrowed(first)), other),
        }
    }

    /// The rest of [`XmlReader::text`] from `event` on, after the text `first`:
    /// pieces are accumulated across text, references and CDATA.
    #[inline(never)]
    fn text_pieces(
        &mut self,
        elem: &Elem<'_>,
        first: Option<Cow<'i, str>>,
        event: Event<'i>,
    ) -> Result<&str> {
        self.text.clear();
        let mut acc = Acc::default();
        if let Some(first) = first {
            acc.push(&mut self.text, first);
        }
        let mut next = Some(event);
        loop {
            let event = match next.take() {
                Some(event) => event,
                None => self.next_event()?,
            };
            let piece: Cow<'i, str> = match event {
                // Line ends are normalised only when there is a `\r`: a
                // short scan here is cheaper than a call per text piece.
                Event::Text(t) if !has_cr(&t) => t.into_inner(),
                Event::Text(t) => t.xml10_content(),
                Event::CData(c) => c.xml10_content(),
                Event::GeneralRef(r) => {
                    let c = self.reference(&r)?;
                    acc.spill(&mut self.text);
                    self.text.push(c);
                    continue;
                }
                Event::End(_) => break,
                Event::Start(e) | Event::Empty(e) => {
                    return Err(self.error(format!(
                        "unexpected element <{}> inside the text of <{}>",
                        e.name().into_inner(),
                        elem.qualified_name()
                    )));
                }
                _ => continue,
            };
            acc.push(&mut self.text, piece);
        }
        Ok(match acc.single {
            Some(s) if !acc.spilled => s,
            _ if acc.spilled => &self.text,
            _ => "",
        })
    }

    /// Skips `elem`'s content, nested elements included.
    pub(crate) fn skip(&mut self, elem: &Elem<'_>) -> Result<()> {
        if elem.empty {
            return Ok(());
        }
        let target = self.depth.saturating_sub(1);
        while self.depth > target {
            if let Event::Eof = self.next_event()? {
                break;
            }
        }
        Ok(())
    }

    /// Reads the rest of the document, so a body cut after the data still fails.
    pub(crate) fn finish(&mut self) -> Result<()> {
        while !matches!(self.next_event()?, Event::Eof) {}
        Ok(())
    }

    #[inline(always)]
    fn next_event(&mut self) -> Result<Event<'i>> {
        let event = self.reader.read_event().map_err(|e| self.xml_error(e))?;
        match &event {
            Event::Start(_) => self.depth += 1,
            Event::End(_) => {
                self.depth = self.depth.saturating_sub(1);
                self.scopes.leave(self.depth);
            }
            Event::Eof if self.depth > 0 => {
                return Err(Error::truncated(
                    self.backend,
                    format!(
                        "the XML body ends with {} element(s) still open after {} bytes",
                        self.depth,
                        self.input.len()
                    ),
                ));
            }
            _ => {}
        }
        Ok(event)
    }

    fn xml_error(&self, e: quick_xml::Error) -> Error {
        let at = self.reader.error_position();
        // Every syntax error but a bad `<!` is "... not closed before end of input".
        let unclosed =
            matches!(&e, quick_xml::Error::Syntax(s) if *s != SyntaxError::InvalidBangMarkup);
        if unclosed || self.reader.buffer_position() as usize >= self.input.len() {
            Error::truncated(
                self.backend,
                format!("the XML body is cut short at byte {at}: {e}"),
            )
        } else {
            Error::protocol(self.backend, format!("malformed XML at byte {at}: {e}"))
        }
    }

    /// The character a `&...;` reference stands for: one of the five
    /// predefined entities, or a numeric character reference.
    fn reference(&self, r: &BytesRef<'_>) -> Result<char> {
        match &**r {
            "amp" => return Ok('&'),
            "lt" => return Ok('<'),
            "gt" => return Ok('>'),
            "quot" => return Ok('"'),
            "apos" => return Ok('\''),
            _ => {}
        }
        match r.resolve_char_ref() {
            Ok(Some(c)) => Ok(c),
            Ok(None) => Err(self.error(format!("unknown entity &{};", &**r))),
            Err(e) => Err(self.error(format!("bad character reference &{};: {e}", &**r))),
        }
    }

    /// The namespace of an element or attribute name's prefix (`None`: no
    /// prefix); an unprefixed element takes the default namespace, an
    /// unprefixed attribute none.
    fn namespace(&self, prefix: Option<&str>, element: bool, what: &str) -> Result<NsId> {
        match prefix {
            None if !element => Ok(NsId::NONE),
            None => Ok(self.scopes.lookup("").flatten().unwrap_or(NsId::NONE)),
            Some(p) => match self.scopes.lookup(p) {
                Some(Some(ns)) => Ok(ns),
                _ if p == "xml" || p == "xmlns" => Ok(NsId::OTHER),
                _ => Err(self.error(format!("undeclared namespace prefix {p:?} in {what}"))),
            },
        }
    }

    #[inline(always)]
    fn elem(&mut self, start: BytesStart<'i>, empty: bool) -> Result<Elem<'i>> {
        // Names are short: a plain loop beats a `str::find` searcher here.
        let local = start
            .name()
            .into_inner()
            .bytes()
            .position(|b| b == b':')
            .map_or(0, |i| i + 1);
        let mut elem = Elem {
            start,
            local,
            ns: NsId::NONE,
            empty,
            nil: false,
            xsi_type: None,
        };
        if !elem.start.attributes_raw().trim_ascii().is_empty() {
            // An empty element's declarations hold for itself only.
            let level = if empty { self.depth + 1 } else { self.depth };
            if !self.replay_attributes(&mut elem, level) {
                let base = self.scopes.len;
                self.read_attributes(&mut elem, level)?;
                self.remember_attributes(&elem, base);
            }
        }
        let name = elem.start.name().into_inner();
        let prefix = local.checked_sub(1).and_then(|end| name.get(..end));
        elem.ns = self.namespace(prefix, true, name)?;
        if empty {
            self.scopes.leave(self.depth);
        }
        Ok(elem)
    }

    /// Reads `elem`'s attributes in one pass: namespace declarations open a
    /// scope at `level`, `xsi:nil` and `xsi:type` are kept. An `xsi` attribute
    /// written before a declaration it may depend on is read again afterwards.
    fn read_attributes(&mut self, elem: &mut Elem<'i>, level: usize) -> Result<()> {
        let tag = elem.start.name().into_inner();
        let backend = self.backend;
        let bad =
            |what: String| Error::protocol(backend, format!("malformed XML: {what} on <{tag}>"));
        let mut nil = false;
        let mut xsi_type = None;
        let mut xsi_seen = false;
        let mut again = false;
        for attr in elem.start.attributes() {
            let attr = attr.map_err(|e| bad(format!("bad attribute: {e}")))?;
            if let Some(decl) = attr.key.as_namespace_binding() {
                again |= xsi_seen;
                self.declare(decl, &attr.value, level).map_err(&bad)?;
                continue;
            }
            let (local, Some(prefix)) = attr.key.decompose() else {
                continue;
            };
            let local = local.into_inner();
            if local != "nil" && local != "type" {
                continue;
            }
            xsi_seen = true;
            if self.scopes.lookup(prefix.into_inner()).flatten() != Some(NsId::XSI) {
                continue;
            }
            if local == "nil" {
                nil = attr.as_bool().unwrap_or(false);
            } else {
                xsi_type = Some(self.xsi_type(&attr.value));
            }
        }
        if again {
            // Every declaration is in scope now: read the xsi attributes again.
            nil = false;
            xsi_type = None;
            for attr in elem.start.attributes().flatten() {
                let (local, Some(prefix)) = attr.key.decompose() else {
                    continue;
                };
                if self.scopes.lookup(prefix.into_inner()).flatten() != Some(NsId::XSI) {
                    continue;
                }
                match local.into_inner() {
                    "nil" => nil = attr.as_bool().unwrap_or(false),
                    "type" => xsi_type = Some(self.xsi_type(&attr.value)),
                    _ => {}
                }
            }
        }
        elem.nil = nil;
        elem.xsi_type = xsi_type;
        Ok(())
    }

    /// Applies what the last start tag with the same attributes in the same
    /// scope amounted to (Zuora re-declares its namespaces on every record):
    /// false when there is no such tag, and the attributes must be read.
    fn replay_attributes(&mut self, elem: &mut Elem<'i>, level: usize) -> bool {
        let memo = &self.memo;
        if !memo.valid
            || memo.epoch != self.scopes.epoch
            || memo.base != self.scopes.len
            || memo.raw.as_bytes() != elem.start.attributes_raw().as_bytes()
        {
            return false;
        }
        let xsi_type = match &memo.xsi_type {
            None => None,
            Some((ns, range)) => match elem.start.attributes_raw().get(range.clone()) {
                Some(local) => Some((*ns, self.reborrow(local))),
                None => return false,
            },
        };
        let (nil, end) = (memo.nil, memo.base + memo.bound);
        if !self.scopes.reopen(end, level) {
            return false;
        }
        elem.nil = nil;
        elem.xsi_type = xsi_type;
        true
    }

    /// Keeps what `elem`'s attributes (just read, in a scope that held `base`
    /// bindings) amounted to, for [`XmlReader::replay_attributes`].
    fn remember_attributes(&mut self, elem: &Elem<'i>, base: usize) {
        let raw = elem.start.attributes_raw();
        let memo = &mut self.memo;
        memo.valid = false;
        memo.xsi_type = match &elem.xsi_type {
            None => None,
            // Only a value read in place from this tag can be found again in the next one.
            Some((ns, local)) => {
                let start = (local.as_ptr() as usize).wrapping_sub(raw.as_ptr() as usize);
                match raw.get(start..start.saturating_add(local.len())) {
                    Some(s) if std::ptr::eq(s.as_ptr(), local.as_ptr()) => {
                        Some((*ns, start..start + local.len()))
                    }
                    _ => return,
                }
            }
        };
        memo.raw.clear();
        memo.raw.push_str(raw);
        memo.nil = elem.nil;
        memo.base = base;
        memo.bound = self.scopes.len - base;
        memo.epoch = self.scopes.epoch;
        memo.valid = true;
    }

    /// Binds a declared prefix (`xmlns` / `xmlns:p`) at `level`. URIs are
    /// compared as written, as quick-xml's resolver does.
    fn declare(
        &mut self,
        decl: PrefixDeclaration<'_>,
        uri: &str,
        level: usize,
    ) -> std::result::Result<(), String> {
        let prefix = match decl {
            PrefixDeclaration::Default => "",
            PrefixDeclaration::Named("xml") if uri == XML_NS => return Ok(()),
            PrefixDeclaration::Named("xml") => {
                return Err(format!("the xml prefix bound to {uri:?}"));
            }
            PrefixDeclaration::Named("xmlns") => return Err("the xmlns prefix declared".into()),
            PrefixDeclaration::Named(p) if uri == XML_NS || uri == XMLNS_NS => {
                return Err(format!("prefix {p:?} bound to the reserved {uri:?}"));
            }
            PrefixDeclaration::Named(p) => p,
        };
        let ns = (!uri.is_empty()).then(|| NsId::of(uri, self.table));
        if self.scopes.bind(prefix, ns, level) {
            Ok(())
        } else {
            Err(format!(
                "more than {MAX_BINDINGS} namespace bindings in scope"
            ))
        }
    }

    /// An `xsi:type` value, its prefix resolved in the current scope.
    fn xsi_type(&self, value: &str) -> (NsId, Cow<'i, str>) {
        let (local, prefix) = QName(value.trim()).decompose();
        let ns = match prefix {
            None => self.scopes.lookup("").flatten().unwrap_or(NsId::NONE),
            Some(p) => match self.scopes.lookup(p.into_inner()) {
                Some(Some(ns)) => ns,
                _ => NsId::OTHER,
            },
        };
        (ns, self.reborrow(local.into_inner()))
    }

    /// `s` borrowed from the input when it lies in it (an attribute value
    /// without entities does), else copied: no allocation per record for the
    /// common case.
    fn reborrow(&self, s: &str) -> Cow<'i, str> {
        let input: &'i [u8] = self.input;
        let start = (s.as_ptr() as usize).wrapping_sub(input.as_ptr() as usize);
        match input
            .get(start..start.saturating_add(s.len()))
            .filter(|b| b.as_ptr() == s.as_ptr())
            .and_then(|b| std::str::from_utf8(b).ok())
        {
            Some(borrowed) => Cow::Borrowed(borrowed),
            None => Cow::Owned(s.to_owned()),
        }
    }
}

/// The namespace bindings in scope, innermost last. Storage is reused: a
/// binding left behind keeps its `String` for the next one.
#[derive(Default)]
struct Scopes {
    bindings: Vec<Binding>,
    len: usize,
    /// Counts the bindings written: unchanged, every binding in storage is
    /// as it was.
    epoch: u64,
}

struct Binding {
    /// `""` for the default namespace.
    prefix: String,
    /// `None`: unbound (`xmlns=""`, or `xmlns:p=""` which XML 1.0 forbids).
    ns: Option<NsId>,
    /// The depth of the element that declared it.
    level: usize,
}

impl Scopes {
    /// Binds `prefix` at `level`; false when too many bindings are in scope.
    fn bind(&mut self, prefix: &str, ns: Option<NsId>, level: usize) -> bool {
        if self.len >= MAX_BINDINGS {
            return false;
        }
        self.epoch = self.epoch.wrapping_add(1);
        match self.bindings.get_mut(self.len) {
            Some(b) => {
                b.prefix.clear();
                b.prefix.push_str(prefix);
                b.ns = ns;
                b.level = level;
            }
            None => self.bindings.push(Binding {
                prefix: prefix.to_owned(),
                ns,
                level,
            }),
        }
        self.len += 1;
        true
    }

    /// Brings back the bindings left in storage up to `end` (from the current
    /// length), now declared at `level`; false when storage does not hold them.
    fn reopen(&mut self, end: usize, level: usize) -> bool {
        match self.bindings.get_mut(self.len..end) {
            Some(again) => {
                for b in again {
                    b.level = level;
                }
                self.len = end;
                true
            }
            None => false,
        }
    }

    /// The innermost binding of `prefix`: `None` when there is none,
    /// `Some(None)` when it is unbound.
    fn lookup(&self, prefix: &str) -> Option<Option<NsId>> {
        self.bindings
            .get(..self.len)?
            .iter()
            .rev()
            .find(|b| same_bytes(b.prefix.as_bytes(), prefix.as_bytes()))
            .map(|b| b.ns)
    }

    /// Closes the scopes of elements deeper than `depth`.
    fn leave(&mut self, depth: usize) {
        while self.len > 0
            && self
                .bindings
                .get(self.len - 1)
                .is_some_and(|b| b.level > depth)
        {
            self.len -= 1;
        }
    }
}

/// True when `s` holds a carriage return (XML 1.0 line ends then need
/// normalising).
fn has_cr(s: &str) -> bool {
    // Branch-free, so it vectorises on long text.
    s.bytes().fold(false, |acc, c| acc | (c == b'\r'))
}

/// Text pieces of one value: the first piece is kept borrowed from the input;
/// a second one spills both into the reader's reusable buffer.
#[derive(Default)]
struct Acc<'i> {
    single: Option<&'i str>,
    spilled: bool,
}

impl<'i> Acc<'i> {
    fn push(&mut self, buf: &mut String, piece: Cow<'i, str>) {
        match piece {
            Cow::Borrowed(s) if !self.spilled && self.single.is_none() => self.single = Some(s),
            other => {
                self.spill(buf);
                buf.push_str(&other);
            }
        }
    }

    fn spill(&mut self, buf: &mut String) {
        if !self.spilled {
            if let Some(s) = self.single.take() {
                buf.push_str(s);
            }
            self.spilled = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[&str] = &["urn:a", "urn:b"];
    const A: NsId = NsId::dialect(0);
    const B: NsId = NsId::dialect(1);

    fn reader(xml: &str) -> XmlReader<'_> {
        XmlReader::new(BackendKind::ZuoraSoap, xml.as_bytes(), TABLE)
    }

    /// The texts of the root's children, `None` for nil ones.
    fn texts(xml: &str) -> Result<Vec<(String, Option<String>)>> {
        let mut r = reader(xml);
        let root = r.root()?;
        let mut out = Vec::new();
        while let Some(c) = r.child(&root)? {
            let name = c.local_name().to_owned();
            let text = if c.is_nil() {
                r.skip(&c)?;
                None
            } else {
                Some(r.text(&c)?.to_owned())
            };
            out.push((name, text));
        }
        r.finish()?;
        Ok(out)
    }

    #[test]
    fn text_is_accumulated_across_entities_char_refs_and_cdata() {
        let got = texts(
            "<r xmlns='urn:a'><x>AT&amp;T</x><y>&lt;b&gt; &#233;&#x41;!</y>\
             <z><![CDATA[a < b & c]]> tail</z><w>plain</w><e/><n></n></r>",
        )
        .unwrap();
        let want = [
            ("x", "AT&T"),
            ("y", "<b> éA!"),
            ("z", "a < b & c tail"),
            ("w", "plain"),
            ("e", ""),
            ("n", ""),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Some((*v).to_owned())))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn line_ends_are_normalised_in_text_and_cdata_and_kept_elsewhere() {
        let long = "x".repeat(40);
        let got = texts(&format!(
            "<r><a>one\r\ntwo\rthree</a><b>{long}\r\n&amp;\r</b>\
             <c><![CDATA[p\r\nq]]></c><d>a\nb</d><e>&#13;</e></r>"
        ))
        .unwrap();
        assert_eq!(got[0].1.as_deref(), Some("one\ntwo\nthree"));
        assert_eq!(got[1].1.as_deref(), Some(format!("{long}\n&\n").as_str()));
        assert_eq!(got[2].1.as_deref(), Some("p\nq"));
        assert_eq!(got[3].1.as_deref(), Some("a\nb"));
        // A character reference is not a line end: it stays a carriage return.
        assert_eq!(got[4].1.as_deref(), Some("\r"));
    }

    #[test]
    fn a_lone_entity_reads_as_its_character() {
        let got = texts("<r><x>&amp;</x><y>&quot;q&apos;</y></r>").unwrap();
        assert_eq!(got[0].1.as_deref(), Some("&"));
        assert_eq!(got[1].1.as_deref(), Some("\"q'"));
    }

    #[test]
    fn nil_is_read_for_1_and_true_in_any_prefix_but_not_for_false() {
        let got = texts(
            "<r xmlns:i='http://www.w3.org/2001/XMLSchema-instance' \
                xmlns:xsi='urn:not-xsi'>\
             <a i:nil='1'/><b i:nil='true'></b><c i:nil='false'>v</c><d xsi:nil='true'>w</d></r>",
        )
        .unwrap();
        assert_eq!(got[0], ("a".into(), None));
        assert_eq!(got[1], ("b".into(), None));
        assert_eq!(got[2], ("c".into(), Some("v".into())));
        assert_eq!(
            got[3],
            ("d".into(), Some("w".into())),
            "xsi bound elsewhere"
        );
    }

    #[test]
    fn namespaces_match_by_uri_whatever_the_prefix() {
        let xml = "<p:r xmlns:p='urn:a'><q:x xmlns:q='urn:a'/><p:x xmlns:p='urn:b'/>\
                   <x xmlns='urn:b'/><p:x/><x/></p:r>";
        let mut r = reader(xml);
        let root = r.root().unwrap();
        assert!(root.is(A, "r"));
        let mut seen = Vec::new();
        while let Some(c) = r.child(&root).unwrap() {
            seen.push(c.ns());
        }
        assert_eq!(seen, [A, B, B, A, NsId::NONE]);
    }

    #[test]
    fn xsi_type_prefix_is_resolved_in_the_element_scope() {
        let xml = "<r xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'>\
                   <rec xmlns:ns2='urn:b' xsi:type='ns2:Account'/>\
                   <rec xmlns:ns3='urn:b' xsi:type='ns3:Invoice'/>\
                   <rec xmlns='urn:a' xsi:type='QueryResult'/></r>";
        let mut r = reader(xml);
        let root = r.root().unwrap();
        let mut types = Vec::new();
        while let Some(mut c) = r.child(&root).unwrap() {
            let t = c.take_xsi_type();
            // Read in place from the body: no allocation per record.
            assert!(matches!(t, Some((_, Cow::Borrowed(_)))), "{t:?}");
            types.push(t.map(|(ns, local)| (ns, local.into_owned())));
        }
        assert_eq!(
            types,
            [
                Some((B, "Account".to_owned())),
                Some((B, "Invoice".to_owned())),
                Some((A, "QueryResult".to_owned())),
            ]
        );
    }

    #[test]
    fn declarations_count_wherever_they_are_written_in_the_tag() {
        // xsi:type and xsi:nil before the declarations they use, and a prefix
        // re-declared on every record with a different binding each time.
        let xml = "<r><rec xsi:type='p:Account' xsi:nil='1' \
                   xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xmlns:p='urn:b'/>\
                   <p:rec xmlns:p='urn:a' xmlns:i='http://www.w3.org/2001/XMLSchema-instance' \
                   i:type='p:Invoice'><p:x/></p:rec><p:rec xmlns:p='urn:b'/></r>";
        let mut r = reader(xml);
        let root = r.root().unwrap();
        let mut first = r.child(&root).unwrap().unwrap();
        assert!(first.is_nil());
        assert_eq!(first.take_xsi_type(), Some((B, "Account".into())));
        let mut second = r.child(&root).unwrap().unwrap();
        assert!(second.is(A, "rec") && !second.is_nil());
        assert_eq!(second.take_xsi_type(), Some((A, "Invoice".into())));
        assert!(r.child(&second).unwrap().unwrap().is(A, "x"));
        assert!(r.child(&second).unwrap().is_none());
        let third = r.child(&root).unwrap().unwrap();
        assert!(
            third.is(B, "rec"),
            "the binding of the record before is gone"
        );
        assert!(r.child(&root).unwrap().is_none());
        r.finish().unwrap();
    }

    /// What [`kinds`] reads of an element: namespace, `xsi:type`, nil.
    type Kind = (NsId, Option<(NsId, String)>, bool);

    /// The [`Kind`] of every child of the root.
    fn kinds(xml: &str) -> Result<Vec<Kind>> {
        let mut r = reader(xml);
        let root = r.root()?;
        let mut out = Vec::new();
        while let Some(mut c) = r.child(&root)? {
            let t = c.take_xsi_type();
            if let Some((_, local)) = &t {
                // Read in place, replayed or not: no allocation per record.
                assert!(matches!(local, Cow::Borrowed(_)), "{local:?}");
            }
            out.push((c.ns(), t.map(|(ns, l)| (ns, l.into_owned())), c.is_nil()));
            r.skip(&c)?;
        }
        r.finish()?;
        Ok(out)
    }

    #[test]
    fn repeated_attributes_read_the_same_as_attributes_read_afresh() {
        // The same tag three times in a row (replayed), then the same records
        // with their attributes in another order (read afresh each time).
        let rec = "<p:rec xmlns:p='urn:b' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' \
                   xsi:type='p:Invoice' xsi:nil='1'><p:x/></p:rec>";
        let shuffled = [
            "<p:rec xsi:nil='1' xmlns:p='urn:b' xsi:type='p:Invoice' \
             xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'><p:x/></p:rec>",
            "<p:rec xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xsi:type='p:Invoice' \
             xmlns:p='urn:b' xsi:nil='1'><p:x/></p:rec>",
            "<q:rec xmlns:q='urn:b' xmlns:i='http://www.w3.org/2001/XMLSchema-instance' \
             i:type='q:Invoice' i:nil='1'><q:x/></q:rec>",
        ];
        let replayed = kinds(&format!("<r>{rec}{rec}{rec}</r>")).unwrap();
        let afresh = kinds(&format!("<r>{}</r>", shuffled.concat())).unwrap();
        let want = (B, Some((B, "Invoice".to_owned())), true);
        assert_eq!(replayed, [want.clone(), want.clone(), want.clone()]);
        assert_eq!(afresh, replayed);
    }

    #[test]
    fn repeated_attributes_are_read_again_when_the_scope_around_them_changed() {
        // Byte-identical tags, but `p` (used by xsi:type) and the default
        // namespace are bound differently around each of them.
        let xml = "<r xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'>\
                   <w xmlns:p='urn:a'><rec xsi:type='p:T' xsi:nil='true'/><rec xsi:type='p:T' xsi:nil='true'/></w>\
                   <w xmlns:p='urn:b' xmlns='urn:a'><rec xsi:type='p:T' xsi:nil='true'/></w>\
                   <w xmlns:p='urn:a'><rec xsi:type='p:T' xsi:nil='true'/></w></r>";
        let mut r = reader(xml);
        let root = r.root().unwrap();
        let mut got = Vec::new();
        while let Some(w) = r.child(&root).unwrap() {
            while let Some(mut c) = r.child(&w).unwrap() {
                let t = c.take_xsi_type().map(|(ns, l)| (ns, l.into_owned()));
                got.push((c.ns(), t, c.is_nil()));
            }
        }
        r.finish().unwrap();
        let t = |ns| Some((ns, "T".to_owned()));
        assert_eq!(
            got,
            [
                (NsId::NONE, t(A), true),
                (NsId::NONE, t(A), true),
                (A, t(B), true),
                (NsId::NONE, t(A), true),
            ]
        );
    }

    #[test]
    fn repeated_attributes_are_read_again_in_a_narrower_scope() {
        // The first record is read inside `w`, whose `q` is in scope then: the
        // second, the same tag outside `w`, must not bring `q` back.
        let xml = "<r><w xmlns:q='urn:b'><rec xmlns:p='urn:a'/></w>\
                   <rec xmlns:p='urn:a'><q:x/></rec></r>";
        let mut r = reader(xml);
        let root = r.root().unwrap();
        let w = r.child(&root).unwrap().unwrap();
        assert!(r.child(&w).unwrap().unwrap().is(NsId::NONE, "rec"));
        assert!(r.child(&w).unwrap().is_none());
        let rec = r.child(&root).unwrap().unwrap();
        let e = r.child(&rec).unwrap_err();
        assert!(e.to_string().contains("undeclared namespace prefix"), "{e}");
    }

    #[test]
    fn replayed_bindings_are_never_ones_written_over_since() {
        // A tag that fails after binding `p` writes over the storage the first
        // record's binding was in; reading on past the error, the same record
        // tag must still bind `p` to urn:a for its children.
        let xml = "<r xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'>\
                   <rec xmlns:p='urn:a' xsi:type='p:T'/>\
                   <w><bad xmlns:p='urn:b' xmlns:p='urn:c'/></w>\
                   <rec xmlns:p='urn:a' xsi:type='p:T'><p:x/></rec></r>";
        let mut r = reader(xml);
        let root = r.root().unwrap();
        let mut first = r.child(&root).unwrap().unwrap();
        assert_eq!(first.take_xsi_type(), Some((A, "T".into())));
        let w = r.child(&root).unwrap().unwrap();
        assert!(r.child(&w).is_err(), "duplicate attribute");
        assert!(r.child(&w).unwrap().is_none());
        let mut again = r.child(&root).unwrap().unwrap();
        assert_eq!(again.take_xsi_type(), Some((A, "T".into())));
        assert!(r.child(&again).unwrap().unwrap().is(A, "x"));
    }

    #[test]
    fn replayed_declarations_are_scoped_to_their_element() {
        // The third record is empty and replays the declaration: it holds for
        // that element only, so `p` is undeclared after it.
        let xml = "<r><rec xmlns:p='urn:a'><p:x/></rec><rec xmlns:p='urn:a'><p:x/></rec>\
                   <rec xmlns:p='urn:a'/><p:y/></r>";
        let mut r = reader(xml);
        let root = r.root().unwrap();
        for _ in 0..2 {
            let rec = r.child(&root).unwrap().unwrap();
            assert!(r.child(&rec).unwrap().unwrap().is(A, "x"));
            assert!(r.child(&rec).unwrap().is_none());
        }
        let empty = r.child(&root).unwrap().unwrap();
        assert!(r.child(&empty).unwrap().is_none());
        let e = r.child(&root).unwrap_err();
        assert!(e.to_string().contains("undeclared namespace prefix"), "{e}");
    }

    #[test]
    fn repeated_bad_attributes_fail_every_time() {
        for bad in [
            "<r><a x='1' x='2'/><a x='1' x='2'/></r>",
            "<r><a xmlns:xml='urn:a'/><a xmlns:xml='urn:a'/></r>",
        ] {
            let mut r = reader(bad);
            let root = r.root().unwrap();
            assert!(r.child(&root).is_err(), "{bad}");
        }
        // Good tags in between do not let a bad one through.
        let mut r = reader("<r><a x='1'/><a x='1'/><a x='1' x='1'/></r>");
        let root = r.root().unwrap();
        assert!(r.child(&root).unwrap().is_some());
        assert!(r.child(&root).unwrap().is_some());
        let e = r.child(&root).unwrap_err();
        assert!(matches!(e, Error::Protocol { .. }), "{e}");
    }

    #[test]
    fn one_piece_text_is_borrowed_and_split_text_reads_the_same() {
        let xml = "<r><a>AT and T</a><b>AT &amp; T</b><c>&amp; T</c><d>AT &amp;</d>\
                   <e>AT<![CDATA[ & ]]>T</e><f><![CDATA[AT & T]]></f><g>AT &#38; T</g>\
                   <h>&lt;&gt;&amp;&quot;&apos;</h><i>AT\r\nT</i><j></j></r>";
        let mut r = reader(xml);
        let root = r.root().unwrap();
        let a = r.child(&root).unwrap().unwrap();
        let text = r.text(&a).unwrap();
        assert_eq!(text, "AT and T");
        let at = (text.as_ptr() as usize).wrapping_sub(xml.as_ptr() as usize);
        assert_eq!(
            xml.get(at..at + text.len()),
            Some(text),
            "borrowed from the input"
        );
        let mut rest = Vec::new();
        while let Some(c) = r.child(&root).unwrap() {
            rest.push(r.text(&c).unwrap().to_owned());
        }
        r.finish().unwrap();
        assert_eq!(
            rest,
            [
                "AT & T", "& T", "AT &", "AT & T", "AT & T", "AT & T", "<>&\"'", "AT\nT", ""
            ]
        );
    }

    #[test]
    fn an_element_after_one_piece_of_text_is_an_error() {
        for bad in [
            "<r><x>a<b/></x></r>",
            "<r><x>a<b>c</b></x></r>",
            "<r><x><b/></x></r>",
        ] {
            let e = texts(bad).unwrap_err();
            assert!(
                e.to_string().contains("unexpected element <b>"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn a_prefix_is_out_of_scope_after_its_element() {
        let mut r = reader("<r><a xmlns:p='urn:a'><p:x/></a><p:y/></r>");
        let root = r.root().unwrap();
        let a = r.child(&root).unwrap().unwrap();
        assert!(r.child(&a).unwrap().unwrap().is(A, "x"));
        assert!(r.child(&a).unwrap().is_none());
        let e = r.child(&root).unwrap_err();
        assert!(e.to_string().contains("undeclared namespace prefix"), "{e}");
    }

    #[test]
    fn reserved_prefixes_cannot_be_rebound() {
        for bad in [
            "<r xmlns:xml='urn:a'/>",
            "<r xmlns:xmlns='urn:a'/>",
            "<r xmlns:p='http://www.w3.org/XML/1998/namespace'/>",
            "<r xmlns:p='urn:a' xmlns:p='urn:b'/>",
        ] {
            let e = reader(bad).root().unwrap_err();
            assert!(matches!(e, Error::Protocol { .. }), "{bad}: {e}");
        }
        let root = reader("<r xmlns:xml='http://www.w3.org/XML/1998/namespace' xml:lang='en'/>")
            .root()
            .unwrap();
        assert_eq!(root.ns(), NsId::NONE);
    }

    #[test]
    fn truncated_bodies_are_retryable_errors() {
        for cut in [
            "<r><x>abc</x>",
            "<r><x>ab",
            "<r><x>abc</x><y a='1",
            "<r><x>abc</",
            "<r><x>AT&am",
        ] {
            let e = texts(cut).unwrap_err();
            assert!(e.is_retryable(), "{cut}: {e}");
            assert!(e.to_string().contains("zuora-soap"), "{e}");
        }
    }

    #[test]
    fn malformed_bodies_are_protocol_errors() {
        for bad in [
            "<r><x>a</y></r>",
            "<r><x>&bogus;</x></r>",
            "<r><x>a<b/>c</x></r>",
            "<p:r/>",
        ] {
            let e = texts(bad).unwrap_err();
            assert!(matches!(e, Error::Protocol { .. }), "{bad}: {e}");
            assert!(!e.is_retryable(), "{bad}: {e}");
        }
        for not_xml in ["", "   ", "Internal Server Error"] {
            let e = reader(not_xml).root().unwrap_err();
            assert!(matches!(e, Error::Protocol { .. }), "{not_xml:?}: {e}");
        }
    }

    #[test]
    fn skip_passes_over_nested_content() {
        let xml = "<r><a><b><c>x</c></b><b/></a><d>y</d></r>";
        let mut r = reader(xml);
        let root = r.root().unwrap();
        let a = r.child(&root).unwrap().unwrap();
        r.skip(&a).unwrap();
        let d = r.child(&root).unwrap().unwrap();
        assert_eq!(d.local_name(), "d");
        assert_eq!(r.text(&d).unwrap(), "y");
        assert!(r.child(&root).unwrap().is_none());
        r.finish().unwrap();
    }
}
