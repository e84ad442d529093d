//! `/api/v1/chats/{chat_id}/messages` and its search.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{Detail, DetailResult};
use crate::AppState;
use crate::rest::input::{self, InputError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_chat_messages, create_chat_message))
        .routes(routes!(search_chat_messages))
}

/// A message as surface B shows it.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ChatMessage {
    pub id: i32,
    /// The chat's id.
    pub conversation_id: Uuid,
    /// `user`, `assistant` or `system`.
    pub sender: String,
    pub content: String,
    pub timestamp: String,
    pub version: i32,
}

#[derive(Deserialize, ToSchema)]
pub struct NewChatMessage {
    /// `user` (default), `assistant` or `system`; `sender` is accepted too.
    #[serde(alias = "sender")]
    pub role: Option<String>,
    pub content: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessagePageParams {
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Default 0.
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub offset: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ChatMessages {
    pub messages: Vec<ChatMessage>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to find (all of them, whole words, anywhere in a message).
    pub query: String,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchResults {
    pub query: String,
    /// Best match first.
    pub messages: Vec<ChatMessage>,
    pub total: usize,
}

#[derive(Deserialize)]
struct Listed {
    page: ListedPage,
    more: Option<Items>,
}

#[derive(Deserialize)]
struct ListedPage {
    total: i64,
    items: Vec<ChatMessage>,
}

#[derive(Deserialize)]
struct Items {
    items: Vec<ChatMessage>,
}

#[derive(Deserialize)]
struct Item {
    item: ChatMessage,
}

/// GraphQL pages hold at most this many; longer surface B pages are fetched as two.
const GRAPHQL_PAGE: i64 = 100;

/// The messages of a chat, oldest first.
#[utoipa::path(
    get, path = "/api/v1/chats/{chat_id}/messages", tag = "character-chat-sessions",
    params(("chat_id" = Uuid, Path), MessagePageParams),
    responses(
        (status = 200, body = ChatMessages),
        (status = 404, body = Detail),
        (status = 422, body = Detail),
    )
)]
async fn list_chat_messages(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(chat_id): Path<String>,
    RawQuery(query): RawQuery,
) -> DetailResult<Json<ChatMessages>> {
    let uuid = input::uuid("chat_id", &chat_id)?;
    let params: MessagePageParams = input::query(query.as_deref())?;
    let limit = input::bounded("limit", params.limit.unwrap_or(50), 1..=200)?;
    let offset = input::offset(params.offset)?;
    let first = limit.min(GRAPHQL_PAGE);
    let variables = json!({
        "uuid": uuid,
        "first": first,
        "offset": offset,
        "rest": limit - first,
        "restOffset": offset + first,
        "needRest": limit > first,
    });
    let listed: Listed = state
        .forward(&headers, "ListChatMessages", variables)
        .await?;
    let mut messages = listed.page.items;
    messages.extend(listed.more.into_iter().flat_map(|more| more.items));
    Ok(Json(ChatMessages {
        messages,
        total: listed.page.total,
        limit,
        offset,
    }))
}

/// Add a message to a chat.
#[utoipa::path(
    post, path = "/api/v1/chats/{chat_id}/messages", tag = "character-chat-sessions",
    params(("chat_id" = Uuid, Path)),
    request_body = NewChatMessage,
    responses(
        (status = 201, body = ChatMessage),
        (status = 404, body = Detail),
        (status = 422, body = Detail),
    )
)]
async fn create_chat_message(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(chat_id): Path<String>,
    body: Bytes,
) -> DetailResult<(StatusCode, Json<ChatMessage>)> {
    let uuid = input::uuid("chat_id", &chat_id)?;
    let body: NewChatMessage = input::json(&body)?;
    let role = match body.role.as_deref().unwrap_or("user") {
        "user" => "USER",
        "assistant" => "ASSISTANT",
        "system" => "SYSTEM",
        other => {
            return Err(InputError::at(
                "body",
                "role",
                format!("role must be user, assistant or system, not `{other}`"),
            )
            .into());
        }
    };
    let message = json!({ "chatSessionUuid": uuid, "role": role, "content": body.content });
    let created: Item = state
        .forward(&headers, "CreateChatMessage", json!({ "input": message }))
        .await?;
    Ok((StatusCode::CREATED, Json(created.item)))
}

/// Full-text search in a chat's messages, best match first.
#[utoipa::path(
    get, path = "/api/v1/chats/{chat_id}/messages/search", tag = "character-chat-sessions",
    params(("chat_id" = Uuid, Path), SearchParams),
    responses(
        (status = 200, body = SearchResults),
        (status = 404, body = Detail),
        (status = 422, body = Detail),
    )
)]
async fn search_chat_messages(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(chat_id): Path<String>,
    RawQuery(query): RawQuery,
) -> DetailResult<Json<SearchResults>> {
    let uuid = input::uuid("chat_id", &chat_id)?;
    let params: SearchParams = input::query(query.as_deref())?;
    let variables = json!({
        "uuid": uuid,
        "query": params.query,
        "limit": params.limit.unwrap_or(20),
    });
    let found: Items = state
        .forward(&headers, "SearchChatMessages", variables)
        .await?;
    Ok(Json(SearchResults {
        query: params.query,
        total: found.items.len(),
        messages: found.items,
    }))
}
