//! Chat sessions: creating, updating, deleting and restoring them, and finding one by id or uuid.

use async_graphql::{InputObject, MaybeUndefined};
use entity::{ai_model, character, chat_session, message, system_prompt, user_profile};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, Select, Set, sea_query::Expr,
};
use uuid::Uuid;

use super::{Scope, set_if, set_nullable};
use crate::{
    auth::{Owned, Principal, Versioned},
    db::begin_write,
    domain::{
        self,
        context::{DEFAULT_USER_NAME, fill_placeholders},
        validation::{all_of, rating, require_prompt_when_enabled},
    },
    error::{AppError, AppResult},
};

/// A chat session's row, as the use cases answer it.
pub type Session = chat_session::Model;

/// A new session. An AI model, system prompt or user profile not given is the account's default
/// (`settings`), when it has one.
// Surface A's body for `POST /api/v1/chat-sessions` too.
#[derive(InputObject, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[schema(as = CreateChatSession)]
pub struct CreateChatSessionInput {
    pub character_id: i32,
    pub user_profile_id: Option<i32>,
    pub ai_model_id: Option<i32>,
    pub system_prompt_id: Option<i32>,
    /// Defaults to `"{character name} Chat ({YYYYmmdd_HHMMSS})"`.
    pub title: Option<String>,
    /// Required when `pre_prompt_enabled` is true.
    pub pre_prompt: Option<String>,
    #[graphql(default)]
    #[serde(default)]
    pub pre_prompt_enabled: bool,
    /// Required when `post_prompt_enabled` is true.
    pub post_prompt: Option<String>,
    #[graphql(default)]
    #[serde(default)]
    pub post_prompt_enabled: bool,
    /// 1 to 5.
    pub rating: Option<i32>,
    /// Store the character's first message (placeholders filled) as the session's opening
    /// assistant message.
    #[graphql(default)]
    #[serde(default)]
    pub seed_first_message: bool,
}

// Surface A's body for `PUT /api/v1/chat-sessions/{id}` too.
/// A partial update: fields left out stay as they are; `null` clears a nullable field.
#[derive(InputObject, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[schema(as = UpdateChatSession)]
pub struct UpdateChatSessionInput {
    pub character_id: Option<i32>,
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    pub user_profile_id: MaybeUndefined<i32>,
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    pub ai_model_id: MaybeUndefined<i32>,
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    pub system_prompt_id: MaybeUndefined<i32>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub title: MaybeUndefined<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub pre_prompt: MaybeUndefined<String>,
    pub pre_prompt_enabled: Option<bool>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub post_prompt: MaybeUndefined<String>,
    pub post_prompt_enabled: Option<bool>,
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    pub rating: MaybeUndefined<i32>,
}

/// NOT_FOUND unless every given id names a row of the principal's.
pub async fn check_references(
    db: &DatabaseConnection,
    principal: Principal,
    character_id: Option<i32>,
    user_profile_id: Option<i32>,
    ai_model_id: Option<i32>,
    system_prompt_id: Option<i32>,
) -> AppResult<()> {
    if let Some(id) = character_id {
        character::Entity::find_owned(db, principal, id).await?;
    }
    if let Some(id) = user_profile_id {
        user_profile::Entity::find_owned(db, principal, id).await?;
    }
    if let Some(id) = ai_model_id {
        ai_model::Entity::find_owned(db, principal, id).await?;
    }
    if let Some(id) = system_prompt_id {
        system_prompt::Entity::find_owned(db, principal, id).await?;
    }
    Ok(())
}

/// The session that `id` or `uuid` names (exactly one of them must be given). Soft-deleted sessions
/// are found only `with_deleted` (restore, purge).
pub async fn find_session<C: ConnectionTrait>(
    db: &C,
    principal: Principal,
    id: Option<i32>,
    uuid: Option<Uuid>,
    with_deleted: bool,
) -> AppResult<chat_session::Model> {
    session_query(principal, id, uuid, with_deleted)?
        .one(db)
        .await?
        .ok_or_else(|| session_not_found(id, uuid))
}

/// The statement of [`find_session`], for a caller that runs it another way (the GraphQL reads,
/// on `db::Reader`); [`session_not_found`] is its answer when it finds nothing.
pub fn session_query(
    principal: Principal,
    id: Option<i32>,
    uuid: Option<Uuid>,
    with_deleted: bool,
) -> AppResult<Select<chat_session::Entity>> {
    let scope = if with_deleted {
        chat_session::Entity::owned_by(principal)
    } else {
        chat_session::Entity::visible_to(principal)
    };
    let query = chat_session::Entity::find().filter(scope);
    match (id, uuid) {
        (Some(id), None) => Ok(query.filter(chat_session::Column::Id.eq(id))),
        (None, Some(uuid)) => Ok(query.filter(chat_session::Column::Uuid.eq(uuid))),
        _ => Err(AppError::invalid("id", "pass exactly one of id and uuid")),
    }
}

