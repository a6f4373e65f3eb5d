//! Progress reporting on standard error: a live bar (records so far, the total
//! when the server reports one, rate, elapsed) when stderr is a terminal, and a
//! one-line summary at the end otherwise. Standard output stays for data.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Tracks and shows how far an export is.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    records: u64,
    pages: u64,
    total: Option<u64>,
}

impl Progress {
    /// A bar when stderr is a terminal, otherwise silent until [`Progress::finish`].
    /// `already` counts records written by an earlier run (when resuming).
    pub fn new(already: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
                .with_position(already);
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} {human_pos} records  {per_sec}  {elapsed_precise}",
            ) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
            records: already,
            pages: 0,
            total: None,
        }
    }

    /// A page of `n` records was written; `total` is the server's count, if given.
    pub fn page(&mut self, n: u64, total: Option<u64>) {
        self.records += n;
        self.pages += 1;
        if let (Some(t), None) = (total, self.total) {
            self.total = Some(t);
            if let Some(bar) = &self.bar {
                bar.set_length(t);
                if let Ok(style) = ProgressStyle::with_template(
                    "{bar:40} {human_pos}/{human_len} records  {per_sec}  {elapsed_precise}  eta {eta}",
                ) {
                    bar.set_style(style);
                }
            }
        }
        if let Some(bar) = &self.bar {
            bar.set_position(self.records);
        }
    }

    /// Ends the display with a summary line on stderr.
    pub fn finish(self, what: &str) {
        let line = self.summary(what);
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        eprintln!("{line}");
    }

    /// Clears the bar without a summary (the caller prints an error).
    pub fn abandon(self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn summary(&self, what: &str) -> String {
        let secs = self.started.elapsed().as_secs_f64();
        let rate = if secs > 0.0 {
            self.records as f64 / secs
        } else {
            0.0
        };
        let total = match self.total {
            Some(t) => format!(" (server total {t})"),
            None => String::new(),
        };
        format!(
            "{what}: {} records{total} in {} pages, {secs:.2}s, {rate:.0} records/s",
            self.records, self.pages
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_counts_records_pages_and_total() {
        let mut p = Progress {
            bar: None,
            started: Instant::now(),
            records: 5,
            pages: 0,
            total: None,
        };
        p.page(10, Some(30));
        p.page(10, None);
        let s = p.summary("exported");
        assert!(
            s.starts_with("exported: 25 records (server total 30) in 2 pages"),
            "{s}"
        );
    }
}
