//! `/api/v1/characters`.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiResult, Deleted, ErrorBody, Page, PageParams};
use crate::{
    AppState,
    rest::input::{self, present},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_characters, create_character))
        .routes(routes!(get_character, update_character, delete_character))
}

/// A character, with the fields of the community character-card format.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Character {
    pub id: i32,
    pub label: String,
    pub name: String,
    pub avatar_image: Option<String>,
    pub description: Option<String>,
    pub personality: Option<String>,
    pub scenario: Option<String>,
    pub first_message: Option<String>,
    pub alternate_greetings: Vec<String>,
    pub message_example: Option<String>,
    pub creator_notes: Option<String>,
    pub system_prompt: Option<String>,
    pub post_history_instructions: Option<String>,
    pub tags: Vec<String>,
    pub creator: Option<String>,
    pub character_version: Option<String>,
    #[schema(value_type = Object)]
    pub extensions: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CreateCharacter {
    /// Unique per owner.
    pub label: String,
    pub name: String,
    pub avatar_image: Option<String>,
    pub description: Option<String>,
    pub personality: Option<String>,
    pub scenario: Option<String>,
    pub first_message: Option<String>,
    pub alternate_greetings: Option<Vec<String>>,
    pub message_example: Option<String>,
    pub creator_notes: Option<String>,
    pub system_prompt: Option<String>,
    pub post_history_instructions: Option<String>,
    pub tags: Option<Vec<String>>,
    pub creator: Option<String>,
    pub character_version: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub extensions: Option<Map<String, Value>>,
}

/// A partial update: fields left out stay as they are; `null` clears a nullable field.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct UpdateCharacter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub avatar_image: Option<Option<String>>,
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
    pub personality: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub scenario: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub first_message: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate_greetings: Option<Vec<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub message_example: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub creator_notes: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub system_prompt: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub post_history_instructions: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub creator: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub character_version: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub extensions: Option<Map<String, Value>>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteCharacterParams {
    /// Also delete the chat sessions that use the character (and their messages). Without it,
    /// deleting a character in use is refused with 400 BUSINESS_RULE_ERROR.
    #[serde(default)]
    pub cascade: bool,
}

/// List characters.
#[utoipa::path(
    get, path = "/api/v1/characters", tag = "characters",
    params(PageParams),
    responses((status = 200, body = Page<Character>), (status = 400, body = ErrorBody))
)]
async fn list_characters(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Page<Character>>> {
    let page = input::query(query.as_deref())?;
    super::list(&state, &headers, page, 20, "ListCharacters", Map::new()).await
}

/// One character.
#[utoipa::path(
    get, path = "/api/v1/characters/{character_id}", tag = "characters",
    params(("character_id" = i32, Path, description = "ID of the character")),
    responses((status = 200, body = Character), (status = 404, body = ErrorBody))
)]
async fn get_character(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Character>> {
    let id = input::id("character_id", &id)?;
    super::get(&state, &headers, "GetCharacter", id).await
}

/// Create a character.
#[utoipa::path(
    post, path = "/api/v1/characters", tag = "characters",
    request_body = CreateCharacter,
    responses((status = 201, body = Character), (status = 400, body = ErrorBody))
)]
async fn create_character(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Character>)> {
    super::create::<CreateCharacter, _>(&state, &headers, "CreateCharacter", &body).await
}

/// Update a character (partial).
#[utoipa::path(
    put, path = "/api/v1/characters/{character_id}", tag = "characters",
    params(("character_id" = i32, Path, description = "ID of the character")),
    request_body = UpdateCharacter,
    responses(
        (status = 200, body = Character),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
async fn update_character(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Character>> {
    let id = input::id("character_id", &id)?;
    super::update::<UpdateCharacter, _>(&state, &headers, "UpdateCharacter", id, &body).await
}

/// Delete a character.
#[utoipa::path(
    delete, path = "/api/v1/characters/{character_id}", tag = "characters",
    params(("character_id" = i32, Path, description = "ID of the character"), DeleteCharacterParams),
    responses(
        (status = 200, body = Deleted),
        (status = 400, description = "In use by chat sessions (BUSINESS_RULE_ERROR)", body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
async fn delete_character(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Deleted>> {
    let id = input::id("character_id", &id)?;
    let params: DeleteCharacterParams = input::query(query.as_deref())?;
    let variables = json!({ "id": id, "cascade": params.cascade });
    super::delete(&state, &headers, "DeleteCharacter", variables, "Character").await
}
