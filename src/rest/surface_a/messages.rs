//! Messages: `/api/v1/chat-sessions/{id}/messages` (surface A) and `/api/v1/messages/{id}`, which
//! both surfaces share: its message object carries the fields of both, it takes surface B's
//! optional `expected_version` (409 on mismatch), and its errors carry both surfaces' keys
//! (`{"error": {...}, "detail": "..."}`, with surface A's status codes). DELETE is soft: the
//! message is hidden everywhere.

use super::{Caller, SharedCaller, SharedError};
use async_graphql::Value as GraphQLValue;
use axum::{Json, body::Bytes, extract::RawQuery, http::StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiError, ApiResult, Deleted, ErrorBody, ItemData, Page, PageParams, PathId};
use crate::{AppState, rest::input};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_session_messages, create_session_message))
        .routes(routes!(get_message, update_message, delete_message))
        .routes(routes!(regenerate_reply))
}

/// Who said it, as model APIs name it.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
    System,
}

impl Role {
    /// The GraphQL `MessageRole` value.
    fn graphql(self) -> &'static str {
        match self {
            Role::User => "USER",
            Role::Assistant => "ASSISTANT",
            Role::System => "SYSTEM",
        }
    }
}

/// A message of a chat session.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SessionMessage {
    pub id: i32,
    pub chat_session_id: i32,
    pub role: Role,
    pub content: String,
    /// When it was written; RFC 3339, UTC.
    pub timestamp: String,
}

/// A message as `/api/v1/messages/{id}` answers it, with the fields of both surfaces.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Message {
    pub id: i32,
    pub chat_session_id: i32,
    /// The session's uuid (surface B's chat id).
    pub conversation_id: String,
    pub role: Role,
    /// The same as `role` (surface B's name for it).
    pub sender: Role,
    pub content: String,
    pub timestamp: String,
    /// Adds one on every update.
    pub version: i32,
}

/// A user message and the AI model's reply (when the session has a model).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SessionTurn {
    pub user_message: SessionMessage,
    pub ai_message: SessionMessage,
}

/// What adding a message answers: the message, or with an AI model the turn.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum PostedMessage {
    Turn(SessionTurn),
    Message(SessionMessage),
}

#[derive(Deserialize)]
struct SessionModel {
    ai_model_id: Option<i32>,
}

#[derive(Deserialize, ToSchema)]
pub struct CreateMessage {
    /// Default `user`.
    pub role: Option<Role>,
    pub content: String,
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateMessage {
    pub role: Option<Role>,
    pub content: Option<String>,
    /// Apply only if the message still has this version (else 409); the query parameter of the
    /// same name works too.
    pub expected_version: Option<i32>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionParams {
    /// Apply only if the message still has this version (else 409).
    pub expected_version: Option<i32>,
}

/// The messages of a chat session, oldest first.
#[utoipa::path(
    get, path = "/api/v1/chat-sessions/{chat_session_id}/messages", tag = "messages",
    params(("chat_session_id" = i32, Path, minimum = 1, description = "ID of the chat session"), PageParams),
    responses(
        (status = 200, description = "per_page defaults to 50", body = Page<SessionMessage>),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
async fn list_session_messages(
    caller: Caller,
    PathId(id): PathId,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Page<GraphQLValue>>> {
    let page = input::query(query.as_deref())?;
    let mut variables = Map::new();
    variables.insert("chatSessionId".into(), json!(id));
    super::list::<SessionMessage>(&caller, page, 50, "ListSessionMessages", variables).await
}

/// Add a message to a chat session. When the session has an AI model and the message is the
/// user's, the model replies: the answer is `{user_message, ai_message}` (502/503/504 when the model
/// fails, and then nothing is saved).
#[utoipa::path(
    post, path = "/api/v1/chat-sessions/{chat_session_id}/messages", tag = "messages",
    params(("chat_session_id" = i32, Path, minimum = 1, description = "ID of the chat session")),
    request_body = CreateMessage,
    responses(
        (status = 201, body = PostedMessage),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 502, description = "The model provider failed", body = ErrorBody),
        (status = 503, description = "No model provider configured", body = ErrorBody),
        (status = 504, description = "The model provider timed out", body = ErrorBody),
    )
)]
async fn create_session_message(
    caller: Caller,
    PathId(id): PathId,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<PostedMessage>)> {
    let body: CreateMessage = input::json(&body)?;
    let from_user = matches!(body.role, None | Some(Role::User));
    if from_user {
        let session: ItemData<SessionModel> =
            caller.forward("SessionModel", json!({ "id": id })).await?;
        if session.item.ai_model_id.is_some() {
            let turn: ItemData<SessionTurn> = caller
                .forward(
                    "SendSessionMessage",
                    json!({ "id": id, "content": body.content }),
                )
                .await?;
            return Ok((StatusCode::CREATED, Json(PostedMessage::Turn(turn.item))));
        }
    }
    let mut message = Map::new();
    message.insert("chatSessionId".into(), json!(id));
    message.insert("content".into(), json!(body.content));
    if let Some(role) = body.role {
        message.insert("role".into(), json!(role.graphql()));
    }
    let data: ItemData<SessionMessage> = caller
        .forward("CreateSessionMessage", json!({ "input": message }))
        .await?;
    Ok((StatusCode::CREATED, Json(PostedMessage::Message(data.item))))
}

/// A new reply from the session's AI model to the conversation so far: it replaces the last reply
/// when the last message is the model's (the old one is deleted once the new one is complete),
/// else it answers the last user message. The answer is the new reply (400 when the session has
/// no AI model; 502/503/504 when the model fails, and then nothing changes).
#[utoipa::path(
    post, path = "/api/v1/chat-sessions/{chat_session_id}/regenerate", tag = "messages",
    params(("chat_session_id" = i32, Path, minimum = 1, description = "ID of the chat session")),
    responses(
        (status = 200, body = SessionMessage),
        (status = 404, body = ErrorBody),
        (status = 502, description = "The model provider failed", body = ErrorBody),
        (status = 400, description = "The session has no AI model", body = ErrorBody),
        (status = 503, description = "No model provider configured", body = ErrorBody),
        (status = 504, description = "The model provider timed out", body = ErrorBody),
    )
)]
async fn regenerate_reply(caller: Caller, PathId(id): PathId) -> ApiResult<Json<SessionMessage>> {
    let data: ItemData<SessionMessage> = caller
        .forward("RegenerateSessionReply", json!({ "id": id }))
        .await?;
    Ok(Json(data.item))
}

