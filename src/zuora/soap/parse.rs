//! Pure parsers for Zuora SOAP responses: `loginResponse`, `queryResponse`,
//! `queryMoreResponse` and `soapenv:Fault`, as Zuora's dialect of the shared
//! [`xml`](crate::xml) plumbing (which also holds the HTTP-level checks in
//! front of them): namespaces, fault and login names are declared once in
//! [`DIALECT`]; only the record shape is read here.
//!
//! Records: each `records` element is typed `xsi:type="<p>:<Object>"` with the
//! prefix bound to `http://object.api.zuora.com/` (resolved per record: the
//! prefixes change from record to record); its fields are the children in that
//! namespace. Zuora omits null fields; an `xsi:nil` one reads as null. A
//! joined field with a dotted name (`BillToContact.WorkEmail`) nests into a
//! record (`BillToContact: { WorkEmail }`).

use super::{API_NS, FAULT_NS, OBJECT_NS};
use crate::transport::HttpResponse;
use crate::xml::NsId;
use crate::xml::dialect::Dialect;
#[cfg(any(test, feature = "fuzz-api"))]
pub(crate) use crate::xml::dialect::LoginResult;
pub(crate) use crate::xml::dialect::QueryOp;
use crate::xml::envelope::skip_header;
use crate::xml::fault::{FaultNames, SoapFault};
pub(crate) use crate::xml::http::Reply;
use crate::xml::query_result::{FieldNames, RecordReader};
use crate::xml::reader::{Elem, XmlReader};
use crate::{BackendKind, Fault, Page, Record, Result, Value};

const KIND: BackendKind = BackendKind::ZuoraSoap;

/// Zuora's namespaces, in [`NsId`] order.
pub(crate) const NAMESPACES: &[&str] = &[API_NS, OBJECT_NS, FAULT_NS];
/// `http://api.zuora.com/`.
pub(crate) const API: NsId = NsId::dialect(0);
/// `http://object.api.zuora.com/`.
pub(crate) const OBJECT: NsId = NsId::dialect(1);
/// `http://fault.api.zuora.com/`.
pub(crate) const FAULT: NsId = NsId::dialect(2);

/// Zuora's SOAP API as a dialect of the shared plumbing.
pub(crate) static DIALECT: Dialect = Dialect {
    kind: KIND,
    namespaces: NAMESPACES,
    api: API,
    faults: FaultNames {
        ns: FAULT,
        code: "FaultCode",
        message: "FaultMessage",
    },
    login_session: "Session",
    login_server_url: "ServerUrl",
    classify,
};

/// Parses a `login` response body.
#[cfg(any(test, feature = "fuzz-api"))]
pub(crate) fn parse_login(body: &[u8]) -> Result<Reply<LoginResult>> {
    DIALECT.parse_login(body)
}

/// Parses a `query` or `queryMore` response body into a page.
pub(crate) fn parse_query(body: &[u8], op: QueryOp) -> Result<Reply<Page>> {
    let reply = DIALECT.parse_query(body, op, skip_header, &mut ZuoraRecords::default())?;
    Ok(match reply {
        Reply::Fault(f) => Reply::Fault(f),
        Reply::Ok(q) => Reply::Ok(q.into_page(KIND)?),
    })
}

/// Classifies a Zuora fault (by the detail element where Zuora's codes are
/// ambiguous: see [`crate::xml::fault::classify`]).
pub(crate) fn classify(fault: &SoapFault) -> Fault {
    crate::xml::fault::classify(KIND, fault)
}

/// A full `query` / `queryMore` response: HTTP checks, then the body.
pub(crate) fn query_response(resp: &HttpResponse, op: QueryOp) -> Result<Page> {
    DIALECT.read(resp, |body| parse_query(body, op))
}

/// Reads Zuora `records` elements, sharing field names between records.
#[derive(Default)]
struct ZuoraRecords {
    names: FieldNames,
}

impl RecordReader for ZuoraRecords {
    fn read_record<'i>(&mut self, r: &mut XmlReader<'i>, mut elem: Elem<'i>) -> Result<Record> {
        let mut record = Record::with_capacity(self.names.width());
        if let Some((OBJECT, object)) = elem.take_xsi_type() {
            record.set_object_type(object);
        }
        let mut i = 0;
        while let Some(field) = r.child(&elem)? {
            if field.ns() != OBJECT || field.local_name() == "fieldsToNull" {
                r.skip(&field)?;
                continue;
            }
            let (name, dotted) = self.names.at_path(i, field.local_name());
            i += 1;
            let value = if field.is_nil() {
                r.skip(&field)?;
                Value::Null
            } else {
                Value::Text(r.text(&field)?.into())
            };
            if dotted {
                // A joined field (`BillToContact.WorkEmail`) nests.
                record.push_path(&name, value);
            } else {
                record.push(name, value);
            }
        }
        Ok(record)
    }
}

#[cfg(test)]
mod tests;
