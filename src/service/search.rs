//! Full-text search over message content, ranked: SQLite FTS5 (`bm25` rank) or PostgreSQL
//! `tsvector` (`ts_rank`), both created by the migrations. The query goes through the owner scope
//! like every other read, so deleted messages, deleted chats and other owners' rows never match.

use entity::message;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, Order, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};

use crate::{
    auth::{Owned, Principal},
    error::{AppError, AppResult},
};

/// The most results one search answers (the origin's `le=200`).
pub const MAX_SEARCH_RESULTS: u64 = 200;

/// The words of a user's query, each quoted so FTS5 reads it as a plain term (never as syntax):
/// `pod "bay` becomes `"pod" """bay"`. All words must match.
fn fts5_query(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Messages of the principal's (of one session when `session_id` is given) that contain every word
/// of `query`, best match first. A query with no words at all (`*`, `?`, punctuation) matches
/// nothing, as the origin's search answers; an empty query is refused.
pub async fn search_messages<C: ConnectionTrait>(
    db: &C,
    principal: Principal,
    session_id: Option<i32>,
    query: &str,
    limit: u64,
) -> AppResult<Vec<message::Model>> {
    if query.is_empty() {
        return Err(AppError::invalid("query", "the search query is empty"));
    }
    if !(1..=MAX_SEARCH_RESULTS).contains(&limit) {
        return Err(AppError::invalid(
            "limit",
            format!("limit must be between 1 and {MAX_SEARCH_RESULTS}"),
        ));
    }
    let words: Vec<&str> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let mut select = message::Entity::scoped(principal);
    if let Some(id) = session_id {
        select = select.filter(message::Column::ChatSessionId.eq(id));
    }
    let select = match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            let terms = fts5_query(&words);
            select
                .filter(Expr::cust_with_values(
                    "\"message\".\"id\" IN (SELECT rowid FROM message_fts WHERE message_fts MATCH ?)",
                    [terms.clone()],
                ))
                .order_by(
                    Expr::cust_with_values(
                        "(SELECT rank FROM message_fts WHERE message_fts MATCH ? \
                         AND message_fts.rowid = \"message\".\"id\")",
                        [terms],
                    ),
                    Order::Asc,
                )
        }
        _ => {
            let terms = words.join(" ");
            select
                .filter(Expr::cust_with_values(
                    "\"message\".\"search\" @@ plainto_tsquery('simple', $1)",
                    [terms.clone()],
                ))
                .order_by(
                    Expr::cust_with_values(
                        "ts_rank(\"message\".\"search\", plainto_tsquery('simple', $1))",
                        [terms],
                    ),
                    Order::Desc,
                )
        }
    };
    Ok(select
        .order_by_asc(message::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn fts5_terms_are_quoted() {
        assert_eq!(super::fts5_query(&["pod", "b\"ay"]), r#""pod" "b""ay""#);
    }
}
