//! What clients written against the origin projects send, beyond the seed documents' examples
//! (compat-notes.md, "What the origin code adds"): trailing slashes, API keys as bearer tokens,
//! Python's booleans, the origin's limits and defaults, placeholders, exports without metadata,
//! wordless searches and malformed ids, every failing field at once.

use std::time::Duration;

use parley::llm::ProviderSettings;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, spawn_app, spawn_app_with},
    model_server::{Behavior, ModelServer},
};

async fn created(app: &TestApp, path: &str, body: Value) -> Value {
    let (status, created) = app.rest("POST", path, Some(body)).await;
    assert_eq!(status, 201, "POST {path}: {created}");
    created
}

async fn character(app: &TestApp, label: &str, body: Value) -> i64 {
    let mut body = body;
    body["label"] = json!(label);
    created(app, "/api/v1/characters", body).await["id"]
        .as_i64()
        .unwrap()
}

/// A surface B chat with `character`; its uuid.
async fn chat(app: &TestApp, character: i64, query: &str) -> String {
    created(
        app,
        &format!("/api/v1/chats/{query}"),
        json!({"character_id": character}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn get(app: &TestApp, path: &str) -> Value {
    let (status, body) = app.rest("GET", path, None).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

#[tokio::test]
async fn every_route_answers_with_and_without_a_trailing_slash() {
    let app = spawn_app().await;
    // Surface A's canonical list/create routes end in `/` (the origin frontend calls them so).
    let holmes = created(
        &app,
        "/api/v1/characters/",
        json!({"label": "holmes", "name": "Holmes"}),
    )
    .await;
    created(
        &app,
        "/api/v1/user-profiles/",
        json!({"label": "watson", "name": "Watson"}),
    )
    .await;
    created(&app, "/api/v1/ai-models/", json!({"label": "gpt-4"})).await;
    created(
        &app,
        "/api/v1/system-prompts/",
        json!({"label": "rp", "content": "Stay in character."}),
    )
    .await;
    let session = created(
        &app,
        "/api/v1/chat-sessions/",
        json!({"character_id": holmes["id"]}),
    )
    .await;
    for list in [
        "/api/v1/characters/",
        "/api/v1/user-profiles/",
        "/api/v1/ai-models/",
        "/api/v1/system-prompts/",
        "/api/v1/chat-sessions/",
    ] {
        let page = get(&app, &format!("{list}?page=1")).await;
        assert_eq!(page["pagination"]["total_items"], 1, "{list}");
        let without = get(&app, list.trim_end_matches('/')).await;
        assert_eq!(page["items"], without["items"], "{list}");
    }
    let id = session["id"].as_i64().unwrap();
    let one = get(&app, &format!("/api/v1/chat-sessions/{id}/")).await;
    assert_eq!(one["id"], id);
    let (status, _) = app
        .rest(
            "POST",
            &format!("/api/v1/chat-sessions/{id}/messages/"),
            Some(json!({"role": "user", "content": "Hello"})),
        )
        .await;
    assert_eq!(status, 201);

    // Surface B: FastAPI's canonical `/api/v1/chats/`, and the form without the slash.
    let with_slash = chat(&app, holmes["id"].as_i64().unwrap(), "").await;
    let (status, without) = app
        .rest(
            "POST",
            "/api/v1/chats",
            Some(json!({"character_id": holmes["id"]})),
        )
        .await;
    assert_eq!(status, 201, "{without}");
    let listed = get(&app, "/api/v1/chats").await;
    assert_eq!(
        listed["metadata"]["total"], 3,
        "the surface A session and two chats"
    );
    let one = get(&app, &format!("/api/v1/chats/{with_slash}/")).await;
    assert_eq!(one["id"], with_slash.as_str());
    let (status, _) = app
        .rest(
            "DELETE",
            &format!("/api/v1/chats/{with_slash}/?hard_delete=true"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    // Unknown routes stay unknown, slash or not.
    let (status, _) = app.rest("GET", "/api/v1/nothing-here/", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_api_key_is_accepted_as_a_bearer_token() {
    let server = ModelServer::start(Behavior::Reply(vec!["Hello", "."])).await;
    let base_url = server.base_url.clone();
    let app = spawn_app_with(|config| {
        config.providers = vec![ProviderSettings {
            name: "default".into(),
            base_url,
            api_key: Some("sk-test".into()),
            timeout: Duration::from_secs(5),
        }]
    })
    .await;
    let holmes = character(&app, "holmes", json!({"name": "Holmes"})).await;
    let bearer = |method: reqwest::Method, path: &str, token: &str| {
        app.client
            .request(method, format!("{}{path}", app.address))
            .header("authorization", format!("Bearer {token}"))
    };

    // What an OpenAI SDK sends in single-user mode: the key as the bearer token.
    let response = bearer(
        reqwest::Method::POST,
        "/api/v1/chat/completions",
        &app.api_key,
    )
    .json(&json!({"model": "test-model", "character_id": holmes,
                      "messages": [{"role": "user", "content": "Hi"}]}))
    .send()
    .await
    .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let completion: Value = response.json().await.unwrap();
    assert_eq!(completion["choices"][0]["message"]["content"], "Hello.");

    // Every route, either surface and GraphQL; the scheme's case does not matter.
    let response = bearer(reqwest::Method::GET, "/api/v1/chats/", &app.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("authorization", format!("bearer {}", app.api_key))
        .json(&json!({"query": "{ characters { totalCount } }"}))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["characters"]["totalCount"], 1, "{body}");

    // A wrong key is refused as a wrong key; a JWT still needs multi-user mode.
    let response = bearer(reqwest::Method::GET, "/api/v1/chats/", "pk_not-a-key")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let response = bearer(
        reqwest::Method::GET,
        "/api/v1/chats/",
        "eyJhbGciOiJIUzI1NiJ9.e30.c2ln",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("multi-user"),
        "{body}"
    );
}

#[tokio::test]
async fn query_booleans_parse_as_pydantic_does() {
    let app = spawn_app().await;
    let holmes = character(
        &app,
        "holmes",
        json!({"name": "Holmes", "first_message": "Good day."}),
    )
    .await;
    for (flag, seeded) in [
        ("True", 1),
        ("true", 1),
        ("1", 1),
        ("yes", 1),
        ("ON", 1),
        ("False", 0),
        ("0", 0),
        ("no", 0),
        ("off", 0),
    ] {
        let uuid = chat(&app, holmes, &format!("?seed_first_message={flag}")).await;
        let messages = get(&app, &format!("/api/v1/chats/{uuid}/messages")).await;
        assert_eq!(messages["total"], seeded, "seed_first_message={flag}");
    }
    let (status, answer) = app
        .rest(
            "POST",
            "/api/v1/chats/?seed_first_message=maybe",
            Some(json!({"character_id": holmes})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        answer["detail"][0]["loc"],
        json!(["query", "seed_first_message"])
    );

    let uuid = chat(&app, holmes, "?seed_first_message=True").await;
    for flag in ["False", "0", "no"] {
        let export = get(
            &app,
            &format!("/api/v1/chats/{uuid}/export?include_metadata={flag}"),
        )
        .await;
        assert!(export.get("metadata").is_none(), "include_metadata={flag}");
    }
    let export = get(
        &app,
        &format!("/api/v1/chats/{uuid}/export?include_metadata=Yes"),
    )
    .await;
    assert_eq!(export["metadata"]["total_messages"], 1);
    let (status, _) = app
        .rest(
            "DELETE",
            &format!("/api/v1/chats/{uuid}?hard_delete=True"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .rest("POST", &format!("/api/v1/chats/{uuid}/restore"), None)
        .await;
    assert_eq!(status, 404, "hard_delete=True purged the chat");
}

#[tokio::test]
async fn lists_and_searches_take_the_origins_limits_and_defaults() {
    let app = spawn_app().await;
    let holmes = character(&app, "holmes", json!({"name": "Holmes"})).await;
    // 120 chats and, in one of them, 120 messages that all match a search.
    let mutation = (0..60)
        .map(|i| format!("c{i}: createChatSession(input: {{characterId: {holmes}}}) {{ id }}"))
        .collect::<Vec<_>>()
        .join(" ");
    for _ in 0..2 {
        app.data(&format!("mutation {{ {mutation} }}"), json!({}))
            .await;
    }
    let uuid = chat(&app, holmes, "").await;
    let session = app
        .data(
            "query($u: UUID!) { chatSession(uuid: $u) { id } }",
            json!({"u": uuid}),
        )
        .await["chatSession"]["id"]
        .clone();
    let mutation = (0..60)
        .map(|i| {
            format!(
                "m{i}: createMessage(input: {{chatSessionId: {session}, role: USER, content: \"the hound {i}\"}}) {{ id }}"
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    for _ in 0..2 {
        app.data(&format!("mutation {{ {mutation} }}"), json!({}))
            .await;
    }

    // Neither `limit` nor `per_page`: the origin's 50.
    let page = get(&app, "/api/v1/chats/").await;
    assert_eq!(page["data"].as_array().unwrap().len(), 50);
    assert_eq!(page["metadata"]["per_page"], 50);
    assert_eq!(page["metadata"]["total"], 121);
    // Up to 200, as two GraphQL pages, in one order without repeats.
    let page = get(&app, "/api/v1/chats/?limit=200").await;
    let ids: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|chat| chat["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 121);
    assert_eq!(
        ids.iter().collect::<std::collections::HashSet<_>>().len(),
        121
    );
    let second = get(&app, "/api/v1/chats/?per_page=110&page=2").await;
    assert_eq!(second["data"].as_array().unwrap().len(), 11);
    assert_eq!(second["data"][0]["id"], ids[110]);
    for bad in ["limit=201", "per_page=201", "limit=0"] {
        let (status, answer) = app
            .rest("GET", &format!("/api/v1/chats/?{bad}"), None)
            .await;
        assert_eq!(status, 422, "{bad}");
        assert_eq!(answer["detail"][0]["loc"][0], "query");
    }

    let search = |limit: &str| format!("/api/v1/chats/{uuid}/messages/search?query=hound{limit}");
    let found = get(&app, &search("&limit=150")).await;
    assert_eq!(found["total"], 120);
    let found = get(&app, &search("")).await;
    assert_eq!(found["total"], 50, "the origin's default search limit");
    for (bad, field) in [
        ("&limit=201", "limit"),
        ("&limit=0", "limit"),
        ("&limit=x", "limit"),
    ] {
        let (status, answer) = app.rest("GET", &search(bad), None).await;
        assert_eq!(status, 422, "{bad}");
        assert_eq!(answer["detail"][0]["loc"], json!(["query", field]), "{bad}");
    }
    let (status, answer) = app
        .rest(
            "GET",
            &format!("/api/v1/chats/{uuid}/messages/search"),
            None,
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(answer["detail"][0]["loc"], json!(["query", "query"]));
}

#[tokio::test]
async fn wordless_searches_find_nothing_and_malformed_ids_are_not_found() {
    let app = spawn_app().await;
    let holmes = character(&app, "holmes", json!({"name": "Holmes"})).await;
    let uuid = chat(&app, holmes, "").await;
    app.rest(
        "POST",
        &format!("/api/v1/chats/{uuid}/messages"),
        Some(json!({"content": "a * b ? c"})),
    )
    .await;
    for query in ["*", "%3F", "!!!", "%22%20%22", "..."] {
        let found = get(
            &app,
            &format!("/api/v1/chats/{uuid}/messages/search?query={query}"),
        )
        .await;
        assert_eq!(found["messages"], json!([]), "query={query}");
        assert_eq!(found["total"], 0);
    }
    let data = app
        .data("{ searchMessages(query: \"*\") { id } }", json!({}))
        .await;
    assert_eq!(data["searchMessages"], json!([]));

    // The origin looks chats up by their id as a string: anything else is not found.
    for path in [
        "/api/v1/chats/not-a-uuid",
        "/api/v1/chats/42/messages",
        "/api/v1/chats/x/context",
        "/api/v1/chats/x/export",
        "/api/v1/chats/x/messages/search?query=a",
    ] {
        let (status, answer) = app.rest("GET", path, None).await;
        assert_eq!(status, 404, "{path}: {answer}");
        assert!(answer["detail"].is_string(), "{path}: {answer}");
    }
    let (status, _) = app
        .rest(
            "POST",
            "/api/v1/chats/nope/messages",
            Some(json!({"content": "hi"})),
        )
        .await;
    assert_eq!(status, 404);

    // `character_id` is `gt=0` in the origin's schema: 0 is a validation error, not a lookup.
    for body in [json!({"character_id": 0}), json!({"character_id": -3})] {
        let (status, answer) = app.rest("POST", "/api/v1/chats/", Some(body)).await;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(answer["detail"][0]["loc"], json!(["body", "character_id"]));
    }
    let (status, answer) = app.rest("GET", "/api/v1/chats/?character_id=0", None).await;
    assert_eq!(status, 422);
    assert_eq!(answer["detail"][0]["loc"], json!(["query", "character_id"]));
}

#[tokio::test]
async fn placeholders_are_filled_where_the_origin_fills_them() {
    let app = spawn_app().await;
    let hal = character(
        &app,
        "hal",
        json!({"name": "HAL 9000", "description": "A ship's computer.",
               "first_message": "Hello <USER>, I am <char>. {{Random_User}}, {{CHAR}} here."}),
    )
    .await;
    let uuid = chat(&app, hal, "").await;

    // The answer to a message POST and the search results (the stored text keeps them).
    let (status, message) = app
        .rest(
            "POST",
            &format!("/api/v1/chats/{uuid}/messages"),
            Some(json!({"role": "user", "content": "Hello {{user}}, meet {{char}}"})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(message["content"], "Hello User, meet HAL 9000");
    let found = get(
        &app,
        &format!("/api/v1/chats/{uuid}/messages/search?query=hello"),
    )
    .await;
    assert_eq!(found["messages"][0]["content"], "Hello User, meet HAL 9000");
    let stored = get(&app, &format!("/api/v1/chats/{uuid}/messages")).await;
    assert_eq!(
        stored["messages"][0]["content"],
        "Hello {{user}}, meet {{char}}"
    );

    // The context: every placeholder of the origin's set, in any case; and the model is told
    // whom it plays though the card never writes `{{char}}`.
    let fresh = chat(&app, hal, "").await;
    let context = get(&app, &format!("/api/v1/chats/{fresh}/context")).await;
    let messages = context["messages"].as_array().unwrap();
    assert!(
        messages[0]["content"]
            .as_str()
            .unwrap()
            .starts_with("You are HAL 9000."),
        "{context}"
    );
    assert_eq!(
        messages.last().unwrap()["content"],
        "Hello User, I am HAL 9000. User, HAL 9000 here."
    );
    let seeded = chat(&app, hal, "?seed_first_message=true").await;
    let first = get(&app, &format!("/api/v1/chats/{seeded}/messages")).await;
    assert_eq!(
        first["messages"][0]["content"],
        "Hello User, I am HAL 9000. User, HAL 9000 here."
    );
}

#[tokio::test]
async fn exports_without_metadata_have_no_header() {
    let app = spawn_app().await;
    let holmes = character(&app, "holmes", json!({"name": "Holmes"})).await;
    let uuid = chat(&app, holmes, "").await;
    for content in ["Hello", "Again"] {
        app.rest(
            "POST",
            &format!("/api/v1/chats/{uuid}/messages"),
            Some(json!({"content": content})),
        )
        .await;
    }
    let export = |format: &str, metadata: bool| {
        let path =
            format!("/api/v1/chats/{uuid}/export?format={format}&include_metadata={metadata}");
        let app = &app;
        async move {
            get(app, &path).await["content"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let markdown = export("markdown", false).await;
    assert!(markdown.starts_with("**User** ("), "{markdown}");
    for header in [
        "# Chat Export",
        "**Character**",
        "**Date**",
        "**Messages**",
        "---",
    ] {
        assert!(!markdown.contains(header), "{header} in {markdown}");
    }
    let text = export("text", false).await;
    assert_eq!(text, "user: Hello\nuser: Again\n");
    let markdown = export("markdown", true).await;
    assert!(markdown.starts_with("# Chat Export: "), "{markdown}");
    assert!(markdown.contains("**Character**: Holmes\n"));
    assert!(markdown.contains("**Messages**: 2\n"));
    let text = export("text", true).await;
    assert!(text.starts_with("Chat: "));
    assert!(text.contains(&format!("{}\nuser: Hello\n", "-".repeat(40))));
}

#[tokio::test]
async fn surface_a_reports_every_failing_field_at_once() {
    let app = spawn_app().await;
    let holmes = character(&app, "holmes", json!({"name": "Holmes"})).await;
    let body = json!({"character_id": holmes, "pre_prompt_enabled": true, "post_prompt_enabled": true,
                      "pre_prompt": "", "post_prompt": " "});
    let (status, answer) = app.rest("POST", "/api/v1/chat-sessions/", Some(body)).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["code"], "VALIDATION_ERROR");
    let details = answer["error"]["details"].as_object().unwrap();
    let mut fields: Vec<&str> = details.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["post_prompt", "pre_prompt"], "{answer}");

    // An update is checked as the session will be, every field at once too.
    let session = created(
        &app,
        "/api/v1/chat-sessions/",
        json!({"character_id": holmes}),
    )
    .await;
    let (status, answer) = app
        .rest(
            "PUT",
            &format!("/api/v1/chat-sessions/{}", session["id"]),
            Some(json!({"pre_prompt_enabled": true, "post_prompt_enabled": true})),
        )
        .await;
    assert_eq!(status, 400);
    let details = answer["error"]["details"].as_object().unwrap();
    assert!(
        details.contains_key("pre_prompt") && details.contains_key("post_prompt"),
        "{answer}"
    );

    // GraphQL names them all in `extensions.fields`.
    let body = app
        .graphql(
            "mutation($c: Int!) { createChatSession(input: {characterId: $c, prePromptEnabled: true, postPromptEnabled: true, rating: 9}) { id } }",
            json!({"c": holmes}),
        )
        .await;
    let fields: Vec<&str> = body["errors"][0]["extensions"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["pre_prompt", "post_prompt", "rating"], "{body}");
}

/// An app whose default provider is `server`.
async fn app_with_model(server: &ModelServer) -> TestApp {
    let base_url = server.base_url.clone();
    spawn_app_with(|config| {
        config.providers = vec![ProviderSettings {
            name: "default".into(),
            base_url,
            api_key: None,
            timeout: Duration::from_secs(5),
        }]
    })
    .await
}

#[tokio::test]
async fn settings_give_new_sessions_their_defaults() {
    let app = spawn_app().await;
    let holmes = character(&app, "holmes", json!({"name": "Holmes"})).await;
    let model = created(
        &app,
        "/api/v1/ai-models/",
        json!({"label": "gpt-4", "description": "big"}),
    )
    .await["id"]
        .clone();
    let prompt = created(
        &app,
        "/api/v1/system-prompts/",
        json!({"label": "rp", "content": "Stay in character."}),
    )
    .await["id"]
        .clone();
    let profile = created(
        &app,
        "/api/v1/user-profiles/",
        json!({"label": "watson", "name": "Watson", "avatar_image": "w.png"}),
    )
    .await["id"]
        .clone();

    // Before any update: the singleton with nothing set, the nested objects left out.
    let unset = json!({"id": 1, "default_ai_model_id": null, "default_system_prompt_id": null,
                       "default_user_profile_id": null, "default_avatar_image": null});
    assert_eq!(get(&app, "/api/v1/settings/").await, unset);

    let (status, settings) = app
        .rest(
            "PUT",
            "/api/v1/settings/",
            Some(
                json!({"default_ai_model_id": model, "default_system_prompt_id": prompt,
                        "default_user_profile_id": profile, "default_avatar_image": "a.png"}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{settings}");
    assert_eq!(
        settings,
        json!({"id": 1, "default_ai_model_id": model, "default_system_prompt_id": prompt,
               "default_user_profile_id": profile, "default_avatar_image": "a.png",
               "default_ai_model": {"id": model, "label": "gpt-4", "description": "big"},
               "default_system_prompt": {"id": prompt, "label": "rp", "content": "Stay in character."},
               "default_user_profile": {"id": profile, "label": "watson", "name": "Watson", "avatar_image": "w.png"}})
    );
    assert_eq!(get(&app, "/api/v1/settings").await, settings);

    // A session created without them gets the defaults; given ones win.
    let session = created(
        &app,
        "/api/v1/chat-sessions/",
        json!({"character_id": holmes}),
    )
    .await;
    assert_eq!(
        (
            &session["ai_model_id"],
            &session["system_prompt_id"],
            &session["user_profile_id"]
        ),
        (&model, &prompt, &profile)
    );
    let other = created(
        &app,
        "/api/v1/user-profiles/",
        json!({"label": "ada", "name": "Ada"}),
    )
    .await["id"]
        .clone();
    let session = created(
        &app,
        "/api/v1/chat-sessions/",
        json!({"character_id": holmes, "user_profile_id": other}),
    )
    .await;
    assert_eq!(session["user_profile_id"], other);
    assert_eq!(session["ai_model_id"], model);
    // Surface B's chats too: the default profile names the user in the context.
    let uuid = chat(&app, holmes, "").await;
    let context = get(&app, &format!("/api/v1/chats/{uuid}/context")).await;
    assert_eq!(context["messages"][0]["content"], "Stay in character.");

    // Partial updates; `null` clears one default; unknown ids are refused and change nothing.
    let (status, settings) = app
        .rest(
            "PUT",
            "/api/v1/settings",
            Some(json!({"default_system_prompt_id": null})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(settings["default_system_prompt_id"], Value::Null);
    assert!(settings.get("default_system_prompt").is_none());
    assert_eq!(settings["default_ai_model_id"], model);
    let (status, answer) = app
        .rest(
            "PUT",
            "/api/v1/settings",
            Some(json!({"default_ai_model_id": 9999, "default_avatar_image": "b.png"})),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(answer["error"]["code"], "RESOURCE_NOT_FOUND");
    let (status, answer) = app
        .rest(
            "PUT",
            "/api/v1/settings",
            Some(json!({"default_ai_model_id": "x"})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(answer["error"]["details"]["default_ai_model_id"].is_string());
    assert_eq!(
        get(&app, "/api/v1/settings").await["default_avatar_image"],
        "a.png"
    );

    // GraphQL reads the same object; deleting a default clears it.
    let (status, _) = app
        .rest("DELETE", &format!("/api/v1/user-profiles/{profile}"), None)
        .await;
    assert_eq!(status, 200);
    let data = app
        .data(
            "{ settings { id defaultAiModel { label } defaultUserProfileId defaultAvatarImage } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["settings"],
        json!({"id": 1, "defaultAiModel": {"label": "gpt-4"}, "defaultUserProfileId": null,
               "defaultAvatarImage": "a.png"})
    );

    let (status, reset) = app.rest("POST", "/api/v1/settings/reset", None).await;
    assert_eq!(status, 200);
    assert_eq!(reset["message"], "Application settings reset to defaults");
    assert_eq!(reset["settings"], unset);
    assert_eq!(get(&app, "/api/v1/settings").await, unset);
    let session = created(
        &app,
        "/api/v1/chat-sessions",
        json!({"character_id": holmes}),
    )
    .await;
    assert_eq!(session["ai_model_id"], Value::Null);
}

#[tokio::test]
async fn regenerate_answers_a_new_reply_in_place_of_the_last() {
    let server = ModelServer::start(Behavior::Reply(vec!["First", " answer."])).await;
    let app = app_with_model(&server).await;
    let holmes = character(&app, "holmes", json!({"name": "Holmes"})).await;
    let model = created(
        &app,
        "/api/v1/ai-models",
        json!({"label": "m", "model_name": "test-model"}),
    )
    .await["id"]
        .clone();
    let session = created(
        &app,
        "/api/v1/chat-sessions/",
        json!({"character_id": holmes, "ai_model_id": model}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let (status, turn) = app
        .rest(
            "POST",
            &format!("/api/v1/chat-sessions/{session}/messages"),
            Some(json!({"role": "user", "content": "Who took the watch?"})),
        )
        .await;
    assert_eq!(status, 201, "{turn}");
    let first_reply = turn["ai_message"]["id"].clone();

    server.behave(Behavior::Reply(vec!["Second", " answer."]));
    let (status, reply) = app
        .rest(
            "POST",
            &format!("/api/v1/chat-sessions/{session}/regenerate/"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["role"], "assistant");
    assert_eq!(reply["content"], "Second answer.");
    assert_eq!(reply["chat_session_id"], session);
    assert_ne!(reply["id"], first_reply);
    // The model saw the conversation up to the user's message, not the reply it replaces.
    let sent = server.requests().last().unwrap()["messages"].clone();
    let last = sent.as_array().unwrap().last().unwrap();
    assert_eq!(last["content"], "Who took the watch?");

    let messages = get(&app, &format!("/api/v1/chat-sessions/{session}/messages")).await;
    let contents: Vec<&str> = messages["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["Who took the watch?", "Second answer."]);
    let (status, _) = app
        .rest("GET", &format!("/api/v1/messages/{first_reply}"), None)
        .await;
    assert_eq!(status, 404, "the replaced reply is gone");

    // No such session: 404; a session without a model: a business rule (4xx), nothing changes.
    let (status, answer) = app
        .rest("POST", "/api/v1/chat-sessions/9999/regenerate", None)
        .await;
    assert_eq!(status, 404);
    assert_eq!(answer["error"]["code"], "RESOURCE_NOT_FOUND");
    let bare = created(
        &app,
        "/api/v1/chat-sessions",
        json!({"character_id": holmes}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let (status, answer) = app
        .rest(
            "POST",
            &format!("/api/v1/chat-sessions/{bare}/regenerate"),
            None,
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["code"], "BUSINESS_RULE_ERROR");
    let messages = get(&app, &format!("/api/v1/chat-sessions/{bare}/messages")).await;
    assert_eq!(messages["pagination"]["total_items"], 0);
}
