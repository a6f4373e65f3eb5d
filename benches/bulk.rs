//! Bulk API 2.0: parallel `resultPages` against the sequential locator walk, in
//! the same run, over the embedded mock with injected latency per request.
//!
//! ```text
//! cargo bench --bench bulk --features mock
//! cargo bench --bench bulk --features mock -- --rows 500000 --latency-ms 50 \
//!     --max-records 50000,10000,2000 --concurrency 5 --repeat 3 --table light
//! ```
//!
//! `--table light` (the default) serves a five-column table whose rows are cheap
//! to generate; `--table contact` serves the mock's sample `Contact` rows, whose
//! generator (chrono date formatting, nested records) then costs more CPU than
//! the client does.
//!
//! The sequential walk costs one round trip per results set; the parallel walk
//! one per listing of five sets (the next listing is fetched alongside), so the
//! ratio approaches the concurrency limit only when round trips dominate: with
//! few large sets, building and parsing the CSV (mock and client share the
//! machine) is most of the time.
//!
//! Each measurement runs in a child process of this binary (`--path seq|par`),
//! so the peak memory reported (`VmHWM` from `/proc/self/status`) belongs to that
//! path alone; the child holds the mock server and the client, and reads every
//! row through `Client::records`, dropping each after counting it.

use querymore::mock::{Dataset, LatencyConfig, MockServer, Table};
use querymore::{Client, Record, RetryPolicy, SalesforceBulk, Secret, Value};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

const CONTACT_QUERY: &str =
    "select Id, FirstName, LastName, Email, IsDeleted, Account.Name from Contact";
const LIGHT_QUERY: &str = "select Id, Name, Amount, Status, Account.Name from Opportunity";

/// A table whose rows cost little to generate, so the mock's data generator
/// (the sample `Contact` formats dates with chrono) does not dominate the run.
#[derive(Debug)]
struct Light {
    rows: usize,
    fields: Vec<String>,
}

impl Light {
    fn new(rows: usize) -> Self {
        Light {
            rows,
            fields: ["Id", "Name", "Amount", "Status", "Account.Name"]
                .map(String::from)
                .to_vec(),
        }
    }
}

impl Table for Light {
    fn name(&self) -> &str {
        "Opportunity"
    }
    fn fields(&self) -> &[String] {
        &self.fields
    }
    fn len(&self) -> usize {
        self.rows
    }
    fn row(&self, i: usize) -> Record {
        let mut account = Record::with_capacity(1);
        account.push("Name", Value::from(format!("Account {}", i % 1000)));
        let mut r = Record::with_capacity(5).with_object_type("Opportunity");
        r.push("Id", Value::from(format!("0065g00000{i:08}AA")));
        r.push("Name", Value::from(format!("Deal {i}")));
        r.push("Amount", Value::Int((i as i64 * 37) % 100_000));
        r.push(
            "Status",
            Value::from(if i.is_multiple_of(3) { "Won" } else { "Open" }),
        );
        r.push("Account", Value::from(account));
        r
    }
}

#[derive(Debug, Clone)]
struct Settings {
    rows: usize,
    latency: Duration,
    max_records: Vec<u32>,
    concurrency: usize,
    repeat: usize,
    table: String,
    path: Option<String>,
}

fn settings() -> Result<Settings, String> {
    let mut s = Settings {
        rows: 500_000,
        latency: Duration::from_millis(50),
        max_records: vec![50_000, 10_000, 2_000],
        concurrency: 5,
        repeat: 1,
        table: "light".into(),
        path: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--rows" => s.rows = value()?.parse().map_err(|e| format!("--rows: {e}"))?,
            "--latency-ms" => {
                s.latency = Duration::from_millis(
                    value()?.parse().map_err(|e| format!("--latency-ms: {e}"))?,
                )
            }
            "--max-records" => {
                s.max_records = value()?
                    .split(',')
                    .map(|n| n.trim().parse().map_err(|e| format!("--max-records: {e}")))
                    .collect::<Result<_, _>>()?
            }
            "--concurrency" => {
                s.concurrency = value()?
                    .parse()
                    .map_err(|e| format!("--concurrency: {e}"))?
            }
            "--repeat" => s.repeat = value()?.parse().map_err(|e| format!("--repeat: {e}"))?,
            "--table" => s.table = value()?,
            "--path" => s.path = Some(value()?),
            _ => {} // `cargo bench` passes `--bench`
        }
    }
    Ok(s)
}

