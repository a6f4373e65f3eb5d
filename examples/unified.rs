//! One paging function over a backend chosen at run time: the same code reads
//! Zuora SOAP, Zuora REST and Salesforce REST (all served by the embedded mock).
//!
//! ```text
//! cargo run --features mock --example unified -- zuora-rest
//! ```

use querymore::mock::{Dataset, MockServer};
use querymore::{BackendKind, Client, QuerySource, SalesforceRest, ZuoraRest, ZuoraSoap};
use std::sync::Arc;

/// A row as any backend returns it.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Account {
    id: String,
    name: String,
    bill_cycle_day: u8,
}

/// The backend named `kind`, pointed at the mock.
fn connect(kind: BackendKind, mock: &MockServer) -> querymore::Result<Arc<dyn QuerySource>> {
    let c = mock.credentials();
    Ok(match kind {
        BackendKind::ZuoraSoap => Arc::new(
            ZuoraSoap::builder()
                .endpoint(mock.zuora_soap_endpoint())
                .credentials(c.username.clone(), c.password.clone())
                .build()?,
        ),
        BackendKind::ZuoraRest => Arc::new(
            ZuoraRest::builder()
                .base_url(mock.uri())
                .access_token(c.access_token.clone())
                .build()?,
        ),
        _ => Arc::new(
            SalesforceRest::builder()
                .instance_url(mock.uri())
                .access_token(c.access_token.clone())
                .build()?,
        ),
    })
}

/// The paging code: it does not know which backend it reads.
async fn count_big_accounts(source: Arc<dyn QuerySource>) -> querymore::Result<(usize, usize)> {
    let client = Client::from_shared(source);
    let mut accounts = client
        .query("select Id, Name, BillCycleDay from Account")
        .records::<Account>();
    let (mut all, mut late) = (0, 0);
    while let Some(a) = accounts.try_next().await? {
        all += 1;
        if a.bill_cycle_day > 20 {
            late += 1;
        }
        if all == 1 {
            println!("first: {} {}", a.id, a.name);
        }
    }
    Ok((all, late))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::builder()
        .dataset(Dataset::sample(2500))
        .start()
        .await?;
    let kinds = match std::env::args().nth(1) {
        Some(name) => vec![name.parse::<BackendKind>()?],
        None => vec![
            BackendKind::ZuoraSoap,
            BackendKind::ZuoraRest,
            BackendKind::SalesforceRest,
        ],
    };
    for kind in kinds {
        let (all, late) = count_big_accounts(connect(kind, &mock)?).await?;
        println!("{kind}: {all} accounts, {late} bill after the 20th");
    }
    Ok(())
}
