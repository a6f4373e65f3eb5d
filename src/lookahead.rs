//! Lookahead: a backend that learns the next page's cursor before it has read
//! this page's records (a SOAP `queryLocator` precedes the `records`, a
//! Salesforce `nextRecordsUrl` precedes its `records`, a Bulk `Sforce-Locator`
//! is a header) offers it with [`offer_next`], and [`Pages`](crate::Pages)
//! with prefetch on requests that page while this one is still being parsed.
//! Parsing and the next round trip overlap, so a fast reader pays the network
//! latency once per page and not latency plus parse time.
//!
//! An offer is only a hint: the page's own cursor, once the page is read,
//! decides. A speculative fetch whose cursor the page does not confirm (the
//! page failed, or a retry returned another cursor) is cancelled and its
//! result never reaches the caller, so exactly-once delivery does not depend
//! on offers being right.
//!
//! The crate's own backends offer as early as the wire allows: from the
//! `Sforce-Locator` header, or from the first bytes of the body while the rest
//! is still arriving (a head scan over the prefix received so far, run by the
//! same parser as the full read and stopped where the records begin, so it
//! makes exactly the offer the full read makes, never one from a cut value).
//! Zuora REST writes its `queryLocator` after the records, so it offers it
//! from the end of the body before parsing the records. The pager starts the
//! offered page at once, in the task that offers it, and that task then yields
//! to the runtime and to the operating system (the transport after the head
//! and before the parse, Zuora REST after its tail offer, Bulk after its
//! header offer: `let_offered_fetch_go`) so the request goes out before the
//! rest of the body is read and parsed. (Parsing large pages with
//! `block_in_place` was tried: it gained a little at 20 ms of latency but lost
//! at 0 ms and raised peak memory by a third, one allocator arena per extra
//! thread, so it is not done.)
//!
//! Where offers go is task-local: [`Client`](crate::Client) sets it around
//! each attempt at a page, so [`QuerySource`](crate::QuerySource) keeps its
//! two methods and a backend that never offers works as before.

use crate::Cursor;
use crate::transport::Head;
use chrono::{DateTime, TimeDelta, Utc};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
#[cfg(test)]
use tokio::sync::mpsc;

tokio::task_local! {
    static OFFER: Option<Offer>;
}

/// Where the offers of a page's fetch go: the pager, which starts the page
/// after it at once (see [`Pages`](crate::Pages)), or a collector.
pub(crate) trait OfferSink: Send + Sync {
    /// False once nobody acts on an offer (the stream is done or dropped).
    fn is_open(&self) -> bool;
    /// Takes an offered cursor, stamped as the page's own would be.
    fn offer(&self, cursor: Cursor);
}

/// A sink shared by the attempts at one page.
pub(crate) type SharedSink = Arc<dyn OfferSink>;

/// Where one attempt at a page sends the cursor it learns early, and how to
/// stamp it as the client stamps the page's own cursor.
#[derive(Clone)]
pub(crate) struct Offer {
    sink: SharedSink,
    sent: DateTime<Utc>,
    idle_limit: Option<TimeDelta>,
}

impl fmt::Debug for Offer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Offer")
            .field("sent", &self.sent)
            .field("idle_limit", &self.idle_limit)
            .finish_non_exhaustive()
    }
}

/// The receiving end of [`channel`]: every cursor offered, in order.
#[cfg(test)]
pub(crate) type Offers = mpsc::UnboundedReceiver<Cursor>;

/// A sink that queues every offer, for tests.
#[cfg(test)]
pub(crate) fn channel() -> (SharedSink, Offers) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Arc::new(tx), rx)
}

#[cfg(test)]
impl OfferSink for mpsc::UnboundedSender<Cursor> {
    fn is_open(&self) -> bool {
        !self.is_closed()
    }

    fn offer(&self, cursor: Cursor) {
        let _ = self.send(cursor);
    }
}

