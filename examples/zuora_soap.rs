//! Pages `select Id, Name from Account` out of the embedded mock's Zuora SOAP
//! endpoint through `ZuoraSoap`, logging in with a username and password, and
//! prints every record and the number of pages.
//!
//! ```text
//! cargo run --features mock --example zuora_soap
//! ```

use querymore::mock::{Dataset, MockServer};
use querymore::{Client, ZuoraSoap};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::builder()
        .dataset(Dataset::sample(350))
        .start()
        .await?;
    let creds = mock.credentials();
    let zuora = ZuoraSoap::builder()
        .endpoint(mock.zuora_soap_endpoint())
        .credentials(creds.username.clone(), creds.password.clone())
        .build()?;
    println!("Zuora SOAP endpoint: {}", mock.zuora_soap_endpoint());

    let client = Client::new(zuora);
    let mut pages = client
        .query("select Id, Name from Account")
        .batch_size(100)
        .pages();
    let mut records = 0;
    while let Some(page) = pages.try_next().await? {
        for record in &page.records {
            println!("{}", serde_json::to_string(record)?);
        }
        records += page.records.len();
    }
    println!("{records} records in {} pages", pages.pages_read());
    Ok(())
}
