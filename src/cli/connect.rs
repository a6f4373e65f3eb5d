//! The backend factory: from a backend name, an endpoint and the credentials on
//! the command line to a shared [`QuerySource`]. Without an endpoint the
//! embedded mock is started in-process and its public test credentials are used.
//! One match arm per backend.

use super::Failure;
use super::args::{Backend, Credentials};
use crate::mock::{Dataset, MockServer, SALESFORCE_SOAP_PATH, ZUORA_SOAP_PATH};
use crate::{QuerySource, Secret};
use std::sync::Arc;
use url::Url;

/// A connected source, with the embedded mock it talks to (if any) kept alive.
pub(crate) struct Connection {
    /// The source.
    pub source: Arc<dyn QuerySource>,
    _mock: Option<Arc<MockServer>>,
}

/// Starts the embedded mock with the sample data set (`records` rows per table).
pub(crate) async fn embedded_mock(records: usize) -> Result<Arc<MockServer>, Failure> {
    MockServer::builder()
        .dataset(Dataset::sample(records))
        .record_requests(false)
        .start()
        .await
        .map(Arc::new)
        .map_err(|e| Failure::failed(format!("cannot start the embedded mock server: {e}")))
}

/// Connects `backend` to `endpoint`, or to `mock` (started on demand with
/// `records` rows) when there is no endpoint.
pub(crate) async fn open(
    backend: Backend,
    endpoint: Option<&str>,
    credentials: &Credentials,
    mock: Option<Arc<MockServer>>,
    records: usize,
) -> Result<Connection, Failure> {
    match endpoint {
        Some(e) => Ok(Connection {
            source: source(backend, &endpoint_url(backend, e)?, credentials)?,
            _mock: None,
        }),
        None => {
            let mock = match mock {
                Some(m) => m,
                None => embedded_mock(records).await?,
            };
            let creds = credentials.or(mock_credentials(&mock));
            let url = endpoint_url(backend, &mock.uri())?;
            Ok(Connection {
                source: source(backend, &url, &creds)?,
                _mock: Some(mock),
            })
        }
    }
}

/// The mock's credentials, for every kind of login.
fn mock_credentials(mock: &MockServer) -> Credentials {
    let c = mock.credentials();
    Credentials {
        username: Some(c.username.clone()),
        password: Some(Secret::new(c.password.clone())),
        session: None,
        token: Some(Secret::new(c.access_token.clone())),
        client_id: None,
        client_secret: None,
    }
}

/// Parses an endpoint; a bare `scheme://host[:port]` gets the backend's default
/// path (the SOAP endpoints have one, REST base URLs do not).
pub(crate) fn endpoint_url(backend: Backend, text: &str) -> Result<Url, Failure> {
    let mut url = Url::parse(text).map_err(|e| Failure::usage(format!("invalid endpoint: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Failure::usage(
            "invalid endpoint: expected an http:// or https:// URL",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Failure::usage(
            "invalid endpoint: put credentials in --username/--password, not in the URL",
        ));
    }
    let default_path = match backend {
        Backend::ZuoraSoap => Some(ZUORA_SOAP_PATH),
        Backend::SalesforceSoap => Some(SALESFORCE_SOAP_PATH),
        _ => None,
    };
    if let Some(path) = default_path
        && url.path() == "/"
    {
        url.set_path(path);
    }
    Ok(url)
}

/// Builds the source for `backend` at `url`, with the credentials its protocol
/// takes.
fn source(
    backend: Backend,
    url: &Url,
    credentials: &Credentials,
) -> Result<Arc<dyn QuerySource>, Failure> {
    let c = credentials;
    // Both SOAP dialects' builders take the same settings.
    macro_rules! soap {
        ($builder:expr) => {{
            let mut b = $builder.endpoint(url.as_str());
            if let Some(session) = &c.session {
                b = b.session(session.clone());
            }
            match (&c.username, &c.password) {
                (Some(user), Some(password)) => b = b.credentials(user.clone(), password.clone()),
                _ if c.session.is_some() => {}
                _ => return Err(missing(backend, "--session, or --username and --password")),
            }
            Arc::new(b.build()?)
        }};
    }
    let source: Arc<dyn QuerySource> = match backend {
        Backend::ZuoraRest => {
            let b = crate::ZuoraRest::builder().base_url(url.as_str());
            let b = match (&c.token, &c.client_id, &c.client_secret) {
                (Some(token), _, _) => b.access_token(token.clone()),
                (None, Some(id), Some(secret)) => b.client_credentials(id.clone(), secret.clone()),
                _ => {
                    return Err(missing(
                        backend,
                        "--token, or --client-id and --client-secret",
                    ));
                }
            };
            Arc::new(b.build()?)
        }
        Backend::SalesforceRest => {
            let b = crate::SalesforceRest::builder().instance_url(url.as_str());
            let b = match salesforce_auth(backend, c)? {
                SalesforceAuth::Token(token) => b.access_token(token),
                SalesforceAuth::Client(id, secret) => b.client_credentials(id, secret),
            };
            Arc::new(b.build()?)
        }
        Backend::SalesforceBulk => {
            let b = crate::SalesforceBulk::builder().instance_url(url.as_str());
            let b = match salesforce_auth(backend, c)? {
                SalesforceAuth::Token(token) => b.access_token(token),
                SalesforceAuth::Client(id, secret) => b.client_credentials(id, secret),
            };
            Arc::new(b.build()?)
        }
        Backend::ZuoraSoap => soap!(crate::ZuoraSoap::builder()),
        Backend::SalesforceSoap => soap!(crate::SalesforceSoap::builder()),
    };
    Ok(source)
}

/// The credentials for the Salesforce REST and Bulk backends: `--token` (or a
/// session id, which Salesforce accepts as a bearer token), else
/// `--client-id` and `--client-secret`.
fn salesforce_auth(backend: Backend, c: &Credentials) -> Result<SalesforceAuth, Failure> {
    match (
        c.token.as_ref().or(c.session.as_ref()),
        &c.client_id,
        &c.client_secret,
    ) {
        (Some(token), _, _) => Ok(SalesforceAuth::Token(token.clone())),
        (None, Some(id), Some(secret)) => Ok(SalesforceAuth::Client(id.clone(), secret.clone())),
        _ => Err(missing(
            backend,
            "--token (an access token or session id), or --client-id and --client-secret",
        )),
    }
}

/// How a Salesforce REST or Bulk backend authenticates.
enum SalesforceAuth {
    /// A bearer token (or session id).
    Token(Secret),
    /// OAuth 2.0 client credentials.
    Client(String, Secret),
}

/// The usage error for missing credentials.
fn missing(backend: Backend, what: &str) -> Failure {
    Failure::usage(format!("{} needs {what}", backend.kind()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_urls_get_the_soap_path_and_credentials_in_urls_are_refused() {
        let u = endpoint_url(Backend::ZuoraSoap, "http://127.0.0.1:9").unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:9/apps/services/a/78.0");
        let u = endpoint_url(Backend::ZuoraRest, "http://127.0.0.1:9").unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:9/");
        let e = endpoint_url(Backend::ZuoraRest, "http://u:hunter2@h/").unwrap_err();
        assert!(!e.to_string().contains("hunter2"));
        assert!(endpoint_url(Backend::ZuoraRest, "ftp://h/").is_err());
        assert!(endpoint_url(Backend::ZuoraRest, "not a url").is_err());
    }
}
