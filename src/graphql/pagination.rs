//! Relay connections for every list: `first/after/last/before`, plus `offset`, with `totalCount`.
//!
//! Cursors are keyset positions (the sort key and the id), not offsets, so a page deep in a long
//! list costs what the first page costs, and rows inserted meanwhile do not shift the pages.
//!
//! Decisions where Relay leaves room: without `first` or `last` a page has 20 rows; `first` and
//! `last` are each at most 100; passing both is refused (BAD_USER_INPUT) rather than guessed at;
//! `offset` skips rows after the cursor (from the end with `last`).

use std::sync::Arc;

use async_graphql::{
    Context, Object, OutputType,
    connection::{Connection, Edge},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, IdenStatic, Order,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
    sea_query::{Expr, Query},
};

use super::projection::{self, FieldReads, Node};
use crate::{
    auth::Owned,
    db::{
        Reader,
        rows::{self, FromRow},
    },
    error::{AppError, AppResult},
};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: i32 = 100;

/// The paging arguments of a connection field, as the client sent them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
    pub offset: Option<i32>,
}

/// A position in a sorted list: the sort key (when sorting by a timestamp) and the id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub key: Option<DateTime<Utc>>,
    pub id: i32,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let raw = match self.key {
            Some(key) => format!("t:{}:{}", key.timestamp_micros(), self.id),
            None => format!("i:{}", self.id),
        };
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Decodes a cursor this server made; anything else is BAD_USER_INPUT.
    pub fn decode(field: &str, cursor: &str) -> AppResult<Self> {
        let invalid = || AppError::invalid(field, format!("`{cursor}` is not a valid cursor"));
        let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
        let raw = std::str::from_utf8(&raw).map_err(|_| invalid())?;
        let mut parts = raw.split(':');
        let cursor = match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("i"), Some(id), None, None) => Cursor {
                key: None,
                id: id.parse().map_err(|_| invalid())?,
            },
            (Some("t"), Some(micros), Some(id), None) => Cursor {
                key: Some(
                    DateTime::from_timestamp_micros(micros.parse().map_err(|_| invalid())?)
                        .ok_or_else(invalid)?,
                ),
                id: id.parse().map_err(|_| invalid())?,
            },
            _ => return Err(invalid()),
        };
        Ok(cursor)
    }
}

/// What async-graphql's connection writes for an edge's `cursor` and `pageInfo`'s cursors. The
/// arguments (`after`, `before`) are decoded by [`PageArgs::window`], with the field's name in
/// the error.
impl async_graphql::connection::CursorType for Cursor {
    type Error = AppError;

    fn decode_cursor(cursor: &str) -> Result<Self, AppError> {
        Cursor::decode("cursor", cursor)
    }

    fn encode_cursor(&self) -> String {
        self.encode()
    }
}

/// The checked, decoded form of [`PageArgs`].
#[derive(Clone, Debug)]
pub struct Window {
    pub after: Option<Cursor>,
    pub before: Option<Cursor>,
    pub limit: u64,
    pub offset: u64,
    /// `last`: the page is taken from the end of the list.
    pub from_end: bool,
}

impl Window {
    /// The list's length, when the page tells it: no cursor, and the page is its end (short of
    /// `limit + 1` rows; not empty unless nothing was skipped, as an empty page past the end
    /// says nothing of where the end is).
    pub fn total_from_page(&self, fetched: usize) -> Option<u64> {
        let fetched = fetched as u64;
        let at_end = fetched <= self.limit && (fetched > 0 || self.offset == 0);
        (self.after.is_none() && self.before.is_none() && at_end).then_some(self.offset + fetched)
    }
}

impl PageArgs {
    pub fn window(&self) -> AppResult<Window> {
        let size = |field: &str, value: i32| {
            if (0..=MAX_PAGE_SIZE).contains(&value) {
                Ok(value as u64)
            } else {
                Err(AppError::invalid(
                    field,
                    format!("{field} must be between 0 and {MAX_PAGE_SIZE}, got {value}"),
                ))
            }
        };
        let (limit, from_end) = match (self.first, self.last) {
            (Some(_), Some(_)) => {
                return Err(AppError::invalid(
                    "last",
                    "pass either first or last, not both",
                ));
            }
            (Some(first), None) => (size("first", first)?, false),
            (None, Some(last)) => (size("last", last)?, true),
            (None, None) => (DEFAULT_PAGE_SIZE, false),
        };
        let offset = match self.offset {
            Some(offset) if offset < 0 => {
                return Err(AppError::invalid("offset", "offset must not be negative"));
            }
            Some(offset) => offset as u64,
            None => 0,
        };
        Ok(Window {
            after: self
                .after
                .as_deref()
                .map(|c| Cursor::decode("after", c))
                .transpose()?,
            before: self
                .before
                .as_deref()
                .map(|c| Cursor::decode("before", c))
                .transpose()?,
            limit,
            offset,
            from_end,
        })
    }
}

