//! The mock's server-side cursors, shared by every backend: a query's plan and
//! position, idle expiry on the shared clock, and a per-owner limit on open
//! cursors (oldest evicted first), as the real services keep them.

use super::dataset::{Dataset, Table, project};
use crate::Record;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// An open query on the server.
#[derive(Debug, Clone)]
pub struct ServerCursor {
    /// The table queried.
    pub object: String,
    /// The projected fields.
    pub fields: Vec<String>,
    /// True for `queryAll` (deleted rows included).
    pub include_deleted: bool,
    /// Rows per page.
    pub batch: usize,
    /// Rows the query matches in all.
    pub total: usize,
    /// The session or token that opened it.
    pub owner: String,
    /// When it was last used.
    pub last_used: DateTime<Utc>,
    seq: u64,
}

/// Why a cursor could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorError {
    /// Never existed, evicted, or its position is out of range.
    Unknown,
    /// Idle past the limit.
    Expired,
}

/// One page cut from a cursor.
#[derive(Debug)]
pub struct ServedPage {
    /// The projected rows.
    pub records: Vec<Record>,
    /// The raw row position to continue from, or `None` when done.
    pub next: Option<usize>,
    /// Rows the query matches in all.
    pub total: usize,
}

/// All open cursors.
#[derive(Debug)]
pub struct CursorStore {
    open: Mutex<HashMap<String, ServerCursor>>,
    seq: AtomicU64,
    idle_limit: Option<TimeDelta>,
    per_owner_limit: Option<usize>,
}

impl CursorStore {
    /// A store with the given idle limit and per-owner open-cursor limit.
    pub fn new(idle_limit: Option<TimeDelta>, per_owner_limit: Option<usize>) -> Self {
        CursorStore {
            open: Mutex::new(HashMap::new()),
            seq: AtomicU64::new(0),
            idle_limit,
            per_owner_limit,
        }
    }

    /// A fresh, unique query id (hex); deterministic for a given store.
    pub fn next_id(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Opens a query under `id` and cuts its first page.
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        &self,
        dataset: &Dataset,
        id: String,
        table: &dyn Table,
        fields: Vec<String>,
        include_deleted: bool,
        batch: usize,
        owner: &str,
        now: DateTime<Utc>,
    ) -> ServedPage {
        let total = if include_deleted {
            table.len()
        } else {
            (0..table.len()).filter(|&i| !table.is_deleted(i)).count()
        };
        let cursor = ServerCursor {
            object: table.name().to_owned(),
            fields,
            include_deleted,
            batch: batch.max(1),
            total,
            owner: owner.to_owned(),
            last_used: now,
            seq: self.next_id(),
        };
        let page = cut(dataset, &cursor, 0);
        if page.next.is_some() {
            let mut open = self.lock();
            // Sweep cursors that have idled out, so a long-running mock stays small.
            if let Some(limit) = self.idle_limit {
                open.retain(|_, c| now - c.last_used < limit);
            }
            if let Some(limit) = self.per_owner_limit {
                let mut mine: Vec<_> = open
                    .iter()
                    .filter(|(_, c)| c.owner == owner)
                    .map(|(k, c)| (c.seq, k.clone()))
                    .collect();
                mine.sort();
                let excess = (mine.len() + 1).saturating_sub(limit);
                for (_, k) in mine.into_iter().take(excess) {
                    open.remove(&k);
                }
            }
            open.insert(id, cursor);
        }
        page
    }

    /// Cuts the page at `position` of query `id`, refreshing its idle clock.
    /// `batch` overrides the page size when the request sends one.
    pub fn next(
        &self,
        dataset: &Dataset,
        id: &str,
        position: usize,
        batch: Option<usize>,
        now: DateTime<Utc>,
    ) -> Result<ServedPage, CursorError> {
        let mut cursor = {
            let mut open = self.lock();
            let c = open.get_mut(id).ok_or(CursorError::Unknown)?;
            if self
                .idle_limit
                .is_some_and(|limit| now - c.last_used >= limit)
            {
                open.remove(id);
                return Err(CursorError::Expired);
            }
            c.last_used = now;
            c.clone()
        };
        if let Some(b) = batch {
            cursor.batch = b.max(1);
        }
        let table_len = dataset.table(&cursor.object).map_or(0, |t| t.len());
        if position > table_len {
            return Err(CursorError::Unknown);
        }
        // A finished cursor stays until it idles out, as the services keep it:
        // a client retrying the last page after a cut-short response gets the
        // same page again instead of a lost cursor.
        Ok(cut(dataset, &cursor, position))
    }

    /// Number of open cursors.
    pub fn open_count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ServerCursor>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The rows of one page from raw position `start`.
fn cut(dataset: &Dataset, cursor: &ServerCursor, start: usize) -> ServedPage {
    let Some(table) = dataset.table(&cursor.object) else {
        return ServedPage {
            records: Vec::new(),
            next: None,
            total: 0,
        };
    };
    let mut records = Vec::with_capacity(cursor.batch.min(table.len()));
    let mut i = start;
    while i < table.len() && records.len() < cursor.batch {
        if cursor.include_deleted || !table.is_deleted(i) {
            records.push(project(&table.row(i), &cursor.fields));
        }
        i += 1;
    }
    // Done when no matching row remains after `i`.
    let more = (i..table.len()).any(|j| cursor.include_deleted || !table.is_deleted(j));
    ServedPage {
        records,
        next: more.then_some(i),
        total: cursor.total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    #[test]
    fn pages_walk_the_table_and_skip_deleted_rows() {
        let ds = Dataset::sample(25);
        let store = CursorStore::new(Some(TimeDelta::minutes(15)), None);
        let t = ds.table("Contact").unwrap();
        let first = store.open(
            &ds,
            "q1".into(),
            t,
            vec!["Id".into()],
            false,
            10,
            "s",
            now(),
        );
        assert_eq!(first.total, 23);
        assert_eq!(first.records.len(), 10);
        let mut pos = first.next.unwrap();
        let mut n = first.records.len();
        while let Ok(p) = store.next(&ds, "q1", pos, None, now()) {
            n += p.records.len();
            match p.next {
                Some(next) => pos = next,
                None => break,
            }
        }
        assert_eq!(n, 23);
        let again = store.next(&ds, "q1", pos, None, now()).unwrap();
        assert!(
            again.next.is_none(),
            "the last page can be fetched again (a retry)"
        );
        let later = now() + TimeDelta::minutes(15);
        assert_eq!(
            store.next(&ds, "q1", pos, None, later).unwrap_err(),
            CursorError::Expired
        );
        assert_eq!(store.open_count(), 0);
    }

    #[test]
    fn idle_cursor_expires_and_oldest_is_evicted() {
        let ds = Dataset::sample(50);
        let store = CursorStore::new(Some(TimeDelta::minutes(15)), Some(2));
        let t = ds.table("Account").unwrap();
        for q in ["a", "b", "c"] {
            store.open(&ds, q.into(), t, vec!["Id".into()], false, 5, "s", now());
        }
        assert_eq!(
            store.next(&ds, "a", 5, None, now()).unwrap_err(),
            CursorError::Unknown
        );
        assert!(store.next(&ds, "b", 5, None, now()).is_ok());
        let later = now() + TimeDelta::minutes(15);
        assert_eq!(
            store.next(&ds, "c", 5, None, later).unwrap_err(),
            CursorError::Expired
        );
    }
}
