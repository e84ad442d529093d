//! Character cards, the community's exchange format for characters: V1 (flat JSON), V2
//! (`chara_card_v2`) and V3 (`chara_card_v3`), as JSON files or embedded in a PNG (base64 JSON in
//! a `chara` text chunk for V2, `ccv3` for V3).
//!
//! Import maps the card's fields onto the character's columns (`first_mes` -> `first_message`,
//! `mes_example` -> `message_example`, an empty string -> absent) and keeps everything else the
//! card's `data` carries (`character_book`, `nickname`, `assets`, unknown keys) in
//! `character_card.extras`, with the PNG image it came in, so it exports back as the same card.
//! A V3 export gives `modification_date` as the character's last change.
//!
//! Every input is untrusted: a malformed file is a [`CardError`] (a 400 naming what is wrong),
//! never a panic; PNG decoding is bounded by [`MAX_IMAGE_BYTES`] of decoded pixels.

use std::io::Cursor;

use base64::{
    Engine, alphabet,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
};
use entity::{character, character_card};
use serde_json::{Map, Value, json};

use crate::error::{AppError, AppResult};

/// The most decoded pixel data a card image may have (e.g. 2048 x 4096 RGBA).
pub const MAX_IMAGE_BYTES: usize = 32 * 1024 * 1024;

/// The most a card's text chunk (`chara`, `ccv3`) may inflate to: the largest cards in the
/// community's hubs, lorebooks included, are a few MB of base64.
pub const MAX_CARD_TEXT_BYTES: usize = 8 * 1024 * 1024;

/// The text chunks that carry a card, in the order they win (a V3 card over the V2 one the same
/// file may carry for older readers).
const CARD_KEYWORDS: [&str; 2] = ["ccv3", "chara"];

/// The size of the image a PNG export gets when the character has none of its own.
const PLAIN_IMAGE: (u32, u32) = (400, 600);

/// The card fields stored in the character's own columns.
const COLUMN_FIELDS: &[&str] = &[
    "name",
    "description",
    "personality",
    "scenario",
    "first_mes",
    "mes_example",
    "creator_notes",
    "system_prompt",
    "post_history_instructions",
    "alternate_greetings",
    "tags",
    "creator",
    "character_version",
    "extensions",
];

/// A V1 card's fields, at its top level.
const V1_FIELDS: &[&str] = &[
    "name",
    "description",
    "personality",
    "scenario",
    "first_mes",
    "mes_example",
];

/// The fields V3 added; a V2 export leaves them out.
const V3_ONLY_FIELDS: &[&str] = &[
    "assets",
    "nickname",
    "creator_notes_multilingual",
    "source",
    "group_only_greetings",
    "creation_date",
    "modification_date",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardSpec {
    V1,
    V2,
    V3,
}

/// A card file that cannot be read, with why.
#[derive(Debug, PartialEq, Eq)]
pub struct CardError(pub String);

impl From<CardError> for AppError {
    fn from(error: CardError) -> Self {
        AppError::invalid("file", error.0)
    }
}

fn invalid<T>(message: impl Into<String>) -> Result<T, CardError> {
    Err(CardError(message.into()))
}

/// A card as read from a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    pub spec: CardSpec,
    pub name: String,
    pub description: Option<String>,
    pub personality: Option<String>,
    pub scenario: Option<String>,
    pub first_message: Option<String>,
    pub message_example: Option<String>,
    pub creator_notes: Option<String>,
    pub system_prompt: Option<String>,
    pub post_history_instructions: Option<String>,
    pub alternate_greetings: Vec<String>,
    pub tags: Vec<String>,
    pub creator: Option<String>,
    pub character_version: Option<String>,
    pub extensions: Map<String, Value>,
    /// The `data` fields without a column of their own.
    pub extras: Map<String, Value>,
    /// The PNG the card came in.
    pub image: Option<Vec<u8>>,
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Reads a card from a JSON file or a PNG with the card embedded.
pub fn parse(bytes: &[u8]) -> Result<Card, CardError> {
    if bytes.starts_with(PNG_SIGNATURE) {
        let png = decode_png(bytes)?;
        // A V3 card wins over the V2 one the same file may carry for older readers.
        let chunk = CARD_KEYWORDS.iter().find_map(|keyword| {
            png.texts
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(keyword))
        });
        let Some((keyword, text)) = chunk else {
            return invalid("the PNG carries no character card (no `chara` or `ccv3` text chunk)");
        };
        let json = lenient_base64()
            .decode(text.trim())
            .or_else(|_| invalid(format!("the `{keyword}` chunk is not base64")))?;
        let mut card = parse_json(&json)?;
        card.image = Some(bytes.to_vec());
        Ok(card)
    } else {
        parse_json(bytes)
    }
}

