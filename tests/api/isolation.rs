//! Two owners: neither sees, counts, updates nor deletes the other's rows; another owner's row
//! answers exactly like a missing one (NOT_FOUND).

use chrono::Utc;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};

use crate::helpers::{error_code, seed_references, spawn_app};

/// Everything of A's, as A sees it.
const EVERYTHING: &str = "{
    characters { totalCount nodes { id label name description updatedAt } }
    userProfiles { totalCount nodes { id label name updatedAt } }
    aiModels { totalCount nodes { id label description updatedAt } }
    systemPrompts { totalCount nodes { id label content updatedAt } }
    chatSessions { totalCount nodes { id uuid title version updatedAt messageCount
        messages { totalCount nodes { id content version } } } }
}";

#[tokio::test]
async fn owners_cannot_see_or_touch_each_others_rows() {
    let app = spawn_app().await;
    let (character, profile, model, prompt) = seed_references(&app, "a").await;
    let session = app
        .data(
            "mutation($c: Int!, $p: Int!) { createChatSession(input: {characterId: $c, userProfileId: $p}) { id uuid } }",
            json!({ "c": character, "p": profile }),
        )
        .await["createChatSession"]
        .clone();
    let (session_id, session_uuid) = (session["id"].as_i64().unwrap(), session["uuid"].clone());
    let message = app
        .data(
            "mutation($id: Int!) { createMessage(input: {chatSessionId: $id, content: \"secret\"}) { id } }",
            json!({ "id": session_id }),
        )
        .await["createMessage"]["id"]
        .as_i64()
        .unwrap();
    let before = app.data(EVERYTHING, json!({})).await;

    // Owner B, created directly in the database, with a key of its own.
    let owner_b = entity::account::ActiveModel {
        username: Set("owner-b".into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let key_b = parley::auth::generate_api_key();
    parley::auth::store_api_key(&app.db, owner_b.id, "test", &key_b)
        .await
        .unwrap();
    let as_b = |query: &'static str, variables: Value| {
        let (app, key_b) = (&app, key_b.clone());
        async move {
            let (status, body) = app.graphql_with_key(Some(&key_b), query, variables).await;
            assert_eq!(status, 200, "{body}");
            body
        }
    };

    let by_id: Vec<(&str, Value)> = vec![
        (
            "query($id: Int!) { character(id: $id) { id } }",
            json!({ "id": character }),
        ),
        (
            "query($id: Int!) { userProfile(id: $id) { id } }",
            json!({ "id": profile }),
        ),
        (
            "query($id: Int!) { aiModel(id: $id) { id } }",
            json!({ "id": model }),
        ),
        (
            "query($id: Int!) { systemPrompt(id: $id) { id } }",
            json!({ "id": prompt }),
        ),
        (
            "query($id: Int!) { chatSession(id: $id) { id } }",
            json!({ "id": session_id }),
        ),
        (
            "query($u: UUID!) { chatSession(uuid: $u) { id } }",
            json!({ "u": session_uuid }),
        ),
        (
            "query($id: Int!) { message(id: $id) { id } }",
            json!({ "id": message }),
        ),
        (
            "query($id: Int!) { messages(chatSessionId: $id) { totalCount } }",
            json!({ "id": session_id }),
        ),
        (
            "mutation($id: Int!) { updateCharacter(id: $id, input: {name: \"x\"}) { id } }",
            json!({ "id": character }),
        ),
        (
            "mutation($id: Int!) { updateUserProfile(id: $id, input: {name: \"x\"}) { id } }",
            json!({ "id": profile }),
        ),
        (
            "mutation($id: Int!) { updateAiModel(id: $id, input: {description: \"x\"}) { id } }",
            json!({ "id": model }),
        ),
        (
            "mutation($id: Int!) { updateSystemPrompt(id: $id, input: {content: \"x\"}) { id } }",
            json!({ "id": prompt }),
        ),
        (
            "mutation($id: Int!) { updateChatSession(id: $id, input: {title: \"x\"}) { id } }",
            json!({ "id": session_id }),
        ),
        (
            "mutation($id: Int!) { updateMessage(id: $id, input: {content: \"x\"}) { id } }",
            json!({ "id": message }),
        ),
        (
            "mutation($id: Int!) { createMessage(input: {chatSessionId: $id, content: \"x\"}) { id } }",
            json!({ "id": session_id }),
        ),
        (
            "mutation($c: Int!) { createChatSession(input: {characterId: $c}) { id } }",
            json!({ "c": character }),
        ),
        (
            "mutation($id: Int!) { deleteMessage(id: $id) }",
            json!({ "id": message }),
        ),
        (
            "mutation($id: Int!) { deleteChatSession(id: $id) }",
            json!({ "id": session_id }),
        ),
        (
            "mutation($id: Int!) { deleteCharacter(id: $id, cascade: true) }",
            json!({ "id": character }),
        ),
        (
            "mutation($id: Int!) { deleteUserProfile(id: $id) }",
            json!({ "id": profile }),
        ),
        (
            "mutation($id: Int!) { deleteAiModel(id: $id) }",
            json!({ "id": model }),
        ),
        (
            "mutation($id: Int!) { deleteSystemPrompt(id: $id) }",
            json!({ "id": prompt }),
        ),
    ];
    for (operation, variables) in by_id {
        let body = as_b(operation, variables).await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{operation}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.ends_with("not found"), "{message}");
    }

    // B's own session may not point at A's profile either.
    let (b_character, ..) = {
        let body = as_b(
            "mutation { createCharacter(input: {label: \"character-a\", name: \"B's\"}) { id } }",
            json!({}),
        )
        .await;
        assert!(
            body.get("errors").is_none(),
            "labels are unique per owner only: {body}"
        );
        (body["data"]["createCharacter"]["id"].as_i64().unwrap(),)
    };
    let body = as_b(
        "mutation($c: Int!, $p: Int!) { createChatSession(input: {characterId: $c, userProfileId: $p}) { id } }",
        json!({ "c": b_character, "p": profile }),
    )
    .await;
    assert_eq!(error_code(&body), "NOT_FOUND");

    // B's lists and counts hold nothing of A's.
    let lists = as_b(EVERYTHING, json!({})).await;
    assert_eq!(
        lists["data"]["characters"]["totalCount"], 1,
        "only B's own character"
    );
    assert_eq!(lists["data"]["characters"]["nodes"][0]["id"], b_character);
    for list in ["userProfiles", "aiModels", "systemPrompts", "chatSessions"] {
        assert_eq!(lists["data"][list]["totalCount"], 0, "{list}: {lists}");
        assert_eq!(lists["data"][list]["nodes"], json!([]), "{list}");
    }
    let search = as_b("{ searchMessages(query: \"secret\") { id } }", json!({})).await;
    assert_eq!(search["data"]["searchMessages"], json!([]));
    let filtered = as_b(
        "query($c: Int!) { chatSessions(filter: {characterId: $c}) { totalCount } }",
        json!({ "c": character }),
    )
    .await;
    assert_eq!(filtered["data"]["chatSessions"]["totalCount"], 0);

    // A's rows are exactly as they were.
    let after = app.data(EVERYTHING, json!({})).await;
    assert_eq!(before, after);
}
