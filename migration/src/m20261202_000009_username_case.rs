//! Usernames are stored in one form (NFKC, lower case: `parley::auth::Username`), so `Ada` and
//! `ada` are one account. Accounts registered before keep working: their names are lower-cased
//! here where that collides with no other account (and a login that finds no account under the
//! normalised name tries the name as typed). Accounts made by an identity provider are left
//! alone: their names are the provider's subjects, which are case-sensitive.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The same statement on both backends; SQLite's lower() folds ASCII only, the common case.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE account SET username = lower(username) \
                 WHERE password_hash IS NOT NULL AND username <> lower(username) \
                 AND NOT EXISTS (SELECT 1 FROM account AS other \
                                 WHERE other.id <> account.id \
                                 AND lower(other.username) = lower(account.username))",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // The names as typed are gone; lower-case names work either way.
        Ok(())
    }
}
