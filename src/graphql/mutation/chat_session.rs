use async_graphql::{Context, ErrorExtensions, InputObject, MaybeUndefined, Object, Result};
use entity::{ai_model, character, chat_session, system_prompt, user_profile};
use sea_orm::{ActiveModelTrait, DatabaseConnection, IntoActiveModel, Set};
use uuid::Uuid;

use super::{set_if, set_nullable};
use crate::{
    auth::{Owned, Principal},
    domain::{
        self,
        validation::{rating, require_prompt_when_enabled},
    },
    error::AppResult,
    graphql::{request_scope, types::ChatSession},
};

#[derive(InputObject)]
pub struct CreateChatSessionInput {
    pub character_id: i32,
    pub user_profile_id: Option<i32>,
    pub ai_model_id: Option<i32>,
    pub system_prompt_id: Option<i32>,
    pub title: Option<String>,
    pub pre_prompt: Option<String>,
    #[graphql(default)]
    pub pre_prompt_enabled: bool,
    pub post_prompt: Option<String>,
    #[graphql(default)]
    pub post_prompt_enabled: bool,
    /// 1 to 5.
    pub rating: Option<i32>,
}

#[derive(InputObject, Default)]
pub struct UpdateChatSessionInput {
    pub character_id: Option<i32>,
    pub user_profile_id: MaybeUndefined<i32>,
    pub ai_model_id: MaybeUndefined<i32>,
    pub system_prompt_id: MaybeUndefined<i32>,
    pub title: MaybeUndefined<String>,
    pub pre_prompt: MaybeUndefined<String>,
    pub pre_prompt_enabled: Option<bool>,
    pub post_prompt: MaybeUndefined<String>,
    pub post_prompt_enabled: Option<bool>,
    pub rating: MaybeUndefined<i32>,
}

/// NOT_FOUND unless every given id names a row of the principal's.
async fn check_references(
    db: &DatabaseConnection,
    principal: Principal,
    character_id: Option<i32>,
    user_profile_id: Option<i32>,
    ai_model_id: Option<i32>,
    system_prompt_id: Option<i32>,
) -> AppResult<()> {
    if let Some(id) = character_id {
        character::Entity::find_owned(db, principal, id).await?;
    }
    if let Some(id) = user_profile_id {
        user_profile::Entity::find_owned(db, principal, id).await?;
    }
    if let Some(id) = ai_model_id {
        ai_model::Entity::find_owned(db, principal, id).await?;
    }
    if let Some(id) = system_prompt_id {
        system_prompt::Entity::find_owned(db, principal, id).await?;
    }
    Ok(())
}

/// The value a field will have after a partial update.
fn merged<T: Clone>(update: &MaybeUndefined<T>, current: &Option<T>) -> Option<T> {
    match update {
        MaybeUndefined::Undefined => current.clone(),
        MaybeUndefined::Null => None,
        MaybeUndefined::Value(v) => Some(v.clone()),
    }
}

#[derive(Default)]
pub struct ChatSessionMutation;

#[Object]
impl ChatSessionMutation {
    async fn create_chat_session(
        &self,
        ctx: &Context<'_>,
        input: CreateChatSessionInput,
    ) -> Result<ChatSession> {
        let scope = request_scope(ctx)?;
        let created: AppResult<_> = async {
            require_prompt_when_enabled(
                "pre_prompt",
                input.pre_prompt_enabled,
                input.pre_prompt.as_deref(),
            )?;
            require_prompt_when_enabled(
                "post_prompt",
                input.post_prompt_enabled,
                input.post_prompt.as_deref(),
            )?;
            rating(input.rating)?;
            check_references(
                scope.db,
                scope.principal,
                Some(input.character_id),
                input.user_profile_id,
                input.ai_model_id,
                input.system_prompt_id,
            )
            .await?;
            let now = domain::now();
            Ok(chat_session::ActiveModel {
                uuid: Set(Uuid::new_v4()),
                owner_id: Set(scope.principal.account_id),
                character_id: Set(input.character_id),
                user_profile_id: Set(input.user_profile_id),
                ai_model_id: Set(input.ai_model_id),
                system_prompt_id: Set(input.system_prompt_id),
                title: Set(input.title),
                pre_prompt: Set(input.pre_prompt),
                pre_prompt_enabled: Set(input.pre_prompt_enabled),
                post_prompt: Set(input.post_prompt),
                post_prompt_enabled: Set(input.post_prompt_enabled),
                rating: Set(input.rating),
                start_time: Set(now),
                updated_at: Set(now),
                version: Set(1),
                deleted_at: Set(None),
                ..Default::default()
            }
            .insert(scope.db)
            .await?)
        }
        .await;
        created.map(ChatSession).map_err(|e| e.extend())
    }

    async fn update_chat_session(
        &self,
        ctx: &Context<'_>,
        id: i32,
        input: UpdateChatSessionInput,
    ) -> Result<ChatSession> {
        let scope = request_scope(ctx)?;
        let updated: AppResult<_> = async {
            let row = chat_session::Entity::find_owned(scope.db, scope.principal, id).await?;
            check_references(
                scope.db,
                scope.principal,
                input.character_id,
                input.user_profile_id.value().copied(),
                input.ai_model_id.value().copied(),
                input.system_prompt_id.value().copied(),
            )
            .await?;
            // The rules hold for the session as it will be, not just for the fields sent.
            require_prompt_when_enabled(
                "pre_prompt",
                input.pre_prompt_enabled.unwrap_or(row.pre_prompt_enabled),
                merged(&input.pre_prompt, &row.pre_prompt).as_deref(),
            )?;
            require_prompt_when_enabled(
                "post_prompt",
                input.post_prompt_enabled.unwrap_or(row.post_prompt_enabled),
                merged(&input.post_prompt, &row.post_prompt).as_deref(),
            )?;
            rating(input.rating.value().copied())?;
            let version = row.version + 1;
            let mut row = row.into_active_model();
            row.character_id = set_if(input.character_id);
            row.user_profile_id = set_nullable(input.user_profile_id);
            row.ai_model_id = set_nullable(input.ai_model_id);
            row.system_prompt_id = set_nullable(input.system_prompt_id);
            row.title = set_nullable(input.title);
            row.pre_prompt = set_nullable(input.pre_prompt);
            row.pre_prompt_enabled = set_if(input.pre_prompt_enabled);
            row.post_prompt = set_nullable(input.post_prompt);
            row.post_prompt_enabled = set_if(input.post_prompt_enabled);
            row.rating = set_nullable(input.rating);
            row.version = Set(version);
            row.updated_at = Set(domain::now());
            Ok(row.update(scope.db).await?)
        }
        .await;
        updated.map(ChatSession).map_err(|e| e.extend())
    }

    /// Deletes the session and all of its messages, for good.
    async fn delete_chat_session(&self, ctx: &Context<'_>, id: i32) -> Result<bool> {
        let scope = request_scope(ctx)?;
        chat_session::Entity::delete_owned(scope.db, scope.principal, id)
            .await
            .map(|()| true)
            .map_err(|e| e.extend())
    }
}
