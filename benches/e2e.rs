//! End-to-end benchmarks against the embedded mock on loopback: 100 pages × 2000
//! records per backend through `Client::records::<T>()`, at 0 ms and 20 ms
//! injected latency, with and without a consumer that spends as long on each
//! page as the latency, prefetch off and on; and peak RSS of a client paging
//! 100k and 1M records, each size in a fresh process. Prints a markdown section
//! for BENCHMARKS.md. Beside the client: for Salesforce REST, a plain reqwest +
//! serde_json loop (the reference) and, at 20 ms, the harness's floor (reqwest
//! sending each next request the moment the page's head names it and reading
//! no records: the cost of the proxy alone); for Bulk, the
//! default walk (`resultPages`, five at a time), which is not one request per
//! page.
//!
//! `cargo bench --features mock --bench e2e` (rounds: `BENCH_ROUNDS`, default 3;
//! backends: `E2E_BACKENDS=salesforce-rest,zuora-soap,…`; `E2E_SKIP_RSS=1`;
//! `E2E_RSS_BACKENDS`; `E2E_RSS_RUNS`, fresh processes per peak RSS figure,
//! default 3, the median reported; the CLI measured is `QUERYMORE_BIN` or the `querymore`
//! next to this binary, when built; `E2E_TOKIO_SLEEP=1`: the replay proxy waits
//! on tokio's millisecond timer, which adds about 1.1 ms to every 20 ms).
//! The mock serves from its own runtime thread; the client runs on a separate
//! two-worker runtime, as `#[tokio::main]` would give it on this machine.

#[path = "common/replay.rs"]
mod replay;
#[path = "common/timing.rs"]
mod timing;

use querymore::mock::{Dataset, LatencyConfig, MockServer};
use querymore::{Client, QuerySource};
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use timing::{median, median_f64};

/// Pages per run: 100, or `E2E_PAGES` (for profiling runs).
fn pages() -> usize {
    std::env::var("E2E_PAGES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100)
}
const BATCH: usize = 2000;
const LATENCY: Duration = Duration::from_millis(20);

/// The mock's generated `Contact` row, as the Salesforce backends read it.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Contact {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "AccountId")]
    account_id: String,
    #[serde(rename = "FirstName")]
    first_name: Option<String>,
    #[serde(rename = "LastName")]
    last_name: String,
    #[serde(rename = "Email")]
    email: String,
    #[serde(rename = "Phone")]
    phone: Option<String>,
    #[serde(rename = "IsDeleted")]
    is_deleted: bool,
    #[serde(rename = "CreatedDate")]
    created_date: String,
    #[serde(rename = "Account")]
    account: Option<AccountRef>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct AccountRef {
    #[serde(rename = "Name")]
    name: Option<String>,
}

/// The mock's generated `InvoiceItem` row, as the Zuora backends read it.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct InvoiceItem {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "AccountId")]
    account_id: String,
    #[serde(rename = "ChargeAmount")]
    charge_amount: f64,
    #[serde(rename = "ChargeDate")]
    charge_date: String,
    #[serde(rename = "ChargeName")]
    charge_name: String,
    #[serde(rename = "Quantity")]
    quantity: f64,
    #[serde(rename = "ServiceEndDate")]
    service_end_date: String,
    #[serde(rename = "ServiceStartDate")]
    service_start_date: String,
    #[serde(rename = "SKU")]
    sku: String,
    #[serde(rename = "UOM")]
    uom: Option<String>,
}

const CONTACT_QUERY: &str = "select Id, AccountId, FirstName, LastName, Email, Phone, IsDeleted, CreatedDate, Account.Name from Contact";
const INVOICE_ITEM_QUERY: &str = "select Id, AccountId, ChargeAmount, ChargeDate, ChargeName, Quantity, ServiceEndDate, ServiceStartDate, SKU, UOM from InvoiceItem";

/// The backends benchmarked (those on main when this bench was last updated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    ZuoraSoap,
    ZuoraRest,
    SalesforceRest,
    SalesforceSoap,
    SalesforceBulk,
}

