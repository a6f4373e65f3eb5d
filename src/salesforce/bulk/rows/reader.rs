//! The CSV rows of a results body, read with `csv_core` straight from the
//! caller's buffer: each row is its unescaped bytes plus where each cell ends,
//! reused from row to row, with the checks `csv::Reader` made (one cell count
//! for every row, set by the header; blank lines skipped; a UTF-8 byte-order
//! mark dropped) and a count of the quote characters and the last byte read,
//! for the caller's end-of-body checks.

use std::io::BufRead;

/// A row-by-row CSV reader over a [`BufRead`] (whose buffer it reads in place).
pub(super) struct CsvReader<R> {
    core: csv_core::Reader,
    inner: R,
    /// Bytes of the reader's current buffer not consumed yet (already counted).
    pending: usize,
    /// The number of quote characters read, modulo 256: only its parity matters.
    quotes: u8,
    /// The last byte read.
    last: Option<u8>,
    /// The cell count of the first row (the header); every other must match.
    width: Option<usize>,
    /// The current row: its cells' bytes, back to back, and where each ends.
    out: Vec<u8>,
    ends: Vec<usize>,
    /// The line the current row starts on.
    line: u64,
    done: bool,
}

/// One row: its cells, back to back in `bytes`, each ending at `ends[i]`.
#[derive(Clone, Copy)]
pub(super) struct Row<'a> {
    pub bytes: &'a [u8],
    pub ends: &'a [usize],
    /// The line the row starts on (1 for the header).
    pub line: u64,
}

impl Row<'_> {
    /// Where cell `i` lies in `bytes`; `None` past the last cell.
    #[inline]
    pub fn range(&self, i: usize) -> Option<std::ops::Range<usize>> {
        let start = match i.checked_sub(1) {
            Some(j) => *self.ends.get(j)?,
            None => 0,
        };
        Some(start..*self.ends.get(i)?)
    }

    /// The cells, in column order.
    pub fn cells(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.ends.len()).map(|i| {
            self.range(i)
                .and_then(|r| self.bytes.get(r))
                .unwrap_or_default()
        })
    }
}

/// Why a row could not be read.
#[derive(Debug)]
pub(super) enum ReadError {
    /// The underlying reader failed.
    Io(std::io::Error),
    /// A row on `line` has `len` cells where the header has `expected`.
    UnequalLengths {
        line: u64,
        expected: usize,
        len: usize,
    },
}

impl<R: BufRead> CsvReader<R> {
    /// A reader of `delimiter`-separated rows with double-quoted cells.
    pub fn new(inner: R, delimiter: u8) -> Self {
        CsvReader {
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            inner,
            pending: 0,
            quotes: 0,
            last: None,
            width: None,
            out: vec![0; 1024],
            ends: vec![0; 32],
            line: 1,
            done: false,
        }
    }

