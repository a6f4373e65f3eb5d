//! Shared HTTP plumbing for every backend: one reqwest client with timeouts,
//! bounded body reads, error mapping that never leaks a URL or credential,
//! `Retry-After` parsing, and the same-origin check for server-provided URLs.

use crate::{BackendKind, Error, Result};
use bytes::{Bytes, BytesMut};
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use std::time::Duration;
use url::Url;

/// Timeouts and size limits for a backend's HTTP client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpOptions {
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request, body included.
    pub timeout: Duration,
    /// The largest response body read into memory; a larger one is an error.
    pub max_body_bytes: usize,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(120),
            max_body_bytes: 256 * 1024 * 1024,
        }
    }
}

impl HttpOptions {
    /// Sets the connect timeout.
    pub fn with_connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Sets the whole-request timeout.
    pub fn with_timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// Sets the body size limit.
    pub fn with_max_body_bytes(mut self, n: usize) -> Self {
        self.max_body_bytes = n;
        self
    }
}

/// The most bytes of a body a head hook is shown ([`Http::read_with_head`]).
pub(crate) const HEAD_LIMIT: usize = 64 * 1024;

/// What a head hook says after looking at the start of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Head {
    /// Show me more of it.
    More,
    /// Nothing more to learn from it: stop calling.
    Done,
}

/// A head hook as [`Http::read_body`] holds it.
type HeadHook<'a> = dyn FnMut(&[u8]) -> Head + Send + 'a;

/// A response read whole (bounded by [`HttpOptions::max_body_bytes`]).
#[derive(Debug)]
pub(crate) struct HttpResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl HttpResponse {
    /// The `Content-Type` header, lower-cased, without parameters.
    pub fn content_type(&self) -> String {
        content_type(&self.headers)
    }

    /// The `Retry-After` header as a delay.
    pub fn retry_after(&self) -> Option<Duration> {
        retry_after(&self.headers)
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The HTTP client a backend holds.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    backend: BackendKind,
    max_body: usize,
}

impl Http {
    /// Builds the client (rustls, gzip, timeouts).
    pub fn new(backend: BackendKind, opts: &HttpOptions) -> Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(opts.connect_timeout)
            .timeout(opts.timeout)
            .user_agent(concat!("querymore/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::InvalidInput {
                what: "HTTP client",
                reason: e.to_string(),
            })?;
        Ok(Http {
            client,
            backend,
            max_body: opts.max_body_bytes,
        })
    }

