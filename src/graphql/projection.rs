//! The columns a selection reads: a list decodes the columns of the fields its client asked
//! for, not the whole of every row ([`Projection`]).

use async_graphql::{Context, SelectionField};

use crate::db::rows::{FromRow, Projection};

/// A GraphQL object type that shows one model (`wraps!`).
pub trait Node {
    type Model;
}

/// What each field of an object type reads of its model, by the field's Rust name: a column
/// field its column, a method the columns of its `#[reads(...)]` (`object_fields!`). A field
/// not listed may read anything, so a selection of it reads the whole row.
pub trait FieldReads {
    const READS: &'static [(&'static str, &'static [&'static str])];
}

/// The columns that `selections` (each an occurrence of a field of type `N`, through aliases
/// and fragments) read of `N`'s model: the id, and each selected field's columns; every
/// column when a field reads more than its columns, or is not known.
pub fn projection<'a, N>(selections: impl IntoIterator<Item = SelectionField<'a>>) -> Projection
where
    N: Node + FieldReads,
    N::Model: FromRow,
{
    let mut projection = Projection::NONE.with_named::<N::Model>("id");
    for selection in selections {
        for field in selection.selection_set() {
            let name = field.name();
            if name == "__typename" {
                continue;
            }
            let Some((_, columns)) = N::READS
                .iter()
                .find(|(rust, _)| is_camel_case_of(name, rust))
            else {
                return Projection::ALL;
            };
            for column in *columns {
                projection = projection.with_named::<N::Model>(column);
            }
        }
    }
    projection
}

/// [`projection`] of a connection's nodes (`nodes` and `edges { node }`).
pub fn of_nodes<N>(ctx: &Context<'_>) -> Projection
where
    N: Node + FieldReads,
    N::Model: FromRow,
{
    let look = ctx.look_ahead();
    let nodes = look.field("nodes").selection_fields();
    let edge_nodes = look.field("edges").field("node").selection_fields();
    projection::<N>(nodes.into_iter().chain(edge_nodes))
}

/// Whether `camel` is the GraphQL name of the Rust field `snake` (async-graphql's camelCase:
/// `avatar_image` is `avatarImage`).
fn is_camel_case_of(camel: &str, snake: &str) -> bool {
    let mut camel = camel.chars();
    let mut upper = false;
    for letter in snake.chars() {
        if letter == '_' {
            upper = true;
            continue;
        }
        let expected = if upper {
            letter.to_ascii_uppercase()
        } else {
            letter
        };
        upper = false;
        if camel.next() != Some(expected) {
            return false;
        }
    }
    camel.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::{FieldReads, Node, is_camel_case_of};
    use crate::{
        db::rows::FromRow,
        graphql::types::{AiModel, Character, ChatSession, Message, SystemPrompt, UserProfile},
    };

    /// Every column a field says it reads is a column of its type's model: a misspelt one would
    /// make every selection of the field read the whole row.
    #[test]
    fn each_field_reads_columns_of_its_model() {
        fn check<N>()
        where
            N: Node + FieldReads,
            N::Model: FromRow,
        {
            for (field, columns) in N::READS {
                for column in *columns {
                    assert!(
                        N::Model::COLUMNS.contains(column),
                        "{field} reads {column}, not a column of {}",
                        std::any::type_name::<N::Model>()
                    );
                }
            }
        }
        check::<Character>();
        check::<UserProfile>();
        check::<AiModel>();
        check::<SystemPrompt>();
        check::<ChatSession>();
        check::<Message>();
    }

    #[test]
    fn a_field_is_found_by_its_graphql_name() {
        assert!(is_camel_case_of("avatarImage", "avatar_image"));
        assert!(is_camel_case_of("id", "id"));
        assert!(is_camel_case_of("userProfileId", "user_profile_id"));
        assert!(!is_camel_case_of("avatar_image", "avatar_image"));
        assert!(!is_camel_case_of("avatarImages", "avatar_image"));
        assert!(!is_camel_case_of("avatar", "avatar_image"));
    }
}
