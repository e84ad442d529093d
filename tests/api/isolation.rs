//! Ownership isolation, generated: every REST route in the OpenAPI document and every GraphQL query
//! and mutation in the schema is tried by owner B against owner A's rows. A route or field without
//! a case here fails the test, so a new one cannot slip past isolation.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, second_owner, seed_references, spawn_app};

/// A card for B to import.
fn card_of_b() -> Vec<u8> {
    json!({"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": "B card"}})
        .to_string()
        .into_bytes()
}

/// Everything of A's, as A sees it.
const EVERYTHING: &str = "{
    characters { totalCount nodes { id label name description updatedAt } }
    userProfiles { totalCount nodes { id label name updatedAt } }
    aiModels { totalCount nodes { id label description updatedAt } }
    systemPrompts { totalCount nodes { id label content updatedAt } }
    chatSessions { totalCount nodes { id uuid title version updatedAt messageCount
        messages { totalCount nodes { id content version } } } }
    apiKeys { id revokedAt }
    settings { defaultAiModelId defaultSystemPromptId defaultUserProfileId defaultAvatarImage }
}";

/// A's rows carry this, so any leak into B's answers shows.
const MARKER: &str = "A-SECRET";

/// What B doing a route or field with A's ids must get.
enum Expect {
    /// 404 / NOT_FOUND: the row is someone else's.
    NotFound,
    /// Success, with nothing of A's in the answer (lists, counts, search, B's own creations).
    Nothing,
    /// Not about owned rows (register, login): nothing to check.
    Public,
    /// B imports a card of its own (multipart): success, nothing of A's.
    Upload,
}

struct World {
    character: i64,
    profile: i64,
    model: i64,
    prompt: i64,
    session: i64,
    uuid: String,
    message: i64,
    api_key: i64,
}

async fn seed_a(app: &TestApp) -> World {
    let (character, profile, model, prompt) = seed_references(app, MARKER).await;
    let session = app
        .data(
            "mutation($c: Int!, $p: Int!) { createChatSession(input: {characterId: $c, userProfileId: $p, title: \"A-SECRET chat\"}) { id uuid } }",
            json!({ "c": character, "p": profile }),
        )
        .await["createChatSession"]
        .clone();
    let message = app
        .data(
            "mutation($id: Int!) { createMessage(input: {chatSessionId: $id, content: \"A-SECRET message\"}) { id } }",
            json!({ "id": session["id"] }),
        )
        .await["createMessage"]["id"]
        .as_i64()
        .unwrap();
    // A's settings name A's rows: B's settings must never show them.
    app.data(
        "mutation($m: Int!, $p: Int!, $s: Int!) { updateSettings(input: {defaultAiModelId: $m,
            defaultUserProfileId: $p, defaultSystemPromptId: $s, defaultAvatarImage: \"A-SECRET.png\"}) { id } }",
        json!({ "m": model, "p": profile, "s": prompt }),
    )
    .await;
    let api_key = app.data("{ apiKeys { id } }", json!({})).await["apiKeys"][0]["id"]
        .as_i64()
        .unwrap();
    World {
        character,
        profile,
        model,
        prompt,
        session: session["id"].as_i64().unwrap(),
        uuid: session["uuid"].as_str().unwrap().to_owned(),
        message,
        api_key,
    }
}

