//! The injected clock: cursor idle-expiry math on the client and in the mock server
//! reads time through [`Clock`], so tests advance fifteen minutes without sleeping.

use chrono::{DateTime, TimeDelta, Utc};
use std::fmt;
use std::sync::{Arc, Mutex};

/// A source of "now".
pub trait Clock: fmt::Debug + Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place that reads the wall clock
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to; share clones between a client and the mock.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// A clock standing at 2024-01-01T00:00:00Z, a fixed start for deterministic tests.
    pub fn fixed() -> Self {
        ManualClock::new(DateTime::from_timestamp(1_704_067_200, 0).unwrap_or_default())
    }

    /// The time the clock stands at.
    pub fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves the clock forward (or back, with a negative delta).
    pub fn advance(&self, by: TimeDelta) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }

    /// Sets the clock.
    pub fn set(&self, to: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        ManualClock::now(self)
    }
}

/// A cheaply cloned handle to any [`Clock`].
#[derive(Debug, Clone)]
pub struct SharedClock(Arc<dyn Clock>);

impl SharedClock {
    /// Wraps a clock.
    pub fn new(clock: impl Clock) -> Self {
        SharedClock(Arc::new(clock))
    }

    /// The wall clock.
    pub fn system() -> Self {
        SharedClock::new(SystemClock)
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
}

impl Default for SharedClock {
    fn default() -> Self {
        SharedClock::system()
    }
}

impl<C: Clock> From<C> for SharedClock {
    fn from(c: C) -> Self {
        SharedClock::new(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_clones_share_time() {
        let a = ManualClock::fixed();
        let b = a.clone();
        let start = a.now();
        b.advance(TimeDelta::minutes(15));
        assert_eq!(a.now() - start, TimeDelta::minutes(15));
        let shared = SharedClock::new(a.clone());
        assert_eq!(shared.now(), a.now());
    }
}