impl Backend {
    const ALL: [Backend; 5] = [
        Backend::ZuoraSoap,
        Backend::ZuoraRest,
        Backend::SalesforceRest,
        Backend::SalesforceSoap,
        Backend::SalesforceBulk,
    ];

    fn name(self) -> &'static str {
        match self {
            Backend::ZuoraSoap => "zuora-soap",
            Backend::ZuoraRest => "zuora-rest",
            Backend::SalesforceRest => "salesforce-rest",
            Backend::SalesforceSoap => "salesforce-soap",
            Backend::SalesforceBulk => "salesforce-bulk",
        }
    }

    fn parse(s: &str) -> Option<Backend> {
        Backend::ALL.into_iter().find(|b| b.name() == s)
    }

    /// Records per second required at 0 ms latency, where the issue sets one.
    fn throughput_target(self) -> Option<f64> {
        match self {
            Backend::SalesforceRest => Some(700_000.0),
            Backend::ZuoraSoap => Some(400_000.0),
            Backend::ZuoraRest | Backend::SalesforceSoap | Backend::SalesforceBulk => None,
        }
    }

    fn is_zuora(self) -> bool {
        matches!(self, Backend::ZuoraRest | Backend::ZuoraSoap)
    }

    fn query(self) -> &'static str {
        if self.is_zuora() {
            INVOICE_ITEM_QUERY
        } else {
            CONTACT_QUERY
        }
    }

    /// A source talking to the mock at `uri`; Bulk walks the locators one
    /// results set at a time, one request per page as the other backends do,
    /// unless `parallel` (see [`Reader::BulkParallel`]).
    fn source(self, mock: &MockEndpoint, parallel: bool) -> Arc<dyn QuerySource> {
        let token = mock.access_token.as_str();
        match self {
            Backend::ZuoraSoap => Arc::new(
                querymore::ZuoraSoap::builder()
                    .endpoint(format!("{}{}", mock.uri, querymore::mock::ZUORA_SOAP_PATH))
                    .session(mock.session_id.as_str())
                    .build()
                    .expect("zuora soap source"),
            ),
            Backend::SalesforceSoap => Arc::new(
                querymore::SalesforceSoap::builder()
                    .endpoint(format!(
                        "{}{}",
                        mock.uri,
                        querymore::mock::SALESFORCE_SOAP_PATH
                    ))
                    .session(mock.session_id.as_str())
                    .build()
                    .expect("salesforce soap source"),
            ),
            Backend::SalesforceBulk => Arc::new(
                querymore::SalesforceBulk::builder()
                    .instance_url(&mock.uri)
                    .access_token(token)
                    .poll_interval(Duration::from_millis(5))
                    .parallel_result_pages(parallel)
                    .build()
                    .expect("salesforce bulk source"),
            ),
            Backend::SalesforceRest => Arc::new(
                querymore::salesforce::rest::SalesforceRest::builder()
                    .instance_url(&mock.uri)
                    .access_token(token)
                    .build()
                    .expect("salesforce rest source"),
            ),
            Backend::ZuoraRest => Arc::new(
                querymore::ZuoraRest::builder()
                    .base_url(&mock.uri)
                    .access_token(token)
                    .build()
                    .expect("zuora rest source"),
            ),
        }
    }

    /// Reads every record as the backend's typed row; returns the count. With
    /// `consumer`, sleeps that long after each page's last record.
    async fn read_all(self, client: &Client, consumer: Duration) -> usize {
        if self.is_zuora() {
            read_typed::<InvoiceItem>(client, self.query(), consumer).await
        } else {
            read_typed::<Contact>(client, self.query(), consumer).await
        }
    }
}

async fn read_typed<T: serde::de::DeserializeOwned + 'static>(
    client: &Client,
    query: &str,
    consumer: Duration,
) -> usize {
    let mut records = client.query(query).batch_size(BATCH as i64).records::<T>();
    let mut n = 0;
    while let Some(r) = records.try_next().await.expect("record") {
        std::hint::black_box(&r);
        n += 1;
        if !consumer.is_zero() && records.at_page_boundary() {
            tokio::time::sleep(consumer).await;
        }
    }
    n
}

