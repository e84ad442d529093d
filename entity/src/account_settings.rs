use sea_orm::entity::prelude::*;

/// An account's settings: what a session created without an AI model, system prompt or user
/// profile gets, and a default avatar image. At most one row per account (none until the first
/// update: an account without one has no defaults).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub owner_id: i32,
    pub default_ai_model_id: Option<i32>,
    pub default_system_prompt_id: Option<i32>,
    pub default_user_profile_id: Option<i32>,
    pub default_avatar_image: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
