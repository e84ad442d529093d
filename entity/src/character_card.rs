use sea_orm::entity::prelude::*;

/// What an imported character card carries beyond the character's columns, so that it exports
/// back as the same card.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "character_card")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub character_id: i32,
    pub owner_id: i32,
    /// JSON object: the card's `data` fields that have no column of their own
    /// (`character_book`, `nickname`, `assets`, `creation_date`, ...), as they came.
    pub extras: Json,
    /// The PNG the card came in, if it came in one; a PNG export embeds the card in it.
    #[sea_orm(column_type = "Blob", nullable)]
    pub image: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::character::Entity",
        from = "Column::CharacterId",
        to = "super::character::Column::Id",
        on_delete = "Cascade"
    )]
    Character,
}

impl Related<super::character::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Character.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
