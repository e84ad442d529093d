//! The fuzz targets' harness: one Parley, assembled by `parley::build` exactly as `parley serve`
//! assembles it, on a SQLite file in a temporary directory, with requests handed to its router
//! in-process (no socket: a fuzzer runs thousands of inputs a second). The REST operations come
//! from the OpenAPI document the server serves, so a new route is fuzzed without a line here.
//!
//! The server keeps its state between inputs, as a real one does; an input that crashes it may
//! need the inputs before it to crash it again (libFuzzer keeps the corpus that led there).

use std::{net::SocketAddr, sync::LazyLock, time::Duration};

use axum::{
    body::{Body, Bytes},
    extract::ConnectInfo,
    http::{HeaderValue, Method, Request, StatusCode, header},
};
use serde_json::{Value, json};
use tower::ServiceExt;

/// How long a streamed answer (an SSE subscription) is read before it is let go.
const STREAM_READ: Duration = Duration::from_millis(100);

pub struct Harness {
    runtime: tokio::runtime::Runtime,
    router: parley::AppService,
    api_key: String,
    /// Every REST operation of `/openapi.json`.
    pub operations: Vec<RestOperation>,
    /// Ids of rows made at start-up, by path parameter name: what an empty path value stands for.
    seeded: Vec<(String, String)>,
    _directory: tempfile::TempDir,
}

/// One operation of the OpenAPI document.
#[derive(Debug)]
pub struct RestOperation {
    pub method: Method,
    /// The path template, `/api/v1/chats/{chat_id}`.
    pub path: String,
    pub path_parameters: Vec<String>,
    pub query_parameters: Vec<String>,
    /// The request body's media type, when the operation takes one.
    pub body: Option<String>,
    /// The statuses the document says the operation answers.
    pub documented: Vec<u16>,
}

/// What the server answered.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Bytes,
}

impl Answer {
    pub fn is_json(&self) -> bool {
        self.content_type.starts_with("application/json")
            || self
                .content_type
                .starts_with("application/graphql-response+json")
    }

    /// The body as JSON; panics (a finding) when a JSON answer does not parse.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!(
                "a {} answer that says {} is not JSON ({err}): {:?}",
                self.status,
                self.content_type,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

static HARNESS: LazyLock<Harness> = LazyLock::new(Harness::start);

pub fn harness() -> &'static Harness {
    &HARNESS
}

