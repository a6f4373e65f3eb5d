//! Bulk results CSV into [`Record`]s, parsed with `csv_core` as the bytes
//! arrive: the response body is pumped chunk by chunk into a bounded channel that
//! a blocking reader parses in place, chunk by chunk, so the raw body is never
//! held whole.
//!
//! Rules: the header row names the fields in the order the query asked for; a
//! dotted header (`Account.Name`) becomes a nested record; an empty cell is
//! [`Value::Null`]; quoted cells may hold delimiters, quotes and line breaks; a
//! row with the wrong number of cells, bad quoting or invalid UTF-8 is a
//! protocol error, never a skipped row.

use crate::transport::Http;
use crate::{BackendKind, Error, Record, Result, Value};
use bytes::{Buf, Bytes};
use reader::{CsvReader, ReadError, Row};
use std::io::{BufRead, Read};
use std::sync::Arc;
use thin_vec::ThinVec;
use tokio::sync::mpsc;

mod reader;

const KIND: BackendKind = BackendKind::SalesforceBulk;

/// Chunks in flight between the network and the parser.
const CHANNEL_CHUNKS: usize = 8;

/// The parsed rows of one results set.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    /// The header, as sent (kept for tests and debugging).
    #[allow(dead_code)]
    pub header: Vec<String>,
    /// The rows, one record each.
    pub records: Vec<Record>,
}

/// Parses a whole results body from `reader` (blocking). `object` types every record.
pub(crate) fn parse(reader: impl BufRead, delimiter: u8, object: Option<&str>) -> Result<Rows> {
    let mut rdr = CsvReader::new(reader, delimiter);
    let header = match rdr.next_row() {
        Ok(Some(row)) => row
            .cells()
            .enumerate()
            .map(|(i, cell)| header_cell(i, cell))
            .collect::<Result<Vec<_>>>()?,
        Ok(None) => Vec::new(),
        Err(e) => return Err(read_error(e)),
    };
    if header.iter().any(String::is_empty) {
        return Err(Error::protocol(
            KIND,
            "results CSV has an empty column name in its header",
        ));
    }
    let plan = Plan::new(&header);
    // One shared name for the object type of every record.
    let object: Option<Arc<str>> = object.map(Arc::from);
    let mut records = Vec::new();
    loop {
        match rdr.next_row() {
            Ok(Some(row)) => records.push(to_record(&plan, &header, row, object.as_ref())?),
            Ok(None) => break,
            Err(e) => return Err(read_error(e)),
        }
    }
    // Valid quoting uses quotes in pairs; an odd count means the body ends
    // inside a quoted field, which the csv parser would accept as a short value.
    if rdr.quotes() % 2 == 1 {
        return Err(Error::protocol(
            KIND,
            "results CSV ends inside a quoted field (unbalanced quotes)",
        ));
    }
    // Every row, the last included, ends with the line ending; a body that
    // stops elsewhere was cut short, possibly inside an unquoted value the csv
    // parser would read as a shorter one.
    if rdr.last_byte().is_some_and(|b| b != b'\n' && b != b'\r') {
        return Err(Error::truncated(
            KIND,
            "results CSV does not end with a line break (cut short?)",
        ));
    }
    Ok(Rows { header, records })
}

/// Reads a results response body as it arrives and parses it into rows. The
/// body is bounded by the client's size limit; a body cut short is a retryable
/// protocol error.
pub(super) async fn parse_response(
    http: &Http,
    mut resp: reqwest::Response,
    delimiter: u8,
    object: Option<String>,
    max_body: usize,
) -> Result<Rows> {
    let (tx, rx) = mpsc::channel::<Bytes>(CHANNEL_CHUNKS);
    let parser = tokio::task::spawn_blocking(move || {
        parse(
            ChannelReader {
                rx,
                current: Bytes::new(),
            },
            delimiter,
            object.as_deref(),
        )
    });
    let mut received = 0usize;
    let pumped: Result<()> = loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                received += chunk.len();
                if received > max_body {
                    break Err(Error::protocol(
                        KIND,
                        format!("results body larger than the {max_body} byte limit"),
                    ));
                }
                if tx.send(chunk).await.is_err() {
                    // The parser stopped early: its own error says why.
                    break Ok(());
                }
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(http.transport_error(e)),
        }
    };
    drop(tx);
    let parsed = parser.await.map_err(|e| Error::Io {
        context: "parsing Bulk results CSV".into(),
        source: std::io::Error::other(e.to_string()),
    });
    // A transport failure explains a parse failure, not the other way round.
    pumped?;
    parsed?
}

