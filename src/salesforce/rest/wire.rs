//! The Salesforce REST query result as it arrives on the wire:
//! `{"totalSize", "done", "nextRecordsUrl", "records"}`. Private serde structs;
//! records go straight into [`Record`] (which strips `attributes`, nests
//! relationships and turns child subqueries into lists) with no JSON DOM between.

use crate::Record;
use serde::Deserialize;

/// One page of `GET …/query`, `…/queryAll` or `nextRecordsUrl`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QueryResult {
    /// Rows the whole query matches.
    #[serde(default)]
    pub total_size: Option<u64>,
    /// True on the last page.
    pub done: bool,
    /// Where the next page is; absent (or null) when `done`.
    #[serde(default)]
    pub next_records_url: Option<String>,
    /// The rows of this page.
    pub records: Vec<Record>,
}
