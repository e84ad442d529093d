//! Surface A's labelled resources, `/api/v1/characters`, `/user-profiles`, `/ai-models` and
//! `/system-prompts`: five verbs each, on the GraphQL types they forward to (bodies are the
//! GraphQL inputs, answers the type's column fields).

use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;

use crate::{
    AppState,
    graphql::types::{
        AiModel, Character, CreateAiModelInput, CreateCharacterInput, CreateSystemPromptInput,
        CreateUserProfileInput, SystemPrompt, UpdateAiModelInput, UpdateCharacterInput,
        UpdateSystemPromptInput, UpdateUserProfileInput, UserProfile,
    },
};

/// List, get, create, update and delete of each resource, each forwarding to its named operation
/// (`ListAiModels`, `GetAiModel`, ...: [`crate::rest::forward`] writes them) and documented with
/// its own `utoipa` path. The DELETE's query parameters are passed to the operation as variables
/// (characters' `cascade`).
macro_rules! labelled {
    ($($module:ident: $segment:literal, $id:literal, $type:ident / $plural:ident, $create:ident,
        $update:ident, $noun:literal / $nouns:literal, $delete_params:ident;)*) => {
        pub fn router() -> OpenApiRouter<AppState> {
            OpenApiRouter::new()
                $(.routes(utoipa_axum::routes!($module::list, $module::create))
                .routes(utoipa_axum::routes!($module::get, $module::update, $module::delete)))*
        }
        $(mod $module {
            use super::*;
            use crate::rest::surface_a::{ApiResult, Caller, Deleted, ErrorBody, Page, PathId};
            use axum::{Json, body::Bytes, extract::RawQuery, http::StatusCode};
            use serde_json::Value;

            #[utoipa::path(
                get, path = concat!("/api/v1/", $segment), tag = $segment,
                operation_id = concat!("list_", stringify!($module)), summary = concat!("List ", $nouns),
                params(super::super::PageParams),
                responses((status = 200, body = Page<$type>), (status = 400, body = ErrorBody))
            )]
            pub async fn list(caller: Caller, RawQuery(query): RawQuery) -> ApiResult<Json<Page<async_graphql::Value>>> {
                let page = crate::rest::input::query(query.as_deref())?;
                let operation = concat!("List", stringify!($plural));
                super::super::list::<Value>(&caller, page, 20, operation, serde_json::Map::new()).await
            }

            #[utoipa::path(
                get, path = concat!("/api/v1/", $segment, "/{", $id, "}"), tag = $segment,
                operation_id = heck::ToSnakeCase::to_snake_case(concat!("Get", stringify!($type))),
                summary = concat!("Get ", $noun),
                params(($id = i32, Path, minimum = 1, description = concat!("ID of the ", $noun))),
                responses(
                    (status = 200, body = $type),
                    (status = 400, body = ErrorBody),
                    (status = 404, body = ErrorBody),
                )
            )]
            pub async fn get(caller: Caller, PathId(id): PathId) -> ApiResult<Json<Value>> {
                super::super::get(&caller, concat!("Get", stringify!($type)), id).await
            }

            #[utoipa::path(
                post, path = concat!("/api/v1/", $segment), tag = $segment,
                operation_id = heck::ToSnakeCase::to_snake_case(concat!("Create", stringify!($type))),
                summary = concat!("Create ", $noun),
                request_body = $create,
                responses((status = 201, body = $type), (status = 400, body = ErrorBody))
            )]
            pub async fn create(caller: Caller, body: Bytes) -> ApiResult<(StatusCode, Json<Value>)> {
                let operation = concat!("Create", stringify!($type));
                super::super::create::<$create, _>(&caller, operation, &body).await
            }

            #[utoipa::path(
                put, path = concat!("/api/v1/", $segment, "/{", $id, "}"), tag = $segment,
                operation_id = heck::ToSnakeCase::to_snake_case(concat!("Update", stringify!($type))),
                summary = concat!("Update ", $noun, " (partial)"),
                description = "Fields left out stay as they are; `null` clears a nullable field.",
                params(($id = i32, Path, minimum = 1, description = concat!("ID of the ", $noun))),
                request_body = $update,
                responses(
                    (status = 200, body = $type),
                    (status = 400, body = ErrorBody),
                    (status = 404, body = ErrorBody),
                )
            )]
            pub async fn update(caller: Caller, PathId(id): PathId, body: Bytes) -> ApiResult<Json<Value>> {
                let operation = concat!("Update", stringify!($type));
                super::super::update::<$update, _>(&caller, operation, id, &body).await
            }

            #[utoipa::path(
                delete, path = concat!("/api/v1/", $segment, "/{", $id, "}"), tag = $segment,
                operation_id = heck::ToSnakeCase::to_snake_case(concat!("Delete", stringify!($type))),
                summary = concat!("Delete ", $noun),
                params(($id = i32, Path, minimum = 1, description = concat!("ID of the ", $noun)), $delete_params),
                responses(
                    (status = 200, body = Deleted),
                    (status = 400, body = ErrorBody),
                    (status = 404, body = ErrorBody),
                )
            )]
            pub async fn delete(caller: Caller, PathId(id): PathId, RawQuery(query): RawQuery) -> ApiResult<Json<Deleted>> {
                let params: $delete_params = crate::rest::input::query(query.as_deref())?;
                let mut variables = match serde_json::to_value(params) {
                    Ok(Value::Object(variables)) => variables,
                    _ => serde_json::Map::new(),
                };
                variables.insert("id".into(), serde_json::json!(id));
                let operation = concat!("Delete", stringify!($type));
                super::super::delete(&caller, operation, variables.into(), $noun).await
            }
        })*
    };
}

labelled! {
    characters: "characters", "character_id", Character / Characters, CreateCharacterInput,
        UpdateCharacterInput, "character" / "characters", DeleteCharacterParams;
    user_profiles: "user-profiles", "user_profile_id", UserProfile / UserProfiles, CreateUserProfileInput,
        UpdateUserProfileInput, "user profile" / "user profiles", NoParams;
    ai_models: "ai-models", "ai_model_id", AiModel / AiModels, CreateAiModelInput,
        UpdateAiModelInput, "AI model" / "AI models", NoParams;
    system_prompts: "system-prompts", "system_prompt_id", SystemPrompt / SystemPrompts, CreateSystemPromptInput,
        UpdateSystemPromptInput, "system prompt" / "system prompts", NoParams;
}

#[derive(Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteCharacterParams {
    /// Also delete the chat sessions that use the character (and their messages). Without it,
    /// deleting a character in use is refused with 400 BUSINESS_RULE_ERROR.
    #[serde(default)]
    #[param(value_type = bool)]
    pub cascade: crate::rest::input::Flag,
}

/// DELETE of a resource that takes no query parameters.
#[derive(Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoParams {}
