//! `querymore export`: pages a query into a JSONL or CSV file (or stdout).
//!
//! After each page is written and made durable, the checkpoint (cursor, counts,
//! output length) is replaced atomically. `--resume` cuts the output back to the
//! checkpointed length and continues from the checkpointed cursor, so a run
//! killed at any moment, even by SIGKILL, ends with every record exactly once.
//!
//! Pages are fetched on the tokio runtime; files are written on this thread,
//! between fetches, so no blocking I/O runs on the runtime.

use super::Failure;
use super::args::{Backend, ExportArgs, Format};
use super::checkpoint::Checkpoint;
use super::connect;
use super::progress::Progress;
use super::sink::{Output, Sink};
use crate::{Client, Error, Pages};
use std::io;
use std::path::{Path, PathBuf};
use tokio::runtime::Runtime;

/// What the export writes and where it saves its position.
struct Plan {
    output: Option<PathBuf>,
    checkpoint: Option<PathBuf>,
    /// The checkpoint to write after each page (counts updated as it goes).
    state: Checkpoint,
    /// True when continuing an earlier run.
    resuming: bool,
}

/// Runs `export`.
pub(crate) fn run(rt: &Runtime, args: ExportArgs) -> Result<(), Failure> {
    let earlier = match (&args.checkpoint, args.resume) {
        (Some(path), true) => Some(load_for_resume(path, &args)?),
        _ => None,
    };
    if let Some(cp) = &earlier
        && cp.is_complete()
    {
        eprintln!(
            "the export in the checkpoint is already complete ({} records); nothing to do",
            cp.records_written
        );
        return Ok(());
    }
    let backend = match &earlier {
        Some(cp) => Backend::from_kind(cp.backend)
            .ok_or_else(|| Failure::usage(format!("cannot resume a {} cursor", cp.backend)))?,
        None => args.backend.unwrap_or(Backend::ZuoraSoap),
    };
    let conn = rt.block_on(connect::open(
        backend,
        args.endpoint.as_deref(),
        &args.credentials,
        None,
        args.mock_records,
    ))?;
    let client = Client::from_shared(conn.source.clone());
    let (builder, state) = match earlier {
        Some(mut cp) => {
            let cursor = cp
                .cursor
                .take()
                .ok_or_else(|| Failure::failed("the checkpoint has no cursor to resume from"))?;
            cp.cursor = Some(cursor.clone());
            (client.resume(cursor), cp)
        }
        None => {
            let query = args.query.clone().unwrap_or_default();
            let builder = if args.query_all {
                client.query_all(query.clone())
            } else {
                client.query(query.clone())
            };
            let state = Checkpoint {
                version: Checkpoint::VERSION,
                backend: backend.kind(),
                query,
                query_all: args.query_all,
                format: args.format.unwrap_or(Format::Jsonl),
                csv_header: None,
                records_written: 0,
                pages_written: 0,
                output_len_bytes: 0,
                cursor: None,
            };
            (builder, state)
        }
    };
    let builder = match args.batch_size {
        Some(n) => builder.batch_size(n),
        None => builder,
    };
    let plan = Plan {
        output: args.output.clone(),
        checkpoint: args.checkpoint.clone(),
        resuming: args.resume,
        state,
    };
    write_pages(rt, builder.pages(), plan)
}

impl Backend {
    /// The command-line name for a library backend kind.
    fn from_kind(kind: crate::BackendKind) -> Option<Backend> {
        use crate::BackendKind as K;
        Some(match kind {
            K::ZuoraSoap => Backend::ZuoraSoap,
            K::ZuoraRest => Backend::ZuoraRest,
            K::SalesforceRest => Backend::SalesforceRest,
            K::SalesforceSoap => Backend::SalesforceSoap,
            K::SalesforceBulk => Backend::SalesforceBulk,
            _ => return None,
        })
    }
}

