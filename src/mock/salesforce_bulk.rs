//! Mock Salesforce Bulk API 2.0 query jobs under `/services/data/vXX.X/jobs/query`.
//!
//! - `POST /jobs/query` creates a job (`query` or `queryAll`, CSV, any documented
//!   `columnDelimiter` and `lineEnding`) in state `UploadComplete`; the job
//!   remembers the API version of the path that created it.
//! - `GET /jobs/query/{id}` polls it: `InProgress`, then after
//!   [`BulkJobs::set_polls_to_complete`] polls (default 2) its final state:
//!   `JobComplete`, or whatever [`BulkJobs::push_outcome`] queued for it
//!   (`Failed` with an `errorMessage`, `Aborted`, or running forever).
//! - `PATCH /jobs/query/{id}` with `{"state": "Aborted"}` aborts a running job;
//!   `DELETE` removes a finished one (204).
//! - `GET .../results?locator=&maxRecords=` serves CSV (every cell quoted, nulls
//!   as `""`, header in SELECT order, dotted relationship columns) with
//!   `Sforce-NumberOfRecords` and `Sforce-Locator` (`null` on the last set).
//!   Locators are opaque: 128 bits from a per-server random key, remembered per
//!   job and reusable while the job exists, so they cannot be guessed.
//! - `GET .../resultPages?locator=&maxRecords=` lists up to five result URLs plus
//!   `nextRecordsUrl` and `done`.
//! - Results or resultPages under another API version than the job's: 409.
//!   A missing or unknown bearer token: 401 `INVALID_SESSION_ID`.
//! - Injected faults: `ExpireSession` ends the request's token and answers
//!   401 (the token stays refused until the client asks for a new one);
//!   `InvalidLocator` answers a results or resultPages request with 400
//!   `INVALID_LOCATOR`.
//!
//! The error codes for bad job requests (`INVALIDJOB`, `INVALIDJOBSTATE`,
//! `INVALID_LOCATOR`, `API_VERSION_MISMATCH`) follow the REST error-array shape;
//! Salesforce documents the statuses, not these exact codes.

use super::http::{bearer, json, salesforce_error};
use super::{Injected, InjectedFault, MockFault, MockState, injected, select};
use crate::Value;
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::json as j;
use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// `maxRecords` when a results request sends none.
const DEFAULT_MAX_RECORDS: usize = 50_000;
/// Result URLs per `resultPages` answer.
const URLS_PER_LISTING: usize = 5;
/// Rows rendered per body chunk.
const ROWS_PER_CHUNK: usize = 512;

/// How a job created from now on will end.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JobOutcome {
    /// `JobComplete` (the default).
    Complete,
    /// `Failed`, with this `errorMessage`.
    Failed(String),
    /// `Aborted` (as if someone aborted it).
    Aborted,
    /// Stays `InProgress` forever (for timeout tests).
    NeverCompletes,
}

/// The mock's Bulk API 2.0 query jobs and the knobs tests turn
/// (`mock.state().bulk()`).
#[derive(Debug)]
pub struct BulkJobs {
    jobs: Mutex<HashMap<String, Job>>,
    seq: AtomicU64,
    polls_to_complete: AtomicU32,
    outcomes: Mutex<VecDeque<JobOutcome>>,
    keys: (RandomState, RandomState),
    locator_seq: AtomicU64,
}

impl Default for BulkJobs {
    fn default() -> Self {
        BulkJobs {
            jobs: Mutex::new(HashMap::new()),
            seq: AtomicU64::new(0),
            polls_to_complete: AtomicU32::new(2),
            outcomes: Mutex::new(VecDeque::new()),
            keys: (RandomState::new(), RandomState::new()),
            locator_seq: AtomicU64::new(0),
        }
    }
}

impl BulkJobs {
    /// How many polls a new job takes to reach its final state (default 2:
    /// `InProgress`, then final). 0 and 1 both mean "final on the first poll".
    pub fn set_polls_to_complete(&self, polls: u32) {
        self.polls_to_complete.store(polls, Ordering::Relaxed);
    }

