//! Which protocol a source speaks: used in cursors, errors and logs.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The product and protocol behind a [`QuerySource`](crate::QuerySource).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum BackendKind {
    /// Zuora SOAP API: `login`, `query`, `queryMore`.
    ZuoraSoap,
    /// Zuora REST actions: `/v1/action/query`, `/v1/action/queryMore`.
    ZuoraRest,
    /// Salesforce REST API: `/query`, `/queryAll`, `nextRecordsUrl`.
    SalesforceRest,
    /// Salesforce SOAP partner API: `query`, `queryAll`, `queryMore`.
    SalesforceSoap,
    /// Salesforce Bulk API 2.0 query jobs.
    SalesforceBulk,
    /// The in-memory source for unit tests.
    Memory,
}

impl BackendKind {
    /// Every kind, in a stable order.
    pub const ALL: [BackendKind; 6] = [
        BackendKind::ZuoraSoap,
        BackendKind::ZuoraRest,
        BackendKind::SalesforceRest,
        BackendKind::SalesforceSoap,
        BackendKind::SalesforceBulk,
        BackendKind::Memory,
    ];

    /// The kebab-case name used on the command line and in serialized cursors.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::ZuoraSoap => "zuora-soap",
            BackendKind::ZuoraRest => "zuora-rest",
            BackendKind::SalesforceRest => "salesforce-rest",
            BackendKind::SalesforceSoap => "salesforce-soap",
            BackendKind::SalesforceBulk => "salesforce-bulk",
            BackendKind::Memory => "memory",
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for BackendKind {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::Result<Self> {
        BackendKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| crate::Error::InvalidInput {
                what: "backend",
                reason: format!(
                    "unknown backend {s:?}; expected one of zuora-soap, zuora-rest, \
                     salesforce-rest, salesforce-soap, salesforce-bulk, memory"
                ),
            })
    }
}
