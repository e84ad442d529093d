//! `/api/v1/characters`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

/// A character, with the fields of the community character-card format.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Character {
    pub id: i32,
    pub label: String,
    pub name: String,
    pub avatar_image: Option<String>,
    pub description: Option<String>,
    pub personality: Option<String>,
    pub scenario: Option<String>,
    pub first_message: Option<String>,
    pub alternate_greetings: Vec<String>,
    pub message_example: Option<String>,
    pub creator_notes: Option<String>,
    pub system_prompt: Option<String>,
    pub post_history_instructions: Option<String>,
    pub tags: Vec<String>,
    pub creator: Option<String>,
    pub character_version: Option<String>,
    #[schema(value_type = Object)]
    pub extensions: Map<String, Value>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteCharacterParams {
    /// Also delete the chat sessions that use the character (and their messages). Without it,
    /// deleting a character in use is refused with 400 BUSINESS_RULE_ERROR.
    #[serde(default)]
    #[param(value_type = bool)]
    pub cascade: crate::rest::input::Flag,
}

super::sibling_resource! {
    tag: "characters",
    collection: "/api/v1/characters",
    item: "/api/v1/characters/{character_id}",
    id: "character_id",
    thing: "Character",
    noun: "character",
    plural: "characters",
    object: Character,
    create: crate::graphql::types::CreateCharacterInput,
    update: crate::graphql::types::UpdateCharacterInput,
    operations: ("ListCharacters", "GetCharacter", "CreateCharacter", "UpdateCharacter", "DeleteCharacter"),
    operation_ids: ("list_characters", "get_character", "create_character", "update_character", "delete_character"),
    delete_params: DeleteCharacterParams,
}
