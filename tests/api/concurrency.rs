//! Concurrent writers wait for each other instead of failing (SQLite: WAL, busy timeout and
//! write transactions that take the lock up front).

use serde_json::json;

use crate::helpers::{add_message, create_session, seed_references, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_messages_to_one_session_are_all_stored() {
    let app = std::sync::Arc::new(spawn_app().await);
    let (character, ..) = seed_references(&app, "a").await;
    let session = create_session(&app, character).await;
    let writers: Vec<_> = (0..40)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move { add_message(&app, session, &format!("message {i}")).await })
        })
        .collect();
    for writer in writers {
        writer.await.expect("every write succeeds");
    }
    let count = app
        .data(
            "query($id: Int!) { chatSession(id: $id) { messageCount } }",
            json!({ "id": session }),
        )
        .await;
    assert_eq!(count["chatSession"]["messageCount"], 40);
}

/// With PARLEY_MAX_CONCURRENT_QUERIES=1, queries over GraphQL and REST take turns: they all answer,
/// some of them after waiting (counted in `parley_graphql_queries_queued_total`), and a mutation
/// is never held up behind them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_past_the_concurrency_limit_wait_their_turn() {
    let app = std::sync::Arc::new(
        crate::helpers::spawn_app_with(|config| config.limits.max_concurrent_queries = 1).await,
    );
    let (character, ..) = seed_references(&app, "q").await;
    for _ in 0..20 {
        create_session(&app, character).await;
    }
    let readers: Vec<_> = (0..48)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                if i % 2 == 0 {
                    let data = app
                        .data(
                            "{ chatSessions(first: 20) { totalCount nodes { id character { name } } } }",
                            json!({}),
                        )
                        .await;
                    assert_eq!(data["chatSessions"]["nodes"].as_array().unwrap().len(), 20);
                } else {
                    let response = app
                        .client
                        .get(format!("{}/api/v1/chat-sessions?per_page=20", app.address))
                        .header("X-API-KEY", &app.api_key)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), 200);
                    let body: serde_json::Value = response.json().await.unwrap();
                    // 20, or 21 once the write below has gone through.
                    let total = body["pagination"]["total_items"].as_i64().unwrap();
                    assert!((20..=21).contains(&total), "{body}");
                }
            })
        })
        .collect();
    // A write goes through meanwhile (mutations take no turn).
    create_session(&app, character).await;
    for reader in readers {
        reader.await.expect("every query answers");
    }
    let metrics = app.metrics_text().await;
    let queued: u64 = metrics
        .lines()
        .find_map(|line| line.strip_prefix("parley_graphql_queries_queued_total "))
        .expect("the queued-queries counter")
        .parse()
        .unwrap();
    assert!(
        queued > 0,
        "48 concurrent queries with one turn at a time: none waited?"
    );
}
