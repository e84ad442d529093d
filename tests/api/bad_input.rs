//! Bad input gets its specific error code, never a 500 (the helpers fail any 500).

use serde_json::json;

use crate::helpers::{create_session, error_code, seed_references, spawn_app};

#[tokio::test]
async fn each_kind_of_bad_input_has_its_code() {
    let app = spawn_app().await;
    let (character, ..) = seed_references(&app, "a").await;

    let cases = [
        // wrong types, inline and through variables
        (
            "{ character(id: \"abc\") { id } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        (
            "query($id: Int!) { character(id: $id) { id } }",
            json!({ "id": "abc" }),
            "BAD_USER_INPUT",
        ),
        (
            "mutation { createCharacter(input: {label: 5, name: \"x\"}) { id } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        ("{ characters { nope } }", json!({}), "BAD_USER_INPUT"),
        ("{ characters { ", json!({}), "BAD_USER_INPUT"),
        // unknown ids
        (
            "mutation { createChatSession(input: {characterId: 999999}) { id } }",
            json!({}),
            "NOT_FOUND",
        ),
        ("{ chatSession(id: 999999) { id } }", json!({}), "NOT_FOUND"),
        (
            "mutation { createMessage(input: {chatSessionId: 999999, content: \"x\"}) { id } }",
            json!({}),
            "NOT_FOUND",
        ),
        // page sizes and cursors
        (
            "{ characters(first: 1000) { totalCount } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        (
            "{ characters(last: 101) { totalCount } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        (
            "{ characters(first: -1) { totalCount } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        (
            "{ characters(offset: -5) { totalCount } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        (
            "{ characters(first: 1, last: 1) { totalCount } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        (
            "{ characters(after: \"not-a-cursor\") { totalCount } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        ("{ chatSession { id } }", json!({}), "BAD_USER_INPUT"),
        // an id-order cursor ("i:1") handed to a list in updatedAt order
        (
            "{ chatSessions(orderBy: {field: UPDATED_AT}, after: \"aTox\") { totalCount } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        // duplicate labels
        (
            "mutation { createCharacter(input: {label: \"character-a\", name: \"Dup\"}) { id } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        (
            "mutation { createUserProfile(input: {label: \"profile-a\", name: \"Dup\"}) { id } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        (
            "mutation { createAiModel(input: {label: \"model-a\"}) { id } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        (
            "mutation { createSystemPrompt(input: {label: \"prompt-a\", content: \"x\"}) { id } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        // other rules
        (
            "mutation { createCharacter(input: {label: \"  \", name: \"x\"}) { id } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
        (
            "mutation { createAiModel(input: {label: \"hot\", temperature: 9.5}) { id } }",
            json!({}),
            "BAD_USER_INPUT",
        ),
    ];
    for (query, variables, code) in cases {
        let body = app.graphql(query, variables).await;
        assert_eq!(error_code(&body), code, "{query}: {body}");
    }

    // `extensions.field` names the one field at fault, as the README promises: labels, ratings,
    // page sizes, cursors.
    let fields = [
        ("{ characters(first: 101) { totalCount } }", "first"),
        ("{ characters(last: 101) { totalCount } }", "last"),
        (
            "{ characters(after: \"not-a-cursor\") { totalCount } }",
            "after",
        ),
        (
            "{ chatSessions(orderBy: {field: UPDATED_AT}, after: \"aTox\") { totalCount } }",
            "after",
        ),
        (
            "mutation { createCharacter(input: {label: \"character-a\", name: \"Dup\"}) { id } }",
            "label",
        ),
        (
            "mutation { createSystemPrompt(input: {label: \"prompt-a\", content: \"x\"}) { id } }",
            "label",
        ),
        (
            "mutation { createAiModel(input: {label: \"hot\", temperature: 9.5}) { id } }",
            "temperature",
        ),
    ];
    for (query, field) in fields {
        let body = app.graphql(query, json!({})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{query}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"], field,
            "{query}: {body}"
        );
    }
    let body = app
        .graphql(
            "mutation($c: Int!) { createChatSession(input: {characterId: $c, rating: 6}) { id } }",
            json!({ "c": character }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "rating", "{body}");

    let session_rules = [
        json!({ "characterId": character, "prePromptEnabled": true }),
        json!({ "characterId": character, "prePromptEnabled": true, "prePrompt": "   " }),
        json!({ "characterId": character, "postPromptEnabled": true }),
        json!({ "characterId": character, "rating": 0 }),
        json!({ "characterId": character, "rating": 6 }),
    ];
    for input in session_rules {
        let body = app
            .graphql(
                "mutation($input: CreateChatSessionInput!) { createChatSession(input: $input) { id } }",
                json!({ "input": input }),
            )
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}: {body}");
    }

    // An update is checked against the session as it will be: enabling the pre-prompt of a
    // session that has none is refused, and nothing changes.
    let session = create_session(&app, character).await;
    let body = app
        .graphql(
            "mutation($id: Int!) { updateChatSession(id: $id, input: {prePromptEnabled: true}) { id } }",
            json!({ "id": session }),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "pre_prompt");
    let unchanged = app
        .data(
            "query($id: Int!) { chatSession(id: $id) { prePromptEnabled version } }",
            json!({ "id": session }),
        )
        .await;
    assert_eq!(
        unchanged["chatSession"],
        json!({"prePromptEnabled": false, "version": 1})
    );

    // Renaming onto another row's label is refused too.
    let other = app
        .data(
            "mutation { createCharacter(input: {label: \"other\", name: \"O\"}) { id } }",
            json!({}),
        )
        .await["createCharacter"]["id"]
        .as_i64()
        .unwrap();
    let body = app
        .graphql(
            "mutation($id: Int!) { updateCharacter(id: $id, input: {label: \"character-a\"}) { id } }",
            json!({ "id": other }),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

/// A body that is not JSON, or a batch (not supported), is a 400; a JSON body without a usable
/// `query` is a GraphQL request error (BAD_USER_INPUT).
#[tokio::test]
async fn a_body_that_is_not_graphql_is_refused() {
    let app = spawn_app().await;
    for (body, status) in [
        ("{not json", 400),
        ("[{\"query\": \"{ characters { totalCount } }\"}]", 400),
        ("[]", 200),
        ("{\"variables\": {}}", 200),
    ] {
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("X-API-KEY", &app.api_key)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{body}");
        let json: serde_json::Value = response.json().await.unwrap();
        assert_eq!(error_code(&json), "BAD_USER_INPUT", "{body}");
    }
}

/// GraphQL over HTTP: the media type follows Accept, and a request error (unparsable, invalid) is a
/// 400 for `application/graphql-response+json` clients, a 200 for `application/json` ones.
#[tokio::test]
async fn graphql_answers_in_the_media_type_asked_for() {
    let app = crate::helpers::spawn_app().await;
    let post = |accept: Option<&'static str>, query: &'static str| {
        let mut request = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("X-API-KEY", &app.api_key)
            .json(&serde_json::json!({ "query": query }));
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        async move {
            let response = request.send().await.unwrap();
            let content_type = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            (response.status().as_u16(), content_type)
        }
    };
    let graphql_json = Some("application/graphql-response+json, application/json;q=0.9");
    assert_eq!(
        post(graphql_json, "{").await,
        (400, "application/graphql-response+json".into())
    );
    assert_eq!(
        post(graphql_json, "{ noSuchField }").await,
        (400, "application/graphql-response+json".into())
    );
    assert_eq!(
        post(graphql_json, "{ characters { totalCount } }").await,
        (200, "application/graphql-response+json".into())
    );
    assert_eq!(post(None, "{").await, (200, "application/json".into()));
    // Errors before execution: no `data` entry at all (the GraphQL specification's rule).
    for query in ["{", "{ noSuchField }"] {
        let body: serde_json::Value = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("X-API-KEY", &app.api_key)
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            body.get("data").is_none() && body["errors"][0]["message"].is_string(),
            "{body}"
        );
    }
    assert_eq!(
        post(Some("application/json"), "{ noSuchField }").await,
        (200, "application/json".into())
    );
}

/// GraphQL over HTTP's GET: queries run (a browser gets GraphiQL instead), a mutation is refused
/// with 405 before anything is written, and a GET without a query is a request error.
#[tokio::test]
async fn get_runs_queries_and_refuses_mutations() {
    let app = crate::helpers::spawn_app().await;
    let get = |query: &[(&str, &str)], accept: &'static str| {
        let url = url::Url::parse_with_params(&format!("{}/graphql", app.address), query).unwrap();
        app.client
            .get(url)
            .header("X-API-KEY", &app.api_key)
            .header("accept", accept)
            .send()
    };
    let response = get(
        &[
            (
                "query",
                "query($f: Int) { characters(first: $f) { totalCount } }",
            ),
            ("variables", r#"{"f": 5}"#),
        ],
        "application/graphql-response+json",
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, json!({"data": {"characters": {"totalCount": 0}}}));

    let before = app.statements_executed().await;
    let mutation = r#"mutation { createCharacter(input: {label: "x", name: "X"}) { id } }"#;
    let response = get(&[("query", mutation)], "application/json")
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET, POST");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "METHOD_NOT_ALLOWED", "{body}");
    // Two operations, the mutation selected by name: refused too.
    let named = "query Q { characters { totalCount } } mutation M { deleteCharacter(id: 1) }";
    let response = get(
        &[("query", named), ("operationName", "M")],
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(app.statements_executed().await, before, "nothing ran");
    let listed = app.data("{ characters { totalCount } }", json!({})).await;
    assert_eq!(listed["characters"]["totalCount"], 0);

    let response = get(&[], "application/graphql-response+json").await.unwrap();
    assert_eq!(response.status(), 400);
    let page = get(&[("query", "{ characters { totalCount } }")], "text/html")
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("graphiql"));
}

/// A body field the REST type does not know is skipped when the body is read, but the body is
/// also passed on as JSON: a number JSON cannot hold or nesting past the parser's limit there is
/// a 400 naming the body, not a 500.
#[tokio::test]
async fn an_unknown_body_field_that_is_not_valid_json_data_is_a_400() {
    let app = spawn_app().await;
    let deep = format!(
        r#"{{"label": "m", "colour": {}1{}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    for body in [r#"{"label": "m", "colour": 1e400}"#.to_owned(), deep] {
        for (method, path) in [("POST", "/api/v1/ai-models"), ("PUT", "/api/v1/settings")] {
            let (status, answer) = app
                .rest_raw(method, path, Some(body.clone()), Some(&app.api_key))
                .await;
            assert_eq!(status, 400, "{method} {path}: {answer}");
            assert_eq!(answer["error"]["code"], "VALIDATION_ERROR", "{answer}");
        }
    }
}
