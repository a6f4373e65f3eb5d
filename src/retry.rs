//! `RetryPolicy`: page-level retries with exponential backoff and jitter,
//! honouring the service's `Retry-After`, bounded in attempts and total time.
//! Applied in one place (the client) for every backend.

use crate::Error;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// How failed page requests are retried. Only errors for which
/// [`Error::is_retryable`] is true are retried; a page request repeats the same
/// cursor, so the same page comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retries).
    pub max_attempts: u32,
    /// The first backoff delay; it doubles on each retry.
    pub base_delay: Duration,
    /// The longest backoff delay (a longer `Retry-After` is still honoured).
    pub max_delay: Duration,
    /// The most time to spend on one page, waits included.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Sets the number of attempts (at least 1).
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Sets the first backoff delay.
    pub fn with_base_delay(mut self, d: Duration) -> Self {
        self.base_delay = d;
        self
    }

    /// Sets the backoff cap.
    pub fn with_max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }

    /// Sets the time budget for one page.
    pub fn with_max_elapsed(mut self, d: Duration) -> Self {
        self.max_elapsed = d;
        self
    }

    /// How long to wait before attempt `attempt + 1` after `error`, or `None` to
    /// give up. `elapsed` is the time spent on this page so far.
    pub fn delay_for(&self, attempt: u32, elapsed: Duration, error: &Error) -> Option<Duration> {
        if !error.is_retryable() || attempt + 1 >= self.max_attempts {
            return None;
        }
        let backoff = self
            .base_delay
            .saturating_mul(1u32 << attempt.min(20))
            .min(self.max_delay);
        // Full jitter on the upper half: [backoff/2, backoff].
        let half = backoff / 2;
        let jitter = half.mul_f64(random_unit());
        let delay = error.retry_after().unwrap_or(half + jitter);
        (elapsed + delay <= self.max_elapsed).then_some(delay)
    }
}

/// A uniform number in [0, 1) from the standard library's randomly keyed hasher.
fn random_unit() -> f64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BackendKind, Fault};

    #[test]
    fn backoff_doubles_and_honours_retry_after() {
        let p = RetryPolicy::default();
        let e = Error::truncated(BackendKind::ZuoraSoap, "cut");
        let d0 = p.delay_for(0, Duration::ZERO, &e).unwrap();
        let d3 = p.delay_for(3, Duration::ZERO, &e).unwrap();
        assert!(d0 <= Duration::from_millis(100) && d0 >= Duration::from_millis(50));
        assert!(d3 <= Duration::from_millis(800) && d3 >= Duration::from_millis(400));
        assert_eq!(
            p.delay_for(4, Duration::ZERO, &e),
            None,
            "attempts are bounded"
        );
        let limited: Error = Fault::new(BackendKind::ZuoraSoap, "REQUEST_EXCEEDED_LIMIT", "busy")
            .with_status(429)
            .with_retry_after(Some(Duration::from_secs(120)))
            .into();
        assert_eq!(
            p.delay_for(0, Duration::ZERO, &limited),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            p.delay_for(0, Duration::from_secs(250), &limited),
            None,
            "a wait past the time budget gives up"
        );
        let malformed: Error = Fault::new(BackendKind::ZuoraSoap, "MALFORMED_QUERY", "x").into();
        assert_eq!(p.delay_for(0, Duration::ZERO, &malformed), None);
    }
}
