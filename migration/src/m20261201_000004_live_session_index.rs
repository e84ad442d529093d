//! The live (not soft-deleted) chat sessions of an owner, in id order: a partial index that the
//! session lists walk and that their `totalCount` (surface A's `total_items`) counts without
//! reading the table (an index-only scan on PostgreSQL; a covering index on SQLite).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Partial indexes are spelled the same way on PostgreSQL and SQLite.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX IF NOT EXISTS idx_chat_session_live_owner_id_id \
                 ON chat_session (owner_id, id) WHERE deleted_at IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS idx_chat_session_live_owner_id_id")
            .await?;
        Ok(())
    }
}
