use async_graphql::{Context, ErrorExtensions, Object, Result, SimpleObject};
use uuid::Uuid;

use crate::{
    events::Events,
    graphql::{request_scope, types::Message},
    llm::Providers,
    service::reply::{self, ReplyServices},
};

/// A turn: the user's message and the model's reply, both saved.
#[derive(SimpleObject)]
pub struct SendMessagePayload {
    pub user_message: Message,
    pub reply: Message,
}

#[derive(Default)]
pub struct ReplyMutation;

#[Object]
impl ReplyMutation {
    /// Sends a user message to the session's AI model and answers with the saved message and the
    /// model's saved reply. `replyStream` subscribers see the reply's tokens as they arrive. On
    /// failure (CONFLICT when the session has no AI model; SERVICE_UNAVAILABLE, BAD_GATEWAY,
    /// GATEWAY_TIMEOUT from the provider) nothing is saved.
    async fn send_message(
        &self,
        ctx: &Context<'_>,
        chat_session_id: Option<i32>,
        chat_session_uuid: Option<Uuid>,
        content: String,
    ) -> Result<SendMessagePayload> {
        let scope = request_scope(ctx)?;
        let services = ReplyServices {
            db: scope.db,
            providers: ctx.data::<Providers>()?,
            events: ctx.data::<Events>()?,
        };
        let turn = reply::send_message(
            &services,
            scope.principal,
            (chat_session_id, chat_session_uuid),
            &content,
        )
        .await;
        let turn = turn.map_err(|e| e.extend())?;
        Ok(SendMessagePayload {
            user_message: Message(turn.user_message.expect("a user message was sent")),
            reply: Message(turn.reply),
        })
    }

    /// Replaces the session's last reply with a new one from the model (the old one is deleted
    /// only once the new one is complete). Without a reply to replace, adds one.
    async fn regenerate_reply(
        &self,
        ctx: &Context<'_>,
        chat_session_id: Option<i32>,
        chat_session_uuid: Option<Uuid>,
    ) -> Result<Message> {
        let scope = request_scope(ctx)?;
        let services = ReplyServices {
            db: scope.db,
            providers: ctx.data::<Providers>()?,
            events: ctx.data::<Events>()?,
        };
        let turn = reply::regenerate(
            &services,
            scope.principal,
            (chat_session_id, chat_session_uuid),
        )
        .await;
        turn.map(|t| Message(t.reply)).map_err(|e| e.extend())
    }
}