impl Harness {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a Tokio runtime");
        let directory = tempfile::tempdir().expect("a temporary directory");
        let api_key = parley::auth::generate_api_key();
        let mut config = parley::Config {
            database_url: format!(
                "sqlite://{}?mode=rwc",
                directory.path().join("fuzz.db").display()
            ),
            api_key: Some(api_key.clone()),
            ..parley::Config::defaults()
        };
        // Thousands of requests a second from one principal: the rate limiter is not under test.
        config.limits.rate_per_second = u32::MAX / 2;
        config.limits.rate_burst = u32::MAX / 2;
        let app = runtime
            .block_on(parley::build(&config))
            .expect("Parley builds");
        let mut harness = Harness {
            runtime,
            router: app.router,
            api_key,
            operations: Vec::new(),
            seeded: Vec::new(),
            _directory: directory,
        };
        harness.operations = harness.read_openapi();
        assert!(
            !harness.operations.is_empty(),
            "the OpenAPI document has no operations"
        );
        harness.seed();
        harness
    }

    /// The operations of the document the server serves.
    fn read_openapi(&self) -> Vec<RestOperation> {
        let answer = self.send(Request::get("/openapi.json").body(Body::empty()).unwrap());
        assert_eq!(answer.status, StatusCode::OK);
        let spec = oas3::from_json(String::from_utf8_lossy(&answer.body))
            .expect("a valid OpenAPI document");
        let mut operations: Vec<RestOperation> = spec
            .operations()
            .map(|(path, method, operation)| {
                let parameters = operation.parameters(&spec).expect("parameters resolve");
                let named = |location: oas3::spec::ParameterIn| {
                    parameters
                        .iter()
                        .filter(|parameter| parameter.location == location)
                        .map(|parameter| parameter.name.clone())
                        .collect()
                };
                let body = operation
                    .request_body(&spec)
                    .expect("request bodies resolve")
                    .and_then(|body| body.content.keys().next().cloned());
                let documented = operation
                    .responses(&spec)
                    .keys()
                    .filter_map(|status| status.parse().ok())
                    .collect();
                RestOperation {
                    method,
                    path,
                    path_parameters: named(oas3::spec::ParameterIn::Path),
                    query_parameters: named(oas3::spec::ParameterIn::Query),
                    body,
                    documented,
                }
            })
            .collect();
        // The document's order, whatever the map's iteration order: an input means the same
        // operation in every run.
        operations.sort_by(|a, b| (&a.path, a.method.as_str()).cmp(&(&b.path, b.method.as_str())));
        operations
    }

    /// One row of each kind, through the REST surfaces themselves.
    fn seed(&mut self) {
        let post = |path: &str, body: Value| {
            let answer = self.send(self.authorised(
                Request::post(path).header(header::CONTENT_TYPE, "application/json"),
                Body::from(body.to_string()),
            ));
            assert!(answer.status.is_success(), "seeding {path}: {answer:?}");
            answer.json()
        };
        let character = post(
            "/api/v1/characters",
            json!({"name": "Seed", "label": "seed", "first_message": "Hello {{user}}"}),
        );
        let profile = post(
            "/api/v1/user-profiles",
            json!({"label": "me", "name": "Me"}),
        );
        let model = post("/api/v1/ai-models", json!({"label": "model"}));
        let prompt = post(
            "/api/v1/system-prompts",
            json!({"label": "prompt", "content": "Stay in character."}),
        );
        let session = post(
            "/api/v1/chat-sessions",
            json!({"character_id": character["id"], "user_profile_id": profile["id"]}),
        );
        let chat = post("/api/v1/chats", json!({"character_id": character["id"]}));
        let chat_id = chat["id"].as_str().expect("a chat id").to_owned();
        let message = post(
            &format!("/api/v1/chats/{chat_id}/messages"),
            json!({"role": "user", "content": "Hi {{char}}"}),
        );
        let id = |value: &Value| match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        self.seeded = vec![
            ("character_id".into(), id(&character["id"])),
            ("user_profile_id".into(), id(&profile["id"])),
            ("ai_model_id".into(), id(&model["id"])),
            ("system_prompt_id".into(), id(&prompt["id"])),
            ("chat_session_id".into(), id(&session["id"])),
            ("chat_id".into(), chat_id),
            ("message_id".into(), id(&message["id"])),
        ];
    }

    /// `request` with the single-user API key.
    pub fn authorised(&self, request: axum::http::request::Builder, body: Body) -> Request<Body> {
        request
            .header(header::AUTHORIZATION, format!("Bearer {}", self.api_key))
            .body(body)
            .expect("a request")
    }

    /// The id a path parameter stands for when the input gives none.
    pub fn seeded(&self, parameter: &str) -> &str {
        self.seeded
            .iter()
            .find(|(name, _)| name == parameter)
            .map_or("1", |(_, id)| id)
    }

    /// Hands `request` to the router, as the accept loop does, and reads the whole answer (a
    /// stream for [`STREAM_READ`]).
    pub fn send(&self, mut request: Request<Body>) -> Answer {
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 9))));
        self.runtime.block_on(async {
            let response = self
                .router
                .clone()
                .oneshot(request)
                .await
                .expect("the router is infallible");
            let status = response.status();
            let content_type = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|value: &HeaderValue| value.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = tokio::time::timeout(
                STREAM_READ,
                axum::body::to_bytes(response.into_body(), usize::MAX),
            )
            .await
            .map(|read| read.expect("the body reads"))
            .unwrap_or_default();
            Answer {
                status,
                content_type,
                body,
            }
        })
    }
}

/// `text` percent-encoded for a path segment or a query value.
pub fn encoded(text: &[u8]) -> String {
    url::form_urlencoded::byte_serialize(text).collect()
}

/// `data` cut at its first `n - 1` NUL bytes into `n` parts (the missing ones empty): how the
/// targets read several fields from one input.
pub fn fields<const N: usize>(data: &[u8]) -> [&[u8]; N] {
    let mut parts = [&data[..0]; N];
    let mut rest = data;
    for part in parts.iter_mut().take(N - 1) {
        match rest.iter().position(|&byte| byte == 0) {
            Some(at) => {
                *part = &rest[..at];
                rest = &rest[at + 1..];
            }
            None => {
                *part = rest;
                rest = &rest[rest.len()..];
            }
        }
    }
    parts[N - 1] = rest;
    parts
}
