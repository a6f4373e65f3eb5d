//! Parser entry points for the benchmarks in `benches/` (feature `test-util`).
//! Hidden and not a stable API: it only lets an outside bench binary time the
//! same pure parsers the backends call, on the same bytes as its baselines.

use crate::{Record, Result};

/// A Salesforce REST query page body to its records.
pub fn salesforce_rest_page(body: &[u8]) -> Result<Vec<Record>> {
    crate::salesforce::rest::parse::parse_query_page(body).map(|p| p.records)
}

/// Records read as `T` the way [`Records<T>`](crate::Records) reads them.
pub fn typed<T: serde::de::DeserializeOwned>(records: Vec<Record>) -> Vec<T> {
    records
        .into_iter()
        .filter_map(|r| r.into_typed().ok())
        .collect()
}

/// A Zuora SOAP `queryResponse` body to its records.
pub fn zuora_soap_page(body: &[u8]) -> Result<Vec<Record>> {
    use crate::zuora::soap::parse::{QueryOp, Reply, classify, parse_query};
    match parse_query(body, QueryOp::Query)? {
        Reply::Ok(page) => Ok(page.records),
        Reply::Fault(f) => Err(classify(&f).into()),
    }
}

/// A Salesforce Bulk 2.0 results CSV chunk (comma-delimited) to its records.
pub fn bulk_csv_chunk(body: &[u8]) -> Result<Vec<Record>> {
    crate::salesforce::bulk::rows::parse(body, b',', Some("Contact")).map(|r| r.records)
}
