//! Parley: a GraphQL gateway, with REST compatibility, for character chat sessions.
//!
//! [`build`] turns a [`Config`] into a ready [`App`] (database connected and migrated, schema
//! built, router assembled); `main.rs` and the tests both start Parley through it.

pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
mod graphiql;
pub mod graphql;
pub mod llm;
pub mod metrics;
pub mod rest;
pub mod serve;
pub mod service;
pub mod throttle;

use axum::{
    Router,
    extract::State,
    http::{HeaderName, HeaderValue, header},
    middleware,
    response::{IntoResponse, Response},
    routing::get,
};
use sea_orm::DatabaseConnection;
use std::{convert::Infallible, sync::Arc, time::Duration};
use tower::{ServiceBuilder, util::BoxCloneSyncService};
use tower_http::{
    cors::{AllowMethods, AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

pub use config::Config;
use error::ErrorCode;

/// What every handler shares: a handle, cloned for every request and extractor, on parts that are
/// built once (one reference count to bump, not one per part: the clones and their drops showed in
/// the profile of the 50-messages query).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub db: DatabaseConnection,
    /// The hot read paths' way to `db` (lists and DataLoaders).
    pub reader: db::Reader,
    pub graphql: graphql::Engine,
    pub auth: auth::Authenticator,
    pub providers: llm::Providers,
    pub events: events::Events,
    pub metrics: metrics::Metrics,
    /// The REST surfaces' GraphQL operations, parsed once.
    pub operations: rest::forward::Operations,
    /// Open WebSockets per account, and their limits.
    pub sockets: graphql::ws::OpenSockets,
    pub socket_limits: graphql::ws::SocketLimits,
    /// Surface B's legacy `/complete`: 5 calls a second per (account, chat).
    pub complete_limiter: throttle::Throttle<(i32, uuid::Uuid)>,
}

/// A ready-to-serve Parley.
pub struct App {
    pub router: AppService,
    pub state: AppState,
    /// The single-user account, and its API key when one was generated just now.
    pub single_user: auth::api_key::SingleUser,
}

/// Connects to the database (migrating it), makes sure the single-user account has a key, and
/// assembles the router.
pub async fn build(config: &Config) -> anyhow::Result<App> {
    let metrics = metrics::Metrics::new();
    let db = db::connect(&config.database_url, config.db_max_connections, &metrics).await?;
    let single_user = auth::bootstrap_single_user(&db, config.api_key.as_deref()).await?;
    // Model providers speak HTTPS through rustls with ring; installing it twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let authenticator = auth::Authenticator::new(db.clone(), config)?;
    let providers = llm::Providers::new(&config.providers, metrics.clone());
    let events = events::Events::start(db.clone(), &config.database_url).await?;
    let reader = db::Reader::new(db.clone(), metrics.clone());
    let state = AppState(Arc::new(Shared {
        graphql: graphql::build_schema(graphql::SchemaData {
            reader: reader.clone(),
            authenticator: authenticator.clone(),
            providers: providers.clone(),
            events: events.clone(),
            limits: config.limits.clone(),
            metrics: metrics.clone(),
        }),
        auth: authenticator,
        providers,
        events,
        db,
        reader,
        metrics,
        operations: rest::forward::Operations::load(),
        sockets: graphql::ws::OpenSockets::default(),
        socket_limits: graphql::ws::SocketLimits {
            init_timeout: Duration::from_secs(config.limits.ws_init_timeout_seconds),
            max_per_principal: config.limits.ws_max_per_principal,
            max_message_bytes: config.limits.max_body_bytes,
        },
        complete_limiter: throttle::Throttle::per_second(
            std::num::NonZeroU32::new(5).expect("5 is not zero"),
        ),
    }));
    Ok(App {
        router: router(state.clone(), config),
        state,
        single_user,
    })
}

/// The whole app as one service: the per-request stack around the router, built once. Cloned
/// for every request (as hyper serves them), so what it holds is cheap to clone.
pub type AppService = BoxCloneSyncService<axum::extract::Request, Response, Infallible>;

/// The stack wraps the router once, not each route: axum applies a `Router::layer` to every
/// route separately, so each request cloned the whole stack with its route, and again inside
/// every `middleware::from_fn` (on `{ __typename }` the middleware were a fifth of the CPU,
/// bench/RESULTS.md). Only the route template for the HTTP metrics is taken on the routes, where
/// it is known.
fn router(state: AppState, config: &Config) -> AppService {
    let stack = ServiceBuilder::new()
        .map_response(IntoResponse::into_response)
        // Every request gets an id (the caller's `x-request-id`, or a new UUID): in the logs of
        // its span, and echoed in the response.
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(request_span as fn(&_) -> _))
        .layer(PropagateRequestIdLayer::x_request_id())
        // No answer is to be sniffed into another type than the one it says it is.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(metrics::TrackHttpLayer(state.metrics.clone()))
        .layer(cors(&config.cors_origins))
        // Outside the limits, so it sees the answers they give.
        .layer(middleware::map_response(limit_error_body))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(config.limits.request_timeout_seconds),
        ))
        // The limits below are the only ones: axum's own default (2 MB for extractors) would
        // refuse card uploads that PARLEY_MAX_UPLOAD_BYTES allows.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(
            BodyLimits {
                body: config.limits.max_body_bytes,
                upload: config.limits.max_upload_bytes,
            },
            limit_body,
        ))
        // Routing happens after this, so the path is rewritten before it.
        .map_request(trim_api_trailing_slash as fn(_) -> _)
        .service(routes(state));
    BoxCloneSyncService::new(stack)
}

