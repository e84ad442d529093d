//! Characters: importing cards, reading what an import kept, deleting with or without the
//! sessions that use them. Creating and updating are `labelled`'s.

use entity::{character, character_card, chat_session};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use serde_json::Value;

use super::{Scope, labelled::free_label};
use crate::{
    auth::{Labeled, Owned, Principal},
    domain::{self, card},
    error::{AppError, AppResult},
};

/// Creates a character of `principal`'s from a card file.
pub async fn import(
    db: &sea_orm::DatabaseConnection,
    principal: Principal,
    bytes: &[u8],
    label: Option<String>,
) -> AppResult<character::Model> {
    let card = card::parse(bytes)?;
    let txn = crate::db::begin_write(db).await?;
    let label = match label {
        Some(label) => {
            character::Entity::ensure_label_free(&txn, principal, &label, None).await?;
            label
        }
        None => free_label::<character::Entity, _>(&txn, principal, &card.name).await?,
    };
    let now = domain::now();
    let created = character::ActiveModel {
        owner_id: Set(principal.account_id),
        label: Set(label),
        name: Set(card.name),
        avatar_image: Set(None),
        description: Set(card.description),
        personality: Set(card.personality),
        scenario: Set(card.scenario),
        first_message: Set(card.first_message),
        alternate_greetings: Set(Value::from(card.alternate_greetings)),
        message_example: Set(card.message_example),
        creator_notes: Set(card.creator_notes),
        system_prompt: Set(card.system_prompt),
        post_history_instructions: Set(card.post_history_instructions),
        tags: Set(Value::from(card.tags)),
        creator: Set(card.creator),
        character_version: Set(card.character_version),
        extensions: Set(Value::Object(card.extensions)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    character_card::ActiveModel {
        character_id: Set(created.id),
        owner_id: Set(principal.account_id),
        extras: Set(Value::Object(card.extras)),
        image: Set(card.image),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// What an import kept of `character`'s card, if it was imported.
pub async fn stored<C: ConnectionTrait>(
    db: &C,
    principal: Principal,
    character_id: i32,
) -> AppResult<Option<character_card::Model>> {
    Ok(character_card::Entity::scoped(principal)
        .filter(character_card::Column::CharacterId.eq(character_id))
        .one(db)
        .await?)
}

/// Deletes character `id`; one that sessions use is a CONFLICT unless `cascade`, which deletes
/// those sessions (soft-deleted ones too) and their messages with it.
pub async fn delete(scope: Scope<'_>, id: i32, cascade: bool) -> AppResult<()> {
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
