//! Bulk results CSV into [`Record`]s, parsed with the `csv` crate as the bytes
//! arrive: the response body is pumped chunk by chunk into a bounded channel that
//! a blocking `csv::Reader` reads from, so the raw body is never held whole.
//!
//! Rules: the header row names the fields in the order the query asked for; a
//! dotted header (`Account.Name`) becomes a nested record; an empty cell is
//! [`Value::Null`]; quoted cells may hold delimiters, quotes and line breaks; a
//! row with the wrong number of cells, bad quoting or invalid UTF-8 is a
//! protocol error, never a skipped row.

use crate::transport::Http;
use crate::{BackendKind, Error, Record, Result, Value};
use bytes::{Buf, Bytes};
use std::io::Read;
use std::sync::Arc;
use tokio::sync::mpsc;

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
pub(crate) fn parse(reader: impl Read, delimiter: u8, object: Option<&str>) -> Result<Rows> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(QuoteCount {
            inner: reader,
            quotes: 0,
            last: None,
        });
    let header = match rdr.byte_headers() {
        Ok(h) => h
            .iter()
            .enumerate()
            .map(|(i, cell)| header_cell(i, cell))
            .collect::<Result<Vec<_>>>()?,
        Err(e) => return Err(csv_error(&e)),
    };
    if header.iter().any(String::is_empty) {
        return Err(Error::protocol(
            KIND,
            "results CSV has an empty column name in its header",
        ));
    }
    let columns = Column::all(&header);
    let mut records = Vec::new();
    let mut row = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut row) {
            Ok(true) => records.push(to_record(&columns, &row, object)?),
            Ok(false) => break,
            Err(e) => return Err(csv_error(&e)),
        }
    }
    // Valid quoting uses quotes in pairs; an odd count means the body ends
    // inside a quoted field, which the csv crate would accept as a short value.
    if rdr.get_ref().quotes % 2 == 1 {
        return Err(Error::protocol(
            KIND,
            "results CSV ends inside a quoted field (unbalanced quotes)",
        ));
    }
    // Every row, the last included, ends with the line ending; a body that
    // stops elsewhere was cut short, possibly inside an unquoted value the csv
    // crate would read as a shorter one.
    if rdr.get_ref().last.is_some_and(|b| b != b'\n' && b != b'\r') {
        return Err(Error::truncated(
            KIND,
            "results CSV does not end with a line break (cut short?)",
        ));
    }
    Ok(Rows { header, records })
}

/// Counts the quote characters passing through, to spot a dangling quote,
/// and keeps the last byte, to spot a body that stops mid-row.
struct QuoteCount<R> {
    inner: R,
    /// The number of quote characters, modulo 256: only its parity matters.
    quotes: u8,
    last: Option<u8>,
}

impl<R: Read> Read for QuoteCount<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let read = buf.get(..n).unwrap_or_default();
        // Byte-wide wrapping sums keep the parity and vectorize well.
        let n_quotes = read
            .iter()
            .fold(0u8, |n, &b| n.wrapping_add(u8::from(b == b'"')));
        self.quotes = self.quotes.wrapping_add(n_quotes);
        if let Some(&b) = read.last() {
            self.last = Some(b);
        }
        Ok(n)
    }
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
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
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

/// A header column, its name (or dotted path) shared by every row's record.
enum Column {
    /// A plain field; `unique` when no other column has its name or uses it
    /// as a path's head, so a row's value goes in without a duplicate check.
    Field(Arc<str>, bool),
    Path(String, Vec<Arc<str>>),
}

impl Column {
    fn new(name: &str) -> Self {
        if name.contains('.') {
            Column::Path(name.to_owned(), name.split('.').map(Arc::from).collect())
        } else {
            Column::Field(Arc::from(name), false)
        }
    }

    /// The header's columns, the unique plain fields marked.
    fn all(header: &[String]) -> Vec<Column> {
        let head = |h: &str| h.split('.').next().unwrap_or_default().to_owned();
        let heads: Vec<String> = header.iter().map(|h| head(h)).collect();
        let mut columns: Vec<Column> = header.iter().map(|h| Column::new(h)).collect();
        for (i, c) in columns.iter_mut().enumerate() {
            if let Column::Field(name, unique) = c {
                *unique = heads
                    .iter()
                    .enumerate()
                    .all(|(j, h)| j == i || h.as_str() != &**name);
            }
        }
        columns
    }

    fn name(&self) -> &str {
        match self {
            Column::Field(n, _) => n,
            Column::Path(p, _) => p,
        }
    }
}

fn to_record(columns: &[Column], row: &csv::ByteRecord, object: Option<&str>) -> Result<Record> {
    let mut record = Record::with_capacity(columns.len());
    if let Some(o) = object {
        record.set_object_type(o);
    }
    // UTF-8 is checked once for the whole row; each cell is then a slice
    // of it on character boundaries (as csv's `StringRecord` does).
    let line = || row.position().map_or(0, |p| p.line());
    let text = std::str::from_utf8(row.as_slice()).ok();
    for (i, column) in columns.iter().enumerate() {
        let range = row.range(i).unwrap_or_default();
        let value = if range.is_empty() {
            Value::Null
        } else {
            let cell = match text {
                Some(t) => t.get(range),
                // Some cell is not UTF-8: find out which.
                None => row.get(i).and_then(|c| std::str::from_utf8(c).ok()),
            };
            match cell {
                Some(s) => Value::Text(s.into()),
                None => {
                    return Err(Error::protocol(
                        KIND,
                        format!(
                            "results CSV cell {} on line {} is not valid UTF-8",
                            column.name(),
                            line()
                        ),
                    ));
                }
            }
        };
        match column {
            Column::Field(name, true) => record.push_new(name.clone(), value),
            Column::Field(name, false) => record.push(name.clone(), value),
            Column::Path(_, path) => record.push_shared_path(path, value),
        };
    }
    Ok(record)
}

fn csv_error(e: &csv::Error) -> Error {
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => format!(
            "results CSV row on line {} has {len} fields but the header has {expected_len}",
            pos.as_ref().map_or(0, |p| p.line())
        ),
        _ => format!("malformed results CSV: {e}"),
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