/// Each request's span, with its id.
fn request_span(request: &axum::extract::Request) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!("request", method = %request.method(), uri = %request.uri(), request_id = %id)
}

/// Every REST route answers with and without a trailing slash, as the origin projects' do
/// (Flask-RESTX routes end in `/`, FastAPI redirects to the slashed form): the slash is trimmed
/// before routing, so the routes are declared (and documented) once, without it. Only under
/// `/api/`: the docs page lives at `/docs/` and redirects `/docs` there.
fn trim_api_trailing_slash(mut request: axum::extract::Request) -> axum::extract::Request {
    let uri = request.uri();
    let path = uri.path();
    if path.len() > "/api/".len() && path.starts_with("/api/") && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let path_and_query = match uri.query() {
            Some(query) => format!("{trimmed}?{query}"),
            None => trimmed.to_owned(),
        };
        let mut parts = uri.clone().into_parts();
        if let Ok(path_and_query) = path_and_query.parse() {
            parts.path_and_query = Some(path_and_query);
            if let Ok(uri) = axum::http::Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
    }
    request
}

fn routes(state: AppState) -> Router {
    let (rest, openapi) = rest::router().split_for_parts();
    // Swagger UI's assets are vendored into the binary; `validatorUrl: none` keeps the page from
    // sending the document to an online validator: nothing leaves the machine.
    let docs = SwaggerUi::new("/docs")
        .url("/openapi.json", openapi)
        .config(SwaggerConfig::from("/openapi.json").validator_url("none"));
    // The docs page loads nothing from elsewhere; its own script and styles only.
    let docs = Router::<AppState>::from(docs).layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
             object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        ),
    ));
    Router::new()
        .route(
            "/graphql",
            get(graphql::http::get).post(graphql::http::post),
        )
        .merge(graphiql::router())
        .route("/graphql/ws", get(graphql::ws::upgrade))
        .route("/metrics", get(metrics_handler))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(rest)
        .merge(docs)
        .fallback(not_found)
        .route_layer(metrics::RouteTemplateLayer)
        .with_state(state)
}

#[derive(Clone, Copy)]
struct BodyLimits {
    body: usize,
    upload: usize,
}

/// The routes that read uploads (character cards): a `multipart/form-data` POST to one of them
/// may be up to PARLEY_MAX_UPLOAD_BYTES; every other body, whatever its content type, keeps
/// PARLEY_MAX_BODY_BYTES.
const UPLOAD_ROUTES: &[&str] = &["/graphql", "/api/v1/characters/import"];

