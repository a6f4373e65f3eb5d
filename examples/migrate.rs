//! Migrating a legacy Zuora SOAP integration to the REST query actions without
//! touching its paging code: one function, [`export_accounts`], pages a query
//! through whatever [`QuerySource`] it is given. Here it runs over `ZuoraSoap`
//! and then over `ZuoraRest`, both served by the embedded mock from the same
//! data set, and the two outputs are identical.
//!
//! ```text
//! cargo run --features mock --example migrate
//! ```

use querymore::mock::{Dataset, MockServer};
use querymore::{Client, QuerySource, ZuoraRest, ZuoraSoap};
use std::sync::Arc;

/// Errors from the example's code (the crate's, and the record decoding's).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An account as the legacy integration reads it.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Account {
    /// The Zuora id.
    pub id: String,
    /// The account name.
    pub name: String,
    /// The balance.
    pub balance: f64,
    /// Whether payments are collected automatically.
    pub auto_pay: bool,
    /// The last invoice's date, if any.
    pub last_invoice_date: Option<chrono::NaiveDate>,
}

/// The paging code: it knows nothing of SOAP or REST. It walks the pages (the
/// old `query` / `queryMore` loop) and returns one line per page and per record.
pub async fn export_accounts(source: Arc<dyn QuerySource>) -> Result<Vec<String>, BoxError> {
    let client = Client::from_shared(source);
    let mut pages = client
        .query("select Id, Name, Balance, AutoPay, LastInvoiceDate from Account")
        .batch_size(10)
        .pages();
    let mut lines = Vec::new();
    let mut n = 0;
    while let Some(page) = pages.try_next().await? {
        n += 1;
        lines.push(format!(
            "page {n}: {} records of {}",
            page.records.len(),
            page.total_size.unwrap_or_default()
        ));
        for record in &page.records {
            let a: Account = record.deserialize_as()?;
            let last = a
                .last_invoice_date
                .map_or_else(|| "never".to_owned(), |d| d.to_string());
            lines.push(format!(
                "  {} {:<28} {:>10.2} auto-pay {:<5} last invoice {last}",
                a.id, a.name, a.balance, a.auto_pay
            ));
        }
    }
    Ok(lines)
}

/// The legacy backend: Zuora SOAP, logging in with the mock's credentials.
pub fn zuora_soap(mock: &MockServer) -> querymore::Result<Arc<dyn QuerySource>> {
    let c = mock.credentials();
    Ok(Arc::new(
        ZuoraSoap::builder()
            .endpoint(mock.zuora_soap_endpoint())
            .credentials(c.username.clone(), c.password.clone())
            .build()?,
    ))
}

/// The replacement: Zuora REST query actions with a bearer token.
pub fn zuora_rest(mock: &MockServer) -> querymore::Result<Arc<dyn QuerySource>> {
    Ok(Arc::new(
        ZuoraRest::builder()
            .base_url(mock.uri())
            .access_token(mock.credentials().access_token.clone())
            .build()?,
    ))
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mock = MockServer::builder()
        .dataset(Dataset::sample(25))
        .start()
        .await?;
    let soap = export_accounts(zuora_soap(&mock)?).await?;
    let rest = export_accounts(zuora_rest(&mock)?).await?;
    for (name, lines) in [("Zuora SOAP", &soap), ("Zuora REST", &rest)] {
        println!("== {name}");
        for line in lines {
            println!("{line}");
        }
    }
    assert_eq!(soap, rest, "the two backends disagree");
    println!("== identical: {} lines from each backend", soap.len());
    Ok(())
}
