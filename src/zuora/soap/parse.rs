//! Pure parsers for Zuora SOAP responses: `loginResponse`, `queryResponse`,
//! `queryMoreResponse` and `soapenv:Fault`, streaming over the shared
//! [`xml`](crate::xml) reader; and the HTTP-level checks (status, content
//! type, HTML pages, empty bodies) in front of them.
//!
//! Records: each `records` element is typed `xsi:type="<p>:<Object>"` with the
//! prefix bound to `http://object.api.zuora.com/` (resolved per record: the
//! prefixes change from record to record); its fields are the children in that
//! namespace. Zuora omits null fields; an `xsi:nil` one reads as null.

use super::{API_NS, FAULT_NS, OBJECT_NS};
use crate::salesforce::common::status_error;
use crate::transport::{HttpResponse, excerpt, looks_like_html};
use crate::xml::NsId;
use crate::xml::envelope::{Body, open_body, skip_header};
use crate::xml::fault::{FaultNames, SoapFault};
use crate::xml::query_result::{RecordReader, read_query_response};
use crate::xml::reader::{Elem, XmlReader};
use crate::{BackendKind, Error, Fault, FaultCode, Page, Record, Result, Secret, Value};
use std::sync::Arc;

const KIND: BackendKind = BackendKind::ZuoraSoap;

/// Zuora's namespaces, in [`NsId`] order.
pub(crate) const NAMESPACES: &[&str] = &[API_NS, OBJECT_NS, FAULT_NS];
/// `http://api.zuora.com/`.
pub(crate) const API: NsId = NsId::dialect(0);
/// `http://object.api.zuora.com/`.
pub(crate) const OBJECT: NsId = NsId::dialect(1);
/// `http://fault.api.zuora.com/`.
pub(crate) const FAULT: NsId = NsId::dialect(2);

/// `FaultCode` / `FaultMessage` in the fault namespace.
pub(crate) const FAULT_NAMES: FaultNames = FaultNames {
    ns: FAULT,
    code: "FaultCode",
    message: "FaultMessage",
};

/// What `login` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LoginResult {
    /// `Session`.
    pub session: Secret,
    /// `ServerUrl`: where to send the calls that follow.
    pub server_url: String,
}

/// A response body: the operation's result, or a SOAP fault.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reply<T> {
    /// The operation's result.
    Ok(T),
    /// A `soapenv:Fault`.
    Fault(SoapFault),
}

/// Which query call a response answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueryOp {
    /// `query`.
    Query,
    /// `queryMore`.
    QueryMore,
}

impl QueryOp {
    fn response(self) -> &'static str {
        match self {
            QueryOp::Query => "queryResponse",
            QueryOp::QueryMore => "queryMoreResponse",
        }
    }
}

/// Parses a `login` response body.
pub(crate) fn parse_login(body: &[u8]) -> Result<Reply<LoginResult>> {
    let mut r = XmlReader::new(KIND, body, NAMESPACES);
    let response = match open_body(&mut r, &FAULT_NAMES, skip_header)? {
        Body::Fault(f) => return Ok(Reply::Fault(f)),
        Body::Response(e) => e,
    };
    expect(&r, &response, "loginResponse")?;
    let mut session = None;
    let mut server_url = None;
    while let Some(result) = r.child(&response)? {
        if !result.is(API, "result") {
            r.skip(&result)?;
            continue;
        }
        while let Some(c) = r.child(&result)? {
            if c.is(API, "Session") && !c.is_nil() {
                session = Some(Secret::new(r.text(&c)?.trim()));
            } else if c.is(API, "ServerUrl") && !c.is_nil() {
                server_url = Some(r.text(&c)?.trim().to_owned());
            } else {
                r.skip(&c)?;
            }
        }
    }
    r.finish()?;
    match (session, server_url) {
        (Some(session), Some(server_url)) if !session.is_empty() && !server_url.is_empty() => {
            Ok(Reply::Ok(LoginResult {
                session,
                server_url,
            }))
        }
        _ => Err(r.error("loginResponse has no Session and ServerUrl")),
    }
}

/// Parses a `query` or `queryMore` response body into a page.
pub(crate) fn parse_query(body: &[u8], op: QueryOp) -> Result<Reply<Page>> {
    let mut r = XmlReader::new(KIND, body, NAMESPACES);
    let response = match open_body(&mut r, &FAULT_NAMES, skip_header)? {
        Body::Fault(f) => return Ok(Reply::Fault(f)),
        Body::Response(e) => e,
    };
    expect(&r, &response, op.response())?;
    let result = read_query_response(&mut r, &response, API, &mut ZuoraRecords::default())?;
    result.into_page(KIND).map(Reply::Ok)
}

fn expect(r: &XmlReader<'_>, e: &Elem<'_>, name: &str) -> Result<()> {
    if e.is(API, name) {
        Ok(())
    } else {
        Err(r.error(format!(
            "expected {name} in {API_NS}, found <{}>",
            e.qualified_name()
        )))
    }
}

