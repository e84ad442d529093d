//! bench/run's ceiling rows, on the same framework and runtime as Parley, with none of Parley's
//! own stack (auth, limits, metrics, tracing, its schema):
//!
//! - `POST /graphql`: bare axum answering the fixed JSON body Parley answers `{ __typename }`
//!   with. The gap between Parley's `{ __typename }` row and this one is what a GraphQL server
//!   costs a request, the framework's and Parley's together.
//! - `POST /graphql-floor`: async-graphql itself, through async-graphql-axum, on a schema of one
//!   field: what parsing, validating and executing `{ __typename }` costs with nothing of Parley's
//!   around it. The gap between it and bare axum is async-graphql's; the gap between Parley's row
//!   and it is Parley's own.
//!
//! - `GET /driver/sessions100` and `GET /driver/session_messages`, when `DATABASE_URL` names
//!   Parley's bench database on PostgreSQL: the statements Parley runs for those bench queries
//!   (`bench/queries/*.sql`, the ones pgbench runs; the directory is `BENCH_QUERIES`), through
//!   sqlx on connections it does not ping on checkout, as Parley's reads do, their rows written
//!   with serde as the same JSON answer Parley gives the GraphQL query (`bench/run` checks it
//!   byte for byte). No GraphQL: the gap between Parley's row on PostgreSQL and this one is what
//!   GraphQL (async-graphql's and Parley's) costs that query; this row's gap to pgbench is the
//!   HTTP server's, the driver's and the JSON's.
//!
//! `cargo run --release --example ceiling` listens on `PARLEY_BIND` (default 127.0.0.1:8919).

use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};
use async_graphql_axum::GraphQL;
use axum::{
    Router,
    http::header,
    routing::{get, post, post_service},
};

const TYPENAME: &str = r#"{"data":{"__typename":"Query"}}"#;

/// The smallest schema async-graphql serves: one field, never asked for by the bench.
struct Query;

#[Object]
impl Query {
    async fn ready(&self) -> bool {
        true
    }
}

/// The allocator Parley runs on, so that the rows differ by the code they run only.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::var("PARLEY_BIND").unwrap_or_else(|_| "127.0.0.1:8919".to_owned());
    let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
    let app = Router::new()
        .route(
            "/graphql",
            post(|| async { ([(header::CONTENT_TYPE, "application/json")], TYPENAME) }),
        )
        .route("/graphql-floor", post_service(GraphQL::new(schema)))
        .route("/readyz", get(|| async { "ready" }));
    let app = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let dir = std::env::var("BENCH_QUERIES").unwrap_or_else(|_| "bench/queries".into());
            let driver = driver::Driver::connect(&url, &dir).await;
            app.merge(
                Router::new()
                    .route("/driver/session_messages", get(driver::session_messages))
                    .route("/driver/sessions100", get(driver::sessions100))
                    .with_state(driver),
            )
        }
        _ => app,
    };
    let listener = tokio::net::TcpListener::bind(bind).await?;
    axum::serve(listener, app).await
}

/// The driver's ceiling (see the module's comment): the two bench queries without GraphQL.
mod driver {
    use std::collections::HashMap;

    use axum::{
        extract::State,
        http::{StatusCode, header},
        response::IntoResponse,
    };
    use chrono::{DateTime, Utc};
    use sea_orm::sqlx::{self, PgPool, Row, postgres::PgRow};
    use serde::Serialize;
    use serde_json::{Value, json};

    #[derive(Clone)]
    pub struct Driver {
        pool: PgPool,
        session_messages: Vec<String>,
        sessions100: Vec<String>,
    }

    fn statements(dir: &str, query: &str) -> Vec<String> {
        let text = std::fs::read_to_string(format!("{dir}/{query}.sql")).expect("the query's SQL");
        text.lines()
            .filter(|line| !line.starts_with("--") && !line.trim().is_empty())
            .map(|line| line.trim_end_matches(';').to_owned())
            .collect()
    }

    impl Driver {
        pub async fn connect(url: &str, dir: &str) -> Driver {
            // Parley's default pool size on PostgreSQL; Parley's reads skip the ping too.
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(16)
                .test_before_acquire(false)
                .connect(url)
                .await
                .expect("PostgreSQL");
            Driver {
                pool,
                session_messages: statements(dir, "session_messages"),
                sessions100: statements(dir, "sessions100"),
            }
        }
    }