    /// The reqwest client, to build requests with.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends a request and returns the response with its body not yet read.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response> {
        req.send().await.map_err(|e| self.transport_error(e))
    }

    /// Sends a request and reads the whole body, bounded.
    pub async fn execute(&self, req: reqwest::RequestBuilder) -> Result<HttpResponse> {
        let resp = self.send(req).await?;
        self.read(resp).await
    }

    /// Sends a request and reads the whole body, bounded, showing `head` (if
    /// any) the start of a successful body as it arrives (see
    /// [`Http::read_with_head`]).
    pub async fn execute_with_head(
        &self,
        req: reqwest::RequestBuilder,
        head: Option<impl FnMut(&[u8]) -> Head + Send>,
    ) -> Result<HttpResponse> {
        let resp = self.send(req).await?;
        self.read_with_head(resp, head).await
    }

    /// Reads a response body, bounded by the size limit. A body cut short is a
    /// retryable protocol error.
    pub async fn read(&self, resp: reqwest::Response) -> Result<HttpResponse> {
        self.read_body(resp, None).await
    }

    /// [`Http::read`], and while a successful (2xx) body arrives, `head` (if
    /// any) is shown the bytes received so far (at most [`HEAD_LIMIT`] of
    /// them) after each chunk, until it answers [`Head::Done`] or the limit
    /// is reached. A backend uses it to learn the next page's cursor from the
    /// start of the body and offer it to the [`lookahead`](crate::lookahead)
    /// while the rest is still on the way.
    pub async fn read_with_head(
        &self,
        resp: reqwest::Response,
        head: Option<impl FnMut(&[u8]) -> Head + Send>,
    ) -> Result<HttpResponse> {
        match head {
            Some(mut h) => self.read_body(resp, Some(&mut h)).await,
            None => self.read_body(resp, None).await,
        }
    }

    async fn read_body(
        &self,
        mut resp: reqwest::Response,
        mut head: Option<&mut HeadHook<'_>>,
    ) -> Result<HttpResponse> {
        let status = resp.status().as_u16();
        let headers = std::mem::take(resp.headers_mut());
        let looking = head.is_some();
        if !(200..300).contains(&status) {
            head = None;
        }
        let mut buf = BytesMut::with_capacity(
            resp.content_length()
                .map_or(8 * 1024, |n| n as usize)
                .min(self.max_body),
        );
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if buf.len() + chunk.len() > self.max_body {
                        return Err(Error::protocol(
                            self.backend,
                            format!("response body larger than the {} byte limit", self.max_body),
                        ));
                    }
                    buf.extend_from_slice(&chunk);
                    if let Some(look) = head.as_mut() {
                        let seen = buf.get(..HEAD_LIMIT).unwrap_or(&buf);
                        if look(seen) == Head::Done || buf.len() >= HEAD_LIMIT {
                            head = None;
                            // A task the hook woke (the pager, acting on an
                            // offer) is queued behind this one and cannot be
                            // stolen by another worker: let it run now rather
                            // than after the rest of the body.
                            crate::lookahead::let_offered_fetch_go().await;
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(self.body_error(e)),
            }
        }
        if looking {
            // The last read woke this connection's task onto this worker's
            // next-task slot, which other workers cannot steal: a request
            // sent ahead on this connection would wait there until the body
            // is parsed. Let it go out first.
            drop(resp);
            crate::lookahead::let_offered_fetch_go().await;
        }
        Ok(HttpResponse {
            status,
            headers,
            body: buf.freeze(),
        })
    }

    /// Maps a reqwest error to [`Error::Transport`], without the URL.
    pub fn transport_error(&self, e: reqwest::Error) -> Error {
        if e.is_body() || e.is_decode() {
            return self.body_error(e);
        }
        let timeout = e.is_timeout();
        let what = if timeout {
            "request timed out"
        } else if e.is_connect() {
            "could not connect"
        } else {
            "request failed"
        };
        let e = e.without_url();
        Error::Transport {
            backend: self.backend,
            message: format!("{what}: {}", error_chain(&e)),
            timeout,
            source: Some(Box::new(e)),
        }
    }

    fn body_error(&self, e: reqwest::Error) -> Error {
        let e = e.without_url();
        if e.is_timeout() {
            return Error::Transport {
                backend: self.backend,
                message: format!("timed out reading the body: {}", error_chain(&e)),
                timeout: true,
                source: Some(Box::new(e)),
            };
        }
        Error::truncated(
            self.backend,
            format!("response body cut short: {}", error_chain(&e)),
        )
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        cur = inner.source();
    }
    s
}

/// The `Content-Type`, lower-cased, without parameters.
pub(crate) fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// `Retry-After` in seconds (the HTTP-date form is not used by these services).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// True when a body looks like an HTML page (a login or error page): it starts,
/// after white space and a byte-order mark, with a doctype or an `<html>` /
/// `<head>` / `<body>` tag. Data that merely contains such text is not HTML.
pub(crate) fn looks_like_html(body: &[u8]) -> bool {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let head = &body[start..body.len().min(start + 16)];
    let lower = head.to_ascii_lowercase();
    [&b"<!doctype html"[..], b"<html", b"<head", b"<body"]
        .iter()
        .any(|p| lower.starts_with(p))
}

/// A short, printable excerpt of a body for error messages.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if body.len() > 200 {
        format!("{one_line}…")
    } else {
        one_line
    }
}

