//! The one error type. Resolvers, loaders and the auth layer return `AppError`; it becomes a GraphQL
//! error with `extensions.code`, or an HTTP response with the matching status.

use async_graphql::ErrorExtensions;
use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use sea_orm::{DbErr, SqlErr};
use std::sync::Arc;

/// `Clone`, so one DataLoader failure can be handed to every key of its batch.
#[derive(Clone, Debug, thiserror::Error)]
pub enum AppError {
    /// The resource does not exist *for this principal*: another owner's row answers the same.
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Unauthenticated(String),
    /// Known, and not allowed to (registration closed, a token's `sub` it may not have).
    #[error("{0}")]
    Forbidden(String),
    /// The request is wrong; `field` names the input field at fault when there is one.
    #[error("{message}")]
    BadUserInput {
        message: String,
        field: Option<String>,
        /// Further fields at fault, found by the same checks: (field, message). Clients are told
        /// of every failing field at once ([`crate::domain::validation::all_of`]).
        also: Vec<(String, String)>,
    },
    /// A rule refuses the request as things stand (e.g. deleting a character sessions use).
    #[error("{0}")]
    Conflict(String),
    /// Optimistic locking: the row changed since the client read it.
    #[error("Version mismatch. Expected {expected}, found {found}")]
    VersionMismatch { expected: i32, found: i32 },
    #[error("rate limit exceeded")]
    RateLimited { retry_after_secs: u64 },
    #[error("payload too large")]
    PayloadTooLarge,
    /// No model provider can serve the request (none configured, or the session has no model).
    #[error("{0}")]
    ModelUnavailable(String),
    /// The model provider failed: unreachable, an error status, a broken stream.
    #[error("{0}")]
    ModelFailed(String),
    /// The model provider did not answer in time.
    #[error("{0}")]
    ModelTimeout(String),
    /// A server fault. The cause is logged, never sent.
    #[error("internal server error")]
    Internal(#[source] Arc<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn not_found(what: impl std::fmt::Display, id: impl std::fmt::Display) -> Self {
        AppError::NotFound(format!("{what} {id}"))
    }

    pub fn internal(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        AppError::Internal(Arc::new(cause))
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::BadUserInput {
            message: message.into(),
            field: Some(field.to_owned()),
            also: Vec::new(),
        }
    }

    /// The `extensions.code` of this error in GraphQL answers.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::BadUserInput { .. } => "BAD_USER_INPUT",
            AppError::Conflict(_) | AppError::VersionMismatch { .. } => "CONFLICT",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            AppError::ModelUnavailable(_) => "SERVICE_UNAVAILABLE",
            AppError::ModelFailed(_) => "BAD_GATEWAY",
            AppError::ModelTimeout(_) => "GATEWAY_TIMEOUT",
            AppError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::BadUserInput { .. } => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) | AppError::VersionMismatch { .. } => StatusCode::CONFLICT,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::ModelUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::ModelFailed(_) => StatusCode::BAD_GATEWAY,
            AppError::ModelTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn log_if_internal(&self) {
        if let AppError::Internal(cause) = self {
            tracing::error!(error = ?cause, "internal error");
        }
    }
}

impl From<DbErr> for AppError {
    /// Constraint violations are the client's doing (a race past our own checks); anything else
    /// is ours.
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => AppError::BadUserInput {
                message: "a row with the same unique value (e.g. label) already exists".into(),
                field: None,
                also: Vec::new(),
            },
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => AppError::BadUserInput {
                message: "the request refers to a row that does not exist or is still in use"
                    .into(),
                field: None,
                also: Vec::new(),
            },
            _ => AppError::internal(err),
        }
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        self.log_if_internal();
        async_graphql::Error::new(self.to_string()).extend_with(|_, ext| {
            ext.set("code", self.code());
            if let AppError::BadUserInput {
                field: Some(field),
                message,
                also,
            } = self
            {
                ext.set("field", field.as_str());
                // Every field at fault, the first included, when there is more than one.
                if !also.is_empty() {
                    let fields = std::iter::once((field.as_str(), message.as_str()))
                        .chain(also.iter().map(|(f, m)| (f.as_str(), m.as_str())))
                        .map(|(field, message)| {
                            async_graphql::Value::from_json(
                                serde_json::json!({ "field": field, "message": message }),
                            )
                            .unwrap_or_default()
                        })
                        .collect::<Vec<_>>();
                    ext.set("fields", fields);
                }
            }
            if let AppError::VersionMismatch { expected, found } = self {
                ext.set("reason", "VERSION_MISMATCH");
                ext.set("expectedVersion", *expected);
                ext.set("currentVersion", *found);
            }
            if let AppError::RateLimited { retry_after_secs } = self {
                ext.set("retryAfter", *retry_after_secs);
            }
        })
    }
}

/// Outside of GraphQL execution (authentication, limits) an error answers in the GraphQL response
/// shape, so GraphQL clients read it the same way as any other error.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log_if_internal();
        let body = serde_json::json!({
            "errors": [{ "message": self.to_string(), "extensions": { "code": self.code() } }]
        });
        let mut response = (self.status(), Json(body)).into_response();
        if let AppError::RateLimited { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, retry_after_secs.into());
        }
        response
    }
}

pub type AppResult<T> = Result<T, AppError>;
