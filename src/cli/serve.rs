//! `querymore mock`: serves the embedded mock (every backend) on 127.0.0.1 until
//! Ctrl-C or SIGTERM. Its first line on stdout is one JSON object with each
//! backend's URL and the mock's public test credentials, so scripts and tests
//! can drive it; everything else goes to stderr.

use super::Failure;
use super::args::{MockArgs, Override};
use crate::Value;
use crate::mock::{Dataset, FaultMix, LatencyConfig, MockServer};
use std::io::Write;
use std::time::Duration;
use tokio::runtime::Runtime;

/// Runs `mock`.
pub(crate) fn run(rt: &Runtime, args: MockArgs) -> Result<(), Failure> {
    let dataset = dataset(&args)?;
    rt.block_on(async {
        let mock = MockServer::builder()
            .dataset(dataset)
            .latency(LatencyConfig {
                per_call: Duration::from_millis(args.latency_ms),
                ..LatencyConfig::default()
            })
            .record_requests(false)
            .port(args.port)
            .start()
            .await
            .map_err(|e| {
                Failure::failed(format!("cannot listen on 127.0.0.1:{}: {e}", args.port))
            })?;
        if args.fault_rate > 0.0 {
            // Retryable faults, and 1 in 20 a session ended, so clients that
            // log in again are exercised too (preset credentials are spared).
            mock.faults().set_random_mix(
                args.fault_rate,
                args.seed,
                None,
                FaultMix::rare_session_expiry(),
            );
        }
        let line = describe(&mock);
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")
            .and_then(|()| out.flush())
            .map_err(|e| Failure::failed(format!("cannot write to standard output: {e}")))?;
        drop(out);
        eprintln!(
            "querymore mock: serving {} rows per table on {} (Ctrl-C to stop)",
            args.records,
            mock.uri()
        );
        shutdown_signal().await;
        eprintln!("querymore mock: shutting down");
        mock.shutdown().await;
        Ok(())
    })
}

/// The sample data set with the requested size, seed and changed values.
fn dataset(args: &MockArgs) -> Result<Dataset, Failure> {
    let n = args.records;
    let mut ds = Dataset::generated(args.seed, n, n, n);
    for o in &args.overrides {
        check_override(&ds, o)?;
        ds = ds.with_override(&o.object, o.row, &o.field, Value::from(o.value.as_str()));
    }
    Ok(ds)
}

fn check_override(ds: &Dataset, o: &Override) -> Result<(), Failure> {
    let table = ds
        .table(&o.object)
        .ok_or_else(|| Failure::usage(format!("--override: no table {:?}", o.object)))?;
    if o.row >= table.len() {
        return Err(Failure::usage(format!(
            "--override: {} has {} rows; row {} does not exist",
            table.name(),
            table.len(),
            o.row
        )));
    }
    if !table.fields().contains(&o.field) {
        return Err(Failure::usage(format!(
            "--override: {} has no field {:?}",
            table.name(),
            o.field
        )));
    }
    Ok(())
}

/// The first stdout line: URLs per backend and the (public) test credentials.
fn describe(mock: &MockServer) -> String {
    let c = mock.credentials();
    serde_json::json!({
        "base_url": mock.uri(),
        "zuora_soap": mock.zuora_soap_endpoint(),
        "zuora_rest": mock.uri(),
        "salesforce_instance": mock.uri(),
        "salesforce_soap": mock.salesforce_soap_endpoint(),
        "username": c.username,
        "password": c.password,
        "session_id": c.session_id,
        "access_token": c.access_token,
        "client_id": c.client_id,
        "client_secret": c.client_secret,
    })
    .to_string()
}

/// Resolves on Ctrl-C, or on SIGTERM where there is one.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(overrides: Vec<Override>) -> MockArgs {
        MockArgs {
            port: 0,
            records: 5,
            latency_ms: 0,
            seed: 42,
            fault_rate: 0.0,
            overrides,
        }
    }

    fn o(object: &str, row: usize, field: &str) -> Override {
        Override {
            object: object.into(),
            row,
            field: field.into(),
            value: "Changed".into(),
        }
    }

    #[test]
    fn overrides_change_one_value_and_bad_ones_are_usage_errors() {
        let ds = dataset(&args(vec![o("Account", 3, "Name")])).unwrap();
        let t = ds.table("Account").unwrap();
        assert_eq!(t.row(3).get("Name"), Some(&Value::from("Changed")));
        assert_eq!(ds.table("Account").unwrap().len(), 5);
        for bad in [
            o("Nope", 0, "Name"),
            o("Account", 5, "Name"),
            o("Account", 0, "X"),
        ] {
            assert_eq!(dataset(&args(vec![bad])).unwrap_err().code(), 2);
        }
    }

    #[tokio::test]
    async fn description_names_every_backend_and_the_credentials() {
        let mock = MockServer::start().await;
        let v: serde_json::Value = serde_json::from_str(&describe(&mock)).unwrap();
        assert_eq!(v["zuora_soap"], mock.zuora_soap_endpoint());
        assert_eq!(v["salesforce_instance"], mock.uri());
        assert_eq!(v["password"], mock.credentials().password);
    }
}
