//! SeaORM entities: one module per table, nothing else.
//!
//! Every table that belongs to someone carries `owner_id` (a reference to `account`); the scoping by
//! owner happens in one place in the `parley` crate (`auth::scope`), never ad hoc.

pub mod account;
pub mod account_settings;
pub mod ai_model;
pub mod api_key;
pub mod character;
pub mod character_card;
pub mod chat_session;
pub mod message;
pub mod system_prompt;
pub mod user_profile;

pub mod prelude {
    pub use super::account::Entity as Account;
    pub use super::account_settings::Entity as AccountSettings;
    pub use super::ai_model::Entity as AiModel;
    pub use super::api_key::Entity as ApiKey;
    pub use super::character::Entity as Character;
    pub use super::character_card::Entity as CharacterCard;
    pub use super::chat_session::Entity as ChatSession;
    pub use super::message::Entity as Message;
    pub use super::system_prompt::Entity as SystemPrompt;
    pub use super::user_profile::Entity as UserProfile;
}
