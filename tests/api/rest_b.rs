//! Surface B (`/api/v1/chats`) over real HTTP: the document's examples, soft delete and restore,
//! versions, context, export, search and the legacy throttle.

use std::time::Instant;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, second_owner, spawn_app},
    rest_a::assert_same_shape,
};

/// The session object compat-notes.md gives for surface B.
fn chat_shape() -> Value {
    json!({"id": "uuid", "character_id": 1, "title": "t", "rating": null, "created_at": "t",
           "last_modified": "t", "message_count": 0, "version": 1})
}

async fn character(app: &TestApp, label: &str, body: Value) -> i64 {
    let mut body = body;
    body["label"] = json!(label);
    let (status, created) = app.rest("POST", "/api/v1/characters", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_i64().unwrap()
}

async fn chat(app: &TestApp, body: Value) -> Value {
    let (status, created) = app.rest("POST", "/api/v1/chats/", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created
}

async fn say(app: &TestApp, chat_id: &str, role: &str, content: &str) -> Value {
    let (status, message) = app
        .rest(
            "POST",
            &format!("/api/v1/chats/{chat_id}/messages"),
            Some(json!({"role": role, "content": content})),
        )
        .await;
    assert_eq!(status, 201, "{message}");
    message
}

#[tokio::test]
async fn every_example_of_the_document_replays() {
    let app = spawn_app().await;
    let mentor = character(
        &app,
        "mentor",
        json!({"name": "Mentor", "first_message": "Welcome."}),
    )
    .await;

    // Create a session: {"character_id": 42, "title": "Mentor chat"}
    let created = chat(
        &app,
        json!({"character_id": mentor, "title": "Mentor chat"}),
    )
    .await;
    assert_same_shape(
        &chat_shape(),
        &{
            let mut c = created.clone();
            c["rating"] = Value::Null;
            c
        },
        "created",
    );
    assert_eq!(created["title"], "Mentor chat");
    assert_eq!(created["character_id"], mentor);
    assert_eq!(created["version"], 1);
    let chat_id = created["id"].as_str().unwrap().to_owned();
    uuid::Uuid::parse_str(&chat_id).expect("chat ids are UUIDs");
    for i in 0..5 {
        say(
            &app,
            &chat_id,
            if i % 2 == 0 { "user" } else { "assistant" },
            &format!("message {i}"),
        )
        .await;
    }

    // Get chat context for completions
    let (status, context) = app
        .rest("GET", &format!("/api/v1/chats/{chat_id}/context"), None)
        .await;
    assert_eq!(status, 200);
    assert_same_shape(
        &json!({"character_name": "Mentor", "messages": [{"role": "user", "content": "x"}]}),
        &context,
        "context",
    );

    // Export as Markdown
    let (status, export) = app
        .rest(
            "GET",
            &format!("/api/v1/chats/{chat_id}/export?format=markdown"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_same_shape(
        &json!({"content": "x", "format": "markdown"}),
        &export,
        "export",
    );
    assert!(
        export["content"]
            .as_str()
            .unwrap()
            .starts_with("# Chat Export: Mentor chat\n")
    );

    // List sessions (paginated) and the example list response.
    let (status, list) = app
        .rest("GET", "/api/v1/chats/?page=1&per_page=20", None)
        .await;
    assert_eq!(status, 200);
    let example = json!({
      "success": true,
      "data": [{"id": "3f6c...", "character_id": 42, "title": "Mentor chat", "message_count": 5}],
      "metadata": {"page": 1, "per_page": 20, "total": 1, "total_pages": 1}
    });
    assert_eq!(list["success"], true);
    assert_eq!(list["metadata"], example["metadata"]);
    let item = &list["data"][0];
    // The example abbreviates the item: its keys are all there, with the same types and values.
    for (key, value) in example["data"][0].as_object().unwrap() {
        assert_same_shape(value, &item[key], key);
    }
    assert_eq!(
        (
            item["id"].as_str(),
            item["title"].as_str(),
            item["message_count"].as_i64()
        ),
        (Some(chat_id.as_str()), Some("Mentor chat"), Some(5))
    );
    assert_same_shape(
        &chat_shape(),
        &{
            let mut c = item.clone();
            c["rating"] = Value::Null;
            c
        },
        "listed",
    );
}

#[tokio::test]
async fn titles_default_seeding_and_list_order() {
    let app = spawn_app().await;
    let id = character(
        &app,
        "hal",
        json!({"name": "HAL 9000", "first_message": "Good morning, {{user}}. I am {{char}}."}),
    )
    .await;
    let first = chat(&app, json!({"character_id": id})).await;
    let title = first["title"].as_str().unwrap();
    let stamp = title
        .strip_prefix("HAL 9000 Chat (")
        .and_then(|t| t.strip_suffix(')'))
        .unwrap();
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%d_%H%M%S").expect("YYYYmmdd_HHMMSS");
    assert_eq!(first["message_count"], 0);

    let (status, seeded) = app
        .rest(
            "POST",
            "/api/v1/chats/?seed_first_message=true",
            Some(json!({"character_id": id, "title": "Seeded"})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(seeded["message_count"], 1);
    let (_, messages) = app
        .rest(
            "GET",
            &format!("/api/v1/chats/{}/messages", seeded["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(messages["messages"][0]["sender"], "assistant");
    assert_eq!(
        messages["messages"][0]["content"],
        "Good morning, User. I am HAL 9000."
    );

    // Newest change first: a message in the first chat moves it to the top.
    say(&app, first["id"].as_str().unwrap(), "user", "hello").await;
    let (_, list) = app.rest("GET", "/api/v1/chats/", None).await;
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![
            first["id"].as_str().unwrap(),
            seeded["id"].as_str().unwrap()
        ]
    );
    // limit/offset as well as page/per_page, and the character filter.
    let (_, second) = app
        .rest("GET", "/api/v1/chats/?limit=1&offset=1", None)
        .await;
    assert_eq!(second["data"][0]["id"], seeded["id"]);
    assert_eq!(
        second["metadata"],
        json!({"page": 2, "per_page": 1, "total": 2, "total_pages": 2})
    );
    let other = character(&app, "other", json!({"name": "Other"})).await;
    chat(&app, json!({"character_id": other})).await;
    let (_, filtered) = app
        .rest("GET", &format!("/api/v1/chats/?character_id={other}"), None)
        .await;
    assert_eq!(filtered["metadata"]["total"], 1);

    // Unknown character: 404; bad input: 422 in FastAPI's shape.
    let (status, body) = app
        .rest("POST", "/api/v1/chats/", Some(json!({"character_id": 999})))
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(body["detail"].is_string());
    for (method, path, body, loc) in [
        (
            "POST",
            "/api/v1/chats/",
            Some(r#"{"character_id": "x"}"#),
            json!(["body", "character_id"]),
        ),
        (
            "POST",
            "/api/v1/chats/",
            Some(r#"{}"#),
            json!(["body", "character_id"]),
        ),
        (
            "GET",
            "/api/v1/chats/?per_page=0",
            None,
            json!(["query", "per_page"]),
        ),
        (
            "GET",
            "/api/v1/chats/?page=9223372036854775807",
            None,
            json!(["query", "page"]),
        ),
        (
            "GET",
            "/api/v1/chats/?offset=1000000001",
            None,
            json!(["query", "offset"]),
        ),
        // A parameter that another stands in for is still checked (schemathesis found
        // `limit=16&per_page=-532` answered 200).
        (
            "GET",
            "/api/v1/chats/?limit=16&per_page=-532",
            None,
            json!(["query", "per_page"]),
        ),
        (
            "GET",
            "/api/v1/chats/?per_page=16&limit=0",
            None,
            json!(["query", "limit"]),
        ),
        (
            "GET",
            "/api/v1/chats/?offset=10&page=0",
            None,
            json!(["query", "page"]),
        ),
        // `offset + limit` overflowed before offsets were bounded.
        (
            "GET",
            &format!(
                "/api/v1/chats/{}/messages?offset=9223372036854775807",
                first["id"].as_str().unwrap()
            ),
            None,
            json!(["query", "offset"]),
        ),
        (
            "PUT",
            &format!("/api/v1/chats/{}", first["id"].as_str().unwrap()),
            Some("[]"),
            json!(["body", "body"]),
        ),
        (
            "PUT",
            &format!("/api/v1/chats/{}", first["id"].as_str().unwrap()),
            Some(r#"{"rating": 9}"#),
            json!(["body", "rating"]),
        ),
        (
            "GET",
            &format!(
                "/api/v1/chats/{}/messages?limit=201",
                first["id"].as_str().unwrap()
            ),
            None,
            json!(["query", "limit"]),
        ),
        (
            "GET",
            &format!(
                "/api/v1/chats/{}/export?format=pdf",
                first["id"].as_str().unwrap()
            ),
            None,
            json!(["query", "format"]),
        ),
    ] {
        let (status, answer) = app
            .rest_raw(method, path, body.map(str::to_owned), Some(&app.api_key))
            .await;
        assert_eq!(status, 422, "{method} {path}: {answer}");
        assert_eq!(answer["detail"][0]["loc"], loc, "{answer}");
        assert!(answer["detail"][0]["msg"].is_string());
    }
    let (status, answer) = app.rest_raw("GET", "/api/v1/chats/", None, None).await;
    assert_eq!(status, 401);
    assert!(answer["detail"].is_string());
}

#[tokio::test]
async fn soft_delete_hides_everything_and_restore_brings_it_back() {
    let app = spawn_app().await;
    let id = character(&app, "c", json!({"name": "C"})).await;
    let kept = chat(&app, json!({"character_id": id, "title": "kept"})).await;
    let gone = chat(&app, json!({"character_id": id, "title": "gone"})).await;
    let gone_id = gone["id"].as_str().unwrap().to_owned();
    let mut messages = Vec::new();
    for text in [
        "the lighthouse keeper",
        "a storm at the lighthouse",
        "calm again",
    ] {
        messages.push(say(&app, &gone_id, "user", text).await);
    }
    // One message deleted on its own before: it must stay deleted after the restore.
    let lone = say(&app, &gone_id, "assistant", "lighthouse beacon").await;
    let (status, _) = app
        .rest("DELETE", &format!("/api/v1/messages/{}", lone["id"]), None)
        .await;
    assert_eq!(status, 200);
    say(
        &app,
        kept["id"].as_str().unwrap(),
        "user",
        "lighthouse elsewhere",
    )
    .await;

    let (status, body) = app
        .rest("DELETE", &format!("/api/v1/chats/{gone_id}"), None)
        .await;
    assert_eq!((status, body), (204, Value::Null));

    let (status, _) = app
        .rest("GET", &format!("/api/v1/chats/{gone_id}"), None)
        .await;
    assert_eq!(status, 404);
    let (_, list) = app.rest("GET", "/api/v1/chats/", None).await;
    assert_eq!(list["metadata"]["total"], 1);
    assert_eq!(list["data"][0]["id"], kept["id"]);
    for path in [
        "messages",
        "messages/search?query=lighthouse",
        "export",
        "export?format=text",
        "context",
    ] {
        let (status, _) = app
            .rest("GET", &format!("/api/v1/chats/{gone_id}/{path}"), None)
            .await;
        assert_eq!(status, 404, "{path}");
    }
    for message in &messages {
        let (status, _) = app
            .rest("GET", &format!("/api/v1/messages/{}", message["id"]), None)
            .await;
        assert_eq!(status, 404);
    }
    let search = app
        .data(
            "{ searchMessages(query: \"lighthouse\") { content } }",
            json!({}),
        )
        .await;
    assert_eq!(
        search["searchMessages"],
        json!([{"content": "lighthouse elsewhere"}])
    );

    // Restore: the same messages in the same order, twice harmlessly.
    for _ in 0..2 {
        let (status, restored) = app
            .rest("POST", &format!("/api/v1/chats/{gone_id}/restore"), None)
            .await;
        assert_eq!(status, 200, "{restored}");
        assert_eq!(restored["message_count"], 3);
        let (_, listed) = app
            .rest("GET", &format!("/api/v1/chats/{gone_id}/messages"), None)
            .await;
        let ids: Vec<&Value> = listed["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| &m["id"])
            .collect();
        let expected: Vec<&Value> = messages.iter().map(|m| &m["id"]).collect();
        assert_eq!(ids, expected);
    }
    let (_, list) = app.rest("GET", "/api/v1/chats/", None).await;
    assert_eq!(list["metadata"]["total"], 2);

    // Hard delete purges the rows (a soft-deleted chat too).
    let (status, _) = app
        .rest("DELETE", &format!("/api/v1/chats/{gone_id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .rest(
            "DELETE",
            &format!("/api/v1/chats/{gone_id}?hard_delete=true"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let uuid = uuid::Uuid::parse_str(&gone_id).unwrap();
    let rows = entity::chat_session::Entity::find()
        .filter(entity::chat_session::Column::Uuid.eq(uuid))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    let ids: Vec<i32> = messages
        .iter()
        .chain([&lone])
        .map(|m| m["id"].as_i64().unwrap() as i32)
        .collect();
    let left = entity::message::Entity::find()
        .filter(entity::message::Column::Id.is_in(ids))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(left, 0, "messages purged with the chat");
    let (status, _) = app
        .rest("POST", &format!("/api/v1/chats/{gone_id}/restore"), None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_updates_with_the_same_version_exactly_one_wins() {
    let app = std::sync::Arc::new(spawn_app().await);
    let id = character(&app, "c", json!({"name": "C"})).await;
    // Many rounds, each pair released together by a barrier: a race, not two turns.
    for round in 0..20 {
        let created = chat(&app, json!({"character_id": id, "title": "v1"})).await;
        let chat_id = created["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/chats/{chat_id}?expected_version=1");
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        let updates: Vec<_> = ["first", "second"]
            .into_iter()
            .map(|title| {
                let (app, path, start) = (app.clone(), path.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    (
                        title,
                        app.rest("PUT", &path, Some(json!({"title": title}))).await,
                    )
                })
            })
            .collect();
        let mut winners = Vec::new();
        for update in updates {
            let (title, (status, body)) = update.await.unwrap();
            match status {
                200 => {
                    assert_eq!(body["version"], 2);
                    winners.push(title);
                }
                409 => assert_eq!(body["detail"], "Version mismatch. Expected 1, found 2"),
                other => panic!("round {round}: {other}: {body}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one update wins");
        let (_, now) = app
            .rest("GET", &format!("/api/v1/chats/{chat_id}"), None)
            .await;
        assert_eq!(
            (now["title"].as_str(), now["version"].as_i64()),
            (Some(winners[0]), Some(2)),
            "round {round}: the winner's title, one version up"
        );
    }
}

async fn context_of(app: &TestApp, chat_id: &str) -> Value {
    let (status, context) = app
        .rest("GET", &format!("/api/v1/chats/{chat_id}/context"), None)
        .await;
    assert_eq!(status, 200, "{context}");
    context
}

#[tokio::test]
async fn the_context_follows_the_documented_order() {
    let app = spawn_app().await;
    let id = character(
        &app,
        "holmes",
        json!({
            "name": "Holmes", "description": "{{char}} is a detective.", "personality": "Sharp",
            "scenario": "Baker Street", "message_example": "{{user}}: Hi\n{{char}}: Indeed.",
            "first_message": "Good day, {{user}}."
        }),
    )
    .await;
    let (_, profile) = app
        .rest(
            "POST",
            "/api/v1/user-profiles",
            Some(json!({"label": "w", "name": "Watson"})),
        )
        .await;
    let (_, prompt) = app
        .rest(
            "POST",
            "/api/v1/system-prompts",
            Some(json!({"label": "rp", "content": "Play {{char}} for {{user}}."})),
        )
        .await;
    let (status, session) = app
        .rest("POST", "/api/v1/chat-sessions", Some(json!({
            "character_id": id, "user_profile_id": profile["id"], "system_prompt_id": prompt["id"],
            "pre_prompt": "Remember, {{char}}.", "pre_prompt_enabled": true,
            "post_prompt": "Unused post-prompt", "post_prompt_enabled": false
        })))
        .await;
    assert_eq!(status, 201);
    let uuid = app
        .data(
            "query($id: Int!) { chatSession(id: $id) { uuid } }",
            json!({"id": session["id"]}),
        )
        .await["chatSession"]["uuid"]
        .as_str()
        .unwrap()
        .to_owned();

    let card = "You are Holmes.\n\nHolmes is a detective.\n\nPersonality: Sharp\n\nScenario: Baker Street\n\nExample messages:\nWatson: Hi\nHolmes: Indeed.";
    assert_eq!(
        context_of(&app, &uuid).await,
        json!({"character_name": "Holmes", "messages": [
            {"role": "system", "content": "Play Holmes for Watson."},
            {"role": "system", "content": card},
            {"role": "system", "content": "Remember, Holmes."},
            {"role": "assistant", "content": "Good day, Watson."},
        ]})
    );

    say(&app, &uuid, "user", "What do you deduce, {{char}}?").await;
    say(
        &app,
        &uuid,
        "assistant",
        "That you have been in Afghanistan.",
    )
    .await;
    let (status, _) = app
        .rest("PUT", &format!("/api/v1/chat-sessions/{}", session["id"]), Some(json!({
            "pre_prompt_enabled": false, "post_prompt": "Answer as {{char}}.", "post_prompt_enabled": true
        })))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        context_of(&app, &uuid).await["messages"],
        json!([
            {"role": "system", "content": "Play Holmes for Watson."},
            {"role": "system", "content": card},
            {"role": "user", "content": "What do you deduce, Holmes?"},
            {"role": "assistant", "content": "That you have been in Afghanistan."},
            {"role": "system", "content": "Answer as Holmes."},
        ])
    );

    // GraphQL serves the same context.
    let gql = app
        .data("query($u: UUID!) { chatSession(uuid: $u) { context { characterName messages { role content } } } }", json!({"u": uuid}))
        .await;
    assert_eq!(
        gql["chatSession"]["context"]["messages"],
        context_of(&app, &uuid).await["messages"]
    );
}

#[tokio::test]
async fn exports_follow_the_documented_formats() {
    let app = spawn_app().await;
    let id = character(&app, "c", json!({"name": "Mentor"})).await;
    let created = chat(
        &app,
        json!({"character_id": id, "title": "Lesson", "rating": 4}),
    )
    .await;
    let chat_id = created["id"].as_str().unwrap();
    let hello = say(&app, chat_id, "user", "Hello").await;
    let reply = say(&app, chat_id, "assistant", "Welcome.\nSit down.").await;
    let (date, t1, t2) = (
        created["created_at"].as_str().unwrap(),
        hello["timestamp"].as_str().unwrap(),
        reply["timestamp"].as_str().unwrap(),
    );

    let (_, markdown) = app
        .rest(
            "GET",
            &format!("/api/v1/chats/{chat_id}/export?format=markdown"),
            None,
        )
        .await;
    assert_eq!(markdown["format"], "markdown");
    assert_eq!(
        markdown["content"].as_str().unwrap(),
        format!(
            "# Chat Export: Lesson\n\n**Character**: Mentor\n**Date**: {date}\n**Messages**: 2\n\n---\n\n\
                 **User** ({t1}):\nHello\n\n**Assistant** ({t2}):\nWelcome.\nSit down.\n"
        )
    );

    let (_, text) = app
        .rest(
            "GET",
            &format!("/api/v1/chats/{chat_id}/export?format=text"),
            None,
        )
        .await;
    assert_eq!(text["format"], "text");
    let dashes = "-".repeat(40);
    assert_eq!(
        text["content"].as_str().unwrap(),
        format!(
            "Chat: Lesson\nCharacter: Mentor\nDate: {date}\n{dashes}\nuser: Hello\nassistant: Welcome.\nSit down.\n"
        )
    );

    let (_, document) = app
        .rest(
            "GET",
            &format!("/api/v1/chats/{chat_id}/export?format=json"),
            None,
        )
        .await;
    assert_same_shape(
        &json!({"chat_id": "u", "character_name": "n", "character_id": 1, "title": "t", "created_at": "t",
                "messages": [{"id": 1, "role": "user", "content": "c", "timestamp": "t"}],
                "metadata": {"total_messages": 2, "rating": 4, "last_modified": "t"}}),
        &document,
        "json export",
    );
    assert_eq!(document["messages"][1]["content"], "Welcome.\nSit down.");
    assert_eq!(document["metadata"]["total_messages"], 2);

    let (_, bare) = app
        .rest(
            "GET",
            &format!(
                "/api/v1/chats/{chat_id}/export?include_metadata=false&include_character=false"
            ),
            None,
        )
        .await;
    assert!(
        bare.get("metadata").is_none() && bare.get("character_name").is_none(),
        "{bare}"
    );
}

#[tokio::test]
async fn search_finds_words_ranks_and_respects_owners() {
    let app = spawn_app().await;
    let id = character(&app, "c", json!({"name": "C"})).await;
    let chat_id = chat(&app, json!({"character_id": id})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let once = say(
        &app,
        &chat_id,
        "user",
        "We sailed past the old lighthouse at dawn",
    )
    .await;
    let twice = say(
        &app,
        &chat_id,
        "user",
        "Lighthouse, lighthouse: the lighthouse keeper waved",
    )
    .await;
    say(&app, &chat_id, "user", "Nothing to see here").await;
    let deleted = say(&app, &chat_id, "user", "a lighthouse I regret").await;
    app.rest(
        "DELETE",
        &format!("/api/v1/messages/{}", deleted["id"]),
        None,
    )
    .await;

    let (status, found) = app
        .rest(
            "GET",
            &format!("/api/v1/chats/{chat_id}/messages/search?query=lighthouse"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{found}");
    let ids: Vec<&Value> = found["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["id"])
        .collect();
    assert_eq!(
        ids,
        vec![&twice["id"], &once["id"]],
        "word in the middle found, best match first"
    );
    assert_eq!(found["total"], 2);

    // Every word must occur; case does not matter; punctuation is not syntax.
    let (_, both) = app
        .rest(
            "GET",
            &format!("/api/v1/chats/{chat_id}/messages/search?query=OLD%20Lighthouse%22%20AND"),
            None,
        )
        .await;
    assert_eq!(
        both["total"], 0,
        "AND is a word here, and no message has it"
    );
    let (_, both) = app
        .rest(
            "GET",
            &format!("/api/v1/chats/{chat_id}/messages/search?query=OLD%20%22lighthouse%22"),
            None,
        )
        .await;
    assert_eq!(both["messages"][0]["id"], once["id"]);
    let (status, answer) = app
        .rest(
            "GET",
            &format!("/api/v1/chats/{chat_id}/messages/search?query="),
            None,
        )
        .await;
    assert_eq!(status, 422, "an empty query");
    assert_eq!(answer["detail"][0]["loc"], json!(["query", "query"]));

    // Another owner finds nothing of this owner's, and cannot search this chat.
    let key_b = second_owner(&app, "b").await;
    let (status, _) = app
        .rest_raw(
            "GET",
            &format!("/api/v1/chats/{chat_id}/messages/search?query=lighthouse"),
            None,
            Some(&key_b),
        )
        .await;
    assert_eq!(status, 404);
    let (status, body) = app
        .graphql_with_key(
            Some(&key_b),
            "{ searchMessages(query: \"lighthouse\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!((status, &body["data"]["searchMessages"]), (200, &json!([])));
}

#[tokio::test]
async fn the_legacy_complete_endpoint_is_throttled_per_chat() {
    let app = spawn_app().await;
    let id = character(&app, "c", json!({"name": "C"})).await;
    let first = chat(&app, json!({"character_id": id})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = chat(&app, json!({"character_id": id})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let complete = |chat_id: &str| {
        let url = format!("{}/api/v1/chats/{chat_id}/complete", app.address);
        let (client, key) = (app.client.clone(), app.api_key.clone());
        async move {
            client
                .post(url)
                .header("X-API-KEY", key)
                .send()
                .await
                .unwrap()
        }
    };
    let started = Instant::now();
    let mut allowed = 0;
    let limited = loop {
        let response = complete(&first).await;
        assert_eq!(response.headers()["deprecation"], "true");
        assert!(response.headers().contains_key("sunset"));
        match response.status().as_u16() {
            200 => {
                let body: Value = response.json().await.unwrap();
                assert_eq!(body, json!({"status": "ok", "chat_id": first}));
                allowed += 1;
                assert!(allowed <= 20, "never throttled");
            }
            429 => break response,
            other => panic!("{other}"),
        }
    };
    // 5 a second: at most 5, plus one per 200 ms that passed while calling.
    let elapsed = started.elapsed().as_millis() as usize;
    assert!(
        allowed >= 5 && allowed <= 5 + elapsed / 200,
        "{allowed} calls in {elapsed} ms"
    );
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["detail"], "Rate limit exceeded for chat completion");

    // Another chat is not throttled.
    assert_eq!(complete(&second).await.status().as_u16(), 200);
    // An unknown chat is 404, not a throttle slot.
    assert_eq!(
        complete(&uuid::Uuid::new_v4().to_string())
            .await
            .status()
            .as_u16(),
        404
    );
}
