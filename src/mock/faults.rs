//! Fault injection for the mock: a queue of one-off faults and a seeded random
//! mode, per backend. Transport-level faults (status codes, HTML pages, cut or
//! reset bodies, slow bodies) are applied by the server's middleware; protocol
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

#[derive(Debug)]
struct RandomMode {
    rate: f64,
    rng: SmallRng,
    backend: Option<BackendKind>,
}

/// The faults waiting to be injected.
#[derive(Debug, Default)]
pub struct FaultQueue {
    queue: Mutex<VecDeque<(Option<BackendKind>, MockFault)>>,
    random: Mutex<Option<RandomMode>>,
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
    /// are the retryable kinds: 500/503, 429 with `Retry-After: 0`, a truncated
    /// or reset body, a slow body.
    pub fn set_random(&self, rate: f64, seed: u64, backend: Option<BackendKind>) {
        *self.random.lock().unwrap_or_else(|e| e.into_inner()) = (rate > 0.0).then(|| RandomMode {
            rate: rate.min(1.0),
            rng: SmallRng::seed_from_u64(seed),
            backend,
        });
    }

    /// Number of queued one-off faults.
    pub fn pending(&self) -> usize {
        self.lock_queue().len()
    }

    /// The fault for the next request to `backend`, if any.
    pub(crate) fn next(&self, backend: Option<BackendKind>) -> Option<MockFault> {
        {
            let mut q = self.lock_queue();
            if let Some(pos) = q.iter().position(|(b, _)| b.is_none() || *b == backend) {
                return q.remove(pos).map(|(_, f)| f);
            }
        }
        let mut random = self.random.lock().unwrap_or_else(|e| e.into_inner());
        let mode = random.as_mut()?;
        if mode.backend.is_some() && mode.backend != backend {
            return None;
        }
        if !mode.rng.random_bool(mode.rate) {
            return None;
        }
        Some(match mode.rng.random_range(0..6u8) {
            0 => MockFault::Status(500),
            1 => MockFault::Status(503),
            2 => MockFault::RetryAfter {
                status: 429,
                secs: 0,
            },
            3 => MockFault::TruncatedBody,
            4 => MockFault::Reset,
            _ => MockFault::SlowBody(Duration::from_millis(5)),
        })
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, VecDeque<(Option<BackendKind>, MockFault)>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}
