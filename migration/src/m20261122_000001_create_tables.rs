use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Account::Table)
                    .if_not_exists()
                    .col(pk_auto(Account::Id))
                    .col(string_uniq(Account::Username))
                    .col(string_null(Account::PasswordHash))
                    .col(timestamp_with_time_zone(Account::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKey::Table)
                    .if_not_exists()
                    .col(pk_auto(ApiKey::Id))
                    .col(integer(ApiKey::AccountId))
                    .col(string(ApiKey::Name))
                    .col(string_uniq(ApiKey::KeyHash))
                    .col(string(ApiKey::Prefix))
                    .col(timestamp_with_time_zone(ApiKey::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKey::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiKey::RevokedAt))
                    .foreign_key(&mut owner_fk(ApiKey::Table, ApiKey::AccountId))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Character::Table)
                    .if_not_exists()
                    .col(pk_auto(Character::Id))
                    .col(integer(Character::OwnerId))
                    .col(string(Character::Label))
                    .col(string(Character::Name))
                    .col(text_null(Character::AvatarImage))
                    .col(text_null(Character::Description))
                    .col(text_null(Character::Personality))
                    .col(text_null(Character::Scenario))
                    .col(text_null(Character::FirstMessage))
                    .col(json(Character::AlternateGreetings))
                    .col(text_null(Character::MessageExample))
                    .col(text_null(Character::CreatorNotes))
                    .col(text_null(Character::SystemPrompt))
                    .col(text_null(Character::PostHistoryInstructions))
                    .col(json(Character::Tags))
                    .col(string_null(Character::Creator))
                    .col(string_null(Character::CharacterVersion))
                    .col(json(Character::Extensions))
                    .col(timestamp_with_time_zone(Character::CreatedAt))
                    .col(timestamp_with_time_zone(Character::UpdatedAt))
                    .foreign_key(&mut owner_fk(Character::Table, Character::OwnerId))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserProfile::Table)
                    .if_not_exists()
                    .col(pk_auto(UserProfile::Id))
                    .col(integer(UserProfile::OwnerId))
                    .col(string(UserProfile::Label))
                    .col(string(UserProfile::Name))
                    .col(text_null(UserProfile::AvatarImage))
                    .col(text_null(UserProfile::Description))
                    .col(timestamp_with_time_zone(UserProfile::CreatedAt))
                    .col(timestamp_with_time_zone(UserProfile::UpdatedAt))
                    .foreign_key(&mut owner_fk(UserProfile::Table, UserProfile::OwnerId))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AiModel::Table)
                    .if_not_exists()
                    .col(pk_auto(AiModel::Id))
                    .col(integer(AiModel::OwnerId))
                    .col(string(AiModel::Label))
                    .col(text_null(AiModel::Description))
                    .col(string_null(AiModel::Provider))
                    .col(string_null(AiModel::ModelName))
                    .col(double_null(AiModel::Temperature))
                    .col(integer_null(AiModel::MaxTokens))
                    .col(timestamp_with_time_zone(AiModel::CreatedAt))
                    .col(timestamp_with_time_zone(AiModel::UpdatedAt))
                    .foreign_key(&mut owner_fk(AiModel::Table, AiModel::OwnerId))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SystemPrompt::Table)
                    .if_not_exists()
                    .col(pk_auto(SystemPrompt::Id))
                    .col(integer(SystemPrompt::OwnerId))
                    .col(string(SystemPrompt::Label))
                    .col(text(SystemPrompt::Content))
                    .col(timestamp_with_time_zone(SystemPrompt::CreatedAt))
                    .col(timestamp_with_time_zone(SystemPrompt::UpdatedAt))
                    .foreign_key(&mut owner_fk(SystemPrompt::Table, SystemPrompt::OwnerId))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ChatSession::Table)
                    .if_not_exists()
                    .col(pk_auto(ChatSession::Id))
                    .col(uuid_uniq(ChatSession::Uuid))
                    .col(integer(ChatSession::OwnerId))
                    .col(integer(ChatSession::CharacterId))
                    .col(integer_null(ChatSession::UserProfileId))
                    .col(integer_null(ChatSession::AiModelId))
                    .col(integer_null(ChatSession::SystemPromptId))
                    .col(text_null(ChatSession::Title))
                    .col(text_null(ChatSession::PrePrompt))
                    .col(boolean(ChatSession::PrePromptEnabled).default(false))
                    .col(text_null(ChatSession::PostPrompt))
                    .col(boolean(ChatSession::PostPromptEnabled).default(false))
                    .col(integer_null(ChatSession::Rating))
                    .col(timestamp_with_time_zone(ChatSession::StartTime))
                    .col(timestamp_with_time_zone(ChatSession::UpdatedAt))
                    .col(integer(ChatSession::Version).default(1))
                    .col(timestamp_with_time_zone_null(ChatSession::DeletedAt))
                    .foreign_key(&mut owner_fk(ChatSession::Table, ChatSession::OwnerId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChatSession::Table, ChatSession::CharacterId)
                            .to(Character::Table, Character::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChatSession::Table, ChatSession::UserProfileId)
                            .to(UserProfile::Table, UserProfile::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChatSession::Table, ChatSession::AiModelId)
                            .to(AiModel::Table, AiModel::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ChatSession::Table, ChatSession::SystemPromptId)
                            .to(SystemPrompt::Table, SystemPrompt::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Message::Table)
                    .if_not_exists()
                    .col(pk_auto(Message::Id))
                    .col(integer(Message::OwnerId))
                    .col(integer(Message::ChatSessionId))
                    .col(string(Message::Role))
                    .col(text(Message::Content))
                    .col(timestamp_with_time_zone(Message::CreatedAt))
                    .col(timestamp_with_time_zone(Message::UpdatedAt))
                    .col(integer(Message::Version).default(1))
                    .col(timestamp_with_time_zone_null(Message::DeletedAt))
                    .foreign_key(&mut owner_fk(Message::Table, Message::OwnerId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Message::Table, Message::ChatSessionId)
                            .to(ChatSession::Table, ChatSession::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // Labels are unique per owner; (owner_id, label) also serves the owner_id foreign key.
        for (table, unique) in [
            (Character::Table.into_iden(), true),
            (UserProfile::Table.into_iden(), true),
            (AiModel::Table.into_iden(), true),
            (SystemPrompt::Table.into_iden(), true),
        ] {
            create_index(manager, table, &["owner_id", "label"], unique).await?;
        }
        // Every owned table is listed per owner, newest first.
        for table in [
            Character::Table.into_iden(),
            UserProfile::Table.into_iden(),
            AiModel::Table.into_iden(),
            SystemPrompt::Table.into_iden(),
            ChatSession::Table.into_iden(),
            Message::Table.into_iden(),
        ] {
            create_index(manager, table, &["owner_id", "updated_at"], false).await?;
        }
        create_index(manager, ApiKey::Table.into_iden(), &["account_id"], false).await?;
        for column in [
            "character_id",
            "user_profile_id",
            "ai_model_id",
            "system_prompt_id",
        ] {
            create_index(manager, ChatSession::Table.into_iden(), &[column], false).await?;
        }
        // Messages are read per session in id order.
        create_index(
            manager,
            Message::Table.into_iden(),
            &["chat_session_id", "id"],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Message::Table.into_iden(),
            ChatSession::Table.into_iden(),
            SystemPrompt::Table.into_iden(),
            AiModel::Table.into_iden(),
            UserProfile::Table.into_iden(),
            Character::Table.into_iden(),
            ApiKey::Table.into_iden(),
            Account::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

/// `owner_id` / `account_id` references `account(id)`; an account's rows go with it.
fn owner_fk<T: IntoIden, C: IntoIden>(table: T, column: C) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Account::Table, Account::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// Creates `idx_{table}_{columns}` if it is not there yet.
async fn create_index(
    manager: &SchemaManager<'_>,
    table: DynIden,
    columns: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let name = format!("idx_{}_{}", table, columns.join("_"));
    let mut index = Index::create();
    index.name(&name).table(table).if_not_exists();
    for column in columns {
        index.col(Alias::new(*column));
    }
    if unique {
        index.unique();
    }
    manager.create_index(index.to_owned()).await
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
    Username,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiKey {
    Table,
    Id,
    AccountId,
    Name,
    KeyHash,
    Prefix,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

// Column names follow the character-card fields, one of which is `character_version`.
#[allow(clippy::enum_variant_names)]
#[derive(DeriveIden)]
enum Character {
    Table,
    Id,
    OwnerId,
    Label,
    Name,
    AvatarImage,
    Description,
    Personality,
    Scenario,
    FirstMessage,
    AlternateGreetings,
    MessageExample,
    CreatorNotes,
    SystemPrompt,
    PostHistoryInstructions,
    Tags,
    Creator,
    CharacterVersion,
    Extensions,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserProfile {
    Table,
    Id,
    OwnerId,
    Label,
    Name,
    AvatarImage,
    Description,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AiModel {
    Table,
    Id,
    OwnerId,
    Label,
    Description,
    Provider,
    ModelName,
    Temperature,
    MaxTokens,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SystemPrompt {
    Table,
    Id,
    OwnerId,
    Label,
    Content,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ChatSession {
    Table,
    Id,
    Uuid,
    OwnerId,
    CharacterId,
    UserProfileId,
    AiModelId,
    SystemPromptId,
    Title,
    PrePrompt,
    PrePromptEnabled,
    PostPrompt,
    PostPromptEnabled,
    Rating,
    StartTime,
    UpdatedAt,
    Version,
    DeletedAt,
}

#[derive(DeriveIden)]
enum Message {
    Table,
    Id,
    OwnerId,
    ChatSessionId,
    Role,
    Content,
    CreatedAt,
    UpdatedAt,
    Version,
    DeletedAt,
}