/// Request bodies are limited to PARLEY_MAX_BODY_BYTES, or PARLEY_MAX_UPLOAD_BYTES for an upload
/// to a route that reads one; past it, 413. A declared length is refused before reading; a
/// streamed body is cut off where it passes the limit. The limit follows what the route reads,
/// not the content type a client chose.
///
/// tower-http's `RequestBodyLimitLayer` does the same with one fixed limit; choosing between two
/// of them per request with tower's `Steer` does not fit axum's layers (its service would not be
/// `Sync`), so this applies `http_body_util::Limited`, the body tower-http's layer uses, itself.
async fn limit_body(
    State(limits): State<BodyLimits>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/form-data"));
    let path = request.uri().path();
    let upload = multipart
        && request.method() == axum::http::Method::POST
        && UPLOAD_ROUTES.contains(&path.strip_suffix('/').unwrap_or(path));
    let limit = if upload { limits.upload } else { limits.body };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let request =
        request.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, limit)));
    next.run(request).await
}

/// `GET /healthz`: the process is up.
async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers and every migration is applied (503 otherwise), so a load
/// balancer sends traffic only to replicas that can serve it.
async fn readyz(State(state): State<AppState>) -> Response {
    use migration::MigratorTrait;
    let pending = match migration::Migrator::get_pending_migrations(&state.db).await {
        Ok(pending) => pending.len(),
        Err(e) => {
            // The detail is for the operator's log, not for whoever asks.
            tracing::warn!(error = %e, "readiness: the database does not answer");
            let body = serde_json::json!({ "status": "unavailable", "database": "unreachable" });
            return (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(body),
            )
                .into_response();
        }
    };
    if pending > 0 {
        let body = serde_json::json!({ "status": "unavailable", "pending_migrations": pending });
        return (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(body),
        )
            .into_response();
    }
    axum::Json(serde_json::json!({ "status": "ready" })).into_response()
}

/// CORS for the configured origins: `*` is any origin, `scheme://host:*` that host on any port,
/// anything else one exact origin (credentials are headers, never cookies, so no origin gets them
/// by CORS); none configured means no CORS headers at all.
fn cors(origins: &[String]) -> CorsLayer {
    if origins.is_empty() {
        return CorsLayer::new();
    }
    let allowed = if origins.iter().any(|origin| origin == "*") {
        AllowOrigin::any()
    } else {
        let origins = origins.to_vec();
        AllowOrigin::predicate(move |origin, _| {
            let Ok(origin) = origin.to_str() else {
                return false;
            };
            origins
                .iter()
                .any(|allowed| match allowed.strip_suffix(":*") {
                    // Any port, the scheme's default (none written) included.
                    Some(host) => origin.strip_prefix(host).is_some_and(|rest| {
                        rest.is_empty()
                            || rest.strip_prefix(':').is_some_and(|port| {
                                (1..=5).contains(&port.len())
                                    && port.bytes().all(|b| b.is_ascii_digit())
                            })
                    }),
                    None => allowed.eq_ignore_ascii_case(origin),
                })
        })
    };
    CorsLayer::new()
        .allow_origin(allowed)
        .allow_methods(AllowMethods::any())
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("x-api-key"),
        ])
        .max_age(Duration::from_secs(600))
}

/// The body limit (413) and the timeout (408) answer before any handler, with an empty body; give
/// them a JSON one that every surface's clients can read.
async fn limit_error_body(response: Response) -> Response {
    let (code, message) = match response.status() {
        axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
            (ErrorCode::PayloadTooLarge, "request body too large")
        }
        axum::http::StatusCode::REQUEST_TIMEOUT => {
            (ErrorCode::RequestTimeout, "request took too long")
        }
        _ => return response,
    };
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if is_json {
        return response;
    }
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }],
        "error": { "code": code, "message": message, "details": {} },
        "detail": message,
    });
    (response.status(), axum::Json(body)).into_response()
}

/// Any other path: 404, in JSON.
async fn not_found() -> Response {
    let body = serde_json::json!({
        "error": { "code": "RESOURCE_NOT_FOUND", "message": "no such route", "details": {} }
    });
    (axum::http::StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

/// `GET /metrics`: Prometheus text format.
async fn metrics_handler(State(state): State<AppState>) -> impl IntoResponse {
    state.metrics.observe_pool(&state.db);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
