//! Character cards: import (REST multipart, GraphQL Upload, the CLI in fresh_start.rs) and export
//! (V2/V3 JSON, PNG), round trips, and malformed files by the thousand.

use base64::Engine;
use futures::StreamExt;
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, spawn_app, spawn_app_with};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

impl TestApp {
    /// `POST /api/v1/characters/import` with `bytes` as the `file` part.
    pub async fn import_card(
        &self,
        key: &str,
        bytes: Vec<u8>,
        label: Option<&str>,
    ) -> (u16, Value) {
        let mut form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("card.png"),
        );
        if let Some(label) = label {
            form = form.text("label", label.to_owned());
        }
        self.post_form("/api/v1/characters/import", key, form).await
    }

    /// POSTs a multipart form; the status and the JSON body (null when it is not JSON).
    async fn post_form(
        &self,
        path: &str,
        key: &str,
        form: reqwest::multipart::Form,
    ) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.address))
            .header("X-API-KEY", key)
            .multipart(form)
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert!(status < 500, "a 5xx is always a bug: {status} {text}");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A GraphQL multipart request (the GraphQL multipart request spec) with `bytes` as the
    /// `$file` variable.
    pub async fn graphql_upload(
        &self,
        key: &str,
        query: &str,
        mut variables: Value,
        bytes: Vec<u8>,
    ) -> (u16, Value) {
        variables["file"] = Value::Null;
        let operations = json!({ "query": query, "variables": variables });
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({ "0": ["variables.file"] }).to_string())
            .part(
                "0",
                reqwest::multipart::Part::bytes(bytes).file_name("card.json"),
            );
        self.post_form("/graphql", key, form).await
    }

    /// `GET /api/v1/characters/{id}/export?format=...`: status, content type, body.
    pub async fn export_card(&self, id: i64, format: &str) -> (u16, String, Vec<u8>) {
        let response = self
            .client
            .get(format!(
                "{}/api/v1/characters/{id}/export?format={format}",
                self.address
            ))
            .header("X-API-KEY", &self.api_key)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (
            status,
            content_type,
            response.bytes().await.unwrap().to_vec(),
        )
    }
}

/// The data of a V2 card with every field filled, a lorebook and a key Parley does not know.
fn v2_data() -> Value {
    json!({
        "name": "Aria Moon",
        "description": "{{char}} is a lunar cartographer. Привет 🌙",
        "personality": "curious, precise",
        "scenario": "An observatory at night.",
        "first_mes": "Oh! A visitor, {{user}}?",
        "mes_example": "<START>\n{{user}}: Hi\n{{char}}: Hello.",
        "creator_notes": "Works best with a patient user.",
        "system_prompt": "You are {{char}}.",
        "post_history_instructions": "Stay in character.",
        "alternate_greetings": ["Welcome back.", "The stars are out."],
        "tags": ["space", "science"],
        "creator": "someone",
        "character_version": "1.2",
        "extensions": { "talkativeness": "0.5", "depth_prompt": { "depth": 4, "prompt": "x" } },
        "character_book": {
            "name": "Moon lore",
            "entries": [{ "keys": ["moon"], "content": "The moon is far.", "enabled": true,
                          "insertion_order": 0, "extensions": {} }],
            "extensions": {}
        },
        "x_tool_specific": 42
    })
}

fn v2_card(data: &Value) -> Value {
    json!({ "spec": "chara_card_v2", "spec_version": "2.0", "data": data })
}

fn v3_card() -> Value {
    let mut data = v2_data();
    data["name"] = json!("Vega");
    data["nickname"] = json!("V");
    data["group_only_greetings"] = json!(["Hello, everyone."]);
    data["assets"] = json!([{ "type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png" }]);
    data["creator_notes_multilingual"] = json!({ "fr": "Bonjour" });
    data["source"] = json!(["https://example.invalid/vega"]);
    data["creation_date"] = json!(1_700_000_000);
    data["modification_date"] = json!(1_700_000_500);
    json!({ "spec": "chara_card_v3", "spec_version": "3.0", "data": data })
}

