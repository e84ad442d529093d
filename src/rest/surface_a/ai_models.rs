//! `/api/v1/ai-models`.

use super::NoParams;
use crate::graphql::types::{AiModel, CreateAiModelInput, UpdateAiModelInput};

super::sibling_resource! {
    tag: "ai-models",
    collection: "/api/v1/ai-models",
    item: "/api/v1/ai-models/{ai_model_id}",
    id: "ai_model_id",
    thing: "AI model",
    noun: "AI model",
    plural: "AI models",
    object: AiModel,
    create: CreateAiModelInput,
    update: UpdateAiModelInput,
    operations: ("ListAiModels", "GetAiModel", "CreateAiModel", "UpdateAiModel", "DeleteAiModel"),
    operation_ids: ("list_ai_models", "get_ai_model", "create_ai_model", "update_ai_model", "delete_ai_model"),
    delete_params: NoParams,
}
