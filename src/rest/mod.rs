//! The REST surfaces. A handler does three things only: turn path, query and body into variables,
//! execute a named operation from `operations/*.graphql` on the GraphQL schema with the request's
//! Principal ([`forward`]), and turn `data` / errors into its surface's envelope and status.

pub mod completions;
pub mod forward;
pub mod input;
pub mod surface_a;
pub mod surface_b;

use std::marker::PhantomData;

use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
    response::IntoResponse,
};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_axum::router::OpenApiRouter;

use crate::{AppState, auth::Principal};
use forward::Failure;

/// The caller a request's credentials name, authenticated before the handler runs (as the
/// origin's FastAPI dependency does: a 401 comes before the input's 400/422). `E` is the
/// surface's error, the shape a failed authentication answers in.
pub struct Caller<E> {
    pub state: AppState,
    pub principal: Principal,
    shape: PhantomData<fn() -> E>,
}

impl<E> Caller<E> {
    /// [`AppState::forward`] as this caller.
    pub async fn forward<T: serde::de::DeserializeOwned>(
        &self,
        operation: &str,
        variables: serde_json::Value,
    ) -> Result<T, Failure> {
        self.state
            .forward(self.principal, operation, variables)
            .await
    }

    /// [`AppState::forward_value`] as this caller.
    pub async fn forward_value(
        &self,
        operation: &str,
        variables: serde_json::Value,
    ) -> Result<async_graphql::Value, Failure> {
        self.state
            .forward_value(self.principal, operation, variables)
            .await
    }
}

impl<S, E> FromRequestParts<S> for Caller<E>
where
    S: Send + Sync,
    AppState: FromRef<S>,
    E: From<Failure> + IntoResponse,
{
    type Rejection = E;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, E> {
        let state = AppState::from_ref(state);
        let principal = state.authenticate(&parts.headers).await?;
        Ok(Caller {
            state,
            principal,
            shape: PhantomData,
        })
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Parley REST API",
        description = "REST compatibility surfaces of Parley. Every route forwards to the GraphQL \
                       schema served at /graphql, on the same data. Every route also answers \
                       with a trailing slash."
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
        (name = "settings", description = "Surface A: the account's settings (defaults for new sessions)"),
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
    let mut router = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(surface_a::router())
        .merge(surface_b::router())
        .merge(completions::router());
    document_common_responses(router.get_openapi_mut());
    router
}

/// Adds the answers any operation can give to each operation that does not list them itself,
/// in the operation's own error shape (the schema its other error responses use): 401 without
/// valid credentials, 429 over the rate limit, 400 (surface A) or 422 (surface B) for bad
/// parameters or bodies, 413 for a body over the limit. One place, so that no route's list can
/// forget one and clients (and schemathesis) can rely on the document.
fn document_common_responses(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

    // An operation's error shape: surface B's if any of its responses use `Detail`.
    let error_schema = |operation: &utoipa::openapi::path::Operation| {
        let detail = Ref::from_schema_name("Detail").ref_location;
        let uses_detail = operation
            .responses
            .responses
            .values()
            .filter_map(|response| match response {
                RefOr::T(response) => Some(response.content.values()),
                RefOr::Ref(_) => None,
            })
            .flatten()
            .any(|content| {
                matches!(content, RefOr::T(content)
                    if matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location == detail))
            });
        if uses_detail { "Detail" } else { "ErrorBody" }
    };
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let schema = error_schema(operation);
            let takes_input = operation.request_body.is_some()
                || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let anonymous = operation
                .security
                .as_ref()
                .is_some_and(|requirements| requirements.iter().all(|r| r == &Default::default()));
            let mut common = vec![("429", "Too many requests; `Retry-After` says when to retry")];
            if !anonymous {
                common.push(("401", "Missing, invalid or revoked credentials"));
            }
            if takes_input {
                common.push(match schema {
                    "Detail" => ("422", "Invalid parameters or body"),
                    _ => ("400", "Invalid parameters or body"),
                });
            }
            if operation.request_body.is_some() {
                common.push(("413", "The body is over the size limit"));
            }
            for (status, description) in common {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| {
                        ResponseBuilder::new()
                            .description(description)
                            .content(
                                "application/json",
                                ContentBuilder::new()
                                    .schema(Some(Ref::from_schema_name(schema)))
                                    .build(),
                            )
                            .build()
                            .into()
                    });
            }
        }
    }
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
