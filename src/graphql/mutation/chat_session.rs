use async_graphql::{Context, ErrorExtensions, Object, Result};
use uuid::Uuid;

use crate::{
    graphql::{request_scope, types::ChatSession},
    service::session::{self, CreateChatSessionInput, UpdateChatSessionInput},
};

#[derive(Default)]
pub struct ChatSessionMutation;

#[Object]
impl ChatSessionMutation {
    async fn create_chat_session(
        &self,
        ctx: &Context<'_>,
        input: CreateChatSessionInput,
    ) -> Result<ChatSession> {
        let scope = request_scope(ctx)?.service();
        session::create(scope, input)
            .await
            .map(ChatSession::from)
            .map_err(|e| e.extend())
    }

    /// Updates the session that `id` or `uuid` names. With `expectedVersion`, only if the session
    /// still has that version (else CONFLICT: "Version mismatch. Expected X, found Y"). Every update
    /// adds one to the version.
    async fn update_chat_session(
        &self,
        ctx: &Context<'_>,
        id: Option<i32>,
        uuid: Option<Uuid>,
        input: UpdateChatSessionInput,
        expected_version: Option<i32>,
    ) -> Result<ChatSession> {
        let scope = request_scope(ctx)?.service();
        session::update(scope, id, uuid, input, expected_version)
            .await
            .map(ChatSession::from)
            .map_err(|e| e.extend())
    }

    /// Deletes the session that `id` or `uuid` names, with its messages. By default for good (a
    /// soft-deleted session is purged too); with `soft: true` it is hidden everywhere instead and
    /// `restoreChatSession` brings it back. `expectedVersion` guards against deleting a session
    /// someone changed meanwhile.
    async fn delete_chat_session(
        &self,
        ctx: &Context<'_>,
        id: Option<i32>,
        uuid: Option<Uuid>,
        #[graphql(default)] soft: bool,
        expected_version: Option<i32>,
    ) -> Result<bool> {
        let scope = request_scope(ctx)?.service();
        session::delete(scope, id, uuid, soft, expected_version)
            .await
            .map(|()| true)
            .map_err(|e| e.extend())
    }

    /// Brings back a soft-deleted session with the messages that were deleted with it, in their
    /// order. Restoring a session that is not deleted changes nothing.
    async fn restore_chat_session(
        &self,
        ctx: &Context<'_>,
        id: Option<i32>,
        uuid: Option<Uuid>,
    ) -> Result<ChatSession> {
        let scope = request_scope(ctx)?.service();
        session::restore(scope, id, uuid)
            .await
            .map(ChatSession::from)
            .map_err(|e| e.extend())
    }
}
