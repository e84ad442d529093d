use super::DateTime;
use async_graphql::Object;
use entity::system_prompt;

pub struct SystemPrompt(pub std::sync::Arc<system_prompt::Model>);
super::wraps!(SystemPrompt, system_prompt::Model, shared);

#[Object(serial)]
impl SystemPrompt {
    async fn id(&self) -> i32 {
        self.0.id
    }
    /// Unique per owner.
    async fn label(&self) -> &str {
        &self.0.label
    }
    async fn content(&self) -> &str {
        &self.0.content
    }
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
}
