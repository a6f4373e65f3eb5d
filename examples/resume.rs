//! Checkpoint and resume: page a query, save the cursor to a file after each
//! page, stop half-way, and continue later from the file with `Client::resume`.
//!
//! ```text
//! cargo run --features mock --example resume
//! ```

use querymore::mock::{Dataset, MockServer};
use querymore::{Client, Cursor, ZuoraRest};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::builder()
        .dataset(Dataset::sample(1000))
        .start()
        .await?;
    let source = ZuoraRest::builder()
        .base_url(mock.uri())
        .access_token(mock.credentials().access_token.clone())
        .build()?;
    let client = Client::new(source);
    let checkpoint = std::env::temp_dir().join("querymore-resume-example.json");

    // First run: three pages, checkpointing after each, then "crash".
    let mut seen = Vec::new();
    let mut pages = client
        .query("select Id from Account")
        .batch_size(100)
        .pages();
    for _ in 0..3 {
        if let Some(page) = pages.try_next().await? {
            seen.extend(
                page.records
                    .iter()
                    .filter_map(|r| r.get("Id")?.to_text().map(|t| t.into_owned())),
            );
            if let Some(cursor) = pages.cursor() {
                std::fs::write(&checkpoint, serde_json::to_vec(cursor)?)?;
            }
        }
    }
    drop(pages);
    println!(
        "first run: {} records, checkpoint at {}",
        seen.len(),
        checkpoint.display()
    );

    // Second run: read the checkpoint and continue exactly where it stopped.
    let cursor: Cursor = serde_json::from_slice(&std::fs::read(&checkpoint)?)?;
    println!("resuming; the cursor expires at {:?}", cursor.expires_at());
    let mut rest = client.resume(cursor).records::<querymore::Record>();
    while let Some(r) = rest.try_next().await? {
        seen.extend(
            r.get("Id")
                .and_then(|v| v.to_text())
                .map(|t| t.into_owned()),
        );
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    println!("in all: {} records, {} distinct", seen.len(), unique.len());
    assert_eq!(
        (seen.len(), unique.len()),
        (1000, 1000),
        "every record exactly once"
    );
    std::fs::remove_file(&checkpoint)?;
    Ok(())
}
