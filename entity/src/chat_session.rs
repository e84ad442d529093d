use sea_orm::entity::prelude::*;

/// A conversation between a user profile and a character. `id` serves surface A, `uuid` is
/// surface B's `chat_id`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_session")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub uuid: Uuid,
    pub owner_id: i32,
    pub character_id: i32,
    pub user_profile_id: Option<i32>,
    pub ai_model_id: Option<i32>,
    pub system_prompt_id: Option<i32>,
    pub title: Option<String>,
    pub pre_prompt: Option<String>,
    pub pre_prompt_enabled: bool,
    pub post_prompt: Option<String>,
    pub post_prompt_enabled: bool,
    /// 1 to 5.
    pub rating: Option<i32>,
    pub start_time: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic locking: every update adds one.
    pub version: i32,
    /// Set by a soft delete; such a row is hidden everywhere.
    pub deleted_at: Option<DateTimeUtc>,
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
    #[sea_orm(
        belongs_to = "super::character::Entity",
        from = "Column::CharacterId",
        to = "super::character::Column::Id",
        on_delete = "Restrict"
    )]
    Character,
    #[sea_orm(
        belongs_to = "super::user_profile::Entity",
        from = "Column::UserProfileId",
        to = "super::user_profile::Column::Id",
        on_delete = "SetNull"
    )]
    UserProfile,
    #[sea_orm(
        belongs_to = "super::ai_model::Entity",
        from = "Column::AiModelId",
        to = "super::ai_model::Column::Id",
        on_delete = "SetNull"
    )]
    AiModel,
    #[sea_orm(
        belongs_to = "super::system_prompt::Entity",
        from = "Column::SystemPromptId",
        to = "super::system_prompt::Column::Id",
        on_delete = "SetNull"
    )]
    SystemPrompt,
    #[sea_orm(has_many = "super::message::Entity")]
    Message,
}

impl Related<super::character::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Character.def()
    }
}

impl Related<super::message::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Message.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
