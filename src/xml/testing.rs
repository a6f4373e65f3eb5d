//! Test helpers for the SOAP dialects' unit tests: insta settings that store
//! snapshots in the top-level `snapshots/` folder under the names given.

/// Snapshots in `<crate>/snapshots/`, names used as given, credentials filtered
/// as a last line of defence.
pub(crate) fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s.add_filter(r"(?i)(<(?:\w+:)?session(?:Id)?>)[^<]+(</)", "$1[SESSION]$2");
    s.add_filter(r"(?i)(<(?:\w+:)?password>)[^<]+(</)", "$1[PASSWORD]$2");
    s
}
