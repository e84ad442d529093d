//! Nested relations go through per-request DataLoaders: the statement count of a list does not
//! grow with its length.

use serde_json::json;

use crate::helpers::{TestApp, add_message, create_session, seed_references, spawn_app};

const SESSIONS_WITH_RELATIONS: &str = r#"query($n: Int!) {
    chatSessions(first: $n) { nodes {
        id title
        character { id name avatarImage }
        userProfile { id name }
        aiModel { id label }
        systemPrompt { id content }
        messageCount
    } }
}"#;

/// Statements one request executes, from `parley_db_statements_total`.
async fn statements_for(app: &TestApp, query: &str, variables: serde_json::Value) -> u64 {
    let before = app.statements_executed().await;
    let data = app.data(query, variables).await;
    let after = app.statements_executed().await;
    assert!(data.is_object());
    after - before
}

#[tokio::test]
async fn a_list_of_sessions_costs_the_same_statements_for_10_and_100_rows() {
    let app = spawn_app().await;
    let mut references = Vec::new();
    for i in 0..10 {
        references.push(seed_references(&app, &i.to_string()).await);
    }
    // 100 sessions spread over 10 characters, profiles, models and prompts, in one request.
    let creates: String = (0..100)
        .map(|i| {
            let (c, p, m, s) = references[i % 10];
            format!(
                "s{i}: createChatSession(input: {{characterId: {c}, userProfileId: {p}, \
                 aiModelId: {m}, systemPromptId: {s}, title: \"chat {i}\"}}) {{ id }}\n"
            )
        })
        .collect();
    let created = app
        .data(&format!("mutation {{ {creates} }}"), json!({}))
        .await;
    let first_session = created["s0"]["id"].as_i64().unwrap();
    for content in ["one", "two"] {
        add_message(&app, first_session, content).await;
    }

    // Warm-up: the first request also verifies the API key.
    app.data(SESSIONS_WITH_RELATIONS, json!({ "n": 1 })).await;
    let for_10 = statements_for(&app, SESSIONS_WITH_RELATIONS, json!({ "n": 10 })).await;
    let for_100 = statements_for(&app, SESSIONS_WITH_RELATIONS, json!({ "n": 100 })).await;
    println!("statements: 10 sessions -> {for_10}, 100 sessions -> {for_100}");
    assert_eq!(
        for_10, for_100,
        "the statement count must not depend on the page size"
    );
    // The README's promise, exactly: the page, its count, 4 relations and the message counts.
    assert_eq!(
        for_100, 6,
        "100 sessions with 4 relations and a count took {for_100} statements"
    );

    // The data the loaders put together is right, row by row.
    let data = app.data(SESSIONS_WITH_RELATIONS, json!({ "n": 100 })).await;
    let nodes = data["chatSessions"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 100);
    for (i, node) in nodes.iter().enumerate() {
        let (c, p, m, s) = references[i % 10];
        assert_eq!(node["character"]["id"], c);
        assert_eq!(node["userProfile"]["id"], p);
        assert_eq!(node["aiModel"]["id"], m);
        assert_eq!(node["systemPrompt"]["id"], s);
        assert_eq!(node["messageCount"], if i == 0 { 2 } else { 0 });
    }
}

#[tokio::test]
async fn nested_message_pages_are_batched_across_sessions() {
    let app = spawn_app().await;
    let (character, ..) = seed_references(&app, "x").await;
    let mut sessions = Vec::new();
    for _ in 0..5 {
        sessions.push(create_session(&app, character).await);
    }
    for (n, session) in sessions.iter().enumerate() {
        for k in 0..=n {
            add_message(&app, *session, &format!("s{n} m{k}")).await;
        }
    }
    let query = "{ chatSessions { nodes { id messages(last: 2) { totalCount
        pageInfo { hasPreviousPage hasNextPage } nodes { content } } } } }";
    app.data(query, json!({})).await;
    let statements = statements_for(&app, query, json!({})).await;
    let data = app.data(query, json!({})).await;
    let nodes = data["chatSessions"]["nodes"].as_array().unwrap();
    for (n, node) in nodes.iter().enumerate() {
        let expected: Vec<String> = (0..=n)
            .map(|k| format!("s{n} m{k}"))
            .skip((n + 1).saturating_sub(2))
            .collect();
        let got: Vec<&str> = node["messages"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["content"].as_str().unwrap())
            .collect();
        assert_eq!(got, expected, "session {n}: the newest two, oldest first");
        assert_eq!(node["messages"]["totalCount"], n + 1);
        assert_eq!(node["messages"]["pageInfo"]["hasPreviousPage"], n + 1 > 2);
    }
    // sessions + one windowed message query + one count query, whatever the number of sessions.
    assert!(statements <= 3, "nested pages took {statements} statements");
}

