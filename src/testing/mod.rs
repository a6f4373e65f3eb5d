//! Snapshot helpers for the SOAP envelopes an integration sends (feature `testing`).
//!
//! This module owns the canonical text form of an XML envelope
//! ([`canonical_xml`]), the redaction of credentials in it ([`redact`]), and the
//! two assertions built on them: [`assert_envelope_snapshot!`] (an `insta`
//! snapshot of the canonical, redacted envelope) and [`assert_envelope_eq!`]
//! (equal in meaning, with a unified diff when not).
//!
//! # Canonical form
//!
//! - Every element and attribute name is resolved to its namespace URI and
//!   re-prefixed: `soapenv` for `http://schemas.xmlsoap.org/soap/envelope/`,
//!   `xsi` for `http://www.w3.org/2001/XMLSchema-instance`, and `ns0`, `ns1`, ...
//!   for other namespaces in order of first appearance. All declarations sit on
//!   the root element in that order; nothing uses a default namespace.
//! - Attributes are sorted by (namespace URI, local name); the QName value of
//!   `xsi:type` is re-prefixed the same way.
//! - Entity and character references are resolved and CDATA sections become
//!   text, which is then written with minimal escaping (`&amp; &lt; &gt;` in
//!   text, `&amp; &lt; &quot;` in attributes): `AT&amp;T` and
//!   `<![CDATA[AT&T]]>` both come out as `AT&amp;T`.
//! - The XML declaration, comments, processing instructions and
//!   whitespace-only text are dropped.
//! - One tag per line, indented by two spaces; an element with only text is
//!   written on one line (`<ns0:batchSize>2000</ns0:batchSize>`) and an empty
//!   one as `<ns0:x/>`.
//!
//! # Placeholders
//!
//! [`redact`] (and so [`assert_envelope_snapshot!`]) replaces:
//!
//! | What                                                  | With             | When            |
//! |-------------------------------------------------------|------------------|-----------------|
//! | text of a `session` or `sessionId` element            | `[SESSION]`      | always          |
//! | text of a `password` element                          | `[PASSWORD]`     | always          |
//! | the credential in `Bearer <token>`                    | `Bearer [TOKEN]` | always          |
//! | text of a `queryLocator` element                      | `[LOCATOR]`      | [`Redactions::locators`]   |
//! | an ISO 8601 date-time (`2024-01-31T12:00:00.000Z`)    | `[TIMESTAMP]`    | [`Redactions::timestamps`] |
//!
//! Element names match in any namespace and ignoring ASCII case (Zuora's login
//! result says `Session`).
//!
//! ```
//! use querymore::testing::{canonical_xml, redact, Redactions};
//!
//! let envelope = br#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"
//!     xmlns:api="http://api.zuora.com/"><e:Header><api:SessionHeader>
//!     <api:session>s3cr3t</api:session></api:SessionHeader></e:Header></e:Envelope>"#;
//! let text = redact(&canonical_xml(envelope)?, &Redactions::default());
//! assert!(text.contains("<ns0:session>[SESSION]</ns0:session>"));
//! assert!(!text.contains("s3cr3t"));
//! # Ok::<(), querymore::testing::CanonicalError>(())
//! ```

mod canonical;
mod redact;

pub use canonical::{CanonicalError, canonical_xml};
pub use redact::{Redactions, redact};

#[doc(inline)]
pub use crate::{assert_envelope_eq, assert_envelope_snapshot};

/// The `insta` settings [`assert_envelope_snapshot!`] runs under: the current
/// settings, snapshot names used exactly as given, and no expression in the header.
///
/// The macro adds the snapshot path (the calling crate's `snapshots/` folder).
pub fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    // A last line of defence; `redact` has already replaced these.
    settings.add_filter(
        r"(?i)(<(?:\w+:)?(?:session|sessionId)>)[^<]+(</)",
        "$1[SESSION]$2",
    );
    settings.add_filter(r"(?i)(<(?:\w+:)?password>)[^<]+(</)", "$1[PASSWORD]$2");
    settings.add_filter(r"Bearer [A-Za-z0-9!._~+/=-]+", "Bearer [TOKEN]");
    settings
}

/// Snapshots the canonical, redacted form of an envelope with `insta`.
///
/// `assert_envelope_snapshot!(name, bytes)` stores `<crate>/snapshots/<name>.snap`
/// for the crate that calls it; `bytes` is anything `AsRef<[u8]>` (`&str`,
/// `Vec<u8>`, `Bytes`, ...). A third argument, a [`Redactions`], turns on the
/// optional redactions. Panics if the envelope is not well-formed XML.
///
/// ```no_run
/// use querymore::testing::{Redactions, assert_envelope_snapshot};
///
/// # let sent = String::new();
/// assert_envelope_snapshot!("zuora_query_more", sent);
/// assert_envelope_snapshot!("zuora_query_more_any_locator", sent, Redactions::default().locators(true));
/// ```
#[macro_export]
macro_rules! assert_envelope_snapshot {
    ($name:expr, $bytes:expr $(,)?) => {
        $crate::assert_envelope_snapshot!($name, $bytes, $crate::testing::Redactions::default())
    };
    ($name:expr, $bytes:expr, $redactions:expr $(,)?) => {{
        let text = $crate::testing::__private::snapshot_text(&$bytes, &$redactions);
        let mut settings = $crate::testing::snapshot_settings();
        settings.set_snapshot_path(::core::concat!(
            ::core::env!("CARGO_MANIFEST_DIR"),
            "/snapshots"
        ));
        let _bound = settings.bind_to_scope();
        $crate::testing::__private::insta::assert_snapshot!($name, text);
    }};
}

/// Asserts two envelopes have the same canonical form; on mismatch panics with
/// a unified diff of the two canonical texts.
///
/// Both arguments are anything `AsRef<[u8]>`. Panics too if either is not
/// well-formed XML.
///
/// ```
/// querymore::assert_envelope_eq!(
///     r#"<a:x xmlns:a="urn:example" b="2" c="1"/>"#,
///     r#"<z:x c="1"  b="2" xmlns:z="urn:example"></z:x>"#,
/// );
/// ```
#[macro_export]
macro_rules! assert_envelope_eq {
    ($left:expr, $right:expr $(,)?) => {
        $crate::testing::__private::assert_envelope_eq(&$left, &$right)
    };
}

/// Support for the macros; not public API.
#[doc(hidden)]
pub mod __private {
    use super::{Redactions, canonical_xml, redact};

    pub use insta;

    /// Canonical, redacted text of `bytes`; panics naming the error if malformed.
    #[track_caller]
    pub fn snapshot_text(bytes: &impl AsRef<[u8]>, redactions: &Redactions) -> String {
        redact(&canonical(bytes.as_ref(), "envelope"), redactions)
    }

    /// Panics with a unified diff unless both envelopes canonicalise identically.
    #[track_caller]
    pub fn assert_envelope_eq(left: &impl AsRef<[u8]>, right: &impl AsRef<[u8]>) {
        let left = canonical(left.as_ref(), "left envelope");
        let right = canonical(right.as_ref(), "right envelope");
        if left != right {
            let diff = similar::TextDiff::from_lines(&left, &right)
                .unified_diff()
                .header("left", "right")
                .to_string();
            panic!("envelopes differ (canonical forms, -left +right):\n{diff}");
        }
    }

    /// [`canonical_xml`], panicking with `what` and the error when it fails.
    #[track_caller]
    fn canonical(bytes: &[u8], what: &str) -> String {
        canonical_xml(bytes).unwrap_or_else(|e| panic!("{what} is not canonicalisable: {e}"))
    }
}

#[cfg(test)]
mod tests;
