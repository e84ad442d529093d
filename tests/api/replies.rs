//! Model replies through a stand-in OpenAI-compatible server: the prompt it receives, REST
//! completions (plain and streamed), subscriptions over graphql-transport-ws, failures.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use parley::llm::ProviderSettings;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message as WsMessage, client::IntoClientRequest};

use crate::{
    helpers::{TestApp, add_message, error_code, spawn_app_with, unreachable_provider},
    model_server::{Behavior, ModelServer},
};

async fn app_with(server: Option<&ModelServer>, timeout: Duration) -> TestApp {
    let providers = server
        .map(|s| {
            vec![ProviderSettings {
                name: "default".into(),
                base_url: s.base_url.clone(),
                api_key: Some("sk-test".into()),
                timeout,
            }]
        })
        .unwrap_or_default();
    spawn_app_with(|config| config.providers = providers).await
}

struct Chat {
    id: i64,
    uuid: String,
}

/// A session with every part of the context: system prompt, card, pre- and post-prompt.
async fn chat_with_everything(app: &TestApp) -> Chat {
    let data = app
        .data(
            r#"mutation {
                c: createCharacter(input: {label: "holmes", name: "Holmes",
                    description: "{{char}} is a detective.", firstMessage: "Good day, {{user}}."}) { id }
                p: createUserProfile(input: {label: "watson", name: "Watson"}) { id }
                m: createAiModel(input: {label: "sherlock-7b", modelName: "test-model", temperature: 0.5}) { id }
                s: createSystemPrompt(input: {label: "rp", content: "Play {{char}} for {{user}}."}) { id }
            }"#,
            json!({}),
        )
        .await;
    let session = app
        .data(
            "mutation($c: Int!, $p: Int, $m: Int, $s: Int) { createChatSession(input: {characterId: $c,
                userProfileId: $p, aiModelId: $m, systemPromptId: $s, prePrompt: \"Remember, {{char}}.\",
                prePromptEnabled: true, postPrompt: \"Answer briefly.\", postPromptEnabled: true}) { id uuid } }",
            json!({"c": data["c"]["id"], "p": data["p"]["id"], "m": data["m"]["id"], "s": data["s"]["id"]}),
        )
        .await["createChatSession"]
        .clone();
    Chat {
        id: session["id"].as_i64().unwrap(),
        uuid: session["uuid"].as_str().unwrap().to_owned(),
    }
}

async fn message_count(app: &TestApp, chat: &Chat) -> i64 {
    app.data(
        "query($id: Int!) { chatSession(id: $id) { messageCount } }",
        json!({"id": chat.id}),
    )
    .await["chatSession"]["messageCount"]
        .as_i64()
        .unwrap()
}

const SEND: &str =
    "mutation($id: Int!, $c: String!) { sendMessage(chatSessionId: $id, content: $c) {
    userMessage { id role content } reply { id role content } } }";

