//! Parity: one mock, one data set, one query, paged through all five backends
//! — Zuora SOAP, Zuora REST, Salesforce REST, Salesforce SOAP and Salesforce
//! Bulk 2.0 — into one `#[derive(Deserialize)]` struct; the five `Vec`s are
//! equal. The wire formats differ (SOAP text with Zuora's `xsi:nil="1"` and
//! omitted nulls or Salesforce's `xsi:nil="true"`, JSON numbers and booleans,
//! CSV cells; a relationship nested as a record or flattened to a dotted name;
//! date-times with `+00:00` or `Z`): the struct reads them all the same.

use crate::support::{client, mock_with};

/// The migration example, compiled into this test so its one paging function
/// is exercised on both backends here too.
#[allow(dead_code)]
#[path = "../../examples/migrate.rs"]
mod migrate;
use chrono::{DateTime, FixedOffset, NaiveDate};
use querymore::mock::{Dataset, MockServer};
use querymore::{
    BackendKind, QuerySource, SalesforceBulk, SalesforceRest, SalesforceSoap, Secret, ZuoraRest,
    ZuoraSoap,
};
use serde::{Deserialize, Deserializer};
use std::time::Duration;

/// The fields every backend serves, and the one relationship field.
const QUERY: &str = "select Id, Name, BillCycleDay, Balance, AutoPay, LastInvoiceDate, \
                     CreatedDate, Notes, BillToContact.WorkEmail from Account";