/// One message.
#[utoipa::path(
    get, path = "/api/v1/messages/{message_id}", tag = "messages",
    params(("message_id" = i32, Path, minimum = 1, description = "ID of the message")),
    responses((status = 200, body = Message), (status = 404, body = ErrorBody))
)]
async fn get_message(
    caller: SharedCaller,
    id: Result<PathId, ApiError>,
) -> Result<Json<Message>, SharedError> {
    let answer = async {
        let PathId(id) = id?;
        super::get(&caller, "GetMessage", id).await
    };
    answer.await.map_err(SharedError::from)
}

/// Edit a message (partial).
#[utoipa::path(
    put, path = "/api/v1/messages/{message_id}", tag = "messages",
    params(("message_id" = i32, Path, minimum = 1, description = "ID of the message"), VersionParams),
    request_body = UpdateMessage,
    responses(
        (status = 200, body = Message),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Version mismatch. Expected X, found Y", body = ErrorBody),
    )
)]
async fn update_message(
    caller: SharedCaller,
    id: Result<PathId, ApiError>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Json<Message>, SharedError> {
    let answer = async {
        let PathId(id) = id?;
        let params: VersionParams = input::query(query.as_deref())?;
        let body: UpdateMessage = input::json(&body)?;
        let mut changes = Map::new();
        if let Some(role) = body.role {
            changes.insert("role".into(), json!(role.graphql()));
        }
        if let Some(content) = body.content {
            changes.insert("content".into(), json!(content));
        }
        let variables = json!({
            "id": id,
            "input": changes,
            "expectedVersion": params.expected_version.or(body.expected_version),
        });
        let data: ItemData<Message> = caller.forward("UpdateMessage", variables).await?;
        ApiResult::Ok(Json(data.item))
    };
    answer.await.map_err(SharedError::from)
}

/// Delete a message (soft: it is hidden everywhere).
#[utoipa::path(
    delete, path = "/api/v1/messages/{message_id}", tag = "messages",
    params(("message_id" = i32, Path, minimum = 1, description = "ID of the message"), VersionParams),
    responses(
        (status = 200, body = Deleted),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Version mismatch. Expected X, found Y", body = ErrorBody),
    )
)]
async fn delete_message(
    caller: SharedCaller,
    id: Result<PathId, ApiError>,
    RawQuery(query): RawQuery,
) -> Result<Json<Deleted>, SharedError> {
    let answer = async {
        let PathId(id) = id?;
        let params: VersionParams = input::query(query.as_deref())?;
        let variables = json!({ "id": id, "expectedVersion": params.expected_version });
        super::delete(&caller, "DeleteMessage", variables, "Message").await
    };
    answer.await.map_err(SharedError::from)
}
