//! The Zuora SOAP API backend (`login`, `query`, `queryMore`):
//! [`ZuoraSoap`], its builder, and its [`QuerySource`] implementation.
//!
//! It is the first dialect of the SOAP plumbing in the crate-private `xml` module, next to
//! the Salesforce partner API's: requests are built by the pure functions in
//! `envelope`, responses read by the pure parsers in `parse`, and the HTTP
//! calls and the session (given, or from a lazy `login` whose `ServerUrl` is
//! then used) go through the shared SOAP caller — a refused session is
//! replaced by one new login and the same call (same locator) made again.

pub(crate) mod envelope;
pub(crate) mod parse;
#[cfg(test)]
mod wsdl_check;

use crate::source::BoxFuture;
use crate::xml::session::{QueryCall, soap_backend};
use crate::{BackendKind, Capabilities, Cursor, Error, Page, Query, QuerySource, Result, Scope};
use envelope::CALLS;
use parse::DIALECT;

/// `http://api.zuora.com/`: operations, headers, `QueryResult`, `LoginResult`.
pub(crate) const API_NS: &str = "http://api.zuora.com/";
/// `http://object.api.zuora.com/`: `zObject` and the object types.
pub(crate) const OBJECT_NS: &str = "http://object.api.zuora.com/";
/// `http://fault.api.zuora.com/`: the fault types.
pub(crate) const FAULT_NS: &str = "http://fault.api.zuora.com/";

const KIND: BackendKind = BackendKind::ZuoraSoap;

soap_backend! {
    /// A Zuora SOAP API endpoint (`https://<host>/apps/services/a/<version>`), paged
    /// with `query` and `queryMore`. Cheap to clone.
    ///
    /// ```no_run
    /// # async fn f() -> querymore::Result<()> {
    /// use querymore::{Client, Record, ZuoraSoap};
    /// let zuora = ZuoraSoap::builder()
    ///     .endpoint("https://apisandbox.zuora.com/apps/services/a/78.0")
    ///     .credentials("user@example.com", "password")
    ///     .build()?;
    /// let mut accounts = Client::new(zuora)
    ///     .query("select Id, Name from Account")
    ///     .batch_size(500)
    ///     .records::<Record>();
    /// while let Some(account) = accounts.try_next().await? {
    ///     println!("{account:?}");
    /// }
    /// # Ok(()) }
    /// ```
    ZuoraSoap;
    /// Settings for a [`ZuoraSoap`]: setters never fail, [`ZuoraSoapBuilder::build`] checks.
    ZuoraSoapBuilder {
        idle_limit: crate::zuora::IDLE_LIMIT,
        dialect: DIALECT,
        calls: CALLS,
        read: parse::query_response,
        name: "Zuora SOAP",
        endpoint: "The SOAP endpoint, e.g. `https://apisandbox.zuora.com/apps/services/a/78.0`.",
        session: "An existing session id, sent in `SessionHeader/session` to the endpoint; \
                  with credentials too, it is used until refused.",
        credentials: "A username and password: `login` runs on first use (and again when the \
                      session is refused), and its `ServerUrl` receives the calls that follow.",
        origin: "Follow a login `ServerUrl` on another origin than the endpoint (default off: \
                 the session would be sent to a host you did not name).",
    }
}

impl QuerySource for ZuoraSoap {
    fn kind(&self) -> BackendKind {
        KIND
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(crate::zuora::batch_size_range("QueryOptions.batchSize"))
            .with_idle_limit(self.inner.idle_limit)
    }

    fn first_page<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Page>> {
        Box::pin(async move {
            if query.scope == Scope::All {
                return Err(Error::Unsupported {
                    backend: KIND,
                    operation: "queryAll",
                });
            }
            self.call(QueryCall::Start(query)).await
        })
    }