#[derive(Deserialize)]
struct RestPage<T> {
    #[serde(rename = "nextRecordsUrl")]
    next_records_url: Option<String>,
    records: Vec<T>,
}

/// The reference loop: plain reqwest + serde_json into the typed struct,
/// following `nextRecordsUrl` (Salesforce REST only).
async fn reqwest_loop(mock: &MockEndpoint, consumer: Duration) -> usize {
    let http = reqwest::Client::new();
    let q: String = url::form_urlencoded::byte_serialize(CONTACT_QUERY.as_bytes()).collect();
    let mut url = format!("{}/services/data/v62.0/query?q={q}", mock.uri);
    let mut n = 0;
    loop {
        let body = http
            .get(&url)
            .bearer_auth(&mock.access_token)
            .header("Sforce-Query-Options", "batchSize=2000")
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("page")
            .bytes()
            .await
            .expect("body");
        let page: RestPage<Contact> = serde_json::from_slice(&body).expect("json");
        n += page.records.len();
        std::hint::black_box(&page.records);
        if !consumer.is_zero() {
            tokio::time::sleep(consumer).await;
        }
        match page.next_records_url {
            Some(next) => url = format!("{}{next}", mock.uri),
            None => return n,
        }
    }
}

/// The harness's floor at a latency (Salesforce REST only): plain reqwest
/// sending each next request the moment the page's head names it, and doing
/// nothing with the records (the body is read and dropped): what paging
/// through the same proxy costs before any client work, within the noise of
/// a run. Returns pages × records per page.
async fn reqwest_floor(mock: &MockEndpoint) -> usize {
    let http = reqwest::Client::new();
    let q: String = url::form_urlencoded::byte_serialize(CONTACT_QUERY.as_bytes()).collect();
    let get = |url: String| {
        let req = http
            .get(url)
            .bearer_auth(&mock.access_token)
            .header("Sforce-Query-Options", "batchSize=2000");
        tokio::spawn(async move { req.send().await.expect("page") })
    };
    let mut next = Some(get(format!("{}/services/data/v62.0/query?q={q}", mock.uri)));
    let mut pages = 0;
    while let Some(fetch) = next.take() {
        let mut resp = fetch.await.expect("fetch task");
        assert!(resp.status().is_success(), "{}", resp.status());
        let mut head = Vec::new();
        let mut looking = true;
        while let Some(chunk) = resp.chunk().await.expect("body") {
            if looking {
                // Only the head: the first read can hold half the page.
                let room = HEAD_LIMIT.saturating_sub(head.len());
                head.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if let Some((url, done)) = head_link(&head) {
                    looking = false;
                    if !done {
                        next = Some(get(format!("{}{url}", mock.uri)));
                        tokio::task::yield_now().await;
                    }
                }
            }
        }
        pages += 1;
    }
    pages * BATCH
}

/// How much of a page the floor looks at for its head (as the client does).
const HEAD_LIMIT: usize = 64 * 1024;

/// The `nextRecordsUrl` at the head of a REST page (`done` when there is
/// none), once the head reaches the records.
fn head_link(head: &[u8]) -> Option<(String, bool)> {
    let text = std::str::from_utf8(head)
        .unwrap_or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default());
    let records = text.find("\"records\"")?;
    let before = &text[..records];
    match before.find("\"nextRecordsUrl\":\"") {
        Some(at) => {
            let rest = &before[at + "\"nextRecordsUrl\":\"".len()..];
            Some((rest[..rest.find('"')?].to_owned(), false))
        }
        None => Some((String::new(), true)),
    }
}

/// Where a mock listens and how to get in.
#[derive(Debug, Clone)]
struct MockEndpoint {
    uri: String,
    access_token: String,
    session_id: String,
}

/// A data set whose `Contact` query (deleted rows excluded) and `InvoiceItem`
/// query both match exactly `rows` records.
fn dataset(rows: usize) -> Dataset {
    // Contact row i is deleted when i % 10 == 9: 10 rows hold 9 visible ones.
    let contacts = rows / 9 * 10 + rows % 9;
    Dataset::generated(42, 10, rows, contacts)
}