/// A small RGBA image with a pattern, and the same image as a PNG carrying `texts`.
pub(crate) fn png_with(texts: &[(&str, String)]) -> (Vec<u8>, Vec<u8>) {
    let (width, height) = (16u32, 24u32);
    let pixels: Vec<u8> = (0..width * height)
        .flat_map(|i| {
            [
                (i % 251) as u8,
                (i * 7 % 256) as u8,
                (i * 13 % 256) as u8,
                200,
            ]
        })
        .collect();
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&pixels).unwrap();
        // Cards are written after the image data, as the community's tools do.
        for (keyword, text) in texts {
            writer
                .write_text_chunk(&png::text_metadata::TEXtChunk::new(*keyword, text.clone()))
                .unwrap();
        }
        writer.finish().unwrap();
    }
    (pixels, out)
}

/// The pixels (RGBA) and the text chunks of a PNG.
fn read_png(bytes: &[u8]) -> (Vec<u8>, Vec<(String, String)>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    pixels.truncate(frame.buffer_size());
    reader.finish().unwrap();
    let texts = reader
        .info()
        .uncompressed_latin1_text
        .iter()
        .map(|c| (c.keyword.clone(), c.text.clone()))
        .collect();
    (pixels, texts)
}

fn chunk_card(texts: &[(String, String)], keyword: &str) -> Value {
    let (_, text) = texts
        .iter()
        .find(|(k, _)| k == keyword)
        .unwrap_or_else(|| panic!("no {keyword} chunk"));
    serde_json::from_slice(&B64.decode(text).unwrap()).unwrap()
}

#[tokio::test]
async fn a_v2_png_card_round_trips() {
    let app = spawn_app().await;
    let original = v2_card(&v2_data());
    let (pixels, png) = png_with(&[("chara", B64.encode(original.to_string()))]);

    let (status, character) = app.import_card(&app.api_key, png, None).await;
    assert_eq!(status, 201, "{character}");
    assert_eq!(character["label"], "aria-moon");
    assert_eq!(character["name"], "Aria Moon");
    assert_eq!(character["first_message"], "Oh! A visitor, {{user}}?");
    assert_eq!(character["message_example"], v2_data()["mes_example"]);
    assert_eq!(character["tags"], json!(["space", "science"]));
    assert_eq!(character["extensions"], v2_data()["extensions"]);
    let id = character["id"].as_i64().unwrap();

    // PNG out: the same image, the V2 card in `chara` equal to the one imported, V3 in `ccv3`.
    let (status, content_type, body) = app.export_card(id, "png").await;
    assert_eq!((status, content_type.as_str()), (200, "image/png"));
    let (exported_pixels, texts) = read_png(&body);
    assert_eq!(exported_pixels, pixels, "the image survives the round trip");
    assert_eq!(chunk_card(&texts, "chara"), original);
    let v3 = chunk_card(&texts, "ccv3");
    assert_eq!(v3["spec"], "chara_card_v3");
    assert_eq!(v3["data"]["character_book"], v2_data()["character_book"]);

    // JSON out, and the same card over GraphQL.
    let (status, content_type, body) = app.export_card(id, "v2").await;
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), original);
    let data = app
        .data(
            "query($id: Int!) { character(id: $id) { card(format: V2) } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data["character"]["card"], original);

    // The export imports again as an equal character (under a new label).
    let (status, again) = app.import_card(&app.api_key, body, None).await;
    assert_eq!(status, 201);
    assert_eq!(again["label"], "aria-moon-2");
    for field in ["name", "description", "first_message", "tags", "extensions"] {
        assert_eq!(again[field], character[field], "{field}");
    }
}

