//! Redaction of credentials (and, on request, volatile values) in envelope text.

/// Replaces the content of `session` / `sessionId` elements.
const SESSION: &str = "[SESSION]";
/// Replaces the content of `password` elements.
const PASSWORD: &str = "[PASSWORD]";
/// Replaces the content of `queryLocator` elements when enabled.
const LOCATOR: &str = "[LOCATOR]";
/// Replaces an ISO 8601 date-time when enabled.
const TIMESTAMP: &str = "[TIMESTAMP]";
/// The scheme word of an `Authorization` bearer credential.
const BEARER: &str = "Bearer";
/// Replaces the credential after `Bearer `.
const TOKEN: &str = "[TOKEN]";

/// Which optional redactions [`redact`] applies on top of the credentials it
/// always hides. Both are off by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Redactions {
    /// Replace `queryLocator` contents with `[LOCATOR]`.
    locators: bool,
    /// Replace ISO 8601 date-times with `[TIMESTAMP]`.
    timestamps: bool,
}

impl Redactions {
    /// Also replaces `queryLocator` contents with `[LOCATOR]`.
    #[must_use]
    pub const fn locators(mut self, on: bool) -> Self {
        self.locators = on;
        self
    }

    /// Also replaces ISO 8601 date-times (`2024-01-31T12:00:00Z`, `...T12:00:00.000+01:00`)
    /// with `[TIMESTAMP]`.
    #[must_use]
    pub const fn timestamps(mut self, on: bool) -> Self {
        self.timestamps = on;
        self
    }

    /// The placeholder for the text content of an element with this local name, if any.
    fn element_placeholder(&self, local: &str) -> Option<&'static str> {
        let is = |name: &str| local.eq_ignore_ascii_case(name);
        if is("session") || is("sessionId") {
            Some(SESSION)
        } else if is("password") {
            Some(PASSWORD)
        } else if self.locators && is("queryLocator") {
            Some(LOCATOR)
        } else {
            None
        }
    }
}

/// Replaces credentials in envelope text with fixed placeholders: the text of
/// every `session`/`sessionId` element (`[SESSION]`), every `password` element
/// (`[PASSWORD]`), every `Bearer <token>` (`Bearer [TOKEN]`), plus whatever
/// `opts` enables.
///
/// Meant for the output of [`canonical_xml`](super::canonical_xml), but works on
/// any XML text; element names match in any namespace, ignoring ASCII case.
pub fn redact(canonical: &str, opts: &Redactions) -> String {
    let redacted = redact_bearer(&redact_elements(canonical, opts));
    if opts.timestamps {
        redact_timestamps(&redacted)
    } else {
        redacted
    }
}

/// Replaces the text content of elements [`Redactions::element_placeholder`] names.
fn redact_elements(input: &str, opts: &Redactions) -> String {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(open) = rest.find('<') {
        let Some(len) = tag_len(&rest[open..]) else {
            break;
        };
        let (head, after) = rest.split_at(open + len);
        out.push_str(head);
        rest = after;
        let Some(name) = start_tag_name(&head[open..]) else {
            continue;
        };
        let local = name.rsplit(':').next().unwrap_or(name);
        if let Some(placeholder) = opts.element_placeholder(local)
            && let Some(content_len) = rest.find('<')
            && content_len > 0
            && is_end_tag_of(&rest[content_len..], name)
        {
            out.push_str(placeholder);
            rest = &rest[content_len..];
        }
    }
    out.push_str(rest);
    out
}

/// Length of the tag `s` starts with, up to and including its `>` (quotes respected).
fn tag_len(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, ch) in s.char_indices() {
        match (quote, ch) {
            (None, '>') => return Some(i + 1),
            (None, '"' | '\'') => quote = Some(ch),
            (Some(q), ch) if q == ch => quote = None,
            _ => {}
        }
    }
    None
}

/// The element name of a start tag with content (`<a:b x="1">`); `None` for
/// end tags, empty-element tags, comments, declarations and instructions.
fn start_tag_name(tag: &str) -> Option<&str> {
    let body = tag.strip_prefix('<')?.strip_suffix('>')?;
    if body.ends_with('/') || body.starts_with(['/', '!', '?']) {
        return None;
    }
    let end = body
        .find(|ch: char| ch.is_whitespace() || ch == '/')
        .unwrap_or(body.len());
    Some(&body[..end]).filter(|name| !name.is_empty())
}

