//! Requests without a valid X-API-KEY get 401 and UNAUTHENTICATED.

use serde_json::json;

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
