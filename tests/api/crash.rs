//! Crash safety: concurrent writers against a `parley` process that is killed with SIGKILL at a
//! random moment, ten times over. After each restart every write that was answered with success
//! must be there, unchanged, the database's tallies must equal the counts they stand for, and on
//! SQLite `PRAGMA integrity_check` must say `ok`.
//!
//! The process is the debug build `cargo test` made, or the binary `PARLEY_TEST_BIN` names
//! (`.ci/run` runs this again against the release build). The database is the suite's: SQLite, or
//! PostgreSQL with `PARLEY_TEST_DATABASE_URL`. `PARLEY_CRASH_SEED` repeats a run's kill moments.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use tokio::process::Child;

use crate::helpers::{fresh_database, http, spawn_process, tallies_and_counts};

const KILLS: usize = 10;
const WRITERS: usize = 8;
const KEY: &str = "pk_crash_test_key_0123456789";

/// The writes the server acknowledged: sessions, and messages with their content.
#[derive(Default)]
struct Acknowledged {
    sessions: HashSet<i64>,
    messages: HashMap<i64, String>,
}

struct Server {
    child: Child,
    address: String,
}

async fn start(database_url: &str) -> Server {
    let (child, address) = spawn_process(
        database_url,
        KEY,
        // The writers are many and fast; the throttle is not what is tested here.
        &[
            ("PARLEY_RATE_LIMIT_PER_SECOND", "1000000"),
            ("PARLEY_RATE_LIMIT_BURST", "1000000"),
        ],
    )
    .await;
    Server { child, address }
}

/// One GraphQL request. `None` when the server is gone (a refused connection, an answer cut off);
/// any answer but a success fails the test.
async fn write(
    client: &reqwest::Client,
    address: &str,
    query: &str,
    variables: Value,
) -> Option<Value> {
    let response = client
        .post(format!("{address}/graphql"))
        .header("X-API-KEY", KEY)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .ok()?;
    let status = response.status();
    let body: Value = response.json().await.ok()?;
    assert!(
        status.is_success() && body.get("errors").is_none(),
        "a write failed while the server ran: {status} {body}"
    );
    body.get("data").cloned()
}

/// Creates sessions and messages until the server stops answering; records what it acknowledged.
async fn writer(
    address: String,
    character: i64,
    tag: String,
    acknowledged: Arc<Mutex<Acknowledged>>,
) {
    let client = http();
    for n in 0.. {
        let Some(data) = write(
            &client,
            &address,
            "mutation($c: Int!) { createChatSession(input: {characterId: $c}) { id } }",
            json!({ "c": character }),
        )
        .await
        else {
            return;
        };
        let session = data["createChatSession"]["id"].as_i64().unwrap();
        acknowledged.lock().unwrap().sessions.insert(session);
        for m in 0..3 {
            let content = format!("{tag}-{n}-{m}");
            let Some(data) = write(
                &client,
                &address,
                "mutation($s: Int!, $t: String!) {
                    createMessage(input: {chatSessionId: $s, content: $t}) { id } }",
                json!({ "s": session, "t": content }),
            )
            .await
            else {
                return;
            };
            let id = data["createMessage"]["id"].as_i64().unwrap();
            acknowledged.lock().unwrap().messages.insert(id, content);
        }
    }
}

/// What the database holds, read straight from it (not through the server).
async fn stored(db: &DatabaseConnection) -> (HashSet<i64>, HashMap<i64, String>) {
    let backend = db.get_database_backend();
    let rows = |sql: &str| db.query_all_raw(Statement::from_string(backend, sql.to_owned()));
    let sessions = rows("SELECT id FROM chat_session")
        .await
        .expect("sessions")
        .iter()
        .map(|row| row.try_get_by_index::<i32>(0).unwrap() as i64)
        .collect();
    let messages = rows("SELECT id, content FROM message")
        .await
        .expect("messages")
        .iter()
        .map(|row| {
            (
                row.try_get_by_index::<i32>(0).unwrap() as i64,
                row.try_get_by_index::<String>(1).unwrap(),
            )
        })
        .collect();
    (sessions, messages)
}

/// A small xorshift: the kill moments, repeatable from the printed seed.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[tokio::test]
async fn writes_answered_before_a_sigkill_survive_it() {
    let (database_url, _database) = fresh_database().await;
    let mut seed = std::env::var("PARLEY_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("PARLEY_CRASH_SEED={seed}");

    let server = start(&database_url).await;
    let character = write(
        &http(),
        &server.address,
        r#"mutation { createCharacter(input: {label: "crash", name: "Crash"}) { id } }"#,
        json!({}),
    )
    .await
    .expect("the character is created")["createCharacter"]["id"]
        .as_i64()
        .unwrap();
    let mut server = Some(server);
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));

    for kill in 0..KILLS {
        let running = match server.take() {
            Some(running) => running,
            None => start(&database_url).await,
        };
        let before = acknowledged.lock().unwrap().messages.len();
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                tokio::spawn(writer(
                    running.address.clone(),
                    character,
                    format!("k{kill}w{w}"),
                    acknowledged.clone(),
                ))
            })
            .collect();
        // Once writes are flowing, somewhere in the next second.
        tokio::time::timeout(Duration::from_secs(30), async {
            while acknowledged.lock().unwrap().messages.len() == before {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the writers get going");
        let after = Duration::from_millis(next(&mut seed) % 1000);
        tokio::time::sleep(after).await;
        let mut child = running.child;
        child.start_kill().expect("SIGKILL");
        child.wait().await.expect("the process is reaped");
        for writer in writers {
            writer.await.expect("writer");
        }

        // Restart on the same database; then everything acknowledged must be stored.
        server = Some(start(&database_url).await);
        let db = Database::connect(&database_url).await.expect("database");
        let (sessions, messages) = stored(&db).await;
        if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
            let check = db
                .query_one_raw(Statement::from_string(
                    sea_orm::DatabaseBackend::Sqlite,
                    "PRAGMA integrity_check",
                ))
                .await
                .expect("integrity_check")
                .expect("a row");
            assert_eq!(
                check.try_get_by_index::<String>(0).unwrap(),
                "ok",
                "kill {kill}"
            );
        }
        {
            let known = acknowledged.lock().unwrap();
            let written = known.messages.len() - before;
            assert!(written > 0, "kill {kill}: the writers wrote nothing");
            let missing_sessions: Vec<_> = known.sessions.difference(&sessions).collect();
            assert!(
                missing_sessions.is_empty(),
                "kill {kill} after {after:?}: acknowledged sessions lost: {missing_sessions:?}"
            );
            for (id, content) in &known.messages {
                assert_eq!(
                    messages.get(id),
                    Some(content),
                    "kill {kill} after {after:?}: acknowledged message {id}"
                );
            }
            println!(
                "kill {kill}, {after:?} into the writing: {written} messages acknowledged, all {} stored",
                known.messages.len()
            );
        }
        for (tallied, counted) in tallies_and_counts(&db).await {
            assert_eq!(
                tallied, counted,
                "kill {kill} after {after:?}: a tally and its count"
            );
        }
        db.close().await.expect("close");
    }
    let mut last = server.take().expect("running");
    last.child.start_kill().expect("stop");
    let _ = last.child.wait().await;
}
