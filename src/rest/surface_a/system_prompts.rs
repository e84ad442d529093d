//! `/api/v1/system-prompts`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::NoParams;

/// A system prompt sessions can use.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SystemPrompt {
    pub id: i32,
    pub label: String,
    pub content: String,
    pub created_at: String,
    pub updated_at: String,
}

super::sibling_resource! {
    tag: "system-prompts",
    collection: "/api/v1/system-prompts",
    item: "/api/v1/system-prompts/{system_prompt_id}",
    id: "system_prompt_id",
    thing: "System prompt",
    noun: "system prompt",
    plural: "system prompts",
    object: SystemPrompt,
    create: crate::graphql::types::CreateSystemPromptInput,
    update: crate::graphql::types::UpdateSystemPromptInput,
    operations: ("ListSystemPrompts", "GetSystemPrompt", "CreateSystemPrompt", "UpdateSystemPrompt", "DeleteSystemPrompt"),
    operation_ids: ("list_system_prompts", "get_system_prompt", "create_system_prompt", "update_system_prompt", "delete_system_prompt"),
    delete_params: NoParams,
}
