//! Connecting to the database (SQLite by default, PostgreSQL by URL) and migrating it.

mod reader;
pub mod rows;
mod sqlite;

pub use reader::{POSTGRES_READS_NAME, Reader};

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

use crate::{
    error::{AppError, AppResult},
    metrics::Metrics,
};

/// Opens the pool, counts every statement into `metrics`, and applies pending migrations.
///
/// SQLite runs in WAL mode with foreign keys on and a busy timeout, so concurrent writers wait
/// for each other instead of failing with "database is locked".
pub async fn connect(
    url: &str,
    max_connections: u32,
    metrics: &Metrics,
) -> Result<DatabaseConnection, DbErr> {
    let db = open(url, max_connections, metrics).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// [`connect`] without migrating (for `parley migrate`).
pub async fn open(
    url: &str,
    max_connections: u32,
    metrics: &Metrics,
) -> Result<DatabaseConnection, DbErr> {
    if url.starts_with("sqlite:") {
        sqlite::configure();
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        // A ping on every checkout doubled each statement's round trips (on SQLite, a trip
        // through the connection's worker thread); a connection idle this long is still pinged.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        // sqlx would log every statement at INFO.
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        })
        .map_sqlx_sqlite_pool_opts(|opts| {
            opts.after_connect(|connection, _| {
                Box::pin(async move {
                    let mut handle = connection.lock_handle().await?;
                    // SAFETY: the lock keeps the connection's worker thread off it meanwhile.
                    unsafe { sqlite::plan_once(handle.as_raw_handle().as_ptr()) }.map_err(
                        |status| {
                            sea_orm::sqlx::Error::Protocol(format!(
                                "SQLite refused its query planner setting ({status})"
                            ))
                        },
                    )
                })
            })
        });
    let mut db = Database::connect(options).await?;
    let metrics = metrics.clone();
    db.set_metric_callback(move |info| metrics.observe_statement(info));
    Ok(db)
}

/// Starts a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken
/// up front, waiting out the busy timeout, instead of failing with SQLITE_BUSY when a transaction
/// that began by reading tries to upgrade after another writer committed. Elsewhere a plain BEGIN.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// How many times a write transaction is tried before its failure is answered.
const WRITE_ATTEMPTS: u32 = 3;

/// Runs `write` (one transaction, from [`begin_write`] to its commit) and, when PostgreSQL aborted
/// it as a deadlock victim (40P01) or a serialization failure (40001), runs it again, up to
/// [`WRITE_ATTEMPTS`] in all: the aborted transaction left nothing behind, and trying again is
/// what PostgreSQL's documentation prescribes. Every other outcome is returned as it is.
pub async fn retry_aborted<T, F, Fut>(mut write: F) -> AppResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = AppResult<T>>,
{
    let mut attempt = 1;
    loop {
        match write().await {
            Err(error) if attempt < WRITE_ATTEMPTS && is_aborted_transaction(&error) => {
                tracing::debug!(
                    attempt,
                    "write transaction aborted by the database; retrying"
                );
                // The other transaction of a deadlock is still committing: let it.
                tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt))).await;
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

/// The database aborted the transaction so that another could go on (PostgreSQL's 40P01 and
/// 40001); the same transaction run again can succeed.
pub fn is_aborted_transaction(error: &AppError) -> bool {
    let AppError::Internal(cause) = error else {
        return false;
    };
    let Some(sea_orm::sqlx::Error::Database(database)) =
        cause.downcast_ref::<DbErr>().and_then(sqlx_error)
    else {
        return false;
    };
    matches!(database.code().as_deref(), Some("40P01" | "40001"))
}

/// The driver's error underneath a SeaORM error, when a statement or connection failed in sqlx.
pub fn sqlx_error(err: &DbErr) -> Option<&sea_orm::sqlx::Error> {
    use sea_orm::RuntimeErr;
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => Some(e),
        _ => None,
    }
}