impl Offer {
    /// An attempt sent at `sent`, whose cursors expire after `idle_limit`.
    pub(crate) fn new(
        sink: SharedSink,
        sent: DateTime<Utc>,
        idle_limit: Option<TimeDelta>,
    ) -> Self {
        Offer {
            sink,
            sent,
            idle_limit,
        }
    }
}

/// Runs `fut` (one attempt at a page) with `offer` as the place its backend
/// offers the next cursor; `None`: nobody listens.
pub(crate) async fn scope<F: Future>(offer: Option<Offer>, fut: F) -> F::Output {
    OFFER.scope(offer, fut).await
}

/// Offers the cursor of the page after the one being read, as soon as a
/// backend knows it (call it from inside
/// [`QuerySource::first_page`](crate::QuerySource::first_page) or
/// [`next_page`](crate::QuerySource::next_page), before parsing the records).
/// `make` runs only when someone listens (prefetch is on); otherwise this does
/// nothing. The cursor returned with the page must be the same one, or the
/// speculative fetch is thrown away.
pub fn offer_next(make: impl FnOnce() -> Option<Cursor>) {
    let _ = OFFER.try_with(|offer| {
        if let Some(offer) = offer
            && offer.sink.is_open()
            && let Some(mut cursor) = make()
        {
            cursor.last_used = offer.sent;
            cursor.idle_limit = offer.idle_limit;
            offer.sink.offer(cursor);
        }
    });
}

/// Lets the fetch of an offered page send its request before the calling
/// task goes on to parse this page. First a yield to the runtime: the fetch
/// waits in this worker's next-task slot, which other workers cannot steal.
/// Then a yield to the operating system: when another worker has taken this
/// task's place on the same CPU (the scheduler puts a woken thread beside its
/// waker), the thread sending the request would otherwise wait out the
/// parse, a few milliseconds, for that CPU. On two cores one page in four
/// lost that much: Salesforce REST at 20 ms took 1.11x–1.13x pages × latency,
/// and 1.05x–1.07x with this yield.
pub(crate) async fn let_offered_fetch_go() {
    tokio::task::yield_now().await;
    std::thread::yield_now();
}

/// True when someone listens for offers (prefetch is on): only then is it
/// worth looking for the next cursor early.
pub(crate) fn listening() -> bool {
    OFFER
        .try_with(|offer| offer.as_ref().is_some_and(|o| o.sink.is_open()))
        .unwrap_or(false)
}

/// Keeps the last cursor offered ([`capture`]).
#[derive(Default)]
struct Last(Mutex<Option<Cursor>>);

impl OfferSink for Last {
    fn is_open(&self) -> bool {
        true
    }

    fn offer(&self, cursor: Cursor) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(cursor);
    }
}

/// Runs `f` (a parse) and returns, with its result, the last cursor it
/// offered, instead of offering it: what a parse offers can be compared and
/// made again elsewhere (a head scan makes the offer the full parse would).
pub(crate) fn capture<R>(f: impl FnOnce() -> R) -> (R, Option<Cursor>) {
    let last = Arc::new(Last::default());
    let offer = Offer::new(last.clone(), DateTime::<Utc>::UNIX_EPOCH, None);
    let out = OFFER.sync_scope(Some(offer), f);
    let cursor = last.0.lock().unwrap_or_else(|e| e.into_inner()).take();
    (out, cursor)
}

/// What the start of a body says about the page after it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Early {
    /// Not known yet: more of the body is needed.
    Unknown,
    /// Known: the cursor the full parse will offer, or `None` when it will
    /// offer none (the last page, an error body, a head that gave up).
    Known(Option<Cursor>),
}

