//! What the mock SOAP endpoints (Zuora's and the Salesforce partner API) share,
//! written once over the shared [`xml`](crate::xml) code: the operation
//! dispatch ([`handle`]: read the envelope, `login`, or check the
//! `SessionHeader` and run `query` / `queryAll` / `queryMore`), reading a
//! request in the dialect's namespaces, answering with a body or a fault
//! (HTTP 500) in the dialect's style, checking `login` credentials, the server
//! URL a login names (from the `Host` the client used), and opening or
//! continuing a server cursor with the per-record latency. Each dialect
//! supplies only what differs, as a [`SoapBackend`].

use super::cursors::{CursorError, ServedPage};
use super::dataset::Table;
use super::http::{host, xml};
use super::{Injected, MockFault, MockState, injected};
use crate::BackendKind;
use crate::xml::NsId;
use crate::xml::dialect::QueryOp;
use crate::xml::fault::{FaultBody, FaultStyle, write_fault};
use crate::xml::request::{SoapRequest, read_request};
use crate::xml::writer::{begin_response, end_response};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

/// The page size when a query asks for none (both APIs).
const DEFAULT_BATCH: usize = 2000;

/// A mock SOAP endpoint's dialect.
#[derive(Debug)]
pub(super) struct MockDialect {
    /// The backend.
    pub kind: BackendKind,
    /// The namespace table requests are read with.
    pub namespaces: &'static [&'static str],
    /// The namespace operations must be in.
    pub api: NsId,
    /// The namespaces a header is accepted in.
    pub header_namespaces: &'static [NsId],
    /// The `SessionHeader` field holding the session id.
    pub session_field: &'static str,
    /// The code and message of the invalid-session fault.
    pub invalid_session: (&'static str, &'static str),
    /// The code for a body that is no readable envelope.
    pub unreadable_code: &'static str,
    /// The code for an operation this endpoint does not serve.
    pub unknown_operation_code: &'static str,
    /// How faults are written.
    pub fault_style: FaultStyle,
    /// Declarations on the envelope of a fault response.
    pub fault_declarations: &'static [(&'static str, &'static str)],
    /// `faultstring` is `CODE: message` (Salesforce) rather than the message.
    pub code_in_faultstring: bool,
}

/// A fault to answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SoapFault {
    /// A code the dialect's WSDL declares.
    pub code: &'static str,
    /// The detail element (a fault type the WSDL declares).
    pub detail: &'static str,
    /// The message.
    pub message: String,
    /// More children of the detail element (`row`, `column`).
    pub extra: Vec<(&'static str, String)>,
}

impl SoapFault {
    /// A fault with the given code, detail element and message.
    pub fn new(code: &'static str, detail: &'static str, message: impl Into<String>) -> Self {
        SoapFault {
            code,
            detail,
            message: message.into(),
            extra: Vec::new(),
        }
    }

    /// An `UnexpectedErrorFault`.
    pub fn unexpected(code: &'static str, message: impl Into<String>) -> Self {
        SoapFault::new(code, "UnexpectedErrorFault", message)
    }
}

impl MockDialect {
    /// Reads a request; a body that is not an envelope, or an operation outside
    /// the API namespace, is a fault.
    pub fn read(&self, body: &[u8]) -> Result<SoapRequest, SoapFault> {
        let req = read_request(self.kind, body, self.namespaces)
            .map_err(|e| SoapFault::unexpected(self.unreadable_code, e.to_string()))?;
        if req.ns != self.api {
            return Err(self.unknown_operation(&req.operation));
        }
        Ok(req)
    }

    /// The fault for an operation this endpoint does not serve.
    pub fn unknown_operation(&self, operation: &str) -> SoapFault {
        SoapFault::unexpected(
            self.unknown_operation_code,
            format!("unsupported operation {operation}"),
        )
    }

    /// A successful body with 200, or the fault with 500.
    pub fn respond(&self, result: Result<Vec<u8>, SoapFault>) -> Response {
        match result {
            Ok(body) => xml(StatusCode::OK, body),
            Err(f) => xml(StatusCode::INTERNAL_SERVER_ERROR, self.fault_body(&f)),
        }
    }

    /// A fault response body.
    pub fn fault_body(&self, f: &SoapFault) -> Vec<u8> {
        let mut w = begin_response(768, self.fault_declarations);
        let extra: Vec<(&str, &str)> = f.extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let faultstring = if self.code_in_faultstring {
            format!("{}: {}", f.code, f.message)
        } else {
            f.message.clone()
        };
        write_fault(
            &mut w,
            &self.fault_style,
            &FaultBody {
                code: f.code,
                faultstring: &faultstring,
                detail: f.detail,
                message: &f.message,
                extra: &extra,
            },
        );
        end_response(w)
    }

    /// The session check every call but `login` makes: the live session in
    /// the request's `SessionHeader`; an injected `ExpireSession` ends it.
    pub fn check_session(
        &self,
        state: &MockState,
        req: &SoapRequest,
        fault: Option<&MockFault>,
    ) -> Result<String, SoapFault> {
        let token = req
            .header_field(self.header_namespaces, "SessionHeader", self.session_field)
            .map(str::trim);
        let (code, message) = self.invalid_session;
        state
            .live_session(token, fault)
            .map(str::to_owned)
            .ok_or_else(|| SoapFault::unexpected(code, message))
    }
}