/// A `/proc/self/status` field in kB.
fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// One walk, in this process: prints `rows secs vmhwm_kb baseline_kb`.
fn child(s: &Settings, parallel: bool) -> Result<(), String> {
    let max = *s.max_records.first().ok_or("no --max-records")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let (dataset, query) = match s.table.as_str() {
            "contact" => (Dataset::generated(42, 10, 10, s.rows), CONTACT_QUERY),
            _ => (Dataset::empty().with_table(Light::new(s.rows)), LIGHT_QUERY),
        };
        let mock = MockServer::builder()
            .dataset(dataset)
            .latency(LatencyConfig {
                per_call: s.latency,
                ..Default::default()
            })
            .record_requests(false)
            .start()
            .await
            .map_err(|e| e.to_string())?;
        let source = SalesforceBulk::builder()
            .instance_url(mock.uri())
            .access_token(Secret::new(mock.credentials().access_token.clone()))
            .api_version("62.0")
            .poll_interval(Duration::from_millis(10))
            .parallel_result_pages(parallel)
            .result_concurrency(s.concurrency)
            .build()
            .map_err(|e| e.to_string())?;
        let client = Client::builder(source).retry(RetryPolicy::none()).build();
        let baseline = status_kb("VmRSS:");
        let started = Instant::now();
        let mut records = client
            .query_all(query)
            .batch_size(i64::from(max))
            .records::<Record>();
        let mut n = 0usize;
        while let Some(r) = records.try_next().await.map_err(|e| e.to_string())? {
            n += usize::from(!r.is_empty());
        }
        let secs = started.elapsed().as_secs_f64();
        if n != s.rows {
            return Err(format!("read {n} rows, expected {}", s.rows));
        }
        println!("{n} {secs:.3} {} {baseline}", status_kb("VmHWM:"));
        Ok(())
    })
}

struct Measured {
    secs: f64,
    peak_kb: u64,
    baseline_kb: u64,
}

/// The fastest of `s.repeat` runs (the peak memory of that run).
fn best_of(s: &Settings, path: &str, max: u32) -> Result<Measured, String> {
    let mut best: Option<Measured> = None;
    for _ in 0..s.repeat.max(1) {
        let m = run_child(s, path, max)?;
        if best.as_ref().is_none_or(|b| m.secs < b.secs) {
            best = Some(m);
        }
    }
    best.ok_or_else(|| "no run".to_owned())
}

fn run_child(s: &Settings, path: &str, max: u32) -> Result<Measured, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .args([
            "--path",
            path,
            "--rows",
            &s.rows.to_string(),
            "--latency-ms",
            &s.latency.as_millis().to_string(),
            "--max-records",
            &max.to_string(),
            "--concurrency",
            &s.concurrency.to_string(),
            "--table",
            &s.table,
        ])
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "{path} run failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let f: Vec<&str> = text.split_whitespace().collect();
    let parse = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    Ok(Measured {
        secs: parse(1),
        peak_kb: parse(2) as u64,
        baseline_kb: parse(3) as u64,
    })
}

fn main() -> ExitCode {
    let s = match settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(path) = s.path.clone() {
        return match child(&s, path == "par") {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        };
    }
    println!(
        "bulk: {} {} rows, {} ms per request, {} concurrent result fetches, best of {}",
        s.rows,
        s.table,
        s.latency.as_millis(),
        s.concurrency,
        s.repeat.max(1)
    );
    println!(
        "{:>11} {:>6} {:>10} {:>10} {:>7} {:>14} {:>14}",
        "maxRecords", "sets", "seq s", "par s", "ratio", "seq peak MiB", "par peak MiB"
    );
    for &max in &s.max_records {
        let seq = best_of(&s, "seq", max);
        let par = best_of(&s, "par", max);
        match (seq, par) {
            (Ok(seq), Ok(par)) => println!(
                "{:>11} {:>6} {:>10.2} {:>10.2} {:>6.2}x {:>14.1} {:>14.1}   (baseline RSS {:.1} / {:.1} MiB)",
                max,
                s.rows.div_ceil(max as usize),
                seq.secs,
                par.secs,
                seq.secs / par.secs.max(1e-9),
                seq.peak_kb as f64 / 1024.0,
                par.peak_kb as f64 / 1024.0,
                seq.baseline_kb as f64 / 1024.0,
                par.baseline_kb as f64 / 1024.0,
            ),
            (seq, par) => {
                for e in [seq.err(), par.err()].into_iter().flatten() {
                    eprintln!("{e}");
                }
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