/// Base64 as card writers produce it: padded or not.
fn lenient_base64() -> GeneralPurpose {
    GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    )
}

fn parse_json(bytes: &[u8]) -> Result<Card, CardError> {
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(e)
            if bytes
                .first()
                .is_some_and(|b| b.is_ascii_whitespace() || *b == b'{') =>
        {
            return invalid(format!("the card is not valid JSON: {e}"));
        }
        Err(_) => return invalid("the file is neither a JSON card nor a PNG card"),
    };
    if let Some(path) = super::validation::nul_in_json(&value) {
        return invalid(format!("`{path}`: {}", super::validation::NUL_MESSAGE));
    }
    let Value::Object(card) = value else {
        return invalid("a card must be a JSON object");
    };
    match card.get("spec") {
        Some(Value::String(spec)) if spec == "chara_card_v3" || spec == "chara_card_v2" => {
            let spec_kind = if spec == "chara_card_v3" {
                CardSpec::V3
            } else {
                CardSpec::V2
            };
            match card.get("data") {
                Some(Value::Object(data)) => from_fields(spec_kind, data, "data"),
                _ => invalid(format!("a {spec} card needs a `data` object")),
            }
        }
        Some(Value::String(spec)) => invalid(format!(
            "unsupported card spec `{spec}`; Parley reads chara_card_v2, chara_card_v3 and V1 cards"
        )),
        Some(_) => invalid("`spec` must be a string"),
        // V1: the fields at the top level; nothing else of it is kept.
        None if card.contains_key("name") => {
            let v1: Map<String, Value> = card
                .into_iter()
                .filter(|(key, _)| V1_FIELDS.contains(&key.as_str()))
                .collect();
            from_fields(CardSpec::V1, &v1, "card")
        }
        None => invalid("not a character card: no `spec` and no `name`"),
    }
}

fn from_fields(spec: CardSpec, data: &Map<String, Value>, path: &str) -> Result<Card, CardError> {
    let text = |key: &str| -> Result<Option<String>, CardError> {
        match data.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => invalid(format!("{path}.{key} must be a string")),
        }
    };
    let strings = |key: &str| -> Result<Vec<String>, CardError> {
        match data.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s.clone()),
                    _ => invalid(format!("{path}.{key} must be an array of strings")),
                })
                .collect(),
            Some(_) => invalid(format!("{path}.{key} must be an array of strings")),
        }
    };
    let name = match text("name")? {
        Some(name) if !name.trim().is_empty() => name,
        _ => return invalid(format!("{path}.name is required")),
    };
    let extensions = match data.get("extensions") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(extensions)) => extensions.clone(),
        Some(_) => return invalid(format!("{path}.extensions must be an object")),
    };
    let extras = data
        .iter()
        .filter(|(key, _)| !COLUMN_FIELDS.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Ok(Card {
        spec,
        name,
        description: text("description")?,
        personality: text("personality")?,
        scenario: text("scenario")?,
        first_message: text("first_mes")?,
        message_example: text("mes_example")?,
        creator_notes: text("creator_notes")?,
        system_prompt: text("system_prompt")?,
        post_history_instructions: text("post_history_instructions")?,
        alternate_greetings: strings("alternate_greetings")?,
        tags: strings("tags")?,
        creator: text("creator")?,
        character_version: text("character_version")?,
        extensions,
        extras,
        image: None,
    })
}

/// A decoded PNG: its pixels (8 bits a sample) and its text chunks.
struct DecodedPng {
    width: u32,
    height: u32,
    color: png::ColorType,
    pixels: Vec<u8>,
    texts: Vec<(String, String)>,
}