/// A session asked for alone reads its page with a plain indexed query, in a list with the
/// windowed one: the two give the same page, cursors and totals for every kind of argument.
#[tokio::test]
async fn a_message_page_is_the_same_alone_as_in_a_batch() {
    let app = spawn_app().await;
    let (character, ..) = seed_references(&app, "x").await;
    let (a, b) = (
        create_session(&app, character).await,
        create_session(&app, character).await,
    );
    let mut ids_of_a = Vec::new();
    for k in 0..7 {
        // Interleaved, so the other session's ids fall between this one's.
        ids_of_a.push(add_message(&app, a, &format!("a{k}")).await);
        add_message(&app, b, &format!("b{k}")).await;
    }
    const PAGE: &str = "totalCount pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
        edges { cursor node { id content } }";
    let all = app
        .data(
            &format!("query($id: Int!) {{ chatSession(id: $id) {{ messages {{ {PAGE} }} }} }}"),
            json!({ "id": a }),
        )
        .await;
    let edges = all["chatSession"]["messages"]["edges"].as_array().unwrap();
    let got: Vec<i64> = edges
        .iter()
        .map(|e| e["node"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(got, ids_of_a);
    let cursor = |i: usize| edges[i]["cursor"].as_str().unwrap().to_owned();

    let cases = [
        (json!({ "first": 3 }), &ids_of_a[0..3]),
        (json!({ "first": 3, "offset": 2 }), &ids_of_a[2..5]),
        (json!({ "first": 3, "offset": 6 }), &ids_of_a[6..7]),
        (json!({ "first": 3, "offset": 9 }), &ids_of_a[0..0]),
        (json!({ "last": 3 }), &ids_of_a[4..7]),
        (json!({ "last": 3, "offset": 2 }), &ids_of_a[2..5]),
        (json!({ "first": 2, "after": cursor(1) }), &ids_of_a[2..4]),
        (json!({ "last": 2, "before": cursor(5) }), &ids_of_a[3..5]),
        (
            json!({ "first": 10, "after": cursor(1), "before": cursor(5) }),
            &ids_of_a[2..5],
        ),
    ];
    let args = "$first: Int, $last: Int, $offset: Int, $after: String, $before: String";
    let pass = "first: $first, last: $last, offset: $offset, after: $after, before: $before";
    for (variables, expected) in cases {
        let mut alone_vars = variables.clone();
        alone_vars["id"] = json!(a);
        let alone = app
            .data(
                &format!(
                    "query($id: Int!, {args}) {{ chatSession(id: $id) {{ messages({pass}) {{ {PAGE} }} }} }}"
                ),
                alone_vars,
            )
            .await;
        let alone = &alone["chatSession"]["messages"];
        let listed = app
            .data(
                &format!(
                    "query({args}) {{ chatSessions(orderBy: {{ field: ID, direction: ASC }}) {{ nodes {{ id messages({pass}) {{ {PAGE} }} }} }} }}"
                ),
                variables.clone(),
            )
            .await;
        let nodes = listed["chatSessions"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 2, "both sessions listed");
        let in_batch = &nodes.iter().find(|n| n["id"] == a).unwrap()["messages"];
        let got: Vec<i64> = alone["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_i64().unwrap())
            .collect();
        assert_eq!(got, expected, "{variables}: the page alone");
        assert_eq!(alone, in_batch, "{variables}: alone and in a batch");
        assert_eq!(alone["totalCount"], 7, "{variables}");
    }
}
