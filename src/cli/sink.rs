//! Where exported records go: an [`Output`] (a file or standard output) that
//! counts the bytes it has taken and can be made durable page by page, and a
//! [`Sink`] that writes [`Record`]s to it as JSONL or CSV.
//!
//! CSV: the header is the first record's flattened field paths (`Account.Name`),
//! in query order; values are [`Value::to_text`], nulls empty, lists as JSON text.

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
}

impl Sink {
    /// A sink writing `format` to `out`. For CSV, `header` is the header already
    /// in the file (when resuming); `None` writes one before the first record.
    pub fn new(format: Format, out: Output, header: Option<Vec<String>>) -> Self {
        Sink {
            out,
            format,
            header,
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
                    write_csv(&mut w, &mut self.header, r)?;
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
    record: &Record,
) -> io::Result<()> {
    let flat = record.flatten();
    let columns = match header {
        Some(h) => h,
        None => {
            let h: Vec<String> = flat.iter().map(|(k, _)| k.clone()).collect();
            w.write_record(&h)?;
            header.insert(h)
        }
    };
    let row = columns.iter().map(|c| {
        flat.iter()
            .find(|(k, _)| k == c)
            .map(|(_, v)| cell(v))
            .unwrap_or_default()
    });
    w.write_record(row).map_err(io::Error::from)
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
        let mut sink = Sink::new(Format::Csv, Output::create(&path).unwrap(), None);
        let len = sink
            .write_page(&[rec("1", Some("Ann")), rec("2", None)])
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(len, text.len() as u64);
        let mut rd = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(
            rd.headers().unwrap(),
            vec!["Id", "Name", "Account.Name", "Amount", "Tags"]
        );
        let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[0][2], "AT&T, \"Wireless\"");
        assert_eq!(&rows[0][3], "12.5");
        assert_eq!(&rows[0][4], "[\"a\",1]");
        assert_eq!(&rows[1][1], "");
    }

    #[test]
    fn resume_cuts_the_file_back_and_appends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let mut sink = Sink::new(Format::Jsonl, Output::create(&path).unwrap(), None);
        let len = sink.write_page(&[rec("1", Some("a"))]).unwrap();
        sink.write_page(&[rec("2", Some("b"))]).unwrap();
        drop(sink);
        let mut sink = Sink::new(Format::Jsonl, Output::resume(&path, len).unwrap(), None);
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
