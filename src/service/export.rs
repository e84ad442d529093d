//! Reading what a chat export shows (`domain::export` writes it out).

use entity::{character, chat_session, message};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};

use crate::{
    auth::{Owned, Principal},
    domain::export::ChatTranscript,
    error::AppResult,
};

/// Reads what an export of `session` shows: its character and its live messages.
pub async fn transcript<C: ConnectionTrait>(
    db: &C,
    principal: Principal,
    session: &chat_session::Model,
) -> AppResult<ChatTranscript> {
    let character = character::Entity::find_owned(db, principal, session.character_id).await?;
    let messages = message::Entity::scoped(principal)
        .filter(message::Column::ChatSessionId.eq(session.id))
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?;
    Ok(ChatTranscript {
        chat_id: session.uuid,
        title: session.title.clone(),
        character_id: character.id,
        character_name: character.name,
        created_at: session.start_time,
        last_modified: session.updated_at,
        rating: session.rating,
        messages: messages
            .into_iter()
            .map(|m| (m.id, m.role, m.content, m.created_at))
            .collect(),
    })
}