#[tokio::test]
async fn the_model_gets_the_context_plus_the_new_message() {
    let server = ModelServer::start(Behavior::Reply(vec!["Elemen", "tary."])).await;
    let app = app_with(Some(&server), Duration::from_secs(5)).await;
    let chat = chat_with_everything(&app).await;
    add_message(&app, chat.id, "Who are you?").await;
    app.data(
        "mutation($id: Int!) { createMessage(input: {chatSessionId: $id, role: ASSISTANT, content: \"{{char}}, at your service.\"}) { id } }",
        json!({"id": chat.id}),
    )
    .await;

    let turn = app
        .data(SEND, json!({"id": chat.id, "c": "What now, {{char}}?"}))
        .await;
    assert_eq!(
        turn["sendMessage"]["userMessage"]["content"],
        "What now, {{char}}?"
    );
    assert_eq!(
        turn["sendMessage"]["reply"],
        json!({"id": turn["sendMessage"]["reply"]["id"], "role": "ASSISTANT", "content": "Elementary."})
    );

    let sent = &server.requests()[0];
    assert_eq!(sent["model"], "test-model");
    assert_eq!(sent["temperature"], 0.5);
    assert_eq!(sent["stream"], true);
    assert_eq!(
        server.last_authorization().as_deref(),
        Some("Bearer sk-test")
    );
    assert_eq!(
        sent["messages"],
        json!([
            {"role": "system", "content": "Play Holmes for Watson."},
            {"role": "system", "content": "You are Holmes.\n\nHolmes is a detective."},
            {"role": "system", "content": "Remember, Holmes."},
            {"role": "user", "content": "Who are you?"},
            {"role": "assistant", "content": "Holmes, at your service."},
            {"role": "user", "content": "What now, Holmes?"},
            {"role": "system", "content": "Answer briefly."},
        ])
    );
    assert_eq!(message_count(&app, &chat).await, 4);

    // Flags are honoured: without the pre- and post-prompt, and the new turn in the history.
    app.data(
        "mutation($id: Int!) { updateChatSession(id: $id, input: {prePromptEnabled: false, postPromptEnabled: false}) { id } }",
        json!({"id": chat.id}),
    )
    .await;
    app.data(SEND, json!({"id": chat.id, "c": "And then?"}))
        .await;
    let sent = &server.requests()[1]["messages"];
    let roles: Vec<&str> = sent
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        vec![
            "Play Holmes for Watson.",
            "You are Holmes.\n\nHolmes is a detective.",
            "Who are you?",
            "Holmes, at your service.",
            "What now, Holmes?",
            "Elementary.",
            "And then?"
        ]
    );

    // A regeneration replaces the last reply, from the context without it.
    server.behave(Behavior::Reply(vec!["Quite."]));
    let regenerated = app
        .data(
            "mutation($id: Int!) { regenerateReply(chatSessionId: $id) { content } }",
            json!({"id": chat.id}),
        )
        .await;
    assert_eq!(regenerated["regenerateReply"]["content"], "Quite.");
    assert_eq!(
        server.requests()[2]["messages"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["content"],
        "And then?"
    );
    let last = app
        .data("query($id: Int!) { messages(chatSessionId: $id, last: 2) { totalCount nodes { content } } }", json!({"id": chat.id}))
        .await;
    assert_eq!(last["messages"]["totalCount"], 6);
    assert_eq!(
        last["messages"]["nodes"],
        json!([{"content": "And then?"}, {"content": "Quite."}])
    );
}

