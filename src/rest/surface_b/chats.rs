//! `/api/v1/chats/`: sessions by uuid.

use super::Caller;
use std::time::Duration;

use async_graphql::MaybeUndefined;
use axum::{
    Json,
    body::Bytes,
    extract::RawQuery,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{ChatId, Detail, DetailError, DetailResult};
use crate::{
    AppState,
    rest::input::{self, Flag, InputError},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_chats, create_chat))
        .routes(routes!(get_chat, update_chat, delete_chat))
        .routes(routes!(restore_chat))
        .routes(routes!(chat_context))
        .routes(routes!(export_chat))
        .routes(routes!(complete_chat))
}

/// A chat session as surface B shows it.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Chat {
    /// The chat id (a UUID).
    pub id: Uuid,
    pub character_id: i32,
    pub title: Option<String>,
    /// 1 to 5.
    pub rating: Option<i32>,
    pub created_at: String,
    pub last_modified: String,
    pub message_count: i64,
    /// Adds one on every change; send it back as `expected_version`.
    pub version: i32,
}

#[derive(Deserialize, ToSchema)]
pub struct CreateChat {
    #[schema(minimum = 1)]
    pub character_id: i32,
    /// Default `"{character name} Chat ({YYYYmmdd_HHMMSS})"`.
    pub title: Option<String>,
    pub rating: Option<i32>,
    pub user_profile_id: Option<i32>,
    pub ai_model_id: Option<i32>,
    pub system_prompt_id: Option<i32>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreateChatParams {
    /// Store the character's first message as the chat's opening message.
    #[serde(default)]
    #[param(value_type = bool)]
    pub seed_first_message: Flag,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct UpdateChat {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub title: MaybeUndefined<String>,
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    pub rating: MaybeUndefined<i32>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionParams {
    /// Apply only if the chat still has this version (else 409).
    pub expected_version: Option<i32>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteChatParams {
    pub expected_version: Option<i32>,
    /// Purge the chat and its messages instead of the default soft delete.
    #[serde(default)]
    #[param(value_type = bool)]
    pub hard_delete: Flag,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListChatsParams {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, maximum = 10_000_000)]
    pub page: Option<i64>,
    /// Items per page (default 50, at most 200).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
    /// Alternative to `per_page`.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Alternative to `page`: rows to skip.
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub offset: Option<i64>,
    /// Only the chats with this character (greater than 0).
    #[param(minimum = 1)]
    pub character_id: Option<i32>,
}

impl ListChatsParams {
    /// The rows to skip and the page size. `limit` stands for `per_page` and `offset` for `page`
    /// when both are sent, but every parameter sent is checked, the overridden one too: a client
    /// whose `per_page` is out of range hears so rather than getting a page it did not ask for.
    pub fn window(&self) -> Result<(i64, i64), InputError> {
        if let Some(limit) = self.limit {
            input::bounded("limit", limit, 1..=MAX_PER_PAGE)?;
        }
        let (page, per_page) =
            input::page(self.page, self.per_page, DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
        let per_page = self.limit.unwrap_or(per_page);
        let offset = match self.offset {
            Some(offset) => input::offset(Some(offset))?,
            None => input::offset_of(page, per_page),
        };
        Ok((offset, per_page))
    }
}

#[derive(Serialize, ToSchema)]
pub struct ChatList {
    pub success: bool,
    pub data: Vec<Chat>,
    pub metadata: ListMetadata,
}

#[derive(Serialize, ToSchema)]
pub struct ListMetadata {
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    pub total_pages: i64,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ChatContext {
    pub character_name: String,
    pub messages: Vec<ContextMessage>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ContextMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    pub content: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `json` (default), `markdown` or `text`.
    pub format: Option<String>,
    /// Default true.
    #[param(value_type = Option<bool>)]
    pub include_metadata: Option<Flag>,
    /// Default true.
    #[param(value_type = Option<bool>)]
    pub include_character: Option<Flag>,
}

#[derive(Serialize, ToSchema)]
pub struct Completed {
    pub status: String,
    pub chat_id: Uuid,
}

#[derive(Deserialize)]
struct Item<T> {
    item: T,
}

#[derive(Deserialize)]
struct Listed {
    page: ListedPage,
    more: Option<MoreChats>,
}

#[derive(Deserialize)]
struct ListedPage {
    total: i64,
    items: Vec<Chat>,
}

#[derive(Deserialize)]
struct MoreChats {
    items: Vec<Chat>,
}

/// The page size when neither `limit` nor `per_page` is sent (the origin's `limit` default).
const DEFAULT_PER_PAGE: i64 = 50;
/// The origin's `limit` bound (`le=200`), for `per_page` too.
const MAX_PER_PAGE: i64 = 200;

/// List chats, most recently changed first.
#[utoipa::path(
    get, path = "/api/v1/chats", tag = "character-chat-sessions",
    params(ListChatsParams),
    responses((status = 200, body = ChatList), (status = 422, body = Detail))
)]
async fn list_chats(caller: Caller, RawQuery(query): RawQuery) -> DetailResult<Json<ChatList>> {
    let params: ListChatsParams = input::query(query.as_deref())?;
    let (offset, per_page) = params.window()?;
    if params.character_id.is_some_and(|id| id <= 0) {
        return Err(InputError::new("character_id", "character_id must be greater than 0").into());
    }
    let mut variables = input::two_pages(per_page, offset);
    variables.insert(
        "filter".into(),
        json!({ "characterId": params.character_id }),
    );
    let listed: Listed = caller.forward("ListChats", variables.into()).await?;
    let mut chats = listed.page.items;
    chats.extend(listed.more.into_iter().flat_map(|more| more.items));
    Ok(Json(ChatList {
        success: true,
        data: chats,
        metadata: ListMetadata {
            page: offset / per_page + 1,
            per_page,
            total: listed.page.total,
            total_pages: (listed.page.total + per_page - 1) / per_page,
        },
    }))
}

/// Create a chat with a character.
#[utoipa::path(
    post, path = "/api/v1/chats", tag = "character-chat-sessions",
    params(CreateChatParams),
    request_body = CreateChat,
    responses(
        (status = 201, body = Chat),
        (status = 404, description = "Unknown character", body = Detail),
        (status = 422, body = Detail),
    )
)]
async fn create_chat(
    caller: Caller,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> DetailResult<(StatusCode, Json<Chat>)> {
    let params: CreateChatParams = input::query(query.as_deref())?;
    let body: CreateChat = input::json(&body)?;
    // The origin's `character_id: int = Field(..., gt=0)`.
    if body.character_id <= 0 {
        return Err(InputError::at(
            "body",
            "character_id",
            "character_id must be greater than 0",
        )
        .into());
    }
    let chat = json!({
        "characterId": body.character_id,
        "title": body.title,
        "rating": body.rating,
        "userProfileId": body.user_profile_id,
        "aiModelId": body.ai_model_id,
        "systemPromptId": body.system_prompt_id,
        "seedFirstMessage": params.seed_first_message.0,
    });
    let created: Item<Chat> = caller
        .forward("CreateChat", json!({ "input": chat }))
        .await?;
    Ok((StatusCode::CREATED, Json(created.item)))
}

/// One chat.
#[utoipa::path(
    get, path = "/api/v1/chats/{chat_id}", tag = "character-chat-sessions",
    params(("chat_id" = Uuid, Path)),
    responses((status = 200, body = Chat), (status = 404, body = Detail))
)]
async fn get_chat(caller: Caller, ChatId(uuid): ChatId) -> DetailResult<Json<Chat>> {
    let chat: Item<Chat> = caller.forward("GetChat", json!({ "uuid": uuid })).await?;
    Ok(Json(chat.item))
}