/// A blocking `Read` over the chunks the async side sends; end of stream when
/// the sender is dropped.
struct ChannelReader {
    rx: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.fill_buf()?.read(buf)?;
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for ChannelReader {
    /// The current chunk, read in place (no copy).
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => break,
            }
        }
        Ok(&self.current)
    }

    fn consume(&mut self, n: usize) {
        self.current.advance(n.min(self.current.len()));
    }
}

fn header_cell(i: usize, cell: &[u8]) -> Result<String> {
    // A UTF-8 byte-order mark may precede the first column name.
    let cell = if i == 0 {
        cell.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(cell)
    } else {
        cell
    };
    String::from_utf8(cell.to_vec())
        .map(|s| s.trim().to_owned())
        .map_err(|_| Error::protocol(KIND, "results CSV header is not valid UTF-8"))
}

/// How each row becomes a record, worked out once from the header.
enum Plan {
    /// Every column is a distinct field or path, none under another's name:
    /// each record is built slot by slot, every level in one allocation of
    /// its exact size, without duplicate checks.
    Tree(Vec<Slot>),
    /// Repeated or overlapping names (`Id` twice; `Owner` and `Owner.Name`),
    /// where the first value wins, and a dotted column under a plain one
    /// nests only when the plain cell is empty: cell by cell, each column's
    /// path split into names shared by every row.
    Cells(Vec<Vec<Arc<str>>>),
}

/// One field of the record a row becomes.
enum Slot {
    /// The cell in column `.0`, as field `.1`.
    Cell(usize, Arc<str>),
    /// A nested record (a relationship): the columns under one head, such as
    /// `Account.Name` and `Account.Owner.Email` under `Account`.
    Nested(Arc<str>, Vec<Slot>),
}

impl Slot {
    fn name(&self) -> &Arc<str> {
        match self {
            Slot::Cell(_, name) | Slot::Nested(name, _) => name,
        }
    }
}

impl Plan {
    fn new(header: &[String]) -> Plan {
        let paths: Vec<Vec<Arc<str>>> = header
            .iter()
            .map(|h| h.split('.').map(Arc::from).collect())
            .collect();
        let mut slots = Vec::new();
        let mut distinct = true;
        for (i, path) in paths.iter().enumerate() {
            distinct = distinct && add_slot(&mut slots, path, i);
        }
        if distinct {
            Plan::Tree(slots)
        } else {
            Plan::Cells(paths)
        }
    }
}

/// Adds column `column` at `path` under `slots`; false when the path repeats
/// another column's or runs into it (a plain field and a path under it).
fn add_slot(slots: &mut Vec<Slot>, path: &[Arc<str>], column: usize) -> bool {
    let Some((name, rest)) = path.split_first() else {
        return false;
    };
    match (slots.iter_mut().find(|s| s.name() == name), rest) {
        (None, []) => {
            slots.push(Slot::Cell(column, name.clone()));
            true
        }
        (None, rest) => {
            let mut inner = Vec::new();
            let added = add_slot(&mut inner, rest, column);
            slots.push(Slot::Nested(name.clone(), inner));
            added
        }
        (Some(Slot::Nested(_, inner)), rest @ [_, ..]) => add_slot(inner, rest, column),
        (Some(_), _) => false,
    }
}

/// A record of `slots`, each cell's value from `cell`.
fn build(
    slots: &[Slot],
    object: Option<Arc<str>>,
    cell: &mut impl FnMut(usize) -> Value,
) -> Record {
    let mut fields = ThinVec::with_capacity(slots.len());
    // `extend` fills the room reserved for its exact-size iterator without
    // capacity checks (and is inlined, where `push` may not be).
    fields.extend(slots.iter().map(|slot| {
        let value = match slot {
            Slot::Cell(i, _) => cell(*i),
            Slot::Nested(_, inner) => Value::Record(build(inner, None, cell)),
        };
        (slot.name().clone(), value)
    }));
    Record::from_distinct(object, fields)
}

