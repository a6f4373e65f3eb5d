//! Salesforce backends: REST query, Bulk API 2.0 query jobs, and the SOAP partner
//! API. What they share (API versions, the JSON error array) lives in `common`.

pub mod bulk;
pub(crate) mod common;
pub mod rest;
pub mod soap;
