//! The fetches behind a [`Pages`](crate::Pages) stream: the page in flight
//! and, with prefetch on, the one page fetched ahead of it.
//!
//! A cursor the page in flight offers early (see
//! [`lookahead`](crate::lookahead)) starts the page after it at once, in the
//! task that offers it: the request goes out before that task reads on,
//! without waiting for the pager's task to be scheduled (on a busy runtime,
//! or a pager polled from outside the workers, that wait was most of a
//! millisecond per page, and several on a loaded machine). A page's offers
//! start nothing until the caller waits for that page (they are kept until
//! then), so at most one page is fetched ahead of the one the caller waits
//! for. A cursor already seen in this query, or expired, is never fetched
//! ahead: the page's own cursor reports those.

use crate::client::Client;
use crate::lookahead::{OfferSink, SharedSink};
use crate::{Cursor, Error, Page, Result};
use std::collections::HashSet;
use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

/// A page's future.
pub(crate) type PageFuture = Pin<Box<dyn Future<Output = Result<Page>> + Send>>;

/// One page being fetched: its future (inline, or a spawned task's join),
/// the task to abort when it is no longer wanted, and its id (whose offers
/// start the page after it once it is in flight).
pub(crate) struct Fetch {
    /// Resolves to the page.
    pub fut: PageFuture,
    abort: Option<tokio::task::AbortHandle>,
    id: u64,
}

impl Fetch {
    /// Stops the task, if the fetch runs in one.
    pub(crate) fn cancel(self) {
        if let Some(a) = self.abort {
            a.abort();
        }
    }

    /// True when the fetch runs in a task of its own.
    pub(crate) fn is_spawned(&self) -> bool {
        self.abort.is_some()
    }
}

/// The page fetched ahead, for the cursor with this hash.
struct Ahead {
    token_hash: u64,
    fetch: Fetch,
}

/// What the stream and the offers of its fetches share.
pub(crate) struct Fetches {
    client: Client,
    prefetch: bool,
    check_expiry: bool,
    hasher: RandomState,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    batch_size: Option<u32>,
    /// The cursors seen in this query, by token hash.
    seen: HashSet<u64>,
    next_id: u64,
    /// The fetch in flight: its offers start the page after it.
    armed: Option<u64>,
    ahead: Option<Ahead>,
    /// The last offer of the page fetched ahead, kept until it is in flight.
    parked: Option<(u64, Cursor)>,
    /// The stream ended: offers start nothing.
    closed: bool,
}

/// The offers of one fetch.
struct Sink {
    fetches: Arc<Fetches>,
    id: u64,
}

impl OfferSink for Sink {
    fn is_open(&self) -> bool {
        !self.fetches.lock().closed
    }

    fn offer(&self, cursor: Cursor) {
        let mut state = self.fetches.lock();
        if state.closed {
            return;
        }
        if state.armed != Some(self.id) {
            state.parked = Some((self.id, cursor));
            return;
        }
        self.fetches.speculate(&mut state, cursor);
    }
}

impl Fetches {
    /// The fetches of a stream over `client`.
    pub(crate) fn new(client: Client, prefetch: bool, check_expiry: bool) -> Arc<Self> {
        Arc::new(Fetches {
            client,
            prefetch,
            check_expiry,
            hasher: RandomState::new(),
            state: Mutex::new(State::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The hash a cursor is known by.
    pub(crate) fn token_hash(&self, cursor: &Cursor) -> u64 {
        self.hasher.hash_one(&cursor.token)
    }

    /// The batch size every cursor fetched ahead carries.
    pub(crate) fn set_batch_size(&self, batch_size: Option<u32>) {
        self.lock().batch_size = batch_size;
    }

    /// Records a cursor as seen; false when it was seen before.
    pub(crate) fn see(&self, token_hash: u64) -> bool {
        self.lock().seen.insert(token_hash)
    }

    /// A fetch made by `make` (given the client and, with prefetch on, where
    /// its offers go), in a task of its own when `spawn` and a runtime is
    /// there.
    pub(crate) fn start<F>(self: &Arc<Self>, make: F, spawn: bool) -> Fetch
    where
        F: FnOnce(Client, Option<SharedSink>) -> PageFuture,
    {
        let mut state = self.lock();
        state.parked = None;
        self.fetch(&mut state, make, spawn)
    }

    /// The caller waits for `fetch` (the page in flight): from now on its
    /// offers start the page after it, beginning with the last one it made.
    pub(crate) fn arm(self: &Arc<Self>, fetch: &Fetch) {
        let mut state = self.lock();
        state.armed = Some(fetch.id);
        if let Some((id, cursor)) = state.parked.take()
            && id == fetch.id
            && !state.closed
        {
            self.speculate(&mut state, cursor);
        }
    }

    /// After a page whose cursor hashes to `token_hash`: the page fetched
    /// ahead for that cursor, or `None` (a page fetched ahead for another
    /// cursor is cancelled).
    pub(crate) fn take_ahead(&self, token_hash: u64) -> Option<Fetch> {
        let mut state = self.lock();
        match state.ahead.take() {
            Some(a) if a.token_hash == token_hash => Some(a.fetch),
            stale => {
                if let Some(a) = stale {
                    a.fetch.cancel();
                }
                state.parked = None;
                None
            }
        }
    }

    /// Ends the stream's lookahead: the page fetched ahead is cancelled and
    /// offers start nothing more.
    pub(crate) fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        state.parked = None;
        if let Some(a) = state.ahead.take() {
            a.fetch.cancel();
        }
    }

    /// Acts on a cursor offered by the page in flight: fetches the page after
    /// it now, unless that fetch is already running or could not be used.
    fn speculate(self: &Arc<Self>, state: &mut State, mut cursor: Cursor) {
        let h = self.token_hash(&cursor);
        match state.ahead.take() {
            Some(a) if a.token_hash == h => {
                state.ahead = Some(a);
                return;
            }
            Some(stale) => {
                stale.fetch.cancel();
                state.parked = None;
            }
            None => {}
        }
        if state.seen.contains(&h)
            || (self.check_expiry && cursor.is_expired_at(self.client.clock().now()))
        {
            return;
        }
        cursor.batch_size = state.batch_size;
        let fetch = self.fetch(
            state,
            |client, sink| Box::pin(async move { client.fetch_next(&cursor, sink.as_ref()).await }),
            true,
        );
        state.ahead = Some(Ahead {
            token_hash: h,
            fetch,
        });
    }

    fn fetch<F>(self: &Arc<Self>, state: &mut State, make: F, spawn: bool) -> Fetch
    where
        F: FnOnce(Client, Option<SharedSink>) -> PageFuture,
    {
        let id = state.next_id;
        state.next_id += 1;
        let sink = self.prefetch.then(|| {
            Arc::new(Sink {
                fetches: self.clone(),
                id,
            }) as SharedSink
        });
        let fut = make(self.client.clone(), sink);
        match tokio::runtime::Handle::try_current() {
            Ok(handle) if spawn => {
                let task = handle.spawn(fut);
                Fetch {
                    abort: Some(task.abort_handle()),
                    fut: Box::pin(async move {
                        task.await.unwrap_or_else(|e| {
                            Err(Error::Io {
                                context: "page prefetch task".into(),
                                source: std::io::Error::other(e.to_string()),
                            })
                        })
                    }),
                    id,
                }
            }
            _ => Fetch {
                fut,
                abort: None,
                id,
            },
        }
    }
}
