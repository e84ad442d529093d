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

/// What kind of failure an error is: the `extensions.code` of GraphQL answers (serde writes and
/// reads it, `SCREAMING_SNAKE_CASE`), the HTTP status of the GraphQL transport, and what each REST
/// surface maps with an exhaustive `match`: a new variant does not compile until every surface
/// says what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    NotFound,
    Unauthenticated,
    Forbidden,
    BadUserInput,
    Conflict,
    RateLimited,
    PayloadTooLarge,
    /// No model provider can serve the request.
    ServiceUnavailable,
    /// The model provider failed.
    BadGateway,
    /// The model provider did not answer in time.
    GatewayTimeout,
    /// Apollo's automatic persisted queries: a hash the server does not know; the client resends
    /// the document.
    PersistedQueryNotFound,
    /// A mutation over GET.
    MethodNotAllowed,
    /// The request ran past PARLEY_REQUEST_TIMEOUT_SECONDS.
    RequestTimeout,
    InternalServerError,
}

impl ErrorCode {
    /// The code as GraphQL answers carry it.
    pub fn graphql_value(self) -> async_graphql::Value {
        async_graphql::to_value(self).unwrap_or_default()
    }

    /// The code of a GraphQL error's `extensions.code`; one this server never writes is an
    /// internal error.
    pub fn of_graphql(value: Option<&async_graphql::Value>) -> Self {
        value
            .and_then(|value| async_graphql::from_value(value.clone()).ok())
            .unwrap_or(ErrorCode::InternalServerError)
    }

    /// The status of an answer that is this error alone (GraphQL over HTTP's transport errors).
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::BadUserInput | ErrorCode::PersistedQueryNotFound => StatusCode::BAD_REQUEST,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::BadGateway => StatusCode::BAD_GATEWAY,
            ErrorCode::GatewayTimeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ErrorCode::InternalServerError => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

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
    /// The database could not take the request in time (every pooled connection busy, SQLite's
    /// write lock held past its busy timeout): overload, not a fault; the client tries again.
    #[error("the database is busy; try again")]
    DatabaseBusy,
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
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::BadUserInput { .. } => ErrorCode::BadUserInput,
            AppError::Conflict(_) | AppError::VersionMismatch { .. } => ErrorCode::Conflict,
            AppError::RateLimited { .. } => ErrorCode::RateLimited,
            AppError::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            AppError::ModelUnavailable(_) | AppError::DatabaseBusy => ErrorCode::ServiceUnavailable,
            AppError::ModelFailed(_) => ErrorCode::BadGateway,
            AppError::ModelTimeout(_) => ErrorCode::GatewayTimeout,
            AppError::Internal(_) => ErrorCode::InternalServerError,
        }
    }

    pub fn status(&self) -> StatusCode {
        self.code().status()
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
        if is_busy(&err) {
            return AppError::DatabaseBusy;
        }
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

/// The pool had no connection free within its acquire timeout, SQLite stayed locked past its
/// busy timeout (SQLITE_BUSY and its extended codes), or PostgreSQL refused for load (too many
/// connections, a lock not available).
fn is_busy(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error;
    match crate::db::sqlx_error(err) {
        Some(Error::PoolTimedOut) => true,
        Some(Error::Database(database)) => match database.code().as_deref() {
            Some("53300" | "55P03") => true,
            Some(code) => code.parse::<u32>().is_ok_and(|code| code & 0xff == 5),
            None => false,
        },
        Some(_) => false,
        None => matches!(
            err,
            DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout)
        ),
    }
}

/// `extensions.reason` of [`AppError::VersionMismatch`], a CONFLICT that surface A answers 409.
pub const VERSION_MISMATCH: &str = "VERSION_MISMATCH";

/// `extensions.reason` of [`AppError::DatabaseBusy`], which surface A names apart from a model
/// being unavailable.
pub const DATABASE_BUSY: &str = "DATABASE_BUSY";

/// Seconds a client waits before it tries a busy database again.
const BUSY_RETRY_AFTER_SECS: u64 = 1;

impl AppError {
    /// `extensions.reason`: which kind of its code this error is, where a surface tells them
    /// apart.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            AppError::VersionMismatch { .. } => Some(VERSION_MISMATCH),
            AppError::DatabaseBusy => Some(DATABASE_BUSY),
            _ => None,
        }
    }

    /// Seconds the client should wait before trying again (`Retry-After`), when it should.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            AppError::DatabaseBusy => Some(BUSY_RETRY_AFTER_SECS),
            _ => None,
        }
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        self.log_if_internal();
        async_graphql::Error::new(self.to_string()).extend_with(|_, ext| {
            ext.set("code", self.code().graphql_value());
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
            if let Some(reason) = self.reason() {
                ext.set("reason", reason);
            }
            if let AppError::VersionMismatch { expected, found } = self {
                ext.set("expectedVersion", *expected);
                ext.set("currentVersion", *found);
            }
            if let Some(seconds) = self.retry_after() {
                ext.set("retryAfter", seconds);
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
        if let Some(seconds) = self.retry_after() {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::ErrorCode;
    use async_graphql::Value;

    /// The codes clients read (Apollo's `PERSISTED_QUERY_NOT_FOUND` among them) keep their
    /// spelling, and each reads back as itself.
    #[test]
    fn each_code_crosses_graphql_and_back() {
        let wire = [
            (ErrorCode::NotFound, "NOT_FOUND"),
            (ErrorCode::Unauthenticated, "UNAUTHENTICATED"),
            (ErrorCode::Forbidden, "FORBIDDEN"),
            (ErrorCode::BadUserInput, "BAD_USER_INPUT"),
            (ErrorCode::Conflict, "CONFLICT"),
            (ErrorCode::RateLimited, "RATE_LIMITED"),
            (ErrorCode::PayloadTooLarge, "PAYLOAD_TOO_LARGE"),
            (ErrorCode::ServiceUnavailable, "SERVICE_UNAVAILABLE"),
            (ErrorCode::BadGateway, "BAD_GATEWAY"),
            (ErrorCode::GatewayTimeout, "GATEWAY_TIMEOUT"),
            (
                ErrorCode::PersistedQueryNotFound,
                "PERSISTED_QUERY_NOT_FOUND",
            ),
            (ErrorCode::MethodNotAllowed, "METHOD_NOT_ALLOWED"),
            (ErrorCode::RequestTimeout, "REQUEST_TIMEOUT"),
            (ErrorCode::InternalServerError, "INTERNAL_SERVER_ERROR"),
        ];
        for (code, spelling) in wire {
            assert_eq!(code.graphql_value(), Value::from(spelling));
            assert_eq!(ErrorCode::of_graphql(Some(&code.graphql_value())), code);
        }
        for unknown in [Value::from("TEAPOT"), Value::from(418), Value::Null] {
            assert_eq!(
                ErrorCode::of_graphql(Some(&unknown)),
                ErrorCode::InternalServerError
            );
        }
        assert_eq!(ErrorCode::of_graphql(None), ErrorCode::InternalServerError);
    }
}
