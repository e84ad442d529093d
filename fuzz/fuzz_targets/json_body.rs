//! REST JSON bodies, read as every body type both surfaces and chat completions take, and turned
//! into GraphQL input where the handlers do.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    parley::rest::untrusted::json_body(data);
});
