//! What subscriptions watch: messages added to sessions, and replies as they are generated.
//!
//! In-process a broadcast channel carries every event. On PostgreSQL, `messageAdded` also crosses
//! replicas: it is published with NOTIFY and every replica LISTENs and re-broadcasts it, so a
//! subscriber on one replica sees messages written through another. Reply tokens stay on the
//! replica that generates them (a `replyStream` subscriber must use the replica that was sent the
//! message, which it is when both go through one connection).

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};
use tokio::sync::broadcast;

const CHANNEL: &str = "parley_events";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    MessageAdded {
        owner_id: i32,
        session_id: i32,
        message_id: i32,
    },
    ReplyToken {
        owner_id: i32,
        session_id: i32,
        token: String,
    },
    ReplyDone {
        owner_id: i32,
        session_id: i32,
        message_id: i32,
    },
    ReplyFailed {
        owner_id: i32,
        session_id: i32,
        error: String,
    },
}

impl Event {
    /// Whose session the event is about.
    pub fn is_for(&self, owner: i32, session: i32) -> bool {
        let (o, s) = match self {
            Event::MessageAdded {
                owner_id,
                session_id,
                ..
            }
            | Event::ReplyToken {
                owner_id,
                session_id,
                ..
            }
            | Event::ReplyDone {
                owner_id,
                session_id,
                ..
            }
            | Event::ReplyFailed {
                owner_id,
                session_id,
                ..
            } => (*owner_id, *session_id),
        };
        o == owner && s == session
    }
}

#[derive(Clone)]
pub struct Events {
    sender: broadcast::Sender<Event>,
    db: DatabaseConnection,
}

impl Events {
    /// Starts the bus; on PostgreSQL also the LISTEN loop, which lives as long as the runtime.
    pub async fn start(db: DatabaseConnection, database_url: &str) -> Result<Self, sea_orm::DbErr> {
        let (sender, _) = broadcast::channel(1024);
        if db.get_database_backend() == DatabaseBackend::Postgres {
            let mut listener = sea_orm::sqlx::postgres::PgListener::connect(database_url)
                .await
                .map_err(|e| sea_orm::DbErr::Custom(format!("LISTEN connection: {e}")))?;
            listener
                .listen(CHANNEL)
                .await
                .map_err(|e| sea_orm::DbErr::Custom(format!("LISTEN: {e}")))?;
            let local = sender.clone();
            tokio::spawn(async move {
                // PgListener reconnects by itself after a lost connection.
                while let Ok(notification) = listener.recv().await {
                    if let Some(event) = parse(notification.payload()) {
                        let _ = local.send(event);
                    }
                }
            });
        }
        Ok(Events { sender, db })
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }

    /// Announces a committed message: on PostgreSQL to every replica (this one included, through
    /// its own LISTEN), elsewhere in-process.
    pub async fn message_added(&self, owner_id: i32, session_id: i32, message_id: i32) {
        if self.db.get_database_backend() == DatabaseBackend::Postgres {
            // Integers only: nothing to escape.
            let notify = format!("NOTIFY {CHANNEL}, '{owner_id}:{session_id}:{message_id}'");
            if let Err(e) = self.db.execute_unprepared(&notify).await {
                tracing::warn!(error = %e, "NOTIFY failed; subscribers on other replicas miss a message");
                let _ = self.sender.send(Event::MessageAdded {
                    owner_id,
                    session_id,
                    message_id,
                });
            }
        } else {
            let _ = self.sender.send(Event::MessageAdded {
                owner_id,
                session_id,
                message_id,
            });
        }
    }

    /// Reply progress, for this replica's subscribers.
    pub fn publish(&self, event: Event) {
        let _ = self.sender.send(event);
    }
}

fn parse(payload: &str) -> Option<Event> {
    let mut parts = payload.split(':').map(str::parse::<i32>);
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(Ok(owner_id)), Some(Ok(session_id)), Some(Ok(message_id)), None) => {
            Some(Event::MessageAdded {
                owner_id,
                session_id,
                message_id,
            })
        }
        _ => None,
    }
}
