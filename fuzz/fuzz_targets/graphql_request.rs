//! `/graphql` as Parley serves it: the fuzzed request goes through the real router and schema —
//! the transport's content negotiation (`Accept`, `Content-Type`), GET's query string, persisted
//! queries (APQ), batches, multipart uploads, and the depth, complexity, alias and size limits.
//! Whatever comes in, the answer is not a server error, and a JSON answer parses with `data` or
//! `errors`.
//!
//! Input: one byte choosing the method, `Accept`, `Content-Type` and credentials, then the body
//! (POST) or the query string (GET).
#![no_main]

use axum::{
    body::Body,
    http::{Method, Request, header},
};
use libfuzzer_sys::fuzz_target;
use parley_fuzz::harness;

const ACCEPT: [&str; 8] = [
    "application/json",
    "application/graphql-response+json",
    "application/graphql-response+json;q=0.9, application/json;q=0.8",
    "text/event-stream",
    "multipart/mixed",
    "*/*",
    "image/png",
    "",
];

const CONTENT_TYPE: [&str; 4] = [
    "application/json",
    "multipart/form-data; boundary=fuzz",
    "application/graphql",
    "",
];

fuzz_target!(|data: &[u8]| {
    let [choice, body @ ..] = data else { return };
    let harness = harness();
    let get = choice & 1 != 0;
    let accept = ACCEPT[(choice >> 1) as usize % ACCEPT.len()];
    let content_type = CONTENT_TYPE[(choice >> 4) as usize % CONTENT_TYPE.len()];
    let anonymous = choice & 0x40 != 0;

    let mut request = if get {
        let query = String::from_utf8_lossy(body);
        let Ok(uri) = format!("/graphql?{query}").parse::<axum::http::Uri>() else {
            return;
        };
        Request::builder().method(Method::GET).uri(uri)
    } else {
        Request::post("/graphql")
    };
    if !accept.is_empty() {
        request = request.header(header::ACCEPT, accept);
    }
    if !get && !content_type.is_empty() {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    let body = if get {
        Body::empty()
    } else {
        Body::from(body.to_vec())
    };
    let request = if anonymous {
        request.body(body).expect("a request")
    } else {
        harness.authorised(request, body)
    };

    let answer = harness.send(request);
    assert!(
        !answer.status.is_server_error(),
        "{} {accept:?} {content_type:?} answered {}: {:?}",
        if get { "GET" } else { "POST" },
        answer.status,
        String::from_utf8_lossy(&answer.body)
    );
    if answer.is_json() {
        let answer = answer.json();
        let answers = match &answer {
            serde_json::Value::Array(batch) => batch.iter().collect(),
            single => vec![single],
        };
        for answer in answers {
            assert!(
                answer.get("data").is_some() || answer.get("errors").is_some(),
                "an answer without data or errors: {answer}"
            );
        }
    }
});
