use async_graphql::{Context, ErrorExtensions, Object, Result};
use entity::account_settings;
use futures::FutureExt;

use super::{AiModel, DateTime, SystemPrompt, UserProfile};
use crate::graphql::request_scope;

/// The caller's account settings: what a session created without an AI model, system prompt or
/// user profile gets. A default that is deleted is cleared.
pub struct Settings(pub account_settings::Model);
super::wraps!(Settings, account_settings::Model);

super::object_fields! {
    #[Object]
    impl Settings {
        /// Always 1: there is one settings object per account (the origin's singleton id).
        async fn id(&self) -> i32 {
            1
        }
        default_ai_model_id: Option<i32>,
        default_system_prompt_id: Option<i32>,
        default_user_profile_id: Option<i32>,
        /// A path or URL, as the client stored it.
        default_avatar_image: Option<&str>,
        updated_at: DateTime,
        async fn default_ai_model(&self, ctx: &Context<'_>) -> Result<Option<AiModel>> {
            let Some(id) = self.0.default_ai_model_id else {
                return Ok(None);
            };
            let found = request_scope(ctx)?.loaders.ai_model().load_one(id).boxed();
            Ok(found.await.map_err(|e| e.extend())?.map(AiModel))
        }
        async fn default_system_prompt(&self, ctx: &Context<'_>) -> Result<Option<SystemPrompt>> {
            let Some(id) = self.0.default_system_prompt_id else {
                return Ok(None);
            };
            let found = request_scope(ctx)?
                .loaders
                .system_prompt()
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
                .user_profile()
                .load_one(id)
                .boxed();
            Ok(found.await.map_err(|e| e.extend())?.map(UserProfile))
        }
    }
}
