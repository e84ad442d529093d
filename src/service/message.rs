//! Messages written by hand (not replies): appending, editing, deleting.

use async_graphql::{Enum, InputObject};
use entity::message;
use sea_orm::{ActiveModelTrait, EntityTrait, Set, sea_query::Expr};
use uuid::Uuid;

use super::{Scope, reply::touch_live_session, session::find_session, set_if};
use crate::{
    auth::Versioned,
    domain::{self, validation::require_text},
    error::AppResult,
    events::Events,
};

/// Who said it. Stored in lower case (`user`, `assistant`, `system`), as model APIs name them.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum MessageRole {
    User,
    Assistant,
    System,
}

impl MessageRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageRole::User => "user",
            MessageRole::Assistant => "assistant",
            MessageRole::System => "system",
        }
    }

    pub fn parse(stored: &str) -> Self {
        match stored {
            "assistant" => MessageRole::Assistant,
            "system" => MessageRole::System,
            _ => MessageRole::User,
        }
    }
}

#[derive(InputObject)]
pub struct CreateMessageInput {
    /// The session, by id or by uuid (exactly one).
    pub chat_session_id: Option<i32>,
    pub chat_session_uuid: Option<Uuid>,
    #[graphql(default_with = "MessageRole::User")]
    pub role: MessageRole,
    pub content: String,
}

#[derive(InputObject, Default)]
pub struct UpdateMessageInput {
    pub role: Option<MessageRole>,
    pub content: Option<String>,
}

/// Appends a message to a session, moving the session's `updatedAt`, and announces it.
pub async fn create(
    scope: Scope<'_>,
    events: &Events,
    input: CreateMessageInput,
) -> AppResult<message::Model> {
    require_text("content", &input.content)?;
    let input = &input;
    let scope = &scope;
    let message = crate::db::retry_aborted(|| async move {
        let txn = crate::db::begin_write(scope.db).await?;
        let session = find_session(
            &txn,
            scope.principal,
            input.chat_session_id,
            input.chat_session_uuid,
            false,
        )
        .await?;
        let now = domain::now();
        touch_live_session(&txn, scope.principal, session.id, now).await?;
        let role = input.role.as_str();
        let content = input.content.clone();
        let message = super::reply::new_message(scope.principal, session.id, role, content, now)
            .insert(&txn)
            .await?;
        txn.commit().await?;
        Ok(message)
    })
    .await?;
    events.message_added(&message).await;
    Ok(message)
}

/// Edits a message, if it still has `expected_version` when given.
pub async fn update(
    scope: Scope<'_>,
    id: i32,
    input: UpdateMessageInput,
    expected_version: Option<i32>,
) -> AppResult<message::Model> {
    if let Some(content) = &input.content {
        require_text("content", content)?;
    }
    let row = message::ActiveModel {
        role: set_if(input.role.map(|r| r.as_str().to_owned())),
        content: set_if(input.content),
        updated_at: Set(domain::now()),
        ..Default::default()
    };
    let update = message::Entity::update_many().set(row);
    message::Entity::update_versioned(scope.db, scope.principal, id, expected_version, update).await
}

/// Soft-deletes a message, if it still has `expected_version` when given.
pub async fn delete(scope: Scope<'_>, id: i32, expected_version: Option<i32>) -> AppResult<()> {
    let update = message::Entity::update_many()
        .col_expr(message::Column::DeletedAt, Expr::value(domain::now()));
    message::Entity::update_versioned(scope.db, scope.principal, id, expected_version, update)
        .await
        .map(|_| ())
}