/// Every REST route: (method, path template) -> (query string, body, expectation).
fn rest_cases(
    a: &World,
) -> HashMap<(&'static str, &'static str), (&'static str, Option<Value>, Expect)> {
    use Expect::*;
    let refers = json!({"character_id": a.character});
    HashMap::from([
        (("GET", "/api/v1/chat-sessions"), ("", None, Nothing)),
        (
            ("POST", "/api/v1/chat-sessions"),
            ("", Some(refers.clone()), NotFound),
        ),
        (
            ("GET", "/api/v1/chat-sessions/{chat_session_id}"),
            ("", None, NotFound),
        ),
        (
            ("PUT", "/api/v1/chat-sessions/{chat_session_id}"),
            ("", Some(json!({"pre_prompt": "x"})), NotFound),
        ),
        (
            ("DELETE", "/api/v1/chat-sessions/{chat_session_id}"),
            ("", None, NotFound),
        ),
        (
            ("GET", "/api/v1/chat-sessions/{chat_session_id}/messages"),
            ("", None, NotFound),
        ),
        (
            ("POST", "/api/v1/chat-sessions/{chat_session_id}/messages"),
            ("", Some(json!({"content": "x"})), NotFound),
        ),
        (
            ("GET", "/api/v1/messages/{message_id}"),
            ("", None, NotFound),
        ),
        (
            ("PUT", "/api/v1/messages/{message_id}"),
            ("", Some(json!({"content": "x"})), NotFound),
        ),
        (
            ("DELETE", "/api/v1/messages/{message_id}"),
            ("", None, NotFound),
        ),
        (("GET", "/api/v1/characters"), ("", None, Nothing)),
        (
            ("POST", "/api/v1/characters"),
            ("", Some(json!({"label": "b", "name": "B"})), Nothing),
        ),
        (
            ("GET", "/api/v1/characters/{character_id}"),
            ("", None, NotFound),
        ),
        (
            ("PUT", "/api/v1/characters/{character_id}"),
            ("", Some(json!({"name": "x"})), NotFound),
        ),
        (
            ("DELETE", "/api/v1/characters/{character_id}"),
            ("?cascade=true", None, NotFound),
        ),
        (("POST", "/api/v1/characters/import"), ("", None, Upload)),
        (
            ("GET", "/api/v1/characters/{character_id}/export"),
            ("?format=png", None, NotFound),
        ),
        (("GET", "/api/v1/user-profiles"), ("", None, Nothing)),
        (
            ("POST", "/api/v1/user-profiles"),
            ("", Some(json!({"label": "b", "name": "B"})), Nothing),
        ),
        (
            ("GET", "/api/v1/user-profiles/{user_profile_id}"),
            ("", None, NotFound),
        ),
        (
            ("PUT", "/api/v1/user-profiles/{user_profile_id}"),
            ("", Some(json!({"name": "x"})), NotFound),
        ),
        (
            ("DELETE", "/api/v1/user-profiles/{user_profile_id}"),
            ("", None, NotFound),
        ),
        (("GET", "/api/v1/ai-models"), ("", None, Nothing)),
        (
            ("POST", "/api/v1/ai-models"),
            ("", Some(json!({"label": "b"})), Nothing),
        ),
        (
            ("GET", "/api/v1/ai-models/{ai_model_id}"),
            ("", None, NotFound),
        ),
        (
            ("PUT", "/api/v1/ai-models/{ai_model_id}"),
            ("", Some(json!({"description": "x"})), NotFound),
        ),
        (
            ("DELETE", "/api/v1/ai-models/{ai_model_id}"),
            ("", None, NotFound),
        ),
        (("GET", "/api/v1/system-prompts"), ("", None, Nothing)),
        (
            ("POST", "/api/v1/system-prompts"),
            ("", Some(json!({"label": "b", "content": "B"})), Nothing),
        ),
        (
            ("GET", "/api/v1/system-prompts/{system_prompt_id}"),
            ("", None, NotFound),
        ),
        (
            ("PUT", "/api/v1/system-prompts/{system_prompt_id}"),
            ("", Some(json!({"content": "x"})), NotFound),
        ),
        (
            ("DELETE", "/api/v1/system-prompts/{system_prompt_id}"),
            ("", None, NotFound),
        ),
        (("GET", "/api/v1/chats"), ("", None, Nothing)),
        (("POST", "/api/v1/chats"), ("", Some(refers), NotFound)),
        (("GET", "/api/v1/chats/{chat_id}"), ("", None, NotFound)),
        (
            ("PUT", "/api/v1/chats/{chat_id}"),
            ("", Some(json!({"title": "x"})), NotFound),
        ),
        (
            ("DELETE", "/api/v1/chats/{chat_id}"),
            ("?hard_delete=true", None, NotFound),
        ),
        (
            ("POST", "/api/v1/chats/{chat_id}/restore"),
            ("", None, NotFound),
        ),
        (
            ("GET", "/api/v1/chats/{chat_id}/context"),
            ("", None, NotFound),
        ),
        (
            ("GET", "/api/v1/chats/{chat_id}/export"),
            ("?format=markdown", None, NotFound),
        ),
        (
            ("POST", "/api/v1/chats/{chat_id}/complete"),
            ("", None, NotFound),
        ),
        (
            ("GET", "/api/v1/chats/{chat_id}/messages"),
            ("", None, NotFound),
        ),
        (
            ("POST", "/api/v1/chats/{chat_id}/messages"),
            ("", Some(json!({"role": "user", "content": "x"})), NotFound),
        ),
        (
            ("GET", "/api/v1/chats/{chat_id}/messages/search"),
            ("?query=secret", None, NotFound),
        ),
        (
            ("POST", "/api/v1/chat/completions"),
            (
                "",
                Some(
                    json!({"conversation_id": a.uuid, "messages": [{"role": "user", "content": "x"}]}),
                ),
                NotFound,
            ),
        ),
        (
            ("POST", "/api/v1/chat-sessions/{chat_session_id}/regenerate"),
            ("", None, NotFound),
        ),
        (("GET", "/api/v1/settings"), ("", None, Nothing)),
        (
            ("PUT", "/api/v1/settings"),
            ("", Some(json!({"default_ai_model_id": a.model})), NotFound),
        ),
        (("POST", "/api/v1/settings/reset"), ("", None, Nothing)),
        (("POST", "/api/v1/auth/register"), ("", None, Public)),
        (("POST", "/api/v1/auth/login"), ("", None, Public)),
    ])
}

