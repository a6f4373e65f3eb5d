//! No password, session id or bearer token in any output: error `Display` and
//! `Debug`, `tracing` events at trace level (captured by a small subscriber),
//! any committed snapshot, or any CLI checkpoint file, for every backend. The
//! values searched for are the mock's credentials and the prefixes of the
//! sessions and tokens it issues.

use super::backends::{ACCOUNT_IDS, ALL, Auth, backend, client, fast_retry};
use crate::support::mock_with;
use querymore::mock::{Dataset, MockCredentials, MockFault};
use querymore::{HttpOptions, RetryPolicy};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record as SpanRecord};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

/// What must never be shown: the mock's secrets and the prefixes of the
/// sessions and tokens it issues (`zs-`, `zuora-rest-token-`, `00D…!`).
fn secrets() -> Vec<String> {
    let c = MockCredentials::default();
    vec![
        c.password,
        c.session_id,
        c.access_token,
        c.client_secret,
        "zs-0000".into(),
        "zuora-rest-token-".into(),
        "00DMOCK0000000001!".into(),
        "00D5g00000MOCKAAA!".into(),
    ]
}

#[track_caller]
fn assert_clean(what: &str, text: &str) {
    for s in secrets() {
        assert!(!text.contains(&s), "{what} shows {s:?}: {text}");
    }
}

/// Every event and span field, formatted with its `Debug`, into one buffer.
#[derive(Clone, Default)]
struct Capture {
    buf: Arc<Mutex<String>>,
    ids: Arc<AtomicU64>,
}

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl Capture {
    fn text(&self) -> String {
        self.buf.lock().unwrap().clone()
    }

    fn write(&self, head: std::fmt::Arguments<'_>, fields: impl FnOnce(&mut Fields<'_>)) {
        let mut buf = self.buf.lock().unwrap();
        let _ = buf.write_fmt(head);
        fields(&mut Fields(&mut buf));
        buf.push('\n');
    }
}

impl Subscriber for Capture {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::always()
    }

    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        self.write(format_args!("span {}", span.metadata().name()), |f| {
            span.record(f)
        });
        Id::from_u64(self.ids.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, values: &SpanRecord<'_>) {
        self.write(format_args!("record"), |f| values.record(f));
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let m = event.metadata();
        self.write(format_args!("{} {}", m.level(), m.target()), |f| {
            event.record(f)
        });
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// Runs every backend through logins, a refused session, retried faults and
/// failures, collecting each error's `Display` and `Debug`.
async fn exercise_every_backend() -> Vec<String> {
    let mut shown = Vec::new();
    for kind in ALL {
        let (mock, clock) = mock_with(Dataset::sample(500)).await;
        for auth in [Auth::Refreshable, Auth::Fixed] {
            // A callsite that another test thread was registering while this
            // subscriber was set may have cached "never" (a race in
            // tracing-core); ask every callsite again now and then.
            tracing::callsite::rebuild_interest_cache();
            let source = backend(kind, &mock, auth, HttpOptions::default());
            shown.push(format!("{source:?}"));
            let c = client(source.clone(), &clock, fast_retry());
            shown.push(format!("{c:?}"));
            let mut pages = c.query(ACCOUNT_IDS).batch_size(200).pages();
            let first = pages.try_next().await.unwrap().unwrap();
            shown.push(format!("{first:?}"));
            mock.faults()
                .push_for(kind, MockFault::Status(503))
                .push_for(kind, MockFault::TruncatedBody)
                .push_for(kind, MockFault::ExpireSession);
            while let Some(page) = pages.try_next().await.transpose() {
                match page {
                    Ok(p) => shown.push(format!("{:?}", p.cursor)),
                    Err(e) => {
                        shown.push(format!("{e} {e:?}"));
                        break;
                    }
                }
            }
            let once = client(source, &clock, RetryPolicy::none());
            for fault in [
                MockFault::ExpireSession,
                MockFault::Html,
                MockFault::Reset,
                MockFault::Status(400),
            ] {
                mock.faults().push_for(kind, fault);
                if let Err(e) = once.query(ACCOUNT_IDS).pages().try_next().await {
                    shown.push(format!("{e} {e:?}"));
                }
            }
            let bad = once
                .query("select Nope from Account")
                .pages()
                .try_next()
                .await;
            shown.push(format!("{bad:?}"));
        }
    }
    shown
}

#[tokio::test(flavor = "current_thread")]
async fn no_secret_in_any_error_debug_or_trace_event_of_any_backend() {
    let capture = Capture::default();
    let guard = tracing::subscriber::set_default(capture.clone());
    let shown = exercise_every_backend().await;
    drop(guard);
    for s in &shown {
        assert_clean("Display/Debug", s);
    }
    let trace = capture.text();
    assert!(
        trace.contains("retrying page") && trace.contains("authenticating again"),
        "the subscriber saw the client's events: {trace}"
    );
    assert_clean("trace output", &trace);
}

#[test]
fn no_secret_in_any_snapshot() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "snap") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert_clean(&path.display().to_string(), &text);
            seen += 1;
        }
    }
    assert!(
        seen > 10,
        "only {seen} snapshots found in {}",
        dir.display()
    );
}