#[tokio::test]
async fn a_v3_json_card_round_trips_through_graphql_upload() {
    let app = spawn_app().await;
    let original = v3_card();
    let (status, answer) = app
        .graphql_upload(
            &app.api_key,
            "mutation($file: Upload!, $label: String) { importCharacterCard(file: $file, label: $label) { id label name alternateGreetings } }",
            json!({ "label": "vega" }),
            original.to_string().into_bytes(),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let character = &answer["data"]["importCharacterCard"];
    assert_eq!(character["label"], "vega", "{answer}");
    assert_eq!(
        character["alternateGreetings"],
        json!(["Welcome back.", "The stars are out."])
    );
    let id = character["id"].as_i64().unwrap();

    let (status, _, body) = app.export_card(id, "v3").await;
    assert_eq!(status, 200);
    let mut exported: Value = serde_json::from_slice(&body).unwrap();
    // The one field that says when Parley last changed the character.
    let modified = exported["data"]
        .as_object_mut()
        .unwrap()
        .remove("modification_date")
        .unwrap();
    assert!(modified.as_i64().unwrap() > 1_700_000_500);
    let mut expected = original.clone();
    expected["data"]
        .as_object_mut()
        .unwrap()
        .remove("modification_date");
    assert_eq!(exported, expected);

    // As V2, the V3-only fields are left out; the lorebook stays.
    let (_, _, body) = app.export_card(id, "v2").await;
    let v2: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v2["spec"], "chara_card_v2");
    assert!(v2["data"].get("nickname").is_none());
    assert_eq!(
        v2["data"]["character_book"],
        original["data"]["character_book"]
    );

    // A character made through the API exports too, in a plain image.
    let made = app
        .data(
            "mutation { createCharacter(input: {label: \"plain\", name: \"Plain\"}) { id } }",
            json!({}),
        )
        .await["createCharacter"]["id"]
        .as_i64()
        .unwrap();
    let (status, _, body) = app.export_card(made, "png").await;
    assert_eq!(status, 200);
    let (_, texts) = read_png(&body);
    assert_eq!(chunk_card(&texts, "chara")["data"]["name"], "Plain");
}

#[tokio::test]
async fn a_v1_card_imports_and_bad_requests_are_400s() {
    let app = spawn_app().await;
    let v1 = json!({"name": "Old Timer", "description": "d", "first_mes": "Howdy", "chat": "x"});
    let (status, character) = app
        .import_card(&app.api_key, v1.to_string().into_bytes(), Some("old"))
        .await;
    assert_eq!(status, 201, "{character}");
    assert_eq!(
        (&character["label"], &character["first_message"]),
        (&json!("old"), &json!("Howdy"))
    );
    let id = character["id"].as_i64().unwrap();

    // The same label again, a PNG without a card, a card with a wrongly typed field.
    let (status, body) = app
        .import_card(&app.api_key, v1.to_string().into_bytes(), Some("old"))
        .await;
    assert_eq!((status, error_code_a(&body)), (400, "VALIDATION_ERROR"));
    let (_, bare) = png_with(&[("Comment", "just a picture".into())]);
    let (status, body) = app.import_card(&app.api_key, bare, None).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["details"]["file"]
            .as_str()
            .unwrap()
            .contains("no character card"),
        "{body}"
    );
    let mut bad = v2_data();
    bad["tags"] = json!("space");
    let (status, body) = app
        .import_card(&app.api_key, v2_card(&bad).to_string().into_bytes(), None)
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("data.tags")
    );

    // Not multipart; multipart without a file; an unknown export format; someone's missing id.
    let (status, body) = app
        .rest("POST", "/api/v1/characters/import", Some(v1.clone()))
        .await;
    assert_eq!((status, error_code_a(&body)), (400, "VALIDATION_ERROR"));
    let response = app
        .client
        .post(format!("{}/api/v1/characters/import", app.address))
        .header("X-API-KEY", &app.api_key)
        .multipart(reqwest::multipart::Form::new().text("label", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code_a(&body), "VALIDATION_ERROR", "{body}");
    assert!(body["error"]["details"]["file"].is_string(), "{body}");
    let (status, _, body) = app.export_card(id, "bmp").await;
    assert_eq!(status, 400);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error_code_a(&body), "VALIDATION_ERROR", "{body}");
    assert!(body["error"]["details"]["format"].is_string(), "{body}");
    let (status, _, body) = app.export_card(999_999, "v2").await;
    assert_eq!(status, 404);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error_code_a(&body), "RESOURCE_NOT_FOUND", "{body}");

    // GraphQL: the same refusal in GraphQL's shape.
    let (status, answer) = app
        .graphql_upload(
            &app.api_key,
            "mutation($file: Upload!) { importCharacterCard(file: $file) { id } }",
            json!({}),
            b"not a card".to_vec(),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(error_code(&answer), "BAD_USER_INPUT");
}