/// The live mock serving `rows` rows with no latency, and replay proxies in
/// front of it at each of `replay_latencies`, on a runtime of their own.
/// Endpoint 0 is the live mock, endpoint `1 + i` the proxy at latency `i`.
struct Mocks {
    _runtime: tokio::runtime::Runtime,
    _server: MockServer,
    replays: Vec<replay::Replay>,
    endpoints: Vec<MockEndpoint>,
}

impl Mocks {
    fn replay_misses(&self) -> usize {
        self.replays.iter().map(replay::Replay::misses).sum()
    }

    /// Requests the proxies have answered so far.
    fn replay_served(&self) -> usize {
        self.replays.iter().map(replay::Replay::served).sum()
    }
}

fn start_mocks(rows: usize, replay_latencies: &[Duration]) -> Mocks {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("mock")
        .enable_all()
        .build()
        .expect("mock runtime");
    let server = runtime
        .block_on(
            MockServer::builder()
                .dataset(dataset(rows))
                .latency(LatencyConfig::default())
                .record_requests(false)
                .start(),
        )
        .expect("mock starts");
    // Bulk jobs complete on the first poll, so a replayed poll is final too.
    server.state().bulk().set_polls_to_complete(1);
    let token = server.credentials().access_token.clone();
    let session = server.credentials().session_id.clone();
    let mut endpoints = vec![MockEndpoint {
        uri: server.uri(),
        access_token: token.clone(),
        session_id: session.clone(),
    }];
    let mut replays = Vec::new();
    for &latency in replay_latencies {
        let r = runtime
            .block_on(replay::Replay::start(server.uri(), latency))
            .expect("replay proxy starts");
        endpoints.push(MockEndpoint {
            uri: r.uri().to_owned(),
            access_token: token.clone(),
            session_id: session.clone(),
        });
        replays.push(r);
    }
    Mocks {
        _runtime: runtime,
        _server: server,
        replays,
        endpoints,
    }
}

fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("client runtime")
}

/// How a scenario reads the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// `Client::records::<T>()`, prefetch off or on.
    Client { prefetch: bool },
    /// The plain reqwest + serde_json reference loop.
    Reqwest,
    /// The harness floor (see [`reqwest_floor`]); with latency only.
    Floor,
    /// Bulk only: `Client::records::<T>()` with the results sets read through
    /// `resultPages`, five at a time (the default from API 58.0), prefetch on.
    /// Not one request per page, so no target applies; it shows what the
    /// default costs next to the sequential walk.
    BulkParallel,
}

/// Which server a scenario talks to (an index into `Mocks::endpoints`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    /// The live mock, building every page as it is asked for.
    Live = 0,
    /// Pages replayed from memory, no latency.
    Replay0 = 1,
    /// Pages replayed from memory after 20 ms.
    Replay20 = 2,
}

/// One timed configuration.
#[derive(Debug, Clone, Copy)]
struct Scenario {
    server: Server,
    consumer: bool,
    reader: Reader,
}

impl Scenario {
    fn all(backend: Backend) -> Vec<Scenario> {
        let mut out = Vec::new();
        for (server, consumer) in [
            (Server::Live, false),
            (Server::Replay0, false),
            (Server::Replay20, false),
            (Server::Replay20, true),
        ] {
            if backend == Backend::SalesforceRest {
                if server == Server::Replay20 && !consumer {
                    out.push(Scenario {
                        server,
                        consumer,
                        reader: Reader::Floor,
                    });
                }
                out.push(Scenario {
                    server,
                    consumer,
                    reader: Reader::Reqwest,
                });
            }
            for prefetch in [false, true] {
                out.push(Scenario {
                    server,
                    consumer,
                    reader: Reader::Client { prefetch },
                });
            }
            if backend == Backend::SalesforceBulk {
                out.push(Scenario {
                    server,
                    consumer,
                    reader: Reader::BulkParallel,
                });
            }
        }
        out
    }

    fn latency(self) -> Duration {
        if self.server == Server::Replay20 {
            LATENCY
        } else {
            Duration::ZERO
        }
    }

    fn consumer(self) -> Duration {
        if self.consumer {
            LATENCY
        } else {
            Duration::ZERO
        }
    }