/// Update a chat's title or rating; adds one to its version.
#[utoipa::path(
    put, path = "/api/v1/chats/{chat_id}", tag = "character-chat-sessions",
    params(("chat_id" = Uuid, Path), VersionParams),
    request_body = UpdateChat,
    responses(
        (status = 200, body = Chat),
        (status = 404, body = Detail),
        (status = 409, description = "Version mismatch. Expected X, found Y", body = Detail),
        (status = 422, body = Detail),
    )
)]
async fn update_chat(
    caller: Caller,
    ChatId(uuid): ChatId,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> DetailResult<Json<Chat>> {
    let params: VersionParams = input::query(query.as_deref())?;
    let variables = json!({
        "uuid": uuid,
        "input": input::graphql_body::<UpdateChat>(&body)?,
        "expectedVersion": params.expected_version,
    });
    let chat: Item<Chat> = caller.forward("UpdateChat", variables).await?;
    Ok(Json(chat.item))
}

/// Delete a chat: soft (hidden everywhere, restorable) unless `hard_delete=true`.
#[utoipa::path(
    delete, path = "/api/v1/chats/{chat_id}", tag = "character-chat-sessions",
    params(("chat_id" = Uuid, Path), DeleteChatParams),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, body = Detail),
        (status = 409, body = Detail),
    )
)]
async fn delete_chat(
    caller: Caller,
    ChatId(uuid): ChatId,
    RawQuery(query): RawQuery,
) -> DetailResult<StatusCode> {
    let params: DeleteChatParams = input::query(query.as_deref())?;
    let variables = json!({
        "uuid": uuid,
        "soft": !params.hard_delete.0,
        "expectedVersion": params.expected_version,
    });
    let _: Value = caller.forward("DeleteChat", variables).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Bring back a soft-deleted chat with its messages. Restoring a live chat changes nothing.
#[utoipa::path(
    post, path = "/api/v1/chats/{chat_id}/restore", tag = "character-chat-sessions",
    params(("chat_id" = Uuid, Path)),
    responses((status = 200, body = Chat), (status = 404, body = Detail))
)]
async fn restore_chat(caller: Caller, ChatId(uuid): ChatId) -> DetailResult<Json<Chat>> {
    let chat: Item<Chat> = caller
        .forward("RestoreChat", json!({ "uuid": uuid }))
        .await?;
    Ok(Json(chat.item))
}