/// NOT_FOUND for the session `id` or `uuid` names.
pub fn session_not_found(id: Option<i32>, uuid: Option<Uuid>) -> AppError {
    match (id, uuid) {
        (Some(id), _) => AppError::not_found("ChatSession", id),
        (_, Some(uuid)) => AppError::not_found("ChatSession", uuid),
        _ => AppError::not_found("ChatSession", "?"),
    }
}

/// The value a field will have after a partial update.
fn merged<T: Clone>(update: &MaybeUndefined<T>, current: &Option<T>) -> Option<T> {
    match update {
        MaybeUndefined::Undefined => current.clone(),
        MaybeUndefined::Null => None,
        MaybeUndefined::Value(v) => Some(v.clone()),
    }
}

/// Creates a session; with `seed_first_message`, with the character's greeting as its first
/// message, in one transaction.
pub async fn create(
    scope: Scope<'_>,
    input: CreateChatSessionInput,
) -> AppResult<chat_session::Model> {
    all_of([
        require_prompt_when_enabled(
            "pre_prompt",
            input.pre_prompt_enabled,
            input.pre_prompt.as_deref(),
        ),
        require_prompt_when_enabled(
            "post_prompt",
            input.post_prompt_enabled,
            input.post_prompt.as_deref(),
        ),
        rating(input.rating),
    ])?;
    // What the session is not given, it takes from the account's settings.
    let defaults = super::settings::of(scope.db, scope.principal).await?;
    let user_profile_id = input.user_profile_id.or(defaults.default_user_profile_id);
    let ai_model_id = input.ai_model_id.or(defaults.default_ai_model_id);
    let system_prompt_id = input.system_prompt_id.or(defaults.default_system_prompt_id);
    check_references(
        scope.db,
        scope.principal,
        Some(input.character_id),
        user_profile_id,
        ai_model_id,
        system_prompt_id,
    )
    .await?;
    let character =
        character::Entity::find_owned(scope.db, scope.principal, input.character_id).await?;
    let now = domain::now();
    let title = input
        .title
        .unwrap_or_else(|| domain::default_title(&character.name, now));
    let txn = begin_write(scope.db).await?;
    let session = chat_session::ActiveModel {
        uuid: Set(Uuid::new_v4()),
        owner_id: Set(scope.principal.account_id),
        character_id: Set(input.character_id),
        user_profile_id: Set(user_profile_id),
        ai_model_id: Set(ai_model_id),
        system_prompt_id: Set(system_prompt_id),
        title: Set(Some(title)),
        pre_prompt: Set(input.pre_prompt),
        pre_prompt_enabled: Set(input.pre_prompt_enabled),
        post_prompt: Set(input.post_prompt),
        post_prompt_enabled: Set(input.post_prompt_enabled),
        rating: Set(input.rating),
        start_time: Set(now),
        updated_at: Set(now),
        version: Set(1),
        deleted_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if input.seed_first_message
        && let Some(first) = character.first_message.as_deref()
    {
        let user_name = match session.user_profile_id {
            Some(id) => {
                user_profile::Entity::find_owned(&txn, scope.principal, id)
                    .await?
                    .name
            }
            None => DEFAULT_USER_NAME.to_owned(),
        };
        let content = fill_placeholders(first, &character.name, &user_name);
        super::reply::new_message(scope.principal, session.id, "assistant", content, now)
            .insert(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(session)
}

/// Updates the session `id` or `uuid` names, if it still has `expected_version` when given.
pub async fn update(
    scope: Scope<'_>,
    id: Option<i32>,
    uuid: Option<Uuid>,
    input: UpdateChatSessionInput,
    expected_version: Option<i32>,
) -> AppResult<chat_session::Model> {
    let row = find_session(scope.db, scope.principal, id, uuid, false).await?;
    check_references(
        scope.db,
        scope.principal,
        input.character_id,
        input.user_profile_id.value().copied(),
        input.ai_model_id.value().copied(),
        input.system_prompt_id.value().copied(),
    )
    .await?;
    // The rules hold for the session as it will be, not just for the fields sent.
    all_of([
        require_prompt_when_enabled(
            "pre_prompt",
            input.pre_prompt_enabled.unwrap_or(row.pre_prompt_enabled),
            merged(&input.pre_prompt, &row.pre_prompt).as_deref(),
        ),
        require_prompt_when_enabled(
            "post_prompt",
            input.post_prompt_enabled.unwrap_or(row.post_prompt_enabled),
            merged(&input.post_prompt, &row.post_prompt).as_deref(),
        ),
        rating(input.rating.value().copied()),
    ])?;
    let id = row.id;
    let mut row = row.into_active_model();
    row.character_id = set_if(input.character_id);
    row.user_profile_id = set_nullable(input.user_profile_id);
    row.ai_model_id = set_nullable(input.ai_model_id);
    row.system_prompt_id = set_nullable(input.system_prompt_id);
    row.title = set_nullable(input.title);
    row.pre_prompt = set_nullable(input.pre_prompt);
    row.pre_prompt_enabled = set_if(input.pre_prompt_enabled);
    row.post_prompt = set_nullable(input.post_prompt);
    row.post_prompt_enabled = set_if(input.post_prompt_enabled);
    row.rating = set_nullable(input.rating);
    row.updated_at = Set(domain::now());
    let update = chat_session::Entity::update_many().set(row);
    chat_session::Entity::update_versioned(scope.db, scope.principal, id, expected_version, update)
        .await
}

/// Deletes the session `id` or `uuid` names with its messages: for good, or `soft`ly (restorable).
pub async fn delete(
    scope: Scope<'_>,
    id: Option<i32>,
    uuid: Option<Uuid>,
    soft: bool,
    expected_version: Option<i32>,
) -> AppResult<()> {
    crate::db::retry_aborted(|| async move {
        let txn = begin_write(scope.db).await?;
        let session = find_session(&txn, scope.principal, id, uuid, !soft).await?;
        if let Some(expected) = expected_version
            && expected != session.version
        {
            return Err(AppError::VersionMismatch {
                expected,
                found: session.version,
            });
        }
        if soft {
            let now = domain::now();
            let update = chat_session::Entity::update_many()
                .col_expr(chat_session::Column::DeletedAt, Expr::value(now));
            chat_session::Entity::update_versioned(
                &txn,
                scope.principal,
                session.id,
                Some(session.version),
                update,
            )
            .await?;
            // The messages go with it, marked with the same instant so that a restore
            // brings back exactly these (and not ones deleted one by one before).
            message::Entity::update_many()
                .col_expr(message::Column::DeletedAt, Expr::value(now))
                .filter(message::Entity::visible_to(scope.principal))
                .filter(message::Column::ChatSessionId.eq(session.id))
                .exec(&txn)
                .await?;
        } else {
            // One conditional statement: an update that commits between the read above and
            // this delete leaves a version the delete no longer matches.
            let mut delete = chat_session::Entity::delete_many()
                .filter(chat_session::Entity::owned_by(scope.principal))
                .filter(chat_session::Column::Id.eq(session.id));
            if let Some(expected) = expected_version {
                delete = delete.filter(chat_session::Column::Version.eq(expected));
            }
            if delete.exec(&txn).await?.rows_affected == 0 {
                let now = find_session(&txn, scope.principal, Some(session.id), None, true).await?;
                return Err(AppError::VersionMismatch {
                    expected: expected_version.unwrap_or(session.version),
                    found: now.version,
                });
            }
        }
        txn.commit().await?;
        Ok(())
    })
    .await
}

/// Brings back a soft-deleted session with the messages deleted with it.
pub async fn restore(
    scope: Scope<'_>,
    id: Option<i32>,
    uuid: Option<Uuid>,
) -> AppResult<chat_session::Model> {
    crate::db::retry_aborted(|| async move {
        let txn = begin_write(scope.db).await?;
        let session = find_session(&txn, scope.principal, id, uuid, true).await?;
        let Some(deleted_at) = session.deleted_at else {
            return Ok(session);
        };
        // The session's row before its messages, as on every write path
        // (`service::reply::touch_live_session`).
        let restored = chat_session::Entity::update_many()
            .col_expr(
                chat_session::Column::DeletedAt,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            )
            .col_expr(chat_session::Column::UpdatedAt, Expr::value(domain::now()))
            .col_expr(
                chat_session::Column::Version,
                Expr::value(session.version + 1),
            )
            .filter(chat_session::Entity::owned_by(scope.principal))
            .filter(chat_session::Column::Id.eq(session.id))
            .filter(chat_session::Column::DeletedAt.eq(deleted_at))
            .exec(&txn)
            .await?;
        if restored.rows_affected == 0 {
            // Purged or restored meanwhile: answer what is there now.
            return find_session(&txn, scope.principal, Some(session.id), None, true).await;
        }
        message::Entity::update_many()
            .col_expr(
                message::Column::DeletedAt,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            )
            .filter(message::Entity::owned_by(scope.principal))
            .filter(message::Column::ChatSessionId.eq(session.id))
            .filter(message::Column::DeletedAt.eq(deleted_at))
            .exec(&txn)
            .await?;
        let restored = chat_session::Entity::find_owned(&txn, scope.principal, session.id).await?;
        txn.commit().await?;
        Ok(restored)
    })
    .await
}
