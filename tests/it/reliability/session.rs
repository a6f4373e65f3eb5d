//! Session refresh, the same rule for every backend: a refused session is
//! replaced once (new login or token) and the same call repeated with the same
//! cursor; a fixed one, or one refused again, is an invalid-session error. And
//! the Salesforce OAuth client-credentials flow against the mock.

use super::backends::{
    ACCOUNT_IDS, ALL, Auth, account_ids, authentications, backend, client, id_of, served,
};
use crate::support::mock_with;
use querymore::mock::{Dataset, MockFault};
use querymore::{BackendKind, FaultCode, HttpOptions, Record, RetryPolicy, SalesforceRest};

#[tokio::test]
async fn every_backend_logs_in_again_once_and_repeats_the_same_page() {
    for kind in ALL {
        let dataset = Dataset::generated(3, 5_000, 0, 0);
        let expected = account_ids(&dataset);
        let (mock, clock) = mock_with(dataset).await;
        let source = backend(kind, &mock, Auth::Refreshable, HttpOptions::default());
        let c = client(source, &clock, RetryPolicy::none());
        let mut pages = c.query(ACCOUNT_IDS).batch_size(1000).pages();
        let mut ids: Vec<String> = Vec::new();
        while let Some(page) = pages
            .try_next()
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"))
        {
            ids.extend(page.records.iter().map(id_of));
            if ids.len() == 2000 {
                mock.faults().push_for(kind, MockFault::ExpireSession);
            }
        }
        assert!(ids == expected, "{kind}: a gap or a duplicate");
        assert_eq!(authentications(&mock), 2, "{kind}: one new session");
        assert_eq!(mock.faults().pending(), 0, "{kind}");
    }
}

#[tokio::test]
async fn a_refused_fixed_session_is_an_invalid_session_error_sent_once() {
    for kind in ALL {
        let (mock, clock) = mock_with(Dataset::sample(10)).await;
        let source = backend(kind, &mock, Auth::Fixed, HttpOptions::default());
        let c = client(source, &clock, super::backends::fast_retry());
        mock.faults().push_for(kind, MockFault::ExpireSession);
        let err = c.query(ACCOUNT_IDS).pages().try_next().await.unwrap_err();
        assert!(err.is_invalid_session(), "{kind}: {err}");
        assert!(!err.is_retryable(), "{kind}: {err}");
        assert_eq!(served(&mock, kind), 1, "{kind}: not retried");
    }
}

#[tokio::test]
async fn a_session_refused_again_after_a_new_login_is_reported_not_looped() {
    for kind in ALL {
        let (mock, clock) = mock_with(Dataset::sample(10)).await;
        let source = backend(kind, &mock, Auth::Refreshable, HttpOptions::default());
        let c = client(source, &clock, super::backends::fast_retry());
        c.query(ACCOUNT_IDS).pages().try_collect().await.unwrap();
        // The call, the new login or token request (which ignores it), the
        // repeated call.
        for _ in 0..3 {
            mock.faults().push(MockFault::ExpireSession);
        }
        let err = c.query(ACCOUNT_IDS).pages().try_next().await.unwrap_err();
        assert!(err.is_invalid_session(), "{kind}: {err}");
        assert_eq!(authentications(&mock), 2, "{kind}: one refresh, not a loop");
        assert_eq!(mock.faults().pending(), 0, "{kind}");
    }
}

#[tokio::test]
async fn salesforce_rest_client_credentials_fetch_one_token_from_the_instance() {
    let (mock, clock) = mock_with(Dataset::sample(300)).await;
    let source = backend(
        BackendKind::SalesforceRest,
        &mock,
        Auth::Refreshable,
        HttpOptions::default(),
    );
    let c = client(source, &clock, RetryPolicy::none());
    let n = c
        .query(ACCOUNT_IDS)
        .batch_size(200)
        .records::<Record>()
        .try_collect()
        .await
        .unwrap()
        .len();
    assert_eq!(n, 300);
    let reqs = mock.received_requests();
    assert_eq!(reqs.len(), 3, "token, query, next page");
    let token = &reqs[0];
    assert_eq!(
        (token.method.as_str(), token.path.as_str()),
        ("POST", "/services/oauth2/token")
    );
    assert_eq!(
        token.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let creds = mock.credentials();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&token.body)
        .into_owned()
        .collect();
    assert_eq!(
        form,
        [
            ("client_id".to_owned(), creds.client_id.clone()),
            ("client_secret".to_owned(), creds.client_secret.clone()),
            ("grant_type".to_owned(), "client_credentials".to_owned()),
        ]
    );
    for r in &reqs[1..] {
        let auth = r.header("authorization").unwrap();
        assert!(auth.starts_with("Bearer 00DMOCK0000000001!"), "{auth}");
        assert_ne!(auth, format!("Bearer {}", creds.access_token));
    }
}

#[tokio::test]
async fn salesforce_rest_bad_client_secret_is_an_invalid_login_without_the_secret() {
    let (mock, clock) = mock_with(Dataset::sample(3)).await;
    let source = SalesforceRest::builder()
        .instance_url(mock.uri())
        .client_credentials(mock.credentials().client_id.as_str(), "wrong-secret-value")
        .build()
        .unwrap();
    assert!(!format!("{source:?}").contains("wrong-secret-value"));
    let err = client(std::sync::Arc::new(source), &clock, RetryPolicy::none())
        .query(ACCOUNT_IDS)
        .pages()
        .try_next()
        .await
        .unwrap_err();
    let fault = err.fault().expect("a fault");
    assert_eq!(fault.code, FaultCode::InvalidLogin);
    assert_eq!(fault.raw_code, "invalid_client");
    assert_eq!(fault.http_status, Some(400));
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains("wrong-secret-value"), "{shown}");
    }
    assert_eq!(
        mock.received_requests().len(),
        1,
        "no query without a token"
    );
}

#[tokio::test]
async fn salesforce_mock_token_endpoint_answers_like_the_real_one() {
    let (mock, _clock) = mock_with(Dataset::sample(1)).await;
    let http = reqwest::Client::new();
    let url = format!("{}/services/oauth2/token", mock.uri());
    let creds = mock.credentials().clone();
    let post = |form: Vec<(&'static str, String)>| {
        let req = http.post(&url).form(&form);
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, ok) = post(vec![
        ("grant_type", "client_credentials".into()),
        ("client_id", creds.client_id.clone()),
        ("client_secret", creds.client_secret.clone()),
    ])
    .await;
    assert_eq!(status, 200);
    assert_eq!(ok["token_type"], "Bearer");
    assert_eq!(ok["instance_url"], mock.uri().as_str());
    assert!(
        ok["issued_at"]
            .as_str()
            .is_some_and(|t| t.parse::<i64>().is_ok())
    );
    assert!(ok.get("expires_in").is_none());
    let token = ok["access_token"].as_str().unwrap();
    assert!(mock.state().is_valid_session(token));
    for (form, error) in [
        (
            vec![("grant_type", "password".to_owned())],
            "unsupported_grant_type",
        ),
        (
            vec![
                ("grant_type", "client_credentials".to_owned()),
                ("client_id", "nobody".to_owned()),
                ("client_secret", creds.client_secret.clone()),
            ],
            "invalid_client_id",
        ),
        (
            vec![
                ("grant_type", "client_credentials".to_owned()),
                ("client_id", creds.client_id.clone()),
                ("client_secret", "nope".to_owned()),
            ],
            "invalid_client",
        ),
    ] {
        let (status, body) = post(form).await;
        assert_eq!((status, body["error"].as_str()), (400, Some(error)));
        assert!(body["error_description"].is_string());
    }
}
