//! Subscriptions, over `/graphql/ws`: messages added to a session, and a reply as it is generated.

use async_graphql::{Context, ErrorExtensions, Result, SimpleObject, Subscription};
use futures::{Stream, StreamExt, future::ready};
use uuid::Uuid;

use super::{request_scope, types::Message};
use crate::events::{Event, Events, SessionEvents};

pub struct SubscriptionRoot;

/// The events of the caller's session (by id or uuid; NOT_FOUND otherwise), subscribed now.
async fn session_events(
    ctx: &Context<'_>,
    id: Option<i32>,
    uuid: Option<Uuid>,
) -> Result<SessionEvents> {
    let scope = request_scope(ctx)?;
    let session = scope
        .visible_session(id, uuid)
        .await
        .map_err(|e| e.extend())?;
    Ok(ctx.data::<Events>()?.subscribe(session.id))
}

/// One step of a reply being generated.
#[derive(SimpleObject, Clone)]
pub struct ReplyEvent {
    /// The next piece of the reply's text (null on the last event).
    pub token: Option<String>,
    /// True on the last event: the reply is complete (`messageId`) or failed (`error`).
    pub done: bool,
    /// The saved reply, on completion.
    pub message_id: Option<i32>,
    pub error: Option<String>,
}

#[Subscription]
impl SubscriptionRoot {
    /// Every message saved to the session (by id or uuid) from now on, through any replica when
    /// on PostgreSQL.
    async fn message_added(
        &self,
        ctx: &Context<'_>,
        chat_session_id: Option<i32>,
        chat_session_uuid: Option<Uuid>,
    ) -> Result<impl Stream<Item = Message> + use<>> {
        let events = session_events(ctx, chat_session_id, chat_session_uuid).await?;
        // The row each subscriber shows is the one the event carries, read once for all of them.
        Ok(events.filter_map(|event| {
            ready(match event {
                Event::MessageAdded(message) => Some(Message(message.as_ref().clone())),
                _ => None,
            })
        }))
    }

    /// The tokens of the session's replies as the model produces them, each reply ending with an
    /// event that has `done: true`.
    async fn reply_stream(
        &self,
        ctx: &Context<'_>,
        chat_session_id: Option<i32>,
        chat_session_uuid: Option<Uuid>,
    ) -> Result<impl Stream<Item = ReplyEvent> + use<>> {
        let events = session_events(ctx, chat_session_id, chat_session_uuid).await?;
        let step = |token, done, message_id, error| ReplyEvent {
            token,
            done,
            message_id,
            error,
        };
        Ok(events.filter_map(move |event| {
            ready(match event {
                Event::ReplyToken(token) => Some(step(Some(token), false, None, None)),
                Event::ReplyDone { message_id } => Some(step(None, true, Some(message_id), None)),
                Event::ReplyFailed { error } => Some(step(None, true, None, Some(error))),
                Event::MessageAdded(_) => None,
            })
        }))
    }
}
