//! A SOAP dialect described once — its backend, namespace table, API
//! namespace, fault children, `login` result names and fault classification —
//! and the response readers every dialect shares on top of that description:
//! a `login` response, a query response (with the dialect's record reader and
//! header reader), each as a [`Reply`] or, with the HTTP checks, as the call's
//! result.

use super::NsId;
use super::envelope::{Body, open_body};
use super::fault::{FaultNames, SoapFault};
use super::http::{Reply, read_response};
use super::query_result::{QueryResult, RecordReader, read_query_response};
use super::reader::{Elem, XmlReader};
use crate::lookahead::{Early, capture};
use crate::transport::HttpResponse;
use crate::{BackendKind, Error, Fault, Record, Result, Secret};

/// What a dialect is on the wire.
#[derive(Debug)]
pub(crate) struct Dialect {
    /// The backend errors are reported for.
    pub kind: BackendKind,
    /// The dialect's namespace URIs, in [`NsId::dialect`] order.
    pub namespaces: &'static [&'static str],
    /// The namespace of operations, responses, `result` and its children.
    pub api: NsId,
    /// Where the fault detail keeps code and message.
    pub faults: FaultNames,
    /// `LoginResult`'s session id child (`Session`, `sessionId`).
    pub login_session: &'static str,
    /// `LoginResult`'s server URL child (`ServerUrl`, `serverUrl`).
    pub login_server_url: &'static str,
    /// Turns a wire fault into a classified [`Fault`].
    pub classify: fn(&SoapFault) -> Fault,
}

/// Which query call a response answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueryOp {
    /// `query`.
    Query,
    /// `queryAll` (Salesforce only).
    QueryAll,
    /// `queryMore`.
    QueryMore,
}

impl QueryOp {
    /// The operation's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            QueryOp::Query => "query",
            QueryOp::QueryAll => "queryAll",
            QueryOp::QueryMore => "queryMore",
        }
    }

    /// The name of its response element.
    pub(crate) fn response(self) -> &'static str {
        match self {
            QueryOp::Query => "queryResponse",
            QueryOp::QueryAll => "queryAllResponse",
            QueryOp::QueryMore => "queryMoreResponse",
        }
    }
}

/// What `login` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LoginResult {
    /// The session id, for `SessionHeader`.
    pub session: Secret,
    /// Where to send the calls that follow.
    pub server_url: String,
}

impl Dialect {
    /// Opens a response body: the fault, or the response element `name` in the
    /// API namespace (anything else is a protocol error). `on_header` reads or
    /// skips each header element.
    pub(crate) fn open<'i>(
        &self,
        r: &mut XmlReader<'i>,
        name: &str,
        on_header: impl FnMut(&mut XmlReader<'i>, &Elem<'i>) -> Result<()>,
    ) -> Result<Reply<Elem<'i>>> {
        match open_body(r, &self.faults, on_header)? {
            Body::Fault(f) => Ok(Reply::Fault(f)),
            Body::Response(e) if e.is(self.api, name) => Ok(Reply::Ok(e)),
            Body::Response(e) => Err(r.error(format!(
                "expected {name} in {}, found <{}>",
                self.namespaces.first().copied().unwrap_or_default(),
                e.qualified_name()
            ))),
        }
    }

    /// A reader over `body` with this dialect's namespaces.
    pub(crate) fn reader<'i>(&self, body: &'i [u8]) -> XmlReader<'i> {
        XmlReader::new(self.kind, body, self.namespaces)
    }

    /// Parses a `loginResponse` body.
    pub(crate) fn parse_login(&self, body: &[u8]) -> Result<Reply<LoginResult>> {
        let mut r = self.reader(body);
        let response = match self.open(&mut r, "loginResponse", super::envelope::skip_header)? {
            Reply::Fault(f) => return Ok(Reply::Fault(f)),
            Reply::Ok(e) => e,
        };
        let mut session = None;
        let mut server_url = None;
        while let Some(result) = r.child(&response)? {
            if !result.is(self.api, "result") {
                r.skip(&result)?;
                continue;
            }
            while let Some(c) = r.child(&result)? {
                if c.is(self.api, self.login_session) && !c.is_nil() {
                    session = Some(Secret::new(r.text(&c)?.trim()));
                } else if c.is(self.api, self.login_server_url) && !c.is_nil() {
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
            _ => Err(r.error(format!(
                "loginResponse has no {} and {}",
                self.login_session, self.login_server_url
            ))),
        }
    }

    /// Parses the response body of a query call.
    pub(crate) fn parse_query<'i, D: RecordReader + ?Sized>(
        &self,
        body: &'i [u8],
        op: QueryOp,
        on_header: impl FnMut(&mut XmlReader<'i>, &Elem<'i>) -> Result<()>,
        records: &mut D,
    ) -> Result<Reply<QueryResult>> {
        let mut r = self.reader(body);
        let elem = match self.open(&mut r, op.response(), on_header)? {
            Reply::Fault(f) => return Ok(Reply::Fault(f)),
            Reply::Ok(e) => e,
        };
        read_query_response(&mut r, &elem, self.api, records).map(Reply::Ok)
    }

    /// Looks at the start of a query response body (`head`, cut anywhere):
    /// once the page's own `records` begin, the cursor the full parse offers
    /// there — found by that same parse, run over the prefix and stopped at
    /// the first record. Unknown while the prefix ends before that point
    /// (a locator cut mid-text is never read as a whole one).
    pub(crate) fn query_head(&self, head: &[u8], op: QueryOp) -> Early {
        let mut stop = StopAtRecords(false);
        let (parsed, offered) =
            capture(|| self.parse_query(head, op, super::envelope::skip_header, &mut stop));
        match parsed {
            _ if offered.is_some() || stop.0 => Early::Known(offered),
            Ok(_) => Early::Known(None),
            // Cut short, or cut before the document's root element began.
            Err(e) if e.is_retryable() || self.reader(head).root().is_err() => Early::Unknown,
            Err(_) => Early::Known(None),
        }
    }

    /// A whole response: the HTTP checks, `parse` on the body, a fault classified.
    pub(crate) fn read<T>(
        &self,
        resp: &HttpResponse,
        parse: impl FnOnce(&[u8]) -> Result<Reply<T>>,
    ) -> Result<T> {
        read_response(self.kind, resp, parse, self.classify)
    }

    /// A whole `login` response.
    pub(crate) fn login_response(&self, resp: &HttpResponse) -> Result<LoginResult> {
        self.read(resp, |body| self.parse_login(body))
    }
}

/// Reads no record: the first one ends the parse of a head (the flag says it
/// was reached).
struct StopAtRecords(bool);

impl RecordReader for StopAtRecords {
    fn read_record<'i>(&mut self, r: &mut XmlReader<'i>, _: Elem<'i>) -> Result<Record> {
        self.0 = true;
        Err(Error::protocol(
            r.backend(),
            "the head ends at the first record",
        ))
    }
}
