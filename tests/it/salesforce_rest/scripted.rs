//! A tiny stand-in server for the responses the mock never gives (foreign error
//! codes, broken bodies, links to another host): it answers each request with the
//! next canned response and logs the request path.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// One canned response.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl Canned {
    /// A 200 `application/json;charset=UTF-8` response.
    pub fn json(body: impl Into<String>) -> Self {
        Canned::with(200, "application/json;charset=UTF-8", body)
    }

    /// Any status, content type and body.
    pub fn with(status: u16, content_type: &'static str, body: impl Into<String>) -> Self {
        Canned {
            status,
            content_type,
            body: body.into(),
        }
    }
}

#[derive(Clone, Default)]
struct Script {
    canned: Arc<Mutex<VecDeque<Canned>>>,
    log: Arc<Mutex<Vec<String>>>,
}

/// A running scripted server.
pub struct Scripted {
    pub uri: String,
    script: Script,
}

impl Scripted {
    /// Serves `canned` in order on 127.0.0.1; after the last, 404.
    pub async fn start(canned: Vec<Canned>) -> Scripted {
        let script = Script {
            canned: Arc::new(Mutex::new(canned.into())),
            ..Script::default()
        };
        let app = Router::new().fallback(answer).with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Scripted { uri, script }
    }

    /// Queues one more response.
    pub fn push(&self, canned: Canned) {
        self.script.canned.lock().unwrap().push_back(canned);
    }

    /// The paths (with query strings) requested so far.
    pub fn requests(&self) -> Vec<String> {
        self.script.log.lock().unwrap().clone()
    }
}

async fn answer(State(script): State<Script>, req: Request) -> Response {
    let line = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    script.log.lock().unwrap().push(line);
    let Some(c) = script.canned.lock().unwrap().pop_front() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut resp = (StatusCode::from_u16(c.status).unwrap(), c.body).into_response();
    if c.content_type.is_empty() {
        resp.headers_mut().remove(header::CONTENT_TYPE);
    } else {
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(c.content_type),
        );
    }
    resp
}
