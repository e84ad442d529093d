use async_graphql::{Context, ErrorExtensions, InputObject, Object, Result};
use entity::{chat_session, message};
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};

use super::set_if;
use crate::{
    auth::Owned,
    domain::{self, validation::require_text},
    error::AppResult,
    graphql::{
        request_scope,
        types::{Message, MessageRole},
    },
};

#[derive(InputObject)]
pub struct CreateMessageInput {
    pub chat_session_id: i32,
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
        let created: AppResult<_> = async {
            require_text("content", &input.content)?;
            let txn = crate::db::begin_write(scope.db).await?;
            let session =
                chat_session::Entity::find_owned(&txn, scope.principal, input.chat_session_id)
                    .await?;
            let now = domain::now();
            let message = message::ActiveModel {
                owner_id: Set(scope.principal.account_id),
                chat_session_id: Set(session.id),
                role: Set(input.role.as_str().to_owned()),
                content: Set(input.content),
                created_at: Set(now),
                updated_at: Set(now),
                version: Set(1),
                deleted_at: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            let mut session = session.into_active_model();
            session.updated_at = Set(now);
            session.update(&txn).await?;
            txn.commit().await?;
            Ok(message)
        }
        .await;
        created.map(Message).map_err(|e| e.extend())
    }

    async fn update_message(
        &self,
        ctx: &Context<'_>,
        id: i32,
        input: UpdateMessageInput,
    ) -> Result<Message> {
        let scope = request_scope(ctx)?;
        let updated: AppResult<_> = async {
            let row = message::Entity::find_owned(scope.db, scope.principal, id).await?;
            if let Some(content) = &input.content {
                require_text("content", content)?;
            }
            let version = row.version + 1;
            let mut row = row.into_active_model();
            row.role = set_if(input.role.map(|r| r.as_str().to_owned()));
            row.content = set_if(input.content);
            row.version = Set(version);
            row.updated_at = Set(domain::now());
            Ok(row.update(scope.db).await?)
        }
        .await;
        updated.map(Message).map_err(|e| e.extend())
    }

    async fn delete_message(&self, ctx: &Context<'_>, id: i32) -> Result<bool> {
        let scope = request_scope(ctx)?;
        message::Entity::delete_owned(scope.db, scope.principal, id)
            .await
            .map(|()| true)
            .map_err(|e| e.extend())
    }
}
