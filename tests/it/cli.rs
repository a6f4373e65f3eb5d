//! The `querymore` binary, run as a user would: export from the embedded mock,
//! CSV round trip, a SIGKILLed export resumed with every record exactly once,
//! `compare` across backends and against a mock with one changed record, the
//! `mock` subcommand's handshake line, and clean exit codes and messages for
//! bad input, with no credential in any output.

#![cfg(feature = "cli")]

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_querymore");

fn querymore(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("QUERYMORE_ENDPOINT")
        .env_remove("QUERYMORE_USERNAME")
        .env_remove("QUERYMORE_PASSWORD")
        .env_remove("QUERYMORE_SESSION")
        .env_remove("QUERYMORE_TOKEN")
        .output()
        .expect("run querymore")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A `querymore mock` child process, killed on drop.
struct MockProcess {
    child: Child,
    info: serde_json::Value,
}

impl MockProcess {
    fn start(extra: &[&str]) -> MockProcess {
        let mut child = Command::new(BIN)
            .args(["mock", "--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start querymore mock");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the handshake line");
        let info = serde_json::from_str(&line).expect("handshake is one JSON object");
        MockProcess { child, info }
    }

    /// A string from the handshake line.
    fn url(&self, key: &str) -> String {
        self.info[key]
            .as_str()
            .expect("string in handshake")
            .to_owned()
    }

    /// The mock's session id and token, as environment variables for a child.
    fn credential_env(&self) -> [(&'static str, String); 2] {
        [
            ("QUERYMORE_SESSION", self.url("session_id")),
            ("QUERYMORE_TOKEN", self.url("access_token")),
        ]
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn jsonl_ids(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("read output")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("each line is JSON");
            v["Id"].as_str().expect("Id").to_owned()
        })
        .collect()
}

#[test]
fn cli_mock_prints_urls_and_credentials_first() {
    let mock = MockProcess::start(&["--records", "5"]);
    let base = mock.url("base_url");
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert_eq!(
        mock.url("zuora_soap"),
        format!("{base}/apps/services/a/78.0")
    );
    assert_eq!(
        mock.url("salesforce_soap"),
        format!("{base}/services/Soap/u/58.0")
    );
    for key in ["username", "password", "session_id", "access_token"] {
        assert!(mock.info[key].is_string(), "{key} missing: {}", mock.info);
    }
}

#[test]
fn cli_export_without_endpoint_writes_the_sample_accounts_as_jsonl() {
    let out = querymore(&["export", "select Id, Name from Account"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSONL"))
        .collect();
    assert_eq!(rows.len(), 1000, "the sample data set has 1,000 accounts");
    let ids: HashSet<&str> = rows.iter().filter_map(|r| r["Id"].as_str()).collect();
    assert_eq!(ids.len(), 1000);
    let keys: Vec<&String> = rows[0].as_object().expect("object").keys().collect();
    assert_eq!(keys, ["Id", "Name"]);
    assert!(
        text(&out.stderr).contains("1000 records"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn cli_export_csv_round_trips_through_the_csv_crate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("accounts.csv");
    let out = querymore(&[
        "export",
        "--format",
        "csv",
        "--output",
        path.to_str().expect("utf-8 path"),
        "--batch-size",
        "300",
        "select Id, Name, Balance, Notes from Account",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut rd = csv::Reader::from_path(&path).expect("csv");
    assert_eq!(
        rd.headers().expect("header"),
        vec!["Id", "Name", "Balance", "Notes"]
    );
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 1000);
    // The awkward names (commas, quotes, ampersands, non-ASCII) survive the round trip.
    let names: HashSet<&str> = rows.iter().map(|r| &r[1]).collect();
    assert!(
        names.iter().any(|n| n.starts_with("\"Quoted\" Holdings")),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.starts_with("Müller & Söhne <GmbH>")));
    assert!(
        rows.iter().any(|r| r[3].is_empty()),
        "null Notes are empty cells"
    );
}

/// Records written according to the checkpoint.
fn checkpointed(path: &Path) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["records_written"].as_u64())
        .unwrap_or(0)
}

/// Waits until the checkpoint reports at least `min` records written.
fn wait_for_checkpoint(path: &Path, min: u64, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if checkpointed(path) >= min {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("export ended ({status}) before {min} records were checkpointed");
        }
        assert!(Instant::now() < deadline, "no progress in the checkpoint");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn cli_export_killed_with_sigkill_and_resumed_yields_every_record_exactly_once() {
    let mock = MockProcess::start(&["--records", "3000", "--latency-ms", "25"]);
    let endpoint = mock.url("zuora_soap");
    let user = mock.info["username"].as_str().expect("username").to_owned();
    let password = mock.info["password"].as_str().expect("password").to_owned();
    let dir = tempfile::tempdir().expect("tempdir");
    let output = dir.path().join("accounts.jsonl");
    let checkpoint = dir.path().join("accounts.checkpoint");
    let (out_s, cp_s) = (
        output.to_str().expect("utf-8"),
        checkpoint.to_str().expect("utf-8"),
    );
    let query = "select Id, Name, Balance from Account";
    let export = |resume: bool| {
        let mut c = Command::new(BIN);
        c.args(["export", "--endpoint", &endpoint, "--batch-size", "100"])
            .args(["--output", out_s, "--checkpoint", cp_s])
            .env("QUERYMORE_USERNAME", &user)
            .env("QUERYMORE_PASSWORD", &password)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if resume {
            c.arg("--resume");
        } else {
            c.arg(query);
        }
        c
    };

    // Kill the first run, and then a resumed run, in the middle of the export.
    let mut first = export(false).spawn().expect("spawn export");
    wait_for_checkpoint(&checkpoint, 700, &mut first);
    first.kill().expect("SIGKILL");
    let _ = first.wait();
    assert!(checkpointed(&checkpoint) < 3000, "killed before the end");
    let mut second = export(true).spawn().expect("spawn resumed export");
    wait_for_checkpoint(&checkpoint, 1700, &mut second);
    second.kill().expect("SIGKILL");
    let _ = second.wait();
    assert!(checkpointed(&checkpoint) < 3000, "killed before the end");
    let last = export(true).output().expect("run resumed export");
    assert!(last.status.success(), "{}", text(&last.stderr));

    // A clean run against the same mock.
    let clean_path = dir.path().join("clean.jsonl");
    let clean = Command::new(BIN)
        .args(["export", "--endpoint", &endpoint, "--batch-size", "100"])
        .args(["--output", clean_path.to_str().expect("utf-8"), query])
        .env("QUERYMORE_USERNAME", &user)
        .env("QUERYMORE_PASSWORD", &password)
        .output()
        .expect("clean export");
    assert!(clean.status.success(), "{}", text(&clean.stderr));

    let resumed = jsonl_ids(&output);
    let expected = jsonl_ids(&clean_path);
    assert_eq!(expected.len(), 3000);
    assert_eq!(resumed.len(), expected.len(), "no record lost or repeated");
    assert_eq!(resumed, expected, "same records, same order");

    let cp = std::fs::read_to_string(&checkpoint).expect("checkpoint");
    assert!(cp.contains("\"records_written\": 3000"), "{cp}");
    for secret in [&password, &user] {
        assert!(
            !cp.contains(secret.as_str()),
            "credential in checkpoint: {cp}"
        );
    }
    let session = mock.info["session_id"].as_str().expect("session");
    assert!(!cp.contains(session));
}

#[test]
fn cli_compare_zuora_soap_and_zuora_rest_match_on_the_mock() {
    let out = querymore(&[
        "compare",
        "--left",
        "zuora-soap",
        "--right",
        "zuora-rest",
        "select Id, Name, Balance, AutoPay, BillCycleDay, CreatedDate, Notes from Account",
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("left  zuora-soap: 1000 records"),
        "{stdout}"
    );
    assert!(
        stdout.contains("right zuora-rest: 1000 records"),
        "{stdout}"
    );
    assert!(stdout.ends_with("result: match\n"), "{stdout}");
}

#[test]
fn cli_compare_zuora_soap_and_salesforce_soap_match_on_the_mock() {
    let out = querymore(&[
        "compare",
        "--left",
        "zuora-soap",
        "--right",
        "salesforce-soap",
        "select Id, Name, Balance, AutoPay, LastInvoiceDate, Notes, BillToContact.WorkEmail \
         from Account",
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("right salesforce-soap: 1000 records"),
        "{stdout}"
    );
    assert!(stdout.ends_with("result: match\n"), "{stdout}");
}

#[test]
fn cli_compare_names_the_record_and_field_that_changed() {
    let left = MockProcess::start(&["--records", "50"]);
    let right = MockProcess::start(&["--records", "50", "--override", "Account:3:Name=Changed"]);
    // Row 3 is the fourth account.
    let ids = Command::new(BIN)
        .args(["export", "--endpoint", &left.url("zuora_soap")])
        .arg("select Id from Account")
        .envs(left.credential_env())
        .output()
        .expect("export ids");
    assert!(ids.status.success(), "{}", text(&ids.stderr));
    let ids = text(&ids.stdout);
    let fourth: serde_json::Value =
        serde_json::from_str(ids.lines().nth(3).expect("4 rows")).expect("json");
    let id = fourth["Id"].as_str().expect("Id");

    let out = Command::new(BIN)
        .args(["compare", "--left", "zuora-soap", "--right", "zuora-rest"])
        .args(["--left-endpoint", &left.url("zuora_soap")])
        .args(["--right-endpoint", &right.url("zuora_rest")])
        .arg("select Id, Name, Status from Account")
        .envs(left.credential_env())
        .output()
        .expect("compare");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("records with differing fields: 1"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("Id {id} field Name:")) && stdout.contains("right \"Changed\""),
        "{stdout}"
    );
    assert!(
        text(&out.stderr).starts_with("error: "),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn cli_bad_batch_size_is_a_usage_error_naming_the_range() {
    let out = querymore(&["export", "--batch-size", "5000", "select Id from Account"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.starts_with("error: invalid batch size"), "{err}");
    assert!(err.contains("2000"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn cli_unknown_backend_is_a_usage_error_listing_the_backends() {
    let out = querymore(&["export", "--backend", "oracle", "select Id from Account"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("invalid value 'oracle'"), "{err}");
    assert!(
        err.contains("zuora-soap") && err.contains("salesforce-bulk"),
        "{err}"
    );
}

#[test]
fn cli_unreachable_endpoint_fails_cleanly() {
    // A port that refuses: bind one, then close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let out = querymore(&[
        "export",
        "--endpoint",
        &format!("http://127.0.0.1:{port}"),
        "--session",
        "sess-do-not-print-7",
        "select Id from Account",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("could not connect"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("sess-do-not-print-7") && !text(&out.stdout).contains("sess-do"));
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"));
}

#[test]
fn cli_bad_credentials_fail_with_the_service_message_and_no_secret() {
    let out = querymore(&[
        "export",
        "--username",
        "user@querymore.test",
        "--password",
        "wrong-password-4711",
        "select Id from Account",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        err.contains("INVALID_LOGIN") || err.contains("LoginFault"),
        "{err}"
    );
    assert!(!err.contains("wrong-password-4711"), "{err}");
    assert!(!text(&out.stdout).contains("wrong-password-4711"));

    let out = querymore(&[
        "export",
        "--backend",
        "zuora-rest",
        "--token",
        "bad-token-0815",
        "select Id from Account",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains("bad-token-0815"), "{err}");
}

#[test]
fn cli_help_documents_env_variables_but_never_their_values() {
    let out = Command::new(BIN)
        .args(["export", "--help"])
        .env("QUERYMORE_PASSWORD", "env-password-9931")
        .env("QUERYMORE_TOKEN", "env-token-9931")
        .output()
        .expect("run");
    assert!(out.status.success());
    let help = text(&out.stdout);
    assert!(
        help.contains("QUERYMORE_PASSWORD") && help.contains("QUERYMORE_TOKEN"),
        "{help}"
    );
    assert!(!help.contains("9931"), "{help}");
}

#[test]
fn cli_envelope_prints_the_zuora_query_more_request_with_the_session_redacted() {
    let out = querymore(&[
        "envelope",
        "query-more",
        "--session",
        "sess-cli-0001",
        "--batch-size",
        "500",
        "2c92c0f8-q1-500",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let xml = text(&out.stdout);
    assert!(!xml.contains("sess-cli-0001"), "{xml}");
    crate::support::snapshot_settings()
        .bind(|| insta::assert_snapshot!("cli__envelope_zuora_soap_query_more", xml));
}

#[test]
fn cli_resume_with_an_expired_cursor_says_so_and_what_to_do() {
    let mock = MockProcess::start(&["--records", "2000", "--latency-ms", "25"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let output = dir.path().join("out.jsonl");
    let checkpoint = dir.path().join("out.ckpt");
    let export = |extra: &[&str]| {
        let mut c = Command::new(BIN);
        c.args(["export", "--backend", "zuora-rest", "--batch-size", "100"])
            .args(["--endpoint", &mock.url("zuora_rest")])
            .args(["--output", output.to_str().expect("utf-8")])
            .args(["--checkpoint", checkpoint.to_str().expect("utf-8")])
            .args(extra)
            .envs(mock.credential_env())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    };
    let mut first = export(&["select Id from Account"]).spawn().expect("spawn");
    wait_for_checkpoint(&checkpoint, 300, &mut first);
    first.kill().expect("SIGKILL");
    let _ = first.wait();

    // The run stayed stopped for an hour: move the cursor's last use back.
    let mut cp: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&checkpoint).expect("read")).expect("json");
    cp["cursor"]["last_used"] = serde_json::json!("2020-01-01T00:00:00Z");
    std::fs::write(&checkpoint, cp.to_string()).expect("write");

    let out = export(&["--resume"]).output().expect("resume");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("cursor expired while the run was stopped")
            && err.contains("without --resume"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn cli_export_survives_a_mock_failing_one_request_in_ten() {
    let mock = MockProcess::start(&["--records", "1500", "--fault-rate", "0.1", "--seed", "3"]);
    for (backend, url) in [
        ("zuora-soap", mock.url("zuora_soap")),
        ("zuora-rest", mock.url("zuora_rest")),
    ] {
        let out = Command::new(BIN)
            .args(["export", "--backend", backend, "--batch-size", "100"])
            .args(["--endpoint", &url, "select Id, Name from Account"])
            .envs(mock.credential_env())
            .output()
            .expect("export");
        assert!(out.status.success(), "{backend}: {}", text(&out.stderr));
        let ids: HashSet<String> = text(&out.stdout)
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("JSONL");
                v["Id"].as_str().expect("Id").to_owned()
            })
            .collect();
        assert_eq!(ids.len(), 1500, "{backend}: every record once");
        assert_eq!(text(&out.stdout).lines().count(), 1500, "{backend}");
    }
}
