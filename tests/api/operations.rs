//! The REST surfaces' named operations (`src/rest/operations/*.graphql`, with the verbs
//! `forward::documents` adds to the labelled resources' files): each one is valid
//! against the schema the server serves, and each one is forwarded by a REST handler. That each
//! answer decodes into its REST type is what the route tests (`rest_a`, `rest_b`,
//! `origin_clients`) and the fuzzing of every OpenAPI operation check: a mismatch is a 500 there.

use std::collections::HashMap;

use async_graphql::parser::{
    parse_query, parse_schema,
    types::{BaseType, ServiceDocument, Type, TypeKind, TypeSystemDefinition},
};
use serde_json::{Value, json};

use crate::helpers::spawn_app;

fn operation_files() -> Vec<(&'static str, String)> {
    let files = parley::rest::forward::documents();
    assert!(
        files.len() >= 9,
        "the operation files are missing: {files:?}"
    );
    files
}

/// The input types of the schema: enums by their first value, input objects by their fields.
struct Inputs(ServiceDocument);

impl Inputs {
    /// A value of type `ty`, or `None` for a nullable one (left out). `Upload` is `null`: the
    /// file travels in a multipart part.
    fn value_of(&self, ty: &Type) -> Option<Value> {
        if ty.nullable {
            return None;
        }
        Some(match &ty.base {
            BaseType::List(item) => json!([self.value_of(item).unwrap_or(Value::Null)]),
            BaseType::Named(name) => match name.as_str() {
                "Int" => json!(1),
                "Float" => json!(1.0),
                "String" | "ID" => json!("1"),
                "Boolean" => json!(false),
                "UUID" => json!("00000000-0000-4000-8000-000000000001"),
                "DateTime" => json!("2026-01-01T00:00:00Z"),
                "JSON" => json!({}),
                "Upload" => Value::Null,
                other => self.named(other),
            },
        })
    }

