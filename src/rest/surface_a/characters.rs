//! `/api/v1/characters`.

use crate::graphql::types::{Character, CreateCharacterInput, UpdateCharacterInput};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

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
    create: CreateCharacterInput,
    update: UpdateCharacterInput,
    operations: ("ListCharacters", "GetCharacter", "CreateCharacter", "UpdateCharacter", "DeleteCharacter"),
    operation_ids: ("list_characters", "get_character", "create_character", "update_character", "delete_character"),
    delete_params: DeleteCharacterParams,
}