    fn label(self) -> String {
        format!(
            "{}, {} ms{}",
            if self.server == Server::Live {
                "live mock"
            } else {
                "replayed"
            },
            self.latency().as_millis(),
            if self.consumer {
                ", consumer 20 ms/page"
            } else {
                ""
            }
        )
    }

    fn reader_label(self) -> &'static str {
        match self.reader {
            Reader::Client { prefetch: false } => "querymore, prefetch off",
            Reader::Client { prefetch: true } => "querymore, prefetch on",
            Reader::Reqwest => "reqwest + serde_json loop (reference)",
            Reader::Floor => "reqwest, next request at each head, records unread (harness floor)",
            Reader::BulkParallel => "querymore, resultPages in parallel (default, API 58+)",
        }
    }

    fn run(self, backend: Backend, mocks: &Mocks, rt: &tokio::runtime::Runtime) -> usize {
        let endpoint = &mocks.endpoints[self.server as usize];
        match self.reader {
            Reader::Client { prefetch } => {
                let client = Client::builder(backend.source(endpoint, false))
                    .prefetch(prefetch)
                    .build();
                rt.block_on(backend.read_all(&client, self.consumer()))
            }
            Reader::BulkParallel => {
                let client = Client::builder(backend.source(endpoint, true)).build();
                rt.block_on(backend.read_all(&client, self.consumer()))
            }
            Reader::Reqwest => rt.block_on(reqwest_loop(endpoint, self.consumer())),
            Reader::Floor => rt.block_on(reqwest_floor(endpoint)),
        }
    }
}

fn bench_backend(backend: Backend, mocks: &Mocks, rt: &tokio::runtime::Runtime, rounds: usize) {
    let only = std::env::var("E2E_ONLY").unwrap_or_default();
    let scenarios: Vec<Scenario> = Scenario::all(backend)
        .into_iter()
        .filter(|s| format!("{} {}", s.label(), s.reader_label()).contains(&only))
        .collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); scenarios.len()];
    // requests one run of each scenario sent (the most over the rounds)
    let mut requests = vec![0usize; scenarios.len()];
    let pages = pages();
    let expected = pages * BATCH;
    // warm up connections and code paths, and record the replayed pages
    for s in scenarios.iter().filter(|s| !s.consumer) {
        assert_eq!(s.run(backend, mocks, rt), expected);
    }
    let recorded = mocks.replay_misses();
    for _ in 0..rounds {
        for ((s, t), r) in scenarios.iter().zip(&mut times).zip(&mut requests) {
            let served = mocks.replay_served();
            let start = Instant::now();
            let n = s.run(backend, mocks, rt);
            t.push(start.elapsed());
            *r = (*r).max(mocks.replay_served() - served);
            assert_eq!(n, expected, "{} read {n} records", backend.name());
        }
    }
    let replay_misses = mocks.replay_misses() - recorded;
    let floor = LATENCY.as_secs_f64() * pages as f64;
    println!("\n### {}\n", backend.name());
    println!("{pages} pages × {BATCH} records read as a typed struct; {rounds} rounds, medians.\n");
    println!(
        "Replayed: pages recorded from the mock once, then served from memory by a proxy \
         after the injected latency ({replay_misses} requests missed the recording).\n"
    );
    println!(
        "| server, latency | reader | wall | records/s | requests | wall / (pages × latency) \
         | wall / (requests × latency) | target | met |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---|---|");
    for (i, s) in scenarios.iter().enumerate() {
        let wall = median(&times[i]).as_secs_f64();
        let rate = expected as f64 / wall;
        let (vs_floor, vs_requests) = if s.latency().is_zero() {
            (String::new(), String::new())
        } else {
            let per_request = LATENCY.as_secs_f64() * requests[i] as f64;
            (
                format!("{:.3}x", wall / floor),
                format!("{:.3}x", wall / per_request),
            )
        };
        let (target, met) = match (s.server, s.consumer, s.reader) {
            (
                _,
                _,
                Reader::Reqwest
                | Reader::Floor
                | Reader::BulkParallel
                | Reader::Client { prefetch: false },
            )
            | (Server::Live, _, _) => (String::new(), ""),
            (Server::Replay0, _, _) => match backend.throughput_target() {
                Some(t) => (format!("≥ {:.0}k records/s", t / 1e3), yes(rate >= t)),
                None => (String::new(), ""),
            },
            (_, false, _) => ("≤ 1.05x".to_owned(), yes(wall / floor <= 1.05)),
            (_, true, _) => {
                let off = scenarios.iter().position(|o| {
                    o.server == s.server
                        && o.consumer
                        && o.reader == Reader::Client { prefetch: false }
                });
                match off {
                    Some(j) => {
                        let r = paired(&times[i], &times[j]);
                        (format!("≤ 0.60x of prefetch off: {r:.2}x"), yes(r <= 0.6))
                    }
                    None => (String::new(), ""),
                }
            }
        };
        println!(
            "| {} | {} | {:.3} s | {:.0}k | {} | {} | {} | {} | {} |",
            s.label(),
            s.reader_label(),
            wall,
            rate / 1e3,
            if requests[i] == 0 {
                String::new()
            } else {
                requests[i].to_string()
            },
            vs_floor,
            vs_requests,
            target,
            met
        );
    }
}

