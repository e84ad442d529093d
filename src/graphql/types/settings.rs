use async_graphql::{Context, ErrorExtensions, Object, Result};
use entity::account_settings;
use futures::FutureExt;

use super::{AiModel, DateTime, SystemPrompt, UserProfile};
use crate::graphql::request_scope;

/// The caller's account settings: what a session created without an AI model, system prompt or
/// user profile gets. A default that is deleted is cleared.
pub struct Settings(pub account_settings::Model);
super::wraps!(Settings, account_settings::Model);

#[Object]
impl Settings {
    /// Always 1: there is one settings object per account (the origin's singleton id).
    async fn id(&self) -> i32 {
        1
    }
    async fn default_ai_model_id(&self) -> Option<i32> {
        self.0.default_ai_model_id
    }
    async fn default_system_prompt_id(&self) -> Option<i32> {
        self.0.default_system_prompt_id
    }
    async fn default_user_profile_id(&self) -> Option<i32> {
        self.0.default_user_profile_id
    }
    /// A path or URL, as the client stored it.
    async fn default_avatar_image(&self) -> Option<&str> {
        self.0.default_avatar_image.as_deref()
    }
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
    async fn default_ai_model(&self, ctx: &Context<'_>) -> Result<Option<AiModel>> {
        let Some(id) = self.0.default_ai_model_id else {
            return Ok(None);
        };
        let found = request_scope(ctx)?.loaders.ai_model.load_one(id).boxed();
        Ok(found.await.map_err(|e| e.extend())?.map(AiModel))
    }
    async fn default_system_prompt(&self, ctx: &Context<'_>) -> Result<Option<SystemPrompt>> {
        let Some(id) = self.0.default_system_prompt_id else {
            return Ok(None);
        };
        let found = request_scope(ctx)?
            .loaders
            .system_prompt
            .load_one(id)
            .boxed();
        Ok(found.await.map_err(|e| e.extend())?.map(SystemPrompt))
    }
    async fn default_user_profile(&self, ctx: &Context<'_>) -> Result<Option<UserProfile>> {
        let Some(id) = self.0.default_user_profile_id else {
            return Ok(None);
        };
        let found = request_scope(ctx)?
            .loaders
            .user_profile
            .load_one(id)
            .boxed();
        Ok(found.await.map_err(|e| e.extend())?.map(UserProfile))
    }
}