    fn time(row: &PgRow, column: &str) -> String {
        let at: DateTime<Utc> = row.get(column);
        at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }

    fn failed(error: sqlx::Error) -> (StatusCode, String) {
        (StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct MessageNode {
        id: i32,
        role: String,
        content: String,
        created_at: String,
    }

    pub async fn session_messages(
        State(driver): State<Driver>,
    ) -> Result<impl IntoResponse, (StatusCode, String)> {
        let [session, page] = &driver.session_messages[..] else {
            panic!("two statements")
        };
        let session = sqlx::query(sqlx::AssertSqlSafe(session.as_str()))
            .fetch_one(&driver.pool)
            .await
            .map_err(failed)?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(page.as_str()))
            .fetch_all(&driver.pool)
            .await
            .map_err(failed)?;
        let nodes: Vec<MessageNode> = rows
            .iter()
            .take(50)
            .rev()
            .map(|row| MessageNode {
                id: row.get("id"),
                role: row.get::<String, _>("role").to_uppercase(),
                content: row.get("content"),
                created_at: time(row, "created_at"),
            })
            .collect();
        let answer = json!({"data": {"chatSession": {
            "id": session.get::<i32, _>("id"),
            "startTime": time(&session, "start_time"),
            "updatedAt": time(&session, "updated_at"),
            "messages": {"nodes": nodes},
        }}});
        Ok((
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_vec(&answer).unwrap(),
        ))
    }

    /// Rows by id, each as the JSON object of the columns named.
    async fn by_id(
        pool: &PgPool,
        sql: &str,
        columns: &'static [(&'static str, &'static str)],
    ) -> Result<HashMap<i32, Value>, sqlx::Error> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(pool)
            .await?;
        Ok(rows
            .iter()
            .map(|row| {
                let object: serde_json::Map<String, Value> = columns
                    .iter()
                    .map(|(field, column)| {
                        let value = if *column == "id" {
                            json!(row.get::<i32, _>("id"))
                        } else {
                            json!(row.get::<Option<String>, _>(*column))
                        };
                        ((*field).to_owned(), value)
                    })
                    .collect();
                (row.get("id"), Value::Object(object))
            })
            .collect())
    }

    pub async fn sessions100(
        State(driver): State<Driver>,
    ) -> Result<impl IntoResponse, (StatusCode, String)> {
        let [page, models, prompts, characters, profiles] = &driver.sessions100[..] else {
            panic!("five statements")
        };
        let pool = &driver.pool;
        let sessions = sqlx::query(sqlx::AssertSqlSafe(page.as_str()))
            .fetch_all(pool)
            .await
            .map_err(failed)?;
        let (models, prompts, characters, profiles) = futures::try_join!(
            by_id(pool, models, &[("id", "id"), ("label", "label")]),
            by_id(
                pool,
                prompts,
                &[("id", "id"), ("label", "label"), ("content", "content")]
            ),
            by_id(
                pool,
                characters,
                &[
                    ("id", "id"),
                    ("name", "name"),
                    ("avatarImage", "avatar_image")
                ]
            ),
            by_id(pool, profiles, &[("id", "id"), ("name", "name")]),
        )
        .map_err(failed)?;
        let related = |map: &HashMap<i32, Value>, id: Option<i32>| {
            id.and_then(|id| map.get(&id).cloned())
                .unwrap_or(Value::Null)
        };
        let nodes: Vec<Value> = sessions
            .iter()
            .take(100)
            .map(|row| {
                json!({
                    "id": row.get::<i32, _>("id"),
                    "character": related(&characters, row.get("character_id")),
                    "userProfile": related(&profiles, row.get("user_profile_id")),
                    "aiModel": related(&models, row.get("ai_model_id")),
                    "systemPrompt": related(&prompts, row.get("system_prompt_id")),
                })
            })
            .collect();
        let answer = json!({"data": {"chatSessions": {"nodes": nodes}}});
        Ok((
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_vec(&answer).unwrap(),
        ))
    }
}
