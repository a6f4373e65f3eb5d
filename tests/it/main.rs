//! The one integration-test binary: every test talks HTTP to the embedded mock on
//! 127.0.0.1, or exercises the public paging API directly.

mod cli;
mod conformance;
mod lookahead;
mod mock_double;
mod paging;
mod parity;
mod prefetch;
mod reliability;
mod salesforce_bulk;
mod salesforce_rest;
mod salesforce_soap;
mod support;
mod zuora_rest;
mod zuora_soap;
