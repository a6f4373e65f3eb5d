//! The mock as a user's test double, through public API only: a data set of the
//! user's own records from JSON, a chosen backend set, a manual clock, latency, a
//! fault script, and the requests read back as parsed SOAP calls.

use querymore::mock::{Dataset, LatencyConfig, MockFault, MockServer};
use querymore::{BackendKind, Client, ManualClock, RetryPolicy, ZuoraSoap};
use std::time::Duration;

const ACCOUNTS: &str = r#"[
  {"Id": "a01", "Name": "First & Co", "Balance": 10.5},
  {"Id": "a02", "Name": "Second", "Balance": 0},
  {"Id": "a03", "Name": "Third <Ltd>", "Balance": 3},
  {"Id": "a04", "Name": "Fourth", "Balance": 4},
  {"Id": "a05", "Name": "Fifth", "Balance": 5}
]"#;

#[derive(Debug, serde::Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct Account {
    id: String,
    name: String,
    balance: f64,
}

#[tokio::test]
async fn users_pages_their_own_records_through_a_scripted_mock() {
    let dataset = Dataset::empty().with_json("Account", ACCOUNTS).unwrap();
    let clock = ManualClock::fixed();
    let mock = MockServer::builder()
        .dataset(dataset)
        .backends(&[BackendKind::ZuoraSoap])
        .clock(clock.clone())
        .latency(LatencyConfig {
            per_call: Duration::from_millis(1),
            ..Default::default()
        })
        .start()
        .await
        .unwrap();
    // The first request (the login) answers 503 once; the client retries the page.
    mock.faults()
        .push_for(BackendKind::ZuoraSoap, MockFault::Status(503));

    let creds = mock.credentials().clone();
    let source = ZuoraSoap::builder()
        .endpoint(mock.zuora_soap_endpoint())
        .credentials(creds.username.clone(), creds.password.clone())
        .build()
        .unwrap();
    let client = Client::builder(source)
        .clock(clock)
        .retry(RetryPolicy::default().with_base_delay(Duration::from_millis(1)))
        .build();
    let accounts: Vec<Account> = client
        .query("select Id, Name, Balance from Account")
        .batch_size(2)
        .records()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(accounts.len(), 5);
    assert_eq!(
        accounts[0],
        Account {
            id: "a01".into(),
            name: "First & Co".into(),
            balance: 10.5
        }
    );
    assert_eq!(accounts[2].name, "Third <Ltd>");

    let calls: Vec<_> = mock
        .received_requests()
        .iter()
        .filter_map(|r| r.soap())
        .collect();
    let ops: Vec<_> = calls.iter().map(|c| c.operation.as_str()).collect();
    assert_eq!(ops, ["login", "login", "query", "queryMore", "queryMore"]);
    assert_eq!(
        calls[2].param("queryString"),
        Some("select Id, Name, Balance from Account")
    );
    assert_eq!(calls[3].header("QueryOptions", "batchSize"), Some("2"));
    let login = format!("{:?}", calls[0]);
    assert!(!login.contains(&creds.password), "{login}");
    assert!(login.contains("[REDACTED]"), "{login}");

    // Backends left out of the set are not served.
    let other = reqwest::get(format!(
        "{}/services/data/v62.0/query?q=select+Id+from+Account",
        mock.uri()
    ))
    .await
    .unwrap();
    assert_eq!(other.status(), 404);
}

#[test]
fn a_bad_json_data_set_is_a_clear_error() {
    let err = Dataset::empty()
        .with_json("Account", "{\"not\": \"an array\"}")
        .unwrap_err();
    assert!(err.to_string().contains("expected a JSON array"), "{err}");
}
