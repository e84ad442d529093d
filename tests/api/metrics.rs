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

/// Every route is counted under its template, with the trailing slash surface A's clients send
/// trimmed, and a path that names no route under `unmatched` (one series, not one per path), as
/// is a request refused before routing (a body declared over the limit).
#[tokio::test]
async fn requests_count_under_their_route_template_or_unmatched() {
    let app = crate::helpers::spawn_app_with(|config| config.limits.max_body_bytes = 1_000).await;
    for path in [
        "/api/v1/characters/",
        "/no/such/path",
        "/another/missing/path",
    ] {
        app.client
            .get(format!("{}{path}", app.address))
            .header("x-api-key", &app.api_key)
            .send()
            .await
            .unwrap();
    }
    let too_large = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("x-api-key", &app.api_key)
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"query": "{{ __typename }}", "pad": "{}"}}"#,
            "x".repeat(2_000)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status().as_u16(), 413);
    let text = app.metrics_text().await;
    assert!(
        text.contains(
            r#"parley_http_requests_total{method="POST",route="unmatched",status="413"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"parley_http_requests_total{method="GET",route="/api/v1/characters",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"parley_http_requests_total{method="GET",route="unmatched",status="404"} 2"#
        ),
        "{text}"
    );
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

/// The README's cap: past 200 distinct operation names, new ones count as `other`, so that a
/// client cannot grow `/metrics` without bound even with a valid key.
#[tokio::test]
async fn operation_names_past_the_cap_count_as_other() {
    let app = crate::helpers::spawn_app_with(|config| {
        config.limits.rate_per_second = 1_000_000;
        config.limits.rate_burst = 1_000_000;
    })
    .await;
    let mut names = Vec::new();
    for i in 0..230 {
        let body = app
            .graphql(&format!("query Op{i:03} {{ __typename }}"), json!({}))
            .await;
        assert!(body.get("errors").is_none(), "{body}");
        names.push(format!("Op{i:03}"));
    }
    let text = app.metrics_text().await;
    let series: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("parley_graphql_operations_total{"))
        .collect();
    let named = names
        .iter()
        .filter(|name| {
            series
                .iter()
                .any(|s| s.contains(&format!("operation=\"{name}\"")))
        })
        .count();
    assert!(
        named <= 200,
        "{named} operation names have series of their own"
    );
    assert!(named >= 190, "the first names are counted by name: {named}");
    let other: u64 = series
        .iter()
        .filter(|s| s.contains("operation=\"other\""))
        .map(|s| s.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert!(
        other >= 30,
        "the names past the cap count as other: {other}"
    );
}
