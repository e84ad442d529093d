//! Decoding the rows of the hot read paths (lists and DataLoaders) by position.
//!
//! SeaORM's derived `FromQueryResult` finds every column by name (a hash of the name per column
//! per row) and turns every NULL into an error message before mapping it to `None`; in the
//! profile of the 100-session query that decoding was a fifth of Parley's CPU (bench/RESULTS.md).
//! Here each column is read by its position with sqlx's own `Decode`, the same call SeaORM makes
//! underneath, so the values are the same (`tests/api/rows.rs` checks every model against
//! SeaORM's decoding).
//!
//! The position is the order of the entity's `Column` enum, which is the order SeaORM selects
//! them in (`Entity::find()` selects `Column::iter()`); [`FromRow::COLUMNS`] records it so a
//! test can compare the two.

use sea_orm::{
    ConnectionTrait, DbErr, EntityTrait, QueryResult, QueryTrait, Select,
    sqlx::{self, Postgres, Row, Sqlite},
};

/// A model decoded from a row whose first columns are the entity's columns, in `Column` order.
pub trait FromRow: Sized {
    /// The column names, in the order they are read.
    const COLUMNS: &'static [&'static str];
    fn from_row(row: &QueryResult) -> Result<Self, DbErr>;
}

/// One value a model field can hold, decodable on both backends.
pub trait Cell: Sized
where
    Self: for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
    Self: for<'r> sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>,
{
}

impl<T> Cell for T
where
    T: for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
    T: for<'r> sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>,
{
}

/// Reads the value at `index`. NULL is `None` for `Option` fields, an error for the others.
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

/// `Select::all`, decoding with [`FromRow`].
pub async fn fetch_all<E, C>(db: &C, select: Select<E>) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    E::Model: FromRow,
    C: ConnectionTrait,
{
    let statement = select.build(db.get_database_backend());
    decode_all(&db.query_all_raw(statement).await?)
}

/// Decodes rows fetched by a statement of one's own (their first columns the entity's).
pub fn decode_all<M: FromRow>(rows: &[QueryResult]) -> Result<Vec<M>, DbErr> {
    rows.iter().map(M::from_row).collect()
}

/// Implements [`FromRow`] for `$module::Model`, its fields listed in the `Column` order.
macro_rules! from_row {
    ($($module:ident { $($field:ident),* $(,)? })*) => {$(
        impl FromRow for entity::$module::Model {
            const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),*];
            fn from_row(row: &QueryResult) -> Result<Self, DbErr> {
                let mut index = 0..;
                let mut next = || index.next().expect("a column index");
                Ok(Self { $($field: cell(row, next())?),* })
            }
        }
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
