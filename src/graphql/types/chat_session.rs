use std::{collections::HashMap, sync::Arc};

use super::DateTime;
use async_graphql::{
    Context, Enum, ErrorExtensions, InputObject, Object, Result, SelectionField, SimpleObject,
    dataloader::{DataLoader, HashMapCache, Loader},
};
use entity::{ai_model, character, chat_session, system_prompt, user_profile};
use futures::FutureExt;
use uuid::Uuid;

use super::{AiModel, Character, Message, SystemPrompt, UserProfile};
use crate::{
    auth::Owned,
    db::rows::FromRow,
    domain::export::ExportOptions,
    error::AppError,
    graphql::{
        RequestScope,
        loaders::{ByIdLoader, Loaders, load_by_id},
        pagination::{Cursor, PageArgs, PageConnection, TotalCount, assemble},
        projection::{FieldReads, Node, of_nodes, projection},
        request_scope,
    },
    service::{context::prompt_context, export::transcript},
};

/// A conversation between one of the user's profiles and a character: the row, and the relations
/// fetched for it in advance ([`ChatSession::prefetch`]).
pub struct ChatSession(pub Arc<chat_session::Model>, pub Related);

/// A session's relations as a list (or the single-session query) prefetched them. A field that
/// finds its relation here answers without a DataLoader call: the profile of the 100-session
/// query spent a tenth of its time in those 400 cache hits (their locks, maps and hashes).
#[derive(Default)]
pub struct Related {
    /// The only session the list (or the query) holds: its message page has no other session's
    /// to share a statement with, so it is fetched at once rather than through the loader's
    /// batch (see [`ChatSession::prefetch`]).
    alone: bool,
    character: Option<Arc<character::Model>>,
    user_profile: Option<Arc<user_profile::Model>>,
    ai_model: Option<Arc<ai_model::Model>>,
    system_prompt: Option<Arc<system_prompt::Model>>,
}

impl crate::graphql::projection::Node for ChatSession {
    type Model = chat_session::Model;
}

impl From<chat_session::Model> for ChatSession {
    fn from(model: chat_session::Model) -> Self {
        ChatSession(Arc::new(model), Related::default())
    }
}

impl From<Arc<chat_session::Model>> for ChatSession {
    fn from(model: Arc<chat_session::Model>) -> Self {
        ChatSession(model, Related::default())
    }
}

/// What a model is sent for this session (see `ChatSession.context`).
#[derive(SimpleObject)]
pub struct PromptContext {
    pub character_name: String,
    pub messages: Vec<ContextMessage>,
}

/// One message of a prompt context.
#[derive(SimpleObject)]
pub struct ContextMessage {
    /// `system`, `user` or `assistant`, as model APIs name roles.
    pub role: String,
    pub content: String,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Json,
    Markdown,
    Text,
}

/// A chat export. For `JSON`, `content` is the JSON document as text.
#[derive(SimpleObject)]
pub struct ChatExport {
    pub format: ExportFormat,
    pub content: String,
}

