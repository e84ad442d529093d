use sea_orm::entity::prelude::*;

/// A model on a provider, with default parameters. Credentials never live here: config only.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ai_model")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub owner_id: i32,
    /// Unique per owner.
    pub label: String,
    pub description: Option<String>,
    /// Name of a configured provider; `None` means the default provider.
    pub provider: Option<String>,
    /// The model name the provider knows; `None` means the label.
    pub model_name: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<i32>,
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
}

impl ActiveModelBehavior for ActiveModel {}
