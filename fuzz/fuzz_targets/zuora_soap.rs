//! The Zuora SOAP response parsers (`query`, `queryMore`, `login`, faults).
//! The first byte picks the operation; the rest is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use querymore::__fuzz;

fuzz_target!(|data: &[u8]| {
    let Some((&op, body)) = data.split_first() else {
        return;
    };
    let _ = match op % 3 {
        0 => __fuzz::zuora_soap_query(body, false),
        1 => __fuzz::zuora_soap_query(body, true),
        _ => __fuzz::zuora_soap_login(body),
    };
});