/// A timestamp column to sort by, and how to read it off a row (for the row's cursor).
pub type SortKey<E> = (
    <E as sea_orm::EntityTrait>::Column,
    fn(&<E as sea_orm::EntityTrait>::Model) -> DateTime<Utc>,
);

/// How a list is sorted: by a timestamp column then id, or by id alone.
pub struct Sort<E: Owned> {
    pub key: Option<SortKey<E>>,
    pub descending: bool,
}

impl<E: Owned> Sort<E> {
    pub fn by_id() -> Self {
        Sort {
            key: None,
            descending: false,
        }
    }

    pub fn cursor(&self, model: &E::Model) -> Cursor {
        Cursor {
            key: self.key.as_ref().map(|(_, key_of)| key_of(model)),
            id: E::id_of(model),
        }
    }

    /// Rows strictly past `cursor`: later in the list when `later` (`after`), else earlier
    /// (`before`).
    fn past(&self, cursor: &Cursor, later: bool) -> AppResult<Condition> {
        // Later in a descending list means smaller values.
        let greater = later != self.descending;
        let id = E::id_column();
        let beyond_id = if greater {
            id.gt(cursor.id)
        } else {
            id.lt(cursor.id)
        };
        Ok(match &self.key {
            None => Condition::all().add(beyond_id),
            Some((column, _)) => {
                let key = cursor.key.ok_or_else(|| {
                    let field = if later { "after" } else { "before" };
                    AppError::invalid(field, "the cursor belongs to a list in another order")
                })?;
                let beyond_key = if greater {
                    column.gt(key)
                } else {
                    column.lt(key)
                };
                Condition::any()
                    .add(beyond_key)
                    .add(Condition::all().add(column.eq(key)).add(beyond_id))
            }
        })
    }

    fn order(&self, query: Select<E>, reverse: bool) -> Select<E> {
        let order = if self.descending != reverse {
            Order::Desc
        } else {
            Order::Asc
        };
        let query = match &self.key {
            Some((column, _)) => query.order_by(*column, order.clone()),
            None => query,
        };
        query.order_by(E::id_column(), order)
    }
}

/// What a list's `totalCount` counts: an SQL expression giving the number (a `COUNT(*)` of the
/// list's rows, or a tally the database keeps), and whether the client asked for it.
///
/// Asked for, the count rides along with the page as one more column (an uncorrelated scalar
/// subquery, which both databases evaluate once per statement), so a page with its total is one
/// statement, not two. Only an empty page, which has no row to carry it, counts on its own.
pub struct Count {
    expr: Expr,
    asked: bool,
}

impl Count {
    /// `COUNT(*)` of the rows of `base` (a list's query before cursors, order and limits).
    pub fn rows<E: EntityTrait>(ctx: &Context<'_>, base: &Select<E>) -> Self {
        let count = base
            .clone()
            .select_only()
            .expr(Expr::cust("COUNT(*)"))
            .into_query();
        Self::of(ctx, Expr::SubQuery(None, Box::new(count.into())))
    }

    /// A count that `expr` (an SQL expression of type integer) gives.
    pub fn of(ctx: &Context<'_>, expr: Expr) -> Self {
        Count {
            expr,
            asked: ctx.look_ahead().field("totalCount").exists(),
        }
    }
}

/// `totalCount`: known already, or counted only when the client asks for it.
pub enum TotalCount {
    Known(u64),
    Deferred(Arc<dyn Fn() -> BoxFuture<'static, AppResult<u64>> + Send + Sync>),
}

impl TotalCount {
    /// Evaluates `expr` on its own (`SELECT expr`), when it is asked for.
    fn select(db: DatabaseConnection, expr: Expr) -> Self {
        TotalCount::Deferred(Arc::new(move || {
            let db = db.clone();
            let statement = db
                .get_database_backend()
                .build(Query::select().expr(expr.clone()));
            Box::pin(async move {
                let row = db.query_one_raw(statement).await?.ok_or_else(|| {
                    AppError::internal(std::io::Error::other("a count returned no row"))
                })?;
                Ok(u64::try_from(rows::cell::<i64>(&row, 0)?).unwrap_or(0))
            })
        }))
    }

