//! The export checkpoint: where a query stands and how much of the output file
//! is complete, saved atomically after every durable page (temp file in the
//! same folder, fsync, rename, fsync of the folder), so a run killed at any
//! moment resumes with every record exactly once. It never holds a credential:
//! only the cursor, the counts, the query and the output settings.

use super::args::Format;
use crate::{BackendKind, Cursor};
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

/// The checkpoint file's contents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Checkpoint {
    /// The format version of this file.
    pub version: u32,
    /// The backend the cursor belongs to.
    pub backend: BackendKind,
    /// The query text.
    pub query: String,
    /// True for `queryAll`.
    pub query_all: bool,
    /// The output format.
    pub format: Format,
    /// The CSV header already in the output, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv_header: Option<Vec<String>>,
    /// Records in the output up to `output_len_bytes`.
    pub records_written: u64,
    /// Pages in the output.
    pub pages_written: u64,
    /// The length of the complete part of the output file.
    pub output_len_bytes: u64,
    /// Where the next page is; `None` once the export is complete.
    pub cursor: Option<Cursor>,
}

impl Checkpoint {
    /// The current file format version.
    pub const VERSION: u32 = 1;

    /// True when the export finished.
    pub fn is_complete(&self) -> bool {
        self.cursor.is_none()
    }

    /// Reads a checkpoint.
    pub fn load(path: &Path) -> io::Result<Checkpoint> {
        let text = fs::read(path)?;
        let cp: Checkpoint = serde_json::from_slice(&text).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not a querymore checkpoint: {e}"),
            )
        })?;
        if cp.version != Self::VERSION {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "checkpoint version {} is not supported (expected {})",
                    cp.version,
                    Self::VERSION
                ),
            ));
        }
        Ok(cp)
    }

    /// Replaces the checkpoint at `path` atomically: a reader (or a resumed run
    /// after a crash) sees either the old one or the new one, whole.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "checkpoint".into());
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        {
            let mut f = File::create(&tmp)?;
            f.write_all(&json)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
        }
        if let Err(e) = fs::rename(&tmp, path) {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        sync_dir(dir)
    }
}

/// Makes a rename in `dir` durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Directories cannot be opened for syncing here; the rename is still atomic.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CursorToken;

    fn sample(records: u64) -> Checkpoint {
        Checkpoint {
            version: Checkpoint::VERSION,
            backend: BackendKind::ZuoraSoap,
            query: "select Id from Account".into(),
            query_all: false,
            format: Format::Csv,
            csv_header: Some(vec!["Id".into()]),
            records_written: records,
            pages_written: 1,
            output_len_bytes: 42,
            cursor: Some(Cursor::new(
                BackendKind::ZuoraSoap,
                CursorToken::Locator("q1-100".into()),
            )),
        }
    }

    #[test]
    fn save_replaces_atomically_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.checkpoint");
        sample(1).save(&path).unwrap();
        sample(2).save(&path).unwrap();
        assert_eq!(Checkpoint::load(&path).unwrap(), sample(2));
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp file is left behind");
    }

    #[test]
    fn garbage_is_refused_with_a_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad");
        fs::write(&path, "{").unwrap();
        let e = Checkpoint::load(&path).unwrap_err();
        assert!(e.to_string().contains("not a querymore checkpoint"), "{e}");
    }
}
