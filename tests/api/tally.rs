//! List totals: the page and its `totalCount` are one statement (the count rides along as a
//! column); an unfiltered session list reads its total from `chat_session_tally`, and a
//! session's message totals read `message_tally`, which the database's triggers keep equal to a
//! count of the live rows after every kind of write.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, add_message, create_session, error_code, second_owner, seed_references, spawn_app,
    tallies_and_counts,
};

/// Both tallies equal the counts they stand for.
async fn assert_tallies_match(app: &TestApp, after: &str) {
    for (tallied, counted) in tallies_and_counts(&app.db).await {
        assert_eq!(tallied, counted, "tally after {after}");
    }
}

async fn pairs(app: &TestApp, sql: &str) -> Vec<(i64, i64)> {
    let backend = app.db.get_database_backend();
    let rows = app
        .db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            let owner: i32 = row.try_get_by_index(0).unwrap();
            (owner as i64, row.try_get_by_index::<i64>(1).unwrap())
        })
        .collect()
}

async fn execute(app: &TestApp, sql: &str) -> u64 {
    let backend = app.db.get_database_backend();
    app.db
        .execute_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .rows_affected()
}

/// The tally equals the count, and the API's totals (REST and GraphQL, a page smaller than the
/// list so that the page cannot tell the total itself) equal it too.
async fn assert_totals(app: &TestApp, key: &str, expected: i64, after: &str) {
    assert_tallies_match(app, after).await;
    let (status, body) = app
        .graphql_with_key(
            Some(key),
            "{ chatSessions(first: 1) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["chatSessions"]["totalCount"], expected,
        "GraphQL totalCount after {after}"
    );
    if key == app.api_key {
        let (status, body) = app
            .rest("GET", "/api/v1/chat-sessions?per_page=1", None)
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["pagination"]["total_items"], expected,
            "REST total_items after {after}"
        );
    }
}

fn id(value: &Value) -> i64 {
    value.as_i64().unwrap()
}