    /// Queues the outcome of the next job created (then the next, in order);
    /// jobs with nothing queued complete.
    pub fn push_outcome(&self, outcome: JobOutcome) {
        self.lock_outcomes().push_back(outcome);
    }

    /// Number of jobs that exist.
    pub fn job_count(&self) -> usize {
        self.lock().len()
    }

    /// A job's state (`InProgress`, `JobComplete`, `Aborted`, ...), if it exists.
    pub fn state(&self, job_id: &str) -> Option<String> {
        self.lock().get(job_id).map(|j| j.state.as_str().to_owned())
    }

    /// The ids of every job, oldest first.
    pub fn job_ids(&self) -> Vec<String> {
        let jobs = self.lock();
        let mut ids: Vec<_> = jobs.values().map(|j| (j.seq, j.id.clone())).collect();
        ids.sort();
        ids.into_iter().map(|(_, id)| id).collect()
    }

    /// An opaque, unguessable locator for `offset`, stable for the job.
    fn locator(&self, job: &mut Job, offset: usize) -> String {
        if let Some(l) = job.locator_at.get(&offset) {
            return l.clone();
        }
        let n = self.locator_seq.fetch_add(1, Ordering::Relaxed);
        let mut bytes = [0u8; 16];
        for (half, key) in [&self.keys.0, &self.keys.1].into_iter().enumerate() {
            let mut h = key.build_hasher();
            h.write(job.id.as_bytes());
            h.write_usize(offset);
            h.write_u64(n);
            bytes[half * 8..half * 8 + 8].copy_from_slice(&h.finish().to_le_bytes());
        }
        let l = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        job.locators.insert(l.clone(), offset);
        job.locator_at.insert(offset, l.clone());
        l
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Job>> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_outcomes(&self) -> std::sync::MutexGuard<'_, VecDeque<JobOutcome>> {
        self.outcomes.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobState {
    UploadComplete,
    InProgress,
    JobComplete,
    Failed,
    Aborted,
}

impl JobState {
    fn as_str(self) -> &'static str {
        match self {
            JobState::UploadComplete => "UploadComplete",
            JobState::InProgress => "InProgress",
            JobState::JobComplete => "JobComplete",
            JobState::Failed => "Failed",
            JobState::Aborted => "Aborted",
        }
    }

    fn is_running(self) -> bool {
        matches!(self, JobState::UploadComplete | JobState::InProgress)
    }
}

#[derive(Debug, Clone)]
struct Job {
    id: String,
    seq: u64,
    operation: &'static str,
    object: String,
    fields: Arc<Vec<String>>,
    /// Table row indices the query matches, in order.
    rows: Arc<Vec<u32>>,
    api_version: String,
    delimiter: (&'static str, u8),
    line_ending: &'static str,
    created: DateTime<Utc>,
    modified: DateTime<Utc>,
    state: JobState,
    polls: u32,
    polls_to_complete: u32,
    outcome: JobOutcome,
    error_message: Option<String>,
    locators: HashMap<String, usize>,
    locator_at: HashMap<usize, String>,
}

impl Job {
    fn base_json(&self) -> serde_json::Map<String, serde_json::Value> {
        let version: f64 = self.api_version.parse().unwrap_or(0.0);
        let j = j!({
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "createdById": "0055g00000MOCKUSAA",
            "createdDate": sf_time(self.created),
            "systemModstamp": sf_time(self.modified),
            "state": self.state.as_str(),
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": version,
            "lineEnding": self.line_ending,
            "columnDelimiter": self.delimiter.0,
        });
        match j {
            serde_json::Value::Object(m) => m,
            _ => serde_json::Map::new(),
        }
    }

