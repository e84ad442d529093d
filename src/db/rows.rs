//! Decoding the rows of the hot read paths (lists and DataLoaders) by position.
//!
//! SeaORM's derived `FromQueryResult` finds every column by name (a hash of the name per column
//! per row) and turns every NULL into an error message before mapping it to `None`; in the
//! profile of the 100-session query that decoding was a fifth of Parley's CPU (bench/RESULTS.md).
//! Here each column is read by its position with sqlx's own `Decode`, the same call SeaORM makes
//! underneath, or, where SQLite's reads run on the calling thread (`db::reader`), with
//! rusqlite's `FromSql`; `tests/api/rows.rs` checks every model, both ways, against SeaORM's
//! decoding.
//!
//! The position is the order of the entity's `Column` enum, which is the order SeaORM selects
//! them in (`Entity::find()` selects `Column::iter()`); [`FromRow::COLUMNS`] records it so a
//! test can compare the two.

use chrono::{DateTime, Utc};
use rusqlite::types::{FromSql, FromSqlResult, ValueRef};
use sea_orm::{
    DbErr, QueryResult,
    sqlx::{self, Postgres, Row as _, Sqlite},
};

pub use super::reader::Row;

/// A model decoded from a row whose first columns are the entity's columns, in `Column` order.
pub trait FromRow: Sized {
    /// The column names, in the order they are read.
    const COLUMNS: &'static [&'static str];

    /// A model from a row whose first columns are those of `projection`, in `Column` order; the
    /// fields of the other columns hold their type's default value.
    fn from_projected_row(row: &Row<'_>, projection: Projection) -> Result<Self, DbErr>;

    fn from_row(row: &Row<'_>) -> Result<Self, DbErr> {
        Self::from_projected_row(row, Projection::ALL)
    }
}

/// Which of a model's columns a statement reads: bit `i` is `COLUMNS[i]` ([`FromRow`]).
///
/// A list whose selection shows a few of a model's fields decodes only their columns: the 100
/// sessions decoded each session's seventeen columns and each relation's whole row (a
/// character's twenty, three of them JSON) where the query's fields read five session columns
/// and two or three of each relation's (bench/RESULTS.md). A model read this way answers those
/// fields only, so it never goes into a DataLoader's cache, where any field might read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Projection(u64);

impl Projection {
    /// Every column.
    pub const ALL: Projection = Projection(u64::MAX);

    /// No column yet.
    pub const NONE: Projection = Projection(0);

    /// This projection and the column `M::COLUMNS[index]`.
    pub fn with(self, index: usize) -> Self {
        Projection(self.0 | 1u64.checked_shl(index as u32).unwrap_or(0))
    }

    /// This projection and the column named `name`, or every column when `M` has no such column.
    pub fn with_named<M: FromRow>(self, name: &str) -> Self {
        match M::COLUMNS.iter().position(|column| *column == name) {
            Some(index) => self.with(index),
            None => Projection::ALL,
        }
    }

    /// Whether the column at `index` is read.
    pub fn has(self, index: usize) -> bool {
        1u64.checked_shl(index as u32)
            .is_some_and(|bit| self.0 & bit != 0)
    }

    /// Whether every one of `M`'s columns is read.
    pub fn is_all<M: FromRow>(self) -> bool {
        (0..M::COLUMNS.len()).all(|index| self.has(index))
    }

    /// How many of `M`'s columns a row of this projection holds (the position of a column
    /// selected after them).
    pub fn width<M: FromRow>(self) -> usize {
        (0..M::COLUMNS.len())
            .filter(|index| self.has(*index))
            .count()
    }

    /// `query` selecting this projection's columns, in `Column` order.
    pub fn select<E>(self, query: sea_orm::Select<E>) -> sea_orm::Select<E>
    where
        E: sea_orm::EntityTrait,
        E::Model: FromRow,
    {
        use sea_orm::{Iterable, QuerySelect};
        if self.is_all::<E::Model>() {
            return query;
        }
        let columns = E::Column::iter()
            .enumerate()
            .filter(|(index, _)| self.has(*index))
            .map(|(_, column)| column);
        query.select_only().columns(columns)
    }
}

