//! The Salesforce Bulk results CSV reader. The first byte picks the column
//! delimiter (the six Bulk 2.0 allows) and whether a row count is expected;
//! the rest is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use querymore::__fuzz;

fuzz_target!(|data: &[u8]| {
    let Some((&op, body)) = data.split_first() else {
        return;
    };
    let delimiter = [b',', b'^', b'|', b';', b'\t', b'`'][usize::from(op % 6)];
    let expected = (op >= 128).then_some(usize::from(op & 7));
    let _ = __fuzz::salesforce_bulk_csv(body, delimiter, expected);
});
