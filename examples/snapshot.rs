//! Snapshot-testing the envelopes an integration sends: capture what the mock
//! received, print its canonical, redacted form (what `assert_envelope_snapshot!`
//! stores), and compare it with an envelope captured from a legacy integration
//! that used other prefixes and formatting (`assert_envelope_eq!`).
//!
//! ```text
//! cargo run --features mock,testing --example snapshot
//! ```

use querymore::mock::{Dataset, MockServer};
use querymore::testing::{Redactions, canonical_xml, redact};
use querymore::{Client, ZuoraSoap};

/// The same queryMore as the crate sends, as a legacy integration wrote it.
fn legacy_query_more(session: &str, locator: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"
                   xmlns:ns1="http://api.zuora.com/">
  <SOAP-ENV:Header>
    <ns1:SessionHeader><ns1:session>{session}</ns1:session></ns1:SessionHeader>
    <ns1:QueryOptions><ns1:batchSize>2</ns1:batchSize></ns1:QueryOptions>
  </SOAP-ENV:Header>
  <SOAP-ENV:Body>
    <ns1:queryMore><ns1:queryLocator>{locator}</ns1:queryLocator></ns1:queryMore>
  </SOAP-ENV:Body>
</SOAP-ENV:Envelope>"#
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::builder()
        .dataset(Dataset::sample(3))
        .start()
        .await?;
    let session = mock.credentials().session_id.clone();
    let source = ZuoraSoap::builder()
        .endpoint(mock.zuora_soap_endpoint())
        .session(session.clone())
        .build()?;
    Client::new(source)
        .query("select Id from Account")
        .batch_size(2)
        .pages()
        .try_collect()
        .await?;

    let sent = mock
        .received_requests()
        .into_iter()
        .find(|r| r.soap().is_some_and(|c| c.operation == "queryMore"))
        .ok_or("no queryMore was sent")?;
    let canonical = canonical_xml(&sent.body)?;
    println!(
        "{}",
        redact(&canonical, &Redactions::default().locators(true))
    );

    let locator = sent
        .soap()
        .and_then(|c| c.param("queryLocator").map(str::to_owned))
        .unwrap_or_default();
    querymore::assert_envelope_eq!(sent.body.as_ref(), legacy_query_more(&session, &locator));
    println!("the crate's queryMore matches the legacy envelope");
    Ok(())
}
