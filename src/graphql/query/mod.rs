//! Queries, one part per domain, merged into `QueryRoot`.

use async_graphql::{Context, ErrorExtensions, MergedObject, Object, Result};
use entity::{ai_model, character, chat_session, message, system_prompt, user_profile};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::{
    pagination::{Count, PageArgs, PageConnection, Sort, paginate},
    projection::{FieldReads, Node},
    request_scope,
    types::{
        Account, AiModel, ApiKey, Character, ChatSession, ChatSessionField, ChatSessionFilter,
        ChatSessionOrder, Message, Settings, SortDirection, SystemPrompt, UserProfile,
    },
};
use crate::{
    auth::{Owned, live_message_tally, live_session_tally},
    db::rows::FromRow,
    error::{AppError, AppResult},
    service::{search::search_messages, session::session_query},
};

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    AccountQuery,
    CharacterQuery,
    UserProfileQuery,
    AiModelQuery,
    SystemPromptQuery,
    ChatSessionQuery,
    MessageQuery,
);

/// One owned row as a GraphQL node; NOT_FOUND (with `null`) when the principal has no such row.
async fn one<E, N>(ctx: &Context<'_>, id: i32) -> Result<Option<N>>
where
    E: Owned,
    E::Model: Send + Sync,
    N: From<E::Model>,
{
    let scope = request_scope(ctx)?;
    let found: AppResult<E::Model> = E::find_owned(scope.db, scope.principal, id).await;
    found.map(|row| Some(N::from(row))).map_err(|e| e.extend())
}

/// All of the principal's rows of `E`, newest id last.
async fn all<E, N>(ctx: &Context<'_>, args: PageArgs) -> Result<PageConnection<N>>
where
    E: Owned,
    E::Model: FromRow + Send + Sync,
    N: From<E::Model> + async_graphql::OutputType + Node<Model = E::Model> + FieldReads,
{
    let scope = request_scope(ctx)?;
    let base = E::scoped(scope.principal);
    let count = Count::rows(ctx, &base);
    paginate(ctx, scope.reader, base, Sort::by_id(), &args, count)
        .await
        .map_err(|e| e.extend())
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The caller's account.
    async fn me(&self, ctx: &Context<'_>) -> Result<Account> {
        let scope = request_scope(ctx)?;
        let account = entity::account::Entity::find_by_id(scope.principal.account_id)
            .one(scope.db)
            .await
            .map_err(|e| AppError::from(e).extend())?
            .ok_or_else(|| {
                AppError::Unauthenticated("the account no longer exists".into()).extend()
            })?;
        Ok(Account(account))
    }

    /// The caller's API keys (revoked ones included), oldest first.
    async fn api_keys(&self, ctx: &Context<'_>) -> Result<Vec<ApiKey>> {
        let scope = request_scope(ctx)?;
        entity::api_key::Entity::scoped(scope.principal)
            .order_by_asc(entity::api_key::Column::Id)
            .all(scope.db)
            .await
            .map(|rows| rows.into_iter().map(ApiKey).collect())
            .map_err(|e| AppError::from(e).extend())
    }

    /// The caller's settings: the defaults a new session gets.
    async fn settings(&self, ctx: &Context<'_>) -> Result<Settings> {
        let scope = request_scope(ctx)?;
        crate::service::settings::of(scope.db, scope.principal)
            .await
            .map(Settings)
            .map_err(|e| e.extend())
    }
}

/// The queries of a labelled resource: one by id, and a page of all of them.
macro_rules! labelled_queries {
    ($query:ident, $one:ident, $all:ident, $entity:ident, $object:ident) => {
        #[derive(Default)]
        pub struct $query;

        #[Object]
        impl $query {
            async fn $one(&self, ctx: &Context<'_>, id: i32) -> Result<Option<$object>> {
                one::<$entity::Entity, _>(ctx, id).await
            }

            async fn $all(
                &self,
                ctx: &Context<'_>,
                first: Option<i32>,
                after: Option<String>,
                last: Option<i32>,
                before: Option<String>,
                offset: Option<i32>,
            ) -> Result<PageConnection<$object>> {
                let args = PageArgs {
                    first,
                    after,
                    last,
                    before,
                    offset,
                };
                all::<$entity::Entity, _>(ctx, args).await
            }
        }
    };
}

labelled_queries!(CharacterQuery, character, characters, character, Character);
labelled_queries!(
    UserProfileQuery,
    user_profile,
    user_profiles,
    user_profile,
    UserProfile
);
labelled_queries!(AiModelQuery, ai_model, ai_models, ai_model, AiModel);
labelled_queries!(
    SystemPromptQuery,
    system_prompt,
    system_prompts,
    system_prompt,
    SystemPrompt
);

#[derive(Default)]
pub struct ChatSessionQuery;

#[Object]
impl ChatSessionQuery {
    /// One session, by `id` or by `uuid` (exactly one of them).
    async fn chat_session(
        &self,
        ctx: &Context<'_>,
        id: Option<i32>,
        uuid: Option<Uuid>,
    ) -> Result<Option<ChatSession>> {
        let scope = request_scope(ctx)?;
        let row = scope
            .visible_session(id, uuid)
            .await
            .map_err(|e| e.extend())?;
        let mut session = ChatSession::from(row);
        ChatSession::prefetch(ctx, &mut [&mut session]).await?;
        Ok(Some(session))
    }

    #[allow(clippy::too_many_arguments)]
    async fn chat_sessions(
        &self,
        ctx: &Context<'_>,
        filter: Option<ChatSessionFilter>,
        order_by: Option<ChatSessionOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        offset: Option<i32>,
    ) -> Result<PageConnection<ChatSession>> {
        use chat_session::{Column, Entity};
        let scope = request_scope(ctx)?;
        let filter = filter.unwrap_or_default();
        let mut query = Entity::scoped(scope.principal);
        let unfiltered = filter == ChatSessionFilter::default();
        if let Some(id) = filter.character_id {
            query = query.filter(Column::CharacterId.eq(id));
        }
        if let Some(id) = filter.user_profile_id {
            query = query.filter(Column::UserProfileId.eq(id));
        }
        if let Some(id) = filter.ai_model_id {
            query = query.filter(Column::AiModelId.eq(id));
        }
        let order = order_by.unwrap_or_default();
        let sort = Sort::<Entity> {
            key: match order.field {
                ChatSessionField::Id => None,
                ChatSessionField::StartTime => Some((Column::StartTime, |m| m.start_time)),
                ChatSessionField::UpdatedAt => Some((Column::UpdatedAt, |m| m.updated_at)),
            },
            descending: order.direction == SortDirection::Desc,
        };
        let args = PageArgs {
            first,
            after,
            last,
            before,
            offset,
        };
        // Unfiltered, the list is all of the caller's live sessions, which the database tallies.
        let count = if unfiltered {
            Count::of(ctx, live_session_tally(scope.principal))
        } else {
            Count::rows(ctx, &query)
        };
        let mut page: PageConnection<ChatSession> =
            paginate(ctx, scope.reader, query, sort, &args, count)
                .await
                .map_err(|e| e.extend())?;
        let mut sessions: Vec<_> = page.edges.iter_mut().map(|edge| &mut edge.node).collect();
        ChatSession::prefetch(ctx, &mut sessions).await?;
        Ok(page)
    }
}

#[derive(Default)]
pub struct MessageQuery;

#[Object]
impl MessageQuery {
    async fn message(&self, ctx: &Context<'_>, id: i32) -> Result<Option<Message>> {
        one::<message::Entity, _>(ctx, id).await
    }

    /// The messages of one session (by id or uuid), oldest first; `last: n` gives the newest n.
    #[allow(clippy::too_many_arguments)]
    async fn messages(
        &self,
        ctx: &Context<'_>,
        chat_session_id: Option<i32>,
        chat_session_uuid: Option<Uuid>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        offset: Option<i32>,
    ) -> Result<PageConnection<Message>> {
        let scope = request_scope(ctx)?;
        let page = async {
            // The page names its session by the caller's visible sessions (a scalar subquery), so
            // a page of a visible session is one statement; only an empty page looks the session
            // up, to tell a session with nothing there from one the caller cannot see (404).
            let session =
                session_query(scope.principal, chat_session_id, chat_session_uuid, false)?
                    .select_only()
                    .column(chat_session::Column::Id)
                    .limit(1)
                    .into_query();
            let session = Expr::SubQuery(None, Box::new(session.into()));
            let query = message::Entity::scoped(scope.principal)
                .filter(Expr::col(message::Column::ChatSessionId).eq(session.clone()));
            let args = PageArgs {
                first,
                after,
                last,
                before,
                offset,
            };
            let count = Count::of(ctx, live_message_tally(scope.principal, session));
            let page = paginate(ctx, scope.reader, query, Sort::by_id(), &args, count).await?;
            if page.edges.is_empty() {
                scope
                    .visible_session(chat_session_id, chat_session_uuid)
                    .await?;
            }
            AppResult::Ok(page)
        };
        page.await.map_err(|e| e.extend())
    }

    /// Full-text search over message content, best match first: every word of `query` must occur
    /// (whole words, anywhere in the message). Within one session (by id or uuid) or, with
    /// neither, across all of the caller's sessions. Deleted messages and sessions never match.
    async fn search_messages(
        &self,
        ctx: &Context<'_>,
        query: String,
        chat_session_id: Option<i32>,
        chat_session_uuid: Option<Uuid>,
        #[graphql(default = 20)] limit: i32,
    ) -> Result<Vec<Message>> {
        let scope = request_scope(ctx)?;
        let found = async {
            let session = if chat_session_id.is_some() || chat_session_uuid.is_some() {
                Some(
                    scope
                        .visible_session(chat_session_id, chat_session_uuid)
                        .await?
                        .id,
                )
            } else {
                None
            };
            let limit = u64::try_from(limit).unwrap_or(0);
            search_messages(scope.db, scope.principal, session, &query, limit).await
        };
        found
            .await
            .map(|rows| rows.into_iter().map(Message).collect())
            .map_err(|e| e.extend())
    }
}
