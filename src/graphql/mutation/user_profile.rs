use async_graphql::{Context, ErrorExtensions, InputObject, MaybeUndefined, Object, Result};
use entity::user_profile;
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};

use super::{set_if, set_nullable};
use crate::{
    auth::{Labeled, Owned},
    domain::{self, validation::require_text},
    error::AppResult,
    graphql::{request_scope, types::UserProfile},
};

#[derive(InputObject)]
pub struct CreateUserProfileInput {
    /// Unique per owner.
    pub label: String,
    pub name: String,
    pub avatar_image: Option<String>,
    pub description: Option<String>,
}

#[derive(InputObject, Default)]
pub struct UpdateUserProfileInput {
    pub label: Option<String>,
    pub name: Option<String>,
    pub avatar_image: MaybeUndefined<String>,
    pub description: MaybeUndefined<String>,
}

#[derive(Default)]
pub struct UserProfileMutation;

#[Object]
impl UserProfileMutation {
    async fn create_user_profile(
        &self,
        ctx: &Context<'_>,
        input: CreateUserProfileInput,
    ) -> Result<UserProfile> {
        let scope = request_scope(ctx)?;
        let created: AppResult<_> = async {
            require_text("name", &input.name)?;
            user_profile::Entity::ensure_label_free(scope.db, scope.principal, &input.label, None)
                .await?;
            let now = domain::now();
            Ok(user_profile::ActiveModel {
                owner_id: Set(scope.principal.account_id),
                label: Set(input.label),
                name: Set(input.name),
                avatar_image: Set(input.avatar_image),
                description: Set(input.description),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(scope.db)
            .await?)
        }
        .await;
        created.map(UserProfile::from).map_err(|e| e.extend())
    }

    async fn update_user_profile(
        &self,
        ctx: &Context<'_>,
        id: i32,
        input: UpdateUserProfileInput,
    ) -> Result<UserProfile> {
        let scope = request_scope(ctx)?;
        let updated: AppResult<_> = async {
            let row = user_profile::Entity::find_owned(scope.db, scope.principal, id).await?;
            if let Some(label) = &input.label {
                user_profile::Entity::ensure_label_free(scope.db, scope.principal, label, Some(id))
                    .await?;
            }
            if let Some(name) = &input.name {
                require_text("name", name)?;
            }
            let mut row = row.into_active_model();
            row.label = set_if(input.label);
            row.name = set_if(input.name);
            row.avatar_image = set_nullable(input.avatar_image);
            row.description = set_nullable(input.description);
            row.updated_at = Set(domain::now());
            Ok(row.update(scope.db).await?)
        }
        .await;
        updated.map(UserProfile::from).map_err(|e| e.extend())
    }

    /// Deletes the profile; sessions that used it keep going without one.
    async fn delete_user_profile(&self, ctx: &Context<'_>, id: i32) -> Result<bool> {
        let scope = request_scope(ctx)?;
        user_profile::Entity::delete_owned(scope.db, scope.principal, id)
            .await
            .map(|()| true)
            .map_err(|e| e.extend())
    }
}
