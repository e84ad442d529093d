use std::io::Read;

use async_graphql::{
    Context, ErrorExtensions, InputObject, Json, MaybeUndefined, Object, Result, Upload,
};
use entity::{character, chat_session};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, Set,
};

use super::{set_if, set_nullable, string_list};
use crate::{
    auth::{Labeled, Owned},
    domain::{self, validation::require_text},
    error::{AppError, AppResult},
    graphql::{request_scope, types::Character},
};

#[derive(InputObject)]
pub struct CreateCharacterInput {
    /// Unique per owner. Without one, the name as a slug, made unique (`Aria Moon` ->
    /// `aria-moon`, `aria-moon-2`): clients of APIs without labels (tldw's) create characters by
    /// name alone.
    pub label: Option<String>,
    pub name: String,
    pub avatar_image: Option<String>,
    pub description: Option<String>,
    pub personality: Option<String>,
    pub scenario: Option<String>,
    pub first_message: Option<String>,
    pub alternate_greetings: Option<Vec<String>>,
    pub message_example: Option<String>,
    pub creator_notes: Option<String>,
    pub system_prompt: Option<String>,
    pub post_history_instructions: Option<String>,
    pub tags: Option<Vec<String>>,
    pub creator: Option<String>,
    pub character_version: Option<String>,
    /// A JSON object.
    pub extensions: Option<Json<serde_json::Map<String, serde_json::Value>>>,
}

#[derive(InputObject, Default)]
pub struct UpdateCharacterInput {
    pub label: Option<String>,
    pub name: Option<String>,
    pub avatar_image: MaybeUndefined<String>,
    pub description: MaybeUndefined<String>,
    pub personality: MaybeUndefined<String>,
    pub scenario: MaybeUndefined<String>,
    pub first_message: MaybeUndefined<String>,
    pub alternate_greetings: Option<Vec<String>>,
    pub message_example: MaybeUndefined<String>,
    pub creator_notes: MaybeUndefined<String>,
    pub system_prompt: MaybeUndefined<String>,
    pub post_history_instructions: MaybeUndefined<String>,
    pub tags: Option<Vec<String>>,
    pub creator: MaybeUndefined<String>,
    pub character_version: MaybeUndefined<String>,
    pub extensions: Option<Json<serde_json::Map<String, serde_json::Value>>>,
}

#[derive(Default)]
pub struct CharacterMutation;

