//! `Query` (what a backend is asked for) and `BatchSizeRange` (what page sizes a
//! backend accepts, checked before any request).

use crate::{BackendKind, Error, Result};

/// Which rows a query covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Live rows (`query`).
    #[default]
    Active,
    /// Live, deleted and archived rows (`queryAll`).
    All,
}

/// A validated query, as a backend receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Query {
    /// The query text (ZOQL or SOQL).
    pub text: String,
    /// `query` or `queryAll`.
    pub scope: Scope,
    /// The requested page size, already checked against the backend's range.
    pub batch_size: Option<u32>,
}

impl Query {
    /// A `query` of `text` with the backend's default page size.
    pub fn new(text: impl Into<String>) -> Self {
        Query {
            text: text.into(),
            scope: Scope::Active,
            batch_size: None,
        }
    }

    /// Sets the scope.
    pub fn with_scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// Sets the page size.
    pub fn with_batch_size(mut self, n: Option<u32>) -> Self {
        self.batch_size = n;
        self
    }
}

/// The page sizes a backend accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchSizeRange {
    /// Smallest accepted value (other than a zero that means "default").
    pub min: u32,
    /// Largest accepted value.
    pub max: u32,
    /// The size the server uses when none is given.
    pub default: u32,
    /// True when 0 is accepted and means `default` (Zuora's `QueryOptions.batchSize`).
    pub zero_means_default: bool,
    /// What the wire calls the setting, for error messages.
    pub name: &'static str,
}

impl BatchSizeRange {
    /// A range `min..=max` with the given default.
    pub const fn new(name: &'static str, min: u32, max: u32, default: u32) -> Self {
        BatchSizeRange {
            min,
            max,
            default,
            zero_means_default: false,
            name,
        }
    }

    /// Also accept 0, meaning the default.
    pub const fn zero_means_default(mut self) -> Self {
        self.zero_means_default = true;
        self
    }

    /// Checks a requested size; the error names the backend and the range.
    pub fn validate(&self, backend: BackendKind, n: i64) -> Result<u32> {
        let ok = (n == 0 && self.zero_means_default)
            || (i64::from(self.min)..=i64::from(self.max)).contains(&n);
        if ok {
            return Ok(n as u32);
        }
        let zero = if self.zero_means_default {
            format!(" (0 means the default, {})", self.default)
        } else {
            String::new()
        };
        let low = if self.zero_means_default { 0 } else { self.min };
        Err(Error::InvalidInput {
            what: "batch size",
            reason: format!(
                "{backend} {name} must be between {low} and {max}{zero}; got {n}",
                name = self.name,
                max = self.max
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zuora_range_accepts_zero_and_refuses_2001_and_negative() {
        let r = BatchSizeRange::new("QueryOptions.batchSize", 1, 2000, 2000).zero_means_default();
        assert_eq!(r.validate(BackendKind::ZuoraSoap, 0).unwrap(), 0);
        assert_eq!(r.validate(BackendKind::ZuoraSoap, 2000).unwrap(), 2000);
        let e = r.validate(BackendKind::ZuoraSoap, 2001).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid batch size: zuora-soap QueryOptions.batchSize must be between 0 and 2000 \
             (0 means the default, 2000); got 2001"
        );
        assert!(r.validate(BackendKind::ZuoraSoap, -1).is_err());
    }
}
