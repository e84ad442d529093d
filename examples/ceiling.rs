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
//! - `GET /minimal/sessions100` and `GET /minimal/session_messages`, with the same `DATABASE_URL`:
//!   the smallest GraphQL server on this stack. The same statements through the same pool, their
//!   rows resolved by async-graphql on a schema of the query's shape into the same answer
//!   (checked byte for byte too), the document parsed once and validated as Parley validates a
//!   cached one; no auth, limits, tracing or metrics, no DataLoader. What any async-graphql server
//!   answering that query from PostgreSQL on this machine can reach: a target above this row is
//!   beyond the stack, and the gap between it and Parley's row is Parley's own.
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
            let minimal = minimal::Minimal::new(driver.clone(), &dir);
            app.merge(
                Router::new()
                    .route("/driver/session_messages", get(driver::session_messages))
                    .route("/driver/sessions100", get(driver::sessions100))
                    .with_state(driver),
            )
            .merge(
                Router::new()
                    .route("/minimal/session_messages", get(minimal::session_messages))
                    .route("/minimal/sessions100", get(minimal::sessions100))
                    .with_state(minimal),
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
        pub(crate) pool: PgPool,
        pub(crate) session_messages: Vec<String>,
        pub(crate) sessions100: Vec<String>,
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

    pub(crate) fn time(row: &PgRow, column: &str) -> String {
        let at: DateTime<Utc> = row.get(column);
        at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }

    pub(crate) fn failed(error: sqlx::Error) -> (StatusCode, String) {
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

/// The smallest GraphQL server on this stack (see the module's comment): the two bench queries'
/// statements through sqlx, their rows resolved by async-graphql on a schema of the query's shape.
mod minimal {
    use std::{collections::HashMap, sync::Arc};

    use async_graphql::{
        Context, EmptyMutation, EmptySubscription, Enum, InputObject, Object, Scalar, ScalarType,
        Schema, SimpleObject, ValidationMode, Value, parser::types::ExecutableDocument,
    };
    use axum::{
        extract::State,
        http::{StatusCode, header},
        response::IntoResponse,
    };
    use chrono::{SecondsFormat, Utc};
    use sea_orm::sqlx::{self, Row, postgres::PgRow};

    use crate::driver::Driver;

    /// Parley's `DateTime` scalar: RFC 3339, UTC, whole seconds unless there is a fraction.
    #[derive(Clone, Copy)]
    struct DateTime(chrono::DateTime<Utc>);

    #[Scalar]
    impl ScalarType for DateTime {
        fn parse(_: Value) -> async_graphql::InputValueResult<Self> {
            Err(async_graphql::InputValueError::custom("output only"))
        }
        fn to_value(&self) -> Value {
            Value::String(self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        }
    }

    #[derive(SimpleObject)]
    struct Character {
        id: i32,
        name: String,
        avatar_image: Option<String>,
    }

    #[derive(SimpleObject)]
    struct UserProfile {
        id: i32,
        name: String,
    }

    #[derive(SimpleObject)]
    struct AiModel {
        id: i32,
        label: String,
    }

    #[derive(SimpleObject)]
    struct SystemPrompt {
        id: i32,
        label: String,
        content: String,
    }

    #[derive(Enum, Clone, Copy, PartialEq, Eq)]
    enum MessageRole {
        User,
        Assistant,
        System,
    }

    #[derive(SimpleObject)]
    struct Message {
        id: i32,
        role: MessageRole,
        content: String,
        created_at: DateTime,
    }

    /// A request's rows, held as Parley's resolvers hold theirs (shared, by id).
    #[derive(Default)]
    struct Data {
        sessions: Vec<Arc<Session>>,
        characters: HashMap<i32, Arc<Character>>,
        profiles: HashMap<i32, Arc<UserProfile>>,
        models: HashMap<i32, Arc<AiModel>>,
        prompts: HashMap<i32, Arc<SystemPrompt>>,
        /// The 50-message query's session, with its newest messages, oldest first.
        session: Option<Arc<Session>>,
        messages: Vec<Arc<Message>>,
    }

    struct Session {
        id: i32,
        character_id: i32,
        user_profile_id: Option<i32>,
        ai_model_id: Option<i32>,
        system_prompt_id: Option<i32>,
        start_time: DateTime,
        updated_at: DateTime,
    }

    fn related<T>(map: &HashMap<i32, Arc<T>>, id: Option<i32>) -> Option<Arc<T>> {
        id.and_then(|id| map.get(&id).cloned())
    }

    #[Object(name = "ChatSession")]
    impl Session {
        async fn id(&self) -> i32 {
            self.id
        }
        async fn start_time(&self) -> DateTime {
            self.start_time
        }
        async fn updated_at(&self) -> DateTime {
            self.updated_at
        }
        async fn character(&self, ctx: &Context<'_>) -> Option<Arc<Character>> {
            related(
                &ctx.data_unchecked::<Arc<Data>>().characters,
                Some(self.character_id),
            )
        }
        async fn user_profile(&self, ctx: &Context<'_>) -> Option<Arc<UserProfile>> {
            related(
                &ctx.data_unchecked::<Arc<Data>>().profiles,
                self.user_profile_id,
            )
        }
        async fn ai_model(&self, ctx: &Context<'_>) -> Option<Arc<AiModel>> {
            related(&ctx.data_unchecked::<Arc<Data>>().models, self.ai_model_id)
        }
        async fn system_prompt(&self, ctx: &Context<'_>) -> Option<Arc<SystemPrompt>> {
            related(
                &ctx.data_unchecked::<Arc<Data>>().prompts,
                self.system_prompt_id,
            )
        }
        async fn messages(&self, ctx: &Context<'_>, last: Option<i32>) -> MessageConnection {
            let all = &ctx.data_unchecked::<Arc<Data>>().messages;
            let last = usize::try_from(last.unwrap_or(50))
                .unwrap_or(0)
                .min(all.len());
            MessageConnection {
                nodes: all[all.len() - last..].to_vec(),
            }
        }
    }

    #[derive(SimpleObject)]
    struct MessageConnection {
        nodes: Vec<Arc<Message>>,
    }

    #[derive(SimpleObject)]
    #[graphql(name = "ChatSessionConnection")]
    struct SessionConnection {
        nodes: Vec<Arc<Session>>,
    }

    #[derive(Enum, Clone, Copy, PartialEq, Eq)]
    enum ChatSessionOrderField {
        Id,
    }

    #[derive(Enum, Clone, Copy, PartialEq, Eq)]
    enum OrderDirection {
        Asc,
        Desc,
    }

    #[derive(InputObject)]
    struct ChatSessionOrder {
        field: ChatSessionOrderField,
        direction: OrderDirection,
    }

    struct Query;

    #[Object]
    impl Query {
        async fn chat_sessions(
            &self,
            ctx: &Context<'_>,
            first: Option<i32>,
            order_by: Option<ChatSessionOrder>,
        ) -> SessionConnection {
            let sessions = &ctx.data_unchecked::<Arc<Data>>().sessions;
            let first = usize::try_from(first.unwrap_or(100)).unwrap_or(0);
            let _ = order_by.map(|order| (order.field, order.direction));
            SessionConnection {
                nodes: sessions.iter().take(first).cloned().collect(),
            }
        }
        async fn chat_session(&self, ctx: &Context<'_>, id: i32) -> Option<Arc<Session>> {
            let session = ctx.data_unchecked::<Arc<Data>>().session.clone();
            session.filter(|session| session.id == id)
        }
    }

    #[derive(Clone)]
    pub struct Minimal {
        driver: Driver,
        schema: Schema<Query, EmptyMutation, EmptySubscription>,
        sessions100: Arc<ExecutableDocument>,
        session_messages: Arc<ExecutableDocument>,
    }

    /// A session row; its times only when the statement reads them (`with_times`): the 100
    /// sessions' page reads just the columns its query shows, as Parley's does.
    fn session(row: &PgRow, with_times: bool) -> Session {
        let time = |column: &str| match with_times {
            true => DateTime(row.get(column)),
            false => DateTime(Default::default()),
        };
        Session {
            id: row.get("id"),
            character_id: row.get("character_id"),
            user_profile_id: row.get("user_profile_id"),
            ai_model_id: row.get("ai_model_id"),
            system_prompt_id: row.get("system_prompt_id"),
            start_time: time("start_time"),
            updated_at: time("updated_at"),
        }
    }

    async fn rows(driver: &Driver, sql: &str) -> Result<Vec<PgRow>, sqlx::Error> {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&driver.pool)
            .await
    }

    fn document(dir: &str, query: &str) -> Arc<ExecutableDocument> {
        let path = format!("{dir}/{query}.graphql");
        let text = std::fs::read_to_string(&path).expect("the bench query");
        Arc::new(async_graphql::parser::parse_query(text).expect("a valid query"))
    }

    /// The 100 sessions' rows and their relations, through the driver's statements, run as it
    /// runs them (the page, then the four lookups side by side).
    async fn fetch_sessions100(driver: &Driver) -> Result<Data, sqlx::Error> {
        let [page, models, prompts, characters, profiles] = &driver.sessions100[..] else {
            panic!("five statements")
        };
        let sessions = rows(driver, page).await?;
        let (models, prompts, characters, profiles) = futures::try_join!(
            rows(driver, models),
            rows(driver, prompts),
            rows(driver, characters),
            rows(driver, profiles),
        )?;
        Ok(Data {
            sessions: sessions
                .iter()
                .take(100)
                .map(|row| Arc::new(session(row, false)))
                .collect(),
            characters: characters
                .iter()
                .map(|row| {
                    let character = Character {
                        id: row.get("id"),
                        name: row.get("name"),
                        avatar_image: row.get("avatar_image"),
                    };
                    (character.id, Arc::new(character))
                })
                .collect(),
            profiles: profiles
                .iter()
                .map(|row| {
                    let profile = UserProfile {
                        id: row.get("id"),
                        name: row.get("name"),
                    };
                    (profile.id, Arc::new(profile))
                })
                .collect(),
            models: models
                .iter()
                .map(|row| {
                    let model = AiModel {
                        id: row.get("id"),
                        label: row.get("label"),
                    };
                    (model.id, Arc::new(model))
                })
                .collect(),
            prompts: prompts
                .iter()
                .map(|row| {
                    let prompt = SystemPrompt {
                        id: row.get("id"),
                        label: row.get("label"),
                        content: row.get("content"),
                    };
                    (prompt.id, Arc::new(prompt))
                })
                .collect(),
            ..Data::default()
        })
    }

    /// The session and its newest 50 messages, oldest first, through the driver's statements.
    async fn fetch_session_messages(driver: &Driver) -> Result<Data, sqlx::Error> {
        let [session_sql, messages] = &driver.session_messages[..] else {
            panic!("two statements")
        };
        let session = rows(driver, session_sql).await?;
        let mut newest: Vec<_> = rows(driver, messages)
            .await?
            .iter()
            .take(50)
            .map(|row| {
                let role = match row.get::<&str, _>("role") {
                    "user" => MessageRole::User,
                    "assistant" => MessageRole::Assistant,
                    _ => MessageRole::System,
                };
                Arc::new(Message {
                    id: row.get("id"),
                    role,
                    content: row.get("content"),
                    created_at: DateTime(row.get("created_at")),
                })
            })
            .collect();
        newest.reverse();
        Ok(Data {
            session: session
                .first()
                .map(|row| Arc::new(self::session(row, true))),
            messages: newest,
            ..Data::default()
        })
    }

    impl Minimal {
        pub fn new(driver: Driver, dir: &str) -> Minimal {
            Minimal {
                driver,
                schema: Schema::build(Query, EmptyMutation, EmptySubscription)
                    .validation_mode(ValidationMode::Fast)
                    .finish(),
                sessions100: document(dir, "sessions100"),
                session_messages: document(dir, "session_messages"),
            }
        }

        /// Executes `document` on `data`, as Parley executes a cached document.
        async fn answer(
            &self,
            document: &ExecutableDocument,
            data: Result<Data, sqlx::Error>,
        ) -> Result<impl IntoResponse + use<>, (StatusCode, String)> {
            let data = data.map_err(crate::driver::failed)?;
            let mut request = async_graphql::Request::new(String::new()).data(Arc::new(data));
            request.set_parsed_query(document.clone());
            let response = self.schema.execute(request).await;
            Ok((
                [(header::CONTENT_TYPE, "application/json")],
                serde_json::to_vec(&response).expect("a GraphQL answer"),
            ))
        }
    }

    pub async fn sessions100(
        State(minimal): State<Minimal>,
    ) -> Result<impl IntoResponse, (StatusCode, String)> {
        let data = fetch_sessions100(&minimal.driver).await;
        minimal.answer(&minimal.sessions100, data).await
    }

    pub async fn session_messages(
        State(minimal): State<Minimal>,
    ) -> Result<impl IntoResponse, (StatusCode, String)> {
        let data = fetch_session_messages(&minimal.driver).await;
        minimal.answer(&minimal.session_messages, data).await
    }
}