/// A head hook for [`Http::read_with_head`](crate::transport::Http::read_with_head)
/// offering what `scan` finds at the start of a body; `None` when nobody
/// listens (prefetch off), so the body is read without looking.
pub(crate) fn head_hook(
    mut scan: impl FnMut(&[u8]) -> Early + Send,
) -> Option<impl FnMut(&[u8]) -> Head + Send> {
    let hook = move |head: &[u8]| match scan(head) {
        Early::Unknown => Head::More,
        Early::Known(cursor) => {
            if let Some(c) = cursor {
                offer_next(|| Some(c));
            }
            Head::Done
        }
    };
    listening().then_some(hook)
}

/// Checks a head scan against the full parse over every prefix of `body`
/// (cut at each byte): a prefix is unknown, or known with exactly the cursor
/// `parse` offers (never a partial or another one), and the whole body is
/// known. Returns that offer and the length of the shortest known prefix.
#[cfg(test)]
pub(crate) fn check_every_prefix<R>(
    body: &[u8],
    scan: impl Fn(&[u8]) -> Early,
    parse: impl FnOnce() -> R,
) -> (Option<Cursor>, usize) {
    let (_, offer) = capture(parse);
    let want = offer.as_ref().map(|c| &c.token);
    let mut known_at = None;
    for end in 0..=body.len() {
        let prefix = body.get(..end).unwrap_or(body);
        match scan(prefix) {
            Early::Unknown => assert!(end < body.len(), "the whole body must be known"),
            Early::Known(got) => {
                assert_eq!(
                    got.as_ref().map(|c| &c.token),
                    want,
                    "cut after {end} bytes: {:?}",
                    String::from_utf8_lossy(prefix)
                );
                known_at.get_or_insert(end);
            }
        }
    }
    (offer, known_at.unwrap_or(body.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BackendKind, CursorToken};

    fn locator(s: &str) -> Cursor {
        Cursor::new(BackendKind::ZuoraSoap, CursorToken::Locator(s.into()))
    }

    #[tokio::test]
    async fn offers_reach_the_listener_stamped_and_cost_nothing_without_one() {
        let (tx, mut rx) = channel();
        let sent = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let offer = Offer::new(tx, sent, Some(TimeDelta::minutes(15)));
        scope(Some(offer), async { offer_next(|| Some(locator("L2"))) }).await;
        let got = rx.recv().await.unwrap();
        assert_eq!(got.locator(), Some("L2"));
        assert_eq!(got.last_used, sent);
        assert_eq!(got.idle_limit, Some(TimeDelta::minutes(15)));

        // Outside a scope, or in a scope with no listener, `make` never runs.
        offer_next(|| unreachable!("nobody listens"));
        scope(None, async {
            offer_next(|| unreachable!("nobody listens"))
        })
        .await;
        let (tx, rx) = channel();
        drop(rx);
        let closed = Offer::new(tx, sent, None);
        scope(Some(closed), async {
            offer_next(|| unreachable!("the listener is gone"))
        })
        .await;
    }

    #[tokio::test]
    async fn a_head_hook_exists_for_a_listener_and_offers_what_its_scan_finds() {
        let scan = |head: &[u8]| match head.len() {
            0..3 => Early::Unknown,
            _ => Early::Known(Some(locator("L2"))),
        };
        assert!(head_hook(scan).is_none(), "nobody listens");
        let (tx, mut rx) = channel();
        let offer = Offer::new(tx, DateTime::<Utc>::UNIX_EPOCH, None);
        scope(Some(offer), async {
            assert!(listening());
            let mut hook = head_hook(scan).expect("someone listens");
            assert_eq!(hook(b"ab"), Head::More);
            assert!(rx.try_recv().is_err(), "nothing known yet");
            assert_eq!(hook(b"abc"), Head::Done);
        })
        .await;
        assert_eq!(rx.try_recv().unwrap().locator(), Some("L2"));
        assert!(rx.try_recv().is_err(), "offered once");
        let ((), captured) = capture(|| offer_next(|| Some(locator("L3"))));
        assert_eq!(
            captured.and_then(|c| c.locator().map(str::to_owned)),
            Some("L3".into())
        );
    }
}
