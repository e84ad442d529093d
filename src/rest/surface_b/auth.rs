//! `/api/v1/auth/register` and `/api/v1/auth/login` (multi-user mode), FastAPI-shaped like the rest
//! of surface B.

use std::net::SocketAddr;

use axum::{
    Extension, Json,
    body::Bytes,
    extract::{ConnectInfo, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{Detail, DetailResult};
use crate::{AppState, auth::ClientAddress, rest::input};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct Token {
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
}

#[derive(Deserialize)]
struct Issued {
    token: Token,
}

/// Create an account and get a token for it.
#[utoipa::path(
    post, path = "/api/v1/auth/register", tag = "auth", security(()),
    request_body = Credentials,
    responses(
        (status = 201, body = Token),
        (status = 403, description = "Registration is closed (PARLEY_REGISTRATION)", body = Detail),
        (status = 409, description = "Username taken, or not in multi-user mode", body = Detail),
        (status = 422, body = Detail),
    )
)]
async fn register(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: Bytes,
) -> DetailResult<(StatusCode, Json<Token>)> {
    let token = issue(&state, "Register", connect, &body).await?;
    Ok((StatusCode::CREATED, Json(token)))
}

/// Get a token for an account's username and password.
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "auth", security(()),
    request_body = Credentials,
    responses(
        (status = 200, body = Token),
        (status = 401, description = "Incorrect username or password", body = Detail),
        (status = 409, description = "Not in multi-user mode", body = Detail),
        (status = 422, body = Detail),
    )
)]
async fn login(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: Bytes,
) -> DetailResult<Json<Token>> {
    Ok(Json(issue(&state, "Login", connect, &body).await?))
}

/// Runs `Register` or `Login` on the body's credentials, from the client's address.
async fn issue(
    state: &AppState,
    operation: &str,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: &[u8],
) -> DetailResult<Token> {
    let body: Credentials = input::json(body)?;
    let variables = json!({ "username": body.username, "password": body.password });
    let issued: Issued = state
        .forward_anonymous(operation, variables, ClientAddress::of(connect))
        .await?;
    Ok(issued.token)
}