/// Runs `querymore export` with `args` into a checkpointed file in `dir` and
/// checks the checkpoint, the output and both streams.
fn export_is_clean(dir: &Path, name: &str, args: &[&str]) {
    let out = dir.join(format!("{name}.jsonl"));
    let cp = dir.join(format!("{name}.checkpoint"));
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_querymore"))
        .args(["export", "--batch-size", "200"])
        .args(args)
        .arg("--output")
        .arg(&out)
        .arg("--checkpoint")
        .arg(&cp)
        .arg(ACCOUNT_IDS)
        .env_remove("QUERYMORE_ENDPOINT")
        .env_remove("QUERYMORE_TOKEN")
        .env_remove("QUERYMORE_SESSION")
        .env_remove("QUERYMORE_CLIENT_ID")
        .env_remove("QUERYMORE_CLIENT_SECRET")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{name}: {stderr}");
    let checkpoint = std::fs::read_to_string(&cp).unwrap();
    assert!(checkpoint.contains("records_written"), "{checkpoint}");
    assert_clean(&format!("{name} checkpoint"), &checkpoint);
    assert_clean(&format!("{name} stderr"), &stderr);
    assert_clean(
        &format!("{name} stdout"),
        &String::from_utf8_lossy(&run.stdout),
    );
    assert_clean(
        &format!("{name} output"),
        &std::fs::read_to_string(&out).unwrap(),
    );
}

#[test]
fn no_secret_in_any_cli_checkpoint_or_output() {
    let dir = tempfile::tempdir().unwrap();
    for backend in [
        "zuora-soap",
        "zuora-rest",
        "salesforce-rest",
        "salesforce-bulk",
    ] {
        export_is_clean(dir.path(), backend, &["--backend", backend]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_cli_checkpoints_after_a_login_or_token_request() {
    let (mock, _clock) = mock_with(Dataset::sample(500)).await;
    let uri = mock.uri();
    let c = MockCredentials::default();
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        let login = ["--username", &c.username, "--password", &c.password];
        for backend in ["zuora-soap", "salesforce-soap"] {
            let at = ["--backend", backend, "--endpoint", &uri];
            export_is_clean(dir.path(), backend, &[&at[..], &login[..]].concat());
        }
        let oauth = [
            "--client-id",
            &c.client_id,
            "--client-secret",
            &c.client_secret,
        ];
        for backend in ["zuora-rest", "salesforce-rest", "salesforce-bulk"] {
            let at = ["--backend", backend, "--endpoint", &uri];
            export_is_clean(dir.path(), backend, &[&at[..], &oauth[..]].concat());
        }
    })
    .await
    .unwrap();
    let reqs = mock.received_requests();
    let logins = reqs.iter().filter(|r| r.body_text().contains(":login>"));
    assert_eq!(logins.count(), 2);
    assert_eq!(reqs.iter().filter(|r| r.path.contains("oauth")).count(), 3);
}