/// True when `s` starts with `</name>` (whitespace allowed before `>`).
fn is_end_tag_of(s: &str, name: &str) -> bool {
    s.strip_prefix("</")
        .and_then(|rest| rest.strip_prefix(name))
        .is_some_and(|rest| rest.trim_start().starts_with('>'))
}

/// Replaces the credential after every `Bearer ` (any case) with `[TOKEN]`.
fn redact_bearer(input: &str) -> String {
    // ASCII lowercasing keeps every byte offset, so indices carry over to `input`.
    let lower = input.to_ascii_lowercase();
    let keyword = BEARER.to_ascii_lowercase();
    let mut out = String::with_capacity(input.len());
    let mut copied = 0;
    for (at, _) in lower.match_indices(&keyword) {
        if at < copied || input[..at].ends_with(|ch: char| ch.is_ascii_alphanumeric()) {
            continue;
        }
        let after = &input[at + BEARER.len()..];
        let token_start = after.len() - after.trim_start_matches([' ', '\t']).len();
        if token_start == 0 {
            continue;
        }
        let token_len = after[token_start..]
            .find(|ch: char| ch.is_whitespace() || matches!(ch, '<' | '"' | '\'' | '&'))
            .unwrap_or(after.len() - token_start);
        if token_len == 0 {
            continue;
        }
        out.push_str(&input[copied..at]);
        out.push_str(BEARER);
        out.push(' ');
        out.push_str(TOKEN);
        copied = at + BEARER.len() + token_start + token_len;
    }
    out.push_str(&input[copied..]);
    out
}

/// Replaces every ISO 8601 date-time with `[TIMESTAMP]`.
fn redact_timestamps(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        let starts_word = at == 0 || !bytes[at - 1].is_ascii_alphanumeric();
        // A match starts and ends on ASCII bytes, so both ends are char boundaries.
        match starts_word.then(|| timestamp_len(&bytes[at..])).flatten() {
            Some(len) => {
                out.push_str(&input[copied..at]);
                out.push_str(TIMESTAMP);
                at += len;
                copied = at;
            }
            None => at += 1,
        }
    }
    out.push_str(&input[copied..]);
    out
}

/// Length of the ISO 8601 date-time `s` starts with:
/// `YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh[:]mm]`.
fn timestamp_len(s: &[u8]) -> Option<usize> {
    let mut scan = Scan { s, at: 0 };
    let date_time = scan.digits(4)
        && scan.byte(b'-')
        && scan.digits(2)
        && scan.byte(b'-')
        && scan.digits(2)
        && (scan.byte(b'T') || scan.byte(b't'))
        && scan.digits(2)
        && scan.byte(b':')
        && scan.digits(2);
    if !date_time {
        return None;
    }
    if scan.attempt(|scan| scan.byte(b':') && scan.digits(2)) {
        scan.attempt(|scan| scan.byte(b'.') && scan.digit_run());
    }
    if !scan.byte(b'Z') {
        scan.attempt(|scan| {
            let hours = (scan.byte(b'+') || scan.byte(b'-')) && scan.digits(2);
            // The `:` is optional; a failed offset is rewound as a whole.
            scan.byte(b':');
            hours && scan.digits(2)
        });
    }
    let ends_word = scan
        .s
        .get(scan.at)
        .is_none_or(|b| !b.is_ascii_alphanumeric());
    ends_word.then_some(scan.at)
}

/// A cursor over ASCII bytes for [`timestamp_len`].
struct Scan<'a> {
    /// The bytes scanned.
    s: &'a [u8],
    /// Position of the next unread byte.
    at: usize,
}

impl Scan<'_> {
    /// Consumes `expected` if it is next.
    fn byte(&mut self, expected: u8) -> bool {
        let found = self.s.get(self.at) == Some(&expected);
        self.at += usize::from(found);
        found
    }

    /// Consumes exactly `n` ASCII digits, or nothing.
    fn digits(&mut self, n: usize) -> bool {
        let found = self
            .s
            .get(self.at..self.at + n)
            .is_some_and(|run| run.iter().all(u8::is_ascii_digit));
        if found {
            self.at += n;
        }
        found
    }

    /// Consumes one or more ASCII digits.
    fn digit_run(&mut self) -> bool {
        let start = self.at;
        while self.digits(1) {}
        self.at > start
    }

    /// Runs `part`; rewinds unless it matches in full. Returns whether it matched.
    fn attempt(&mut self, part: impl FnOnce(&mut Self) -> bool) -> bool {
        let start = self.at;
        let matched = part(self);
        if !matched {
            self.at = start;
        }
        matched
    }
}
