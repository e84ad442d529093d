use async_graphql::{Context, ErrorExtensions, InputObject, Object, Result};
use entity::message;
use sea_orm::{ActiveModelTrait, EntityTrait, Set, sea_query::Expr};
use uuid::Uuid;

use super::{chat_session::find_session, set_if};
use crate::{
    auth::Versioned,
    domain::{self, validation::require_text},
    error::AppResult,
    graphql::{
        request_scope,
        types::{Message, MessageRole},
    },
};

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

#[derive(Default)]
pub struct MessageMutation;

#[Object]
impl MessageMutation {
    /// Appends a message to a session; the session's `updatedAt` moves with it.
    async fn create_message(
        &self,
        ctx: &Context<'_>,
        input: CreateMessageInput,
    ) -> Result<Message> {
        let scope = request_scope(ctx)?;
        let events = ctx.data::<crate::events::Events>()?;
        let created: AppResult<_> = async {
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
                domain::chat::touch_live_session(&txn, scope.principal, session.id, now).await?;
                let role = input.role.as_str();
                let content = input.content.clone();
                let message =
                    domain::chat::new_message(scope.principal, session.id, role, content, now)
                        .insert(&txn)
                        .await?;
                txn.commit().await?;
                Ok(message)
            })
            .await?;
            events
                .message_added(message.owner_id, message.chat_session_id, message.id)
                .await;
            Ok(message)
        }
        .await;
        created.map(Message).map_err(|e| e.extend())
    }

    /// Edits a message. With `expectedVersion`, only if it still has that version (else
    /// CONFLICT). Every edit adds one to the version.
    async fn update_message(
        &self,
        ctx: &Context<'_>,
        id: i32,
        input: UpdateMessageInput,
        expected_version: Option<i32>,
    ) -> Result<Message> {
        let scope = request_scope(ctx)?;
        let updated: AppResult<_> = async {
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
            message::Entity::update_versioned(
                scope.db,
                scope.principal,
                id,
                expected_version,
                update,
            )
            .await
        }
        .await;
        updated.map(Message).map_err(|e| e.extend())
    }

    /// Deletes a message: it is hidden everywhere (lists, counts, search, exports, context). With
    /// `expectedVersion`, only if it still has that version (else CONFLICT).
    async fn delete_message(
        &self,
        ctx: &Context<'_>,
        id: i32,
        expected_version: Option<i32>,
    ) -> Result<bool> {
        let scope = request_scope(ctx)?;
        let update = message::Entity::update_many()
            .col_expr(message::Column::DeletedAt, Expr::value(domain::now()));
        message::Entity::update_versioned(scope.db, scope.principal, id, expected_version, update)
            .await
            .map(|_| true)
            .map_err(|e| e.extend())
    }
}
