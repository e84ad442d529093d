use super::DateTime;
use async_graphql::Object;
use async_graphql::{InputObject, MaybeUndefined};
use entity::ai_model;

use crate::{
    error::{AppError, AppResult},
    llm::Providers,
    service::{
        labelled::{Changes, Label, NewRow},
        set_nullable,
    },
};
use sea_orm::Set;

pub struct AiModel(pub std::sync::Arc<ai_model::Model>);
super::wraps!(AiModel, ai_model::Model, shared);

super::object_fields! {
    #[Object(serial)]
    /// A model on a provider, with its default parameters. Credentials are configuration, never data.
    impl AiModel {
        id: i32,
        /// Unique per owner.
        label: &str,
        description: Option<&str>,
        /// A configured provider's name; null means the default provider.
        provider: Option<&str>,
        /// The model name the provider knows; null means the label.
        model_name: Option<&str>,
        temperature: Option<f64>,
        max_tokens: Option<i32>,
        created_at: DateTime,
        updated_at: DateTime,
    }
}

// Surface A's body for `POST /api/v1/ai-models` too.
#[derive(InputObject, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[schema(as = CreateAiModel)]
pub struct CreateAiModelInput {
    /// Unique per owner.
    pub label: String,
    pub description: Option<String>,
    /// A configured provider's name; omit for the default provider.
    pub provider: Option<String>,
    /// The model name the provider knows; omit to use the label.
    pub model_name: Option<String>,
    /// 0 to 2.
    pub temperature: Option<f64>,
    /// At least 1.
    pub max_tokens: Option<i32>,
}

// Surface A's body for `PUT /api/v1/ai-models/{id}` too.
/// A partial update: fields left out stay as they are; `null` clears a nullable field.
#[derive(InputObject, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[schema(as = UpdateAiModel)]
pub struct UpdateAiModelInput {
    pub label: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: MaybeUndefined<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub provider: MaybeUndefined<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub model_name: MaybeUndefined<String>,
    #[serde(default)]
    #[schema(value_type = Option<f64>)]
    pub temperature: MaybeUndefined<f64>,
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
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

impl NewRow for CreateAiModelInput {
    type Entity = ai_model::Entity;
    fn check(&self, providers: &Providers) -> AppResult<()> {
        check_parameters(self.temperature, self.max_tokens)?;
        providers.check_named(self.provider.as_deref())
    }
    fn label(&self) -> Label<'_> {
        Label::Given(&self.label)
    }
    fn into_row(self) -> ai_model::ActiveModel {
        ai_model::ActiveModel {
            description: Set(self.description),
            provider: Set(self.provider),
            model_name: Set(self.model_name),
            temperature: Set(self.temperature),
            max_tokens: Set(self.max_tokens),
            ..Default::default()
        }
    }
}

impl Changes for UpdateAiModelInput {
    type Entity = ai_model::Entity;
    fn check(&self, providers: &Providers) -> AppResult<()> {
        check_parameters(
            self.temperature.value().copied(),
            self.max_tokens.value().copied(),
        )?;
        providers.check_named(self.provider.value().map(String::as_str))
    }
    fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }
    fn apply(self, row: &mut ai_model::ActiveModel) {
        row.description = set_nullable(self.description);
        row.provider = set_nullable(self.provider);
        row.model_name = set_nullable(self.model_name);
        row.temperature = set_nullable(self.temperature);
        row.max_tokens = set_nullable(self.max_tokens);
    }
}
