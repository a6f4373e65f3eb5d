//! The Salesforce REST page parser, its JSON error mapping, the
//! `Sforce-Limit-Info` header and the OAuth token answer. The first byte picks
//! which; the rest is the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use querymore::__fuzz;

fuzz_target!(|data: &[u8]| {
    let Some((&op, body)) = data.split_first() else {
        return;
    };
    match op % 4 {
        0 => {
            let _ = __fuzz::salesforce_rest_page(body);
        }
        1 => {
            let status = [400, 401, 403, 404, 429, 500, 503][usize::from(op / 4) % 7];
            let _ = __fuzz::salesforce_error(status, body).to_string();
        }
        2 => {
            let _ = __fuzz::salesforce_limit_info(&String::from_utf8_lossy(body));
        }
        _ => {
            let status = if op / 4 % 2 == 0 { 200 } else { 400 };
            let _ = __fuzz::oauth_token(status, body);
        }
    }
});
