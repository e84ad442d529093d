//! `spawn_app`: the real router on 127.0.0.1 port 0, against a fresh database per test — a SQLite
//! file in a temporary directory, or, when `PARLEY_TEST_DATABASE_URL` names a PostgreSQL server, a
//! new database on it that is dropped when the test ends.

use parley::Config;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};

pub struct TestApp {
    pub address: String,
    /// The test's own database (for starting a second replica on it).
    pub database_url: String,
    pub api_key: String,
    pub client: reqwest::Client,
    /// The app's own connection, for setting up what no API offers (a second account).
    pub db: DatabaseConnection,
    _database: TestDatabase,
}

pub enum TestDatabase {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime; the clean-up needs one of its own.
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async {
                    if let Ok(admin) = Database::connect(&admin_url).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join()
            .expect("database clean-up");
        }
    }
}

/// The PostgreSQL server of the PostgreSQL pass, for the tests that need one. Such a test is
/// `#[ignore = "PostgreSQL only: ..."]`: the SQLite pass reports it as ignored (not as passed),
/// and the PostgreSQL pass runs it with `--include-ignored`; run without a server, it fails.
pub fn require_postgres() -> String {
    let url = std::env::var("PARLEY_TEST_DATABASE_URL").unwrap_or_default();
    assert!(
        url.starts_with("postgres://") || url.starts_with("postgresql://"),
        "this test needs PostgreSQL: set PARLEY_TEST_DATABASE_URL to a postgres:// URL"
    );
    url
}

/// A fresh database: its URL, and the guard that removes it.
pub async fn fresh_database() -> (String, TestDatabase) {
    let requested = std::env::var("PARLEY_TEST_DATABASE_URL").unwrap_or_default();
    // A URL that is set but is not PostgreSQL's is a mistake, not a request for SQLite: a run
    // meant for PostgreSQL must not pass on SQLite unnoticed.
    assert!(
        requested.is_empty()
            || requested.starts_with("postgres://")
            || requested.starts_with("postgresql://"),
        "PARLEY_TEST_DATABASE_URL must be a postgres:// URL (or unset for SQLite), not `{requested}`"
    );
    match Some(requested).filter(|url| !url.is_empty()) {
        Some(admin_url) => {
            let name = format!("parley_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(&admin_url)
                .await
                .expect("PARLEY_TEST_DATABASE_URL is reachable");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create test database");
            admin.close().await.expect("close admin connection");
            let mut url = url::Url::parse(&admin_url).expect("PARLEY_TEST_DATABASE_URL is a URL");
            url.set_path(&name);
            (url.to_string(), TestDatabase::Postgres { admin_url, name })
        }
        None => fresh_sqlite_database(),
    }
}

/// A fresh SQLite file, whatever the pass: for what only SQLite has.
pub fn fresh_sqlite_database() -> (String, TestDatabase) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("parley.db").display()
    );
    (url, TestDatabase::Sqlite(dir))
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A model provider named `name` that nothing answers at (port 9, discard): for tests that need a
/// provider configured but never reached, or reached and failing to connect.
pub fn unreachable_provider(name: &str) -> parley::llm::ProviderSettings {
    parley::llm::ProviderSettings {
        name: name.into(),
        base_url: "http://127.0.0.1:9/v1".into(),
        api_key: None,
        timeout: std::time::Duration::from_secs(2),
    }
}

/// A test app with some settings changed (multi-user mode, limits, ...).
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_on(fresh_database().await, configure).await
}

/// A test app on SQLite in both passes: for SQLite's own settings.
pub async fn spawn_sqlite_app() -> TestApp {
    spawn_app_on(fresh_sqlite_database(), |_| {}).await
}

async fn spawn_app_on(
    (database_url, database): (String, TestDatabase),
    configure: impl FnOnce(&mut Config),
) -> TestApp {
    let api_key = parley::auth::generate_api_key();
    let mut config = Config {
        database_url,
        bind: "127.0.0.1:0".parse().unwrap(),
        api_key: Some(api_key.clone()),
        db_max_connections: 5,
        ..Config::defaults()
    };
    configure(&mut config);
    let database_url = config.database_url.clone();
    let app = parley::build(&config).await.expect("app builds");
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .expect("bind port 0");
    let address = format!("http://{}", listener.local_addr().unwrap());
    let db = app.state.db.clone();
    let limits = config.connection_limits();
    tokio::spawn(parley::serve::serve(
        listener,
        app.router,
        limits,
        std::future::pending(),
    ));
    TestApp {
        address,
        database_url,
        api_key,
        client: crate::helpers::http(),
        db,
        _database: database,
    }
}

impl TestApp {
    /// POSTs a GraphQL operation with `key`; returns the status and the JSON body.
    pub async fn graphql_with_key(
        &self,
        key: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(key) = key {
            request = request.header("X-API-KEY", key);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let body = response.json().await.expect("JSON body");
        assert_ne!(status, 500, "a 500 is always a bug: {body}");
        (status, body)
    }

    /// Runs an operation as the app's own account and returns the whole body (`data` and
    /// `errors`); the HTTP status must be 200.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self
            .graphql_with_key(Some(&self.api_key), query, variables)
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Runs an operation that must succeed and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// The Prometheus text of `/metrics`.
    pub async fn metrics_text(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .expect("metrics request")
            .text()
            .await
            .expect("metrics body")
    }

    /// `parley_db_statements_total`, read from `/metrics`.
    pub async fn statements_executed(&self) -> u64 {
        let text = self.metrics_text().await;
        text.lines()
            .filter(|line| line.starts_with("parley_db_statements_total"))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }
}

/// The `extensions.code` of the first error in a GraphQL body.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error with a code: {body}"))
}

