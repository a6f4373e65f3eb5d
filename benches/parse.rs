//! Parse benchmarks: each of the crate's parse paths against its limit on the
//! same bytes, in the same run (round-robin, medians, paired ratios). Prints a
//! markdown section for BENCHMARKS.md.
//!
//! `cargo bench --features mock --bench parse` (rounds: `BENCH_ROUNDS`, default
//! 41; only the groups whose title contains `BENCH_GROUP`, e.g. `Zuora`).

#[path = "common/baselines.rs"]
mod baselines;
#[path = "common/payloads.rs"]
mod payloads;
#[path = "common/timing.rs"]
mod timing;

use payloads::{Contact, InvoiceItem};
use std::hint::black_box;
use timing::{Case, Measured, ms, paired_ratio};

/// A row of the report: which case, compared with which baseline, and the
/// target ratio (`None`: shown for reference).
struct Row {
    case: &'static str,
    base: &'static str,
    target: Option<f64>,
    note: &'static str,
}

fn find<'a>(m: &'a [Measured], name: &str) -> &'a Measured {
    m.iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

fn report(title: &str, bytes: usize, records: usize, measured: &[Measured], rows: &[Row]) {
    println!(
        "\n### {title}\n\n{:.2} MB, {records} records per run; {} rounds.\n",
        bytes as f64 / 1e6,
        measured.first().map_or(0, |m| m.times.len())
    );
    println!("| path | median | MB/s | records/s | ratio | vs | target | met |");
    println!("|---|---:|---:|---:|---:|---|---:|---|");
    for row in rows {
        let m = find(measured, row.case);
        let base = find(measured, row.base);
        let secs = m.median.as_secs_f64();
        let ratio = paired_ratio(m, base);
        let (target, met) = match row.target {
            Some(t) => (
                format!("≤ {t:.2}x"),
                if ratio <= t { "yes" } else { "**no**" },
            ),
            None => ("".into(), ""),
        };
        println!(
            "| {}{} | {} ms | {:.0} | {:.0}k | {:.2}x | {} | {} | {} |",
            row.case,
            row.note,
            ms(m.median),
            bytes as f64 / 1e6 / secs,
            records as f64 / secs / 1e3,
            ratio,
            row.base,
            target,
            met
        );
    }
}

/// Measures a group and prints its table (or, in profiling mode, only runs
/// the cases asked for).
fn group(
    title: &str,
    bytes: usize,
    records: usize,
    cases: &mut [Case<'_>],
    rows: &[Row],
    rounds: usize,
) {
    if std::env::var("BENCH_GROUP").is_ok_and(|g| !title.contains(&g)) {
        return;
    }
    if timing::profile(cases) {
        return;
    }
    let measured = timing::run(cases, 3, rounds);
    check_counts(&measured, records);
    report(title, bytes, records, &measured, rows);
}

fn check_counts(measured: &[Measured], expected: usize) {
    for m in measured {
        assert_eq!(m.count, expected, "{} read {} records", m.name, m.count);
    }
}

fn main() {
    let rounds = timing::rounds(41);
    println!("## Parse paths (`cargo bench --features mock --bench parse`)");

    // ---- Zuora SOAP -------------------------------------------------------------
    let soap = payloads::zuora_soap_page(2000);
    let sample = baselines::xml_handwritten(&soap);
    assert_eq!(sample, baselines::xml_serde(&soap), "the baselines agree");
    let mut cases = vec![
        Case::new("quick-xml read_event loop", || {
            baselines::xml_read_event(black_box(&soap))
        }),
        Case::new("quick-xml read_event_into loop", || {
            baselines::xml_read_event_into(black_box(&soap))
        }),
        Case::new("quick-xml serde → struct", || {
            baselines::xml_serde(black_box(&soap)).len()
        }),
        Case::new("hand-written extractor → struct", || {
            baselines::xml_handwritten(black_box(&soap)).len()
        }),
    ];
    let mut rows = vec![
        Row {
            case: "quick-xml read_event loop",
            base: "quick-xml read_event loop",
            target: None,
            note: " (limit)",
        },
        Row {
            case: "quick-xml read_event_into loop",
            base: "quick-xml read_event loop",
            target: None,
            note: "",
        },
        Row {
            case: "quick-xml serde → struct",
            base: "quick-xml read_event loop",
            target: None,
            note: "",
        },
        Row {
            case: "hand-written extractor → struct",
            base: "quick-xml read_event loop",
            target: None,
            note: "",
        },
    ];
    crate_soap(&soap, &sample, &mut cases, &mut rows);
    group(
        "Zuora SOAP `queryResponse`, 2000 `InvoiceItem` × 13 fields",
        soap.len(),
        2000,
        &mut cases,
        &rows,
        rounds,
    );
    drop(cases);

    // ---- Salesforce REST ----------------------------------------------------------
    let rest = payloads::salesforce_rest_page(2000);
    let typed = baselines::json_typed(&rest);
    let mut cases = vec![
        Case::new("serde_json → Value", || {
            baselines::json_value(black_box(&rest))
        }),
        Case::new("serde_json → struct", || {
            baselines::json_typed(black_box(&rest)).len()
        }),
    ];
    let mut rows = vec![
        Row {
            case: "serde_json → Value",
            base: "serde_json → Value",
            target: None,
            note: " (limit)",
        },
        Row {
            case: "serde_json → struct",
            base: "serde_json → Value",
            target: None,
            note: " (limit, typed)",
        },
    ];
    crate_rest(&rest, &typed, &mut cases, &mut rows);
    group(
        "Salesforce REST query page, 2000 Contacts",
        rest.len(),
        2000,
        &mut cases,
        &rows,
        rounds,
    );
    drop(cases);

    // ---- Salesforce Bulk 2.0 CSV --------------------------------------------------
    let csv = payloads::bulk_csv_chunk(50_000);
    let mut cases = vec![
        Case::new("csv ByteRecord loop", || {
            baselines::csv_byte_records(black_box(&csv))
        }),
        Case::new("csv serde → struct", || {
            baselines::csv_serde(black_box(&csv)).len()
        }),
    ];
    let mut rows = vec![
        Row {
            case: "csv ByteRecord loop",
            base: "csv ByteRecord loop",
            target: None,
            note: " (limit)",
        },
        Row {
            case: "csv serde → struct",
            base: "csv ByteRecord loop",
            target: None,
            note: "",
        },
    ];
    crate_bulk(&csv, &mut cases, &mut rows);
    group(
        "Salesforce Bulk 2.0 CSV chunk, 50,000 quoted rows",
        csv.len(),
        50_000,
        &mut cases,
        &rows,
        rounds.div_ceil(2),
    );
}

/// The crate's Zuora SOAP parser: to `Record`s, and on to the typed struct.
fn crate_soap<'a>(
    soap: &'a [u8],
    sample: &'a [InvoiceItem],
    cases: &mut Vec<Case<'a>>,
    rows: &mut Vec<Row>,
) {
    let records = querymore::bench::zuora_soap_page(soap).expect("the page parses");
    assert!(
        records
            .iter()
            .all(|r| r.object_type() == Some("InvoiceItem"))
    );
    assert_eq!(
        records.iter().map(|r| r.len()).sum::<usize>(),
        sample
            .iter()
            .map(|i| 12 + usize::from(i.uom.is_some()))
            .sum::<usize>(),
        "every field of every record"
    );
    assert_eq!(querymore::bench::typed::<InvoiceItem>(records), sample);
    cases.push(Case::new("querymore → Records", move || {
        querymore::bench::zuora_soap_page(black_box(soap)).map_or(0, |r| r.len())
    }));
    cases.push(Case::new("querymore → Records → struct", move || {
        let records = querymore::bench::zuora_soap_page(black_box(soap)).unwrap_or_default();
        querymore::bench::typed::<InvoiceItem>(records).len()
    }));
    rows.push(Row {
        case: "querymore → Records",
        base: "quick-xml read_event loop",
        target: Some(1.6),
        note: "",
    });
    rows.push(Row {
        case: "querymore → Records → struct",
        base: "quick-xml read_event loop",
        target: Some(2.2),
        note: "",
    });
    rows.push(Row {
        case: "querymore → Records → struct",
        base: "quick-xml serde → struct",
        target: Some(1.0),
        note: "",
    });
}

