//! The one forwarding path from REST to GraphQL.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use async_graphql::{
    Name, ServerError, Value as GraphQLValue, Variables,
    parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet},
};
use axum::http::HeaderMap;
use heck::ToLowerCamelCase;
use serde::de::DeserializeOwned;

use crate::{
    AppState,
    auth::Principal,
    error::{AppError, ErrorCode},
    graphql,
};

/// `(file name, contents)` of each `operations/{name}.graphql`, built into the binary.
macro_rules! documents {
    ($($name:literal),* $(,)?) => {
        &[$((
            concat!($name, ".graphql"),
            include_str!(concat!("operations/", $name, ".graphql")),
        )),*]
    };
}

/// The operation documents, parsed once at start-up.
const DOCUMENTS: &[(&str, &str)] = documents![
    "chat_sessions",
    "characters",
    "messages",
    "chats",
    "auth",
    "settings",
];

/// A labelled resource's operations: the `{Type}Fields` fragment of its column fields and the five
/// verbs [`labelled_verbs`] writes, added to its operation file (if it has one).
struct Labelled {
    file: &'static str,
    ty: &'static str,
    plural: &'static str,
    /// The object type's column fields, which surface A shows ([`graphql::types::AiModel::COLUMNS`]).
    columns: &'static [&'static str],
    /// The delete's arguments besides the id: `(name, type)`.
    delete: &'static [(&'static str, &'static str)],
}

const LABELLED: &[Labelled] = &[
    Labelled {
        file: "characters.graphql",
        ty: "Character",
        columns: graphql::types::Character::COLUMNS,
        plural: "Characters",
        delete: &[("cascade", "Boolean!")],
    },
    Labelled {
        file: "user_profiles.graphql",
        ty: "UserProfile",
        columns: graphql::types::UserProfile::COLUMNS,
        plural: "UserProfiles",
        delete: &[],
    },
    Labelled {
        file: "ai_models.graphql",
        ty: "AiModel",
        columns: graphql::types::AiModel::COLUMNS,
        plural: "AiModels",
        delete: &[],
    },
    Labelled {
        file: "system_prompts.graphql",
        ty: "SystemPrompt",
        columns: graphql::types::SystemPrompt::COLUMNS,
        plural: "SystemPrompts",
        delete: &[],
    },
];

/// List, get, create, update and delete of a labelled resource, on its `{Type}Fields` fragment:
/// `ListCharacters`, `GetCharacter`, `CreateCharacter`, `UpdateCharacter`, `DeleteCharacter`.
fn labelled_verbs(ty: &str, plural: &str, delete_args: &[(&str, &str)]) -> String {
    let lower = |name: &str| name[..1].to_lowercase() + &name[1..];
    let (one, many) = (lower(ty), lower(plural));
    let variables: String = delete_args
        .iter()
        .map(|(n, t)| format!(", ${n}: {t}"))
        .collect();
    let arguments: String = delete_args
        .iter()
        .map(|(n, _)| format!(", {n}: ${n}"))
        .collect();
    format!(
        "query List{plural}($first: Int!, $offset: Int!) {{
  page: {many}(first: $first, offset: $offset) {{
    total_items: totalCount
    items: nodes {{ ...{ty}Fields }}
  }}
}}
query Get{ty}($id: Int!) {{ item: {one}(id: $id) {{ ...{ty}Fields }} }}
mutation Create{ty}($input: Create{ty}Input!) {{
  item: create{ty}(input: $input) {{ ...{ty}Fields }}
}}
mutation Update{ty}($id: Int!, $input: Update{ty}Input!) {{
  item: update{ty}(id: $id, input: $input) {{ ...{ty}Fields }}
}}
mutation Delete{ty}($id: Int!{variables}) {{ deleted: delete{ty}(id: $id{arguments}) }}
"
    )
}

/// The `{ty}Fields` fragment: each column field, aliased to its REST name where that differs.
fn columns_fragment(ty: &str, columns: &[&str]) -> String {
    let fields: String = columns
        .iter()
        .map(|rest| match rest.to_lower_camel_case() {
            graphql if graphql == *rest => format!("  {rest}\n"),
            graphql => format!("  {rest}: {graphql}\n"),
        })
        .collect();
    format!("fragment {ty}Fields on {ty} {{\n{fields}}}\n")
}

/// Each operation file's source, and the labelled resources' generated operations (added to
/// their file where they have one).
pub fn documents() -> Vec<(&'static str, String)> {
    let generated = |labelled: &Labelled| {
        columns_fragment(labelled.ty, labelled.columns)
            + &labelled_verbs(labelled.ty, labelled.plural, labelled.delete)
    };
    let mut documents: Vec<_> = DOCUMENTS
        .iter()
        .map(|(file, source)| {
            let added = LABELLED
                .iter()
                .find(|labelled| labelled.file == *file)
                .map(generated);
            (*file, format!("{source}{}", added.unwrap_or_default()))
        })
        .collect();
    documents.extend(
        LABELLED
            .iter()
            .filter(|labelled| DOCUMENTS.iter().all(|(file, _)| *file != labelled.file))
            .map(|labelled| (labelled.file, generated(labelled))),
    );
    documents
}

