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
    let listener = tokio::net::TcpListener::bind(bind).await?;
    axum::serve(listener, app).await
}