fn decode_png(bytes: &[u8]) -> Result<DecodedPng, CardError> {
    let bad = |e: png::DecodingError| CardError(format!("the PNG cannot be read: {e}"));
    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(bytes),
        png::Limits {
            bytes: MAX_IMAGE_BYTES,
        },
    );
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(bad)?;
    let size = reader
        .output_buffer_size()
        .filter(|size| *size <= MAX_IMAGE_BYTES)
        .ok_or_else(|| CardError("the PNG image is too large".into()))?;
    let mut pixels = vec![0; size];
    let frame = reader.next_frame(&mut pixels).map_err(bad)?;
    pixels.truncate(frame.buffer_size());
    // Text chunks after the image data are read here.
    reader.finish().map_err(bad)?;
    let info = reader.info();
    // Only the card's chunks are inflated, and each under a bound: a few hundred KB of zTXt or
    // iTXt can inflate to gigabytes.
    let is_card = |keyword: &str| {
        CARD_KEYWORDS
            .iter()
            .any(|k| k.eq_ignore_ascii_case(keyword))
    };
    let too_large = |keyword: &str| {
        CardError(format!(
            "the `{keyword}` chunk inflates to more than {} MiB; a card is never that large",
            MAX_CARD_TEXT_BYTES / (1024 * 1024)
        ))
    };
    let inflated = |keyword: &str, result: Result<(), png::DecodingError>| match result {
        Ok(()) => Ok(()),
        Err(png::DecodingError::Format(error))
            if error.to_string().contains("decompression space") =>
        {
            Err(too_large(keyword))
        }
        Err(error) => Err(CardError(format!(
            "the `{keyword}` chunk cannot be inflated: {error}"
        ))),
    };
    let mut texts: Vec<(String, String)> = info
        .uncompressed_latin1_text
        .iter()
        .filter(|chunk| is_card(&chunk.keyword))
        .map(|chunk| (chunk.keyword.clone(), chunk.text.clone()))
        .collect();
    for chunk in info
        .compressed_latin1_text
        .iter()
        .filter(|c| is_card(&c.keyword))
    {
        let mut chunk = chunk.clone();
        let result = chunk.decompress_text_with_limit(MAX_CARD_TEXT_BYTES);
        inflated(&chunk.keyword, result)?;
        texts.push((chunk.keyword.clone(), chunk.get_text().map_err(bad)?));
    }
    for chunk in info.utf8_text.iter().filter(|c| is_card(&c.keyword)) {
        let mut chunk = chunk.clone();
        let result = chunk.decompress_text_with_limit(MAX_CARD_TEXT_BYTES);
        inflated(&chunk.keyword, result)?;
        texts.push((chunk.keyword.clone(), chunk.get_text().map_err(bad)?));
    }
    Ok(DecodedPng {
        width: frame.width,
        height: frame.height,
        color: frame.color_type,
        pixels,
        texts,
    })
}