#[tokio::test]
async fn the_session_tally_follows_every_kind_of_write() {
    let app = spawn_app().await;
    let key = app.api_key.clone();
    let (character, ..) = seed_references(&app, "a").await;
    let (doomed_character, ..) = seed_references(&app, "b").await;
    let mut sessions = Vec::new();
    for _ in 0..5 {
        sessions.push(create_session(&app, character).await);
    }
    add_message(
        &app,
        sessions[0],
        "a message bumps the session's updated_at",
    )
    .await;
    assert_totals(&app, &key, 5, "5 creates").await;

    let delete = "mutation($id: Int!, $soft: Boolean!) { deleteChatSession(id: $id, soft: $soft) }";
    app.data(delete, json!({"id": sessions[0], "soft": true}))
        .await;
    assert_totals(&app, &key, 4, "a soft delete").await;
    app.data(
        "mutation($id: Int!) { restoreChatSession(id: $id) { id } }",
        json!({"id": sessions[0]}),
    )
    .await;
    assert_totals(&app, &key, 5, "a restore").await;
    app.data(delete, json!({"id": sessions[1], "soft": true}))
        .await;
    app.data(delete, json!({"id": sessions[1], "soft": false}))
        .await;
    assert_totals(&app, &key, 4, "a soft delete, then a purge").await;
    app.data(delete, json!({"id": sessions[2], "soft": false}))
        .await;
    assert_totals(&app, &key, 3, "a delete").await;
    let (status, _) = app
        .rest(
            "DELETE",
            &format!("/api/v1/chat-sessions/{}", sessions[3]),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_totals(&app, &key, 2, "a REST delete").await;

    // Two sessions of a character deleted with its sessions.
    create_session(&app, doomed_character).await;
    create_session(&app, doomed_character).await;
    assert_totals(&app, &key, 4, "2 more").await;
    app.data(
        "mutation($id: Int!) { deleteCharacter(id: $id, cascade: true) }",
        json!({"id": doomed_character}),
    )
    .await;
    assert_totals(&app, &key, 2, "a character's cascade").await;

    // Another owner's sessions are tallied apart.
    let other = second_owner(&app, "other").await;
    let (status, body) = app
        .graphql_with_key(
            Some(&other),
            r#"mutation { c: createCharacter(input: {label: "o", name: "Other"}) { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let other_character = id(&body["data"]["c"]["id"]);
    for _ in 0..3 {
        let (status, body) = app
            .graphql_with_key(
                Some(&other),
                "mutation($c: Int!) { createChatSession(input: {characterId: $c}) { id } }",
                json!({"c": other_character}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    assert_totals(&app, &other, 3, "another owner's creates").await;
    assert_totals(&app, &key, 2, "another owner's creates").await;

    // SQL run by hand: one statement inserting several rows (PostgreSQL counts it per
    // statement), and one soft-deleting several.
    let new_uuid = match app.db.get_database_backend() {
        DatabaseBackend::Postgres => "gen_random_uuid()",
        _ => "randomblob(16)",
    };
    let inserted = execute(
        &app,
        &format!(
            "INSERT INTO chat_session (uuid, owner_id, character_id, pre_prompt_enabled, \
             post_prompt_enabled, start_time, updated_at, version) \
             SELECT {new_uuid}, owner_id, character_id, pre_prompt_enabled, post_prompt_enabled, \
             start_time, updated_at, version FROM chat_session WHERE deleted_at IS NULL"
        ),
    )
    .await;
    assert_eq!(inserted, 5);
    assert_totals(&app, &key, 4, "a bulk insert").await;
    assert_totals(&app, &other, 6, "a bulk insert").await;
    let hidden = execute(
        &app,
        &format!(
            "UPDATE chat_session SET deleted_at = updated_at WHERE character_id = {other_character}"
        ),
    )
    .await;
    assert_eq!(hidden, 6);
    assert_totals(&app, &other, 0, "a bulk soft delete").await;
    execute(
        &app,
        &format!(
            "UPDATE chat_session SET deleted_at = NULL WHERE character_id = {other_character}"
        ),
    )
    .await;
    assert_totals(&app, &other, 6, "a bulk restore").await;

    // An account's deletion takes its sessions and its tally row.
    execute(&app, "DELETE FROM account WHERE username = 'other'").await;
    assert_tallies_match(&app, "an account's deletion").await;
    let [(_, live_sessions), _] = tallies_and_counts(&app.db).await;
    assert_eq!(live_sessions.len(), 1, "only the first owner is left");
    assert_totals(&app, &key, 4, "another account's deletion").await;
}

#[tokio::test]
async fn an_unfiltered_session_total_is_read_from_the_tally() {
    let app = spawn_app().await;
    let (character, ..) = seed_references(&app, "a").await;
    for _ in 0..5 {
        create_session(&app, character).await;
    }
    // Set the tally wrong by hand: the unfiltered total shows it, so it is what is read; a
    // filtered list (which the tally cannot answer) still counts its rows.
    execute(&app, "UPDATE chat_session_tally SET live_sessions = 999").await;
    let (_, body) = app
        .rest("GET", "/api/v1/chat-sessions?per_page=2", None)
        .await;
    assert_eq!(body["pagination"]["total_items"], 999);
    let data = app
        .data(
            "query($c: Int!) { all: chatSessions(first: 2) { totalCount }
               some: chatSessions(first: 2, filter: {characterId: $c}) { totalCount } }",
            json!({"c": character}),
        )
        .await;
    assert_eq!(data["all"]["totalCount"], 999);
    assert_eq!(data["some"]["totalCount"], 5);
    // A page that reaches the end of the list tells the total itself.
    let (_, body) = app
        .rest("GET", "/api/v1/chat-sessions?per_page=100", None)
        .await;
    assert_eq!(body["pagination"]["total_items"], 5);
}

/// Statements one REST request executes, from `parley_db_statements_total`.
async fn statements_for_rest(app: &TestApp, path: &str) -> (u64, Value) {
    let before = app.statements_executed().await;
    let (status, body) = app.rest("GET", path, None).await;
    assert_eq!(status, 200, "{body}");
    (app.statements_executed().await - before, body)
}

#[tokio::test]
async fn a_page_and_its_total_are_one_statement() {
    let app = spawn_app().await;
    let (c1, p1, ..) = seed_references(&app, "a").await;
    let (c2, ..) = seed_references(&app, "b").await;
    let mut sessions = Vec::new();
    for i in 0..30 {
        let (status, body) = app
            .rest(
                "POST",
                "/api/v1/chat-sessions",
                Some(json!({"character_id": if i % 2 == 0 { c1 } else { c2 }, "user_profile_id": p1})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        sessions.push(id(&body["id"]));
    }
    for i in 0..12 {
        add_message(&app, sessions[0], &format!("message {i}")).await;
    }
    // Warm-up: the first request also verifies the API key.
    app.rest("GET", "/api/v1/chat-sessions?per_page=1", None)
        .await;

    // The page with its total, the characters, the profiles.
    let (statements, body) = statements_for_rest(&app, "/api/v1/chat-sessions?per_page=10").await;
    assert_eq!(body["pagination"]["total_items"], 30);
    assert_eq!(body["items"].as_array().unwrap().len(), 10);
    assert_eq!(statements, 3, "a session page with its total");
    let filtered = format!("/api/v1/chat-sessions?per_page=10&character_id={c2}");
    let (statements, body) = statements_for_rest(&app, &filtered).await;
    assert_eq!(body["pagination"]["total_items"], 15);
    assert_eq!(statements, 3, "a filtered session page with its total");

    // A page of messages with their total, its session found by the same statement.
    let messages = format!("/api/v1/chat-sessions/{}/messages?per_page=5", sessions[0]);
    let (statements, body) = statements_for_rest(&app, &messages).await;
    assert_eq!(body["pagination"]["total_items"], 12);
    assert_eq!(body["items"].as_array().unwrap().len(), 5);
    assert_eq!(statements, 1, "a message page with its total");

    // A page past the end has no row to carry the total: it is counted on its own, and the
    // session is looked up (an empty page of a session the caller cannot see is a 404).
    let (statements, body) = statements_for_rest(&app, &format!("{messages}&page=4")).await;
    assert_eq!(body["pagination"]["total_items"], 12);
    assert_eq!(body["items"].as_array().unwrap().len(), 0);
    assert_eq!(statements, 3, "an empty page, the session and a count");
    let (_, body) = statements_for_rest(&app, "/api/v1/chat-sessions?per_page=100&page=3").await;
    assert_eq!(body["pagination"]["total_items"], 30);
    assert_eq!(body["items"].as_array().unwrap().len(), 0);

    // GraphQL asks the same way, and a cursor page still gets its total.
    let data = app
        .data(
            "{ chatSessions(first: 4) { totalCount pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["chatSessions"]["totalCount"], 30);
    let cursor = data["chatSessions"]["pageInfo"]["endCursor"].clone();
    let data = app
        .data(
            "query($after: String) { chatSessions(first: 100, after: $after) { totalCount nodes { id } } }",
            json!({"after": cursor}),
        )
        .await;
    assert_eq!(data["chatSessions"]["totalCount"], 30);
    assert_eq!(data["chatSessions"]["nodes"].as_array().unwrap().len(), 26);
}

/// A message list finds its session inside its own statement ([`a_page_and_its_total_are_one_statement`]):
/// it still answers only for a session the caller sees, by id or by uuid, on both surfaces.
#[tokio::test]
async fn a_message_list_answers_only_for_a_session_the_caller_sees() {
    let app = spawn_app().await;
    let (character, ..) = seed_references(&app, "a").await;
    let (session, empty) = (
        create_session(&app, character).await,
        create_session(&app, character).await,
    );
    add_message(&app, session, "still here").await;
    let uuid = app
        .data(
            "query($id: Int!) { chatSession(id: $id) { uuid } }",
            json!({"id": session}),
        )
        .await["chatSession"]["uuid"]
        .clone();
    let rest = |id: i64| format!("/api/v1/chat-sessions/{id}/messages");
    let by_id = "query($id: Int) { messages(chatSessionId: $id) { totalCount nodes { content } } }";
    let by_uuid =
        "query($id: UUID) { messages(chatSessionUuid: $id) { totalCount nodes { content } } }";
    let listed = |status: u16, body: &Value| (status, body["pagination"]["total_items"].clone());

    let (status, body) = app.rest("GET", &rest(empty), None).await;
    assert_eq!(listed(status, &body), (200, json!(0)), "{body}");
    let (status, body) = app.rest("GET", &rest(session), None).await;
    assert_eq!(listed(status, &body), (200, json!(1)), "{body}");

    // Soft-deleted, the session keeps its messages and hides them.
    app.data(
        "mutation($id: Int!) { deleteChatSession(id: $id, soft: true) }",
        json!({"id": session}),
    )
    .await;
    let (status, body) = app.rest("GET", &rest(session), None).await;
    assert_eq!(status, 404, "{body}");
    for (query, id) in [(by_id, json!(session)), (by_uuid, uuid.clone())] {
        let body = app.graphql(query, json!({"id": id})).await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    }

    // Another owner sees none of it, and an unknown id is no different.
    let other = second_owner(&app, "other").await;
    let (status, body) = app
        .graphql_with_key(Some(&other), by_id, json!({"id": empty}))
        .await;
    assert_eq!((status, error_code(&body)), (200, "NOT_FOUND"), "{body}");
    let (status, body) = app.rest("GET", &rest(999_999), None).await;
    assert_eq!(status, 404, "{body}");

    // Restored, its messages are back, by id and by uuid.
    app.data(
        "mutation($id: Int!) { restoreChatSession(id: $id) { id } }",
        json!({"id": session}),
    )
    .await;
    for (query, id) in [(by_id, json!(session)), (by_uuid, uuid)] {
        let data = app.data(query, json!({"id": id})).await;
        assert_eq!(data["messages"]["totalCount"], 1);
        assert_eq!(data["messages"]["nodes"][0]["content"], "still here");
    }
}

/// The message tally equals the count, and every total the API gives for the session's messages
/// equals `expected`: GraphQL's `messageCount` (alone and in a list, so the loader batches) and
/// its `totalCount`s, surface A's `total_items` and surface B's `message_count`. The pages are
/// smaller than the list, so that a page cannot tell the total itself.
async fn assert_message_totals(app: &TestApp, session: i64, expected: i64, after: &str) {
    assert_tallies_match(app, after).await;
    let data = app
        .data(
            "query($id: Int!) {
               session: chatSession(id: $id) { uuid messageCount messages(first: 1) { totalCount } }
               messages(chatSessionId: $id, first: 1) { totalCount }
               chatSessions(first: 100) { nodes { id messageCount } } }",
            json!({"id": session}),
        )
        .await;
    let listed = data["chatSessions"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|node| node["id"] == session)
        .map(|node| node["messageCount"].clone());
    assert_eq!(
        vec![
            data["session"]["messageCount"].clone(),
            data["session"]["messages"]["totalCount"].clone(),
            data["messages"]["totalCount"].clone(),
            listed.unwrap_or_default(),
        ],
        vec![json!(expected); 4],
        "GraphQL totals after {after}"
    );
    let (status, body) = app
        .rest(
            "GET",
            &format!("/api/v1/chat-sessions/{session}/messages?per_page=1"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["pagination"]["total_items"], expected,
        "REST total_items after {after}"
    );
    let uuid = data["session"]["uuid"].as_str().unwrap();
    let (status, body) = app
        .rest("GET", &format!("/api/v1/chats/{uuid}"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["message_count"], expected,
        "surface B message_count after {after}"
    );
}

#[tokio::test]
async fn the_message_tally_follows_every_kind_of_write() {
    let app = spawn_app().await;
    let (character, ..) = seed_references(&app, "a").await;
    let (doomed_character, ..) = seed_references(&app, "b").await;
    let session = create_session(&app, character).await;
    let neighbour = create_session(&app, character).await;
    let mut messages = Vec::new();
    for i in 0..6 {
        messages.push(add_message(&app, session, &format!("message {i}")).await);
    }
    add_message(&app, neighbour, "next door").await;
    assert_message_totals(&app, session, 6, "6 creates").await;
    let (status, body) = app
        .rest(
            "POST",
            &format!("/api/v1/chat-sessions/{session}/messages"),
            Some(json!({"content": "over REST"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_message_totals(&app, session, 7, "a REST create").await;

    app.data(
        "mutation($id: Int!) { deleteMessage(id: $id) }",
        json!({"id": messages[0]}),
    )
    .await;
    assert_message_totals(&app, session, 6, "a message's delete").await;
    app.data(
        "mutation($id: Int!) { updateMessage(id: $id, input: {content: \"edited\"}) { id } }",
        json!({"id": messages[1]}),
    )
    .await;
    assert_message_totals(&app, session, 6, "an edit").await;

    // A session's soft delete hides its messages with it; its restore brings them back.
    let delete = "mutation($id: Int!, $soft: Boolean!) { deleteChatSession(id: $id, soft: $soft) }";
    app.data(delete, json!({"id": session, "soft": true})).await;
    assert_tallies_match(&app, "a session's soft delete").await;
    app.data(
        "mutation($id: Int!) { restoreChatSession(id: $id) { id } }",
        json!({"id": session}),
    )
    .await;
    assert_message_totals(&app, session, 6, "a session's restore").await;

    // SQL run by hand: one statement inserting several rows (PostgreSQL counts it per
    // statement), one soft-deleting several, one restoring them, one moving messages to another
    // session, one purging.
    let inserted = execute(
        &app,
        &format!(
            "INSERT INTO message (owner_id, chat_session_id, role, content, created_at, \
             updated_at, version) SELECT owner_id, chat_session_id, role, content, created_at, \
             updated_at, version FROM message WHERE chat_session_id = {session} \
             AND deleted_at IS NULL"
        ),
    )
    .await;
    assert_eq!(inserted, 6);
    assert_message_totals(&app, session, 12, "a bulk insert").await;
    let hidden = execute(
        &app,
        &format!(
            "UPDATE message SET deleted_at = updated_at WHERE chat_session_id = {session} \
             AND content = 'edited'"
        ),
    )
    .await;
    assert_eq!(hidden, 2);
    assert_message_totals(&app, session, 10, "a bulk soft delete").await;
    execute(
        &app,
        &format!(
            "UPDATE message SET deleted_at = NULL WHERE chat_session_id = {session} \
             AND content = 'edited'"
        ),
    )
    .await;
    assert_message_totals(&app, session, 12, "a bulk restore").await;
    let moved = execute(
        &app,
        &format!(
            "UPDATE message SET chat_session_id = {neighbour} WHERE chat_session_id = {session} \
             AND content = 'message 5'"
        ),
    )
    .await;
    assert_eq!(moved, 2);
    assert_message_totals(&app, session, 10, "a move to another session").await;
    assert_message_totals(&app, neighbour, 3, "a move from another session").await;
    let purged = execute(
        &app,
        &format!("DELETE FROM message WHERE chat_session_id = {session} AND content = 'message 4'"),
    )
    .await;
    assert_eq!(purged, 2);
    assert_message_totals(&app, session, 8, "a purge").await;
    let purged = execute(
        &app,
        &format!("DELETE FROM message WHERE chat_session_id = {session}"),
    )
    .await;
    assert_eq!(purged, 9, "8 live and the one deleted through the API");
    assert_message_totals(&app, session, 0, "a purge of them all").await;
    add_message(&app, session, "after the purge").await;
    assert_message_totals(&app, session, 1, "a create after the purge").await;

    // A session's deletion, and a character's cascade, take the messages with them.
    app.data(delete, json!({"id": neighbour, "soft": false}))
        .await;
    assert_message_totals(&app, session, 1, "another session's delete").await;
    let doomed = create_session(&app, doomed_character).await;
    add_message(&app, doomed, "soon gone").await;
    add_message(&app, doomed, "soon gone too").await;
    assert_message_totals(&app, doomed, 2, "messages of a doomed session").await;
    app.data(
        "mutation($id: Int!) { deleteCharacter(id: $id, cascade: true) }",
        json!({"id": doomed_character}),
    )
    .await;
    assert_message_totals(&app, session, 1, "a character's cascade").await;

    // Another owner's messages are tallied apart, and go with its account.
    let other = second_owner(&app, "other").await;
    let (status, body) = app
        .graphql_with_key(
            Some(&other),
            r#"mutation { c: createCharacter(input: {label: "o", name: "Other"}) { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .graphql_with_key(
            Some(&other),
            "mutation($c: Int!) { createChatSession(input: {characterId: $c}) { id } }",
            json!({"c": id(&body["data"]["c"]["id"])}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let theirs = id(&body["data"]["createChatSession"]["id"]);
    for content in ["theirs", "theirs too"] {
        let (status, body) = app
            .graphql_with_key(
                Some(&other),
                "mutation($id: Int!, $c: String!) { createMessage(input: {chatSessionId: $id, content: $c}) { id } }",
                json!({"id": theirs, "c": content}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = app
        .graphql_with_key(
            Some(&other),
            "query($id: Int!) { chatSession(id: $id) { messageCount } }",
            json!({"id": theirs}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["chatSession"]["messageCount"], 2);
    assert_message_totals(&app, session, 1, "another owner's creates").await;
    execute(&app, "DELETE FROM account WHERE username = 'other'").await;
    assert_eq!(
        pairs(
            &app,
            &format!(
                "SELECT owner_id, live_messages FROM message_tally WHERE chat_session_id = {theirs}"
            )
        )
        .await,
        Vec::new(),
        "the account's tally rows are gone"
    );
    assert_message_totals(&app, session, 1, "another account's deletion").await;
}

#[tokio::test]
async fn message_totals_are_read_from_the_tally() {
    let app = spawn_app().await;
    let (character, ..) = seed_references(&app, "a").await;
    let session = create_session(&app, character).await;
    let empty = create_session(&app, character).await;
    for i in 0..5 {
        add_message(&app, session, &format!("message {i}")).await;
    }
    // Set the tally wrong by hand: every total that cannot be told from its page shows it, so it
    // is what is read.
    execute(&app, "UPDATE message_tally SET live_messages = 999").await;
    let data = app
        .data(
            "query($id: Int!, $empty: Int!) {
               session: chatSession(id: $id) { messageCount messages(first: 2) { totalCount } }
               messages(chatSessionId: $id, first: 2) { totalCount }
               chatSessions(first: 10) { nodes { id messageCount } }
               empty: chatSession(id: $empty) { messageCount } }",
            json!({"id": session, "empty": empty}),
        )
        .await;
    assert_eq!(data["session"]["messageCount"], 999);
    assert_eq!(data["session"]["messages"]["totalCount"], 999);
    assert_eq!(data["messages"]["totalCount"], 999);
    let mut counts: Vec<(i64, i64)> = data["chatSessions"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| (id(&node["id"]), id(&node["messageCount"])))
        .collect();
    counts.sort();
    assert_eq!(counts, [(session, 999), (empty, 0)]);
    // A session without a message has no tally row, and counts none.
    assert_eq!(data["empty"]["messageCount"], 0);
    let messages = format!("/api/v1/chat-sessions/{session}/messages");
    let (_, body) = app
        .rest("GET", &format!("{messages}?per_page=2"), None)
        .await;
    assert_eq!(body["pagination"]["total_items"], 999);
    // A page that reaches the end of the list tells the total itself.
    let (_, body) = app
        .rest("GET", &format!("{messages}?per_page=50"), None)
        .await;
    assert_eq!(body["pagination"]["total_items"], 5);
}