/// Named operations, each as a parsed document of its own: the operation and the fragments it
/// uses. Every request clones its document and async-graphql validates all of it, so a document
/// holding a whole file (up to eight operations) cost each request that much more.
pub struct Operations {
    by_name: HashMap<String, Arc<ExecutableDocument>>,
}

impl Operations {
    /// Parses every document. They are part of the binary, so a syntax error is a bug caught by
    /// the first test that starts the app.
    pub fn load() -> Self {
        let mut by_name = HashMap::new();
        for (file, source) in documents() {
            let document = async_graphql::parser::parse_query(&source)
                .unwrap_or_else(|e| panic!("src/rest/operations/{file}: {e}"));
            for (name, operation) in document.operations.iter() {
                let name = name.unwrap_or_else(|| panic!("{file}: every operation needs a name"));
                let mut used = HashSet::new();
                fragments_used(&operation.node.selection_set.node, &document, &mut used);
                let own = ExecutableDocument {
                    operations: DocumentOperations::Multiple(HashMap::from([(
                        name.clone(),
                        operation.clone(),
                    )])),
                    fragments: document
                        .fragments
                        .iter()
                        .filter(|(fragment, _)| used.contains(*fragment))
                        .map(|(fragment, definition)| (fragment.clone(), definition.clone()))
                        .collect(),
                };
                let previous = by_name.insert(name.to_string(), Arc::new(own));
                assert!(
                    previous.is_none(),
                    "{file}: operation {name} is defined twice"
                );
            }
        }
        Operations { by_name }
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }
}

/// Adds the names of the fragments `selection` spreads, directly or through other fragments.
fn fragments_used(
    selection: &SelectionSet,
    document: &ExecutableDocument,
    used: &mut HashSet<Name>,
) {
    for item in &selection.items {
        match &item.node {
            Selection::Field(field) => {
                fragments_used(&field.node.selection_set.node, document, used);
            }
            Selection::InlineFragment(inline) => {
                fragments_used(&inline.node.selection_set.node, document, used);
            }
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                if used.insert(name.clone())
                    && let Some(fragment) = document.fragments.get(name)
                {
                    fragments_used(&fragment.node.selection_set.node, document, used);
                }
            }
        }
    }
}

/// Why a forwarded operation did not answer: the first GraphQL error, by code.
#[derive(Debug)]
pub struct Failure {
    /// The GraphQL `extensions.code`.
    pub code: ErrorCode,
    pub message: String,
    /// Every input field at fault, as GraphQL names it, with what is wrong with it (empty when
    /// the error names no field).
    pub fields: Box<[(String, String)]>,
    /// `extensions.reason`, e.g. `VERSION_MISMATCH` for a CONFLICT.
    pub reason: Option<String>,
    /// Seconds to wait before trying again (RATE_LIMITED, a busy database).
    pub retry_after: Option<u64>,
}

impl From<AppError> for Failure {
    fn from(error: AppError) -> Self {
        if let AppError::Internal(cause) = &error {
            tracing::error!(error = %cause, "REST forwarding failed");
        }
        Failure {
            code: error.code(),
            message: error.to_string(),
            fields: match &error {
                AppError::BadUserInput {
                    field: Some(field),
                    message,
                    also,
                } => std::iter::once((field.clone(), message.clone()))
                    .chain(also.iter().cloned())
                    .collect(),
                _ => Box::default(),
            },
            reason: error.reason().map(str::to_owned),
            retry_after: error.retry_after(),
        }
    }
}

impl From<ServerError> for Failure {
    fn from(error: ServerError) -> Self {
        let extension = |key: &str| match error.extensions.as_ref()?.get(key)? {
            async_graphql::Value::String(s) => Some(s.clone()),
            _ => None,
        };
        Failure {
            code: ErrorCode::of_graphql(error.extensions.as_ref().and_then(|ext| ext.get("code"))),
            fields: match error.extensions.as_ref().and_then(|ext| ext.get("fields")) {
                Some(async_graphql::Value::List(fields)) => fields
                    .iter()
                    .filter_map(|entry| match entry {
                        async_graphql::Value::Object(entry) => {
                            match (entry.get("field"), entry.get("message")) {
                                (
                                    Some(async_graphql::Value::String(field)),
                                    Some(async_graphql::Value::String(message)),
                                ) => Some((field.clone(), message.clone())),
                                _ => None,
                            }
                        }
                        _ => None,
                    })
                    .collect(),
                // One field at fault: `field`, with the error's message.
                _ => extension("field")
                    .map(|field| (field, error.message.clone()))
                    .into_iter()
                    .collect(),
            },
            reason: extension("reason"),
            retry_after: match error
                .extensions
                .as_ref()
                .and_then(|ext| ext.get("retryAfter"))
            {
                Some(async_graphql::Value::Number(n)) => n.as_u64(),
                _ => None,
            },
            message: error.message,
        }
    }
}

