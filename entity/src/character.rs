use sea_orm::entity::prelude::*;

/// An AI character. The fields are those of the community character-card format (V2/V3):
/// `first_mes` is `first_message`, `mes_example` is `message_example`, and so on.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "character")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub owner_id: i32,
    /// Unique per owner.
    pub label: String,
    pub name: String,
    pub avatar_image: Option<String>,
    pub description: Option<String>,
    pub personality: Option<String>,
    pub scenario: Option<String>,
    pub first_message: Option<String>,
    /// JSON array of strings.
    pub alternate_greetings: Json,
    pub message_example: Option<String>,
    pub creator_notes: Option<String>,
    pub system_prompt: Option<String>,
    pub post_history_instructions: Option<String>,
    /// JSON array of strings.
    pub tags: Json,
    pub creator: Option<String>,
    pub character_version: Option<String>,
    /// JSON object: card extensions, kept as they came.
    pub extensions: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::account::Entity",
        from = "Column::OwnerId",
        to = "super::account::Column::Id",
        on_delete = "Cascade"
    )]
    Owner,
    #[sea_orm(has_many = "super::chat_session::Entity")]
    ChatSession,
}

impl Related<super::chat_session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ChatSession.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
