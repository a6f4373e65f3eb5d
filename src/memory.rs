//! `InMemory`: a [`QuerySource`] over a `Vec<Record>`, the fast double for users'
//! unit tests of their own paging code. The query text is not interpreted: every
//! record is returned, in order. (The mock server is the wire-level double.)

use crate::source::BoxFuture;
use crate::{
    BackendKind, BatchSizeRange, Capabilities, Cursor, CursorToken, Error, Page, Query,
    QuerySource, Record, Result,
};
use chrono::TimeDelta;
use std::sync::Arc;

/// A source that pages a fixed list of records.
#[derive(Debug, Clone)]
pub struct InMemory {
    records: Arc<Vec<Record>>,
    default_batch: u32,
    idle_limit: Option<TimeDelta>,
}

impl InMemory {
    /// Pages `records` 100 at a time unless a batch size is given.
    pub fn new(records: Vec<Record>) -> Self {
        InMemory {
            records: Arc::new(records),
            default_batch: 100,
            idle_limit: Some(TimeDelta::minutes(15)),
        }
    }

    /// The page size used when the query sets none (or sets 0).
    pub fn with_default_batch_size(mut self, n: u32) -> Self {
        self.default_batch = n.max(1);
        self
    }

    /// The idle limit reported for cursors (default 15 minutes).
    pub fn with_idle_limit(mut self, limit: Option<TimeDelta>) -> Self {
        self.idle_limit = limit;
        self
    }

    fn page_at(&self, offset: usize, batch: Option<u32>) -> Page {
        let size = match batch {
            Some(0) | None => self.default_batch,
            Some(n) => n,
        } as usize;
        let end = (offset + size).min(self.records.len());
        let records = self.records[offset.min(end)..end].to_vec();
        let cursor = (end < self.records.len()).then(|| {
            Cursor::new(
                BackendKind::Memory,
                CursorToken::Locator(format!("offset-{end}")),
            )
        });
        Page::new(records, cursor, Some(self.records.len() as u64))
    }
}

impl QuerySource for InMemory {
    fn kind(&self) -> BackendKind {
        BackendKind::Memory
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(
            BatchSizeRange::new("batch size", 1, 100_000, self.default_batch).zero_means_default(),
        )
        .with_query_all()
        .with_idle_limit(self.idle_limit)
    }

    fn first_page<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Page>> {
        Box::pin(async move { Ok(self.page_at(0, query.batch_size)) })
    }

    fn next_page<'a>(&'a self, cursor: &'a Cursor) -> BoxFuture<'a, Result<Page>> {
        Box::pin(async move {
            let offset = cursor
                .locator()
                .and_then(|l| l.strip_prefix("offset-"))
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|&n| n <= self.records.len())
                .ok_or_else(|| {
                    Error::from(crate::Fault::new(
                        BackendKind::Memory,
                        "INVALID_QUERY_LOCATOR",
                        format!("unknown {}", cursor.token.describe()),
                    ))
                })?;
            Ok(self.page_at(offset, cursor.batch_size))
        })
    }
}
