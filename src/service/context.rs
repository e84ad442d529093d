//! Loading what a session's prompt context is assembled from (`domain::context::assemble`).

use entity::{character, chat_session, message, system_prompt, user_profile};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};

use crate::{
    auth::{Owned, Principal},
    domain::context::{
        ContextMessage, ContextParts, DEFAULT_USER_NAME, PromptContext, assemble,
        character_preamble, role_of,
    },
    error::AppResult,
};

/// The context `session` would send a model now.
pub async fn prompt_context<C: ConnectionTrait>(
    db: &C,
    principal: Principal,
    session: &chat_session::Model,
) -> AppResult<PromptContext> {
    prompt_context_for_turn(db, principal, session, None, None).await
}

/// [`prompt_context`] as it will be for the next turn: with `pending_user_message` added to the
/// history (before the post-prompt, like any history), and without message `leave_out` (the reply
/// a regeneration replaces).
pub async fn prompt_context_for_turn<C: ConnectionTrait>(
    db: &C,
    principal: Principal,
    session: &chat_session::Model,
    pending_user_message: Option<&str>,
    leave_out: Option<i32>,
) -> AppResult<PromptContext> {
    let character = character::Entity::find_owned(db, principal, session.character_id).await?;
    let user_name = match session.user_profile_id {
        Some(id) => user_profile::Entity::find_owned(db, principal, id)
            .await
            .ok()
            .map(|p| p.name),
        None => None,
    }
    .unwrap_or_else(|| DEFAULT_USER_NAME.to_owned());
    let system = match session.system_prompt_id {
        Some(id) => system_prompt::Entity::find_owned(db, principal, id)
            .await
            .ok()
            .map(|p| p.content),
        None => None,
    }
    .or_else(|| character.system_prompt.clone());
    let mut history: Vec<(&'static str, String)> = message::Entity::scoped(principal)
        .filter(message::Column::ChatSessionId.eq(session.id))
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|m| Some(m.id) != leave_out)
        .map(|m| (role_of(&m.role), m.content))
        .collect();
    if let Some(text) = pending_user_message {
        history.push(("user", text.to_owned()));
    }
    Ok(assemble(ContextParts {
        session,
        character,
        user_name,
        system,
        history,
    }))
}

/// Character `id`'s card as the system messages that open a conversation without a session.
pub async fn character_preamble_of<C: ConnectionTrait>(
    db: &C,
    principal: Principal,
    id: i32,
) -> AppResult<Vec<ContextMessage>> {
    let character = character::Entity::find_owned(db, principal, id).await?;
    Ok(character_preamble(&character))
}
