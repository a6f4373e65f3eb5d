//! The `QueryResult` both SOAP dialects share — `done`, `queryLocator`,
//! `records*`, `size` — read while streaming and written by the mock. The
//! dialect says which namespace the result's children are in and turns each
//! `records` element into a [`Record`] ([`RecordReader`]); it writes its own
//! records through a callback.
//!
//! `size` is the total row count of the whole query, not the page length.

use super::reader::{Elem, XmlReader};
use super::writer::XmlWriter;
use super::{NsId, XSI, parse_bool};
use crate::record::same_bytes;
use crate::{BackendKind, Cursor, CursorToken, Error, Page, Record, Result};
use std::sync::Arc;

/// How a dialect reads one `records` element.
pub(crate) trait RecordReader {
    /// Reads `elem` (a `records` element, just opened, not nil) to its end.
    fn read_record<'i>(&mut self, r: &mut XmlReader<'i>, elem: Elem<'i>) -> Result<Record>;
}

/// Field names shared between the records of one response, so a page of
/// records holds each name once: the `i`th field of a record usually has the
/// name the `i`th field of the record before had.
#[derive(Debug, Default)]
pub(crate) struct FieldNames {
    /// The names of the last record's fields, by position, each with
    /// whether it is a dotted path.
    slots: Vec<(Arc<str>, bool)>,
    /// Every name seen in this response.
    known: Vec<Arc<str>>,
}

impl FieldNames {
    /// The shared name for the `i`th field of a record, called `local`.
    pub(crate) fn at(&mut self, i: usize, local: &str) -> Arc<str> {
        self.at_path(i, local).0
    }

    /// [`FieldNames::at`], and whether the name is a dotted path
    /// (`BillToContact.WorkEmail`), remembered with the slot.
    pub(crate) fn at_path(&mut self, i: usize, local: &str) -> (Arc<str>, bool) {
        if let Some((n, dotted)) = self.slots.get(i)
            && same_bytes(n.as_bytes(), local.as_bytes())
        {
            return (n.clone(), *dotted);
        }
        let name = self.intern(local);
        let dotted = local.contains('.');
        match self.slots.get_mut(i) {
            Some(slot) => *slot = (name.clone(), dotted),
            None => self.slots.push((name.clone(), dotted)),
        }
        (name, dotted)
    }

    /// The shared name `local`, wherever it stands.
    pub(crate) fn intern(&mut self, local: &str) -> Arc<str> {
        match self.known.iter().find(|n| &***n == local) {
            Some(n) => n.clone(),
            None => {
                let n: Arc<str> = Arc::from(local);
                self.known.push(n.clone());
                n
            }
        }
    }

    /// The number of fields the last record had (a capacity hint).
    pub(crate) fn width(&self) -> usize {
        self.slots.len()
    }
}

/// One `QueryResult`, as read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QueryResult {
    /// `done`.
    pub done: bool,
    /// `queryLocator`; `None` when nil, empty or absent.
    pub query_locator: Option<String>,
    /// The records of this page.
    pub records: Vec<Record>,
    /// `size`: the total number of rows the query matches.
    pub size: Option<u64>,
}

impl QueryResult {
    /// The page: a cursor when not `done`. `done=false` without a locator is
    /// a protocol error.
    pub(crate) fn into_page(self, backend: BackendKind) -> Result<Page> {
        let cursor = if self.done {
            None
        } else {
            let locator = self.query_locator.ok_or_else(|| {
                Error::protocol(
                    backend,
                    "done is false but the result has no queryLocator to continue from",
                )
            })?;
            Some(Cursor::new(backend, CursorToken::Locator(locator)))
        };
        Ok(Page::new(self.records, cursor, self.size))
    }
}

