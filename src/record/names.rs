//! Field and object-type names shared between the records a thread builds: the
//! rows of a page repeat the same keys, so each name is allocated once and every
//! record holds a reference to it (`Record` stores names as `Arc<str>`). The
//! cache is small, per thread, and tries the name that followed the previous one
//! first. Also a per-depth capacity hint, since a page's rows share a shape.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

/// More distinct names than this and the cache starts over.
const MAX_NAMES: usize = 512;
/// Depths with their own capacity hint.
const DEPTHS: usize = 4;
/// The capacity before any record of that depth has been seen.
const DEFAULT_CAPACITY: u8 = 8;

struct Cache {
    names: Vec<Arc<str>>,
    next: usize,
}

thread_local! {
    static CACHE: RefCell<Cache> = const {
        RefCell::new(Cache { names: Vec::new(), next: 0 })
    };
    static LENGTHS: Cell<[u8; DEPTHS]> = const { Cell::new([DEFAULT_CAPACITY; DEPTHS]) };
    static LAST_TYPE: RefCell<Option<Arc<str>>> = const { RefCell::new(None) };
}

/// The shared name equal to `s`, or `None` for a dotted path (never cached).
pub(crate) fn intern(s: &str) -> Option<Arc<str>> {
    CACHE.with(|c| {
        let Ok(mut c) = c.try_borrow_mut() else {
            return (!s.contains('.')).then(|| Arc::from(s));
        };
        let i = match c.names.get(c.next) {
            Some(n) if **n == *s => c.next,
            _ => match c.names.iter().position(|n| **n == *s) {
                Some(i) => i,
                None if s.contains('.') => return None,
                None => {
                    if c.names.len() >= MAX_NAMES {
                        c.names.clear();
                    }
                    c.names.push(Arc::from(s));
                    c.names.len() - 1
                }
            },
        };
        c.next = i + 1;
        c.names.get(i).cloned()
    })
}

/// How many fields to make room for in a record at `depth`: as many as the
/// last one there had.
pub(crate) fn capacity_hint(depth: usize) -> usize {
    LENGTHS.with(|l| l.get().get(depth).map_or(DEFAULT_CAPACITY, |&n| n) as usize)
}

/// Notes the length of a record read at `depth`.
pub(crate) fn record_len(depth: usize, len: usize) {
    LENGTHS.with(|l| {
        let mut v = l.get();
        if let Some(slot) = v.get_mut(depth) {
            *slot = len.min(u8::MAX as usize) as u8;
            l.set(v);
        }
    })
}

/// The shared name equal to `s`, dotted or not.
pub(crate) fn shared(s: &str) -> Arc<str> {
    intern(s).unwrap_or_else(|| Arc::from(s))
}

/// The shared object type name equal to `s`: the last one asked for is tried
/// first (a page's records are mostly of one type), then the name cache.
pub(crate) fn object_type(s: &str) -> Arc<str> {
    LAST_TYPE.with(|last| {
        let Ok(mut last) = last.try_borrow_mut() else {
            return shared(s);
        };
        match &*last {
            Some(t) if **t == *s => t.clone(),
            _ => {
                let t = shared(s);
                *last = Some(t.clone());
                t
            }
        }
    })
}

/// Byte equality for names of a few words (field names) without a `memcmp`
/// call: eight bytes at a time, the last word overlapping.
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (Some(a_last), Some(b_last)) = (a.last_chunk::<8>(), b.last_chunk::<8>()) else {
        return a.iter().zip(b).all(|(x, y)| x == y);
    };
    let (mut a, mut b) = (a, b);
    while let (Some((x, a_rest)), Some((y, b_rest))) =
        (a.split_first_chunk::<8>(), b.split_first_chunk::<8>())
    {
        if x != y {
            return false;
        }
        (a, b) = (a_rest, b_rest);
    }
    a_last == b_last
}

#[cfg(test)]
mod tests {
    use super::{object_type, same_bytes};
    use std::sync::Arc;

    #[test]
    fn object_types_are_shared_and_switching_types_reads_right() {
        let a = object_type("Account");
        let b = object_type("Account");
        assert!(Arc::ptr_eq(&a, &b), "the repeated type is one allocation");
        assert_eq!(&*object_type("Contact"), "Contact");
        let c = object_type("Account");
        assert_eq!(&*c, "Account");
        assert!(Arc::ptr_eq(&a, &c), "back to a cached type");
    }

    #[test]
    fn same_bytes_matches_byte_equality_at_every_length_and_position() {
        let base: Vec<u8> = (b'a'..=b'z').collect();
        for len in 0..=base.len() {
            let a = &base[..len];
            assert!(same_bytes(a, a), "{len}");
            assert!(!same_bytes(a, &base[..len.saturating_sub(1)]) || len == 0);
            for i in 0..len {
                let mut b = a.to_vec();
                b[i] = b'#';
                assert!(!same_bytes(a, &b), "len {len}, differs at {i}");
            }
        }
    }
}
