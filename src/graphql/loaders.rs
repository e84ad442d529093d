//! Per-request DataLoaders. They are created for each request with its Principal, so every batch
//! is owner-scoped and no cache is shared between owners; a list of N sessions with all their
//! relations costs a constant number of statements.

use std::{
    collections::HashMap,
    hash::Hash,
    marker::PhantomData,
    sync::{Arc, OnceLock},
};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{ai_model, character, chat_session, message, system_prompt, user_profile};
use sea_orm::{
    ColumnTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    sea_query::{Alias, Asterisk, Expr, ExprTrait, Query},
};

use super::pagination::{PageArgs, Window};
use crate::{
    auth::{Owned, Principal, live_message_tallies},
    db::{
        Reader,
        rows::{FromRow, Projection, Row},
    },
    error::AppError,
};

/// Loader errors are shared between every key of a batch (hence `AppError: Clone`).
pub type LoadError = AppError;

/// Rows of one owned table by id, shared (`Arc`) by every field that asks for the same row.
pub struct ByIdLoader<E> {
    db: Reader,
    principal: Principal,
    entity: PhantomData<fn() -> E>,
}

impl<E> Loader<i32> for ByIdLoader<E>
where
    E: Owned,
    E::Model: FromRow + Send + Sync + 'static,
{
    type Value = Arc<E::Model>;
    type Error = LoadError;

    async fn load(&self, ids: &[i32]) -> Result<HashMap<i32, Arc<E::Model>>, LoadError> {
        load_by_id::<E>(&self.db, self.principal, ids, Projection::ALL).await
    }
}

/// The principal's rows of `E` with the given ids, with the columns of `projection`. A row of a
/// narrower projection answers the selection it was read for only ([`Projection`]), and goes
/// into no loader's cache.
pub async fn load_by_id<E>(
    db: &Reader,
    principal: Principal,
    ids: &[i32],
    projection: Projection,
) -> Result<HashMap<i32, Arc<E::Model>>, AppError>
where
    E: Owned,
    E::Model: FromRow,
{
    let query = E::scoped(principal).filter(E::id_column().is_in(ids.iter().copied()));
    let statement = projection
        .select(query)
        .build(db.connection().get_database_backend());
    let rows = db
        .rows(statement, |row| {
            E::Model::from_projected_row(row, projection)
        })
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (E::id_of(&row), Arc::new(row)))
        .collect())
}

/// Live (not deleted) messages per chat session, as the database tallies them (no counting).
pub struct MessageCountLoader {
    db: Reader,
    principal: Principal,
}

impl Loader<i32> for MessageCountLoader {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, session_ids: &[i32]) -> Result<HashMap<i32, u64>, LoadError> {
        let tallies = live_message_tallies(self.principal, session_ids.iter().copied());
        let statement = self.db.connection().get_database_backend().build(&tallies);
        let tallied = self
            .db
            .rows(statement, |row: &Row<'_>| {
                Ok((row.cell::<i32>(0)?, row.cell::<i64>(1)?))
            })
            .await?;
        let mut counts = HashMap::with_capacity(session_ids.len());
        for (session_id, live) in tallied {
            counts.insert(session_id, u64::try_from(live).unwrap_or(0));
        }
        // A session that never had a message has no tally row.
        for id in session_ids {
            counts.entry(*id).or_insert(0);
        }
        Ok(counts)
    }
}

/// One page of a session's messages, fetched with one extra row to tell whether there is more.
#[derive(Clone)]
pub struct MessagePage {
    pub rows: Vec<message::Model>,
    pub window: Window,
}

/// A session's page of messages as one field asks for it: the session, the page's arguments and
/// the columns its selection reads ([`Projection`], with the session's id always).
pub type MessagePageKey = (i32, PageArgs, Projection);

/// Pages of messages for many sessions at once: one windowed query (ROW_NUMBER per session) for
/// all the sessions that ask for the same page of the same columns.
pub struct MessagePageLoader {
    db: Reader,
    principal: Principal,
}