fn yes(ok: bool) -> &'static str {
    if ok { "yes" } else { "**no**" }
}

/// Median over rounds of `a[i] / b[i]`.
fn paired(a: &[Duration], b: &[Duration]) -> f64 {
    let r: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(x, y)| x.as_secs_f64() / y.as_secs_f64())
        .collect();
    median_f64(&r)
}

/// Child mode: page `n` records from the mock at `uri` and print `VmHWM`.
fn rss_child(backend: Backend, endpoint: MockEndpoint, n: usize) {
    let rt = client_runtime();
    let client = Client::builder(backend.source(&endpoint, false)).build();
    let got = rt.block_on(backend.read_all(&client, Duration::ZERO));
    assert_eq!(got, n);
    println!("{}", timing::peak_rss_kib().unwrap_or(0));
}

/// The record counts peak RSS is measured at.
const RSS_SIZES: [usize; 2] = [100_000, 1_000_000];

/// Fresh processes per size and reader: `E2E_RSS_RUNS`, default 3.
fn rss_runs() -> usize {
    std::env::var("E2E_RSS_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(3)
}

/// The `querymore` CLI binary, if built (`cargo build --release --features cli`).
fn cli_binary() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("QUERYMORE_BIN") {
        return Some(p.into());
    }
    // benches run from target/<profile>/deps/
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?.parent()?.join("querymore");
    bin.exists().then_some(bin)
}

/// Peak RSS in KiB of one measured process: this binary in child mode
/// (`cli == None`), or `querymore export` under `/usr/bin/time -v`.
fn peak_rss(backend: Backend, n: usize, cli: Option<&std::path::Path>) -> u64 {
    // a fresh process per size, against a mock serving exactly n rows
    let mock = start_mocks(n, &[]);
    let ep = &mock.endpoints[0];
    let file =
        std::env::temp_dir().join(format!("querymore-bench-{}-{n}.jsonl", std::process::id()));
    let out = match cli {
        None => std::process::Command::new(std::env::current_exe().expect("own path"))
            .args(["rss-child", backend.name(), &ep.uri, &n.to_string()])
            .env("E2E_TOKEN", &ep.access_token)
            .env("E2E_SESSION", &ep.session_id)
            .output(),
        Some(bin) => std::process::Command::new("/usr/bin/time")
            .arg("-v")
            .arg(bin)
            .args(["export", backend.query(), "--backend", backend.name()])
            .args(["--endpoint", &ep.uri, "--batch-size", "2000"])
            .args(["--format", "jsonl", "--output"])
            .arg(&file)
            .env("QUERYMORE_TOKEN", &ep.access_token)
            .env("QUERYMORE_SESSION", &ep.session_id)
            .output(),
    }
    .expect("the measured process runs");
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    match cli {
        None => String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0),
        Some(_) => String::from_utf8_lossy(&out.stderr)
            .lines()
            .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0),
    }
}

