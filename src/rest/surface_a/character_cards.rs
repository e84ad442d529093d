//! `/api/v1/characters/import` and `/api/v1/characters/{character_id}/export`: character cards
//! (V1/V2/V3, JSON or PNG), forwarded to `importCharacterCard` and `Character.card`/`cardPng`.

use super::Caller;
use std::io::{Seek, Write};

use axum::{
    Json,
    extract::{Multipart, RawQuery, multipart::MultipartRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiResult, ErrorBody, ItemData, PathId};
use crate::graphql::types::Character;
use crate::{
    AppState,
    error::AppError,
    rest::{
        forward::Failure,
        input::{self, InputError},
    },
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import))
        .routes(routes!(export))
}

/// The multipart form of an import.
#[derive(ToSchema)]
#[allow(dead_code)] // Documents the form; the handler reads the parts as they stream in.
pub struct ImportCharacterCard {
    /// The card: a JSON file (V1, `chara_card_v2` or `chara_card_v3`) or a PNG with the card in
    /// its `chara` or `ccv3` text chunk.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The new character's label (default: the card's name as a slug, made unique).
    label: Option<String>,
}

#[utoipa::path(
    post, path = "/api/v1/characters/import", tag = "characters",
    operation_id = "import_character_card", summary = "Import a character card",
    description = "Creates a character from a V1, V2 or V3 character card, as JSON or as a PNG \
                   with the card embedded. What the card carries beyond the character's fields \
                   (lorebook, nickname, assets, the image) is kept for export.",
    request_body(content = ImportCharacterCard, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = Character),
        (status = 400, body = ErrorBody),
    )
)]
async fn import(
    caller: Caller,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let not_multipart = |_| {
        InputError::at(
            "body",
            "file",
            "send the card as multipart/form-data with a `file` part",
        )
    };
    let mut multipart = multipart.map_err(not_multipart)?;
    let (mut file, mut label) = (None, None);
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        InputError::at("body", "file", format!("the form cannot be read: {e}"))
    };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("card").to_owned();
                let content_type = field.content_type().map(str::to_owned);
                file = Some((name, content_type, field.bytes().await.map_err(unreadable)?));
            }
            Some("label") => label = Some(field.text().await.map_err(unreadable)?),
            // Other parts are ignored, as unknown JSON fields are.
            _ => {}
        }
    }
    let Some((filename, content_type, bytes)) = file else {
        return Err(InputError::at("body", "file", "a `file` part is required").into());
    };
    let content = temporary_file(&bytes).map_err(|e| Failure::from(AppError::internal(e)))?;
    let upload = async_graphql::UploadValue {
        filename,
        content_type,
        content,
    };
    let data: ItemData<serde_json::Value> = caller
        .state
        .forward_upload(
            caller.principal,
            "ImportCharacterCard",
            json!({ "label": label }),
            "file",
            upload,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(data.item)))
}

/// The upload as GraphQL's `Upload` carries it: an anonymous temporary file.
fn temporary_file(bytes: &[u8]) -> std::io::Result<std::fs::File> {
    let mut file = tempfile::tempfile()?;
    file.write_all(bytes)?;
    file.rewind()?;
    Ok(file)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `v2` (the default: the version most tools read), `v3`, or `png` (an image with both).
    #[param(inline)]
    format: Option<ExportFormat>,
}

#[derive(Deserialize, ToSchema, Clone, Copy, Default)]
#[serde(rename_all = "lowercase")]
enum ExportFormat {
    #[default]
    V2,
    V3,
    Png,
}

/// A character card: `{"spec": "chara_card_v2" | "chara_card_v3", "spec_version", "data"}`.
#[derive(ToSchema)]
#[schema(value_type = Object)]
#[allow(dead_code)] // Documents the answer.
struct CardJson(Value);

/// A PNG image with the card in its `chara` (V2) and `ccv3` (V3) text chunks.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // Documents the answer.
struct CardPng(Vec<u8>);

#[derive(Deserialize)]
struct CardData {
    card: Value,
}

#[derive(Deserialize)]
struct PngData {
    #[serde(rename = "cardPng")]
    card_png: String,
}

#[utoipa::path(
    get, path = "/api/v1/characters/{character_id}/export", tag = "characters",
    operation_id = "export_character_card", summary = "Export a character card",
    description = "The character as a `chara_card_v2` or `chara_card_v3` JSON card, or as a PNG \
                   carrying both (`chara` and `ccv3` chunks) in the image it was imported with.",
    params(("character_id" = i32, Path, minimum = 1, description = "ID of the character"), ExportParams),
    responses(
        (status = 200, description = "The card", content(
            (CardJson = "application/json"),
            (CardPng = "image/png"),
        )),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
async fn export(
    caller: Caller,
    PathId(id): PathId,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let params: ExportParams = input::query(query.as_deref())?;
    let format = params.format.unwrap_or_default();
    let attachment = |extension: &str| {
        HeaderValue::from_str(&format!(
            "attachment; filename=\"character-{id}.{extension}\""
        ))
        .expect("an ASCII header value")
    };
    if let ExportFormat::Png = format {
        let data: ItemData<PngData> = caller
            .forward("ExportCharacterPng", json!({ "id": id }))
            .await?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.item.card_png)
            .map_err(|e| Failure::from(AppError::internal(e)))?;
        let headers = [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
            (header::CONTENT_DISPOSITION, attachment("png")),
        ];
        return Ok((headers, png).into_response());
    }
    let format = match format {
        ExportFormat::V3 => "V3",
        _ => "V2",
    };
    let data: ItemData<CardData> = caller
        .forward("ExportCharacterCard", json!({ "id": id, "format": format }))
        .await?;
    Ok((
        [(header::CONTENT_DISPOSITION, attachment("json"))],
        Json(data.item.card),
    )
        .into_response())
}
