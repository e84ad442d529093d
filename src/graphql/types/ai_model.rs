use super::DateTime;
use async_graphql::Object;
use entity::ai_model;

/// A model on a provider, with its default parameters. Credentials are configuration, never data.
pub struct AiModel(pub std::sync::Arc<ai_model::Model>);
super::wraps!(AiModel, ai_model::Model, shared);

#[Object(serial)]
impl AiModel {
    async fn id(&self) -> i32 {
        self.0.id
    }
    /// Unique per owner.
    async fn label(&self) -> &str {
        &self.0.label
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// A configured provider's name; null means the default provider.
    async fn provider(&self) -> Option<&str> {
        self.0.provider.as_deref()
    }
    /// The model name the provider knows; null means the label.
    async fn model_name(&self) -> Option<&str> {
        self.0.model_name.as_deref()
    }
    async fn temperature(&self) -> Option<f64> {
        self.0.temperature
    }
    async fn max_tokens(&self) -> Option<i32> {
        self.0.max_tokens
    }
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
}