fn to_record(
    plan: &Plan,
    header: &[String],
    row: Row<'_>,
    object: Option<&Arc<str>>,
) -> Result<Record> {
    // UTF-8 is checked once for the whole row (with SIMD); each cell is then a slice
    // of it on character boundaries (as csv's `StringRecord` does).
    let Ok(text) = simdutf8::basic::from_utf8(row.bytes) else {
        return Err(invalid_cell(header, row));
    };
    let mut split_char = false;
    let mut cell = |i: usize| match row.range(i) {
        Some(range) if !range.is_empty() => text.get(range).map_or_else(
            || {
                // A character split between two cells.
                split_char = true;
                Value::Null
            },
            |s| Value::Text(s.into()),
        ),
        _ => Value::Null,
    };
    let record = match plan {
        Plan::Tree(slots) => build(slots, object.cloned(), &mut cell),
        Plan::Cells(paths) => {
            let mut record = Record::from_distinct(object.cloned(), ThinVec::new());
            for (i, path) in paths.iter().enumerate() {
                record.push_shared_path(path, cell(i));
            }
            record
        }
    };
    if split_char {
        return Err(invalid_cell(header, row));
    }
    Ok(record)
}

/// The error for a row with a cell that is not UTF-8, naming the first such.
fn invalid_cell(header: &[String], row: Row<'_>) -> Error {
    let column = row
        .cells()
        .position(|c| std::str::from_utf8(c).is_err())
        .and_then(|i| header.get(i))
        .map_or("?", String::as_str);
    Error::protocol(
        KIND,
        format!(
            "results CSV cell {column} on line {} is not valid UTF-8",
            row.line
        ),
    )
}

