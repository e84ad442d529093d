//! A turn of conversation with a model: the one place where a reply is generated and saved, used by
//! GraphQL's `sendMessage` / `regenerateReply`, surface A's message POST and
//! `/api/v1/chat/completions`.

use entity::{ai_model, chat_session, message};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    sea_query::Expr,
};

use super::{context::prompt_context_for_turn, session::find_session};
use crate::{
    auth::{Owned, Principal},
    db::begin_write,
    domain::validation::require_text,
    error::{AppError, AppResult},
    events::{Event, Events},
    llm::{ChatMessage, ChatRequest, Providers},
};
use uuid::Uuid;

/// What generating a reply needs.
pub struct ReplyServices<'a> {
    pub db: &'a DatabaseConnection,
    pub providers: &'a Providers,
    pub events: &'a Events,
}

/// Which model answers, with what defaults.
#[derive(Clone, Debug)]
pub struct ModelChoice {
    pub provider: Option<String>,
    pub model: String,
    pub temperature: Option<f64>,
    pub max_tokens: Option<i32>,
}

impl From<ai_model::Model> for ModelChoice {
    fn from(model: ai_model::Model) -> Self {
        ModelChoice {
            provider: model.provider,
            model: model.model_name.unwrap_or(model.label),
            temperature: model.temperature,
            max_tokens: model.max_tokens,
        }
    }
}

/// The principal's AI model labelled `label`, if there is one.
pub async fn model_by_label(
    db: &DatabaseConnection,
    principal: Principal,
    label: &str,
) -> AppResult<Option<ModelChoice>> {
    let found = ai_model::Entity::scoped(principal)
        .filter(ai_model::Column::Label.eq(label))
        .one(db)
        .await?;
    Ok(found.map(ModelChoice::from))
}

/// The session's AI model, or CONFLICT when it has none.
pub async fn model_of(
    db: &DatabaseConnection,
    principal: Principal,
    session: &chat_session::Model,
) -> AppResult<ModelChoice> {
    // The session's state, which the client chose: a refusal (4xx), not the server's failure.
    let id = session.ai_model_id.ok_or_else(|| {
        AppError::Conflict("the chat session has no AI model to reply; give it one first".into())
    })?;
    Ok(ai_model::Entity::find_owned(db, principal, id)
        .await?
        .into())
}

/// A new message row of `principal`'s in session `session_id`, version 1, written `now`.
pub fn new_message(
    principal: Principal,
    session_id: i32,
    role: &str,
    content: String,
    now: chrono::DateTime<chrono::Utc>,
) -> message::ActiveModel {
    message::ActiveModel {
        owner_id: Set(principal.account_id),
        chat_session_id: Set(session_id),
        role: Set(role.to_owned()),
        content: Set(content),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        deleted_at: Set(None),
        ..Default::default()
    }
}

/// The user message (when there was one) and the reply, as saved.
pub struct Turn {
    pub user_message: Option<message::Model>,
    pub reply: message::Model,
}