/// Reads the checkpoint and checks it agrees with what was asked for.
fn load_for_resume(path: &Path, args: &ExportArgs) -> Result<Checkpoint, Failure> {
    let cp = Checkpoint::load(path)
        .map_err(|e| Failure::failed(format!("cannot read checkpoint {}: {e}", path.display())))?;
    if let Some(q) = &args.query
        && *q != cp.query
    {
        return Err(Failure::usage(format!(
            "the query differs from the checkpoint's ({:?}); resume without a query or with the same one",
            cp.query
        )));
    }
    if let Some(b) = args.backend
        && b.kind() != cp.backend
    {
        return Err(Failure::usage(format!(
            "--backend {} differs from the checkpoint's backend {}",
            b.kind(),
            cp.backend
        )));
    }
    if let Some(f) = args.format
        && f != cp.format
    {
        return Err(Failure::usage(
            "--format differs from the checkpoint's format",
        ));
    }
    if args.query_all && !cp.query_all {
        return Err(Failure::usage(
            "--query-all differs from the checkpoint, which is a plain query",
        ));
    }
    Ok(cp)
}

/// Pages into the output, checkpointing after each durable page.
fn write_pages(rt: &Runtime, mut pages: Pages, mut plan: Plan) -> Result<(), Failure> {
    let mut progress = Progress::new(plan.state.records_written);
    let mut sink: Option<Sink> = None;
    let result = loop {
        let page = match rt.block_on(pages.try_next()) {
            Ok(Some(page)) => page,
            Ok(None) => break Ok(()),
            Err(e) => break Err(fetch_failure(e, plan.resuming)),
        };
        let sink = match &mut sink {
            Some(s) => s,
            None => match open_sink(&plan) {
                Ok(s) => sink.insert(s),
                Err(f) => break Err(f),
            },
        };
        let n = page.records.len() as u64;
        let len = match sink.write_page(&page.records) {
            Ok(len) => len,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                // The reader went away (`| head`): stop quietly.
                progress.abandon();
                return Ok(());
            }
            Err(e) => break Err(write_failure(&plan, e)),
        };
        plan.state.records_written += n;
        plan.state.pages_written += 1;
        plan.state.output_len_bytes = len;
        plan.state.cursor = pages.cursor().cloned();
        if plan.state.csv_header.is_none() {
            plan.state.csv_header = sink.header().map(<[String]>::to_vec);
        }
        if let Some(path) = &plan.checkpoint
            && let Err(e) = plan.state.save(path)
        {
            break Err(Failure::failed(format!(
                "cannot save checkpoint {}: {e}",
                path.display()
            )));
        }
        progress.page(n, page.total_size);
    };
    match result {
        Ok(()) => {
            if sink.is_none() && !plan.resuming {
                // The query returned nothing at all: still leave an (empty) output.
                open_sink(&plan)?;
            }
            let what = match &plan.output {
                Some(p) => format!("exported to {}", p.display()),
                None => "exported".to_owned(),
            };
            progress.finish(&what);
            Ok(())
        }
        Err(f) => {
            progress.abandon();
            Err(f)
        }
    }
}

/// Opens the output: new, or cut back to the checkpointed length when resuming.
fn open_sink(plan: &Plan) -> Result<Sink, Failure> {
    let out = match (&plan.output, plan.resuming) {
        (None, _) => Output::stdout(),
        (Some(path), false) => Output::create(path)
            .map_err(|e| Failure::failed(format!("cannot create {}: {e}", path.display())))?,
        (Some(path), true) => Output::resume(path, plan.state.output_len_bytes).map_err(|e| {
            Failure::failed(format!("cannot reopen {} to resume: {e}", path.display()))
        })?,
    };
    Ok(Sink::new(
        plan.state.format,
        out,
        plan.state.csv_header.clone(),
        &plan.state.query,
    ))
}

