//! REST query strings and path ids, read as every parameter type both surfaces take, with the
//! page and offset checks the handlers apply.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    parley::rest::untrusted::query_string(&String::from_utf8_lossy(data));
});
