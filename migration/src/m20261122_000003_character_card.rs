//! What a character card carries beyond the character's own columns, kept so an imported card
//! exports back as the same card: the card fields Parley does not model (`character_book`,
//! `nickname`, `assets`, ...) and the PNG image the card came in. One row per imported character,
//! deleted with it; characters made through the API have none.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CharacterCard::Table)
                    .if_not_exists()
                    .col(integer(CharacterCard::CharacterId).primary_key())
                    .col(integer(CharacterCard::OwnerId))
                    .col(json(CharacterCard::Extras))
                    .col(blob_null(CharacterCard::Image))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CharacterCard::Table, CharacterCard::CharacterId)
                            .to(Character::Table, Character::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CharacterCard::Table, CharacterCard::OwnerId)
                            .to(Account::Table, Account::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(CharacterCard::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum CharacterCard {
    Table,
    CharacterId,
    OwnerId,
    Extras,
    Image,
}

#[derive(DeriveIden)]
enum Character {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
}
