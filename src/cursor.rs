//! `Cursor`: where a query stands, in a form that can be checkpointed to disk and
//! resumed, with the idle-expiry arithmetic (chrono) that tells, before calling,
//! whether the server has already dropped it.

use crate::BackendKind;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// The continuation token, as each protocol spells it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CursorToken {
    /// A `queryLocator` (Zuora SOAP and REST, Salesforce SOAP), or any opaque token.
    Locator(String),
    /// A Salesforce REST `nextRecordsUrl` (a path on the instance).
    NextRecordsUrl(String),
    /// A Salesforce Bulk API 2.0 position: the job, and either the next results
    /// locator or the next `resultPages` link.
    Bulk {
        /// The query job id.
        job_id: String,
        /// The `Sforce-Locator` of the next results set (sequential walk).
        locator: Option<String>,
        /// The next `resultPages` link (parallel walk, API 58.0+).
        pages_url: Option<String>,
    },
}

impl CursorToken {
    /// A short, human-readable form for messages (no secrets live in tokens).
    pub fn describe(&self) -> String {
        match self {
            CursorToken::Locator(l) => format!("locator {l}"),
            CursorToken::NextRecordsUrl(u) => format!("nextRecordsUrl {u}"),
            CursorToken::Bulk {
                job_id,
                locator,
                pages_url,
            } => match (locator, pages_url) {
                (_, Some(p)) => format!("job {job_id} result pages {p}"),
                (Some(l), None) => format!("job {job_id} locator {l}"),
                (None, None) => format!("job {job_id} first results"),
            },
        }
    }
}

/// A position in a query's results: give it to
/// [`Client::resume`](crate::Client::resume) to continue from there.
///
/// `last_used` is when the request that produced this cursor was *sent*: the
/// server's idle clock started no earlier, so expiry computed from it is
/// conservative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The backend that issued it.
    pub backend: BackendKind,
    /// The token itself.
    pub token: CursorToken,
    /// When the request that returned this cursor was sent.
    pub last_used: DateTime<Utc>,
    /// How long the server keeps an idle cursor; `None` for no known limit.
    #[serde(default, with = "opt_seconds")]
    pub idle_limit: Option<TimeDelta>,
    /// The batch size the query was started with, sent again with each page.
    #[serde(default)]
    pub batch_size: Option<u32>,
}

impl Cursor {
    /// A cursor for `token`. The paging layer stamps `last_used`, `idle_limit`
    /// and `batch_size`, so a backend only names the token.
    pub fn new(backend: BackendKind, token: CursorToken) -> Self {
        Cursor {
            backend,
            token,
            last_used: DateTime::UNIX_EPOCH,
            idle_limit: None,
            batch_size: None,
        }
    }

    /// The locator string, for the protocols that have one.
    pub fn locator(&self) -> Option<&str> {
        match &self.token {
            CursorToken::Locator(l) => Some(l),
            CursorToken::Bulk { locator, .. } => locator.as_deref(),
            CursorToken::NextRecordsUrl(_) => None,
        }
    }

    /// When the server will drop this cursor if it is not used, if there is a limit.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.idle_limit.map(|limit| self.last_used + limit)
    }

    /// How long the cursor has been idle at `now`.
    pub fn idle_at(&self, now: DateTime<Utc>) -> TimeDelta {
        now - self.last_used
    }

    /// True when, at `now`, the cursor has been idle for its whole limit or longer.
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at().is_some_and(|at| now >= at)
    }

    /// The [`Error::CursorExpired`](crate::Error::CursorExpired) for `now`, if expired.
    pub fn check_expiry(&self, now: DateTime<Utc>) -> crate::Result<()> {
        match self.idle_limit {
            Some(limit) if self.is_expired_at(now) => Err(crate::Error::CursorExpired {
                backend: self.backend,
                last_used: self.last_used,
                idle: self.idle_at(now),
                limit,
            }),
            _ => Ok(()),
        }
    }
}

mod opt_seconds {
    use chrono::TimeDelta;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<TimeDelta>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_some(&d.num_seconds()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TimeDelta>, D::Error> {
        Ok(Option::<i64>::deserialize(d)?.and_then(TimeDelta::try_seconds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor_at(t: DateTime<Utc>) -> Cursor {
        Cursor {
            idle_limit: Some(TimeDelta::minutes(15)),
            last_used: t,
            ..Cursor::new(
                BackendKind::ZuoraSoap,
                CursorToken::Locator("abc-50".into()),
            )
        }
    }

    #[test]
    fn zuora_soap_locator_idle_15_minutes_is_expired() {
        let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let c = cursor_at(t);
        assert_eq!(c.expires_at(), Some(t + TimeDelta::minutes(15)));
        assert!(!c.is_expired_at(t + TimeDelta::minutes(15) - TimeDelta::seconds(1)));
        assert!(c.is_expired_at(t + TimeDelta::minutes(15)));
        let err = c.check_expiry(t + TimeDelta::minutes(20)).unwrap_err();
        assert!(err.is_cursor_expired());
        assert!(err.to_string().contains("idle 1200s"), "{err}");
    }

    #[test]
    fn cursor_round_trips_through_json() {
        let c = cursor_at(DateTime::from_timestamp(1_700_000_000, 0).unwrap());
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"idle_limit\":900"), "{json}");
        let back: Cursor = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
    }
}
