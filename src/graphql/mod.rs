//! The GraphQL schema: one query root and one mutation root, each merged from per-domain parts.

pub mod guard;
pub(crate) mod http;
pub mod loaders;
mod mutation;
pub mod pagination;
pub mod projection;
mod query;
mod subscription;
pub mod types;
pub mod ws;

use std::sync::Arc;

use async_graphql::{
    Context, ErrorExtensions, Request, Response, SDLExportOptions, Schema, ServerError,
    ValidationMode,
    parser::types::{DocumentOperations, ExecutableDocument, OperationType},
};
use futures::{StreamExt, stream::BoxStream};
use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};

use crate::{
    auth::{Authenticator, Principal},
    config::Limits,
    db::Reader,
    error::AppError,
    events::Events,
    llm::Providers,
    metrics::Metrics,
};
use loaders::Loaders;
pub use mutation::MutationRoot;
pub use query::QueryRoot;
pub use subscription::SubscriptionRoot;

pub type ParleySchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The bytes of document text (and hashes) the persisted-query cache holds per process; the
/// least used go first when it is full.
pub const PERSISTED_QUERY_CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// What the parsed-document cache may weigh per process, as [`parsed_weight`] counts; the least
/// used go first when it is full.
pub const PARSED_DOCUMENT_CACHE_WEIGHT: u64 = 32 * 1024 * 1024;

/// A parsed document's weight in the cache: at least the bytes of its tree. async-graphql's
/// parser makes a tree 15 to 30 times its text for the documents clients send (bench/queries,
/// the REST operations), up to 253 times for the worst shape measured (nested one-letter
/// selections, `{a{a{…}}}`), and about 700 bytes more for the smallest; so the cache holds at
/// most its weight in real memory, and usually a tenth of it.
fn parsed_weight(text: &str) -> u32 {
    const TREE_BYTES_PER_TEXT_BYTE: usize = 256;
    const TREE_BYTES_AT_LEAST: usize = 1024;
    let weight = text
        .len()
        .saturating_mul(1 + TREE_BYTES_PER_TEXT_BYTE)
        .saturating_add(TREE_BYTES_AT_LEAST);
    u32::try_from(weight).unwrap_or(u32::MAX)
}

/// The schema and what every execution goes through, whichever way it arrives (HTTP, REST
/// forwarding, WebSocket): automatic persisted queries, an `extensions.code` on every error, and
/// the operation metric.
///
/// These wrap the schema rather than being async-graphql extensions because any extension puts
/// every field's resolution through the extension chain; without one, async-graphql resolves
/// fields directly (measured with bench/run: the 100-session query's throughput, see
/// bench/RESULTS.md).
#[derive(Clone)]
pub struct Engine {
    /// The schema, validating in full every document a client sends.
    schema: ParleySchema,
    /// The same schema, validating only what depends on the request (fragment cycles, uploads,
    /// cost), for the REST surfaces' operations: those documents are Parley's own, so they cannot
    /// change between requests, and the handlers build their variables from input they parsed
    /// into typed values already. The rest of validation was a twentieth of a REST list's CPU
    /// (bench/RESULTS.md). A variable of the wrong type still fails, as the field's error when
    /// its argument is read; a mistake in one of the documents fails
    /// `rest::forward::tests::every_operation_passes_full_validation`. A client's document runs
    /// here too when it comes from the parsed-document cache and declares no variables: it
    /// passed full validation when it was first sent, and without variables nothing else enters
    /// that verdict.
    forwarded: ParleySchema,
    metrics: Metrics,
    /// Apollo APQ (the one implementation; async-graphql's extension is not used): documents
    /// registered under their SHA-256, per process. Only a document that an authenticated caller
    /// sent and that passed validation is kept, as its text (a parsed document is ten times its
    /// size), and the cache is bounded by the bytes it holds. A replica that has not seen a hash
    /// answers PersistedQueryNotFound and the client sends the document again.
    persisted: moka::sync::Cache<String, Arc<str>>,
    /// Documents as async-graphql's parser left them, by their text: a client sends the same few
    /// documents again and again, and parsing is the largest part of a small request's work
    /// (bench/RESULTS.md). A hit is cloned into the request, as the REST operations' documents
    /// are; validation still runs on every request (in full when the document declares
    /// variables, whose values it checks). Only a document that an authenticated caller sent and
    /// that passed validation is kept, and the cache is bounded by bytes, so made-up documents
    /// cannot fill it.
    parsed: moka::sync::Cache<String, ExecutableDocument>,
    /// Permits for queries executing at once (`PARLEY_MAX_CONCURRENT_QUERIES`). Past the limit a
    /// query waits (first come, first served) instead of interleaving with all the others: on a
    /// saturated machine that finishes each sooner and bounds the memory of answers in progress.
    queries: Arc<tokio::sync::Semaphore>,
    /// What one document may cost (checked before async-graphql validates it).
    document_limits: guard::DocumentLimits,
    /// The longest document text accepted, in bytes.
    max_document_bytes: usize,
}

