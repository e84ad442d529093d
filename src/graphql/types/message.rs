use async_graphql::{Enum, Object};
use chrono::{DateTime, Utc};
use entity::message;

pub struct Message(pub message::Model);
super::wraps!(Message, message::Model);

/// Who said it. Stored in lower case (`user`, `assistant`, `system`), as model APIs name them.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum MessageRole {
    User,
    Assistant,
    System,
}

impl MessageRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageRole::User => "user",
            MessageRole::Assistant => "assistant",
            MessageRole::System => "system",
        }
    }

    fn parse(stored: &str) -> Self {
        match stored {
            "assistant" => MessageRole::Assistant,
            "system" => MessageRole::System,
            _ => MessageRole::User,
        }
    }
}

#[Object]
impl Message {
    async fn id(&self) -> i32 {
        self.0.id
    }
    async fn chat_session_id(&self) -> i32 {
        self.0.chat_session_id
    }
    async fn role(&self) -> MessageRole {
        MessageRole::parse(&self.0.role)
    }
    async fn content(&self) -> &str {
        &self.0.content
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Adds one on every update (optimistic locking).
    async fn version(&self) -> i32 {
        self.0.version
    }
}
