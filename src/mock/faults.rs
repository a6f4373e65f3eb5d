//! Fault injection for the mock: a queue of one-off faults and a seeded random
//! mode, per backend. Transport-level faults (status codes, HTML pages, cut or
//! reset bodies, slow or paused bodies) are applied by the server's middleware; protocol
//! faults (an expired session, a dropped cursor) are handed to the backend's
//! handler, which answers in its own dialect.

use crate::BackendKind;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

/// A fault the mock can inject into one response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MockFault {
    /// Answer with this HTTP status and a short plain-text body.
    Status(u16),
    /// Answer 429 (or the given status) with `Retry-After: secs`.
    RetryAfter {
        /// The status (usually 429).
        status: u16,
        /// The `Retry-After` value in seconds.
        secs: u64,
    },
    /// Answer 200 with an HTML page (a login page from a proxy).
    Html,
    /// Send half the real body, then drop the connection.
    TruncatedBody,
    /// Drop the connection before any body byte.
    Reset,
    /// Send the real body after this delay.
    SlowBody(Duration),
    /// Send the first `after` bytes of the real body at once, the rest after
    /// `pause` (a body still on its way while its head has arrived). A body
    /// no longer than `after` goes whole, without a pause.
    PausedBody {
        /// Bytes sent before the pause.
        after: usize,
        /// How long the rest is held back.
        pause: Duration,
    },
    /// Treat the request's session or token as expired (the backend answers
    /// with its own invalid-session error).
    ExpireSession,
    /// Treat the request's cursor as gone (the backend answers with its own
    /// invalid-locator error).
    InvalidLocator,
}

impl MockFault {
    /// True for faults the backend handler renders itself.
    pub fn is_protocol_level(&self) -> bool {
        matches!(self, MockFault::ExpireSession | MockFault::InvalidLocator)
    }
}

/// Requests to a backend after a random session expiry during which no other
/// is drawn (the new login or token request, the repeated call, and room for
/// a retried transport fault in between).
pub const EXPIRY_COOLDOWN: u8 = 4;

/// The faults the random mode draws from, as relative weights (0 leaves a
/// kind out). The default draws every retryable kind equally and no session
/// expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultMix {
    /// HTTP 500.
    pub server_error: u32,
    /// HTTP 503.
    pub unavailable: u32,
    /// HTTP 429 with `Retry-After: 0`.
    pub too_many_requests: u32,
    /// Half the body, then the connection drops.
    pub truncated_body: u32,
    /// The connection drops before any body byte.
    pub reset: u32,
    /// The body comes 5 ms late.
    pub slow_body: u32,
    /// The session ends ([`MockFault::ExpireSession`]), for clients that can
    /// authenticate again. After one, none is drawn for the next
    /// [`EXPIRY_COOLDOWN`] requests to that backend: a session just issued is
    /// not refused, so the client can log in again and repeat its call. A
    /// request carrying one of the mock's preset credentials (the
    /// [`MockCredentials`](super::MockCredentials) session id or access
    /// token) is never drawn one: a client holding a fixed credential has no
    /// way to get another.
    pub expire_session: u32,
}

impl Default for FaultMix {
    fn default() -> Self {
        FaultMix {
            server_error: 1,
            unavailable: 1,
            too_many_requests: 1,
            truncated_body: 1,
            reset: 1,
            slow_body: 1,
            expire_session: 0,
        }
    }
}

impl FaultMix {
    /// No kind at all (every weight 0): a base for picking kinds, e.g.
    /// `FaultMix { expire_session: 1, ..FaultMix::none() }`.
    pub fn none() -> Self {
        FaultMix {
            server_error: 0,
            unavailable: 0,
            too_many_requests: 0,
            truncated_body: 0,
            reset: 0,
            slow_body: 0,
            expire_session: 0,
        }
    }

    /// The default mix plus session expiry at the same weight as each other kind.
    pub fn with_session_expiry(mut self) -> Self {
        self.expire_session = 1;
        self
    }

    /// The mix of `querymore mock --fault-rate`: every retryable kind at 19
    /// and session expiry at 6, so 1 fault in 20 (5%) ends the session and
    /// the other 19 in 20 are the default kinds in equal shares.
    pub fn rare_session_expiry() -> Self {
        FaultMix {
            server_error: 19,
            unavailable: 19,
            too_many_requests: 19,
            truncated_body: 19,
            reset: 19,
            slow_body: 19,
            expire_session: 6,
        }
    }

