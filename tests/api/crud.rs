//! Create, read, update (partial) and delete every entity through GraphQL.

use serde_json::json;

use crate::helpers::{
    create_session, error_code, seed_references, spawn_app, spawn_app_with, unreachable_provider,
};

#[tokio::test]
async fn character_round_trip() {
    let app = spawn_app().await;
    let created = app
        .data(
            r#"mutation { createCharacter(input: {
                label: "hal", name: "HAL 9000", avatarImage: "hal.jpg", description: "A computer",
                personality: "calm", scenario: "a ship", firstMessage: "Good morning, {{user}}.",
                alternateGreetings: ["Hello, Dave."], messageExample: "<START>", creatorNotes: "n",
                systemPrompt: "sp", postHistoryInstructions: "phi", tags: ["ai", "space"],
                creator: "Kubrick", characterVersion: "1.0", extensions: {depth: 4}
            }) { id label name tags alternateGreetings extensions createdAt } }"#,
            json!({}),
        )
        .await;
    let character = &created["createCharacter"];
    let id = character["id"].as_i64().unwrap();
    assert_eq!(character["tags"], json!(["ai", "space"]));
    assert_eq!(character["alternateGreetings"], json!(["Hello, Dave."]));
    assert_eq!(character["extensions"], json!({"depth": 4}));

    let fetched = app
        .data(
            "query($id: Int!) { character(id: $id) { name description creator firstMessage } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(fetched["character"]["name"], "HAL 9000");
    assert_eq!(
        fetched["character"]["firstMessage"],
        "Good morning, {{user}}."
    );

    // A partial update changes what it names, clears what it sets to null, keeps the rest.
    let updated = app
        .data(
            r#"mutation($id: Int!) { updateCharacter(id: $id, input: {name: "HAL", description: null})
                { name description creator label } }"#,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        updated["updateCharacter"],
        json!({"name": "HAL", "description": null, "creator": "Kubrick", "label": "hal"})
    );

    let listed = app
        .data("{ characters { totalCount nodes { id } } }", json!({}))
        .await;
    assert_eq!(listed["characters"]["totalCount"], 1);
    assert_eq!(listed["characters"]["nodes"][0]["id"], id);

    let deleted = app
        .data(
            "mutation($id: Int!) { deleteCharacter(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(deleted["deleteCharacter"], true);
    let gone = app
        .graphql(
            "query($id: Int!) { character(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
}

#[tokio::test]
async fn user_profile_round_trip() {
    let app = spawn_app().await;
    let created = app
        .data(
            r#"mutation { createUserProfile(input: {label: "me", name: "Me", avatarImage: "me.png"})
                { id name avatarImage description } }"#,
            json!({}),
        )
        .await;
    let id = created["createUserProfile"]["id"].as_i64().unwrap();
    let updated = app
        .data(
            r#"mutation($id: Int!) { updateUserProfile(id: $id, input: {description: "a persona"})
                { name avatarImage description } }"#,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        updated["updateUserProfile"],
        json!({"name": "Me", "avatarImage": "me.png", "description": "a persona"})
    );
    let fetched = app
        .data(
            "query($id: Int!) { userProfile(id: $id) { label } userProfiles { totalCount } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(fetched["userProfile"]["label"], "me");
    assert_eq!(fetched["userProfiles"]["totalCount"], 1);
    app.data(
        "mutation($id: Int!) { deleteUserProfile(id: $id) }",
        json!({ "id": id }),
    )
    .await;
    let gone = app
        .graphql(
            "query($id: Int!) { userProfile(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
}

#[tokio::test]
async fn ai_model_round_trip() {
    // Models may only name configured providers; this one is never called.
    let app = spawn_app_with(|config| config.providers = vec![unreachable_provider("local")]).await;
    let created = app
        .data(
            r#"mutation { createAiModel(input: {label: "gpt-4", description: "big",
                modelName: "gpt-4o", temperature: 0.7, maxTokens: 512}) { id temperature maxTokens } }"#,
            json!({}),
        )
        .await;
    let id = created["createAiModel"]["id"].as_i64().unwrap();
    assert_eq!(created["createAiModel"]["temperature"], 0.7);
    let updated = app
        .data(
            r#"mutation($id: Int!) { updateAiModel(id: $id, input: {maxTokens: null, provider: "local"})
                { label modelName maxTokens provider } }"#,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        updated["updateAiModel"],
        json!({"label": "gpt-4", "modelName": "gpt-4o", "maxTokens": null, "provider": "local"})
    );
    // A provider that is not configured is refused when the model is saved, naming the field.
    for mutation in [
        r#"mutation($id: Int!) { updateAiModel(id: $id, input: {provider: "lcoal"}) { id } }"#,
        r#"mutation { createAiModel(input: {label: "typo", provider: "lcoal"}) { id } }"#,
    ] {
        let refused = app.graphql(mutation, json!({ "id": id })).await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
        let message = refused["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("`lcoal`") && message.contains("configured: local"),
            "{message}"
        );
    }
    let fetched = app
        .data(
            "query($id: Int!) { aiModel(id: $id) { description } aiModels { totalCount } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(fetched["aiModel"]["description"], "big");
    assert_eq!(fetched["aiModels"]["totalCount"], 1);
    app.data(
        "mutation($id: Int!) { deleteAiModel(id: $id) }",
        json!({ "id": id }),
    )
    .await;
    let gone = app
        .graphql(
            "query($id: Int!) { aiModel(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
}

#[tokio::test]
async fn system_prompt_round_trip() {
    let app = spawn_app().await;
    let created = app
        .data(
            r#"mutation { createSystemPrompt(input: {label: "basic", content: "Stay in character."}) { id } }"#,
            json!({}),
        )
        .await;
    let id = created["createSystemPrompt"]["id"].as_i64().unwrap();
    let updated = app
        .data(
            r#"mutation($id: Int!) { updateSystemPrompt(id: $id, input: {content: "Be brief."}) { label content } }"#,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        updated["updateSystemPrompt"],
        json!({"label": "basic", "content": "Be brief."})
    );
    let fetched = app
        .data(
            "query($id: Int!) { systemPrompt(id: $id) { content } systemPrompts { totalCount } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(fetched["systemPrompt"]["content"], "Be brief.");
    assert_eq!(fetched["systemPrompts"]["totalCount"], 1);
    app.data(
        "mutation($id: Int!) { deleteSystemPrompt(id: $id) }",
        json!({ "id": id }),
    )
    .await;
    let gone = app
        .graphql(
            "query($id: Int!) { systemPrompt(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
}

#[tokio::test]
async fn chat_session_and_messages_round_trip() {
    let app = spawn_app().await;
    let (character, profile, model, prompt) = seed_references(&app, "a").await;
    let created = app
        .data(
            r#"mutation($c: Int!, $p: Int!, $m: Int!, $s: Int!) { createChatSession(input: {
                characterId: $c, userProfileId: $p, aiModelId: $m, systemPromptId: $s,
                title: "Mentor chat", prePrompt: "Remember you are Sherlock Holmes.",
                prePromptEnabled: true, rating: 4 })
                { id uuid version title prePromptEnabled postPromptEnabled startTime updatedAt
                  character { name } userProfile { name } aiModel { label } systemPrompt { content }
                  messageCount } }"#,
            json!({ "c": character, "p": profile, "m": model, "s": prompt }),
        )
        .await;
    let session = &created["createChatSession"];
    let id = session["id"].as_i64().unwrap();
    let uuid = session["uuid"].as_str().unwrap().to_owned();
    assert_eq!(session["version"], 1);
    assert_eq!(session["character"]["name"], "Sherlock Holmes");
    assert_eq!(session["userProfile"]["name"], "Detective");
    assert_eq!(session["systemPrompt"]["content"], "Stay in character.");
    assert_eq!(session["messageCount"], 0);

    for (role, content) in [
        ("USER", "Hello"),
        ("ASSISTANT", "Elementary."),
        ("USER", "Bye"),
    ] {
        app.data(
            "mutation($id: Int!, $role: MessageRole!, $content: String!) {
                createMessage(input: {chatSessionId: $id, role: $role, content: $content}) { id } }",
            json!({ "id": id, "role": role, "content": content }),
        )
        .await;
    }
    let by_uuid = app
        .data(
            "query($uuid: UUID!) { chatSession(uuid: $uuid) { id messageCount updatedAt
                messages { totalCount nodes { role content version } } } }",
            json!({ "uuid": uuid }),
        )
        .await;
    let fetched = &by_uuid["chatSession"];
    assert_eq!(fetched["id"], id);
    assert_eq!(fetched["messageCount"], 3);
    assert_eq!(
        fetched["messages"]["nodes"][1],
        json!({"role": "ASSISTANT", "content": "Elementary.", "version": 1})
    );
    assert!(
        fetched["updatedAt"].as_str() > session["updatedAt"].as_str(),
        "adding messages moves the session's updatedAt"
    );

    let updated = app
        .data(
            r#"mutation($id: Int!) { updateChatSession(id: $id, input: {aiModelId: null, title: "Renamed",
                postPrompt: "Be ominous.", postPromptEnabled: true}) { version title aiModelId prePrompt postPromptEnabled } }"#,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        updated["updateChatSession"],
        json!({"version": 2, "title": "Renamed", "aiModelId": null,
               "prePrompt": "Remember you are Sherlock Holmes.", "postPromptEnabled": true})
    );

    let first_message = app
        .data(
            "query($id: Int!) { messages(chatSessionId: $id, first: 1) { nodes { id } } }",
            json!({ "id": id }),
        )
        .await["messages"]["nodes"][0]["id"]
        .as_i64()
        .unwrap();
    let edited = app
        .data(
            r#"mutation($id: Int!) { updateMessage(id: $id, input: {content: "Hello there"}) { content role version } }"#,
            json!({ "id": first_message }),
        )
        .await;
    assert_eq!(
        edited["updateMessage"],
        json!({"content": "Hello there", "role": "USER", "version": 2})
    );
    app.data(
        "mutation($id: Int!) { deleteMessage(id: $id) }",
        json!({ "id": first_message }),
    )
    .await;
    let count = app
        .data(
            "query($id: Int!) { chatSession(id: $id) { messageCount } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(count["chatSession"]["messageCount"], 2);

    // Deleting the session deletes its messages.
    let remaining = app
        .data(
            "query($id: Int!) { messages(chatSessionId: $id) { nodes { id } } }",
            json!({ "id": id }),
        )
        .await["messages"]["nodes"][0]["id"]
        .as_i64()
        .unwrap();
    app.data(
        "mutation($id: Int!) { deleteChatSession(id: $id) }",
        json!({ "id": id }),
    )
    .await;
    let gone = app
        .graphql(
            "query($id: Int!) { chatSession(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
    let message_gone = app
        .graphql(
            "query($id: Int!) { message(id: $id) { id } }",
            json!({ "id": remaining }),
        )
        .await;
    assert_eq!(error_code(&message_gone), "NOT_FOUND");
    use sea_orm::{EntityTrait, PaginatorTrait};
    let stored = entity::message::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, 0, "no orphaned messages are left in the database");
}

#[tokio::test]
async fn deleting_a_character_in_use_needs_cascade() {
    let app = spawn_app().await;
    let (character, ..) = seed_references(&app, "a").await;
    let session = create_session(&app, character).await;
    let refused = app
        .graphql(
            "mutation($id: Int!) { deleteCharacter(id: $id) }",
            json!({ "id": character }),
        )
        .await;
    assert_eq!(error_code(&refused), "CONFLICT");
    app.data(
        "query($id: Int!) { chatSession(id: $id) { id } }",
        json!({ "id": session }),
    )
    .await;

    app.data(
        "mutation($id: Int!) { deleteCharacter(id: $id, cascade: true) }",
        json!({ "id": character }),
    )
    .await;
    let gone = app
        .graphql(
            "query($id: Int!) { chatSession(id: $id) { id } }",
            json!({ "id": session }),
        )
        .await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
}
