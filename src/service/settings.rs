//! Each account's settings: the AI model, system prompt and user profile a session gets when it is
//! created without them (surface A's `/api/v1/settings`, from the origin's application settings,
//! one object per account here instead of one per installation).

use async_graphql::{InputObject, MaybeUndefined};
use entity::account_settings;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel, Set, sea_query::OnConflict,
};

use super::{Scope, session::check_references, set_nullable};
use crate::{
    auth::{Owned, Principal},
    domain,
    error::{AppError, AppResult},
};

/// A partial update of the settings: an absent field is left alone, `null` clears it.
// Surface A's body for `PUT /api/v1/settings` too.
#[derive(InputObject, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[schema(as = UpdateSettings)]
pub struct UpdateSettingsInput {
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    pub default_ai_model_id: MaybeUndefined<i32>,
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    pub default_system_prompt_id: MaybeUndefined<i32>,
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    pub default_user_profile_id: MaybeUndefined<i32>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub default_avatar_image: MaybeUndefined<String>,
}

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
        updated_at: domain::now(),
    }
}

/// Changes the settings; every id must name one of the principal's own rows.
pub async fn update(
    scope: Scope<'_>,
    input: UpdateSettingsInput,
) -> AppResult<account_settings::Model> {
    check_references(
        scope.db,
        scope.principal,
        None,
        input.default_user_profile_id.value().copied(),
        input.default_ai_model_id.value().copied(),
        input.default_system_prompt_id.value().copied(),
    )
    .await?;
    // The row exists from the first update on; making it is an idempotent upsert, so two
    // first updates at once cannot collide.
    let empty = unset(scope.principal).into_active_model();
    account_settings::Entity::insert(empty)
        .on_conflict(
            OnConflict::column(account_settings::Column::OwnerId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(scope.db)
        .await?;
    let mut row = of(scope.db, scope.principal).await?.into_active_model();
    row.default_ai_model_id = set_nullable(input.default_ai_model_id);
    row.default_system_prompt_id = set_nullable(input.default_system_prompt_id);
    row.default_user_profile_id = set_nullable(input.default_user_profile_id);
    row.default_avatar_image = set_nullable(input.default_avatar_image);
    row.updated_at = Set(domain::now());
    Ok(row.update(scope.db).await?)
}

/// Clears every default.
pub async fn reset(scope: Scope<'_>) -> AppResult<account_settings::Model> {
    let owner = scope.principal.account_id;
    match account_settings::Entity::delete_owned(scope.db, scope.principal, owner).await {
        Ok(()) | Err(AppError::NotFound(_)) => Ok(unset(scope.principal)),
        Err(other) => Err(other),
    }
}
