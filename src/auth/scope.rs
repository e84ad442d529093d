//! The one place that scopes queries by owner.
//!
//! Every owned entity implements [`Owned`]; every read goes through [`Owned::scoped`] and every
//! write through [`Owned::find_owned`] / [`Owned::delete_owned`], so a query that forgets the owner
//! cannot be written by accident. Soft-deleted rows are hidden here too.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Select, UpdateMany,
    sea_query::{Alias, Expr, ExprTrait, Func, IntoCondition, Query},
};

use super::Principal;
use crate::error::{AppError, AppResult};
use entity::{
    account_settings, ai_model, api_key, character, character_card, chat_session, message,
    system_prompt, user_profile,
};

pub trait Owned: EntityTrait {
    /// The name of the resource in error messages ("Character 7 not found").
    const KIND: &'static str;
    fn id_column() -> Self::Column;
    fn owner_column() -> Self::Column;
    fn id_of(model: &Self::Model) -> i32;
    /// `deleted_at`, for tables with soft delete.
    fn deleted_at_column() -> Option<Self::Column> {
        None
    }

    /// The principal's rows, soft-deleted ones included (for restore and purge only).
    fn owned_by(principal: Principal) -> Condition {
        Condition::all().add(Self::owner_column().eq(principal.account_id))
    }

    /// The rows `principal` may see: its own, not soft-deleted.
    fn visible_to(principal: Principal) -> Condition {
        let mut condition = Self::owned_by(principal);
        if let Some(deleted_at) = Self::deleted_at_column() {
            condition = condition.add(deleted_at.is_null());
        }
        condition
    }

    /// `SELECT ... WHERE owner_id = $principal [AND deleted_at IS NULL]`.
    fn scoped(principal: Principal) -> Select<Self> {
        Self::find().filter(Self::visible_to(principal))
    }

    /// One row of the principal's, or NOT_FOUND (also when it is someone else's).
    fn find_owned<C: ConnectionTrait>(
        db: &C,
        principal: Principal,
        id: i32,
    ) -> impl Future<Output = AppResult<Self::Model>> + Send
    where
        Self::Model: Send,
    {
        async move {
            Self::scoped(principal)
                .filter(Self::id_column().eq(id))
                .one(db)
                .await?
                .ok_or_else(|| AppError::not_found(Self::KIND, id))
        }
    }

    /// Deletes one row of the principal's, or NOT_FOUND.
    fn delete_owned<C: ConnectionTrait>(
        db: &C,
        principal: Principal,
        id: i32,
    ) -> impl Future<Output = AppResult<()>> + Send {
        async move {
            let result = Self::delete_many()
                .filter(Self::visible_to(principal))
                .filter(Self::id_column().eq(id).into_condition())
                .exec(db)
                .await?;
            if result.rows_affected == 0 {
                return Err(AppError::not_found(Self::KIND, id));
            }
            Ok(())
        }
    }
}

/// Entities with optimistic locking: a `version` that every update adds one to.
pub trait Versioned: Owned {
    fn version_column() -> Self::Column;
    fn version_of(model: &Self::Model) -> i32;

    /// Applies `update` to row `id` of the principal's and adds one to its version; with
    /// `expected`, only if the row still has that version, else CONFLICT ("Version mismatch.
    /// Expected X, found Y"). The check and the write are one statement, so of two clients that
    /// expect the same version exactly one wins. Returns the row as updated (even when the update
    /// was a soft delete).
    fn update_versioned<C: ConnectionTrait>(
        db: &C,
        principal: Principal,
        id: i32,
        expected: Option<i32>,
        update: UpdateMany<Self>,
    ) -> impl Future<Output = AppResult<Self::Model>> + Send
    where
        Self::Model: Send,
    {
        async move {
            let version = Self::version_column();
            let mut update = update
                .col_expr(version, Expr::col(version).add(1))
                .filter(Self::visible_to(principal))
                .filter(Self::id_column().eq(id));
            if let Some(expected) = expected {
                update = update.filter(version.eq(expected));
            }
            if update.exec(db).await?.rows_affected == 0 {
                let current = Self::find_owned(db, principal, id).await?;
                return Err(AppError::VersionMismatch {
                    expected: expected.unwrap_or_default(),
                    found: Self::version_of(&current),
                });
            }
            Self::find()
                .filter(Self::owned_by(principal))
                .filter(Self::id_column().eq(id))
                .one(db)
                .await?
                .ok_or_else(|| AppError::not_found(Self::KIND, id))
        }
    }
}

macro_rules! versioned {
    ($($module:ident),*) => {$(
        impl Versioned for $module::Entity {
            fn version_column() -> Self::Column {
                $module::Column::Version
            }
            fn version_of(model: &$module::Model) -> i32 {
                model.version
            }
        }
    )*};
}

versioned!(chat_session, message);

/// Entities with a `label` that is unique per owner.
pub trait Labeled: Owned {
    fn label_column() -> Self::Column;
    /// `(created_at, updated_at)`.
    fn timestamp_columns() -> (Self::Column, Self::Column);

