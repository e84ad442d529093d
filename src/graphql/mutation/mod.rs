//! Mutations, one part per domain, merged into `MutationRoot`. Partial updates use
//! `MaybeUndefined`: an absent field is left alone, an explicit `null` clears it.

mod account;
mod character;
mod chat_session;
mod labelled;
mod message;
mod reply;
mod settings;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    account::AccountMutation,
    labelled::CharacterWrites,
    character::CharacterMutation,
    labelled::UserProfileMutation,
    labelled::AiModelMutation,
    labelled::SystemPromptMutation,
    chat_session::ChatSessionMutation,
    message::MessageMutation,
    reply::ReplyMutation,
    settings::SettingsMutation,
);