#[tokio::test]
async fn completions_over_rest_plain_and_streamed() {
    let server = ModelServer::start(Behavior::Reply(vec!["Hello", ", ", "Watson", "."])).await;
    let app = app_with(Some(&server), Duration::from_secs(5)).await;
    let chat = chat_with_everything(&app).await;
    let (_, before) = app
        .rest("GET", &format!("/api/v1/chats/{}", chat.uuid), None)
        .await;

    let (status, completion) = app
        .rest(
            "POST",
            "/api/v1/chat/completions",
            Some(json!({
                "conversation_id": chat.uuid, "messages": [{"role": "user", "content": "Hi"}]
            })),
        )
        .await;
    assert_eq!(status, 200, "{completion}");
    assert_eq!(completion["object"], "chat.completion");
    assert_eq!(
        completion["choices"][0]["message"],
        json!({"role": "assistant", "content": "Hello, Watson."})
    );
    assert_eq!(completion["choices"][0]["finish_reason"], "stop");
    let (_, after) = app
        .rest("GET", &format!("/api/v1/chats/{}", chat.uuid), None)
        .await;
    assert_eq!(after["message_count"], 2);
    assert!(after["last_modified"].as_str() > before["last_modified"].as_str());

    // Streamed: OpenAI chunks, then [DONE]; the saved reply is their concatenation.
    server.behave(Behavior::Reply(vec!["The ", "game ", "is ", "afoot."]));
    let response = app
        .client
        .post(format!("{}/api/v1/chat/completions", app.address))
        .header("X-API-KEY", &app.api_key)
        .json(&json!({"conversation_id": chat.uuid, "stream": true, "messages": [{"role": "user", "content": "Well?"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let body = response.text().await.unwrap();
    let data: Vec<&str> = body
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .collect();
    assert_eq!(data.last(), Some(&"[DONE]"));
    let mut text = String::new();
    for chunk in &data[..data.len() - 1] {
        let chunk: Value = serde_json::from_str(chunk).unwrap();
        assert_eq!(chunk["object"], "chat.completion.chunk");
        text.push_str(
            chunk["choices"][0]["delta"]["content"]
                .as_str()
                .unwrap_or(""),
        );
    }
    assert_eq!(text, "The game is afoot.");
    let (_, messages) = app
        .rest(
            "GET",
            &format!("/api/v1/chats/{}/messages", chat.uuid),
            None,
        )
        .await;
    let saved: Vec<&str> = messages["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        saved,
        vec!["Hi", "Hello, Watson.", "Well?", "The game is afoot."]
    );

    // Without a conversation the messages pass through and nothing is saved.
    server.behave(Behavior::Reply(vec!["4"]));
    let (status, completion) = app
        .rest(
            "POST",
            "/api/v1/chat/completions",
            Some(json!({"model": "raw-model", "messages": [{"role": "user", "content": "2+2?"}]})),
        )
        .await;
    assert_eq!(
        (
            status,
            completion["choices"][0]["message"]["content"].as_str()
        ),
        (200, Some("4"))
    );
    let sent = server.requests().last().unwrap().clone();
    assert_eq!(
        (sent["model"].as_str(), &sent["messages"]),
        (
            Some("raw-model"),
            &json!([{"role": "user", "content": "2+2?"}])
        )
    );
    assert_eq!(message_count(&app, &chat).await, 4);

    // Model calls are counted by provider and outcome.
    let metrics = app.metrics_text().await;
    assert!(
        metrics.contains(r#"parley_model_requests_total{outcome="ok",provider="default"} 3"#),
        "{metrics}"
    );
    assert!(
        metrics.contains("parley_model_request_duration_seconds_count{provider=\"default\"} 3")
    );

    // Surface A: a user message to a session with a model gets the reply with it.
    server.behave(Behavior::Reply(vec!["Indeed."]));
    let (status, turn) = app
        .rest(
            "POST",
            &format!("/api/v1/chat-sessions/{}/messages", chat.id),
            Some(json!({"content": "Really?"})),
        )
        .await;
    assert_eq!(status, 201, "{turn}");
    assert_eq!(turn["user_message"]["content"], "Really?");
    assert_eq!(turn["ai_message"]["role"], "assistant");
    assert_eq!(turn["ai_message"]["content"], "Indeed.");
}

/// A WebSocket client connection.
pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-transport-ws connection, initialised with `payload`.
pub(crate) async fn ws_connect(app: &TestApp, payload: Value) -> Socket {
    let url = format!("{}/graphql/ws", app.address.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket
        .send(WsMessage::text(
            json!({"type": "connection_init", "payload": payload}).to_string(),
        ))
        .await
        .unwrap();
    socket
}

pub(crate) async fn next_json(socket: &mut Socket) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .ok()??
            .ok()?;
        match message {
            WsMessage::Text(text) => return serde_json::from_str(&text).ok(),
            WsMessage::Close(_) => return None,
            _ => continue,
        }
    }
}

/// A graphql-transport-ws connection with the app's key, acknowledged.
async fn ws_acknowledged(app: &TestApp) -> Socket {
    let mut socket = ws_connect(app, json!({"X-API-KEY": app.api_key})).await;
    assert_eq!(
        next_json(&mut socket).await.unwrap()["type"],
        "connection_ack"
    );
    socket
}

/// The `subscribe` message of operation `id`: `query` with `$id` the chat's id.
fn subscribe(id: &str, query: &str, chat: &Chat) -> WsMessage {
    let message = json!({"id": id, "type": "subscribe", "payload": {"query": query, "variables": {"id": chat.id}}});
    WsMessage::text(message.to_string())
}

/// Subscriptions start asynchronously (graphql-transport-ws has no ack for them): adds messages
/// to the chat, `content(probe)` each, until an event passes `wanted(event, content)`, which
/// sees every event read on the way (at most 50 probes); returns that event.
async fn probe_until(
    app: &TestApp,
    socket: &mut Socket,
    chat: &Chat,
    content: impl Fn(usize) -> String,
    mut wanted: impl FnMut(&Value, &str) -> bool,
) -> Value {
    for probe in 0..50 {
        let content = content(probe);
        add_message(app, chat.id, &content).await;
        while let Some(event) = tokio::time::timeout(Duration::from_millis(200), next_json(socket))
            .await
            .ok()
            .flatten()
        {
            if wanted(&event, &content) {
                return event;
            }
        }
    }
    panic!("no wanted event after 50 probes");
}

#[tokio::test]
async fn subscribers_see_the_reply_tokens_and_both_messages() {
    let server = ModelServer::start(Behavior::Reply(vec![
        "You ", "see, ", "but ", "you ", "do ", "not ", "observe.",
    ]))
    .await;
    let app = app_with(Some(&server), Duration::from_secs(5)).await;
    let chat = chat_with_everything(&app).await;

    let mut socket = ws_acknowledged(&app).await;
    for (id, query) in [
        (
            "tokens",
            "subscription($id: Int!) { replyStream(chatSessionId: $id) { token done messageId error } }",
        ),
        (
            "added",
            "subscription($id: Int!) { messageAdded(chatSessionId: $id) { id role content } }",
        ),
    ] {
        socket.send(subscribe(id, query, &chat)).await.unwrap();
    }
    // Once a probe comes through the second subscription, the first has started too.
    probe_until(
        &app,
        &mut socket,
        &chat,
        |_| "probe".into(),
        |event, _| event["payload"]["data"]["messageAdded"]["content"] == "probe",
    )
    .await;

    let turn = app
        .data(SEND, json!({"id": chat.id, "c": "Describe me."}))
        .await;
    let (mut tokens, mut added, mut done) = (Vec::new(), Vec::new(), None);
    while done.is_none() || added.len() < 2 {
        let message = next_json(&mut socket).await.expect("events arrive");
        assert_eq!(message["type"], "next", "{message}");
        let data = &message["payload"]["data"];
        match message["id"].as_str().unwrap() {
            "tokens" if data["replyStream"]["done"] == true => {
                done = Some(data["replyStream"].clone())
            }
            "tokens" => tokens.push(data["replyStream"]["token"].as_str().unwrap().to_owned()),
            _ if data["messageAdded"]["content"] == "probe" => {}
            _ => added.push(data["messageAdded"].clone()),
        }
    }
    assert_eq!(tokens.concat(), "You see, but you do not observe.");
    assert_eq!(tokens.len(), 7, "one event per token, in order");
    let done = done.unwrap();
    assert_eq!(done["messageId"], turn["sendMessage"]["reply"]["id"]);
    assert!(done["error"].is_null());
    assert_eq!(added[0]["role"], "USER");
    assert_eq!(added[0]["content"], "Describe me.");
    assert_eq!(added[1]["id"], turn["sendMessage"]["reply"]["id"]);

    // Another owner cannot subscribe to this session; bad credentials do not connect.
    let mut stranger = ws_connect(&app, json!({"X-API-KEY": "pk_wrong"})).await;
    let answer = next_json(&mut stranger).await;
    assert!(
        answer
            .as_ref()
            .is_none_or(|a| a["type"] != "connection_ack"),
        "{answer:?}"
    );
}

/// One socket cannot gather operations without end (each holds a stream and a topic): past the
/// cap one more is refused with CONFLICT, and completing one makes room.
#[tokio::test]
async fn a_socket_runs_a_bounded_number_of_operations() {
    use parley::graphql::ws::MAX_OPERATIONS_PER_SOCKET as MAX;
    let app = app_with(None, Duration::from_secs(1)).await;
    let chat = chat_with_everything(&app).await;
    let mut socket = ws_acknowledged(&app).await;
    let query = "subscription($id: Int!) { messageAdded(chatSessionId: $id) { content } }";
    for n in 0..=MAX {
        socket
            .send(subscribe(&n.to_string(), query, &chat))
            .await
            .unwrap();
    }
    let refused = next_json(&mut socket).await.expect("one is refused");
    assert_eq!(refused["type"], "next", "{refused}");
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"],
        "CONFLICT"
    );
    let refused_id = refused["id"].as_str().unwrap().to_owned();

    // Completing a running one lets a new one start; it receives the session's messages.
    let running = (0..=MAX)
        .map(|n| n.to_string())
        .find(|id| *id != refused_id)
        .unwrap();
    let complete = json!({"id": running, "type": "complete"});
    socket
        .send(WsMessage::text(complete.to_string()))
        .await
        .unwrap();
    socket.send(subscribe("late", query, &chat)).await.unwrap();
    probe_until(
        &app,
        &mut socket,
        &chat,
        |probe| format!("probe {probe}"),
        |event, _| {
            assert!(
                event["payload"]["errors"].is_null(),
                "only one was refused: {event}"
            );
            event["id"] == "late"
        },
    )
    .await;
}

/// A socket stays open for hours: each event shows the rows as they are when it happens, not as
/// they were when the socket first read them.
#[tokio::test]
async fn each_event_shows_the_rows_as_they_are_now() {
    let app = app_with(None, Duration::from_secs(1)).await;
    let chat = chat_with_everything(&app).await;
    let mut socket = ws_acknowledged(&app).await;
    let query = "subscription($id: Int!) { messageAdded(chatSessionId: $id) { content chatSession { title } } }";
    socket.send(subscribe("1", query, &chat)).await.unwrap();
    let mut titles = Vec::new();
    for title in ["Before", "After"] {
        app.data(
            "mutation($id: Int!, $t: String) { updateChatSession(id: $id, input: {title: $t}) { id } }",
            json!({"id": chat.id, "t": title}),
        )
        .await;
        let event = probe_until(
            &app,
            &mut socket,
            &chat,
            |probe| format!("{title} {probe}"),
            |event, content| event["payload"]["data"]["messageAdded"]["content"] == content,
        )
        .await;
        let added = &event["payload"]["data"]["messageAdded"];
        if title == "After" {
            assert_eq!(
                added["content"], "After 0",
                "a started subscription misses no message"
            );
        }
        titles.push(added["chatSession"]["title"].clone());
    }
    assert_eq!(titles, [json!("Before"), json!("After")]);
}

#[tokio::test]
async fn failures_give_their_status_and_save_nothing() {
    // No provider configured: 503 everywhere.
    let app = app_with(None, Duration::from_secs(1)).await;
    let chat = chat_with_everything(&app).await;
    let body = app
        .graphql(SEND, json!({"id": chat.id, "c": "Hello?"}))
        .await;
    assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE");
    let (status, _) = app
        .rest(
            "POST",
            &format!("/api/v1/chat-sessions/{}/messages", chat.id),
            Some(json!({"content": "Hello?"})),
        )
        .await;
    assert_eq!(status, 503);
    let (status, answer) = app
        .rest("POST", "/api/v1/chat/completions", Some(json!({"conversation_id": chat.uuid, "messages": [{"role": "user", "content": "Hi"}]})))
        .await;
    assert_eq!(status, 503, "{answer}");
    assert!(answer["detail"].is_string(), "{answer}");
    assert_eq!(message_count(&app, &chat).await, 0);

    // A session without a model: no reply is attempted over surface A, and sendMessage says why.
    let plain = app
        .data("mutation($c: Int!) { createChatSession(input: {characterId: $c}) { id } }", json!({"c": app.data("{ characters { nodes { id } } }", json!({})).await["characters"]["nodes"][0]["id"]}))
        .await["createChatSession"]["id"]
        .as_i64()
        .unwrap();
    let (status, message) = app
        .rest(
            "POST",
            &format!("/api/v1/chat-sessions/{plain}/messages"),
            Some(json!({"content": "Just a note"})),
        )
        .await;
    assert_eq!(
        (status, message["content"].as_str()),
        (201, Some("Just a note"))
    );
    let body = app.graphql(SEND, json!({"id": plain, "c": "Hello?"})).await;
    assert_eq!(
        error_code(&body),
        "CONFLICT",
        "the session's state, not a server failure"
    );

    // A failing, an unreachable and a silent provider: 502, 502, 504.
    let server = ModelServer::start(Behavior::Fail(500)).await;
    let app = app_with(Some(&server), Duration::from_secs(1)).await;
    let chat = chat_with_everything(&app).await;
    let cases = [
        (Behavior::Fail(500), "BAD_GATEWAY", 502, "MODEL_ERROR"),
        (
            Behavior::Hang(Duration::from_secs(3)),
            "GATEWAY_TIMEOUT",
            504,
            "MODEL_TIMEOUT",
        ),
    ];
    for (behavior, code, status, surface_a_code) in cases {
        server.behave(behavior);
        let body = app
            .graphql(SEND, json!({"id": chat.id, "c": "Hello?"}))
            .await;
        assert_eq!(error_code(&body), code, "{body}");
        let (got, answer) = app
            .rest("POST", "/api/v1/chat/completions", Some(json!({"conversation_id": chat.uuid, "messages": [{"role": "user", "content": "Hi"}]})))
            .await;
        assert_eq!(got, status, "{answer}");
        assert!(answer["detail"].is_string(), "surface B's shape: {answer}");
        let (got, answer) = app
            .rest(
                "POST",
                &format!("/api/v1/chat-sessions/{}/messages", chat.id),
                Some(json!({"content": "Hello?"})),
            )
            .await;
        assert_eq!(got, status);
        assert_eq!(answer["error"]["code"], surface_a_code, "{answer}");
        assert_eq!(
            message_count(&app, &chat).await,
            0,
            "nothing saved after {code}"
        );
    }
    let metrics = app.metrics_text().await;
    for outcome in ["error", "timeout"] {
        let series =
            format!(r#"parley_model_requests_total{{outcome="{outcome}",provider="default"}} 3"#);
        assert!(metrics.contains(&series), "{series} in {metrics}");
    }
    let unreachable =
        spawn_app_with(|config| config.providers = vec![unreachable_provider("default")]).await;
    let chat = chat_with_everything(&unreachable).await;
    let body = unreachable
        .graphql(SEND, json!({"id": chat.id, "c": "Hello?"}))
        .await;
    assert_eq!(error_code(&body), "BAD_GATEWAY");
    assert_eq!(message_count(&unreachable, &chat).await, 0);

    // After the failures, a working provider: exactly one turn is saved, no duplicates.
    server.behave(Behavior::Reply(vec!["Finally."]));
    let chat_id = app
        .data("{ chatSessions { nodes { id } } }", json!({}))
        .await["chatSessions"]["nodes"][0]["id"]
        .as_i64()
        .unwrap();
    app.data(SEND, json!({"id": chat_id, "c": "Hello?"})).await;
    let stored = app
        .data(
            "query($id: Int!) { messages(chatSessionId: $id) { nodes { role content } } }",
            json!({"id": chat_id}),
        )
        .await;
    assert_eq!(
        stored["messages"]["nodes"],
        json!([{"role": "USER", "content": "Hello?"}, {"role": "ASSISTANT", "content": "Finally."}])
    );
}

/// Replicas share `messageAdded` through PostgreSQL's LISTEN/NOTIFY. On SQLite there is one
/// process by design (the README says so).
#[tokio::test]
#[ignore = "PostgreSQL only: cargo test -- --include-ignored with PARLEY_TEST_DATABASE_URL"]
async fn a_subscriber_on_one_replica_sees_messages_sent_through_another() {
    crate::helpers::require_postgres();
    let app = app_with(None, Duration::from_secs(1)).await;
    let chat = chat_with_everything(&app).await;

    // A second Parley process on the same database.
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut replica = tokio::process::Command::new(env!("CARGO_BIN_EXE_parley"))
        .env("DATABASE_URL", &app.database_url)
        .env("PARLEY_API_KEY", &app.api_key)
        .env("PARLEY_BIND", "127.0.0.1:0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(replica.stdout.take().unwrap()).lines();
    let mut replica_address = None;
    while let Some(line) = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .unwrap()
        .unwrap()
    {
        if let Some(address) = line.strip_prefix("Parley listening on ") {
            replica_address = Some(address.trim().to_owned());
            break;
        }
    }
    let replica_address = replica_address.expect("the replica started");

    let mut socket = ws_connect(&app, json!({"X-API-KEY": app.api_key})).await;
    assert_eq!(
        next_json(&mut socket).await.unwrap()["type"],
        "connection_ack"
    );
    let subscribe = json!({"id": "added", "type": "subscribe", "payload": {
        "query": "subscription($id: Int!) { messageAdded(chatSessionId: $id) { content } }",
        "variables": {"id": chat.id}}});
    socket
        .send(WsMessage::text(subscribe.to_string()))
        .await
        .unwrap();
    // The subscription starts asynchronously (no ack): send through the other replica until an
    // event comes back; any one crossing proves the path.
    let client = crate::helpers::http();
    let mut crossed = None;
    for attempt in 0..40 {
        let response: Value = client
            .post(format!("{replica_address}/graphql"))
            .header("X-API-KEY", &app.api_key)
            .json(&json!({"query": "mutation($id: Int!, $c: String!) { createMessage(input: {chatSessionId: $id, content: $c}) { id } }",
                          "variables": {"id": chat.id, "c": format!("via the other replica {attempt}")}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(response.get("errors").is_none(), "{response}");
        let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
        if let Ok(Some(Ok(WsMessage::Text(text)))) =
            tokio::time::timeout_at(deadline, socket.next()).await
        {
            crossed = Some(serde_json::from_str::<Value>(&text).unwrap());
            break;
        }
    }
    let event = crossed.expect("the event crossed replicas");
    let content = event["payload"]["data"]["messageAdded"]["content"]
        .as_str()
        .unwrap();
    assert!(content.starts_with("via the other replica"), "{event}");
    replica.kill().await.unwrap();
}

#[tokio::test]
async fn a_client_that_leaves_mid_stream_leaves_the_chat_as_it_was() {
    let tokens = vec!["One", " two", " three", " four", " five", " six"];
    let server = ModelServer::start(Behavior::Drip(tokens, Duration::from_millis(150))).await;
    let app = app_with(Some(&server), Duration::from_secs(5)).await;
    let chat = chat_with_everything(&app).await;
    let mut response = app
        .client
        .post(format!("{}/api/v1/chat/completions", app.address))
        .header("X-API-KEY", &app.api_key)
        .json(&json!({"conversation_id": chat.uuid, "stream": true, "messages": [{"role": "user", "content": "Count"}]}))
        .send()
        .await
        .unwrap();
    // Read until the first token arrives, then hang up.
    let mut seen = String::new();
    while !seen.contains("One") {
        let chunk = response.chunk().await.unwrap().expect("the stream starts");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    drop(response);
    // The generation stops: Parley hangs up on the model, which is never read to the end.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while server.cut_streams() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "Parley kept reading the model after its client left"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        server.dripped() < 6,
        "{} of 6 tokens were generated for nobody",
        server.dripped()
    );
    assert_eq!(
        message_count(&app, &chat).await,
        0,
        "neither the user message nor a partial reply is saved"
    );

    // A client that stays gets the whole reply, saved once.
    server.behave(Behavior::Drip(
        vec!["All", " here"],
        Duration::from_millis(50),
    ));
    let body = app
        .client
        .post(format!("{}/api/v1/chat/completions", app.address))
        .header("X-API-KEY", &app.api_key)
        .json(&json!({"conversation_id": chat.uuid, "stream": true, "messages": [{"role": "user", "content": "Count"}]}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.ends_with("data: [DONE]\n\n"), "{body}");
    assert_eq!(message_count(&app, &chat).await, 2);
}

/// SIGTERM while 50 requests and a streamed reply are in flight: every one completes, then the
/// process exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_requests_and_streams_finish() {
    let tokens = vec!["Slow", " and", " steady", " wins", " the", " race."];
    let server = ModelServer::start(Behavior::Drip(tokens, Duration::from_millis(150))).await;
    let dir = tempfile::tempdir().unwrap();
    let key = parley::auth::generate_api_key();
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_parley"))
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("PARLEY_BIND", "127.0.0.1:0")
        .env("PARLEY_API_KEY", &key)
        .env("PARLEY_OPENAI_BASE_URL", &server.base_url)
        .env("PARLEY_RATE_LIMIT_PER_SECOND", "1000")
        .env("PARLEY_RATE_LIMIT_BURST", "1000")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut address = String::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(a) = line.strip_prefix("Parley listening on ") {
            address = a.trim().to_owned();
            break;
        }
    }
    let client = crate::helpers::http();
    let graphql = |query: String| {
        let (client, address, key) = (client.clone(), address.clone(), key.clone());
        async move {
            client
                .post(format!("{address}/graphql"))
                .header("X-API-KEY", key)
                .json(&json!({ "query": query }))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let made = graphql(
        "mutation { c: createCharacter(input: {label: \"c\", name: \"C\"}) { id } m: createAiModel(input: {label: \"m\"}) { id } }".into(),
    )
    .await;
    let session = graphql(format!(
        "mutation {{ createChatSession(input: {{characterId: {}, aiModelId: {}}}) {{ id uuid }} }}",
        made["data"]["c"]["id"], made["data"]["m"]["id"]
    ))
    .await["data"]["createChatSession"]
        .clone();

    // 50 sendMessage calls (each waits for a ~1 s reply) and one streamed completion.
    let mut in_flight = Vec::new();
    for i in 0..50 {
        let query = format!(
            "mutation {{ sendMessage(chatSessionId: {}, content: \"hello {i}\") {{ reply {{ content }} }} }}",
            session["id"]
        );
        in_flight.push(tokio::spawn(graphql(query)));
    }
    let stream = {
        let (client, address, key, uuid) = (
            client.clone(),
            address.clone(),
            key.clone(),
            session["uuid"].clone(),
        );
        tokio::spawn(async move {
            let response = client
                .post(format!("{address}/api/v1/chat/completions"))
                .header("X-API-KEY", key)
                .json(&json!({"conversation_id": uuid, "stream": true, "messages": [{"role": "user", "content": "go"}]}))
                .send()
                .await
                .unwrap();
            response.text().await.unwrap()
        })
    };
    // SIGTERM once every request is in flight: all 51 have reached the model server.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while server.requests().len() < 51 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of 51 requests reached the model",
            server.requests().len()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );

    for request in in_flight {
        let answer = request.await.unwrap();
        assert_eq!(
            answer["data"]["sendMessage"]["reply"]["content"], "Slow and steady wins the race.",
            "{answer}"
        );
    }
    let streamed = stream.await.unwrap();
    assert!(streamed.ends_with("data: [DONE]\n\n"), "{streamed}");
    assert!(!streamed.contains("\"error\""), "{streamed}");
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit status {status}");
}