/// Every GraphQL root field: name -> (operation, variables, expectation).
fn graphql_cases(a: &World) -> HashMap<&'static str, (&'static str, Value, Expect)> {
    use Expect::*;
    let id = |v: i64| json!({ "id": v });
    HashMap::from([
        ("me", ("{ me { username } }", json!({}), Nothing)),
        ("apiKeys", ("{ apiKeys { id prefix } }", json!({}), Nothing)),
        (
            "character",
            (
                "query($id: Int!) { character(id: $id) { id } }",
                id(a.character),
                NotFound,
            ),
        ),
        (
            "characters",
            (
                "{ characters { totalCount nodes { name } } }",
                json!({}),
                Nothing,
            ),
        ),
        (
            "importCharacterCard",
            (
                "mutation($file: Upload!) { importCharacterCard(file: $file) { id name card(format: V3) } }",
                json!({}),
                Upload,
            ),
        ),
        (
            "userProfile",
            (
                "query($id: Int!) { userProfile(id: $id) { id } }",
                id(a.profile),
                NotFound,
            ),
        ),
        (
            "userProfiles",
            (
                "{ userProfiles { totalCount nodes { name } } }",
                json!({}),
                Nothing,
            ),
        ),
        (
            "aiModel",
            (
                "query($id: Int!) { aiModel(id: $id) { id } }",
                id(a.model),
                NotFound,
            ),
        ),
        (
            "aiModels",
            (
                "{ aiModels { totalCount nodes { label } } }",
                json!({}),
                Nothing,
            ),
        ),
        (
            "systemPrompt",
            (
                "query($id: Int!) { systemPrompt(id: $id) { id } }",
                id(a.prompt),
                NotFound,
            ),
        ),
        (
            "systemPrompts",
            (
                "{ systemPrompts { totalCount nodes { content } } }",
                json!({}),
                Nothing,
            ),
        ),
        (
            "chatSession",
            (
                "query($u: UUID!) { chatSession(uuid: $u) { id } }",
                json!({ "u": a.uuid }),
                NotFound,
            ),
        ),
        (
            "chatSessions",
            (
                "query($c: Int!) { chatSessions(filter: {characterId: $c}) { totalCount nodes { title messageCount } } }",
                json!({ "c": a.character }),
                Nothing,
            ),
        ),
        (
            "message",
            (
                "query($id: Int!) { message(id: $id) { id } }",
                id(a.message),
                NotFound,
            ),
        ),
        (
            "messages",
            (
                "query($id: Int!) { messages(chatSessionId: $id) { totalCount } }",
                id(a.session),
                NotFound,
            ),
        ),
        (
            "searchMessages",
            (
                "{ searchMessages(query: \"secret\") { content } }",
                json!({}),
                Nothing,
            ),
        ),
        ("register", ("", json!({}), Public)),
        ("login", ("", json!({}), Public)),
        (
            "createApiKey",
            (
                "mutation { createApiKey(name: \"b\") { apiKey { id } } }",
                json!({}),
                Nothing,
            ),
        ),
        (
            "revokeApiKey",
            (
                "mutation($id: Int!) { revokeApiKey(id: $id) { id } }",
                id(a.api_key),
                NotFound,
            ),
        ),
        (
            "createCharacter",
            (
                "mutation { createCharacter(input: {label: \"character-A-SECRET\", name: \"b\"}) { name } }",
                json!({}),
                Nothing,
            ),
        ),
        (
            "updateCharacter",
            (
                "mutation($id: Int!) { updateCharacter(id: $id, input: {name: \"x\"}) { id } }",
                id(a.character),
                NotFound,
            ),
        ),
        (
            "deleteCharacter",
            (
                "mutation($id: Int!) { deleteCharacter(id: $id, cascade: true) }",
                id(a.character),
                NotFound,
            ),
        ),
        (
            "createUserProfile",
            (
                "mutation { createUserProfile(input: {label: \"gb\", name: \"b\"}) { id } }",
                json!({}),
                Nothing,
            ),
        ),
        (
            "updateUserProfile",
            (
                "mutation($id: Int!) { updateUserProfile(id: $id, input: {name: \"x\"}) { id } }",
                id(a.profile),
                NotFound,
            ),
        ),
        (
            "deleteUserProfile",
            (
                "mutation($id: Int!) { deleteUserProfile(id: $id) }",
                id(a.profile),
                NotFound,
            ),
        ),
        (
            "createAiModel",
            (
                "mutation { createAiModel(input: {label: \"gb\"}) { id } }",
                json!({}),
                Nothing,
            ),
        ),
        (
            "updateAiModel",
            (
                "mutation($id: Int!) { updateAiModel(id: $id, input: {description: \"x\"}) { id } }",
                id(a.model),
                NotFound,
            ),
        ),
        (
            "deleteAiModel",
            (
                "mutation($id: Int!) { deleteAiModel(id: $id) }",
                id(a.model),
                NotFound,
            ),
        ),
        (
            "createSystemPrompt",
            (
                "mutation { createSystemPrompt(input: {label: \"gb\", content: \"b\"}) { id } }",
                json!({}),
                Nothing,
            ),
        ),
        (
            "updateSystemPrompt",
            (
                "mutation($id: Int!) { updateSystemPrompt(id: $id, input: {content: \"x\"}) { id } }",
                id(a.prompt),
                NotFound,
            ),
        ),
        (
            "deleteSystemPrompt",
            (
                "mutation($id: Int!) { deleteSystemPrompt(id: $id) }",
                id(a.prompt),
                NotFound,
            ),
        ),
        (
            "createChatSession",
            (
                "mutation($c: Int!) { createChatSession(input: {characterId: $c}) { id } }",
                json!({ "c": a.character }),
                NotFound,
            ),
        ),
        (
            "updateChatSession",
            (
                "mutation($id: Int!) { updateChatSession(id: $id, input: {title: \"x\"}) { id } }",
                id(a.session),
                NotFound,
            ),
        ),
        (
            "deleteChatSession",
            (
                "mutation($u: UUID!) { deleteChatSession(uuid: $u) }",
                json!({ "u": a.uuid }),
                NotFound,
            ),
        ),
        (
            "restoreChatSession",
            (
                "mutation($id: Int!) { restoreChatSession(id: $id) { id } }",
                id(a.session),
                NotFound,
            ),
        ),
        (
            "createMessage",
            (
                "mutation($u: UUID!) { createMessage(input: {chatSessionUuid: $u, content: \"x\"}) { id } }",
                json!({ "u": a.uuid }),
                NotFound,
            ),
        ),
        (
            "updateMessage",
            (
                "mutation($id: Int!) { updateMessage(id: $id, input: {content: \"x\"}) { id } }",
                id(a.message),
                NotFound,
            ),
        ),
        (
            "deleteMessage",
            (
                "mutation($id: Int!) { deleteMessage(id: $id) }",
                id(a.message),
                NotFound,
            ),
        ),
        (
            "sendMessage",
            (
                "mutation($id: Int!) { sendMessage(chatSessionId: $id, content: \"x\") { reply { id } } }",
                id(a.session),
                NotFound,
            ),
        ),
        (
            "settings",
            (
                "{ settings { defaultAiModelId defaultAiModel { label } defaultUserProfile { name label }
                   defaultSystemPrompt { label content } defaultAvatarImage } }",
                json!({}),
                Nothing,
            ),
        ),
        (
            "updateSettings",
            (
                "mutation($m: Int!) { updateSettings(input: {defaultAiModelId: $m}) { id } }",
                json!({ "m": a.model }),
                NotFound,
            ),
        ),
        (
            "resetSettings",
            ("mutation { resetSettings { id } }", json!({}), Nothing),
        ),
        (
            "regenerateReply",
            (
                "mutation($u: UUID!) { regenerateReply(chatSessionUuid: $u) { id } }",
                json!({ "u": a.uuid }),
                NotFound,
            ),
        ),
    ])
}