/// One value a model field can hold, decodable on both backends through sqlx, and on SQLite
/// read in place (`db::reader`) by [`Cell::from_sqlite`], to the same value.
pub trait Cell: Sized
where
    Self: for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
    Self: for<'r> sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>,
{
    fn from_sqlite(value: ValueRef<'_>) -> FromSqlResult<Self>;
}

/// [`Cell`] for types whose rusqlite decoding is sqlx's.
macro_rules! cell_from_sql {
    ($($cell:ty),*) => {$(
        impl Cell for $cell {
            fn from_sqlite(value: ValueRef<'_>) -> FromSqlResult<Self> {
                FromSql::column_result(value)
            }
        }
    )*};
}

cell_from_sql!(i32, i64, bool, f64, String, uuid::Uuid, serde_json::Value);

impl Cell for DateTime<Utc> {
    /// As sqlx reads it: RFC 3339 first, the form sqlx writes (rusqlite's own decoding parses
    /// every timestamp against a format string, a twelfth of the 100-session list's CPU), then
    /// the other forms SQLite's date functions give.
    fn from_sqlite(value: ValueRef<'_>) -> FromSqlResult<Self> {
        if let ValueRef::Text(text) = value
            && let Ok(parsed) =
                DateTime::parse_from_rfc3339(std::str::from_utf8(text).unwrap_or(""))
        {
            return Ok(parsed.with_timezone(&Utc));
        }
        FromSql::column_result(value)
    }
}

impl<T: Cell> Cell for Option<T> {
    fn from_sqlite(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Null => Ok(None),
            value => T::from_sqlite(value).map(Some),
        }
    }
}

/// Reads the value at `index` of a row from the pool. NULL is `None` for `Option` fields, an
/// error for the others.
pub fn cell<T: Cell>(row: &QueryResult, index: usize) -> Result<T, DbErr> {
    let decoded = if let Some(row) = row.try_as_pg_row() {
        row.try_get::<T, _>(index)
    } else if let Some(row) = row.try_as_sqlite_row() {
        row.try_get::<T, _>(index)
    } else {
        return Err(DbErr::Type("rows come from PostgreSQL or SQLite".into()));
    };
    decoded.map_err(|error| DbErr::Type(format!("column {index}: {error}")))
}

/// Implements [`FromRow`] for `$module::Model`, its fields listed in the `Column` order.
macro_rules! from_row {
    ($($module:ident { $($field:ident),* $(,)? })*) => {$(
        impl FromRow for entity::$module::Model {
            const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),*];
            fn from_projected_row(row: &Row<'_>, projection: Projection) -> Result<Self, DbErr> {
                // The model's column index, and the position in the row of the next column read.
                let (mut column, mut position) = (0, 0);
                let mut next = || {
                    let read = projection.has(column).then_some(position);
                    column += 1;
                    position += usize::from(read.is_some());
                    read
                };
                Ok(Self { $($field: match next() {
                    Some(position) => row.cell(position)?,
                    None => Default::default(),
                }),* })
            }
        }
        const _: () = assert!(
            <entity::$module::Model as FromRow>::COLUMNS.len() <= 64,
            "a Projection holds up to 64 columns"
        );
    )*};
}

from_row! {
    character {
        id, owner_id, label, name, avatar_image, description, personality, scenario,
        first_message, alternate_greetings, message_example, creator_notes, system_prompt,
        post_history_instructions, tags, creator, character_version, extensions, created_at,
        updated_at,
    }
    user_profile { id, owner_id, label, name, avatar_image, description, created_at, updated_at }
    ai_model {
        id, owner_id, label, description, provider, model_name, temperature, max_tokens,
        created_at, updated_at,
    }
    system_prompt { id, owner_id, label, content, created_at, updated_at }
    chat_session {
        id, uuid, owner_id, character_id, user_profile_id, ai_model_id, system_prompt_id, title,
        pre_prompt, pre_prompt_enabled, post_prompt, post_prompt_enabled, rating, start_time,
        updated_at, version, deleted_at,
    }
    message {
        id, owner_id, chat_session_id, role, content, created_at, updated_at, version, deleted_at,
    }
}
