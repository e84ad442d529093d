//! Every REST operation of `/openapi.json`, sent to the real router with fuzzed path values,
//! query strings and bodies. Whatever comes in, the answer is a status the document lists for the
//! operation, and every error is JSON in the surface's shape.
//!
//! Input: one byte choosing the operation, one byte of flags, then the path value, the query
//! string and the body, separated by NUL bytes. An empty path value means the row made at start-up.
#![no_main]

use axum::{
    body::Body,
    http::{Request, header},
};
use libfuzzer_sys::fuzz_target;
use parley_fuzz::{encoded, fields, harness};

fuzz_target!(|data: &[u8]| {
    let [choice, rest @ ..] = data else { return };
    let [flags, rest @ ..] = rest else { return };
    let harness = harness();
    let operation = &harness.operations[*choice as usize % harness.operations.len()];
    let [path_value, query, body] = fields::<3>(rest);

    let mut path = operation.path.clone();
    for parameter in &operation.path_parameters {
        let value = if path_value.is_empty() {
            harness.seeded(parameter).to_owned()
        } else {
            encoded(path_value)
        };
        path = path.replace(&format!("{{{parameter}}}"), &value);
    }
    if flags & 1 != 0 {
        path.push('/');
    }
    if !query.is_empty() {
        path.push('?');
        path.push_str(&String::from_utf8_lossy(query));
    }
    let Ok(uri) = path.parse::<axum::http::Uri>() else {
        return;
    };
    let mut request = Request::builder().method(operation.method.clone()).uri(uri);
    if let Some(media) = &operation.body {
        let media = match media.as_str() {
            "multipart/form-data" => "multipart/form-data; boundary=fuzz",
            other => other,
        };
        request = request.header(header::CONTENT_TYPE, media);
    }
    let body = Body::from(body.to_vec());
    let request = if flags & 2 != 0 {
        request.body(body).expect("a request")
    } else {
        harness.authorised(request, body)
    };

    let answer = harness.send(request);
    let status = answer.status.as_u16();
    assert!(
        operation.documented.contains(&status),
        "{} {} answered {status}, which the document does not list ({:?}): {:?}",
        operation.method,
        operation.path,
        operation.documented,
        String::from_utf8_lossy(&answer.body)
    );
    if !answer.status.is_success() {
        assert!(
            answer.is_json(),
            "{} {} answered {status} as {:?}",
            operation.method,
            operation.path,
            answer.content_type
        );
        let error = answer.json();
        assert!(
            error.get("error").is_some() || error.get("detail").is_some(),
            "{} {} answered {status} outside the surface's error shape: {error}",
            operation.method,
            operation.path
        );
    } else if answer.is_json() {
        answer.json();
    }
});