fn write_failure(plan: &Plan, e: io::Error) -> Failure {
    let target = plan
        .output
        .as_ref()
        .map_or_else(|| "standard output".to_owned(), |p| p.display().to_string());
    Failure::failed(format!("cannot write {target}: {e}"))
}

/// The message for a failed page; an expired cursor says what to do.
fn fetch_failure(e: Error, resuming: bool) -> Failure {
    if e.is_cursor_expired() {
        let when = if resuming {
            "the checkpointed cursor expired while the run was stopped"
        } else {
            "the cursor expired during the export"
        };
        return Failure::failed(format!(
            "{when} ({e}); the server no longer keeps this query's position, so it cannot \
             be resumed: run the export again without --resume to start over"
        ));
    }
    Failure::from(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{InMemory, Record};

    fn records(n: usize) -> Vec<Record> {
        (0..n)
            .map(|i| {
                Record::new()
                    .with("Id", format!("id-{i}"))
                    .with("N", i as i64)
            })
            .collect()
    }

    fn plan(dir: &Path, format: Format) -> Plan {
        Plan {
            output: Some(dir.join("out")),
            checkpoint: Some(dir.join("cp")),
            state: Checkpoint {
                version: Checkpoint::VERSION,
                backend: crate::BackendKind::Memory,
                query: "q".into(),
                query_all: false,
                format,
                csv_header: None,
                records_written: 0,
                pages_written: 0,
                output_len_bytes: 0,
                cursor: None,
            },
            resuming: false,
        }
    }

    fn runtime() -> Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    }

    fn ids(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["Id"].to_string())
            .collect()
    }

    #[test]
    fn full_run_writes_every_record_and_a_complete_checkpoint() {
        let rt = runtime();
        let dir = tempfile::tempdir().unwrap();
        let client = Client::new(InMemory::new(records(25)));
        let pages = client.query("q").batch_size(10).pages();
        write_pages(&rt, pages, plan(dir.path(), Format::Jsonl)).unwrap();
        assert_eq!(ids(&dir.path().join("out")).len(), 25);
        let cp = Checkpoint::load(&dir.path().join("cp")).unwrap();
        assert!(cp.is_complete());
        assert_eq!((cp.records_written, cp.pages_written), (25, 3));
    }

    #[test]
    fn resume_drops_a_partial_page_and_appends_the_rest_once() {
        let rt = runtime();
        let dir = tempfile::tempdir().unwrap();
        let client = Client::new(InMemory::new(records(25)));
        // A run that wrote page 1, checkpointed, then died halfway through page 2.
        let first = rt
            .block_on(client.query("q").batch_size(10).first_page())
            .unwrap();
        let mut p = plan(dir.path(), Format::Jsonl);
        let out = dir.path().join("out");
        let mut sink = Sink::new(Format::Jsonl, Output::create(&out).unwrap(), None, "q");
        p.state.output_len_bytes = sink.write_page(&first.records).unwrap();
        p.state.records_written = 10;
        p.state.cursor = first.cursor.clone();
        sink.write_page(&records(11)[10..]).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&out)
            .and_then(|mut f| io::Write::write_all(&mut f, b"{\"Id\":\"id-1"))
            .unwrap();
        p.resuming = true;
        let pages = client.resume(first.cursor.unwrap()).pages();
        write_pages(&rt, pages, p).unwrap();
        let got = ids(&out);
        let want: Vec<String> = (0..25).map(|i| format!("\"id-{i}\"")).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn invalid_batch_size_is_a_usage_error_and_creates_no_file() {
        let rt = runtime();
        let dir = tempfile::tempdir().unwrap();
        let client = Client::new(InMemory::new(records(3)));
        let pages = client.query("q").batch_size(-5).pages();
        let err = write_pages(&rt, pages, plan(dir.path(), Format::Csv)).unwrap_err();
        assert_eq!(err.code(), 2, "{err}");
        assert!(err.to_string().contains("batch size"), "{err}");
        assert!(!dir.path().join("out").exists());
    }
}
