use async_graphql::{Context, ErrorExtensions, Object, Result};

use crate::{
    graphql::{request_scope, types::Message},
    service::message::{self, CreateMessageInput, UpdateMessageInput},
};

#[derive(Default)]
pub struct MessageMutation;

#[Object]
impl MessageMutation {
    /// Appends a message to a session; the session's `updatedAt` moves with it.
    async fn create_message(
        &self,
        ctx: &Context<'_>,
        input: CreateMessageInput,
    ) -> Result<Message> {
        let scope = request_scope(ctx)?.service();
        let events = ctx.data::<crate::events::Events>()?;
        message::create(scope, events, input)
            .await
            .map(Message)
            .map_err(|e| e.extend())
    }

    /// Edits a message. With `expectedVersion`, only if it still has that version (else
    /// CONFLICT). Every edit adds one to the version.
    async fn update_message(
        &self,
        ctx: &Context<'_>,
        id: i32,
        input: UpdateMessageInput,
        expected_version: Option<i32>,
    ) -> Result<Message> {
        let scope = request_scope(ctx)?.service();
        message::update(scope, id, input, expected_version)
            .await
            .map(Message)
            .map_err(|e| e.extend())
    }

    /// Deletes a message: it is hidden everywhere (lists, counts, search, exports, context). With
    /// `expectedVersion`, only if it still has that version (else CONFLICT).
    async fn delete_message(
        &self,
        ctx: &Context<'_>,
        id: i32,
        expected_version: Option<i32>,
    ) -> Result<bool> {
        let scope = request_scope(ctx)?.service();
        message::delete(scope, id, expected_version)
            .await
            .map(|()| true)
            .map_err(|e| e.extend())
    }
}