    /// BAD_USER_INPUT when `label` is taken by another row of the same owner.
    fn ensure_label_free<C: ConnectionTrait>(
        db: &C,
        principal: Principal,
        label: &str,
        except_id: Option<i32>,
    ) -> impl Future<Output = AppResult<()>> + Send {
        async move {
            if label.trim().is_empty() {
                return Err(AppError::invalid("label", "label must not be empty"));
            }
            let mut query = Self::find()
                .filter(Self::owner_column().eq(principal.account_id))
                .filter(Self::label_column().eq(label));
            if let Some(id) = except_id {
                query = query.filter(Self::id_column().ne(id));
            }
            if query.one(db).await?.is_some() {
                return Err(AppError::invalid(
                    "label",
                    format!("a {} with label `{label}` already exists", Self::KIND),
                ));
            }
            Ok(())
        }
    }
}

macro_rules! owned {
    ($module:ident, $kind:literal $(, deleted_at = $deleted:ident)?) => {
        owned!($module, $kind, owner = OwnerId $(, deleted_at = $deleted)?);
    };
    // A table whose key is its parent's id (`character_card.character_id`).
    ($module:ident, $kind:literal, id = $id:ident, $id_field:ident) => {
        impl Owned for $module::Entity {
            const KIND: &'static str = $kind;
            fn id_column() -> Self::Column {
                $module::Column::$id
            }
            fn owner_column() -> Self::Column {
                $module::Column::OwnerId
            }
            fn id_of(model: &$module::Model) -> i32 {
                model.$id_field
            }
        }
    };
    ($module:ident, $kind:literal, owner = $owner:ident $(, deleted_at = $deleted:ident)?) => {
        impl Owned for $module::Entity {
            const KIND: &'static str = $kind;
            fn id_column() -> Self::Column {
                $module::Column::Id
            }
            fn owner_column() -> Self::Column {
                $module::Column::$owner
            }
            fn id_of(model: &$module::Model) -> i32 {
                model.id
            }
            $(fn deleted_at_column() -> Option<Self::Column> {
                Some($module::Column::$deleted)
            })?
        }
    };
}

owned!(character, "Character");
owned!(
    character_card,
    "CharacterCard",
    id = CharacterId,
    character_id
);
owned!(api_key, "ApiKey", owner = AccountId);
// One row per account, keyed by its owner.
owned!(account_settings, "Settings", id = OwnerId, owner_id);
owned!(user_profile, "UserProfile");
owned!(ai_model, "AiModel");
owned!(system_prompt, "SystemPrompt");
owned!(chat_session, "ChatSession", deleted_at = DeletedAt);
owned!(message, "Message", deleted_at = DeletedAt);

macro_rules! labeled {
    ($($module:ident),*) => {$(
        impl Labeled for $module::Entity {
            fn label_column() -> Self::Column {
                $module::Column::Label
            }
            fn timestamp_columns() -> (Self::Column, Self::Column) {
                ($module::Column::CreatedAt, $module::Column::UpdatedAt)
            }
        }
    )*};
}

labeled!(character, user_profile, ai_model, system_prompt);

/// The number of rows `chat_session::Entity::scoped(principal)` selects, read from the tally the
/// database keeps per owner (`chat_session_tally`, maintained by triggers: migration 5) instead of
/// counted. `tests/api/tally.rs` checks the two agree after every kind of write.
pub fn live_session_tally(principal: Principal) -> Expr {
    let tally = Query::select()
        .column(Alias::new("live_sessions"))
        .from(Alias::new("chat_session_tally"))
        .and_where(Expr::col(Alias::new("owner_id")).eq(principal.account_id))
        .to_owned();
    or_zero(tally)
}

/// The number of rows `message::Entity::scoped(principal)` selects in each of `session_ids`, read
/// from the tally the database keeps per session and owner (`message_tally`, maintained by
/// triggers: migration 6) instead of counted: `(chat_session_id, live_messages)` rows, none for a
/// session that never had a message. `tests/api/tally.rs` checks them against a count after every
/// kind of write.
pub fn live_message_tallies(
    principal: Principal,
    session_ids: impl IntoIterator<Item = i32>,
) -> sea_orm::sea_query::SelectStatement {
    owned_message_tallies(principal)
        .columns([Alias::new("chat_session_id"), Alias::new("live_messages")])
        .and_where(Expr::col(Alias::new("chat_session_id")).is_in(session_ids))
        .to_owned()
}

/// One session's count of [`live_message_tallies`], as an SQL expression; `session` is its id, a
/// value or an expression (a subquery that finds it).
pub fn live_message_tally(principal: Principal, session: impl Into<Expr>) -> Expr {
    or_zero(
        owned_message_tallies(principal)
            .column(Alias::new("live_messages"))
            .and_where(Expr::col(Alias::new("chat_session_id")).eq(session.into()))
            .to_owned(),
    )
}

/// The message tallies of `principal`'s sessions, for the two functions above to pick columns
/// from and narrow by session.
fn owned_message_tallies(principal: Principal) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .from(Alias::new("message_tally"))
        .and_where(Expr::col(Alias::new("owner_id")).eq(principal.account_id))
        .to_owned()
}

/// A one-row, one-column `tally` as an expression, 0 where it has no row (an owner or a session
/// that never had one yet).
fn or_zero(tally: sea_orm::sea_query::SelectStatement) -> Expr {
    Func::coalesce([Expr::SubQuery(None, Box::new(tally.into())), Expr::val(0)]).into()
}