/// Resolves a server-provided link against `base` and refuses it unless it is
/// on the same origin (scheme, host and port), so credentials never go elsewhere.
pub(crate) fn same_origin(backend: BackendKind, base: &Url, link: &str) -> Result<Url> {
    let url = base.join(link).map_err(|e| {
        Error::protocol(
            backend,
            format!("the server sent an unusable link {link:?}: {e}"),
        )
    })?;
    if url.origin() != base.origin() {
        return Err(Error::protocol(
            backend,
            format!(
                "the server sent a link to another origin ({}); refusing to follow it",
                url.origin().ascii_serialization()
            ),
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_accepts_paths_and_refuses_other_hosts() {
        let base = Url::parse("https://na1.example.com/").unwrap();
        let ok = same_origin(
            BackendKind::SalesforceRest,
            &base,
            "/services/data/v62.0/query/01g-500",
        )
        .unwrap();
        assert_eq!(
            ok.as_str(),
            "https://na1.example.com/services/data/v62.0/query/01g-500"
        );
        assert!(
            same_origin(
                BackendKind::SalesforceRest,
                &base,
                "https://na1.example.com/x"
            )
            .is_ok()
        );
        for bad in [
            "https://evil.example.net/x",
            "//evil.example.net/x",
            "http://na1.example.com/x",
            "https://na1.example.com:444/x",
        ] {
            let e = same_origin(BackendKind::SalesforceRest, &base, bad).unwrap_err();
            assert!(e.to_string().contains("another origin"), "{bad}: {e}");
        }
    }

    /// A loopback server answering every request with `status` and a chunked
    /// body of `pieces`, each sent 20 ms after the one before.
    async fn serve_pieces(status: &'static str, pieces: Vec<Vec<u8>>) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let pieces = pieces.clone();
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        let n = sock.read(&mut buf).await.unwrap();
                        request.extend_from_slice(&buf[..n]);
                    }
                    let head = format!(
                        "HTTP/1.1 {status}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
                    );
                    sock.write_all(head.as_bytes()).await.unwrap();
                    for piece in pieces {
                        let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
                        chunk.extend_from_slice(&piece);
                        chunk.extend_from_slice(b"\r\n");
                        sock.write_all(&chunk).await.unwrap();
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    sock.write_all(b"0\r\n\r\n").await.unwrap();
                });
            }
        });
        format!("http://{addr}/")
    }

    #[tokio::test]
    async fn the_head_hook_sees_the_body_grow_until_it_is_done() {
        let http = Http::new(BackendKind::SalesforceRest, &HttpOptions::default()).unwrap();
        let url = serve_pieces(
            "200 OK",
            vec![b"abc".to_vec(), b"def".to_vec(), b"ghi".to_vec()],
        )
        .await;
        let mut seen = Vec::new();
        let hook = |head: &[u8]| {
            seen.push(head.to_vec());
            if head.len() >= 6 {
                Head::Done
            } else {
                Head::More
            }
        };
        let resp = http
            .execute_with_head(http.client().get(&url), Some(hook))
            .await
            .unwrap();
        assert_eq!(&resp.body[..], b"abcdefghi", "the whole body, read once");
        assert_eq!(
            seen,
            [b"abc".to_vec(), b"abcdef".to_vec()],
            "no call after Done"
        );

        // A failing answer is never shown to the hook.
        let url = serve_pieces("500 Internal Server Error", vec![b"oops".to_vec()]).await;
        let mut calls = 0;
        let hook = |_: &[u8]| {
            calls += 1;
            Head::More
        };
        let resp = http
            .execute_with_head(http.client().get(&url), Some(hook))
            .await
            .unwrap();
        assert_eq!((resp.status, &resp.body[..]), (500, &b"oops"[..]));
        assert_eq!(calls, 0);
    }

    #[tokio::test]
    async fn the_head_hook_sees_at_most_the_head_limit() {
        let http = Http::new(BackendKind::SalesforceRest, &HttpOptions::default()).unwrap();
        let pieces: Vec<Vec<u8>> = (0..3u8).map(|i| vec![b'a' + i; 40 * 1024]).collect();
        let whole = pieces.concat();
        let url = serve_pieces("200 OK", pieces).await;
        let mut lengths = Vec::new();
        let hook = |head: &[u8]| {
            lengths.push(head.len());
            Head::More
        };
        let resp = http
            .execute_with_head(http.client().get(&url), Some(hook))
            .await
            .unwrap();
        assert_eq!(&resp.body[..], &whole[..]);
        assert!(lengths.windows(2).all(|w| w[0] < w[1]), "{lengths:?}");
        assert_eq!(lengths.last(), Some(&HEAD_LIMIT), "{lengths:?}");
    }

    #[test]
    fn html_pages_are_recognised() {
        assert!(looks_like_html(
            b"  <!DOCTYPE html><html><body>Login</body></html>"
        ));
        assert!(!looks_like_html(
            b"<?xml version=\"1.0\"?><soapenv:Envelope/>"
        ));
    }
}
