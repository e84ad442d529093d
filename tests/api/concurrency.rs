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
