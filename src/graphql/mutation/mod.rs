//! Mutations, one part per domain, merged into `MutationRoot`. Partial updates use
//! `MaybeUndefined`: an absent field is left alone, an explicit `null` clears it.

mod account;
mod ai_model;
mod character;
mod chat_session;
mod message;
mod reply;
mod settings;
mod system_prompt;
mod user_profile;

use async_graphql::{MaybeUndefined, MergedObject};
use sea_orm::ActiveValue::{self, NotSet, Set};

pub use chat_session::find_session;

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    account::AccountMutation,
    character::CharacterMutation,
    user_profile::UserProfileMutation,
    ai_model::AiModelMutation,
    system_prompt::SystemPromptMutation,
    chat_session::ChatSessionMutation,
    message::MessageMutation,
    reply::ReplyMutation,
    settings::SettingsMutation,
);

/// A required column in a partial update: absent (or null) leaves it as it is.
fn set_if<T: Into<sea_orm::Value>>(value: Option<T>) -> ActiveValue<T> {
    value.map_or(NotSet, Set)
}

/// A nullable column in a partial update.
fn set_nullable<T>(value: MaybeUndefined<T>) -> ActiveValue<Option<T>>
where
    Option<T>: Into<sea_orm::Value>,
{
    match value {
        MaybeUndefined::Undefined => NotSet,
        MaybeUndefined::Null => Set(None),
        MaybeUndefined::Value(v) => Set(Some(v)),
    }
}

/// A JSON array of strings for a list column.
fn string_list(items: Vec<String>) -> serde_json::Value {
    serde_json::Value::from(items)
}