fn error_code_a(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn uploads_have_their_own_body_limit() {
    let app = spawn_app_with(|config| {
        config.limits.max_body_bytes = 64 * 1024;
        config.limits.max_upload_bytes = 512 * 1024;
    })
    .await;
    // A card larger than the JSON limit but within the upload limit imports...
    let mut data = v2_data();
    data["description"] = json!("x".repeat(200 * 1024));
    let (status, body) = app
        .import_card(&app.api_key, v2_card(&data).to_string().into_bytes(), None)
        .await;
    assert_eq!(status, 201, "{body}");
    // ... one past the upload limit is 413.
    data["description"] = json!("x".repeat(600 * 1024));
    let (status, _) = app
        .import_card(&app.api_key, v2_card(&data).to_string().into_bytes(), None)
        .await;
    assert_eq!(status, 413);
}

/// Malformed cards, generated: truncated, bit-flipped and spliced PNGs and JSON, wrong types in
/// every field, chunks that are not base64 or not JSON, an image too large to decode. Each must
/// answer 201 or 400, never a 5xx; the server answers normally afterwards.
#[tokio::test]
async fn fuzzed_and_truncated_cards_never_fail_the_server() {
    // A thousand uploads in a few seconds: past the default per-principal rate limit.
    let app = spawn_app_with(|config| {
        config.limits.rate_per_second = 100_000;
        config.limits.rate_burst = 100_000;
    })
    .await;
    let mut rng = StdRng::seed_from_u64(0x5eed_ca4d);
    let json_card = v2_card(&v2_data()).to_string().into_bytes();
    let (_, png_card) = png_with(&[("chara", B64.encode(&json_card))]);
    let mut cases: Vec<Vec<u8>> = Vec::new();

    // Truncations at spread-out offsets.
    for source in [&png_card, &json_card] {
        for i in 0..150 {
            cases.push(source[..source.len() * i / 150].to_vec());
        }
    }
    // Random byte flips, insertions and deletions.
    for source in [&png_card, &json_card] {
        for _ in 0..250 {
            let mut bytes = source.clone();
            for _ in 0..rng.random_range(1..8) {
                let at = rng.random_range(0..bytes.len());
                match rng.random_range(0..3) {
                    0 => bytes[at] ^= 1 << rng.random_range(0..8),
                    1 => bytes.insert(at, rng.random()),
                    _ => {
                        bytes.remove(at);
                    }
                }
            }
            cases.push(bytes);
        }
    }
    // Every field given every wrong type, as JSON and inside a PNG.
    let wrong = [
        json!(1),
        json!(null),
        json!([1, 2]),
        json!({"a": 1}),
        json!(true),
        json!(""),
    ];
    for field in v2_data().as_object().unwrap().keys() {
        for value in &wrong {
            let mut data = v2_data();
            data[field] = value.clone();
            let card = v2_card(&data).to_string();
            cases.push(card.clone().into_bytes());
            cases.push(png_with(&[("chara", B64.encode(&card))]).1);
        }
    }
    // Chunks that are not base64, not UTF-8, not JSON, not a card; specs that are not cards.
    for text in [
        "%%%",
        "AAAA",
        &B64.encode([0xff, 0xfe, 0x00]),
        &B64.encode("[1,2]"),
        &B64.encode("{}"),
    ] {
        cases.push(png_with(&[("chara", text.to_string())]).1);
        cases.push(png_with(&[("ccv3", text.to_string())]).1);
    }
    for spec in [json!("chara_card_v9"), json!(3), json!(null)] {
        cases.push(
            json!({"spec": spec, "data": v2_data()})
                .to_string()
                .into_bytes(),
        );
    }
    cases.push(
        json!({"spec": "chara_card_v2", "data": "x"})
            .to_string()
            .into_bytes(),
    );
    cases.push(b"[]".to_vec());
    cases.push(Vec::new());
    // Deep nesting, and an image header claiming 60000 x 60000 pixels.
    cases.push(format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes());
    let mut huge = png_card.clone();
    huge[16..24].copy_from_slice(&[0, 0, 0xea, 0x60, 0, 0, 0xea, 0x60]);
    let crc = crc32fast::hash(&huge[12..29]);
    huge[29..33].copy_from_slice(&crc.to_be_bytes());
    cases.push(huge);
    // Random bytes behind a PNG signature.
    for _ in 0..50 {
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.extend((0..rng.random_range(0..400)).map(|_| rng.random::<u8>()));
        cases.push(bytes);
    }
    assert!(cases.len() >= 1000, "only {} cases", cases.len());

    let total = cases.len();
    let outcomes: Vec<u16> = futures::stream::iter(cases)
        .map(|bytes| async { app.import_card(&app.api_key, bytes, None).await.0 })
        .buffer_unordered(8)
        .collect()
        .await;
    let imported = outcomes.iter().filter(|s| **s == 201).count();
    let refused = outcomes.iter().filter(|s| **s == 400).count();
    assert_eq!(imported + refused, total, "statuses: {outcomes:?}");
    assert!(
        refused > total / 2,
        "most of the cases are broken: {refused}/{total}"
    );

    // The same cards through GraphQL, a sample of them.
    let (status, answer) = app
        .graphql_upload(
            &app.api_key,
            "mutation($file: Upload!) { importCharacterCard(file: $file) { id } }",
            json!({}),
            png_card[..png_card.len() / 2].to_vec(),
        )
        .await;
    assert_eq!((status, error_code(&answer)), (200, "BAD_USER_INPUT"));

    // Still serving, and everything imported exports.
    let characters = app
        .data(
            "{ characters(first: 100) { totalCount nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        characters["characters"]["totalCount"].as_i64().unwrap() as usize,
        imported
    );
    for node in characters["characters"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .take(20)
    {
        let (status, _, _) = app.export_card(node["id"].as_i64().unwrap(), "png").await;
        assert_eq!(status, 200);
    }
}

/// A PNG of `png_with`'s image carrying `chunks` written by the png crate: `(kind, keyword,
/// text)`, kind `zTXt`, `iTXt` (compressed) or `tEXt`.
fn png_with_chunks(chunks: &[(&str, &str, String)]) -> Vec<u8> {
    use png::text_metadata::{ITXtChunk, TEXtChunk, ZTXtChunk};
    let (pixels, _) = png_with(&[]);
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, 16, 24);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&pixels).unwrap();
        for (kind, keyword, text) in chunks {
            match *kind {
                "zTXt" => writer.write_text_chunk(&ZTXtChunk::new(*keyword, text.clone())),
                "iTXt" => {
                    let mut chunk = ITXtChunk::new(*keyword, text.clone());
                    chunk.compressed = true;
                    writer.write_text_chunk(&chunk)
                }
                _ => writer.write_text_chunk(&TEXtChunk::new(*keyword, text.clone())),
            }
            .unwrap();
        }
        writer.finish().unwrap();
    }
    out
}

