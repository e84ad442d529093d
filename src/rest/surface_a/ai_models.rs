//! `/api/v1/ai-models`.

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
use crate::{
    AppState,
    rest::input::{self, present},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_ai_models, create_ai_model))
        .routes(routes!(get_ai_model, update_ai_model, delete_ai_model))
}

/// A model on a provider, with its default parameters.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct AiModel {
    pub id: i32,
    pub label: String,
    pub description: Option<String>,
    /// A configured provider's name; null means the default provider.
    pub provider: Option<String>,
    /// The model name the provider knows; null means the label.
    pub model_name: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<i32>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CreateAiModel {
    /// Unique per owner.
    pub label: String,
    pub description: Option<String>,
    pub provider: Option<String>,
    pub model_name: Option<String>,
    /// 0 to 2.
    pub temperature: Option<f64>,
    /// At least 1.
    pub max_tokens: Option<i32>,
}

/// A partial update: fields left out stay as they are; `null` clears a nullable field.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct UpdateAiModel {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub provider: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub model_name: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<f64>)]
    pub temperature: Option<Option<f64>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<i32>)]
    pub max_tokens: Option<Option<i32>>,
}

/// List AI models.
#[utoipa::path(
    get, path = "/api/v1/ai-models", tag = "ai-models",
    params(PageParams),
    responses((status = 200, body = Page<AiModel>), (status = 400, body = ErrorBody))
)]
async fn list_ai_models(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Page<AiModel>>> {
    let page = input::query(query.as_deref())?;
    super::list(&state, &headers, page, 20, "ListAiModels", Map::new()).await
}

/// One AI model.
#[utoipa::path(
    get, path = "/api/v1/ai-models/{ai_model_id}", tag = "ai-models",
    params(("ai_model_id" = i32, Path, description = "ID of the AI model")),
    responses((status = 200, body = AiModel), (status = 404, body = ErrorBody))
)]
async fn get_ai_model(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<AiModel>> {
    let id = input::id("ai_model_id", &id)?;
    super::get(&state, &headers, "GetAiModel", id).await
}

/// Create an AI model.
#[utoipa::path(
    post, path = "/api/v1/ai-models", tag = "ai-models",
    request_body = CreateAiModel,
    responses((status = 201, body = AiModel), (status = 400, body = ErrorBody))
)]
async fn create_ai_model(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<AiModel>)> {
    super::create::<CreateAiModel, _>(&state, &headers, "CreateAiModel", &body).await
}

/// Update an AI model (partial).
#[utoipa::path(
    put, path = "/api/v1/ai-models/{ai_model_id}", tag = "ai-models",
    params(("ai_model_id" = i32, Path, description = "ID of the AI model")),
    request_body = UpdateAiModel,
    responses(
        (status = 200, body = AiModel),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
async fn update_ai_model(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<AiModel>> {
    let id = input::id("ai_model_id", &id)?;
    super::update::<UpdateAiModel, _>(&state, &headers, "UpdateAiModel", id, &body).await
}

/// Delete an AI model; sessions that used it keep going without one.
#[utoipa::path(
    delete, path = "/api/v1/ai-models/{ai_model_id}", tag = "ai-models",
    params(("ai_model_id" = i32, Path, description = "ID of the AI model")),
    responses((status = 200, body = Deleted), (status = 404, body = ErrorBody))
)]
async fn delete_ai_model(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Deleted>> {
    let id = input::id("ai_model_id", &id)?;
    let variables = json!({ "id": id });
    super::delete(&state, &headers, "DeleteAiModel", variables, "AI model").await
}
