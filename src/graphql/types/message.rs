use super::{ChatSession, DateTime};
use async_graphql::{Context, ErrorExtensions, Object, Result};
use entity::{chat_session, message};
use futures::FutureExt;
use std::sync::Arc;
use uuid::Uuid;

use crate::graphql::request_scope;

pub struct Message(pub message::Model);
super::wraps!(Message, message::Model);

pub use crate::service::message::MessageRole;

impl Message {
    /// The message's session: live through the loader, else (deleted since) read directly.
    async fn session(&self, ctx: &Context<'_>) -> Result<Arc<chat_session::Model>> {
        let id = self.0.chat_session_id;
        let scope = request_scope(ctx)?;
        let live = scope
            .loaders
            .chat_session()
            .load_one(id)
            .boxed()
            .await
            .map_err(|e| e.extend())?;
        match live {
            Some(session) => Ok(session),
            None => crate::service::session::find_session(
                scope.db,
                scope.principal,
                Some(id),
                None,
                true,
            )
            .await
            .map(Arc::new)
            .map_err(|e| e.extend()),
        }
    }
}

super::object_fields! {
    #[Object(serial)]
    impl Message {
        id: i32,
        chat_session_id: i32,
        #[reads(role)]
        async fn role(&self) -> MessageRole {
            MessageRole::parse(&self.0.role)
        }
        /// The role as model APIs write it: `user`, `assistant` or `system`.
        #[reads(role)]
        async fn sender(&self) -> &str {
            &self.0.role
        }
        /// The session's uuid (surface B's `conversation_id`). A message just written into a session
        /// that was soft-deleted right after still says where it went: the answer to a write
        /// describes that write.
        #[reads(chat_session_id)]
        async fn chat_session_uuid(&self, ctx: &Context<'_>) -> Result<Uuid> {
            self.session(ctx).await.map(|session| session.uuid)
        }
        /// The session the message belongs to (as for `chatSessionUuid`, the one it was written
        /// into even when that was soft-deleted right after).
        #[reads(chat_session_id)]
        async fn chat_session(&self, ctx: &Context<'_>) -> Result<ChatSession> {
            self.session(ctx).await.map(ChatSession::from)
        }
        content: &str,
        created_at: DateTime,
        updated_at: DateTime,
        /// Adds one on every update (optimistic locking).
        version: i32,
    }
}
