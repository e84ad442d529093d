//! The GraphQL schema: one query root and one mutation root, each merged from per-domain parts.

pub mod loaders;
mod mutation;
pub mod pagination;
mod query;
mod subscription;
pub mod types;

use std::sync::Arc;

use async_graphql::{
    Context, ErrorExtensions, Response, SDLExportOptions, Schema, ServerError,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextRequest,
        apollo_persisted_queries::{ApolloPersistedQueries, LruCacheStorage},
    },
};
use sea_orm::DatabaseConnection;

use crate::{
    auth::{Authenticator, Principal},
    config::Limits,
    error::AppError,
    events::Events,
    llm::Providers,
    metrics::Metrics,
};
use loaders::Loaders;
pub use mutation::{MutationRoot, find_session};
pub use query::QueryRoot;
pub use subscription::SubscriptionRoot;

pub type ParleySchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// What every request's resolvers share.
pub struct SchemaData {
    pub db: DatabaseConnection,
    pub authenticator: Authenticator,
    pub providers: Providers,
    pub events: Events,
    pub limits: Limits,
    pub metrics: Metrics,
}

/// Builds the schema. `db` is schema-wide data; the Principal and the loaders are added per request
/// by [`request_data`].
pub fn build_schema(data: SchemaData) -> ParleySchema {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .data(data.db)
    .data(data.authenticator)
    .data(data.providers)
    .data(data.events)
    .extension(ErrorCodes)
    .extension(OperationMetrics(data.metrics))
    // Automatic persisted queries (Apollo): a client registers a document under its SHA-256 once,
    // then sends only the hash. The cache is per process; a replica that has not seen the hash
    // answers PersistedQueryNotFound and the client sends the document again.
    .extension(ApolloPersistedQueries::new(LruCacheStorage::new(1024)))
    // Checked while validating, before any resolver (or SQL) runs. Every field counts one
    // towards complexity, aliases included, so a wall of aliases is refused too.
    .limit_depth(data.limits.graphql_max_depth)
    .limit_complexity(data.limits.graphql_max_complexity)
    .finish()
}

/// The checked-in `schema.graphql`: the SDL of [`build_schema`], sorted so diffs stay readable.
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .finish()
    .sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items(),
    )
}

/// Attaches what one request's resolvers need: who is asking, and loaders scoped to them.
pub fn request_data(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    principal: Option<Principal>,
) -> async_graphql::Request {
    match principal {
        Some(principal) => request
            .data(principal)
            .data(Arc::new(Loaders::new(db, principal))),
        None => request,
    }
}

/// What a resolver works with.
pub(crate) struct RequestScope<'a> {
    pub db: &'a DatabaseConnection,
    pub principal: Principal,
    pub loaders: &'a Arc<Loaders>,
}

pub(crate) fn request_scope<'a>(ctx: &Context<'a>) -> async_graphql::Result<RequestScope<'a>> {
    let unauthenticated = || AppError::Unauthenticated("missing credentials".into()).extend();
    Ok(RequestScope {
        db: ctx.data::<DatabaseConnection>()?,
        principal: *ctx.data_opt::<Principal>().ok_or_else(unauthenticated)?,
        loaders: ctx.data_opt::<Arc<Loaders>>().ok_or_else(unauthenticated)?,
    })
}

/// Counts every executed operation in `parley_graphql_operations_total`.
struct OperationMetrics(Metrics);

impl ExtensionFactory for OperationMetrics {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationMetrics(self.0.clone()))
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for OperationMetrics {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: async_graphql::extensions::NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        self.0
            .observe_operation(operation_name, response.errors.is_empty());
        response
    }
}

/// Gives every error an `extensions.code`. Resolver errors carry theirs (from `AppError`); the
/// ones async-graphql raises itself (syntax, unknown fields, argument types, variable coercion)
/// are the request's fault and become BAD_USER_INPUT.
struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        response.errors.iter_mut().for_each(ensure_code);
        response
    }
}

fn ensure_code(error: &mut ServerError) {
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|ext| ext.get("code").is_some());
    if !has_code {
        // Apollo clients recognise this one by its code and resend the full document.
        let code = if error.message == "PersistedQueryNotFound" {
            "PERSISTED_QUERY_NOT_FOUND"
        } else {
            "BAD_USER_INPUT"
        };
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
    }
}