    /// Draws one fault; `allow_expiry` false leaves session expiry out.
    fn draw(&self, rng: &mut SmallRng, allow_expiry: bool) -> Option<MockFault> {
        let expire = if allow_expiry { self.expire_session } else { 0 };
        let kinds = [
            (self.server_error, MockFault::Status(500)),
            (self.unavailable, MockFault::Status(503)),
            (
                self.too_many_requests,
                MockFault::RetryAfter {
                    status: 429,
                    secs: 0,
                },
            ),
            (self.truncated_body, MockFault::TruncatedBody),
            (self.reset, MockFault::Reset),
            (
                self.slow_body,
                MockFault::SlowBody(Duration::from_millis(5)),
            ),
            (expire, MockFault::ExpireSession),
        ];
        let total: u64 = kinds.iter().map(|(w, _)| u64::from(*w)).sum();
        if total == 0 {
            return None;
        }
        let mut pick = rng.random_range(0..total);
        for (w, fault) in kinds {
            let w = u64::from(w);
            if pick < w {
                return Some(fault);
            }
            pick -= w;
        }
        None
    }
}

#[derive(Debug)]
struct RandomMode {
    rate: f64,
    rng: SmallRng,
    backend: Option<BackendKind>,
    mix: FaultMix,
    /// Requests left before session expiry may be drawn again.
    cooldown: u8,
}

/// The faults waiting to be injected.
#[derive(Debug, Default)]
pub struct FaultQueue {
    queue: Mutex<VecDeque<(Option<BackendKind>, MockFault)>>,
    random: Mutex<Vec<RandomMode>>,
    injected: std::sync::atomic::AtomicU64,
}

impl FaultQueue {
    /// Injects `fault` into the next request to any backend.
    pub fn push(&self, fault: MockFault) -> &Self {
        self.lock_queue().push_back((None, fault));
        self
    }

    /// Injects `fault` into the next request to `backend`.
    pub fn push_for(&self, backend: BackendKind, fault: MockFault) -> &Self {
        self.lock_queue().push_back((Some(backend), fault));
        self
    }

    /// Random mode: each request (to `backend`, or to any when `None`) fails with
    /// probability `rate`, drawn from a generator seeded with `seed`. The faults
    /// are the retryable kinds ([`FaultMix::default`]): 500/503, 429 with
    /// `Retry-After: 0`, a truncated or reset body, a slow body. Each backend
    /// has its own mode; one set for `None` covers the backends without one. A
    /// rate of 0 turns the mode off.
    pub fn set_random(&self, rate: f64, seed: u64, backend: Option<BackendKind>) {
        self.set_random_mix(rate, seed, backend, FaultMix::default());
    }

    /// Random mode drawing from `mix` (e.g. with session expiry, for a client
    /// that can authenticate again).
    pub fn set_random_mix(
        &self,
        rate: f64,
        seed: u64,
        backend: Option<BackendKind>,
        mix: FaultMix,
    ) {
        let mut modes = self.random.lock().unwrap_or_else(|e| e.into_inner());
        modes.retain(|m| m.backend != backend);
        if rate > 0.0 {
            modes.push(RandomMode {
                rate: rate.min(1.0),
                rng: SmallRng::seed_from_u64(seed),
                backend,
                mix,
                cooldown: 0,
            });
        }
    }

