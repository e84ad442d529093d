use super::DateTime;
use async_graphql::InputObject;
use async_graphql::Object;
use entity::system_prompt;

use crate::{
    domain::validation::require_text,
    error::AppResult,
    llm::Providers,
    service::{
        labelled::{Changes, Label, NewRow},
        set_if,
    },
};
use sea_orm::Set;

pub struct SystemPrompt(pub std::sync::Arc<system_prompt::Model>);
super::wraps!(SystemPrompt, system_prompt::Model, shared);

super::object_fields! {
    #[Object(serial)]
    /// A system prompt sessions can use.
    impl SystemPrompt {
        id: i32,
        /// Unique per owner.
        label: &str,
        content: &str,
        created_at: DateTime,
        updated_at: DateTime,
    }
}

// Surface A's body for `POST /api/v1/system-prompts` too.
#[derive(InputObject, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[schema(as = CreateSystemPrompt)]
pub struct CreateSystemPromptInput {
    /// Unique per owner.
    pub label: String,
    pub content: String,
}

// Surface A's body for `PUT /api/v1/system-prompts/{id}` too.
/// A partial update: fields left out stay as they are; `null` clears a nullable field.
#[derive(InputObject, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[schema(as = UpdateSystemPrompt)]
pub struct UpdateSystemPromptInput {
    pub label: Option<String>,
    pub content: Option<String>,
}

impl NewRow for CreateSystemPromptInput {
    type Entity = system_prompt::Entity;
    fn check(&self, _: &Providers) -> AppResult<()> {
        require_text("content", &self.content)
    }
    fn label(&self) -> Label<'_> {
        Label::Given(&self.label)
    }
    fn into_row(self) -> system_prompt::ActiveModel {
        system_prompt::ActiveModel {
            content: Set(self.content),
            ..Default::default()
        }
    }
}

impl Changes for UpdateSystemPromptInput {
    type Entity = system_prompt::Entity;
    fn check(&self, _: &Providers) -> AppResult<()> {
        self.content
            .as_deref()
            .map_or(Ok(()), |content| require_text("content", content))
    }
    fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }
    fn apply(self, row: &mut system_prompt::ActiveModel) {
        row.content = set_if(self.content);
    }
}
