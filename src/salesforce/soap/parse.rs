//! Pure parsers for partner API responses — `loginResponse`, `queryResponse`,
//! `queryAllResponse`, `queryMoreResponse` and `soapenv:Fault` — as the partner
//! dialect of the shared [`xml`](crate::xml) plumbing: namespaces, fault and
//! login names are declared once in [`DIALECT`]; only the record shape and the
//! `LimitInfoHeader` are read here.
//!
//! Records (`records xsi:type="sf:sObject"`): `sf:type` is the object type;
//! the fields are the children in `urn:sobject.partner.soap.sforce.com`, in
//! SELECT order. `Id` comes twice when selected (the first wins, as for every
//! repeated field) and once as `xsi:nil="true"` when not (that nil `Id` is
//! dropped, so records hold what was selected); any other `xsi:nil` field is
//! [`Value::Null`]. A child typed `sf:sObject` is a parent relationship and
//! reads as a nested [`Value::Record`]; one typed `QueryResult` is a child
//! subquery and reads as a [`Value::List`] of its records.

use super::{FAULT_NS, PARTNER_NS, SOBJECT_NS};
use crate::page::LimitInfo;
use crate::transport::HttpResponse;
use crate::xml::NsId;
use crate::xml::dialect::Dialect;
#[cfg(test)]
use crate::xml::dialect::LoginResult;
pub(crate) use crate::xml::dialect::QueryOp;
use crate::xml::fault::{FaultNames, SoapFault, classify};
use crate::xml::http::Reply;
use crate::xml::query_result::{FieldNames, RecordReader, read_query_result};
use crate::xml::reader::{Elem, XmlReader};
use crate::{BackendKind, Fault, Page, Record, Result, Value};

const KIND: BackendKind = BackendKind::SalesforceSoap;

/// The partner namespaces, in [`NsId`] order.
pub(crate) const NAMESPACES: &[&str] = &[PARTNER_NS, SOBJECT_NS, FAULT_NS];
/// `urn:partner.soap.sforce.com`.
pub(crate) const PARTNER: NsId = NsId::dialect(0);
/// `urn:sobject.partner.soap.sforce.com`.
pub(crate) const SOBJECT: NsId = NsId::dialect(1);
/// `urn:fault.partner.soap.sforce.com`.
pub(crate) const FAULT: NsId = NsId::dialect(2);

/// The partner API as a SOAP dialect.
pub(crate) static DIALECT: Dialect = Dialect {
    kind: KIND,
    namespaces: NAMESPACES,
    api: PARTNER,
    faults: FaultNames {
        ns: FAULT,
        code: "exceptionCode",
        message: "exceptionMessage",
    },
    login_session: "sessionId",
    login_server_url: "serverUrl",
    classify: classify_fault,
};

fn classify_fault(f: &SoapFault) -> Fault {
    classify(KIND, f)
}

/// Parses a `login` response body.
#[cfg(test)]
pub(crate) fn parse_login(body: &[u8]) -> Result<Reply<LoginResult>> {
    DIALECT.parse_login(body)
}

/// Parses a `query`, `queryAll` or `queryMore` response body into a page, with
/// the `LimitInfoHeader` counters when the header is there.
pub(crate) fn parse_query(body: &[u8], op: QueryOp) -> Result<Reply<Page>> {
    let mut limits = Vec::new();
    let reply = DIALECT.parse_query(
        body,
        op,
        |r, h| read_header(r, h, &mut limits),
        &mut PartnerRecords::default(),
    )?;
    Ok(match reply {
        Reply::Fault(f) => Reply::Fault(f),
        Reply::Ok(q) => Reply::Ok(q.into_page(KIND)?.with_limit_info(limits)),
    })
}

/// A whole `query` / `queryAll` / `queryMore` response: HTTP checks, then the body.
pub(crate) fn query_response(resp: &HttpResponse, op: QueryOp) -> Result<Page> {
    DIALECT.read(resp, |body| parse_query(body, op))
}

/// Reads `LimitInfoHeader/limitInfo*` (`current`, `limit`, `type`); skips any
/// other header. An entry whose counts are not numbers is left out.
fn read_header(r: &mut XmlReader<'_>, h: &Elem<'_>, out: &mut Vec<LimitInfo>) -> Result<()> {
    if !h.is(PARTNER, "LimitInfoHeader") {
        return r.skip(h);
    }
    while let Some(info) = r.child(h)? {
        if !info.is(PARTNER, "limitInfo") {
            r.skip(&info)?;
            continue;
        }
        let (mut current, mut limit, mut kind) = (None, None, None);
        while let Some(c) = r.child(&info)? {
            if c.ns() != PARTNER || c.is_nil() {
                r.skip(&c)?;
                continue;
            }
            match c.local_name() {
                "current" => current = r.text(&c)?.trim().parse::<u64>().ok(),
                "limit" => limit = r.text(&c)?.trim().parse::<u64>().ok(),
                "type" => kind = Some(r.text(&c)?.trim().to_owned()),
                _ => r.skip(&c)?,
            }
        }
        if let (Some(current), Some(limit), Some(kind)) = (current, limit, kind) {
            out.push(LimitInfo {
                kind,
                current,
                limit,
            });
        }
    }
    Ok(())
}

/// Reads partner `records` (and the nested ones), sharing field names.
#[derive(Default)]
struct PartnerRecords {
    names: FieldNames,
}

impl PartnerRecords {
    /// Reads an `sObject` element's children to its end; `top` says whether
    /// names are shared by position (records of the page) or by name (nested).
    fn sobject(&mut self, r: &mut XmlReader<'_>, elem: &Elem<'_>, top: bool) -> Result<Record> {
        let mut record = Record::with_capacity(if top { self.names.width() } else { 4 });
        let mut i = 0;
        while let Some(mut field) = r.child(elem)? {
            if field.ns() != SOBJECT {
                r.skip(&field)?;
                continue;
            }
            match field.local_name() {
                "type" if !field.is_nil() => {
                    let t = r.text(&field)?.trim();
                    if !t.is_empty() {
                        record.set_object_type(t);
                    }
                    continue;
                }
                "type" | "fieldsToNull" => {
                    r.skip(&field)?;
                    continue;
                }
                "Id" if field.is_nil() => {
                    r.skip(&field)?;
                    continue;
                }
                _ => {}
            }
            let name = if top {
                self.names.at(i, field.local_name())
            } else {
                self.names.intern(field.local_name())
            };
            i += 1;
            let value = if field.is_nil() {
                r.skip(&field)?;
                Value::Null
            } else {
                match field.take_xsi_type() {
                    Some((_, t)) if t == "sObject" => Value::from(self.sobject(r, &field, false)?),
                    Some((_, t)) if t == "QueryResult" => {
                        let child = read_query_result(r, &field, PARTNER, &mut Nested(self))?;
                        Value::List(child.records.into_iter().map(Value::from).collect())
                    }
                    _ => Value::Text(r.text(&field)?.into()),
                }
            };
            record.push(name, value);
        }
        Ok(record)
    }
}

impl RecordReader for PartnerRecords {
    fn read_record<'i>(&mut self, r: &mut XmlReader<'i>, elem: Elem<'i>) -> Result<Record> {
        self.sobject(r, &elem, true)
    }
}

/// The records of a child subquery: named by name, not by position.
struct Nested<'a>(&'a mut PartnerRecords);

impl RecordReader for Nested<'_> {
    fn read_record<'i>(&mut self, r: &mut XmlReader<'i>, elem: Elem<'i>) -> Result<Record> {
        self.0.sobject(r, &elem, false)
    }
}

#[cfg(test)]
mod tests;
