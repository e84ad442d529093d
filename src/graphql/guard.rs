//! What a GraphQL document may cost, checked on the parsed document before async-graphql
//! validates it.
//!
//! async-graphql's validation expands every fragment spread where it stands, without memoising,
//! so ten spreads of a fragment that holds ten spreads of the next (eight levels, 678 bytes) are
//! 10^8 walks before any limit of its own is consulted. This pass measures each fragment once
//! (one memo per fragment), so its cost is linear in the document's size, and refuses a document
//! whose expanded size or depth is over the limit before anything else walks it.
//!
//! - Size: every field counts one wherever a fragment puts it, aliases and `__typename` included
//!   (this is the complexity limit, `PARLEY_GRAPHQL_MAX_COMPLEXITY`).
//! - Depth: the nesting of fields that read data (`PARLEY_GRAPHQL_MAX_DEPTH`). Introspection
//!   (`__schema`, `__type`) is measured on its own, against [`INTROSPECTION_MAX_DEPTH`]: graphql-js's
//!   standard introspection query (what GraphiQL, codegen, Apollo and Relay tooling send) nests
//!   `ofType` eight levels under `__schema { types { fields { type`, deeper than any data query
//!   needs, and its size still counts.

use std::collections::HashMap;

use async_graphql::{
    ServerError, Value as ConstValue,
    parser::types::{
        DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
        SelectionSet,
    },
};

/// How deep an introspection selection may nest: the standard introspection query needs 14.
pub const INTROSPECTION_MAX_DEPTH: usize = 16;

/// The limits one document is held to.
#[derive(Clone, Copy, Debug)]
pub struct DocumentLimits {
    /// Fields after expanding fragments, every field counting one.
    pub max_fields: usize,
    /// Nesting of data fields.
    pub max_depth: usize,
}

/// What a selection set costs once its fragments are expanded.
#[derive(Clone, Copy, Default)]
struct Cost {
    fields: u64,
    /// Deepest nesting of data fields.
    depth: u64,
    /// Deepest nesting inside an introspection field (the field itself counting one).
    introspection_depth: u64,
}

impl Cost {
    fn widen(&mut self, other: Cost) {
        self.fields = self.fields.saturating_add(other.fields);
        self.depth = self.depth.max(other.depth);
        self.introspection_depth = self.introspection_depth.max(other.introspection_depth);
    }
}

/// A fragment's place in the walk: measured, or being measured (a spread of it from inside
/// itself is a cycle, which GraphQL forbids).
enum Memo {
    Measuring,
    Measured(Cost),
}

/// Refuses a document whose operations, fragments expanded, are over `limits`; the error is the
/// request's fault (`BAD_USER_INPUT`). A document async-graphql would refuse anyway (unknown
/// fragments, cycles) is refused here too, so that it is never walked twice.
pub fn check(document: &ExecutableDocument, limits: DocumentLimits) -> Result<(), ServerError> {
    let mut walk = Walk {
        document,
        memo: HashMap::new(),
    };
    for (_, operation) in document.operations.iter() {
        let cost = walk.selection_set(&operation.node.selection_set.node)?;
        if cost.fields > limits.max_fields as u64 {
            return Err(refused(format!(
                "the query selects {} fields once its fragments are expanded; at most {} are allowed",
                cost.fields, limits.max_fields
            )));
        }
        if cost.depth > limits.max_depth as u64 {
            return Err(refused(format!(
                "the query nests fields {} deep; at most {} is allowed",
                cost.depth, limits.max_depth
            )));
        }
        if cost.introspection_depth > INTROSPECTION_MAX_DEPTH as u64 {
            return Err(refused(format!(
                "the introspection query nests fields {} deep; at most {INTROSPECTION_MAX_DEPTH} is allowed",
                cost.introspection_depth
            )));
        }
    }
    Ok(())
}

/// Refuses text with a NUL (U+0000) in the request's variables or document, naming the
/// variable field where there is one (PostgreSQL cannot store it; SQLite can: refusing it
/// everywhere gives the same answer on both).
pub fn refuse_nul(request: &async_graphql::Request) -> Result<(), ServerError> {
    use crate::domain::validation::NUL_MESSAGE;
    if request.query.contains('\0') || request.query.contains("\\u0000") {
        return Err(refused(format!("the query document: {NUL_MESSAGE}")));
    }
    for (name, value) in request.variables.iter() {
        if let Some(field) = nul_field(value) {
            let mut error = refused(NUL_MESSAGE.to_owned());
            let field = field.unwrap_or_else(|| name.to_string());
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("field", field);
            return Err(error);
        }
    }
    Ok(())
}

/// `Some` when `value` holds a NUL: with the innermost object key around it, if any.
fn nul_field(value: &ConstValue) -> Option<Option<String>> {
    match value {
        ConstValue::String(text) => text.contains('\0').then_some(None),
        ConstValue::List(items) => items.iter().find_map(nul_field),
        ConstValue::Object(fields) => fields.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                return Some(Some(key.replace('\0', "")));
            }
            nul_field(item).map(|inner| inner.or_else(|| Some(key.to_string())))
        }),
        _ => None,
    }
}