/// Reads a child subquery's `QueryResult` element (just opened) whose
/// children are in namespace `ns`, to its end. Unknown children are skipped;
/// `done` is required.
pub(crate) fn read_query_result<'i, D: RecordReader + ?Sized>(
    r: &mut XmlReader<'i>,
    result: &Elem<'i>,
    ns: NsId,
    dialect: &mut D,
) -> Result<QueryResult> {
    read_result(r, result, ns, dialect, false)
}

/// [`read_query_result`]; for the page's own result (`page`), its locator is
/// offered to the [`lookahead`](crate::lookahead) when its records begin. A
/// child subquery's locator pages the children, not the query: never offered.
fn read_result<'i, D: RecordReader + ?Sized>(
    r: &mut XmlReader<'i>,
    result: &Elem<'i>,
    ns: NsId,
    dialect: &mut D,
    page: bool,
) -> Result<QueryResult> {
    let backend = r.backend();
    let bad = |what: String| Error::protocol(backend, what);
    let mut done = None;
    let mut query_locator: Option<String> = None;
    let mut records = Vec::new();
    let mut size = None;
    let mut offered = !page;
    while let Some(c) = r.child(result)? {
        if c.ns() != ns {
            r.skip(&c)?;
            continue;
        }
        if !offered && c.local_name() == "records" {
            // `done` and `queryLocator` come first: the next page can be
            // requested while these records are read.
            offered = true;
            if done == Some(false)
                && let Some(locator) = &query_locator
            {
                crate::lookahead::offer_next(|| {
                    Some(Cursor::new(backend, CursorToken::Locator(locator.clone())))
                });
            }
        }
        match c.local_name() {
            "records" if c.is_nil() => r.skip(&c)?,
            "records" => records.push(dialect.read_record(r, c)?),
            "done" => {
                let text = r.text(&c)?;
                done = Some(
                    parse_bool(text)
                        .ok_or_else(|| bad(format!("done is not a boolean: {text:?}")))?,
                );
            }
            "queryLocator" if c.is_nil() => r.skip(&c)?,
            "queryLocator" => {
                let text = r.text(&c)?.trim();
                query_locator = (!text.is_empty()).then(|| text.to_owned());
            }
            "size" => {
                let text = r.text(&c)?.trim();
                size = Some(
                    text.parse::<u64>()
                        .map_err(|_| bad(format!("size is not a count: {text:?}")))?,
                );
            }
            _ => r.skip(&c)?,
        }
    }
    let done = done.ok_or_else(|| r.error("the QueryResult has no done element"))?;
    Ok(QueryResult {
        done,
        query_locator,
        records,
        size,
    })
}

/// Reads an operation response holding one `result` (`queryResponse`,
/// `queryMoreResponse`, `queryAllResponse`), then the rest of the document.
pub(crate) fn read_query_response<'i, D: RecordReader + ?Sized>(
    r: &mut XmlReader<'i>,
    response: &Elem<'i>,
    ns: NsId,
    dialect: &mut D,
) -> Result<QueryResult> {
    let mut out = None;
    while let Some(c) = r.child(response)? {
        if out.is_none() && c.is(ns, "result") {
            out = Some(read_result(r, &c, ns, dialect, true)?);
        } else {
            r.skip(&c)?;
        }
    }
    r.finish()?;
    out.ok_or_else(|| {
        r.error(format!(
            "<{}> has no result element",
            response.qualified_name()
        ))
    })
}

/// How a dialect writes its query responses (the mock's side).
#[cfg_attr(not(feature = "mock"), allow(dead_code))]
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResultStyle {
    /// The prefix of the API namespace (`ns1`; empty for a default namespace).
    pub prefix: &'static str,
    /// Declare `xmlns:<prefix>` with this URI on the response element (Zuora);
    /// `None` when the envelope declares it (Salesforce).
    pub declare: Option<&'static str>,
    /// The `xsi:nil` spelling (`1` for Zuora, `true` for Salesforce).
    pub nil: &'static str,
    /// Declare `xmlns:xsi` on the nil `queryLocator` itself (Zuora).
    pub declare_xsi_on_nil: bool,
    /// The `xsi:type` written on `result` (`QueryResult` for Salesforce).
    pub result_type: Option<&'static str>,
}