    fn info_json(&self) -> serde_json::Value {
        let mut m = self.base_json();
        let done = self.state == JobState::JobComplete;
        m.insert("jobType".into(), j!("V2Query"));
        m.insert(
            "numberRecordsProcessed".into(),
            j!(if done { self.rows.len() } else { 0 }),
        );
        m.insert("retries".into(), j!(0));
        m.insert(
            "totalProcessingTime".into(),
            j!(u64::from(self.polls) * 150),
        );
        m.insert("isPkChunkingSupported".into(), j!(true));
        if let Some(msg) = &self.error_message {
            m.insert("errorMessage".into(), j!(msg));
        }
        serde_json::Value::Object(m)
    }
}

/// `2022-01-02T17:38:59.000+0000`, as Salesforce writes job timestamps.
fn sf_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// The routes this backend serves.
pub(crate) fn routes() -> Router<MockState> {
    Router::new()
        .route("/services/data/{version}/jobs/query", post(create))
        .route(
            "/services/data/{version}/jobs/query/{id}",
            get(info).patch(abort).delete(delete),
        )
        .route(
            "/services/data/{version}/jobs/query/{id}/results",
            get(results),
        )
        .route(
            "/services/data/{version}/jobs/query/{id}/resultPages",
            get(result_pages),
        )
}

/// A request turned away: its error response (boxed, as responses are large).
struct Refused(Box<Response>);

impl From<Response> for Refused {
    fn from(r: Response) -> Self {
        Refused(Box::new(r))
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// The version in a `vXX.X` path segment.
fn path_version(segment: &str) -> Option<String> {
    crate::salesforce::common::normalize_version(segment.strip_prefix('v')?).ok()
}

/// Checks the bearer token (an injected `ExpireSession` ends it) and the path
/// version; the error response otherwise.
fn admit(
    state: &MockState,
    headers: &HeaderMap,
    fault: Option<&MockFault>,
    version: &str,
) -> Result<String, Refused> {
    if state.live_session(bearer(headers), fault).is_none() {
        return Err(salesforce_error(
            StatusCode::UNAUTHORIZED,
            "INVALID_SESSION_ID",
            "Session expired or invalid",
        )
        .into());
    }
    path_version(version).ok_or_else(not_found)
}

fn not_found() -> Refused {
    salesforce_error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "The requested resource does not exist",
    )
    .into()
}

fn bad_request(code: &str, message: &str) -> Refused {
    salesforce_error(StatusCode::BAD_REQUEST, code, message).into()
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody {
    operation: Option<String>,
    query: Option<String>,
    content_type: Option<String>,
    column_delimiter: Option<String>,
    line_ending: Option<String>,
}

const DELIMITERS: [(&str, u8); 6] = [
    ("COMMA", b','),
    ("BACKQUOTE", b'`'),
    ("CARET", b'^'),
    ("PIPE", b'|'),
    ("SEMICOLON", b';'),
    ("TAB", b'\t'),
];

async fn create(
    State(state): State<MockState>,
    Path(version): Path<String>,
    headers: HeaderMap,
    fault: Injected,
    body: Bytes,
) -> Result<Response, Refused> {
    let version = admit(&state, &headers, injected(&fault), &version)?;
    let Ok(req) = serde_json::from_slice::<CreateBody>(&body) else {
        return Err(bad_request(
            "JSON_PARSER_ERROR",
            "The request body is not valid JSON",
        ));
    };
    let operation = match req.operation.as_deref() {
        Some("query") => "query",
        Some("queryAll") => "queryAll",
        _ => {
            return Err(bad_request(
                "INVALIDJOB",
                "operation must be query or queryAll",
            ));
        }
    };
    if !matches!(req.content_type.as_deref(), None | Some("CSV")) {
        return Err(bad_request("INVALIDJOB", "contentType must be CSV"));
    }
    let delimiter = match req.column_delimiter.as_deref() {
        None => DELIMITERS[0],
        Some(name) => match DELIMITERS.iter().find(|(n, _)| *n == name) {
            Some(d) => *d,
            None => return Err(bad_request("INVALIDJOB", "unknown columnDelimiter")),
        },
    };
    let line_ending = match req.line_ending.as_deref() {
        None | Some("LF") => "LF",
        Some("CRLF") => "CRLF",
        Some(_) => return Err(bad_request("INVALIDJOB", "lineEnding must be LF or CRLF")),
    };
    let text = req.query.unwrap_or_default();
    let sel = match select::parse(&text, state.dataset().tables()) {
        Ok(s) => s,
        Err(e) => return Err(bad_request(e.code(), &e.message())),
    };
    let Some(table) = state.dataset().table(&sel.object) else {
        return Err(bad_request(
            "INVALID_TYPE",
            "sObject type is not supported.",
        ));
    };
    let include_deleted = operation == "queryAll";
    let rows: Vec<u32> = (0..table.len())
        .filter(|&i| include_deleted || !table.is_deleted(i))
        .filter_map(|i| u32::try_from(i).ok())
        .collect();
    let bulk = state.bulk();
    let seq = bulk.seq.fetch_add(1, Ordering::Relaxed) + 1;
    let now = state.clock().now();
    let job = Job {
        id: format!("7505g0000{seq:07}AA"),
        seq,
        operation,
        object: sel.object,
        fields: Arc::new(sel.fields),
        rows: Arc::new(rows),
        api_version: version,
        delimiter,
        line_ending,
        created: now,
        modified: now,
        state: JobState::UploadComplete,
        polls: 0,
        polls_to_complete: bulk.polls_to_complete.load(Ordering::Relaxed).max(1),
        outcome: bulk
            .lock_outcomes()
            .pop_front()
            .unwrap_or(JobOutcome::Complete),
        error_message: None,
        locators: HashMap::new(),
        locator_at: HashMap::new(),
    };
    let body = serde_json::Value::Object(job.base_json());
    bulk.lock().insert(job.id.clone(), job);
    Ok(json(StatusCode::OK, &body))
}

async fn info(
    State(state): State<MockState>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
    fault: Injected,
) -> Result<Response, Refused> {
    admit(&state, &headers, injected(&fault), &version)?;
    let now = state.clock().now();
    let mut jobs = state.bulk().lock();
    let Some(job) = jobs.get_mut(&id) else {
        return Err(not_found());
    };
    if job.state.is_running() {
        job.polls += 1;
        let next = if job.polls < job.polls_to_complete {
            JobState::InProgress
        } else {
            match &job.outcome {
                JobOutcome::Complete => JobState::JobComplete,
                JobOutcome::Failed(msg) => {
                    job.error_message = Some(msg.clone());
                    JobState::Failed
                }
                JobOutcome::Aborted => JobState::Aborted,
                JobOutcome::NeverCompletes => JobState::InProgress,
            }
        };
        if next != job.state {
            job.state = next;
            job.modified = now;
        }
    }
    Ok(json(StatusCode::OK, &job.info_json()))
}

async fn abort(
    State(state): State<MockState>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
    fault: Injected,
    body: Bytes,
) -> Result<Response, Refused> {
    admit(&state, &headers, injected(&fault), &version)?;
    let wanted = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("state").and_then(|s| s.as_str()).map(str::to_owned));
    if wanted.as_deref() != Some("Aborted") {
        return Err(bad_request(
            "INVALIDJOBSTATE",
            "a query job can only be set to Aborted",
        ));
    }
    let now = state.clock().now();
    let mut jobs = state.bulk().lock();
    let Some(job) = jobs.get_mut(&id) else {
        return Err(not_found());
    };
    if !job.state.is_running() {
        return Err(bad_request(
            "INVALIDJOBSTATE",
            &format!("Cannot abort a job in state {}", job.state.as_str()),
        ));
    }
    job.state = JobState::Aborted;
    job.modified = now;
    Ok(json(StatusCode::OK, &job.info_json()))
}

async fn delete(
    State(state): State<MockState>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
    fault: Injected,
) -> Result<Response, Refused> {
    admit(&state, &headers, injected(&fault), &version)?;
    let mut jobs = state.bulk().lock();
    match jobs.get(&id).map(|j| j.state) {
        None => Err(not_found()),
        Some(s) if s.is_running() => Err(bad_request(
            "API_ERROR",
            "Error encountered when deleting the job because the job is not terminated",
        )),
        Some(_) => {
            jobs.remove(&id);
            Ok(StatusCode::NO_CONTENT.into_response())
        }
    }
}

/// A completed job, read under the version that created it, at a known locator.
struct Position {
    object: String,
    fields: Arc<Vec<String>>,
    rows: Arc<Vec<u32>>,
    delimiter: u8,
    crlf: bool,
    start: usize,
    max: usize,
}

/// What a `results` or `resultPages` request reads: the job (its id and the
/// path's version) and the position asked for, with the session, the
/// version, the job's state, the locator and `maxRecords` checked.
struct ResultsRequest {
    id: String,
    version: String,
    pos: Position,
}

impl FromRequestParts<MockState> for ResultsRequest {
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, state: &MockState) -> Result<Self, Refused> {
        let Path((version, id)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|e| Refused::from(e.into_response()))?;
        let Query(params) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| Refused::from(e.into_response()))?;
        let fault = parts.extensions.get::<InjectedFault>().map(|f| &f.0);
        let version = admit(state, &parts.headers, fault, &version)?;
        let pos = position(state, &id, &version, &params, fault)?;
        Ok(ResultsRequest { id, version, pos })
    }
}

fn position(
    state: &MockState,
    id: &str,
    version: &str,
    params: &HashMap<String, String>,
    fault: Option<&MockFault>,
) -> Result<Position, Refused> {
    let jobs = state.bulk().lock();
    let job = jobs.get(id).ok_or_else(not_found)?;
    if job.api_version != version {
        return Err(salesforce_error(
            StatusCode::CONFLICT,
            "API_VERSION_MISMATCH",
            &format!(
                "Query results must be retrieved with the API version used to create the job \
                 ({}); this request used {version}",
                job.api_version
            ),
        )
        .into());
    }
    if job.state != JobState::JobComplete {
        return Err(bad_request(
            "INVALIDJOBSTATE",
            &format!(
                "Results are available only for a job in state JobComplete; it is {}",
                job.state.as_str()
            ),
        ));
    }
    let invalid = || bad_request("INVALID_LOCATOR", "Invalid locator");
    let start = match params.get("locator").filter(|l| !l.is_empty()) {
        _ if fault == Some(&MockFault::InvalidLocator) => return Err(invalid()),
        None => 0,
        Some(l) => *job.locators.get(l).ok_or_else(invalid)?,
    };
    let max = match params.get("maxRecords") {
        None => DEFAULT_MAX_RECORDS,
        Some(m) => match m.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(bad_request(
                    "INVALIDJOB",
                    "maxRecords must be a positive integer",
                ));
            }
        },
    };
    Ok(Position {
        object: job.object.clone(),
        fields: job.fields.clone(),
        rows: job.rows.clone(),
        delimiter: job.delimiter.1,
        crlf: job.line_ending == "CRLF",
        start,
        max,
    })
}

