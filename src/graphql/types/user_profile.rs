use super::DateTime;
use async_graphql::Object;
use entity::user_profile;

/// A persona the user speaks through.
pub struct UserProfile(pub std::sync::Arc<user_profile::Model>);
super::wraps!(UserProfile, user_profile::Model, shared);

#[Object(serial)]
impl UserProfile {
    async fn id(&self) -> i32 {
        self.0.id
    }
    /// Unique per owner.
    async fn label(&self) -> &str {
        &self.0.label
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn avatar_image(&self) -> Option<&str> {
        self.0.avatar_image.as_deref()
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
}
