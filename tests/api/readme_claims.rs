//! What the README promises that no other test holds it to: the request timeout, the legacy
//! `/complete` headers, SQLite's settings, API keys stored hashed, deleted references, named
//! providers.

use std::time::Duration;

use parley::llm::ProviderSettings;
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{
    helpers::{TestApp, seed_references, spawn_app, spawn_app_with, spawn_sqlite_app},
    model_server::{Behavior, ModelServer},
};

fn provider(name: &str, server: &ModelServer, timeout: Duration) -> ProviderSettings {
    ProviderSettings {
        name: name.into(),
        base_url: server.base_url.clone(),
        api_key: None,
        timeout,
    }
}

#[tokio::test]
async fn a_request_slower_than_the_timeout_answers_408() {
    let server = ModelServer::start(Behavior::Hang(Duration::from_secs(5))).await;
    let app = spawn_app_with(|config| {
        config.limits.request_timeout_seconds = 1;
        config.providers = vec![provider("default", &server, Duration::from_secs(30))];
    })
    .await;
    let started = std::time::Instant::now();
    let (status, body) = app
        .rest(
            "POST",
            "/api/v1/chat/completions",
            Some(json!({"model": "m", "messages": [{"role": "user", "content": "Hi"}]})),
        )
        .await;
    assert_eq!(status, 408, "{body}");
    assert!(
        body.is_object(),
        "a JSON body every surface can read: {body}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
    // The timeout's answer is counted, under the route it cut short.
    let metrics = app.metrics_text().await;
    assert!(
        metrics.contains(
            r#"parley_http_requests_total{method="POST",route="/api/v1/chat/completions",status="408"} 1"#
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_legacy_complete_endpoint_names_its_successor() {
    let app = spawn_app().await;
    let (character, ..) = seed_references(&app, "c").await;
    let (_, chat) = app
        .rest(
            "POST",
            "/api/v1/chats/",
            Some(json!({"character_id": character})),
        )
        .await;
    let response = app
        .client
        .post(format!(
            "{}/api/v1/chats/{}/complete",
            app.address,
            chat["id"].as_str().unwrap()
        ))
        .header("X-API-KEY", &app.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let headers = response.headers();
    assert_eq!(headers["deprecation"], "true");
    assert!(headers.contains_key("sunset"));
    assert_eq!(
        headers["link"],
        "</api/v1/chat/completions>; rel=\"successor-version\""
    );
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout() {
    let app = spawn_sqlite_app().await;
    let pragma = |name: &'static str| {
        let db = app.db.clone();
        async move {
            let row = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    format!("PRAGMA {name}"),
                ))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<String>(0)
                .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                .unwrap()
        }
    };
    assert_eq!(pragma("journal_mode").await, "wal");
    assert_eq!(pragma("foreign_keys").await, "1");
    assert_eq!(pragma("busy_timeout").await, "10000");
}

#[tokio::test]
async fn api_keys_are_stored_hashed() {
    let app = spawn_app().await;
    let created = app
        .data("mutation { createApiKey(name: \"k\") { key } }", json!({}))
        .await;
    let key = created["createApiKey"]["key"].as_str().unwrap().to_owned();
    let rows = entity::api_key::Entity::find().all(&app.db).await.unwrap();
    let stored = format!("{rows:?}");
    for plain in [&key, &app.api_key] {
        assert!(!stored.contains(plain.as_str()), "a key is stored in clear");
        let hash = hex::encode(Sha256::digest(plain.as_bytes()));
        assert!(
            rows.iter().any(|row| row.key_hash == hash),
            "the key's SHA-256 is stored"
        );
    }
}

#[tokio::test]
async fn deleting_a_profile_model_or_prompt_leaves_sessions_without_one() {
    let app = spawn_app().await;
    let (character, profile, model, prompt) = seed_references(&app, "r").await;
    let (status, session) = app
        .rest(
            "POST",
            "/api/v1/chat-sessions",
            Some(
                json!({"character_id": character, "user_profile_id": profile,
                        "ai_model_id": model, "system_prompt_id": prompt}),
            ),
        )
        .await;
    assert_eq!(status, 201);
    for path in [
        format!("/api/v1/user-profiles/{profile}"),
        format!("/api/v1/ai-models/{model}"),
        format!("/api/v1/system-prompts/{prompt}"),
    ] {
        let (status, _) = app.rest("DELETE", &path, None).await;
        assert_eq!(status, 200, "{path}");
    }
    let (status, after) = app
        .rest(
            "GET",
            &format!("/api/v1/chat-sessions/{}", session["id"]),
            None,
        )
        .await;
    assert_eq!(status, 200, "the session stays");
    assert_eq!(
        (
            &after["user_profile_id"],
            &after["ai_model_id"],
            &after["system_prompt_id"]
        ),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    assert_eq!(after["character_id"], character);
}

#[tokio::test]
async fn an_ai_model_names_the_provider_that_serves_it() {
    let default = ModelServer::start(Behavior::Reply(vec!["from default"])).await;
    let local = ModelServer::start(Behavior::Reply(vec!["from ollama"])).await;
    let app: TestApp = spawn_app_with(|config| {
        config.providers = vec![
            provider("default", &default, Duration::from_secs(5)),
            provider("ollama", &local, Duration::from_secs(5)),
        ]
    })
    .await;
    let (_, model) = app
        .rest(
            "POST",
            "/api/v1/ai-models",
            Some(json!({"label": "llama", "provider": "ollama", "model_name": "llama3"})),
        )
        .await;
    let (status, completion) = app
        .rest(
            "POST",
            "/api/v1/chat/completions",
            Some(json!({"model": model["label"], "messages": [{"role": "user", "content": "Hi"}]})),
        )
        .await;
    assert_eq!(status, 200, "{completion}");
    assert_eq!(
        completion["choices"][0]["message"]["content"],
        "from ollama"
    );
    assert_eq!(local.requests()[0]["model"], "llama3");
    assert!(default.requests().is_empty(), "the default was not asked");
}