impl Engine {
    pub fn new(
        schema: ParleySchema,
        forwarded: ParleySchema,
        metrics: Metrics,
        limits: &Limits,
    ) -> Self {
        Engine {
            schema,
            forwarded,
            metrics,
            persisted: moka::sync::Cache::builder()
                .weigher(|hash: &String, text: &Arc<str>| {
                    u32::try_from(hash.len() + text.len()).unwrap_or(u32::MAX)
                })
                .max_capacity(PERSISTED_QUERY_CACHE_BYTES)
                .build(),
            parsed: moka::sync::Cache::builder()
                .weigher(|text: &String, _: &ExecutableDocument| parsed_weight(text))
                .max_capacity(PARSED_DOCUMENT_CACHE_WEIGHT)
                .build(),
            queries: Arc::new(tokio::sync::Semaphore::new(limits.max_concurrent_queries)),
            document_limits: guard::DocumentLimits {
                max_fields: limits.graphql_max_complexity,
                max_depth: limits.graphql_max_depth,
            },
            max_document_bytes: limits.graphql_max_document_bytes,
        }
    }

    pub async fn execute(&self, request: Request) -> Response {
        self.run(
            request,
            Origin::Client {
                queries_only: false,
            },
        )
        .await
    }

    /// Executes a request that came as a GET: GraphQL over HTTP allows only queries there (a GET
    /// must not change anything), so a mutation or subscription is refused before it runs, with
    /// the code `METHOD_NOT_ALLOWED`.
    pub async fn execute_query_only(&self, request: Request) -> Response {
        self.run(request, Origin::Client { queries_only: true })
            .await
    }

    /// Executes one of the REST surfaces' operations (`src/rest/operations`), which comes parsed.
    pub async fn execute_forwarded(&self, request: Request) -> Response {
        self.run(request, Origin::Parley).await
    }

    async fn run(&self, mut request: Request, origin: Origin) -> Response {
        let queries_only = matches!(origin, Origin::Client { queries_only: true });
        let authenticated = request
            .data
            .contains_key(&std::any::TypeId::of::<Principal>());
        let mut remember = Remember::default();
        let prepared = self.prepare(&mut request, &mut remember).and_then(|operation| {
            if !authenticated && !guard::is_open(request.parsed_query()?, operation.as_deref()) {
                return Err(AppError::Unauthenticated(
                    "missing credentials: send an API key as X-API-KEY or a bearer token".into(),
                )
                .extend()
                .into_server_error(Default::default()));
            }
            let is_query = runs_a_query(&mut request)?;
            if queries_only && !is_query {
                let mut error = ServerError::new(
                    "only queries may be sent with GET; send mutations and subscriptions with POST",
                    None,
                );
                error
                    .extensions
                    .get_or_insert_with(Default::default)
                    .set("code", crate::error::ErrorCode::MethodNotAllowed.graphql_value());
                return Err(error);
            }
            // Kept aside now (the request goes to async-graphql), cached once it validated.
            let parsed = match remember.parse {
                true if authenticated => Some((
                    request.query.clone(),
                    ExecutableDocument::clone(request.parsed_query()?),
                )),
                _ => None,
            };
            // A document from the cache passed full validation when it was first sent, and
            // without variables nothing else goes into that verdict: the schema that checks only
            // what depends on the request (cost, fragment cycles) gives the same answer, cheaper.
            let validated_before = !request.query.is_empty()
                && !remember.parse
                && !defines_variables(request.parsed_query()?);
            Ok((operation, is_query, parsed, validated_before))
        });
        let mut response = match prepared {
            Ok((operation, is_query, parsed, validated_before)) => {
                let _permit = match is_query {
                    false => None,
                    true => match self.queries.try_acquire() {
                        Ok(permit) => Some(permit),
                        Err(_) => {
                            self.metrics.graphql_queries_queued.inc();
                            // The semaphore is never closed, so this only waits.
                            self.queries.acquire().await.ok()
                        }
                    },
                };
                let schema = match origin {
                    Origin::Client { .. } if !validated_before => &self.schema,
                    Origin::Client { .. } | Origin::Parley => &self.forwarded,
                };
                let response = schema.execute(request).await;
                // Validation failures come back as errors without a path and no data.
                let validated = response.data != async_graphql::Value::Null
                    || response.errors.iter().any(|error| !error.path.is_empty());
                // Only a name an authenticated caller ran becomes a label (the table is capped
                // too): anyone else's made-up names do not fill it.
                let label = match (authenticated, validated) {
                    (true, true) => operation.as_deref(),
                    (false, _) => Some("unauthenticated"),
                    (true, false) => Some("invalid"),
                };
                self.metrics
                    .observe_operation(label, response.errors.is_empty());
                if authenticated && validated {
                    if let Some((hash, text)) = remember.persisted {
                        self.persisted.insert(hash, text);
                    }
                    if let Some((text, document)) = parsed {
                        self.parsed.insert(text, document);
                    }
                }
                response
            }
            Err(error) => Response::from_errors(vec![error]),
        };
        response.errors.iter_mut().for_each(ensure_code);
        response
    }

