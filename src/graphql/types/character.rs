use super::DateTime;
use async_graphql::{Context, Enum, ErrorExtensions, Json, Object, Result};
use async_graphql::{InputObject, MaybeUndefined};
use base64::Engine;
use entity::character;

use crate::{
    domain::validation::require_text,
    error::AppResult,
    llm::Providers,
    service::{
        labelled::{Changes, Label, NewRow},
        set_if, set_nullable,
    },
};
use futures::FutureExt;
use sea_orm::Set;

use crate::{domain::card, graphql::request_scope, service::character::stored};

/// A character-card version to export as.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CardFormat {
    /// `chara_card_v2`.
    V2,
    /// `chara_card_v3`.
    V3,
}

pub struct Character(pub std::sync::Arc<character::Model>);
super::wraps!(Character, character::Model, shared);

// Serial: the fields need nothing from each other or from I/O (but the rare card exports), and
// resolving them one after another spares async-graphql's per-field task set.
super::object_fields! {
    #[Object(serial)]
    /// An AI character, with the fields of the community character-card format (V2/V3).
    impl Character {
        id: i32,
        /// Unique per owner.
        label: &str,
        name: &str,
        avatar_image: Option<&str>,
        description: Option<&str>,
        personality: Option<&str>,
        scenario: Option<&str>,
        /// The card's `first_mes`: the character's opening line.
        first_message: Option<&str>,
        alternate_greetings: Vec<String>,
        /// The card's `mes_example`.
        message_example: Option<&str>,
        creator_notes: Option<&str>,
        /// The card's own system prompt (distinct from the SystemPrompt a session uses).
        system_prompt: Option<&str>,
        post_history_instructions: Option<&str>,
        tags: Vec<String>,
        creator: Option<&str>,
        character_version: Option<&str>,
        /// Card extensions, kept as they came.
        extensions: Json<&serde_json::Value>,
        /// The character as a community character card (JSON), with whatever its import kept
        /// (lorebook, nickname, ...). V3 gives `modification_date` as the character's last change.
        async fn card(&self, ctx: &Context<'_>, format: CardFormat) -> Result<Json<serde_json::Value>> {
            let scope = request_scope(ctx)?;
            let stored = stored(scope.db, scope.principal, self.0.id)
                .boxed()
                .await
                .map_err(|e| e.extend())?;
            let spec = match format {
                CardFormat::V2 => card::CardSpec::V2,
                CardFormat::V3 => card::CardSpec::V3,
            };
            Ok(Json(card::to_json(&self.0, stored.as_ref(), spec)))
        }
        /// The character as a PNG card, base64-encoded: the image it was imported with (or a plain
        /// one) carrying the V2 card in a `chara` chunk and the V3 card in a `ccv3` chunk.
        async fn card_png(&self, ctx: &Context<'_>) -> Result<String> {
            let scope = request_scope(ctx)?;
            let png: crate::error::AppResult<_> = async {
                let stored = stored(scope.db, scope.principal, self.0.id).await?;
                card::to_png(&self.0, stored.as_ref())
            }
            .boxed()
            .await;
            let png = png.map_err(|e| e.extend())?;
            Ok(base64::engine::general_purpose::STANDARD.encode(png))
        }
        created_at: DateTime,
        updated_at: DateTime,
    }
}

// Surface A's body for `POST /api/v1/characters` too.
#[derive(InputObject, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[schema(as = CreateCharacter)]
pub struct CreateCharacterInput {
    /// Unique per owner. Without one, the name as a slug, made unique (`Aria Moon` ->
    /// `aria-moon`, `aria-moon-2`): clients of APIs without labels (tldw's) create characters by
    /// name alone.
    pub label: Option<String>,
    pub name: String,
    pub avatar_image: Option<String>,
    pub description: Option<String>,
    pub personality: Option<String>,
    pub scenario: Option<String>,
    pub first_message: Option<String>,
    pub alternate_greetings: Option<Vec<String>>,
    pub message_example: Option<String>,
    pub creator_notes: Option<String>,
    pub system_prompt: Option<String>,
    pub post_history_instructions: Option<String>,
    pub tags: Option<Vec<String>>,
    pub creator: Option<String>,
    pub character_version: Option<String>,
    /// A JSON object.
    #[schema(value_type = Option<Object>)]
    pub extensions: Option<Json<serde_json::Map<String, serde_json::Value>>>,
}

// Surface A's body for `PUT /api/v1/characters/{id}` too.
/// A partial update: fields left out stay as they are; `null` clears a nullable field.
#[derive(InputObject, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[schema(as = UpdateCharacter)]
pub struct UpdateCharacterInput {
    pub label: Option<String>,
    pub name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub avatar_image: MaybeUndefined<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: MaybeUndefined<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub personality: MaybeUndefined<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub scenario: MaybeUndefined<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub first_message: MaybeUndefined<String>,
    pub alternate_greetings: Option<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub message_example: MaybeUndefined<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub creator_notes: MaybeUndefined<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub system_prompt: MaybeUndefined<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub post_history_instructions: MaybeUndefined<String>,
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub creator: MaybeUndefined<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub character_version: MaybeUndefined<String>,
    #[schema(value_type = Option<Object>)]
    pub extensions: Option<Json<serde_json::Map<String, serde_json::Value>>>,
}

impl NewRow for CreateCharacterInput {
    type Entity = character::Entity;
    fn check(&self, _: &Providers) -> AppResult<()> {
        require_text("name", &self.name)
    }
    fn label(&self) -> Label<'_> {
        match &self.label {
            Some(label) => Label::Given(label),
            None => Label::FromName(&self.name),
        }
    }
    fn into_row(self) -> character::ActiveModel {
        character::ActiveModel {
            name: Set(self.name),
            avatar_image: Set(self.avatar_image),
            description: Set(self.description),
            personality: Set(self.personality),
            scenario: Set(self.scenario),
            first_message: Set(self.first_message),
            alternate_greetings: Set(self.alternate_greetings.unwrap_or_default().into()),
            message_example: Set(self.message_example),
            creator_notes: Set(self.creator_notes),
            system_prompt: Set(self.system_prompt),
            post_history_instructions: Set(self.post_history_instructions),
            tags: Set(self.tags.unwrap_or_default().into()),
            creator: Set(self.creator),
            character_version: Set(self.character_version),
            extensions: Set(self.extensions.map(|e| e.0).unwrap_or_default().into()),
            ..Default::default()
        }
    }
}

impl Changes for UpdateCharacterInput {
    type Entity = character::Entity;
    fn check(&self, _: &Providers) -> AppResult<()> {
        self.name
            .as_deref()
            .map_or(Ok(()), |name| require_text("name", name))
    }
    fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }
    fn apply(self, row: &mut character::ActiveModel) {
        row.name = set_if(self.name);
        row.avatar_image = set_nullable(self.avatar_image);
        row.description = set_nullable(self.description);
        row.personality = set_nullable(self.personality);
        row.scenario = set_nullable(self.scenario);
        row.first_message = set_nullable(self.first_message);
        row.alternate_greetings = set_if(self.alternate_greetings.map(Into::into));
        row.message_example = set_nullable(self.message_example);
        row.creator_notes = set_nullable(self.creator_notes);
        row.system_prompt = set_nullable(self.system_prompt);
        row.post_history_instructions = set_nullable(self.post_history_instructions);
        row.tags = set_if(self.tags.map(Into::into));
        row.creator = set_nullable(self.creator);
        row.character_version = set_nullable(self.character_version);
        row.extensions = set_if(self.extensions.map(|e| e.0.into()));
    }
}
