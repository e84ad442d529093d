//! `/api/v1/settings`: the account's settings, from the origin's application settings
//! (`documentation/api/application_settings.md` at the seed's era). One object per account; a
//! session created without an AI model, system prompt or user profile gets the defaults named here.

use super::Caller;
use axum::{Json, body::Bytes};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiResult, ErrorBody, ItemData};
use crate::{AppState, rest::input, service::settings::UpdateSettingsInput};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, update_settings))
        .routes(routes!(reset_settings))
}

/// The account's settings, with the objects the default ids name (left out when unset).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Settings {
    /// Always 1: one settings object per account.
    pub id: i32,
    pub default_ai_model_id: Option<i32>,
    pub default_system_prompt_id: Option<i32>,
    pub default_user_profile_id: Option<i32>,
    pub default_avatar_image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_ai_model: Option<AiModelShort>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_system_prompt: Option<SystemPromptShort>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_user_profile: Option<UserProfileShort>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct AiModelShort {
    pub id: i32,
    pub label: String,
    pub description: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct SystemPromptShort {
    pub id: i32,
    pub label: String,
    pub content: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct UserProfileShort {
    pub id: i32,
    pub label: String,
    pub name: String,
    pub avatar_image: Option<String>,
}

/// What a reset answers.
#[derive(Serialize, ToSchema)]
pub struct SettingsReset {
    /// `Application settings reset to defaults`.
    pub message: String,
    pub settings: Settings,
}

/// The account's settings.
#[utoipa::path(
    get, path = "/api/v1/settings", tag = "settings",
    responses((status = 200, body = Settings))
)]
async fn get_settings(caller: Caller) -> ApiResult<Json<Settings>> {
    let data: ItemData<Settings> = caller.forward("GetSettings", json!({})).await?;
    Ok(Json(data.item))
}

/// Change the account's settings; each id must name one of the account's own rows (else 404).
#[utoipa::path(
    put, path = "/api/v1/settings", tag = "settings",
    request_body = UpdateSettingsInput,
    responses(
        (status = 200, body = Settings),
        (status = 400, body = ErrorBody),
        (status = 404, description = "An id names no model, prompt or profile", body = ErrorBody),
    )
)]
async fn update_settings(caller: Caller, body: Bytes) -> ApiResult<Json<Settings>> {
    let variables = json!({ "input": input::graphql_body::<UpdateSettingsInput>(&body)? });
    let data: ItemData<Settings> = caller.forward("UpdateSettings", variables).await?;
    Ok(Json(data.item))
}

/// Clear every default.
#[utoipa::path(
    post, path = "/api/v1/settings/reset", tag = "settings",
    responses((status = 200, body = SettingsReset))
)]
async fn reset_settings(caller: Caller) -> ApiResult<Json<SettingsReset>> {
    let data: ItemData<Settings> = caller.forward("ResetSettings", json!({})).await?;
    Ok(Json(SettingsReset {
        message: "Application settings reset to defaults".into(),
        settings: data.item,
    }))
}
