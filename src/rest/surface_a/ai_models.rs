//! `/api/v1/ai-models`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::NoParams;
use crate::rest::input::present;

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

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CreateAiModel {
    /// Unique per owner.
    pub label: String,
    pub description: Option<String>,
    pub provider: Option<String>,
    pub model_name: Option<String>,
    /// 0 to 2.
    pub temperature: Option<f64>,
    /// At least 1.
    pub max_tokens: Option<i32>,
}

/// A partial update: fields left out stay as they are; `null` clears a nullable field.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct UpdateAiModel {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub provider: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub model_name: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<f64>)]
    pub temperature: Option<Option<f64>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<i32>)]
    pub max_tokens: Option<Option<i32>>,
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
    create: CreateAiModel,
    update: UpdateAiModel,
    operations: ("ListAiModels", "GetAiModel", "CreateAiModel", "UpdateAiModel", "DeleteAiModel"),
    operation_ids: ("list_ai_models", "get_ai_model", "create_ai_model", "update_ai_model", "delete_ai_model"),
    delete_params: NoParams,
}
