//! bench/run's ceiling row: a bare axum server that answers `POST /graphql` with the fixed JSON
//! body Parley answers `{ __typename }` with, on the same framework and runtime, with none of
//! Parley's own stack (auth, limits, metrics, tracing, GraphQL). The gap between Parley's
//! `{ __typename }` row and this one is what that stack costs a request.
//!
//! `cargo run --release --example ceiling` listens on `PARLEY_BIND` (default 127.0.0.1:8919).

use axum::{
    Router,
    http::header,
    routing::{get, post},
};

const TYPENAME: &str = r#"{"data":{"__typename":"Query"}}"#;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::var("PARLEY_BIND").unwrap_or_else(|_| "127.0.0.1:8919".to_owned());
    let app = Router::new()
        .route(
            "/graphql",
            post(|| async { ([(header::CONTENT_TYPE, "application/json")], TYPENAME) }),
        )
        .route("/readyz", get(|| async { "ready" }));
    let listener = tokio::net::TcpListener::bind(bind).await?;
    axum::serve(listener, app).await
}
