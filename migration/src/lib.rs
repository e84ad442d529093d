//! Parley's migrations. They run automatically at start-up (`parley::db::connect`) and are
//! idempotent: SeaORM records what has been applied, and each statement also says `IF NOT EXISTS`.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_tables;
mod m20261122_000002_message_search;
mod m20261122_000003_character_card;
mod m20261201_000004_live_session_index;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_tables::Migration),
            Box::new(m20261122_000002_message_search::Migration),
            Box::new(m20261122_000003_character_card::Migration),
            Box::new(m20261201_000004_live_session_index::Migration),
        ]
    }
}
