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
//! The channel is task-local: [`Client`](crate::Client) sets it around each
//! attempt at a page, so [`QuerySource`](crate::QuerySource) keeps its two
//! methods and a backend that never offers works as before.

use crate::Cursor;
use crate::transport::Head;
use chrono::{DateTime, TimeDelta, Utc};
use std::future::Future;
use tokio::sync::mpsc;

tokio::task_local! {
    static OFFER: Option<Offer>;
}

/// Where one attempt at a page sends the cursor it learns early, and how to
/// stamp it as the client stamps the page's own cursor.
#[derive(Debug, Clone)]
pub(crate) struct Offer {
    tx: OfferSender,
    sent: DateTime<Utc>,
    idle_limit: Option<TimeDelta>,
}

/// The receiving end: the cursors offered while one page was fetched.
pub(crate) type Offers = mpsc::UnboundedReceiver<Cursor>;
/// The sending end, shared by the attempts at one page.
pub(crate) type OfferSender = mpsc::UnboundedSender<Cursor>;

/// A channel for the offers of one page's fetch.
pub(crate) fn channel() -> (OfferSender, Offers) {
    mpsc::unbounded_channel()
}

impl Offer {
    /// An attempt sent at `sent`, whose cursors expire after `idle_limit`.
    pub(crate) fn new(tx: OfferSender, sent: DateTime<Utc>, idle_limit: Option<TimeDelta>) -> Self {
        Offer {
            tx,
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
            && !offer.tx.is_closed()
            && let Some(mut cursor) = make()
        {
            cursor.last_used = offer.sent;
            cursor.idle_limit = offer.idle_limit;
            let _ = offer.tx.send(cursor);
        }
    });
}

/// True when someone listens for offers (prefetch is on): only then is it
/// worth looking for the next cursor early.
pub(crate) fn listening() -> bool {
    OFFER
        .try_with(|offer| offer.as_ref().is_some_and(|o| !o.tx.is_closed()))
        .unwrap_or(false)
}

/// Runs `f` (a parse) and returns, with its result, the last cursor it
/// offered, instead of offering it: what a parse offers can be compared and
/// made again elsewhere (a head scan makes the offer the full parse would).
pub(crate) fn capture<R>(f: impl FnOnce() -> R) -> (R, Option<Cursor>) {
    let (tx, mut rx) = channel();
    let offer = Offer::new(tx, DateTime::<Utc>::UNIX_EPOCH, None);
    let out = OFFER.sync_scope(Some(offer), f);
    let mut last = None;
    while let Ok(c) = rx.try_recv() {
        last = Some(c);
    }
    (out, last)
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
    listening().then(move || {
        move |head: &[u8]| match scan(head) {
            Early::Unknown => Head::More,
            Early::Known(cursor) => {
                if let Some(c) = cursor {
                    offer_next(|| Some(c));
                }
                Head::Done
            }
        }
    })
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
}
