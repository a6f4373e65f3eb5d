//! SOAP over HTTP, shared by the dialects: posting an envelope, the checks in
//! front of a parser (status, content type, HTML pages, empty bodies), turning
//! a parsed body or fault into the call's result, and the server URL a `login`
//! names, refused on another origin than the endpoint unless allowed.

use super::fault::SoapFault;
use crate::salesforce::common::status_error;
use crate::transport::{Head, Http, HttpResponse, excerpt, looks_like_html, same_origin};
use crate::{BackendKind, Error, Fault, Result};
use reqwest::header::CONTENT_TYPE;
use url::Url;

/// A response body: the operation's result, or a SOAP fault.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reply<T> {
    /// The operation's result.
    Ok(T),
    /// A `soapenv:Fault`.
    Fault(SoapFault),
}

/// Posts a SOAP 1.1 envelope (`text/xml`, `SOAPAction: ""` as both WSDLs bind
/// every operation) and reads the answer.
pub(crate) async fn post(http: &Http, url: &Url, body: Vec<u8>) -> Result<HttpResponse> {
    http.execute(request(http, url, body)).await
}

/// [`post`], showing `head` (if any) the start of a successful answer as it
/// arrives.
pub(crate) async fn post_with_head(
    http: &Http,
    url: &Url,
    body: Vec<u8>,
    head: Option<impl FnMut(&[u8]) -> Head + Send>,
) -> Result<HttpResponse> {
    http.execute_with_head(request(http, url, body), head).await
}

fn request(http: &Http, url: &Url, body: Vec<u8>) -> reqwest::RequestBuilder {
    http.client()
        .post(url.clone())
        .header(CONTENT_TYPE, "text/xml; charset=utf-8")
        .header("SOAPAction", "\"\"")
        .body(body)
}

/// A URL without user info, query or fragment: safe to print.
pub(crate) fn display_url(url: &Url) -> String {
    format!("{}{}", url.origin().ascii_serialization(), url.path())
}

/// Parses a builder's endpoint: an absolute http(s) URL with a host.
pub(crate) fn parse_endpoint(raw: Option<String>, what: &str) -> Result<Url> {
    let raw = raw.ok_or_else(|| Error::InvalidInput {
        what: "endpoint",
        reason: format!("set the {what} endpoint URL"),
    })?;
    let endpoint = Url::parse(raw.trim()).map_err(|e| Error::InvalidInput {
        what: "endpoint",
        reason: format!("{raw:?} is not a URL: {e}"),
    })?;
    if !matches!(endpoint.scheme(), "http" | "https") || endpoint.host().is_none() {
        return Err(Error::InvalidInput {
            what: "endpoint",
            reason: format!("{} is not an http(s) URL", display_url(&endpoint)),
        });
    }
    Ok(endpoint)
}

/// Where calls go after `login`: the server URL it named, resolved against the
/// endpoint. On another origin it is refused unless `allow_origin_change`
/// (`setter` names the builder method that allows it).
pub(crate) fn server_url(
    kind: BackendKind,
    endpoint: &Url,
    raw: &str,
    allow_origin_change: bool,
    setter: &str,
) -> Result<Url> {
    if !allow_origin_change {
        return same_origin(kind, endpoint, raw).map_err(|e| match e {
            Error::Protocol { message, .. } => Error::protocol(
                kind,
                format!("login's server URL: {message}; allow it with {setter}(true)"),
            ),
            other => other,
        });
    }
    let url = endpoint.join(raw).map_err(|e| {
        Error::protocol(kind, format!("login returned an unusable server URL: {e}"))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::protocol(
            kind,
            format!("login returned a non-HTTP server URL ({})", url.scheme()),
        ));
    }
    Ok(url)
}

/// Refuses responses that cannot be SOAP: an empty body, an HTML page, a
/// non-XML content type. A failing status with such a body is classified by the
/// status (429 and 5xx are retryable).
pub(crate) fn check_http(kind: BackendKind, resp: &HttpResponse) -> Result<()> {
    let ok = (200..300).contains(&resp.status);
    let ct = resp.content_type();
    let xml_type = matches!(
        ct.as_str(),
        "" | "text/xml" | "application/soap+xml" | "application/xml"
    );
    let empty = resp.body.iter().all(u8::is_ascii_whitespace);
    if !ok && (empty || !xml_type || looks_like_html(&resp.body)) {
        return Err(status_error(kind, resp));
    }
    if empty {
        return Err(Error::protocol(
            kind,
            format!("HTTP {} with an empty body", resp.status),
        ));
    }
    if looks_like_html(&resp.body) {
        return Err(Error::protocol(
            kind,
            format!(
                "HTTP {} with an HTML page instead of a SOAP envelope: {}",
                resp.status,
                excerpt(&resp.body)
            ),
        ));
    }
    if !xml_type {
        return Err(Error::protocol(
            kind,
            format!("unexpected content type {ct:?} (expected text/xml)"),
        ));
    }
    Ok(())
}

/// A whole response: [`check_http`], then `parse` on the body; a fault becomes
/// the dialect's classified [`Fault`] with the HTTP status and `Retry-After`.
pub(crate) fn read_response<T>(
    kind: BackendKind,
    resp: &HttpResponse,
    parse: impl FnOnce(&[u8]) -> Result<Reply<T>>,
    classify: impl FnOnce(&SoapFault) -> Fault,
) -> Result<T> {
    check_http(kind, resp)?;
    let ok = (200..300).contains(&resp.status);
    match parse(&resp.body) {
        Ok(Reply::Fault(f)) => Err(classify(&f)
            .with_status(resp.status)
            .with_retry_after(resp.retry_after())
            .into()),
        Ok(Reply::Ok(v)) if ok => Ok(v),
        // A failing status whose body is not a fault: the status decides.
        Ok(Reply::Ok(_)) => Err(status_error(kind, resp)),
        Err(e) if ok || e.is_retryable() => Err(e),
        Err(_) => Err(status_error(kind, resp)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIND: BackendKind = BackendKind::SalesforceSoap;
    const SETTER: &str = "B::allow";

    #[test]
    fn server_url_on_another_origin_is_refused_unless_allowed() {
        let endpoint = Url::parse("https://login.example.com/services/Soap/u/58.0").unwrap();
        let same = server_url(
            KIND,
            &endpoint,
            "https://login.example.com/services/Soap/u/58.0/00D",
            false,
            SETTER,
        )
        .unwrap();
        assert_eq!(same.path(), "/services/Soap/u/58.0/00D");
        let e =
            server_url(KIND, &endpoint, "https://na1.example.net/x", false, SETTER).unwrap_err();
        assert!(e.to_string().contains("B::allow(true)"), "{e}");
        let other = server_url(KIND, &endpoint, "https://na1.example.net/x", true, SETTER).unwrap();
        assert_eq!(other.host_str(), Some("na1.example.net"));
        assert!(server_url(KIND, &endpoint, "file:///etc/passwd", true, SETTER).is_err());
    }

    #[test]
    fn endpoints_must_be_http_urls() {
        assert!(parse_endpoint(Some("https://h/x".into()), "T").is_ok());
        for bad in [None, Some("not a url".to_owned()), Some("ftp://h/x".into())] {
            let e = parse_endpoint(bad, "T").unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::InvalidInput {
                        what: "endpoint",
                        ..
                    }
                ),
                "{e}"
            );
        }
    }

    #[test]
    fn display_url_drops_credentials_and_query() {
        let u = Url::parse("https://user:pw@h.example.com/p?sid=secret#f").unwrap();
        assert_eq!(display_url(&u), "https://h.example.com/p");
    }
}
