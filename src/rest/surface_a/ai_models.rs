//! `/api/v1/ai-models`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::NoParams;

/// A model on a provider, with its default parameters.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct AiModel {
    pub id: i32,
    pub label: String,
    pub description: Option<String>,
    /// A configured provider's name; null means the default provider.
    pub provider: Option<String>,
    /// The model name the provider knows; null means the label.
    pub model_name: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<i32>,
    pub created_at: String,
    pub updated_at: String,
}

super::sibling_resource! {
    tag: "ai-models",
    collection: "/api/v1/ai-models",
    item: "/api/v1/ai-models/{ai_model_id}",
    id: "ai_model_id",
    thing: "AI model",
    noun: "AI model",
    plural: "AI models",
    object: AiModel,
    create: crate::graphql::types::CreateAiModelInput,
    update: crate::graphql::types::UpdateAiModelInput,
    operations: ("ListAiModels", "GetAiModel", "CreateAiModel", "UpdateAiModel", "DeleteAiModel"),
    operation_ids: ("list_ai_models", "get_ai_model", "create_ai_model", "update_ai_model", "delete_ai_model"),
    delete_params: NoParams,
}
