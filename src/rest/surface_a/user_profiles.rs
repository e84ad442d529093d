//! `/api/v1/user-profiles`.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiResult, Deleted, ErrorBody, Page, PageParams};
use crate::{
    AppState,
    rest::input::{self, present},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_user_profiles, create_user_profile))
        .routes(routes!(
            get_user_profile,
            update_user_profile,
            delete_user_profile
        ))
}

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

/// List user profiles.
#[utoipa::path(
    get, path = "/api/v1/user-profiles", tag = "user-profiles",
    params(PageParams),
    responses((status = 200, body = Page<UserProfile>), (status = 400, body = ErrorBody))
)]
async fn list_user_profiles(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Page<UserProfile>>> {
    let page = input::query(query.as_deref())?;
    super::list(&state, &headers, page, 20, "ListUserProfiles", Map::new()).await
}

/// One user profile.
#[utoipa::path(
    get, path = "/api/v1/user-profiles/{user_profile_id}", tag = "user-profiles",
    params(("user_profile_id" = i32, Path, description = "ID of the user profile")),
    responses((status = 200, body = UserProfile), (status = 404, body = ErrorBody))
)]
async fn get_user_profile(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<UserProfile>> {
    let id = input::id("user_profile_id", &id)?;
    super::get(&state, &headers, "GetUserProfile", id).await
}

/// Create a user profile.
#[utoipa::path(
    post, path = "/api/v1/user-profiles", tag = "user-profiles",
    request_body = CreateUserProfile,
    responses((status = 201, body = UserProfile), (status = 400, body = ErrorBody))
)]
async fn create_user_profile(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<UserProfile>)> {
    super::create::<CreateUserProfile, _>(&state, &headers, "CreateUserProfile", &body).await
}

/// Update a user profile (partial).
#[utoipa::path(
    put, path = "/api/v1/user-profiles/{user_profile_id}", tag = "user-profiles",
    params(("user_profile_id" = i32, Path, description = "ID of the user profile")),
    request_body = UpdateUserProfile,
    responses(
        (status = 200, body = UserProfile),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
async fn update_user_profile(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<UserProfile>> {
    let id = input::id("user_profile_id", &id)?;
    super::update::<UpdateUserProfile, _>(&state, &headers, "UpdateUserProfile", id, &body).await
}

/// Delete a user profile; sessions that used it keep going without one.
#[utoipa::path(
    delete, path = "/api/v1/user-profiles/{user_profile_id}", tag = "user-profiles",
    params(("user_profile_id" = i32, Path, description = "ID of the user profile")),
    responses((status = 200, body = Deleted), (status = 404, body = ErrorBody))
)]
async fn delete_user_profile(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Deleted>> {
    let id = input::id("user_profile_id", &id)?;
    let variables = json!({ "id": id });
    super::delete(
        &state,
        &headers,
        "DeleteUserProfile",
        variables,
        "User profile",
    )
    .await
}