#[derive(Deserialize)]
struct WithContext {
    context: ChatContext,
}

/// The prompt context for `/api/v1/chat/completions`.
#[utoipa::path(
    get, path = "/api/v1/chats/{chat_id}/context", tag = "character-chat-sessions",
    params(("chat_id" = Uuid, Path)),
    responses((status = 200, body = ChatContext), (status = 404, body = Detail))
)]
async fn chat_context(caller: Caller, ChatId(uuid): ChatId) -> DetailResult<Json<ChatContext>> {
    let chat: Item<WithContext> = caller
        .forward("ChatContext", json!({ "uuid": uuid }))
        .await?;
    Ok(Json(chat.item.context))
}

#[derive(Deserialize)]
struct WithExport {
    export: ExportContent,
}

#[derive(Deserialize)]
struct ExportContent {
    content: String,
}

/// Export a chat as JSON, or as Markdown or text (`{"content", "format"}`).
#[utoipa::path(
    get, path = "/api/v1/chats/{chat_id}/export", tag = "character-chat-sessions",
    params(("chat_id" = Uuid, Path), ExportParams),
    responses(
        (status = 200, description = "json: the chat document; markdown/text: {content, format}", body = Object),
        (status = 404, body = Detail),
        (status = 422, body = Detail),
    )
)]
async fn export_chat(
    caller: Caller,
    ChatId(uuid): ChatId,
    RawQuery(query): RawQuery,
) -> DetailResult<Json<Value>> {
    let params: ExportParams = input::query(query.as_deref())?;
    let format = params.format.as_deref().unwrap_or("json");
    let graphql_format = match format {
        "json" => "JSON",
        "markdown" => "MARKDOWN",
        "text" => "TEXT",
        other => {
            return Err(InputError::new(
                "format",
                format!("format must be json, markdown or text, not `{other}`"),
            )
            .into());
        }
    };
    let variables = json!({
        "uuid": uuid,
        "format": graphql_format,
        "includeMetadata": params.include_metadata.is_none_or(|flag| flag.0),
        "includeCharacter": params.include_character.is_none_or(|flag| flag.0),
    });
    let chat: Item<WithExport> = caller.forward("ExportChat", variables).await?;
    let content = chat.item.export.content;
    Ok(Json(if format == "json" {
        serde_json::from_str(&content).unwrap_or(Value::String(content))
    } else {
        let mut body = Map::new();
        body.insert("content".into(), Value::String(content));
        body.insert("format".into(), Value::String(format.to_owned()));
        Value::Object(body)
    }))
}

/// When the legacy endpoint stops working (`Sunset`, RFC 8594).
const COMPLETE_SUNSET: &str = "Thu, 31 Dec 2026 23:59:59 GMT";

/// Legacy: answers `{"status": "ok"}`, at most 5 times a second per chat and caller. Deprecated in
/// favour of `POST /api/v1/chat/completions`.
#[utoipa::path(
    post, path = "/api/v1/chats/{chat_id}/complete", tag = "character-chat-sessions",
    params(("chat_id" = Uuid, Path)),
    responses(
        (status = 200, body = Completed),
        (status = 404, body = Detail),
        (status = 429, description = "Rate limit exceeded for chat completion; see Retry-After", body = Detail),
    )
)]
async fn complete_chat(caller: Result<Caller, DetailError>, ChatId(uuid): ChatId) -> Response {
    // A refusal, the caller's too, carries the deprecation headers.
    let answer = async {
        let caller = caller?;
        let _: Item<Value> = caller.forward("GetChat", json!({ "uuid": uuid })).await?;
        let key = (caller.principal.account_id, uuid);
        if let Err(wait) = caller.state.complete_limiter.check(key) {
            let seconds = wait.max(Duration::from_secs(1)).as_secs_f64().ceil() as u64;
            return Err(DetailError::rate_limited(
                "Rate limit exceeded for chat completion",
                seconds,
            ));
        }
        Ok(Json(Completed {
            status: "ok".into(),
            chat_id: uuid,
        }))
    };
    let mut response = match answer.await {
        Ok(ok) => ok.into_response(),
        Err(err) => DetailError::into_response(err),
    };
    let headers = response.headers_mut();
    headers.insert("deprecation", HeaderValue::from_static("true"));
    headers.insert("sunset", HeaderValue::from_static(COMPLETE_SUNSET));
    headers.insert(
        header::LINK,
        HeaderValue::from_static("</api/v1/chat/completions>; rel=\"successor-version\""),
    );
    response
}
