//! Concurrent writers wait for each other instead of failing (SQLite: WAL, busy timeout and
//! write transactions that take the lock up front).

use serde_json::json;

use crate::helpers::{seed_references, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_messages_to_one_session_are_all_stored() {
    let app = std::sync::Arc::new(spawn_app().await);
    let (character, ..) = seed_references(&app, "a").await;
    let session = app
        .data(
            "mutation($c: Int!) { createChatSession(input: {characterId: $c}) { id } }",
            json!({ "c": character }),
        )
        .await["createChatSession"]["id"]
        .as_i64()
        .unwrap();
    let writers: Vec<_> = (0..40)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                app.data(
                    "mutation($id: Int!, $c: String!) { createMessage(input: {chatSessionId: $id, content: $c}) { id } }",
                    json!({ "id": session, "c": format!("message {i}") }),
                )
                .await
            })
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