impl Loader<MessagePageKey> for MessagePageLoader {
    type Value = MessagePage;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[MessagePageKey],
    ) -> Result<HashMap<MessagePageKey, MessagePage>, LoadError> {
        let mut by_args: HashMap<(&PageArgs, Projection), Vec<i32>> = HashMap::new();
        for (session_id, args, projection) in keys {
            by_args
                .entry((args, *projection))
                .or_default()
                .push(*session_id);
        }
        let mut pages = HashMap::new();
        for ((args, projection), session_ids) in by_args {
            let window = args.window()?;
            let mut rows = self
                .load_window(&session_ids, &window, projection)
                .await
                .map_err(AppError::from)?;
            for session_id in session_ids {
                let (mine, rest): (Vec<_>, Vec<_>) = rows
                    .into_iter()
                    .partition(|row: &message::Model| row.chat_session_id == session_id);
                rows = rest;
                pages.insert(
                    (session_id, args.clone(), projection),
                    MessagePage {
                        rows: mine,
                        window: window.clone(),
                    },
                );
            }
        }
        Ok(pages)
    }
}

impl MessagePageLoader {
    /// Messages are in id (chronological) order; `last` ranks from the newest.
    async fn load_window(
        &self,
        session_ids: &[i32],
        window: &Window,
        projection: Projection,
    ) -> Result<Vec<message::Model>, sea_orm::DbErr> {
        let projection = projection.with_named::<message::Model>("chat_session_id");
        let decode = |row: &Row<'_>| message::Model::from_projected_row(row, projection);
        let (order, direction) = if window.from_end {
            (sea_orm::Order::Desc, "DESC")
        } else {
            (sea_orm::Order::Asc, "ASC")
        };
        let mut messages = message::Entity::scoped(self.principal)
            .filter(message::Column::ChatSessionId.is_in(session_ids.iter().copied()));
        if let Some(after) = &window.after {
            messages = messages.filter(message::Column::Id.gt(after.id));
        }
        if let Some(before) = &window.before {
            messages = messages.filter(message::Column::Id.lt(before.id));
        }
        let backend = self.db.connection().get_database_backend();
        if session_ids.len() == 1 {
            // One session (the single-session query): its page read straight off the
            // (chat_session_id, id) index. The window would number all of the session's
            // messages and sort them again; for the bench's one session with 50 messages
            // PostgreSQL answers the query's statements at 7,443 tps this way, 4,217 windowed
            // (pgbench, bench/RESULTS.md).
            let page = projection
                .select(messages)
                .order_by(message::Column::Id, order)
                .limit(window.limit + 1)
                .offset(window.offset)
                .build(backend);
            return self.db.rows(page, decode).await;
        }
        let ranked = projection
            .select(messages)
            .expr_as(
                Expr::cust(format!(
                    "ROW_NUMBER() OVER (PARTITION BY chat_session_id ORDER BY id {direction})"
                )),
                "row_rank",
            )
            .into_query();
        let first_rank = window.offset + 1;
        let last_rank = window.offset + window.limit + 1;
        let page = Query::select()
            .column(Asterisk)
            .from_subquery(ranked, Alias::new("ranked"))
            .and_where(Expr::col(Alias::new("row_rank")).between(first_rank, last_rank))
            .order_by(Alias::new("row_rank"), sea_orm::Order::Asc)
            .to_owned();
        self.db.rows(backend.build(&page), decode).await
    }
}

/// Every loader of one request, each made when a field first asks for it: most requests use one
/// or two of the seven, and making all of them (an allocation and a `Reader` clone each) was a
/// visible share of a small request's CPU (bench/RESULTS.md). The by-id and count loaders cache
/// for the request's lifetime, so a list can prefetch what its rows will ask for (see
/// `ChatSession::prefetch`).
pub struct Loaders {
    db: Reader,
    principal: Principal,
    /// Whether the loaders keep what they read (not on a socket: see [`Loaders::uncached`]).
    caching: bool,
    character: OnceLock<DataLoader<ByIdLoader<character::Entity>, HashMapCache>>,
    user_profile: OnceLock<DataLoader<ByIdLoader<user_profile::Entity>, HashMapCache>>,
    ai_model: OnceLock<DataLoader<ByIdLoader<ai_model::Entity>, HashMapCache>>,
    system_prompt: OnceLock<DataLoader<ByIdLoader<system_prompt::Entity>, HashMapCache>>,
    chat_session: OnceLock<DataLoader<ByIdLoader<chat_session::Entity>, HashMapCache>>,
    message_count: OnceLock<DataLoader<MessageCountLoader, HashMapCache>>,
    message_page: OnceLock<DataLoader<MessagePageLoader>>,
}