/// One page as the mock writes it.
#[cfg_attr(not(feature = "mock"), allow(dead_code))]
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResultPage<'a> {
    /// True on the last page.
    pub done: bool,
    /// The locator of the next page (`None` on the last page).
    pub query_locator: Option<&'a str>,
    /// The total row count.
    pub size: u64,
}

/// Writes `<response><result>...</result></response>` into an open body;
/// `records` writes the `records` elements.
#[cfg_attr(not(feature = "mock"), allow(dead_code))]
pub(crate) fn write_query_response(
    w: &mut XmlWriter,
    style: &ResultStyle,
    response: &str,
    page: &ResultPage<'_>,
    records: impl FnOnce(&mut XmlWriter),
) {
    let p = style.prefix;
    let xmlns = format!("xmlns:{p}");
    match style.declare {
        Some(uri) => w.start(p, response, &[(xmlns.as_str(), uri)]),
        None => w.start(p, response, &[]),
    }
    match style.result_type {
        Some(t) => w.start(p, "result", &[("xsi:type", t)]),
        None => w.start(p, "result", &[]),
    }
    write_query_result(w, style, page, records);
    w.end(p, "result");
    w.end(p, response);
}

/// Writes a `QueryResult`'s children — `done`, `queryLocator`, the records,
/// `size` — into an open element (`result`, or a child subquery's relationship).
#[cfg_attr(not(feature = "mock"), allow(dead_code))]
pub(crate) fn write_query_result(
    w: &mut XmlWriter,
    style: &ResultStyle,
    page: &ResultPage<'_>,
    records: impl FnOnce(&mut XmlWriter),
) {
    let p = style.prefix;
    w.leaf(p, "done", if page.done { "true" } else { "false" });
    match page.query_locator {
        Some(l) => w.leaf(p, "queryLocator", l),
        None if style.declare_xsi_on_nil => w.empty(
            p,
            "queryLocator",
            &[("xsi:nil", style.nil), ("xmlns:xsi", XSI)],
        ),
        None => w.empty(p, "queryLocator", &[("xsi:nil", style.nil)]),
    }
    records(w);
    w.leaf(p, "size", &page.size.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;
    use crate::xml::envelope::{Body, open_body, skip_header};
    use crate::xml::fault::FaultNames;
    use crate::xml::writer::{begin_response, end_response};

    const TABLE: &[&str] = &["urn:api", "urn:obj", "urn:fault"];
    const API: NsId = NsId::dialect(0);
    const OBJ: NsId = NsId::dialect(1);
    const FAULTS: FaultNames = FaultNames {
        ns: NsId::dialect(2),
        code: "FaultCode",
        message: "FaultMessage",
    };

    /// Reads every child of a record as a text field.
    struct Flat;

    impl RecordReader for Flat {
        fn read_record<'i>(&mut self, r: &mut XmlReader<'i>, elem: Elem<'i>) -> Result<Record> {
            let mut rec = Record::new();
            while let Some(c) = r.child(&elem)? {
                if c.ns() == OBJ {
                    let v = Value::Text(r.text(&c)?.into());
                    rec.push(c.local_name(), v);
                } else {
                    r.skip(&c)?;
                }
            }
            Ok(rec)
        }
    }

    fn parse(xml: &[u8]) -> Result<QueryResult> {
        let mut r = XmlReader::new(BackendKind::ZuoraSoap, xml, TABLE);
        match open_body(&mut r, &FAULTS, skip_header)? {
            Body::Response(e) => read_query_response(&mut r, &e, API, &mut Flat),
            Body::Fault(f) => panic!("{f:?}"),
        }
    }

    const STYLE: ResultStyle = ResultStyle {
        prefix: "ns1",
        declare: Some("urn:api"),
        nil: "1",
        declare_xsi_on_nil: true,
        result_type: None,
    };

    fn written(page: ResultPage<'_>, n: usize) -> Vec<u8> {
        let mut w = begin_response(256, &[]);
        write_query_response(&mut w, &STYLE, "queryResponse", &page, |w| {
            for i in 0..n {
                w.start("ns1", "records", &[("xmlns:ns2", "urn:obj")]);
                w.leaf("ns2", "Id", &format!("id-{i}"));
                w.end("ns1", "records");
            }
        });
        end_response(w)
    }

    #[test]
    fn field_names_are_shared_between_records() {
        let mut names = FieldNames::default();
        let a = names.at(0, "Id");
        let b = names.at(1, "Name");
        // A record without the second field, then one with an extra field.
        assert!(Arc::ptr_eq(&names.at(0, "Id"), &a));
        let c = names.at(1, "Notes");
        assert!(Arc::ptr_eq(&names.at(2, "Name"), &b));
        assert!(Arc::ptr_eq(&names.at(1, "Notes"), &c));
        assert!(Arc::ptr_eq(&names.intern("Notes"), &c));
        assert_eq!(names.width(), 3);
    }

    #[test]
    fn a_written_page_reads_back() {
        let bytes = written(
            ResultPage {
                done: false,
                query_locator: Some("abc-2"),
                size: 7,
            },
            2,
        );
        let q = parse(&bytes).unwrap();
        assert!(!q.done);
        assert_eq!(q.query_locator.as_deref(), Some("abc-2"));
        assert_eq!(q.size, Some(7));
        assert_eq!(q.records.len(), 2);
        assert_eq!(q.records[1].get("Id"), Some(&Value::from("id-1")));
        let page = q.into_page(BackendKind::ZuoraSoap).unwrap();
        assert_eq!(page.cursor.unwrap().locator(), Some("abc-2"));
        assert_eq!(page.total_size, Some(7));
    }

    #[test]
    fn the_last_page_has_a_nil_locator_and_no_cursor() {
        let bytes = written(
            ResultPage {
                done: true,
                query_locator: None,
                size: 1,
            },
            1,
        );
        let text = String::from_utf8_lossy(&bytes).into_owned();
        assert!(
            text.contains(r#"<ns1:queryLocator xsi:nil="1" xmlns:xsi="#),
            "{text}"
        );
        let page = parse(&bytes)
            .unwrap()
            .into_page(BackendKind::ZuoraSoap)
            .unwrap();
        assert!(page.is_last());
    }

    #[test]
    fn not_done_without_a_locator_is_a_protocol_error() {
        let bytes = written(
            ResultPage {
                done: false,
                query_locator: None,
                size: 3,
            },
            1,
        );
        let e = parse(&bytes)
            .unwrap()
            .into_page(BackendKind::ZuoraSoap)
            .unwrap_err();
        assert!(e.to_string().contains("no queryLocator"), "{e}");
    }

    #[test]
    fn missing_or_bad_done_and_size_are_protocol_errors() {
        let env = |inner: &str| {
            format!(
                "<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/' xmlns='urn:api'>\
                 <s:Body><queryResponse><result>{inner}</result></queryResponse></s:Body></s:Envelope>"
            )
        };
        for (inner, want) in [
            ("<size>1</size>", "no done"),
            ("<done>maybe</done>", "not a boolean"),
            ("<done>true</done><size>-1</size>", "not a count"),
        ] {
            let e = parse(env(inner).as_bytes()).unwrap_err();
            assert!(e.to_string().contains(want), "{inner}: {e}");
        }
        let e = parse(
            b"<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/' xmlns='urn:api'>\
              <s:Body><queryResponse/></s:Body></s:Envelope>",
        )
        .unwrap_err();
        assert!(e.to_string().contains("no result"), "{e}");
    }
}
