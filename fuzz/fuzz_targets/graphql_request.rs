//! GraphQL over HTTP: a request body (one request or a batch) and its document, parsed as
//! /graphql parses them before anything runs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(batch) = serde_json::from_slice::<async_graphql::BatchRequest>(data) {
        for request in batch.iter() {
            let _ = async_graphql::parser::parse_query(&request.query);
        }
    }
    let _ = async_graphql::parser::parse_query(String::from_utf8_lossy(data));
});
