//! Surface A (`/api/v1/chat-sessions` and its siblings) over real HTTP: the examples of
//! chat-sessions-api.md replayed, pagination, errors, and the same data as GraphQL.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

impl TestApp {
    /// A REST request as the app's own account; returns status and JSON body.
    pub async fn rest(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.rest_raw(
            method,
            path,
            body.map(|b| b.to_string()),
            Some(&self.api_key),
        )
        .await
    }

    pub async fn rest_raw(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        key: Option<&str>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(key) = key {
            request = request.header("X-API-KEY", key);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_ne!(status, 500, "a 500 is always a bug: {text}");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        (status, body)
    }
}

/// `actual` has exactly the keys of `expected` at every level, and values of the same JSON types.
pub fn assert_same_shape(expected: &Value, actual: &Value, path: &str) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let mut ek: Vec<_> = e.keys().collect();
            let mut ak: Vec<_> = a.keys().collect();
            ek.sort();
            ak.sort();
            assert_eq!(ek, ak, "keys at {path}");
            for (key, value) in e {
                assert_same_shape(value, &a[key], &format!("{path}.{key}"));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if let Some(first) = e.first() {
                assert!(!a.is_empty(), "{path} is empty");
                for (i, item) in a.iter().enumerate() {
                    assert_same_shape(first, item, &format!("{path}[{i}]"));
                }
            }
        }
        (Value::Number(_), Value::Number(_))
        | (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Null, Value::Null) => {}
        _ => panic!("type at {path}: expected like {expected}, got {actual}"),
    }
}

/// RFC 3339 in UTC with a `Z`.
fn assert_utc_timestamp(value: &Value) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"));
    assert!(text.ends_with('Z'), "{text}");
    chrono::DateTime::parse_from_rfc3339(text).unwrap();
}

/// The data behind the document's examples: characters 1-3, profiles 1-2, models 1-2, prompts
/// 1-2, and session 1 as the list and get examples show it.
async fn seed_document_examples(app: &TestApp) {
    let creates = [
        (
            "/api/v1/characters",
            json!({"label": "sherlock_holmes", "name": "Sherlock Holmes", "avatar_image": "sherlock.jpg", "description": "The world's only consulting detective..."}),
        ),
        (
            "/api/v1/characters",
            json!({"label": "watson", "name": "John Watson", "avatar_image": "watson.jpg"}),
        ),
        (
            "/api/v1/characters",
            json!({"label": "hal_9000", "name": "HAL 9000", "avatar_image": "hal9000.jpg"}),
        ),
        (
            "/api/v1/user-profiles",
            json!({"label": "default", "name": "Default User", "avatar_image": "default.jpg"}),
        ),
        (
            "/api/v1/user-profiles",
            json!({"label": "detective", "name": "Detective", "avatar_image": "detective.jpg"}),
        ),
        (
            "/api/v1/ai-models",
            json!({"label": "gpt-3.5-turbo", "description": "OpenAI's GPT-3.5 model."}),
        ),
        (
            "/api/v1/ai-models",
            json!({"label": "gpt-4", "description": "OpenAI's GPT-4 model for more advanced and nuanced conversations."}),
        ),
        (
            "/api/v1/system-prompts",
            json!({"label": "basic_roleplay", "content": "You are roleplaying as the character described. Stay in character at all times."}),
        ),
        (
            "/api/v1/system-prompts",
            json!({"label": "storyteller", "content": "Tell a story."}),
        ),
        (
            "/api/v1/chat-sessions",
            json!({"character_id": 1, "user_profile_id": 2, "ai_model_id": 2, "system_prompt_id": 1, "pre_prompt": "Remember you are Sherlock Holmes, the detective.", "pre_prompt_enabled": true, "post_prompt": null, "post_prompt_enabled": false}),
        ),
    ];
    for (path, body) in creates {
        let (status, answer) = app.rest("POST", path, Some(body)).await;
        assert_eq!(status, 201, "{path}: {answer}");
    }
}

