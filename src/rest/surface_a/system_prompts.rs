//! `/api/v1/system-prompts`.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiResult, Deleted, ErrorBody, Page, PageParams};
use crate::{AppState, rest::input};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_system_prompts, create_system_prompt))
        .routes(routes!(
            get_system_prompt,
            update_system_prompt,
            delete_system_prompt
        ))
}

/// A system prompt sessions can use.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SystemPrompt {
    pub id: i32,
    pub label: String,
    pub content: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CreateSystemPrompt {
    /// Unique per owner.
    pub label: String,
    pub content: String,
}

/// A partial update: fields left out stay as they are; `null` clears a nullable field.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct UpdateSystemPrompt {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// List system prompts.
#[utoipa::path(
    get, path = "/api/v1/system-prompts", tag = "system-prompts",
    params(PageParams),
    responses((status = 200, body = Page<SystemPrompt>), (status = 400, body = ErrorBody))
)]
async fn list_system_prompts(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Page<SystemPrompt>>> {
    let page = input::query(query.as_deref())?;
    super::list(&state, &headers, page, 20, "ListSystemPrompts", Map::new()).await
}

/// One system prompt.
#[utoipa::path(
    get, path = "/api/v1/system-prompts/{system_prompt_id}", tag = "system-prompts",
    params(("system_prompt_id" = i32, Path, description = "ID of the system prompt")),
    responses((status = 200, body = SystemPrompt), (status = 404, body = ErrorBody))
)]
async fn get_system_prompt(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<SystemPrompt>> {
    let id = input::id("system_prompt_id", &id)?;
    super::get(&state, &headers, "GetSystemPrompt", id).await
}

/// Create a system prompt.
#[utoipa::path(
    post, path = "/api/v1/system-prompts", tag = "system-prompts",
    request_body = CreateSystemPrompt,
    responses((status = 201, body = SystemPrompt), (status = 400, body = ErrorBody))
)]
async fn create_system_prompt(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<SystemPrompt>)> {
    super::create::<CreateSystemPrompt, _>(&state, &headers, "CreateSystemPrompt", &body).await
}

/// Update a system prompt (partial).
#[utoipa::path(
    put, path = "/api/v1/system-prompts/{system_prompt_id}", tag = "system-prompts",
    params(("system_prompt_id" = i32, Path, description = "ID of the system prompt")),
    request_body = UpdateSystemPrompt,
    responses(
        (status = 200, body = SystemPrompt),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
async fn update_system_prompt(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<SystemPrompt>> {
    let id = input::id("system_prompt_id", &id)?;
    super::update::<UpdateSystemPrompt, _>(&state, &headers, "UpdateSystemPrompt", id, &body).await
}

/// Delete a system prompt; sessions that used it keep going without one.
#[utoipa::path(
    delete, path = "/api/v1/system-prompts/{system_prompt_id}", tag = "system-prompts",
    params(("system_prompt_id" = i32, Path, description = "ID of the system prompt")),
    responses((status = 200, body = Deleted), (status = 404, body = ErrorBody))
)]
async fn delete_system_prompt(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Deleted>> {
    let id = input::id("system_prompt_id", &id)?;
    let variables = json!({ "id": id });
    super::delete(
        &state,
        &headers,
        "DeleteSystemPrompt",
        variables,
        "System prompt",
    )
    .await
}