    /// Resolves a persisted query, parses the document (once: async-graphql takes the parsed
    /// one), or takes it from the parsed-document cache, and checks what it may cost; returns the
    /// name of the operation that will run. What is worth caching once the request has run
    /// comes back in `remember`.
    fn prepare(
        &self,
        request: &mut Request,
        remember: &mut Remember,
    ) -> Result<Option<String>, ServerError> {
        if request.query.len() > self.max_document_bytes {
            return Err(guard::refused(format!(
                "the query document has {} bytes; at most {} are allowed",
                request.query.len(),
                self.max_document_bytes
            )));
        }
        if let Some(value) = request.extensions.remove("persistedQuery") {
            remember.persisted = self.persisted_document(request, value)?;
        }
        guard::refuse_nul(request)?;
        // A forwarded REST operation comes parsed already, with no text.
        if !request.query.is_empty() {
            match self.parsed.get(request.query.as_str()) {
                Some(document) => request.set_parsed_query(document),
                None => {
                    self.metrics.graphql_documents_parsed.inc();
                    remember.parse = true;
                }
            }
        }
        let requested = request.operation_name.clone();
        let document = request.parsed_query()?;
        guard::check(document, self.document_limits)?;
        let operations = &document.operations;
        let name = match (requested, operations) {
            (Some(name), _) => Some(name),
            (None, DocumentOperations::Multiple(operations)) if operations.len() == 1 => {
                operations.keys().next().map(|name| name.to_string())
            }
            _ => None,
        };
        Ok(name)
    }

    /// Resolves `extensions.persistedQuery`: a hash alone becomes the document registered under
    /// it; a hash with its document is checked, and answered to be registered after it runs.
    fn persisted_document(
        &self,
        request: &mut Request,
        value: async_graphql::Value,
    ) -> Result<Option<(String, Arc<str>)>, ServerError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct PersistedQuery {
            version: i32,
            sha256_hash: String,
        }
        let persisted: PersistedQuery = async_graphql::from_value(value).map_err(|_| {
            ServerError::new("Invalid \"PersistedQuery\" extension configuration.", None)
        })?;
        if persisted.version != 1 {
            return Err(ServerError::new(
                "Only version 1 of the \"PersistedQuery\" extension is supported.",
                None,
            ));
        }
        if request.query.is_empty() {
            let text = self
                .persisted
                .get(&persisted.sha256_hash)
                .ok_or_else(|| ServerError::new("PersistedQueryNotFound", None))?;
            request.query = text.to_string();
            return Ok(None);
        }
        let hash = format!("{:x}", Sha256::digest(request.query.as_bytes()));
        if hash != persisted.sha256_hash {
            return Err(ServerError::new("provided sha does not match query", None));
        }
        Ok(Some((hash, Arc::from(request.query.as_str()))))
    }
}

/// Who wrote the document a request runs.
#[derive(Clone, Copy)]
enum Origin {
    /// A client, over HTTP (a GET runs `queries_only`) or a socket.
    Client { queries_only: bool },
    /// Parley: a REST surface's operation.
    Parley,
}

/// What a request leaves to be cached once it has run and validated.
#[derive(Default)]
struct Remember {
    /// A persisted query's hash and the document sent with it.
    persisted: Option<(String, Arc<str>)>,
    /// The document's text was parsed here: it was not in the parsed-document cache.
    parse: bool,
}

/// Whether any operation of `document` declares a variable (whose values, which change from one
/// request to the next, full validation checks).
fn defines_variables(document: &ExecutableDocument) -> bool {
    document
        .operations
        .iter()
        .any(|(_, operation)| !operation.node.variable_definitions.is_empty())
}

/// Whether the operation the request selects is a query (an unknown or ambiguous selection is
/// left to execution, which reports it).
fn runs_a_query(request: &mut Request) -> Result<bool, ServerError> {
    let name = request.operation_name.clone();
    let operation = guard::selected_operation(request.parsed_query()?, name.as_deref());
    Ok(operation.is_none_or(|operation| operation.ty == OperationType::Query))
}

/// The WebSocket transport executes through the same [`Engine`].
impl async_graphql::Executor for Engine {
    fn execute(&self, request: Request) -> impl Future<Output = Response> + Send {
        Engine::execute(self, request)
    }