fn assert_nothing_of_a(answer: &Value, a: &World, what: &str) {
    let text = answer.to_string();
    // Every row of A's carries the marker (in a label, title, content or image name).
    assert!(!text.contains(MARKER), "{what} leaks A's data: {text}");
    assert!(!text.contains(&a.uuid), "{what} leaks A's chat: {text}");
    assert!(
        !text.contains("Sherlock Holmes"),
        "{what} leaks A's character: {text}"
    );
}

#[tokio::test]
async fn another_owner_gets_not_found_everywhere_and_sees_nothing() {
    let app = spawn_app().await;
    let a = seed_a(&app).await;
    let before = app.data(EVERYTHING, json!({})).await;
    let key_b = second_owner(&app, "owner-b").await;

    // REST: every route of the OpenAPI document.
    let (_, openapi) = app.rest("GET", "/openapi.json", None).await;
    let cases = rest_cases(&a);
    let mut tried = 0;
    for (path, item) in openapi["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            let (query, body, expect) = cases
                .get(&(method.as_str(), path.as_str()))
                .unwrap_or_else(|| panic!("no isolation case for {method} {path}: add one"));
            let concrete = path
                .replace("{chat_session_id}", &a.session.to_string())
                .replace("{message_id}", &a.message.to_string())
                .replace("{character_id}", &a.character.to_string())
                .replace("{user_profile_id}", &a.profile.to_string())
                .replace("{ai_model_id}", &a.model.to_string())
                .replace("{system_prompt_id}", &a.prompt.to_string())
                .replace("{chat_id}", &a.uuid);
            let body = body.as_ref().map(Value::to_string);
            let (status, answer) = match expect {
                Expect::Upload => app.import_card(&key_b, card_of_b(), None).await,
                _ => {
                    app.rest_raw(&method, &format!("{concrete}{query}"), body, Some(&key_b))
                        .await
                }
            };
            match expect {
                Expect::NotFound => assert_eq!(status, 404, "{method} {path}: {answer}"),
                Expect::Nothing | Expect::Upload => {
                    assert!(
                        (200..300).contains(&status),
                        "{method} {path}: {status} {answer}"
                    );
                    assert_nothing_of_a(&answer, &a, &format!("{method} {path}"));
                }
                Expect::Public => continue,
            }
            tried += 1;
        }
    }
    assert!(tried >= 40, "only {tried} routes tried");

    // GraphQL: every root field of the schema.
    let schema = app
        .data(
            "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }",
            json!({}),
        )
        .await;
    let cases = graphql_cases(&a);
    for root in ["queryType", "mutationType"] {
        for field in schema["__schema"][root]["fields"].as_array().unwrap() {
            let name = field["name"].as_str().unwrap();
            let (operation, variables, expect) = cases
                .get(name)
                .unwrap_or_else(|| panic!("no isolation case for GraphQL field {name}: add one"));
            if let Expect::Public = expect {
                continue;
            }
            let (status, answer) = match expect {
                Expect::Upload => {
                    app.graphql_upload(&key_b, operation, variables.clone(), card_of_b())
                        .await
                }
                _ => {
                    app.graphql_with_key(Some(&key_b), operation, variables.clone())
                        .await
                }
            };
            assert_eq!(status, 200, "{name}: {answer}");
            match expect {
                Expect::NotFound => {
                    assert_eq!(error_code(&answer), "NOT_FOUND", "{name}: {answer}");
                    assert!(
                        answer["errors"][0]["message"]
                            .as_str()
                            .unwrap()
                            .ends_with("not found")
                    );
                }
                _ => {
                    assert!(answer.get("errors").is_none(), "{name}: {answer}");
                    assert_nothing_of_a(&answer, &a, name);
                }
            }
        }
    }

    // Counts as B: none of A's rows, whatever B created meanwhile.
    let (status, counts) = app
        .graphql_with_key(Some(&key_b), "query($c: Int!) { chatSessions(filter: {characterId: $c}) { totalCount } searchMessages(query: \"message\") { id } }", json!({ "c": a.character }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        counts["data"],
        json!({"chatSessions": {"totalCount": 0}, "searchMessages": []})
    );

    // A's rows are exactly as they were.
    assert_eq!(app.data(EVERYTHING, json!({})).await, before);
}

