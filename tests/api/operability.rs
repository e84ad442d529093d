//! Health, readiness, request ids, Prometheus output, JSON logs.

use std::{process::Stdio, time::Duration};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let (status, body) = app.rest_raw("GET", "/healthz", None, None).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
    let (status, body) = app.rest_raw("GET", "/readyz", None, None).await;
    assert_eq!((status, body), (200, json!({"status": "ready"})));

    // A migration the database lacks (rolled back under the running app): not ready, on either
    // database, until it is applied again.
    {
        use migration::MigratorTrait;
        migration::Migrator::down(&app.db, Some(1)).await.unwrap();
        let (status, body) = app.rest_raw("GET", "/readyz", None, None).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["pending_migrations"], 1, "{body}");
        migration::Migrator::up(&app.db, None).await.unwrap();
        let (status, _) = app.rest_raw("GET", "/readyz", None, None).await;
        assert_eq!(status, 200);
    }
}

/// On PostgreSQL the database can be taken away under the running app: not ready any more. (A
/// SQLite file cannot be taken from an open pool.)
#[tokio::test]
#[ignore = "PostgreSQL only: cargo test -- --include-ignored with PARLEY_TEST_DATABASE_URL"]
async fn readiness_fails_when_the_database_is_gone() {
    use sea_orm::{ConnectionTrait, Database};
    let admin_url = crate::helpers::require_postgres();
    let app = spawn_app().await;
    let (status, _) = app.rest_raw("GET", "/readyz", None, None).await;
    assert_eq!(status, 200);
    let name = app.database_url.rsplit('/').next().unwrap().to_owned();
    let admin = Database::connect(&admin_url).await.unwrap();
    admin
        .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .await
        .unwrap();
    let (status, body) = app.rest_raw("GET", "/readyz", None, None).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "unavailable");
    let (status, _) = app.rest_raw("GET", "/healthz", None, None).await;
    assert_eq!(status, 200, "the process itself is still healthy");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    uuid::Uuid::parse_str(&id).expect("a generated id is a UUID");
    let response = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["x-request-id"],
        "trace-me-42",
        "the caller's id is kept"
    );
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_count_operations() {
    let app = spawn_app().await;
    app.data(
        "query CharacterCount { characters { totalCount } }",
        json!({}),
    )
    .await;
    app.graphql("query Broken { character(id: 999) { id } }", json!({}))
        .await;
    app.rest("GET", "/api/v1/characters", None).await;

    let text = app.metrics_text().await;
    // The text format: `# HELP` / `# TYPE` lines, and samples `name{labels} value`.
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(comment) = line.strip_prefix("# ") {
            assert!(
                comment.starts_with("HELP ") || comment.starts_with("TYPE "),
                "{line}"
            );
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        value
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("value of {line}"));
        let name = series.split('{').next().unwrap();
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "{line}"
        );
        if let Some(labels) = series.strip_prefix(name) {
            assert!(
                labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')),
                "{line}"
            );
        }
    }
    for expected in [
        r#"parley_graphql_operations_total{operation="CharacterCount",outcome="ok"} 1"#,
        r#"parley_graphql_operations_total{operation="Broken",outcome="error"} 1"#,
        r#"parley_graphql_operations_total{operation="ListCharacters",outcome="ok"} 1"#,
        r#"parley_http_requests_total{method="GET",route="/api/v1/characters",status="200"} 1"#,
        r#"parley_db_pool_connections{state="idle"}"#,
        r#"parley_db_pool_connections{state="in_use"}"#,
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
}

#[tokio::test]
async fn logs_can_be_json() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_parley"))
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("PARLEY_BIND", "127.0.0.1:0")
        .env("PARLEY_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .expect("a log line");
    let entry: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
    assert_eq!(entry["level"], "INFO", "{entry}");
    assert!(entry["fields"]["message"].is_string(), "{entry}");
    child.kill().await.unwrap();

    let bad = tokio::process::Command::new(env!("CARGO_BIN_EXE_parley"))
        .current_dir(dir.path())
        .env("PARLEY_LOG_FORMAT", "xml")
        .output()
        .await
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("PARLEY_LOG_FORMAT"));
}

