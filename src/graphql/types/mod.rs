//! GraphQL object types. Each wraps its SeaORM model; fields are the camelCase of the columns.

mod account;
mod ai_model;
mod character;
mod chat_session;
mod message;
mod scalars;
mod settings;
mod system_prompt;
mod user_profile;

pub use account::{Account, ApiKey, AuthPayload, NewApiKey};
pub use ai_model::{AiModel, CreateAiModelInput, UpdateAiModelInput};
pub use character::{Character, CreateCharacterInput, UpdateCharacterInput};
pub use chat_session::{
    ChatSession, ChatSessionField, ChatSessionFilter, ChatSessionOrder, SortDirection,
};
pub use message::{Message, MessageRole};
pub use scalars::DateTime;
pub use settings::Settings;
pub use system_prompt::{CreateSystemPromptInput, SystemPrompt, UpdateSystemPromptInput};
pub use user_profile::{CreateUserProfileInput, UpdateUserProfileInput, UserProfile};

/// `From<Model>` for a newtype wrapper, so pagination can build nodes generically. `shared`
/// wrappers hold an `Arc` of the model: the DataLoaders' caches hand out `Arc`s, so a relation
/// that a hundred rows of a list share is not copied a hundred times.
macro_rules! wraps {
    ($type:ident, $model:path) => {
        impl From<$model> for $type {
            fn from(model: $model) -> Self {
                $type(model)
            }
        }
    };
    ($type:ident, $model:path, shared) => {
        impl From<$model> for $type {
            fn from(model: $model) -> Self {
                $type(std::sync::Arc::new(model))
            }
        }
        impl From<std::sync::Arc<$model>> for $type {
            fn from(model: std::sync::Arc<$model>) -> Self {
                $type(model)
            }
        }
    };
}
pub(crate) use wraps;
