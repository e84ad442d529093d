//! /metrics serves Prometheus text with statement, request and latency series.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn metrics_count_statements_and_requests_by_route() {
    let app = spawn_app().await;
    let before = app.statements_executed().await;
    app.data("{ characters { totalCount } }", json!({})).await;
    assert!(app.statements_executed().await > before);

    let response = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains(
            r#"parley_http_requests_total{method="POST",route="/graphql",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(
        "parley_http_request_duration_seconds_bucket{method=\"POST\",route=\"/graphql\""
    ));
    assert!(text.contains("parley_db_statement_duration_seconds_count"));
}

#[tokio::test]
async fn graphiql_is_served_on_get() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("graphiql"), "{html}");
}