/// `GET .../results`: one set of rows as CSV, with the next set's locator.
async fn results(
    State(state): State<MockState>,
    ResultsRequest { id, pos, .. }: ResultsRequest,
) -> Result<Response, Refused> {
    let end = pos.start.saturating_add(pos.max).min(pos.rows.len());
    let start = pos.start.min(end);
    let next = if end < pos.rows.len() {
        let mut jobs = state.bulk().lock();
        let job = jobs.get_mut(&id).ok_or_else(not_found)?;
        state.bulk().locator(job, end)
    } else {
        "null".to_owned()
    };
    let count = end - start;
    state.page_delay(count).await;
    let mut resp = Response::new(csv_body(state.clone(), pos, start..end));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv"));
    h.insert("Sforce-NumberOfRecords", HeaderValue::from(count));
    if let Ok(v) = HeaderValue::from_str(&next) {
        h.insert("Sforce-Locator", v);
    }
    Ok(resp)
}

/// `GET .../resultPages`: up to five result URLs from the position, and the
/// next listing's URL.
async fn result_pages(
    State(state): State<MockState>,
    ResultsRequest { id, version, pos }: ResultsRequest,
) -> Result<Response, Refused> {
    let total = pos.rows.len();
    let base = format!("/services/data/v{version}/jobs/query/{id}");
    let mut jobs = state.bulk().lock();
    let job = jobs.get_mut(&id).ok_or_else(not_found)?;
    let mut pages = Vec::new();
    let mut offset = pos.start;
    while offset < total && pages.len() < URLS_PER_LISTING {
        let l = state.bulk().locator(job, offset);
        pages.push(j!({
            "resultUrl": format!("{base}/results?locator={l}&maxRecords={}", pos.max)
        }));
        offset = offset.saturating_add(pos.max);
    }
    let mut body = serde_json::Map::new();
    body.insert("resultPages".into(), serde_json::Value::Array(pages));
    let done = offset >= total;
    if !done {
        let l = state.bulk().locator(job, offset);
        body.insert(
            "nextRecordsUrl".into(),
            j!(format!(
                "{base}/resultPages?locator={l}&maxRecords={}",
                pos.max
            )),
        );
    }
    body.insert("done".into(), j!(done));
    Ok(json(StatusCode::OK, &serde_json::Value::Object(body)))
}

