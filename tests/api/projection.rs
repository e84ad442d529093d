//! A list decodes the columns its selection reads, not whole rows (`graphql::projection`): each
//! field of a list's row answers as the whole row answers it, and a row read for some fields
//! never answers another field through a DataLoader's cache.

use sea_orm::{ConnectionTrait, DatabaseBackend};
use serde_json::{Value, json};

use crate::helpers::{TestApp, add_message, spawn_app_with, unreachable_provider};

/// One of each row, every field set to something other than its type's default (a field that
/// answered a column's default would not pass for the stored value): a session with all four
/// relations and two messages. Returns the ids of the character, profile, model, prompt,
/// session and the assistant's message.
async fn seed(app: &TestApp) -> [i64; 6] {
    let data = app
        .data(
            r#"mutation {
                character: createCharacter(input: {label: "holmes", name: "Sherlock Holmes",
                    avatarImage: "sherlock.jpg", description: "A detective.",
                    personality: "Observant.", scenario: "Baker Street.",
                    firstMessage: "Hello, {{user}}.", alternateGreetings: ["Good evening."],
                    messageExample: "<START>", creatorNotes: "Notes.", systemPrompt: "Deduce.",
                    postHistoryInstructions: "Stay terse.", tags: ["detective", "london"],
                    creator: "Doyle", characterVersion: "2", extensions: {depth: 4}}) { id }
                profile: createUserProfile(input: {label: "watson", name: "Dr Watson",
                    avatarImage: "watson.png", description: "A doctor."}) { id }
                model: createAiModel(input: {label: "local", description: "a model",
                    provider: "local", modelName: "gpt-test", temperature: 0.25,
                    maxTokens: 512}) { id }
                prompt: createSystemPrompt(input: {label: "stay", content: "Stay in character."}) { id }
            }"#,
            json!({}),
        )
        .await;
    let id = |key: &str| data[key]["id"].as_i64().unwrap();
    let (character, profile, model, prompt) =
        (id("character"), id("profile"), id("model"), id("prompt"));
    let session = app
        .data(
            "mutation($c: Int!, $p: Int!, $m: Int!, $s: Int!) {
                createChatSession(input: {characterId: $c, userProfileId: $p, aiModelId: $m,
                    systemPromptId: $s, title: \"A study\", prePrompt: \"Be brief.\",
                    prePromptEnabled: true, postPrompt: \"Be kind.\", postPromptEnabled: true,
                    rating: 4}) { id }
            }",
            json!({"c": character, "p": profile, "m": model, "s": prompt}),
        )
        .await["createChatSession"]["id"]
        .as_i64()
        .unwrap();
    add_message(app, session, "The game is afoot.").await;
    let message = app
        .data(
            "mutation($s: Int!) { createMessage(input: {chatSessionId: $s, role: ASSISTANT,
                content: \"Elementary.\"}) { id } }",
            json!({ "s": session }),
        )
        .await["createMessage"]["id"]
        .as_i64()
        .unwrap();
    // Edited, so that its version and update time differ from its creation's.
    app.data(
        "mutation($id: Int!) { updateMessage(id: $id, input: {content: \"Elementary, my dear.\"}) { id } }",
        json!({ "id": message }),
    )
    .await;
    [character, profile, model, prompt, session, message]
}

/// An app with the provider that [`seed`]'s model names (never reached), and room in its rate
/// limit for the test's two queries a field.
async fn spawn() -> TestApp {
    spawn_app_with(|config| {
        config.providers = vec![unreachable_provider("local")];
        config.limits.rate_burst = 1_000;
    })
    .await
}

/// The fields of object type `name` that a selection can ask for without arguments, each with
/// the sub-selection its type needs (none for a scalar).
async fn fields_of(app: &TestApp, name: &str) -> Vec<String> {
    let data = app
        .data(
            "query($name: String!) { __type(name: $name) { fields {
                name
                args { type { kind } }
                type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
            } } }",
            json!({ "name": name }),
        )
        .await;
    let mut fields = Vec::new();
    for field in data["__type"]["fields"]
        .as_array()
        .expect("the type exists")
    {
        let required = field["args"]
            .as_array()
            .unwrap()
            .iter()
            .any(|arg| arg["type"]["kind"] == "NON_NULL");
        if required {
            continue;
        }
        let mut ty = &field["type"];
        while ty["name"].is_null() {
            ty = &ty["ofType"];
        }
        let type_name = ty["name"].as_str().unwrap();
        let selection = match ty["kind"].as_str().unwrap() {
            "OBJECT" if type_name.ends_with("Connection") => " { totalCount nodes { id } }",
            "OBJECT" if type_name.starts_with("Prompt") => " { characterName }",
            "OBJECT" => " { id }",
            _ => "",
        };
        fields.push(format!("{}{selection}", field["name"].as_str().unwrap()));
    }
    assert!(fields.len() > 3, "{name} has fields: {fields:?}");
    fields
}

