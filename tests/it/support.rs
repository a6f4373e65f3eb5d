//! Shared test helpers: the snapshot settings (top-level `snapshots/`, credentials
//! filtered as a last line of defence) and a mock started on a manual clock.

#![allow(dead_code)]

use querymore::ManualClock;
use querymore::mock::{Dataset, MockServer};

/// Insta settings: snapshots in the top-level `snapshots/` folder, names as given.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s.add_filter(r"(<(?:\w+:)?session(?:Id)?>)[^<]+(</)", "$1[SESSION]$2");
    s.add_filter(r"(<(?:\w+:)?password>)[^<]+(</)", "$1[PASSWORD]$2");
    s.add_filter(r"Bearer [A-Za-z0-9!._-]+", "Bearer [TOKEN]");
    s
}

/// A mock serving `dataset` on a manual clock shared with the returned handle.
pub async fn mock_with(dataset: Dataset) -> (MockServer, ManualClock) {
    let clock = ManualClock::fixed();
    let mock = MockServer::builder()
        .dataset(dataset)
        .clock(clock.clone())
        .start()
        .await
        .expect("bind loopback");
    (mock, clock)
}
