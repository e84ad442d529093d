//! The OpenAPI document: valid 3.1, every REST route in it, in step with the checked-in
//! `openapi.json`; and a docs page that needs nothing from outside 127.0.0.1.

use axum::http::Method;
use serde_json::Value;

use crate::helpers::spawn_app;

/// Every surface A route, as (method, path template).
const SURFACE_A: &[(&str, &str)] = &[
    ("GET", "/api/v1/chat-sessions"),
    ("POST", "/api/v1/chat-sessions"),
    ("GET", "/api/v1/chat-sessions/{chat_session_id}"),
    ("PUT", "/api/v1/chat-sessions/{chat_session_id}"),
    ("DELETE", "/api/v1/chat-sessions/{chat_session_id}"),
    ("GET", "/api/v1/chat-sessions/{chat_session_id}/messages"),
    ("POST", "/api/v1/chat-sessions/{chat_session_id}/messages"),
    ("GET", "/api/v1/messages/{message_id}"),
    ("PUT", "/api/v1/messages/{message_id}"),
    ("DELETE", "/api/v1/messages/{message_id}"),
    ("GET", "/api/v1/characters"),
    ("POST", "/api/v1/characters"),
    ("GET", "/api/v1/characters/{character_id}"),
    ("PUT", "/api/v1/characters/{character_id}"),
    ("DELETE", "/api/v1/characters/{character_id}"),
    ("GET", "/api/v1/user-profiles"),
    ("POST", "/api/v1/user-profiles"),
    ("GET", "/api/v1/user-profiles/{user_profile_id}"),
    ("PUT", "/api/v1/user-profiles/{user_profile_id}"),
    ("DELETE", "/api/v1/user-profiles/{user_profile_id}"),
    ("GET", "/api/v1/ai-models"),
    ("POST", "/api/v1/ai-models"),
    ("GET", "/api/v1/ai-models/{ai_model_id}"),
    ("PUT", "/api/v1/ai-models/{ai_model_id}"),
    ("DELETE", "/api/v1/ai-models/{ai_model_id}"),
    ("GET", "/api/v1/system-prompts"),
    ("POST", "/api/v1/system-prompts"),
    ("GET", "/api/v1/system-prompts/{system_prompt_id}"),
    ("PUT", "/api/v1/system-prompts/{system_prompt_id}"),
    ("DELETE", "/api/v1/system-prompts/{system_prompt_id}"),
];

/// Every surface B route.
const SURFACE_B: &[(&str, &str)] = &[
    ("GET", "/api/v1/chats"),
    ("POST", "/api/v1/chats"),
    ("GET", "/api/v1/chats/{chat_id}"),
    ("PUT", "/api/v1/chats/{chat_id}"),
    ("DELETE", "/api/v1/chats/{chat_id}"),
    ("POST", "/api/v1/chats/{chat_id}/restore"),
    ("GET", "/api/v1/chats/{chat_id}/context"),
    ("GET", "/api/v1/chats/{chat_id}/export"),
    ("POST", "/api/v1/chats/{chat_id}/complete"),
    ("GET", "/api/v1/chats/{chat_id}/messages"),
    ("POST", "/api/v1/chats/{chat_id}/messages"),
    ("GET", "/api/v1/chats/{chat_id}/messages/search"),
];

/// Every `$ref` in `value`.
fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => found.push(r),
                    _ => refs(v, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_is_valid_complete_and_checked_in() {
    let app = spawn_app().await;
    let served = app
        .client
        .get(format!("{}/openapi.json", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    let spec = oas3::from_json(&served).expect("a valid OpenAPI document");
    let version = spec
        .validate_version()
        .expect("a supported OpenAPI version");
    assert_eq!((version.major, version.minor), (3, 1));
    for (method, path) in SURFACE_A.iter().chain(SURFACE_B) {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let operation = spec
            .operation(&method, path)
            .unwrap_or_else(|| panic!("{method} {path} is not documented"));
        assert!(
            !operation.responses.as_ref().unwrap().is_empty(),
            "{method} {path}"
        );
    }

    // Operation ids are unique (code generators name functions after them).
    let mut ids: Vec<String> = spec
        .operations()
        .map(|(path, method, op)| {
            op.operation_id
                .clone()
                .unwrap_or_else(|| panic!("{method} {path}"))
        })
        .collect();
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicate operationId");

    // Every reference resolves.
    let document: Value = serde_json::from_str(&served).unwrap();
    let mut found = Vec::new();
    refs(&document, &mut found);
    assert!(!found.is_empty());
    for reference in found {
        let pointer = reference.strip_prefix('#').expect("local reference");
        assert!(
            document.pointer(pointer).is_some(),
            "{reference} does not resolve"
        );
    }

    let checked_in: Value = serde_json::from_str(include_str!("../../openapi.json")).unwrap();
    assert!(
        checked_in == document,
        "openapi.json is out of date: run `cargo run -- openapi > openapi.json`"
    );
}

#[tokio::test]
async fn the_docs_page_loads_everything_from_this_server() {
    let app = spawn_app().await;
    let get = |path: String| {
        let app = &app;
        async move {
            let response = app
                .client
                .get(format!("{}{path}", app.address))
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (status, html) = get("/docs/".into()).await;
    assert_eq!(status, 200);
    assert!(html.contains("swagger-ui"), "{html}");

    // Every script and stylesheet the page names is relative, and this server has it.
    let mut assets = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for piece in html.split(attribute).skip(1) {
            assets.push(piece.split('"').next().unwrap().to_owned());
        }
    }
    assert!(assets.iter().any(|a| a.ends_with(".js")), "{assets:?}");
    for asset in &assets {
        assert!(
            !asset.contains("://") && !asset.starts_with("//"),
            "external asset {asset}"
        );
        let path = format!("/docs/{}", asset.trim_start_matches("./"));
        let (status, _) = get(path.clone()).await;
        assert_eq!(status, 200, "{path}");
    }

    // The page reads the document from here and sends it to no online validator.
    let (status, initializer) = get("/docs/swagger-initializer.js".into()).await;
    assert_eq!(status, 200);
    assert!(initializer.contains("/openapi.json"), "{initializer}");
    let compact: String = initializer.split_whitespace().collect();
    assert!(
        compact.contains(r#""validatorUrl":"none""#),
        "{initializer}"
    );
    assert!(
        !initializer.contains("http://") && !initializer.contains("https://"),
        "{initializer}"
    );
}

/// The GraphiQL page names only assets this server has, and forbids the browser anything else
/// (the browser itself is driven by `.ci/server-checks`).
#[tokio::test]
async fn graphiql_loads_everything_from_this_server() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("default-src 'self'") && policy.contains("script-src 'self';"));
    let html = response.text().await.unwrap();
    let mut assets = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for piece in html.split(attribute).skip(1) {
            assets.push(piece.split('"').next().unwrap().to_owned());
        }
    }
    assert!(assets.len() >= 5, "{assets:?}");
    for asset in assets.iter().filter(|a| !a.starts_with("data:")) {
        assert!(
            asset.starts_with("/graphql/assets/"),
            "external asset {asset}"
        );
        let response = app
            .client
            .get(format!("{}{asset}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        let body = response.text().await.unwrap();
        assert!(body.len() > 100, "{asset}");
    }
    let missing = app
        .client
        .get(format!("{}/graphql/assets/nothing.js", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