fn rss(backend: Backend) {
    let cli = cli_binary();
    println!("\n#### Peak RSS, {}\n", backend.name());
    println!("| process | records | peak RSS | target | met |");
    println!("|---|---:|---:|---|---|");
    let mut runs: Vec<(&str, Option<&std::path::Path>)> =
        vec![("client only (this bench, child mode)", None)];
    if let Some(bin) = cli.as_deref() {
        runs.push(("`/usr/bin/time -v querymore export` (JSONL)", Some(bin)));
    }
    for (label, bin) in runs {
        // Each size's median over fresh processes: one peak moves by a few
        // MiB from run to run (allocator arenas, when the page fetched ahead
        // lands), the ratio between single runs by ±0.1.
        let measured: Vec<(u64, u64, u64)> = RSS_SIZES
            .iter()
            .map(|&n| {
                let mut kib: Vec<u64> =
                    (0..rss_runs()).map(|_| peak_rss(backend, n, bin)).collect();
                kib.sort_unstable();
                (kib[kib.len() / 2], kib[0], kib[kib.len() - 1])
            })
            .collect();
        let peaks: Vec<u64> = measured.iter().map(|m| m.0).collect();
        for (i, (&n, &(kib, low, high))) in RSS_SIZES.iter().zip(&measured).enumerate() {
            let (target, met) = if i == 1 {
                let ratio = kib as f64 / peaks[0].max(1) as f64;
                (
                    format!("≤ 1.15x of 100k ({ratio:.2}x), < 48 MiB"),
                    yes(ratio <= 1.15 && kib < 48 * 1024),
                )
            } else {
                (String::new(), "")
            };
            println!(
                "| {label} | {n} | {:.1} MiB ({:.1}–{:.1}) | {target} | {met} |",
                kib as f64 / 1024.0,
                low as f64 / 1024.0,
                high as f64 / 1024.0
            );
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("rss-child") {
        let backend = args
            .get(2)
            .and_then(|s| Backend::parse(s))
            .expect("backend");
        let endpoint = MockEndpoint {
            uri: args.get(3).cloned().expect("uri"),
            access_token: std::env::var("E2E_TOKEN").unwrap_or_default(),
            session_id: std::env::var("E2E_SESSION").unwrap_or_default(),
        };
        let n = args.get(4).and_then(|s| s.parse().ok()).expect("count");
        rss_child(backend, endpoint, n);
        return;
    }
    let rounds = timing::rounds(3);
    let backends: Vec<Backend> = match std::env::var("E2E_BACKENDS") {
        Ok(list) => list.split(',').filter_map(Backend::parse).collect(),
        Err(_) => Backend::ALL.to_vec(),
    };
    println!("## End to end over loopback (`cargo bench --features mock --bench e2e`)");
    println!(
        "\nTargets apply to the default reader (prefetch on); prefetch off is the \
         reference for the slow consumer. At 20 ms the target is on wall / (pages × \
         latency); wall / (requests × latency) counts every request the run sent \
         (a Bulk query also creates its job and polls it) and, for the harness floor, \
         shows what the proxy alone costs."
    );
    let mocks = start_mocks(pages() * BATCH, &[Duration::ZERO, LATENCY]);
    let rt = client_runtime();
    for &b in &backends {
        bench_backend(b, &mocks, &rt, rounds);
    }
    drop(mocks);
    if std::env::var_os("E2E_SKIP_RSS").is_none() {
        // Zuora SOAP and Salesforce REST by default (each size is a full export
        // of up to 1M rows from the live mock); `E2E_RSS_BACKENDS` to choose.
        let rss_backends: Vec<Backend> = match std::env::var("E2E_RSS_BACKENDS") {
            Ok(list) => list.split(',').filter_map(Backend::parse).collect(),
            Err(_) => vec![Backend::ZuoraSoap, Backend::SalesforceRest],
        };
        println!("\n### Peak memory (`cargo bench --features mock --bench e2e`)");
        println!(
            "\nEach figure is the median peak of {} fresh processes (lowest–highest \
             in brackets), each paging every record of a query matching that \
             many rows, from a live mock in the bench process.",
            rss_runs()
        );
        for b in rss_backends {
            rss(b);
        }
    }
}
