//! Where exported records go: an [`Output`] (a file or standard output) that
//! counts the bytes it has taken and can be made durable page by page, and a
//! [`Sink`] that writes [`Record`]s to it as JSONL or CSV.
//!
//! CSV: the header is the query's select list when it is a plain list of fields
//! (so columns follow the query even though Zuora sorts fields and omits nulls),
//! followed by any other field of the first record; otherwise the first record's
//! flattened field paths (`Account.Name`). Values are [`Value::to_text`], nulls
//! and absent fields empty, lists as JSON text.

use super::args::Format;
use crate::{Record, Value};
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

enum Target {
    Stdout(io::Stdout),
    File(File),
}

impl Write for Target {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Target::Stdout(s) => s.write(buf),
            Target::File(f) => f.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Target::Stdout(s) => s.flush(),
            Target::File(f) => f.flush(),
        }
    }
}

/// A byte-counting, buffered output.
pub(crate) struct Output {
    buf: BufWriter<Target>,
    len: u64,
}

impl Output {
    /// Standard output.
    pub fn stdout() -> Self {
        Output {
            buf: BufWriter::new(Target::Stdout(io::stdout())),
            len: 0,
        }
    }

    /// A new (or emptied) file.
    pub fn create(path: &Path) -> io::Result<Self> {
        let f = File::create(path)?;
        Ok(Output {
            buf: BufWriter::new(Target::File(f)),
            len: 0,
        })
    }

    /// An existing file cut back to `len` bytes (dropping whatever a stopped run
    /// wrote after its last checkpoint), positioned at its end.
    pub fn resume(path: &Path, len: u64) -> io::Result<Self> {
        let mut f = OpenOptions::new().write(true).open(path)?;
        let actual = f.metadata()?.len();
        if actual < len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the output file has {actual} bytes but the checkpoint recorded {len}; \
                     it was changed since the checkpoint"
                ),
            ));
        }
        f.set_len(len)?;
        f.sync_all()?;
        f.seek(SeekFrom::Start(len))?;
        Ok(Output {
            buf: BufWriter::new(Target::File(f)),
            len,
        })
    }

    /// Flushes, and for a file waits until the bytes are on disk. Returns the
    /// total length written.
    pub fn commit(&mut self) -> io::Result<u64> {
        self.buf.flush()?;
        if let Target::File(f) = self.buf.get_ref() {
            f.sync_data()?;
        }
        Ok(self.len)
    }
}

impl Write for Output {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = self.buf.write(data)?;
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.buf.flush()
    }
}

/// Writes records in one format, a page at a time.
pub(crate) struct Sink {
    out: Output,
    format: Format,
    /// The CSV columns, once known.
    header: Option<Vec<String>>,
    /// The query's select list, to order the CSV columns.
    selected: Option<Vec<String>>,
}

impl Sink {
    /// A sink writing `format` to `out`. For CSV, `header` is the header already
    /// in the file (when resuming); `None` writes one before the first record,
    /// from `query`'s select list and the first record's fields.
    pub fn new(format: Format, out: Output, header: Option<Vec<String>>, query: &str) -> Self {
        Sink {
            out,
            format,
            header,
            selected: select_list(query),
        }
    }

    /// The CSV columns, once known.
    pub fn header(&self) -> Option<&[String]> {
        match self.format {
            Format::Jsonl => None,
            Format::Csv => self.header.as_deref(),
        }
    }

    /// Writes a page of records and makes it durable; returns the output's
    /// length afterwards.
    pub fn write_page(&mut self, records: &[Record]) -> io::Result<u64> {
        match self.format {
            Format::Jsonl => {
                for r in records {
                    serde_json::to_writer(&mut self.out, r)?;
                    self.out.write_all(b"\n")?;
                }
            }
            Format::Csv => {
                let mut w = csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(&mut self.out);
                for r in records {
                    write_csv(&mut w, &mut self.header, self.selected.as_deref(), r)?;
                }
                w.flush()?;
            }
        }
        self.out.commit()
    }
}

