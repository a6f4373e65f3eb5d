//! The conformance suite run against `InMemory` (the backends run it in their own
//! test modules, over the mock).

use querymore::conformance::{Harness, run};
use querymore::{InMemory, Record};
use std::sync::Arc;

#[tokio::test]
async fn in_memory_passes_the_conformance_suite() {
    let ids: Vec<String> = (0..95).map(|i| format!("id-{i:03}")).collect();
    let records = ids
        .iter()
        .map(|id| Record::new().with("Id", id.as_str()))
        .collect();
    let h = Harness::new(
        Arc::new(InMemory::new(records)),
        "select Id from T",
        ids,
        10,
    );
    let passed = run(&h).await.unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(passed.len(), 7, "{passed:?}");
}

#[tokio::test]
async fn the_suite_fails_a_source_that_loses_records() {
    let ids: Vec<String> = (0..95).map(|i| format!("id-{i:03}")).collect();
    // The source holds one record fewer than the harness expects.
    let records = ids
        .iter()
        .skip(1)
        .map(|id| Record::new().with("Id", id.as_str()))
        .collect();
    let h = Harness::new(
        Arc::new(InMemory::new(records)),
        "select Id from T",
        ids,
        10,
    );
    let failure = run(&h).await.unwrap_err();
    assert_eq!(failure.check, "all_records_in_order");
    assert!(
        failure.message.contains("first difference at index 0"),
        "{failure}"
    );
}
