//! Requests without a valid X-API-KEY get 401 and UNAUTHENTICATED.

use serde_json::{Value, json};

use crate::helpers::{error_code, spawn_app};

#[tokio::test]
async fn missing_or_wrong_api_keys_are_rejected() {
    let app = spawn_app().await;
    let query = "{ characters { totalCount } }";
    for key in [
        None,
        Some("wrong"),
        Some(""),
        Some("pk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    ] {
        let (status, body) = app.graphql_with_key(key, query, json!({})).await;
        assert_eq!(status, 401, "key {key:?}: {body}");
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
        assert!(body["data"].is_null(), "nothing is answered: {body}");
    }
    let (status, body) = app
        .graphql_with_key(Some(&app.api_key), query, json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["characters"]["totalCount"], 0);
}

#[tokio::test]
async fn each_surface_refuses_a_missing_key_in_its_own_shape_before_reading_input() {
    let app = spawn_app().await;
    let send = |method: reqwest::Method, path: &str, body: &'static str| {
        app.client
            .request(method, format!("{}{path}", app.address))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    // Surface A, with a body that is not JSON: the caller is refused before the body is read.
    let response = send(reqwest::Method::POST, "/api/v1/characters", "{not json")
        .await
        .expect("request sent");
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "UNAUTHORIZED", "{body}");
    // Surface B: `detail`.
    let response = send(reqwest::Method::GET, "/api/v1/chats?limit=oops", "")
        .await
        .expect("request sent");
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.expect("JSON");
    assert!(body["detail"].is_string(), "{body}");
    // The route both surfaces serve: both shapes, even for an id that is not one.
    let response = send(reqwest::Method::GET, "/api/v1/messages/abc", "")
        .await
        .expect("request sent");
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "UNAUTHORIZED", "{body}");
    assert!(body["detail"].is_string(), "{body}");
    // The deprecated completion keeps its deprecation headers on a refusal too.
    let path = "/api/v1/chats/00000000-0000-4000-8000-000000000001/complete";
    let response = send(reqwest::Method::POST, path, "")
        .await
        .expect("request sent");
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["deprecation"], "true");
}
