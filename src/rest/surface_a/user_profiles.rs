//! `/api/v1/user-profiles`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::NoParams;
use crate::rest::input::present;

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

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CreateUserProfile {
    /// Unique per owner.
    pub label: String,
    pub name: String,
    pub avatar_image: Option<String>,
    pub description: Option<String>,
}

/// A partial update: fields left out stay as they are; `null` clears a nullable field.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct UpdateUserProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub avatar_image: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
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
    create: CreateUserProfile,
    update: UpdateUserProfile,
    operations: ("ListUserProfiles", "GetUserProfile", "CreateUserProfile", "UpdateUserProfile", "DeleteUserProfile"),
    operation_ids: ("list_user_profiles", "get_user_profile", "create_user_profile", "update_user_profile", "delete_user_profile"),
    delete_params: NoParams,
}