/// Creates a character, a profile, a model and a prompt; returns their ids in that order.
pub async fn seed_references(app: &TestApp, suffix: &str) -> (i64, i64, i64, i64) {
    let data = app
        .data(
            r#"mutation($c: String!, $p: String!, $m: String!, $s: String!) {
                character: createCharacter(input: {label: $c, name: "Sherlock Holmes",
                    avatarImage: "sherlock.jpg", firstMessage: "Hello, {{user}}."}) { id }
                profile: createUserProfile(input: {label: $p, name: "Detective"}) { id }
                model: createAiModel(input: {label: $m, description: "a model"}) { id }
                prompt: createSystemPrompt(input: {label: $s, content: "Stay in character."}) { id }
            }"#,
            json!({
                "c": format!("character-{suffix}"),
                "p": format!("profile-{suffix}"),
                "m": format!("model-{suffix}"),
                "s": format!("prompt-{suffix}"),
            }),
        )
        .await;
    (
        data["character"]["id"].as_i64().unwrap(),
        data["profile"]["id"].as_i64().unwrap(),
        data["model"]["id"].as_i64().unwrap(),
        data["prompt"]["id"].as_i64().unwrap(),
    )
}

/// Creates a chat session for `character` and returns its id.
pub async fn create_session(app: &TestApp, character: i64) -> i64 {
    app.data(
        "mutation($c: Int!) { createChatSession(input: {characterId: $c}) { id } }",
        json!({ "c": character }),
    )
    .await["createChatSession"]["id"]
        .as_i64()
        .unwrap()
}

/// Appends a user message to `session` and returns its id.
pub async fn add_message(app: &TestApp, session: i64, content: &str) -> i64 {
    app.data(
        "mutation($id: Int!, $c: String!) { createMessage(input: {chatSessionId: $id, content: $c}) { id } }",
        json!({ "id": session, "c": content }),
    )
    .await["createMessage"]["id"]
        .as_i64()
        .unwrap()
}

/// Creates a second account directly in the database, with an API key of its own.
pub async fn second_owner(app: &TestApp, username: &str) -> String {
    use sea_orm::{ActiveModelTrait, Set};
    let account = entity::account::ActiveModel {
        username: Set(username.into()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let key = parley::auth::generate_api_key();
    parley::auth::store_api_key(&app.db, account.id, "test", &key)
        .await
        .unwrap();
    key
}

/// An HTTP client for the tests. reqwest here is built without a default TLS provider (Parley
/// installs ring at start-up); a test that talks only to a child process installs it itself.
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// The database's tallies (live sessions per owner, live messages per session and owner) and the
/// counts they stand for: `(as tallied, as counted)` for each, rows sorted. The triggers that
/// keep the tallies write in the writing transaction, so no write (nor a kill) may part them.
pub async fn tallies_and_counts(db: &DatabaseConnection) -> [(Vec<[i64; 3]>, Vec<[i64; 3]>); 2] {
    let backend = db.get_database_backend();
    let triples = |sql: &'static str| async move {
        let rows = db
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .expect(sql);
        rows.iter()
            .map(|row| {
                [
                    row.try_get_by_index::<i32>(0).unwrap() as i64,
                    row.try_get_by_index::<i32>(1).unwrap() as i64,
                    row.try_get_by_index::<i64>(2).unwrap(),
                ]
            })
            .collect::<Vec<_>>()
    };
    [
        (
            triples(
                "SELECT owner_id, owner_id, live_sessions FROM chat_session_tally \
                 WHERE live_sessions <> 0 ORDER BY owner_id",
            )
            .await,
            triples(
                "SELECT owner_id, owner_id, COUNT(*) FROM chat_session WHERE deleted_at IS NULL \
                 GROUP BY owner_id ORDER BY owner_id",
            )
            .await,
        ),
        (
            triples(
                "SELECT chat_session_id, owner_id, live_messages FROM message_tally \
                 WHERE live_messages <> 0 ORDER BY chat_session_id, owner_id",
            )
            .await,
            triples(
                "SELECT chat_session_id, owner_id, COUNT(*) FROM message WHERE deleted_at IS NULL \
                 GROUP BY chat_session_id, owner_id ORDER BY chat_session_id, owner_id",
            )
            .await,
        ),
    ]
}

/// The `parley` binary tests start as a process of its own: the debug build `cargo test` made, or
/// the one `PARLEY_TEST_BIN` names (`.ci/run` points it at the release build).
pub fn parley_binary() -> String {
    std::env::var("PARLEY_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_parley").to_owned())
}

/// Starts `parley serve` on `database_url` with the single-user `key` and `settings` (variable,
/// value) on 127.0.0.1 port 0; returns the process (killed when dropped) and its base URL.
pub async fn spawn_process(
    database_url: &str,
    key: &str,
    settings: &[(&str, &str)],
) -> (tokio::process::Child, String) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = tokio::process::Command::new(parley_binary())
        .env("DATABASE_URL", database_url)
        .env("PARLEY_API_KEY", key)
        .env("PARLEY_BIND", "127.0.0.1:0")
        .envs(settings.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("parley starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("stdout") {
            if let Some(rest) = line.strip_prefix("Parley listening on ") {
                return rest.trim().to_owned();
            }
        }
        panic!("parley exited before listening");
    })
    .await
    .expect("parley listens in time");
    // Keep reading stdout so that the process never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, address)
}
