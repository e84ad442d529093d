//! Each account's settings (surface A's `/api/v1/settings`, GraphQL's `settings`): the AI model,
//! system prompt and user profile a new session gets when it is created without them, and a
//! default avatar image. One row per account, made on the first update; deleting a referenced
//! model, prompt or profile clears the reference, as it does on sessions.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let clears = |column: AccountSettings, table: Referenced| {
            ForeignKey::create()
                .from(AccountSettings::Table, column)
                .to(table, Referenced::Id)
                .on_delete(ForeignKeyAction::SetNull)
                .to_owned()
        };
        manager
            .create_table(
                Table::create()
                    .table(AccountSettings::Table)
                    .if_not_exists()
                    .col(integer(AccountSettings::OwnerId).primary_key())
                    .col(integer_null(AccountSettings::DefaultAiModelId))
                    .col(integer_null(AccountSettings::DefaultSystemPromptId))
                    .col(integer_null(AccountSettings::DefaultUserProfileId))
                    .col(text_null(AccountSettings::DefaultAvatarImage))
                    .col(timestamp_with_time_zone(AccountSettings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AccountSettings::Table, AccountSettings::OwnerId)
                            .to(Referenced::Account, Referenced::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut clears(
                        AccountSettings::DefaultAiModelId,
                        Referenced::AiModel,
                    ))
                    .foreign_key(&mut clears(
                        AccountSettings::DefaultSystemPromptId,
                        Referenced::SystemPrompt,
                    ))
                    .foreign_key(&mut clears(
                        AccountSettings::DefaultUserProfileId,
                        Referenced::UserProfile,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(AccountSettings::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum AccountSettings {
    Table,
    OwnerId,
    DefaultAiModelId,
    DefaultSystemPromptId,
    DefaultUserProfileId,
    DefaultAvatarImage,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Referenced {
    Account,
    AiModel,
    SystemPrompt,
    UserProfile,
    Id,
}
