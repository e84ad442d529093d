//! Relay connections: first/after, last/before, offset, totalCount and orderBy.

use serde_json::{Value, json};

use crate::helpers::{seed_references, spawn_app};

fn ids(connection: &Value) -> Vec<i64> {
    connection["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect()
}

const PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String, $offset: Int) {
    characters(first: $first, after: $after, last: $last, before: $before, offset: $offset) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id } }
        nodes { id }
    } }";

#[tokio::test]
async fn pages_forward_and_backward_with_cursors() {
    let app = spawn_app().await;
    let mut all = Vec::new();
    for i in 0..25 {
        let data = app
            .data(
                "mutation($l: String!) { createCharacter(input: {label: $l, name: \"c\"}) { id } }",
                json!({ "l": format!("c{i:02}") }),
            )
            .await;
        all.push(data["createCharacter"]["id"].as_i64().unwrap());
    }

    // Forward, 10 at a time.
    let mut after: Option<String> = None;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let data = app.data(PAGE, json!({ "first": 10, "after": after })).await;
        let page = &data["characters"];
        assert_eq!(page["totalCount"], 25);
        assert_eq!(page["pageInfo"]["hasPreviousPage"], after.is_some());
        assert_eq!(
            page["edges"].as_array().unwrap().last().unwrap()["cursor"],
            page["pageInfo"]["endCursor"]
        );
        seen.extend(ids(page));
        pages += 1;
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, all);

    // A row added meanwhile does not shift the pages already handed out (keyset, not offset).
    let data = app.data(PAGE, json!({ "first": 10 })).await;
    let cursor = data["characters"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let late = app
        .data(
            "mutation { createCharacter(input: {label: \"late\", name: \"c\"}) { id } }",
            json!({}),
        )
        .await["createCharacter"]["id"]
        .as_i64()
        .unwrap();
    let next = app
        .data(PAGE, json!({ "first": 10, "after": cursor }))
        .await;
    assert_eq!(ids(&next["characters"]), all[10..20].to_vec());

    // Backward from the end.
    let data = app.data(PAGE, json!({ "last": 10 })).await;
    let tail = &data["characters"];
    let mut expected: Vec<i64> = all[16..].to_vec();
    expected.push(late);
    assert_eq!(ids(tail), expected);
    assert_eq!(tail["pageInfo"]["hasPreviousPage"], true);
    let start = tail["pageInfo"]["startCursor"].as_str().unwrap().to_owned();
    let earlier = app.data(PAGE, json!({ "last": 10, "before": start })).await;
    assert_eq!(ids(&earlier["characters"]), all[6..16].to_vec());
    assert_eq!(earlier["characters"]["pageInfo"]["hasNextPage"], true);

    // Offset skips rows.
    let data = app.data(PAGE, json!({ "first": 5, "offset": 5 })).await;
    assert_eq!(ids(&data["characters"]), all[5..10].to_vec());
    assert_eq!(data["characters"]["pageInfo"]["hasPreviousPage"], true);

    // No first/last: a default page of 20.
    let data = app.data(PAGE, json!({})).await;
    assert_eq!(ids(&data["characters"]).len(), 20);
}

#[tokio::test]
async fn chat_sessions_filter_and_order() {
    let app = spawn_app().await;
    let (c1, p1, m1, _) = seed_references(&app, "1").await;
    let (c2, ..) = seed_references(&app, "2").await;
    let mut sessions = Vec::new();
    for i in 0..5 {
        let character = if i % 2 == 0 { c1 } else { c2 };
        let data = app
            .data(
                "mutation($c: Int!, $p: Int, $m: Int) { createChatSession(input: {characterId: $c, userProfileId: $p, aiModelId: $m}) { id } }",
                json!({ "c": character, "p": if i < 2 { Some(p1) } else { None }, "m": if i == 4 { Some(m1) } else { None } }),
            )
            .await;
        sessions.push(data["createChatSession"]["id"].as_i64().unwrap());
    }
    // Touch session 1 so it becomes the most recently updated.
    app.data(
        "mutation($id: Int!) { updateChatSession(id: $id, input: {title: \"touched\"}) { id } }",
        json!({ "id": sessions[1] }),
    )
    .await;

    let list = |filter: Value, order: Value, first: i64, after: Option<String>| {
        let app = &app;
        async move {
            app.data(
                "query($f: ChatSessionFilter, $o: ChatSessionOrder, $first: Int, $after: String) {
                    chatSessions(filter: $f, orderBy: $o, first: $first, after: $after) {
                        totalCount pageInfo { endCursor hasNextPage } nodes { id } } }",
                json!({ "f": filter, "o": order, "first": first, "after": after }),
            )
            .await["chatSessions"]
                .clone()
        }
    };
    let by_character = list(json!({ "characterId": c1 }), Value::Null, 10, None).await;
    assert_eq!(
        ids(&by_character),
        vec![sessions[0], sessions[2], sessions[4]]
    );
    assert_eq!(by_character["totalCount"], 3);
    let by_profile = list(json!({ "userProfileId": p1 }), Value::Null, 10, None).await;
    assert_eq!(ids(&by_profile), vec![sessions[0], sessions[1]]);
    let by_model = list(
        json!({ "aiModelId": m1, "characterId": c1 }),
        Value::Null,
        10,
        None,
    )
    .await;
    assert_eq!(ids(&by_model), vec![sessions[4]]);

    // Newest update first, paged with a cursor over (updatedAt, id).
    let order = json!({ "field": "UPDATED_AT", "direction": "DESC" });
    let first = list(Value::Null, order.clone(), 2, None).await;
    let cursor = first["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    let rest = list(Value::Null, order, 10, cursor).await;
    let mut got = ids(&first);
    got.extend(ids(&rest));
    assert_eq!(
        got,
        vec![
            sessions[1],
            sessions[4],
            sessions[3],
            sessions[2],
            sessions[0]
        ]
    );

    let by_start = list(
        Value::Null,
        json!({ "field": "START_TIME", "direction": "DESC" }),
        10,
        None,
    )
    .await;
    assert_eq!(
        ids(&by_start),
        sessions.iter().rev().copied().collect::<Vec<_>>()
    );
    let by_id = list(Value::Null, json!({ "field": "ID" }), 10, None).await;
    assert_eq!(ids(&by_id), sessions);
}
