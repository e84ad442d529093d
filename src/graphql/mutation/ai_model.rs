use async_graphql::{Context, ErrorExtensions, InputObject, MaybeUndefined, Object, Result};
use entity::ai_model;
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};

use super::{set_if, set_nullable};
use crate::{
    auth::{Labeled, Owned},
    domain,
    error::{AppError, AppResult},
    graphql::{request_scope, types::AiModel},
    llm::Providers,
};

#[derive(InputObject)]
pub struct CreateAiModelInput {
    /// Unique per owner.
    pub label: String,
    pub description: Option<String>,
    /// A configured provider's name; omit for the default provider.
    pub provider: Option<String>,
    /// The model name the provider knows; omit to use the label.
    pub model_name: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<i32>,
}

#[derive(InputObject, Default)]
pub struct UpdateAiModelInput {
    pub label: Option<String>,
    pub description: MaybeUndefined<String>,
    pub provider: MaybeUndefined<String>,
    pub model_name: MaybeUndefined<String>,
    pub temperature: MaybeUndefined<f64>,
    pub max_tokens: MaybeUndefined<i32>,
}

/// Sampling temperature as the OpenAI API bounds it; max_tokens must be positive.
fn check_parameters(temperature: Option<f64>, max_tokens: Option<i32>) -> AppResult<()> {
    if let Some(t) = temperature
        && !(0.0..=2.0).contains(&t)
    {
        return Err(AppError::invalid(
            "temperature",
            format!("temperature must be between 0 and 2, got {t}"),
        ));
    }
    if let Some(n) = max_tokens
        && n < 1
    {
        return Err(AppError::invalid(
            "maxTokens",
            format!("maxTokens must be positive, got {n}"),
        ));
    }
    Ok(())
}

#[derive(Default)]
pub struct AiModelMutation;

#[Object]
impl AiModelMutation {
    async fn create_ai_model(
        &self,
        ctx: &Context<'_>,
        input: CreateAiModelInput,
    ) -> Result<AiModel> {
        let scope = request_scope(ctx)?;
        let providers = ctx.data::<Providers>()?;
        let created: AppResult<_> = async {
            check_parameters(input.temperature, input.max_tokens)?;
            providers.check_named(input.provider.as_deref())?;
            ai_model::Entity::ensure_label_free(scope.db, scope.principal, &input.label, None)
                .await?;
            let now = domain::now();
            Ok(ai_model::ActiveModel {
                owner_id: Set(scope.principal.account_id),
                label: Set(input.label),
                description: Set(input.description),
                provider: Set(input.provider),
                model_name: Set(input.model_name),
                temperature: Set(input.temperature),
                max_tokens: Set(input.max_tokens),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(scope.db)
            .await?)
        }
        .await;
        created.map(AiModel::from).map_err(|e| e.extend())
    }

    async fn update_ai_model(
        &self,
        ctx: &Context<'_>,
        id: i32,
        input: UpdateAiModelInput,
    ) -> Result<AiModel> {
        let scope = request_scope(ctx)?;
        let providers = ctx.data::<Providers>()?;
        let updated: AppResult<_> = async {
            let row = ai_model::Entity::find_owned(scope.db, scope.principal, id).await?;
            if let Some(label) = &input.label {
                ai_model::Entity::ensure_label_free(scope.db, scope.principal, label, Some(id))
                    .await?;
            }
            check_parameters(
                input.temperature.value().copied(),
                input.max_tokens.value().copied(),
            )?;
            providers.check_named(input.provider.value().map(String::as_str))?;
            let mut row = row.into_active_model();
            row.label = set_if(input.label);
            row.description = set_nullable(input.description);
            row.provider = set_nullable(input.provider);
            row.model_name = set_nullable(input.model_name);
            row.temperature = set_nullable(input.temperature);
            row.max_tokens = set_nullable(input.max_tokens);
            row.updated_at = Set(domain::now());
            Ok(row.update(scope.db).await?)
        }
        .await;
        updated.map(AiModel::from).map_err(|e| e.extend())
    }

    /// Deletes the model; sessions that used it keep going without one.
    async fn delete_ai_model(&self, ctx: &Context<'_>, id: i32) -> Result<bool> {
        let scope = request_scope(ctx)?;
        ai_model::Entity::delete_owned(scope.db, scope.principal, id)
            .await
            .map(|()| true)
            .map_err(|e| e.extend())
    }
}
