use std::io::Read;

use async_graphql::{Context, ErrorExtensions, Object, Result, Upload};

use crate::{
    error::{AppError, AppResult},
    graphql::{request_scope, types::Character},
    service::character,
};

#[derive(Default)]
pub struct CharacterMutation;

#[Object]
impl CharacterMutation {
    /// Imports a character card as a new character: V1, V2 (`chara_card_v2`) or V3
    /// (`chara_card_v3`), as a JSON file or a PNG with the card in its `chara`/`ccv3` chunk. The
    /// label defaults to the name as a slug, made unique (`aria`, `aria-2`, ...). A file that is
    /// not a readable card is BAD_USER_INPUT naming what is wrong.
    async fn import_character_card(
        &self,
        ctx: &Context<'_>,
        file: Upload,
        label: Option<String>,
    ) -> Result<Character> {
        let scope = request_scope(ctx)?;
        let imported: AppResult<_> = async {
            let mut bytes = Vec::new();
            file.value(ctx)
                .map_err(|e| AppError::invalid("file", e.to_string()))?
                .content
                .read_to_end(&mut bytes)
                .map_err(|e| {
                    AppError::invalid("file", format!("the upload cannot be read: {e}"))
                })?;
            character::import(scope.db, scope.principal, &bytes, label).await
        }
        .await;
        imported.map(Character::from).map_err(|e| e.extend())
    }

    /// Deletes a character. One that chat sessions use is refused (CONFLICT) unless `cascade` is
    /// true, which deletes those sessions and their messages too.
    async fn delete_character(
        &self,
        ctx: &Context<'_>,
        id: i32,
        #[graphql(default)] cascade: bool,
    ) -> Result<bool> {
        let scope = request_scope(ctx)?.service();
        character::delete(scope, id, cascade)
            .await
            .map(|()| true)
            .map_err(|e| e.extend())
    }
}