/// Narrows `chatSessions` to the sessions that use all of the given ids.
#[derive(InputObject, Default, PartialEq, Eq)]
pub struct ChatSessionFilter {
    pub character_id: Option<i32>,
    pub user_profile_id: Option<i32>,
    pub ai_model_id: Option<i32>,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum ChatSessionField {
    #[default]
    Id,
    StartTime,
    UpdatedAt,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum SortDirection {
    #[default]
    Asc,
    Desc,
}

/// The order of `chatSessions`; ties are broken by id in the same direction.
#[derive(InputObject, Default)]
pub struct ChatSessionOrder {
    #[graphql(default)]
    pub field: ChatSessionField,
    #[graphql(default)]
    pub direction: SortDirection,
}

impl ChatSession {
    /// Loads, in one batch each, the relations that the rows of a session list (or one session)
    /// will ask for.
    ///
    /// The DataLoaders would batch them anyway, but only the keys that arrive within one batch
    /// window: a long list resolves its rows in several polls (futures yield every 32), so on a
    /// busy machine a late row could start a second batch. Asking up front, from the look-ahead
    /// of the selection, makes the statement count independent of timing and of the list length.
    /// Each session is handed its relations ([`Related`]), so its fields answer without asking the
    /// loaders again. Whole rows go into the loaders' caches too, for whatever else the request
    /// resolves; rows read for fewer columns ([`Projection`](crate::db::rows::Projection)) do not.
    pub async fn prefetch(ctx: &Context<'_>, sessions: &mut [&mut ChatSession]) -> Result<()> {
        let look = ctx.look_ahead();
        // The selection of a session: the field itself (`chatSession`) or a connection's nodes.
        let node_selections = [
            ctx.look_ahead(),
            look.field("nodes"),
            look.field("edges").field("node"),
        ];
        let wants = |field: &str| {
            node_selections
                .iter()
                .any(|node| node.field(field).exists())
        };
        let wants_count = wants("messageCount")
            || node_selections
                .iter()
                .any(|node| node.field("messages").field("totalCount").exists());
        // Each relation's ids once, in order.
        let ids = |id_of: fn(&chat_session::Model) -> Option<i32>| -> Vec<i32> {
            let mut ids: Vec<i32> = sessions.iter().filter_map(|s| id_of(&s.0)).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let scope = request_scope(ctx)?;
        let loaders = scope.loaders;
        /// The rows of `loader` for `ids`, when the selection asks for them (`wanted`), fetched
        /// at once and fed to the loader's cache. `load_many` would fetch them in a task of its
        /// own after the loader's batch delay, which even at zero is a turn of Tokio's timer: a
        /// millisecond or more of every request's latency (bench/RESULTS.md).
        async fn fetch<L>(
            wanted: bool,
            loaders: &Loaders,
            loader: fn(&Loaders) -> &DataLoader<L, HashMapCache>,
            ids: Vec<i32>,
        ) -> Result<HashMap<i32, L::Value>, AppError>
        where
            L: Loader<i32, Error = AppError>,
        {
            if !wanted || ids.is_empty() {
                return Ok(HashMap::new());
            }
            let loader = loader(loaders);
            let found = loader.loader().load(&ids).await?;
            loader
                .feed_many(found.iter().map(|(id, row)| (*id, row.clone())))
                .await;
            Ok(found)
        }
        /// The rows of the relation `field` for `ids`, with the columns its selection reads
        /// (under every node selection, through fragments and aliases): the whole rows through
        /// the loader, or fewer columns past its cache ([`Projection`]).
        async fn related<'a, N, E>(
            scope: &RequestScope<'_>,
            selections: Vec<SelectionField<'a>>,
            loader: fn(&Loaders) -> &DataLoader<ByIdLoader<E>, HashMapCache>,
            ids: Vec<i32>,
        ) -> Result<HashMap<i32, Arc<E::Model>>, AppError>
        where
            N: Node<Model = E::Model> + FieldReads,
            E: Owned,
            E::Model: FromRow + Send + Sync + 'static,
        {
            if selections.is_empty() || ids.is_empty() {
                return Ok(HashMap::new());
            }
            let projection = projection::<N>(selections);
            if projection.is_all::<E::Model>() {
                return fetch(true, scope.loaders, loader, ids).await;
            }
            load_by_id::<E>(scope.reader, scope.principal, &ids, projection).await
        }
        let selections = |field: &str| -> Vec<SelectionField<'_>> {
            node_selections
                .iter()
                .flat_map(|node| node.field(field).selection_fields())
                .collect()
        };
        let prefetched = futures::try_join!(
            related::<Character, _>(
                &scope,
                selections("character"),
                Loaders::character,
                ids(|s| Some(s.character_id))
            ),
            related::<UserProfile, _>(
                &scope,
                selections("userProfile"),
                Loaders::user_profile,
                ids(|s| s.user_profile_id)
            ),
            related::<AiModel, _>(
                &scope,
                selections("aiModel"),
                Loaders::ai_model,
                ids(|s| s.ai_model_id)
            ),
            related::<SystemPrompt, _>(
                &scope,
                selections("systemPrompt"),
                Loaders::system_prompt,
                ids(|s| s.system_prompt_id)
            ),
            fetch(
                wants_count,
                loaders,
                Loaders::message_count,
                ids(|s| Some(s.id))
            ),
        );
        let (characters, profiles, models, prompts, _counts) =
            prefetched.map_err(|e| e.extend())?;
        let alone = sessions.len() == 1;
        for session in sessions.iter_mut() {
            let row = &session.0;
            session.1 = Related {
                alone,
                character: characters.get(&row.character_id).cloned(),
                user_profile: row
                    .user_profile_id
                    .and_then(|id| profiles.get(&id).cloned()),
                ai_model: row.ai_model_id.and_then(|id| models.get(&id).cloned()),
                system_prompt: row
                    .system_prompt_id
                    .and_then(|id| prompts.get(&id).cloned()),
            };
        }
        Ok(())
    }
}

// Serial: a session's fields resolve one after another, which spares async-graphql's per-field
// task set. Their relations do not wait for each other: the list and the single-session query
// prefetch them (see `ChatSession::prefetch`), and across the rows of a list the loaders batch
// as before (the rows still resolve concurrently).
super::object_fields! {
    #[Object(serial)]
    impl ChatSession {
        /// The integer id (surface A's `chat_session_id`).
        id: i32,
        /// The stable public id (surface B's `chat_id`).
        uuid: Uuid,
        title: Option<&str>,
        character_id: i32,
        user_profile_id: Option<i32>,
        ai_model_id: Option<i32>,
        system_prompt_id: Option<i32>,
        pre_prompt: Option<&str>,
        pre_prompt_enabled: bool,
        post_prompt: Option<&str>,
        post_prompt_enabled: bool,
        /// 1 to 5 stars.
        rating: Option<i32>,
        start_time: DateTime,
        updated_at: DateTime,
        /// Adds one on every update (optimistic locking).
        version: i32,

        // The fields below that wait for something await a boxed future: async-graphql boxes every
        // field's resolution with room for the largest field of the type, so one large inline
        // future (a loader call, the context assembly) would make every `id` of a list as large,
        // in memory and in the copies of it (bench/RESULTS.md).

        #[reads(character_id)]
        async fn character(&self, ctx: &Context<'_>) -> Result<Character> {
            if let Some(found) = &self.1.character {
                return Ok(Character(found.clone()));
            }
            let id = self.0.character_id;
            let found = request_scope(ctx)?.loaders.character().load_one(id).boxed();
            found
                .await
                .map_err(|e| e.extend())?
                .map(Character)
                .ok_or_else(|| AppError::not_found("Character", id).extend())
        }

        #[reads(user_profile_id)]
        async fn user_profile(&self, ctx: &Context<'_>) -> Result<Option<UserProfile>> {
            let Some(id) = self.0.user_profile_id else {
                return Ok(None);
            };
            if let Some(found) = &self.1.user_profile {
                return Ok(Some(UserProfile(found.clone())));
            }
            let loaders = &request_scope(ctx)?.loaders;
            let found = loaders.user_profile().load_one(id).boxed().await;
            Ok(found.map_err(|e| e.extend())?.map(UserProfile))
        }

        #[reads(ai_model_id)]
        async fn ai_model(&self, ctx: &Context<'_>) -> Result<Option<AiModel>> {
            let Some(id) = self.0.ai_model_id else {
                return Ok(None);
            };
            if let Some(found) = &self.1.ai_model {
                return Ok(Some(AiModel(found.clone())));
            }
            let loaders = &request_scope(ctx)?.loaders;
            let found = loaders.ai_model().load_one(id).boxed().await;
            Ok(found.map_err(|e| e.extend())?.map(AiModel))
        }

        #[reads(system_prompt_id)]
        async fn system_prompt(&self, ctx: &Context<'_>) -> Result<Option<SystemPrompt>> {
            let Some(id) = self.0.system_prompt_id else {
                return Ok(None);
            };
            if let Some(found) = &self.1.system_prompt {
                return Ok(Some(SystemPrompt(found.clone())));
            }
            let loaders = &request_scope(ctx)?.loaders;
            let found = loaders.system_prompt().load_one(id).boxed().await;
            Ok(found.map_err(|e| e.extend())?.map(SystemPrompt))
        }

        /// The number of messages in the session.
        #[reads(id)]
        async fn message_count(&self, ctx: &Context<'_>) -> Result<u64> {
            let loaders = &request_scope(ctx)?.loaders;
            message_count(loaders, self.0.id)
                .boxed()
                .await
                .map_err(|e| e.extend())
        }

        /// The prompt context a model gets for this session, in order: system prompt, character card,
        /// pre-prompt (if enabled), history (or the character's first message), post-prompt (if
        /// enabled), with `{{char}}` and `{{user}}` filled in.
        async fn context(&self, ctx: &Context<'_>) -> Result<PromptContext> {
            let scope = request_scope(ctx)?;
            let context = prompt_context(scope.db, scope.principal, &self.0)
                .boxed()
                .await
                .map_err(|e| e.extend())?;
            Ok(PromptContext {
                character_name: context.character_name,
                messages: context
                    .messages
                    .into_iter()
                    .map(|m| ContextMessage {
                        role: m.role.to_owned(),
                        content: m.content,
                    })
                    .collect(),
            })
        }

        /// The session as a document: JSON, Markdown or plain text.
        async fn export(
            &self,
            ctx: &Context<'_>,
            format: ExportFormat,
            #[graphql(default = true)] include_metadata: bool,
            #[graphql(default = true)] include_character: bool,
        ) -> Result<ChatExport> {
            let scope = request_scope(ctx)?;
            let transcript = transcript(scope.db, scope.principal, &self.0)
                .boxed()
                .await
                .map_err(|e| e.extend())?;
            let options = ExportOptions {
                include_metadata,
                include_character,
            };
            let content = match format {
                ExportFormat::Json => transcript.json(options).to_string(),
                ExportFormat::Markdown => transcript.markdown(options),
                ExportFormat::Text => transcript.text(options),
            };
            Ok(ChatExport { format, content })
        }

        /// The session's messages, oldest first; `last: n` gives the newest n.
        #[reads(id)]
        async fn messages(
            &self,
            ctx: &Context<'_>,
            first: Option<i32>,
            after: Option<String>,
            last: Option<i32>,
            before: Option<String>,
            offset: Option<i32>,
        ) -> Result<PageConnection<Message>> {
            let args = PageArgs {
                first,
                after,
                last,
                before,
                offset,
            };
            let loaders = request_scope(ctx)?.loaders.clone();
            let session_id = self.0.id;
            let key = (session_id, args, of_nodes::<Message>(ctx));
            let page = if self.1.alone {
                let mut pages = loaders
                    .message_page()
                    .loader()
                    .load(std::slice::from_ref(&key))
                    .boxed()
                    .await
                    .map_err(|e| e.extend())?;
                pages.remove(&key)
            } else {
                loaders
                    .message_page()
                    .load_one(key)
                    .boxed()
                    .await
                    .map_err(|e| e.extend())?
            };
            let page =
                page.ok_or_else(|| AppError::not_found("ChatSession", session_id).extend())?;
            let total = match page.window.total_from_page(page.rows.len()) {
                Some(total) => TotalCount::Known(total),
                None => TotalCount::deferred(move || {
                    let loaders = loaders.clone();
                    Box::pin(async move { message_count(&loaders, session_id).await })
                }),
            };
            Ok(assemble(
                page.rows,
                &page.window,
                |row| Cursor {
                    key: None,
                    id: row.id,
                },
                total,
            ))
        }
    }
}

async fn message_count(loaders: &Arc<Loaders>, session_id: i32) -> Result<u64, AppError> {
    Ok(loaders
        .message_count()
        .load_one(session_id)
        .await?
        .unwrap_or(0))
}