/// Writes one CSV row (and the header first, if it is not known yet).
fn write_csv<W: Write>(
    w: &mut csv::Writer<W>,
    header: &mut Option<Vec<String>>,
    selected: Option<&[String]>,
    record: &Record,
) -> io::Result<()> {
    let flat = record.flatten();
    let find = |name: &str| flat.iter().find(|(k, _)| k.eq_ignore_ascii_case(name));
    let columns = match header {
        Some(h) => h,
        None => {
            let mut h: Vec<String> = selected
                .unwrap_or_default()
                .iter()
                .map(|c| find(c).map_or_else(|| c.clone(), |(k, _)| k.clone()))
                .collect();
            for (k, _) in &flat {
                if !h.iter().any(|c| c.eq_ignore_ascii_case(k)) {
                    h.push(k.clone());
                }
            }
            w.write_record(&h)?;
            header.insert(h)
        }
    };
    let row = columns
        .iter()
        .map(|c| find(c).map(|(_, v)| cell(v)).unwrap_or_default());
    w.write_record(row).map_err(io::Error::from)
}

/// The field list of a plain `select a, b.c from ...`, or `None` for anything
/// else (functions, subqueries, `*`).
pub(crate) fn select_list(query: &str) -> Option<Vec<String>> {
    let q = query.trim();
    let head = q.get(..6)?;
    if !head.eq_ignore_ascii_case("select") || !q[6..].starts_with(char::is_whitespace) {
        return None;
    }
    let rest = &q[6..];
    let lower = rest.to_ascii_lowercase();
    let from = lower
        .match_indices("from")
        .find(|(i, _)| {
            let before = lower[..*i].chars().next_back();
            let after = lower[i + 4..].chars().next();
            before.is_some_and(char::is_whitespace) && after.is_none_or(char::is_whitespace)
        })?
        .0;
    let fields: Vec<String> = rest[..from]
        .split(',')
        .map(|f| f.trim().to_owned())
        .collect();
    let plain = |f: &String| {
        let mut chars = f.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    };
    fields.iter().all(plain).then_some(fields)
}

/// One CSV cell.
fn cell(v: &Value) -> String {
    match v {
        Value::List(_) | Value::Record(_) => serde_json::to_string(v).unwrap_or_default(),
        other => other.to_text().map(|t| t.into_owned()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, name: Option<&str>) -> Record {
        let mut r = Record::new().with("Id", id).with("Name", name);
        r.push_path("Account.Name", "AT&T, \"Wireless\"".into());
        r.push("Amount", Value::Float(12.5));
        r.push("Tags", Value::List(vec!["a".into(), Value::Int(1)]));
        r
    }

    #[test]
    fn csv_header_from_first_record_and_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let mut sink = Sink::new(
            Format::Csv,
            Output::create(&path).unwrap(),
            None,
            "select Id, name, Account.Name, Amount, Missing from X",
        );
        let len = sink
            .write_page(&[rec("1", Some("Ann")), rec("2", None)])
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(len, text.len() as u64);
        let mut rd = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(
            rd.headers().unwrap(),
            vec!["Id", "Name", "Account.Name", "Amount", "Missing", "Tags"]
        );
        let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[0][2], "AT&T, \"Wireless\"");
        assert_eq!(&rows[0][3], "12.5");
        assert_eq!(&rows[0][4], "");
        assert_eq!(&rows[0][5], "[\"a\",1]");
        assert_eq!(&rows[1][1], "");
    }

    #[test]
    fn select_list_only_for_plain_field_lists() {
        assert_eq!(
            select_list("SELECT Id,Name , Account.Name\nFROM Contact where x = 1").unwrap(),
            ["Id", "Name", "Account.Name"]
        );
        assert_eq!(
            select_list("select fromage from Cheese").unwrap(),
            ["fromage"]
        );
        assert!(select_list("select count() from Account").is_none());
        assert!(select_list("select Id, (select Id from Contacts) from Account").is_none());
        assert!(select_list("select * from Account").is_none());
        assert!(select_list("selectId from Account").is_none());
        assert!(select_list("").is_none());
    }

    #[test]
    fn resume_cuts_the_file_back_and_appends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let mut sink = Sink::new(Format::Jsonl, Output::create(&path).unwrap(), None, "q");
        let len = sink.write_page(&[rec("1", Some("a"))]).unwrap();
        sink.write_page(&[rec("2", Some("b"))]).unwrap();
        drop(sink);
        let mut sink = Sink::new(
            Format::Jsonl,
            Output::resume(&path, len).unwrap(),
            None,
            "q",
        );
        sink.write_page(&[rec("3", Some("c"))]).unwrap();
        let ids: Vec<String> = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["Id"].to_string())
            .collect();
        assert_eq!(ids, ["\"1\"", "\"3\""]);
        assert!(Output::resume(&path, 1 << 20).is_err());
    }
}