/// Rows in the data set: several pages at the batch size below.
const ROWS: usize = 450;
const BATCH: i64 = 200;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Account {
    id: String,
    name: String,
    bill_cycle_day: i64,
    balance: f64,
    auto_pay: bool,
    last_invoice_date: Option<NaiveDate>,
    #[serde(deserialize_with = "any_datetime")]
    created_date: DateTime<FixedOffset>,
    notes: Option<String>,
    bill_to_contact: Option<Contact>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Contact {
    work_email: String,
}

/// A date-time in RFC 3339 (`…Z`, `…+00:00`) or Salesforce REST's `…+0000`.
fn any_datetime<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<FixedOffset>, D::Error> {
    let s = String::deserialize(d)?;
    DateTime::parse_from_rfc3339(&s)
        .or_else(|_| DateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map_err(serde::de::Error::custom)
}

/// The five backends, each pointed at `mock` with its preset credentials.
fn backends(mock: &MockServer) -> Vec<Box<dyn QuerySource>> {
    let creds = mock.credentials();
    vec![
        Box::new(
            ZuoraSoap::builder()
                .endpoint(mock.zuora_soap_endpoint())
                .credentials(creds.username.clone(), creds.password.clone())
                .build()
                .unwrap(),
        ),
        Box::new(
            ZuoraRest::builder()
                .base_url(mock.uri())
                .access_token(creds.access_token.as_str())
                .build()
                .unwrap(),
        ),
        Box::new(
            SalesforceRest::builder()
                .instance_url(mock.uri())
                .access_token(creds.access_token.as_str())
                .build()
                .unwrap(),
        ),
        Box::new(
            SalesforceSoap::builder()
                .endpoint(mock.salesforce_soap_endpoint())
                .credentials(creds.username.clone(), creds.password.clone())
                .build()
                .unwrap(),
        ),
        Box::new(
            SalesforceBulk::builder()
                .instance_url(mock.uri())
                .access_token(Secret::new(creds.access_token.clone()))
                .poll_interval(Duration::from_millis(2))
                .max_poll_interval(Duration::from_millis(10))
                .build()
                .unwrap(),
        ),
    ]
}

#[tokio::test]
async fn all_five_backends_read_the_same_typed_records() {
    let (mock, clock) = mock_with(Dataset::sample(ROWS)).await;
    let mut results: Vec<(BackendKind, Vec<Account>, u64)> = Vec::new();
    for source in backends(&mock) {
        let kind = source.kind();
        let c = client(source, &clock);
        let mut records = c.query(QUERY).batch_size(BATCH).records::<Account>();
        let mut got = Vec::with_capacity(ROWS);
        while let Some(a) = records
            .try_next()
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"))
        {
            got.push(a);
        }
        results.push((kind, got, records.pages().pages_read()));
    }
    assert_eq!(
        results.iter().map(|r| r.0).collect::<Vec<_>>(),
        [
            BackendKind::ZuoraSoap,
            BackendKind::ZuoraRest,
            BackendKind::SalesforceRest,
            BackendKind::SalesforceSoap,
            BackendKind::SalesforceBulk,
        ]
    );
    let (_, reference, _) = &results[0];
    assert_eq!(reference.len(), ROWS);
    // Bulk fetches its result pages in parallel inside one `next_page`; the
    // others page one request at a time.
    let bulk_results = mock
        .received_requests()
        .iter()
        .filter(|r| r.path.ends_with("/results"))
        .filter(|r| {
            r.query
                .as_deref()
                .is_some_and(|q| q.contains("maxRecords=200"))
        })
        .count();
    assert_eq!(bulk_results, ROWS.div_ceil(BATCH as usize));
    for (kind, accounts, pages) in &results {
        if *kind != BackendKind::SalesforceBulk {
            assert_eq!(*pages as usize, ROWS.div_ceil(BATCH as usize), "{kind}");
        }
        assert_eq!(accounts.len(), ROWS, "{kind}");
        if let Some(i) = (0..ROWS).find(|&i| accounts[i] != reference[i]) {
            panic!(
                "{kind} differs from zuora-soap at row {i}:\n{:?}\n{:?}",
                accounts[i], reference[i]
            );
        }
    }
    // The data set's awkward values really were in play: nulls, text needing
    // escapes, both booleans, the relationship.
    assert!(reference.iter().any(|a| a.last_invoice_date.is_none()));
    assert!(reference.iter().any(|a| a.notes.is_none()));
    assert!(
        reference
            .iter()
            .any(|a| a.notes.as_deref() == Some("VIP: 5 < 6 & \"net 30\""))
    );
    assert!(
        reference
            .iter()
            .any(|a| a.name.contains('&') && a.name.contains('<'))
    );
    assert!(reference.iter().any(|a| a.auto_pay) && reference.iter().any(|a| !a.auto_pay));
    assert!(reference.iter().any(|a| a.balance.fract() != 0.0));
    assert_eq!(
        reference[0].bill_to_contact,
        Some(Contact {
            work_email: "billing1@example.com".into()
        })
    );
}

#[test]
fn date_times_read_in_every_form_the_services_write() {
    let want = DateTime::parse_from_rfc3339("2023-08-09T15:17:35Z").unwrap();
    for form in [
        "2023-08-09T15:17:35.000Z",
        "2023-08-09T15:17:35.000+00:00",
        "2023-08-09T15:17:35.000+0000",
        "2023-08-09T08:17:35.000-07:00",
    ] {
        let got =
            any_datetime(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(form))
                .unwrap_or_else(|e| panic!("{form}: {e}"));
        assert_eq!(got, want, "{form}");
    }
}

#[tokio::test]
async fn the_migration_example_prints_the_same_over_zuora_soap_and_zuora_rest() {
    let (mock, _clock) = mock_with(Dataset::sample(25)).await;
    let soap = migrate::export_accounts(migrate::zuora_soap(&mock).unwrap())
        .await
        .unwrap();
    let rest = migrate::export_accounts(migrate::zuora_rest(&mock).unwrap())
        .await
        .unwrap();
    assert_eq!(soap, rest);
    // 25 rows at 10 a page: three page lines and 25 record lines.
    assert_eq!(soap.len(), 3 + 25);
    assert_eq!(soap[0], "page 1: 10 records of 25");
    assert!(soap[1].contains("AT&T Wireless 1"), "{}", soap[1]);
    assert!(soap.iter().any(|l| l.ends_with("last invoice never")));
}
