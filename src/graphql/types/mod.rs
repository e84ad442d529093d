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

/// An object type's `#[Object]` impl with its fields in schema order: `name: Type,` is the field
/// that shows the model's column `name` ([`Column`]); a method is written out as it is.
macro_rules! object_fields {
    (#[$object:meta] impl $type:ident { $($body:tt)* }) => {
        $crate::graphql::types::object_fields!(@munch #[$object] $type [] $($body)*);
    };
    (@munch #[$object:meta] $type:ident [$($out:tt)*]) => {
        #[$object]
        impl $type {
            $($out)*
        }
    };
    (@munch #[$object:meta] $type:ident [$($out:tt)*]
        $(#[$doc:meta])* async fn $name:ident ($($args:tt)*) -> $ret:ty $body:block $($rest:tt)*) => {
        $crate::graphql::types::object_fields!(@munch #[$object] $type
            [$($out)* $(#[$doc])* async fn $name($($args)*) -> $ret $body] $($rest)*);
    };
    (@munch #[$object:meta] $type:ident [$($out:tt)*]
        $(#[$doc:meta])* $name:ident: $ty:ty, $($rest:tt)*) => {
        $crate::graphql::types::object_fields!(@munch #[$object] $type
            [$($out)* $(#[$doc])* async fn $name(&self) -> $ty {
                $crate::graphql::types::Column::read(&self.0.$name)
            }] $($rest)*);
    };
}
pub(crate) use object_fields;

/// A column as the GraphQL field that shows it: strings borrowed, times as [`DateTime`].
pub trait Column<'a, Field> {
    fn read(&'a self) -> Field;
}

impl<'a, T: Copy> Column<'a, T> for T {
    fn read(&'a self) -> T {
        *self
    }
}

impl<'a> Column<'a, &'a str> for String {
    fn read(&'a self) -> &'a str {
        self
    }
}

impl<'a> Column<'a, Option<&'a str>> for Option<String> {
    fn read(&'a self) -> Option<&'a str> {
        self.as_deref()
    }
}

impl<'a> Column<'a, DateTime> for chrono::DateTime<chrono::Utc> {
    fn read(&'a self) -> DateTime {
        DateTime(*self)
    }
}

impl<'a> Column<'a, Option<DateTime>> for Option<chrono::DateTime<chrono::Utc>> {
    fn read(&'a self) -> Option<DateTime> {
        self.map(DateTime)
    }
}
