//! Zuora backends: the SOAP API (`login`, `query`, `queryMore`) and the REST
//! query actions. They share the page-size rule and the cursor idle limit.

pub mod rest;
pub mod soap;

pub use rest::{ZuoraRest, ZuoraRestBuilder};
pub use soap::{ZuoraSoap, ZuoraSoapBuilder};

use crate::BatchSizeRange;
use chrono::TimeDelta;

/// `QueryOptions.batchSize` / `conf.batchSize`: 0..=2000, 0 meaning the default 2000.
pub(crate) const fn batch_size_range(name: &'static str) -> BatchSizeRange {
    BatchSizeRange::new(name, 1, 2000, 2000).zero_means_default()
}

/// Zuora drops a `queryLocator` after 15 minutes without activity.
pub(crate) const IDLE_LIMIT: TimeDelta = TimeDelta::minutes(15);