/// A `query` or `queryAll` call, its session checked.
#[derive(Debug, Clone, Copy)]
pub(super) struct QueryCall<'r> {
    /// `query` or `queryAll`.
    pub op: QueryOp,
    /// `queryString`.
    pub text: &'r str,
    /// The page size (`QueryOptions/batchSize`, or the default).
    pub batch: usize,
    /// The live session, which owns the cursor.
    pub session: &'r str,
}

impl QueryCall<'_> {
    /// True for `queryAll` (deleted rows included).
    pub fn all(&self) -> bool {
        self.op == QueryOp::QueryAll
    }

    /// Opens cursor `id` over `fields` of `table` and serves its first page.
    pub async fn open(
        &self,
        state: &MockState,
        id: String,
        table: &dyn Table,
        fields: Vec<String>,
    ) -> ServedPage {
        let page = state.cursors().open(
            state.dataset(),
            id,
            table,
            fields,
            self.all(),
            self.batch,
            self.session,
            state.clock().now(),
        );
        state.page_delay(page.records.len()).await;
        page
    }
}

/// The next page of cursor `id` from raw position `start` (`batch` rows, or
/// the query's size when `None`).
pub(super) async fn next_page(
    state: &MockState,
    id: &str,
    start: usize,
    batch: Option<usize>,
) -> Result<ServedPage, CursorError> {
    let page = state
        .cursors()
        .next(state.dataset(), id, start, batch, state.clock().now())?;
    state.page_delay(page.records.len()).await;
    Ok(page)
}

/// What one mock SOAP endpoint supplies to [`handle`].
pub(super) trait SoapBackend: Send + Sync + 'static {
    /// The dialect.
    const DIALECT: &'static MockDialect;
    /// Whether `queryAll` is served (else it is an unknown operation).
    const QUERY_ALL: bool;

    /// `login`: the response body, or a fault.
    fn login(
        state: &MockState,
        headers: &HeaderMap,
        req: &SoapRequest,
    ) -> Result<Vec<u8>, SoapFault>;

    /// `QueryOptions/batchSize` as the dialect reads it; `None` when absent
    /// and the call should keep its default (a query's 2000, a cursor's size).
    fn batch_size(req: &SoapRequest) -> Result<Option<usize>, SoapFault>;

    /// The fault for `locator`, refused for the reason `why`.
    fn invalid_locator(locator: &str, why: &str) -> SoapFault;

    /// `query` or `queryAll`.
    async fn query(state: &MockState, call: QueryCall<'_>) -> Result<Vec<u8>, SoapFault>;

    /// `queryMore` at `locator` (trimmed), with the batch size asked for.
    async fn query_more(
        state: &MockState,
        locator: &str,
        batch: Option<usize>,
    ) -> Result<Vec<u8>, SoapFault>;
}

/// The handler of a mock SOAP endpoint: reads the envelope, runs the
/// operation, and answers with its body or its fault.
pub(super) async fn handle<B: SoapBackend>(
    State(state): State<MockState>,
    headers: HeaderMap,
    fault: Injected,
    body: Bytes,
) -> Response {
    let result = match B::DIALECT.read(&body) {
        Ok(req) => dispatch::<B>(&state, &headers, injected(&fault), &req).await,
        Err(f) => Err(f),
    };
    B::DIALECT.respond(result)
}

/// Runs one operation: `login`, or, with a live session, a query call.
async fn dispatch<B: SoapBackend>(
    state: &MockState,
    headers: &HeaderMap,
    fault: Option<&MockFault>,
    req: &SoapRequest,
) -> Result<Vec<u8>, SoapFault> {
    let op = match req.operation.as_str() {
        "login" => return B::login(state, headers, req),
        "query" => QueryOp::Query,
        "queryAll" if B::QUERY_ALL => QueryOp::QueryAll,
        "queryMore" => QueryOp::QueryMore,
        other => return Err(B::DIALECT.unknown_operation(other)),
    };
    let session = B::DIALECT.check_session(state, req, fault)?;
    let batch = B::batch_size(req)?;
    if op == QueryOp::QueryMore {
        let locator = req.param("queryLocator").unwrap_or_default().trim();
        if fault == Some(&MockFault::InvalidLocator) {
            return Err(B::invalid_locator(
                locator,
                "the query locator is no longer valid",
            ));
        }
        return B::query_more(state, locator, batch).await;
    }
    let call = QueryCall {
        op,
        text: req.param("queryString").unwrap_or_default(),
        batch: batch.unwrap_or(DEFAULT_BATCH),
        session: &session,
    };
    B::query(state, call).await
}

/// `login`: a new session (its id starting with `prefix`) when `username` and
/// `password` are the mock's, else a `LoginFault` (`INVALID_LOGIN`) saying
/// `refusal`.
pub(super) fn log_in(
    state: &MockState,
    req: &SoapRequest,
    prefix: &str,
    refusal: &'static str,
) -> Result<String, SoapFault> {
    let creds = state.credentials();
    let accepted = req.param("username") == Some(creds.username.as_str())
        && req.param("password") == Some(creds.password.as_str());
    if !accepted {
        return Err(SoapFault::new("INVALID_LOGIN", "LoginFault", refusal));
    }
    Ok(state.new_session(prefix))
}

/// `http://<Host the client used><path>`: where a login sends the calls that follow.
pub(super) fn server_url(headers: &HeaderMap, path: &str) -> String {
    format!("http://{}{path}", host(headers))
}