    fn named(&self, name: &str) -> Value {
        let definition = self
            .0
            .definitions
            .iter()
            .find_map(|definition| match definition {
                TypeSystemDefinition::Type(ty) if ty.node.name.node.as_str() == name => {
                    Some(&ty.node.kind)
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("the schema has no type {name}"));
        match definition {
            TypeKind::Enum(enumeration) => json!(enumeration.values[0].node.value.node.as_str()),
            TypeKind::InputObject(input) => Value::Object(
                input
                    .fields
                    .iter()
                    .filter(|field| field.node.default_value.is_none())
                    .filter_map(|field| {
                        let value = self.value_of(&field.node.ty.node)?;
                        Some((field.node.name.node.to_string(), value))
                    })
                    .collect(),
            ),
            other => panic!("{name} is not an input type: {other:?}"),
        }
    }
}

#[tokio::test]
async fn every_rest_operation_is_valid_against_the_served_schema() {
    let app = spawn_app().await;
    let inputs = Inputs(parse_schema(parley::graphql::sdl()).expect("the SDL parses"));
    let mut checked = 0;
    for (file, source) in operation_files() {
        let document = parse_query(&source).unwrap_or_else(|e| panic!("{file}: {e}"));
        for (name, operation) in document.operations.iter() {
            let name = name.unwrap_or_else(|| panic!("{file}: an operation without a name"));
            let mut variables = serde_json::Map::new();
            let mut uploads = Vec::new();
            for variable in &operation.node.variable_definitions {
                let ty = &variable.node.var_type.node;
                if let Some(value) = inputs.value_of(ty) {
                    variables.insert(variable.node.name.node.to_string(), value);
                }
                if matches!(&ty.base, BaseType::Named(named) if named.as_str() == "Upload") {
                    uploads.push(format!("variables.{}", variable.node.name.node));
                }
            }
            let request =
                json!({ "query": source, "operationName": name.as_str(), "variables": variables });
            let body = app.send_operation(request, &uploads).await;
            // A resolver's error (NOT_FOUND for id 1, ...) has a path; one the document or its
            // variables cause (unknown field, wrong type) is raised before execution and has none.
            let invalid: Vec<&Value> = body["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|error| error.get("path").is_none())
                .collect();
            assert!(
                invalid.is_empty(),
                "{file}: {name} is not valid: {invalid:?}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 50, "only {checked} operations were checked");
}

#[test]
fn every_rest_operation_is_forwarded_by_a_handler() {
    let mut files = Vec::new();
    let rest = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rest");
    crate::layers::rust_files(&rest, &mut files);
    let sources: String = files
        .iter()
        .map(|file| std::fs::read_to_string(file).expect("the file reads"))
        .collect();
    // The labelled resources' handlers name their operations from their row of the table in
    // `labelled.rs` (`AiModel / AiModels,` -> `ListAiModels`, `GetAiModel`, ...).
    let labelled = std::fs::read_to_string(rest.join("surface_a/labelled.rs")).unwrap();
    let (mut built, verbs) = (Vec::new(), ["List", "Get", "Create", "Update", "Delete"]);
    for verb in verbs {
        let stem = if verb == "List" { "$plural" } else { "$type" };
        if labelled.contains(&format!("concat!(\"{verb}\", stringify!({stem}))")) {
            let words: Vec<&str> = labelled.split_whitespace().collect();
            for row in words
                .windows(3)
                .filter(|w| w[1] == "/" && !w[0].starts_with('"'))
            {
                let (ty, plural) = (row[0], row[2].trim_end_matches(','));
                built.push(format!(
                    "{verb}{}",
                    if verb == "List" { plural } else { ty }
                ));
            }
        }
    }
    let mut unused: HashMap<String, Vec<String>> = HashMap::new();
    for (file, source) in operation_files() {
        let document = parse_query(&source).expect("the document parses");
        for (name, _) in document.operations.iter() {
            let name = name.expect("a named operation");
            if !sources.contains(&format!("\"{name}\""))
                && !built.iter().any(|b| b == name.as_str())
            {
                unused
                    .entry(file.to_owned())
                    .or_default()
                    .push(name.to_string());
            }
        }
    }
    assert!(
        unused.is_empty(),
        "operations no handler forwards: {unused:?}"
    );
}

/// A labelled resource's column fields are written once, in its GraphQL object type: surface A
/// answers with exactly those fields, in that order, and its OpenAPI schema documents exactly
/// them, so a new column reaches REST without a REST type or an operation to edit.
#[tokio::test]
async fn surface_a_shows_each_labelled_type_by_its_column_fields() {
    use parley::graphql::types::{AiModel, Character, SystemPrompt, UserProfile};
    let app = spawn_app().await;
    let openapi: Value = serde_json::from_str(include_str!("../../openapi.json")).unwrap();
    let resources = [
        (
            "AiModel",
            AiModel::COLUMNS,
            "ai-models",
            json!({ "label": "m" }),
        ),
        (
            "Character",
            Character::COLUMNS,
            "characters",
            json!({ "name": "C" }),
        ),
        (
            "UserProfile",
            UserProfile::COLUMNS,
            "user-profiles",
            json!({ "label": "u", "name": "U" }),
        ),
        (
            "SystemPrompt",
            SystemPrompt::COLUMNS,
            "system-prompts",
            json!({ "label": "s", "content": "S" }),
        ),
    ];
    for (ty, columns, path, body) in resources {
        assert!(columns.len() >= 5, "{ty}: {columns:?}");
        let (status, created) = app
            .rest("POST", &format!("/api/v1/{path}"), Some(body))
            .await;
        assert_eq!(status, 201, "{path}: {created}");
        let (status, read) = app
            .rest("GET", &format!("/api/v1/{path}/{}", created["id"]), None)
            .await;
        assert_eq!(status, 200, "{path}: {read}");
        for answer in [&created, &read] {
            let keys: Vec<&str> = answer
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(keys, columns, "{path} answers its type's column fields");
        }
        let mut documented: Vec<&str> = openapi["components"]["schemas"][ty]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("openapi.json has no schema {ty}"))
            .keys()
            .map(String::as_str)
            .collect();
        // utoipa keeps properties sorted.
        documented.sort_unstable();
        let mut sorted = columns.to_vec();
        sorted.sort_unstable();
        assert_eq!(
            documented, sorted,
            "openapi.json documents {ty} by its column fields"
        );
    }
}

impl crate::helpers::TestApp {
    /// POSTs a GraphQL request as the app's account: JSON, or the GraphQL multipart request with
    /// a small file for each of `uploads` (variable paths). The status must be 200.
    async fn send_operation(&self, request: Value, uploads: &[String]) -> Value {
        let url = format!("{}/graphql", self.address);
        let builder = self.client.post(url).header("X-API-KEY", &self.api_key);
        let builder = if uploads.is_empty() {
            builder.json(&request)
        } else {
            let map: serde_json::Map<String, Value> = uploads
                .iter()
                .enumerate()
                .map(|(i, path)| (i.to_string(), json!([path])))
                .collect();
            let mut form = reqwest::multipart::Form::new()
                .text("operations", request.to_string())
                .text("map", Value::Object(map).to_string());
            for i in 0..uploads.len() {
                let part = reqwest::multipart::Part::bytes(b"{}".to_vec()).file_name("card.json");
                form = form.part(i.to_string(), part);
            }
            builder.multipart(form)
        };
        let response = builder.send().await.expect("request sent");
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("a JSON answer");
        assert_eq!(status, 200, "{body}");
        body
    }
}
