//! The REST surfaces. A handler does three things only: turn path, query and body into variables,
//! execute a named operation from `operations/*.graphql` on the GraphQL schema with the request's
//! Principal ([`forward`]), and turn `data` / errors into its surface's envelope and status.

pub mod completions;
pub mod forward;
pub mod input;
pub mod surface_a;
pub mod surface_b;

use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Parley REST API",
        description = "REST compatibility surfaces of Parley. Every route forwards to the GraphQL \
                       schema served at /graphql, on the same data."
    ),
    modifiers(&ApiKeyAuth),
    security(("api_key" = []), ("bearer" = [])),
    tags(
        (name = "chat-sessions", description = "Surface A: chat sessions by integer id"),
        (name = "characters", description = "Surface A: characters"),
        (name = "user-profiles", description = "Surface A: user profiles"),
        (name = "ai-models", description = "Surface A: AI models"),
        (name = "system-prompts", description = "Surface A: system prompts"),
        (name = "messages", description = "Messages of chat sessions"),
        (name = "auth", description = "Accounts and tokens (multi-user mode)"),
        (name = "chat-completions", description = "OpenAI-compatible chat completions"),
        (name = "character-chat-sessions", description = "Surface B: chats by uuid, with soft delete, \
                                                          versions, context, export and search"),
    )
)]
struct ApiDoc;

struct ApiKeyAuth;

impl Modify for ApiKeyAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-KEY"))),
        );
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
    }
}

/// Every REST route, with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(surface_a::router())
        .merge(surface_b::router())
        .merge(completions::router())
}

/// The OpenAPI document of the REST surfaces (what `GET /openapi.json` serves).
pub fn openapi() -> utoipa::openapi::OpenApi {
    router().split_for_parts().1
}

/// [`openapi`] as pretty-printed JSON: the checked-in `openapi.json`.
pub fn openapi_json() -> String {
    openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
}
