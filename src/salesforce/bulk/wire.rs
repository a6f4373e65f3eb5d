//! The Bulk API 2.0 JSON bodies, as private serde structs: the create-job
//! request, the job-info response, and the `resultPages` listing. Unknown fields
//! are ignored; only what the client acts on is read.

use serde::{Deserialize, Serialize};

/// `POST /jobs/query` body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateJob<'a> {
    pub operation: &'a str,
    pub query: &'a str,
    pub content_type: &'a str,
    pub column_delimiter: &'a str,
    pub line_ending: &'a str,
}

/// A job-info body (create, get, abort).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct JobInfo {
    pub id: String,
    #[serde(default)]
    pub object: Option<String>,
    pub state: String,
    #[serde(default)]
    pub column_delimiter: Option<String>,
    /// A JSON number (`58.0`) on the wire; read leniently.
    #[serde(default)]
    pub api_version: Option<serde_json::Value>,
    #[serde(default)]
    pub number_records_processed: Option<u64>,
    #[serde(default)]
    pub error_message: Option<String>,
}

impl JobInfo {
    /// `apiVersion` as text with one decimal (`58.0`), when present.
    pub fn api_version(&self) -> Option<String> {
        match self.api_version.as_ref()? {
            serde_json::Value::Number(n) => n.as_f64().map(|v| format!("{v:.1}")),
            serde_json::Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }
}

/// The job states a poller acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum JobState {
    /// `Open`, `UploadComplete`, `InProgress`: still running.
    Running,
    /// `JobComplete`: results can be read.
    Complete,
    /// `Failed`.
    Failed,
    /// `Aborted`.
    Aborted,
    /// A state this client does not know; treated as running, bounded by the timeout.
    Unknown(String),
}

impl JobState {
    pub fn parse(s: &str) -> JobState {
        match s {
            "Open" | "UploadComplete" | "InProgress" => JobState::Running,
            "JobComplete" => JobState::Complete,
            "Failed" => JobState::Failed,
            "Aborted" => JobState::Aborted,
            other => JobState::Unknown(other.to_owned()),
        }
    }
}

/// One entry of `resultPages`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ResultPage {
    pub result_url: String,
}

/// `GET .../resultPages`. The docs name the next link both `nextRecordsUrl` and
/// `nextRecordUrl`, so both are read.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ResultPages {
    #[serde(default)]
    pub result_pages: Vec<ResultPage>,
    #[serde(default)]
    pub next_records_url: Option<String>,
    #[serde(default)]
    pub next_record_url: Option<String>,
    #[serde(default)]
    pub done: Option<bool>,
}

impl ResultPages {
    /// The link to the next listing; `None` when the listing says it is done.
    /// `Err` when it claims more but gives no link.
    pub fn next_link(&self) -> Result<Option<&str>, &'static str> {
        let link = self
            .next_records_url
            .as_deref()
            .or(self.next_record_url.as_deref())
            .filter(|l| !l.is_empty());
        match (self.done, link) {
            (Some(true), _) | (None, None) => Ok(None),
            (_, Some(l)) => Ok(Some(l)),
            (Some(false), None) => Err("resultPages says done=false but has no nextRecordsUrl"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_info_reads_the_documented_shape() {
        let j: JobInfo = serde_json::from_str(
            r#"{ "id": "7986gEXAMPLE4X2OPT", "operation": "query", "object": "Account",
                 "createdById": "0055fEXAMPLEtG4AAM", "createdDate": "2022-01-02T17:38:59.000+0000",
                 "systemModstamp": "2022-01-02T17:38:59.000+0000", "state": "UploadComplete",
                 "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": 58.0,
                 "lineEnding": "LF", "columnDelimiter": "COMMA" }"#,
        )
        .unwrap();
        assert_eq!(j.api_version().as_deref(), Some("58.0"));
        assert_eq!(JobState::parse(&j.state), JobState::Running);
        assert_eq!(j.object.as_deref(), Some("Account"));
    }

    #[test]
    fn result_pages_accept_both_spellings_of_the_next_link() {
        let a: ResultPages = serde_json::from_str(
            r#"{"resultPages":[{"resultUrl":"/a"}],"nextRecordsUrl":"/n1","done":false}"#,
        )
        .unwrap();
        assert_eq!(a.next_link(), Ok(Some("/n1")));
        let b: ResultPages =
            serde_json::from_str(r#"{"resultPages":[],"nextRecordUrl":"/n2","done":false}"#)
                .unwrap();
        assert_eq!(b.next_link(), Ok(Some("/n2")));
        let done: ResultPages =
            serde_json::from_str(r#"{"resultPages":[],"nextRecordsUrl":null,"done":true}"#)
                .unwrap();
        assert_eq!(done.next_link(), Ok(None));
        let broken: ResultPages =
            serde_json::from_str(r#"{"resultPages":[],"done":false}"#).unwrap();
        assert!(broken.next_link().is_err());
    }
}