impl AppState {
    /// Who the request's credentials name.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, Failure> {
        Ok(self.auth.authenticate(headers).await?)
    }

    /// Executes `operation` with `variables` as `principal`, and returns `data` decoded as `T`
    /// (the shape the operation's aliases give it).
    pub async fn forward<T: DeserializeOwned>(
        &self,
        principal: Principal,
        operation: &str,
        variables: serde_json::Value,
    ) -> Result<T, Failure> {
        decode(self.forward_value(principal, operation, variables).await?)
    }

    /// [`AppState::forward`]'s `data` as GraphQL answered it, for a caller that passes it on as it
    /// is (the operation's aliases give it its REST shape already).
    pub async fn forward_value(
        &self,
        principal: Principal,
        operation: &str,
        variables: serde_json::Value,
    ) -> Result<GraphQLValue, Failure> {
        self.execute(Some(principal), operation, variables, None)
            .await
    }

    /// [`AppState::forward`] with a file for the operation's `Upload` variable `variable`.
    pub async fn forward_upload<T: DeserializeOwned>(
        &self,
        principal: Principal,
        operation: &str,
        mut variables: serde_json::Value,
        variable: &str,
        upload: async_graphql::UploadValue,
    ) -> Result<T, Failure> {
        // The upload takes the place of the variable, which must be there (as null) to be found.
        variables[variable] = serde_json::Value::Null;
        decode(
            self.execute(
                Some(principal),
                operation,
                variables,
                Some((variable, upload)),
            )
            .await?,
        )
    }

    /// Runs an operation without credentials (register, login), from `client`'s address.
    pub async fn forward_anonymous<T: DeserializeOwned>(
        &self,
        operation: &str,
        variables: serde_json::Value,
        client: Option<crate::auth::ClientAddress>,
    ) -> Result<T, Failure> {
        let document = self.operation(operation)?;
        let mut request = async_graphql::Request::new(String::new())
            .operation_name(operation)
            .variables(Variables::from_json(variables));
        request.set_parsed_query(document);
        if let Some(client) = client {
            request = request.data(client);
        }
        decode(self.run(request).await?)
    }

    fn operation(&self, operation: &str) -> Result<ExecutableDocument, Failure> {
        let document = self.operations.by_name.get(operation).ok_or_else(|| {
            AppError::internal(std::io::Error::other(format!(
                "no REST operation named {operation}"
            )))
        })?;
        Ok(ExecutableDocument::clone(document))
    }

    async fn execute(
        &self,
        principal: Option<Principal>,
        operation: &str,
        variables: serde_json::Value,
        upload: Option<(&str, async_graphql::UploadValue)>,
    ) -> Result<GraphQLValue, Failure> {
        let mut request = async_graphql::Request::new(String::new())
            .operation_name(operation)
            .variables(Variables::from_json(variables));
        request.set_parsed_query(self.operation(operation)?);
        if let Some((variable, upload)) = upload {
            request.set_upload(&format!("variables.{variable}"), upload);
        }
        self.run(graphql::request_data(request, &self.reader, principal))
            .await
    }

    async fn run(&self, request: async_graphql::Request) -> Result<GraphQLValue, Failure> {
        let response = self.graphql.execute_forwarded(request).await;
        if let Some(error) = response.errors.into_iter().next() {
            return Err(error.into());
        }
        Ok(response.data)
    }
}

/// Straight from GraphQL's value to the REST type, without a serde_json tree between.
pub fn decode<T: DeserializeOwned>(data: GraphQLValue) -> Result<T, Failure> {
    async_graphql::from_value(data).map_err(|e| AppError::internal(e).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The REST operations run on a schema that skips the document rules
    /// ([`graphql::Engine`]), so here each one goes through all of them: a misspelt field, a
    /// variable of the wrong type or one left unused fails this test rather than a request.
    /// Without the request's data every operation stops at its first resolver, after validation
    /// (whose errors have no path).
    #[tokio::test]
    async fn every_operation_passes_full_validation() {
        let schema = graphql::schema_without_data();
        let operations = Operations::load();
        assert!(
            operations.by_name.len() > 40,
            "the operations were not all loaded"
        );
        for (name, document) in &operations.by_name {
            let mut request = async_graphql::Request::new(String::new()).operation_name(name);
            request.set_parsed_query(ExecutableDocument::clone(document));
            let response = schema.execute(request).await;
            let invalid: Vec<_> = response
                .errors
                .iter()
                .filter(|error| error.path.is_empty())
                .map(|error| error.message.as_str())
                .collect();
            assert!(invalid.is_empty(), "{name}: {invalid:?}");
        }
    }
}
