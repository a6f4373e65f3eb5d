//! What the mock SOAP endpoints (Zuora's and the Salesforce partner API) share,
//! written once over the shared [`xml`](crate::xml) code: reading a request in
//! the dialect's namespaces, answering with a body or a fault (HTTP 500) in the
//! dialect's style, checking `login` credentials and a `SessionHeader`, the
//! server URL a login names (from the `Host` the client used), and the
//! per-record latency.

use super::MockState;
use super::http::xml;
use crate::BackendKind;
use crate::xml::NsId;
use crate::xml::fault::{FaultBody, FaultStyle, write_fault};
use crate::xml::request::{SoapRequest, read_request};
use crate::xml::writer::{begin_response, end_response};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

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

    /// Answers one request: reads it, hands it to `dispatch` (which runs the
    /// operation), and writes the body or the fault.
    pub async fn serve<F>(&self, body: &[u8], dispatch: F) -> Response
    where
        F: AsyncFnOnce(SoapRequest) -> Result<Vec<u8>, SoapFault>,
    {
        let result = match self.read(body) {
            Ok(req) => dispatch(req).await,
            Err(f) => Err(f),
        };
        self.respond(result)
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

    /// The session id in `header/field` of the request, if it is a live one.
    pub fn session<'r>(
        &self,
        state: &MockState,
        req: &'r SoapRequest,
        header: &str,
        field: &str,
    ) -> Option<&'r str> {
        req.header_field(self.header_namespaces, header, field)
            .map(str::trim)
            .filter(|s| state.is_valid_session(s))
    }
}

/// True when `login`'s `username` and `password` are the mock's.
pub(super) fn login_accepted(state: &MockState, req: &SoapRequest) -> bool {
    let creds = state.credentials();
    req.param("username") == Some(creds.username.as_str())
        && req.param("password") == Some(creds.password.as_str())
}

/// `http://<Host the client used><path>`: where a login sends the calls that follow.
pub(super) fn server_url(headers: &HeaderMap, path: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}{path}")
}

/// Waits the configured per-record latency for a page of `records`.
pub(super) async fn delay(state: &MockState, records: usize) {
    let per_record = state.latency().per_record;
    if !per_record.is_zero() {
        let n = u32::try_from(records).unwrap_or(u32::MAX);
        tokio::time::sleep(per_record.saturating_mul(n)).await;
    }
}