    /// How many faults have been injected so far (queued and random).
    pub fn injected(&self) -> u64 {
        self.injected.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Number of queued one-off faults.
    pub fn pending(&self) -> usize {
        self.lock_queue().len()
    }

    /// The fault for the next request to `backend`, if any; `preset` tells
    /// (asked only when it matters) whether the request carries a preset
    /// credential, which random session expiry passes by.
    pub(crate) fn next(
        &self,
        backend: Option<BackendKind>,
        preset: impl FnOnce() -> bool,
    ) -> Option<MockFault> {
        let fault = self.draw(backend, preset);
        if fault.is_some() {
            self.injected
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        fault
    }

    fn draw(
        &self,
        backend: Option<BackendKind>,
        preset: impl FnOnce() -> bool,
    ) -> Option<MockFault> {
        {
            let mut q = self.lock_queue();
            if let Some(pos) = q.iter().position(|(b, _)| b.is_none() || *b == backend) {
                return q.remove(pos).map(|(_, f)| f);
            }
        }
        let mut modes = self.random.lock().unwrap_or_else(|e| e.into_inner());
        let index = modes
            .iter()
            .position(|m| backend.is_some() && m.backend == backend)
            .or_else(|| modes.iter().position(|m| m.backend.is_none()))?;
        let mode = modes.get_mut(index)?;
        let cooled = mode.cooldown == 0;
        mode.cooldown = mode.cooldown.saturating_sub(1);
        if !mode.rng.random_bool(mode.rate) {
            return None;
        }
        let allow_expiry = cooled && mode.mix.expire_session > 0 && !preset();
        let fault = mode.mix.draw(&mut mode.rng, allow_expiry)?;
        if fault == MockFault::ExpireSession {
            mode.cooldown = EXPIRY_COOLDOWN;
        }
        Some(fault)
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, VecDeque<(Option<BackendKind>, MockFault)>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(q: &FaultQueue, backend: BackendKind, n: usize) -> Vec<Option<MockFault>> {
        (0..n).map(|_| q.next(Some(backend), || false)).collect()
    }

    #[test]
    fn random_mode_is_seeded_per_backend_and_queue_first() {
        let q = FaultQueue::default();
        q.set_random(0.5, 7, Some(BackendKind::ZuoraSoap));
        let a = draws(&q, BackendKind::ZuoraSoap, 200);
        assert!(
            draws(&q, BackendKind::ZuoraRest, 50)
                .iter()
                .all(Option::is_none)
        );
        q.set_random(0.5, 7, Some(BackendKind::ZuoraSoap));
        assert_eq!(
            draws(&q, BackendKind::ZuoraSoap, 200),
            a,
            "same seed, same faults"
        );
        let hits = a.iter().flatten().count();
        assert!((60..140).contains(&hits), "{hits} of 200 at rate 0.5");
        assert_eq!(q.injected(), 2 * hits as u64);
        assert!(a.iter().flatten().all(|f| *f != MockFault::ExpireSession));
        // A mode for every backend does not replace a backend's own.
        q.set_random(1.0, 1, None);
        assert!(
            draws(&q, BackendKind::ZuoraRest, 20)
                .iter()
                .all(Option::is_some)
        );
        q.push(MockFault::Html);
        assert_eq!(
            q.next(Some(BackendKind::ZuoraRest), || false),
            Some(MockFault::Html)
        );
        q.set_random(0.0, 1, None);
        q.set_random(0.0, 1, Some(BackendKind::ZuoraSoap));
        assert!(
            draws(&q, BackendKind::ZuoraSoap, 50)
                .iter()
                .all(Option::is_none)
        );
    }

    #[test]
    fn random_session_expiry_leaves_room_to_log_in_again() {
        let q = FaultQueue::default();
        let only_expiry = FaultMix {
            expire_session: 1,
            ..FaultMix::none()
        };
        q.set_random_mix(1.0, 3, Some(BackendKind::SalesforceRest), only_expiry);
        let got = draws(
            &q,
            BackendKind::SalesforceRest,
            3 * (EXPIRY_COOLDOWN as usize + 1),
        );
        let expiries: Vec<usize> = got
            .iter()
            .enumerate()
            .filter(|(_, f)| **f == Some(MockFault::ExpireSession))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(expiries, [0, 5, 10], "{got:?}");
        let mixed = FaultMix::default().with_session_expiry();
        q.set_random_mix(1.0, 9, Some(BackendKind::ZuoraSoap), mixed);
        let got = draws(&q, BackendKind::ZuoraSoap, 300);
        assert!(got.contains(&Some(MockFault::ExpireSession)));
        assert!(got.contains(&Some(MockFault::Reset)));
    }

    #[test]
    fn random_session_expiry_passes_preset_credentials_by() {
        let q = FaultQueue::default();
        let mostly_expiry = FaultMix {
            server_error: 1,
            expire_session: 1_000_000,
            ..FaultMix::none()
        };
        q.set_random_mix(1.0, 5, Some(BackendKind::ZuoraSoap), mostly_expiry);
        for _ in 0..50 {
            let f = q.next(Some(BackendKind::ZuoraSoap), || true);
            assert_eq!(f, Some(MockFault::Status(500)));
        }
        assert_eq!(
            q.next(Some(BackendKind::ZuoraSoap), || false),
            Some(MockFault::ExpireSession)
        );
        // A queued expiry applies whatever the credential.
        q.push(MockFault::ExpireSession);
        assert_eq!(
            q.next(Some(BackendKind::ZuoraSoap), || true),
            Some(MockFault::ExpireSession)
        );
    }

    #[test]
    fn the_mock_command_mix_ends_a_session_in_one_fault_of_20() {
        let mix = FaultMix::rare_session_expiry();
        let kinds = [
            mix.server_error,
            mix.unavailable,
            mix.too_many_requests,
            mix.truncated_body,
            mix.reset,
            mix.slow_body,
        ];
        assert!(kinds.iter().all(|w| *w == 19));
        assert_eq!(
            mix.expire_session * 20,
            kinds.iter().sum::<u32>() + mix.expire_session
        );
        let mut rng = SmallRng::seed_from_u64(1);
        let drawn: Vec<_> = (0..20_000)
            .filter_map(|_| mix.draw(&mut rng, true))
            .collect();
        let expiries = drawn
            .iter()
            .filter(|f| **f == MockFault::ExpireSession)
            .count();
        assert_eq!(drawn.len(), 20_000);
        assert!((800..1200).contains(&expiries), "{expiries} of 20000");
    }
}
