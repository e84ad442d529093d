//! Character card files (JSON V1/V2/V3, PNG with `chara`/`ccv3` text chunks) as uploaded: parsing
//! never panics and never allocates without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parley::domain::card::parse(data);
});