    fn next_page<'a>(&'a self, cursor: &'a Cursor) -> BoxFuture<'a, Result<Page>> {
        Box::pin(async move { self.call(QueryCall::more(&DIALECT, cursor)?).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;
    use chrono::TimeDelta;

    const ENDPOINT: &str = "https://apisandbox.zuora.com/apps/services/a/78.0";

    #[test]
    fn debug_never_shows_the_session_or_the_password() {
        let with_session = ZuoraSoap::builder()
            .endpoint(ENDPOINT)
            .session("sess-XYZZY-123")
            .build()
            .unwrap();
        let with_login = ZuoraSoap::builder()
            .endpoint(ENDPOINT)
            .credentials("user@example.com", "pw-PLUGH-456")
            .build()
            .unwrap();
        for text in [
            format!("{with_session:?}"),
            format!("{with_login:?}"),
            format!("{with_login:#?}"),
        ] {
            assert!(!text.contains("XYZZY"), "{text}");
            assert!(!text.contains("PLUGH"), "{text}");
            assert!(text.contains("apisandbox.zuora.com"), "{text}");
        }
        let builder = ZuoraSoap::builder()
            .session("sess-XYZZY-123")
            .credentials("u", "pw-PLUGH-456");
        let text = format!("{builder:?}");
        assert!(!text.contains("XYZZY") && !text.contains("PLUGH"), "{text}");
    }

    #[test]
    fn build_checks_endpoint_and_credentials() {
        let cases = [
            (ZuoraSoap::builder().session("s"), "endpoint"),
            (
                ZuoraSoap::builder().endpoint("not a url").session("s"),
                "endpoint",
            ),
            (
                ZuoraSoap::builder().endpoint("ftp://x/y").session("s"),
                "endpoint",
            ),
            (ZuoraSoap::builder().endpoint(ENDPOINT), "credentials"),
            (
                ZuoraSoap::builder().endpoint(ENDPOINT).session(""),
                "session",
            ),
            (
                ZuoraSoap::builder()
                    .endpoint(ENDPOINT)
                    .credentials(" ", "p"),
                "credentials",
            ),
        ];
        for (builder, what) in cases {
            match builder.build() {
                Err(Error::InvalidInput { what: w, .. }) => assert_eq!(w, what),
                other => panic!("expected InvalidInput({what}), got {other:?}"),
            }
        }
    }

    #[test]
    fn capabilities_are_zuoras() {
        let z = ZuoraSoap::builder()
            .endpoint(ENDPOINT)
            .session("s")
            .idle_limit(Some(TimeDelta::minutes(30)))
            .build()
            .unwrap();
        let caps = z.capabilities();
        assert!(!caps.query_all);
        assert_eq!(caps.idle_limit, Some(TimeDelta::minutes(30)));
        assert_eq!((caps.batch_size.min, caps.batch_size.max), (1, 2000));
        assert!(caps.batch_size.zero_means_default);
        assert_eq!(caps.batch_size.name, "QueryOptions.batchSize");
    }

    /// Where a call goes after a login that named `raw`.
    fn server_url(z: &ZuoraSoap, raw: &str) -> Result<url::Url> {
        let mut session = crate::auth::Session::new(Secret::new("s"));
        session.server_url = Some(raw.to_owned());
        z.inner.caller.call_url(&session)
    }

    #[test]
    fn server_url_on_another_origin_is_refused_unless_allowed() {
        let strict = ZuoraSoap::builder()
            .endpoint(ENDPOINT)
            .credentials("u", "p")
            .build()
            .unwrap();
        assert_eq!(
            server_url(&strict, "https://apisandbox.zuora.com/apps/services/a/26.0")
                .unwrap()
                .as_str(),
            "https://apisandbox.zuora.com/apps/services/a/26.0"
        );
        let e = server_url(&strict, "https://evil.example.net/apps/services/a/78.0").unwrap_err();
        assert!(
            e.to_string().contains("allow_server_url_origin_change"),
            "{e}"
        );
        let lenient = ZuoraSoap::builder()
            .endpoint(ENDPOINT)
            .credentials("u", "p")
            .allow_server_url_origin_change(true)
            .build()
            .unwrap();
        assert_eq!(
            server_url(
                &lenient,
                "https://services470.zuora.com/apps/services/a/78.0"
            )
            .unwrap()
            .host_str(),
            Some("services470.zuora.com")
        );
        assert!(server_url(&lenient, "file:///etc/passwd").is_err());
    }
}