/// The node of `nodes` with id `id`.
fn node_with_id(nodes: &Value, id: i64) -> &Value {
    nodes
        .as_array()
        .unwrap()
        .iter()
        .find(|node| node["id"] == id)
        .unwrap_or_else(|| panic!("no node {id} in {nodes}"))
}

/// Every field, asked for alone (with the id) in a list's rows, answers what the same field of
/// the whole row answers (the single-row query reads the whole row): a field that read a column
/// its projection left out would answer that column's default instead.
#[tokio::test]
async fn each_field_of_a_list_row_answers_as_the_whole_row_does() {
    let app = spawn().await;
    let [character, profile, model, prompt, session, message] = seed(&app).await;
    // (type, the list, where its rows are, where a row's object is, the single-row query, the
    // id) for each list type, and the four relations as a session list's rows show them
    // (prefetched).
    let cases = [
        (
            "Character",
            "characters(first: 10) { nodes",
            "/list/nodes",
            "",
            "character",
            character,
        ),
        (
            "UserProfile",
            "userProfiles(first: 10) { nodes",
            "/list/nodes",
            "",
            "userProfile",
            profile,
        ),
        (
            "AiModel",
            "aiModels(first: 10) { nodes",
            "/list/nodes",
            "",
            "aiModel",
            model,
        ),
        (
            "SystemPrompt",
            "systemPrompts(first: 10) { nodes",
            "/list/nodes",
            "",
            "systemPrompt",
            prompt,
        ),
        (
            "ChatSession",
            "chatSessions(first: 10) { nodes",
            "/list/nodes",
            "",
            "chatSession",
            session,
        ),
        (
            "Message",
            "messages(chatSessionId: $s) { nodes",
            "/list/nodes",
            "",
            "message",
            message,
        ),
        (
            "Character",
            "chatSessions { nodes { character",
            "/list/nodes",
            "/character",
            "character",
            character,
        ),
        (
            "UserProfile",
            "chatSessions { nodes { userProfile",
            "/list/nodes",
            "/userProfile",
            "userProfile",
            profile,
        ),
        (
            "AiModel",
            "chatSessions { edges { node { aiModel",
            "/list/edges",
            "/node/aiModel",
            "aiModel",
            model,
        ),
        (
            "SystemPrompt",
            "chatSessions { nodes { systemPrompt",
            "/list/nodes",
            "/systemPrompt",
            "systemPrompt",
            prompt,
        ),
    ];
    let mut compared = 0;
    for (type_name, list, rows, object, one, id) in cases {
        for field in fields_of(&app, type_name).await {
            let closing = "}".repeat(list.matches('{').count());
            let session_variable = if list.contains("$s") {
                ", $s: Int!"
            } else {
                ""
            };
            let query = format!(
                "query($id: Int!{session_variable}) {{ list: {list} {{ id {field} }} {closing}
                   one: {one}(id: $id) {{ id {field} }} }}"
            );
            let data = app.data(&query, json!({"id": id, "s": session})).await;
            let objects: Vec<Value> = data
                .pointer(rows)
                .and_then(Value::as_array)
                .unwrap_or_else(|| panic!("{query}: {data}"))
                .iter()
                .map(|row| row.pointer(object).cloned().unwrap_or(Value::Null))
                .collect();
            let row = node_with_id(&Value::Array(objects), id).clone();
            assert_eq!(row, data["one"], "{type_name}.{field} in `{list}`");
            compared += 1;
        }
    }
    assert!(compared > 60, "compared {compared} fields");
}

