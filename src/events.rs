//! What subscriptions watch: messages added to sessions, and replies as they are generated.
//!
//! Each session with subscribers has its own broadcast channel (a topic), so an event wakes only
//! the subscribers of its session, and a topic goes away with its last subscriber. A message
//! travels as the saved row, read once per replica however many watch it.
//!
//! On PostgreSQL, `messageAdded` also crosses replicas: it is published with NOTIFY and every
//! replica LISTENs, reads the row once when one of its sessions is watched, and re-broadcasts it,
//! so a subscriber on one replica sees messages written through another. Reply tokens stay on the
//! replica that generates them (a `replyStream` subscriber must use the replica that was sent the
//! message, which it is when both go through one connection).

use std::{
    collections::HashMap,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
};

use entity::message;
use futures::Stream;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;

use crate::auth::{Owned, Principal};

const CHANNEL: &str = "parley_events";

/// Events a topic holds for a subscriber that has not read them yet; one further behind (a
/// stalled socket during a reply) misses the oldest. The buffer is allocated with the topic, one
/// per watched session: 64 slots are about 3.5 KiB, 256 were 14 (bench/RESULTS.md).
const TOPIC_CAPACITY: usize = 64;

/// Something that happened in one session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A message was saved to the session: the row as saved.
    MessageAdded(Arc<message::Model>),
    ReplyToken(String),
    ReplyDone {
        message_id: i32,
    },
    ReplyFailed {
        error: String,
    },
}

type Topics = Arc<Mutex<HashMap<i32, broadcast::Sender<Event>>>>;

#[derive(Clone)]
pub struct Events {
    topics: Topics,
    db: DatabaseConnection,
}

impl Events {
    /// Starts the bus; on PostgreSQL also the LISTEN loop, which lives as long as the runtime.
    pub async fn start(db: DatabaseConnection, database_url: &str) -> Result<Self, sea_orm::DbErr> {
        let events = Events {
            topics: Topics::default(),
            db,
        };
        if events.db.get_database_backend() == DatabaseBackend::Postgres {
            let mut listener = sea_orm::sqlx::postgres::PgListener::connect(database_url)
                .await
                .map_err(|e| sea_orm::DbErr::Custom(format!("LISTEN connection: {e}")))?;
            listener
                .listen(CHANNEL)
                .await
                .map_err(|e| sea_orm::DbErr::Custom(format!("LISTEN: {e}")))?;
            let local = events.clone();
            tokio::spawn(async move {
                // PgListener reconnects by itself after a lost connection.
                while let Ok(notification) = listener.recv().await {
                    if let Some((owner, session, message)) = parse(notification.payload()) {
                        local.announce(owner, session, message).await;
                    }
                }
            });
        }
        Ok(events)
    }

    /// The events of `session` from now on, until the stream is dropped.
    pub fn subscribe(&self, session: i32) -> SessionEvents {
        let mut topics = self.topics.lock().expect("topics");
        let receiver = topics
            .entry(session)
            .or_insert_with(|| broadcast::channel(TOPIC_CAPACITY).0)
            .subscribe();
        SessionEvents {
            receiver: BroadcastStream::new(receiver),
            _lease: Lease {
                topics: self.topics.clone(),
                session,
            },
        }
    }

    /// Sends `event` to the session's subscribers on this replica, if it has any.
    pub fn publish(&self, session: i32, event: Event) {
        if let Some(topic) = self.topics.lock().expect("topics").get(&session) {
            let _ = topic.send(event);
        }
    }

    fn is_watched(&self, session: i32) -> bool {
        self.topics.lock().expect("topics").contains_key(&session)
    }

    /// Announces a committed message: on PostgreSQL to every replica (this one included, through
    /// its own LISTEN), elsewhere in-process.
    pub async fn message_added(&self, message: &message::Model) {
        if self.db.get_database_backend() == DatabaseBackend::Postgres {
            // Integers only: nothing to escape.
            let notify = format!(
                "NOTIFY {CHANNEL}, '{}:{}:{}'",
                message.owner_id, message.chat_session_id, message.id
            );
            let Err(e) = self.db.execute_unprepared(&notify).await else {
                return;
            };
            tracing::warn!(error = %e, "NOTIFY failed; subscribers on other replicas miss a message");
        }
        let event = Event::MessageAdded(Arc::new(message.clone()));
        self.publish(message.chat_session_id, event);
    }

    /// A message another replica (or this one) saved, read once for this replica's subscribers.
    async fn announce(&self, owner: i32, session: i32, message: i32) {
        if !self.is_watched(session) {
            return;
        }
        let principal = Principal { account_id: owner };
        match message::Entity::find_owned(&self.db, principal, message).await {
            Ok(row) if row.chat_session_id == session => {
                self.publish(session, Event::MessageAdded(Arc::new(row)))
            }
            Ok(_) => {}
            // Deleted since (NOT_FOUND), or unreadable now: nothing to show.
            Err(e) => tracing::debug!(error = %e, message, "an announced message is gone"),
        }
    }
}

/// One subscriber's events of one session. Events it fell too far behind to receive are skipped.
pub struct SessionEvents {
    receiver: BroadcastStream<Event>,
    _lease: Lease,
}

impl Stream for SessionEvents {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        loop {
            match Pin::new(&mut self.receiver).poll_next(cx) {
                Poll::Ready(Some(Err(_lagged))) => continue,
                Poll::Ready(Some(Ok(event))) => return Poll::Ready(Some(event)),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// Removes a session's topic when its last subscriber goes (dropped after the receiver).
struct Lease {
    topics: Topics,
    session: i32,
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut topics = self.topics.lock().expect("topics");
        if topics
            .get(&self.session)
            .is_some_and(|topic| topic.receiver_count() == 0)
        {
            topics.remove(&self.session);
        }
    }
}

fn parse(payload: &str) -> Option<(i32, i32, i32)> {
    let mut parts = payload.split(':').map(str::parse::<i32>);
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(Ok(owner)), Some(Ok(session)), Some(Ok(message)), None) => {
            Some((owner, session, message))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use futures::{FutureExt, StreamExt};

    use super::*;

    async fn bus() -> Events {
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        Events::start(db, "sqlite::memory:").await.unwrap()
    }

    #[tokio::test]
    async fn an_event_wakes_only_its_sessions_subscribers() {
        let events = bus().await;
        let (mut watching, mut elsewhere) = (events.subscribe(1), events.subscribe(2));
        events.publish(1, Event::ReplyToken("a".into()));
        events.publish(3, Event::ReplyToken("nobody".into()));
        assert_eq!(watching.next().await, Some(Event::ReplyToken("a".into())));
        assert_eq!(elsewhere.next().now_or_never(), None);
    }

    #[tokio::test]
    async fn a_topic_lasts_as_long_as_its_subscribers() {
        let events = bus().await;
        let first = events.subscribe(1);
        drop(events.subscribe(1));
        assert!(events.is_watched(1), "one subscriber is left");
        drop(first);
        assert!(!events.is_watched(1), "the last one took the topic with it");
        events.publish(1, Event::ReplyToken("unheard".into()));
        assert!(events.topics.lock().unwrap().is_empty());
    }
}
