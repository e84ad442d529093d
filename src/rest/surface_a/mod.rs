//! Surface A: `/api/v1/chat-sessions` and its sibling resources (`../shared/spec/chat-sessions-api.md`
//! and the surface A part of `compat-notes.md`): integer ids, page/per_page lists, and errors as
//! `{"error": {"code", "message", "details"}}`.
//!
//! Decisions where the documents are silent: unknown body fields are ignored (clients often PUT
//! back what they read); `total_pages` is 0 for an empty list (as Flask-SQLAlchemy counts); a page
//! past the end is an empty list, not an error.

mod character_cards;
mod chat_sessions;
mod labelled;
mod messages;
mod settings;

use async_graphql::Value as GraphQLValue;
use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use heck::ToSnakeCase;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Map, Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use super::{
    forward::{self, Failure},
    input::{self, InputError},
};
use crate::{AppState, error::ErrorCode};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(chat_sessions::router())
        .merge(labelled::router())
        .merge(character_cards::router())
        .merge(messages::router())
        .merge(settings::router())
}

/// Surface A's error body.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// `VALIDATION_ERROR`, `RESOURCE_NOT_FOUND`, `BUSINESS_RULE_ERROR`, `UNAUTHORIZED`,
    /// `INTERNAL_ERROR`, ...
    pub code: String,
    pub message: String,
    /// Per-field messages for validation errors.
    #[schema(value_type = Object)]
    pub details: Map<String, Value>,
}

/// An error answered in surface A's shape.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Map<String, Value>,
    /// Also carry surface B's `detail` (on `/api/v1/messages/{id}`, which both surfaces use).
    with_detail: bool,
    /// `Retry-After`, for 429.
    retry_after: Option<u64>,
}

impl ApiError {
    /// The error readable by clients of either surface: `{"error": {...}, "detail": "..."}`.
    pub fn for_both_surfaces(mut self) -> Self {
        self.with_detail = true;
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "error": { "code": self.code, "message": self.message, "details": self.details }
        });
        if self.with_detail {
            body["detail"] = json!(self.message);
        }
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<InputError> for ApiError {
    fn from(error: InputError) -> Self {
        let mut details = Map::new();
        details.insert(error.field, Value::String(error.message.clone()));
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "VALIDATION_ERROR",
            message: format!("Invalid input: {}", error.message),
            details,
            with_detail: false,
            retry_after: None,
        }
    }
}

impl From<Failure> for ApiError {
    fn from(failure: Failure) -> Self {
        let (status, code) = match failure.code {
            ErrorCode::NotFound => (StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND"),
            ErrorCode::BadUserInput | ErrorCode::PersistedQueryNotFound => {
                (StatusCode::BAD_REQUEST, "VALIDATION_ERROR")
            }
            // Only the shared message path takes versions; other refusals are business rules
            // (surface A has no 409).
            ErrorCode::Conflict
                if failure.reason.as_deref() == Some(crate::error::VERSION_MISMATCH) =>
            {
                (StatusCode::CONFLICT, "CONFLICT")
            }
            ErrorCode::Conflict => (StatusCode::BAD_REQUEST, "BUSINESS_RULE_ERROR"),
            ErrorCode::Unauthenticated => (StatusCode::UNAUTHORIZED, "UNAUTHORIZED"),
            ErrorCode::Forbidden => (StatusCode::FORBIDDEN, "FORBIDDEN"),
            ErrorCode::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED"),
            ErrorCode::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"),
            ErrorCode::ServiceUnavailable
                if failure.reason.as_deref() == Some(crate::error::DATABASE_BUSY) =>
            {
                (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE")
            }
            ErrorCode::ServiceUnavailable => (StatusCode::SERVICE_UNAVAILABLE, "MODEL_UNAVAILABLE"),
            ErrorCode::BadGateway => (StatusCode::BAD_GATEWAY, "MODEL_ERROR"),
            ErrorCode::GatewayTimeout => (StatusCode::GATEWAY_TIMEOUT, "MODEL_TIMEOUT"),
            ErrorCode::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"),
            ErrorCode::RequestTimeout => (StatusCode::REQUEST_TIMEOUT, "REQUEST_TIMEOUT"),
            ErrorCode::InternalServerError => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR"),
        };
        let mut details = Map::new();
        for (field, message) in failure.fields.into_vec() {
            details.insert(field.to_snake_case(), Value::String(message));
        }
        ApiError {
            status,
            code,
            message: failure.message,
            details,
            with_detail: false,
            retry_after: failure.retry_after,
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The caller of a surface A route; a failed authentication answers in surface A's shape.
pub type Caller = crate::rest::Caller<ApiError>;

/// An error of the route both surfaces serve (`/api/v1/messages/{id}`), readable by either's
/// clients ([`ApiError::for_both_surfaces`]).
#[derive(Debug)]
pub struct SharedError(ApiError);

impl From<Failure> for SharedError {
    fn from(failure: Failure) -> Self {
        SharedError(ApiError::from(failure).for_both_surfaces())
    }
}

impl From<ApiError> for SharedError {
    fn from(error: ApiError) -> Self {
        SharedError(error.for_both_surfaces())
    }
}

impl IntoResponse for SharedError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

/// The caller of the route both surfaces serve.
pub type SharedCaller = crate::rest::Caller<SharedError>;

/// A resource id from the path (`/characters/{character_id}`): a positive integer, else a 400
/// naming the parameter. A path that is not even UTF-8 is refused the same way, in this
/// surface's shape (axum's own rejection is plain text).
pub struct PathId(pub i32);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let params = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| InputError::at("path", "id", "the id is not valid UTF-8"))?;
        let (name, raw) = params
            .iter()
            .next()
            .ok_or_else(|| InputError::at("path", "id", "the path names no id"))?;
        Ok(PathId(input::id(name, raw)?))
    }
}

/// `page` and `per_page` of every list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, maximum = 10_000_000)]
    pub page: Option<i64>,
    /// Items per page (default 20, at most 100; messages default to 50).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

/// The list envelope.
#[derive(Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub pagination: Pagination,
}

#[derive(Serialize, ToSchema)]
pub struct Pagination {
    pub page: i64,
    pub per_page: i64,
    pub total_items: i64,
    pub total_pages: i64,
}

/// `{"message": "... deleted successfully"}`.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Deleted {
    pub message: String,
}

