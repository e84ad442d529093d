//! `/api/v1/system-prompts`.

use super::NoParams;
use crate::graphql::types::{CreateSystemPromptInput, SystemPrompt, UpdateSystemPromptInput};

super::sibling_resource! {
    tag: "system-prompts",
    collection: "/api/v1/system-prompts",
    item: "/api/v1/system-prompts/{system_prompt_id}",
    id: "system_prompt_id",
    thing: "System prompt",
    noun: "system prompt",
    plural: "system prompts",
    object: SystemPrompt,
    create: CreateSystemPromptInput,
    update: UpdateSystemPromptInput,
    operations: ("ListSystemPrompts", "GetSystemPrompt", "CreateSystemPrompt", "UpdateSystemPrompt", "DeleteSystemPrompt"),
    operation_ids: ("list_system_prompts", "get_system_prompt", "create_system_prompt", "update_system_prompt", "delete_system_prompt"),
    delete_params: NoParams,
}