/// Cards come in `zTXt` and compressed `iTXt` chunks as well as `tEXt`, and when a PNG carries
/// both a V2 (`chara`) and a V3 (`ccv3`) card, the V3 one is read, whatever their order.
#[tokio::test]
async fn compressed_chunks_are_read_and_ccv3_wins_over_chara() {
    let app = spawn_app().await;
    let encoded = |card: &Value| B64.encode(card.to_string());
    let named = |name: &str| {
        let mut data = v2_data();
        data["name"] = json!(name);
        encoded(&v2_card(&data))
    };
    let (zed, ivy, old) = (named("Zed"), named("Ivy"), named("Old"));
    let newer = encoded(&v3_card());
    let cases = [
        (vec![("zTXt", "chara", zed)], "Zed"),
        (vec![("iTXt", "chara", ivy)], "Ivy"),
        (
            vec![
                ("tEXt", "chara", old.clone()),
                ("zTXt", "ccv3", newer.clone()),
            ],
            "Vega",
        ),
        (
            vec![("iTXt", "ccv3", newer), ("tEXt", "chara", old)],
            "Vega",
        ),
    ];
    for (i, (chunks, name)) in cases.into_iter().enumerate() {
        let png = png_with_chunks(&chunks);
        let (status, created) = app
            .import_card(&app.api_key, png, Some(&format!("card-{i}")))
            .await;
        assert_eq!(status, 201, "case {i}: {created}");
        assert_eq!(created["name"], name, "case {i}");
    }
}
