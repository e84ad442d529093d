//! Surface B: `/api/v1/chats` (`../shared/spec/character-chat-sessions-api.md` and the surface B
//! part of `compat-notes.md`): chats addressed by uuid, soft delete and restore, versions, context,
//! export, messages and search, with FastAPI-shaped errors (`{"detail": ...}`, 422 with a list of
//! field errors).

mod auth;
mod chats;
mod messages;

use axum::{
    Json,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use heck::ToSnakeCase;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use super::{forward::Failure, input::InputError};
use crate::{AppState, error::ErrorCode};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(chats::router())
        .merge(messages::router())
}

/// FastAPI's error body: a message, or for validation errors a list of field errors.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Detail {
    #[schema(value_type = DetailValue)]
    pub detail: Value,
}

/// What `detail` holds (the schema of [`Detail::detail`]).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum DetailValue {
    /// What went wrong.
    Message(String),
    /// Validation errors, one per field.
    Fields(Vec<FieldError>),
}

/// One validation error, as FastAPI reports it.
#[derive(Serialize, ToSchema)]
pub struct FieldError {
    /// Where: `["body" | "query" | "path", field]`.
    pub loc: Vec<String>,
    pub msg: String,
    /// `value_error`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// An error answered in surface B's shape.
#[derive(Debug)]
pub struct DetailError {
    status: StatusCode,
    detail: Value,
    retry_after: Option<u64>,
}

impl DetailError {
    pub fn rate_limited(message: &str, retry_after: u64) -> Self {
        DetailError {
            status: StatusCode::TOO_MANY_REQUESTS,
            detail: json!(message),
            retry_after: Some(retry_after),
        }
    }
}

impl IntoResponse for DetailError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "detail": self.detail }))).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

fn validation(location: &str, field: &str, message: &str) -> DetailError {
    DetailError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        detail: json!([{ "loc": [location, field], "msg": message, "type": "value_error" }]),
        retry_after: None,
    }
}

impl From<InputError> for DetailError {
    fn from(error: InputError) -> Self {
        validation(error.location, &error.field, &error.message)
    }
}

impl From<Failure> for DetailError {
    fn from(failure: Failure) -> Self {
        let status = match failure.code {
            ErrorCode::BadUserInput | ErrorCode::PersistedQueryNotFound
                if failure.fields.is_empty() =>
            {
                return validation("body", "body", &failure.message);
            }
            ErrorCode::BadUserInput | ErrorCode::PersistedQueryNotFound => {
                let errors: Vec<Value> = failure
                    .fields
                    .iter()
                    .map(|(field, message)| {
                        json!({ "loc": ["body", field.to_snake_case()], "msg": message, "type": "value_error" })
                    })
                    .collect();
                return DetailError {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    detail: Value::Array(errors),
                    retry_after: None,
                };
            }
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::BadGateway => StatusCode::BAD_GATEWAY,
            ErrorCode::GatewayTimeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ErrorCode::InternalServerError => StatusCode::INTERNAL_SERVER_ERROR,
        };
        DetailError {
            status,
            detail: json!(failure.message),
            retry_after: failure.retry_after,
        }
    }
}

pub type DetailResult<T> = Result<T, DetailError>;

/// The caller of a surface B route; a failed authentication answers in surface B's shape.
pub type Caller = crate::rest::Caller<DetailError>;

/// The `{chat_id}` of a route. An id that is not a UUID names no chat: 404, as the origin answers
/// (it looks ids up as strings).
pub struct ChatId(pub uuid::Uuid);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ChatId {
    type Rejection = DetailError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| not_found("Chat session not found"))?;
        raw.parse()
            .map(ChatId)
            .map_err(|_| not_found(&format!("Chat session {raw} not found")))
    }
}

fn not_found(message: &str) -> DetailError {
    DetailError {
        status: StatusCode::NOT_FOUND,
        detail: json!(message),
        retry_after: None,
    }
}