#[Object]
impl CharacterMutation {
    async fn create_character(
        &self,
        ctx: &Context<'_>,
        input: CreateCharacterInput,
    ) -> Result<Character> {
        let scope = request_scope(ctx)?;
        let created: AppResult<_> = async {
            require_text("name", &input.name)?;
            let label = match input.label {
                Some(label) => {
                    character::Entity::ensure_label_free(scope.db, scope.principal, &label, None)
                        .await?;
                    label
                }
                None => domain::card::free_label(scope.db, scope.principal, &input.name).await?,
            };
            let now = domain::now();
            Ok(character::ActiveModel {
                owner_id: Set(scope.principal.account_id),
                label: Set(label),
                name: Set(input.name),
                avatar_image: Set(input.avatar_image),
                description: Set(input.description),
                personality: Set(input.personality),
                scenario: Set(input.scenario),
                first_message: Set(input.first_message),
                alternate_greetings: Set(string_list(
                    input.alternate_greetings.unwrap_or_default(),
                )),
                message_example: Set(input.message_example),
                creator_notes: Set(input.creator_notes),
                system_prompt: Set(input.system_prompt),
                post_history_instructions: Set(input.post_history_instructions),
                tags: Set(string_list(input.tags.unwrap_or_default())),
                creator: Set(input.creator),
                character_version: Set(input.character_version),
                extensions: Set(input.extensions.map(|e| e.0).unwrap_or_default().into()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(scope.db)
            .await?)
        }
        .await;
        created.map(Character::from).map_err(|e| e.extend())
    }

    async fn update_character(
        &self,
        ctx: &Context<'_>,
        id: i32,
        input: UpdateCharacterInput,
    ) -> Result<Character> {
        let scope = request_scope(ctx)?;
        let updated: AppResult<_> = async {
            let row = character::Entity::find_owned(scope.db, scope.principal, id).await?;
            if let Some(label) = &input.label {
                character::Entity::ensure_label_free(scope.db, scope.principal, label, Some(id))
                    .await?;
            }
            if let Some(name) = &input.name {
                require_text("name", name)?;
            }
            let mut row = row.into_active_model();
            row.label = set_if(input.label);
            row.name = set_if(input.name);
            row.avatar_image = set_nullable(input.avatar_image);
            row.description = set_nullable(input.description);
            row.personality = set_nullable(input.personality);
            row.scenario = set_nullable(input.scenario);
            row.first_message = set_nullable(input.first_message);
            row.alternate_greetings = set_if(input.alternate_greetings.map(string_list));
            row.message_example = set_nullable(input.message_example);
            row.creator_notes = set_nullable(input.creator_notes);
            row.system_prompt = set_nullable(input.system_prompt);
            row.post_history_instructions = set_nullable(input.post_history_instructions);
            row.tags = set_if(input.tags.map(string_list));
            row.creator = set_nullable(input.creator);
            row.character_version = set_nullable(input.character_version);
            row.extensions = set_if(input.extensions.map(|e| e.0.into()));
            row.updated_at = Set(domain::now());
            Ok(row.update(scope.db).await?)
        }
        .await;
        updated.map(Character::from).map_err(|e| e.extend())
    }

    /// Imports a character card as a new character: V1, V2 (`chara_card_v2`) or V3
    /// (`chara_card_v3`), as a JSON file or a PNG with the card in its `chara`/`ccv3` chunk. The
    /// label defaults to the name as a slug, made unique (`aria`, `aria-2`, ...). A file that is
    /// not a readable card is BAD_USER_INPUT naming what is wrong.
    async fn import_character_card(
        &self,
        ctx: &Context<'_>,
        file: Upload,
        label: Option<String>,
    ) -> Result<Character> {
        let scope = request_scope(ctx)?;
        let imported: AppResult<_> = async {
            let mut bytes = Vec::new();
            file.value(ctx)
                .map_err(|e| AppError::invalid("file", e.to_string()))?
                .content
                .read_to_end(&mut bytes)
                .map_err(|e| {
                    AppError::invalid("file", format!("the upload cannot be read: {e}"))
                })?;
            domain::card::import(scope.db, scope.principal, &bytes, label).await
        }
        .await;
        imported.map(Character::from).map_err(|e| e.extend())
    }

    /// Deletes a character. One that chat sessions use is refused (CONFLICT) unless `cascade` is
    /// true, which deletes those sessions and their messages too.
    async fn delete_character(
        &self,
        ctx: &Context<'_>,
        id: i32,
        #[graphql(default)] cascade: bool,
    ) -> Result<bool> {
        let scope = request_scope(ctx)?;
        let deleted: AppResult<()> = async {
            let txn = crate::db::begin_write(scope.db).await?;
            character::Entity::find_owned(&txn, scope.principal, id).await?;
            // Soft-deleted sessions count too: they still reference the character.
            let sessions = chat_session::Entity::delete_many()
                .filter(chat_session::Column::OwnerId.eq(scope.principal.account_id))
                .filter(chat_session::Column::CharacterId.eq(id));
            let in_use = chat_session::Entity::find()
                .filter(chat_session::Column::OwnerId.eq(scope.principal.account_id))
                .filter(chat_session::Column::CharacterId.eq(id))
                .count(&txn)
                .await?;
            if in_use > 0 {
                if !cascade {
                    return Err(AppError::Conflict(format!(
                        "Character {id} is used by {in_use} chat session(s); \
                         delete them first, or delete with cascade"
                    )));
                }
                sessions.exec(&txn).await?;
            }
            character::Entity::delete_owned(&txn, scope.principal, id).await?;
            txn.commit().await?;
            Ok(())
        }
        .await;
        deleted.map(|()| true).map_err(|e| e.extend())
    }
}
