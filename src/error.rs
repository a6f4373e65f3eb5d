//! The one error type. Categories with structured fields, predicates for the
//! questions callers ask (`is_retryable`, `is_cursor_expired`, ...), and a `Display`
//! that carries the service's own code and message but never a credential.

use crate::BackendKind;
use chrono::{DateTime, TimeDelta, Utc};
use std::fmt;
use std::time::Duration;

/// `Result` with this crate's [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed foreign error kept as a source, so dependency versions do not leak.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong while paging a query.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Rejected before any request was sent: a batch size out of range, missing
    /// credentials, a malformed endpoint. Fix the input; retrying will not help.
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// What was wrong (`batch size`, `endpoint`, ...).
        what: &'static str,
        /// Why, in words.
        reason: String,
    },

    /// The cursor has been idle past its limit, so the server has dropped it; no
    /// request was sent. Restart the query (or resume from an earlier checkpoint
    /// taken while the cursor was alive).
    #[error(
        "{backend} cursor expired: idle {idle_secs}s since {last_used}, limit {limit_secs}s; restart the query",
        idle_secs = idle.num_seconds(),
        limit_secs = limit.num_seconds()
    )]
    CursorExpired {
        /// The backend that issued the cursor.
        backend: BackendKind,
        /// When the cursor's last request was sent.
        last_used: DateTime<Utc>,
        /// How long it has been idle.
        idle: TimeDelta,
        /// The idle limit it passed.
        limit: TimeDelta,
    },

    /// The service answered with an error of its own: a SOAP fault, a JSON error
    /// body, a failed Bulk job.
    #[error(transparent)]
    Fault(Box<Fault>),

    /// The backend does not offer this operation (e.g. `queryAll` on Zuora).
    #[error("{operation} is not supported by {backend}")]
    Unsupported {
        /// The backend.
        backend: BackendKind,
        /// The operation asked for.
        operation: &'static str,
    },

    /// The request did not complete: connect failure, reset, TLS, timeout.
    #[error("{backend} transport error: {message}")]
    Transport {
        /// The backend.
        backend: BackendKind,
        /// What happened, with no URL or credential in it.
        message: String,
        /// True when a connect or read timeout ended the request.
        timeout: bool,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },

    /// The service answered with something that is not a valid response: malformed
    /// or truncated XML/JSON/CSV, an HTML page, a wrong content type, a page that
    /// claims more data but has no cursor, a cursor that does not advance.
    #[error("malformed {backend} response: {message}")]
    Protocol {
        /// The backend.
        backend: BackendKind,
        /// What was wrong.
        message: String,
        /// True when the same request may well succeed (a truncated body under load).
        retryable: bool,
    },

    /// A record could not be read as the caller's type.
    #[error("record {index} of page {page} does not fit the target type: {source}")]
    Decode {
        /// Zero-based page number within the stream.
        page: u64,
        /// Zero-based index of the record within the page.
        index: usize,
        /// The deserializer's message.
        #[source]
        source: BoxError,
    },

    /// A bounded wait ran out (e.g. a Bulk job that never completed).
    #[error("{backend}: {what} did not finish within {}s", after.as_secs())]
    Timeout {
        /// The backend.
        backend: BackendKind,
        /// What was being waited for.
        what: &'static str,
        /// How long we waited.
        after: Duration,
    },

    /// Reading or writing a local file (checkpoint, export) failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// A protocol error that is not worth retrying.
    pub fn protocol(backend: BackendKind, message: impl Into<String>) -> Self {
        Error::Protocol {
            backend,
            message: message.into(),
            retryable: false,
        }
    }

    /// A protocol error caused by a body cut short: worth retrying.
    pub fn truncated(backend: BackendKind, message: impl Into<String>) -> Self {
        Error::Protocol {
            backend,
            message: message.into(),
            retryable: true,
        }
    }

    /// True when repeating the same request may succeed: timeouts, resets, 5xx,
    /// 429 and rate-limit faults, truncated bodies.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } => true,
            Error::Protocol { retryable, .. } => *retryable,
            Error::Fault(f) => f.is_retryable(),
            _ => false,
        }
    }

    /// True when the cursor is gone (known before the call, or reported by the
    /// server): the query must be restarted.
    pub fn is_cursor_expired(&self) -> bool {
        match self {
            Error::CursorExpired { .. } => true,
            Error::Fault(f) => f.code == FaultCode::InvalidQueryLocator,
            _ => false,
        }
    }

    /// True when the session or token was refused: authenticate again.
    pub fn is_invalid_session(&self) -> bool {
        matches!(self, Error::Fault(f) if f.code == FaultCode::InvalidSession)
    }

    /// True when a timeout ended the request or a bounded wait.
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            Error::Transport { timeout: true, .. } | Error::Timeout { .. }
        )
    }

    /// The service's fault, when the error is one.
    pub fn fault(&self) -> Option<&Fault> {
        match self {
            Error::Fault(f) => Some(f),
            _ => None,
        }
    }

    /// How long the service asked us to wait before trying again, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.fault().and_then(|f| f.retry_after)
    }
}