/// The CSV of rows `range` of a job, rendered a chunk at a time as the body is sent.
fn csv_body(state: MockState, pos: Position, range: std::ops::Range<usize>) -> Body {
    let pos = Arc::new(pos);
    let chunks = futures_util::stream::unfold(Some(range.start), move |at| {
        let state = state.clone();
        let pos = pos.clone();
        let end = range.end;
        async move {
            let at = at?;
            let stop = at.saturating_add(ROWS_PER_CHUNK).min(end);
            let bytes = render(&state, &pos, at == range.start, at..stop);
            let next = (stop < end).then_some(stop);
            Some((Ok::<_, std::convert::Infallible>(Bytes::from(bytes)), next))
        }
    });
    Body::from_stream(chunks)
}

/// Renders the header (when `header`) and rows `range` as CSV.
fn render(
    state: &MockState,
    pos: &Position,
    header: bool,
    range: std::ops::Range<usize>,
) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(pos.delimiter)
        .quote_style(csv::QuoteStyle::Always)
        .terminator(if pos.crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .from_writer(Vec::with_capacity(range.len() * 128 + 128));
    if header {
        let _ = w.write_record(pos.fields.iter());
    }
    if let Some(table) = state.dataset().table(&pos.object) {
        for &i in pos.rows.get(range).unwrap_or_default() {
            let row = table.row(i as usize);
            for f in pos.fields.iter() {
                let text = row.get_path(f).and_then(Value::to_text);
                let _ = w.write_field(text.as_deref().unwrap_or(""));
            }
            let _ = w.write_record(None::<&[u8]>);
        }
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_job() -> Job {
        Job {
            id: "7505g00000000001AA".into(),
            seq: 1,
            operation: "query",
            object: "Account".into(),
            fields: Arc::new(vec![]),
            rows: Arc::new(vec![]),
            api_version: "62.0".into(),
            delimiter: DELIMITERS[0],
            line_ending: "LF",
            created: DateTime::UNIX_EPOCH,
            modified: DateTime::UNIX_EPOCH,
            state: JobState::JobComplete,
            polls: 0,
            polls_to_complete: 2,
            outcome: JobOutcome::Complete,
            error_message: None,
            locators: HashMap::new(),
            locator_at: HashMap::new(),
        }
    }

    #[test]
    fn locators_are_opaque_stable_and_distinct() {
        let bulk = BulkJobs::default();
        let mut job = test_job();
        let a = bulk.locator(&mut job, 50_000);
        let b = bulk.locator(&mut job, 100_000);
        assert_ne!(a, b);
        assert_eq!(bulk.locator(&mut job, 50_000), a, "stable per offset");
        assert_eq!(a.len(), 22, "128 bits, base64url");
        assert!(!a.contains("50000") && !a.contains("NTAwMDA"), "{a}");
        assert_eq!(job.locators.get(&a), Some(&50_000));
        // another server (another random key) gives another locator
        let other = BulkJobs::default();
        assert_ne!(other.locator(&mut test_job(), 50_000), a);
    }

    #[test]
    fn job_timestamps_use_the_plus_0000_form() {
        let t = DateTime::from_timestamp(1_641_145_139, 0).unwrap();
        assert_eq!(sf_time(t), "2022-01-02T17:38:59.000+0000");
    }
}