/// The crate's Salesforce REST parser: to `Record`s, and on to the typed struct.
fn crate_rest<'a>(
    rest: &'a [u8],
    typed: &'a [Contact],
    cases: &mut Vec<Case<'a>>,
    rows: &mut Vec<Row>,
) {
    let records = querymore::bench::salesforce_rest_page(rest).expect("the page parses");
    let via: Vec<Contact> = records
        .iter()
        .map(|r| r.deserialize_as().expect("typed"))
        .collect();
    assert_eq!(via, typed, "records read as the struct match serde_json's");
    cases.push(Case::new("querymore → Records", move || {
        querymore::bench::salesforce_rest_page(black_box(rest)).map_or(0, |r| r.len())
    }));
    cases.push(Case::new("querymore → Records → struct", move || {
        let records = querymore::bench::salesforce_rest_page(black_box(rest)).unwrap_or_default();
        querymore::bench::typed::<Contact>(records).len()
    }));
    rows.push(Row {
        case: "querymore → Records",
        base: "serde_json → Value",
        target: Some(1.0),
        note: "",
    });
    rows.push(Row {
        case: "querymore → Records → struct",
        base: "serde_json → struct",
        target: Some(1.5),
        note: "",
    });
}

/// The crate's Bulk CSV parser: to `Record`s (and on to the typed struct).
fn crate_bulk<'a>(csv: &'a [u8], cases: &mut Vec<Case<'a>>, rows: &mut Vec<Row>) {
    let records = querymore::bench::bulk_csv_chunk(csv).expect("the chunk parses");
    let serde = baselines::csv_serde(csv);
    let typed = querymore::bench::typed::<Contact>(records);
    assert_eq!(typed.len(), serde.len(), "every row reads as the struct");
    for (t, s) in typed.iter().zip(&serde) {
        assert_eq!(
            (&t.id, &t.first_name, &t.phone),
            (&s.id, &s.first_name, &s.phone)
        );
        assert_eq!(t.account.as_ref().map(|a| &a.name), s.account_name.as_ref());
    }
    cases.push(Case::new("querymore → Records", move || {
        querymore::bench::bulk_csv_chunk(black_box(csv)).map_or(0, |r| r.len())
    }));
    cases.push(Case::new("querymore → Records → struct", move || {
        let records = querymore::bench::bulk_csv_chunk(black_box(csv)).unwrap_or_default();
        querymore::bench::typed::<Contact>(records).len()
    }));
    rows.push(Row {
        case: "querymore → Records",
        base: "csv ByteRecord loop",
        target: Some(2.0),
        note: "",
    });
    rows.push(Row {
        case: "querymore → Records → struct",
        base: "csv serde → struct",
        target: None,
        note: "",
    });
}