/// The operation `name` selects, or the document's only one; `None` when that names none.
pub fn selected_operation<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    let operation = match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => Some(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next()
        }
        _ => None,
    };
    operation.map(|operation| &operation.node)
}

/// Whether the selected operation may run without credentials: a mutation of `register` and
/// `login` fields only, written out (no fragments).
pub fn is_open(document: &ExecutableDocument, name: Option<&str>) -> bool {
    selected_operation(document, name).is_some_and(|operation| {
        operation.ty == OperationType::Mutation
            && operation.selection_set.node.items.iter().all(|selection| {
                matches!(&selection.node, Selection::Field(field)
                    if matches!(field.node.name.node.as_str(), "register" | "login"))
            })
    })
}

pub(crate) fn refused(message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    error.extensions.get_or_insert_with(Default::default).set(
        "code",
        crate::error::ErrorCode::BadUserInput.graphql_value(),
    );
    error
}

struct Walk<'a> {
    document: &'a ExecutableDocument,
    memo: HashMap<&'a str, Memo>,
}

impl<'a> Walk<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet) -> Result<Cost, ServerError> {
        let mut cost = Cost::default();
        for selection in &set.items {
            let part = match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let inner = self.selection_set(&field.selection_set.node)?;
                    let introspection = matches!(field.name.node.as_str(), "__schema" | "__type");
                    Cost {
                        fields: inner.fields.saturating_add(1),
                        depth: if introspection { 0 } else { inner.depth + 1 },
                        introspection_depth: if introspection {
                            inner.depth.max(inner.introspection_depth) + 1
                        } else if inner.introspection_depth > 0 {
                            inner.introspection_depth + 1
                        } else {
                            0
                        },
                    }
                }
                Selection::InlineFragment(fragment) => {
                    self.selection_set(&fragment.node.selection_set.node)?
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str())?
                }
            };
            cost.widen(part);
        }
        Ok(cost)
    }

    fn fragment(&mut self, name: &'a str) -> Result<Cost, ServerError> {
        match self.memo.get(name) {
            Some(Memo::Measured(cost)) => return Ok(*cost),
            Some(Memo::Measuring) => {
                return Err(refused(format!(
                    "fragment `{name}` spreads itself (fragments cannot form cycles)"
                )));
            }
            None => {}
        }
        let document = self.document;
        let Some((key, definition)) = document.fragments.get_key_value(name) else {
            return Err(refused(format!("unknown fragment `{name}`")));
        };
        self.memo.insert(key.as_str(), Memo::Measuring);
        let cost = self.selection_set(&definition.node.selection_set.node)?;
        self.memo.insert(key.as_str(), Memo::Measured(cost));
        Ok(cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: DocumentLimits = DocumentLimits {
        max_fields: 1000,
        max_depth: 12,
    };

    fn check_text(text: &str) -> Result<(), String> {
        let document = async_graphql::parser::parse_query(text).expect("parses");
        check(&document, LIMITS).map_err(|e| e.message)
    }

    /// Ten spreads of the previous fragment, `levels` deep: 10^levels fields once expanded.
    fn fan_out(levels: usize) -> String {
        let mut text =
            format!("query {{ ...F{levels} }} fragment F0 on QueryRoot {{ __typename }}");
        for level in 1..=levels {
            let spreads = format!("...F{} ", level - 1).repeat(10);
            text.push_str(&format!(" fragment F{level} on QueryRoot {{ {spreads}}}"));
        }
        text
    }

    #[test]
    fn a_fragment_fan_out_is_measured_once_per_fragment_and_refused() {
        assert!(check_text(&fan_out(2)).is_ok(), "100 fields pass");
        let error = check_text(&fan_out(12)).unwrap_err();
        assert!(error.contains("1000000000000 fields"), "{error}");
    }

    #[test]
    fn aliased_typenames_count() {
        let aliases: String = (0..1001).map(|i| format!("a{i}: __typename ")).collect();
        assert!(check_text(&format!("{{ {aliases} }}")).is_err());
    }

    #[test]
    fn data_depth_and_introspection_depth_are_bounded_apart() {
        let nest = |levels: usize, leaf: &str| {
            format!(
                "{}{leaf}{}",
                "{ characters { nodes ".repeat(levels),
                " } }".repeat(levels)
            )
        };
        assert!(check_text(&format!("{{ a {} }}", nest(5, "{ id }"))).is_ok());
        assert!(check_text(&format!("{{ a {} }}", nest(7, "{ id }"))).is_err());
        let of_type = |levels: usize| {
            format!(
                "{{ __schema {{ types {{ fields {{ type {}{{ name }}{} }} }} }} }}",
                "{ ofType ".repeat(levels),
                " }".repeat(levels)
            )
        };
        assert!(
            check_text(&of_type(8)).is_ok(),
            "the standard query's depth"
        );
        assert!(check_text(&of_type(18)).is_err());
    }

    #[test]
    fn cycles_and_unknown_fragments_are_refused() {
        assert!(
            check_text(
                "{ ...A } fragment A on QueryRoot { ...B } fragment B on QueryRoot { ...A }"
            )
            .is_err()
        );
        assert!(check_text("{ ...Missing }").is_err());
    }
}
