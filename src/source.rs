//! `QuerySource`: the small, dyn-compatible contract every backend implements.
//! Paging rules, expiry checks, retries and deserialization live once, in
//! [`Pages`](crate::Pages); a backend only fetches one page at a time.

use crate::{BackendKind, BatchSizeRange, Cursor, Page, Query, Result};
use chrono::TimeDelta;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A boxed, `Send` future: what the dyn-compatible trait returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a backend can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// True when [`Scope::All`](crate::Scope::All) (`queryAll`) is offered.
    pub query_all: bool,
    /// The page sizes accepted.
    pub batch_size: BatchSizeRange,
    /// How long the server keeps an idle cursor, if it drops them.
    pub idle_limit: Option<TimeDelta>,
}

impl Capabilities {
    /// Capabilities with the given page-size range, no `queryAll`, no idle limit.
    pub const fn new(batch_size: BatchSizeRange) -> Self {
        Capabilities {
            query_all: false,
            batch_size,
            idle_limit: None,
        }
    }

    /// Offers `queryAll`.
    pub const fn with_query_all(mut self) -> Self {
        self.query_all = true;
        self
    }

    /// Sets the server's idle limit for cursors.
    pub const fn with_idle_limit(mut self, limit: Option<TimeDelta>) -> Self {
        self.idle_limit = limit;
        self
    }
}

/// A paged query service. Implement this for a new backend; use it through
/// [`Client`](crate::Client).
pub trait QuerySource: fmt::Debug + Send + Sync + 'static {
    /// Which protocol this is.
    fn kind(&self) -> BackendKind;

    /// What it accepts.
    fn capabilities(&self) -> Capabilities;

    /// Runs the query and returns its first page (`query` / `queryAll`, the first
    /// REST GET, or a Bulk job's creation, completion and first results).
    fn first_page<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Page>>;

    /// Returns the page a cursor points at (`queryMore`, `nextRecordsUrl`, the
    /// next Bulk results). A page whose `cursor` is `None` is the last.
    fn next_page<'a>(&'a self, cursor: &'a Cursor) -> BoxFuture<'a, Result<Page>>;
}

macro_rules! delegate_source {
    ($ptr:ident) => {
        impl<T: QuerySource + ?Sized> QuerySource for $ptr<T> {
            fn kind(&self) -> BackendKind {
                (**self).kind()
            }
            fn capabilities(&self) -> Capabilities {
                (**self).capabilities()
            }
            fn first_page<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Page>> {
                (**self).first_page(query)
            }
            fn next_page<'a>(&'a self, cursor: &'a Cursor) -> BoxFuture<'a, Result<Page>> {
                (**self).next_page(cursor)
            }
        }
    };
}

delegate_source!(Arc);
delegate_source!(Box);