impl From<Fault> for Error {
    fn from(f: Fault) -> Self {
        Error::Fault(Box::new(f))
    }
}

/// An error reported by the service itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fault {
    /// The backend that answered.
    pub backend: BackendKind,
    /// The classified code.
    pub code: FaultCode,
    /// The code exactly as the service wrote it (`INVALID_VALUE`, `INVALID_QUERY_LOCATOR`, ...).
    pub raw_code: String,
    /// The service's message.
    pub message: String,
    /// The HTTP status of the response, when there was one.
    pub http_status: Option<u16>,
    /// The `Retry-After` the service sent, if any.
    pub retry_after: Option<Duration>,
}

impl Fault {
    /// A fault whose code is classified from the wire code.
    pub fn new(
        backend: BackendKind,
        raw_code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let raw_code = raw_code.into();
        Fault {
            backend,
            code: FaultCode::classify(&raw_code),
            raw_code,
            message: message.into(),
            http_status: None,
            retry_after: None,
        }
    }

    /// Overrides the classified code (e.g. Zuora's `InvalidQueryLocatorFault`,
    /// whose wire code is `INVALID_VALUE`).
    pub fn with_code(mut self, code: FaultCode) -> Self {
        self.code = code;
        self
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    /// Sets the `Retry-After` delay.
    pub fn with_retry_after(mut self, after: Option<Duration>) -> Self {
        self.retry_after = after;
        self
    }

    /// True when the same request may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.code,
            FaultCode::RequestLimitExceeded | FaultCode::ServerUnavailable
        ) || matches!(self.http_status, Some(429) | Some(500..=599))
            && !matches!(
                self.code,
                FaultCode::MalformedQuery
                    | FaultCode::InvalidField
                    | FaultCode::InvalidType
                    | FaultCode::InvalidQueryLocator
                    | FaultCode::InvalidSession
                    | FaultCode::InvalidLogin
                    | FaultCode::ApiVersionMismatch
                    | FaultCode::JobFailed
                    | FaultCode::JobAborted
            )
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} fault {}: {}",
            self.backend, self.raw_code, self.message
        )?;
        if let Some(status) = self.http_status {
            write!(f, " (HTTP {status})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Fault {}

/// The fault codes callers match on; anything else is [`FaultCode::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FaultCode {
    /// The query locator / cursor is gone (expired, evicted, never existed).
    InvalidQueryLocator,
    /// The session or token is invalid or expired (`INVALID_SESSION`, `INVALID_SESSION_ID`, 401).
    InvalidSession,
    /// Login refused (`INVALID_LOGIN`, `LoginFault`).
    InvalidLogin,
    /// The query text does not parse (`MALFORMED_QUERY`).
    MalformedQuery,
    /// A field named in the query does not exist (`INVALID_FIELD`).
    InvalidField,
    /// The object named in the query does not exist (`INVALID_TYPE`).
    InvalidType,
    /// A value was refused (`INVALID_VALUE`).
    InvalidValue,
    /// The query ran too long on the server (`QUERY_TIMEOUT`).
    QueryTimeout,
    /// Too many requests (`REQUEST_LIMIT_EXCEEDED`, `REQUEST_EXCEEDED_LIMIT`, HTTP 429).
    RequestLimitExceeded,
    /// The service is temporarily unavailable (`SERVER_UNAVAILABLE`, 503).
    ServerUnavailable,
    /// Results were requested with another API version than the job's (Bulk 409).
    ApiVersionMismatch,
    /// A Bulk job ended in `Failed`.
    JobFailed,
    /// A Bulk job ended in `Aborted`.
    JobAborted,
    /// Any other code, as the service wrote it.
    Other(String),
}

impl FaultCode {
    /// Classifies a wire code from any of the backends.
    pub fn classify(raw: &str) -> FaultCode {
        let code = raw.rsplit(':').next().unwrap_or(raw).trim();
        match code {
            "INVALID_QUERY_LOCATOR" | "INVALID_LOCATOR" => FaultCode::InvalidQueryLocator,
            "INVALID_SESSION" | "INVALID_SESSION_ID" | "INVALID_AUTH_HEADER" => {
                FaultCode::InvalidSession
            }
            "INVALID_LOGIN" | "LOGIN_MUST_USE_SECURITY_TOKEN" => FaultCode::InvalidLogin,
            "MALFORMED_QUERY" => FaultCode::MalformedQuery,
            "INVALID_FIELD" => FaultCode::InvalidField,
            "INVALID_TYPE" | "INVALID_SOBJECT" => FaultCode::InvalidType,
            "INVALID_VALUE" => FaultCode::InvalidValue,
            "QUERY_TIMEOUT" => FaultCode::QueryTimeout,
            "REQUEST_LIMIT_EXCEEDED" | "REQUEST_EXCEEDED_LIMIT" | "REQUEST_EXCEEDED_RATE" => {
                FaultCode::RequestLimitExceeded
            }
            "SERVER_UNAVAILABLE" | "TEMPORARY_ERROR" | "LOCK_COMPETITION" => {
                FaultCode::ServerUnavailable
            }
            other => FaultCode::Other(other.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_display_carries_code_message_and_status() {
        let e: Error = Fault::new(BackendKind::ZuoraSoap, "fns:MALFORMED_QUERY", "bad query")
            .with_status(500)
            .into();
        assert_eq!(
            e.to_string(),
            "zuora-soap fault fns:MALFORMED_QUERY: bad query (HTTP 500)"
        );
        assert_eq!(e.fault().map(|f| &f.code), Some(&FaultCode::MalformedQuery));
        assert!(!e.is_retryable());
    }

    #[test]
    fn classification_of_common_codes() {
        assert_eq!(
            FaultCode::classify("sf:INVALID_QUERY_LOCATOR"),
            FaultCode::InvalidQueryLocator
        );
        assert_eq!(
            FaultCode::classify("INVALID_SESSION_ID"),
            FaultCode::InvalidSession
        );
        let limit: Error = Fault::new(BackendKind::SalesforceRest, "REQUEST_LIMIT_EXCEEDED", "x")
            .with_status(403)
            .into();
        assert!(limit.is_retryable());
        let gone: Error = Fault::new(BackendKind::SalesforceRest, "INVALID_QUERY_LOCATOR", "x")
            .with_status(400)
            .into();
        assert!(gone.is_cursor_expired());
        assert!(!gone.is_retryable());
        let unavailable: Error = Fault::new(BackendKind::ZuoraRest, "X", "y")
            .with_status(503)
            .into();
        assert!(unavailable.is_retryable());
    }
}