/// A document that validated for an authenticated caller is parsed once: sent again, with other
/// variables or naming another of its operations, it comes from the cache and still answers as
/// itself (validation still runs). Invalid documents and those of callers without credentials are
/// parsed every time.
#[tokio::test]
async fn validated_documents_are_parsed_once() {
    let app = spawn_app().await;
    let send = |key: Option<&str>, query: &str, operation: Option<&str>, variables: Value| {
        let mut request = app
            .client
            .post(format!("{}/graphql", app.address))
            .json(&json!({"query": query, "operationName": operation, "variables": variables}));
        if let Some(key) = key {
            request = request.header("X-API-KEY", key);
        }
        async move {
            let response = request.send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let parsed = || async {
        let metrics = app.metrics_text().await;
        metrics
            .lines()
            .find_map(|line| line.strip_prefix("parley_graphql_documents_parsed_total "))
            .expect("the parsed-documents counter")
            .parse::<u64>()
            .unwrap()
    };
    let key = Some(app.api_key.as_str());
    let document = "query One($first: Int) { characters(first: $first) { totalCount } } \
                    query Two { me { username } }";

    let before = parsed().await;
    let (_, one) = send(key, document, Some("One"), json!({"first": 1})).await;
    assert_eq!(one["data"]["characters"]["totalCount"], 0, "{one}");
    let (_, two) = send(key, document, Some("Two"), json!({})).await;
    assert_eq!(two["data"]["me"]["username"], "default", "{two}");
    let (_, bad_variable) = send(key, document, Some("One"), json!({"first": "x"})).await;
    assert!(bad_variable["data"].is_null(), "{bad_variable}");
    assert!(
        bad_variable["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("first")
    );
    assert_eq!(
        parsed().await,
        before + 1,
        "parsed once, then taken from the cache"
    );

    for _ in 0..2 {
        let (_, invalid) = send(key, "{ nope }", None, json!({})).await;
        assert_eq!(invalid["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        let (status, _) = send(None, "{ me { id } }", None, json!({})).await;
        assert_eq!(status, 401);
    }
    assert_eq!(parsed().await, before + 5, "refused documents are not kept");
    let (_, me) = send(key, "{ me { id } }", None, json!({})).await;
    assert!(me["data"]["me"]["id"].is_number(), "{me}");
    assert_eq!(parsed().await, before + 6);
}

#[tokio::test]
async fn automatic_persisted_queries() {
    use sha2::{Digest, Sha256};
    let app = spawn_app().await;
    let query = "{ characters { totalCount } }";
    let hash = hex::encode(Sha256::digest(query.as_bytes()));
    let post = |body: Value| {
        let app = &app;
        async move {
            app.client
                .post(format!("{}/graphql", app.address))
                .header("X-API-KEY", &app.api_key)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let persisted = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}});

    // An unknown hash: the client is told to send the document.
    let unknown = post(json!({"extensions": persisted})).await;
    assert_eq!(
        unknown["errors"][0]["message"], "PersistedQueryNotFound",
        "{unknown}"
    );
    assert_eq!(
        unknown["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );

    // Registered with the document, then the hash alone executes it.
    let registered = post(json!({"query": query, "extensions": persisted})).await;
    assert_eq!(
        registered["data"]["characters"]["totalCount"], 0,
        "{registered}"
    );
    let by_hash = post(json!({"extensions": persisted})).await;
    assert_eq!(by_hash, registered);

    // A document that does not match its hash is refused.
    let wrong = post(json!({"query": "{ me { id } }", "extensions": persisted})).await;
    assert!(
        wrong["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("sha"),
        "{wrong}"
    );
}

/// On PostgreSQL the lists and lookups read on connections of their own (`db::reader`), named so
/// in `pg_stat_activity`, at most as many as the pool has. One that the server closed while it
/// sat idle costs a retry through the pool, never a failed read; reads cancelled midway (clients
/// that hang up) leave no connection behind that answers wrongly.
#[tokio::test]
#[ignore = "PostgreSQL only: cargo test -- --include-ignored with PARLEY_TEST_DATABASE_URL"]
async fn postgres_reads_survive_closed_and_cancelled_connections() {
    use sea_orm::{ConnectionTrait, Statement};
    crate::helpers::require_postgres();
    let app = spawn_app().await;
    let (character, ..) = crate::helpers::seed_references(&app, "reads").await;
    for _ in 0..3 {
        crate::helpers::create_session(&app, character).await;
    }
    let list =
        "{ chatSessions(first: 10) { nodes { id character { name } userProfile { name } } } }";
    let read = app.data(list, json!({})).await;
    assert_eq!(read["chatSessions"]["nodes"].as_array().unwrap().len(), 3);
    let name = app.database_url.rsplit('/').next().unwrap().to_owned();
    let readers = |sql: &str| {
        Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            sql,
            [name.clone().into(), parley::db::POSTGRES_READS_NAME.into()],
        )
    };
    let count = |rows: Vec<sea_orm::QueryResult>| rows.len();

    let terminated = app
        .db
        .query_all_raw(readers(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND application_name = $2",
        ))
        .await
        .unwrap();
    assert!(
        count(terminated) >= 1,
        "the list read on a connection of the reader's"
    );
    assert_eq!(
        app.data(list, json!({})).await,
        read,
        "read again through the pool"
    );
    assert_eq!(
        app.data(list, json!({})).await,
        read,
        "and on a new connection"
    );

    // Clients that give up within a millisecond, many at once.
    let impatient = (0..40).map(|_| {
        app.client
            .post(format!("{}/graphql", app.address))
            .header("X-API-KEY", &app.api_key)
            .timeout(Duration::from_millis(1))
            .json(&json!({ "query": list }))
            .send()
    });
    futures::future::join_all(impatient).await;
    for _ in 0..5 {
        assert_eq!(app.data(list, json!({})).await, read);
    }
    let open = app
        .db
        .query_all_raw(readers(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
        ))
        .await
        .unwrap();
    assert!(
        count(open) <= 16,
        "no more read connections than the pool's 16"
    );
}
