//! `/api/v1/chat-sessions`, exactly as chat-sessions-api.md shows it.

use super::Caller;
use async_graphql::Value as GraphQLValue;
use axum::{Json, body::Bytes, extract::RawQuery, http::StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiResult, Deleted, ErrorBody, Page, PageParams, PathId};
use crate::{
    AppState,
    rest::input,
    service::session::{CreateChatSessionInput, UpdateChatSessionInput},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_chat_sessions, create_chat_session))
        .routes(routes!(
            get_chat_session,
            update_chat_session,
            delete_chat_session
        ))
}

/// The fields every chat session object has.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ChatSessionFields {
    pub id: i32,
    pub character_id: i32,
    pub user_profile_id: Option<i32>,
    pub ai_model_id: Option<i32>,
    pub system_prompt_id: Option<i32>,
    pub pre_prompt: Option<String>,
    pub pre_prompt_enabled: bool,
    pub post_prompt: Option<String>,
    pub post_prompt_enabled: bool,
    /// RFC 3339, UTC.
    pub start_time: String,
    pub updated_at: String,
}

/// A session in a list, and as created.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ChatSessionSummary {
    #[serde(flatten)]
    pub fields: ChatSessionFields,
    pub character: CharacterBrief,
    pub user_profile: Option<UserProfileBrief>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CharacterBrief {
    pub id: i32,
    pub name: String,
    pub avatar_image: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct UserProfileBrief {
    pub id: i32,
    pub name: String,
}

/// One session with its relations.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ChatSessionDetail {
    #[serde(flatten)]
    pub fields: ChatSessionFields,
    pub character: CharacterDetail,
    pub user_profile: Option<UserProfileDetail>,
    pub ai_model: Option<AiModelDetail>,
    pub system_prompt: Option<SystemPromptDetail>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CharacterDetail {
    pub id: i32,
    pub label: String,
    pub name: String,
    pub avatar_image: Option<String>,
    pub description: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct UserProfileDetail {
    pub id: i32,
    pub label: String,
    pub name: String,
    pub avatar_image: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct AiModelDetail {
    pub id: i32,
    pub label: String,
    pub description: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct SystemPromptDetail {
    pub id: i32,
    pub label: String,
    pub content: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChatSessionListParams {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, maximum = 10_000_000)]
    pub page: Option<i64>,
    /// Items per page (default 20, at most 100).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
    /// Only sessions with this user profile.
    pub user_profile_id: Option<i32>,
    /// Only sessions with this character.
    pub character_id: Option<i32>,
}

/// List chat sessions, optionally by user profile and/or character.
#[utoipa::path(
    get, path = "/api/v1/chat-sessions", tag = "chat-sessions",
    params(ChatSessionListParams),
    responses(
        (status = 200, body = Page<ChatSessionSummary>),
        (status = 400, description = "Bad page, per_page or filter", body = ErrorBody),
        (status = 401, body = ErrorBody),
    )
)]
async fn list_chat_sessions(
    caller: Caller,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Page<GraphQLValue>>> {
    let params: ChatSessionListParams = input::query(query.as_deref())?;
    let mut variables = Map::new();
    variables.insert(
        "filter".into(),
        json!({ "userProfileId": params.user_profile_id, "characterId": params.character_id }),
    );
    let page = PageParams {
        page: params.page,
        per_page: params.per_page,
    };
    super::list::<ChatSessionSummary>(&caller, page, 20, "ListChatSessions", variables).await
}

/// One chat session with its character, user profile, AI model and system prompt.
#[utoipa::path(
    get, path = "/api/v1/chat-sessions/{chat_session_id}", tag = "chat-sessions",
    params(("chat_session_id" = i32, Path, minimum = 1, description = "ID of the chat session")),
    responses(
        (status = 200, body = ChatSessionDetail),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
async fn get_chat_session(
    caller: Caller,
    PathId(id): PathId,
) -> ApiResult<Json<ChatSessionDetail>> {
    super::get(&caller, "GetChatSession", id).await
}

/// Create a chat session.
#[utoipa::path(
    post, path = "/api/v1/chat-sessions", tag = "chat-sessions",
    request_body = CreateChatSessionInput,
    responses(
        (status = 201, body = ChatSessionSummary),
        (status = 400, body = ErrorBody),
        (status = 404, description = "A referenced character, profile, model or prompt does not exist", body = ErrorBody),
    )
)]
async fn create_chat_session(
    caller: Caller,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ChatSessionSummary>)> {
    super::create::<CreateChatSessionInput, _>(&caller, "CreateChatSession", &body).await
}

/// Update a chat session (partial).
#[utoipa::path(
    put, path = "/api/v1/chat-sessions/{chat_session_id}", tag = "chat-sessions",
    params(("chat_session_id" = i32, Path, minimum = 1, description = "ID of the chat session")),
    request_body = UpdateChatSessionInput,
    responses(
        (status = 200, body = ChatSessionFields),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
async fn update_chat_session(
    caller: Caller,
    PathId(id): PathId,
    body: Bytes,
) -> ApiResult<Json<ChatSessionFields>> {
    super::update::<UpdateChatSessionInput, _>(&caller, "UpdateChatSession", id, &body).await
}

/// Delete a chat session and all of its messages.
#[utoipa::path(
    delete, path = "/api/v1/chat-sessions/{chat_session_id}", tag = "chat-sessions",
    params(("chat_session_id" = i32, Path, minimum = 1, description = "ID of the chat session")),
    responses(
        (status = 200, body = Deleted),
        (status = 404, body = ErrorBody),
    )
)]
async fn delete_chat_session(caller: Caller, PathId(id): PathId) -> ApiResult<Json<Deleted>> {
    let variables = json!({ "id": id });
    super::delete(&caller, "DeleteChatSession", variables, "Chat session").await
}