    pub fn deferred(
        count: impl Fn() -> BoxFuture<'static, AppResult<u64>> + Send + Sync + 'static,
    ) -> Self {
        TotalCount::Deferred(Arc::new(count))
    }
}

#[Object]
impl TotalCount {
    /// The number of items in the whole list (all pages), after filters.
    async fn total_count(&self) -> async_graphql::Result<u64> {
        use async_graphql::ErrorExtensions;
        match self {
            TotalCount::Known(n) => Ok(*n),
            TotalCount::Deferred(count) => count().await.map_err(|e| e.extend()),
        }
    }
}

/// A connection whose edges hold their cursors as positions: a cursor is encoded only when a
/// client asks for it (`edges { cursor }`, `pageInfo`), not for every row of every page: encoding
/// them was about a twentieth of the 50-message query's CPU, which asks for no cursor
/// (bench/RESULTS.md).
pub type PageConnection<N> = Connection<Cursor, N, TotalCount>;

/// Builds a connection from rows fetched with `limit + 1` (the extra row says there is more).
pub fn assemble<M, N>(
    mut rows: Vec<M>,
    window: &Window,
    cursor_of: impl Fn(&M) -> Cursor,
    total: TotalCount,
) -> PageConnection<N>
where
    N: From<M> + OutputType,
{
    let has_more = rows.len() as u64 > window.limit;
    rows.truncate(window.limit as usize);
    let (has_previous, has_next) = if window.from_end {
        rows.reverse();
        (has_more, window.before.is_some() || window.offset > 0)
    } else {
        (window.after.is_some() || window.offset > 0, has_more)
    };
    let mut connection = Connection::with_additional_fields(has_previous, has_next, total);
    connection.edges = rows
        .into_iter()
        .map(|row| Edge::new(cursor_of(&row), N::from(row)))
        .collect();
    connection
}

/// One page of `base` (already scoped and filtered) in `sort` order, with its total as `count`
/// gives it. Its rows hold the columns that the selection of the connection's nodes reads
/// ([`projection::of_nodes`]), and the sort key's, for the cursors.
pub async fn paginate<E, N>(
    ctx: &Context<'_>,
    db: &Reader,
    base: Select<E>,
    sort: Sort<E>,
    args: &PageArgs,
    count: Count,
) -> AppResult<PageConnection<N>>
where
    E: Owned,
    E::Model: FromRow + Send + Sync,
    N: From<E::Model> + OutputType + Node<Model = E::Model> + FieldReads,
{
    let window = args.window()?;
    let mut projection = projection::of_nodes::<N>(ctx);
    if let Some((column, _)) = &sort.key {
        projection = projection.with_named::<E::Model>(column.as_str());
    }
    let mut query = base;
    if let Some(after) = &window.after {
        query = query.filter(sort.past(after, true)?);
    }
    if let Some(before) = &window.before {
        query = query.filter(sort.past(before, false)?);
    }
    let mut page = projection
        .select(sort.order(query, window.from_end))
        .offset(window.offset)
        .limit(window.limit + 1);
    if count.asked {
        page = page.expr_as(count.expr.clone(), "total_count");
    }
    let counted = count.asked;
    let total_position = projection.width::<E::Model>();
    let statement = page.build(db.connection().get_database_backend());
    // Each row with the total beside it, when the page asked for it (`total_count`).
    let fetched = db
        .rows(statement, |row| {
            let total = match counted {
                true => Some(row.cell::<i64>(total_position)?),
                false => None,
            };
            Ok((E::Model::from_projected_row(row, projection)?, total))
        })
        .await?;
    let counted_total = fetched.first().and_then(|(_, total)| *total);
    let rows: Vec<E::Model> = fetched.into_iter().map(|(row, _)| row).collect();
    let total = match (window.total_from_page(rows.len()), counted_total) {
        (Some(total), _) => TotalCount::Known(total),
        (None, Some(total)) => TotalCount::Known(u64::try_from(total).unwrap_or(0)),
        (None, None) => TotalCount::select(db.connection().clone(), count.expr),
    };
    Ok(assemble(rows, &window, |row| sort.cursor(row), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(first: i32, offset: i32, after: Option<Cursor>) -> Window {
        let args = PageArgs {
            first: Some(first),
            offset: Some(offset),
            after: after.map(|cursor| cursor.encode()),
            ..PageArgs::default()
        };
        args.window().unwrap()
    }

    #[test]
    fn a_page_tells_the_total_only_when_it_reaches_the_end() {
        // `limit + 1` rows fetched: there is more, the page cannot tell.
        assert_eq!(window(10, 0, None).total_from_page(11), None);
        // Short of that: the list ends on this page.
        assert_eq!(window(10, 0, None).total_from_page(10), Some(10));
        assert_eq!(window(10, 20, None).total_from_page(3), Some(23));
        assert_eq!(window(10, 0, None).total_from_page(0), Some(0));
        // An empty page past the end says nothing of where the end is.
        assert_eq!(window(10, 20, None).total_from_page(0), None);
        // After a cursor the rows before it are not on the page.
        let cursor = Cursor { key: None, id: 7 };
        assert_eq!(window(10, 0, Some(cursor)).total_from_page(3), None);
    }
}