/// What list operations answer (aliases `page`, `total_items`, `items`), the items as GraphQL
/// answered them: the operations' aliases give them their REST shape already, and decoding them
/// into their REST type to encode it again was a tenth of a 100-row list's time (a typed item
/// whose fields are flattened into it goes through serde's buffering).
fn list_data(data: GraphQLValue) -> Option<(i64, Vec<GraphQLValue>)> {
    let GraphQLValue::Object(mut data) = data else {
        return None;
    };
    let GraphQLValue::Object(mut page) = data.swap_remove("page")? else {
        return None;
    };
    let total_items = match page.get("total_items")? {
        GraphQLValue::Number(total) => total.as_i64()?,
        _ => return None,
    };
    match page.swap_remove("items")? {
        GraphQLValue::List(items) => Some((total_items, items)),
        _ => None,
    }
}

/// What single-item operations answer (alias `item`).
#[derive(Deserialize)]
pub(super) struct ItemData<T> {
    pub(super) item: T,
}

const MAX_PER_PAGE: i64 = 100;

/// A page of a list operation. `variables` are the operation's own (filters, parent id).
///
/// The items pass on as GraphQL answered them; `T` is their REST type, which a debug build (the
/// tests) decodes each of them into, so that an operation whose answer drifts from its type still
/// fails there (as a 500).
async fn list<T: DeserializeOwned>(
    caller: &crate::rest::Caller<impl Sized>,
    params: PageParams,
    default_per_page: i64,
    operation: &str,
    mut variables: Map<String, Value>,
) -> ApiResult<Json<Page<GraphQLValue>>> {
    let (page, per_page) =
        input::page(params.page, params.per_page, default_per_page, MAX_PER_PAGE)?;
    variables.insert("first".into(), json!(per_page));
    variables.insert("offset".into(), json!(input::offset_of(page, per_page)));
    let data = caller
        .forward_value(operation, Value::Object(variables))
        .await?;
    let (total_items, items) = list_data(data).ok_or_else(|| {
        Failure::from(crate::error::AppError::internal(std::io::Error::other(
            format!("{operation} answered no page"),
        )))
    })?;
    if cfg!(debug_assertions) {
        for item in &items {
            forward::decode::<T>(item.clone())?;
        }
    }
    Ok(Json(Page {
        items,
        pagination: Pagination {
            page,
            per_page,
            total_items,
            total_pages: (total_items + per_page - 1) / per_page,
        },
    }))
}

async fn get<T: DeserializeOwned>(
    caller: &crate::rest::Caller<impl Sized>,
    operation: &str,
    id: i32,
) -> ApiResult<Json<T>> {
    let data: ItemData<T> = caller.forward(operation, json!({ "id": id })).await?;
    Ok(Json(data.item))
}

/// Creates from a JSON body; 201 with the new object.
async fn create<B, T>(
    caller: &crate::rest::Caller<impl Sized>,
    operation: &str,
    body: &[u8],
) -> ApiResult<(StatusCode, Json<T>)>
where
    B: DeserializeOwned + Serialize,
    T: DeserializeOwned,
{
    let variables = json!({ "input": input::graphql_body::<B>(body)? });
    let data: ItemData<T> = caller.forward(operation, variables).await?;
    Ok((StatusCode::CREATED, Json(data.item)))
}

/// Applies a partial update from a JSON body.
async fn update<B, T>(
    caller: &crate::rest::Caller<impl Sized>,
    operation: &str,
    id: i32,
    body: &[u8],
) -> ApiResult<Json<T>>
where
    B: DeserializeOwned + Serialize,
    T: DeserializeOwned,
{
    let variables = json!({ "id": id, "input": input::graphql_body::<B>(body)? });
    let data: ItemData<T> = caller.forward(operation, variables).await?;
    Ok(Json(data.item))
}

/// Deletes; the message names the `thing` deleted (`Chat session deleted successfully`).
async fn delete(
    caller: &crate::rest::Caller<impl Sized>,
    operation: &str,
    variables: Value,
    thing: &str,
) -> ApiResult<Json<Deleted>> {
    let _: Value = caller.forward(operation, variables).await?;
    let mut letters = thing.chars();
    let thing: String = letters
        .next()
        .into_iter()
        .flat_map(char::to_uppercase)
        .chain(letters)
        .collect();
    Ok(Json(Deleted {
        message: format!("{thing} deleted successfully"),
    }))
}
