use async_graphql::{Context, ErrorExtensions, InputObject, Object, Result};
use entity::system_prompt;
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};

use super::set_if;
use crate::{
    auth::{Labeled, Owned},
    domain::{self, validation::require_text},
    error::AppResult,
    graphql::{request_scope, types::SystemPrompt},
};

#[derive(InputObject)]
pub struct CreateSystemPromptInput {
    /// Unique per owner.
    pub label: String,
    pub content: String,
}

#[derive(InputObject, Default)]
pub struct UpdateSystemPromptInput {
    pub label: Option<String>,
    pub content: Option<String>,
}

#[derive(Default)]
pub struct SystemPromptMutation;

#[Object]
impl SystemPromptMutation {
    async fn create_system_prompt(
        &self,
        ctx: &Context<'_>,
        input: CreateSystemPromptInput,
    ) -> Result<SystemPrompt> {
        let scope = request_scope(ctx)?;
        let created: AppResult<_> = async {
            require_text("content", &input.content)?;
            system_prompt::Entity::ensure_label_free(scope.db, scope.principal, &input.label, None)
                .await?;
            let now = domain::now();
            Ok(system_prompt::ActiveModel {
                owner_id: Set(scope.principal.account_id),
                label: Set(input.label),
                content: Set(input.content),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(scope.db)
            .await?)
        }
        .await;
        created.map(SystemPrompt::from).map_err(|e| e.extend())
    }

    async fn update_system_prompt(
        &self,
        ctx: &Context<'_>,
        id: i32,
        input: UpdateSystemPromptInput,
    ) -> Result<SystemPrompt> {
        let scope = request_scope(ctx)?;
        let updated: AppResult<_> = async {
            let row = system_prompt::Entity::find_owned(scope.db, scope.principal, id).await?;
            if let Some(label) = &input.label {
                system_prompt::Entity::ensure_label_free(
                    scope.db,
                    scope.principal,
                    label,
                    Some(id),
                )
                .await?;
            }
            if let Some(content) = &input.content {
                require_text("content", content)?;
            }
            let mut row = row.into_active_model();
            row.label = set_if(input.label);
            row.content = set_if(input.content);
            row.updated_at = Set(domain::now());
            Ok(row.update(scope.db).await?)
        }
        .await;
        updated.map(SystemPrompt::from).map_err(|e| e.extend())
    }

    /// Deletes the prompt; sessions that used it keep going without one.
    async fn delete_system_prompt(&self, ctx: &Context<'_>, id: i32) -> Result<bool> {
        let scope = request_scope(ctx)?;
        system_prompt::Entity::delete_owned(scope.db, scope.principal, id)
            .await
            .map(|()| true)
            .map_err(|e| e.extend())
    }
}
