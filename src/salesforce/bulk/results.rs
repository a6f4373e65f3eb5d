//! Reading a completed job's results: one CSV results set
//! (`GET .../results?maxRecords=&locator=`, checked against its
//! `Sforce-NumberOfRecords` and `Sforce-Locator` headers), the `resultPages`
//! listing (API 58.0+), and a listing's result URLs fetched concurrently, in
//! order. Every server-provided URL passes the same-origin check before the
//! token is sent with it.

use super::wire::ResultPages;
use super::{Api, JobMeta};
use crate::auth::Session;
use crate::transport::{HttpResponse, excerpt, same_origin};
use crate::{BackendKind, Error, Fault, FaultCode, Record, Result};
use futures_util::{StreamExt, TryStreamExt};
use reqwest::Method;
use reqwest::header::{ACCEPT, ACCEPT_ENCODING};
use url::Url;

const KIND: BackendKind = BackendKind::SalesforceBulk;

/// `Sforce-NumberOfRecords`: rows in this results set.
const NUMBER_OF_RECORDS: &str = "sforce-numberofrecords";
/// `Sforce-Locator`: where the next set starts; the string `null` at the end.
const LOCATOR: &str = "sforce-locator";

/// One results set.
#[derive(Debug)]
pub(super) struct ResultSet {
    /// Its rows.
    pub records: Vec<Record>,
    /// The `Sforce-Locator` of the next set: `Some(None)` for `null` (done),
    /// `None` when the header was absent.
    pub next: Option<Option<String>>,
}

/// Fetches and parses one results set from `url` (sent once more with a new
/// token if the token is refused and can be refreshed). With `offer`, the
/// next set's locator is offered to the [`lookahead`](crate::lookahead) as
/// soon as the headers name it, before the CSV is read.
pub(super) async fn fetch_set(
    api: &Api,
    job: &JobMeta,
    url: Url,
    offer: bool,
) -> Result<ResultSet> {
    let url = &url;
    api.authorized(|s| fetch_set_as(api, job, url.clone(), s, offer))
        .await
}

async fn fetch_set_as(
    api: &Api,
    job: &JobMeta,
    url: Url,
    session: Session,
    offer: bool,
) -> Result<ResultSet> {
    let req = api
        .request(&session, Method::GET, url)?
        .header(ACCEPT, "text/csv")
        .header(ACCEPT_ENCODING, "gzip");
    let resp = api.http.send(req).await?;
    let status = resp.status().as_u16();
    if status != 200 {
        let resp = api.http.read(resp).await?;
        return Err(results_error(api, job, &resp));
    }
    let ctype = crate::transport::content_type(resp.headers());
    if ctype == "text/html" || ctype == "application/json" {
        let resp = api.http.read(resp).await?;
        return Err(Error::protocol(
            KIND,
            format!(
                "results for job {} came back as {ctype} instead of CSV: {}",
                job.id,
                excerpt(&resp.body)
            ),
        ));
    }
    let headers = resp.headers();
    let expected = match headers.get(NUMBER_OF_RECORDS).map(|v| v.to_str()) {
        Some(Ok(v)) => v.trim().parse::<usize>().map_err(|_| {
            Error::protocol(
                KIND,
                format!("Sforce-NumberOfRecords is not a number: {v:?}"),
            )
        })?,
        Some(Err(_)) => {
            return Err(Error::protocol(KIND, "Sforce-NumberOfRecords is not text"));
        }
        None => {
            return Err(Error::protocol(
                KIND,
                format!(
                    "results for job {} have no Sforce-NumberOfRecords header",
                    job.id
                ),
            ));
        }
    };
    let next = match headers.get(LOCATOR).map(|v| v.to_str()) {
        Some(Ok(v)) if v.trim() == "null" => Some(None),
        Some(Ok(v)) if !v.trim().is_empty() => Some(Some(v.trim().to_owned())),
        Some(_) => {
            return Err(Error::protocol(KIND, "Sforce-Locator is empty or not text"));
        }
        None => None,
    };
    if offer
        && let Some(Some(locator)) = &next
        && crate::lookahead::listening()
    {
        crate::lookahead::offer_next(|| {
            Some(super::SalesforceBulk::cursor(
                &job.id,
                Some(locator.clone()),
                None,
            ))
        });
        // Let the next set's request go out before this set's body is
        // pumped to the parser.
        crate::lookahead::let_offered_fetch_go().await;
    }
    let rows = super::rows::parse_response(
        &api.http,
        resp,
        job.delimiter,
        job.object.clone(),
        api.max_body,
    )
    .await?;
    if rows.records.len() != expected {
        return Err(Error::protocol(
            KIND,
            format!(
                "results for job {} hold {} rows but Sforce-NumberOfRecords says {expected}",
                job.id,
                rows.records.len()
            ),
        ));
    }
    Ok(ResultSet {
        records: rows.records,
        next,
    })
}

/// Fetches a `resultPages` listing.
pub(super) async fn listing(api: &Api, job: &JobMeta, url: Url) -> Result<ResultPages> {
    let url = &url;
    api.authorized(|s| async move {
        let req = api
            .request(&s, Method::GET, url.clone())?
            .header(ACCEPT, "application/json");
        let resp = api.http.execute(req).await?;
        if resp.status != 200 {
            return Err(results_error(api, job, &resp));
        }
        api.parse_json(&resp)
    })
    .await
}

/// Fetches every result URL of a listing, at most `concurrency` at a time, and
/// returns their rows in the listing's order. All URLs are checked before any
/// is requested.
pub(super) async fn fetch_listed(
    api: &Api,
    job: &JobMeta,
    listing: &ResultPages,
    concurrency: usize,
) -> Result<Vec<Record>> {
    let urls = listing
        .result_pages
        .iter()
        .map(|p| same_origin(KIND, &api.base, &p.result_url))
        .collect::<Result<Vec<_>>>()?;
    futures_util::stream::iter(urls)
        .map(|url| fetch_set(api, job, url, false))
        .buffered(concurrency.max(1))
        .try_fold(Vec::new(), |mut all, set| async move {
            all.extend(set.records);
            Ok(all)
        })
        .await
}

/// The error for a results or `resultPages` response that is not 200: 409 is
/// the API-version rule, 204 is an empty answer, 404 means the job is gone,
/// anything else is the service's error body.
fn results_error(api: &Api, job: &JobMeta, resp: &HttpResponse) -> Error {
    let service = crate::salesforce::common::error_from_response(KIND, resp);
    match resp.status {
        409 => {
            let created = match &job.api_version {
                Some(v) => format!("was created with API v{v}"),
                None => "was created with another API version".to_owned(),
            };
            let (raw, said) = match service.fault() {
                Some(f) => (f.raw_code.clone(), format!(" (server: {})", f.message)),
                None => ("API_VERSION_MISMATCH".to_owned(), String::new()),
            };
            Fault::new(
                KIND,
                raw,
                format!(
                    "API version mismatch: job {} {created}, and its results must be read with \
                     that version; this client uses v{}{said}",
                    job.id, api.version
                ),
            )
            .with_code(FaultCode::ApiVersionMismatch)
            .with_status(409)
            .into()
        }
        204 => Error::protocol(
            KIND,
            format!(
                "results for job {} answered 204 No Content: the server has no results to give \
                 (the request failed, or the job's results are gone)",
                job.id
            ),
        ),
        404 => super::job_gone(service, &job.id),
        _ => service,
    }
}
