//! The Salesforce REST query result as it arrives on the wire:
//! `{"totalSize", "done", "nextRecordsUrl", "records"}`. Records go straight
//! into [`Record`] (which strips `attributes`, nests relationships and turns
//! child subqueries into lists) with no JSON DOM between. Salesforce sends
//! `nextRecordsUrl` before `records`, so the next page's cursor is offered to
//! the [`lookahead`](crate::lookahead) before the records are read — and, by
//! [`scan_head`], from the start of the body while the rest is on the way.

use crate::lookahead::{self, Early};
use crate::{BackendKind, Cursor, CursorToken, Record};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::cell::Cell;
use std::fmt;

/// One page of `GET …/query`, `…/queryAll` or `nextRecordsUrl`.
#[derive(Debug)]
pub(crate) struct QueryResult {
    /// Rows the whole query matches.
    pub total_size: Option<u64>,
    /// True on the last page.
    pub done: bool,
    /// Where the next page is; absent (or null) when `done`.
    pub next_records_url: Option<String>,
    /// The rows of this page.
    pub records: Vec<Record>,
}

impl<'de> Deserialize<'de> for QueryResult {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ResultVisitor { head: None })
    }
}

/// Looks at the start of a result body (`head`, cut anywhere): once its
/// `records` key is reached, the cursor the full parse offers there — found
/// by that same parse, run over the prefix and stopped at `records`. Unknown
/// while the prefix ends before that point (a half-received URL is never
/// read as a whole one).
pub(crate) fn scan_head(head: &[u8]) -> Early {
    let reached = Cell::new(false);
    let (parsed, offered) = lookahead::capture(|| {
        let mut de = serde_json::Deserializer::from_slice(head);
        de.deserialize_map(ResultVisitor {
            head: Some(&reached),
        })
    });
    match parsed {
        _ if offered.is_some() => Early::Known(offered),
        Err(e) if !reached.get() && e.is_eof() => Early::Unknown,
        _ => Early::Known(None),
    }
}

/// Reads a result; with `head`, stops (with an error) at the `records` key,
/// after the offer, and sets the flag.
struct ResultVisitor<'a> {
    head: Option<&'a Cell<bool>>,
}

impl<'de> Visitor<'de> for ResultVisitor<'_> {
    type Value = QueryResult;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a query result object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<QueryResult, A::Error> {
        let mut total_size = None;
        let mut done = None;
        let mut next_records_url: Option<String> = None;
        let mut records = None;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::TotalSize => total_size = map.next_value::<Option<u64>>()?,
                Key::Done => done = Some(map.next_value::<bool>()?),
                Key::NextRecordsUrl => next_records_url = map.next_value()?,
                Key::Records => {
                    // The URL as the page's cursor holds it (see
                    // `parse_query_page`), so the page confirms the offer.
                    if done == Some(false)
                        && let Some(url) = next_records_url.as_deref()
                        && !url.trim().is_empty()
                    {
                        crate::lookahead::offer_next(|| {
                            Some(Cursor::new(
                                BackendKind::SalesforceRest,
                                CursorToken::NextRecordsUrl(url.to_owned()),
                            ))
                        });
                    }
                    if let Some(reached) = self.head {
                        reached.set(true);
                        return Err(de::Error::custom("the head ends at the records"));
                    }
                    records = Some(map.next_value::<Vec<Record>>()?);
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(QueryResult {
            total_size,
            done: done.ok_or_else(|| de::Error::missing_field("done"))?,
            next_records_url,
            records: records.ok_or_else(|| de::Error::missing_field("records"))?,
        })
    }
}

/// A top-level key of the result.
#[derive(serde::Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum Key {
    TotalSize,
    Done,
    NextRecordsUrl,
    Records,
    #[serde(other)]
    Other,
}
