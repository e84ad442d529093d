//! Parley's migrations. They run automatically at start-up (`parley::db::connect`) and are
//! idempotent: SeaORM records what has been applied, and each statement also says `IF NOT EXISTS`.

pub use sea_orm_migration::prelude::*;

/// `MigrationTrait` for the module's `Migration`, from the SQL it writes per backend: its consts
/// `SQLITE_UP`, `SQLITE_DOWN`, `POSTGRES_UP` and `POSTGRES_DOWN` (see [`run_for_backend`]).
macro_rules! sql_per_backend {
    () => {
        #[async_trait::async_trait]
        impl MigrationTrait for Migration {
            async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                crate::run_for_backend(manager, SQLITE_UP, POSTGRES_UP).await
            }

            async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                crate::run_for_backend(manager, SQLITE_DOWN, POSTGRES_DOWN).await
            }
        }
    };
}

mod m20261122_000001_create_tables;
mod m20261122_000002_message_search;
mod m20261122_000003_character_card;
mod m20261201_000004_live_session_index;
mod m20261201_000005_session_tally;
mod m20261201_000006_message_tally;
mod m20261201_000007_search_prefix;
mod m20261202_000008_account_settings;
mod m20261202_000009_username_case;

pub struct Migrator;

/// Runs the statements written for the connection's backend (for the migrations whose SQL
/// differs: triggers, full-text search).
pub(crate) async fn run_for_backend(
    manager: &SchemaManager<'_>,
    sqlite: &[&str],
    postgres: &[&str],
) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::DatabaseBackend;
    let statements = match manager.get_database_backend() {
        DatabaseBackend::Sqlite => sqlite,
        DatabaseBackend::Postgres => postgres,
        other => return Err(DbErr::Migration(format!("unsupported backend {other:?}"))),
    };
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_tables::Migration),
            Box::new(m20261122_000002_message_search::Migration),
            Box::new(m20261122_000003_character_card::Migration),
            Box::new(m20261201_000004_live_session_index::Migration),
            Box::new(m20261201_000005_session_tally::Migration),
            Box::new(m20261201_000006_message_tally::Migration),
            Box::new(m20261201_000007_search_prefix::Migration),
            Box::new(m20261202_000008_account_settings::Migration),
            Box::new(m20261202_000009_username_case::Migration),
        ]
    }
}