/// Generates the assistant's next message in `session`: after `user_message` when given, or in
/// place of message `replacing` (a regeneration). The prompt is the session's context as it will
/// be with the user message added. Tokens go to `on_token` (which answers false when its reader
/// has gone) and to the session's `replyStream` subscribers as they arrive.
///
/// Nothing is saved until the model has answered in full; then the user message and the reply
/// are saved together and announced (`messageAdded`). A failure, or a reader that went away,
/// saves nothing: the chat is as it was, and the client may send the message again.
pub async fn reply(
    services: &ReplyServices<'_>,
    principal: Principal,
    session: &chat_session::Model,
    choice: &ModelChoice,
    user_message: Option<&str>,
    replacing: Option<i32>,
    mut on_token: impl FnMut(&str) -> bool + Send,
) -> AppResult<Turn> {
    use futures::StreamExt;

    let context =
        prompt_context_for_turn(services.db, principal, session, user_message, replacing).await?;
    let request = ChatRequest {
        model: choice.model.clone(),
        messages: context
            .messages
            .into_iter()
            .map(|m| ChatMessage {
                role: m.role.to_owned(),
                content: m.content,
            })
            .collect(),
        temperature: choice.temperature,
        max_tokens: choice.max_tokens,
    };
    let session_id = session.id;
    let failed = |error: AppError| {
        services.events.publish(
            session_id,
            Event::ReplyFailed {
                error: error.to_string(),
            },
        );
        error
    };
    let mut tokens = services
        .providers
        .stream(choice.provider.as_deref(), &request)
        .await
        .map_err(failed)?;
    let mut text = String::new();
    while let Some(token) = tokens.next().await {
        let token = token.map_err(failed)?;
        services
            .events
            .publish(session_id, Event::ReplyToken(token.clone()));
        text.push_str(&token);
        if !on_token(&token) {
            return Err(failed(AppError::ModelFailed(
                "the client went away before the reply was complete".into(),
            )));
        }
    }
    if text.trim().is_empty() {
        return Err(failed(AppError::ModelFailed(
            "the model answered nothing".into(),
        )));
    }

    let text = &text;
    let (user_message, reply) = crate::db::retry_aborted(|| async move {
        let now = crate::domain::now();
        let txn = begin_write(services.db).await?;
        // The session first (see `touch_live_session`): a session deleted while the model was
        // answering gets nothing saved into it.
        touch_live_session(&txn, principal, session_id, now).await?;
        if let Some(old) = replacing {
            message::Entity::update_many()
                .col_expr(message::Column::DeletedAt, Expr::value(now))
                .filter(message::Entity::visible_to(principal))
                .filter(message::Column::Id.eq(old))
                .exec(&txn)
                .await?;
        }
        let new_message =
            |role: &str, content: String| new_message(principal, session_id, role, content, now);
        let user_message = match user_message {
            Some(content) => Some(new_message("user", content.to_owned()).insert(&txn).await?),
            None => None,
        };
        let reply = new_message("assistant", text.clone()).insert(&txn).await?;
        txn.commit().await?;
        Ok((user_message, reply))
    })
    .await?;

    if let Some(user) = &user_message {
        services.events.message_added(user).await;
    }
    services.events.message_added(&reply).await;
    services.events.publish(
        session_id,
        Event::ReplyDone {
            message_id: reply.id,
        },
    );
    Ok(Turn {
        user_message,
        reply,
    })
}

/// Moves a live session's `updatedAt` as the first write of a transaction that adds to it, or
/// answers NOT_FOUND when the session is gone (deleted, soft-deleted, another owner's).
///
/// Every write path locks a session's row before its messages (and the message tally their
/// triggers update): a message insert that locked the tally and then waited for the session,
/// while a soft delete held the session and waited for the tally, deadlocked on PostgreSQL. The
/// update also re-checks that the session is live after waiting for a concurrent delete, so a
/// message is never committed into a session deleted meanwhile.
pub async fn touch_live_session(
    txn: &sea_orm::DatabaseTransaction,
    principal: Principal,
    session_id: i32,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let touched = chat_session::Entity::update_many()
        .col_expr(chat_session::Column::UpdatedAt, Expr::value(now))
        .filter(chat_session::Entity::visible_to(principal))
        .filter(chat_session::Column::Id.eq(session_id))
        .exec(txn)
        .await?;
    if touched.rows_affected == 0 {
        return Err(AppError::not_found("ChatSession", session_id));
    }
    Ok(())
}

/// The last live message of the session, if it is the assistant's (what a regeneration replaces).
pub async fn last_reply(
    db: &DatabaseConnection,
    principal: Principal,
    session_id: i32,
) -> AppResult<Option<message::Model>> {
    use sea_orm::QueryOrder;
    let last = message::Entity::scoped(principal)
        .filter(message::Column::ChatSessionId.eq(session_id))
        .order_by_desc(message::Column::Id)
        .one(db)
        .await?;
    Ok(last.filter(|m| m.role == "assistant"))
}

/// `sendMessage`: the user's message to the session `id` or `uuid` names, and the model's reply.
pub async fn send_message(
    services: &ReplyServices<'_>,
    principal: Principal,
    (id, uuid): (Option<i32>, Option<Uuid>),
    content: &str,
) -> AppResult<Turn> {
    require_text("content", content)?;
    let session = find_session(services.db, principal, id, uuid, false).await?;
    let model = model_of(services.db, principal, &session).await?;
    reply(
        services,
        principal,
        &session,
        &model,
        Some(content),
        None,
        |_| true,
    )
    .await
}

/// `regenerateReply`: a new reply in place of the session's last one (or a first one).
pub async fn regenerate(
    services: &ReplyServices<'_>,
    principal: Principal,
    (id, uuid): (Option<i32>, Option<Uuid>),
) -> AppResult<Turn> {
    let session = find_session(services.db, principal, id, uuid, false).await?;
    let model = model_of(services.db, principal, &session).await?;
    let replacing = last_reply(services.db, principal, session.id)
        .await?
        .map(|m| m.id);
    reply(
        services,
        principal,
        &session,
        &model,
        None,
        replacing,
        |_| true,
    )
    .await
}