/// A row read for a few fields never reaches a field that reads another column through a
/// loader's cache: the session list reads its characters' names only, and the same request's
/// messages ask the same character for its first message, through the character loader.
#[tokio::test]
async fn a_narrow_row_never_answers_a_wider_selection_of_the_same_request() {
    let app = spawn().await;
    let [character, .., session, _] = seed(&app).await;
    let query = "query($s: Int!) {
        chatSessions(first: 10) { nodes { character { id name } } }
        messages(chatSessionId: $s) { nodes { chatSession { character { id firstMessage tags } } } }
    }";
    let data = app.data(query, json!({ "s": session })).await;
    assert_eq!(
        data["chatSessions"]["nodes"][0]["character"],
        json!({"id": character, "name": "Sherlock Holmes"})
    );
    for node in data["messages"]["nodes"].as_array().unwrap() {
        assert_eq!(
            node["chatSession"]["character"],
            json!({"id": character, "firstMessage": "Hello, {{user}}.", "tags": ["detective", "london"]})
        );
    }
}

/// SQLite holds any text in any column: a value it cannot decode fails a read of its column, and
/// not a list whose selection never reads that column. Each table's list answers with the bad
/// column left out, and fails when the column is asked for in any way (a fragment, an alias, the
/// edges, a field that reads the whole row). PostgreSQL refuses such values, so there the test
/// above is the whole check.
#[tokio::test]
async fn a_list_decodes_only_the_columns_its_selection_reads() {
    let app = spawn().await;
    if app.db.get_database_backend() != DatabaseBackend::Sqlite {
        return;
    }
    let [character, profile, model, prompt, session, message] = seed(&app).await;
    // (table, id, the column spoiled, a list that does not read it, lists that do)
    let cases: [(&str, i64, &str, &str, &[&str]); 6] = [
        (
            "character",
            character,
            "extensions",
            "{ chatSessions { nodes { character { __typename id label name avatarImage firstMessage tags } } } }",
            &[
                "{ chatSessions { nodes { character { name ...Card } } } } fragment Card on Character { extensions }",
                "{ chatSessions { nodes { character { name } c: character { e: extensions } } } }",
                "{ chatSessions { nodes { character { name } } edges { node { character { ... on Character { extensions } } } } } }",
                "{ chatSessions { nodes { character { card(format: V2) } } } }",
                "{ characters { nodes { name extensions } } }",
            ],
        ),
        (
            "chat_session",
            session,
            "start_time",
            "{ chatSessions { edges { cursor node { id uuid title rating updatedAt messageCount character { name } } } } }",
            &[
                "{ chatSessions { nodes { id startTime } } }",
                "{ chatSessions(orderBy: {field: START_TIME}) { nodes { id } } }",
                "{ chatSessions { nodes { id context { characterName } } } }",
            ],
        ),
        (
            "user_profile",
            profile,
            "created_at",
            "{ chatSessions { nodes { userProfile { id name } } } userProfiles { nodes { label description } } }",
            &[
                "{ chatSessions { nodes { userProfile { id createdAt } } } }",
                "{ userProfiles { nodes { label createdAt } } }",
            ],
        ),
        (
            "ai_model",
            model,
            "temperature",
            "{ chatSessions { nodes { aiModel { id label } } } aiModels { nodes { label provider } } }",
            &[
                "{ chatSessions { nodes { aiModel { id temperature } } } }",
                "{ aiModels { nodes { temperature } } }",
            ],
        ),
        (
            "system_prompt",
            prompt,
            "updated_at",
            "{ chatSessions { nodes { systemPrompt { id label content } } } }",
            &["{ chatSessions { nodes { systemPrompt { ...on SystemPrompt { updatedAt } } } } }"],
        ),
        (
            "message",
            message,
            "updated_at",
            "query($s: Int!) { messages(chatSessionId: $s) { nodes { id role sender content createdAt } } }",
            &["query($s: Int!) { messages(chatSessionId: $s) { nodes { id updatedAt } } }"],
        ),
    ];
    for (table, id, column, narrow, wide) in cases {
        let spoiled = format!("UPDATE {table} SET {column} = 'not a value' WHERE id = {id}");
        app.db.execute_unprepared(&spoiled).await.unwrap();
        let variables = json!({ "s": session });
        let body = app.graphql(narrow, variables.clone()).await;
        assert!(
            body["errors"].is_null(),
            "{narrow} read {table}.{column}: {body}"
        );
        for query in wide {
            let body = app.graphql(query, variables.clone()).await;
            assert!(
                body["errors"].is_array(),
                "{query} did not read {table}.{column}: {body}"
            );
        }
        let mended = match column {
            "extensions" => "'{}'".to_owned(),
            "temperature" => "NULL".to_owned(),
            _ => "'2026-01-01T00:00:00Z'".to_owned(),
        };
        let mend = format!("UPDATE {table} SET {column} = {mended} WHERE id = {id}");
        app.db.execute_unprepared(&mend).await.unwrap();
    }
}
