//! The query job's life: create it (`POST /jobs/query`), poll it
//! (`GET /jobs/query/{id}`) with a bounded, growing interval until `JobComplete`,
//! and abort it (`PATCH {"state": "Aborted"}`). `Failed` and `Aborted` become
//! typed faults carrying the job's `errorMessage`; a wait past the job timeout is
//! [`Error::Timeout`], optionally aborting the job first.

use super::Api;
use super::wire::{CreateJob, JobInfo, JobState};
use crate::{BackendKind, Error, Fault, FaultCode, Query, Result, Scope};
use reqwest::Method;
use std::time::{Duration, Instant};

const KIND: BackendKind = BackendKind::SalesforceBulk;

/// How a job is waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PollPolicy {
    /// The first wait between polls.
    pub interval: Duration,
    /// The longest wait between polls (the interval doubles up to it).
    pub max_interval: Duration,
    /// The longest wait for the job in all.
    pub timeout: Duration,
    /// Abort the job when the timeout ends the wait.
    pub abort_on_timeout: bool,
}

/// Creates a CSV query job for `query` (`query` or `queryAll`).
pub(super) async fn create(
    api: &Api,
    query: &Query,
    column_delimiter: &str,
    line_ending: &str,
) -> Result<JobInfo> {
    let body = CreateJob {
        operation: match query.scope {
            Scope::Active => "query",
            Scope::All => "queryAll",
        },
        query: &query.text,
        content_type: "CSV",
        column_delimiter,
        line_ending,
    };
    let url = &api.jobs_url(&[])?;
    let body = &body;
    api.authorized(|s| async move {
        api.json(api.request(&s, Method::POST, url.clone())?.json(body))
            .await
    })
    .await
}

/// The job's current information.
pub(super) async fn info(api: &Api, job_id: &str) -> Result<JobInfo> {
    let url = &api.jobs_url(&[job_id])?;
    api.authorized(|s| async move { api.json(api.request(&s, Method::GET, url.clone())?).await })
        .await
}

/// Asks the server to abort the job.
pub(super) async fn abort(api: &Api, job_id: &str) -> Result<JobInfo> {
    let url = &api.jobs_url(&[job_id])?;
    let body = &serde_json::json!({ "state": "Aborted" });
    api.authorized(|s| async move {
        api.json(api.request(&s, Method::PATCH, url.clone())?.json(body))
            .await
    })
    .await
}

/// Waits until the job is `JobComplete`, starting from `job` (already fetched).
/// A retryable error while polling (a 503, a reset) is logged and polling goes
/// on: the wait is bounded by the policy's timeout either way.
pub(super) async fn wait(api: &Api, mut job: JobInfo, policy: &PollPolicy) -> Result<JobInfo> {
    let started = Instant::now();
    let deadline = started + policy.timeout;
    let mut delay = policy.interval;
    loop {
        if is_complete(&job)? {
            return Ok(job);
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(timed_out(api, &job.id, policy).await);
        }
        tokio::time::sleep(delay.min(deadline - now)).await;
        delay = delay.saturating_mul(2).min(policy.max_interval);
        match info(api, &job.id).await {
            Ok(next) => job = next,
            Err(e) if e.is_retryable() => {
                tracing::debug!(job = %job.id, error = %e, "polling the Bulk job failed; polling on");
                if let Some(after) = e.retry_after() {
                    delay = delay.max(after);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// `Ok(true)` when complete, `Ok(false)` while running, the typed fault when
/// the job failed or was aborted.
pub(super) fn is_complete(job: &JobInfo) -> Result<bool> {
    match JobState::parse(&job.state) {
        JobState::Complete => Ok(true),
        JobState::Running => Ok(false),
        JobState::Unknown(state) => {
            tracing::debug!(job = %job.id, %state, "unknown Bulk job state; still waiting");
            Ok(false)
        }
        JobState::Failed => Err(Fault::new(
            KIND,
            "Failed",
            format!(
                "Bulk query job {} failed: {}",
                job.id,
                job.error_message
                    .as_deref()
                    .filter(|m| !m.is_empty())
                    .unwrap_or("no errorMessage given")
            ),
        )
        .with_code(FaultCode::JobFailed)
        .into()),
        JobState::Aborted => Err(Fault::new(
            KIND,
            "Aborted",
            match job.error_message.as_deref().filter(|m| !m.is_empty()) {
                Some(m) => format!("Bulk query job {} was aborted: {m}", job.id),
                None => format!("Bulk query job {} was aborted", job.id),
            },
        )
        .with_code(FaultCode::JobAborted)
        .into()),
    }
}

async fn timed_out(api: &Api, job_id: &str, policy: &PollPolicy) -> Error {
    if policy.abort_on_timeout {
        match abort(api, job_id).await {
            Ok(_) => tracing::info!(job = %job_id, "aborted the Bulk job after the wait timed out"),
            Err(e) => tracing::warn!(job = %job_id, error = %e, "could not abort the Bulk job"),
        }
    }
    Error::Timeout {
        backend: KIND,
        what: "the Bulk query job",
        after: policy.timeout,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(state: &str, message: Option<&str>) -> JobInfo {
        JobInfo {
            id: "750R0000000zxr8IAA".into(),
            object: Some("Account".into()),
            state: state.into(),
            column_delimiter: None,
            api_version: None,
            number_records_processed: None,
            error_message: message.map(str::to_owned),
        }
    }

    #[test]
    fn states_map_to_progress_or_typed_faults() {
        assert!(is_complete(&job("JobComplete", None)).unwrap());
        assert!(!is_complete(&job("InProgress", None)).unwrap());
        assert!(!is_complete(&job("UploadComplete", None)).unwrap());
        let failed =
            is_complete(&job("Failed", Some("INVALID_FIELD: no such column"))).unwrap_err();
        assert_eq!(failed.fault().map(|f| &f.code), Some(&FaultCode::JobFailed));
        assert!(failed.to_string().contains("no such column"), "{failed}");
        assert!(!failed.is_retryable());
        let aborted = is_complete(&job("Aborted", None)).unwrap_err();
        assert_eq!(
            aborted.fault().map(|f| &f.code),
            Some(&FaultCode::JobAborted)
        );
        assert!(aborted.to_string().contains("was aborted"), "{aborted}");
    }
}