/// How long a loader waits for more keys before it fetches: not at all. Its fetch is a task of
/// its own, which runs once the request's task yields, so the keys that the fields resolving
/// together ask for in one pass are still one batch; and the lists prefetch their relations
/// with one `load_many` a loader (`ChatSession::prefetch`). async-graphql's default of 1 ms,
/// on Tokio's millisecond timer, held every request 1–2 ms per loader round: a fifth of the
/// single-session query's throughput at 16 connections (bench/RESULTS.md).
const BATCH_DELAY: std::time::Duration = std::time::Duration::ZERO;

impl Loaders {
    pub fn new(db: &Reader, principal: Principal) -> Self {
        Loaders {
            db: db.clone(),
            principal,
            caching: true,
            character: OnceLock::new(),
            user_profile: OnceLock::new(),
            ai_model: OnceLock::new(),
            system_prompt: OnceLock::new(),
            chat_session: OnceLock::new(),
            message_count: OnceLock::new(),
            message_page: OnceLock::new(),
        }
    }

    /// The loaders of a socket: its subscriptions last for hours, so each event reads the rows as
    /// they are then (and the socket holds no cache that grows with every row it ever showed).
    pub fn uncached(self) -> Self {
        Loaders {
            caching: false,
            ..self
        }
    }

    /// A loader with a cache, made now.
    fn cached<L: Loader<K>, K: Send + Sync + Hash + Eq + Clone + 'static>(
        &self,
        loader: L,
    ) -> DataLoader<L, HashMapCache> {
        let loader = DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default())
            .delay(BATCH_DELAY);
        loader.enable_all_cache(self.caching);
        loader
    }

    fn by_id<E>(&self) -> DataLoader<ByIdLoader<E>, HashMapCache>
    where
        E: Owned,
        E::Model: FromRow + Send + Sync + 'static,
    {
        self.cached(ByIdLoader {
            db: self.db.clone(),
            principal: self.principal,
            entity: PhantomData,
        })
    }

    pub fn character(&self) -> &DataLoader<ByIdLoader<character::Entity>, HashMapCache> {
        self.character.get_or_init(|| self.by_id())
    }

    pub fn user_profile(&self) -> &DataLoader<ByIdLoader<user_profile::Entity>, HashMapCache> {
        self.user_profile.get_or_init(|| self.by_id())
    }

    pub fn ai_model(&self) -> &DataLoader<ByIdLoader<ai_model::Entity>, HashMapCache> {
        self.ai_model.get_or_init(|| self.by_id())
    }

    pub fn system_prompt(&self) -> &DataLoader<ByIdLoader<system_prompt::Entity>, HashMapCache> {
        self.system_prompt.get_or_init(|| self.by_id())
    }

    pub fn chat_session(&self) -> &DataLoader<ByIdLoader<chat_session::Entity>, HashMapCache> {
        self.chat_session.get_or_init(|| self.by_id())
    }

    pub fn message_count(&self) -> &DataLoader<MessageCountLoader, HashMapCache> {
        self.message_count.get_or_init(|| {
            self.cached(MessageCountLoader {
                db: self.db.clone(),
                principal: self.principal,
            })
        })
    }

    /// Pages are never cached: a page's key names its window, which no other field repeats.
    pub fn message_page(&self) -> &DataLoader<MessagePageLoader> {
        self.message_page.get_or_init(|| {
            DataLoader::new(
                MessagePageLoader {
                    db: self.db.clone(),
                    principal: self.principal,
                },
                tokio::spawn,
            )
            .delay(BATCH_DELAY)
        })
    }
}
