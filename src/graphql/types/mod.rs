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
        impl $crate::graphql::projection::Node for $type {
            type Model = $model;
        }
        impl From<$model> for $type {
            fn from(model: $model) -> Self {
                $type(model)
            }
        }
    };
    ($type:ident, $model:path, shared) => {
        impl $crate::graphql::projection::Node for $type {
            type Model = $model;
        }
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
/// that shows the model's column `name` ([`Column`]); a method is written out as it is. The column
/// fields are also the type's REST shape: [`COLUMNS`](AiModel::COLUMNS) lists them (surface A's
/// operations select them) and its OpenAPI schema ([`utoipa::ToSchema`]) shows them, so a new
/// column reaches both surfaces from this one list.
///
/// What each field reads of the model ([`FieldReads`](crate::graphql::projection::FieldReads))
/// comes from the same list: a column field reads its column, a method marked
/// `#[reads(column, ...)]` (after its docs) those columns; a method without the mark reads the
/// whole row.
macro_rules! object_fields {
    (#[$object:meta] $(#[doc = $doc:literal])* impl $type:ident { $($body:tt)* }) => {
        $crate::graphql::types::object_fields!(@munch #[$object] [$($doc)*] $type [] [] [] $($body)*);
    };
    (@munch #[$object:meta] [$($doc:literal)*] $type:ident [$($out:tt)*] [$(($col:ident, $colty:ty, [$($coldoc:literal)*]))*] [$($reads:tt)*]) => {
        $(#[doc = $doc])*
        #[$object]
        impl $type {
            $($out)*
        }
        impl $type {
            /// The fields that show a column, in schema order, by their Rust (and REST) names.
            pub const COLUMNS: &'static [&'static str] = &[$(stringify!($col)),*];
        }
        impl $crate::graphql::projection::FieldReads for $type {
            const READS: &'static [(&'static str, &'static [&'static str])] =
                &[$((stringify!($col), &[stringify!($col)]),)* $($reads)*];
        }
        impl utoipa::PartialSchema for $type {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let object = utoipa::openapi::schema::ObjectBuilder::new()
                    .description($crate::graphql::types::described(&[$($doc),*]));
                $(let object = object
                    .property(stringify!($col), $crate::graphql::types::column_schema::<$colty>(&[$($coldoc),*]))
                    .required(stringify!($col));)*
                object.into()
            }
        }
        impl utoipa::ToSchema for $type {}
    };
    (@munch #[$object:meta] $docs:tt $type:ident [$($out:tt)*] [$($cols:tt)*] [$($reads:tt)*]
        $(#[doc = $doc:literal])* #[reads($($read:ident),* $(,)?)]
        async fn $name:ident ($($args:tt)*) -> $ret:ty $body:block $($rest:tt)*) => {
        $crate::graphql::types::object_fields!(@munch #[$object] $docs $type
            [$($out)* $(#[doc = $doc])* async fn $name($($args)*) -> $ret $body] [$($cols)*]
            [$($reads)* (stringify!($name), &[$(stringify!($read)),*]),] $($rest)*);
    };
    (@munch #[$object:meta] $docs:tt $type:ident [$($out:tt)*] [$($cols:tt)*] [$($reads:tt)*]
        $(#[$doc:meta])* async fn $name:ident ($($args:tt)*) -> $ret:ty $body:block $($rest:tt)*) => {
        $crate::graphql::types::object_fields!(@munch #[$object] $docs $type
            [$($out)* $(#[$doc])* async fn $name($($args)*) -> $ret $body] [$($cols)*]
            [$($reads)*] $($rest)*);
    };
    (@munch #[$object:meta] $docs:tt $type:ident [$($out:tt)*] [$($cols:tt)*] [$($reads:tt)*]
        $(#[doc = $doc:literal])* $name:ident: $ty:ty, $($rest:tt)*) => {
        $crate::graphql::types::object_fields!(@munch #[$object] $docs $type
            [$($out)* $(#[doc = $doc])* async fn $name(&self) -> $ty {
                $crate::graphql::types::Column::read(&self.0.$name)
            }] [$($cols)* ($name, $ty, [$($doc)*])] [$($reads)*] $($rest)*);
    };
}
pub(crate) use object_fields;

/// A stored JSON array of strings (tags, greetings): other items are skipped, a non-array is empty.
impl<'a> Column<'a, Vec<String>> for serde_json::Value {
    fn read(&'a self) -> Vec<String> {
        self.as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl<'a> Column<'a, async_graphql::Json<&'a serde_json::Value>> for serde_json::Value {
    fn read(&'a self) -> async_graphql::Json<&'a serde_json::Value> {
        async_graphql::Json(self)
    }
}

/// The JSON schema of a column field's value, as the REST surfaces show it.
pub trait Documented {
    fn schema() -> utoipa::openapi::schema::Schema;
}

macro_rules! documented {
    ($($ty:ty => $schema:expr,)*) => {
        $(impl Documented for $ty {
            fn schema() -> utoipa::openapi::schema::Schema {
                $schema.into()
            }
        })*
    };
}

/// A schema of JSON type `ty` (and `null` when `nullable`) in `format`.
fn scalar(
    ty: utoipa::openapi::schema::Type,
    format: Option<utoipa::openapi::KnownFormat>,
    nullable: bool,
) -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaFormat, SchemaType, Type};
    let types = if nullable {
        SchemaType::from_iter([ty, Type::Null])
    } else {
        SchemaType::new(ty)
    };
    ObjectBuilder::new()
        .schema_type(types)
        .format(format.map(SchemaFormat::KnownFormat))
        .build()
}

use utoipa::openapi::{KnownFormat as Format, schema::Type as Json};
documented! {
    i32 => scalar(Json::Integer, Some(Format::Int32), false),
    Option<i32> => scalar(Json::Integer, Some(Format::Int32), true),
    Option<f64> => scalar(Json::Number, Some(Format::Double), true),
    bool => scalar(Json::Boolean, None, false),
    &str => scalar(Json::String, None, false),
    Option<&str> => scalar(Json::String, None, true),
    DateTime => scalar(Json::String, Some(Format::DateTime), false),
    Option<DateTime> => scalar(Json::String, Some(Format::DateTime), true),
    uuid::Uuid => scalar(Json::String, Some(Format::Uuid), false),
    Vec<String> => utoipa::openapi::schema::ArrayBuilder::new()
        .items(scalar(Json::String, None, false))
        .build(),
    async_graphql::Json<&serde_json::Value> => scalar(Json::Object, None, false),
}

/// `///` lines as one description, or none.
pub fn described(docs: &[&str]) -> Option<String> {
    let description = docs
        .iter()
        .map(|line| line.trim())
        .collect::<Vec<_>>()
        .join("\n");
    (!description.is_empty()).then_some(description)
}

/// A column field's schema with its documentation as the description.
pub fn column_schema<T: Documented + ?Sized>(docs: &[&str]) -> utoipa::openapi::schema::Schema {
    let mut schema = T::schema();
    if let utoipa::openapi::schema::Schema::Object(object) = &mut schema {
        object.description = described(docs);
    }
    schema
}

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