#[tokio::test]
async fn every_example_of_the_document_replays() {
    let app = spawn_app().await;
    seed_document_examples(&app).await;

    // GET /api/v1/chat-sessions
    let (status, list) = app.rest("GET", "/api/v1/chat-sessions", None).await;
    assert_eq!(status, 200);
    let list_example = json!({
      "items": [{
          "id": 1, "character_id": 1, "user_profile_id": 2, "ai_model_id": 2, "system_prompt_id": 1,
          "pre_prompt": "Remember you are Sherlock Holmes, the detective.", "pre_prompt_enabled": true,
          "post_prompt": null, "post_prompt_enabled": false,
          "start_time": "2023-01-15T12:00:00Z", "updated_at": "2023-01-15T18:30:00Z",
          "character": {"id": 1, "name": "Sherlock Holmes", "avatar_image": "sherlock.jpg"},
          "user_profile": {"id": 2, "name": "Detective"}
      }],
      "pagination": {"page": 1, "per_page": 20, "total_items": 3, "total_pages": 1}
    });
    assert_same_shape(&list_example, &list, "list");
    assert_eq!(
        list["items"][0]["character"],
        list_example["items"][0]["character"]
    );
    assert_eq!(
        list["items"][0]["user_profile"],
        list_example["items"][0]["user_profile"]
    );
    assert_eq!(
        list["pagination"],
        json!({"page": 1, "per_page": 20, "total_items": 1, "total_pages": 1})
    );
    assert_utc_timestamp(&list["items"][0]["start_time"]);

    // GET /api/v1/chat-sessions/{id}
    let (status, one) = app.rest("GET", "/api/v1/chat-sessions/1", None).await;
    assert_eq!(status, 200);
    let get_example = json!({
      "id": 1, "character_id": 1, "user_profile_id": 2, "ai_model_id": 2, "system_prompt_id": 1,
      "pre_prompt": "Remember you are Sherlock Holmes, the detective.", "pre_prompt_enabled": true,
      "post_prompt": null, "post_prompt_enabled": false,
      "start_time": "2023-01-15T12:00:00Z", "updated_at": "2023-01-15T18:30:00Z",
      "character": {"id": 1, "label": "sherlock_holmes", "name": "Sherlock Holmes", "avatar_image": "sherlock.jpg", "description": "The world's only consulting detective..."},
      "user_profile": {"id": 2, "label": "detective", "name": "Detective", "avatar_image": "detective.jpg"},
      "ai_model": {"id": 2, "label": "gpt-4", "description": "OpenAI's GPT-4 model for more advanced and nuanced conversations."},
      "system_prompt": {"id": 1, "label": "basic_roleplay", "content": "You are roleplaying as the character described. Stay in character at all times."}
    });
    assert_same_shape(&get_example, &one, "get");
    for key in [
        "character",
        "user_profile",
        "ai_model",
        "system_prompt",
        "pre_prompt",
    ] {
        assert_eq!(one[key], get_example[key], "{key}");
    }

    // POST /api/v1/chat-sessions
    let (status, created) = app
        .rest(
            "POST",
            "/api/v1/chat-sessions",
            Some(json!({
              "character_id": 3, "user_profile_id": 1, "ai_model_id": 1, "system_prompt_id": 2,
              "pre_prompt": "Remember to talk like HAL 9000.", "pre_prompt_enabled": true,
              "post_prompt": "Always be slightly ominous.", "post_prompt_enabled": true
            })),
        )
        .await;
    assert_eq!(status, 201);
    let create_example = json!({
      "id": 4, "character_id": 3, "user_profile_id": 1, "ai_model_id": 1, "system_prompt_id": 2,
      "pre_prompt": "Remember to talk like HAL 9000.", "pre_prompt_enabled": true,
      "post_prompt": "Always be slightly ominous.", "post_prompt_enabled": true,
      "start_time": "2023-01-16T14:00:00Z", "updated_at": "2023-01-16T14:00:00Z",
      "character": {"id": 3, "name": "HAL 9000", "avatar_image": "hal9000.jpg"},
      "user_profile": {"id": 1, "name": "Default User"}
    });
    assert_same_shape(&create_example, &created, "create");
    for key in [
        "character_id",
        "user_profile_id",
        "ai_model_id",
        "system_prompt_id",
        "pre_prompt",
        "post_prompt",
        "post_prompt_enabled",
        "character",
        "user_profile",
    ] {
        assert_eq!(created[key], create_example[key], "{key}");
    }
    assert_eq!(created["start_time"], created["updated_at"]);
    let id = created["id"].as_i64().unwrap();

    // PUT /api/v1/chat-sessions/{id}
    let (status, updated) = app
        .rest(
            "PUT",
            &format!("/api/v1/chat-sessions/{id}"),
            Some(json!({
              "ai_model_id": 2, "pre_prompt": "Updated pre-prompt for HAL 9000.",
              "post_prompt_enabled": false
            })),
        )
        .await;
    assert_eq!(status, 200);
    let update_example = json!({
      "id": 4, "character_id": 3, "user_profile_id": 1, "ai_model_id": 2, "system_prompt_id": 2,
      "pre_prompt": "Updated pre-prompt for HAL 9000.", "pre_prompt_enabled": true,
      "post_prompt": "Always be slightly ominous.", "post_prompt_enabled": false,
      "start_time": "2023-01-16T14:00:00Z", "updated_at": "2023-01-16T14:45:00Z"
    });
    assert_same_shape(&update_example, &updated, "update");
    for key in [
        "character_id",
        "user_profile_id",
        "ai_model_id",
        "system_prompt_id",
        "pre_prompt",
        "pre_prompt_enabled",
        "post_prompt",
        "post_prompt_enabled",
    ] {
        assert_eq!(updated[key], update_example[key], "{key}");
    }
    assert_eq!(updated["start_time"], created["start_time"]);
    assert!(updated["updated_at"].as_str() > created["updated_at"].as_str());

    // DELETE /api/v1/chat-sessions/{id}
    let (status, deleted) = app
        .rest("DELETE", &format!("/api/v1/chat-sessions/{id}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        deleted,
        json!({"message": "Chat session deleted successfully"})
    );
    let (status, gone) = app
        .rest("GET", &format!("/api/v1/chat-sessions/{id}"), None)
        .await;
    assert_eq!(status, 404);
    assert_eq!(gone["error"]["code"], "RESOURCE_NOT_FOUND");
}

#[tokio::test]
async fn sibling_resources_have_the_same_five_verbs() {
    let app = spawn_app().await;
    let resources = [
        (
            "characters",
            "Character",
            json!({"label": "c", "name": "C"}),
            json!({"name": "C2"}),
            "name",
        ),
        (
            "user-profiles",
            "User profile",
            json!({"label": "u", "name": "U"}),
            json!({"name": "U2"}),
            "name",
        ),
        (
            "ai-models",
            "AI model",
            json!({"label": "m"}),
            json!({"description": "M2"}),
            "description",
        ),
        (
            "system-prompts",
            "System prompt",
            json!({"label": "s", "content": "S"}),
            json!({"content": "S2"}),
            "content",
        ),
    ];
    for (path, thing, create, update, changed) in resources {
        let base = format!("/api/v1/{path}");
        let (status, created) = app.rest("POST", &base, Some(create.clone())).await;
        assert_eq!(status, 201, "{path}: {created}");
        let id = created["id"].as_i64().unwrap();
        let (status, one) = app.rest("GET", &format!("{base}/{id}"), None).await;
        assert_eq!((status, &one), (200, &created), "{path}");
        let (status, list) = app.rest("GET", &base, None).await;
        assert_eq!(status, 200);
        assert_eq!(list["items"], json!([created]));
        assert_eq!(list["pagination"]["total_items"], 1);
        let (status, updated) = app
            .rest("PUT", &format!("{base}/{id}"), Some(update.clone()))
            .await;
        assert_eq!(status, 200, "{path}: {updated}");
        assert_eq!(updated[changed], update[changed]);
        assert_eq!(
            updated["label"], created["label"],
            "a partial update keeps the rest"
        );
        let (status, deleted) = app.rest("DELETE", &format!("{base}/{id}"), None).await;
        assert_eq!(status, 200);
        assert_eq!(
            deleted,
            json!({"message": format!("{thing} deleted successfully")})
        );
        let (status, _) = app.rest("GET", &format!("{base}/{id}"), None).await;
        assert_eq!(status, 404, "{path}");
    }
}

#[tokio::test]
async fn pages_and_filters() {
    let app = spawn_app().await;
    seed_document_examples(&app).await;
    // 44 more sessions, 45 in all: character 1 or 2 alternately, profile 1 for every third.
    for i in 0..44 {
        let body = json!({
            "character_id": if i % 2 == 0 { 2 } else { 1 },
            "user_profile_id": if i % 3 == 0 { Some(1) } else { None },
        });
        let (status, _) = app.rest("POST", "/api/v1/chat-sessions", Some(body)).await;
        assert_eq!(status, 201);
    }
    let mut seen = Vec::new();
    for (page, size) in [(1, 20), (2, 20), (3, 5), (4, 0)] {
        let (status, body) = app
            .rest(
                "GET",
                &format!("/api/v1/chat-sessions?page={page}&per_page=20"),
                None,
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(body["items"].as_array().unwrap().len(), size, "page {page}");
        assert_eq!(
            body["pagination"],
            json!({"page": page, "per_page": 20, "total_items": 45, "total_pages": 3})
        );
        seen.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_i64().unwrap()),
        );
    }
    assert_eq!(seen, (1..=45).collect::<Vec<_>>());

    let count = |query: &'static str| {
        let app = &app;
        async move {
            let (status, body) = app
                .rest(
                    "GET",
                    &format!("/api/v1/chat-sessions?per_page=100&{query}"),
                    None,
                )
                .await;
            assert_eq!(status, 200);
            (
                body["pagination"]["total_items"].as_i64().unwrap(),
                body["items"].clone(),
            )
        }
    };
    // Character 1: session 1 and the 22 odd ones; profile 1: the 15 with i % 3 == 0.
    let (by_character, items) = count("character_id=1").await;
    assert_eq!(by_character, 23);
    assert!(
        items
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["character_id"] == 1)
    );
    let (by_profile, items) = count("user_profile_id=1").await;
    assert_eq!(by_profile, 15);
    assert!(
        items
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["user_profile_id"] == 1)
    );
    let (both, items) = count("user_profile_id=1&character_id=1").await;
    assert_eq!(both, 7);
    assert!(
        items
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["user_profile_id"] == 1 && s["character_id"] == 1)
    );
}