fn read_error(e: ReadError) -> Error {
    let message = match e {
        ReadError::UnequalLengths {
            line,
            expected,
            len,
        } => {
            format!("results CSV row on line {line} has {len} fields but the header has {expected}")
        }
        ReadError::Io(e) => format!("malformed results CSV: {e}"),
    };
    Error::protocol(KIND, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Result<Rows> {
        parse(text.as_bytes(), b',', Some("Contact"))
    }

    #[test]
    fn quoted_cells_keep_commas_quotes_and_line_breaks() {
        let r = rows(
            "\"Id\",\"Name\",\"Notes\"\n\"1\",\"Acme, Inc.\",\"say \"\"hi\"\"\nnext line\"\n\"2\",\"\",x\n",
        )
        .unwrap();
        assert_eq!(r.header, ["Id", "Name", "Notes"]);
        assert_eq!(r.records.len(), 2);
        let first = &r.records[0];
        assert_eq!(first.object_type(), Some("Contact"));
        assert_eq!(first.get("Name"), Some(&Value::from("Acme, Inc.")));
        assert_eq!(
            first.get("Notes"),
            Some(&Value::from("say \"hi\"\nnext line"))
        );
        assert_eq!(r.records[1].get("Name"), Some(&Value::Null));
    }

    #[test]
    fn blank_lines_between_rows_are_skipped() {
        let r = rows("Id,Name\r\n\r\n1,a\n\n\n2,b\n\n").unwrap();
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.records[0].get("Id"), Some(&Value::from("1")));
        assert_eq!(r.records[1].get("Name"), Some(&Value::from("b")));
    }

    #[test]
    fn the_channel_reader_parses_chunks_split_anywhere() {
        let body = "\"Id\",\"Name\"\n\"1\",\"Acme, \"\"Inc.\"\"\"\r\n\"2\",\"caf\u{e9}\"\n";
        for size in [1, 3, 4, 7, body.len()] {
            let (tx, rx) = mpsc::channel::<Bytes>(2);
            let sender = std::thread::spawn(move || {
                for chunk in body.as_bytes().chunks(size) {
                    tx.blocking_send(Bytes::copy_from_slice(chunk)).unwrap();
                }
            });
            let reader = ChannelReader {
                rx,
                current: Bytes::new(),
            };
            let r = parse(reader, b',', Some("Contact")).unwrap();
            sender.join().unwrap();
            assert_eq!(r.records, rows(body).unwrap().records, "chunks of {size}");
            assert_eq!(
                r.records[0].get("Name"),
                Some(&Value::from("Acme, \"Inc.\"")),
                "chunks of {size}"
            );
        }
    }

    #[test]
    fn a_repeated_column_keeps_its_first_value() {
        let r = rows("Id,Name,Id,Owner.Name,Owner\n1,a,2,o,x\n").unwrap();
        let rec = &r.records[0];
        assert_eq!(rec.get("Id"), Some(&Value::from("1")));
        assert_eq!(rec.get("Name"), Some(&Value::from("a")));
        assert_eq!(rec.len(), 3, "{rec:?}");
        assert_eq!(
            rec.get_path("Owner.Name"),
            Some(&Value::from("o")),
            "the nested column came first: {rec:?}"
        );
    }

    #[test]
    fn dotted_headers_nest_and_crlf_and_other_delimiters_work() {
        let r = parse(
            "Id^Account.Name^Account.Owner.Email\r\n1^Acme^a@b.c\r\n2^^\r\n".as_bytes(),
            b'^',
            None,
        )
        .unwrap();
        assert_eq!(r.records.len(), 2);
        assert_eq!(
            r.records[0].get_path("Account.Owner.Email"),
            Some(&Value::from("a@b.c"))
        );
        assert_eq!(r.records[1].get_path("Account.Name"), Some(&Value::Null));
        assert_eq!(
            r.records[0].field_names().collect::<Vec<_>>(),
            ["Id", "Account"]
        );
    }

    #[test]
    fn several_dotted_columns_under_one_head_share_one_nested_record() {
        let r = rows(
            "Account.Name,Id,Account.Owner.Email,Account.Id,Account.Owner.Name\n\
             Acme,1,a@b.c,001,Ann\n\
             ,2,,,\n",
        )
        .unwrap();
        let first = &r.records[0];
        assert_eq!(first.object_type(), Some("Contact"));
        assert_eq!(first.field_names().collect::<Vec<_>>(), ["Account", "Id"]);
        let account = first.get("Account").and_then(Value::as_record).unwrap();
        assert_eq!(
            account.field_names().collect::<Vec<_>>(),
            ["Name", "Owner", "Id"]
        );
        assert_eq!(account.object_type(), None);
        assert_eq!(first.get_path("Account.Id"), Some(&Value::from("001")));
        assert_eq!(
            first.get_path("Account.Owner.Email"),
            Some(&Value::from("a@b.c"))
        );
        assert_eq!(
            first.get_path("Account.Owner.Name"),
            Some(&Value::from("Ann"))
        );
        // Empty cells keep the shape, with nulls.
        let second = &r.records[1];
        assert_eq!(second.get_path("Account.Owner.Email"), Some(&Value::Null));
        assert_eq!(second.get_path("Account.Name"), Some(&Value::Null));
        assert_eq!(second.get("Id"), Some(&Value::from("2")));
    }

    #[test]
    fn repeated_and_overlapping_columns_read_as_pushing_cell_by_cell_would() {
        // The expected records: each cell pushed in column order, first value wins.
        let by_cells = |header: &str, row: &[&str]| {
            let mut r = Record::new().with_object_type("Contact");
            for (path, cell) in header.split(',').zip(row) {
                let v = if cell.is_empty() {
                    Value::Null
                } else {
                    Value::from(*cell)
                };
                r.push_path(path, v);
            }
            r
        };
        for (header, row) in [
            ("Id,Name,Id", ["1", "a", "2"]),
            ("A.x,Id,A.x", ["1", "2", "3"]),
            ("Owner.Name,Id,Owner", ["o", "1", "x"]),
            // A plain column first: the dotted one nests only under an empty cell.
            ("Owner,Owner.Name,Id", ["x", "o", "1"]),
            ("Owner,Owner.Name,Id", ["", "o", "1"]),
            ("A.b,A.b.c,Id", ["", "c", "1"]),
            ("A.b.c,A.b,Id", ["c", "b", "1"]),
        ] {
            let body = format!("{header}\n{}\n", row.join(","));
            let parsed = rows(&body).unwrap();
            assert_eq!(parsed.records, [by_cells(header, &row)], "{body}");
        }
    }

    #[test]
    fn a_character_split_between_two_cells_is_not_valid_utf8() {
        // The row as a whole is valid UTF-8 (`é` is C3 A9), each cell is not.
        let e = parse(&b"Id,Name\n\xc3,\xa9\n"[..], b',', None).unwrap_err();
        assert!(e.to_string().contains("cell Id on line 2"), "{e}");
        let e = parse(&b"Id,Name\n1,a\xff\n"[..], b',', None).unwrap_err();
        assert!(e.to_string().contains("cell Name on line 2"), "{e}");
    }

    #[test]
    fn a_row_with_the_wrong_number_of_fields_is_a_protocol_error() {
        let e = rows("Id,Name\n1,a\n2,b,c\n").unwrap_err();
        assert!(
            matches!(
                e,
                Error::Protocol {
                    retryable: false,
                    ..
                }
            ),
            "{e}"
        );
        assert!(
            e.to_string().contains("has 3 fields but the header has 2"),
            "{e}"
        );
        let e = rows("Id,Name\n1\n").unwrap_err();
        assert!(e.to_string().contains("has 1 fields"), "{e}");
    }

    #[test]
    fn a_dangling_quote_is_malformed_not_a_short_value() {
        let e = rows("\"Id\",\"Name\"\n\"1\",\"cut off\n").unwrap_err();
        assert!(e.to_string().contains("unbalanced quotes"), "{e}");
        assert!(rows("\"Id\"\n\"a \"\"b\"\"\"\n").is_ok());
    }

    #[test]
    fn invalid_utf8_is_a_protocol_error_not_a_lossy_value() {
        let e = parse(&b"Id,Name\n1,\xff\xfe\n"[..], b',', None).unwrap_err();
        assert!(e.to_string().contains("not valid UTF-8"), "{e}");
    }

    #[test]
    fn a_body_cut_after_a_delimiter_or_inside_an_unquoted_value_is_truncated() {
        // Found by the malformed-input property test: these parse as shorter,
        // well-formed rows unless the missing line ending is noticed.
        for cut in ["\"Id\",\"Name\"\n\"1\",", "Id,Email\n1,a@exa"] {
            let e = rows(cut).unwrap_err();
            assert!(e.is_retryable(), "{cut:?}: {e}");
            assert!(e.to_string().contains("line break"), "{e}");
        }
        assert_eq!(
            rows("Id,Email\r\n1,a@example.com\r\n")
                .unwrap()
                .records
                .len(),
            1
        );
    }

    #[test]
    fn a_byte_order_mark_and_an_empty_body_are_handled() {
        let r = rows("\u{feff}\"Id\"\n\"1\"\n").unwrap();
        assert_eq!(r.header, ["Id"]);
        assert_eq!(r.records[0].get("Id"), Some(&Value::from("1")));
        let empty = rows("").unwrap();
        assert!(empty.records.is_empty());
        let header_only = rows("\"Id\",\"Name\"\n").unwrap();
        assert!(header_only.records.is_empty());
    }

    #[test]
    fn fixtures_parse_to_the_expected_records() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/salesforce_bulk"
        );
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "csv"))
            .collect();
        files.sort();
        assert!(files.len() >= 3, "fixtures present: {files:?}");
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        for path in files {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).unwrap();
            let delimiter = if stem.contains("caret") { b'^' } else { b',' };
            let shown = match parse(&bytes[..], delimiter, Some("Contact")) {
                Ok(r) => format!("header: {:?}\n{:#?}", r.header, r.records),
                Err(e) => format!("error: {e}"),
            };
            settings.bind(|| {
                insta::assert_snapshot!(format!("salesforce_bulk__parse_{stem}"), shown);
            });
        }
    }
}
