//! `/api/v1/user-profiles`.

use super::NoParams;
use crate::graphql::types::{CreateUserProfileInput, UpdateUserProfileInput, UserProfile};

super::sibling_resource! {
    tag: "user-profiles",
    collection: "/api/v1/user-profiles",
    item: "/api/v1/user-profiles/{user_profile_id}",
    id: "user_profile_id",
    thing: "User profile",
    noun: "user profile",
    plural: "user profiles",
    object: UserProfile,
    create: CreateUserProfileInput,
    update: UpdateUserProfileInput,
    operations: ("ListUserProfiles", "GetUserProfile", "CreateUserProfile", "UpdateUserProfile", "DeleteUserProfile"),
    operation_ids: ("list_user_profiles", "get_user_profile", "create_user_profile", "update_user_profile", "delete_user_profile"),
    delete_params: NoParams,
}