    fn execute_stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<async_graphql::Data>>,
    ) -> BoxStream<'static, Response> {
        // Over a socket a persisted document is looked up but not registered: registration
        // waits for an answer that shows it validated, which a stream does not give first.
        if let Err(error) = self.prepare(&mut request, &mut Remember::default()) {
            let mut response = Response::from_errors(vec![error]);
            response.errors.iter_mut().for_each(ensure_code);
            return futures::stream::once(async move { response }).boxed();
        }
        self.schema
            .execute_stream_with_session_data(request, session_data.unwrap_or_default())
            .map(|mut response| {
                response.errors.iter_mut().for_each(ensure_code);
                response
            })
            .boxed()
    }
}

/// What every request's resolvers share.
pub struct SchemaData {
    pub reader: Reader,
    pub authenticator: Authenticator,
    pub providers: Providers,
    pub events: Events,
    pub limits: Limits,
    pub metrics: Metrics,
}

/// Builds the schema. `db` is schema-wide data; the Principal and the loaders are added per request
/// by [`request_data`].
pub fn build_schema(data: SchemaData) -> Engine {
    let build = |validation| {
        Schema::build(
            QueryRoot::default(),
            MutationRoot::default(),
            SubscriptionRoot,
        )
        .data(data.reader.connection().clone())
        .data(data.reader.clone())
        .data(data.authenticator.clone())
        .data(data.providers.clone())
        .data(data.events.clone())
        .validation_mode(validation)
        // Depth and complexity are not async-graphql's limits: `guard` checks both before
        // validation, which would otherwise expand fragments without bound first.
        .finish()
    };
    Engine::new(
        build(ValidationMode::Strict),
        build(ValidationMode::Fast),
        data.metrics,
        &data.limits,
    )
}

/// The schema with none of its data: its types, fully validating, for the SDL and for checking
/// documents (a resolver run on it fails for want of its data, after validation).
pub fn schema_without_data() -> ParleySchema {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .finish()
}

/// The checked-in `schema.graphql`: the SDL of [`build_schema`], sorted so diffs stay readable.
pub fn sdl() -> String {
    schema_without_data().sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items(),
    )
}

/// Attaches what one request's resolvers need: who is asking, and loaders scoped to them.
pub fn request_data(
    request: async_graphql::Request,
    reader: &Reader,
    principal: Option<Principal>,
) -> async_graphql::Request {
    match principal {
        Some(principal) => request
            .data(principal)
            .data(Arc::new(Loaders::new(reader, principal))),
        None => request,
    }
}

/// What a resolver works with.
pub(crate) struct RequestScope<'a> {
    pub db: &'a DatabaseConnection,
    pub reader: &'a Reader,
    pub principal: Principal,
    pub loaders: &'a Arc<Loaders>,
}

impl<'a> RequestScope<'a> {
    /// The caller's session that `id` or `uuid` names (exactly one; not soft-deleted), read on the
    /// hot read path ([`Reader`]).
    pub async fn visible_session(
        &self,
        id: Option<i32>,
        uuid: Option<uuid::Uuid>,
    ) -> crate::error::AppResult<entity::chat_session::Model> {
        use crate::service::session::{session_not_found, session_query};
        use sea_orm::QuerySelect;
        let query = session_query(self.principal, id, uuid, false)?.limit(1);
        let mut found = self.reader.models(query).await?;
        found.pop().ok_or_else(|| session_not_found(id, uuid))
    }

    /// What the service layer's use cases take.
    pub fn service(&self) -> crate::service::Scope<'a> {
        crate::service::Scope {
            db: self.db,
            principal: self.principal,
        }
    }
}

pub(crate) fn request_scope<'a>(ctx: &Context<'a>) -> async_graphql::Result<RequestScope<'a>> {
    let unauthenticated = || AppError::Unauthenticated("missing credentials".into()).extend();
    Ok(RequestScope {
        db: ctx.data::<DatabaseConnection>()?,
        reader: ctx.data::<Reader>()?,
        principal: *ctx.data_opt::<Principal>().ok_or_else(unauthenticated)?,
        loaders: ctx.data_opt::<Arc<Loaders>>().ok_or_else(unauthenticated)?,
    })
}

/// Gives every error an `extensions.code`. Resolver errors carry theirs (from `AppError`); the
/// ones async-graphql raises itself (syntax, unknown fields, argument types, variable coercion)
/// are the request's fault and become BAD_USER_INPUT.
fn ensure_code(error: &mut ServerError) {
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|ext| ext.get("code").is_some());
    if !has_code {
        // Apollo clients recognise this one by its code and resend the full document.
        let code = if error.message == "PersistedQueryNotFound" {
            crate::error::ErrorCode::PersistedQueryNotFound
        } else {
            crate::error::ErrorCode::BadUserInput
        };
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code.graphql_value());
    }
}
