//! The JSON bodies of the Zuora REST query actions, as private serde structs
//! (field names exactly as on the wire).

use crate::Record;
use serde::{Deserialize, Serialize};

/// `POST /v1/action/query`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QueryRequest<'a> {
    pub query_string: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conf: Option<Conf>,
}

/// `POST /v1/action/queryMore`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QueryMoreRequest<'a> {
    pub query_locator: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conf: Option<Conf>,
}

/// `conf`: only the page size is used.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Conf {
    pub batch_size: u32,
}

impl Conf {
    /// The `conf` to send for a batch size: none for "the server's default"
    /// (unset or 0, since the REST range is 1..=2000).
    pub fn for_batch_size(n: Option<u32>) -> Option<Conf> {
        n.filter(|&n| n > 0).map(|batch_size| Conf { batch_size })
    }
}

/// The 200 answer of both actions. `queryLocator` is absent on the last page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QueryResponse {
    #[serde(default)]
    pub done: Option<bool>,
    #[serde(default)]
    pub query_locator: Option<String>,
    #[serde(default)]
    pub records: Option<Vec<Record>>,
    #[serde(default)]
    pub size: Option<u64>,
}

/// A 400 `FaultResponse`.
#[derive(Debug, Deserialize)]
pub(crate) struct FaultResponse {
    #[serde(rename = "FaultCode")]
    pub fault_code: Option<String>,
    #[serde(rename = "FaultMessage")]
    pub fault_message: Option<String>,
}

/// A 401 `ProxyUnauthorizedResponse`, or a 403/429 `CommonErrorResponse`
/// (`code` is a number there).
#[derive(Debug, Deserialize)]
pub(crate) struct MessageResponse {
    #[serde(default)]
    pub code: Option<serde_json::Value>,
    pub message: Option<String>,
}
