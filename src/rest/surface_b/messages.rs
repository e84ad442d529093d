//! `/api/v1/chats/{chat_id}/messages` and its search.

use super::Caller;
use axum::{Json, body::Bytes, extract::RawQuery, http::StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{ChatId, Detail, DetailResult};
use crate::rest::input::{self, InputError};
use crate::{
    AppState,
    domain::context::{DEFAULT_USER_NAME, fill_placeholders},
};

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
    /// Words to find (all of them, whole words, anywhere in a message). A query with no words
    /// (`*`, `?`, punctuation only) finds nothing.
    #[param(min_length = 1)]
    pub query: String,
    /// 1 to 200, default 50 (as the origin's).
    #[param(minimum = 1, maximum = 200)]
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
    item: WithNames,
}

#[derive(Deserialize)]
struct WithNames {
    #[serde(flatten)]
    message: ChatMessage,
    names: PlaceholderNames,
}

#[derive(Deserialize)]
struct Found {
    names: PlaceholderNames,
    items: Vec<ChatMessage>,
}

/// The names a chat's placeholders stand for (its character's, its user profile's or `User`).
#[derive(Deserialize)]
struct PlaceholderNames {
    character: Named,
    user: Option<Named>,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

impl PlaceholderNames {
    /// `message` as the origin answers it: placeholders filled (the stored text keeps them).
    fn fill(&self, mut message: ChatMessage) -> ChatMessage {
        let user = self.user.as_ref().map_or(DEFAULT_USER_NAME, |u| &u.name);
        message.content = fill_placeholders(&message.content, &self.character.name, user);
        message
    }
}

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
    caller: Caller,
    ChatId(uuid): ChatId,
    RawQuery(query): RawQuery,
) -> DetailResult<Json<ChatMessages>> {
    let params: MessagePageParams = input::query(query.as_deref())?;
    let limit = input::bounded("limit", params.limit.unwrap_or(50), 1..=200)?;
    let offset = input::offset(params.offset)?;
    let mut variables = input::two_pages(limit, offset);
    variables.insert("uuid".into(), json!(uuid));
    let listed: Listed = caller.forward("ListChatMessages", variables.into()).await?;
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
    caller: Caller,
    ChatId(uuid): ChatId,
    body: Bytes,
) -> DetailResult<(StatusCode, Json<ChatMessage>)> {
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
    let created: Item = caller
        .forward("CreateChatMessage", json!({ "input": message }))
        .await?;
    let WithNames { message, names } = created.item;
    Ok((StatusCode::CREATED, Json(names.fill(message))))
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
    caller: Caller,
    ChatId(uuid): ChatId,
    RawQuery(query): RawQuery,
) -> DetailResult<Json<SearchResults>> {
    let params: SearchParams = input::query(query.as_deref())?;
    if params.query.is_empty() {
        return Err(InputError::new("query", "query must not be empty").into());
    }
    let limit = input::bounded("limit", params.limit.unwrap_or(50), 1..=200)?;
    let variables = json!({ "uuid": uuid, "query": params.query, "limit": limit });
    let found: Found = caller.forward("SearchChatMessages", variables).await?;
    let messages: Vec<ChatMessage> = found
        .items
        .into_iter()
        .map(|message| found.names.fill(message))
        .collect();
    Ok(Json(SearchResults {
        query: params.query,
        total: messages.len(),
        messages,
    }))
}
