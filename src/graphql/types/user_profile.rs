use super::DateTime;
use async_graphql::Object;
use async_graphql::{InputObject, MaybeUndefined};
use entity::user_profile;

use crate::{
    domain::validation::require_text,
    error::AppResult,
    llm::Providers,
    service::{
        labelled::{Changes, Label, NewRow},
        set_if, set_nullable,
    },
};
use sea_orm::Set;

pub struct UserProfile(pub std::sync::Arc<user_profile::Model>);
super::wraps!(UserProfile, user_profile::Model, shared);

super::object_fields! {
    #[Object(serial)]
    /// A persona the user speaks through.
    impl UserProfile {
        id: i32,
        /// Unique per owner.
        label: &str,
        name: &str,
        avatar_image: Option<&str>,
        description: Option<&str>,
        created_at: DateTime,
        updated_at: DateTime,
    }
}

// Surface A's body for `POST /api/v1/user-profiles` too.
#[derive(InputObject, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[schema(as = CreateUserProfile)]
pub struct CreateUserProfileInput {
    /// Unique per owner.
    pub label: String,
    pub name: String,
    pub avatar_image: Option<String>,
    pub description: Option<String>,
}

// Surface A's body for `PUT /api/v1/user-profiles/{id}` too.
/// A partial update: fields left out stay as they are; `null` clears a nullable field.
#[derive(InputObject, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[schema(as = UpdateUserProfile)]
pub struct UpdateUserProfileInput {
    pub label: Option<String>,
    pub name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub avatar_image: MaybeUndefined<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: MaybeUndefined<String>,
}

impl NewRow for CreateUserProfileInput {
    type Entity = user_profile::Entity;
    fn check(&self, _: &Providers) -> AppResult<()> {
        require_text("name", &self.name)
    }
    fn label(&self) -> Label<'_> {
        Label::Given(&self.label)
    }
    fn into_row(self) -> user_profile::ActiveModel {
        user_profile::ActiveModel {
            name: Set(self.name),
            avatar_image: Set(self.avatar_image),
            description: Set(self.description),
            ..Default::default()
        }
    }
}

impl Changes for UpdateUserProfileInput {
    type Entity = user_profile::Entity;
    fn check(&self, _: &Providers) -> AppResult<()> {
        self.name
            .as_deref()
            .map_or(Ok(()), |name| require_text("name", name))
    }
    fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }
    fn apply(self, row: &mut user_profile::ActiveModel) {
        row.name = set_if(self.name);
        row.avatar_image = set_nullable(self.avatar_image);
        row.description = set_nullable(self.description);
    }
}
