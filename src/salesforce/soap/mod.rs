//! The Salesforce SOAP partner API backend (`login`, `query`, `queryAll`,
//! `queryMore` at `/services/Soap/u/XX.0`): [`SalesforceSoap`], its builder, and
//! its [`QuerySource`] implementation.
//!
//! It is the second dialect of the SOAP plumbing in the crate-private `xml` module, next
//! to Zuora's: requests are built by the pure functions in `envelope`,
//! responses read by the pure parsers in `parse`, and the HTTP calls and the
//! session (given, or from a `login` whose `serverUrl` then receives the calls)
//! go through the shared SOAP caller — a refused session (`INVALID_SESSION_ID`)
//! is replaced by one new login and the same call made again.
//!
//! Page size: `QueryOptions/batchSize`, 200..=2000 (the server's default is
//! 2000; there is no "0 means default"). Cursors: `queryLocator`, dropped by the
//! server after 15 idle minutes on the classic limits (API 56.0+ orgs keep them
//! for 2 days: raise [`SalesforceSoapBuilder::idle_limit`]). The
//! `LimitInfoHeader` counters come back in [`Page::limit_info`].

pub(crate) mod envelope;
pub(crate) mod parse;
#[cfg(test)]
mod wsdl_check;

use crate::source::BoxFuture;
use crate::xml::session::{QueryCall, soap_backend};
use crate::{BackendKind, BatchSizeRange, Capabilities, Cursor, Page, Query, QuerySource, Result};
use chrono::TimeDelta;
use envelope::CALLS;
use parse::DIALECT;

/// `urn:partner.soap.sforce.com`: operations, headers, `QueryResult`, `LoginResult`.
pub(crate) const PARTNER_NS: &str = "urn:partner.soap.sforce.com";
/// `urn:sobject.partner.soap.sforce.com`: `sObject` and its fields.
pub(crate) const SOBJECT_NS: &str = "urn:sobject.partner.soap.sforce.com";
/// `urn:fault.partner.soap.sforce.com`: `ExceptionCode` and the fault types.
pub(crate) const FAULT_NS: &str = "urn:fault.partner.soap.sforce.com";

const KIND: BackendKind = BackendKind::SalesforceSoap;

/// `QueryOptions/batchSize`: 200..=2000, default 2000.
const BATCH_SIZE: BatchSizeRange = BatchSizeRange::new("QueryOptions.batchSize", 200, 2000, 2000);

/// The classic cursor idle limit.
const DEFAULT_IDLE_LIMIT: TimeDelta = TimeDelta::minutes(15);

soap_backend! {
    /// A Salesforce SOAP partner API endpoint, paged with `query` / `queryAll` and
    /// `queryMore`. Cheap to clone.
    ///
    /// ```no_run
    /// # async fn f() -> querymore::Result<()> {
    /// use querymore::{Client, Record, SalesforceSoap};
    /// let sf = SalesforceSoap::builder()
    ///     .endpoint("https://login.salesforce.com/services/Soap/u/58.0")
    ///     .credentials("user@example.com", "password+securitytoken")
    ///     .build()?;
    /// let mut contacts = Client::new(sf)
    ///     .query_all("select Id, LastName, Account.Name from Contact")
    ///     .batch_size(500)
    ///     .records::<Record>();
    /// while let Some(contact) = contacts.try_next().await? {
    ///     println!("{contact:?}");
    /// }
    /// # Ok(()) }
    /// ```
    SalesforceSoap;
    /// Settings for a [`SalesforceSoap`]: setters never fail,
    /// [`SalesforceSoapBuilder::build`] checks.
    SalesforceSoapBuilder {
        idle_limit: DEFAULT_IDLE_LIMIT,
        dialect: DIALECT,
        calls: CALLS,
        read: parse::query_response,
        name: "Salesforce SOAP partner",
        endpoint: "The partner endpoint, e.g. `https://login.salesforce.com/services/Soap/u/58.0` \
                   (with a given session and no credentials: the `serverUrl` it belongs to).",
        session: "An existing session id, sent in `SessionHeader/sessionId` to the endpoint; \
                  with credentials too, it is used until refused.",
        credentials: "A username and password (with the security token appended, if your org \
                      needs one): `login` runs on first use (and again when the session is \
                      refused), and its `serverUrl` receives the calls that follow.",
        origin: "Follow a login `serverUrl` on another origin than the endpoint (default off: \
                 the session would be sent to a host you did not name). Real logins at \
                 `login.salesforce.com` answer with the org's own host, so turn this on for them.",
    }
}

impl QuerySource for SalesforceSoap {
    fn kind(&self) -> BackendKind {
        KIND
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(BATCH_SIZE)
            .with_query_all()
            .with_idle_limit(self.inner.idle_limit)
    }

    fn first_page<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Page>> {
        Box::pin(self.call(QueryCall::Start(query)))
    }

    fn next_page<'a>(&'a self, cursor: &'a Cursor) -> BoxFuture<'a, Result<Page>> {
        Box::pin(async move { self.call(QueryCall::more(&DIALECT, cursor)?).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENDPOINT: &str = "https://login.salesforce.com/services/Soap/u/58.0";

    #[test]
    fn debug_never_shows_the_session_or_the_password() {
        let sf = SalesforceSoap::builder()
            .endpoint(ENDPOINT)
            .session("00D!XYZZY-123")
            .credentials("user@example.com", "pw-PLUGH-456")
            .build()
            .unwrap();
        let text = format!("{sf:?}");
        assert!(!text.contains("XYZZY") && !text.contains("PLUGH"), "{text}");
        assert!(text.starts_with("SalesforceSoap {"), "{text}");
        assert!(text.contains("login.salesforce.com"), "{text}");
    }

    #[test]
    fn capabilities_are_the_partner_apis() {
        let sf = SalesforceSoap::builder()
            .endpoint(ENDPOINT)
            .session("s")
            .build()
            .unwrap();
        let caps = sf.capabilities();
        assert!(caps.query_all);
        assert_eq!(caps.idle_limit, Some(TimeDelta::minutes(15)));
        assert_eq!(
            (
                caps.batch_size.min,
                caps.batch_size.max,
                caps.batch_size.default
            ),
            (200, 2000, 2000)
        );
        assert!(!caps.batch_size.zero_means_default);
        assert!(caps.batch_size.validate(KIND, 0).is_err());
        assert!(caps.batch_size.validate(KIND, 199).is_err());
        assert!(caps.batch_size.validate(KIND, 2001).is_err());
        let two_days = SalesforceSoap::builder()
            .endpoint(ENDPOINT)
            .session("s")
            .idle_limit(Some(TimeDelta::days(2)))
            .build()
            .unwrap();
        assert_eq!(two_days.capabilities().idle_limit, Some(TimeDelta::days(2)));
    }
}
