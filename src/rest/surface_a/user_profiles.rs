//! `/api/v1/user-profiles`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::NoParams;

/// A persona the user speaks through.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct UserProfile {
    pub id: i32,
    pub label: String,
    pub name: String,
    pub avatar_image: Option<String>,
    pub description: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

super::sibling_resource! {
    tag: "user-profiles",
    collection: "/api/v1/user-profiles",
    item: "/api/v1/user-profiles/{user_profile_id}",
    id: "user_profile_id",
    thing: "User profile",
    noun: "user profile",
    plural: "user profiles",
    object: UserProfile,
    create: crate::graphql::types::CreateUserProfileInput,
    update: crate::graphql::types::UpdateUserProfileInput,
    operations: ("ListUserProfiles", "GetUserProfile", "CreateUserProfile", "UpdateUserProfile", "DeleteUserProfile"),
    operation_ids: ("list_user_profiles", "get_user_profile", "create_user_profile", "update_user_profile", "delete_user_profile"),
    delete_params: NoParams,
}