#[tokio::test]
async fn messages_of_a_session_and_their_fate_when_it_is_deleted() {
    let app = spawn_app().await;
    seed_document_examples(&app).await;
    // Session 2 has no AI model: messages are only stored (a model would reply; see replies.rs).
    let (status, _) = app
        .rest(
            "POST",
            "/api/v1/chat-sessions",
            Some(json!({"character_id": 1})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, first) = app
        .rest(
            "POST",
            "/api/v1/chat-sessions/2/messages",
            Some(json!({"content": "Hello, Holmes."})),
        )
        .await;
    assert_eq!(status, 201);
    assert_same_shape(
        &json!({"id": 1, "chat_session_id": 1, "role": "user", "content": "x", "timestamp": "t"}),
        &first,
        "message",
    );
    let (status, second) = app
        .rest(
            "POST",
            "/api/v1/chat-sessions/2/messages",
            Some(json!({"role": "assistant", "content": "Elementary."})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(second["role"], "assistant");

    let (status, list) = app
        .rest("GET", "/api/v1/chat-sessions/2/messages", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["items"], json!([first, second]));
    assert_eq!(
        list["pagination"],
        json!({"page": 1, "per_page": 50, "total_items": 2, "total_pages": 1})
    );

    let message_path = format!("/api/v1/messages/{}", first["id"]);
    let (status, full) = app.rest("GET", &message_path, None).await;
    assert_eq!(status, 200);
    assert_same_shape(
        &json!({"id": 1, "chat_session_id": 1, "conversation_id": "u", "role": "user", "sender": "user",
                "content": "x", "timestamp": "t", "version": 1}),
        &full,
        "full message",
    );
    let (status, edited) = app
        .rest(
            "PUT",
            &message_path,
            Some(json!({"content": "Hello again, Holmes."})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (edited["content"].as_str(), edited["version"].as_i64()),
        (Some("Hello again, Holmes."), Some(2))
    );
    let (status, deleted) = app
        .rest(
            "DELETE",
            &format!("/api/v1/messages/{}", second["id"]),
            None,
        )
        .await;
    assert_eq!(
        (status, deleted),
        (200, json!({"message": "Message deleted successfully"}))
    );

    // Deleting the session deletes its messages: their ids then answer 404.
    let (status, _) = app.rest("DELETE", "/api/v1/chat-sessions/2", None).await;
    assert_eq!(status, 200);
    let (status, body) = app.rest("GET", &message_path, None).await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = app
        .rest("GET", "/api/v1/chat-sessions/2/messages", None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn rest_and_graphql_serve_the_same_objects() {
    let app = spawn_app().await;
    seed_document_examples(&app).await;
    const QUERY: &str = "query($id: Int!) { chatSession(id: $id) {
        id characterId userProfileId aiModelId systemPromptId prePrompt prePromptEnabled
        postPrompt postPromptEnabled startTime updatedAt } }";
    let as_rest = |gql: &Value| {
        json!({
            "id": gql["id"], "character_id": gql["characterId"], "user_profile_id": gql["userProfileId"],
            "ai_model_id": gql["aiModelId"], "system_prompt_id": gql["systemPromptId"],
            "pre_prompt": gql["prePrompt"], "pre_prompt_enabled": gql["prePromptEnabled"],
            "post_prompt": gql["postPrompt"], "post_prompt_enabled": gql["postPromptEnabled"],
            "start_time": gql["startTime"], "updated_at": gql["updatedAt"],
        })
    };

    // Created over REST, read over GraphQL.
    let (_, created) = app
        .rest("POST", "/api/v1/chat-sessions", Some(json!({"character_id": 3, "user_profile_id": 1, "post_prompt": "Be ominous.", "post_prompt_enabled": true})))
        .await;
    let gql = app.data(QUERY, json!({"id": created["id"]})).await;
    let mut expected = created.clone();
    let expected = expected.as_object_mut().unwrap();
    expected.remove("character");
    expected.remove("user_profile");
    assert_eq!(
        as_rest(&gql["chatSession"]),
        Value::Object(expected.clone())
    );

    // Created over GraphQL, read over REST.
    let made = app
        .data(
            "mutation { createChatSession(input: {characterId: 1, aiModelId: 2, prePrompt: \"Hi\", prePromptEnabled: true}) { id } }",
            json!({}),
        )
        .await;
    let id = &made["createChatSession"]["id"];
    let gql = app.data(QUERY, json!({"id": id})).await;
    let (status, rest) = app
        .rest("GET", &format!("/api/v1/chat-sessions/{id}"), None)
        .await;
    assert_eq!(status, 200);
    let mut rest_fields = rest.as_object().unwrap().clone();
    for relation in ["character", "user_profile", "ai_model", "system_prompt"] {
        rest_fields.remove(relation);
    }
    assert_eq!(Value::Object(rest_fields), as_rest(&gql["chatSession"]));
}

#[tokio::test]
async fn a_rest_list_costs_no_more_statements_than_its_graphql_query() {
    let app = spawn_app().await;
    seed_document_examples(&app).await;
    for i in 0..99 {
        let body = json!({"character_id": 1 + i % 3, "user_profile_id": 1 + i % 2, "ai_model_id": 1 + i % 2, "system_prompt_id": 1 + i % 2});
        let (status, _) = app.rest("POST", "/api/v1/chat-sessions", Some(body)).await;
        assert_eq!(status, 201);
    }
    // Warm-up: key verification is cached after the first request.
    app.rest("GET", "/api/v1/chat-sessions?per_page=1", None)
        .await;

    let before = app.statements_executed().await;
    let (status, body) = app
        .rest("GET", "/api/v1/chat-sessions?per_page=100", None)
        .await;
    let rest = app.statements_executed().await - before;
    assert_eq!(status, 200);
    assert_eq!(body["items"].as_array().unwrap().len(), 100);

    let document = include_str!("../../src/rest/operations/chat_sessions.graphql");
    let before = app.statements_executed().await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("X-API-KEY", &app.api_key)
        .json(
            &json!({"query": document, "operationName": "ListChatSessions",
                      "variables": {"first": 100, "offset": 0}}),
        )
        .send()
        .await
        .unwrap();
    let graphql_body: Value = response.json().await.unwrap();
    let graphql = app.statements_executed().await - before;
    assert!(graphql_body.get("errors").is_none(), "{graphql_body}");
    println!("statements: REST {rest}, GraphQL {graphql}");
    // One path: the REST list is its GraphQL operation, statement for statement, and the README
    // gives the number.
    assert_eq!(rest, graphql, "REST {rest} against GraphQL {graphql}");
    assert_eq!(rest, 3, "REST list of 100 took {rest} statements");
}

#[tokio::test]
async fn bad_input_is_a_400_naming_the_field() {
    let app = spawn_app().await;
    seed_document_examples(&app).await;
    let cases: Vec<(&str, &str, Option<&str>, &str)> = vec![
        ("GET", "/api/v1/chat-sessions?per_page=0", None, "per_page"),
        (
            "GET",
            "/api/v1/chat-sessions?per_page=101",
            None,
            "per_page",
        ),
        ("GET", "/api/v1/chat-sessions?page=0", None, "page"),
        ("GET", "/api/v1/chat-sessions?page=abc", None, "page"),
        // Found by schemathesis: (page - 1) * per_page overflowed (a panic in debug builds).
        (
            "GET",
            "/api/v1/chat-sessions/1/messages?page=184467440737095518",
            None,
            "page",
        ),
        ("GET", "/api/v1/characters?page=10000001", None, "page"),
        // Found by schemathesis: serde reads a struct from an array, so `[]` was an empty update.
        ("PUT", "/api/v1/characters/1", Some("[]"), "body"),
        (
            "POST",
            "/api/v1/ai-models",
            Some(r#"{"label": "typo", "provider": "nowhere"}"#),
            "provider",
        ),
        (
            "GET",
            "/api/v1/chat-sessions?character_id=x",
            None,
            "character_id",
        ),
        ("GET", "/api/v1/characters?per_page=500", None, "per_page"),
        (
            "GET",
            "/api/v1/chat-sessions/1/messages?per_page=101",
            None,
            "per_page",
        ),
        ("GET", "/api/v1/chat-sessions/abc", None, "chat_session_id"),
        ("PUT", "/api/v1/messages/-1", Some("{}"), "message_id"),
        // Found by the rest_request fuzz target: a path that decodes to invalid UTF-8 was axum's
        // plain-text 400.
        ("GET", "/api/v1/chat-sessions/%FF", None, "id"),
        ("DELETE", "/api/v1/ai-models/%FF%FA", None, "id"),
        ("PUT", "/api/v1/messages/%C3", Some("{}"), "id"),
        ("POST", "/api/v1/chat-sessions", Some("{not json"), "body"),
        ("POST", "/api/v1/chat-sessions", Some(""), "body"),
        ("POST", "/api/v1/chat-sessions", Some("[1, 2]"), "body"),
        ("POST", "/api/v1/chat-sessions", Some("{}"), "character_id"),
        (
            "POST",
            "/api/v1/chat-sessions",
            Some(r#"{"character_id": "one"}"#),
            "character_id",
        ),
        (
            "POST",
            "/api/v1/chat-sessions",
            Some(r#"{"character_id": 1, "pre_prompt_enabled": "yes"}"#),
            "pre_prompt_enabled",
        ),
        (
            "POST",
            "/api/v1/chat-sessions",
            Some(r#"{"character_id": 1, "pre_prompt_enabled": true}"#),
            "pre_prompt",
        ),
        (
            "POST",
            "/api/v1/chat-sessions",
            Some(r#"{"character_id": 1, "post_prompt_enabled": true, "post_prompt": ""}"#),
            "post_prompt",
        ),
        (
            "PUT",
            "/api/v1/chat-sessions/1",
            Some(r#"{"pre_prompt": null}"#),
            "pre_prompt",
        ),
        (
            "POST",
            "/api/v1/characters",
            Some(r#"{"label": "sherlock_holmes", "name": "Again"}"#),
            "label",
        ),
        (
            "PUT",
            "/api/v1/characters/2",
            Some(r#"{"label": "sherlock_holmes"}"#),
            "label",
        ),
        (
            "POST",
            "/api/v1/characters",
            Some(r#"{"label": "x"}"#),
            "name",
        ),
        (
            "POST",
            "/api/v1/characters",
            Some(r#"{"label": "x", "name": "X", "tags": "not a list"}"#),
            "tags",
        ),
        (
            "POST",
            "/api/v1/ai-models",
            Some(r#"{"label": "hot", "temperature": 7}"#),
            "temperature",
        ),
        (
            "POST",
            "/api/v1/ai-models",
            Some(r#"{"label": "big", "max_tokens": 0}"#),
            "max_tokens",
        ),
        (
            "POST",
            "/api/v1/chat-sessions/1/messages",
            Some(r#"{"role": "robot", "content": "x"}"#),
            "role",
        ),
        (
            "POST",
            "/api/v1/chat-sessions/1/messages",
            Some(r#"{"content": "  "}"#),
            "content",
        ),
    ];
    for (method, path, body, field) in cases {
        let (status, answer) = app
            .rest_raw(method, path, body.map(str::to_owned), Some(&app.api_key))
            .await;
        assert_eq!(status, 400, "{method} {path} {body:?}: {answer}");
        assert_eq!(
            answer["error"]["code"], "VALIDATION_ERROR",
            "{method} {path}: {answer}"
        );
        assert!(
            answer["error"]["details"].get(field).is_some(),
            "{method} {path} {body:?}: details should name {field}: {answer}"
        );
    }

    // Unknown ids are 404, never 500; a character in use cannot be deleted without cascade.
    for (method, path, body) in [
        ("GET", "/api/v1/chat-sessions/999", None),
        ("GET", "/api/v1/messages/999", None),
        (
            "POST",
            "/api/v1/chat-sessions",
            Some(r#"{"character_id": 999}"#),
        ),
        (
            "POST",
            "/api/v1/chat-sessions",
            Some(r#"{"character_id": 1, "ai_model_id": 999}"#),
        ),
        (
            "POST",
            "/api/v1/chat-sessions/999/messages",
            Some(r#"{"content": "x"}"#),
        ),
        ("DELETE", "/api/v1/system-prompts/999", None),
    ] {
        let (status, answer) = app
            .rest_raw(method, path, body.map(str::to_owned), Some(&app.api_key))
            .await;
        assert_eq!(status, 404, "{method} {path}: {answer}");
        assert_eq!(answer["error"]["code"], "RESOURCE_NOT_FOUND");
    }
    let (status, answer) = app.rest("DELETE", "/api/v1/characters/1", None).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (400, Some("BUSINESS_RULE_ERROR"))
    );
    let (status, _) = app
        .rest("DELETE", "/api/v1/characters/1?cascade=true", None)
        .await;
    assert_eq!(status, 200);

    // Without a key: 401 in the same shape.
    let (status, answer) = app
        .rest_raw("GET", "/api/v1/chat-sessions", None, None)
        .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (401, Some("UNAUTHORIZED"))
    );
}
