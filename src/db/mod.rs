//! Connecting to the database (SQLite by default, PostgreSQL by URL) and migrating it.

pub mod rows;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

use crate::metrics::Metrics;

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
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        // sqlx would log every statement at INFO.
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
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