    /// The next row, `None` at the end of the body.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>, ReadError> {
        use csv_core::ReadRecordResult as R;
        if self.done {
            return Ok(None);
        }
        self.line = self.core.line();
        let (mut nout, mut nend) = (0, 0);
        loop {
            let input = self.inner.fill_buf().map_err(|e| {
                self.done = true;
                ReadError::Io(e)
            })?;
            // Bytes past the ones seen before are new: count their quotes.
            if let Some(new) = input.get(self.pending..).filter(|n| !n.is_empty()) {
                // Byte-wide wrapping sums keep the parity and vectorize well.
                let n = new
                    .iter()
                    .fold(0u8, |n, &b| n.wrapping_add(u8::from(b == b'"')));
                self.quotes = self.quotes.wrapping_add(n);
                self.last = new.last().copied();
                self.pending = input.len();
            }
            let fed = !input.is_empty();
            let out = self.out.get_mut(nout..).unwrap_or_default();
            let ends = self.ends.get_mut(nend..).unwrap_or_default();
            let (res, i, o, e) = self.core.read_record(input, out, ends);
            self.inner.consume(i);
            self.pending = self.pending.saturating_sub(i);
            nout += o;
            nend += e;
            match res {
                R::InputEmpty => {}
                R::OutputFull => self.out.resize(self.out.len().max(1) * 2, 0),
                R::OutputEndsFull => self.ends.resize(self.ends.len().max(1) * 2, 0),
                R::Record => return self.row(nout, nend).map(Some),
                // A first buffer holding only a byte-order mark is empty
                // once csv-core drops the mark, which it takes for the end:
                // only an empty buffer ends the body.
                R::End if fed => {}
                R::End => {
                    self.done = true;
                    return Ok(None);
                }
            }
        }
    }

    /// The row just read: `len` cells in `out[..nout]`, checked against the header's count.
    fn row(&mut self, nout: usize, len: usize) -> Result<Row<'_>, ReadError> {
        let expected = *self.width.get_or_insert(len);
        if len != expected {
            return Err(ReadError::UnequalLengths {
                line: self.line,
                expected,
                len,
            });
        }
        Ok(Row {
            bytes: self.out.get(..nout).unwrap_or_default(),
            ends: self.ends.get(..len).unwrap_or_default(),
            line: self.line,
        })
    }

    /// The number of quote characters read so far, modulo 256.
    pub fn quotes(&self) -> u8 {
        self.quotes
    }

    /// The last byte read, if any.
    pub fn last_byte(&self) -> Option<u8> {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Rows as `(line, cells)`, then the error that stopped the reading, if any.
    type Read = (Vec<(u64, Vec<Vec<u8>>)>, Option<String>);

    /// What `csv::Reader` (byte records, not flexible) reads from `body`.
    fn by_csv(body: &[u8], delimiter: u8) -> Read {
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(false)
            .from_reader(body);
        let mut rows = Vec::new();
        let mut record = csv::ByteRecord::new();
        loop {
            match rdr.read_byte_record(&mut record) {
                Ok(true) => rows.push((
                    record.position().map_or(0, csv::Position::line),
                    record.iter().map(<[u8]>::to_vec).collect(),
                )),
                Ok(false) => return (rows, None),
                Err(e) => {
                    let error = match e.kind() {
                        csv::ErrorKind::UnequalLengths {
                            pos,
                            expected_len,
                            len,
                        } => format!(
                            "line {} expected {expected_len} got {len}",
                            pos.as_ref().map_or(0, csv::Position::line)
                        ),
                        other => format!("{other:?}"),
                    };
                    return (rows, Some(error));
                }
            }
        }
    }

    /// What [`CsvReader`] reads from `body`, through a buffer of `chunk`
    /// bytes; at the end, checks its quote count and last byte.
    fn by_core(body: &[u8], delimiter: u8, chunk: usize) -> Read {
        let mut rdr = CsvReader::new(std::io::BufReader::with_capacity(chunk, body), delimiter);
        let mut rows = Vec::new();
        loop {
            match rdr.next_row() {
                Ok(Some(row)) => rows.push((row.line, row.cells().map(<[u8]>::to_vec).collect())),
                Ok(None) => break,
                Err(ReadError::UnequalLengths {
                    line,
                    expected,
                    len,
                }) => {
                    return (
                        rows,
                        Some(format!("line {line} expected {expected} got {len}")),
                    );
                }
                Err(ReadError::Io(e)) => return (rows, Some(e.to_string())),
            }
        }
        let quotes = body.iter().filter(|&&b| b == b'"').count();
        assert_eq!(usize::from(rdr.quotes()), quotes % 256, "{body:?}");
        assert_eq!(rdr.last_byte(), body.last().copied(), "{body:?}");
        (rows, None)
    }

    #[test]
    fn long_cells_and_many_cells_grow_the_buffers() {
        let long = "x".repeat(5000);
        let header = (0..100)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let row = (0..100)
            .map(|i| {
                if i == 50 {
                    format!("\"{long}\"")
                } else {
                    i.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(",");
        let body = format!("{header}\n{row}\n{row}\n");
        let (rows, error) = by_core(body.as_bytes(), b',', 7);
        assert_eq!(error, None);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].1.len(), 100);
        assert_eq!(rows[2].1[50], long.as_bytes());
        assert_eq!(rows[2].1[99], b"99");
        assert_eq!((rows[1].0, rows[2].0), (2, 3));
        assert_eq!(
            by_core(body.as_bytes(), b',', 8192),
            by_csv(body.as_bytes(), b',')
        );
    }

    #[test]
    fn blank_lines_are_skipped_and_still_counted() {
        let body = b"Id,Name\n\n1,a\r\n\r\n\n2,b\n\n3\n";
        let (rows, error) = by_core(body, b',', 4);
        // Line numbers as csv::Reader gives them (it counts a blank line
        // only once the row after it is read).
        assert_eq!(
            rows.iter()
                .map(|(line, cells)| (*line, cells.len()))
                .collect::<Vec<_>>(),
            [(1, 2), (2, 2), (3, 2)]
        );
        assert_eq!(error.as_deref(), Some("line 7 expected 2 got 1"));
        assert_eq!((rows, error), by_csv(body, b','));
    }

    #[test]
    fn a_first_buffer_of_only_a_byte_order_mark_is_not_the_end() {
        let body = b"\xef\xbb\xbfId,Name\n1,a\n2,b\n";
        let (rows, error) = by_core(body, b',', 3);
        assert_eq!(error, None);
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert_eq!(rows[0].1, [&b"Id"[..], b"Name"]);
        assert_eq!((rows, error), by_csv(body, b','));
    }

    fn token() -> impl Strategy<Value = &'static [u8]> {
        prop::sample::select(vec![
            &b"a"[..],
            b"bc",
            b"\xc3\xa9",
            b"\xff",
            b"\xef\xbb\xbf",
            b"\"",
            b"\"\"",
            b",",
            b"^",
            b"\n",
            b"\r",
            b"\r\n",
            b" ",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn reads_what_csv_reader_reads(
            tokens in prop::collection::vec(token(), 0..40),
            caret in any::<bool>(),
            // csv-core drops a byte-order mark only when the first buffer holds
            // it whole (behind `csv::Reader` a tiny first chunk fills a larger
            // buffer); `parse` strips one left in the first header cell.
            chunk in 3usize..12,
        ) {
            let body = tokens.concat();
            let delimiter = if caret { b'^' } else { b',' };
            prop_assert_eq!(by_core(&body, delimiter, chunk), by_csv(&body, delimiter));
        }
    }
}