/// Every subscription of the schema, tried by B on A's session (by id and by uuid): each is
/// refused with NOT_FOUND. And a subscriber to one session hears nothing of another.
#[tokio::test]
async fn subscriptions_are_scoped_to_their_owner_and_session() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message as WsMessage;

    use crate::replies::{next_json, ws_connect};

    let app = spawn_app().await;
    let a = seed_a(&app).await;
    let key_b = second_owner(&app, "owner-b").await;
    let fields = app
        .data(
            "{ __schema { subscriptionType { fields { name } } } }",
            json!({}),
        )
        .await;
    let fields: Vec<String> = fields["__schema"]["subscriptionType"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect();
    let selection = |field: &str| match field {
        "messageAdded" => "{ id content }",
        "replyStream" => "{ token done }",
        other => panic!("no isolation case for subscription {other}: add one"),
    };

    let mut b = ws_connect(&app, json!({"X-API-KEY": key_b})).await;
    assert_eq!(next_json(&mut b).await.unwrap()["type"], "connection_ack");
    for field in &fields {
        for (argument, value) in [
            ("chatSessionId: Int", json!(a.session)),
            ("chatSessionUuid: UUID", json!(a.uuid)),
        ] {
            let (name, kind) = argument.split_once(": ").unwrap();
            let query = format!(
                "subscription($v: {kind}) {{ {field}({name}: $v) {} }}",
                selection(field)
            );
            let id = format!("{field}-{name}");
            let subscribe = json!({"id": id, "type": "subscribe",
                                   "payload": {"query": query, "variables": {"v": value}}});
            b.send(WsMessage::text(subscribe.to_string()))
                .await
                .unwrap();
            // Refused as the resolver's error: `next` with the error and no data, then
            // `complete` (or, before execution, `error`); never an event.
            let answer = next_json(&mut b).await.expect("an answer");
            assert_eq!(answer["id"], id.as_str(), "{answer}");
            let code = match answer["type"].as_str() {
                Some("next") => {
                    assert!(answer["payload"]["data"].is_null(), "{answer}");
                    let done = next_json(&mut b).await.expect("complete");
                    assert_eq!(
                        (done["id"].as_str(), done["type"].as_str()),
                        (Some(id.as_str()), Some("complete"))
                    );
                    answer["payload"]["errors"][0]["extensions"]["code"].clone()
                }
                Some("error") => answer["payload"][0]["extensions"]["code"].clone(),
                _ => panic!("{field} by {name}: {answer}"),
            };
            assert_eq!(code, "NOT_FOUND", "{field} by {name}: {answer}");
        }
    }

    // A, subscribed to one of its sessions, hears that session's messages only.
    let other = app
        .data(
            "mutation($c: Int!) { createChatSession(input: {characterId: $c}) { id } }",
            json!({"c": a.character}),
        )
        .await["createChatSession"]["id"]
        .as_i64()
        .unwrap();
    let mut listener = ws_connect(&app, json!({"X-API-KEY": app.api_key})).await;
    assert_eq!(
        next_json(&mut listener).await.unwrap()["type"],
        "connection_ack"
    );
    let subscribe = json!({"id": "mine", "type": "subscribe", "payload": {
        "query": "subscription($id: Int!) { messageAdded(chatSessionId: $id) { id content } }",
        "variables": {"id": a.session}}});
    listener
        .send(WsMessage::text(subscribe.to_string()))
        .await
        .unwrap();
    // The subscription starts asynchronously: write to the other session, then to this one,
    // until this one's message arrives; nothing of the other may arrive meanwhile.
    let mut heard = Vec::new();
    'live: for attempt in 0.. {
        assert!(attempt < 50, "the subscription never started");
        crate::helpers::add_message(&app, other, "other session").await;
        crate::helpers::add_message(&app, a.session, "this session").await;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(200);
        while let Ok(Some(Ok(WsMessage::Text(text)))) =
            tokio::time::timeout_at(deadline, listener.next()).await
        {
            let event: Value = serde_json::from_str(&text).unwrap();
            heard.push(event["payload"]["data"]["messageAdded"]["content"].clone());
            if text.contains("this session") {
                break 'live;
            }
        }
    }
    // One more round after the subscription is live: still only this session's.
    crate::helpers::add_message(&app, other, "other session").await;
    crate::helpers::add_message(&app, a.session, "this session, again").await;
    loop {
        let event = next_json(&mut listener).await.expect("the second message");
        let content = event["payload"]["data"]["messageAdded"]["content"].clone();
        heard.push(content.clone());
        if content == "this session, again" {
            break;
        }
    }
    assert!(
        heard.iter().all(|content| content != "other session"),
        "a subscriber to one session heard another's: {heard:?}"
    );
}
