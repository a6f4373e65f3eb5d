//! The Salesforce SOAP partner response parsers (`query`, `queryMore`,
//! `queryAll`, `login`, faults). The first byte picks the operation; the rest
//! is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use querymore::__fuzz;

fuzz_target!(|data: &[u8]| {
    let Some((&op, body)) = data.split_first() else {
        return;
    };
    let _ = match op % 4 {
        3 => __fuzz::salesforce_soap_login(body),
        q => __fuzz::salesforce_soap_query(body, q),
    };
});
