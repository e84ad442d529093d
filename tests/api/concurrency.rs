//! Concurrent writers wait for each other instead of failing (SQLite: WAL, busy timeout and
//! write transactions that take the lock up front).

use serde_json::json;

use crate::helpers::{add_message, create_session, seed_references, spawn_app, spawn_app_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_messages_to_one_session_are_all_stored() {
    let app = std::sync::Arc::new(spawn_app().await);
    let (character, ..) = seed_references(&app, "a").await;
    let session = create_session(&app, character).await;
    // All 40 writers start at once (a barrier), not one after the other as they were spawned.
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(40));
    let writers: Vec<_> = (0..40)
        .map(|i| {
            let (app, start) = (app.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                add_message(&app, session, &format!("message {i}")).await
            })
        })
        .collect();
    let mut acknowledged = std::collections::BTreeSet::new();
    for writer in writers {
        acknowledged.insert(writer.await.expect("every write succeeds"));
    }
    let stored = app
        .data(
            "query($id: Int!) { chatSession(id: $id) { messageCount
                messages(first: 100) { nodes { id content } } } }",
            json!({ "id": session }),
        )
        .await;
    assert_eq!(stored["chatSession"]["messageCount"], 40);
    // Every acknowledged message is stored, once, with its own content.
    let nodes = stored["chatSession"]["messages"]["nodes"]
        .as_array()
        .unwrap();
    let ids: std::collections::BTreeSet<i64> =
        nodes.iter().map(|n| n["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, acknowledged);
    let contents: std::collections::BTreeSet<String> = nodes
        .iter()
        .map(|n| n["content"].as_str().unwrap().to_owned())
        .collect();
    let expected: std::collections::BTreeSet<String> =
        (0..40).map(|i| format!("message {i}")).collect();
    assert_eq!(contents, expected);
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

/// Two transactions that lock two rows in opposite orders: PostgreSQL aborts one as the
/// deadlock's victim (40P01), and `retry_aborted` runs it again, so both commit. SQLite takes the
/// write lock up front (`BEGIN IMMEDIATE`) and never deadlocks: there this checks that a write
/// runs once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_aborted_as_a_deadlock_victim_is_retried() {
    use std::sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    };

    use parley::{
        db::{begin_write, retry_aborted},
        error::AppResult,
    };
    use sea_orm::{ConnectionTrait, TransactionTrait};

    let app = spawn_app().await;
    let postgres = app.database_url.starts_with("postgres");
    app.db
        .execute_unprepared(
            "CREATE TABLE retry_probe (id INTEGER PRIMARY KEY, v INTEGER NOT NULL);
             INSERT INTO retry_probe VALUES (1, 0), (2, 0);",
        )
        .await
        .unwrap();
    let both_hold_one = Arc::new(tokio::sync::Barrier::new(2));
    let attempts = Arc::new(AtomicU32::new(0));
    let write = |first: i32, second: i32| {
        let (db, barrier, attempts) = (app.db.clone(), both_hold_one.clone(), attempts.clone());
        async move {
            let mut tried = 0;
            retry_aborted(|| {
                tried += 1;
                let (db, barrier, attempts, tried) = (&db, &barrier, &attempts, tried);
                async move {
                    attempts.fetch_add(1, Ordering::SeqCst);
                    let txn = begin_write(db).await?;
                    let bump =
                        |id: i32| format!("UPDATE retry_probe SET v = v + 1 WHERE id = {id}");
                    txn.execute_unprepared(&bump(first)).await?;
                    // The first time, each holds its first row when it asks for the other's.
                    if tried == 1 && postgres {
                        barrier.wait().await;
                    }
                    txn.execute_unprepared(&bump(second)).await?;
                    txn.commit().await?;
                    AppResult::Ok(())
                }
            })
            .await
        }
    };
    let (one, two) = tokio::join!(write(1, 2), write(2, 1));
    one.expect("the first write commits");
    two.expect("the second write commits");
    let expected_attempts = if postgres { 3 } else { 2 };
    assert_eq!(attempts.load(Ordering::SeqCst), expected_attempts);
    let txn = app.db.begin().await.unwrap();
    let rows = txn
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT v FROM retry_probe ORDER BY id",
        ))
        .await
        .unwrap();
    let values: Vec<i32> = rows
        .iter()
        .map(|row| row.try_get::<i32>("", "v").unwrap())
        .collect();
    assert_eq!(values, [2, 2], "each write applied once");
}

/// When the database cannot take a request in time (here the pool's one connection is held past
/// its 10 s acquire timeout), each surface answers 503 in its own shape with a `Retry-After`, not
/// a 500, and answers as before once the database is free. A list is read on the reader's own
/// connections (`db::Reader`: on SQLite on the request's own thread, on PostgreSQL on as many
/// connections again as the pool has), so it is answered all along.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_database_answers_503_and_then_recovers() {
    use sea_orm::TransactionTrait;
    let app = spawn_app_with(|config| config.db_max_connections = 1).await;
    let (character, ..) = seed_references(&app, "busy").await;
    let prompt = || Some(json!({"label": "busy", "content": "Wait."}));

    let held = app.db.begin().await.expect("the one connection");
    let surface_b = app
        .client
        .post(format!("{}/api/v1/chats/", app.address))
        .header("X-API-KEY", &app.api_key)
        .json(&json!({"character_id": character}))
        .send();
    let ((a_status, a_body), b, graphql, (list_status, list)) = tokio::join!(
        app.rest("POST", "/api/v1/system-prompts", prompt()),
        surface_b,
        app.graphql_with_key(
            Some(&app.api_key),
            r#"mutation { createSystemPrompt(input: {label: "busy", content: "Wait."}) { id } }"#,
            json!({})
        ),
        app.rest("GET", "/api/v1/chat-sessions", None),
    );
    held.rollback().await.unwrap();

    assert_eq!(a_status, 503, "{a_body}");
    assert_eq!(a_body["error"]["code"], "SERVICE_UNAVAILABLE", "{a_body}");
    let b = b.expect("answered");
    assert_eq!(b.status(), 503);
    assert_eq!(b.headers()["retry-after"], "1");
    let (status, body) = graphql;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
        "{body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["retryAfter"], 1, "{body}");
    assert_eq!(list_status, 200, "{list}");

    let (status, body) = app.rest("POST", "/api/v1/system-prompts", prompt()).await;
    assert_eq!(
        status, 201,
        "answers again once the database is free: {body}"
    );
}