/// The card of `character` in `spec` (V2 or V3), with what its import kept.
pub fn to_json(
    character: &character::Model,
    stored: Option<&character_card::Model>,
    spec: CardSpec,
) -> Value {
    let text = |value: &Option<String>| Value::String(value.clone().unwrap_or_default());
    let list = |value: &Value| match value {
        Value::Array(_) => value.clone(),
        _ => json!([]),
    };
    let mut data = Map::new();
    data.insert("name".into(), json!(character.name));
    data.insert("description".into(), text(&character.description));
    data.insert("personality".into(), text(&character.personality));
    data.insert("scenario".into(), text(&character.scenario));
    data.insert("first_mes".into(), text(&character.first_message));
    data.insert("mes_example".into(), text(&character.message_example));
    data.insert("creator_notes".into(), text(&character.creator_notes));
    data.insert("system_prompt".into(), text(&character.system_prompt));
    data.insert(
        "post_history_instructions".into(),
        text(&character.post_history_instructions),
    );
    data.insert(
        "alternate_greetings".into(),
        list(&character.alternate_greetings),
    );
    data.insert("tags".into(), list(&character.tags));
    data.insert("creator".into(), text(&character.creator));
    data.insert(
        "character_version".into(),
        text(&character.character_version),
    );
    data.insert(
        "extensions".into(),
        match &character.extensions {
            Value::Object(_) => character.extensions.clone(),
            _ => json!({}),
        },
    );
    if let Some(Value::Object(extras)) = stored.map(|card| &card.extras) {
        for (key, value) in extras {
            if spec == CardSpec::V3 || !V3_ONLY_FIELDS.contains(&key.as_str()) {
                data.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
    }
    match spec {
        CardSpec::V3 => {
            data.entry("group_only_greetings")
                .or_insert_with(|| json!([]));
            data.entry("creation_date")
                .or_insert_with(|| json!(character.created_at.timestamp()));
            data.insert(
                "modification_date".into(),
                json!(character.updated_at.timestamp()),
            );
            json!({ "spec": "chara_card_v3", "spec_version": "3.0", "data": data })
        }
        CardSpec::V1 | CardSpec::V2 => {
            json!({ "spec": "chara_card_v2", "spec_version": "2.0", "data": data })
        }
    }
}

/// The character as a PNG card: its image (the one it was imported with, or a plain one) with the
/// V2 card in a `chara` chunk and the V3 card in a `ccv3` chunk, so readers of either find it.
pub fn to_png(
    character: &character::Model,
    stored: Option<&character_card::Model>,
) -> AppResult<Vec<u8>> {
    let image = match stored.and_then(|card| card.image.as_deref()) {
        Some(bytes) => {
            decode_png(bytes).map_err(|e| AppError::internal(std::io::Error::other(e.0)))?
        }
        None => {
            let (width, height) = PLAIN_IMAGE;
            DecodedPng {
                width,
                height,
                color: png::ColorType::Rgb,
                pixels: [0x3a, 0x3f, 0x4b].repeat((width * height) as usize),
                texts: Vec::new(),
            }
        }
    };
    let encoded = |spec| {
        base64::engine::general_purpose::STANDARD
            .encode(to_json(character, stored, spec).to_string())
    };
    let mut out = Vec::new();
    let mut write = || -> Result<(), png::EncodingError> {
        let mut encoder = png::Encoder::new(&mut out, image.width, image.height);
        encoder.set_color(image.color);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.add_text_chunk("chara".into(), encoded(CardSpec::V2))?;
        encoder.add_text_chunk("ccv3".into(), encoded(CardSpec::V3))?;
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&image.pixels)?;
        writer.finish()
    };
    write().map_err(AppError::internal)?;
    Ok(out)
}

/// A name as a label's slug: lower case, alphanumeric runs joined by `-` (`Aria Moon` ->
/// `aria-moon`), at most 60 characters; `character` when nothing of the name is left.
pub fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_end_matches('-').chars().take(60).collect();
    if slug.is_empty() {
        "character".into()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(data: Value) -> Vec<u8> {
        json!({ "spec": "chara_card_v2", "spec_version": "2.0", "data": data })
            .to_string()
            .into_bytes()
    }

    #[test]
    fn reads_the_three_versions() {
        let v1 = parse(br#"{"name":"Aria","first_mes":"Hi","creatorcomment":"x"}"#).unwrap();
        assert_eq!(
            (v1.spec, v1.first_message.as_deref()),
            (CardSpec::V1, Some("Hi"))
        );
        assert!(v1.extras.is_empty());
        let two = parse(&v2(json!({"name":"Aria","character_book":{"entries":[]}}))).unwrap();
        assert_eq!(two.spec, CardSpec::V2);
        assert_eq!(two.extras["character_book"], json!({"entries": []}));
        let three = parse(
            br#"{"spec":"chara_card_v3","spec_version":"3.0","data":{"name":"A","nickname":"N"}}"#,
        )
        .unwrap();
        assert_eq!(
            (three.spec, three.extras["nickname"].clone()),
            (CardSpec::V3, json!("N"))
        );
    }

    #[test]
    fn names_what_is_wrong() {
        let error = |bytes: &[u8]| parse(bytes).unwrap_err().0;
        assert!(error(&v2(json!({"name": ""}))).contains("data.name is required"));
        assert!(error(&v2(json!({"name": "A", "tags": "x"}))).contains("data.tags"));
        assert!(error(&v2(json!({"name": "A", "tags": [1]}))).contains("array of strings"));
        assert!(error(br#"{"spec":"chara_card_v9","data":{}}"#).contains("unsupported"));
        assert!(error(b"{\"name\":").contains("not valid JSON"));
        assert!(error(b"GIF89a").contains("neither"));
        assert!(error(b"\x89PNG\r\n\x1a\n\0\0").contains("PNG cannot be read"));
    }
}
