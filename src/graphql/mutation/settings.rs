use async_graphql::{Context, ErrorExtensions, InputObject, MaybeUndefined, Object, Result};
use entity::account_settings;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set, sea_query::OnConflict};

use super::{chat_session::check_references, set_nullable};
use crate::{
    auth::Owned,
    domain::{self, settings},
    error::{AppError, AppResult},
    graphql::{request_scope, types::Settings},
};

/// A partial update of the settings: an absent field is left alone, `null` clears it.
#[derive(InputObject, Default)]
pub struct UpdateSettingsInput {
    pub default_ai_model_id: MaybeUndefined<i32>,
    pub default_system_prompt_id: MaybeUndefined<i32>,
    pub default_user_profile_id: MaybeUndefined<i32>,
    pub default_avatar_image: MaybeUndefined<String>,
}

#[derive(Default)]
pub struct SettingsMutation;

#[Object]
impl SettingsMutation {
    /// Changes the caller's settings. Each id must name one of the caller's own rows (else
    /// NOT_FOUND).
    async fn update_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateSettingsInput,
    ) -> Result<Settings> {
        let scope = request_scope(ctx)?;
        let updated: AppResult<_> = async {
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
            let unset = settings::unset(scope.principal).into_active_model();
            account_settings::Entity::insert(unset)
                .on_conflict(
                    OnConflict::column(account_settings::Column::OwnerId)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(scope.db)
                .await?;
            let mut row = settings::of(scope.db, scope.principal)
                .await?
                .into_active_model();
            row.default_ai_model_id = set_nullable(input.default_ai_model_id);
            row.default_system_prompt_id = set_nullable(input.default_system_prompt_id);
            row.default_user_profile_id = set_nullable(input.default_user_profile_id);
            row.default_avatar_image = set_nullable(input.default_avatar_image);
            row.updated_at = Set(domain::now());
            Ok(row.update(scope.db).await?)
        }
        .await;
        updated.map(Settings).map_err(|e| e.extend())
    }

    /// Clears every default of the caller's settings.
    async fn reset_settings(&self, ctx: &Context<'_>) -> Result<Settings> {
        let scope = request_scope(ctx)?;
        let reset: AppResult<_> = async {
            let owner = scope.principal.account_id;
            match account_settings::Entity::delete_owned(scope.db, scope.principal, owner).await {
                Ok(()) | Err(AppError::NotFound(_)) => Ok(settings::unset(scope.principal)),
                Err(other) => Err(other),
            }
        }
        .await;
        reset.map(Settings).map_err(|e| e.extend())
    }
}