/// Classifies a Zuora fault. The detail element's name decides where Zuora's
/// codes are ambiguous: `InvalidQueryLocatorFault` is an expired or unknown
/// cursor whatever its code (Zuora has no `INVALID_QUERY_LOCATOR` code), and a
/// `LoginFault` is a refused login unless its code says "try later".
pub(crate) fn classify(fault: &SoapFault) -> Fault {
    let base = Fault::new(KIND, fault.code(), fault.message());
    let by_detail = match fault.detail.as_deref() {
        Some("InvalidQueryLocatorFault") => Some(FaultCode::InvalidQueryLocator),
        Some("LoginFault")
            if !matches!(
                base.code,
                FaultCode::RequestLimitExceeded | FaultCode::ServerUnavailable
            ) =>
        {
            Some(FaultCode::InvalidLogin)
        }
        _ => None,
    };
    match by_detail {
        Some(code) => base.with_code(code),
        None => base,
    }
}

/// Refuses responses that cannot be SOAP: an empty body, an HTML page, a
/// non-XML content type. A failing status with such a body is classified by the
/// status (429 and 5xx are retryable).
pub(crate) fn check_http(resp: &HttpResponse) -> Result<()> {
    let ok = (200..300).contains(&resp.status);
    let ct = resp.content_type();
    let xml_type = matches!(
        ct.as_str(),
        "" | "text/xml" | "application/soap+xml" | "application/xml"
    );
    let empty = resp.body.iter().all(u8::is_ascii_whitespace);
    if !ok && (empty || !xml_type || looks_like_html(&resp.body)) {
        return Err(status_error(KIND, resp));
    }
    if empty {
        return Err(Error::protocol(
            KIND,
            format!("HTTP {} with an empty body", resp.status),
        ));
    }
    if looks_like_html(&resp.body) {
        return Err(Error::protocol(
            KIND,
            format!(
                "HTTP {} with an HTML page instead of a SOAP envelope: {}",
                resp.status,
                excerpt(&resp.body)
            ),
        ));
    }
    if !xml_type {
        return Err(Error::protocol(
            KIND,
            format!("unexpected content type {ct:?} (expected text/xml)"),
        ));
    }
    Ok(())
}

/// A full `login` response: HTTP checks, then the body.
pub(crate) fn login_response(resp: &HttpResponse) -> Result<LoginResult> {
    check_http(resp)?;
    finish(resp, parse_login(&resp.body))
}

/// A full `query` / `queryMore` response: HTTP checks, then the body.
pub(crate) fn query_response(resp: &HttpResponse, op: QueryOp) -> Result<Page> {
    check_http(resp)?;
    finish(resp, parse_query(&resp.body, op))
}

fn finish<T>(resp: &HttpResponse, parsed: Result<Reply<T>>) -> Result<T> {
    let ok = (200..300).contains(&resp.status);
    match parsed {
        Ok(Reply::Fault(f)) => Err(classify(&f)
            .with_status(resp.status)
            .with_retry_after(resp.retry_after())
            .into()),
        Ok(Reply::Ok(v)) if ok => Ok(v),
        // A failing status whose body is not a fault: the status decides.
        Ok(Reply::Ok(_)) => Err(status_error(KIND, resp)),
        Err(e) if ok || e.is_retryable() => Err(e),
        Err(_) => Err(status_error(KIND, resp)),
    }
}

/// Reads Zuora `records` elements, sharing field names between records.
#[derive(Default)]
struct ZuoraRecords {
    /// The names of the last record's fields, by position.
    slots: Vec<Arc<str>>,
    /// Every name seen in this response.
    known: Vec<Arc<str>>,
}

impl ZuoraRecords {
    /// The shared name for the `i`th field, called `local`.
    fn name(&mut self, i: usize, local: &str) -> Arc<str> {
        if let Some(n) = self.slots.get(i)
            && &**n == local
        {
            return n.clone();
        }
        let name = match self.known.iter().find(|n| &***n == local) {
            Some(n) => n.clone(),
            None => {
                let n: Arc<str> = Arc::from(local);
                self.known.push(n.clone());
                n
            }
        };
        match self.slots.get_mut(i) {
            Some(slot) => *slot = name.clone(),
            None => self.slots.push(name.clone()),
        }
        name
    }
}

impl RecordReader for ZuoraRecords {
    fn read_record<'i>(&mut self, r: &mut XmlReader<'i>, mut elem: Elem<'i>) -> Result<Record> {
        let mut record = Record::with_capacity(self.slots.len());
        if let Some((OBJECT, object)) = elem.take_xsi_type() {
            record.set_object_type(object);
        }
        let mut i = 0;
        while let Some(field) = r.child(&elem)? {
            if field.ns() != OBJECT || field.local_name() == "fieldsToNull" {
                r.skip(&field)?;
                continue;
            }
            let name = self.name(i, field.local_name());
            i += 1;
            let value = if field.is_nil() {
                r.skip(&field)?;
                Value::Null
            } else {
                Value::Text(r.text(&field)?.to_owned())
            };
            record.push(name, value);
        }
        Ok(record)
    }
}

#[cfg(test)]
mod tests;
