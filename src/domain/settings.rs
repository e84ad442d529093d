//! Each account's settings: the AI model, system prompt and user profile a session gets when it is
//! created without them (surface A's `/api/v1/settings`, from the origin's application settings,
//! one object per account here instead of one per installation).

use entity::account_settings;
use sea_orm::ConnectionTrait;

use crate::{
    auth::{Owned, Principal},
    error::{AppError, AppResult},
};

/// The settings of `principal`'s account: its stored row, or, before its first update, one
/// without any default.
pub async fn of<C: ConnectionTrait>(
    db: &C,
    principal: Principal,
) -> AppResult<account_settings::Model> {
    match account_settings::Entity::find_owned(db, principal, principal.account_id).await {
        Ok(found) => Ok(found),
        Err(AppError::NotFound(_)) => Ok(unset(principal)),
        Err(other) => Err(other),
    }
}

/// Settings with no defaults (what an account has before its first update, and after a reset).
pub fn unset(principal: Principal) -> account_settings::Model {
    account_settings::Model {
        owner_id: principal.account_id,
        default_ai_model_id: None,
        default_system_prompt_id: None,
        default_user_profile_id: None,
        default_avatar_image: None,
        updated_at: crate::domain::now(),
    }
}
