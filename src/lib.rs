//! # querymore
//!
//! Page query results out of Zuora and Salesforce — SOAP, REST and Bulk API 2.0 —
//! through one pagination trait. A legacy SOAP integration and its REST
//! replacement read the same records through the same code.
//!
//! - [`QuerySource`] is the small contract each backend implements:
//!   [`ZuoraSoap`], [`ZuoraRest`], [`SalesforceRest`], the Salesforce Bulk API 2.0
//!   and SOAP partner backends, and [`InMemory`] for unit tests.
//! - [`Client`] starts queries; [`Pages`] and [`Records`] are the named streams
//!   you read, with an inherent `try_next` (no trait to import).
//! - [`Record`] is the neutral row every backend produces; any
//!   `#[derive(Deserialize)]` struct reads it, whatever the wire format.
//! - [`Cursor`] is serializable: checkpoint it and [`Client::resume`] later.
//!   Its idle-expiry is tracked on the [`Clock`], so an expired cursor fails
//!   before any request is sent.
//! - [`mock`] (feature `mock`) is an embedded server speaking every protocol, for
//!   your own tests; [`testing`] (feature `testing`) snapshots SOAP envelopes.
//!
//! ## Quick start
//!
//! ```
//! use querymore::{Client, InMemory, Record};
//!
//! #[derive(serde::Deserialize)]
//! struct Account {
//!     #[serde(rename = "Id")]
//!     id: String,
//!     #[serde(rename = "BillCycleDay")]
//!     bill_cycle_day: u8, // the wire sends text ("7"); it is parsed on the way in
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> querymore::Result<()> {
//! // Any backend goes here: ZuoraSoap::builder()...build()?, SalesforceRest::builder()...
//! let source = InMemory::new(
//!     (1..=250)
//!         .map(|i| Record::new().with("Id", format!("A{i}").as_str()).with("BillCycleDay", "7"))
//!         .collect(),
//! );
//! let client = Client::new(source);
//! let mut accounts = client.query("select Id, BillCycleDay from Account").batch_size(100).records::<Account>();
//! let mut n = 0;
//! while let Some(account) = accounts.try_next().await? {
//!     assert_eq!(account.bill_cycle_day, 7);
//!     n += 1;
//! }
//! assert_eq!(n, 250);
//! # Ok(()) }
//! ```
//!
//! Against a real service, swap the source; with the `mock` feature the same code
//! runs against [`mock::MockServer`] (see `examples/`).

#![warn(missing_docs)]

mod ahead;
pub mod auth;
#[cfg(feature = "cli")]
pub mod cli;
mod client;
mod clock;
mod cursor;
mod error;
mod json_body;
mod kind;
pub mod lookahead;
mod memory;
mod page;
mod query;
pub mod record;
mod retry;
mod secret;
mod source;
#[cfg(feature = "testing")]
pub mod testing;
pub(crate) mod transport;
mod xml;

pub use client::{Client, ClientBuilder, QueryBuilder};
pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use cursor::{Cursor, CursorToken};
pub use error::{BoxError, Error, Fault, FaultCode, Result};
pub use kind::BackendKind;
pub use memory::InMemory;
pub use page::{LimitInfo, Page, Pages, Records};
pub use query::{BatchSizeRange, Query, Scope};
pub use record::{Record, Text, Value};
pub use retry::RetryPolicy;
pub use salesforce::bulk::SalesforceBulk;
pub use salesforce::rest::SalesforceRest;
pub use salesforce::soap::SalesforceSoap;
pub use secret::Secret;
pub use source::{BoxFuture, Capabilities, QuerySource};
pub use transport::HttpOptions;
pub use zuora::rest::ZuoraRest;
pub use zuora::soap::ZuoraSoap;

#[cfg(feature = "fuzz-api")]
#[doc(hidden)]
#[path = "fuzz_api.rs"]
pub mod __fuzz;
#[cfg(feature = "test-util")]
#[doc(hidden)]
pub mod bench;
#[cfg(feature = "test-util")]
pub mod conformance;
#[cfg(feature = "mock")]
pub mod mock;
pub mod salesforce;
pub mod zuora;
