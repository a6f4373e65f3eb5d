//! The Zuora REST page parser and error mapping. The first byte picks page
//! (even) or error answer (odd, with a status from it); the rest is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use querymore::__fuzz;

fuzz_target!(|data: &[u8]| {
    let Some((&op, body)) = data.split_first() else {
        return;
    };
    if op % 2 == 0 {
        let _ = __fuzz::zuora_rest_page(body);
    } else {
        let status = [400, 401, 403, 404, 429, 500, 503][usize::from(op / 2) % 7];
        let _ = __fuzz::zuora_rest_error(status, body).to_string();
    }
});
